// Relative times ("3 分钟前" / "3 min ago") against a clock that ticks every 20 s, so every
// freshness label on the page re-renders together without per-card timers.
import { ref } from 'vue';
import { t } from './i18n';

export const now = ref(Date.now());
setInterval(() => {
  now.value = Date.now();
}, 20_000);

export function parseTime(iso: string | null | undefined): number | undefined {
  if (!iso) return undefined;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? undefined : ms;
}

export function relativeTime(iso: string | null | undefined, at: number = now.value): string {
  const ms = parseTime(iso);
  if (ms === undefined) return '';
  return agoText(Math.round((at - ms) / 1000));
}

/** "12 分钟前" / "12 min ago" for an age in seconds. */
export function agoText(seconds: number): string {
  if (seconds < 60) return seconds < -60 ? t('in_future') : t('just_now');
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return t('minutes_ago', { n: minutes });
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return t('hours_ago', { n: hours });
  return t('days_ago', { n: Math.floor(hours / 24) });
}

const pad = (n: number) => String(n).padStart(2, '0');

/**
 * "2026-12-07 13:05:01" in the reader's time zone (titles of times on cards and rows). Built
 * from the Date's fields, not Intl: the first Intl formatter of a page loads locale data, tens
 * of milliseconds on a phone in the middle of the first render.
 */
export function absoluteTime(iso: string | null | undefined): string {
  const ms = parseTime(iso);
  if (ms === undefined) return '';
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export function isOverdue(dueBy: string | null | undefined, at: number = now.value): boolean {
  const ms = parseTime(dueBy);
  return ms !== undefined && at > ms;
}

/** "15:05" or "1:02:03" from seconds. */
export function formatDuration(totalSeconds: number): string {
  const s = Math.max(0, Math.floor(totalSeconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

export function formatInterval(seconds: number): string {
  return seconds >= 3600 && seconds % 3600 === 0
    ? t('hours', { n: seconds / 3600 })
    : t('minutes', { n: Math.max(1, Math.round(seconds / 60)) });
}
