// Every example with a display, drawn by the page with WebGL2 (SwiftShader in
// headless Chromium), against `weft frame` at the same size and time. One test per
// example, so a failure names it and each has its own time budget.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, launchBrowser, waitLoaded } from './harness.mjs';
import { TOLERANCE, command, compare, openSmall, pauseAt, waitWebgl } from './drawn.mjs';

const EXAMPLES = path.resolve(import.meta.dirname, '../../examples');
/**
 * Examples that sample a picture: where `x · W` falls within f32 rounding of a
 * pixel edge, the shader may take the neighbouring pixel (docs/language.md), so a
 * few channels — at most this fraction — may differ by more.
 */
const EDGE_FRACTION = { 'image.weft': 0.0005 };

const displays = fs.readdirSync(EXAMPLES)
  .filter((f) => f.endsWith('.weft'))
  .filter((f) => /^\s*display\s*\(/m.test(fs.readFileSync(path.join(EXAMPLES, f), 'utf8')))
  .sort();

let examples;
let server;
let browser;
let page;

before(async () => {
  examples = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-examples-'));
  fs.cpSync(EXAMPLES, examples, { recursive: true });
  server = await startServer(examples);
  browser = await launchBrowser();
  page = await openSmall(browser, server.url);
});

after(async () => {
  assert.deepEqual(page?.consoleErrors ?? [], []);
  await browser?.close();
  await server?.stop();
  fs.rmSync(examples, { recursive: true, force: true });
});

test('the examples have displays to draw', () => {
  assert.ok(displays.length >= 5, `examples with a display: ${displays}`);
});

for (const name of displays) {
  test(`${name} is drawn by the page as weft frame draws it`, async () => {
    await page.goto(`${server.url}#/${name}`);
    await waitLoaded(page, name);
    await waitWebgl(page);
    await command(page, 'pause');
    await pauseAt(page, 1.25);
    const d = await compare(page, path.join(examples, name), 1.25);
    const allowed = Math.floor((EDGE_FRACTION[name] ?? 0) * d.channels);
    assert.ok(d.over <= allowed, `${name} at ${d.width}x${d.height}: ${d.over} channels over ${TOLERANCE} (worst ${d.worst}), ${allowed} allowed`);
  });
}
