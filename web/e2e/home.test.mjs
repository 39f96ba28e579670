// The home page arranged by hand (issue 14, item 1): the biggest boards first for a new
// reader, cards dragged on the grid itself with a pointer or moved with the keyboard (with a
// live region saying what happened), a card menu (refresh this card now, move to top, hide)
// and the hidden boards shown again from under the grid, card bodies that scroll through
// the whole list, more columns on wide screens, and the header's theme and density toggles.
// One `mu serve` (replayed fixtures, accounts on through the mock GitHub provider so the
// header has its sign-in link) and one browser for the file: a desktop context reused by the
// tests (settings cleared or set per test; 1920 and 2200 px by resizing it) and a phone.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, before, describe, test } from 'node:test';
import { startMockGithub } from '../../tests/mock_github/mock_github.mjs';
import { ensureBuilt, launchBrowser, startMu, waitFor, waitForBoards } from './harness.mjs';

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
/** The biggest boards, first on the page of a reader who arranged nothing. */
const BIGGEST = ['weibo.hot-search', 'zhihu.hot', 'baidu.realtime', 'douyin.hot', 'toutiao.hot', 'bilibili.popular', 'bilibili.hot-search'];

let gh;
let mu;
let browser;
let desk;
/** The catalogue as the server lists it (ids of enabled boards, in its order). */
let catalogue;
/** The order a new reader sees: the biggest boards, then the others by category. */
let defaultOrder;
/** GET /api/v1/sites' categories (the tabs) and each board's category. */
let categories;
let categoryOf;

before(async () => {
  ensureBuilt();
  // Accounts on (the mock provider): the header has its sign-in link, as on a real site.
  gh = await startMockGithub();
  mu = await startMu({ config: ({ base }) => gh.authConfig({ publicUrl: base, admins: [] }) });
  const list = (await (await fetch(`${mu.base}/api/v1/boards`)).json()).boards;
  ({ categories } = await (await fetch(`${mu.base}/api/v1/sites`)).json());
  const enabled = list.filter((b) => b.enabled !== false);
  catalogue = enabled.map((b) => b.id);
  categoryOf = new Map(enabled.map((b) => [b.id, b.category]));
  // After the biggest: by category in the tabs' order, the catalogue's order inside one.
  const rank = (id) => categories.findIndex((c) => c.id === categoryOf.get(id));
  const byCategory = catalogue.map((id, i) => ({ id, i })).sort((a, b) => rank(a.id) - rank(b.id) || a.i - b.i).map((x) => x.id);
  defaultOrder = [...BIGGEST.filter((id) => catalogue.includes(id)), ...byCategory.filter((id) => !BIGGEST.includes(id))];
  [browser] = await Promise.all([launchBrowser(), waitForBoards(mu.base, ['weibo.hot-search', 'zhihu.hot'])]);
  // page.route does not see what a service worker answers: no worker here. bypassCSP: axe is
  // injected as an inline script.
  desk = await browser.newContext({
    viewport: { width: 1280, height: 800 },
    locale: 'zh-CN',
    colorScheme: 'light',
    serviceWorkers: 'block',
    bypassCSP: true,
  });
});

after(async () => {
  await desk?.close();
  await browser?.close();
  await mu?.stop();
  await gh?.close();
});

/** A 390×844 touch phone, in Chinese, without a service worker (page.route sees everything). */
function phoneContext() {
  return browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, locale: 'zh-CN', serviceWorkers: 'block' });
}

async function deskPage() {
  return desk.pages()[0] ?? desk.newPage();
}

/**
 * The home page, loaded afresh: for a reader with no settings, with `settings` (a stored
 * settings document), or (reset: false) with the current ones. Waits for `cards` cards (the
 * first rows; the page adds the others while idle), or for every card with `all`. `light`
 * hides all but the first twelve boards (less for the page to do while a test runs).
 */
async function home(p, { reset = true, settings, light = false, all = false, cards: enough = 9 } = {}) {
  // A light page (the tests that look at the first cards): boards past the first twelve hidden.
  if (light) settings = { hidden: defaultOrder.slice(12), ...settings };
  // The settings are written from a small page of the same origin, then the app loads once.
  await p.goto(`${mu.base}/healthz`);
  await p.evaluate(
    ({ clear, settings }) => {
      if (clear) localStorage.clear();
      if (settings) localStorage.setItem('mu.settings', JSON.stringify(settings));
    },
    { clear: reset, settings },
  );
  await p.goto(`${mu.base}/#/`);
  const want = Math.min(all ? Infinity : enough, catalogue.length - (await hiddenCount(p)));
  return drawn(p, want);
}

/**
 * Waits for `want` cards. The page draws the first screenful and the rest as the reader
 * scrolls towards them: scrolls down until they are there, then back to the top.
 */
