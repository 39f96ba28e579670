// The admin console end to end: `mu serve` with [auth] admins = ["octocat"] and the mock
// GitHub provider. An admin changes a board's schedule (live preview of the next five runs,
// save, the next run moves), runs it now (a run appears in its history), manages roles and
// user sources and reads the audit log; a non-admin gets no console and 403 from the API;
// axe finds nothing on any section in either theme; 390 px wide pages do not scroll sideways.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startMockGithub } from '../../tests/mock_github/mock_github.mjs';
import { ensureBuilt, launchBrowser, pageFetch, removeDir, signIn, startMu, tempDir, waitFor, waitForBoards, watchPage } from './harness.mjs';

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const BOARD = 'weibo.hot-search';

let gh;
let mu;
let browser;
let feed;
let dir;

/** A JSON Feed for the user-source test ("Test fetch" reads it). */
function startFeed() {
  const srv = createServer((req, res) => {
    const base = `http://127.0.0.1:${srv.address().port}`;
    res.writeHead(200, { 'Content-Type': 'application/feed+json' });
    res.end(
      JSON.stringify({
        version: 'https://jsonfeed.org/version/1.1',
        title: 'Admin e2e',
        items: [
          { id: '1', url: `${base}/1`, title: 'Admin feed story one' },
          { id: '2', url: `${base}/2`, title: 'Admin feed story two' },
        ],
      }),
    );
  });
  return new Promise((r) => srv.listen(0, '127.0.0.1', () => r({ port: srv.address().port, close: () => new Promise((c) => srv.close(c)) })));
}

before(async () => {
  ensureBuilt();
  gh = await startMockGithub();
  feed = await startFeed();
  dir = tempDir('mu-web-admin-');
  mkdirSync(join(dir, 'sources.d'));
  mu = await startMu({
    config: ({ base }) => gh.authConfig({ publicUrl: base, admins: ['octocat'] }),
    env: { MU_SOURCES_DIR: join(dir, 'sources.d'), MU_FETCH_ALLOW_PRIVATE_NETWORKS: 'true' },
  });
  await waitForBoards(mu.base, ['36kr.newsflashes', BOARD]);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await mu?.stop();
  await gh?.close();
  await feed?.close();
  if (dir) removeDir(dir);
});

async function newPage(login, options = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'zh-CN', ...options });
  if (login) await context.addCookies([{ name: 'mock_github_login', value: login, url: gh.base }]);
  const page = await context.newPage();
  const errors = watchPage(page);
  return { context, page, errors };
}

/** A page signed in as `login`, showing `hash`. */
async function signedIn(login, hash = '#/', options = {}) {
  const p = await newPage(login, options);
  await p.page.goto(`${mu.base}/${hash}`);
  await signIn(p.page);
  return p;
}

const realErrors = (errors) => errors.filter((e) => !/Failed to load resource|ERR_NAME_NOT_RESOLVED/.test(e));
/** The previewed run times, once the preview answers the current input ([] while it is busy). */
const times = async (preview) =>
  (await preview.getAttribute('aria-busy').catch(() => 'true')) === 'false'
    ? preview.locator('time').evaluateAll((ts) => ts.map((t) => Date.parse(t.getAttribute('datetime'))))
    : [];

