/* Mu's service worker (hand-written; the build fills in the precache list and version).
 * - App shell: precached at install; hashed /assets/ are cache-first (they never change).
 * - Navigations: network-first with a short deadline, falling back to the cached index.html.
 * - API (/api/…): network-first; the last good response is kept and served when offline,
 *   marked with the header X-Mu-Offline: 1 so the page can show an "offline" badge, or when
 *   the network is very slow (X-Mu-Stale: 1: the page shows it at once and asks again).
 * - History: /api/v1/search is network-only (one URL per query: never kept, never stale);
 *   items (/api/v1/items/…), a board in the past (/api/v1/boards/{id}/history) and the day's
 *   top (/api/v1/top) are network-first, answered from the cache only when offline, and only
 *   the newest MAX_HISTORY of them are kept.
 * - /api/v1/events (Server-Sent Events) and non-GET requests are never touched. */
const VERSION = '__MU_VERSION__';
const PRECACHE = '__MU_PRECACHE__';
const SHELL_CACHE = 'mu-shell-' + VERSION;
const API_CACHE = 'mu-api-v1';
const NAV_TIMEOUT_MS = 4000;
// An API answer slower than this is served from the cache when there is one (marked
// X-Mu-Stale: 1; the page asks again shortly); the network answer still refreshes the cache.
const API_TIMEOUT_MS = 3500;

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches
      .open(SHELL_CACHE)
      .then((cache) => cache.addAll(PRECACHE.map((p) => new Request(p, { cache: 'reload' }))))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) =>
        Promise.all(
          keys
            .filter((k) => k.startsWith('mu-shell-') && k !== SHELL_CACHE)
            .map((k) => caches.delete(k)),
        ),
      )
      .then(() => self.clients.claim()),
  );
});

function isApi(url) {
  return url.pathname.startsWith('/api/');
}

function isEvents(url) {
  return url.pathname === '/api/v1/events' || url.pathname.startsWith('/api/v1/events/');
}

// Per-user answers and the sign-in flow are never cached or answered from the cache: they
// belong to one session, and a navigation to /auth/... must reach the server (a slow
// GitHub exchange must not turn the callback into the cached app shell).
function isPrivate(url) {
  const p = url.pathname;
  return (
    p === '/api/v1/me' ||
    p.startsWith('/api/v1/me/') ||
    p.startsWith('/api/v1/admin/') ||
    p.startsWith('/api/v1/auth/') ||
    p === '/api/v1/stats' ||
    p.startsWith('/auth/')
  );
}

// Directory and palette searches of the catalogue (?q=, ?site=, ?kind=, ?offset=): one URL per
// query, useless offline and without bound in number, so they are never cached.
function isCatalogueSearch(url) {
  if (url.pathname !== '/api/v1/boards') return false;
  const p = url.searchParams;
  return p.has('q') || p.has('site') || p.has('kind') || p.has('offset');
}

// Full-text search of the history: never cached (one URL per query and page).
function isHistorySearch(url) {
  return url.pathname === '/api/v1/search';
}

// History answers worth having offline (an item page, a board in the past, the day's top),
// but one URL per item / instant / day: network-first, the newest few kept.
function isHistory(url) {
  const p = url.pathname;
  return p.startsWith('/api/v1/items/') || p === '/api/v1/top' || /^\/api\/v1\/boards\/[^/]+\/history$/.test(p);
}

const MAX_HISTORY = 40;
async function pruneHistory(cache) {
  const kept = (await cache.keys()).filter((r) => isHistory(new URL(r.url)));
  await Promise.all(kept.slice(0, Math.max(0, kept.length - MAX_HISTORY)).map((r) => cache.delete(r)));
}

async function historyNetworkFirst(request) {
  const cache = await caches.open(API_CACHE);
  try {
    const response = await fetch(request);
    if (response.ok) {
      // re-put so the newest answer is last in the cache's order
      await cache.delete(request);
      await cache.put(request, response.clone());
      await pruneHistory(cache);
    }
    return response;
  } catch (err) {
    const cached = await cache.match(request, { ignoreVary: true });
    if (!cached) throw err;
    return marked(cached, 'X-Mu-Offline');
  }
}

