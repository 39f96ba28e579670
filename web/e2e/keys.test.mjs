// API keys end to end: `mu serve` with [auth] admins = ["octocat"] and the mock GitHub
// provider. A user creates a key in Settings and reads its secret the one time it is shown,
// calls the API with it from Node (Authorization: Bearer and X-API-Key; RateLimit-Limit is the
// default burst), finds after a reload only the prefix and the request count, and revokes it
// (the key then gets 401 "invalid-key"). An admin sets a key's limits in the console's Keys
// panel (burst 2, 60 a minute: 200, 200, 429 with Retry-After) and revokes another user's
// key; a non-admin gets 403 from the admin API. axe on both pages in both themes, and no
// sideways scrolling at 390 px. The key strings are checked for both languages first.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, before, describe, test } from 'node:test';
import { createServer } from 'vite';
import { startMockGithub } from '../../tests/mock_github/mock_github.mjs';
import { WEB, ensureBuilt, launchBrowser, pageFetch, signIn, startMu, waitFor, watchPage } from './harness.mjs';

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

describe('the API keys strings (src/lib/keys-i18n.ts)', () => {
  test('every string exists in both languages with the same parameters', async () => {
    const vite = await createServer({ root: WEB, logLevel: 'silent', server: { middlewareMode: true, hmr: false }, appType: 'custom' });
    try {
      const { keysTables, tk } = await vite.ssrLoadModule('/src/lib/keys-i18n.ts');
      const i18n = await vite.ssrLoadModule('/src/lib/i18n.ts');
      const params = (text) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
      assert.deepEqual(Object.keys(keysTables.en).sort(), Object.keys(keysTables['zh-CN']).sort());
      for (const [key, text] of Object.entries(keysTables['zh-CN'])) assert.deepEqual(params(keysTables.en[key]), params(text), key);
      i18n.locale.value = 'en';
      assert.equal(tk('key_limit', { burst: 600, per_minute: 3000 }), 'Limit: 600 at once, 3000 a minute');
      i18n.locale.value = 'zh-CN';
      assert.equal(tk('key_requests', { n: 3 }), '3 次请求');
    } finally {
      await vite.close();
    }
  });
});