async function drawn(p, want, what = `${want} cards`) {
  const cards = p.locator('section.card[data-board]');
  await waitFor(
    async () => {
      if ((await cards.count()) >= want) return true;
      await p.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
      return false;
    },
    { what, interval: 50 },
  );
  await p.evaluate(() => window.scrollTo(0, 0));
  return cards;
}

async function hiddenCount(p) {
  return p.evaluate(() => JSON.parse(localStorage.getItem('mu.settings') ?? '{}').hidden?.length ?? 0);
}

function order(p) {
  return p.locator('section.card[data-board]').evaluateAll((cs) => cs.map((c) => c.dataset.board));
}

function stored(p) {
  return p.evaluate(() => JSON.parse(localStorage.getItem('mu.settings') ?? '{}'));
}

function card(p, id) {
  return p.locator(`section.card[data-board="${id}"]`);
}

function live(p) {
  return p.getByTestId('reorder-live').textContent();
}

async function centre(locator) {
  const b = await locator.boundingBox();
  return { x: b.x + b.width / 2, y: b.y + b.height / 2 };
}

describe('order', () => {
  test('a new reader sees the biggest boards first (微博, 知乎, 百度, 抖音, 头条, B站), then the others by category', async () => {
    for (const id of BIGGEST) assert.ok(catalogue.includes(id), `${id} is a board of the server`);
    const p = await deskPage();
    await home(p, { all: true });
    assert.deepEqual(await order(p), defaultOrder);
    assert.equal((await stored(p)).order?.length ?? 0, 0, 'nothing is written until the reader arranges something');
  });

  test('pointer: dragging a card by its handle onto another card moves it there, kept after a reload', async () => {
    const p = await deskPage();
    await home(p, { light: true });
    const before = await order(p);
    const [a, b, c] = before;
    const from = await centre(card(p, c).getByTestId('drag-handle'));
    const to = await centre(card(p, a));
    await p.mouse.move(from.x, from.y);
    await p.mouse.down();
    await p.mouse.move(from.x + 20, from.y + 10, { steps: 3 });
    assert.ok(await card(p, c).evaluate((el) => el.classList.contains('dragging')), 'the card is lifted while dragged');
    await p.mouse.move(to.x, to.y, { steps: 12 });
    assert.deepEqual((await order(p)).slice(0, 3), [c, a, b], 'the grid makes room under the pointer');
    assert.equal((await stored(p)).order?.length ?? 0, 0, 'nothing is written before the drop');
    await p.mouse.up();
    assert.equal(await card(p, c).evaluate((el) => el.style.transform), '', 'dropped into its slot');
    const s = await stored(p);
    assert.deepEqual(s.order.slice(0, 3), [c, a, b]);
    assert.ok(s.field_updated_at.order > '2000', 'the order is stamped (it syncs to the account)');
    assert.match(await live(p), new RegExp(`第 1 个`));
    await home(p, { reset: false });
    assert.deepEqual((await order(p)).slice(0, 8), [c, a, b, ...before.slice(3, 8)]);
  });

  test('keyboard: Space picks a card up, arrows move it (up/down by a row), Enter drops it, Escape cancels', async () => {
    const p = await deskPage();
    await home(p, { light: true });
    const before = await order(p);
    const columns = await p.getByTestId('board-grid').evaluate((g) => getComputedStyle(g).gridTemplateColumns.split(' ').length);
    assert.equal(columns, 3, '1280 px: three columns');
    const [a, b, c, d] = before;
    const handle = card(p, a).getByTestId('drag-handle');
    assert.match((await handle.getAttribute('aria-label')) ?? '', /^移动 /);
    const hint = await p.locator(`#${await handle.getAttribute('aria-describedby')}`).textContent();
    assert.match(hint ?? '', /空格.*方向键.*Esc/);
    await handle.focus();
    await p.keyboard.press('Space');
    await waitFor(async () => /已拿起/.test(await live(p)), { what: 'the pick-up announcement' });
    assert.ok(await card(p, a).evaluate((el) => el.classList.contains('grabbed')));
    await p.keyboard.press('ArrowRight');
    await p.keyboard.press('ArrowRight');
    assert.deepEqual((await order(p)).slice(0, 4), [b, c, a, d]);
    assert.match(await live(p), /第 3 个，共 \d+ 个/);
    assert.ok(await handle.evaluate((el) => el === document.activeElement), 'focus stays on the handle');
    await p.keyboard.press('ArrowDown');
    assert.equal((await order(p)).indexOf(a), 2 + columns, 'down: one row further');
    await p.keyboard.press('ArrowUp');
    await p.keyboard.press('Home');
    assert.equal((await order(p))[0], a);
    await p.keyboard.press('ArrowRight');
    assert.equal((await stored(p)).order?.length ?? 0, 0, 'nothing is written before the drop');
    await p.keyboard.press('Enter');
    assert.match(await live(p), /已放在第 2 个/);
    assert.ok(!(await card(p, a).evaluate((el) => el.classList.contains('grabbed'))));
    assert.deepEqual((await stored(p)).order.slice(0, 3), [b, a, c]);
    // Escape puts it back where it was picked up.
    await handle.focus();
    await p.keyboard.press('Enter');
    await p.keyboard.press('End');
    assert.equal((await order(p)).at(-1), a);
    await p.keyboard.press('Escape');
    await waitFor(async () => /已取消/.test(await live(p)), { what: 'the cancel announcement' });
    assert.deepEqual((await order(p)).slice(0, 3), [b, a, c]);
    assert.deepEqual((await stored(p)).order.slice(0, 3), [b, a, c]);
    // Tab away while a card is picked up: it stays where it was moved.
    await handle.focus();
    await p.keyboard.press('Space');
    await p.keyboard.press('ArrowLeft');
    await p.keyboard.press('Tab');
    await waitFor(async () => (await stored(p)).order[0] === a, { what: 'the drop when focus left' });
  });
});

