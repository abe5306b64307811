// The widgets of the control pragmas against the real `weft dev`: a slider, a
// colour picker, an xy pad, a switch and a curve each set their parameters on the
// server (seen in the `parameter-changed` it broadcasts, and with `get` in the
// command bar); a badge shows a strand's live value; MIDI learn binds a control
// change (or a note, for a toggle) fed through `window.weft.midi`, and the binding
// survives a reload until it is forgotten.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { makeFolder, startServer, launchBrowser, openPage, waitLoaded } from './harness.mjs';

const CONTROLS = `// Every control pragma, and a display that reads them all.
#slider test<t> = 0, 0.4, 0.1 "disp"
#color tint<r, g, b> = 0.2, 0.6, 0.9 "Tint"
#xy pos<x, y> = 0.25, 0.75
#toggle on<v> = 1 "enabled"
#curve ease<y> = 0, 0.5, 1
#badge level<v> "Level"

level<v> = 0.5 + 0.5*sin(me@time)
spot<v> = step(sqrt((me@x - pos@x)*(me@x - pos@x) + (me@y - pos@y)*(me@y - pos@y)), test@t)
display(tint@r * spot@v * on@v, tint@g * ease@y, tint@b * level@v)
`;

let dir;
let server;
let browser;

before(async () => {
  const files = {};
  for (const name of ['widgets', 'badge', 'midi', 'toggle', 'pad']) files[`${name}.weft`] = CONTROLS;
  dir = makeFolder(files);
  server = await startServer(dir);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** A small page on `file`, in front (a background tab gets few animation frames). */
async function open(file) {
  const page = await openPage(browser, `${server.url}#/${file}`);
  await page.setViewportSize({ width: 720, height: 640 });
  await page.bringToFront();
  await waitLoaded(page, file);
  await page.getByTestId('param-test').waitFor();
  return page;
}

/** The value the server last broadcast for parameter `id` (`parameter-changed`), waiting until `ok(value)`. */
async function serverValue(page, id, ok) {
  const last = () => page.received.filter((m) => m.type === 'parameter-changed' && m.id === id).at(-1)?.value;
  for (let i = 0; i < 300 && !(last() !== undefined && ok(last())); i++) {
    await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(resolve)));
  }
  const value = last();
  assert.ok(value !== undefined && ok(value), `${id}: the server sent ${value}`);
  return value;
}

const near = (want, tolerance = 0.02) => (v) => Math.abs(v - want) <= tolerance;

/** Runs `text` in the command bar and returns its result (the server's `command-result`). */
async function command(page, text) {
  const results = () => page.received.filter((m) => m.type === 'command-result');
  const before = results().length;
  await page.getByTestId('open-command-bar').click();
  const input = page.getByTestId('command-input');
  await input.fill(text);
  await page.waitForFunction(
    (t) => document.querySelector('[data-testid="command-suggestion"].selected')?.textContent === `Run: ${t}`,
    text,
  );
  await input.press('Enter');
  const answer = () => results().slice(before).find((m) => m.text === text);
  for (let i = 0; i < 300 && !answer(); i++) {
    await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(resolve)));
  }
  assert.ok(answer(), `no answer to ${text}`);
  // The page shows the answer it got.
  await page.waitForFunction((a) => window.weft.lastCommandResult?.output === a.output, answer());
  await page.keyboard.press('Escape');
  return answer();
}

/** `get id` in the command bar: the value the server holds. */
async function get(page, id) {
  const result = await command(page, `get ${id}`);
  assert.equal(result.ok, true, result.output);
  const match = new RegExp(`^${id} = (\\S+)`).exec(result.output);
  assert.ok(match, result.output);
  return Number(match[1]);
}

/** The element's box, scrolled into the viewport first. */
async function box(locator) {
  await locator.scrollIntoViewIfNeeded();
  return locator.boundingBox();
}

