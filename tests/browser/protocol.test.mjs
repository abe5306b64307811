// Unit tests of web/protocol.js's binary frame decoding (`WFRM` pictures, `WPCM`
// sound, `WLIV` live microphone samples, `WCAM` camera frames, docs/protocol.md "Binary frames"), without a browser.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';

// Loaded from its text: web/ has no package.json (see runs.test.mjs); it imports nothing.
const source = fs.readFileSync(new URL('../../web/protocol.js', import.meta.url), 'utf8');
const { decodeBinary } = await import(`data:text/javascript,${encodeURIComponent(source)}`);

function header(tag, words, extra) {
  const buffer = new ArrayBuffer(4 + words.length * 4 + extra);
  const view = new DataView(buffer);
  for (let i = 0; i < 4; i++) view.setUint8(i, tag.charCodeAt(i));
  return { buffer, view };
}

test('a WFRM frame: size, index, time and RGBA rows', () => {
  const { buffer, view } = header('WFRM', [0, 0, 0, 0], 2 * 1 * 4);
  view.setUint32(4, 2, true);
  view.setUint32(8, 1, true);
  view.setUint32(12, 75, true);
  view.setFloat32(16, 2.5, true);
  new Uint8Array(buffer, 20).set([255, 0, 0, 255, 0, 0, 255, 255]);
  const frame = decodeBinary(buffer);
  assert.equal(frame.kind, 'frame');
  assert.deepEqual([frame.width, frame.height, frame.index, frame.time], [2, 1, 75, 2.5]);
  assert.deepEqual([...frame.pixels], [255, 0, 0, 255, 0, 0, 255, 255]);
});

test('a WPCM chunk: rate, channels and interleaved samples', () => {
  const { buffer, view } = header('WPCM', [0, 0, 0], 3 * 2 * 4);
  view.setUint32(4, 48000, true);
  view.setUint32(8, 2, true);
  view.setUint32(12, 3, true);
  [0.5, -0.5, 0.25, -0.25, 0, 1].forEach((s, i) => view.setFloat32(16 + i * 4, s, true));
  const chunk = decodeBinary(buffer);
  assert.equal(chunk.kind, 'pcm');
  assert.deepEqual([chunk.rate, chunk.channels, chunk.frames], [48000, 2, 3]);
  assert.deepEqual([...chunk.samples], [0.5, -0.5, 0.25, -0.25, 0, 1]);
});

test('short, truncated or unknown frames are dropped', () => {
  assert.equal(decodeBinary(new ArrayBuffer(8)), null);
  const { buffer, view } = header('WFRM', [0, 0, 0, 0], 4);
  view.setUint32(4, 2, true);
  view.setUint32(8, 2, true);
  assert.equal(decodeBinary(buffer), null, 'fewer pixels than width × height');
  assert.equal(decodeBinary(header('WXYZ', [1, 1, 1, 1], 64).buffer), null);
  const pcm = header('WPCM', [0, 0, 0], 4);
  pcm.view.setUint32(4, 48000, true);
  pcm.view.setUint32(8, 2, true);
  pcm.view.setUint32(12, 10, true);
  assert.equal(decodeBinary(pcm.buffer), null, 'fewer samples than frames × channels');
});

test('a WLIV frame: rate, restart, the first index (64-bit) and the samples', () => {
  const { buffer, view } = header('WLIV', [0, 0, 0, 0, 0], 2 * 4);
  view.setUint32(4, 44100, true);
  view.setUint32(8, 1, true);
  view.setUint32(12, 7, true);
  view.setUint32(16, 1, true);
  view.setUint32(20, 2, true);
  view.setFloat32(24, 0.5, true);
  view.setFloat32(28, -1, true);
  const live = decodeBinary(buffer);
  assert.equal(live.kind, 'live');
  assert.deepEqual([live.rate, live.restarted, live.from], [44100, true, 2 ** 32 + 7]);
  assert.deepEqual([...live.samples], [0.5, -1]);
  view.setUint32(20, 3, true);
  assert.equal(decodeBinary(buffer), null, 'a count its length does not hold');
  view.setUint32(20, 2, true);
  view.setUint32(4, 0, true);
  assert.equal(decodeBinary(buffer), null, 'no rate');
});

test('a WCAM frame: size, the frame index and RGBA rows', () => {
  const { buffer, view } = header('WCAM', [0, 0, 0], 2 * 1 * 4);
  view.setUint32(4, 2, true);
  view.setUint32(8, 1, true);
  view.setUint32(12, 9, true);
  new Uint8Array(buffer, 16).set([1, 2, 3, 255, 4, 5, 6, 255]);
  const frame = decodeBinary(buffer);
  assert.equal(frame.kind, 'camera');
  assert.deepEqual([frame.width, frame.height, frame.index], [2, 1, 9]);
  assert.deepEqual([...frame.pixels], [1, 2, 3, 255, 4, 5, 6, 255]);
  view.setUint32(8, 2, true);
  assert.equal(decodeBinary(buffer), null, 'fewer pixels than width × height');
});
