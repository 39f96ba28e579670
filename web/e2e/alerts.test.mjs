// The alerts page (#/alerts, docs/alerts.md) end to end: one `mu serve` with [auth] → the mock
// GitHub provider, a secrets key (channels are sealed with it) and private networks allowed
// for channels (the test's webhook receiver is on 127.0.0.1), and one browser. Signed out the
// page offers sign-in and comes back; a webhook channel (URL + secret) is added, its "send a
// test" reaches the receiver as a signed POST (X-Mu-Signature checked as a receiver would,
// body type "test"); a channel whose server answers 500 shows the error; a rule made from a
// keyword of a current title previews that item, shows the server's 400 for a bad pattern,
// saves every field, is switched off and on and edited; private feed URLs are made in the page
// (shown once, copied), the favorites and rule feeds answer, new ones end the old ones, revoked
// they answer 404; axe finds nothing in light and dark; no sideways scrolling at 390 px; the
// rule is deleted. The signed-in user is an admin: the console's alerts panel lists every
// user's dead deliveries (none here: replayed fixtures never bring new items, so no rule
// fires), filters by state, and — with the API answered by the test — pages with before= and
// retries a dead delivery with the CSRF header. The page's strings (both languages) and the
// form's pure helpers are checked first.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { after, before, describe, test } from 'node:test';
import { createServer as createVite } from 'vite';
import { startMockGithub } from '../../tests/mock_github/mock_github.mjs';
import { WEB, ensureBuilt, launchBrowser, pageFetch, startMu, waitFor, waitForBoards, watchPage } from './harness.mjs';

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const SECRET = 'e2e-hmac-key';
const BOARD = 'weibo.hot-search';

describe('the alerts strings and form helpers (src/lib/alerts-i18n.ts, alerts.ts)', () => {
  test('every string exists in both languages with the same parameters; drafts become rules', async () => {
    // alerts.ts reaches settings.ts (through account.ts), which reads localStorage and listens
    // on window when loaded: stubbed for the load, taken away again after.
    const stubs = { window: { addEventListener() {} }, localStorage: { getItem: () => null, setItem() {} } };
    for (const [k, v] of Object.entries(stubs)) globalThis[k] = v;
    const vite = await createVite({ root: WEB, logLevel: 'silent', server: { middlewareMode: true, hmr: false }, appType: 'custom' });
    try {
      const { alertsTables, ta } = await vite.ssrLoadModule('/src/lib/alerts-i18n.ts');
      const i18n = await vite.ssrLoadModule('/src/lib/i18n.ts');
      const params = (text) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
      assert.deepEqual(Object.keys(alertsTables.en).sort(), Object.keys(alertsTables['zh-CN']).sort());
      for (const [key, text] of Object.entries(alertsTables['zh-CN'])) assert.deepEqual(params(alertsTables.en[key]), params(text), key);
      i18n.locale.value = 'en';
      assert.equal(ta('p_total', { n: 3 }), '3 matching items');
      i18n.locale.value = 'zh-CN';
      assert.equal(ta('p_total', { n: 3 }), '共 3 条匹配');

      const lib = await vite.ssrLoadModule('/src/lib/alerts.ts');
      assert.deepEqual(lib.splitWords(' 火灾, fire\n地震，台风、 \n'), ['火灾', 'fire', '地震', '台风']);
      const draft = { ...lib.emptyDraft(['c_1']), name: ' 台风 ', keywords: '台风', max_rank: '', min_hot: '', top_n: '', quietOn: true };
      const rule = lib.draftToRule(draft);
      assert.deepEqual(
        { ...rule, tz: undefined },
        {
          name: '台风', enabled: true, keywords: ['台风'], pattern: '', exclude: [], boards: [], sites: [], max_rank: 0, min_hot: 0,
          trigger: 'new', top_n: 10, tz: undefined, quiet: { from: '23:00', to: '07:00' }, digest: 'immediate', digest_hour: 8, channels: ['c_1'],
        },
      );
      // What the API answers is typed before use; a hostile body becomes harmless values.
      const odd = lib.toRule({ id: 7, name: ['x'], keywords: ['a', 3], quiet: { from: '25:00', to: '07:00' }, digest: 'weekly', trigger: 'top' });
      assert.deepEqual([odd.id, odd.name, odd.keywords, odd.quiet, odd.digest, odd.trigger], ['7', '', ['a'], null, 'immediate', 'top']);
      assert.deepEqual(lib.draftToRule(lib.ruleToDraft(rule)), rule);
      // The private feeds' URLs: the favorites in each format, a rule's under `alerts`.
      const token = { token: 'T', favorites: 'https://mu.example/feeds/u/T/favorites.rss', alerts: 'https://mu.example/feeds/u/T/alerts/' };
      assert.deepEqual(
        lib.FEED_FORMATS.map((f) => lib.favoritesFeedUrl(token, f)),
        ['rss', 'atom', 'json'].map((f) => `https://mu.example/feeds/u/T/favorites.${f}`),
      );
      assert.equal(lib.ruleFeedUrl(token, 'r_a-b_C', 'atom'), 'https://mu.example/feeds/u/T/alerts/r_a-b_C.atom');
    } finally {
      await vite.close();
      for (const k of Object.keys(stubs)) delete globalThis[k];
    }
  });
});