describe('admin console', () => {
  test('an admin reaches the console from the account menu; boards, scheduler and collectors are listed', async () => {
    const { context, page, errors } = await signedIn('octocat');
    await page.getByTestId('account-button').click();
    await page.getByTestId('admin-link').click();
    await page.waitForURL(/#\/admin$/);
    const rows = page.locator('[data-testid="admin-boards"] tbody tr');
    await rows.first().waitFor();
    const catalogue = (await pageFetch(page, '/api/v1/boards')).json.boards.length;
    assert.equal(await rows.count(), catalogue, 'one row per board');
    const row = page.locator(`[data-testid="admin-boards"] tr[data-board="${BOARD}"]`);
    assert.match(await row.locator('td').nth(4).textContent(), /每 \d+[smh]|\*/, 'the schedule');
    assert.ok(Number(await row.locator('td.next').getAttribute('data-ms')) > 0, 'a next run time');
    await page.getByTestId('admin-filter').fill('weibo');
    await waitFor(async () => (await rows.count()) < catalogue && (await rows.count()) > 0, { what: 'the filter' });

    await page.locator('.admin-nav a[data-section="scheduler"]').click();
    await page.getByTestId('scheduler').waitFor();
    assert.equal(await page.getByTestId('sched-mode').textContent(), 'embedded');
    assert.match(await page.getByTestId('sched-leader').textContent(), /是本实例/);

    await page.locator('.admin-nav a[data-section="collectors"]').click();
    await page.locator('[data-testid="collectors"] tbody tr').first().waitFor();
    assert.match(await page.getByTestId('collectors').textContent(), /local/);
    assert.deepEqual(realErrors(errors), []);
    await context.close();
  });

  test('a board schedule: five previewed runs, save, the next run moves; run now adds a run to the history', async () => {
    const { context, page, errors } = await signedIn('octocat', `#/admin/boards/${BOARD}`);
    const editor = page.getByTestId('board-editor');
    await editor.waitFor();
    const row = page.locator(`[data-testid="admin-boards"] tr[data-board="${BOARD}"]`);
    await row.waitFor();
    const nextBefore = Number(await row.locator('td.next').getAttribute('data-ms'));
    const versionBefore = Number(await row.getAttribute('data-version'));

    // every: five runs ten minutes apart, the first within ten minutes.
    await editor.getByTestId('mode-every').check();
    await editor.getByTestId('every').fill('10m');
    const preview = editor.getByTestId('preview');
    await waitFor(async () => {
      const ts = await times(preview);
      return ts.length === 5 && ts.every((t, i) => i === 0 || t - ts[i - 1] === 600_000);
    }, { what: 'five runs 10 min apart in the preview' });
    const firstPreviewed = (await times(preview))[0];
    assert.ok(
      firstPreviewed > Date.now() - 5_000 && firstPreviewed <= Date.now() + 600_000 + 60_000,
      `first previewed run ${new Date(firstPreviewed).toISOString()}`,
    );

    // A bad interval is refused with the server's message.
    await editor.getByTestId('every').fill('ten minutes');
    await editor.getByTestId('preview-error').waitFor();
    assert.ok((await editor.getByTestId('preview-error').textContent()).trim().length > 0);

    // cron + time zone: every five minutes (plus the board's fixed jitter of a few seconds).
    await editor.getByTestId('mode-cron').check();
    await editor.getByTestId('cron').fill('*/5 * * * *');
    await editor.getByTestId('tz').fill('Asia/Shanghai');
    await waitFor(async () => {
      const ts = await times(preview);
      return ts.length === 5 && ts.every((t, i) => i === 0 || t - ts[i - 1] === 300_000) && ts[0] % 300_000 < 60_000;
    }, { what: 'five cron runs five minutes apart' });
    await editor.getByTestId('cron').fill('61 * * * *');
    await editor.getByTestId('preview-error').waitFor();
    assert.match(await editor.getByTestId('preview-error').textContent(), /61/);

    /** Saves what the editor shows; returns the PUT answer once the table shows its version. */
    const save = async () => {
      const [put] = await Promise.all([
        page.waitForResponse((r) => r.url().endsWith(`/api/v1/admin/boards/${BOARD}`) && r.request().method() === 'PUT'),
        editor.getByTestId('save-board').click(),
      ]);
      assert.equal(put.status(), 200, await put.text());
      const saved = await put.json();
      await waitFor(async () => /已保存：版本 \d+/.test(await editor.getByTestId('editor-status').textContent()), { what: 'the saved message' });
      await waitFor(async () => Number(await row.getAttribute('data-version')) >= saved.version, { what: 'the new version in the table' });
      return saved;
    };
    const shownNext = async () => Number(await row.locator('td.next').getAttribute('data-ms'));

    // An hourly cron half an hour away from the current next run: the next run must move.
    const minute = (new Date(nextBefore).getUTCMinutes() + 30) % 60;
    await editor.getByTestId('cron').fill(`${minute} * * * *`);
    await waitFor(async () => (await times(preview)).length === 5, { what: 'the hourly preview' });
    const hourly = (await times(preview))[0];
    const first = await save();
    assert.ok(first.version > versionBefore);
    await waitFor(async () => (await shownNext()) === hourly, { what: 'the table to show the previewed next run' });
    assert.notEqual(await shownNext(), nextBefore, 'the displayed next run changed');
    assert.equal(new Date(await shownNext()).getUTCMinutes(), minute);

    // Every 10 minutes: the next run comes within ten minutes.
    await editor.getByTestId('mode-every').check();
    await editor.getByTestId('every').fill('10m');
    await waitFor(async () => (await times(preview)).length === 5, { what: 'the preview' });
    const tenMinutes = (await times(preview))[0];
    const saveAt = Date.now();
    const second = await save();
    assert.ok(second.version > first.version);
    await waitFor(async () => (await shownNext()) === tenMinutes, { what: 'the table to show the new next run' });
    const nextAfter = await shownNext();
    assert.ok(nextAfter >= saveAt - 1_000 && nextAfter <= saveAt + 600_000 + 60_000, `next run ${new Date(nextAfter).toISOString()} ≈ now + ≤10 min`);
    assert.equal(Number(await editor.getByTestId('editor-next').getAttribute('data-ms')), nextAfter);
    const overview = (await pageFetch(page, '/api/v1/admin/overview')).json;
    assert.equal(overview.boards.find((b) => b.id === BOARD).schedule.every_s, 600);

    // Run now: the dispatched run shows up in the history.
    const [run] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith(`/api/v1/admin/boards/${BOARD}/run`)),
      editor.getByTestId('run-now').click(),
    ]);
    assert.equal(run.status(), 202);
    const { dispatch_id: id } = await run.json();
    assert.ok(id);
    await editor.locator(`[data-testid="runs"] tr[data-dispatch="${id}"]`).waitFor({ timeout: 60_000 });
    await waitFor(async () => /已结束/.test(await editor.getByTestId('editor-status').textContent()), { what: 'the run to be reported' });

    // Both changes are in the audit log.
    await page.locator('.admin-nav a[data-section="audit"]').click();
    const audit = page.getByTestId('audit');
    await audit.locator('tbody tr').first().waitFor();
    const text = await audit.textContent();
    assert.match(text, new RegExp(BOARD.replace('.', '\\.')));
    assert.match(text, /octocat/);
    assert.deepEqual(realErrors(errors), []);
    await context.close();
  });

  // Issue 14: saved at 14:37:02, the status said "next run 14:36:01" — the slot after the last
  // run under the new period, already gone. The status now says what the scheduler will do.
  test('saving a schedule reports the real next run, never a time already past', async () => {
    const id = '36kr.newsflashes';
    const { context, page, errors } = await signedIn('octocat', `#/admin/boards/${id}`);
    const editor = page.getByTestId('board-editor');
    await editor.waitFor();
    // Every 10 s (the shortest the console takes): the slot after the board's last run is in
    // the past once that run is 25 s old.
    const lastRun = async () => (await pageFetch(page, '/api/v1/admin/overview')).json.boards.find((b) => b.id === id).last_run_ms;
    await waitFor(async () => Date.now() - (await lastRun()) > 25_000, { what: 'a last run 25 s ago', timeout: 90_000, interval: 1_000 });
    const save = async (every) => {
      await editor.getByTestId('mode-every').check();
      await editor.getByTestId('every').fill(every);
      const at = Date.now();
      const [put] = await Promise.all([
        page.waitForResponse((r) => r.request().method() === 'PUT' && r.url().endsWith(`/api/v1/admin/boards/${id}`)),
        editor.getByTestId('save-board').click(),
      ]);
      assert.equal(put.status(), 200, await put.text());
      return { at, saved: await put.json() };
    };
    const { at, saved } = await save('10s');
    assert.equal(typeof saved.next_due_ms, 'number', 'the single process applies the change at once');
    assert.ok(saved.next_due_ms >= at - 1_000, `next run ${new Date(saved.next_due_ms).toISOString()} is not before the save (${new Date(at).toISOString()})`);
    assert.ok(saved.next_due_ms <= at + 11_000);
    await waitFor(async () => /已保存：版本 \d+/.test(await editor.getByTestId('editor-status').textContent()), { what: 'the saved message' });
    // The table and the editor never show a past next run either.
    await waitFor(async () => Number(await editor.getByTestId('editor-next').getAttribute('data-ms')) >= at - 1_000, {
      what: 'the editor\'s next run',
    });
    // Back to a calm schedule for the other tests.
    const calm = await save('10m');
    assert.ok(calm.saved.next_due_ms >= calm.at - 1_000 && calm.saved.next_due_ms <= calm.at + 600_000 + 1_000);
    assert.deepEqual(realErrors(errors), []);
    await context.close();
  });

  test('users: promote and demote; the last admin cannot be demoted', async () => {
    const hubot = await signedIn('hubot');
    const admin = await signedIn('octocat', '#/admin/users');
    const users = admin.page.getByTestId('users');
    await users.locator('tr[data-login="hubot"]').waitFor();
    // Logins are not unique: the row shows which account it is (provider and its id).
    assert.match(await users.locator('tr[data-login="hubot"] [data-testid="provider"]').textContent(), /^github \d+$/);
    await users.locator('tr[data-login="hubot"] select').selectOption('admin');
    await waitFor(async () => /hubot 的角色已改为管理员/.test(await admin.page.getByTestId('users-status').textContent()), { what: 'the promotion' });
    assert.equal((await pageFetch(hubot.page, '/api/v1/me')).json.role, 'admin');
    await users.locator('tr[data-login="hubot"] select').selectOption('user');
    await waitFor(async () => (await pageFetch(hubot.page, '/api/v1/me')).json.role === 'user', { what: 'the demotion' });

    // octocat is now the only admin.
    const own = users.locator('tr[data-login="octocat"] select');
    await own.selectOption('user');
    await waitFor(async () => /失败/.test(await admin.page.getByTestId('users-status').textContent()), { what: 'the refusal' });
    assert.equal(await own.inputValue(), 'admin', 'the select shows the role the server kept');
    assert.equal((await pageFetch(admin.page, '/api/v1/me')).json.role, 'admin');
    await hubot.context.close();
    await admin.context.close();
  });

  test('sources: edit a new spec, test fetch shows its items (or the error), save writes it', async () => {
    const { context, page } = await signedIn('octocat', '#/admin/sources');
    await page.getByTestId('new-spec').click();
    const ed = page.getByTestId('spec-editor');
    await ed.waitFor();
    assert.ok((await ed.getByTestId('spec-text').inputValue()).includes('['), 'starts from the example');
    await ed.getByTestId('spec-name').fill('admin-e2e');
    await ed.getByTestId('spec-text').fill(`[site]
id = "adm"
name_zh = "管理测试"
name_en = "Admin test"
home = "http://127.0.0.1:${feed.port}/"
region = "global"

[[boards]]
id = "adm.feed"
name_zh = "订阅"
name_en = "Feed"
kind = "rank"
every = "1h"
homepage = "http://127.0.0.1:${feed.port}/"

[boards.request]
url = "http://127.0.0.1:${feed.port}/feed.json"

[boards.parse]
type = "feed"
`);
    await ed.getByTestId('test-spec').click();
    const result = ed.getByTestId('test-result');
    await waitFor(async () => /adm\.feed|失败/.test(await result.textContent()), { what: 'a test fetch result' });
    const text = await result.textContent();
    // With --replay, fetches of unknown URLs may be refused; either way the page says what happened.
    assert.ok(/Admin feed story one/.test(text) || /adm\.feed/.test(text), text);
    await ed.getByTestId('save-spec').click();
    await waitFor(async () => /已保存到|失败/.test((await ed.textContent()) ?? ''), { what: 'the save result' });
    assert.match(await ed.textContent(), /已保存到 .*admin-e2e\.toml/);
    await page.getByTestId('specs').locator('li', { hasText: 'admin-e2e' }).waitFor();
    await context.close();
  });
});

