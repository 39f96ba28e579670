// The admin console against a local cluster (scripts/cluster: Redis, PostgreSQL, three
// schedulers, four collectors, two API instances, fed by the fixtures). Skipped unless
// MU_CLUSTER_E2E=1 (it needs redis-server and PostgreSQL and takes a minute or two).
//
// An admin signs in on API instance a1 through the mock GitHub provider, changes a board's
// schedule in the console, and the leader applies it: the console (whose overview comes from
// the leader) shows the new version and a next run ≈ now + 10 min, and so does
// `mu ctl --scheduler <leader> status`. Then the cluster is stopped.
//
// Environment: MU_BIN (the mu binary), MU_CLUSTER_PORT_OFFSET (default 300, so that a
// cluster on the default ports keeps running), E2E_KEEP=1 keeps the cluster directory.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startMockGithub } from '../../tests/mock_github/mock_github.mjs';
import { ROOT, ensureBuilt, launchBrowser, muBin, pageFetch, removeDir, signIn, tempDir, waitFor, watchPage } from './harness.mjs';

const ENABLED = process.env.MU_CLUSTER_E2E === '1';
const OFFSET = Number(process.env.MU_CLUSTER_PORT_OFFSET ?? '300');
const A1 = `http://127.0.0.1:${8081 + OFFSET}`;
const A2 = `http://127.0.0.1:${8082 + OFFSET}`;
const SCHEDULERS = [7401, 7402, 7403].map((p) => `127.0.0.1:${p + OFFSET}`);
const BOARD = 'hackernews.front';
const SCRIPT = join(ROOT, 'scripts/cluster');

let gh;
let dir;
let env;
let browser;
let up = false;
let adminPage; // the signed-in admin of the first test

