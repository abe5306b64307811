// `weft dev --camera clip.mp4`: a display reading camera() is drawn by the page,
// the video frame by frame — each asked of the server (`camera-frame`) as the
// page's time reaches it and sent back as `WCAM` — against `weft frame --camera`.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { makeFolder, startServer, launchBrowser, delay } from './harness.mjs';
import { TOLERANCE, command, compare, frames, openPaused, pauseAt } from './drawn.mjs';

/** The camera with its green halved, read as a picture. */
const CAM = `cam<r, g, b> = camera()
display(cam@r, cam@g * 0.5, cam@b)
`;

let own;
let clip;
let server;
let browser;
let page;

before(async () => {
  own = makeFolder({ 'cam.weft': CAM });
  clip = path.join(own, 'clip.mp4');
  // A lossless test pattern whose every frame differs: 10 frames a second for 2 s.
  const made = spawnSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=64x36:rate=10', '-t', '2',
    '-pix_fmt', 'yuv444p', '-c:v', 'libx264', '-qp', '0', clip]);
  assert.equal(made.status, 0, String(made.stderr));
  server = await startServer(own, 0, { args: ['--camera', clip] });
  browser = await launchBrowser();
  page = await openPaused(browser, server.url, 'cam.weft');
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

for (const at of [0.05, 0.55, 1.25, 1.95, 3.5]) {
  test(`at ${at} s the page shows the video's frame there, as weft frame --camera does`, async () => {
    await pauseAt(page, at);
    const want = Math.min(19, Math.floor(at * 10));
    await page.waitForFunction((k) => window.weft.cameraFrameShown === k, want);
    await frames(page, 2);
    const d = await compare(page, path.join(own, 'cam.weft'), at, ['--camera', clip]);
    assert.equal(d.over, 0, `at ${at} s: ${d.over} channels over ${TOLERANCE} (worst ${d.worst})`);
    assert.equal((await page.evaluate(() => window.weft.drawStats())).path, 'webgl2');
  });
}

test('playing, the frames follow the clock, and only the frames needed are asked for', async () => {
  const asked = () => page.sent.filter((m) => m.type === 'camera-frame').length;
  const before = asked();
  await command(page, 'seek 0');
  await command(page, 'play');
  await page.waitForFunction(() => window.weft.cameraFrameShown >= 15, null, { timeout: 20000 });
  await command(page, 'pause');
  const count = asked() - before;
  // 10 frames a second: about one request per frame reached, not one per animation frame.
  assert.ok(count >= 3 && count <= 40, `${count} camera-frame requests`);
  await delay(100);
  assert.deepEqual(page.consoleErrors, []);
});
