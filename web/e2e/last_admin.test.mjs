// Issue 14: the only admin signing out is warned that the way back in is `mu admin link`,
// and `mu admin link` (run against the same database while `mu serve` runs) prints a link
// that signs the local admin in again, once, although an admin exists.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ensureBuilt, launchBrowser, muBin, startMu, waitFor } from './harness.mjs';

let mu;
let browser;

before(async () => {
  ensureBuilt();
  mu = await startMu();
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await mu?.stop();
});

/** Opens `path` (a /auth/local?token= link) in a fresh context: the page after the redirect. */
async function openLink(path) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-US', serviceWorkers: 'block' });
  const page = await context.newPage();
  await page.goto(`${mu.base}${path}`);
  return page;
}

test('the only admin is warned before signing out, and mu admin link lets them back in', async () => {
  const printed = await waitFor(() => /\/auth\/local\?token=[\w-]+/.exec(mu.log())?.[0], { what: 'the local admin link' });
  const page = await openLink(printed);
  await page.getByTestId('account-button').waitFor({ timeout: 30_000 });

  // Sign out: a warning naming the way back, and the choice to stay.
  await page.getByTestId('account-button').click();
  await page.getByTestId('sign-out').click();
  const warning = page.getByTestId('last-admin-warning');
  await warning.waitFor();
  assert.match(await warning.textContent(), /mu admin link/);
  await page.getByTestId('keep-signed-in').click();
  assert.equal(await warning.count(), 0);
  assert.equal((await page.evaluate(async () => (await fetch('/api/v1/me')).status)), 200, 'still signed in');

  // Signing out anyway works.
  await page.getByTestId('sign-out').click();
  await page.getByTestId('sign-out-anyway').click();
  await waitFor(async () => (await page.getByTestId('account-button').count()) === 0, { what: 'signed out' });
  assert.equal((await page.evaluate(async () => (await fetch('/api/v1/me')).status)), 401);
  // The link printed at start is spent.
  assert.equal((await fetch(`${mu.base}${printed}`, { redirect: 'manual' })).status, 404);

  // The way back in: `mu admin link` on the same database, although an admin exists now.
  const cli = spawnSync(muBin(), ['admin', 'link'], {
    encoding: 'utf8',
    timeout: 30_000,
    env: { PATH: process.env.PATH, MU_STORAGE_URL: `sqlite://${join(mu.dir, 'mu.db')}` },
  });
  assert.equal(cli.status, 0, cli.stderr);
  const fresh = /\/auth\/local\?token=[\w-]+/.exec(cli.stdout)?.[0];
  assert.ok(fresh, cli.stdout);
  const again = await openLink(fresh);
  await again.getByTestId('account-button').waitFor({ timeout: 30_000 });
  assert.match(again.url(), /\/admin/);
  const me = await again.evaluate(async () => (await fetch('/api/v1/me')).json());
  assert.equal(me.role, 'admin');
  // Once only.
  assert.equal((await fetch(`${mu.base}${fresh}`, { redirect: 'manual' })).status, 404);
  await again.context().close();
  await page.context().close();
});
