// The page's decoding code against what the server really sends: every message
// recorded in the server's transcripts (crates/weft-server/tests/transcripts,
// played against a real server by the Rust test `transcripts.rs`) goes through
// web/protocol.js's `decodeMessage`, and each client's run messages through
// web/runs.js, as the page would. A server change that breaks the page fails here.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';

// Loaded from their text: web/ has no package.json (see runs.test.mjs); neither
// module imports anything.
async function load(name) {
  const source = fs.readFileSync(new URL(`../../web/${name}`, import.meta.url), 'utf8');
  return import(`data:text/javascript,${encodeURIComponent(source)}`);
}
const { decodeMessage } = await load('protocol.js');
const { Runs } = await load('runs.js');

const folder = new URL('../../crates/weft-server/tests/transcripts/', import.meta.url);
const transcripts = fs.readdirSync(folder).filter((name) => name.endsWith('.txt')).sort();

/** The message lines of a transcript: { client, dir: '>' | '<', json, line }. */
function messages(text) {
  const out = [];
  text.split('\n').forEach((line, index) => {
    const match = /^([A-Za-z0-9]*)([<>]) (.*)$/.exec(line);
    if (match) out.push({ client: match[1], dir: match[2], json: match[3], line: index + 1 });
  });
  return out;
}

test('there are transcripts to check', () => {
  assert.ok(transcripts.length >= 6, transcripts.join(', '));
});

for (const name of transcripts) {
  test(`the page reads every message of ${name}`, () => {
    const text = fs.readFileSync(new URL(name, folder), 'utf8');
    // One page per client: what it watches and what it holds of its runs.
    const pages = new Map();
    const page = (client) => {
      if (!pages.has(client)) pages.set(client, { runs: new Runs(), ends: 0, borrowed: false });
      return pages.get(client);
    };
    let received = 0;
    for (const { client, dir, json, line } of messages(text)) {
      const where = `${name}:${line}`;
      const p = page(client);
      if (dir === '>') {
        const sent = JSON.parse(json);
        if (sent.type === 'watch-file' && sent.path !== p.runs.file) p.runs.reset(sent.path);
        // A test client may claim a run another client received (the page only
        // claims what it holds): its `unchanged` blocks are not held here.
        if ('clientRun' in sent) p.borrowed = typeof sent.clientRun === 'string';
        continue;
      }
      received += 1;
      const message = decodeMessage(json);
      assert.ok(message, `${where}: the page drops ${json}`);
      if (message.type === 'run-start') {
        assert.equal(p.runs.start(message), true, `${where}: a run of another file`);
        assert.ok(p.runs.shown.every((entry) => entry.desc.name !== undefined), where);
      } else if (message.type === 'block-result') {
        const entry = p.runs.result(message);
        assert.ok(entry, `${where}: a result the page does not take`);
        assert.ok(['ok', 'error', 'stale'].includes(entry.state), `${where}: ${entry.state}`);
        if (entry.state === 'ok') assert.ok(Array.isArray(entry.views), where);
        if (entry.state === 'error') assert.equal(typeof entry.error.message, 'string', where);
      } else if (message.type === 'run-end') {
        const outcome = p.runs.end(message);
        assert.ok(outcome, `${where}: an end the page does not take`);
        p.ends += 1;
        if (outcome !== 'cancelled') {
          assert.equal(p.runs.completeRun, message.run, where);
          assert.ok(p.runs.shown.every((entry) => entry.state !== 'pending'), `${where}: a block left pending`);
          if (!p.borrowed) assert.equal(p.runs.missing, false, `${where}: \`unchanged\` for a block the page does not hold`);
          p.runs.missing = false;
          assert.equal(Boolean(p.runs.runError), outcome === 'failed', where);
        }
      }
    }
    assert.ok(received > 0, `${name} records no message`);
  });
}

test('messages missing what the page reads are dropped', () => {
  const warn = console.warn;
  console.warn = () => {};
  try {
    for (const bad of [
      'not json',
      '{"run": 1}',
      '{"type": "run-start", "file": "a.weft", "run": 1, "block_ids": [], "dirty": [], "blocks": []}',
      '{"type": "block-result", "run": 1, "block": "b-1", "ok": true}',
      '{"type": "block-result", "run": "1", "block": "b-1", "unchanged": true}',
      '{"type": "run-end", "run": 1, "error": {"text": "x"}}',
      '{"type": "state", "file": "a.weft", "transport": "playing", "time": 1, "bpm": 120}',
    ]) {
      assert.equal(decodeMessage(bad), null, bad);
    }
  } finally {
    console.warn = warn;
  }
  assert.deepEqual(decodeMessage('{"type": "something-new", "x": 1}'), { type: 'something-new', x: 1 });
});