describe('API keys in the browser', () => {
  let gh;
  let mu;
  let browser;

  before(async () => {
    ensureBuilt();
    gh = await startMockGithub();
    mu = await startMu({ config: ({ base }) => gh.authConfig({ publicUrl: base, admins: ['octocat'] }) });
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await mu?.stop();
    await gh?.close();
  });

  /** A fresh browser (own cookies and storage) for `login`, showing `hash` signed in. */
  async function signedIn(login, hash, options = {}) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'zh-CN', ...options });
    await context.addCookies([{ name: 'mock_github_login', value: login, url: gh.base }]);
    const page = await context.newPage();
    const errors = watchPage(page);
    await page.goto(`${mu.base}/${hash}`);
    await signIn(page);
    return { context, page, errors };
  }

  const realErrors = (errors) => errors.filter((e) => !/Failed to load resource|ERR_NAME_NOT_RESOLVED/.test(e));

  /** A request from Node (not the browser: no cookies) with `secret` in `header`. */
  function withKey(secret, header = 'authorization', path = '/api/v1/boards') {
    const headers = header === 'authorization' ? { Authorization: `Bearer ${secret}` } : { 'X-API-Key': secret };
    return fetch(`${mu.base}${path}`, { headers, cache: 'no-store' });
  }

  async function errorCode(response) {
    try {
      return (await response.json())?.error?.code;
    } catch {
      return undefined;
    }
  }

  test('Settings: create a key, its secret shown once works; after a reload only the prefix and the count; revoke: 401 invalid-key', async () => {
    const { context, page, errors } = await signedIn('mona', '#/settings', { permissions: ['clipboard-read', 'clipboard-write'] });
    const section = page.getByTestId('keys-section');
    await section.getByTestId('no-keys').waitFor();

    const mine = await pageFetch(page, '/api/v1/me/keys');
    assert.equal(mine.status, 200);
    assert.deepEqual(mine.json.keys, []);
    const { default_limit: def, anonymous_limit: anon, max_keys: max } = mine.json;
    assert.ok(def.burst > 0 && def.per_minute > 0, JSON.stringify(def));
    assert.ok(anon.burst > 0 && anon.per_minute > 0, JSON.stringify(anon));
    assert.ok(max > 0, `max_keys ${max}`);
    const limits = await section.getByTestId('keys-limits').textContent();
    for (const n of [def.burst, def.per_minute, anon.burst, anon.per_minute]) assert.ok(limits.includes(String(n)), `${n} in "${limits}"`);
    assert.equal(await section.getByTestId('key-count').textContent().then((s) => s.trim()), `有效密钥 0 / ${max} 个`);
    const curl = await section.getByTestId('keys-curl').textContent();
    assert.equal(curl, `curl -H "Authorization: Bearer $MU_KEY" '${mu.base}/api/v1/boards'`);

    // A name with a control character is refused before asking; an empty one too.
    await section.getByTestId('key-create').click();
    assert.equal(await section.getByTestId('key-name-error').textContent(), '请填写名称。');
    await section.getByTestId('key-name').fill('a\tb');
    assert.match(await section.getByTestId('key-name-error').textContent(), /控制字符/);
    assert.equal(await section.getByTestId('key-name').getAttribute('aria-invalid'), 'true');

    await section.getByTestId('key-name').fill('e2e script');
    await section.getByTestId('key-create').click();
    const secretInput = section.getByTestId('key-secret');
    await secretInput.waitFor();
    const secret = await secretInput.inputValue();
    assert.match(secret, /^mu_\S+$/);
    assert.match(await section.getByTestId('key-secret-box').textContent(), /不会再显示/);
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-testid')), 'key-secret', 'the secret has the focus');
    await section.getByTestId('key-copy').click();
    await waitFor(async () => (await section.getByTestId('key-copy-status').textContent()).trim() !== '', { what: 'the copy result' });
    assert.equal((await section.getByTestId('key-copy-status').textContent()).trim(), '已复制到剪贴板。');
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), secret);

    const row = section.locator('[data-testid="key"]');
    await row.first().waitFor();
    assert.equal(await row.count(), 1);
    const id = await row.getAttribute('data-id');
    const prefix = await row.getAttribute('data-prefix');
    assert.ok(prefix.length > 0, 'a prefix');
    assert.equal(await row.getByTestId('key-name-text').textContent(), 'e2e script');
    assert.equal(await row.getByTestId('key-prefix').textContent(), `${prefix}…`);

    // The key works from anywhere, in either header; the limit is the default for keys.
    const r1 = await withKey(secret);
    assert.equal(r1.status, 200);
    assert.equal(r1.headers.get('ratelimit-limit'), String(def.burst));
    assert.ok(Array.isArray((await r1.json()).boards));
    const r2 = await withKey(secret, 'x-api-key');
    assert.equal(r2.status, 200);
    assert.equal(r2.headers.get('ratelimit-limit'), String(def.burst));
    await r2.arrayBuffer();

    // After a reload the secret is gone for good; the prefix and the usage are there.
    await page.reload();
    const again = page.locator(`[data-testid="keys-section"] [data-testid="key"][data-id="${id}"]`);
    await again.waitFor();
    assert.equal(await page.getByTestId('key-secret').count(), 0, 'no secret field');
    const shown = await page.evaluate(() => ({
      html: document.documentElement.outerHTML,
      text: document.body.innerText,
      values: [...document.querySelectorAll('input, textarea')].map((e) => e.value),
      storage: JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }),
    }));
    assert.ok(!shown.html.includes(secret) && !shown.text.includes(secret), 'the secret is not on the page');
    assert.ok(!shown.values.some((v) => v.includes(secret)), 'nor in a field');
    assert.ok(!shown.storage.includes(secret), 'nor in storage');
    assert.ok(!(await pageFetch(page, '/api/v1/me/keys')).json.keys.some((k) => JSON.stringify(k).includes(secret)), 'nor in the list');
    assert.equal(await again.getByTestId('key-prefix').textContent(), `${prefix}…`);
    const requests = Number(await again.getByTestId('key-requests').getAttribute('data-n'));
    assert.ok(requests >= 1, `request count ${requests}`);
    assert.match(await again.getByTestId('key-requests').textContent(), /^\d[\d,]* 次请求$/);
    assert.equal(await again.getByTestId('key-limit').getAttribute('data-burst'), String(def.burst));
    assert.match(await again.textContent(), /最近使用/);

    // Revoke: asked first (cancel keeps it), then the row stays, greyed and without a button.
    await again.getByTestId('key-revoke').click();
    await again.getByTestId('key-revoke-cancel').click();
    assert.equal(await again.getByTestId('key-revoke-confirm').count(), 0);
    assert.equal((await withKey(secret)).status, 200, 'still works after cancel');
    await again.getByTestId('key-revoke').click();
    assert.match(await again.locator('[role="group"]').textContent(), /撤销“e2e script”？/);
    await again.getByTestId('key-revoke-confirm').click();
    await waitFor(async () => (await again.getAttribute('data-revoked')) === 'true', { what: 'the key shown revoked' });
    assert.match(await again.getAttribute('class'), /\brevoked\b/);
    assert.equal(await again.getByTestId('key-revoke').count(), 0, 'no revoke button on a revoked key');
    assert.equal(await again.getByTestId('key-revoked').textContent(), '已撤销');
    assert.equal((await section.getByTestId('keys-status').textContent()).trim(), '已撤销密钥“e2e script”。');

    const refused = await withKey(secret);
    assert.equal(refused.status, 401);
    assert.equal(await errorCode(refused), 'invalid-key');
    const refused2 = await withKey(secret, 'x-api-key');
    assert.equal(refused2.status, 401);
    assert.equal(await errorCode(refused2), 'invalid-key');

    // Mutations need the session's CSRF token (or this site's Origin): the cookie alone gets 403.
    const cookie = (await context.cookies(mu.base)).map((c) => `${c.name}=${c.value}`).join('; ');
    const bare = await fetch(`${mu.base}/api/v1/me/keys`, { method: 'POST', headers: { Cookie: cookie, 'Content-Type': 'application/json' }, body: '{"name":"no token"}' });
    assert.equal(bare.status, 403);
    assert.equal(await errorCode(bare), 'csrf');

    // With max_keys live keys (a revoked one does not count) the form says so and cannot create.
    for (let i = 0; i < max; i++) assert.equal((await pageFetch(page, '/api/v1/me/keys', { method: 'POST', body: { name: `bulk ${i}` } })).status, 201);
    const over = await pageFetch(page, '/api/v1/me/keys', { method: 'POST', body: { name: 'one too many' } });
    assert.equal(over.status, 409);
    assert.equal(over.json.error.code, 'too-many-keys');
    await page.reload();
    await waitFor(async () => /最多只能有/.test((await section.getByTestId('key-count').textContent().catch(() => '')) ?? ''), { what: 'the limit notice' });
    assert.equal((await section.getByTestId('key-count').textContent()).trim(), `最多只能有 ${max} 个密钥：请先撤销一个。`);
    assert.ok(await section.getByTestId('key-create').isDisabled());
    assert.equal(await section.locator('[data-testid="key"][data-revoked="false"]').count(), max);

    assert.deepEqual(realErrors(errors), []);
    await context.close();
  });

  test('Keys panel: an admin sets a key to burst 2, 60 a minute (200, 200, 429 + Retry-After) and revokes another user’s key; others get 403', async () => {
    // hubot makes two keys (through the API, as the page would).
    const user = await signedIn('hubot', '#/settings');
    const made = [];
    for (const name of ['limited', 'to revoke']) {
      const r = await pageFetch(user.page, '/api/v1/me/keys', { method: 'POST', body: { name } });
      assert.equal(r.status, 201, JSON.stringify(r.json));
      assert.match(r.json.secret, /^mu_/);
      assert.equal(r.json.key.name, name);
      made.push(r.json);
    }
    const admin403 = await pageFetch(user.page, '/api/v1/admin/keys');
    assert.equal(admin403.status, 403, 'not an admin');
    await user.context.close();
    const [limited, doomed] = made;

    const { context, page, errors } = await signedIn('octocat', '#/admin/keys');
    await page.locator('.admin-nav a[data-section="keys"][aria-current="page"]').waitFor();
    assert.equal((await page.locator('.admin-nav a[data-section="keys"]').textContent()).trim(), 'API 密钥');
    const row = page.locator(`[data-testid="admin-keys"] tr[data-id="${limited.key.id}"]`);
    await row.waitFor();
    assert.equal(await row.getAttribute('data-login'), 'hubot');
    assert.equal(await row.locator('td').nth(1).textContent(), 'limited');
    assert.equal((await row.locator('td').nth(2).textContent()).trim(), `${limited.key.prefix}…`);
    assert.match(await row.getByTestId('akey-limit').textContent(), /默认/);

    await row.getByTestId('akey-edit').click();
    const editor = page.getByTestId('akey-editor');
    await editor.waitFor();
    assert.equal(await editor.getAttribute('data-id'), String(limited.key.id));
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-testid')), 'akey-burst');
    await editor.getByTestId('akey-burst').fill('2');
    await editor.getByTestId('akey-per-minute').fill('60');
    await editor.getByTestId('akey-save').click();
    await waitFor(async () => (await row.getByTestId('akey-limit').getAttribute('data-burst')) === '2', { what: 'the new limit in the table' });
    assert.equal(await row.getByTestId('akey-limit').getAttribute('data-per-minute'), '60');
    assert.match(await row.getByTestId('akey-limit').textContent(), /自定义/);
    assert.equal((await page.getByTestId('akeys-status').textContent()).trim(), '已保存“limited”的额度：一次 2 个，每分钟 60 个。');
    assert.equal(await page.getByTestId('akey-editor').count(), 0, 'the editor closes');
    const listed = (await pageFetch(page, '/api/v1/admin/keys')).json.keys.find((k) => String(k.id) === String(limited.key.id));
    assert.deepEqual([listed.burst, listed.per_minute, listed.custom_limit], [2, 60, true]);

    // Three quick requests: the bucket holds two.
    const statuses = [];
    let last;
    for (let i = 0; i < 3; i++) {
      last = await withKey(limited.secret);
      statuses.push(last.status);
      if (i < 2) {
        assert.equal(last.headers.get('ratelimit-limit'), '2');
        await last.arrayBuffer();
      }
    }
    assert.deepEqual(statuses, [200, 200, 429]);
    const retryAfter = last.headers.get('retry-after');
    assert.match(retryAfter ?? '', /^\d+$/, `Retry-After ${retryAfter}`);
    assert.ok(Number(retryAfter) >= 1 && Number(retryAfter) <= 60, `Retry-After ${retryAfter}`);
    assert.equal(await errorCode(last), 'rate-limited');

    // Revoking another user's key, confirmed in the row.
    const other = page.locator(`[data-testid="admin-keys"] tr[data-id="${doomed.key.id}"]`);
    assert.equal((await withKey(doomed.secret)).status, 200);
    await other.getByTestId('akey-revoke').click();
    assert.match(await other.locator('[role="group"]').textContent(), /撤销 hubot 的密钥“to revoke”？/);
    await other.getByTestId('akey-revoke-confirm').click();
    await waitFor(async () => (await other.getAttribute('data-revoked')) === 'true', { what: 'the key shown revoked' });
    assert.equal(await other.getByTestId('akey-revoke').count(), 0);
    assert.equal(await other.getByTestId('akey-edit').count(), 0);
    const refused = await withKey(doomed.secret);
    assert.equal(refused.status, 401);
    assert.equal(await errorCode(refused), 'invalid-key');
    assert.deepEqual(realErrors(errors), []);
    await context.close();
  });

  for (const theme of ['light', 'dark']) {
    test(`axe: no WCAG 2 A/AA violations on the keys in Settings (secret shown, a revoked key, a confirmation) and the Keys panel (${theme})`, async () => {
      const { context, page } = await signedIn('octocat', '#/settings', { colorScheme: theme, bypassCSP: true, reducedMotion: 'reduce' });
      const problems = [];
      const audit = async (name) => {
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
        for (const v of violations) problems.push({ page: name, ...v });
      };
      const section = page.getByTestId('keys-section');
      await section.getByTestId('key-name').waitFor();
      const gone = await pageFetch(page, '/api/v1/me/keys', { method: 'POST', body: { name: `old ${theme}` } });
      assert.equal(gone.status, 201);
      assert.equal((await pageFetch(page, `/api/v1/me/keys/${gone.json.key.id}`, { method: 'DELETE' })).status, 204);
      await section.getByTestId('key-name').fill(`axe ${theme}`);
      await section.getByTestId('key-create').click();
      await section.getByTestId('key-secret').waitFor();
      await section.locator(`[data-testid="key"][data-id="${gone.json.key.id}"][data-revoked="true"]`).waitFor();
      const live = section.locator('[data-testid="key"][data-revoked="false"]').first();
      await live.getByTestId('key-revoke').click();
      await live.getByTestId('key-revoke-confirm').waitFor();
      await audit('settings with keys');

      await page.goto(`${mu.base}/#/admin/keys`);
      await page.locator('[data-testid="admin-keys"] tbody tr').first().waitFor();
      await page.locator('[data-testid="admin-keys"] tr[data-revoked="false"] [data-testid="akey-edit"]').first().click();
      await page.getByTestId('akey-editor').waitFor();
      await audit('admin keys with the editor');
      assert.deepEqual(problems, []);
      await context.close();
    });
  }

  test('390×844: Settings with a key and the Keys panel do not scroll sideways', async () => {
    const { context, page } = await signedIn('octocat', '#/settings', { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    const section = page.getByTestId('keys-section');
    await section.getByTestId('key-name').fill('a phone with a rather long key name that has to wrap somewhere');
    await section.getByTestId('key-create').click();
    await section.getByTestId('key-secret').waitFor();
    await section.locator('[data-testid="key"]').first().waitFor();
    await page.waitForTimeout(300);
    assert.ok((await page.evaluate(() => document.scrollingElement.scrollWidth)) <= 390, 'settings');
    await page.goto(`${mu.base}/#/admin/keys`);
    await page.locator('[data-testid="admin-keys"] tbody tr').first().waitFor();
    await page.waitForTimeout(300);
    assert.ok((await page.evaluate(() => document.scrollingElement.scrollWidth)) <= 390, 'admin keys');
    await context.close();
  });
});
