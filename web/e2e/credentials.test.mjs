// The admin console's credentials end to end: `mu serve` replaying the fixtures, with the mock
// GitHub provider for the non-admin users and no configured admin, so that the one-time local
// admin link signs the admin in. The admin sets Zhihu's cookie (the list shows the cookie
// names; the value is nowhere in the page afterwards), has a cookie with a line break refused
// with the server's message, sets a proxy for a board (the list shows scheme://host:port, not
// the password), removes the cookie, and runs "Test now" on the board: HTTP 200, the first
// item titles, and that the console's proxy was used (the replay transport ignores proxies, so
// the fetch still succeeds). A credential sealed with another key is flagged, and a server
// without a secrets key says why with the forms off. A non-admin gets no panel, and one demoted
// while the panel is open gets "not an admin" on the next call (403). axe in both themes, 390
// px without sideways scrolling, English. The panel's strings are checked for both languages.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createServer } from 'vite';
import { startMockGithub } from '../../tests/mock_github/mock_github.mjs';
import { WEB, ensureBuilt, launchBrowser, pageFetch, removeDir, signIn, startMu, tempDir, waitFor, waitForBoards, watchPage } from './harness.mjs';

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const BOARD = 'zhihu.hot';
// Values no board's text holds (the page carries the first boards' answers in its HTML).
const COOKIE = 'z_c0=c00kieZ9q; d_c0=c00kieD7w';
const PROXY = 'socks5h://bob:hunter2secret@127.0.0.1:1080';

describe('the credentials strings (src/lib/credentials-i18n.ts)', () => {
  test('every string exists in both languages with the same parameters', async () => {
    const vite = await createServer({ root: WEB, logLevel: 'silent', server: { middlewareMode: true, hmr: false }, appType: 'custom' });
    try {
      const { credentialsTables, tc } = await vite.ssrLoadModule('/src/lib/credentials-i18n.ts');
      const i18n = await vite.ssrLoadModule('/src/lib/i18n.ts');
      const params = (text) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
      assert.deepEqual(Object.keys(credentialsTables.en).sort(), Object.keys(credentialsTables['zh-CN']).sort());
      for (const [key, text] of Object.entries(credentialsTables['zh-CN'])) {
        assert.ok(text.trim() && credentialsTables.en[key].trim(), key);
        assert.deepEqual(params(credentialsTables.en[key]), params(text), key);
      }
      i18n.locale.value = 'en';
      assert.equal(tc('test_now'), 'Test now');
      i18n.locale.value = 'zh-CN';
      assert.equal(tc('test_now'), '立即测试');
    } finally {
      await vite.close();
    }
  });
});

/** The local admin's session: the one-time link mu prints, opened from Node. */
async function localAdminCookie(mu) {
  const link = await waitFor(() => /\/auth\/local\?token=[\w-]+/.exec(mu.log())?.[0], { what: 'the local admin link' });
  const r = await fetch(`${mu.base}${link}`, { redirect: 'manual' });
  assert.equal(r.status, 302);
  const cookies = r.headers.getSetCookie().map((c) => c.split(';')[0].split('='));
  const session = cookies.find(([name]) => name === 'mu_session');
  assert.ok(session, `a session cookie in ${cookies}`);
  return { name: session[0], value: session.slice(1).join('=') };
}