test('each control pragma gets its widget, labelled, at its value', async () => {
  const page = await open('widgets.weft');
  assert.equal(await page.getByLabel('disp', { exact: true }).getAttribute('data-testid'), 'param-test', 'the slider has the pragma\'s label');
  assert.equal(await page.getByTestId('param-test').getAttribute('max'), '0.4');
  assert.equal(Number(await page.getByTestId('param-test').inputValue()), 0.1);
  assert.equal(await page.getByTestId('control-tint').inputValue(), '#3399e6');
  assert.equal(await page.getByLabel('Tint', { exact: true }).getAttribute('data-testid'), 'control-tint');
  assert.equal(await page.getByTestId('param-on').isChecked(), true);
  assert.equal(await page.getByLabel('enabled', { exact: true }).getAttribute('data-testid'), 'param-on');
  assert.equal(await page.getByLabel('pos', { exact: true }).getAttribute('data-testid'), 'control-pos');
  assert.equal(await page.getByLabel('ease', { exact: true }).getAttribute('data-testid'), 'control-ease');
  assert.equal(await page.getByTestId('control-value-pos').textContent(), '0.25, 0.75');
  assert.equal(await page.getByTestId('control-ease').locator('[data-testid="curve-point"]').count(), 3);
  assert.deepEqual(
    await page.evaluate(() => window.weft.params),
    { test: 0.1, 'tint@r': 0.2, 'tint@g': 0.6, 'tint@b': 0.9, 'pos@x': 0.25, 'pos@y': 0.75, on: 1, 'ease#1': 0, 'ease#2': 0.5, 'ease#3': 1 },
  );
  // Every widget has a learn button, and nothing is bound yet.
  for (const group of ['test', 'tint', 'pos', 'on', 'ease']) {
    assert.equal(await page.getByTestId(`learn-${group}`).textContent(), 'MIDI');
    assert.equal(await page.getByTestId(`forget-${group}`).isVisible(), false);
  }
  assert.deepEqual(page.consoleErrors, []);
  await page.close();
});

test('dragging the slider sets the parameter on the server', async () => {
  const page = await open('widgets.weft');
  const b = await box(page.getByTestId('param-test'));
  await page.mouse.move(b.x + b.width * 0.25, b.y + b.height / 2);
  await page.mouse.down();
  await page.mouse.move(b.x + b.width - 1, b.y + b.height / 2, { steps: 8 });
  await page.mouse.up();
  const value = await serverValue(page, 'test', (v) => v > 0.38);
  assert.equal(await page.evaluate(() => window.weft.params.test), value);
  assert.equal(await get(page, 'test'), value);
  await page.close();
});

test('picking a colour sets its three parameters', async () => {
  const page = await open('widgets.weft');
  await page.getByTestId('control-tint').evaluate((input) => {
    input.value = '#ff8000';
    input.dispatchEvent(new Event('input', { bubbles: true }));
  });
  await serverValue(page, 'tint@r', near(1, 1e-9));
  await serverValue(page, 'tint@g', near(128 / 255, 1e-6));
  await serverValue(page, 'tint@b', near(0, 1e-9));
  assert.ok(near(128 / 255, 1e-3)(await get(page, 'tint@g')), 'get tint@g');
  assert.equal(await get(page, 'tint@b'), 0);
  assert.equal(await page.getByTestId('control-value-tint').textContent(), '#ff8000');
  await page.close();
});

test('dragging the pad sets x and y (y grows downwards)', async () => {
  const page = await open('pad.weft');
  const pad = page.getByTestId('control-pos');
  const b = await box(pad);
  await page.mouse.move(b.x + b.width * 0.5, b.y + b.height * 0.5);
  await page.mouse.down();
  await page.mouse.move(b.x + b.width * 0.8, b.y + b.height * 0.3, { steps: 6 });
  await page.mouse.up();
  const x = await serverValue(page, 'pos@x', near(0.8));
  const y = await serverValue(page, 'pos@y', near(0.3));
  // The dot sits where the pointer let go.
  const dot = await page.locator('[data-testid="control-pos"] .pad-dot').boundingBox();
  assert.ok(Math.abs(dot.x + dot.width / 2 - (b.x + b.width * 0.8)) < 3, JSON.stringify({ dot, b }));
  assert.ok(Math.abs(dot.y + dot.height / 2 - (b.y + b.height * 0.3)) < 3, JSON.stringify({ dot, b }));
  assert.ok(near(x, 1e-3)(await get(page, 'pos@x')), 'get pos@x');
  assert.ok(near(y, 1e-3)(await get(page, 'pos@y')), 'get pos@y');
  await page.close();
});