describe('access', () => {
  test('a signed-in user who is not an admin sees no console, and the API answers 403', async () => {
    const { context, page } = await signedIn('mona');
    await page.getByTestId('account-button').click();
    await page.getByTestId('account-menu').waitFor();
    assert.equal(await page.getByTestId('admin-link').count(), 0);
    await page.goto(`${mu.base}/#/admin`);
    await page.getByTestId('not-admin').waitFor();
    assert.match(await page.getByTestId('not-admin').textContent(), /mona.*不是管理员/);
    assert.equal(await page.locator('[data-testid="admin-boards"]').count(), 0);
    assert.equal((await pageFetch(page, '/api/v1/admin/overview')).status, 403);
    assert.equal((await pageFetch(page, `/api/v1/admin/boards/${BOARD}`, { method: 'PUT', body: { every: '1m' } })).status, 403);
    assert.equal((await pageFetch(page, `/api/v1/admin/boards/${BOARD}/run`, { method: 'POST' })).status, 403);
    assert.equal((await pageFetch(page, '/api/v1/admin/users')).status, 403);
    await context.close();
  });

  test('signed out: /admin offers to sign in; the API answers 401', async () => {
    const { context, page } = await newPage(null);
    await page.goto(`${mu.base}/admin`);
    await page.getByTestId('admin-signed-out').waitFor();
    assert.equal(new URL(page.url()).hash, '#/admin', '/admin became the hash route');
    assert.equal((await pageFetch(page, '/api/v1/admin/overview')).status, 401);
    await context.close();
  });
});

