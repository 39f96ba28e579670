// Types and fetch helpers for the history routes of Mu's API (docs/api.md, "History"):
// full-text search, one item's points, a board at an instant or on a day, the day's top.
// Only the pages that show history import this module, so it stays out of the first load.
import { getJson, type Fetched } from './api';
import { localName, t } from './i18n';
import { boardById, siteById } from './store';

/** An item as the history routes describe it. */
export interface HistItem {
  board: string;
  site: string;
  key: string;
  title: string;
  url: string;
  summary: string;
  first_seen: string;
  last_seen: string;
  best_rank: number;
  current_rank: number;
  peak_hot: number | null;
  on_board_seconds: number;
}

export interface SearchHit extends HistItem {
  /** [start, end) ranges of `title` in code points. */
  highlights: [number, number][];
}

export interface Facet {
  id: string;
  count: number;
}

export interface SearchAnswer {
  query: string;
  sort: 'newest' | 'rank';
  total: number;
  /** false past 5,000 matches: `total` is a lower bound. */
  total_exact?: boolean;
  items: SearchHit[];
  next_cursor: string | null;
  facets?: { sites: Facet[]; boards: Facet[] };
}

export interface SearchParams {
  q: string;
  board?: string;
  site?: string;
  from?: string;
  to?: string;
  sort?: 'newest' | 'rank';
  limit?: number;
  cursor?: string;
  facets?: boolean;
}

export interface Point {
  at: string;
  rank: number;
  hot: number | null;
}

export interface ItemAnswer {
  item: HistItem;
  points: Point[];
  related: HistItem[];
}

export interface BoardAt {
  board: string;
  at: string;
  as_of: string;
  items: (HistItem & { rank: number; hot: number | null })[];
}

export interface BoardDay {
  board: string;
  date: string;
  tz: string;
  from: string;
  to: string;
  items: (HistItem & { peak_rank: number; day_peak_hot: number | null; day_seconds: number; entered: string; left: string | null })[];
}

export interface Appearance {
  board: string;
  site: string;
  key: string;
  title: string;
  peak_rank: number;
  day_seconds: number;
  score: number;
}

export interface TopStory {
  title: string;
  url: string;
  score: number;
  site_count: number;
  appearances: Appearance[];
}

export interface TopAnswer {
  date: string;
  tz: string;
  from: string;
  to: string;
  score: string;
  items: TopStory[];
}

function qs(params: Record<string, string | number | undefined>): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === '') continue;
    parts.push(`${k}=${encodeURIComponent(String(v))}`);
  }
  return parts.length ? `?${parts.join('&')}` : '';
}

export function searchHistory(p: SearchParams): Promise<Fetched<SearchAnswer>> {
  return getJson(
    `/api/v1/search${qs({
      q: p.q,
      board: p.board,
      site: p.site,
      from: p.from,
      to: p.to,
      sort: p.sort,
      limit: p.limit,
      cursor: p.cursor,
      facets: p.facets === false ? 0 : undefined,
    })}`,
  );
}

export function getItemHistory(board: string, key: string): Promise<Fetched<ItemAnswer>> {
  return getJson(`/api/v1/items/${encodeURIComponent(board)}/${encodeURIComponent(key)}`);
}

export function getBoardAt(board: string, at: string): Promise<Fetched<BoardAt>> {
  return getJson(`/api/v1/boards/${encodeURIComponent(board)}/history${qs({ at })}`);
}

export function getBoardDay(board: string, date: string, tz?: string): Promise<Fetched<BoardDay>> {
  return getJson(`/api/v1/boards/${encodeURIComponent(board)}/history${qs({ date, tz })}`);
}

export function getTop(date?: string, tz?: string, limit?: number): Promise<Fetched<TopAnswer>> {
  return getJson(`/api/v1/top${qs({ date, tz, limit })}`);
}

/** The browser's IANA zone, when it has one. */
export function localZone(): string | undefined {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || undefined;
  } catch {
    return undefined;
  }
}

/** "YYYY-MM-DD" of `ms` in the browser's zone. */
export function localDate(ms: number = Date.now()): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

/** `title` split at `ranges` ([start, end) in code points, any order, maybe overlapping). */
export function splitHighlights(title: string, ranges: readonly (readonly [number, number])[] | undefined): { text: string; mark: boolean }[] {
  const chars = Array.from(title);
  const marked = new Array<boolean>(chars.length).fill(false);
  for (const r of ranges ?? []) {
    if (!Array.isArray(r)) continue;
    const a = Math.max(0, Math.floor(Number(r[0])));
    const b = Math.min(chars.length, Math.floor(Number(r[1])));
    for (let i = a; i < b; i++) marked[i] = true;
  }
  const out: { text: string; mark: boolean }[] = [];
  for (let i = 0; i < chars.length; i++) {
    const last = out[out.length - 1];
    if (last && last.mark === marked[i]) last.text += chars[i];
    else out.push({ text: chars[i], mark: marked[i] });
  }
  return out;
}

/** "3 小时 12 分" / "3 h 12 min" for a span in seconds. */
export function spanText(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? t('dur_hm', { h, m }) : t('dur_m', { m: Math.max(s > 0 ? 1 : 0, m) });
}

/** "2026-12-06 14:05" in the browser's zone. */
export function shortTime(iso: string | null | undefined): string {
  if (!iso) return '';
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return '';
  const d = new Date(ms);
  return `${localDate(ms)} ${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

/** "微博 · 热搜榜" for a board (its id when the catalogue does not know it). */
export function boardLabel(board: string, site?: string): string {
  const b = boardById.value.get(board);
  const s = siteById.value.get(b?.site ?? site ?? '');
  if (!b) return s ? `${localName(s)} · ${board}` : board;
  return `${localName(s) || b.site} · ${localName(b)}`;
}

export function siteLabel(site: string): string {
  return localName(siteById.value.get(site)) || site;
}
