// Shared set-up of the end-to-end tests: a temporary folder of .weft files, the
// real `weft dev` serving it (the binary named by WEFT_BIN), and Debian's Chromium
// driven by playwright-core. Every wait is on a condition, never a fixed sleep.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.WEFT_CHROMIUM || '/usr/bin/chromium';
const WAIT_MS = 15000;

/** A fresh folder holding `files` ({relative path: text}). */
export function makeFolder(files) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-browser-'));
  for (const [name, text] of Object.entries(files)) writeFile(dir, name, text);
  return dir;
}

/** Writes like an editor's atomic save: a temporary file renamed over the old one. */
export function writeFile(dir, name, text) {
  const target = path.join(dir, name);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const temp = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.tmp`);
  fs.writeFileSync(temp, text);
  fs.renameSync(temp, target);
}

/**
 * Starts `weft dev DIR --port PORT` (0: any free port) and resolves once it printed
 * `weft dev: serving DIR at http://127.0.0.1:PORT/`. Returns { url, port, stop(), output() }.
 * `env` (optional) adds variables to the server's environment (such as WEFT_FFMPEG),
 * `args` arguments to `weft dev` (such as `--camera FILE`).
 */
export async function startServer(dir, port = 0, { env = {}, args = [] } = {}) {
  const bin = process.env.WEFT_BIN;
  if (!bin) throw new Error('WEFT_BIN is not set: run these tests through `cargo test -p weft-cli --test browser`, or set WEFT_BIN to a weft binary');
  const child = spawn(bin, ['dev', dir, '--port', String(port), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  // Never outlive the test process, whatever ends it.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  child.once('exit', () => process.removeListener('exit', killOnExit));
  let log = '';
  child.stderr.on('data', (chunk) => { log += chunk; });
  const lines = createInterface({ input: child.stdout });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const first = await Promise.race([
    new Promise((resolve) => lines.once('line', resolve)),
    exited.then(({ code, signal }) => { throw new Error(`weft dev exited (${code ?? signal}) before serving:\n${log}`); }),
    timeout(WAIT_MS, `weft dev printed nothing in ${WAIT_MS} ms:\n${log}`),
  ]);
  lines.on('line', (line) => { log += `${line}\n`; });
  const match = /^weft dev: serving .* at (http:\/\/127\.0\.0\.1:(\d+)\/)\s*$/.exec(first);
  if (!match) {
    child.kill('SIGKILL');
    throw new Error(`unexpected first line from weft dev: ${JSON.stringify(first)}`);
  }
  return {
    url: match[1],
    port: Number(match[2]),
    output: () => log,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const done = await Promise.race([exited, delay(3000).then(() => null)]);
      if (!done) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
}

/** Launches Chromium headless, with `extra` flags (such as fake media devices). */
export async function launchBrowser(extra = []) {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: run ./scripts/setup.sh`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync',
      ...extra,
    ],
  });
}

/**
 * Opens `url` in a new page of `browser` (in a new context), records console
 * errors, page errors, every request the page makes and every WebSocket message
 * (`page.sent`, `page.received`: parsed JSON text frames). `init` runs in the
 * page before its own scripts.
 */
export async function openPage(browser, url, { init = null } = {}) {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  if (init) await page.addInitScript(init);
  page.sent = [];
  page.received = [];
  page.on('websocket', (socket) => {
    const parse = (payload) => {
      if (typeof payload !== 'string') return null;
      try {
        return JSON.parse(payload);
      } catch {
        return null;
      }
    };
    socket.on('framesent', ({ payload }) => { const m = parse(payload); if (m) page.sent.push(m); });
    socket.on('framereceived', ({ payload }) => { const m = parse(payload); if (m) page.received.push(m); });
  });
  page.setDefaultTimeout(WAIT_MS);
  page.consoleErrors = [];
  page.requests = [];
  page.on('console', (message) => {
    if (message.type() === 'error') page.consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => page.consoleErrors.push(String(error)));
  page.on('request', (request) => page.requests.push(request.url()));
  await page.goto(url);
  return page;
}

/** Waits until `window.weft` is connected and holds a complete run of `file`. */
export async function waitLoaded(page, file) {
  await page.waitForFunction(
    (f) => window.weft && window.weft.connected && window.weft.file === f && window.weft.run > 0
      && window.weft.blocks.length > 0 && window.weft.blocks.every((b) => b.state !== 'pending'),
    file,
  );
}

/** Waits until a complete run newer than `after` is held, and returns its number. */
export async function waitRunAfter(page, after) {
  const handle = await page.waitForFunction((n) => window.weft.run > n && window.weft.run, after);
  return handle.jsonValue();
}

/** The block named `name` as window.weft shows it. */
export async function block(page, name) {
  return page.evaluate((n) => window.weft.blocks.find((b) => b.name === n) ?? null, name);
}

/** Resolves after `ms`; its timer does not keep the test process alive. */
export function delay(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

function timeout(ms, message) {
  return delay(ms).then(() => { throw new Error(message); });
}