describe('drawn as they come into view', () => {
  test('the first screenful of cards comes with the page, the others as the reader scrolls to them', async () => {
    const p = await deskPage();
    await p.setViewportSize({ width: 1280, height: 800 });
    await home(p, { cards: 6 });
    // 1280×800: three columns, two rows on screen (cards ≈ 400 px) and the row starting within
    // 400 px below, drawn at once; nothing else, even when the browser is idle.
    const cards = p.locator('section.card[data-board]');
    const idle = () => p.evaluate(() => new Promise((r) => requestIdleCallback(() => requestIdleCallback(r))));
    await idle();
    const first = await cards.count();
    await idle();
    assert.equal(await cards.count(), first, 'no cards drawn in the background');
    assert.ok(first >= 6 && first <= 18, `${first} cards drawn after load`);
    assert.deepEqual(await order(p), defaultOrder.slice(0, first));
    await p.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
    await waitFor(async () => (await cards.count()) > first, { what: 'more cards after a scroll', interval: 50 });
    const now = await order(p);
    assert.deepEqual(now, defaultOrder.slice(0, now.length));
  });
});

describe('first answers in the page', () => {
  /** The #mu-first block of the page the server sends for these request headers. */
  async function firstBlock(headers) {
    const html = await (await fetch(`${mu.base}/`, { headers: { Accept: 'text/html', ...headers } })).text();
    const m = /<script type="application\/json" id="mu-first" data-boards="([^"]*)">([^]*?)<\/script>/.exec(html);
    assert.ok(m, 'the page carries a filled #mu-first block');
    return { ids: m[1].split(','), raw: m[2], data: JSON.parse(m[2]) };
  }

  test('the server writes the sites, the catalogue and the first boards of the default order (4 for a phone, 12 otherwise)', async () => {
    const desktop = await firstBlock({ 'User-Agent': 'Mozilla/5.0 (X11; Linux x86_64) Chrome/120' });
    assert.deepEqual(desktop.ids, defaultOrder.slice(0, 12));
    assert.deepEqual(
      desktop.data.bodies.map((b) => b.id),
      desktop.ids,
    );
    for (const body of desktop.data.bodies) assert.ok(body.items.length > 0, `${body.id} has its items`);
    assert.deepEqual(
      desktop.data.boards.boards.map((b) => b.id),
      (await (await fetch(`${mu.base}/api/v1/boards`)).json()).boards.map((b) => b.id),
    );
    assert.deepEqual(desktop.data.sites.categories, categories);
    assert.ok(Math.abs(Date.parse(desktop.data.generated_at) - Date.now()) < 60_000, 'generated just now');
    // Scraped text cannot end the element: every '<' is escaped.
    assert.ok(!desktop.raw.includes('<'));
    const phone = await firstBlock({ 'Sec-CH-UA-Mobile': '?1', 'User-Agent': 'Mozilla/5.0 (Linux; Android 14) Mobile' });
    assert.deepEqual(phone.ids, defaultOrder.slice(0, 4));
    const iphone = await firstBlock({ 'User-Agent': 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148' });
    assert.deepEqual(iphone.ids, defaultOrder.slice(0, 4));
  });

  test('a phone draws its first cards from the page alone: no request for them, the sites or the catalogue', async () => {
    const ctx = await phoneContext();
    try {
      const p = await ctx.newPage();
      const asked = [];
      // Every board, site and catalogue request fails: what the cards show came with the page.
      p.on('request', (r) => {
        if (new URL(r.url()).pathname === '/api/v1/events') asked.push('/api/v1/events');
      });
      await p.route(/\/api\/v1\/(boards|sites)/, (route) => {
        asked.push(new URL(route.request().url()).pathname + new URL(route.request().url()).search);
        return route.abort();
      });
      await p.goto(`${mu.base}/`);
      // 390×844: three cards drawn with the page; the fourth (also in the page) once scrolled to.
      const first = defaultOrder.slice(0, 4);
      for (const id of first.slice(0, 3)) {
        await waitFor(async () => (await card(p, id).locator('li.item').count()) > 0, { what: `${id} items` });
      }
      assert.deepEqual(await order(p), first.slice(0, 3));
      assert.equal(await p.locator('.skeleton').count(), 0, 'no placeholder among the first cards');
      await p.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
      await waitFor(async () => (await card(p, first[3]).locator('li.item').count()) > 0, { what: `${first[3]} items` });
      // None of their boards was asked for; the sites and the catalogue only once the live
      // stream was open (a check for boards that moved since the page was written).
      assert.deepEqual(
        asked.filter((u) => first.some((id) => u === `/api/v1/boards/${id}`)),
        [],
      );
      const stream = asked.indexOf('/api/v1/events');
      for (const u of ['/api/v1/sites', '/api/v1/boards?limit=301']) {
        if (asked.includes(u)) assert.ok(stream >= 0 && asked.indexOf(u) > stream, `${u} only after the stream opened`);
      }
    } finally {
      await ctx.close();
    }
  });

  test('a board that moved after the page was written is fetched once the live stream is open', async () => {
    const ctx = await phoneContext();
    try {
      const p = await ctx.newPage();
      const id = defaultOrder[0];
      const real = await (await fetch(`${mu.base}/api/v1/boards/${id}`)).json();
      // The page as the server wrote it a moment before the board's last update: an older
      // version of the board, in its body and in the catalogue.
      await p.route(
        (url) => url.pathname === '/',
        async (route) => {
          if (route.request().resourceType() !== 'document') return route.continue();
          const response = await route.fetch();
          const html = (await response.text()).replace(
            /(<script type="application\/json" id="mu-first"[^>]*>)([^]*?)(<\/script>)/,
            (_, open, json, close) => {
              const data = JSON.parse(json);
              const older = (b) => (b.id === id ? { ...b, version: b.version - 1 } : b);
              data.boards.boards = data.boards.boards.map(older);
              data.bodies = data.bodies.map((b) => (b.id === id ? { ...older(b), items: [{ ...b.items[0], key: 'old', title: '一条旧的标题' }] } : b));
              return open + JSON.stringify(data).replace(/</g, '\\u003c') + close;
            },
          );
          await route.fulfill({ response, body: html });
        },
      );
      const asked = [];
      p.on('request', (r) => asked.push(new URL(r.url()).pathname));
      await p.goto(`${mu.base}/`);
      const title = card(p, id).locator('li.item .title').first();
      await waitFor(async () => (await title.textContent()) === real.items[0].title, { what: 'the board as it is now' });
      assert.ok(asked.includes(`/api/v1/boards/${id}`), 'the board was asked for');
      assert.ok(asked.includes('/api/v1/events'), 'after the live stream opened');
      assert.ok(!asked.includes(`/api/v1/boards/${defaultOrder[1]}`), 'a board that did not move is not asked for');
    } finally {
      await ctx.close();
    }
  });

  test('a reader with an order of their own: the catalogue from the page, their first boards preloaded and drawn', async () => {
    const p = await deskPage();
    await p.setViewportSize({ width: 1280, height: 800 });
    const mine = ['v2ex.hot', 'hackernews.front', 'github.trending'].filter((id) => catalogue.includes(id));
    assert.equal(mine.length, 3, 'fixture boards exist');
    const asked = [];
    const listen = (req) => asked.push(new URL(req.url()).pathname + new URL(req.url()).search);
    p.on('request', listen);
    try {
      await home(p, { settings: { order: mine }, cards: 6 });
      assert.deepEqual((await order(p)).slice(0, mine.length), mine);
      for (const id of mine) {
        await waitFor(async () => (await card(p, id).locator('li.item').count()) > 0, { what: `${id} items` });
      }
      // boot.js asked for the reader's boards early (a preload the app's fetch then used).
      for (const id of mine) assert.ok(asked.includes(`/api/v1/boards/${id}`), `${id} asked for`);
      const stream = asked.indexOf('/api/v1/events');
      const sites = asked.indexOf('/api/v1/sites');
      assert.ok(sites < 0 || (stream >= 0 && sites > stream), 'the sites came with the page (asked again only once the stream was open)');
    } finally {
      p.off('request', listen);
    }
  });
});

