// The entry point of the live view: wires the socket (protocol.js) to the page —
// the tree and breadcrumb, the watched file's blocks, the display canvas, sound,
// transport, the parameters' widgets with MIDI learn, badges, the command bar and
// the timeline strip of segments and renders (timeline.js) — and keeps follow mode:
// unpinned, the page goes to the file that changed; pinned, it stays.
// The watched file is in the URL (`/#/path/file.weft`); the pin and the client id
// live in sessionStorage, so a reload keeps all three. `window.weft` exposes
// read-only state for tests and curious users.

import { connect } from './protocol.js';
import { Runs } from './runs.js';
import { renderBlocks, describeError } from './blocks.js';
import { renderTree, renderBreadcrumb, markCurrent, filePaths, fileHref, pathFromHash } from './tree.js';
import { Params } from './params.js';
import { Midi } from './midi.js';
import { Sound } from './audio.js';
import { CommandBar } from './commandbar.js';
import { Display, trackPointer } from './display.js';
import { GlDisplay } from './gl.js';
import { Timeline } from './timeline.js';
import { Microphone } from './mic.js';
import { LiveMirror } from './live-mic.js';

const PREVIEW = { width: 320, height: 180 };

const $ = (testid) => document.querySelector(`[data-testid="${testid}"]`);

const ui = {
  connection: $('connection'),
  breadcrumb: $('breadcrumb'),
  fileTitle: $('file-title'),
  fileName: $('file-name'),
  unsaved: $('unsaved'),
  pin: $('pin'),
  rootName: $('root-name'),
  tree: $('tree'),
  serverError: $('server-error'),
  canvas: $('canvas'),
  glCanvas: $('gl-canvas'),
  drawPath: $('draw-path'),
  fullscreen: $('fullscreen'),
  camera: $('camera'),
  mic: $('mic'),
  player: $('player'),
  transportState: $('transport-state'),
  time: $('time'),
  bpm: $('bpm'),
  meter: document.querySelector('[data-testid="meter"] .meter-bar'),
  runError: $('run-error'),
  blocks: $('blocks'),
  empty: $('empty'),
  sound: $('sound'),
};

const session = {
  get(key) {
    try {
      return sessionStorage.getItem(key);
    } catch {
      return null;
    }
  },
  set(key, value) {
    try {
      sessionStorage.setItem(key, value);
    } catch {
      // Storage may be disabled; the page still works for this visit.
    }
  },
};

const state = {
  clientId: session.get('weft.clientId') ?? newClientId(),
  pinned: session.get('weft.pinned') === '1',
  root: '',
  tree: null,
  file: '',
  serverRun: 0,
  transport: null,
  lastCommandResult: null,
  errors: [],
  runsCompleted: 0,
  followed: 0,
  /** The file has a display (its last complete run showed one). */
  hasDisplay: true,
  /** The pointer as the page last saw it (what `mouse@x/y` read). */
  pointer: { x: 0.5, y: 0.5 },
  /** id → value of each parameter, changed locally at once. */
  paramValues: new Map(),
};
session.set('weft.clientId', state.clientId);

const runs = new Runs();
const sound = new Sound();
function onPointer(pointer) {
  state.pointer = pointer;
  if (state.file) send({ type: 'pointer', ...pointer });
}
const display = new Display(ui.canvas, onPointer);
const gl = new GlDisplay(ui.glCanvas);
/** The watched file's live microphone as the server placed it (`WLIV`), for mic() in the shader. */
const liveMic = new LiveMirror();
gl.setLiveMic(liveMic);
gl.askCameraFrame = (frame) => send({ type: 'camera-frame', frame });
trackPointer(ui.glCanvas, onPointer);
const params = new Params($('params'), $('badges'), setParam);
const midi = new Midi({
  param: (id) => params.info(id),
  set: (id, value) => params.setValue(id, value),
  changed: () => params.drawLearn(),
});
params.midi = midi;
const commandBar = new CommandBar(
  {
    backdrop: $('command-bar-backdrop'),
    input: $('command-input'),
    suggestions: $('command-suggestions'),
    output: $('command-output'),
    opener: $('open-command-bar'),
  },
  {
    files: () => filePaths(state.tree),
    pinned: () => state.pinned,
    open: (path) => navigate(path),
    togglePin: () => setPinned(!state.pinned),
    run: (text) => {
      if (!send({ type: 'command', text })) commandBar.showResult({ ok: false, output: 'not connected to weft dev; reconnecting…' });
    },
  },
);

