// The status page (#/status) end to end: `mu serve` replaying the fixtures, except that Zhihu's
// hot list answers 404 (a replay map of our own, read before the built-in ones), and Solidot
// switched off through the admin API (signed in with the one-time local admin link). The page lists every board of GET /api/v1/health/boards with the
// API's standing and counts, worst first; the failing board shows its failure class and the
// server's hint, the message folded away; filters, refresh (by hand and every 60 s), English,
// hostile text as text, 390 px without sideways scrolling, and axe in both themes.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { FIXTURES, ensureBuilt, launchBrowser, removeDir, startMu, tempDir, waitFor, watchPage } from './harness.mjs';

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const FAILING = 'zhihu.hot';
const FAILING_URL = 'https://www.zhihu.com/api/v3/feed/topstory/hot-lists/total?limit=50';
const DISABLED = 'solidot.news';
const STANDINGS = ['stale', 'failing', 'never', 'ok', 'disabled'];
const HEALTH = '/api/v1/health/boards';

let mu;
let browser;
let replay;

async function health() {
  const r = await fetch(`${mu.base}${HEALTH}`, { cache: 'no-store' });
  assert.equal(r.status, 200);
  return r.json();
}

/** Switches a board off as an operator would: PUT /api/v1/admin/boards/{id} as the local admin. */
async function disable(board) {
  const link = await waitFor(() => /\/auth\/local\?token=[\w-]+/.exec(mu.log())?.[0], { what: 'the local admin link' });
  const signIn = await fetch(`${mu.base}${link}`, { redirect: 'manual' });
  assert.equal(signIn.status, 302);
  const cookie = signIn.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const me = await (await fetch(`${mu.base}/api/v1/me`, { headers: { cookie } })).json();
  const put = await fetch(`${mu.base}/api/v1/admin/boards/${board}`, {
    method: 'PUT',
    headers: { cookie, 'X-CSRF-Token': me.csrf_token, 'Content-Type': 'application/json' },
    body: JSON.stringify({ enabled: false }),
  });
  assert.equal(put.status, 200, await put.text());
}

before(async () => {
  ensureBuilt();
  replay = tempDir('mu-web-status-');
  mkdirSync(join(replay, 'zhihu'));
  writeFileSync(join(replay, 'zhihu', 'gone.json'), '{"error":"not found"}\n');
  writeFileSync(join(replay, 'zhihu', 'replay.tsv'), `GET\t${FAILING_URL}\tgone.json\t404\tapplication/json\n`);
  mu = await startMu({ replay: false, args: ['--replay', `${replay}:${FIXTURES}`] });
  await disable(DISABLED);
  // Every enabled board has run once: the standings hold still while the tests compare.
  await waitFor(
    async () => {
      const h = await health();
      const failing = h.boards.find((b) => b.board === FAILING);
      const off = h.boards.find((b) => b.board === DISABLED);
      // The week's tallies are read every 30 s: weibo's first run shows in them by then.
      const weibo = h.boards.find((b) => b.board === 'weibo.hot-search');
      return failing?.error && off?.status === 'disabled' && h.boards.every((b) => b.status !== 'never') && weibo?.runs_7d >= 1;
    },
    { timeout: 90_000, interval: 500, what: `${FAILING} failing, ${DISABLED} disabled, every board run once and counted in the week` },
  );
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await mu?.stop();
  if (replay) removeDir(replay);
});

async function newPage(options = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'zh-CN', reducedMotion: 'reduce', ...options });
  const page = await context.newPage();
  return { context, page, errors: watchPage(page) };
}

/** The page's errors, less the signed-out 401 of /api/v1/me (this server has accounts: the local admin). */
function problems(errors) {
  return errors.filter((e) => !/status of 401/.test(e));
}

async function openStatus(page) {
  await page.goto(`${mu.base}/#/status`);
  await page.locator('[data-testid="status-list"] > li').first().waitFor();
}

/** The rows as shown: [board, standing] in page order. */
function rows(page) {
  return page.locator('[data-testid="status-list"] > li').evaluateAll((lis) => lis.map((li) => [li.dataset.board, li.dataset.status]));
}