describe('categories', () => {
  test('tabs from the sources\' categories (综合 科技 财经 娱乐 国际 社区 生活): each shows its boards in the home\'s order, hidden ones left out', async () => {
    // From the sources' metadata: every board has one, the tabs list the used ones in order.
    assert.deepEqual(
      categories.map((c) => c.name),
      ['综合', '科技', '财经', '娱乐', '国际', '社区', '生活'],
    );
    for (const id of catalogue) assert.ok(categories.some((c) => c.id === categoryOf.get(id)), `${id} has a category`);
    // A board may sit elsewhere than its site: Baidu's novels are entertainment, r/programming tech.
    assert.equal(categoryOf.get('baidu.realtime'), 'general');
    assert.equal(categoryOf.get('baidu.novel'), 'entertainment');
    assert.equal(categoryOf.get('reddit.programming'), 'tech');

    const p = await deskPage();
    await home(p, { settings: { hidden: ['github.trending'] } });
    const tabs = p.locator('nav.tabs li.category-tab a');
    assert.deepEqual(await tabs.allTextContents(), categories.map((c) => c.name));
    await tabs.filter({ hasText: '科技' }).click();
    await waitFor(async () => (await p.evaluate(() => location.hash)) === '#/c/tech', { what: 'the tech tab' });
    assert.equal(await tabs.filter({ hasText: '科技' }).getAttribute('aria-current'), 'page');
    const tech = catalogue.filter((id) => categoryOf.get(id) === 'tech' && id !== 'github.trending');
    const want = defaultOrder.filter((id) => tech.includes(id));
    await drawn(p, want.length, `${want.length} tech cards`);
    assert.deepEqual(await order(p), want);
    assert.ok(want.includes('reddit.programming') && want.includes('hackernews.front'));
    assert.match(await p.title(), /^科技 — /);

    // In English the tab says so; the address is a link of its own (reload, share).
    await p.evaluate(() => {
      const s = JSON.parse(localStorage.getItem('mu.settings') ?? '{}');
      localStorage.setItem('mu.settings', JSON.stringify({ ...s, lang: 'en' }));
    });
    await p.goto(`${mu.base}/#/c/finance`);
    await p.reload();
    await p.locator('nav.tabs li.category-tab a[aria-current="page"]').filter({ hasText: 'Finance' }).waitFor();
    const finance = defaultOrder.filter((id) => categoryOf.get(id) === 'finance');
    await drawn(p, finance.length, 'the finance cards');
    assert.deepEqual(await order(p), finance);
    assert.ok(finance.includes('wallstreetcn.hot') && finance.includes('cls.telegraph'));
  });
});

