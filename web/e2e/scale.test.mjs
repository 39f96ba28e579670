// The page with a large catalogue: `mu serve` with 2,000 generated boards (bench/gen_boards.py,
// answered from its replay fixtures) besides the built-in ones. The page never downloads the
// whole catalogue, the home shows a bounded set of cards, the directory (#/boards) and the
// palette find boards through the server, and a board added from the directory stays on the
// home page across a reload.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { FIXTURES, ROOT, ensureBuilt, launchBrowser, removeDir, startMu, tempDir, waitFor } from './harness.mjs';

const N = 2000;

let gen;
let mu;
let browser;

before(async () => {
  ensureBuilt();
  gen = tempDir('mu-web-scale-');
  const r = spawnSync('python3', [join(ROOT, 'bench/gen_boards.py'), String(N), gen, '--every', '10m'], { encoding: 'utf8' });
  assert.equal(r.status, 0, `gen_boards.py: ${r.stderr}`);
  mu = await startMu({
    replay: false,
    env: { MU_SOURCES_DIR: join(gen, 'sources.d') },
    args: ['--replay', `${FIXTURES}:${join(gen, 'replay')}`],
  });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await mu?.stop();
  if (gen) removeDir(gen);
});

/** A page that records every GET /api/v1/boards (the catalogue, not a board's body) it sends. */
async function newPage() {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-US' });
  const page = await context.newPage();
  // Page errors only: the generated items' links and images point at hosts that do not
  // resolve, and a signed-out /api/v1/me answers 401.
  const errors = [];
  page.on('pageerror', (err) => errors.push(err.message));
  const catalogueRequests = [];
  page.on('request', (r) => {
    const url = new URL(r.url());
    if (url.pathname === '/api/v1/boards') catalogueRequests.push(url.search);
  });
  return { context, page, errors, catalogueRequests };
}

function assertNeverWhole(catalogueRequests) {
  assert.ok(catalogueRequests.length > 0, 'the page asked for some boards');
  for (const search of catalogueRequests) assert.notEqual(search, '', 'never the unfiltered /api/v1/boards');
}

/** Waits until the directory says how many boards match and returns that number. */
async function dirTotal(page, expect) {
  let total;
  await waitFor(
    async () => {
      if (await page.locator('.dir-list[aria-busy="true"]').count()) return false;
      const v = await page.getByTestId('dir-total').getAttribute('data-total');
      total = v === null ? undefined : Number(v);
      return total !== undefined && (!expect || expect(total));
    },
    { what: 'the directory total' },
  );
  return total;
}

/** Scrolls down until the home draws no more cards (it draws them as they come into view). */
async function drawAll(page) {
  const cards = page.locator('section.card');
  let last = -1;
  let same = 0;
  await waitFor(
    async () => {
      const n = await cards.count();
      same = n === last ? same + 1 : 0;
      last = n;
      if (same >= 3) return true;
      await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
      return false;
    },
    { what: 'every card of the home drawn', interval: 100 },
  );
  await page.evaluate(() => window.scrollTo(0, 0));
  return last;
}

/** Scrolls down until `card` is drawn. */
async function scrollTo(page, card) {
  await waitFor(
    async () => {
      if (await card.count()) return true;
      await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
      return false;
    },
    { what: 'the card drawn', interval: 100 },
  );
}

