// Unit tests of web/runs.js (what the page holds of a file's runs), without a
// browser: unchanged results come from the held ones, a failed build keeps the
// last good views marked stale, a cancelled run is dropped, other files ignored.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';

// web/ has no package.json saying its .js files are ES modules (the browser needs
// none), so load the module from its text; runs.js imports nothing.
const source = fs.readFileSync(new URL('../../web/runs.js', import.meta.url), 'utf8');
const { Runs } = await import(`data:text/javascript,${encodeURIComponent(source)}`);

const desc = (id, name, kind = 'strand') => ({ id, kind, name, line: 1, endLine: 1, code: `${name}<v> = 1`, prose: null });
const number = (value) => ({ views: [{ kind: 'number', output: 'v', value }] });

function complete(runs, run, blocks, results) {
  runs.start({ type: 'run-start', file: 'a.weft', run, blockIds: blocks.map((b) => b.id), dirty: [], blocks });
  for (const result of results) runs.result({ type: 'block-result', run, ...result });
  return runs.end({ type: 'run-end', run });
}

test('a complete run is held, and unchanged blocks come from what is held', () => {
  const runs = new Runs();
  runs.reset('a.weft');
  assert.equal(complete(runs, 10, [desc('b-1', 'x'), desc('b-2', 'y')], [
    { block: 'b-1', ok: true, result: number(1) },
    { block: 'b-2', ok: true, result: number(2) },
  ]), 'complete');
  assert.equal(runs.completeRun, 10);

  complete(runs, 11, [desc('b-1', 'x'), desc('b-3', 'y')], [
    { block: 'b-1', unchanged: true },
    { block: 'b-3', ok: true, result: number(3) },
  ]);
  assert.deepEqual(runs.shown.map((e) => [e.id, e.state, e.views[0].value]), [['b-1', 'ok', 1], ['b-3', 'ok', 3]]);
  assert.equal(runs.missing, false);
});

test('a failed build keeps the last good views, stale, with the error', () => {
  const runs = new Runs();
  runs.reset('a.weft');
  complete(runs, 10, [desc('b-1', 'x'), desc('b-2', 'y')], [
    { block: 'b-1', ok: true, result: number(1) },
    { block: 'b-2', ok: true, result: number(2) },
  ]);
  runs.start({ type: 'run-start', file: 'a.weft', run: 12, blockIds: ['s-1', 's-2'], dirty: [], blocks: [desc('s-1', 'x'), desc('s-2', 'y')] });
  // While the run is under way the old views stay.
  assert.deepEqual(runs.shown.map((e) => [e.state, e.views[0].value]), [['pending', 1], ['pending', 2]]);
  runs.result({ type: 'block-result', run: 12, block: 's-1', ok: true, stale: true });
  const error = { code: 'E0201', message: 'unknown name', line: 2, column: 8 };
  runs.result({ type: 'block-result', run: 12, block: 's-2', ok: false, error });
  assert.equal(runs.end({ type: 'run-end', run: 12, error }), 'failed');
  assert.deepEqual(runs.shown.map((e) => [e.id, e.state, e.views[0].value]), [['s-1', 'stale', 1], ['s-2', 'error', 2]]);
  assert.deepEqual(runs.shown[1].error, error);
  assert.deepEqual(runs.runError, error);
  assert.equal(runs.completeRun, 12);

  // Asked again (a reconnect), the same failed run comes back as unchanged.
  complete(runs, 12, [desc('s-1', 'x'), desc('s-2', 'y')], [
    { block: 's-1', unchanged: true },
    { block: 's-2', unchanged: true },
  ]);
  assert.deepEqual(runs.shown.map((e) => [e.state, e.views[0].value]), [['stale', 1], ['error', 2]]);
});

test('results of other runs and files are ignored; a cancelled run is dropped', () => {
  const runs = new Runs();
  runs.reset('a.weft');
  assert.equal(runs.start({ type: 'run-start', file: 'b.weft', run: 5, blockIds: ['b-9'], blocks: [desc('b-9', 'z')] }), false);
  assert.equal(runs.result({ type: 'block-result', run: 5, block: 'b-9', ok: true, result: number(9) }), null);
  runs.start({ type: 'run-start', file: 'a.weft', run: 6, blockIds: ['b-1'], blocks: [desc('b-1', 'x')] });
  assert.equal(runs.end({ type: 'run-end', run: 6, cancelled: true }), 'cancelled');
  assert.equal(runs.completeRun, 0);
  assert.equal(runs.pending, null);
});

test('an unchanged block the page does not hold is noticed', () => {
  const runs = new Runs();
  runs.reset('a.weft');
  complete(runs, 7, [desc('b-1', 'x')], [{ block: 'b-1', unchanged: true }]);
  assert.equal(runs.missing, true);
});
