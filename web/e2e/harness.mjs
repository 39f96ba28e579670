// Test harness for Mu's web app: starts `mu serve` on a free port with a temp SQLite db and
// the built app (dist/), launches Debian's Chromium through playwright-core, serves static
// copies from another origin, and cleans everything up. Used by e2e/*.test.mjs.
//
// Environment: MU_BIN (default ../build/release/mu, else ../build/integ/mu), CHROMIUM
// (default /usr/bin/chromium), E2E_KEEP=1 keeps temp dirs and prints their paths, E2E_DIST
// a built app to serve in place of dist/ (e.g. a build of a working tree made with
// buildApp() while dist/ is in use).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const WEB = resolve(fileURLToPath(new URL('..', import.meta.url)));
export const ROOT = resolve(WEB, '..');
export const DIST = process.env.E2E_DIST ? resolve(process.env.E2E_DIST) : join(WEB, 'dist');
export const FIXTURES = join(ROOT, 'src/sources');

export function muBin() {
  if (process.env.MU_BIN) return resolve(WEB, process.env.MU_BIN);
  const release = join(ROOT, 'build/release/mu');
  if (existsSync(release)) return release;
  return join(ROOT, 'build/integ/mu');
}

export function tempDir(prefix = 'mu-web-e2e-') {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  if (process.env.E2E_KEEP) console.log('# temp dir', dir);
  return dir;
}

export function removeDir(dir) {
  if (!process.env.E2E_KEEP) rmSync(dir, { recursive: true, force: true });
}

/** A TCP port that was free a moment ago (the caller retries if someone takes it). */
export function freePort() {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolvePort(port));
    });
  });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Polls `fn` until it returns a truthy value or the deadline passes; errors count as "not
 * yet" unless they carry `fatal: true`.
 */
export async function waitFor(fn, { timeout = 30_000, interval = 200, what = 'condition' } = {}) {
  const end = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      if (err?.fatal) throw err;
      last = err;
    }
    if (Date.now() > end) throw new Error(`timed out after ${timeout} ms waiting for ${what}${last ? `: ${last.message}` : ''}`);
    await sleep(interval);
  }
}

/** Builds the app once (dist/) if it is missing. */
export function ensureBuilt() {
  if (existsSync(join(DIST, 'index.html')) && existsSync(join(DIST, 'sw.js'))) return;
  buildApp(DIST, {});
}

/** `vite build` into outDir with extra env (e.g. VITE_API_BASE). */
export function buildApp(outDir, env) {
  const vite = join(WEB, 'node_modules/vite/bin/vite.js');
  const r = spawnSync(process.execPath, [vite, 'build', '--outDir', outDir, '--emptyOutDir', '--logLevel', 'warn'], {
    cwd: WEB,
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`vite build failed:\n${r.stdout}\n${r.stderr}`);
}

function cleanEnv() {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('MU_')) env[k] = v;
  return env;
}

/**
 * Starts `mu serve`. Options: replay (default true: answer fetches from the fixtures),
 * env (extra MU_* variables), port (default: a free one), staticDir (default dist/), args
 * (more command-line arguments, e.g. ['--config', file]), config (text of a mu.toml written
 * to the temp dir and passed with --config; a function ({ port, base }) => text when it needs
 * the port, e.g. [auth] public_url).
 * Returns { port, base, dir, stop(), log() }.
 */
