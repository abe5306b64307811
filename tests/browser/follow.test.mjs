// Follow mode against the real `weft dev`: an unpinned page goes to the file that
// changed on disk; a pinned one (📌, blue, a tooltip saying so) stays on its file
// and still updates when that file changes. The tree and the URL follow along.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { makeFolder, writeFile, startServer, launchBrowser, openPage, waitLoaded, waitRunAfter } from './harness.mjs';

const file = (value) => `// One constant.\nv<x> = ${value}\n`;

let dir;
let server;
let browser;

before(async () => {
  dir = makeFolder({ 'a.weft': file('1'), 'lib/b.weft': file('2'), 'c.weft': file('3') });
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
  await page.waitForFunction(() => window.weft.files.length === 3);
  assert.deepEqual(await page.evaluate(() => window.weft.files), ['a.weft', 'c.weft', 'lib/b.weft']);
  assert.match(await page.getByTestId('breadcrumb').textContent(), /lib/);
  assert.equal(await page.getByTestId('file-name').textContent(), 'b.weft');

  // A click in the tree goes to that file, through the URL.
  await page.getByTestId('tree').getByRole('link', { name: 'a.weft' }).click();
  await waitLoaded(page, 'a.weft');
  assert.match(page.url(), /#\/a\.weft$/);
  assert.equal(await valueOf(page), 1);

  // A new file appears in the tree.
  writeFile(dir, 'd.weft', file('4'));
  await page.waitForFunction(() => window.weft.files.includes('d.weft'));
  await page.getByTestId('tree').getByRole('link', { name: 'd.weft' }).waitFor();
  await page.close();
});

test('unpinned, the page follows the file that changed; pinned, it stays and still updates', async () => {
  const page = await openPage(browser, `${server.url}#/a.weft`);
  await waitLoaded(page, 'a.weft');
  assert.equal(await page.evaluate(() => window.weft.pinned), false);
  assert.match(await page.getByTestId('pin').getAttribute('title'), /follow/i);

  // Unpinned: another file changes, the page goes there.
  writeFile(dir, 'lib/b.weft', file('20'));
  await waitLoaded(page, 'lib/b.weft');
  await page.waitForFunction(() => window.weft.blocks[0]?.views[0]?.value === 20);
  assert.match(page.url(), /#\/lib\/b\.weft$/);
  assert.equal(await page.getByTestId('file-name').textContent(), 'b.weft');

  // Pin it: 📌 beside the name, a blue background and a tooltip saying so.
  await page.getByTestId('pin').click();
  assert.equal(await page.getByTestId('pin').getAttribute('aria-pressed'), 'true');
  assert.equal(await page.getByTestId('pin').textContent(), '📌');
  assert.match(await page.getByTestId('pin').getAttribute('title'), /^Pinned: .*stays on lib\/b\.weft/);
  const background = await page.getByTestId('file-title').evaluate((el) => getComputedStyle(el).backgroundColor);
  const [r, g, b] = background.match(/\d+/g).map(Number);
  assert.ok(b > 150 && b > r + 50 && b > g + 30, `the pinned file name is on blue, not ${background}`);

  // A witness page, unpinned, sees the same change the pinned page ignores.
  const witness = await openPage(browser, `${server.url}#/lib/b.weft`);
  await waitLoaded(witness, 'lib/b.weft');
  const followedBefore = await page.evaluate(() => window.weft.followed);
  writeFile(dir, 'c.weft', file('30'));
  await waitLoaded(witness, 'c.weft');
  await witness.waitForFunction(() => window.weft.blocks[0]?.views[0]?.value === 30);
  assert.equal(await page.evaluate(() => window.weft.file), 'lib/b.weft');
  assert.equal(await page.evaluate(() => window.weft.followed), followedBefore);
  assert.match(page.url(), /#\/lib\/b\.weft$/);

  // The pinned page still updates its own file.
  const before = await page.evaluate(() => window.weft.run);
  writeFile(dir, 'lib/b.weft', file('21'));
  await waitRunAfter(page, before);
  await page.waitForFunction(() => window.weft.blocks[0]?.views[0]?.value === 21);
  assert.equal(await page.evaluate(() => window.weft.file), 'lib/b.weft');

  // The pin survives a reload (sessionStorage); unpinning follows again.
  await page.reload();
  await waitLoaded(page, 'lib/b.weft');
  assert.equal(await page.getByTestId('pin').getAttribute('aria-pressed'), 'true');
  await page.getByTestId('pin').click();
  assert.equal(await page.getByTestId('pin').getAttribute('aria-pressed'), 'false');
  writeFile(dir, 'a.weft', file('10'));
  await waitLoaded(page, 'a.weft');
  await page.waitForFunction(() => window.weft.blocks[0]?.views[0]?.value === 10);
  await witness.close();
  await page.close();
});