test('every board of the API with its standing, worst first; the summary counts are the API\'s', async () => {
  const { context, page, errors } = await newPage();
  await openStatus(page);
  const api = await health();
  const shown = await rows(page);
  assert.equal(shown.length, api.boards.length, 'one row per board');
  assert.deepEqual(new Map(shown), new Map(api.boards.map((b) => [b.board, b.status])), 'each board with the API\'s standing');
  const order = shown.map(([, s]) => STANDINGS.indexOf(s));
  assert.deepEqual(order, [...order].sort((a, b) => a - b), 'stale, failing, never, ok, disabled');
  const index = (id) => shown.findIndex(([b]) => b === id);
  assert.ok(index(FAILING) < shown.findIndex(([, s]) => s === 'ok'), 'the failing board comes before the OK ones');
  assert.equal(shown.at(-1)[0], DISABLED, 'the disabled board comes last');
  for (const s of STANDINGS) {
    const count = page.getByTestId(`status-count-${s}`);
    assert.equal(Number(await count.getAttribute('data-count')), api.summary[s], `count of ${s}`);
    assert.match(await count.innerText(), new RegExp(`\\b${api.summary[s]}\\b`));
  }
  assert.match(await page.getByTestId('status-filter-all').innerText(), new RegExp(`\\b${api.boards.length}\\b`));
  const generated = Date.parse(await page.getByTestId('status-generated').getAttribute('datetime'));
  assert.ok(Math.abs(Date.now() - generated) < 60_000, 'the time the body was generated');
  assert.match(await page.getByTestId('status-generated').innerText(), /^生成于 \d/);
  // Names in the UI language, ages against the interval, success rates, links to the board pages.
  const weibo = page.locator('li[data-board="weibo.hot-search"]');
  assert.match(await weibo.locator('a.st-name').innerText(), /^微博 · 热搜/);
  assert.equal(await weibo.locator('a.st-name').getAttribute('href'), '#/board/weibo.hot-search');
  assert.match(await weibo.getByTestId('status-age').innerText(), /^(刚刚|\d+ 分钟前) · 每 .+ 更新$/);
  assert.equal(await weibo.getByTestId('status-rate').innerText(), '近期成功率 100%');
  const week = api.boards.find((b) => b.board === 'weibo.hot-search');
  assert.ok(week.runs_7d >= 1, `the week counts weibo's runs: ${week.runs_7d}`);
  assert.equal(await weibo.getByTestId('status-rate-7d').innerText(), `7 天 100%（${week.runs_7d} 次）`);
  assert.equal(await weibo.getByTestId('status-rate-24h').innerText(), `24 小时 100%（${week.runs_24h} 次）`);
  assert.equal(await weibo.locator('[data-testid="status-trend"] rect.tr-good').count(), 1, 'the current six hours: all good');
  assert.equal(await weibo.locator('[data-testid="status-trend"] rect').count(), 28);
  assert.equal(await weibo.getByTestId('status-standing').innerText(), '✓ 正常');
  assert.equal(await page.title(), '源站状态 — Mu · 热榜');
  assert.deepEqual(problems(errors), []);
  await context.close();
});

test('a failing board: its failure class as a badge, the hint, the message folded, a link to its page', async () => {
  const { context, page } = await newPage();
  await openStatus(page);
  const api = (await health()).boards.find((b) => b.board === FAILING);
  assert.equal(api.error.class, 'gone', 'HTTP 404 is "gone"');
  const row = page.locator(`li[data-board="${FAILING}"]`);
  assert.equal(await row.getAttribute('data-status'), api.status);
  assert.match(await row.getByTestId('status-standing').innerText(), /过期|抓取失败/);
  const badge = row.getByTestId('status-class');
  assert.equal(await badge.getAttribute('data-class'), 'gone');
  assert.equal(await badge.innerText(), '页面已不存在');
  assert.equal(await row.getByTestId('status-hint').innerText(), api.error.hint);
  const message = row.getByTestId('status-message');
  assert.equal(await message.isVisible(), false, 'the message is folded away');
  await row.locator('summary').click();
  assert.equal(await message.innerText(), api.error.message);
  assert.match(api.error.message, /HTTP 404/);
  // The disabled board says so and has no error.
  const off = page.locator(`li[data-board="${DISABLED}"]`);
  assert.equal(await off.getByTestId('status-standing').innerText(), '– 已停用');
  assert.equal(await off.getByTestId('status-class').count(), 0);
  await row.locator('a.st-name').click();
  await page.waitForFunction((id) => location.hash === `#/board/${id}`, FAILING);
  await context.close();
});

test('the summary filters by standing', async () => {
  const { context, page } = await newPage();
  await openStatus(page);
  const all = (await rows(page)).length;
  const disabled = page.getByTestId('status-count-disabled');
  await disabled.click();
  assert.equal(await disabled.getAttribute('aria-pressed'), 'true');
  assert.deepEqual(await rows(page), [[DISABLED, 'disabled']]);
  await page.getByTestId('status-count-never').click();
  assert.equal(await page.getByTestId('status-none').count(), 1, 'no board was never fetched: said in words');
  await page.getByTestId('status-filter-all').click();
  assert.equal((await rows(page)).length, all);
  await context.close();
});

