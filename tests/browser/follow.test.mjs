// Follow mode against the real `weft dev`: an unpinned page goes to the file that
// changed on disk; a pinned one (📌, blue, a tooltip saying so) stays on its file
// and still updates when that file changes. The tree and the URL follow along.

import fs from 'node:fs';
import path from 'node:path';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { makeFolder, writeFile, startServer, launchBrowser, openPage, waitLoaded, waitRunAfter } from './harness.mjs';

const file = (value) => `// One constant.\nv<x> = ${value}\n`;

let dir;
let server;
let browser;

before(async () => {
  // Files that each test changes are its own, so no test sees another's edits.
  const files = { 'a.weft': file('1'), 'lib/b.weft': file('2'), 'c.weft': file('3') };
  for (const name of ['lib/e', 'p', 'f', 'g', 'h', 'i', 'gone']) files[`${name}.weft`] = file('0');
  dir = makeFolder(files);
  server = await startServer(dir);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

const valueOf = (page) => page.evaluate(() => window.weft.blocks.find((b) => b.name === 'v')?.views[0]?.value);

test('the tree lists the folder and the breadcrumb shows where the file is', async () => {
  const page = await openPage(browser, `${server.url}#/lib/b.weft`);
  await waitLoaded(page, 'lib/b.weft');
  await page.waitForFunction(() => window.weft.files.length === 10);
  assert.deepEqual((await page.evaluate(() => window.weft.files)).sort(), [
    'a.weft', 'c.weft', 'f.weft', 'g.weft', 'h.weft', 'i.weft', 'lib/b.weft', 'lib/e.weft', 'p.weft',
  ].concat('gone.weft').sort());
  assert.equal(await page.getByTestId('tree').getByRole('link').count(), 10);
  assert.match(await page.getByTestId('breadcrumb').textContent(), /lib/);
  assert.equal(await page.getByTestId('file-name').textContent(), 'b.weft');

  // A click in the tree goes to that file, through the URL.
  await page.getByTestId('tree').getByRole('link', { name: 'a.weft' }).click();
  await waitLoaded(page, 'a.weft');
  assert.match(page.url(), /#\/a\.weft$/);
  assert.equal(await valueOf(page), 1);

  // The root of the breadcrumb leaves the file: nothing watched, the tree stays.
  await page.getByTestId('breadcrumb').getByRole('link').first().click();
  await page.getByTestId('empty').waitFor();
  assert.equal(await page.evaluate(() => window.weft.file), '');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="block"]').length === 0);
  assert.equal(await page.getByTestId('file-title').isHidden(), true);
  assert.deepEqual(page.sent.filter((m) => m.type === 'unwatch-file').at(-1)?.path, 'a.weft');

  // A new file appears in the tree (and, unpinned, the page goes to it).
  writeFile(dir, 'd.weft', file('4'));
  await page.waitForFunction(() => window.weft.files.includes('d.weft'));
  await page.getByTestId('tree').getByRole('link', { name: 'd.weft' }).waitFor();
  await page.close();
});

test('unpinned, the page follows the file that changed', async () => {
  const page = await openPage(browser, `${server.url}#/a.weft`);
  await waitLoaded(page, 'a.weft');
  assert.equal(await page.evaluate(() => window.weft.pinned), false);
  assert.match(await page.getByTestId('pin').getAttribute('title'), /^Following: .*goes to the file that changed/);

  writeFile(dir, 'lib/e.weft', file('50'));
  await waitLoaded(page, 'lib/e.weft');
  await page.waitForFunction(() => window.weft.blocks[0]?.views[0]?.value === 50);
  assert.match(page.url(), /#\/lib\/e\.weft$/);
  assert.equal(await page.getByTestId('file-name').textContent(), 'e.weft');
  assert.equal(await page.getByTestId('tree').locator('[aria-current="page"]').textContent(), 'e.weft');
  await page.close();
});

test('pinned, the page stays on its file, says so, and still updates it', async () => {
  const page = await openPage(browser, `${server.url}#/p.weft`);
  await waitLoaded(page, 'p.weft');

  // Pin it: 📌 beside the name, a blue background and a tooltip saying so.
  await page.getByTestId('pin').click();
  assert.equal(await page.getByTestId('pin').getAttribute('aria-pressed'), 'true');
  assert.equal(await page.getByTestId('pin').textContent(), '📌');
  assert.match(await page.getByTestId('pin').getAttribute('title'), /^Pinned: .*stays on p\.weft/);
  const background = await page.getByTestId('file-title').evaluate((el) => getComputedStyle(el).backgroundColor);
  const [r, g, b] = background.match(/\d+/g).map(Number);
  assert.ok(b > 150 && b > r + 50 && b > g + 30, `the pinned file name is on blue, not ${background}`);

  // A witness page, unpinned, sees the same change the pinned page ignores.
  const witness = await openPage(browser, `${server.url}#/p.weft`);
  await waitLoaded(witness, 'p.weft');
  const followedBefore = await page.evaluate(() => window.weft.followed);
  writeFile(dir, 'f.weft', file('30'));
  await waitLoaded(witness, 'f.weft');
  await witness.waitForFunction(() => window.weft.blocks[0]?.views[0]?.value === 30);
  assert.equal(await page.evaluate(() => window.weft.file), 'p.weft');
  assert.equal(await page.evaluate(() => window.weft.followed), followedBefore);
  assert.match(page.url(), /#\/p\.weft$/);
  await witness.close();

  // The pinned page still updates its own file.
  const before = await page.evaluate(() => window.weft.run);
  writeFile(dir, 'p.weft', file('61'));
  await waitRunAfter(page, before);
  await page.waitForFunction(() => window.weft.blocks[0]?.views[0]?.value === 61);
  assert.equal(await page.evaluate(() => window.weft.file), 'p.weft');

  // The pin survives a reload (sessionStorage); unpinned, the page follows again.
  await page.reload();
  await waitLoaded(page, 'p.weft');
  assert.equal(await page.getByTestId('pin').getAttribute('aria-pressed'), 'true');
  await page.getByTestId('pin').click();
  assert.equal(await page.getByTestId('pin').getAttribute('aria-pressed'), 'false');
  assert.match(await page.getByTestId('pin').getAttribute('title'), /^Following/);
  writeFile(dir, 'g.weft', file('70'));
  await waitLoaded(page, 'g.weft');
  await page.waitForFunction(() => window.weft.blocks[0]?.views[0]?.value === 70);
  await page.close();
});

test('a file edited while nobody watched it shows its new results when the page follows it', async () => {
  const page = await openPage(browser, `${server.url}#/h.weft`);
  await waitLoaded(page, 'h.weft');
  await page.getByTestId('tree').getByRole('link', { name: 'i.weft' }).click();
  await waitLoaded(page, 'i.weft');
  await page.getByTestId('tree').getByRole('link', { name: 'h.weft' }).click();
  await waitLoaded(page, 'h.weft');

  writeFile(dir, 'i.weft', file('80'));
  await waitLoaded(page, 'i.weft');
  await page.waitForFunction(() => window.weft.blocks[0]?.views[0]?.value === 80);
  await page.close();
});

test('a watched file that is deleted keeps what it showed and says it is gone', async () => {
  const page = await openPage(browser, `${server.url}#/gone.weft`);
  await waitLoaded(page, 'gone.weft');
  const shown = () => page.evaluate(() => window.weft.blocks.map((b) => [b.name, b.views[0]?.value]));
  const before = await shown();
  fs.rmSync(path.join(dir, 'gone.weft'));
  await page.waitForFunction(() => !window.weft.files.includes('gone.weft'));
  await page.getByTestId('tree').getByRole('link', { name: 'gone.weft' }).waitFor({ state: 'detached' });
  // The server says so; every block keeps what it showed, marked stale.
  await page.getByTestId('run-error').filter({ hasText: 'gone.weft` was deleted' }).waitFor();
  assert.deepEqual(await shown(), before);
  assert.ok((await page.evaluate(() => window.weft.blocks)).every((b) => b.state === 'stale'));
  assert.equal(await page.evaluate(() => window.weft.file), 'gone.weft');
  // It comes back: results again, no error.
  writeFile(dir, 'gone.weft', file('5'));
  await page.waitForFunction(() => window.weft.blocks.find((b) => b.name === 'v')?.views[0]?.value === 5 && !window.weft.runError);
  await page.close();
});

