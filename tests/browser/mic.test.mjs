// mic() can be the browser's own microphone: after the user presses Microphone
// (Chromium's fake device, a beep, allowed without a prompt), the page sends
// its input as WMIC frames and the file's sound — measured by the server's own
// meter — follows it; turned off, the file is silent again.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { makeFolder, startServer, launchBrowser, openPage, waitLoaded, delay } from './harness.mjs';

let dir;
let server;
let browser;

before(async () => {
  dir = makeFolder({
    'listen.weft': 'heard<samples> = mic()\nplay(heard@samples)\n',
    'quiet.weft': 'k<v> = 0.5\ndisplay(k@v, k@v, k@v)\n',
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