test('English: labels, names, ages and the failure class', async () => {
  const { context, page } = await newPage();
  await page.goto(`${mu.base}/#/settings`);
  await page.getByTestId('lang-en').check();
  await openStatus(page);
  assert.equal(await page.locator('h1').innerText(), 'Source status');
  assert.equal(await page.getByTestId('status-link').innerText(), 'Source status');
  const row = page.locator(`li[data-board="${FAILING}"]`);
  assert.equal(await row.getByTestId('status-class').innerText(), 'Gone');
  assert.match(await row.getByTestId('status-standing').innerText(), /Stale|Failing/);
  assert.match(await row.getByTestId('status-age').innerText(), /^not fetched yet · every \d+ (min|h)$/);
  const weibo = page.locator('li[data-board="weibo.hot-search"]');
  assert.match(await weibo.locator('a.st-name').innerText(), /^Weibo · /);
  assert.match(await weibo.getByTestId('status-age').innerText(), /^(just now|\d+ min ago) · every \d+ (min|h)$/);
  assert.equal(await weibo.getByTestId('status-rate').innerText(), 'recent success 100%');
  assert.match((await page.getByTestId('status-count-ok').textContent()).replace(/\s+/g, ' ').trim(), /^✓ OK \d+$/);
  assert.match(await page.getByTestId('status-generated').innerText(), /^Generated /);
  const labels = (await page.getByTestId('status-summary').innerText()) + (await page.locator('main h2').allInnerTexts()).join(' ');
  assert.doesNotMatch(labels, /[\u4e00-\u9fff]/, 'no Chinese labels left');
  await context.close();
});

test('refresh by hand, and by itself every 60 s while visible', async () => {
  // No service worker: every request the page makes is seen once, here.
  const { context, page } = await newPage({ serviceWorkers: 'block' });
  await page.clock.install();
  let asked = 0;
  page.on('request', (r) => {
    if (new URL(r.url()).pathname === HEALTH) asked++;
  });
  await openStatus(page);
  await waitFor(() => asked === 1, { what: 'the first request' });
  await page.getByTestId('status-refresh').click();
  await waitFor(() => asked === 2, { what: 'a request for the refresh button' });
  await page.clock.runFor(61_000);
  await waitFor(() => asked === 3, { what: 'a request after 60 s' });
  await context.close();
});

test('untrusted names, hints and messages stay text', async () => {
  const { context, page, errors } = await newPage({ serviceWorkers: 'block' });
  const hostile = '<img src=x onerror="window.__pwned=1">';
  await page.route(`**${HEALTH}`, (route) =>
    route.fulfill({
      contentType: 'application/json',
      body: JSON.stringify({
        generated_at: new Date().toISOString(),
        summary: { ok: 0, failing: 1, stale: 0, disabled: 0, never: 0 },
        boards: [
          {
            board: 'evil.board',
            site: 'evil',
            name: hostile,
            name_en: hostile,
            status: 'failing',
            enabled: true,
            every_seconds: 300,
            fetched_at: new Date().toISOString(),
            last_run_at: new Date().toISOString(),
            data_age_seconds: 90,
            items: 3,
            success_rate: 0.5,
            error: { class: '<b>x</b>', code: 'http', message: `HTTP 500 ${hostile}`, hint: `<a href="javascript:alert(1)">fix</a>` },
          },
        ],
      }),
    }),
  );
  await openStatus(page);
  const row = page.locator('li[data-board="evil.board"]');
  assert.match(await row.locator('a.st-name').innerText(), /<img src=x onerror/);
  assert.equal(await row.getByTestId('status-class').innerText(), '<b>x</b>', 'an unknown class is shown as sent');
  assert.equal(await row.getByTestId('status-hint').innerText(), '<a href="javascript:alert(1)">fix</a>');
  await row.locator('summary').click();
  assert.equal(await row.getByTestId('status-message').innerText(), `HTTP 500 ${hostile}`);
  assert.equal(await page.locator('main img, main b, main a[href^="javascript"]').count(), 0);
  assert.equal(await page.evaluate(() => window.__pwned), undefined);
  assert.deepEqual(problems(errors), []);
  await context.close();
});

test('390×844: no sideways scrolling', async () => {
  const { context, page } = await newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  await openStatus(page);
  await page.locator(`li[data-board="${FAILING}"] summary`).click();
  await page.waitForTimeout(200);
  const width = await page.evaluate(() => document.scrollingElement.scrollWidth);
  assert.ok(width <= 390, `scrollWidth ${width} <= 390`);
  await context.close();
});

for (const theme of ['light', 'dark']) {
  test(`axe finds no WCAG 2 A/AA violations with a failing and a disabled board (${theme})`, async () => {
    // bypassCSP: axe is injected as an inline script, which Mu's CSP (rightly) forbids.
    const { context, page } = await newPage({ colorScheme: theme, bypassCSP: true });
    await openStatus(page);
    await page.locator(`li[data-board="${FAILING}"] summary`).click();
    await page.getByTestId('status-count-ok').focus();
    await page.addScriptTag({ path: AXE });
    const violations = await page.evaluate(async () => {
      const r = await window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
      return r.violations.map((v) => ({ id: v.id, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
    });
    assert.deepEqual(violations, []);
    await context.close();
  });
}
