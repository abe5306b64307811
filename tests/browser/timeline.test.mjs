// The timeline strip against the real `weft dev`: a file's segments as cells as
// wide as their durations, a segment's preview on a click, a render whose one
// chunk fails (the error in its cell, no video), a render that succeeds (every
// cell cached, the joined video plays in the page), an edit that marks one
// segment dirty, and Cancel stopping a render. The server encodes through a
// wrapper around the real ffmpeg (WEFT_FFMPEG) that can be slowed down, held and
// made to fail one chunk. A state that lasts only while a render runs is checked
// in the page in one go, never by separate round trips that a loaded machine
// could outlast.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeFolder, writeFile, startServer, launchBrowser, openPage, waitLoaded, delay } from './harness.mjs';

const settings = 'me<width> = 64\nme<height> = 36\nme<fps> = 8\n';
const parts = (green) => `${settings}
segment red(1) {
    display(0.9, 0.1, 0.1)
}
segment green(1) {
    display(${green})
}
segment blue(2) {
    display(0.1, 0.2, 0.9)
}
`;
const PARTS = parts('0.1, 0.8, 0.2');
const LONG = `${settings}
segment one(2) {
    display(me@x)
}
segment two(2) {
    display(me@y)
}
segment three(2) {
    display(0.5)
}
segment four(2) {
    display(0.25)
}
`;

let dir;
let tools;
let server;
let browser;

/**
 * An ffmpeg that runs the real one, except for chunk encodes (`rawvideo` in its
 * arguments): each first sleeps the seconds written in `delay` (if any); while
 * `hold` exists, the encodes after the first N it names (claimed in `slots/`)
 * wait until it is removed; and while the file `fail` exists exactly one of them
 * fails (the first to claim it).
 */
function wrapper(folder) {
  const script = path.join(folder, 'ffmpeg');
  const q = (name) => `'${path.join(folder, name)}'`;
  fs.writeFileSync(script, `#!/bin/sh
case "$*" in *rawvideo*)
  if [ -e ${q('delay')} ]; then sleep "$(cat ${q('delay')})"; fi
  if [ -e ${q('hold')} ]; then
    mkdir -p ${q('slots')}
    i=0; while ! mkdir ${q('slots')}/$i 2>/dev/null; do i=$((i + 1)); done
    if [ "$i" -ge "$(cat ${q('hold')})" ]; then
      while [ -e ${q('hold')} ]; do sleep 0.05; done
    fi
  fi
  if [ -e ${q('fail')} ] && mkdir ${q('claimed')} 2>/dev/null; then
    echo 'simulated encoder failure' >&2
    exit 1
  fi;;
esac
exec ffmpeg "$@"
`);
  fs.chmodSync(script, 0o755);
  return script;
}

before(async () => {
  dir = makeFolder({ 'parts.weft': PARTS, 'long.weft': LONG });
  tools = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-ffmpeg-'));
  server = await startServer(dir, 0, { env: { WEFT_FFMPEG: wrapper(tools) } });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  for (const folder of [dir, tools]) if (folder) fs.rmSync(folder, { recursive: true, force: true });
});

async function open(file) {
  const page = await openPage(browser, `${server.url}#/${file}`);
  await page.setViewportSize({ width: 720, height: 560 });
  await page.bringToFront();
  await waitLoaded(page, file);
  return page;
}

/** The cells as the page shows them: [name, state, mark]. */
function cells(page) {
  return page.$$eval('[data-testid="timeline-cell"]', (nodes) => nodes.map((n) => [
    n.dataset.name, n.dataset.state, n.querySelector('[data-testid="timeline-mark"]').textContent,
  ]));
}

/**
 * Waits until the page holds a timeline with no render running, every segment in
 * one of the `states`, and (with `video`) a video.
 */
async function waitIdle(page, states, { video = false } = {}) {
  await page.waitForFunction(([allowed, needVideo]) => {
    const t = window.weft.timeline;
    if (!t || !t.segments || t.rendering) return false;
    return t.segments.every((s) => allowed.includes(s.state)) && (!needVideo || typeof t.video === 'string');
  }, [states, video]);
}

/** Resolves once `check()` is true; fails with `message` after 10 s. */
async function eventually(check, message) {
  const end = Date.now() + 10_000;
  while (!check()) {
    assert.ok(Date.now() < end, message);
    await delay(20);
  }
}