describe('alerts in the browser', () => {
  let gh;
  let mu;
  let browser;
  let context;
  let page;
  let errors;
  let hook;
  let hookBase;
  /** What the webhook receiver got: { method, url, headers, body }. */
  const received = [];

  before(async () => {
    ensureBuilt();
    // The channels' receiver: /hook answers 200, /fail 500 (a retryable failure).
    hook = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        received.push({ method: req.method, url: req.url, headers: req.headers, body });
        res.writeHead(req.url === '/fail' ? 500 : 200, { 'Content-Type': 'application/json' });
        res.end(req.url === '/fail' ? '{"error":"boom"}' : '{"ok":true}');
      });
    });
    await new Promise((r) => hook.listen(0, '127.0.0.1', r));
    hookBase = `http://127.0.0.1:${hook.address().port}`;
    gh = await startMockGithub();
    mu = await startMu({
      // mona is an admin (the console's alerts panel); public_url is what feed URLs start with.
      config: ({ base }) => gh.authConfig({ publicUrl: base, admins: ['mona'] }),
      env: { MU_STORAGE_SECRETS_KEY: 'c'.repeat(64), MU_NOTIFY_ALLOW_PRIVATE_NETWORKS: 'true' },
    });
    browser = await launchBrowser();
    // bypassCSP: axe is injected as an inline script, which Mu's CSP (rightly) forbids.
    context = await browser.newContext({
      viewport: { width: 1280, height: 900 },
      locale: 'zh-CN',
      timezoneId: 'Asia/Shanghai',
      colorScheme: 'light',
      bypassCSP: true,
      reducedMotion: 'reduce',
    });
    await context.addCookies([{ name: 'mock_github_login', value: 'mona', url: gh.base }]);
    page = await context.newPage();
    errors = watchPage(page);
  });

  after(async () => {
    await browser?.close();
    await mu?.stop();
    await gh?.close();
    await new Promise((r) => (hook ? hook.close(r) : r()));
  });

  const realErrors = () => errors.filter((e) => !/Failed to load resource|ERR_NAME_NOT_RESOLVED/.test(e));
  const text = async (locator) => ((await locator.textContent()) ?? '').trim();

  /** axe's WCAG 2 A/AA violations on the page in each theme (the page is left light). */
  async function axeProblems(themes = ['light', 'dark']) {
    if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ path: AXE });
    const problems = [];
    for (const theme of themes) {
      await page.emulateMedia({ colorScheme: theme });
      // The theme changes under a loaded page: axe looks once its colour transitions are over.
      await waitFor(() => page.evaluate((t) => document.documentElement.dataset.theme === t && document.getAnimations().length === 0, theme), {
        what: `the ${theme} theme`,
      });
      const { passes, violations } = await page.evaluate(async () => {
        const r = await window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
        const violations = r.violations.map((v) => ({ id: v.id, nodes: v.nodes.slice(0, 3).map((n) => `${n.target.join(' ')} ${(n.failureSummary ?? '').split('\n')[1] ?? ''}`) }));
        return { passes: r.passes.map((x) => x.id), violations };
      });
      assert.ok(passes.includes('color-contrast'), 'axe checked the contrast');
      for (const v of violations) problems.push({ theme, ...v });
    }
    await page.emulateMedia({ colorScheme: 'light' });
    return problems;
  }

  test('signed out: a sign-in offer that comes back to the page; /alerts is the page; the account menu links to it', async () => {
    await page.goto(`${mu.base}/alerts`);
    await waitFor(() => page.url().endsWith('/#/alerts'), { what: '/alerts to become #/alerts' });
    const offer = page.getByTestId('alerts-signed-out');
    await offer.waitFor();
    assert.equal(await text(offer), '登录后可以设置提醒。');
    assert.match(await page.title(), /^提醒 — /);
    assert.equal((await pageFetch(page, '/api/v1/me/alerts/rules')).status, 401);

    await page.getByTestId('alerts-sign-in').click();
    await page.getByTestId('account-button').waitFor();
    await waitFor(() => page.url().endsWith('#/alerts'), { what: 'back on #/alerts' });
    await page.getByTestId('channels-none').waitFor();
    await page.getByTestId('rules-none').waitFor();

    await page.goto(`${mu.base}/#/`);
    await page.getByTestId('account-button').click();
    await page.getByTestId('alerts-link').click();
    await page.getByTestId('alerts-channels').waitFor();
    assert.equal(await page.getByTestId('alerts-link').count(), 0, 'the menu closed on navigation');
  });

  let channelId = '';

  test('channels: add a webhook; "send a test" reaches the receiver signed; a failing channel shows its error; delete', async () => {
    const section = page.getByTestId('alerts-channels');
    // An empty address is refused before asking.
    await section.getByTestId('channel-add').click();
    assert.equal(await text(section.getByTestId('channel-url-error')), '请填写地址。');

    await section.getByTestId('channel-name-input').fill('e2e hook');
    await section.getByTestId('channel-url').fill(`webhook+${hookBase}/hook`);
    await section.getByTestId('channel-secret').fill(SECRET);
    await section.getByTestId('channel-add').click();
    const row = section.locator('[data-testid="channel"]', { hasText: 'e2e hook' });
    await row.waitFor();
    channelId = await row.getAttribute('data-id');
    assert.equal(await row.getAttribute('data-kind'), 'webhook');
    assert.equal(await text(section.getByTestId('channels-status')), '已添加渠道“e2e hook”。');
    // Nothing of the URL's secret stays in the form; the API shows a description, never the secret.
    assert.equal(await section.getByTestId('channel-url').inputValue(), '');
    assert.equal(await section.getByTestId('channel-secret').inputValue(), '');
    const listed = await pageFetch(page, '/api/v1/me/alerts/channels');
    assert.equal(listed.status, 200);
    assert.ok(!JSON.stringify(listed.json).includes(SECRET), JSON.stringify(listed.json));
    assert.deepEqual(Object.keys(listed.json.channels[0]).sort(), ['created_at', 'description', 'id', 'kind', 'name']);
    assert.equal(await text(row.getByTestId('channel-description')), listed.json.channels[0].description);

    await row.getByTestId('channel-test').click();
    const result = row.getByTestId('channel-test-result');
    await waitFor(async () => (await result.getAttribute('data-ok')) !== null, { what: 'the test result' });
    assert.equal(await result.getAttribute('data-ok'), 'true', await text(result));
    assert.equal(await text(result), '✓ 测试消息已发送。');
    const hit = received.find((r) => r.url === '/hook');
    assert.ok(hit, 'the receiver got the test');
    assert.equal(hit.method, 'POST');
    const sig = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(hit.headers['x-mu-signature'] ?? '');
    assert.ok(sig, `X-Mu-Signature: ${hit.headers['x-mu-signature']}`);
    assert.equal(sig[2], createHmac('sha256', SECRET).update(`${sig[1]}.${hit.body}`).digest('hex'), 'the signature checks out');
    assert.equal(JSON.parse(hit.body).type, 'test');

    // A channel whose server fails: the 502's message is shown, and that a retry may help.
    await section.getByTestId('channel-name-input').fill('e2e broken');
    await section.getByTestId('channel-url').fill(`webhook+${hookBase}/fail`);
    await section.getByTestId('channel-add').click();
    const broken = section.locator('[data-testid="channel"]', { hasText: 'e2e broken' });
    await broken.waitFor();
    await broken.getByTestId('channel-test').click();
    const bad = broken.getByTestId('channel-test-result');
    await waitFor(async () => (await bad.getAttribute('data-ok')) !== null, { what: 'the failed test result' });
    assert.equal(await bad.getAttribute('data-ok'), 'false');
    assert.match(await text(bad), /^✕ 发送失败：.*500.*（临时错误，稍后再试可能会成功）$/);
    assert.ok(received.some((r) => r.url === '/fail'));

    await broken.getByTestId('channel-delete').click();
    assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), 'channel-delete-cancel');
    await broken.getByTestId('channel-delete-confirm').click();
    await waitFor(async () => (await broken.count()) === 0, { what: 'the channel to go' });
    assert.equal(await text(section.getByTestId('channels-status')), '已删除渠道“e2e broken”。');
    assert.equal(await section.locator('[data-testid="channel"]').count(), 1);
  });

  test('rules: the preview lists the item a keyword names; a bad pattern shows the 400; save, switch off and on, edit', async () => {
    await waitForBoards(mu.base, [BOARD]);
    const body = await (await fetch(`${mu.base}/api/v1/boards/${BOARD}`)).json();
    const chars = (s) => Array.from(s);
    const item = body.items.find((i) => /^https?:/.test(i.url) && chars(i.title).length >= 4 && !/[,，、\n]/.test(i.title));
    assert.ok(item, 'an item to look for');
    const keyword = chars(item.title).slice(0, 12).join('').trim();

    const section = page.getByTestId('alerts-rules');
    await section.getByTestId('rule-new').click();
    const form = section.getByTestId('rule-form');
    await form.waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'al-form-h', 'the form has the focus');
    assert.equal(await form.getByTestId('rule-tz').inputValue(), 'Asia/Shanghai', "the browser's zone");
    await form.getByTestId('rule-name-input').fill('e2e 提醒');
    await form.getByTestId('rule-keywords').fill(keyword);
    await form.getByTestId('rule-board-filter').fill('weibo');
    await form.locator(`label[data-id="${BOARD}"] input`).check();
    await form.getByTestId('rule-board-filter').fill('');
    assert.equal(await form.getByTestId('rule-boards-chosen').locator('li').count(), 1);
    await form.getByTestId('rule-channel').check();

    const preview = form.getByTestId('rule-preview');
    const link = preview.locator('[data-testid="rule-preview-item"] a', { hasText: item.title });
    const previewStatus = preview.getByTestId('rule-preview-status');
    // data-total is there once the preview of the latest draft has come back.
    const settled = async () => (await previewStatus.getAttribute('data-total')) !== null && (await preview.getAttribute('aria-busy')) === 'false';
    await waitFor(async () => (await settled()) && (await link.count()) > 0, { what: `"${item.title}" in the preview` });
    assert.equal(await link.first().getAttribute('href'), new URL(item.url).href);
    assert.equal(await link.first().getAttribute('rel'), 'noopener noreferrer');
    const total = Number(await previewStatus.getAttribute('data-total'));
    assert.ok(total >= 1, `total ${total}`);
    assert.match(await text(previewStatus), total === 1 ? /^共 1 条匹配$/ : new RegExp(`^共 ${total.toLocaleString()} 条匹配`));
    for (const b of await preview.locator('[data-testid="rule-preview-item"]').evaluateAll((els) => els.map((e) => e.dataset.board))) assert.equal(b, BOARD);

    // A pattern RE2 refuses: the preview and the save both say what the server said.
    await form.getByTestId('rule-pattern').fill('(');
    await waitFor(async () => /^无法预览：rule\.pattern: /.test(await text(previewStatus)), { what: 'the preview error' });
    await form.getByTestId('rule-save').click();
    await waitFor(async () => (await form.getByTestId('rule-error').count()) > 0, { what: 'the save error' });
    assert.match(await text(form.getByTestId('rule-error')), /^服务器拒绝了这条规则：rule\.pattern: /);
    await form.getByTestId('rule-pattern').fill('');
    await waitFor(async () => (await settled()) && (await link.count()) > 0, { what: 'the preview back' });

    await form.getByTestId('rule-trigger-top').check();
    await form.getByTestId('rule-top-n').fill('20');
    await form.getByTestId('rule-max-rank').fill('30');
    await form.getByTestId('rule-save').click();
    const row = section.locator('[data-testid="rule"]', { hasText: 'e2e 提醒' });
    await row.waitFor();
    assert.equal(await section.getByTestId('rule-form').count(), 0, 'the form closed');
    assert.equal(await text(section.getByTestId('rules-status')), '已保存提醒“e2e 提醒”。');
    const id = await row.getAttribute('data-id');
    const rules = async () => (await pageFetch(page, '/api/v1/me/alerts/rules')).json.rules;
    const [saved] = await rules();
    assert.deepEqual(
      { ...saved, updated_at: undefined },
      {
        id, updated_at: undefined, name: 'e2e 提醒', enabled: true, keywords: [keyword], pattern: '', exclude: [], boards: [BOARD], sites: [],
        max_rank: 30, min_hot: 0, trigger: 'top', top_n: 20, tz: 'Asia/Shanghai', quiet: null, digest: 'immediate', digest_hour: 8, channels: [channelId],
      },
    );

    // Off and on again with the switch.
    const sw = row.getByTestId('rule-switch');
    assert.equal(await sw.isChecked(), true);
    await sw.click();
    await waitFor(async () => (await row.getAttribute('data-enabled')) === 'false' && !(await sw.isDisabled()), { what: 'the rule off' });
    assert.equal((await rules())[0].enabled, false);
    assert.equal(await text(section.getByTestId('rules-status')), '已关闭“e2e 提醒”。');
    await sw.click();
    await waitFor(async () => (await row.getAttribute('data-enabled')) === 'true' && !(await sw.isDisabled()), { what: 'the rule on' });
    assert.equal((await rules())[0].enabled, true);

    // Edit: a daily digest at 09:00 with quiet hours.
    await row.getByTestId('rule-edit').click();
    const edit = section.getByTestId('rule-form');
    assert.equal(await edit.getByTestId('rule-keywords').inputValue(), keyword);
    await edit.getByTestId('rule-digest-daily').check();
    await edit.getByTestId('rule-digest-hour').selectOption('9');
    await edit.getByTestId('rule-quiet').check();
    await edit.getByTestId('rule-quiet-from').fill('22:30');
    await edit.getByTestId('rule-save').click();
    await waitFor(async () => (await section.getByTestId('rule-form').count()) === 0, { what: 'the edit saved' });
    const [edited] = await rules();
    assert.deepEqual([edited.digest, edited.digest_hour, edited.quiet, edited.trigger], ['daily', 9, { from: '22:30', to: '07:00' }, 'top']);
    assert.match(await text(row), /每天 09:00 汇总 · 免打扰 22:30–07:00 · Asia\/Shanghai · 发送到：e2e hook/);

    // Nothing was delivered: the log says so (first snapshots and a test fire nothing).
    await page.getByTestId('deliveries-none').waitFor();
    await row.getByTestId('rule-log').click();
    assert.equal(await page.getByTestId('deliveries-rule').inputValue(), id);
    assert.deepEqual((await pageFetch(page, `/api/v1/me/alerts/deliveries?rule=${id}`)).json, { deliveries: [] });
    assert.deepEqual(realErrors(), []);
  });

  test('private feeds: made in the page and shown once; the favorites feed answers RSS; new ones end the old; revoked, they answer 404', async () => {
    const section = page.getByTestId('alerts-feeds');
    const state = section.getByTestId('feeds-state');
    await state.waitFor();
    assert.equal(await state.getAttribute('data-active'), 'false');
    assert.equal(await text(state), '还没有私人订阅地址。');
    assert.equal(await section.getByTestId('feeds-revoke').count(), 0, 'nothing to revoke yet');
    // Something saved, for the favorites feed to carry.
    const story = { board: BOARD, item_key: 'e2e-feed-story', title: 'e2e feed story', url: 'https://example.com/e2e-feed-story' };
    assert.equal((await pageFetch(page, '/api/v1/me/favorites', { method: 'POST', body: story })).status, 201);
    const [rule] = (await pageFetch(page, '/api/v1/me/alerts/rules')).json.rules;

    await section.getByTestId('feeds-create').click();
    const box = section.getByTestId('feeds-new');
    await box.waitFor();
    assert.equal(await text(section.getByTestId('feeds-status')), '已生成私人订阅地址。');
    assert.equal(await state.getAttribute('data-active'), 'true');
    assert.match(await text(box), /请现在复制这些地址，它们只显示这一次/);
    const feeds = box.getByTestId('feed');
    assert.deepEqual(await feeds.evaluateAll((els) => els.map((e) => e.dataset.feed)), ['favorites', rule.id], 'the favorites, then each rule');
    const favUrl = await feeds.first().getByTestId('feed-url').inputValue();
    const token = new RegExp(`^${mu.base.replace(/[.]/g, '\\.')}/feeds/u/([\\w-]{32})/favorites\\.rss$`).exec(favUrl)?.[1];
    assert.ok(token, favUrl);
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'al-feed-0', 'the first URL has the focus');
    const ruleRow = feeds.nth(1);
    assert.equal(await text(ruleRow.locator('label')), '提醒“e2e 提醒”');
    assert.equal(await ruleRow.getByTestId('feed-url').inputValue(), `${mu.base}/feeds/u/${token}/alerts/${rule.id}.rss`);
    assert.deepEqual(
      await ruleRow.getByTestId('feed-link').evaluateAll((as) => as.map((a) => a.getAttribute('href'))),
      ['rss', 'atom', 'json'].map((f) => `${mu.base}/feeds/u/${token}/alerts/${rule.id}.${f}`),
    );
    assert.equal((await pageFetch(page, '/api/v1/me/feed-token')).json.active, true);

    // The URLs shown are the feeds: RSS of the favorites (with the saved story), Atom and JSON too.
    const fav = await fetch(favUrl);
    assert.equal(fav.status, 200);
    assert.match(fav.headers.get('content-type'), /^application\/rss\+xml/);
    assert.match(await fav.text(), /<title>e2e feed story<\/title>/);
    const atom = await feeds.first().locator('[data-format="atom"]').getAttribute('href');
    assert.match((await fetch(atom)).headers.get('content-type'), /^application\/atom\+xml/);
    const ruleFeed = await fetch(`${mu.base}/feeds/u/${token}/alerts/${rule.id}.json`);
    assert.equal(ruleFeed.status, 200);
    assert.equal((await ruleFeed.json()).title, 'Mu · e2e 提醒');

    // Copy puts the URL on the clipboard.
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: mu.base });
    await feeds.first().getByTestId('feed-copy').click();
    await waitFor(async () => (await text(box.getByTestId('feeds-copy-status'))) !== '', { what: 'the copy note' });
    assert.equal(await text(box.getByTestId('feeds-copy-status')), '已复制收藏的订阅地址。');
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), favUrl);

    // axe with the URLs shown, in both themes; no sideways scrolling at 390 px.
    assert.deepEqual(await axeProblems(), []);
    await page.setViewportSize({ width: 390, height: 844 });
    await waitFor(() => page.evaluate(() => document.scrollingElement.scrollWidth <= 390), { timeout: 3000, what: 'no sideways scrolling with the URLs shown' });
    await page.setViewportSize({ width: 1280, height: 900 });

    // Making new ones: the old URL answers 404, the new one works.
    await section.getByTestId('feeds-create').click();
    await waitFor(async () => (await feeds.first().getByTestId('feed-url').inputValue()) !== favUrl, { what: 'the new URLs' });
    assert.equal(await text(section.getByTestId('feeds-status')), '已重新生成：之前的地址已经失效。');
    const favUrl2 = await feeds.first().getByTestId('feed-url').inputValue();
    assert.equal((await fetch(favUrl)).status, 404);
    assert.equal((await fetch(favUrl2)).status, 200);

    // Closed, the URLs are gone from the page; "make new ones" and "revoke" stay.
    await box.getByTestId('feeds-done').click();
    assert.equal(await box.count(), 0);
    assert.ok(!(await section.textContent()).includes(favUrl2.split('/feeds/u/')[1].slice(0, 32)), 'the token is not on the page');
    assert.equal(await text(section.getByTestId('feeds-create')), '重新生成');

    // Revoke, after a confirmation (cancel first): every URL answers 404.
    await section.getByTestId('feeds-revoke').click();
    assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), 'feeds-revoke-cancel');
    await section.getByTestId('feeds-revoke-cancel').click();
    assert.equal(await section.getByTestId('feeds-revoke-box').count(), 0);
    assert.equal((await fetch(favUrl2)).status, 200, 'cancelled: still working');
    await section.getByTestId('feeds-revoke').click();
    await section.getByTestId('feeds-revoke-confirm').click();
    await waitFor(async () => (await state.getAttribute('data-active')) === 'false', { what: 'the token revoked' });
    assert.equal(await text(section.getByTestId('feeds-status')), '已撤销：所有私人订阅地址都已失效。');
    assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), 'feeds-create');
    assert.equal((await fetch(favUrl2)).status, 404);
    assert.equal((await fetch(`${mu.base}/feeds/u/${token}/alerts/${rule.id}.rss`)).status, 404);
    assert.deepEqual((await pageFetch(page, '/api/v1/me/feed-token')).json, { active: false, created_at: null });
    assert.deepEqual(realErrors(), []);
  });

  test('axe finds nothing with the editor and preview open (light and dark); no sideways scrolling at 390 px; delete the rule', async () => {
    const section = page.getByTestId('alerts-rules');
    await section.getByTestId('rule-edit').click();
    await section.locator('[data-testid="rule-preview-item"]').first().waitFor();
    await page.getByTestId('channel-forms').locator('summary').click();
    assert.deepEqual(await axeProblems(), []);

    await page.setViewportSize({ width: 390, height: 844 });
    await waitFor(() => page.evaluate(() => document.scrollingElement.scrollWidth <= 390), { timeout: 3000, what: 'no sideways scrolling' }).catch(async (err) => {
      const wide = await page.evaluate(() =>
        [...document.querySelectorAll('main *')].filter((e) => e.getBoundingClientRect().right > 391).slice(0, 5).map((e) => `${e.tagName}.${e.className} ${Math.round(e.getBoundingClientRect().right)}`),
      );
      throw new Error(`${err.message}: ${wide.join(', ')}`);
    });

    // Deleting the rule (after a confirmation) takes it off the page and out of the API.
    const row = section.locator('[data-testid="rule"]');
    await row.getByTestId('rule-delete').click();
    await row.getByTestId('rule-delete-confirm').click();
    await section.getByTestId('rules-none').waitFor();
    assert.equal(await section.getByTestId('rule-form').count(), 0, 'its editor closed too');
    assert.equal(await text(section.getByTestId('rules-status')), '已删除提醒“e2e 提醒”。');
    assert.deepEqual((await pageFetch(page, '/api/v1/me/alerts/rules')).json.rules, []);
    assert.deepEqual(realErrors(), []);
  });

  test('admin console · alerts: no dead deliveries here; the state filter; axe; with the API answered by the test, load more (before=) and retry (CSRF) a dead one', async () => {
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(`${mu.base}/#/admin/alerts`);
    const nav = page.locator('.admin-nav a[data-section="alerts"]');
    await nav.waitFor();
    assert.equal(await text(nav), '提醒');
    assert.equal(await nav.getAttribute('aria-current'), 'page');
    const none = page.getByTestId('aalerts-none');
    await none.waitFor();
    assert.equal(await text(none), '没有失败的投递。');
    const select = page.getByTestId('aalerts-state');
    assert.equal(await select.inputValue(), 'dead');
    assert.deepEqual(
      await select.locator('option').evaluateAll((os) => os.map((o) => [o.value, o.textContent.trim()])),
      [['dead', '失败'], ['pending', '待发送'], ['sent', '已发送']],
    );
    assert.deepEqual((await pageFetch(page, '/api/v1/admin/alerts/deliveries?state=dead')).json, { deliveries: [] });
    await select.selectOption('sent');
    await waitFor(async () => (await none.count()) > 0 && (await text(none)) === '还没有已发送的投递。', { what: 'the sent filter' });
    await select.selectOption('dead');
    await waitFor(async () => (await none.count()) > 0 && (await text(none)) === '没有失败的投递。', { what: 'back to the dead ones' });
    assert.deepEqual(await axeProblems(), []);

    // No rule fires on replayed fixtures: the listing and the retry are answered here.
    const me = (await pageFetch(page, '/api/v1/me')).json;
    assert.equal(me.role, 'admin');
    const fake = (id, url) => ({
      id, user_id: me.id, rule_id: 'r_fakeRule0001', channel_id: 'c_fakeChan001', state: 'dead', attempts: 1, next_at: null, sent_at: null,
      last_error: 'HTTP 404 from the receiver', matched_at: '2026-01-02T03:04:05Z',
      item: { board: BOARD, key: `k${id}`, title: `dead story ${id}`, url, rank: 3, hot: '' },
    });
    const listed = [];
    const isList = (u) => u.pathname === '/api/v1/admin/alerts/deliveries';
    const onList = async (route) => {
      const u = new URL(route.request().url());
      listed.push(u.searchParams);
      const before = Number(u.searchParams.get('before') ?? 0);
      const deliveries = before ? [fake(before - 1, 'javascript:alert(1)')] : Array.from({ length: 50 }, (_, i) => fake(1000 - i, `https://example.com/dead/${1000 - i}`));
      await route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({ deliveries }) });
    };
    const retried = [];
    const isRetry = (u) => /^\/api\/v1\/admin\/alerts\/deliveries\/[^/]+\/retry$/.test(u.pathname);
    const onRetry = async (route) => {
      const r = route.request();
      retried.push({ method: r.method(), path: new URL(r.url()).pathname, csrf: r.headers()['x-csrf-token'] });
      await route.fulfill({ status: 204, body: '' });
    };
    await page.route(isList, onList);
    await page.route(isRetry, onRetry);
    try {
      await page.getByTestId('aalerts-refresh').click();
      const rows = page.getByTestId('aalert');
      await waitFor(async () => (await rows.count()) === 50, { what: 'the first page' });
      assert.equal(listed.at(-1).get('state'), 'dead');
      assert.equal(listed.at(-1).get('before'), null);
      const first = rows.first();
      assert.equal(await first.getAttribute('data-id'), '1000');
      assert.equal(await first.getAttribute('data-state'), 'dead');
      assert.match(await text(first.getByTestId('aalert-user')), new RegExp(`^${me.id}\\s+mona$`));
      assert.equal(await text(first.getByTestId('aalert-rule')), 'r_fakeRule0001');
      assert.equal(await text(first.getByTestId('aalert-channel')), 'c_fakeChan001');
      assert.equal(await first.getByTestId('aalert-item').locator('a').getAttribute('href'), 'https://example.com/dead/1000');
      assert.equal(await text(first.getByTestId('aalert-item').locator('a')), 'dead story 1000');
      assert.equal(await text(first.getByTestId('aalert-attempts')), '1');
      assert.equal(await text(first.getByTestId('aalert-error')), 'HTTP 404 from the receiver');

      await page.getByTestId('aalerts-more').click();
      await waitFor(async () => (await rows.count()) === 51, { what: 'the next page' });
      assert.equal(listed.at(-1).get('before'), '951');
      assert.equal(listed.at(-1).get('state'), 'dead');
      const last = rows.last();
      assert.equal(await last.getAttribute('data-id'), '950');
      assert.equal(await last.getByTestId('aalert-item').locator('a').count(), 0, 'a javascript: URL is no link');
      assert.match(await text(last.getByTestId('aalert-item')), /^dead story 950/);
      assert.equal(await page.getByTestId('aalerts-more').count(), 0, 'a short page: nothing more');

      await first.getByTestId('aalert-retry').click();
      await waitFor(async () => (await first.getAttribute('data-state')) === 'pending', { what: 'the row pending again' });
      assert.deepEqual(retried, [{ method: 'POST', path: '/api/v1/admin/alerts/deliveries/1000/retry', csrf: me.csrf_token }]);
      assert.match(await text(first.getByTestId('aalert-state')), /^○ 待发送/);
      assert.equal(await first.getByTestId('aalert-retry').count(), 0, 'no retry for a pending one');
      assert.equal(await text(first.getByTestId('aalert-attempts')), '0');
      assert.equal(await text(page.getByTestId('aalerts-status')), '投递 #1000 已重新排队，马上会再次发送。');
      assert.equal(await rows.nth(1).getAttribute('data-state'), 'dead', 'the other rows as they were');
    } finally {
      await page.unroute(isList, onList);
      await page.unroute(isRetry, onRetry);
    }
    // The server's own route: an unknown delivery is 404.
    assert.equal((await pageFetch(page, '/api/v1/admin/alerts/deliveries/999999/retry', { method: 'POST' })).status, 404);
    assert.deepEqual(realErrors(), []);
  });
});