const timeline = new Timeline(
  {
    root: $('timeline'),
    settings: $('timeline-settings'),
    status: $('timeline-status'),
    render: $('timeline-render'),
    cancel: $('timeline-cancel'),
    note: $('timeline-unavailable'),
    message: $('timeline-message'),
    cells: $('timeline-cells'),
    video: $('render-video'),
  },
  { run: (text) => send({ type: 'command', text }) },
);

const socketUrl = `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/ws`;
const socket = connect(socketUrl, {
  open: onOpen,
  close: onClose,
  message: onMessage,
  frame: (frame) => display.frame(frame),
  pcm: (chunk) => sound.play(chunk),
  live: (chunk) => liveMic.receive(chunk),
  camera: (frame) => gl.setCameraFrame(frame),
});
// The browser's microphone for mic(), after the user asks (the browser asks too):
// its samples go to the server's audio side, which plays and draws them.
const microphone = new Microphone((buffer) => socket.sendBinary(buffer));

function send(message) {
  return socket.send(message);
}

// A dragged widget sends at most one `set-param` per parameter per animation frame
// (or per 100 ms in a hidden tab, which gets no frames and may still be steered by MIDI).
const paramsToSend = new Map();
const flushAt = { frame: 0, timer: 0 };
function flushParams() {
  cancelAnimationFrame(flushAt.frame);
  clearTimeout(flushAt.timer);
  for (const [pid, v] of paramsToSend) send({ type: 'set-param', id: pid, value: v });
  paramsToSend.clear();
}
function setParam(id, value) {
  state.paramValues.set(id, value);
  if (paramsToSend.size === 0) {
    flushAt.frame = requestAnimationFrame(flushParams);
    flushAt.timer = setTimeout(flushParams, 100);
  }
  paramsToSend.set(id, value);
}

// ---- connection --------------------------------------------------------------

function onOpen() {
  setConnection('connected', 'connected');
  if (!state.file) return;
  // After a reconnect, say again what this page watches and what it holds.
  const clientRun = runs.completeRun;
  const shaderKey = gl.message?.file === state.file && gl.message.key ? gl.message.key : undefined;
  send({ type: 'watch-file', path: state.file, clientId: state.clientId, preview: PREVIEW, clientRun, shaderKey });
  if (clientRun > 0) send({ type: 'request-load', path: state.file, clientRun });
}

function onClose() {
  setConnection('reconnecting', 'reconnecting…');
}

function setConnection(name, text) {
  ui.connection.dataset.state = name;
  ui.connection.textContent = text;
}

// ---- messages ----------------------------------------------------------------

