// mic() can be the browser's own microphone: after the user presses Microphone
// (Chromium's fake device, a beep, allowed without a prompt), the page sends
// its input as WMIC frames and the file's sound — measured by the server's own
// meter — follows it; turned off, the file is silent again. A display that reads
// mic() is drawn by the page from its own copy of what the server placed (`WLIV`).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { makeFolder, startServer, launchBrowser, openPage, waitLoaded, delay } from './harness.mjs';
import { command, frames, pauseAt, waitWebgl } from './drawn.mjs';

let dir;
let server;
let browser;

before(async () => {
  dir = makeFolder({
    'listen.weft': 'heard<samples> = mic()\nplay(heard@samples)\n',
    'quiet.weft': 'k<v> = 0.5\ndisplay(k@v, k@v, k@v)\n',
    // The last half second of the microphone across the picture, in red.
    // Ahead of a paused transport, where the server places what it hears.
    'ahead.weft': 'heard<s> = mic()\ndisplay(abs(heard@s[me@time ~ me@time + 0.2 + me@x * 0.2]) * 4, 0, 0)\nplay(heard@s * 0)\n',
    'scope.weft': 'heard<s> = mic()\ndisplay(abs(heard@s[me@time ~ me@time - me@x * 0.5]) * 8, 0.25, 0)\nplay(heard@s * 0)\n',
  });
  server = await startServer(dir);
  browser = await launchBrowser(['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', '--autoplay-policy=no-user-gesture-required']);
});

after(async () => {
  await browser?.close();
  await server?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** The loudest meter the page is told of over `ms`. */
async function loudest(page, ms) {
  let peak = 0;
  const end = Date.now() + ms;
  while (Date.now() < end) {
    peak = Math.max(peak, await page.evaluate(() => window.weft.meterPeak));
    await delay(25);
  }
  return peak;
}

test('the browser microphone is heard by mic() once the user turns it on', async () => {
  const page = await openPage(browser, `${server.url}#/listen.weft`);
  await waitLoaded(page, 'listen.weft');
  await page.waitForFunction(() => window.weft.transport?.transport === 'playing');
  await page.getByTestId('mic').waitFor({ state: 'visible' });
  assert.equal(await loudest(page, 600), 0, 'silence before the microphone is on');

  await page.getByTestId('mic').click();
  await page.waitForFunction(() => window.weft.mic.on, null, { timeout: 15000 });
  assert.equal(await page.getByTestId('mic').getAttribute('aria-pressed'), 'true');
  // The fake device beeps: frames go out, and the file's sound follows them.
  await page.waitForFunction(() => window.weft.mic.framesSent > 50 && window.weft.mic.peak > 0.01, null, { timeout: 15000 });
  await page.waitForFunction(() => window.weft.meterPeak > 0.01, null, { timeout: 15000 });

  await page.getByTestId('mic').click();
  assert.equal(await page.evaluate(() => window.weft.mic.on), false);
  await delay(1000);
  assert.equal(await loudest(page, 600), 0, 'silence once it is off');
  assert.deepEqual(page.consoleErrors, []);
  await page.close();
});

test('a file that does not read mic() has no Microphone button', async () => {
  const page = await openPage(browser, `${server.url}#/quiet.weft`);
  await waitLoaded(page, 'quiet.weft');
  assert.equal(await page.getByTestId('mic').isVisible(), false);
  await page.close();
});

test('a display of mic() is drawn by the page from its copy of the live microphone', async () => {
  const page = await openPage(browser, `${server.url}#/scope.weft`);
  await waitLoaded(page, 'scope.weft');
  await waitWebgl(page);
  await page.waitForFunction(() => window.weft.transport?.transport === 'playing');
  const reds = () => page.evaluate(() => {
    const d = window.weft.readDisplay()?.data ?? [];
    let lit = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i] > 0) lit += 1;
    return { lit, green: d[1] };
  });
  await page.waitForFunction(() => window.weft.glFramesDrawn > 2);
  assert.deepEqual(await reds(), { lit: 0, green: 64 }, 'nothing heard yet: no red');

  await page.getByTestId('mic').click();
  await page.waitForFunction(() => window.weft.mic.on, null, { timeout: 15000 });
  // The server sends back where it placed each chunk; the page holds the same.
  await page.waitForFunction(() => window.weft.liveMic.chunks > 20, null, { timeout: 15000 });
  const held = await page.evaluate(() => window.weft.liveMic);
  assert.ok(held.rate >= 8000 && held.end > held.start, JSON.stringify(held));
  // The fake device beeps: the beep shows as red across the picture.
  await page.waitForFunction(() => {
    const d = window.weft.readDisplay()?.data ?? [];
    for (let i = 0; i < d.length; i += 4) if (d[i] > 0) return true;
    return false;
  }, null, { timeout: 15000 });
  assert.equal((await page.evaluate(() => window.weft.drawStats())).path, 'webgl2');
  await page.getByTestId('mic').click();
  assert.deepEqual(page.consoleErrors, []);
  await page.close();
});

