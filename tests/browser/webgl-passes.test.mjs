// A picture split around sound — two visual batches with a sound file's batch
// between them — drawn by the page with WebGL2 as one shader (the first batch's
// strands computed again where the second reads them), against `weft frame`.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { makeFolder, startServer, launchBrowser } from './harness.mjs';
import { TOLERANCE, compare, openPaused, pauseAt } from './drawn.mjs';

const TONE = `play(0.5 * sin(me@time * tau * 3), 0.25 * sin(me@time * tau * 5))
`;
/** `rings`, `glow` | `beat` (sound) | `shade`, display: `weft graph` shows three batches. */
const SPLIT = `rings<v> = fract(sqrt((me@x - 0.5)^2 + (me@y - 0.5)^2) * 6 - me@time * 0.5)
glow<v> = rings@v * rings@v
beat<l, r> = sample("beat.wav")
shade<v> = glow@v * 0.7 + abs(beat@l) * 0.5
display(shade@v, glow@v, rings@v * 0.5)
play(beat@l, beat@r)
`;

let own;
let server;
let browser;
let page;

before(async () => {
  own = makeFolder({ 'tone.weft': TONE, 'split.weft': SPLIT });
  const wav = spawnSync(process.env.WEFT_BIN, ['audio', path.join(own, 'tone.weft'), '--duration', '3', '-o', path.join(own, 'beat.wav')]);
  assert.equal(wav.status, 0, String(wav.stderr));
  const graph = spawnSync(process.env.WEFT_BIN, ['graph', path.join(own, 'split.weft')]);
  assert.match(String(graph.stdout), /1 visual[\s\S]*2 audio[\s\S]*3 visual/, 'two visual batches around the sound');
  server = await startServer(own);
  browser = await launchBrowser();
  page = await openPaused(browser, server.url, 'split.weft');
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

for (const at of [0.1, 0.6, 1.3, 2.2]) {
  test(`at ${at} s the page draws the split picture as weft frame does`, async () => {
    await pauseAt(page, at);
    const d = await compare(page, path.join(own, 'split.weft'), at);
    assert.equal(d.over, 0, `at ${at} s: ${d.over} channels over ${TOLERANCE} (worst ${d.worst})`);
    assert.equal((await page.evaluate(() => window.weft.drawStats())).path, 'webgl2');
    assert.deepEqual(page.consoleErrors, []);
  });
}
