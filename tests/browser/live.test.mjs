// The live view against the real `weft dev`: a page shows each statement's result,
// follows edits on disk, keeps the last good results (stale) and the picture when
// an edit breaks the file, keeps slider values across edits and reloads, renders
// prose safely, and loads nothing from outside its own origin.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { makeFolder, writeFile, startServer, launchBrowser, openPage, waitLoaded, waitRunAfter, block } from './harness.mjs';

const SKETCH = (k, freqLine = 'freq<hz> = param(220, 55, 880)') => `// The **gradient**: red grows to the right, see [the docs](docs/language.md).
img<r, g, b> = (me@x, me@y, 0.5)

// A constant.
k<v> = ${k}

${freqLine}
tone<s> = 0.2 * sin(me@time * tau * freq@hz)

display(img@r, img@g, img@b)
play(tone@s)
`;
const K_LINE = 5;

const EVIL = `// <img src=x onerror="window.__xss = 1"> and <script>window.__xss = 2</script>
// [click](javascript:window.__xss=3) *fine*
evil<v> = 0.5

display(evil@v, evil@v, evil@v)
`;

let dir;
let server;
let browser;

before(async () => {
  // One file per test, so that no test sees what another did to its file.
  const files = { 'evil.weft': EVIL };
  for (const name of ['show', 'edit', 'broken', 'slider', 'only', 'reload', 'origin']) files[`${name}.weft`] = SKETCH('0.25');
  dir = makeFolder(files);
  server = await startServer(dir);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('the page shows every statement with its result', async () => {
  const page = await openPage(browser, `${server.url}#/show.weft`);
  await waitLoaded(page, 'show.weft');

  assert.equal(await page.getByTestId('file-name').textContent(), 'show.weft');
  await page.getByTestId('tree').getByRole('link', { name: 'show.weft' }).waitFor();
  assert.equal(await page.getByTestId('tree').locator('[aria-current="page"]').textContent(), 'show.weft');

  const img = page.locator('[data-testid="block"][data-name="img"]');
  await img.locator('[data-testid="view-image"]').first().waitFor();
  assert.match(await img.locator('[data-testid="view-image"]').first().getAttribute('src'), /^data:image\/png;base64,/);
  // Prose is Markdown.
  assert.equal(await img.locator('[data-testid="block-prose"] strong').textContent(), 'gradient');

  const k = page.locator('[data-testid="block"][data-name="k"]');
  assert.equal(await k.locator('[data-testid="view-number"]').textContent(), '0.25');
  const tone = page.locator('[data-testid="block"][data-name="tone"]');
  await tone.locator('[data-testid="view-wave"]').waitFor();

  assert.deepEqual(page.consoleErrors, []);
  await page.close();
});

test('an edit on disk shows the new result', async (t) => {
  const page = await openPage(browser, `${server.url}#/edit.weft`);
  await waitLoaded(page, 'edit.weft');
  const before = await page.evaluate(() => window.weft.run);
  const imgId = (await block(page, 'img')).id;

  const saved = Date.now();
  writeFile(dir, 'edit.weft', SKETCH('0.75'));
  await waitRunAfter(page, before);
  const k = page.locator('[data-testid="block"][data-name="k"]');
  await page.waitForFunction(() => window.weft.blocks.find((b) => b.name === 'k')?.views[0]?.value === 0.75);
  t.diagnostic(`save to new result in the page: ${Date.now() - saved} ms (debounce included)`);
  assert.equal(await k.locator('[data-testid="view-number"]').textContent(), '0.75');
  // The untouched statement keeps its id (and its result).
  assert.equal((await block(page, 'img')).id, imgId);
  assert.equal((await block(page, 'img')).state, 'ok');
  await page.close();
});

test('a broken edit shows the error and keeps the old results, stale, and the picture', async () => {
  const page = await openPage(browser, `${server.url}#/broken.weft`);
  await waitLoaded(page, 'broken.weft');
  await page.getByTestId('play').click();
  await page.waitForFunction(() => window.weft.framesDrawn > 0);
  const before = await page.evaluate(() => window.weft.run);

  writeFile(dir, 'broken.weft', SKETCH('pulze@v'));
  await waitRunAfter(page, before);
  const error = page.locator('[data-testid="block"][data-name="k"] [data-testid="block-error"]');
  await error.waitFor();
  assert.match(await error.textContent(), new RegExp(`line ${K_LINE}, column 8`));
  assert.match(await page.getByTestId('run-error').textContent(), new RegExp(`line ${K_LINE}, column 8`));
  const runError = await page.evaluate(() => window.weft.runError);
  assert.equal(runError.line, K_LINE);
  assert.equal(runError.column, 8);

  // The other statements keep their last good results, marked stale.
  const img = page.locator('[data-testid="block"][data-name="img"]');
  assert.match(await img.getAttribute('class'), /\bstale\b/);
  assert.match(await img.locator('[data-testid="block-result"]').getAttribute('class'), /\bstale\b/);
  await img.locator('[data-testid="view-image"]').first().waitFor();
  // The broken statement keeps its old number, stale.
  const k = page.locator('[data-testid="block"][data-name="k"]');
  assert.equal(await k.locator('[data-testid="view-number"]').textContent(), '0.25');
  assert.match(await k.locator('[data-testid="block-result"]').getAttribute('class'), /\bstale\b/);

  // The picture goes on: frames keep coming and the canvas is not blank.
  const drawn = await page.evaluate(() => window.weft.framesDrawn);
  await page.waitForFunction((n) => window.weft.framesDrawn > n, drawn);
  const lit = await page.evaluate(() => {
    const canvas = document.querySelector('[data-testid="canvas"]');
    const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
    let sum = 0;
    for (let i = 0; i < data.length; i += 4) sum += data[i] + data[i + 1] + data[i + 2];
    return sum;
  });
  assert.ok(lit > 0, 'the canvas is black');

  // Fixing it clears the error and the stale marks.
  const broken = await page.evaluate(() => window.weft.run);
  writeFile(dir, 'broken.weft', SKETCH('0.5'));
  await waitRunAfter(page, broken);
  await page.waitForFunction(() => window.weft.blocks.every((b) => b.state === 'ok'));
  assert.equal(await page.getByTestId('block-error').count(), 0);
  assert.equal(await page.locator('[data-testid="block"].stale').count(), 0);
  assert.equal(await page.getByTestId('run-error').isHidden(), true);
  await page.close();
});

test('a slider value survives an edit of another statement and a reload', async () => {
  const page = await openPage(browser, `${server.url}#/slider.weft`);
  await waitLoaded(page, 'slider.weft');
  const slider = page.getByTestId('param-freq');
  await slider.waitFor();
  assert.equal(await page.getByLabel('freq').count(), 1, 'the slider has a label');
  assert.equal(Number(await slider.inputValue()), 220);

  // 55 + 500 steps of (880 - 55) / 1000.
  await slider.fill('467.5');
  await page.waitForFunction(() => window.weft.params.freq === 467.5);
  assert.equal(await page.getByTestId('param-value-freq').textContent(), '467.5');

  // Another page watching the file sees the value set by this one.
  const other = await openPage(browser, `${server.url}#/slider.weft`);
  await waitLoaded(other, 'slider.weft');
  await other.waitForFunction(() => window.weft.params.freq === 467.5);

  const before = await page.evaluate(() => window.weft.run);
  writeFile(dir, 'slider.weft', SKETCH('0.125'));
  await waitRunAfter(page, before);
  await page.waitForFunction(() => window.weft.blocks.find((b) => b.name === 'k')?.views[0]?.value === 0.125);
  assert.equal(await page.evaluate(() => window.weft.params.freq), 467.5);
  assert.equal(Number(await slider.inputValue()), 467.5);

  await page.reload();
  await waitLoaded(page, 'slider.weft');
  await page.waitForFunction(() => window.weft.params.freq === 467.5);
  assert.equal(Number(await page.getByTestId('param-freq').inputValue()), 467.5);
  await other.close();
  await page.close();
});

test('a slider value survives a page reload when the page is the file\'s only watcher', async () => {
  const page = await openPage(browser, `${server.url}#/only.weft`);
  await waitLoaded(page, 'only.weft');
  await page.getByTestId('param-freq').fill('302.5');
  await page.waitForFunction(() => window.weft.params.freq === 302.5);
  // The server has it: `get freq` answers with the new value.
  await page.keyboard.press('Control+K');
  await page.getByTestId('command-input').fill('get freq');
  await page.getByTestId('command-input').press('Enter');
  await page.waitForFunction(() => window.weft.lastCommandResult?.text === 'get freq');
  const answer = await page.evaluate(() => window.weft.lastCommandResult);
  assert.match(answer.output, /302\.5/, JSON.stringify(answer));

  await page.reload();
  await waitLoaded(page, 'only.weft');
  await page.getByTestId('param-freq').waitFor();
  await page.waitForFunction(() => window.weft.params.freq === 302.5);
  await page.close();
});

test('a reload gets everything back: file, pin, results, parameters', async () => {
  const page = await openPage(browser, `${server.url}#/reload.weft`);
  await waitLoaded(page, 'reload.weft');
  await page.getByTestId('pin').click();
  const ids = await page.evaluate(() => window.weft.blocks.map((b) => b.id));
  const clientId = await page.evaluate(() => window.weft.clientId);

  await page.reload();
  await waitLoaded(page, 'reload.weft');
  assert.deepEqual(await page.evaluate(() => window.weft.blocks.map((b) => b.id)), ids);
  assert.equal(await page.evaluate(() => window.weft.pinned), true);
  assert.equal(await page.evaluate(() => window.weft.clientId), clientId);
  assert.equal(await page.getByTestId('pin').getAttribute('aria-pressed'), 'true');
  await page.getByTestId('param-freq').waitFor();
  assert.equal(await page.getByTestId('connection').getAttribute('data-state'), 'connected');
  await page.close();
});

test('prose and code from a file cannot inject HTML', async () => {
  const page = await openPage(browser, `${server.url}#/evil.weft`);
  await waitLoaded(page, 'evil.weft');
  const evil = page.locator('[data-testid="block"][data-name="evil"]');
  const prose = evil.getByTestId('block-prose');
  await prose.waitFor();
  assert.match(await prose.textContent(), /<img src=x onerror=/);
  assert.equal(await prose.locator('img, script').count(), 0);
  assert.equal(await prose.locator('a').count(), 0, 'a javascript: link is not a link');
  assert.equal(await prose.locator('em').textContent(), 'fine');
  assert.equal(await page.evaluate(() => window.__xss), undefined);
  await page.close();
});

test('prose Markdown: paragraphs, lists, emphasis, code and safe links', async () => {
  const page = await openPage(browser, `${server.url}#/origin.weft`);
  await waitLoaded(page, 'origin.weft');
  const html = await page.evaluate(async () => {
    const { renderMarkdown } = await import('/app/markdown.js');
    const render = (text) => {
      const div = document.createElement('div');
      div.append(renderMarkdown(text));
      return div.innerHTML;
    };
    return [
      render('One *two* **three** `x < y`\nstill one.\n\nTwo.'),
      render('- a\n- _b_\n\n1. one\n2. two'),
      render('[ok](https://example.org/a?b=1&c=2) [rel](docs/language.md) [bad](javascript:alert(1)) [bad2](data:text/html,x) [bad3](//evil.example)'),
      render('<b>not bold</b> & "quotes"'),
    ];
  });
  assert.equal(html[0], '<p>One <em>two</em> <strong>three</strong> <code>x &lt; y</code> still one.</p><p>Two.</p>');
  assert.equal(html[1], '<ul><li>a</li><li><em>b</em></li></ul><ol><li>one</li><li>two</li></ol>');
  assert.equal(html[2], '<p><a href="https://example.org/a?b=1&amp;c=2" target="_blank" rel="noopener noreferrer">ok</a> '
    + '<a href="docs/language.md">rel</a> [bad](javascript:alert(1)) [bad2](data:text/html,x) [bad3](//evil.example)</p>');
  assert.equal(html[3], '<p>&lt;b&gt;not bold&lt;/b&gt; &amp; "quotes"</p>');
  await page.close();
});

test('the page loads nothing from outside its own origin', async () => {
  const page = await openPage(browser, `${server.url}#/origin.weft`);
  await waitLoaded(page, 'origin.weft');
  const origin = new URL(server.url).origin;
  const wsOrigin = origin.replace(/^http/, 'ws');
  const foreign = page.requests.filter((url) => !url.startsWith(origin) && !url.startsWith(wsOrigin) && !url.startsWith('data:'));
  assert.deepEqual(foreign, []);
  await page.close();
});
