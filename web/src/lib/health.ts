// The status page's pure logic over GET /api/v1/health/boards: the order of the standings
// (worst first), grouping boards by standing, and a board's data age and success rate in
// words. No fetching and no DOM; the wording follows the UI language through t().
import type { HealthBoard, Standing } from './api';
import { t, tables, locale, type MessageKey } from './i18n';
import { agoText, formatInterval } from './time';

/** Worst first: what a reader (or an operator) should look at comes first. */
export const STANDINGS: readonly Standing[] = ['stale', 'failing', 'never', 'ok', 'disabled'];

/** The standing's rank in STANDINGS; a standing this page does not know sorts after them. */
export function standingRank(status: string): number {
  const i = STANDINGS.indexOf(status as Standing);
  return i < 0 ? STANDINGS.length : i;
}

export interface StandingGroup {
  status: string;
  boards: HealthBoard[];
}

/**
 * Boards grouped by standing, worst group first, without empty groups. Within a group the
 * oldest data comes first (never fetched counts as oldest), then by board id, so the order
 * does not move between refreshes of an unchanged catalogue.
 */
export function groupByStanding(boards: readonly HealthBoard[]): StandingGroup[] {
  const groups = new Map<string, HealthBoard[]>();
  for (const b of boards) {
    const list = groups.get(b.status);
    if (list) list.push(b);
    else groups.set(b.status, [b]);
  }
  const age = (b: HealthBoard) => b.data_age_seconds ?? Number.POSITIVE_INFINITY;
  return [...groups.entries()]
    .sort(([a], [b]) => standingRank(a) - standingRank(b) || a.localeCompare(b))
    .map(([status, list]) => ({
      status,
      boards: list.sort((a, b) => age(b) - age(a) || a.board.localeCompare(b.board)),
    }));
}

/** "过期" / "Stale"; a standing this page does not know is shown as sent. */
export function standingLabel(status: string): string {
  return STANDINGS.includes(status as Standing) ? t(`status_${status}` as MessageKey) : status;
}

/** The failure class in words ("needs-cookie" → "需要登录 Cookie" / "Needs a cookie"); unknown ones as sent. */
export function failureClassLabel(cls: string): string {
  const key = `class_${cls.replace(/-/g, '_')}`;
  return key in tables[locale.value] ? t(key as MessageKey) : cls;
}

/**
 * "12 分钟前 · 每 5 分钟 更新" / "12 min ago · every 5 min": the data's age against the board's
 * interval. `elapsed` is how many seconds passed since the server measured the age.
 */
export function ageText(b: Pick<HealthBoard, 'data_age_seconds' | 'every_seconds'>, elapsed = 0): string {
  const parts = [b.data_age_seconds === null ? t('never_fetched') : agoText(b.data_age_seconds + Math.max(0, elapsed))];
  if (b.every_seconds) parts.push(t('every', { t: formatInterval(b.every_seconds) }));
  return parts.join(' · ');
}

/** One bar of a board's week: its height is the share of good runs, empty without runs. */
export interface TrendBar {
  x: number;
  height: number;
  /** 'good' (all runs succeeded), 'mixed', 'bad' (none did) or 'none' (no run). */
  tone: 'good' | 'mixed' | 'bad' | 'none';
}

/** The week's buckets as bars of a sparkline `height` px tall, oldest on the left. */
export function trendBars(trend: readonly (readonly [number, number])[], height = 16): TrendBar[] {
  return trend.map(([runs, ok], i) => {
    if (runs <= 0) return { x: i, height: 1, tone: 'none' };
    const share = Math.min(1, Math.max(0, ok / runs));
    return { x: i, height: Math.max(2, Math.round(share * height)), tone: share === 1 ? 'good' : share === 0 ? 'bad' : 'mixed' };
  });
}

/** "85%"; "" before the first run. */
export function percent(rate: number | null): string {
  return typeof rate === 'number' && Number.isFinite(rate) ? `${Math.round(rate * 100)}%` : '';
}
