// A program with segments drawn by the page with WebGL2: each segment its own
// picture and its own clock, against `weft frame` at the same size and time.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { makeFolder, startServer, launchBrowser } from './harness.mjs';
import { TOLERANCE, compare, openPaused, pauseAt } from './drawn.mjs';

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

let own;
let server;
let browser;
let page;

before(async () => {
  own = makeFolder({ 'parts.weft': PARTS });
  server = await startServer(own);
  browser = await launchBrowser();
  page = await openPaused(browser, server.url, 'parts.weft');
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

// In each segment, at its start, inside it, and past the end (the last one, looped).
for (const at of [0.25, 0.75, 1.0, 2.5, 3.2, 4.1, 5.0]) {
  test(`at ${at} s the page draws the segment playing then, at its own time`, async () => {
    await pauseAt(page, at);
    const d = await compare(page, path.join(own, 'parts.weft'), at);
    assert.equal(d.over, 0, `at ${at} s: ${d.over} channels over ${TOLERANCE} (worst ${d.worst})`);
    assert.equal((await page.evaluate(() => window.weft.drawStats())).path, 'webgl2');
    assert.deepEqual(page.consoleErrors, []);
  });
}
