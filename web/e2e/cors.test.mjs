// Separate deployment: the app built with VITE_API_BASE pointing at mu, served from another
// origin by a tiny static server; mu allows that origin (MU_SERVER_CORS_ORIGINS).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { buildApp, freePort, launchBrowser, removeDir, startMu, staticServer, tempDir, waitFor, watchPage } from './harness.mjs';

let mu;
let site;
let browser;
let out;

before(async () => {
  const muPort = await freePort();
  out = tempDir('mu-web-cors-');
  buildApp(out, { VITE_API_BASE: `http://127.0.0.1:${muPort}` });
  site = await staticServer(out);
  mu = await startMu({ port: muPort, env: { MU_SERVER_CORS_ORIGINS: site.base } });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await mu?.stop();
  await site?.close();
  if (out) removeDir(out);
});

test('the app served from another origin loads boards from VITE_API_BASE (CORS)', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const errors = watchPage(page);
  const apiOrigins = new Set();
  page.on('request', (r) => {
    if (new URL(r.url()).pathname.startsWith('/api/')) apiOrigins.add(new URL(r.url()).origin);
  });
  await page.goto(site.base);
  assert.notEqual(new URL(page.url()).origin, mu.base);
  const items = page.locator('section.card [data-testid="card-items"] > li');
  await waitFor(async () => (await items.count()) > 20, { timeout: 60_000, what: 'cards with items' });
  assert.deepEqual([...apiOrigins], [mu.base], 'every API request goes to VITE_API_BASE');
  assert.deepEqual(
    errors.filter((e) => /CORS|Access-Control/i.test(e)),
    [],
    'no CORS errors',
  );
  await context.close();
});

test('without the origin in the allowlist the browser refuses the answers', async () => {
  // Same build, other origin not allowed: proves the first test passed because of CORS.
  const other = await staticServer(out);
  const context = await browser.newContext();
  const page = await context.newPage();
  try {
    await page.goto(other.base);
    await page.locator('main .notice.error').waitFor({ timeout: 20_000 });
    assert.equal(await page.locator('section.card [data-testid="card-items"] > li').count(), 0);
  } finally {
    await context.close();
    await other.close();
  }
});