describe('card menu', () => {
  test('a menu button: arrows move through refresh / move to top / hide, Escape and a click elsewhere close it', async () => {
    const p = await deskPage();
    await home(p, { light: true });
    const id = (await order(p))[1];
    const button = card(p, id).getByTestId('card-menu-button');
    assert.equal(await button.getAttribute('aria-haspopup'), 'menu');
    assert.equal(await button.getAttribute('aria-expanded'), 'false');
    assert.match((await button.getAttribute('aria-label')) ?? '', /更多操作/);
    await button.focus();
    await p.keyboard.press('ArrowDown');
    const menu = card(p, id).getByTestId('card-menu');
    await menu.waitFor();
    assert.equal(await button.getAttribute('aria-expanded'), 'true');
    assert.equal(await button.getAttribute('aria-controls'), await menu.getAttribute('id'));
    assert.equal(await menu.getAttribute('role'), 'menu');
    const focused = () => p.evaluate(() => document.activeElement?.textContent?.trim());
    assert.deepEqual(await menu.getByRole('menuitem').allTextContents(), ['立即刷新', '移到最前', '隐藏此榜']);
    assert.equal(await focused(), '立即刷新');
    await p.keyboard.press('ArrowDown');
    assert.equal(await focused(), '移到最前');
    await p.keyboard.press('End');
    assert.equal(await focused(), '隐藏此榜');
    await p.keyboard.press('ArrowDown');
    assert.equal(await focused(), '立即刷新', 'wraps around');
    await p.keyboard.press('Escape');
    assert.equal(await menu.count(), 0);
    assert.equal(await button.getAttribute('aria-expanded'), 'false');
    assert.ok(await button.evaluate((el) => el === document.activeElement), 'focus back on the menu button');
    await button.click();
    await menu.waitFor();
    await p.mouse.click(5, 400);
    await waitFor(async () => (await menu.count()) === 0, { what: 'the menu to close on a click elsewhere' });
  });

  test('refresh now: only that board is asked for again, the card shows that it is busy meanwhile', async () => {
    const p = await deskPage();
    await home(p, { light: true });
    const id = 'zhihu.hot';
    await card(p, id).locator('[data-testid="card-items"] > li').first().waitFor();
    let release;
    const gate = new Promise((r) => (release = r));
    const asked = [];
    await p.route(`**/api/v1/boards/${id}`, async (route) => {
      await gate;
      await route.continue();
    });
    const onRequest = (r) => {
      const path = new URL(r.url()).pathname;
      if (path.startsWith('/api/v1/boards/')) asked.push(path);
    };
    p.on('request', onRequest);
    await card(p, id).getByTestId('card-menu-button').click();
    await card(p, id).getByRole('menuitem', { name: '立即刷新' }).click();
    await card(p, id).getByTestId('card-busy').waitFor();
    assert.equal(await card(p, id).getAttribute('aria-busy'), 'true');
    assert.match(await live(p), /正在刷新/);
    release();
    await waitFor(async () => (await card(p, id).getByTestId('card-busy').count()) === 0, { what: 'the refresh to end' });
    assert.equal(await card(p, id).getAttribute('aria-busy'), null);
    assert.match(await live(p), /已刷新/);
    p.off('request', onRequest);
    await p.unroute(`**/api/v1/boards/${id}`);
    assert.deepEqual(asked, [`/api/v1/boards/${id}`], 'one request, for this board only');
    // The server cannot be reached: the card keeps its items and says so.
    await p.route(`**/api/v1/boards/${id}`, (route) => route.abort('internetdisconnected'));
    await card(p, id).getByTestId('card-menu-button').click();
    await card(p, id).getByRole('menuitem', { name: '立即刷新' }).click();
    await card(p, id).getByTestId('refresh-failed').waitFor();
    assert.match((await card(p, id).getByTestId('refresh-failed').textContent()) ?? '', /刷新失败：网络不可用/);
    assert.ok((await card(p, id).locator('[data-testid="card-items"] > li').count()) > 0, 'the last items stay');
    await p.unroute(`**/api/v1/boards/${id}`);
  });

  test('move to top, hide; the hidden boards line under the grid shows them again, in their places', async () => {
    const p = await deskPage();
    const rest = defaultOrder.slice(12);
    await home(p, { light: true, cards: 12 });
    const line = p.getByTestId('hidden-boards');
    assert.match((await line.textContent()) ?? '', new RegExp(`已隐藏 ${rest.length} 个榜单`));
    const before = await order(p);
    assert.deepEqual(before, defaultOrder.slice(0, 12));
    const far = before[5];
    await card(p, far).getByTestId('card-menu-button').click();
    await card(p, far).getByRole('menuitem', { name: '移到最前' }).click();
    assert.equal((await order(p))[0], far);
    assert.equal((await stored(p)).order[0], far);
    assert.match(await live(p), /已移到最前/);
    assert.ok(await card(p, far).getByTestId('card-menu-button').evaluate((el) => el === document.activeElement));

    const gone = before[1];
    const next = (await order(p))[(await order(p)).indexOf(gone) + 1];
    await card(p, gone).getByTestId('card-menu-button').click();
    await card(p, gone).getByRole('menuitem', { name: '隐藏此榜' }).click();
    await waitFor(async () => (await card(p, gone).count()) === 0, { what: 'the card to go' });
    assert.deepEqual((await stored(p)).hidden, [...rest, gone]);
    assert.match(await live(p), /已隐藏/);
    assert.ok(await card(p, next).getByTestId('card-menu-button').evaluate((el) => el === document.activeElement), 'focus moves to the next card');
    assert.match((await line.textContent()) ?? '', new RegExp(`已隐藏 ${rest.length + 1} 个榜单`));

    // Still hidden after a reload; shown again from the line.
    await home(p, { reset: false });
    assert.equal(await card(p, gone).count(), 0);
    const toggle = p.getByTestId('hidden-toggle');
    assert.equal(await toggle.getAttribute('aria-expanded'), 'false');
    await toggle.click();
    assert.equal(await toggle.getAttribute('aria-expanded'), 'true');
    const show = p.locator(`[data-testid="unhide"][data-id="${gone}"]`);
    assert.match((await show.getAttribute('aria-label')) ?? '', /^显示 /);
    await show.click();
    await card(p, gone).waitFor();
    assert.equal((await order(p)).indexOf(gone), before.indexOf(gone) + 1, 'back where it was (after the one moved to the top)');
    assert.deepEqual((await stored(p)).hidden, rest);
    // Show all: the line goes, every board is back where it was (moving a card kept the
    // places of the hidden ones).
    await p.getByTestId('unhide-all').click();
    await waitFor(async () => (await line.count()) === 0, { what: 'the line to go' });
    assert.deepEqual((await stored(p)).hidden, []);
    assert.ok(await card(p, rest[0]).getByTestId('card-menu-button').evaluate((el) => el === document.activeElement), 'focus on the first board back');
    await drawn(p, defaultOrder.length, 'every card');
    assert.deepEqual(await order(p), [far, ...defaultOrder.filter((id) => id !== far)]);
  });
});

