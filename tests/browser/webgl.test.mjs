// The page draws the display itself with WebGL2 (SwiftShader in headless
// Chromium): every example against `weft frame` at the same size and time, a
// slider within two frames, an edit that keeps the clock, two tabs in step, the
// full-screen mode, and the streamed frames whenever WebGL2 cannot draw (switched
// off, a lost context) — never a blank canvas.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeFolder, writeFile, startServer, launchBrowser, openPage, waitLoaded } from './harness.mjs';

const EXAMPLES = path.resolve(import.meta.dirname, '../../examples');
/** Most an 8-bit channel may differ from `weft frame` (docs/language.md, f32 against f64). */
const TOLERANCE = 1;
/**
 * Examples that sample a picture: where `x · W` falls within f32 rounding of a
 * pixel edge, the shader may take the neighbouring pixel (docs/language.md), so a
 * few channels — at most this fraction — may differ by more.
 */
const EDGE_FRACTION = { 'image.weft': 0.0005 };

const SLIDER = `level<v> = param(0.2, 0, 1)
display(level@v, me@x, 0)
`;
const CAMERA = `cam<r, g, b> = camera()
display(cam@r, cam@g, cam@b)
`;
const CLOCK = (g) => `display(fract(me@time), ${g}, 0)
`;
/** Three segments, each its own picture and its own me@time from 0; the last loops. */
const PARTS = `me<loop> = 1.5
segment rise(1) {
  display(me@x, me@time, 0)
}
segment fall(2) {
  display(0, me@y, me@time * 0.5)
}
segment rings(1.5) {
  d<v> = sqrt((me@x - 0.5)^2 + (me@y - 0.5)^2)
  display(fract(d@v * 8 + me@time), 0.25, 0.75)
}
`;

let examples;
let own;
let server;
let ownServer;
let browser;

before(async () => {
  examples = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-examples-'));
  fs.cpSync(EXAMPLES, examples, { recursive: true });
  own = makeFolder({ 'camera.weft': CAMERA, 'slider.weft': SLIDER, 'clock.weft': CLOCK('0.25'), 'tabs.weft': CLOCK('me@y'), 'off.weft': CLOCK('0.5'), 'lost.weft': CLOCK('0.5'), 'full.weft': CLOCK('0.5'), 'parts.weft': PARTS });
  server = await startServer(examples);
  ownServer = await startServer(own);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await ownServer?.stop();
});

/** Runs a line of the command language from the page's command bar. */
async function command(page, text) {
  await page.getByTestId('open-command-bar').click();
  await page.getByTestId('command-input').fill(text);
  await page.getByTestId('command-input').press('Enter');
  await page.keyboard.press('Escape');
}

/** A page in a small window: a canvas of a few hundred pixels to compare. */
async function openSmall(url, options) {
  const page = await openPage(browser, url, options);
  await page.setViewportSize({ width: 560, height: 600 });
  return page;
}

async function waitWebgl(page) {
  await page.waitForFunction(() => window.weft.drawStats().path === 'webgl2');
}

/** Waits until the page has drawn `n` more WebGL frames. */
async function frames(page, n) {
  const start = await page.evaluate(() => window.weft.glFramesDrawn);
  await page.waitForFunction((s) => window.weft.glFramesDrawn >= s, start + n);
}

/** The last frame the page drew with WebGL2: RGBA rows from the top, with its size. */
async function pixels(page) {
  return page.evaluate(() => window.weft.readDisplay());
}