function onMessage(message) {
  switch (message.type) {
    case 'hello':
      state.root = message.root ?? '';
      midi.setFile(state.root, state.file);
      state.serverRun = message.run ?? 0;
      document.querySelector('.brand').title = `weft dev ${message.version ?? ''}`.trim();
      setTree(message.tree);
      break;
    case 'directory-changed':
      setTree(message.tree);
      break;
    case 'file-changed':
      if (!state.pinned && typeof message.path === 'string' && message.path.endsWith('.weft') && message.path !== state.file) {
        state.followed += 1;
        navigate(message.path);
      }
      break;
    case 'run-start':
      if (runs.start(message)) {
        // An editor's unsaved text ran (weft lsp --dev); a save or close clears it.
        ui.unsaved.hidden = message.unsaved !== true;
        hideServerError();
        drawBlocks();
      }
      break;
    case 'block-result':
      if (runs.result(message)) drawBlocks();
      break;
    case 'run-end': {
      const outcome = runs.end(message);
      if (outcome === null) break;
      if (outcome !== 'cancelled') state.runsCompleted += 1;
      // A file without a display has no picture: no black box for it.
      if (outcome === 'complete') {
        state.hasDisplay = runs.shown.some((entry) => entry.desc.kind === 'display');
        showDisplay();
      }
      drawBlocks();
      drawRunError();
      if (runs.missing) {
        // The server thought we held a block we do not: ask for everything again.
        runs.missing = false;
        runs.completeRun = 0;
        send({ type: 'request-load', path: state.file, clientRun: 0 });
      }
      break;
    }
    case 'parameters':
      if (message.file === state.file) {
        params.set(message.params);
        state.paramValues = new Map((message.params ?? []).map((p) => [p.id, p.value]));
      }
      break;
    case 'parameter-changed':
      if (message.file === state.file) {
        params.update(message.id, message.value);
        state.paramValues.set(message.id, message.value);
      }
      break;
    case 'display-shader':
      gl.held.take(message);
      if (message.file !== state.file) break;
      // `unchanged`: the page holds this shader already (after a reconnect).
      if (message.unchanged) {
        if (gl.message?.key === message.key && !gl.active) gl.load(gl.message);
      } else {
        gl.load(message);
      }
      if (gl.missingSources) {
        // Watching again makes the server forget what it thinks the page holds.
        gl.missingSources = false;
        send({ type: 'watch-file', path: state.file, clientId: state.clientId, preview: PREVIEW, clientRun: runs.completeRun });
      }
      showDisplay();
      break;
    case 'state':
      if (message.file === state.file) {
        drawTransport(message);
        params.setBadges(message.badges);
      }
      break;
    case 'meter':
      if (message.file === state.file) {
        const peak = Math.max(message.peakL ?? 0, message.peakR ?? 0);
        state.meterPeak = peak;
        ui.meter.style.width = `${Math.min(100, Math.round(peak * 100))}%`;
      }
      break;
    case 'command-result':
      state.lastCommandResult = { text: message.text, ok: message.ok, output: message.output };
      commandBar.showResult(message);
      timeline.commandResult(message);
      break;
    case 'timeline':
      if (message.file === state.file) timeline.set(message);
      break;
    case 'error':
      state.errors.push({ code: message.code, message: message.message });
      if (state.errors.length > 50) state.errors.shift();
      showServerError(message);
      break;
    default:
      break;
  }
}

function setTree(tree) {
  state.tree = tree ?? null;
  ui.rootName.textContent = state.root;
  renderTree(ui.tree, state.tree, state.file);
  drawHeader();
  if (state.file && state.tree && !filePaths(state.tree).includes(state.file)) {
    showServerError({ code: 'gone', message: `${state.file} is not in the folder any more; what it showed stays until it comes back.` });
  }
}

function showServerError(message) {
  ui.serverError.hidden = false;
  ui.serverError.textContent = `${message.code ?? 'error'}: ${message.message ?? ''}`;
}

function hideServerError() {
  ui.serverError.hidden = true;
  ui.serverError.textContent = '';
}

// ---- the watched file ------------------------------------------------------------

/** Goes to `path` through the URL, so the history and a reload keep it. */
function navigate(path) {
  const href = fileHref(path);
  if (location.hash !== href) location.hash = href;
  else watch(path);
}

function watch(path) {
  if (path === state.file && runs.file === path) return;
  const previous = state.file;
  state.file = path;
  runs.reset(path);
  ui.unsaved.hidden = true;
  state.transport = null;
  state.paramValues = new Map();
  gl.fail('waiting for the display shader');
  params.set([]);
  params.setBadges([]);
  timeline.reset();
  liveMic.reset();
  midi.setFile(state.root, path);
  hideServerError();
  display.clear();
  drawBlocks();
  drawRunError();
  drawTransport(null);
  drawHeader();
  markCurrent(ui.tree, path);
  if (path) send({ type: 'watch-file', path, clientId: state.clientId, preview: PREVIEW });
  else if (previous) send({ type: 'unwatch-file', path: previous, clientId: state.clientId });
}