describe('cards', () => {
  test('a card body scrolls through the whole list; "see all" stays in the footer; every card the same height', async () => {
    const p = await deskPage();
    await home(p, { light: true });
    const id = 'weibo.hot-search';
    const items = (await (await fetch(`${mu.base}/api/v1/boards/${id}`)).json()).items;
    assert.ok(items.length > 12, `the fixture has a long list (${items.length})`);
    const list = card(p, id).getByTestId('card-items');
    // The rows that fit and a few more are drawn with the card; the rest once the reader
    // reaches for the list (here: scrolls it).
    const first = await list.locator('> li').count();
    assert.ok(first >= 8 && first < items.length, `${first} rows drawn first`);
    await list.evaluate((ol) => (ol.scrollTop = 40));
    await waitFor(async () => (await list.locator('> li').count()) === items.length, { what: 'every item of the board in its card' });
    const box = await list.evaluate((ol) => ({ overflow: getComputedStyle(ol).overflowY, scroll: ol.scrollHeight, client: ol.clientHeight }));
    assert.equal(box.overflow, 'auto');
    assert.ok(box.scroll > box.client * 2, `the list scrolls (${JSON.stringify(box)})`);
    await list.evaluate((ol) => (ol.scrollTop = ol.scrollHeight));
    const last = list.locator('> li').last();
    assert.equal(await last.locator('.title').textContent(), items.at(-1).title);
    const inside = await card(p, id).evaluate((c) => {
      const cb = c.getBoundingClientRect();
      const lb = c.querySelector('[data-testid="card-items"] > li:last-child').getBoundingClientRect();
      const more = c.querySelector('a.more').getBoundingClientRect();
      return { last: lb.bottom <= more.top + 1 && lb.top >= cb.top, more: more.bottom <= cb.bottom + 1 && more.height > 0 };
    });
    assert.deepEqual(inside, { last: true, more: true }, 'the last item scrolled into the card, the footer link below it');
    assert.equal(await card(p, id).locator('a.more').getAttribute('href'), `#/board/${id}`);
    const heights = await p.locator('section.card').evaluateAll((cs) => cs.slice(0, 9).map((c) => c.getBoundingClientRect().height));
    assert.equal(new Set(heights).size, 1, `equal card heights: ${heights}`);
  });

  test('wide screens get more columns: 5 at 1920 px (the grid fills the width), 6 at 2200 px', async () => {
    const p = await deskPage();
    try {
      await p.setViewportSize({ width: 1920, height: 1080 });
      await home(p, { light: true });
      const measure = () =>
        p.getByTestId('board-grid').evaluate((g) => ({
          columns: getComputedStyle(g).gridTemplateColumns.split(' ').length,
          share: g.getBoundingClientRect().width / document.documentElement.clientWidth,
          right: Math.max(...[...g.children].map((x) => x.getBoundingClientRect().right)) / document.documentElement.clientWidth,
        }));
      const at1920 = await measure();
      assert.equal(at1920.columns, 5);
      assert.ok(at1920.share > 0.95 && at1920.right > 0.95, `the grid uses the width: ${JSON.stringify(at1920)}`);
      await p.setViewportSize({ width: 2200, height: 1200 });
      assert.equal((await measure()).columns, 6);
    } finally {
      await p.setViewportSize({ width: 1280, height: 800 });
    }
  });
});