/**
 * The colour at the centre of a loaded <img> (same origin, so readable), once
 * channel `c` (0 red, 1 green, 2 blue) dominates it, or the last one read after
 * 10 s. The image can be replaced while it is read (a newer thumbnail's URL
 * arrives with the next timeline), so it is read until it settles.
 */
async function thumbColour(page, selector, c) {
  await page.waitForFunction(([s, c]) => {
    const img = document.querySelector(s);
    if (!img || !img.complete || !(img.naturalWidth > 0)) return false;
    const canvas = document.createElement('canvas');
    canvas.width = img.naturalWidth;
    canvas.height = img.naturalHeight;
    const context = canvas.getContext('2d');
    context.drawImage(img, 0, 0);
    const px = Array.from(context.getImageData(img.naturalWidth >> 1, img.naturalHeight >> 1, 1, 1).data.slice(0, 3));
    window.__thumbColour = px;
    return px[c] > px[(c + 1) % 3] + 100 && px[c] > px[(c + 2) % 3] + 100;
  }, [selector, c], { polling: 50, timeout: 10_000 }).catch(() => {});
  return page.evaluate(() => window.__thumbColour ?? null);
}

test('segments render, one fails and shows why, the fixed render plays, an edit marks its segment dirty', async () => {
  const page = await open('parts.weft');

  // Three pending cells, as wide as their durations (1 s, 1 s, 2 s); nothing renders yet.
  await page.getByTestId('timeline').waitFor();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="timeline-cell"]').length === 3);
  assert.deepEqual(await cells(page), [['red', 'pending', '○'], ['green', 'pending', '○'], ['blue', 'pending', '○']]);
  const timeline = await page.evaluate(() => window.weft.timeline);
  assert.equal(timeline.file, 'parts.weft');
  assert.deepEqual(timeline.segments.map((s) => [s.name, s.start, s.duration]), [['red', 0, 1], ['green', 1, 1], ['blue', 2, 2]]);
  const widths = await page.$$eval('[data-testid="timeline-cell"]', (nodes) => nodes.map((n) => n.getBoundingClientRect().width));
  assert.ok(Math.abs(widths[0] - widths[1]) < 2, `equal durations, equal widths: ${widths}`);
  assert.ok(Math.abs(widths[2] / widths[0] - 2) < 0.15, `twice the duration, twice the width: ${widths}`);
  assert.equal(await page.getByTestId('timeline-render').isVisible(), true);
  assert.equal(await page.getByTestId('timeline-cancel').isHidden(), true);
  assert.equal(await page.getByTestId('timeline-status').isHidden(), true);
  assert.equal(await page.getByTestId('render-video').isHidden(), true);

  // A click on a cell asks for its preview; its thumbnail shows the segment's colour.
  await page.locator('[data-testid="timeline-cell"][data-name="green"]').click();
  await eventually(() => page.sent.some((m) => m.type === 'command' && m.text === 'preview green'), 'the click sent `preview green`');
  const thumb = '[data-testid="timeline-cell"][data-name="green"] [data-testid="timeline-thumb"]';
  await page.waitForFunction((s) => {
    const img = document.querySelector(s);
    return img && !img.hidden && img.complete && img.naturalWidth > 0;
  }, thumb);
  const preview = await page.evaluate(() => window.weft.timeline.segments.find((s) => s.name === 'green').preview);
  // docs/protocol.md names it `/render/FILE/preview/SEGMENT.png`; weft dev puts the
  // segment's place before its name (`02-green.png`).
  assert.match(preview, /^\/render\/parts\.weft\/preview\/(\d+-)?green\.png(\?|$)/);
  const [r, g, b] = await thumbColour(page, thumb, 1);
  assert.ok(g > r + 100 && g > b + 100, `a green thumbnail: ${[r, g, b]}`);

  // A render in which one chunk fails: cells go rendering with the progress shown,
  // then the failing segment shows the encoder's message and the others are cached.
  fs.writeFileSync(path.join(tools, 'delay'), '0.6');
  fs.writeFileSync(path.join(tools, 'fail'), '');
  await page.getByTestId('timeline-render').click();
  await eventually(() => page.sent.some((m) => m.type === 'command' && m.text === 'render'), 'Render sent `render`');
  // While it runs: a cell rendering, Cancel shown, the status counting, Render disabled.
  await page.waitForFunction(() => {
    const visible = (id) => document.querySelector(`[data-testid="${id}"]`)?.checkVisibility();
    return document.querySelector('[data-testid="timeline-cell"][data-state="rendering"]')
      && visible('timeline-cancel')
      && /^rendering \d+\/\d+$/.test(document.querySelector('[data-testid="timeline-status"]').textContent)
      && document.querySelector('[data-testid="timeline-render"]').disabled;
  }, null, { polling: 20 });
  await eventually(
    () => page.received.some((m) => m.type === 'timeline' && m.segments?.some((s) => s.state === 'rendering' && typeof s.progress === 'number')),
    'a timeline with a segment rendering and its progress',
  );
  await waitIdle(page, ['cached', 'error']);
  const failed = await page.$$eval('[data-testid="timeline-cell"][data-state="error"]', (nodes) => nodes.map((n) => ({
    name: n.dataset.name,
    mark: n.querySelector('[data-testid="timeline-mark"]').textContent,
    text: n.querySelector('[data-testid="timeline-error"]').textContent,
    visible: n.querySelector('[data-testid="timeline-error"]').checkVisibility(),
    title: n.title,
  })));
  assert.equal(failed.length, 1, `exactly one segment failed: ${JSON.stringify(await cells(page))}`);
  assert.equal(failed[0].mark, '✗');
  assert.ok(failed[0].visible, 'the message shows in the cell');
  assert.match(failed[0].text, /simulated encoder failure/);
  assert.match(failed[0].title, /simulated encoder failure/);
  assert.equal((await cells(page)).filter(([, state]) => state === 'cached').length, 2, JSON.stringify(await cells(page)));
  assert.equal(await page.evaluate(() => window.weft.timeline.video ?? null), null, 'no video from a failed render');
  assert.equal(await page.getByTestId('render-video').isHidden(), true);
  assert.equal(await page.getByTestId('timeline-cancel').isHidden(), true);
  assert.equal(await page.getByTestId('timeline-status').isHidden(), true);

  // The encoder fixed: Render again renders what failed, and the video plays.
  fs.rmSync(path.join(tools, 'fail'));
  fs.rmSync(path.join(tools, 'delay'));
  await page.getByTestId('timeline-render').click();
  await waitIdle(page, ['cached'], { video: true });
  assert.deepEqual(await cells(page), [['red', 'cached', '✓'], ['green', 'cached', '✓'], ['blue', 'cached', '✓']]);
  const video = await page.evaluate(() => window.weft.timeline.video);
  assert.match(video, /^\/render\/parts\.weft\/video\.mp4(\?|$)/);
  const player = page.getByTestId('render-video');
  await player.waitFor();
  assert.equal(await player.evaluate((v) => new URL(v.src).pathname + new URL(v.src).search), video);
  assert.equal(await player.getAttribute('controls'), '');
  await page.waitForFunction(() => document.querySelector('[data-testid="render-video"]').readyState >= 2);
  await player.evaluate((v) => {
    window.__loadstarts = 0;
    v.addEventListener('loadstart', () => { window.__loadstarts += 1; });
  });
  const media = await player.evaluate((v) => ({ duration: v.duration, width: v.videoWidth, height: v.videoHeight, error: v.error?.message ?? null }));
  assert.deepEqual([media.width, media.height, media.error], [64, 36, null]);
  assert.ok(Math.abs(media.duration - 4) < 0.3, `a 4 s video: ${media.duration}`);
  await player.evaluate(async (v) => {
    v.muted = true;
    await v.play();
  });
  await page.waitForFunction(() => document.querySelector('[data-testid="render-video"]').currentTime > 0.2);

  // Every segment has its thumbnail now, the red one red.
  const redThumb = '[data-testid="timeline-cell"][data-name="red"] [data-testid="timeline-thumb"]';
  await page.locator('[data-testid="timeline-cell"][data-name="red"]').click();
  await page.waitForFunction(() => window.weft.lastCommandResult?.text === 'preview red');
  assert.equal(await page.evaluate(() => window.weft.lastCommandResult.ok), true, await page.evaluate(() => window.weft.lastCommandResult.output));
  const [r2, g2, b2] = await thumbColour(page, redThumb, 0);
  assert.ok(r2 > g2 + 100 && r2 > b2 + 100, `a red thumbnail: ${[r2, g2, b2]}`);

  // An edit of the second segment marks it dirty; the others stay cached.
  const before = page.received.filter((m) => m.type === 'timeline').length;
  writeFile(dir, 'parts.weft', parts('0.9, 0.9, 0.1'));
  await page.waitForFunction(() => document.querySelector('[data-testid="timeline-cell"][data-name="green"]')?.dataset.state === 'dirty');
  assert.deepEqual(await cells(page), [['red', 'cached', '✓'], ['green', 'dirty', '●'], ['blue', 'cached', '✓']]);
  // Later timelines with the same video do not load it again.
  assert.ok(page.received.filter((m) => m.type === 'timeline').length > before);
  if (await page.evaluate(() => window.weft.timeline.video) === video) {
    assert.equal(await page.evaluate(() => window.__loadstarts), 0, 'the same video URL is not set again');
  }

  assert.deepEqual(await page.evaluate(() => window.weft.errors), []);
  assert.deepEqual(page.consoleErrors, []);
  await page.close();
});