test('the page draws mic() sample for sample as its copy holds it', async () => {
  const page = await openPage(browser, `${server.url}#/ahead.weft`);
  await waitLoaded(page, 'ahead.weft');
  await waitWebgl(page);
  await command(page, 'pause');
  await pauseAt(page, 2);
  const before = await page.evaluate(() => window.weft.liveMic.chunks);
  // A known input instead of the fake device's occasional beep: a second
  // connection from the page sends 0.2 s of a ramp as WMIC frames, placed from
  // 2.2 s (the paused time and the server's lead); the page's copy gets them
  // back as WLIV like any microphone's.
  await page.evaluate(() => new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://${location.host}/ws`);
    ws.binaryType = 'arraybuffer';
    ws.onerror = () => reject(new Error('the feeding connection failed'));
    ws.onopen = () => {
      ws.send(JSON.stringify({ type: 'watch-file', path: 'ahead.weft', clientId: 'feeder' }));
      setTimeout(() => {
        for (let k = 0; k < 10; k += 1) {
          const buffer = new ArrayBuffer(12 + 960 * 4);
          const view = new DataView(buffer);
          [0x57, 0x4d, 0x49, 0x43].forEach((b, i) => view.setUint8(i, b));
          view.setUint32(4, 48000, true);
          view.setUint32(8, 960, true);
          for (let i = 0; i < 960; i += 1) view.setFloat32(12 + i * 4, (((k * 960 + i) % 100) + 1) / 400, true);
          ws.send(buffer);
        }
        setTimeout(() => { ws.close(); resolve(); }, 300);
      }, 300);
    };
  }));
  await page.waitForFunction((n) => window.weft.liveMic.chunks >= n + 10, before);
  await frames(page, 2);
  const result = await page.evaluate(() => {
    const { width, data } = window.weft.readDisplay();
    let differ = 0;
    let lit = 0;
    for (let i = 0; i < width; i += 1) {
      const v = window.weft.liveMicAt(2 + 0.2 + ((i + 0.5) / width) * 0.2);
      const want = Math.floor(Math.min(Math.max(Math.abs(v) * 4, 0), 1) * 255 + 0.5);
      if (Math.abs(want - data[i * 4]) > 1) differ += 1;
      if (data[i * 4] > 0) lit += 1;
    }
    return { width, differ, lit, held: window.weft.liveMic };
  });
  // Every column reads a sample of the ramp (none is 0).
  assert.equal(result.lit, result.width, JSON.stringify(result));
  // f32 time against the double here: a column may fall on the neighbouring sample.
  assert.ok(result.differ <= Math.ceil(result.width * 0.02), JSON.stringify(result));
  assert.deepEqual(page.consoleErrors, []);
  await page.close();
});
