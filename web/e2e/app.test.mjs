// End-to-end tests of the web app against a real `mu serve` fed from the recorded fixtures.
// One server and one browser for the file; every test gets a fresh browser context (its own
// localStorage, caches and service workers).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ensureBuilt, launchBrowser, startMu, waitFor, waitForBoards, watchPage, withoutFirstAnswers } from './harness.mjs';

const FIRST_BOARDS = ['36kr.newsflashes', '36kr.hot', 'baidu.realtime', 'weibo.hot-search', 'hackernews.front'];

let mu;
let browser;

before(async () => {
  ensureBuilt();
  mu = await startMu();
  await waitForBoards(mu.base, FIRST_BOARDS);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await mu?.stop();
});

async function newPage(options = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'zh-CN', ...options });
  // The boards these tests look at first on the home page (a reader's own order; the default
  // one is home.test.mjs's), unless a test stored settings of its own.
  await context.addInitScript((order) => {
    try {
      if (location.protocol.startsWith('http') && !localStorage.getItem('mu.settings')) localStorage.setItem('mu.settings', JSON.stringify({ order }));
    } catch {
      // no storage on this page
    }
  }, FIRST_BOARDS.slice(0, 4));
  const page = await context.newPage();
  const errors = watchPage(page);
  return { context, page, errors };
}

/** Number of item rows in the card of `board`. */
function cardItems(page, board) {
  return page.locator(`section.card[data-board="${board}"] [data-testid="card-items"] > li`);
}