/** fetch() from Node with the session cookie (and its CSRF token on mutations). */
async function api(mu, session, path, { method = 'GET', body } = {}) {
  const headers = { cookie: `${session.name}=${session.value}`, Accept: 'application/json' };
  if (method !== 'GET') {
    headers['X-CSRF-Token'] = (await (await fetch(`${mu.base}/api/v1/me`, { headers })).json()).csrf_token;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
  }
  const r = await fetch(`${mu.base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {
    // 204
  }
  return { status: r.status, json, text };
}

const realErrors = (errors) => errors.filter((e) => !/Failed to load resource|ERR_NAME_NOT_RESOLVED|status of 40[134]|status of 503/.test(e));

/** axe's WCAG 2 A/AA violations on the page as it is (empty when none). */
async function axe(page, name) {
  await page.waitForTimeout(200);
  await page.addScriptTag({ path: AXE });
  const { passes, violations } = await page.evaluate(async () => {
    const r = await window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return {
      passes: r.passes.map((x) => x.id),
      violations: r.violations.map((v) => ({ id: v.id, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ') + ' ' + (n.failureSummary ?? '').split('\n')[1]) })),
    };
  });
  assert.ok(passes.includes('color-contrast'), `${name}: contrast checked`);
  return violations.map((v) => ({ page: name, ...v }));
}

describe('credentials in the admin console', () => {
  let gh;
  let mu;
  let browser;
  /** The local admin's session cookie, given to every admin browser context. */
  let session;

  before(async () => {
    ensureBuilt();
    gh = await startMockGithub();
    mu = await startMu({ config: ({ base }) => gh.authConfig({ publicUrl: base, admins: [] }) });
    session = await localAdminCookie(mu);
    await waitForBoards(mu.base, [BOARD]);
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await mu?.stop();
    await gh?.close();
  });

  /** A browser signed in as the local admin, showing `hash` of `server` (default: mu). */
  async function adminPage(hash, options = {}, server = mu) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'zh-CN', ...options });
    await context.addCookies([{ name: session.name, value: session.value, url: server.base }]);
    const page = await context.newPage();
    const errors = watchPage(page);
    await page.goto(`${server.base}/${hash}`);
    return { context, page, errors };
  }

  /** A browser signed in with the mock GitHub as `login`, showing `hash`. */
  async function githubPage(login, hash) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'zh-CN' });
    await context.addCookies([{ name: 'mock_github_login', value: login, url: gh.base }]);
    const page = await context.newPage();
    await page.goto(`${mu.base}/${hash}`);
    await signIn(page);
    return { context, page };
  }

  const list = () => api(mu, session, '/api/v1/admin/credentials');
  /** Everything a page holds: its HTML, its text and the values of its fields. */
  const everything = (page) =>
    Promise.all([
      page.content(),
      page.evaluate(() => document.body.innerText),
      page.evaluate(() => [...document.querySelectorAll('input, textarea, select')].map((e) => e.value).join('\n')),
    ]).then((parts) => parts.join('\n'));

  test('the admin sets a site cookie from the console: the list shows its names, the value is gone from the page', async () => {
    const { context, page, errors } = await adminPage('#/admin');
    await page.locator('.admin-nav a[data-section="credentials"]').click();
    await page.waitForURL(/#\/admin\/credentials$/);
    const form = page.getByTestId('cookie-form');
    await form.waitFor();
    assert.equal(await page.locator('.admin-nav a[aria-current="page"]').textContent(), '凭据');
    assert.equal(await page.getByTestId('cred-empty').textContent(), '还没有保存任何凭据。');

    // The sites that want a cookie come first, marked; then every other site of /api/v1/sites.
    const { cookie_sites: wanting } = (await list()).json;
    assert.ok(wanting.length > 0, 'the fixtures have sites that need a cookie');
    const sites = (await pageFetch(page, '/api/v1/sites')).json.sites.map((s) => s.id);
    const options = await form.getByTestId('cookie-site').locator('option').evaluateAll((os) => os.map((o) => [o.value, o.textContent]));
    assert.deepEqual(
      options.map(([v]) => v),
      [...wanting, ...sites.filter((s) => !wanting.includes(s))],
    );
    for (const [value, text] of options.slice(0, wanting.length)) assert.match(text, /需要 Cookie/, value);
    assert.doesNotMatch(options.at(-1)[1], /需要 Cookie/);

    await form.getByTestId('cookie-site').selectOption('zhihu');
    await form.getByTestId('cookie-value').fill(COOKIE);
    const [put] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/api/v1/admin/credentials/zhihu.cookie') && r.request().method() === 'PUT'),
      form.getByTestId('save-cookie').click(),
    ]);
    assert.equal(put.status(), 200);
    assert.deepEqual(put.request().postDataJSON(), { value: COOKIE });
    const row = page.locator('[data-testid="credentials"] tr[data-name="zhihu.cookie"]');
    await row.waitFor();
    assert.equal((await row.getByTestId('cred-summary').textContent()).trim(), 'z_c0, d_c0');
    assert.match(await row.textContent(), /Cookie.*知乎.*local-admin/s);
    assert.match(await form.getByTestId('cookie-msg').textContent(), /已保存 zhihu\.cookie（z_c0, d_c0）/);
    assert.equal(await form.getByTestId('cookie-value').inputValue(), '', 'the textarea is cleared');
    assert.match(await form.getByTestId('cookie-existing').textContent(), /已有 Cookie（z_c0, d_c0）/);

    const all = await everything(page);
    for (const secret of ['c00kieZ9q', 'c00kieD7w']) assert.ok(!all.includes(secret), `"${secret}" is not in the page after saving`);
    // Nor in what the server answers or audits.
    assert.ok(!(await list()).text.includes('c00kieZ9q'));
    const audit = await api(mu, session, '/api/v1/admin/audit');
    const entry = audit.json.entries.find((e) => e.action === 'credential.set' && e.target === 'zhihu.cookie');
    assert.ok(entry, 'the change is audited');
    assert.ok(!audit.text.includes('c00kieZ9q'));
    assert.deepEqual(realErrors(errors), []);
    await context.close();
  });

  test('a cookie with a line break is refused with the server\'s message, and kept in the form to be corrected', async () => {
    const { context, page } = await adminPage('#/admin/credentials');
    const form = page.getByTestId('cookie-form');
    await form.waitFor();
    await form.getByTestId('cookie-site').selectOption('zhihu');
    const box = form.getByTestId('cookie-value');
    await box.click();
    await box.type('a=1');
    await box.press('Enter');
    await box.type('b=2');
    const [put] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/api/v1/admin/credentials/zhihu.cookie')),
      form.getByTestId('save-cookie').click(),
    ]);
    assert.equal(put.status(), 400);
    const message = (await put.json()).error.message;
    const shown = form.getByTestId('cookie-msg');
    await shown.waitFor();
    assert.ok(await shown.isVisible());
    assert.equal(await shown.getAttribute('role'), 'alert');
    assert.equal((await shown.textContent()).trim(), `失败：${message}`);
    assert.match(message, /line break/);
    assert.equal(await box.inputValue(), 'a=1\nb=2');
    // The stored cookie is the one from before.
    const stored = (await list()).json.credentials.find((c) => c.name === 'zhihu.cookie');
    assert.equal(stored.summary, 'z_c0, d_c0');

    // Pasted with the header's name and a trailing line break: the form sends the cookie alone.
    await box.fill(`  Cookie: ${COOKIE}\n`);
    const [again] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/api/v1/admin/credentials/zhihu.cookie')),
      form.getByTestId('save-cookie').click(),
    ]);
    assert.equal(again.status(), 200);
    assert.deepEqual(again.request().postDataJSON(), { value: COOKIE });
    await waitFor(async () => (await box.inputValue()) === '', { what: 'the cleared textarea' });

    // A proxy that is not one is refused the same way.
    const proxy = page.getByTestId('proxy-form');
    await proxy.getByTestId('proxy-target').selectOption('zhihu');
    await proxy.getByTestId('proxy-value').fill('ftp://127.0.0.1:21');
    await proxy.getByTestId('save-proxy').click();
    await waitFor(async () => /失败：.*socks5/.test((await proxy.getByTestId('proxy-msg').textContent().catch(() => '')) ?? ''), { what: 'the refused proxy' });
    await context.close();
  });

  test('a proxy for a board: the list shows scheme://host:port, never the password; "replace" picks it in the form', async () => {
    const { context, page, errors } = await adminPage('#/admin/credentials');
    const form = page.getByTestId('proxy-form');
    await form.waitFor();
    const target = form.getByTestId('proxy-target');
    assert.equal(await form.getByTestId('proxy-value').getAttribute('placeholder'), 'socks5h://host:1080 或 http://host:3128');
    // Sites first, then every board.
    const values = await target.locator('option').evaluateAll((os) => os.map((o) => o.value));
    assert.ok(values.includes('zhihu') && values.includes(BOARD) && values.indexOf('zhihu') < values.indexOf(BOARD));
    await target.selectOption(BOARD);
    await form.getByTestId('proxy-value').fill(PROXY);
    await form.getByTestId('save-proxy').click();
    const row = page.locator(`[data-testid="credentials"] tr[data-name="${BOARD}.proxy"]`);
    await row.waitFor();
    assert.equal((await row.getByTestId('cred-summary').textContent()).trim(), 'socks5h://127.0.0.1:1080');
    assert.equal(await row.getAttribute('data-kind'), 'proxy');
    assert.match(await row.textContent(), /代理.*知乎 · 热榜/s);
    assert.equal(await form.getByTestId('proxy-value').inputValue(), '');
    const all = await everything(page);
    assert.ok(!all.includes('hunter2secret') && !all.includes('bob:'), 'the proxy password is not in the page');

    // "Replace" on the cookie row picks zhihu in the cookie form and focuses the textarea.
    await page.getByTestId('cookie-site').selectOption('douyin');
    await page.locator('tr[data-name="zhihu.cookie"]').getByTestId('cred-replace').click();
    assert.equal(await page.getByTestId('cookie-site').inputValue(), 'zhihu');
    await waitFor(() => page.getByTestId('cookie-value').evaluate((el) => el === document.activeElement), { what: 'the focused textarea' });
    assert.equal(await page.locator('tr[data-name="zhihu.cookie"]').getByTestId('cred-replace').getAttribute('aria-label'), '重新设置 zhihu.cookie');

    // The route's id preselects: a board's proxy, its site's cookie.
    await page.goto(`${mu.base}/#/admin/credentials/${BOARD}`);
    await page.getByTestId('proxy-form').waitFor();
    await waitFor(async () => (await page.getByTestId('proxy-target').inputValue()) === BOARD, { what: 'the preselected board' });
    assert.equal(await page.getByTestId('cookie-site').inputValue(), 'zhihu');
    assert.match(await page.getByTestId('proxy-existing').textContent(), /socks5h:\/\/127\.0\.0\.1:1080/);
    assert.deepEqual(realErrors(errors), []);
    await context.close();
  });

  test('removing the cookie asks first; cancel keeps it, confirm deletes it', async () => {
    const { context, page, errors } = await adminPage('#/admin/credentials');
    const row = page.locator('[data-testid="credentials"] tr[data-name="zhihu.cookie"]');
    await row.waitFor();
    await row.getByTestId('cred-remove').click();
    assert.match(await row.textContent(), /删除 zhihu\.cookie？/);
    assert.ok(await row.getByTestId('cred-remove-cancel').evaluate((el) => el === document.activeElement), 'cancel is focused');
    await row.getByTestId('cred-remove-cancel').click();
    assert.ok(await row.getByTestId('cred-remove').evaluate((el) => el === document.activeElement), 'back on the remove button');
    await row.getByTestId('cred-remove').click();
    const [del] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/api/v1/admin/credentials/zhihu.cookie') && r.request().method() === 'DELETE'),
      row.getByTestId('cred-remove-confirm').click(),
    ]);
    assert.equal(del.status(), 204);
    await waitFor(async () => (await row.count()) === 0, { what: 'the row to go' });
    assert.equal(await page.getByTestId('cred-status').textContent(), '已删除 zhihu.cookie。');
    assert.deepEqual((await list()).json.credentials.map((c) => c.name), [`${BOARD}.proxy`]);
    assert.deepEqual(realErrors(errors), []);
    await context.close();
  });

  test('"Test now" on a board: busy while it runs, then HTTP 200, the first titles, and the proxy it went through', async () => {
    // page.route does not see requests a service worker handles: no worker in this context.
    const { context, page, errors } = await adminPage(`#/admin/boards/${BOARD}`, { serviceWorkers: 'block' });
    const editor = page.getByTestId('board-editor');
    await editor.waitFor();
    const button = editor.getByTestId('test-now');
    assert.equal((await button.textContent()).trim(), '立即测试');
    // Hold the answer a moment to see the busy state.
    let release;
    const held = new Promise((r) => (release = r));
    await page.route(`**/api/v1/admin/boards/${BOARD}/test`, async (route) => {
      await held;
      await route.continue();
    });
    const answer = page.waitForResponse((r) => r.url().endsWith(`/api/v1/admin/boards/${BOARD}/test`));
    await button.click();
    await waitFor(async () => (await button.isDisabled()) && (await button.textContent()).trim() === '测试中…', { what: 'the busy button' });
    assert.equal(await editor.getByTestId('test-region').getAttribute('aria-busy'), 'true');
    release();
    const response = await answer;
    assert.equal(response.status(), 200);
    assert.equal(response.request().headers()['x-csrf-token']?.length > 0, true, 'sent with the CSRF token');
    const body = await response.json();
    const result = editor.getByTestId('test-result');
    await result.waitFor();
    assert.equal(await result.getAttribute('data-http'), '200');
    assert.equal((await result.getByTestId('test-http').textContent()).trim(), '200');
    assert.match(await result.getByTestId('test-outcome').textContent(), /抓取成功：解析出 \d+ 条/);
    assert.match(await result.getByTestId('test-time').textContent(), /^\d+ 毫秒$/);
    assert.match(await result.getByTestId('test-size').textContent(), /^\d+(\.\d)? (B|KB|MB)$/);
    const titles = await result.locator('[data-testid="test-items"] li').allTextContents();
    assert.ok(titles.length >= 1, 'at least one item');
    assert.deepEqual(titles.map((t) => t.trim()), body.items.map((it) => it.title));
    for (const href of await result.locator('[data-testid="test-items"] a').evaluateAll((as) => as.map((a) => a.getAttribute('href')))) {
      assert.match(href, /^https?:\/\//);
    }
    // The board's proxy was used (the replay ignores it); the cookie was removed before.
    assert.equal(body.with_proxy, true);
    assert.equal(await result.getAttribute('data-with-proxy'), 'true');
    assert.equal((await result.getByTestId('test-proxy').textContent()).trim(), '经过控制台设置的代理');
    assert.equal(await result.getAttribute('data-with-cookie'), 'false');
    assert.equal((await result.getByTestId('test-cookie').textContent()).trim(), '没有使用控制台的 Cookie');
    assert.equal(await button.isDisabled(), false);
    assert.equal(await editor.getByTestId('test-region').getAttribute('aria-busy'), 'false');
    // The link to this board's credentials.
    assert.equal(await editor.getByTestId('manage-credentials').getAttribute('href'), `#/admin/credentials/${BOARD}`);
    assert.deepEqual(realErrors(errors), []);
    await context.close();
  });

  test('a failed test fetch shows the failure class, the hint and the message', async () => {
    const { context, page } = await adminPage(`#/admin/boards/${BOARD}`, { serviceWorkers: 'block' });
    const editor = page.getByTestId('board-editor');
    await editor.waitFor();
    // The server's answer for a fetch that failed (the replay always succeeds): what the page does with it.
    await page.route(`**/api/v1/admin/boards/${BOARD}/test`, (route) =>
      route.fulfill({
        status: 200,
        contentType: 'application/json',
        body: JSON.stringify({
          board: BOARD,
          ok: false,
          http_status: 403,
          bytes: 512,
          elapsed_ms: 87,
          item_count: 0,
          items: [{ rank: 1, title: '<img src=x onerror=alert(1)>', url: 'javascript:alert(1)' }],
          error: { code: 'http', message: 'HTTP 403 from www.zhihu.com', class: 'needs-cookie', hint: 'Set the site cookie in the console.' },
          with_cookie: false,
          with_proxy: true,
        }),
      }),
    );
    await editor.getByTestId('test-now').click();
    const result = editor.getByTestId('test-result');
    await result.waitFor();
    assert.equal(await result.getAttribute('data-ok'), 'false');
    assert.equal((await result.getByTestId('test-outcome').textContent()).trim(), '抓取失败');
    assert.equal((await result.getByTestId('test-http').textContent()).trim(), '403');
    assert.match(await result.getByTestId('test-class').textContent(), /需要登录 Cookie\s+http/);
    assert.equal((await result.getByTestId('test-hint').textContent()).trim(), 'Set the site cookie in the console.');
    assert.equal((await result.getByTestId('test-message').textContent()).trim(), 'HTTP 403 from www.zhihu.com');
    // Untrusted text stays text; a javascript: URL is no link.
    assert.equal(await result.locator('[data-testid="test-items"] img').count(), 0);
    assert.equal(await result.locator('[data-testid="test-items"] a').count(), 0);
    assert.equal((await result.locator('[data-testid="test-items"] li').textContent()).trim(), '<img src=x onerror=alert(1)>');
    await context.close();
  });

  test('a non-admin gets no panel and 403 from the API; one demoted meanwhile is told on the next call', async () => {
    const mona = await githubPage('mona', '#/admin/credentials');
    await mona.page.getByTestId('not-admin').waitFor();
    assert.equal(await mona.page.getByTestId('cookie-form').count(), 0);
    assert.equal((await pageFetch(mona.page, '/api/v1/admin/credentials')).status, 403);
    assert.equal((await pageFetch(mona.page, '/api/v1/admin/credentials/zhihu.cookie', { method: 'PUT', body: { value: 'a=1' } })).status, 403);
    assert.equal((await pageFetch(mona.page, `/api/v1/admin/boards/${BOARD}/test`, { method: 'POST' })).status, 403);
    assert.equal((await pageFetch(mona.page, `/api/v1/admin/credentials/${BOARD}.proxy`, { method: 'DELETE' })).status, 403);
    await mona.context.close();

    // hubot is made an admin, opens the panel, and is demoted while it is open.
    const hubot = await githubPage('hubot', '#/');
    const users = (await api(mu, session, '/api/v1/admin/users')).json.users;
    const id = users.find((u) => u.login === 'hubot' && u.provider === 'github').id;
    assert.equal((await api(mu, session, `/api/v1/admin/users/${id}/role`, { method: 'POST', body: { role: 'admin' } })).status, 200);
    await hubot.page.goto(`${mu.base}/#/admin/credentials`);
    await hubot.page.reload();
    await hubot.page.getByTestId('cookie-form').waitFor();
    assert.equal((await api(mu, session, `/api/v1/admin/users/${id}/role`, { method: 'POST', body: { role: 'user' } })).status, 200);
    await hubot.page.getByTestId('cred-refresh').click();
    await hubot.page.getByTestId('not-admin').waitFor();
    assert.equal(await hubot.page.getByTestId('cookie-form').count(), 0);
    await hubot.context.close();
  });

  test('English, axe in both themes (panel, confirmation, test result), 390 px without sideways scrolling', async () => {
    const problems = [];
    for (const theme of ['light', 'dark']) {
      const { context, page } = await adminPage('#/admin/credentials', { colorScheme: theme, bypassCSP: true, reducedMotion: 'reduce' });
      await page.locator('[data-testid="credentials"] tbody tr').first().waitFor();
      // A refused value and a saved one: both messages on screen.
      await page.getByTestId('cookie-value').fill('not a cookie');
      await page.getByTestId('save-cookie').click();
      await page.getByTestId('cookie-msg').waitFor();
      await page.getByTestId('proxy-target').selectOption('weibo');
      await page.getByTestId('proxy-value').fill('http://127.0.0.1:3128');
      await page.getByTestId('save-proxy').click();
      await page.locator('tr[data-name="weibo.proxy"]').waitFor();
      problems.push(...(await axe(page, `credentials (${theme})`)));
      await page.locator('tr[data-name="weibo.proxy"]').getByTestId('cred-remove').click();
      problems.push(...(await axe(page, `credentials, confirming (${theme})`)));
      await page.locator('tr[data-name="weibo.proxy"]').getByTestId('cred-remove-confirm').click();
      await waitFor(async () => (await page.locator('tr[data-name="weibo.proxy"]').count()) === 0, { what: 'weibo.proxy removed' });
      await page.goto(`${mu.base}/#/admin/boards/${BOARD}`);
      await page.getByTestId('test-now').click();
      await page.getByTestId('test-result').waitFor();
      problems.push(...(await axe(page, `board test result (${theme})`)));
      await context.close();
    }
    assert.deepEqual(problems, []);

    const narrow = await adminPage(`#/admin/credentials`, { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    await narrow.page.getByTestId('proxy-form').waitFor();
    await narrow.page.waitForTimeout(300);
    assert.ok((await narrow.page.evaluate(() => document.scrollingElement.scrollWidth)) <= 390, 'credentials: no sideways scrolling');
    await narrow.page.goto(`${mu.base}/#/admin/boards/${BOARD}`);
    await narrow.page.getByTestId('test-now').click();
    await narrow.page.getByTestId('test-result').waitFor();
    await narrow.page.waitForTimeout(300);
    assert.ok((await narrow.page.evaluate(() => document.scrollingElement.scrollWidth)) <= 390, 'test result: no sideways scrolling');
    await narrow.context.close();

    const en = await adminPage('#/admin/credentials', { locale: 'en-US' });
    await en.page.getByTestId('cookie-form').waitFor();
    assert.equal(await en.page.locator('.admin-nav a[data-section="credentials"]').textContent(), 'Credentials');
    assert.equal(await en.page.locator('#cred-cookie-h').textContent(), 'Set a site’s cookie');
    assert.equal(await en.page.getByTestId('proxy-value').getAttribute('placeholder'), 'socks5h://host:1080 or http://host:3128');
    assert.match(await en.page.getByTestId('cookie-site').locator('option').first().textContent(), /\(needs a cookie\)/);
    await en.page.goto(`${mu.base}/#/admin/boards/${BOARD}`);
    assert.equal((await en.page.getByTestId('test-now').textContent()).trim(), 'Test now');
    await en.page.getByTestId('test-now').click();
    await en.page.getByTestId('test-result').waitFor();
    assert.equal((await en.page.getByTestId('test-proxy').textContent()).trim(), 'through a proxy set in the console');
    await en.context.close();
  });
});

describe('credentials the server cannot read or keep', () => {
  let browser;
  let dir;
  let db;
  let session;

  before(async () => {
    ensureBuilt();
    dir = tempDir('mu-web-cred-');
    db = join(dir, 'mu.db');
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    if (dir) removeDir(dir);
  });

  const KEY_A = 'a'.repeat(64);
  const KEY_B = 'b'.repeat(64);

  async function page(mu) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'zh-CN', colorScheme: 'dark', bypassCSP: true });
    await context.addCookies([{ name: session.name, value: session.value, url: mu.base }]);
    const p = await context.newPage();
    await p.goto(`${mu.base}/#/admin/credentials`);
    return { context, page: p };
  }

  test('sealed with another key: flagged in the list; no key at all: the reason, and the forms are off', async () => {
    // A cookie stored under key A…
    let mu = await startMu({ env: { MU_STORAGE_URL: `sqlite://${db}`, MU_STORAGE_SECRETS_KEY: KEY_A } });
    try {
      session = await localAdminCookie(mu);
      assert.equal((await api(mu, session, '/api/v1/admin/credentials/weibo.cookie', { method: 'PUT', body: { value: 'SUB=1' } })).status, 200);
    } finally {
      await mu.stop();
    }
    // …read with key B.
    mu = await startMu({ env: { MU_STORAGE_URL: `sqlite://${db}`, MU_STORAGE_SECRETS_KEY: KEY_B } });
    try {
      const { context, page: p } = await page(mu);
      const row = p.locator('tr[data-name="weibo.cookie"]');
      await row.waitFor();
      assert.equal(await row.getAttribute('data-readable'), 'false');
      assert.match(await row.getByTestId('cred-unreadable').textContent(), /另一把密钥.*storage\.secrets_key/);
      assert.equal(await p.getByTestId('cookie-value').isDisabled(), false, 'the forms work with a key');
      const problems = await axe(p, 'unreadable credential (dark)');
      assert.deepEqual(problems, []);
      await context.close();
    } finally {
      await mu.stop();
    }
    // No key: the key file cannot be made (a directory is in its place).
    mkdirSync(`${db}.secrets-key`);
    mu = await startMu({ env: { MU_STORAGE_URL: `sqlite://${db}` } });
    try {
      const listed = await api(mu, session, '/api/v1/admin/credentials');
      assert.equal(listed.json.enabled, false);
      assert.ok(listed.json.reason.length > 0);
      const { context, page: p } = await page(mu);
      const notice = p.getByTestId('cred-disabled');
      await notice.waitFor();
      assert.equal((await notice.textContent()).trim(), `这个服务器不能保存凭据，下面的表单已停用。原因：${listed.json.reason}`);
      for (const id of ['cookie-site', 'cookie-value', 'save-cookie', 'proxy-target', 'proxy-value', 'save-proxy']) {
        assert.equal(await p.getByTestId(id).isDisabled(), true, `${id} is disabled`);
      }
      const row = p.locator('tr[data-name="weibo.cookie"]');
      assert.equal(await row.getAttribute('data-readable'), 'false');
      assert.equal((await row.getByTestId('cred-unreadable').textContent()).trim(), '没有密钥，无法解密，抓取时不会使用。');
      // Removing needs no key.
      assert.equal(await row.getByTestId('cred-remove').isDisabled(), false);
      assert.equal(await row.getByTestId('cred-replace').isDisabled(), true);
      assert.deepEqual(await axe(p, 'credentials off (dark)'), []);
      assert.equal((await api(mu, session, '/api/v1/admin/credentials/weibo.cookie', { method: 'PUT', body: { value: 'SUB=1' } })).status, 503);
      await context.close();
    } finally {
      await mu.stop();
    }
  });
});