window.addEventListener('hashchange', () => watch(pathFromHash(location.hash)));

function drawHeader() {
  const name = state.file ? state.file.split('/').pop() : '';
  renderBreadcrumb(ui.breadcrumb, state.root, state.file);
  ui.fileName.textContent = name;
  ui.fileTitle.hidden = !state.file;
  ui.empty.hidden = Boolean(state.file);
  document.title = state.file ? `${name} — weft` : 'weft dev';
  drawPin();
}

function setPinned(pinned) {
  state.pinned = pinned;
  session.set('weft.pinned', pinned ? '1' : '0');
  drawPin();
}

function drawPin() {
  ui.pin.setAttribute('aria-pressed', String(state.pinned));
  ui.fileTitle.classList.toggle('pinned', state.pinned);
  ui.pin.title = state.pinned
    ? `Pinned: this page stays on ${state.file || 'this file'} when other files change, and still updates when it changes. Click to follow changes again.`
    : 'Following: this page goes to the file that changed. Click to pin it to this file.';
  ui.pin.setAttribute('aria-label', state.pinned ? 'Unpin (pinned to this file)' : 'Pin to this file');
}

ui.pin.addEventListener('click', () => setPinned(!state.pinned));

function drawBlocks() {
  renderBlocks(ui.blocks, runs.shown);
  // The Microphone button where a statement reads mic().
  ui.mic.hidden = !microphone.on && !runs.shown.some((entry) => /\bmic\s*\(/.test(entry.desc.code ?? ''));
}

function drawRunError() {
  const error = runs.runError;
  ui.runError.hidden = !error;
  ui.runError.textContent = error ? `${state.file} does not build — ${describeError(error)}. The last good program keeps playing.` : '';
}

// ---- transport and sound ------------------------------------------------------

for (const command of ['play', 'pause', 'stop']) {
  $(command).addEventListener('click', () => send({ type: 'command', text: command }));
}

function drawTransport(message) {
  state.transport = message
    ? {
      transport: message.transport, time: message.time, bpm: message.bpm, programVersion: message.programVersion,
      fps: message.fps, frames: message.frames, receivedAt: performance.now(),
    }
    : null;
  if (message?.transport !== 'playing') ui.meter.style.width = '0%';
  ui.transportState.textContent = message?.transport ?? '';
  ui.transportState.dataset.state = message?.transport ?? '';
  ui.time.textContent = typeof message?.time === 'number' ? `${message.time.toFixed(1)} s` : '';
  ui.bpm.textContent = typeof message?.bpm === 'number' ? `${message.bpm} bpm` : '';
  for (const command of ['play', 'pause', 'stop']) {
    $(command).classList.toggle('active', message?.transport === (command === 'play' ? 'playing' : command === 'pause' ? 'paused' : 'stopped'));
  }
}

ui.sound.addEventListener('click', async () => {
  if (sound.on) await sound.stop();
  else await sound.start();
  ui.sound.setAttribute('aria-pressed', String(sound.on));
  ui.sound.textContent = sound.on ? 'Sound off' : 'Sound on';
});

// ---- the picture ------------------------------------------------------------------

/** Shows the canvas that draws: the page's own WebGL2, else the streamed frames. */
function showDisplay() {
  ui.glCanvas.hidden = !state.hasDisplay || !gl.active;
  ui.canvas.hidden = !state.hasDisplay || gl.active;
  ui.camera.hidden = !(gl.active && gl.scopes.some((scope) => scope.part.cameraTexture));
  if (gl.message && gl.active) ui.player.style.setProperty('--aspect', `${gl.message.width} / ${gl.message.height}`);
  if (gl.message && gl.active) ui.glCanvas.style.aspectRatio = `${gl.message.width} / ${gl.message.height}`;
  const stats = drawStats();
  ui.drawPath.textContent = stats.path === 'webgl2'
    ? `webgl2 ${stats.width}×${stats.height} · ${gl.lastMs.toFixed(1)} ms`
    : 'frames';
  ui.drawPath.title = stats.path === 'webgl2' ? 'drawn by this page (WebGL2)' : `streamed frames: ${gl.reason ?? ''}`;
  ui.drawPath.dataset.path = stats.path;
}

/** me@time and me@abstime now: the transport's, advanced locally while playing. */
function clock() {
  const t = state.transport;
  if (!t || typeof t.time !== 'number') return { time: 0, abstime: 0 };
  const abstime = t.time + (t.transport === 'playing' ? (performance.now() - t.receivedAt) / 1000 : 0);
  const loop = gl.message?.loopLen;
  const time = loop > 0 ? abstime - loop * Math.floor(abstime / loop) : abstime;
  return { time, abstime };
}

/** The uniform slots: pointer, tempo and parameters where the shader reads them. */
const slots = [];
function slotValues() {
  const m = gl.message;
  slots.length = 0;
  slots[m.mouseX] = state.pointer.x;
  slots[m.mouseY] = state.pointer.y;
  slots[m.bpm] = state.transport?.bpm ?? 120;
  for (const p of m.params ?? []) slots[p.slot] = state.paramValues.get(p.id) ?? 0;
  return slots;
}

function drawStats() {
  return gl.active
    ? { path: 'webgl2', width: ui.glCanvas.width, height: ui.glCanvas.height, fps: gl.fps, reason: null, compileMs: gl.loadMs, key: gl.message.key, shownAt: gl.shownAt, loadedAt: gl.loadedAt }
    : { path: 'frames', width: ui.canvas.width, height: ui.canvas.height, fps: null, reason: gl.reason };
}

let statsShown = 0;
function animate(now) {
  // Asked first, so nothing below can stop the loop.
  requestAnimationFrame(animate);
  if (gl.active && state.hasDisplay) gl.draw(clock(), slotValues());
  if (ui.glCanvas.hidden === gl.active || now - statsShown > 250) {
    statsShown = now;
    showDisplay();
  }
}
requestAnimationFrame(animate);

// The browser's camera for camera(), after the user asks (the browser asks too).
let cameraError = null;
ui.camera.addEventListener('click', async () => {
  if (gl.camera) return;
  try {
    const stream = await navigator.mediaDevices.getUserMedia({ video: true, audio: false });
    const video = document.createElement('video');
    video.muted = true;
    video.playsInline = true;
    video.srcObject = stream;
    await video.play();
    gl.setCamera(video);
    cameraError = null;
    ui.camera.setAttribute('aria-pressed', 'true');
  } catch (error) {
    cameraError = `the camera is not available: ${error?.message ?? error}`;
    ui.camera.title = cameraError;
  }
});

ui.mic.addEventListener('click', async () => {
  if (microphone.on) {
    microphone.stop();
  } else {
    await microphone.start();
  }
  ui.mic.setAttribute('aria-pressed', String(microphone.on));
  ui.mic.title = microphone.error ?? (microphone.on
    ? 'Sending this device\'s microphone to mic(); click to stop'
    : 'Send this device\'s microphone to mic() (the page only; renders use --mic)');
});

function toggleFullscreen() {
  if (document.fullscreenElement) document.exitFullscreen().catch(() => {});
  else ui.player.requestFullscreen?.().catch(() => {});
}
ui.fullscreen.addEventListener('click', toggleFullscreen);
document.addEventListener('keydown', (event) => {
  if (event.key !== 'f' && event.key !== 'F') return;
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  const target = event.target;
  if (target instanceof HTMLElement && (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName))) return;
  event.preventDefault();
  toggleFullscreen();
});