describe('home', () => {
  test('boards render as cards with items; off-screen cards load lazily', async () => {
    const { context, page } = await newPage();
    const requested = [];
    page.on('request', (r) => {
      const m = /\/api\/v1\/boards\/([^/?]+)$/.exec(new URL(r.url()).pathname);
      if (m) requested.push(decodeURIComponent(m[1]));
    });
    await page.goto(mu.base);
    const cards = page.locator('section.card');
    await waitFor(async () => (await cards.count()) >= 6, { what: 'the grid of board cards' });
    // The first cards (on screen) get their items.
    for (const board of ['36kr.newsflashes', '36kr.hot', 'baidu.realtime']) {
      await cardItems(page, board).first().waitFor();
      assert.ok((await cardItems(page, board).count()) >= 4, `${board} shows items`);
    }
    // Far below the fold nothing was fetched yet ...
    assert.ok(!requested.includes('zhihu-daily.latest'), 'the last board is not fetched before it nears the viewport');
    assert.ok(requested.length < 30, `only boards near the viewport are fetched (got ${requested.length})`);
    // ... until the card scrolls into view (微博 comes first now: Hacker News is below the fold).
    assert.ok(!requested.includes('hackernews.front'), 'a board below the fold is not fetched yet');
    // Cards are drawn as the reader scrolls towards them.
    const last = page.locator('section.card[data-board="hackernews.front"]');
    await waitFor(
      async () => {
        if (await last.count()) return true;
        await page.mouse.wheel(0, 600);
        return false;
      },
      { what: 'the Hacker News card drawn after scrolling' },
    );
    await last.scrollIntoViewIfNeeded();
    await cardItems(page, 'hackernews.front').first().waitFor();
    assert.ok((await cardItems(page, 'hackernews.front').count()) >= 10, 'a text card shows at least ten rows (its body scrolls)');
    assert.ok(requested.includes('hackernews.front'));
    // A card says how fresh it is.
    const fresh = await page.locator('section.card[data-board="hackernews.front"] time.fresh').textContent();
    assert.match(fresh ?? '', /刚刚|分钟前/);
    // Every link in the cards is http(s), and item links open in a new tab without opener.
    const links = await page.locator('section.card ol a.title').evaluateAll((as) =>
      as.map((a) => ({ href: a.getAttribute('href'), target: a.getAttribute('target'), rel: a.getAttribute('rel') })),
    );
    assert.ok(links.length > 40);
    for (const l of links) {
      assert.match(l.href ?? '', /^https?:\/\//);
      assert.equal(l.target, '_blank');
      assert.equal(l.rel, 'noopener noreferrer');
    }
    await context.close();
  });

  test('a video board renders as video rows with a duration, a rich board with summaries', async () => {
    const { context, page } = await newPage();
    await page.goto(`${mu.base}/#/site/bilibili`);
    const video = page.locator('section.card[data-board="bilibili.popular"]');
    await video.locator('li.item-video').first().waitFor();
    assert.match((await video.locator('.duration').first().textContent()) ?? '', /^\d+:\d\d$/);
    assert.match((await video.locator('li.item-video .meta').first().textContent()) ?? '', /播放/);
    await page.goto(`${mu.base}/#/site/baidu/baidu.realtime`);
    const rich = page.locator('section.card[data-board="baidu.realtime"]');
    await rich.locator('li.item-rich .summary').first().waitFor();
    assert.equal(await page.locator('section.card').count(), 1, 'a board chip shows only that board');
    await context.close();
  });

  test('English: counts as K/M/B with the unit word translated, badges translated (Chinese unchanged)', async () => {
    const cjk = /[\u3400-\u9fff]/;
    const { context, page } = await newPage({ locale: 'en-US' });
    await page.goto(`${mu.base}/#/site/bilibili/bilibili.popular`);
    const video = page.locator('section.card[data-board="bilibili.popular"]');
    await video.locator('li.item-video').first().waitFor();
    const metas = await video.locator('li.item-video .meta').allTextContents();
    assert.ok(metas.some((m) => /\d(\.\d+)?[KMB]? plays/.test(m)), `plays in English: ${metas}`);
    const labels = await video.locator('.label').allTextContents();
    assert.ok(labels.length > 0, 'the fixture has badges');
    for (const l of labels) assert.doesNotMatch(l, cjk, `badge ${l}`);
    await page.goto(`${mu.base}/#/site/36kr/36kr.hot`);
    const side = page.locator('section.card[data-board="36kr.hot"] li.item .side').first();
    await side.waitFor();
    assert.match((await side.textContent()) ?? '', /^\d+(\.\d+)?[KM] heat$/);
    // Chinese: as the site sent it.
    await page.goto(`${mu.base}/#/settings`);
    await page.getByTestId('lang-zh-CN').check();
    await page.goto(`${mu.base}/#/site/36kr/36kr.hot`);
    assert.match((await side.textContent()) ?? '', /^\d+(\.\d)?万热度$/);
    await context.close();
  });

  test('untrusted titles stay text and non-http links are not rendered', async () => {
    // page.route does not see requests a service worker handles: no worker in this context.
    const { context, page } = await newPage({ serviceWorkers: 'block' });
    // The board's answer comes from the API (changed here), not from the page's first answers.
    await withoutFirstAnswers(page);
    await page.route('**/api/v1/boards/36kr.newsflashes', async (route) => {
      const response = await route.fetch();
      const body = await response.json();
      body.items[0].title = '<img src=x onerror="window.__pwned=1">Evil';
      body.items[0].url = 'javascript:window.__pwned=2';
      body.items[1].image = 'javascript:alert(1)';
      await route.fulfill({ response, json: body });
    });
    await page.goto(mu.base);
    const first = page.locator('section.card[data-board="36kr.newsflashes"] li.item').first();
    await first.waitFor();
    assert.equal(await first.locator('.title').textContent(), '<img src=x onerror="window.__pwned=1">Evil');
    assert.equal(await first.locator('a.title').count(), 0, 'no link for a javascript: URL');
    assert.equal(await first.locator('img').count(), 0);
    assert.equal(await page.evaluate(() => window.__pwned), undefined);
    await context.close();
  });
});

describe('settings', () => {
  test('theme and board order persist across reload (drag and drop and keyboard)', async () => {
    const { context, page, errors } = await newPage({ colorScheme: 'light' });
    await page.goto(`${mu.base}/#/settings`);
    await page.getByTestId('theme-dark').check();
    assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'dark');
    const rows = page.locator('[data-testid="order-list"] > li');
    await waitFor(async () => (await rows.count()) > 50, { what: 'the board list' });
    // Drag the fifth board onto the first row.
    const dragged = await rows.nth(4).getAttribute('data-id');
    await rows.nth(4).dragTo(rows.first());
    assert.equal(await rows.first().getAttribute('data-id'), dragged);
    // Keyboard: move the third board up twice with its ↑ button (focus stays on the button).
    const third = await rows.nth(2).getAttribute('data-id');
    await rows.nth(2).locator('button.up').focus();
    await page.keyboard.press('Enter');
    await page.keyboard.press('Enter');
    assert.equal(await rows.first().getAttribute('data-id'), third);
    assert.equal(await rows.nth(1).getAttribute('data-id'), dragged);
    // Hide a board.
    await rows.nth(2).locator('input[type=checkbox]').uncheck();
    const hiddenId = await rows.nth(2).getAttribute('data-id');

    await page.reload();
    await page.goto(`${mu.base}/#/`);
    await page.locator('section.card').first().waitFor();
    assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'dark');
    const order = await page.locator('section.card').evaluateAll((cs) => cs.slice(0, 3).map((c) => c.dataset.board));
    assert.deepEqual(order.slice(0, 2), [third, dragged]);
    assert.equal(await page.locator(`section.card[data-board="${hiddenId}"]`).count(), 0, 'a hidden board is not shown');
    const stored = await page.evaluate(() => JSON.parse(localStorage.getItem('mu.settings')));
    assert.equal(stored.version, 1);
    assert.equal(stored.theme, 'dark');
    assert.ok(stored.updated_at > '2000', 'updated_at is stamped');
    assert.ok(stored.field_updated_at.order, 'each field carries its own timestamp for merging');
    assert.deepEqual(errors.filter((e) => !/Failed to load resource/.test(e)), []);
    await context.close();
  });

  test('language switch: English UI and lang attribute', async () => {
    const { context, page } = await newPage();
    await page.goto(`${mu.base}/#/settings`);
    assert.equal(await page.evaluate(() => document.documentElement.lang), 'zh-CN');
    await page.getByTestId('lang-en').check();
    assert.equal(await page.evaluate(() => document.documentElement.lang), 'en');
    await page.goto(`${mu.base}/#/`);
    await page.locator('nav.tabs a', { hasText: 'Following' }).waitFor();
    await context.close();
  });

  test('favorites: the star adds a board to the 关注 tab', async () => {
    const { context, page } = await newPage();
    await page.goto(mu.base);
    await page.locator('section.card[data-board="36kr.hot"] button.star').click();
    await page.goto(`${mu.base}/#/following`);
    await page.locator('section.card[data-board="36kr.hot"]').waitFor();
    assert.equal(await page.locator('section.card').count(), 1);
    await context.close();
  });
});

