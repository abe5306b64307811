// The page draws the display itself with WebGL2 (SwiftShader in headless
// Chromium): a slider within two frames, an edit that keeps the clock, two tabs in
// step, the full-screen mode, the browser camera, and the streamed frames whenever
// WebGL2 cannot draw (switched off, a lost context) — never a blank canvas. The
// pictures themselves are checked against `weft frame` in webgl-examples.test.mjs
// and webgl-segments.test.mjs.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { makeFolder, writeFile, startServer, launchBrowser, openPage, waitLoaded } from './harness.mjs';
import fs from 'node:fs';
import path from 'node:path';
import { TOLERANCE, command, compare, frames, openSmall as openIn, pauseAt, pixels, waitWebgl } from './drawn.mjs';

const SLIDER = `level<v> = param(0.2, 0, 1)
display(level@v, me@x, 0)
`;
const CAMERA = `cam<r, g, b> = camera()
display(cam@r, cam@g, cam@b)
`;
const CLOCK = (g) => `display(fract(me@time), ${g}, 0)
`;
const PICTURE = (g) => `pic<r, g, b, a> = load("weft.png")
display(pic@r, pic@g * ${g}, pic@b)
`;

let own;
let ownServer;
let browser;

before(async () => {
  own = makeFolder({ 'camera.weft': CAMERA, 'slider.weft': SLIDER, 'clock.weft': CLOCK('0.25'), 'tabs.weft': CLOCK('me@y'), 'off.weft': CLOCK('0.5'), 'lost.weft': CLOCK('0.5'), 'full.weft': CLOCK('0.5') });
  fs.copyFileSync(path.resolve(import.meta.dirname, '../../examples/assets/weft.png'), path.join(own, 'weft.png'));
  writeFile(own, 'picture.weft', PICTURE('0.5'));
  ownServer = await startServer(own);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await ownServer?.stop();
});

const openSmall = (url, options) => openIn(browser, url, options);

test('a slider move changes the picture within two frames', async () => {
  const page = await openSmall(`${ownServer.url}#/slider.weft`);
  await waitLoaded(page, 'slider.weft');
  await waitWebgl(page);
  await page.getByTestId('param-level').waitFor();
  const red = async () => (await pixels(page)).data[0];
  await frames(page, 1);
  assert.equal(await red(), Math.floor(0.2 * 255 + 0.5));
  // The slider sets the uniform itself: the next frame drawn reads 0.8 (at its
  // slot, as the display-shader message says, after the block's 12 header words).
  const message = page.received.find((m) => m.type === 'display-shader' && m.file === 'slider.weft' && m.params);
  const slot = message.params.find((p) => p.id === 'level').slot;
  const next = await page.getByTestId('param-level').evaluate((input, at) => {
    input.value = '0.8';
    input.dispatchEvent(new Event('input', { bubbles: true }));
    return new Promise((resolve) => {
      requestAnimationFrame(() => requestAnimationFrame(() => resolve(window.weft.glUniforms()[12 + at])));
    });
  }, slot);
  assert.ok(Math.abs(next - 0.8) < 1e-6, `the frame after the move read ${next}`);
  // And the picture shows it (read back from the drawing buffer).
  await page.waitForFunction(() => window.weft.readDisplay()?.data[0] === 204);
  assert.deepEqual(page.consoleErrors, []);
  await page.close();
});

test('an edit swaps the shader and keeps the clock', async () => {
  const page = await openSmall(`${ownServer.url}#/clock.weft`);
  await waitLoaded(page, 'clock.weft');
  await waitWebgl(page);
  await page.getByTestId('play').click();
  await page.waitForFunction(() => window.weft.transport?.transport === 'playing' && window.weft.transport.time > 0.3);
  const before = await page.evaluate(() => window.weft.transport.time);
  const shaders = () => page.received.filter((m) => m.type === 'display-shader' && m.file === 'clock.weft').length;
  const count = shaders();
  writeFile(own, 'clock.weft', CLOCK('0.75'));
  await page.waitForFunction(() => window.weft.drawStats().path === 'webgl2');
  for (let i = 0; i < 600 && shaders() === count; i += 1) await frames(page, 1);
  assert.ok(shaders() > count, 'a new display-shader after the edit');
  await waitWebgl(page);
  await frames(page, 2);
  const after = await page.evaluate(() => window.weft.transport.time);
  assert.ok(after >= before, `the clock went from ${before} back to ${after}`);
  assert.equal(await page.evaluate(() => window.weft.transport.transport), 'playing');
  assert.deepEqual(page.consoleErrors, []);
  await page.close();
});

test('two tabs on one file show the same picture', async () => {
  const one = await openSmall(`${ownServer.url}#/tabs.weft`);
  const two = await openSmall(`${ownServer.url}#/tabs.weft`);
  for (const page of [one, two]) {
    await page.bringToFront();
    await waitLoaded(page, 'tabs.weft');
    await waitWebgl(page);
  }
  await one.bringToFront();
  await command(one, 'pause');
  await command(one, 'seek 2.5');
  for (const page of [one, two]) {
    // A page in the background gets few animation frames.
    await page.bringToFront();
    await page.waitForFunction(() => window.weft.transport?.transport === 'paused' && window.weft.transport.time === 2.5);
    await frames(page, 2);
  }
  const [a, b] = [await pixels(one), await pixels(two)];
  assert.deepEqual([a.width, a.height], [b.width, b.height]);
  assert.deepEqual(a.data, b.data);
  await one.close();
  await two.close();
});

