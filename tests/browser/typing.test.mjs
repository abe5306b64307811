// Live as you type: a real `weft lsp --dev` (spoken to over stdio as an editor
// does) sends the buffer's unsaved text to a real `weft dev`, and the page in
// headless Chromium follows each didChange without a save, marked unsaved; a
// broken text is shown like a broken save; a save, a close, and the editor
// quitting each return to the file on disk.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { makeFolder, writeFile, startServer, launchBrowser, openPage, waitLoaded, delay } from './harness.mjs';

const SKETCH = (k) => `k<v> = ${k}\nshade<v> = me@x * k@v\ndisplay(shade@v, 0, 0)\n`;

/** `weft lsp --dev ADDR` on pipes: JSON-RPC with Content-Length framing. */
function startLsp(addr) {
  const child = spawn(path.resolve(process.env.WEFT_BIN), ['lsp', '--dev', addr], { stdio: ['pipe', 'pipe', 'pipe'] });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  child.once('exit', () => process.removeListener('exit', killOnExit));
  let buffer = Buffer.alloc(0);
  const received = [];
  const waiters = [];
  child.stdout.on('data', (chunk) => {
    buffer = Buffer.concat([buffer, chunk]);
    for (;;) {
      const end = buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      const length = Number(/Content-Length: (\d+)/i.exec(buffer.subarray(0, end).toString())?.[1]);
      if (buffer.length < end + 4 + length) return;
      const message = JSON.parse(buffer.subarray(end + 4, end + 4 + length).toString());
      buffer = buffer.subarray(end + 4 + length);
      received.push(message);
      for (const w of [...waiters]) {
        if (w.match(message)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(message);
        }
      }
    }
  });
  const send = (message) => {
    const body = Buffer.from(JSON.stringify({ jsonrpc: '2.0', ...message }));
    child.stdin.write(`Content-Length: ${body.length}\r\n\r\n`);
    child.stdin.write(body);
  };
  const waitFor = (match, what) => {
    const found = received.find(match);
    if (found) return Promise.resolve(found);
    return Promise.race([
      new Promise((resolve) => waiters.push({ match, resolve })),
      delay(15000).then(() => { throw new Error(`weft lsp sent no ${what}; it sent ${JSON.stringify(received).slice(0, 2000)}`); }),
    ]);
  };
  const exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, send, waitFor, received, exited };
}

let dir;
let server;
let browser;
let lsp;
let version = 1;

before(async () => {
  dir = makeFolder({ 'sketch.weft': SKETCH('0.5') });
  server = await startServer(dir);
  browser = await launchBrowser();
});