describe('board page and search', () => {
  test('board page lists every item with first seen and best rank', async () => {
    const { context, page } = await newPage();
    await page.goto(`${mu.base}/#/board/weibo.hot-search`);
    const rows = page.locator('[data-testid="board-items"] > li');
    await rows.first().waitFor();
    assert.equal(await rows.count(), 50);
    assert.match((await rows.first().locator('.first-seen').textContent()) ?? '', /首次出现/);
    assert.match((await rows.nth(4).locator('.best-rank').textContent()) ?? '', /最高第 5 名/);
    await context.close();
  });

  test('keyboard: Ctrl-K opens the palette, typing filters, arrows move, Enter navigates', async () => {
    const { context, page } = await newPage();
    await page.goto(mu.base);
    await page.locator('section.card').first().waitFor();
    await page.keyboard.press('Control+k');
    const input = page.locator('[data-testid="palette"] input');
    await input.waitFor();
    assert.ok(await input.evaluate((el) => el === document.activeElement), 'the input has focus');
    await page.keyboard.type('Hacker News');
    // boards first (then items the server's history finds, and "search all →" last)
    const options = page.locator('[data-testid="palette"] [role="option"]');
    const boardOptions = page.locator('[data-testid="palette"] [role="option"][data-type="board"]');
    await waitFor(async () => (await boardOptions.count()) === 5, { what: 'five Hacker News boards' });
    assert.equal(await options.last().getAttribute('data-type'), 'all');
    await page.keyboard.press('ArrowDown');
    assert.equal(await options.nth(1).getAttribute('aria-selected'), 'true');
    await page.keyboard.press('Enter');
    await page.waitForURL(/#\/board\/hackernews\.show$/);
    await page.locator('[data-testid="board-items"] > li').first().waitFor();
    assert.equal(await page.locator('[data-testid="palette"]').count(), 0, 'the palette closed');
    // Items already loaded are searchable too.
    await page.keyboard.press('Control+k');
    const title = await page.locator('[data-testid="board-items"] > li .title').first().textContent();
    await page.keyboard.type(title.slice(0, 12));
    await page.locator('[data-testid="palette"] [role="option"][data-type="item"]').first().waitFor();
    await page.keyboard.press('Escape');
    assert.equal(await page.locator('[data-testid="palette"]').count(), 0);
    await context.close();
  });
});

describe('touch screens', () => {
  test('the search palette shows no keyboard hint on a touch screen (but does with a mouse)', async () => {
    const { context, page } = await newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    await page.goto(mu.base);
    await page.locator('section.card').first().waitFor();
    await page.locator('button.search-btn').tap();
    await page.locator('[data-testid="palette"] input').waitFor();
    assert.equal(await page.locator('.palette-hint').isVisible(), false, 'no ↑↓ · Enter · Esc hint on touch');
    await context.close();
    const desk = await newPage();
    await desk.page.goto(mu.base);
    await desk.page.locator('section.card').first().waitFor();
    await desk.page.keyboard.press('Control+k');
    await desk.page.locator('.palette-hint').waitFor();
    assert.match((await desk.page.locator('.palette-hint').textContent()) ?? '', /Enter/);
    await desk.context.close();
  });
});

describe('layout', () => {
  test('390×844: no horizontal scrolling on home, board page, settings and the directory', async () => {
    const { context, page } = await newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    for (const hash of ['#/', '#/board/bilibili.popular', '#/settings', '#/site/github', '#/boards']) {
      await page.goto(`${mu.base}/${hash}`);
      await page
        .locator('main section.card, main [data-testid="board-items"] > li, main [data-testid="order-list"] > li, main [data-testid="dir-list"] > li')
        .first()
        .waitFor();
      await page.waitForTimeout(300);
      const width = await page.evaluate(() => document.scrollingElement.scrollWidth);
      assert.ok(width <= 390, `${hash}: scrollWidth ${width} <= 390`);
    }
    await context.close();
  });
});

describe('phone rows', () => {
  /** Per shown row: how many characters of the title the first line shows, and the title's font size. */
  function firstLines(page, board, rowSelector) {
    return page.locator(`section.card[data-board="${board}"] ${rowSelector}`).evaluateAll((rows) =>
      rows.filter((row) => row.checkVisibility()).map((row) => {
        const title = row.querySelector('.title');
        const box = title.getBoundingClientRect();
        const text = title.firstChild;
        const range = document.createRange();
        let top;
        let n = 0;
        for (let i = 0; i < text.length; i++) {
          range.setStart(text, i);
          range.setEnd(text, i + 1);
          const r = range.getBoundingClientRect();
          if (top === undefined) top = r.top;
          if (Math.abs(r.top - top) > 2 || r.right > box.right + 0.5) break;
          n++;
        }
        return { n, length: text.length, width: box.width, font: parseFloat(getComputedStyle(title).fontSize) };
      }),
    );
  }

  test('390×844: a title line of a video or image row holds at least 12 CJK characters', async () => {
    const { context, page } = await newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    for (const [hash, board, rows] of [
      ['#/site/bilibili/bilibili.popular', 'bilibili.popular', 'li.item-video'],
      ['#/site/zhihu/zhihu.hot', 'zhihu.hot', 'li.item-rich'],
    ]) {
      await page.goto(`${mu.base}/${hash}`);
      await page.locator(`section.card[data-board="${board}"] ${rows}`).first().waitFor();
      const lines = await firstLines(page, board, rows);
      assert.ok(lines.length >= 3, `${board}: media rows (a card shows three on a phone)`);
      for (const l of lines) {
        assert.ok(l.width >= 12 * l.font, `${board}: title ${l.width}px wide holds 12 characters of ${l.font}px`);
        if (l.length >= 14) assert.ok(l.n >= 12, `${board}: ${l.n} characters on the first line`);
      }
      const width = await page.evaluate(() => document.scrollingElement.scrollWidth);
      assert.ok(width <= 390, `${board}: scrollWidth ${width} <= 390`);
    }
    await context.close();
  });
});

describe('offline', () => {
  test('an offline reload shows the cached data and an offline badge', async () => {
    const { context, page } = await newPage();
    await page.goto(mu.base);
    await cardItems(page, '36kr.newsflashes').first().waitFor();
    await page.waitForFunction(() => navigator.serviceWorker?.controller != null, null, { timeout: 30_000 });
    // The worker has this visit's page (with the first answers the server wrote into it) and
    // the API answers the page asked for (handed over when it took control): the board is in
    // one or the other.
    await waitFor(
      () =>
        page.evaluate(async () => {
          const api = (await (await caches.open('mu-api-v1')).keys()).map((r) => new URL(r.url).pathname);
          const shellCache = (await caches.keys()).find((k) => k.startsWith('mu-shell-'));
          const shell = shellCache ? await (await caches.open(shellCache)).match('./') : undefined;
          const html = shell ? await shell.text() : '';
          const written = /id="mu-first" data-boards="([^"]*)">[^<]/.exec(html)?.[1].split(',') ?? [];
          return html !== '' && (written.includes('36kr.newsflashes') || api.includes('/api/v1/boards/36kr.newsflashes'));
        }),
      { what: 'the page and the board in the service worker caches' },
    );
    const before = await cardItems(page, '36kr.newsflashes').first().textContent();
    assert.equal(await page.getByTestId('offline-badge').count(), 0);
    // Opening a feed (a navigation the worker sees) must not become the cached app shell.
    const feed = await page.goto(`${mu.base}/feeds/boards/36kr.newsflashes.rss`);
    assert.match((await feed?.text()) ?? '', /<rss /);
    await page.goto(mu.base);
    await cardItems(page, '36kr.newsflashes').first().waitFor();
    await context.setOffline(true);
    await page.reload();
    await cardItems(page, '36kr.newsflashes').first().waitFor({ timeout: 20_000 });
    assert.equal(await cardItems(page, '36kr.newsflashes').first().textContent(), before);
    await page.getByTestId('offline-badge').waitFor();
    await context.setOffline(false);
    await context.close();
  });
});