test('Cancel stops a running render; what finished stays cached', async () => {
  const page = await open('long.weft');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="timeline-cell"]').length === 4);
  assert.deepEqual((await cells(page)).map(([, state]) => state), ['pending', 'pending', 'pending', 'pending']);

  // The first chunk encodes (each segment is one chunk); the others are held until
  // the server has taken the Cancel, so it surely comes while they run.
  fs.rmSync(path.join(tools, 'slots'), { recursive: true, force: true });
  fs.writeFileSync(path.join(tools, 'hold'), '1');
  try {
    await page.getByTestId('timeline-render').click();
    await page.getByTestId('timeline-cancel').waitFor();
    await page.waitForFunction(() => /^rendering \d+\/\d+$/.test(document.querySelector('[data-testid="timeline-status"]').textContent));
    await page.waitForFunction(() => window.weft.timeline.rendering && document.querySelector('[data-testid="timeline-cell"][data-state="cached"]'));
    await page.getByTestId('timeline-cancel').click();
    await eventually(() => page.sent.some((m) => m.type === 'command' && m.text === 'cancel'), 'Cancel sent `cancel`');
    await page.waitForFunction(() => window.weft.lastCommandResult?.text === 'cancel');
    assert.equal(await page.evaluate(() => window.weft.lastCommandResult.ok), true, await page.evaluate(() => window.weft.lastCommandResult.output));
    fs.rmSync(path.join(tools, 'hold'));
    await waitIdle(page, ['cached', 'dirty', 'pending', 'error']);
    await page.getByTestId('timeline-cancel').waitFor({ state: 'hidden' });
    assert.equal(await page.getByTestId('timeline-render').isEnabled(), true);
    assert.equal(await page.getByTestId('timeline-status').isHidden(), true);
    const states = (await cells(page)).map(([, state]) => state);
    assert.ok(states.includes('cached'), `what finished stays cached: ${states}`);
    assert.ok(states.includes('pending'), `the render stopped before the end: ${states}`);
    assert.ok(states.every((s) => s === 'cached' || s === 'pending'), `cancelled, not failed: ${states}`);
    assert.equal(await page.evaluate(() => window.weft.timeline.video ?? null), null);
    assert.equal(await page.getByTestId('render-video').isHidden(), true);

    // Render again: the cached segments stay as they are, the rest render, the video comes.
    const cached = (await cells(page)).filter(([, state]) => state === 'cached').map(([name]) => name);
    const from = page.received.length;
    await page.getByTestId('timeline-render').click();
    await waitIdle(page, ['cached'], { video: true });
    const during = page.received.slice(from).filter((m) => m.type === 'timeline' && m.rendering);
    assert.ok(during.length > 0);
    for (const m of during) {
      for (const name of cached) assert.equal(m.segments.find((s) => s.name === name).state, 'cached', `${name} is not rendered again`);
    }
    await page.getByTestId('render-video').waitFor();
  } finally {
    fs.rmSync(path.join(tools, 'hold'), { force: true });
  }
  assert.deepEqual(await page.evaluate(() => window.weft.errors), []);
  assert.deepEqual(page.consoleErrors, []);
  await page.close();
});