describe('accessibility and layout', () => {
  const SECTIONS = [`boards/${BOARD}`, 'sources', 'credentials', 'collectors', 'scheduler', 'users', 'alerts', 'audit'];

  for (const theme of ['light', 'dark']) {
    test(`axe: no WCAG 2 A/AA violations on every console section and the saved items (${theme})`, async () => {
      const { context, page } = await signedIn('octocat', '#/', { colorScheme: theme, bypassCSP: true, reducedMotion: 'reduce' });
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
      // The open account menu and the stars on item rows.
      await page.locator('section.card [data-testid="fav"]').first().waitFor();
      await page.getByTestId('account-button').click();
      await page.getByTestId('account-menu').waitFor();
      await audit('home with account menu');
      for (const s of SECTIONS) {
        await page.goto(`${mu.base}/#/admin/${s}`);
        await page.locator('.admin-nav').waitFor();
        await page.locator('.admin table, .admin .panel, .admin .spec-list, .admin .notice').first().waitFor();
        if (s.startsWith('boards/')) await page.getByTestId('preview').waitFor();
        await audit(`admin ${s}`);
      }
      await page.goto(`${mu.base}/#/favorites`);
      await page.locator('.saved .notice, [data-testid="saved-list"]').first().waitFor();
      await audit('saved items');
      assert.deepEqual(problems, []);
      await context.close();
    });
  }

  test('390×844: the console and saved items do not scroll sideways (tables scroll in their box)', async () => {
    const { context, page } = await signedIn('octocat', '#/', { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    for (const hash of [`#/admin/boards/${BOARD}`, '#/admin/users', '#/admin/audit', '#/admin/scheduler', '#/admin/sources', '#/admin/credentials', '#/favorites', '#/']) {
      await page.goto(`${mu.base}/${hash}`);
      await page.locator('main .admin table, main .admin .panel, main .admin .notice, main .admin .spec-list, main .saved, main section.card').first().waitFor();
      await page.waitForTimeout(300);
      const width = await page.evaluate(() => document.scrollingElement.scrollWidth);
      assert.ok(width <= 390, `${hash}: scrollWidth ${width} <= 390`);
    }
    await page.goto(`${mu.base}/#/admin/boards`);
    const wrap = page.locator('.table-wrap').first();
    await wrap.waitFor();
    assert.ok(await wrap.evaluate((el) => el.scrollWidth > el.clientWidth), 'the boards table scrolls inside its box');
    await context.close();
  });
});