describe('network errors', () => {
  /** The retry button looks like the app's buttons, not the browser's default one. */
  async function assertStyledButton(button) {
    const s = await button.evaluate((b) => {
      const c = getComputedStyle(b);
      return { radius: parseFloat(c.borderTopLeftRadius), border: c.borderTopStyle, cursor: c.cursor, height: b.getBoundingClientRect().height };
    });
    assert.ok(s.radius >= 6, `rounded (${s.radius}px)`);
    assert.equal(s.border, 'solid');
    assert.equal(s.cursor, 'pointer');
    assert.ok(s.height >= 32, `at least 32 px high (${s.height})`);
  }

  test('an unreachable catalogue or board: a translated message (not "Failed to fetch") and a styled retry', async () => {
    const { context, page } = await newPage({ serviceWorkers: 'block' });
    let down = true;
    // Without the first answers in the page (a host serving dist/ as files): the page asks
    // the API for the sites and the catalogue.
    await withoutFirstAnswers(page);
    await page.route('**/api/v1/sites', (route) => (down ? route.abort('internetdisconnected') : route.continue()));
    await page.goto(mu.base);
    const notice = page.locator('main .notice.error');
    await notice.waitFor();
    assert.match((await notice.textContent()) ?? '', /网络不可用/);
    assert.doesNotMatch((await notice.textContent()) ?? '', /Failed to fetch/);
    await assertStyledButton(notice.getByRole('button', { name: '重试' }));
    down = false;
    await notice.getByRole('button', { name: '重试' }).click();
    await cardItems(page, '36kr.newsflashes').first().waitFor();

    // A card whose board cannot be reached (far down the home page: never loaded before).
    let boardDown = true;
    await page.route('**/api/v1/boards/zhihu-daily.latest', (route) => (boardDown ? route.abort('internetdisconnected') : route.continue()));
    await page.goto(`${mu.base}/#/site/zhihu-daily`);
    const card = page.locator('section.card[data-board="zhihu-daily.latest"]');
    const failed = card.locator('.empty.error');
    await failed.waitFor();
    assert.match((await failed.textContent()) ?? '', /网络不可用/);
    assert.doesNotMatch((await failed.textContent()) ?? '', /Failed to fetch/);
    await assertStyledButton(failed.getByRole('button', { name: '重试' }));
    boardDown = false;
    await failed.getByRole('button', { name: '重试' }).click();
    await card.locator('li.item').first().waitFor();
    await context.close();
  });

  test('in English: "Can\'t reach the server"', async () => {
    const { context, page } = await newPage({ serviceWorkers: 'block', locale: 'en-US' });
    await withoutFirstAnswers(page);
    await page.route('**/api/v1/boards/36kr.hot', (route) => route.abort('internetdisconnected'));
    await page.goto(mu.base);
    const failed = page.locator('section.card[data-board="36kr.hot"] .empty.error');
    await failed.waitFor();
    assert.match((await failed.textContent()) ?? '', /Can't reach the server/);
    assert.doesNotMatch((await failed.textContent()) ?? '', /Failed to fetch/);
    await assertStyledButton(failed.getByRole('button', { name: 'Retry' }));
    await context.close();
  });
});

describe('freshness and accessibility', () => {
  /** Serves the catalogue and one board as stale (failed last run) and overdue. */
  async function routeStale(page) {
    await withoutFirstAnswers(page);
    const patch = (o) => ({
      ...o,
      stale: true,
      error: { code: 'http', message: 'HTTP 503 from https://36kr.com/api', at: new Date().toISOString() },
      due_by: new Date(Date.now() - 60_000).toISOString(),
    });
    // A request still in flight when the test closes its context (a live update's refetch)
    // fails with "disposed" / "closed": that is the end of the test, not an error.
    const guard = (handler) => async (route) => {
      try {
        await handler(route);
      } catch (err) {
        if (!/disposed|closed/i.test(String(err))) throw err;
      }
    };
    await page.route(
      '**/api/v1/boards',
      guard(async (route) => {
        const response = await route.fetch();
        const body = await response.json();
        body.boards = body.boards.map((b) => (b.id === '36kr.newsflashes' ? patch(b) : b));
        await route.fulfill({ response, json: body });
      }),
    );
    await page.route(
      '**/api/v1/boards/36kr.newsflashes',
      guard(async (route) => {
        const response = await route.fetch();
        await route.fulfill({ response, json: patch(await response.json()) });
      }),
    );
  }

  test('a failed board shows a stale warning with its error, and overdue past due_by', async () => {
    const { context, page } = await newPage({ serviceWorkers: 'block' });
    await routeStale(page);
    await page.goto(mu.base);
    const card = page.locator('section.card[data-board="36kr.newsflashes"]');
    await card.locator('[data-testid="card-items"] > li').first().waitFor();
    assert.match((await card.locator('.stale-line').textContent()) ?? '', /更新失败.*HTTP 503 from https:\/\/36kr\.com\/api/);
    assert.equal(await card.locator('.badge.overdue').textContent(), '逾期');
    // Cards keep one height whatever they show (no layout shift when a warning appears).
    const heights = await page.locator('section.card').evaluateAll((cs) => cs.slice(0, 6).map((c) => c.getBoundingClientRect().height));
    assert.equal(new Set(heights).size, 1, `equal card heights: ${heights}`);
    await context.close();
  });

  for (const theme of ['light', 'dark']) {
    test(`text contrast is at least 4.5:1 in the ${theme} theme`, async () => {
      const { context, page } = await newPage({ colorScheme: theme, serviceWorkers: 'block', reducedMotion: 'reduce' });
      await routeStale(page);
      await page.goto(`${mu.base}/#/site/bilibili`);
      await page.locator('section.card li.item').first().waitFor();
      await page.goto(`${mu.base}/#/`);
      await page.locator('section.card[data-board="36kr.newsflashes"] .stale-line').waitFor();
      await page.locator('section.card[data-board="baidu.realtime"] li.item').first().waitFor();
      assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), theme);
      const report = await page.evaluate(() => {
        const parse = (c) => {
          const m = c.match(/rgba?\(([^)]+)\)/);
          if (!m) return [0, 0, 0, 0];
          const p = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
          return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
        };
        const lum = ([r, g, b]) => {
          const f = (v) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
          return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
        };
        const over = (top, under) => {
          const a = top[3];
          return [0, 1, 2].map((i) => top[i] * a + under[i] * (1 - a)).concat(1);
        };
        const background = (el) => {
          const layers = [];
          for (let e = el; e; e = e.parentElement) {
            const c = parse(getComputedStyle(e).backgroundColor);
            if (c[3] > 0) layers.push(c);
            if (c[3] === 1) break;
          }
          let bg = [255, 255, 255, 1];
          for (const l of layers.reverse()) bg = over(l, bg);
          return bg;
        };
        const selectors = [
          '.brand span', '.tabs a', '.tabs a[aria-current]', '.card-title .site-name', '.card-title .board-name', '.fresh',
          '.rank', '.top3 .rank', 'a.title', '.side', '.summary', '.meta', '.label.lb-boom', '.label.lb-hot', '.label.lb-new',
          '.label.lb-other', '.stale-line', '.badge.overdue', '.more', '.search-btn', '.site-footer', '.star',
        ];
        const out = [];
        for (const sel of selectors) {
          const el = document.querySelector(sel);
          if (!el) {
            out.push({ sel, missing: true });
            continue;
          }
          const fg = over(parse(getComputedStyle(el).color), background(el));
          const bg = background(el);
          const [l1, l2] = [lum(fg), lum(bg)].sort((a, b) => b - a);
          out.push({ sel, ratio: Math.round(((l1 + 0.05) / (l2 + 0.05)) * 100) / 100 });
        }
        return out;
      });
      const missing = report.filter((r) => r.missing).map((r) => r.sel);
      assert.deepEqual(missing.filter((s) => !/lb-(hot|new|boom)/.test(s)), [], 'elements to check exist');
      const low = report.filter((r) => !r.missing && r.ratio < 4.5);
      assert.deepEqual(low, [], `contrast below 4.5:1 in ${theme}`);
      await context.close();
    });
  }

  test('Tab onto a card under the sticky header scrolls it out from under the header', async () => {
    const { context, page } = await newPage();
    await page.goto(mu.base);
    await cardItems(page, '36kr.newsflashes').first().waitFor();
    // The first card of the second grid row, scrolled so its head sits under the sticky bar;
    // focus waits on the last link of the card before it (above the screen), then Tab.
    const index = await page.locator('section.card').evaluateAll((cs) => cs.findIndex((c) => c.offsetTop > cs[0].offsetTop));
    assert.ok(index > 0, 'a second row of cards');
    const target = page.locator('section.card').nth(index);
    await target.evaluate((card) => {
      window.scrollBy(0, card.getBoundingClientRect().top - 8);
      const links = card.previousElementSibling.querySelectorAll('a[href]');
      links[links.length - 1].focus({ preventScroll: true });
    });
    await page.keyboard.press('Tab');
    const r = await page.evaluate(() => {
      const el = document.activeElement;
      return {
        inTarget: el.closest('section.card')?.dataset.board,
        top: el.getBoundingClientRect().top,
        headerBottom: document.querySelector('header.topbar').getBoundingClientRect().bottom,
      };
    });
    assert.equal(r.inTarget, await target.getAttribute('data-board'), 'Tab moved into the card');
    assert.ok(r.top >= r.headerBottom, `focused element's top ${r.top} is below the header's bottom ${r.headerBottom}`);
    await context.close();
  });

  test('landmarks, labels and a skip link; Tab reaches the cards with a visible focus ring', async () => {
    const { context, page } = await newPage();
    await page.goto(mu.base);
    await page.locator('section.card li.item').first().waitFor();
    assert.equal(await page.locator('header').count(), 1);
    assert.equal(await page.locator('main').count(), 1);
    assert.ok((await page.locator('nav[aria-label]').count()) >= 1);
    const unlabeled = await page.locator('button').evaluateAll((bs) =>
      bs.filter((b) => !(b.getAttribute('aria-label') || b.textContent.trim())).map((b) => b.outerHTML),
    );
    assert.deepEqual(unlabeled, []);
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.className), 'skip');
    await page.keyboard.press('Enter');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'content', 'the skip link jumps past the site tabs');
    // Tab on into the grid: a card link gets focus and shows an outline.
    for (let i = 0; i < 40; i++) {
      await page.keyboard.press('Tab');
      if (await page.evaluate(() => !!document.activeElement.closest('section.card'))) break;
    }
    const focus = await page.evaluate(() => {
      const el = document.activeElement;
      const s = getComputedStyle(el);
      return { inCard: !!el.closest('section.card'), outline: s.outlineStyle, width: parseFloat(s.outlineWidth) };
    });
    assert.ok(focus.inCard, 'keyboard focus reaches the cards');
    assert.equal(focus.outline, 'solid');
    assert.ok(focus.width >= 2);
    await context.close();
  });
});
