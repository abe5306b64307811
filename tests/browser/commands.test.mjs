// Steering from the page against the real `weft dev`: the command bar (Ctrl+K)
// runs the command language, jumps to files and toggles the pin; the transport
// buttons play, pause and stop; frames reach the canvas; and a page whose server
// went away reconnects and asks again for what it shows.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { makeFolder, startServer, launchBrowser, openPage, waitLoaded } from './harness.mjs';

const PICTURE = `// A gradient.
img<r, g, b> = (me@x, me@y, 0.5)

display(img@r, img@g, img@b)
`;
const OTHER = 'v<x> = 7\n';
const TONE = `tone<s> = 0.2 * sin(me@time * tau * 220)

play(tone@s, tone@s)
`;

let dir;
let server;
let browser;

before(async () => {
  dir = makeFolder({ 'picture.weft': PICTURE, 'other.weft': OTHER, 'tone.weft': TONE });
  server = await startServer(dir);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

async function runCommand(page, text) {
  const input = page.getByTestId('command-input');
  await input.fill(text);
  await page.waitForFunction(
    (t) => document.querySelector('[data-testid="command-suggestion"].selected')?.textContent === `Run: ${t}`,
    text,
  );
  await input.press('Enter');
  const result = await page.waitForFunction((t) => {
    const last = window.weft.lastCommandResult;
    return last && last.text === t && last;
  }, text);
  return result.jsonValue();
}

test('the command bar runs `bpm 90` and `info`', async () => {
  const page = await openPage(browser, `${server.url}#/picture.weft`);
  await waitLoaded(page, 'picture.weft');
  await page.keyboard.press('Control+K');
  await page.getByTestId('command-bar').waitFor();
  assert.equal(await page.evaluate(() => document.activeElement.dataset.testid), 'command-input');

  const bpm = await runCommand(page, 'bpm 90');
  assert.equal(bpm.ok, true, bpm.output);
  await page.waitForFunction(() => window.weft.transport?.bpm === 90);
  assert.equal(await page.getByTestId('bpm').textContent(), '90 bpm');

  const info = await runCommand(page, 'info');
  assert.equal(info.ok, true, info.output);
  assert.ok(info.output.length > 0);
  assert.equal(await page.getByTestId('command-output').textContent(), info.output);

  const wrong = await runCommand(page, 'sek 1');
  assert.equal(wrong.ok, false);
  assert.match(await page.getByTestId('command-output').getAttribute('class'), /failed/);

  await page.keyboard.press('Escape');
  await page.getByTestId('command-bar').waitFor({ state: 'hidden' });
  await page.close();
});

test('the command bar jumps to a file and toggles the pin', async () => {
  const page = await openPage(browser, `${server.url}#/picture.weft`);
  await waitLoaded(page, 'picture.weft');
  await page.keyboard.press('Control+K');
  await page.getByTestId('command-input').fill('othe');
  await page.locator('[data-testid="command-suggestion"][data-kind="file"]', { hasText: 'other.weft' }).waitFor();
  await page.getByTestId('command-input').press('Enter');
  await waitLoaded(page, 'other.weft');
  assert.match(page.url(), /#\/other\.weft$/);
  await page.getByTestId('command-bar').waitFor({ state: 'hidden' });

  await page.keyboard.press('Control+K');
  await page.getByTestId('command-input').fill('pin');
  await page.getByTestId('command-input').press('Enter');
  await page.waitForFunction(() => window.weft.pinned === true);
  assert.equal(await page.getByTestId('pin').getAttribute('aria-pressed'), 'true');
  await page.close();
});

test('transport buttons play, pause and stop; frames reach the canvas', async () => {
  // WebGL2 switched off: the streamed frames are what the page shows.
  const page = await openPage(browser, `${server.url}#/picture.weft`, {
    init: () => {
      const original = HTMLCanvasElement.prototype.getContext;
      HTMLCanvasElement.prototype.getContext = function getContext(type, ...rest) {
        return type === 'webgl2' ? null : original.call(this, type, ...rest);
      };
    },
  });
  await waitLoaded(page, 'picture.weft');
  assert.equal(await page.getByRole('button', { name: 'Play' }).count(), 1);
  assert.equal(await page.getByTestId('canvas').isVisible(), true);

  await page.getByTestId('play').click();
  await page.waitForFunction(() => window.weft.transport?.transport === 'playing');
  await page.waitForFunction(() => window.weft.framesDrawn >= 3);
  const frame = await page.evaluate(() => window.weft.lastFrame);
  const size = await page.getByTestId('canvas').evaluate((c) => [c.width, c.height]);
  assert.deepEqual(size, [frame.width, frame.height]);
  // The gradient: more red on the right than on the left.
  const [left, right] = await page.getByTestId('canvas').evaluate((c) => {
    const context = c.getContext('2d');
    const y = Math.floor(c.height / 2);
    return [context.getImageData(1, y, 1, 1).data[0], context.getImageData(c.width - 2, y, 1, 1).data[0]];
  });
  assert.ok(right > left + 100, `red left ${left}, right ${right}`);

  // Pointer moves over the canvas are sent as 0…1 coordinates, at most one a frame.
  const box = await page.getByTestId('canvas').boundingBox();
  await page.mouse.move(box.x + box.width / 4, box.y + box.height / 4);
  await page.mouse.move(box.x + box.width / 2, box.y + box.height * 0.75, { steps: 20 });
  const pointers = () => page.sent.filter((m) => m.type === 'pointer');
  const reached = () => pointers().some((m) => Math.abs(m.x - 0.5) < 0.02 && Math.abs(m.y - 0.75) < 0.02);
  for (let frame = 0; frame < 300 && !reached(); frame++) {
    await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(resolve)));
  }
  assert.ok(reached(), JSON.stringify(pointers().slice(-3)));
  assert.ok(pointers().length <= 21, `${pointers().length} pointer messages for 21 moves`);
  assert.ok(pointers().every((m) => m.x >= 0 && m.x <= 1 && m.y >= 0 && m.y <= 1));

  await page.getByTestId('pause').click();
  await page.waitForFunction(() => window.weft.transport?.transport === 'paused');
  await page.getByTestId('stop').click();
  await page.waitForFunction(() => window.weft.transport?.transport === 'stopped');
  await page.getByTestId('play').click();
  await page.waitForFunction(() => window.weft.transport?.transport === 'playing');
  assert.deepEqual(await page.evaluate(() => window.weft.errors), []);
  assert.deepEqual(page.consoleErrors, []);
  await page.close();
});

test('sound plays after the Sound on button', async () => {
  const page = await openPage(browser, `${server.url}#/tone.weft`);
  await waitLoaded(page, 'tone.weft');
  assert.equal(await page.getByTestId('canvas').isHidden(), true, 'no display, no canvas');
  await page.getByTestId('play').click();
  await page.waitForFunction(() => window.weft.audioChunks > 0);
  assert.equal(await page.evaluate(() => window.weft.audioScheduled), 0, 'nothing plays before a gesture');
  await page.getByRole('button', { name: 'Sound on' }).click();
  await page.waitForFunction(() => window.weft.soundOn && window.weft.audioScheduled > 0);
  assert.equal(await page.getByTestId('sound').getAttribute('aria-pressed'), 'true');
  await page.getByTestId('sound').click();
  await page.waitForFunction(() => !window.weft.soundOn);
  assert.deepEqual(page.consoleErrors, []);
  await page.close();
});

test('a dropped connection comes back and gets what the page holds as unchanged', async () => {
  // Keep a handle on the page's socket so the test can drop it.
  const init = () => {
    const Native = window.WebSocket;
    window.__sockets = [];
    window.WebSocket = class extends Native {
      constructor(...args) {
        super(...args);
        window.__sockets.push(this);
      }
    };
  };
  const page = await openPage(browser, `${server.url}#/picture.weft`, { init });
  await waitLoaded(page, 'picture.weft');
  const run = await page.evaluate(() => window.weft.run);
  const ids = await page.evaluate(() => window.weft.blocks.map((b) => b.id));
  const receivedBefore = page.received.length;
  const completed = await page.evaluate(() => window.weft.runsCompleted);

  await page.evaluate(() => window.__sockets.at(-1).close());
  await page.waitForFunction(() => window.__sockets.length === 2 && window.weft.connected);
  await page.waitForFunction((n) => window.weft.runsCompleted > n, completed);
  await waitLoaded(page, 'picture.weft');

  // It said again what it watches and what it holds…
  const watch = page.sent.filter((m) => m.type === 'watch-file').at(-1);
  assert.equal(watch.path, 'picture.weft');
  assert.equal(watch.clientRun, run);
  assert.deepEqual(page.sent.filter((m) => m.type === 'request-load').at(-1), { type: 'request-load', path: 'picture.weft', clientRun: run });
  // …and got its blocks back as unchanged, keeping what it showed.
  const results = page.received.slice(receivedBefore).filter((m) => m.type === 'block-result');
  assert.ok(results.length >= ids.length);
  assert.ok(results.every((m) => m.unchanged === true), JSON.stringify(results.slice(0, 3)));
  assert.deepEqual(await page.evaluate(() => window.weft.blocks.map((b) => [b.id, b.state])), ids.map((id) => [id, 'ok']));
  assert.equal(await page.evaluate(() => window.weft.run), run);
  await page.locator('[data-testid="block"][data-name="img"] [data-testid="view-image"]').first().waitFor();
  await page.close();
});

test('a page reconnects when the server comes back, and asks again for what it shows', async () => {
  const page = await openPage(browser, `${server.url}#/picture.weft`);
  await waitLoaded(page, 'picture.weft');
  const run = await page.evaluate(() => window.weft.run);
  const ids = await page.evaluate(() => window.weft.blocks.map((b) => b.id));

  await server.stop();
  await page.waitForFunction(() => !window.weft.connected);
  assert.equal(await page.getByTestId('connection').getAttribute('data-state'), 'reconnecting');
  // What the page showed stays while it is away.
  assert.deepEqual(await page.evaluate(() => window.weft.blocks.map((b) => b.id)), ids);

  server = await startServer(dir, Number(new URL(page.url()).port));
  await page.waitForFunction(() => window.weft.connected);
  // A new server numbers its runs from its start time, so the page holds a newer run.
  await page.waitForFunction((n) => window.weft.run > n, run);
  await waitLoaded(page, 'picture.weft');
  assert.deepEqual(await page.evaluate(() => window.weft.blocks.map((b) => b.id)), ids);
  assert.equal(await page.getByTestId('connection').getAttribute('data-state'), 'connected');
  await page.close();
});