// The home's boards by id (?ids=…): a new URL whenever the user's list changes; the last few
// are kept (offline reloads use the newest), older ones are dropped.
const MAX_ID_LISTS = 6;
async function pruneIdLists(cache) {
  const lists = (await cache.keys()).filter((r) => {
    const u = new URL(r.url);
    return u.pathname === '/api/v1/boards' && u.searchParams.has('ids');
  });
  await Promise.all(lists.slice(0, Math.max(0, lists.length - MAX_ID_LISTS)).map((r) => cache.delete(r)));
}

function marked(cached, header) {
  const headers = new Headers(cached.headers);
  headers.set(header, '1');
  return new Response(cached.body, { status: 200, statusText: 'OK', headers });
}

async function apiNetworkFirst(event) {
  const request = event.request;
  const cache = await caches.open(API_CACHE);
  const fromNetwork = fetch(request).then(async (response) => {
    if (response.ok) {
      await cache.put(request, response.clone());
      if (new URL(request.url).searchParams.has('ids')) await pruneIdLists(cache);
    }
    return response;
  });
  event.waitUntil(fromNetwork.catch(() => undefined));
  let timer;
  const slow = new Promise((resolve) => {
    timer = setTimeout(resolve, API_TIMEOUT_MS, 'slow');
  });
  try {
    const first = await Promise.race([fromNetwork, slow]);
    if (first !== 'slow') return first;
    const cached = await cache.match(request, { ignoreVary: true });
    return cached ? marked(cached, 'X-Mu-Stale') : await fromNetwork;
  } catch (err) {
    const cached = await cache.match(request, { ignoreVary: true });
    if (!cached) throw err;
    return marked(cached, 'X-Mu-Offline');
  } finally {
    clearTimeout(timer);
  }
}

async function shellCacheFirst(request) {
  const cache = await caches.open(SHELL_CACHE);
  const hit = await cache.match(request);
  if (hit) return hit;
  const response = await fetch(request);
  if (response.ok) await cache.put(request, response.clone());
  return response;
}

async function navigate(request) {
  const cache = await caches.open(SHELL_CACHE);
  const fromNetwork = fetch(request).then((response) => {
    if (response.ok) cache.put('./', response.clone());
    return response;
  });
  const deadline = new Promise((resolve) => setTimeout(resolve, NAV_TIMEOUT_MS, null));
  try {
    const response = await Promise.race([fromNetwork, deadline]);
    if (response) return response;
  } catch {
    // offline: fall through to the cached shell
  }
  const cached = await cache.match('./');
  return cached || fromNetwork;
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (isEvents(url) || isPrivate(url) || isCatalogueSearch(url) || isHistorySearch(url)) return;
  if (isHistory(url)) {
    event.respondWith(historyNetworkFirst(request));
    return;
  }
  if (isApi(url)) {
    event.respondWith(apiNetworkFirst(event));
    return;
  }
  if (url.origin !== self.location.origin) return;
  if (request.mode === 'navigate') {
    // Only the app's own page is the shell (it routes by #hash): a navigation to a feed,
    // /healthz or /metrics is the server's answer, never cached as the shell.
    const scope = new URL(self.registration.scope).pathname;
    if (url.pathname === scope || url.pathname === `${scope}index.html`) event.respondWith(navigate(request));
    return;
  }
  const path = url.pathname.replace(/^\//, '');
  if (path.startsWith('assets/') || PRECACHE.includes(path)) {
    event.respondWith(shellCacheFirst(request));
  }
});

// The page sends the API URLs it loaded before this worker controlled it, so that the very
// first visit is available offline too.
self.addEventListener('message', (event) => {
  const data = event.data;
  if (!data || data.type !== 'mu-warm' || !Array.isArray(data.urls)) return;
  event.waitUntil(
    caches.open(API_CACHE).then((cache) =>
      Promise.all(
        data.urls
          .filter((u) => typeof u === 'string')
          .map((u) => {
            const url = new URL(u, self.location.href);
            if (!isApi(url) || isEvents(url) || isPrivate(url) || isCatalogueSearch(url) || isHistorySearch(url) || isHistory(url)) return undefined;
            return fetch(url.href)
              .then((r) => (r.ok ? cache.put(url.href, r) : undefined))
              .catch(() => undefined);
          }),
      ),
    ),
  );
});