test('the switch flips the toggle between 1 and 0', async () => {
  const page = await open('toggle.weft');
  const toggle = page.getByTestId('param-on');
  await toggle.scrollIntoViewIfNeeded();
  await toggle.click();
  await serverValue(page, 'on', (v) => v === 0);
  assert.equal(await get(page, 'on'), 0);
  assert.equal(await page.getByTestId('param-value-on').textContent(), 'off');
  await toggle.click();
  await serverValue(page, 'on', (v) => v === 1);
  assert.equal(await get(page, 'on'), 1);
  await page.close();
});

test('dragging a point of the curve sets that point only', async () => {
  const page = await open('widgets.weft');
  const svg = page.getByTestId('control-ease');
  const b = await box(svg);
  const middle = await page.locator('[data-testid="curve-point"][data-index="1"]').boundingBox();
  await page.mouse.move(middle.x + middle.width / 2, middle.y + middle.height / 2);
  await page.mouse.down();
  // Up to the top edge and beyond: the point stops at 1.
  await page.mouse.move(middle.x + middle.width / 2, b.y - 20, { steps: 6 });
  await page.mouse.up();
  await serverValue(page, 'ease#2', (v) => v === 1);
  // The drawn point moved to the top.
  const moved = await page.locator('[data-testid="curve-point"][data-index="1"]').boundingBox();
  assert.ok(moved.y < middle.y - 10, `${moved.y} vs ${middle.y}`);
  assert.equal(await get(page, 'ease#2'), 1);
  assert.equal(await get(page, 'ease#1'), 0);
  const params = await page.evaluate(() => window.weft.params);
  assert.equal(params['ease#1'], 0);
  assert.equal(params['ease#3'], 1);
  assert.ok(!page.sent.some((m) => m.type === 'set-param' && m.id !== 'ease#2'), 'only the dragged point was sent');
  await page.close();
});

test('a badge shows its strand\'s live value', async () => {
  const page = await open('badge.weft');
  await page.getByTestId('play').click();
  await page.waitForFunction(() => typeof window.weft.badges['level@v'] === 'number');
  const chip = page.getByTestId('badge-level@v');
  assert.match(await chip.textContent(), /^Level\s*-?\d/);
  const shown = Number(await page.getByTestId('badge-value-level@v').textContent());
  assert.ok(shown >= 0 && shown <= 1, `level ${shown}`);
  // It follows the strand: the value changes while playing.
  const first = await page.evaluate(() => window.weft.badges['level@v']);
  await page.waitForFunction((f) => window.weft.badges['level@v'] !== f, first);
  await page.getByTestId('stop').click();
  await page.close();
});