/** `weft frame` of `file` at `width × height` and `time`, decoded by the page. */
async function reference(page, file, width, height, time) {
  const out = path.join(os.tmpdir(), `weft-webgl-${process.pid}-${path.basename(file)}.png`);
  const run = spawnSync(process.env.WEFT_BIN, ['frame', file, '--size', `${width}x${height}`, '--time', String(time), '--backend', 'cpu', '-o', out]);
  assert.equal(run.status, 0, String(run.stderr));
  const png = fs.readFileSync(out).toString('base64');
  fs.rmSync(out);
  return page.evaluate(async (b64) => {
    const image = new Image();
    image.src = `data:image/png;base64,${b64}`;
    await image.decode();
    const c = document.createElement('canvas');
    c.width = image.width;
    c.height = image.height;
    const context = c.getContext('2d');
    context.drawImage(image, 0, 0);
    return Array.from(context.getImageData(0, 0, c.width, c.height).data);
  }, png);
}

const displays = fs.readdirSync(EXAMPLES)
  .filter((f) => f.endsWith('.weft'))
  .filter((f) => /^\s*display\s*\(/m.test(fs.readFileSync(path.join(EXAMPLES, f), 'utf8')))
  .sort();

/** Examples whose display `weft dev` draws itself (as frames), and why. */
const SERVER_DRAWN = { 'mic.weft': /live microphone/ };

test('every example is drawn by the page as weft frame draws it', async () => {
  assert.ok(displays.length >= 5, `examples with a display: ${displays}`);
  const page = await openSmall(server.url);
  for (const name of displays) {
    await page.goto(`${server.url}#/${name}`);
    await waitLoaded(page, name);
    if (SERVER_DRAWN[name]) {
      // Its display reads the live microphone, which only the server hears.
      await page.waitForFunction(() => window.weft.drawStats().path === 'frames' && window.weft.drawStats().reason);
      assert.match((await page.evaluate(() => window.weft.drawStats())).reason, SERVER_DRAWN[name]);
      continue;
    }
    await waitWebgl(page);
    await command(page, 'pause');
    await command(page, 'seek 1.25');
    await page.waitForFunction(() => window.weft.transport?.transport === 'paused' && window.weft.transport.time === 1.25);
    await frames(page, 2);
    const got = await pixels(page);
    const want = await reference(page, path.join(examples, name), got.width, got.height, 1.25);
    assert.equal(want.length, got.data.length, name);
    let worst = 0;
    let over = 0;
    for (let i = 0; i < want.length; i += 1) {
      const d = Math.abs(want[i] - got.data[i]);
      worst = Math.max(worst, d);
      if (d > TOLERANCE) over += 1;
    }
    const allowed = Math.floor((EDGE_FRACTION[name] ?? 0) * want.length);
    assert.ok(over <= allowed, `${name} at ${got.width}x${got.height}: ${over} channels over ${TOLERANCE} (worst ${worst}), ${allowed} allowed`);
  }
  assert.deepEqual(page.consoleErrors, []);
  await page.close();
});

test('a program with segments is drawn by the page, each segment at its own time', async () => {
  const page = await openSmall(`${ownServer.url}#/parts.weft`);
  await waitLoaded(page, 'parts.weft');
  await waitWebgl(page);
  await command(page, 'pause');
  // In each segment, at its start, inside it, and past the end (the last one, looped).
  for (const at of [0.25, 0.75, 1.0, 2.5, 3.2, 4.1, 5.0]) {
    await command(page, `seek ${at}`);
    await page.waitForFunction((t) => window.weft.transport?.transport === 'paused' && window.weft.transport.time === t, at);
    await frames(page, 2);
    const got = await pixels(page);
    const want = await reference(page, path.join(own, 'parts.weft'), got.width, got.height, at);
    let over = 0;
    let worst = 0;
    for (let i = 0; i < want.length; i += 1) {
      const d = Math.abs(want[i] - got.data[i]);
      worst = Math.max(worst, d);
      if (d > TOLERANCE) over += 1;
    }
    assert.equal(over, 0, `at ${at} s: ${over} channels over ${TOLERANCE} (worst ${worst})`);
  }
  assert.equal((await page.evaluate(() => window.weft.drawStats())).path, 'webgl2');
  assert.deepEqual(page.consoleErrors, []);
  await page.close();
});

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
