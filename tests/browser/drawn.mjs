// What the WebGL tests share: the page's picture read back, `weft frame`'s picture
// of the same file at the same size and time, and the comparison within the
// shader tolerance (docs/language.md, f32 against f64).

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openPage, waitLoaded } from './harness.mjs';

/** Most an 8-bit channel may differ from `weft frame` (docs/language.md, f32 against f64). */
export const TOLERANCE = 1;

/** Bytes (or numbers 0…255) to base64 in the page, in pieces: the source of a function. */
const BASE64 = `(bytes) => {
  const all = Uint8Array.from(bytes);
  let text = '';
  for (let i = 0; i < all.length; i += 0x8000) text += String.fromCharCode.apply(null, all.subarray(i, i + 0x8000));
  return btoa(text);
}`;

/** Runs a line of the command language from the page's command bar. */
export async function command(page, text) {
  await page.getByTestId('open-command-bar').click();
  await page.getByTestId('command-input').fill(text);
  await page.getByTestId('command-input').press('Enter');
  await page.keyboard.press('Escape');
}

/** A page in a small window: a canvas of a few hundred pixels to compare. */
export async function openSmall(browser, url, options) {
  const page = await openPage(browser, url, options);
  await page.setViewportSize({ width: 560, height: 600 });
  return page;
}

/** A small page on `file`, drawn by WebGL2, its transport paused. */
export async function openPaused(browser, url, file) {
  const page = await openSmall(browser, `${url}#/${file}`);
  await waitLoaded(page, file);
  await waitWebgl(page);
  await command(page, 'pause');
  return page;
}

export async function waitWebgl(page) {
  await page.waitForFunction(() => window.weft.drawStats().path === 'webgl2');
}

/** Waits until the page has drawn `n` more WebGL frames. */
export async function frames(page, n) {
  const start = await page.evaluate(() => window.weft.glFramesDrawn);
  await page.waitForFunction((s) => window.weft.glFramesDrawn >= s, start + n);
}

/**
 * The last frame the page drew with WebGL2: RGBA rows from the top (a Buffer), with
 * its size. The bytes cross from the page as base64: an array of numbers this size
 * takes seconds through the browser's protocol.
 */
export async function pixels(page) {
  const frame = await page.evaluate(`(() => {
    const f = window.weft.readDisplay();
    return f && { width: f.width, height: f.height, base64: (${BASE64})(f.data) };
  })()`);
  return frame && { width: frame.width, height: frame.height, data: Buffer.from(frame.base64, 'base64') };
}

/** Pauses the page's transport at `time` and waits for two frames drawn there. */
export async function pauseAt(page, time) {
  await command(page, `seek ${time}`);
  await page.waitForFunction((t) => window.weft.transport?.transport === 'paused' && window.weft.transport.time === t, time);
  await frames(page, 2);
}

/** `weft frame` of `file` at `width × height` and `time` (with `args`, such as `--camera`), decoded by the page. */
export async function reference(page, file, width, height, time, args = []) {
  const out = path.join(os.tmpdir(), `weft-webgl-${process.pid}-${path.basename(file)}.png`);
  const run = spawnSync(process.env.WEFT_BIN, ['frame', file, '--size', `${width}x${height}`, '--time', String(time), '--backend', 'cpu', '-o', out, ...args]);
  assert.equal(run.status, 0, String(run.stderr));
  const png = fs.readFileSync(out).toString('base64');
  fs.rmSync(out);
  const rgba = await page.evaluate(`(async () => {
    const image = new Image();
    image.src = 'data:image/png;base64,${png}';
    await image.decode();
    const c = document.createElement('canvas');
    c.width = image.width;
    c.height = image.height;
    const context = c.getContext('2d');
    context.drawImage(image, 0, 0);
    return (${BASE64})(context.getImageData(0, 0, c.width, c.height).data);
  })()`);
  return Buffer.from(rgba, 'base64');
}

/** How the page's last frame differs from `weft frame` of `file` at `time` (with `args`). */
export async function compare(page, file, time, args = []) {
  const got = await pixels(page);
  const want = await reference(page, file, got.width, got.height, time, args);
  assert.equal(want.length, got.data.length, file);
  let worst = 0;
  let over = 0;
  for (let i = 0; i < want.length; i += 1) {
    const d = Math.abs(want[i] - got.data[i]);
    worst = Math.max(worst, d);
    if (d > TOLERANCE) over += 1;
  }
  return { width: got.width, height: got.height, channels: want.length, worst, over };
}