test('MIDI learn binds a control change, survives a reload, and is forgotten', async () => {
  const page = await open('midi.weft');
  // Nothing is bound and nothing learns: a control change does nothing.
  assert.equal(await page.evaluate(() => window.weft.midi([0xb0, 7, 127])), null);
  const learn = page.getByTestId('learn-test');
  await learn.click();
  assert.equal(await learn.getAttribute('aria-pressed'), 'true');
  assert.equal(await page.evaluate(() => window.weft.midiStatus.learning), 'test');
  assert.equal(await page.evaluate(() => window.weft.midi([0xb0, 7, 127])), 'bound');
  await serverValue(page, 'test', (v) => v === 0.4);
  assert.equal(await get(page, 'test'), 0.4);
  assert.equal(await learn.textContent(), 'CC7');
  assert.equal(await learn.getAttribute('aria-pressed'), 'false');

  await page.reload();
  page.received.length = 0;
  await waitLoaded(page, 'midi.weft');
  await page.bringToFront();
  await page.getByTestId('learn-test').waitFor();
  await page.waitForFunction(() => document.querySelector('[data-testid="learn-test"]').textContent === 'CC7');
  assert.deepEqual(
    (await page.evaluate(() => window.weft.midiStatus.bindings)),
    [{ type: 'cc', channel: 0, number: 7, id: 'test' }],
  );
  assert.equal(await page.evaluate(() => window.weft.midi([0xb0, 7, 0])), 'set');
  await serverValue(page, 'test', (v) => v === 0);
  assert.equal(await get(page, 'test'), 0);
  // Halfway: linear in min…max.
  await page.evaluate(() => window.weft.midi([0xb0, 7, 127 / 2]));
  await serverValue(page, 'test', near(0.4 * 63 / 127, 1e-9));
  // Another channel or controller is not this binding.
  assert.equal(await page.evaluate(() => window.weft.midi([0xb1, 7, 127])), null);
  assert.equal(await page.evaluate(() => window.weft.midi([0xb0, 8, 127])), null);

  await page.getByTestId('forget-test').click();
  assert.equal(await page.getByTestId('learn-test').textContent(), 'MIDI');
  assert.equal(await page.evaluate(() => window.weft.midi([0xb0, 7, 127])), null);
  await page.reload();
  await waitLoaded(page, 'midi.weft');
  await page.getByTestId('learn-test').waitFor();
  assert.deepEqual(await page.evaluate(() => window.weft.midiStatus.bindings), []);
  await page.close();
});

test('MIDI notes flip a toggle; a pad learns one knob for x, the next for y', async () => {
  const page = await open('midi.weft');
  await page.getByTestId('learn-on').click();
  const before = await page.evaluate(() => window.weft.params.on);
  await page.evaluate(() => window.weft.midi([0x90, 60, 100]));
  await serverValue(page, 'on', (v) => v === 1 - before);
  assert.equal(await page.getByTestId('learn-on').textContent(), 'note 60');
  // A note-off and a note-on of velocity 0 do nothing; the next press flips it back.
  assert.equal(await page.evaluate(() => window.weft.midi([0x80, 60, 0])), null);
  assert.equal(await page.evaluate(() => window.weft.midi([0x90, 60, 0])), null);
  assert.equal(await page.evaluate(() => window.weft.midi([0x90, 60, 90])), 'set');
  await page.waitForFunction((b) => window.weft.params.on === b, before);

  await page.getByTestId('learn-pos').click();
  // Notes bind toggles only.
  assert.equal(await page.evaluate(() => window.weft.midi([0x90, 61, 100])), null);
  assert.equal(await page.getByTestId('learn-pos').textContent(), 'learning 1/2…');
  await page.evaluate(() => window.weft.midi([0xb0, 1, 0]));
  await page.evaluate(() => window.weft.midi([0xb0, 1, 127]));
  assert.equal(await page.evaluate(() => window.weft.midiStatus.learning), 'pos', 'the same knob again is still x');
  assert.equal(await page.getByTestId('learn-pos').textContent(), 'learning 2/2…');
  await page.evaluate(() => window.weft.midi([0xb2, 2, 0]));
  assert.equal(await page.evaluate(() => window.weft.midiStatus.learning), null);
  await serverValue(page, 'pos@x', (v) => v === 1);
  await serverValue(page, 'pos@y', (v) => v === 0);
  assert.equal(await page.getByTestId('learn-pos').textContent(), 'CC1, ch3 CC2');
  await page.getByTestId('forget-pos').click();
  await page.getByTestId('forget-on').click();
  assert.deepEqual(await page.evaluate(() => window.weft.midiStatus.bindings), []);
  // Learn asked for Web MIDI (headless Chromium has no device: any answer will do).
  assert.match(await page.evaluate(() => window.weft.midiStatus.access), /^(pending|granted|denied|unavailable)$/);
  assert.deepEqual(page.consoleErrors, []);
  await page.close();
});
