// A tiny hash router: #/ (all boards), #/following, #/c/<category>, #/site/<id>[/<board>], #/board/<id>,
// #/boards (the board directory), #/status (the sources' status), #/settings, #/favorites (saved items),
// #/alerts (the signed-in user's alerts),
// #/admin[/<section>[/<id>]], and history: #/search?q=&site=&board=&from=&to=&sort=,
// #/item/<board>/<key>, #/top?date=, #/board/<id>?at= or ?date=. Hash routes work from any
// static host and from the service worker's cache. The paths /favorites, /alerts and /admin (links
// from elsewhere; Mu serves the app for them) become the same hash routes.
import { ref } from 'vue';

export type Route =
  | { name: 'home'; tab: 'all' | 'following' }
  | { name: 'home'; tab: 'site'; site: string; board?: string }
  | { name: 'home'; tab: 'category'; category: string }
  | { name: 'board'; id: string; at?: string; date?: string }
  | { name: 'search'; q: string; site?: string; board?: string; from?: string; to?: string; sort?: 'newest' | 'rank' }
  | { name: 'item'; board: string; key: string }
  | { name: 'top'; date?: string }
  | { name: 'boards' }
  | { name: 'status' }
  | { name: 'settings' }
  | { name: 'favorites' }
  | { name: 'alerts' }
  | { name: 'admin'; section: string; id?: string };

export function parseHash(hash: string): Route {
  const raw = hash.replace(/^#\/?/, '');
  const qi = raw.indexOf('?');
  const query = new URLSearchParams(qi >= 0 ? raw.slice(qi + 1) : '');
  const opt = (name: string) => query.get(name) || undefined;
  const parts = (qi >= 0 ? raw.slice(0, qi) : raw)
    .split('/')
    .filter((p) => p !== '')
    .map((p) => {
      try {
        return decodeURIComponent(p);
      } catch {
        return p;
      }
    });
  if (parts[0] === 'board' && parts[1]) {
    const at = opt('at');
    const date = opt('date');
    return at ? { name: 'board', id: parts[1], at } : date ? { name: 'board', id: parts[1], date } : { name: 'board', id: parts[1] };
  }
  if (parts[0] === 'search') {
    const sort = opt('sort');
    return {
      name: 'search',
      q: query.get('q') ?? '',
      site: opt('site'),
      board: opt('board'),
      from: opt('from'),
      to: opt('to'),
      sort: sort === 'rank' || sort === 'newest' ? sort : undefined,
    };
  }
  if (parts[0] === 'item' && parts[1] && parts.length >= 3) return { name: 'item', board: parts[1], key: parts.slice(2).join('/') };
  if (parts[0] === 'top') return { name: 'top', date: opt('date') };
  if (parts[0] === 'boards') return { name: 'boards' };
  if (parts[0] === 'status') return { name: 'status' };
  if (parts[0] === 'settings') return { name: 'settings' };
  if (parts[0] === 'favorites') return { name: 'favorites' };
  if (parts[0] === 'alerts') return { name: 'alerts' };
  if (parts[0] === 'admin') return parts[2] ? { name: 'admin', section: parts[1] ?? '', id: parts[2] } : { name: 'admin', section: parts[1] ?? '' };
  if (parts[0] === 'following') return { name: 'home', tab: 'following' };
  if (parts[0] === 'c' && parts[1]) return { name: 'home', tab: 'category', category: parts[1] };
  if (parts[0] === 'site' && parts[1]) return { name: 'home', tab: 'site', site: parts[1], board: parts[2] };
  return { name: 'home', tab: 'all' };
}

/** "/admin", "/favorites" or "/alerts" (no hash) → the hash route, keeping the address bar tidy. */
function pathAlias(): void {
  const path = typeof location.pathname === 'string' ? location.pathname : '';
  const m = /^\/(admin|favorites|alerts)\/?$/.exec(path);
  if (m && !location.hash && typeof history !== 'undefined') history.replaceState(null, '', `/#/${m[1]}`);
}
pathAlias();

export const route = ref<Route>(parseHash(location.hash));

window.addEventListener('hashchange', () => {
  route.value = parseHash(location.hash);
});

export function href(...parts: string[]): string {
  return '#/' + parts.map(encodeURIComponent).join('/');
}

export function go(hash: string): void {
  if (location.hash !== hash) location.hash = hash;
}

/** "#/path?k=v&…" with the empty values left out. */
export function withQuery(path: string, params: Record<string, string | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) q.set(k, v);
  const text = q.toString();
  return text ? `${path}?${text}` : path;
}

/** The item page of a board's item. */
export function itemHash(board: string, key: string): string {
  return `#/item/${encodeURIComponent(board)}/${encodeURIComponent(key)}`;
}
