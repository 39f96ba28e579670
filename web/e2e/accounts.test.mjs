// Accounts end to end: `mu serve` with an [auth] section pointing at the mock GitHub provider
// (tests/mock_github), Chromium signing in through the header link, saving items (☆ on item
// rows, the #/favorites view), preferences sync (settings made signed out survive sign-in and
// reach the account; a second device gets them; concurrent writes merge after a 409), and
// signing out. The pure merge of the sync is unit-tested first (through Vite's SSR loader).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createServer } from 'vite';
import { startMockGithub } from '../../tests/mock_github/mock_github.mjs';
import { WEB, ensureBuilt, launchBrowser, pageFetch, signIn, startMu, waitFor, waitForBoards, watchPage } from './harness.mjs';

describe('pure modules: preferences merge (src/lib/sync.ts), routes, strings', () => {
  let vite;
  let sync;
  let settings;
  let router;
  let adminI18n;
  let i18n;
  const saved = {};

  before(async () => {
    // settings.ts touches window and localStorage when loaded: stub them for the load only
    // (the browser tests below must not see a fake `window`).
    for (const k of ['window', 'localStorage', 'location']) saved[k] = Object.getOwnPropertyDescriptor(globalThis, k);
    const store = new Map();
    globalThis.window = { addEventListener() {} };
    globalThis.localStorage = { getItem: (k) => store.get(k) ?? null, setItem: (k, v) => store.set(k, String(v)) };
    globalThis.location = { hash: '', href: 'http://localhost/', pathname: '/' };
    vite = await createServer({ root: WEB, logLevel: 'silent', server: { middlewareMode: true, hmr: false }, appType: 'custom' });
    sync = await vite.ssrLoadModule('/src/lib/sync.ts');
    settings = await vite.ssrLoadModule('/src/lib/settings.ts');
    router = await vite.ssrLoadModule('/src/lib/router.ts');
    adminI18n = await vite.ssrLoadModule('/src/lib/admin-i18n.ts');
    i18n = await vite.ssrLoadModule('/src/lib/i18n.ts');
    for (const [k, d] of Object.entries(saved)) {
      if (d) Object.defineProperty(globalThis, k, d);
      else delete globalThis[k];
    }
  });
  after(async () => {
    await vite?.close();
  });

  const T1 = '2026-11-01T00:00:00.000Z';
  const T2 = '2026-11-02T00:00:00.000Z';
  const doc = (fields, stamps) => ({ ...settings.defaultSettings(), ...fields, field_updated_at: stamps, updated_at: Object.values(stamps).sort().at(-1) ?? settings.defaultSettings().updated_at });

  test('each field comes from the side that changed it last; both sides learn what they lack', () => {
    const local = doc({ theme: 'dark', hidden: ['weibo.hot-search'] }, { theme: T2, hidden: T2 });
    const remote = { version: 1, ...doc({ theme: 'light', density: 'compact', lang: 'en' }, { theme: T1, density: T1, lang: T1 }) };
    const r = sync.reconcile(local, remote);
    assert.equal(r.doc.theme, 'dark', 'the newer local theme wins');
    assert.deepEqual(r.doc.hidden, ['weibo.hot-search'], 'a board hidden while signed out stays hidden');
    assert.equal(r.doc.density, 'compact', 'the account brings what this browser never set');
    assert.equal(r.doc.lang, 'en');
    assert.equal(r.doc.field_updated_at.theme, T2);
    assert.equal(r.doc.field_updated_at.density, T1);
    assert.equal(r.localChanged, true);
    assert.equal(r.remoteChanged, true);
  });

  test('a first sign-in uploads the local settings; nothing to do when both are equal or empty', () => {
    const local = doc({ theme: 'dark' }, { theme: T1 });
    const first = sync.reconcile(local, {});
    assert.deepEqual([first.localChanged, first.remoteChanged], [false, true]);
    assert.equal(first.doc.theme, 'dark');
    const again = sync.reconcile(first.doc, JSON.parse(JSON.stringify(first.doc)));
    assert.deepEqual([again.localChanged, again.remoteChanged], [false, false], 'merging a copy with itself changes nothing');
    const fresh = sync.reconcile(settings.defaultSettings(), {});
    assert.deepEqual([fresh.localChanged, fresh.remoteChanged], [false, false], 'defaults on both sides: no PUT');
  });

  test('the account copy is untrusted: bad values and stamps are dropped, not applied', () => {
    const local = doc({ theme: 'light' }, { theme: T1 });
    const r = sync.reconcile(local, { theme: 'neon', order: 'x', hidden: [1, 2], newTab: 'yes', field_updated_at: { theme: 5, hidden: T2 }, __proto__: { evil: 1 } });
    assert.equal(r.doc.theme, 'light');
    assert.deepEqual(r.doc.order, []);
    assert.deepEqual(r.doc.hidden, []);
    assert.equal(r.doc.newTab, true);
    for (const bad of [null, 42, 'x', []]) assert.equal(sync.reconcile(local, bad).doc.theme, 'light', `body ${JSON.stringify(bad)}`);
  });

  test('the merge is symmetric, even for two writes stamped at the same moment', () => {
    const a = doc({ theme: 'dark', order: ['b', 'a'] }, { theme: T1, order: T2 });
    const b = doc({ theme: 'light', order: ['a', 'b'] }, { theme: T1, order: T1 });
    const ab = sync.reconcile(a, b).doc;
    const ba = sync.reconcile(b, a).doc;
    assert.deepEqual(ab, ba);
    assert.deepEqual(ab.order, ['b', 'a']);
    assert.ok(sync.sameSettings(ab, ba));
    assert.equal(sync.sameSettings(ab, { ...ab, theme: ab.theme === 'dark' ? 'light' : 'dark' }), false);
  });

  test('a reactive-like source (a Proxy) is copied, not structured-cloned', () => {
    const local = new Proxy(doc({ hidden: ['x'] }, { hidden: T1 }), {});
    assert.deepEqual(sync.reconcile(local, {}).doc.hidden, ['x']);
  });
  test('routes: #/favorites and #/admin[/<section>[/<board>]]', () => {
    const { parseHash } = router;
    assert.deepEqual(parseHash('#/favorites'), { name: 'favorites' });
    assert.deepEqual(parseHash('#/admin'), { name: 'admin', section: '' });
    assert.deepEqual(parseHash('#/admin/users'), { name: 'admin', section: 'users' });
    assert.deepEqual(parseHash('#/admin/boards/weibo.hot-search'), { name: 'admin', section: 'boards', id: 'weibo.hot-search' });
  });

  test('the account and admin strings exist in both languages with the same parameters', () => {
    const params = (t) => [...t.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    for (const tables of [i18n.tables, adminI18n.adminTables]) {
      assert.deepEqual(Object.keys(tables.en).sort(), Object.keys(tables['zh-CN']).sort());
      for (const [key, text] of Object.entries(tables['zh-CN'])) assert.deepEqual(params(tables.en[key]), params(text), key);
    }
    i18n.locale.value = 'en';
    assert.equal(adminI18n.ta('in_minutes', { n: 9 }), 'in 9 min');
    assert.equal(adminI18n.until(Date.parse('2026-11-26T08:10:00Z'), Date.parse('2026-11-26T08:00:00Z')), 'in 10 min');
    assert.equal(adminI18n.until(Date.parse('2026-11-26T08:00:30Z'), Date.parse('2026-11-26T08:00:00Z')), 'in 30 s');
    assert.equal(adminI18n.until(Date.parse('2026-11-26T07:59:00Z'), Date.parse('2026-11-26T08:00:00Z')), 'due now');
    i18n.locale.value = 'zh-CN';
    assert.equal(adminI18n.until(Date.parse('2026-11-26T11:00:00Z'), Date.parse('2026-11-26T08:00:00Z')), '3 小时后');
  });
});

describe('accounts in the browser', () => {
  let gh;
  let mu;
  let browser;

  before(async () => {
    ensureBuilt();
    gh = await startMockGithub();
    mu = await startMu({ config: ({ base }) => gh.authConfig({ publicUrl: base, admins: ['octocat'] }) });
    await waitForBoards(mu.base, ['36kr.newsflashes', '36kr.hot']);
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await mu?.stop();
    await gh?.close();
  });

  /** A fresh browser (its own cookies, storage and service worker) signing in as `login`. */
  async function newPage(login, options = {}) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'zh-CN', ...options });
    await context.addCookies([{ name: 'mock_github_login', value: login, url: gh.base }]);
    const page = await context.newPage();
    const errors = watchPage(page);
    return { context, page, errors };
  }

  const realErrors = (errors) => errors.filter((e) => !/Failed to load resource|ERR_NAME_NOT_RESOLVED/.test(e));
  const prefs = async (page) => (await pageFetch(page, '/api/v1/me/preferences')).json;

  test('signed out: a "Sign in with GitHub" link back to this page, no stars on items, no 401 in the console', async () => {
    const { context, page, errors } = await newPage('octocat');
    // The providers say signed_in: false, so the page never asks /api/v1/me (issue 14: every
    // signed-out load logged a 401, and Lighthouse's best practices counted it).
    const asked = [];
    page.on('request', (r) => {
      if (new URL(r.url()).pathname.startsWith('/api/v1/me')) asked.push(r.url());
    });
    await page.goto(`${mu.base}/#/site/36kr`);
    await page.locator('section.card[data-board="36kr.hot"] li.item').first().waitFor();
    const link = page.getByTestId('sign-in');
    await link.waitFor();
    const href = await link.getAttribute('href');
    assert.equal(href, `/auth/github/login?return_to=${encodeURIComponent('/#/site/36kr')}`);
    assert.equal(await link.getAttribute('aria-label'), '使用 GitHub 登录');
    assert.equal(await page.getByTestId('fav').count(), 0);
    assert.deepEqual(asked, []);
    assert.deepEqual(errors, [], 'not even a "Failed to load resource" line');
    assert.equal((await pageFetch(page, '/api/v1/me')).status, 401);
    await context.close();
  });

  test('sign in, save an item, reload: the star stays, and the item is in saved items (search, board filter, remove)', async () => {
    const { context, page, errors } = await newPage('octocat');
    const before = gh.stats();
    await page.goto(`${mu.base}/#/site/36kr`);
    const card = page.locator('section.card[data-board="36kr.hot"]');
    await card.locator('li.item').first().waitFor();
    await signIn(page);
    assert.equal(new URL(page.url()).hash, '#/site/36kr', 'back on the page where sign-in started');
    const after = gh.stats();
    assert.equal(after.authorize - before.authorize, 1, 'one authorize request');
    assert.equal(after.tokens_issued - before.tokens_issued, 1, 'one code exchanged (with PKCE)');
    assert.equal(after.user - before.user, 1, 'one /user lookup');
    assert.equal(await page.getByTestId('account-button').getAttribute('aria-label'), '账号 octocat');

    // The stars come from /api/v1/me/favorites/keys, one request per board on screen.
    const row = card.locator('li.item').nth(1);
    const star = row.getByTestId('fav');
    await star.waitFor();
    assert.equal(await star.getAttribute('aria-pressed'), 'false');
    const key = await row.getAttribute('data-key');
    const title = (await row.locator('.title').textContent()).trim();
    assert.match(await star.getAttribute('aria-label'), /^收藏：/);
    await star.click();
    assert.equal(await star.getAttribute('aria-pressed'), 'true', 'the star turns on at once');
    await waitFor(async () => (await pageFetch(page, '/api/v1/me/favorites/keys?board=36kr.hot')).json?.keys?.includes(key), {
      what: 'the favorite on the server',
    });

    await page.reload();
    const again = page.locator(`section.card[data-board="36kr.hot"] li.item[data-key="${key}"] [data-testid="fav"]`);
    await again.waitFor();
    await waitFor(async () => (await again.getAttribute('aria-pressed')) === 'true', { what: 'the star after reload' });

    // An item that has left the board keeps its title and link in the saved list.
    const gone = { board: '36kr.hot', item_key: 'e2e-gone-1', title: 'A story no longer on the board', url: 'https://example.test/gone' };
    assert.equal((await pageFetch(page, '/api/v1/me/favorites', { method: 'POST', body: gone })).status, 201);

    await page.goto(`${mu.base}/#/favorites`);
    const list = page.getByTestId('saved-list');
    await list.locator(`li[data-key="${key}"]`).waitFor();
    assert.equal(await list.locator('li').count(), 2);
    assert.equal((await list.locator('li').first().locator('.saved-title').textContent()).trim(), gone.title, 'newest first');
    const link = list.locator(`li[data-key="${key}"] a.saved-title`);
    assert.equal((await link.textContent()).trim(), title);
    assert.match(await link.getAttribute('href'), /^https?:\/\//);
    assert.equal(await link.getAttribute('rel'), 'noopener noreferrer');

    // Search box (q) and board filter.
    await page.getByTestId('saved-q').fill('no longer on the board');
    await waitFor(async () => (await list.locator('li').count()) === 1, { what: 'the search to narrow the list' });
    assert.equal(await list.locator('li').getAttribute('data-key'), gone.item_key);
    await page.getByTestId('saved-q').fill('zzz-nothing-matches-this');
    await page.getByTestId('saved-empty').waitFor();
    await page.getByTestId('saved-q').fill('');
    await list.locator('li').nth(1).waitFor();
    await page.getByTestId('saved-board').selectOption('weibo.hot-search');
    await page.getByTestId('saved-empty').waitFor();
    await page.getByTestId('saved-board').selectOption('36kr.hot');
    await waitFor(async () => (await list.locator('li').count()) === 2, { what: 'the board filter' });

    // Remove from the saved list.
    await list.locator(`li[data-key="${gone.item_key}"] button.fav`).click();
    await waitFor(async () => (await list.locator('li').count()) === 1, { what: 'the removed row to go' });
    const keys = (await pageFetch(page, '/api/v1/me/favorites/keys?board=36kr.hot')).json.keys;
    assert.deepEqual(keys, [key]);
    assert.deepEqual(realErrors(errors), []);
    await context.close();
  });

  test('following a board (pin) and saving an item (bookmark): different symbols and names', async () => {
    const { context, page } = await newPage('octocat');
    await page.goto(`${mu.base}/#/site/36kr`);
    const card = page.locator('section.card[data-board="36kr.hot"]');
    await card.locator('li.item').first().waitFor();
    await signIn(page);
    const follow = card.locator('.card-head button.star');
    const save = card.locator('li.item').first().getByTestId('fav');
    await save.waitFor();
    // What a sighted user sees (the text or the drawn symbol) and what a screen reader says.
    const look = (button) =>
      button.evaluate((b) => ({
        name: b.getAttribute('aria-label'),
        glyph: b.textContent.trim() + (b.querySelector('svg')?.innerHTML ?? ''),
        icon: b.querySelector('svg')?.dataset.icon ?? null,
      }));
    for (let round = 0; round < 2; round++) {
      const f = await look(follow);
      const s = await look(save);
      assert.match(f.name, /^(取消)?关注 36氪/);
      assert.match(s.name, /^(取消)?收藏：/);
      assert.notEqual(f.glyph, s.glyph, 'the two toggles do not share a symbol');
      assert.equal(f.icon, 'pin');
      assert.equal(s.icon, 'bookmark');
      // Both on: still two different symbols.
      if (round === 0) {
        await follow.click();
        await save.click();
        await waitFor(async () => (await save.getAttribute('aria-pressed')) === 'true', { what: 'the item saved' });
        assert.equal(await follow.getAttribute('aria-pressed'), 'true');
      }
    }
    // Leave the account as it was for the tests below.
    await save.click();
    await follow.click();
    await waitFor(async () => (await save.getAttribute('aria-pressed')) === 'false', { what: 'the item unsaved' });
    await waitFor(async () => !(await pageFetch(page, '/api/v1/me/preferences')).json?.body?.favorites?.includes('36kr.hot'), {
      what: 'the board unfollowed on the account',
    });
    await context.close();
  });

  test('a save the server refuses is rolled back and said in a toast', async () => {
    // No service worker: page.route must see every request.
    const { context, page } = await newPage('octocat', { serviceWorkers: 'block' });
    await page.goto(`${mu.base}/#/site/36kr`);
    await signIn(page);
    await page.route('**/api/v1/me/favorites', (route) =>
      route.request().method() === 'POST'
        ? route.fulfill({ status: 500, contentType: 'application/json', body: '{"error":{"code":"internal","message":"disk full"}}' })
        : route.continue(),
    );
    const star = page.locator('section.card[data-board="36kr.newsflashes"] li.item').nth(2).getByTestId('fav');
    await star.waitFor();
    assert.equal(await star.getAttribute('aria-pressed'), 'false');
    await star.click();
    await page.getByTestId('account-notice').waitFor();
    assert.match(await page.getByTestId('account-notice').textContent(), /收藏没有保存：disk full/);
    assert.equal(await star.getAttribute('aria-pressed'), 'false', 'rolled back');
    await context.close();
  });

  test('settings made signed out survive sign-in and reach the account; another device gets them; concurrent changes merge', async () => {
    const a = await newPage('mona', { colorScheme: 'light' });
    await a.page.goto(`${mu.base}/#/settings`);
    await a.page.getByTestId('theme-dark').check();
    const rows = a.page.locator('[data-testid="order-list"] > li');
    await waitFor(async () => (await rows.count()) > 50, { what: 'the board list' });
    const hiddenId = await rows.nth(3).getAttribute('data-id');
    await rows.nth(3).locator('input[type=checkbox]').uncheck();

    await signIn(a.page);
    assert.equal(await a.page.evaluate(() => document.documentElement.dataset.theme), 'dark', 'the theme stays dark');
    const uploaded = await waitFor(async () => {
      const p = await prefs(a.page);
      return p?.version >= 1 && p.body.theme === 'dark' && p.body.hidden?.includes(hiddenId) ? p : null;
    }, { what: 'the local settings in the account' });
    assert.ok(uploaded.body.field_updated_at.theme, 'the per-field stamps travel with them');
    await a.page.goto(`${mu.base}/#/`);
    await a.page.locator('section.card').first().waitFor();
    assert.equal(await a.page.locator(`section.card[data-board="${hiddenId}"]`).count(), 0, 'the board stays hidden');

    // A second device (light by default) signs in and takes the account's settings.
    const b = await newPage('mona', { colorScheme: 'light' });
    await b.page.goto(`${mu.base}/#/settings`);
    await signIn(b.page);
    await waitFor(() => b.page.evaluate(() => document.documentElement.dataset.theme === 'dark'), { what: 'device B to turn dark' });
    const storedB = await b.page.evaluate(() => JSON.parse(localStorage.getItem('mu.settings')));
    assert.ok(storedB.hidden.includes(hiddenId));

    // B changes the density; then A (whose idea of the version is now old) changes the language:
    // A's PUT answers 409 and A merges and retries, so the account ends up with both.
    await b.page.locator('input[name="density"][value="compact"]').check();
    await waitFor(async () => (await prefs(b.page))?.body.density === 'compact', { what: "B's density in the account" });
    const v = (await prefs(b.page)).version;
    const puts = [];
    a.page.on('response', (r) => {
      if (r.url().endsWith('/api/v1/me/preferences') && r.request().method() === 'PUT') puts.push(r.status());
    });
    await a.page.goto(`${mu.base}/#/settings`);
    await a.page.getByTestId('lang-en').check();
    const merged = await waitFor(async () => {
      const p = await prefs(a.page);
      return p?.body.lang === 'en' && p.body.density === 'compact' && p.version > v ? p : null;
    }, { what: 'both changes in the account' });
    assert.equal(merged.body.theme, 'dark');
    assert.deepEqual(puts.slice(0, 2), [409, 200], 'a conflict, then the merged write');
    await waitFor(() => a.page.evaluate(() => JSON.parse(localStorage.getItem('mu.settings')).density === 'compact'), {
      what: "B's density on device A",
    });
    assert.equal(await a.page.evaluate(() => document.documentElement.dataset.density), 'compact');
    await a.context.close();
    await b.context.close();
  });

  test('sign out: the session ends, the stars go, account answers leave the offline cache', async () => {
    const { context, page, errors } = await newPage('octocat');
    await page.goto(`${mu.base}/#/site/36kr`);
    await signIn(page);
    await page.locator('section.card[data-board="36kr.hot"] [data-testid="fav"]').first().waitFor();
    // Let the service worker take control and cache /api/v1/me, as it does for every GET /api/.
    await page.waitForFunction(() => navigator.serviceWorker?.controller != null, null, { timeout: 30_000 });
    await page.reload();
    await page.getByTestId('account-button').waitFor();
    await page.getByTestId('account-button').click();
    const menu = page.getByTestId('account-menu');
    await menu.waitFor();
    assert.equal(await page.getByTestId('account-button').getAttribute('aria-expanded'), 'true');
    assert.equal(await menu.getByTestId('admin-link').count(), 1, 'octocat is a configured admin');
    await menu.getByTestId('sign-out').click();
    // octocat is the only admin: asked first, with the way back in (last_admin.test.mjs).
    await menu.getByTestId('last-admin-warning').waitFor();
    await menu.getByTestId('sign-out-anyway').click();
    await page.getByTestId('sign-in').waitFor();
    assert.equal(await page.getByTestId('fav').count(), 0);
    assert.equal((await pageFetch(page, '/api/v1/me')).status, 401);
    await waitFor(
      () =>
        page.evaluate(async () => {
          const cache = await caches.open('mu-api-v1');
          return (await cache.keys()).every((r) => !new URL(r.url).pathname.startsWith('/api/v1/me'));
        }),
      { what: 'no /api/v1/me answers in the service worker cache' },
    );
    await page.reload();
    await page.getByTestId('sign-in').waitFor();
    assert.deepEqual(realErrors(errors).filter((e) => !/401/.test(e)), []);
    await context.close();
  });
});