function cluster(cmd) {
  const r = spawnSync(SCRIPT, [cmd], { cwd: ROOT, env, encoding: 'utf8', timeout: 240_000 });
  if (r.status !== 0) throw new Error(`scripts/cluster ${cmd} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** One board's catalogue entry as an API instance renders it, or null when it does not answer. */
async function entryOn(api, board) {
  try {
    const r = await fetch(`${api}/api/v1/boards?ids=${board}`);
    if (!r.ok) return null;
    return (await r.json()).boards[0] ?? null;
  } catch {
    return null;
  }
}

/** `mu ctl --scheduler ADDR status` as JSON, or null when that instance does not answer. */
function ctlStatus(addr) {
  const r = spawnSync(muBin(), ['ctl', '--scheduler', addr, 'status'], { encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) return null;
  try {
    return JSON.parse(r.stdout);
  } catch {
    return null;
  }
}

before(async () => {
  if (!ENABLED) return;
  ensureBuilt(); // the cluster's API instances serve web/dist
  gh = await startMockGithub();
  dir = tempDir('mu-web-cluster-');
  chmodSync(dir, 0o755); // PostgreSQL runs as the postgres user when the test runs as root
  const extra = join(dir, 'extra.toml');
  let text = gh.authConfig({ publicUrl: A1, admins: ['octocat'] });
  // The API instances reach the schedulers for the console (unless the script says so already).
  if (!/schedulers\s*=/.test(readFileSync(SCRIPT, 'utf8'))) text += `[api]\nschedulers = ${JSON.stringify(SCHEDULERS)}\n`;
  writeFileSync(extra, text);
  env = {
    ...process.env,
    MU_BIN: muBin(),
    MU_CLUSTER_DIR: join(dir, 'cluster'),
    MU_CLUSTER_PORT_OFFSET: String(OFFSET),
    MU_CLUSTER_EXTRA_CONFIG: extra,
  };
  delete env.MU_CLUSTER_REPLAY; // the default: the recorded fixtures
  up = true; // "down" also cleans up a half-started cluster
  cluster('up');
  await waitFor(async () => (await fetch(`${A1}/readyz`)).ok, { timeout: 120_000, what: 'API instance a1' });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  if (up) {
    try {
      cluster('down');
    } catch (err) {
      console.error(String(err));
    }
  }
  await gh?.close();
  if (dir) removeDir(dir);
});

test('cluster: an admin on API instance 1 changes a schedule and the leader applies it', { skip: !ENABLED && 'set MU_CLUSTER_E2E=1 (needs redis-server and PostgreSQL)' }, async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'zh-CN' });
  await context.addCookies([{ name: 'mock_github_login', value: 'octocat', url: gh.base }]);
  const page = await context.newPage();
  const errors = watchPage(page);
  await page.goto(`${A1}/#/`);
  await signIn(page);
  assert.equal(gh.stats().tokens_issued, 1);

  // The scheduler section: cluster mode, with a leader and an epoch.
  await page.goto(`${A1}/#/admin/scheduler`);
  await page.getByTestId('scheduler').waitFor({ timeout: 60_000 });
  assert.equal(await page.getByTestId('sched-mode').textContent(), 'cluster');
  await waitFor(async () => /s\d|是本实例/.test(await page.getByTestId('sched-leader').textContent()), { timeout: 60_000, what: 'a leader in the console' });
  assert.ok(Number(await page.getByTestId('sched-epoch').textContent()) >= 1);

  // Change the board's schedule to every 10 minutes.
  await page.goto(`${A1}/#/admin/boards/${BOARD}`);
  const editor = page.getByTestId('board-editor');
  await editor.waitFor({ timeout: 60_000 });
  const row = page.locator(`[data-testid="admin-boards"] tr[data-board="${BOARD}"]`);
  const versionBefore = Number(await row.getAttribute('data-version'));
  await editor.getByTestId('mode-every').check();
  await editor.getByTestId('every').fill('10m');
  await waitFor(async () => (await editor.getByTestId('preview').locator('li').count()) === 5, { what: 'the preview' });
  const saveAt = Date.now();
  const [put] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith(`/api/v1/admin/boards/${BOARD}`) && r.request().method() === 'PUT'),
    editor.getByTestId('save-board').click(),
  ]);
  assert.equal(put.status(), 200, await put.text());
  const { version } = await put.json();
  assert.ok(version > versionBefore);

  // The console's data comes from the leader: it shows the new version and next run once the
  // leader applied the change (the console refetches until it does).
  await waitFor(async () => Number(await row.getAttribute('data-version')) >= version, { timeout: 60_000, what: 'the leader to apply the change' });
  await waitFor(
    async () => {
      const next = Number(await row.locator('td.next').getAttribute('data-ms'));
      return next >= saveAt - 1_000 && next <= Date.now() + 600_000 + 60_000;
    },
    { timeout: 60_000, what: 'a next run within ten minutes' },
  );
  const overview = (await pageFetch(page, '/api/v1/admin/overview')).json;
  assert.equal(overview.scheduler.mode, 'cluster');
  assert.equal(overview.scheduler.leader, true, 'the overview is the leader\'s');
  assert.equal(overview.boards.find((b) => b.id === BOARD).schedule.every_s, 600);

  // The leader says the same over its control port.
  const leader = await waitFor(() => SCHEDULERS.map(ctlStatus).find((s) => s?.leader), { timeout: 60_000, what: 'the leader over mu ctl' });
  const b = leader.boards.find((x) => x.board === BOARD);
  assert.ok(b.version >= version, `leader has version ${b.version} >= ${version}`);
  assert.ok(b.next_due_s * 1000 <= Date.now() + 600_000 + 60_000, 'the leader plans the next run within ten minutes');

  // Every API instance renders the effective schedule, not the static catalogue: the
  // console's change, and a board disabled with `mu ctl` (issue 15).
  for (const api of [A1, A2]) {
    await waitFor(async () => (await entryOn(api, BOARD))?.every_seconds === 600, { timeout: 30_000, what: `${api} to show every 600 s` });
    const body = await (await fetch(`${api}/api/v1/boards/${BOARD}`)).json();
    assert.equal(body.every_seconds, 600);
  }
  const DISABLED = 'v2ex.hot';
  const ctl = spawnSync(muBin(), ['ctl', '--scheduler', SCHEDULERS[0], 'update', DISABLED, 'enabled=false'], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(ctl.status, 0, ctl.stderr);
  for (const api of [A1, A2]) {
    await waitFor(async () => (await entryOn(api, DISABLED))?.enabled === false, { timeout: 30_000, what: `${api} to show ${DISABLED} disabled` });
    const body = await (await fetch(`${api}/api/v1/boards/${DISABLED}`)).json();
    assert.equal(body.enabled, false);
    assert.equal(body.due_by, null, 'a disabled board is never overdue');
  }
  // The page reads the same catalogue.
  const seen = (await pageFetch(page, `/api/v1/boards?ids=${DISABLED},${BOARD}`)).json.boards;
  assert.equal(seen.find((x) => x.id === DISABLED).enabled, false);
  assert.equal(seen.find((x) => x.id === BOARD).every_seconds, 600);
  assert.deepEqual(errors.filter((e) => !/Failed to load resource|ERR_NAME_NOT_RESOLVED/.test(e)), []);
  adminPage = page; // signed in as the admin: the next test goes on from here
});