// ---- start ---------------------------------------------------------------------

function newClientId() {
  const bytes = new Uint8Array(6);
  crypto.getRandomValues(bytes);
  return `c-${[...bytes].map((b) => b.toString(16).padStart(2, '0')).join('')}`;
}

watch(pathFromHash(location.hash));
drawHeader();

window.weft = Object.freeze({
  get clientId() { return state.clientId; },
  get connected() { return socket.connected; },
  get file() { return state.file; },
  get pinned() { return state.pinned; },
  /** The last run of the file received completely. */
  get run() { return runs.completeRun; },
  get runsCompleted() { return state.runsCompleted; },
  get runError() { return runs.runError ? { ...runs.runError } : null; },
  get blocks() {
    return runs.shown.map((entry) => ({
      id: entry.id,
      kind: entry.desc.kind,
      name: entry.desc.name,
      state: entry.state,
      views: (entry.views ?? []).map((view) => ({ kind: view.kind, output: view.output, value: view.value })),
      error: entry.error ? { ...entry.error } : null,
    }));
  },
  get params() { return params.values(); },
  /** `#badge` values the last `state` carried: name → value (null before a picture). */
  get badges() { return params.badgeValues(); },
  /** Feeds one MIDI message ([status, data1, data2]) through the page's MIDI path. */
  midi(bytes) { return midi.receive(Array.from(bytes ?? [])); },
  /** MIDI: access, inputs, the widget learning, the bindings of this file. */
  get midiStatus() { return midi.status(); },
  get transport() { return state.transport ? { ...state.transport } : null; },
  /** How the picture is drawn now: {path: 'webgl2' | 'frames', width, height, fps, reason}. */
  drawStats() { return drawStats(); },
  get glFramesDrawn() { return gl.framesDrawn; },
  /** The uniform block of the last WebGL2 frame: 12 header words, then the slots (as floats). */
  glUniforms() { return gl.floats ? Array.from(gl.floats) : null; },
  /** Whether camera() shows the browser's camera, and why not when it failed. */
  get camera() { return { on: gl.camera !== null, error: cameraError }; },
  /** The index of the `--camera` frame the page's camera texture holds (-1: none yet). */
  get cameraFrameShown() { return gl.cameraShown; },
  /** How many times sources' words were uploaded to the GPU (a shader reusing a picture uploads none). */
  get sourceUploads() { return gl.sourceUploads; },
  /** Whether mic() hears the browser's microphone, frames sent, why not when it failed. */
  get mic() { return { on: microphone.on, framesSent: microphone.framesSent, peak: microphone.peak, error: microphone.error }; },
  /** The page's copy of the live microphone: {rate, start, end, chunks} (indices of samples). */
  get liveMic() { return liveMic.held; },
  /** The sample of that copy mic() reads at `time` (0 where none is held). */
  liveMicAt(time) { return liveMic.at(time); },
  /** The loudest output of the last `meter` message (0 without one). */
  get meterPeak() { return state.meterPeak ?? 0; },
  /** The last frame the page drew with WebGL2: {width, height, data: RGBA rows from the top}, or null. */
  readDisplay() {
    const frame = gl.read();
    return frame && { width: frame.width, height: frame.height, data: Array.from(frame.data) };
  },
  get framesReceived() { return display.framesReceived; },
  get framesDrawn() { return display.framesDrawn; },
  get lastFrame() { return display.lastFrame ? { ...display.lastFrame } : null; },
  get audioChunks() { return sound.received; },
  get audioScheduled() { return sound.scheduled; },
  get soundOn() { return sound.on; },
  get lastCommandResult() { return state.lastCommandResult ? { ...state.lastCommandResult } : null; },
  get errors() { return state.errors.map((e) => ({ ...e })); },
  get files() { return filePaths(state.tree); },
  get followed() { return state.followed; },
  /** The last `timeline` message of the watched file (a copy), or null. */
  get timeline() { return timeline.snapshot(); },
});