test('without WebGL2 the page shows the streamed frames and says why', async () => {
  const page = await openSmall(`${ownServer.url}#/off.weft`, {
    init: () => {
      const original = HTMLCanvasElement.prototype.getContext;
      HTMLCanvasElement.prototype.getContext = function getContext(type, ...rest) {
        return type === 'webgl2' ? null : original.call(this, type, ...rest);
      };
    },
  });
  await waitLoaded(page, 'off.weft');
  for (let i = 0; i < 600 && !page.received.some((m) => m.type === 'display-shader'); i += 1) {
    await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(resolve)));
  }
  assert.ok(page.received.some((m) => m.type === 'display-shader'), 'the shader came');
  await page.waitForFunction(() => window.weft.framesDrawn > 0);
  const stats = await page.evaluate(() => window.weft.drawStats());
  assert.equal(stats.path, 'frames');
  assert.equal(stats.reason, 'this browser has no WebGL2');
  assert.equal(await page.getByTestId('canvas').isVisible(), true);
  assert.equal(await page.getByTestId('gl-canvas').isVisible(), false);
  assert.equal(await page.getByTestId('draw-path').textContent(), 'frames');
  await page.close();
});

test('a lost context falls back to frames and a restored one draws again', async () => {
  const page = await openSmall(`${ownServer.url}#/lost.weft`);
  await waitLoaded(page, 'lost.weft');
  await waitWebgl(page);
  const lose = await page.evaluate(() => {
    const gl = document.querySelector('[data-testid="gl-canvas"]').getContext('webgl2');
    window.__lose = gl.getExtension('WEBGL_lose_context');
    window.__lose.loseContext();
    return true;
  });
  assert.ok(lose);
  await page.waitForFunction(() => window.weft.drawStats().path === 'frames');
  assert.match(await page.evaluate(() => window.weft.drawStats().reason), /lost/);
  await page.getByTestId('canvas').waitFor({ state: 'visible' });
  await page.waitForFunction(() => window.weft.framesDrawn > 0);
  await page.evaluate(() => window.__lose.restoreContext());
  await waitWebgl(page);
  await frames(page, 2);
  await page.getByTestId('gl-canvas').waitFor({ state: 'visible' });
  assert.deepEqual(page.consoleErrors, []);
  await page.close();
});

test('F shows only the picture, full screen', async () => {
  const page = await openSmall(`${ownServer.url}#/full.weft`);
  await waitLoaded(page, 'full.weft');
  await waitWebgl(page);
  await page.locator('body').click({ position: { x: 5, y: 5 } });
  await page.keyboard.press('f');
  await page.waitForFunction(() => document.fullscreenElement?.dataset.testid === 'player');
  assert.equal(await page.getByTestId('gl-canvas').isVisible(), true);
  assert.equal(await page.getByTestId('params').isVisible(), false);
  await page.keyboard.press('f');
  await page.waitForFunction(() => document.fullscreenElement === null);
  await page.close();
});

test('camera() shows the browser camera once the user turns it on', async () => {
  // Chromium's fake camera: a moving test pattern, allowed without a prompt.
  const media = await launchBrowser(['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream']);
  try {
    const page = await openPage(media, `${ownServer.url}#/camera.weft`);
    await page.setViewportSize({ width: 560, height: 600 });
    await waitLoaded(page, 'camera.weft');
    await waitWebgl(page);
    await page.getByTestId('camera').waitFor({ state: 'visible' });
    await frames(page, 2);
    const lit = (d) => d.some((v, i) => i % 4 !== 3 && v > 0);
    assert.equal(lit((await pixels(page)).data), false, 'black before the camera is on, as the server draws it');
    await page.getByTestId('camera').click();
    await page.waitForFunction(() => window.weft.camera.on);
    await page.waitForFunction(() => {
      const d = window.weft.readDisplay()?.data;
      return d && d.some((v, i) => i % 4 !== 3 && v > 0);
    });
    assert.equal(await page.getByTestId('camera').getAttribute('aria-pressed'), 'true');
    assert.deepEqual(page.consoleErrors, []);
    await page.close();
  } finally {
    await media.close();
  }
});

test('a picture is sent and uploaded once: an edit that keeps it leaves it out, and the page still draws it', async () => {
  const page = await openSmall(`${ownServer.url}#/picture.weft`);
  await waitLoaded(page, 'picture.weft');
  await waitWebgl(page);
  const shaders = () => page.received.filter((m) => m.type === 'display-shader' && m.file === 'picture.weft' && !m.unchanged);
  const first = shaders()[0];
  assert.ok(typeof first.sources === 'string' && first.sourcesKey, 'the first carries the picture');
  const uploads = await page.evaluate(() => window.weft.sourceUploads);
  assert.equal(uploads, 1);
  writeFile(own, 'picture.weft', PICTURE('0.25'));
  for (let i = 0; i < 600 && shaders().length < 2; i += 1) await frames(page, 1);
  const second = shaders()[1];
  assert.ok(second, 'a new shader after the edit');
  assert.equal(second.sources, undefined, 'the picture is not sent again');
  assert.equal(second.sourcesKey, first.sourcesKey);
  await waitWebgl(page);
  await page.waitForFunction((k) => window.weft.drawStats().key === k, second.key);
  assert.equal(await page.evaluate(() => window.weft.sourceUploads), uploads, 'the texture is shared, not uploaded again');
  await command(page, 'pause');
  await pauseAt(page, 0.5);
  const d = await compare(page, path.join(own, 'picture.weft'), 0.5);
  // Sampling a picture: a few channels may take the neighbouring pixel (see webgl-examples).
  assert.ok(d.over <= Math.floor(0.0005 * d.channels), `${d.over} channels over ${TOLERANCE} (worst ${d.worst})`);
  assert.deepEqual(page.consoleErrors, []);
  await page.close();
});
