// How a board's card is drawn, from what its items carry: video boards (a duration in
// extra), rich boards (most items have an image and a summary), plain ranked text otherwise.
import type { Item } from './api';

export type CardKind = 'text' | 'rich' | 'video';

export function durationSeconds(item: Item): number | undefined {
  const raw = item.extra?.duration_s ?? item.extra?.duration;
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' ? Number(raw) : NaN;
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

export function cardKind(items: readonly Item[]): CardKind {
  if (items.length === 0) return 'text';
  const sample = items.slice(0, 10);
  if (sample.filter((it) => durationSeconds(it) !== undefined).length * 2 >= sample.length) return 'video';
  if (sample.filter((it) => it.image && it.summary).length * 2 >= sample.length) return 'rich';
  return 'text';
}

/** How many items a card shows for its kind and density (the card height is fixed). */
export function cardRows(kind: CardKind, compact: boolean): number {
  if (kind === 'text') return compact ? 11 : 10;
  return 4;
}

/** The class of a label badge: 爆/沸 (hot), 热, 新, else neutral. */
export function labelClass(label: string): string {
  if (/^(爆|沸)$/.test(label)) return 'lb-boom';
  if (/^热$|hot/i.test(label)) return 'lb-hot';
  if (/^新$|^new$|首发/i.test(label)) return 'lb-new';
  return 'lb-other';
}
