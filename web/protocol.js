// The WebSocket to `weft dev` (docs/protocol.md): one connection that reconnects
// with exponential backoff, JSON text messages in and out, and the decoding of the
// binary frames (`WFRM` pictures, `WPCM` sound, `WLIV` live microphone samples,
// `WCAM` camera frames). Knows nothing about the page.

const MIN_DELAY_MS = 100;
const MAX_DELAY_MS = 5000;

/**
 * Opens `ws://<host>/ws` and keeps it open.
 * handlers: { open(), close(), message(obj), frame(frame), pcm(chunk) }.
 * Returns { send(obj) → bool, sendBinary(buffer) → bool, get connected }.
 */
export function connect(url, handlers) {
  let socket = null;
  let delay = MIN_DELAY_MS;
  let connected = false;

  function open() {
    socket = new WebSocket(url);
    socket.binaryType = 'arraybuffer';
    socket.addEventListener('open', () => {
      connected = true;
      delay = MIN_DELAY_MS;
      handlers.open();
    });
    socket.addEventListener('message', (event) => {
      if (typeof event.data === 'string') {
        const message = decodeMessage(event.data);
        if (message) handlers.message(message);
      } else {
        const decoded = decodeBinary(event.data);
        if (decoded?.kind === 'frame') handlers.frame(decoded);
        else if (decoded?.kind === 'pcm') handlers.pcm(decoded);
        else if (decoded?.kind === 'live') handlers.live?.(decoded);
        else if (decoded?.kind === 'camera') handlers.camera?.(decoded);
      }
    });
    socket.addEventListener('close', () => {
      const was = connected;
      connected = false;
      socket = null;
      if (was) handlers.close();
      setTimeout(open, delay);
      delay = Math.min(delay * 2, MAX_DELAY_MS);
    });
    // An error is always followed by a close; the close schedules the retry.
    socket.addEventListener('error', () => {});
  }

  open();
  return {
    send(message) {
      if (!socket || socket.readyState !== WebSocket.OPEN) return false;
      socket.send(JSON.stringify(message));
      return true;
    },
    /** Sends one binary frame (a `WMIC`); false while disconnected. */
    sendBinary(buffer) {
      if (!socket || socket.readyState !== WebSocket.OPEN) return false;
      socket.send(buffer);
      return true;
    },
    get connected() {
      return connected;
    },
  };
}

// The fields the page reads of each server message (docs/protocol.md), by the
// type `typeof` gives ('array' for arrays). A message that lacks one is dropped
// with a warning rather than half-applied.
const FIELDS = {
  hello: { version: 'string', root: 'string', tree: 'object', run: 'number' },
  'run-start': { file: 'string', run: 'number', blockIds: 'array', dirty: 'array', blocks: 'array' },
  'block-result': { run: 'number', block: 'string' },
  'run-end': { run: 'number' },
  'file-changed': { path: 'string', watched: 'boolean' },
  'directory-changed': { tree: 'object' },
  parameters: { file: 'string', params: 'array' },
  'parameter-changed': { file: 'string', id: 'string', value: 'number' },
  state: { file: 'string', transport: 'string', time: 'number', bpm: 'number', programVersion: 'number' },
  meter: { file: 'string', peakL: 'number', peakR: 'number', rmsL: 'number', rmsR: 'number' },
  'command-result': { text: 'string', ok: 'boolean', output: 'string' },
  error: { code: 'string', message: 'string' },
};

const BLOCK_FIELDS = { kind: 'string', name: 'string', line: 'number', endLine: 'number', code: 'string' };
const ERROR_FIELDS = { message: 'string', line: 'number', column: 'number' };

function kindOf(value) {
  if (Array.isArray(value)) return 'array';
  if (value === null) return 'null';
  return typeof value;
}

function missing(object, fields) {
  return Object.entries(fields).find(([name, kind]) => kindOf(object?.[name]) !== kind)?.[0] ?? null;
}

