// Types and fetch helpers for Mu's HTTP API (docs/api.md). Every request goes to API_BASE,
// set at build time with VITE_API_BASE ("" = same origin as the page).

export const API_BASE: string = (import.meta.env.VITE_API_BASE ?? '').replace(/\/+$/, '');

export interface Site {
  id: string;
  name: string;
  name_en: string;
  home: string;
  icon?: string;
  color?: string;
  region?: string;
  /** One of the server's categories (general, tech, …): the home page's tab of the site. */
  category?: string;
  boards?: string[];
  /** Number of boards of the site (servers since the large-catalogue API). */
  board_count?: number;
}

export interface BoardError {
  code: string;
  message: string;
  at?: string;
}

export interface BoardMeta {
  id: string;
  site: string;
  name: string;
  name_en: string;
  kind: 'rank' | 'stream' | string;
  /** The board's category (its own, else its site's). */
  category?: string;
  group?: string;
  homepage?: string;
  every_seconds?: number;
  enabled?: boolean;
  version: number;
  item_count?: number;
  fetched_at: string | null;
  last_run_at?: string | null;
  stale: boolean;
  error: BoardError | null;
  recent_runs?: number;
  recent_ok?: number;
  success_rate?: number | null;
  due_by?: string | null;
}

export interface Item {
  rank: number;
  key: string;
  title: string;
  url: string;
  mobile_url?: string;
  summary?: string;
  image?: string;
  hot?: number;
  hot_text?: string;
  label?: string;
  author?: string;
  published_at?: string;
  extra?: Record<string, unknown>;
  rank_change: number | null;
  new: boolean;
  first_seen_at?: string;
  best_rank?: number;
}

export interface BoardBody extends Omit<BoardMeta, 'site'> {
  site: Site;
  items: Item[];
}

export interface Fetched<T> {
  data: T;
  /** true when the service worker answered from its cache because the network failed. */
  offline: boolean;
  /** true when the service worker answered from its cache because the network was slow. */
  stale: boolean;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** fetch() itself failed: no answer at all (offline, server unreachable, DNS, CORS). */
export class NetworkError extends Error {}

/** fetch() that reports "no answer at all" as a NetworkError, whatever the browser calls it. */
export async function apiFetch(url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') throw err;
    throw new NetworkError(err instanceof Error ? err.message : String(err));
  }
}

/**
 * A failed request as the page keeps it: whether the server could not be reached at all, and
 * the message otherwise (the server's, or the status line). The page words it when it renders
 * (i18n's failureText), so it follows a language switch.
 */
export interface Failure {
  network: boolean;
  message: string;
}

export function failure(err: unknown): Failure {
  return { network: err instanceof NetworkError, message: err instanceof Error ? err.message : String(err) };
}

/** URLs fetched before a service worker controlled the page: they bypassed its cache. */
const unseenBySw = new Set<string>();

function controller(): ServiceWorker | null {
  return 'serviceWorker' in navigator ? navigator.serviceWorker.controller : null;
}

/** Hands the URLs the service worker has not seen to it, so it keeps them for offline use. */
export function warmServiceWorker(): void {
  const sw = controller();
  if (!sw || unseenBySw.size === 0) return;
  sw.postMessage({ type: 'mu-warm', urls: [...unseenBySw] });
  unseenBySw.clear();
}

export function apiUrl(path: string): string {
  return `${API_BASE}${path}`;
}

/** `revalidate`: ask the server (ETag → 304) instead of a possibly stale HTTP cache entry. */
export async function getJson<T>(path: string, revalidate = false): Promise<Fetched<T>> {
  const url = apiUrl(path);
  const viaSw = controller() !== null;
  const response = await apiFetch(url, {
    headers: { Accept: 'application/json' },
    cache: revalidate ? 'no-cache' : 'default',
  });
  if (!response.ok) {
    let message = `HTTP ${response.status}`;
    try {
      const body = (await response.json()) as { error?: { message?: string } };
      if (body.error?.message) message = body.error.message;
    } catch {
      // not JSON: keep the status line
    }
    throw new ApiError(response.status, message);
  }
  const data = (await response.json()) as T;
  if (!viaSw) {
    unseenBySw.add(new URL(url, location.href).href);
    warmServiceWorker();
  }
  return {
    data,
    offline: response.headers.get('X-Mu-Offline') === '1',
    stale: response.headers.get('X-Mu-Stale') === '1',
  };
}

/** A tab of the home page: one of the categories sources declare (综合, 科技, …). */
export interface Category {
  id: string;
  name: string;
  name_en: string;
}

export function getSites(): Promise<Fetched<{ sites: Site[]; categories?: Category[] }>> {
  return getJson('/api/v1/sites');
}

/** Filters of GET /api/v1/boards (docs/api.md); all optional and combinable. */
export interface BoardQuery {
  site?: readonly string[];
  kind?: 'rank' | 'stream';
  q?: string;
  /** At most 1000 ids; unknown ids are skipped by the server. */
  ids?: readonly string[];
  limit?: number;
  offset?: number;
}

export interface BoardList {
  boards: BoardMeta[];
  /** Matching boards before paging (absent from servers before the large-catalogue API). */
  total?: number;
}

/** The query string for `query` ("" when there is no filter: the whole catalogue). */
export function boardQueryString(query: BoardQuery = {}): string {
  const p: string[] = [];
  if (query.site?.length) p.push(`site=${query.site.map(encodeURIComponent).join(',')}`);
  if (query.kind) p.push(`kind=${query.kind}`);
  if (query.q) p.push(`q=${encodeURIComponent(query.q)}`);
  if (query.ids) p.push(`ids=${query.ids.map(encodeURIComponent).join(',')}`);
  if (query.limit !== undefined) p.push(`limit=${query.limit}`);
  if (query.offset) p.push(`offset=${query.offset}`);
  return p.length ? `?${p.join('&')}` : '';
}

export function getBoards(revalidate = false, query?: BoardQuery): Promise<Fetched<BoardList>> {
  return getJson(`/api/v1/boards${boardQueryString(query)}`, revalidate);
}

export function getBoard(id: string, revalidate = false): Promise<Fetched<BoardBody>> {
  return getJson(`/api/v1/boards/${encodeURIComponent(id)}`, revalidate);
}

/** A board's standing in GET /api/v1/health/boards (docs/api.md). */
export type Standing = 'ok' | 'failing' | 'stale' | 'disabled' | 'never';

export interface HealthBoard {
  board: string;
  site: string;
  name: string;
  name_en: string;
  /** One of Standing from today's servers; anything else is shown as sent. */
  status: string;
  enabled: boolean;
  every_seconds: number | null;
  fetched_at: string | null;
  last_run_at: string | null;
  data_age_seconds: number | null;
  items: number;
  /** Share of the newest 20 runs that succeeded, 0..1; null before the first run. */
  success_rate: number | null;
  /** The last run's failure, while the board is failing or stale. */
  error: { class: string; code: string; message: string; hint: string } | null;
  /** Runs and the share that succeeded over the last day and week; null until the server read them. */
  runs_24h?: number | null;
  success_rate_24h?: number | null;
  runs_7d?: number | null;
  success_rate_7d?: number | null;
  /** [runs, good runs] per trend_bucket_hours over the week, oldest first. */
  trend?: [number, number][] | null;
}

export interface HealthBody {
  generated_at: string;
  trend_since?: string | null;
  trend_bucket_hours?: number;
  summary: Partial<Record<Standing, number>>;
  boards: HealthBoard[];
}

export function getHealth(revalidate = false): Promise<Fetched<HealthBody>> {
  return getJson('/api/v1/health/boards', revalidate);
}