// Issue 16: one API key's quota is shared by both API instances (buckets in Redis): a burst
// of concurrent requests spread over a1 and a2 gets no more than the key's burst plus its
// rate over the time taken; revoking the key on a1 stops it on a2 within the key cache time.
test('cluster: an API key quota is shared by both API instances, and revoking it stops it on both', { skip: !ENABLED && 'set MU_CLUSTER_E2E=1 (needs redis-server and PostgreSQL)' }, async () => {
  assert.ok(adminPage, 'the admin of the first test is signed in');
  const page = adminPage;
  const made = await pageFetch(page, '/api/v1/me/keys', { method: 'POST', body: { name: 'cluster quota test' } });
  assert.equal(made.status, 201, JSON.stringify(made.json));
  const { secret, key } = made.json;
  const limited = await pageFetch(page, `/api/v1/admin/keys/${key.id}`, { method: 'PATCH', body: { per_minute: 60, burst: 20 } });
  assert.equal(limited.status, 200, JSON.stringify(limited.json));
  assert.equal(limited.json.burst, 20);

  const auth = { Authorization: `Bearer ${secret}` };
  const start = Date.now();
  const answers = await Promise.all(
    Array.from({ length: 80 }, (_, i) => fetch(`${i % 2 ? A2 : A1}/api/v1/boards/${BOARD}`, { headers: auth })),
  );
  const elapsedS = (Date.now() - start) / 1000;
  const ok = answers.filter((r) => r.status === 200);
  const refused = answers.filter((r) => r.status === 429);
  assert.equal(ok.length + refused.length, 80, `statuses: ${answers.map((r) => r.status).join(',')}`);
  // Safety: the burst plus one token a second over the time taken (and one for rounding).
  assert.ok(ok.length <= 20 + Math.ceil(elapsedS) + 1, `${ok.length} answered in ${elapsedS} s`);
  assert.ok(ok.length >= 1, 'the key works at all');
  assert.ok(Number(refused[0].headers.get('retry-after')) >= 1);
  assert.equal(refused[0].headers.get('ratelimit-limit'), '20');
  // Both instances answered some of the requests that got through, so the bucket is shared.
  assert.ok(answers.some((r, i) => i % 2 === 0 && r.status === 200) || answers.some((r, i) => i % 2 === 1 && r.status === 200));

  // Revoked on a1: a1 refuses it at once, a2 within its key cache time (10 s).
  const revoked = await pageFetch(page, `/api/v1/me/keys/${key.id}`, { method: 'DELETE' });
  assert.equal(revoked.status, 204);
  const onA1 = await fetch(`${A1}/api/v1/sites`, { headers: auth });
  assert.equal(onA1.status, 401);
  assert.equal((await onA1.json()).error.code, 'invalid-key');
  await waitFor(async () => (await fetch(`${A2}/api/v1/sites`, { headers: auth })).status === 401, { timeout: 30_000, what: 'a2 to refuse the revoked key' });
  await page.context().close();
});
