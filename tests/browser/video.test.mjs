// Colours that survive the trip: `weft render` converts RGB with the BT.709
// matrix and tags the stream (primaries, transfer, matrix, range), so Chromium's
// <video> shows a colour chart as `weft frame` draws it, within the encoder's
// tolerance (before: BT.601, untagged, `display(0.2, 0.6, 0.9)` came out
// (42, 147, 230) instead of (51, 153, 230)).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { makeFolder, launchBrowser } from './harness.mjs';

/** Eight bars of flat colour: the primaries, the secondaries, the blue, a gray. */
const CHART = `bar<i> = floor(me@x * 8)
pick<r, g, b> = (
  select(bar@i == 0, 1, select(bar@i == 3, 1, select(bar@i == 4, 1, select(bar@i == 6, 0.2, select(bar@i == 7, 0.5, 0))))),
  select(bar@i == 1, 1, select(bar@i == 3, 1, select(bar@i == 5, 1, select(bar@i == 6, 0.6, select(bar@i == 7, 0.5, 0))))),
  select(bar@i == 2, 1, select(bar@i == 4, 1, select(bar@i == 5, 1, select(bar@i == 6, 0.9, select(bar@i == 7, 0.5, 0)))))
)
display(pick)
`;
/**
 * H.264 at the default quality, limited range, 4:2:0 chroma, read in each bar's
 * middle: Chromium's software decoder lands within 12 of saturated primaries
 * (ffmpeg's within 2); a wrong matrix would miss by up to 50.
 */
const TOLERANCE = 12;

function weft(args, cwd) {
  const run = spawnSync(path.resolve(process.env.WEFT_BIN), args, { cwd });
  assert.equal(run.status, 0, `weft ${args.join(' ')}: ${run.stderr}`);
}

test('a rendered colour chart plays in Chromium as weft frame draws it', async () => {
  const dir = makeFolder({ 'chart.weft': CHART });
  weft(['render', 'chart.weft', '-o', 'chart.mp4', '--size', '256x64', '--duration', '1'], dir);
  weft(['frame', 'chart.weft', '--size', '256x64', '-o', 'chart.png', '--backend', 'cpu'], dir);
  fs.writeFileSync(path.join(dir, 'index.html'), '<!doctype html><video src="chart.mp4" muted playsinline></video><img src="chart.png">');
  const browser = await launchBrowser(['--allow-file-access-from-files', '--autoplay-policy=no-user-gesture-required']);
  try {
    const page = await browser.newPage();
    await page.goto(`file://${path.join(dir, 'index.html')}`);
    const bars = await page.evaluate(async () => {
      const video = document.querySelector('video');
      const img = document.querySelector('img');
      await img.decode();
      if (video.readyState < 2) await new Promise((resolve, reject) => {
        video.addEventListener('loadeddata', resolve, { once: true });
        video.addEventListener('error', () => reject(new Error(`video error ${video.error?.code}: ${video.error?.message}`)), { once: true });
      });
      const read = (source) => {
        const c = document.createElement('canvas');
        c.width = 256;
        c.height = 64;
        const context = c.getContext('2d');
        context.drawImage(source, 0, 0, 256, 64);
        return Array.from({ length: 8 }, (_, i) => Array.from(context.getImageData(i * 32 + 16, 32, 1, 1).data.slice(0, 3)));
      };
      // `loadeddata` says a frame is decoded, not that it is on the element:
      // under load Chromium's software path can hand drawImage a black frame
      // first. Seek into the stream, wait for the frame to be presented, and
      // read again while the whole chart is still black (at most 5 s).
      await new Promise((resolve) => {
        video.addEventListener('seeked', resolve, { once: true });
        video.currentTime = 0.5;
      });
      if (video.requestVideoFrameCallback) {
        await Promise.race([
          new Promise((resolve) => video.requestVideoFrameCallback(resolve)),
          new Promise((resolve) => setTimeout(resolve, 1000)),
        ]);
      }
      let shown = read(video);
      for (let tries = 0; tries < 50 && shown.every((bar) => bar.every((v) => v === 0)); tries += 1) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        shown = read(video);
      }
      return { video: shown, frame: read(img) };
    });
    for (let i = 0; i < 8; i += 1) {
      const [got, want] = [bars.video[i], bars.frame[i]];
      const worst = Math.max(...got.map((v, k) => Math.abs(v - want[k])));
      assert.ok(worst <= TOLERANCE, `bar ${i}: the video shows (${got}) where weft frame draws (${want})`);
    }
    // The colour: red and green within 2 where BT.601 untagged missed by 9.
    assert.deepEqual(bars.frame[6], [51, 153, 230]);
    assert.ok(Math.abs(bars.video[6][0] - 51) <= 2 && Math.abs(bars.video[6][1] - 153) <= 2, `the issue's colour shows as (${bars.video[6]})`);
    // And the stream says what it is.
    const probe = spawnSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=color_space,color_transfer,color_primaries,color_range', '-of', 'csv=p=0', path.join(dir, 'chart.mp4')]);
    assert.equal(String(probe.stdout).trim(), 'tv,bt709,bt709,bt709');
  } finally {
    await browser.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