describe('header', () => {
  test('theme toggle cycles light → dark → auto with a label naming both; density toggle is a pressed button', async () => {
    const p = await deskPage();
    await home(p, { light: true });
    const theme = p.getByTestId('theme-toggle');
    const html = () => p.evaluate(() => ({ theme: document.documentElement.dataset.theme, density: document.documentElement.dataset.density }));
    assert.equal(await theme.getAttribute('aria-label'), '主题：跟随系统。点按切换为浅色');
    await theme.click();
    assert.equal(await theme.getAttribute('aria-label'), '主题：浅色。点按切换为深色');
    assert.equal((await html()).theme, 'light');
    await theme.click();
    assert.equal((await html()).theme, 'dark');
    assert.equal((await stored(p)).theme, 'dark');
    assert.equal(await theme.getAttribute('aria-label'), '主题：深色。点按切换为跟随系统');
    await theme.click();
    assert.equal((await stored(p)).theme, 'auto');
    assert.equal((await html()).theme, 'light', 'auto follows the system (light here)');

    const density = p.getByTestId('density-toggle');
    assert.equal(await density.getAttribute('aria-label'), '紧凑布局');
    assert.equal(await density.getAttribute('aria-pressed'), 'false');
    const height = () => p.locator('section.card').first().evaluate((c) => c.getBoundingClientRect().height);
    const comfortable = await height();
    await density.click();
    assert.equal(await density.getAttribute('aria-pressed'), 'true');
    assert.equal((await html()).density, 'compact');
    assert.equal((await stored(p)).density, 'compact');
    assert.ok((await height()) < comfortable, 'compact cards are shorter');
    // English names.
    await home(p, { settings: { ...(await stored(p)), lang: 'en' } });
    assert.equal(await theme.getAttribute('aria-label'), 'Theme: System. Switch to Light');
    assert.equal(await density.getAttribute('aria-label'), 'Compact layout');
    assert.match((await card(p, 'weibo.hot-search').getByTestId('card-menu-button').getAttribute('aria-label')) ?? '', /^More actions for \w/);
    // The language switch shows the other language: 中 in English, EN in Chinese.
    const lang = p.getByTestId('lang-toggle');
    assert.equal((await lang.textContent())?.trim(), '中');
    assert.equal(await lang.getAttribute('aria-label'), 'Switch to Chinese (中文)');
    await lang.click();
    await waitFor(async () => (await p.evaluate(() => document.documentElement.lang)) === 'zh-CN', { what: 'the page in Chinese' });
    assert.equal((await lang.textContent())?.trim(), 'EN');
    assert.equal((await stored(p)).lang, 'zh-CN');
    assert.equal(await theme.getAttribute('aria-label'), '主题：跟随系统。点按切换为浅色');
  });

  test('390×844: the header (toggles and sign-in link, in Chinese and English) and the cards fit, a card menu opens inside the screen', async () => {
    const c = await phoneContext();
    try {
      const p = await c.newPage();
      const header = () =>
        p.locator('header > *').evaluateAll((els) =>
          els
            .filter((e) => e.getClientRects().length > 0)
            .map((e) => ({ what: e.className || e.tagName, left: e.getBoundingClientRect().left, right: e.getBoundingClientRect().right })),
        );
      for (const lang of ['en', 'zh-CN']) {
        await home(p, { light: true, settings: { lang } });
        await p.getByTestId('sign-in').waitFor();
        const boxes = await header();
        assert.ok(boxes.length >= 6, `header controls: ${JSON.stringify(boxes)}`);
        for (const b of boxes) assert.ok(b.left >= 0 && b.right <= 390, `${lang}: ${b.what} fits on the screen (${b.left}–${b.right})`);
        assert.ok(boxes.some((b) => /theme-btn/.test(b.what)) && boxes.some((b) => /density-btn/.test(b.what)));
      }
      const first = (await order(p))[0];
      await card(p, first).getByTestId('card-menu-button').tap();
      const menu = await card(p, first).getByTestId('card-menu').boundingBox();
      assert.ok(menu.x >= 0 && menu.x + menu.width <= 390, `the menu is on screen: ${JSON.stringify(menu)}`);
      const title = await card(p, first).locator('.card-title').boundingBox();
      assert.ok(title.width >= 120, `the card title keeps room beside handle and buttons (${title.width})`);
      assert.ok(
        await p.evaluate(() => document.scrollingElement.scrollWidth <= 390),
        'no sideways scrolling',
      );
    } finally {
      await c.close();
    }
  });
});