/** Why a message the page would act on is malformed, or null when it is sound. */
function problem(message) {
  const fields = FIELDS[message.type];
  if (!fields) return null; // a type this page does not know: ignored, not an error
  const field = missing(message, fields);
  if (field) return `field \`${field}\``;
  if (message.type === 'run-start') {
    const bad = message.blocks.find((block) => kindOf(block?.id) !== 'string' || missing(block, BLOCK_FIELDS));
    if (bad) return 'a block';
  }
  if (message.type === 'block-result' && message.unchanged !== true) {
    if (kindOf(message.ok) !== 'boolean') return 'field `ok`';
    if (message.ok && message.stale !== true && kindOf(message.result?.views) !== 'array') return 'field `result.views`';
    if (!message.ok && missing(message.error, ERROR_FIELDS)) return 'field `error`';
  }
  if (message.type === 'run-end' && message.error !== undefined && missing(message.error, ERROR_FIELDS)) return 'field `error`';
  return null;
}

/**
 * Decodes one text frame from the server: the message object, or null (with a
 * warning) when it is not JSON, has no `type`, or lacks a field the page reads.
 */
export function decodeMessage(text) {
  let message;
  try {
    message = JSON.parse(text);
  } catch {
    console.warn('weft: a text frame that is not JSON', text.slice(0, 200));
    return null;
  }
  if (!message || typeof message.type !== 'string') return null;
  const why = problem(message);
  if (why) {
    console.warn(`weft: a \`${message.type}\` message with a missing or malformed ${why}`, text.slice(0, 200));
    return null;
  }
  return message;
}

const TAG_FRAME = 0x4d524657; // "WFRM" read as a little-endian u32
const TAG_PCM = 0x4d435057; // "WPCM"
const TAG_LIVE = 0x56494c57; // "WLIV"
const TAG_CAMERA = 0x4d414357; // "WCAM"

/** Decodes one binary frame; null when it is not `WFRM`, `WPCM`, `WLIV` or `WCAM`, or is short. */
export function decodeBinary(buffer) {
  if (!(buffer instanceof ArrayBuffer) || buffer.byteLength < 16) return null;
  const view = new DataView(buffer);
  const tag = view.getUint32(0, true);
  if (tag === TAG_FRAME) {
    if (buffer.byteLength < 20) return null;
    const width = view.getUint32(4, true);
    const height = view.getUint32(8, true);
    const index = view.getUint32(12, true);
    const time = view.getFloat32(16, true);
    const size = width * height * 4;
    if (width === 0 || height === 0 || buffer.byteLength < 20 + size) return null;
    const pixels = new Uint8ClampedArray(buffer, 20, size);
    return { kind: 'frame', width, height, index, time, pixels };
  }
  if (tag === TAG_PCM) {
    const rate = view.getUint32(4, true);
    const channels = view.getUint32(8, true);
    const frames = view.getUint32(12, true);
    const count = frames * channels;
    if (rate === 0 || channels === 0 || buffer.byteLength < 16 + count * 4) return null;
    // The samples start at byte 16, which is 4-aligned, so a Float32Array view works.
    const samples = new Float32Array(buffer, 16, count);
    return { kind: 'pcm', rate, channels, frames, samples };
  }
  if (tag === TAG_CAMERA) {
    const width = view.getUint32(4, true);
    const height = view.getUint32(8, true);
    const index = view.getUint32(12, true);
    if (width === 0 || height === 0 || buffer.byteLength !== 16 + width * height * 4) return null;
    return { kind: 'camera', width, height, index, pixels: new Uint8Array(buffer, 16) };
  }
  if (tag === TAG_LIVE) {
    if (buffer.byteLength < 24) return null;
    const rate = view.getUint32(4, true);
    const restarted = (view.getUint32(8, true) & 1) === 1;
    const from = view.getUint32(12, true) + view.getUint32(16, true) * 2 ** 32;
    const count = view.getUint32(20, true);
    if (rate === 0 || buffer.byteLength !== 24 + count * 4) return null;
    return { kind: 'live', rate, restarted, from, samples: new Float32Array(buffer, 24, count) };
  }
  return null;
}