after(async () => {
  lsp?.child.kill('SIGKILL');
  await browser?.close();
  await server?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const uri = () => pathToFileURL(path.join(dir, 'sketch.weft')).href;
const change = (text) => {
  version += 1;
  lsp.send({ method: 'textDocument/didChange', params: { textDocument: { uri: uri(), version }, contentChanges: [{ text }] } });
};
const kIs = (page, value) => page.waitForFunction(
  (v) => window.weft.blocks.find((b) => b.name === 'k')?.views[0]?.value === v && !window.weft.blocks.some((b) => b.state === 'pending'),
  value,
);
const unsavedShown = (page) => page.getByTestId('unsaved').isVisible();

test('a didChange through weft lsp reaches the page unsaved; a save, a close and quitting return to the disk', async (t) => {
  const page = await openPage(browser, `${server.url}#/sketch.weft`);
  await waitLoaded(page, 'sketch.weft');
  assert.equal(await unsavedShown(page), false);

  lsp = startLsp(`127.0.0.1:${server.port}`);
  lsp.send({ id: 1, method: 'initialize', params: { processId: null, rootUri: pathToFileURL(dir).href, capabilities: {} } });
  await lsp.waitFor((m) => m.id === 1, 'initialize response');
  lsp.send({ method: 'initialized', params: {} });
  lsp.send({ method: 'textDocument/didOpen', params: { textDocument: { uri: uri(), languageId: 'weft', version, text: SKETCH('0.5') } } });

  // A keystroke: the page follows without a save.
  const typed = Date.now();
  change(SKETCH('0.75'));
  await kIs(page, 0.75);
  t.diagnostic(`keystroke to new result in the page, through weft lsp and weft dev: ${Date.now() - typed} ms (first connection included)`);
  assert.equal(await unsavedShown(page), true);
  assert.equal(fs.readFileSync(path.join(dir, 'sketch.weft'), 'utf8'), SKETCH('0.5'), 'nothing is written to disk');
  await lsp.waitFor((m) => m.method === 'window/logMessage' && /goes live/.test(m.params.message), 'log of the link');

  // Faster keystrokes: each one shows.
  for (const k of ['0.125', '0.375']) {
    const at = Date.now();
    change(SKETCH(k));
    await kIs(page, Number(k));
    t.diagnostic(`keystroke ${k} to the page: ${Date.now() - at} ms`);
  }

  // A text that does not build: the error, the old results kept (stale), still unsaved.
  change('k<v> = 0.375\nshade<v> = me@x * pulze@v\ndisplay(shade@v, 0, 0)\n');
  await page.waitForFunction(() => window.weft.runError?.code === 'E0301');
  assert.equal((await page.evaluate(() => window.weft.blocks.find((b) => b.name === 'k').views[0].value)), 0.375);
  assert.equal(await unsavedShown(page), true);

  // Saved: the disk holds the text now, and the page says so.
  change(SKETCH('0.25'));
  await kIs(page, 0.25);
  writeFile(dir, 'sketch.weft', SKETCH('0.25'));
  lsp.send({ method: 'textDocument/didSave', params: { textDocument: { uri: uri() } } });
  await page.waitForFunction(() => document.querySelector('[data-testid="unsaved"]').hidden);
  assert.equal(await block(page), 0.25);

  // Typed again, then closed without saving: back to what the disk holds.
  change(SKETCH('0.625'));
  await kIs(page, 0.625);
  assert.equal(await unsavedShown(page), true);
  lsp.send({ method: 'textDocument/didClose', params: { textDocument: { uri: uri() } } });
  await kIs(page, 0.25);
  await page.waitForFunction(() => document.querySelector('[data-testid="unsaved"]').hidden);

  // Reopened and typed, then the editor quits: the server forgets the text.
  lsp.send({ method: 'textDocument/didOpen', params: { textDocument: { uri: uri(), languageId: 'weft', version, text: SKETCH('0.25') } } });
  change(SKETCH('0.875'));
  await kIs(page, 0.875);
  lsp.send({ id: 2, method: 'shutdown' });
  await lsp.waitFor((m) => m.id === 2, 'shutdown response');
  lsp.send({ method: 'exit' });
  assert.equal(await lsp.exited, 0);
  await kIs(page, 0.25);
  await page.waitForFunction(() => document.querySelector('[data-testid="unsaved"]').hidden);

  assert.deepEqual(page.consoleErrors, []);
  await page.close();
});

test('a weft lsp --dev with no weft dev there keeps serving the editor and says why once', async () => {
  const quiet = startLsp('127.0.0.1:9');
  quiet.send({ id: 1, method: 'initialize', params: { processId: null, rootUri: null, capabilities: {} } });
  await quiet.waitFor((m) => m.id === 1, 'initialize response');
  quiet.send({ method: 'initialized', params: {} });
  const other = pathToFileURL(path.join(dir, 'sketch.weft')).href;
  quiet.send({ method: 'textDocument/didOpen', params: { textDocument: { uri: other, languageId: 'weft', version: 1, text: SKETCH('0.5') } } });
  quiet.send({ method: 'textDocument/didChange', params: { textDocument: { uri: other, version: 2 }, contentChanges: [{ text: 'k<v> = \n' }] } });
  // Diagnostics still come, at once.
  const diagnostics = await quiet.waitFor((m) => m.method === 'textDocument/publishDiagnostics' && m.params.diagnostics.length > 0, 'diagnostics');
  assert.ok(diagnostics.params.diagnostics[0].code);
  const log = await quiet.waitFor((m) => m.method === 'window/logMessage' && /no weft dev at 127\.0\.0\.1:9/.test(m.params.message), 'log of the failed link');
  assert.match(log.params.message, /trying again every 2 s/);
  quiet.send({ method: 'textDocument/didChange', params: { textDocument: { uri: other, version: 3 }, contentChanges: [{ text: 'k<v> = 1\n' }] } });
  await delay(2500);
  const logs = quiet.received.filter((m) => m.method === 'window/logMessage');
  assert.equal(logs.length, 1, `told once: ${JSON.stringify(logs)}`);
  quiet.send({ id: 2, method: 'shutdown' });
  await quiet.waitFor((m) => m.id === 2, 'shutdown response');
  quiet.send({ method: 'exit' });
  assert.equal(await quiet.exited, 0);
});

async function block(page) {
  return page.evaluate(() => window.weft.blocks.find((b) => b.name === 'k').views[0].value);
}