describe('accessibility', () => {
  test('axe: no WCAG 2 A/AA violations with a card picked up, a menu open and the hidden boards listed (light, then dark)', async () => {
    const p = await deskPage();
    // Four cards on the page, every other board hidden (and listed under the grid): a small
    // page for axe, with every new control on it.
    const shownIds = [...BIGGEST.slice(0, 4)];
    await home(p, { settings: { theme: 'light', hidden: catalogue.filter((id) => !shownIds.includes(id)) } });
    assert.deepEqual(await order(p), shownIds);
    await p.getByTestId('hidden-toggle').click();
    assert.equal(await p.getByTestId('unhide').count(), catalogue.length - shownIds.length);
    const [first, , third] = shownIds;
    await card(p, first).locator('[data-testid="card-items"] > li').first().waitFor();
    await p.addScriptTag({ path: AXE });
    for (const scheme of ['light', 'dark']) {
      if (scheme === 'dark') await p.getByTestId('theme-toggle').click();
      assert.equal(await p.evaluate(() => document.documentElement.dataset.theme), scheme);
      await card(p, first).getByTestId('card-menu-button').click();
      await card(p, first).getByTestId('card-menu').waitFor();
      await card(p, third).getByTestId('drag-handle').focus();
      await p.keyboard.press('Space');
      await waitFor(() => card(p, third).evaluate((el) => el.classList.contains('grabbed')), { what: 'the card picked up' });
      const { checked, violations } = await p.evaluate(async () => {
        const r = await window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
        return {
          checked: r.passes.map((x) => x.id),
          violations: r.violations.map((v) => ({ id: v.id, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) })),
        };
      });
      assert.ok(checked.includes('color-contrast') && checked.includes('aria-allowed-attr'), 'axe checked contrast and ARIA');
      assert.deepEqual(violations, [], scheme);
      await p.keyboard.press('Escape');
    }
  });
});
