// The installable app: manifest and icons as served by Mu, the service worker's precache list,
// and the "new version" prompt when a new service worker takes over.
import assert from 'node:assert/strict';
import { appendFileSync, cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { DIST, ensureBuilt, launchBrowser, removeDir, startMu, tempDir, waitFor } from './harness.mjs';

let mu;
let browser;
let dist;

before(async () => {
  ensureBuilt();
  dist = tempDir('mu-web-pwa-');
  cpSync(DIST, dist, { recursive: true });
  mu = await startMu({ staticDir: dist });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await mu?.stop();
  if (dist) removeDir(dist);
});

function pngSize(buf) {
  assert.equal(buf.subarray(1, 4).toString('ascii'), 'PNG');
  return [buf.readUInt32BE(16), buf.readUInt32BE(20)];
}

test('manifest: name, theme colours, 192/512 and maskable PNG icons', async () => {
  const r = await fetch(`${mu.base}/manifest.webmanifest`);
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /manifest\+json/);
  const m = await r.json();
  assert.equal(m.name, 'Mu · 热榜');
  assert.match(m.theme_color, /^#[0-9a-f]{6}$/i);
  assert.match(m.background_color, /^#[0-9a-f]{6}$/i);
  const want = [
    ['192x192', 'any'],
    ['512x512', 'any'],
    ['512x512', 'maskable'],
  ];
  for (const [sizes, purpose] of want) {
    const icon = m.icons.find((i) => i.sizes === sizes && i.purpose === purpose && i.type === 'image/png');
    assert.ok(icon, `icon ${sizes} ${purpose}`);
    const png = Buffer.from(await (await fetch(new URL(icon.src, `${mu.base}/`))).arrayBuffer());
    const n = Number(sizes.split('x')[0]);
    assert.deepEqual(pngSize(png), [n, n]);
  }
});

test('sw.js precaches the shell (index and every built asset) and skips the event stream', async () => {
  const sw = await (await fetch(`${mu.base}/sw.js`)).text();
  const list = JSON.parse(/const PRECACHE = (\[[^\]]*\]);/.exec(sw)[1]);
  const html = readFileSync(join(dist, 'index.html'), 'utf8');
  const assets = [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+)"/g)].map((m) => m[1]);
  assert.ok(assets.length >= 2);
  for (const a of [...assets, './', 'manifest.webmanifest', 'boot.js']) assert.ok(list.includes(a), `${a} precached`);
  assert.match(sw, /\/api\/v1\/events/);
});

test('a new service worker version offers a reload', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  // On the settings page: Chromium defers update checks while a page keeps its worker busy
  // (here: dozens of image requests failing without internet), which would only slow the test.
  await page.goto(`${mu.base}/#/settings`);
  await page.locator('[data-testid="order-list"] > li').first().waitFor();
  await page.waitForFunction(() => navigator.serviceWorker?.controller != null, null, { timeout: 30_000 });
  assert.equal(await page.locator('.toast').count(), 0);
  appendFileSync(join(dist, 'sw.js'), '\n// a new deployment\n');
  await page.reload(); // a navigation makes the browser check for a new worker
  await waitFor(async () => (await page.locator('.toast').count()) === 1, { what: 'the update prompt' });
  await page.locator('.toast button').click();
  await page.waitForLoadState('load');
  await page.locator('[data-testid="order-list"] > li').first().waitFor();
  assert.equal(await page.locator('.toast').count(), 0);
  await context.close();
});