test('a large catalogue: a bounded home, the count and a link to the directory', async () => {
  const { context, page, errors, catalogueRequests } = await newPage();
  await page.goto(mu.base);
  const cards = page.locator('section.card');
  await page.getByTestId('catalogue-count').waitFor();
  await waitFor(async () => (await cards.count()) >= 3, { what: 'the first cards' });
  const n = await drawAll(page);
  assert.ok(n >= 20 && n <= 60, `a bounded number of cards (${n})`);
  const line = await page.getByTestId('catalogue-count').textContent();
  const total = Number((/([\d,]+) boards/.exec(line ?? '')?.[1] ?? '0').replace(/,/g, ''));
  assert.ok(total >= N, `the page says how many boards exist: ${line}`);
  // A first visit asks for at most 301 boards (the whole catalogue if it is small; here it
  // says there are more) and keeps the first 60.
  assertNeverWhole(catalogueRequests);
  assert.equal(catalogueRequests[0], '?limit=301', 'the first catalogue request is the probe');
  // On a loaded machine the page may refresh its home meanwhile (a resync or reconnect of
  // the event stream, a slow answer): only for the home's own boards, never another probe.
  assert.deepEqual(
    catalogueRequests.slice(1).filter((q) => q !== '?limit=60'),
    [],
    `later catalogue requests ask only for the home's boards: ${catalogueRequests}`,
  );
  // Only the tabs of sites on the home page, not one per generated site.
  assert.ok((await page.locator('nav.tabs li').count()) < 80, 'site tabs stay few');
  await page.getByTestId('directory-link').click();
  await page.getByTestId('dir-list').waitFor();
  assert.match(page.url(), /#\/boards$/);
  assert.deepEqual(errors, []);
  await context.close();
});

test('the directory finds boards by id and by site name; site and kind filters narrow', async () => {
  const { context, page, errors, catalogueRequests } = await newPage();
  await page.goto(`${mu.base}/#/boards`);
  const all = await dirTotal(page);
  assert.ok(all >= N, `everything listed (${all})`);
  assert.equal(await page.locator('[data-testid="dir-list"] > li').count(), 60, 'one page of 60');
  await page.getByTestId('dir-more').click();
  await waitFor(async () => (await page.locator('[data-testid="dir-list"] > li').count()) === 120, { what: 'the second page' });

  const q = page.getByTestId('dir-q');
  await q.fill('gen0150');
  await page.locator('[data-testid="dir-list"] > li[data-board="gen0150.b3"]').waitFor();
  assert.equal(await dirTotal(page, (t) => t === 10), 10, 'the ten boards of gen0150');
  await q.fill('Generated 150');
  await dirTotal(page, (t) => t < 100);
  await page.locator('[data-testid="dir-list"] > li[data-board="gen0150.b3"]').waitFor();
  await q.fill('生成站点150');
  await dirTotal(page, (t) => t < 100);
  await page.locator('[data-testid="dir-list"] > li[data-board="gen0150.b3"]').waitFor();
  await q.fill('');
  await dirTotal(page, (t) => t === all);

  await page.getByTestId('dir-site').selectOption('gen0150');
  assert.equal(await dirTotal(page, (t) => t === 10), 10, 'site filter');
  await page.getByTestId('dir-kind').selectOption('stream');
  assert.equal(await dirTotal(page, (t) => t === 2), 2, 'site and kind filters');
  const ids = await page.locator('[data-testid="dir-list"] > li').evaluateAll((ls) => ls.map((l) => l.dataset.board));
  assert.deepEqual(ids.sort(), ['gen0150.b4', 'gen0150.b9']);
  await page.getByTestId('dir-site').selectOption('');
  const streams = await dirTotal(page, (t) => t > 2 && t < all);
  await page.getByTestId('dir-kind').selectOption('');
  await page.getByTestId('dir-region').selectOption('global');
  const global = await dirTotal(page, (t) => t < all && t !== streams);
  assert.ok(global >= N / 2, `the global sites (${global})`);
  assertNeverWhole(catalogueRequests);
  assert.deepEqual(errors, []);
  await context.close();
});

test('a board added from the directory is on the home page, also after a reload', async () => {
  const { context, page, errors, catalogueRequests } = await newPage();
  await page.goto(`${mu.base}/#/boards`);
  await page.getByTestId('dir-q').fill('gen0150.b3');
  const row = page.locator('[data-testid="dir-list"] > li[data-board="gen0150.b3"]');
  await row.waitFor();
  await dirTotal(page, (t) => t === 1);
  const toggle = row.getByTestId('dir-toggle');
  assert.equal(await toggle.textContent().then((s) => s?.trim()), 'Add to home');
  await toggle.press('Enter'); // keyboard works
  await waitFor(async () => (await toggle.textContent())?.trim() === 'Remove from home', { what: 'the row to say it is on the home page' });
  await page.goto(`${mu.base}/#/`);
  const card = page.locator('section.card[data-board="gen0150.b3"]');
  await scrollTo(page, card);
  await page.reload();
  await scrollTo(page, card);
  await card.scrollIntoViewIfNeeded();
  await card.locator('[data-testid="card-items"] > li').first().waitFor({ timeout: 30_000 }).catch(() => {
    // the generated board may not have been fetched yet: the card is what counts
  });
  // The reload (the mode is known now) asked for the user's boards by id only.
  assert.ok(!catalogueRequests.slice(1).some((s) => s === '?limit=301'), `${catalogueRequests}`);
  assert.ok(catalogueRequests.some((s) => s.startsWith('?ids=') && s.includes('gen0150.b3')), `${catalogueRequests}`);
  assertNeverWhole(catalogueRequests);
  assert.ok((await page.locator('section.card').count()) <= 61);

  // The palette finds a board that is not on the home page (asked of the server).
  await page.keyboard.press('Control+k');
  await page.locator('[data-testid="palette"] input').waitFor();
  await page.keyboard.type('gen0199.b9');
  // (a board option: the "search all history for …" entry at the end names the query too)
  await page.locator('[data-testid="palette"] [role="option"][data-type="board"]', { hasText: 'gen0199.b9' }).waitFor();
  await page.keyboard.press('Enter');
  await waitFor(() => page.url().endsWith('#/board/gen0199.b9'), { what: 'the board page' });
  await page.locator('.board-page h1', { hasText: 'Board 9' }).waitFor();

  // Removing it again takes the card off.
  await page.goto(`${mu.base}/#/boards`);
  await page.getByTestId('dir-q').fill('gen0150.b3');
  await dirTotal(page, (t) => t === 1);
  await page.locator('[data-testid="dir-list"] > li[data-board="gen0150.b3"]').getByTestId('dir-toggle').click();
  await page.goto(`${mu.base}/#/`);
  await page.locator('section.card').first().waitFor();
  assert.equal(await card.count(), 0);
  assert.deepEqual(errors, []);
  await context.close();
});