export async function startMu({ replay = true, env = {}, port, staticDir = DIST, cwd, args: extraArgs = [], config } = {}) {
  const bin = muBin();
  if (!existsSync(bin)) throw new Error(`mu binary not found at ${bin} (set MU_BIN)`);
  const dir = tempDir('mu-web-mu-');
  for (let attempt = 1; attempt <= 3; attempt++) {
    const p = port ?? (await freePort());
    const args = ['serve', '--listen', `127.0.0.1:${p}`];
    if (replay) args.push('--replay', FIXTURES);
    if (config !== undefined) {
      const file = join(dir, 'mu.toml');
      writeFileSync(file, typeof config === 'function' ? config({ port: p, base: `http://127.0.0.1:${p}` }) : config);
      args.push('--config', file);
    }
    args.push(...extraArgs);
    let out = '';
    const child = spawn(bin, args, {
      cwd: cwd ?? dir,
      env: {
        ...cleanEnv(),
        MU_STORAGE_URL: `sqlite://${join(dir, 'mu.db')}`,
        MU_SERVER_STATIC_DIR: staticDir,
        MU_SOURCES_DIR: join(dir, 'sources.d'), // none unless a test asks for one
        // Tests load pages many times from one address: quotas stay on, never refuse.
        MU_QUOTA_ANONYMOUS_BURST: '100000000',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    let exited = false;
    child.on('exit', () => (exited = true));
    const base = `http://127.0.0.1:${p}`;
    try {
      await waitFor(
        async () => {
          if (exited) throw Object.assign(new Error('mu exited'), { fatal: true });
          const r = await fetch(`${base}/readyz`);
          return r.ok;
        },
        { timeout: 60_000, what: `${base}/readyz` },
      );
    } catch (err) {
      child.kill('SIGKILL');
      if (exited && /in use/i.test(out) && port === undefined && attempt < 3) continue;
      removeDir(dir);
      throw new Error(`mu serve did not become ready: ${err.message}\n${out}`);
    }
    return {
      port: p,
      base,
      dir,
      log: () => out,
      async stop() {
        if (!exited) {
          child.kill('SIGTERM');
          await waitFor(() => exited, { timeout: 10_000, what: 'mu to exit' }).catch(() => child.kill('SIGKILL'));
        }
        removeDir(dir);
      },
    };
  }
  throw new Error('could not start mu serve');
}

/** Waits until the API lists items for every board in `ids`. */
export async function waitForBoards(base, ids, timeout = 60_000) {
  for (const id of ids) {
    await waitFor(
      async () => {
        const r = await fetch(`${base}/api/v1/boards/${id}`);
        return r.ok && (await r.json()).items.length > 0;
      },
      { timeout, what: `items of ${id}` },
    );
  }
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-dev-shm-usage'],
  });
}

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/** A tiny static file server for `dir` (index.html for "/"); returns { port, base, close() }. */
export async function staticServer(dir, port = 0) {
  const root = resolve(dir);
  const srv = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    let file = normalize(join(root, path === '/' ? 'index.html' : path));
    if (!file.startsWith(root) || !existsSync(file) || statSync(file).isDirectory()) file = join(root, 'index.html');
    res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', 'Cache-Control': 'no-cache' });
    res.end(readFileSync(file));
  });
  await new Promise((r) => srv.listen(port, '127.0.0.1', r));
  const p = srv.address().port;
  return { port: p, base: `http://127.0.0.1:${p}`, close: () => new Promise((r) => srv.close(r)) };
}

/** Collects page errors and failed console messages so tests can assert there were none. */
export function watchPage(page) {
  const errors = [];
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`console: ${msg.text()}`);
  });
  return errors;
}

/**
 * Signs in through the header's "Sign in with GitHub" link (a mock provider auto-approves;
 * which user it signs in is up to the test, e.g. a `mock_github_login` cookie on its origin)
 * and waits for the account button.
 */
export async function signIn(page) {
  await page.getByTestId('sign-in').click();
  await page.getByTestId('account-button').waitFor({ timeout: 30_000 });
}

/**
 * fetch() from inside the page: same origin, the session cookie, and on mutations the CSRF
 * token of the current session (from /api/v1/me). Returns { status, json }.
 */
export function pageFetch(page, path, { method = 'GET', body } = {}) {
  return page.evaluate(
    async ({ path, method, body }) => {
      const headers = { Accept: 'application/json' };
      if (method !== 'GET') {
        const me = await fetch('/api/v1/me', { cache: 'no-store' });
        if (me.ok) headers['X-CSRF-Token'] = (await me.json()).csrf_token;
        if (body !== undefined) headers['Content-Type'] = 'application/json';
      }
      const r = await fetch(path, { method, headers, cache: 'no-store', body: body === undefined ? undefined : JSON.stringify(body) });
      const text = await r.text();
      let json = null;
      try {
        json = JSON.parse(text);
      } catch {
        // not JSON (204)
      }
      return { status: r.status, json };
    },
    { path, method, body },
  );
}

/**
 * Loads the app without the first answers the server writes into the page (the #mu-first block
 * emptied, as a host serving dist/ as plain files sends it): the page then asks the API for
 * everything. For tests that change API answers with page.route, which the block would bypass.
 */
export async function withoutFirstAnswers(page) {
  await page.route(
    (url) => url.pathname === '/' || url.pathname === '/index.html',
    async (route) => {
      if (route.request().resourceType() !== 'document') return route.continue();
      const response = await route.fetch();
      const html = (await response.text()).replace(/(<script type="application\/json" id="mu-first"[^>]*>)[^]*?(<\/script>)/, '$1$2');
      await route.fulfill({ response, body: html });
    },
  );
}
