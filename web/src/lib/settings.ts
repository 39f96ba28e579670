// User settings, kept in localStorage under "mu.settings" and shared across tabs.
// The stored document carries a schema `version`, an `updated_at` and one timestamp per field
// (`field_updated_at`) so that a later "sync to account" can merge a local and a remote copy
// field by field with mergeSettings() (the newer write of each field wins).
import { reactive, watch } from 'vue';

export type Theme = 'light' | 'dark' | 'auto';
export type Density = 'comfortable' | 'compact';
export type LangSetting = 'auto' | 'zh-CN' | 'en';

export interface SettingsValues {
  theme: Theme;
  lang: LangSetting;
  density: Density;
  newTab: boolean;
  /** Board ids in the user's order; boards not listed follow in catalogue order. */
  order: string[];
  /** Board ids the user chose not to show on the home page. */
  hidden: string[];
  /** Followed boards (the 关注 tab); synced with the account's preferences when signed in. */
  favorites: string[];
}

export type SettingsKey = keyof SettingsValues;

export interface SettingsDoc extends SettingsValues {
  version: number;
  updated_at: string;
  field_updated_at: Partial<Record<SettingsKey, string>>;
}

export const SETTINGS_VERSION = 1;
export const STORAGE_KEY = 'mu.settings';
const EPOCH = new Date(0).toISOString();

export function defaultSettings(): SettingsDoc {
  return {
    version: SETTINGS_VERSION,
    updated_at: EPOCH,
    field_updated_at: {},
    theme: 'auto',
    lang: 'auto',
    density: 'comfortable',
    newTab: true,
    order: [],
    hidden: [],
    favorites: [],
  };
}

/** Every synced field, in a fixed order. */
export const SETTINGS_KEYS: readonly SettingsKey[] = ['theme', 'lang', 'density', 'newTab', 'order', 'hidden', 'favorites'];
const KEYS = SETTINGS_KEYS;

function isStringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'string');
}

const validators: Record<SettingsKey, (v: unknown) => boolean> = {
  theme: (v) => v === 'light' || v === 'dark' || v === 'auto',
  lang: (v) => v === 'auto' || v === 'zh-CN' || v === 'en',
  density: (v) => v === 'comfortable' || v === 'compact',
  newTab: (v) => typeof v === 'boolean',
  order: isStringArray,
  hidden: isStringArray,
  favorites: isStringArray,
};

/** Reads any stored shape (older versions, hand-edited, foreign) into a valid document. */
export function normalizeSettings(raw: unknown): SettingsDoc {
  const doc = defaultSettings();
  if (!raw || typeof raw !== 'object') return doc;
  const r = raw as Record<string, unknown>;
  const target = doc as unknown as Record<string, unknown>;
  for (const key of KEYS) {
    if (validators[key](r[key])) target[key] = r[key];
  }
  if (typeof r.updated_at === 'string') doc.updated_at = r.updated_at;
  if (r.field_updated_at && typeof r.field_updated_at === 'object') {
    for (const key of KEYS) {
      const v = (r.field_updated_at as Record<string, unknown>)[key];
      if (typeof v === 'string') doc.field_updated_at[key] = v;
    }
  }
  return doc;
}

/** Field-by-field merge of two copies (e.g. this browser and an account): newer field wins. */
export function mergeSettings(a: SettingsDoc, b: SettingsDoc): SettingsDoc {
  const out = defaultSettings();
  const target = out as unknown as Record<string, unknown>;
  for (const key of KEYS) {
    const ta = a.field_updated_at[key] ?? EPOCH;
    const tb = b.field_updated_at[key] ?? EPOCH;
    // Same moment on both sides: the larger value wins, so both sides pick the same one.
    const bWins = tb > ta || (tb === ta && JSON.stringify(b[key]) > JSON.stringify(a[key]));
    const winner = bWins ? b : a;
    target[key] = structuredClone(winner[key]);
    const stamp = tb > ta ? tb : ta;
    if (stamp !== EPOCH) out.field_updated_at[key] = stamp;
  }
  out.updated_at = a.updated_at > b.updated_at ? a.updated_at : b.updated_at;
  return out;
}

function load(): SettingsDoc {
  try {
    const text = localStorage.getItem(STORAGE_KEY);
    return normalizeSettings(text ? JSON.parse(text) : null);
  } catch {
    return defaultSettings();
  }
}

export const settings = reactive<SettingsDoc>(load());

let applyingExternal = false;

/** Changes one setting and stamps it. */
export function setSetting<K extends SettingsKey>(key: K, value: SettingsValues[K]): void {
  const now = new Date().toISOString();
  (settings as SettingsValues)[key] = value;
  settings.field_updated_at[key] = now;
  settings.updated_at = now;
}

function save(): void {
  if (applyingExternal) return;
  try {
    localStorage.setItem(STORAGE_KEY, JSON.stringify(settings));
  } catch {
    // storage full or disabled: settings live for this page only
  }
}

// Synchronous so that a change applied from another tab is not written back.
watch(settings, save, { deep: true, flush: 'sync' });

// Another tab changed the settings: take them.
window.addEventListener('storage', (event) => {
  if (event.key !== STORAGE_KEY || !event.newValue) return;
  try {
    const next = normalizeSettings(JSON.parse(event.newValue));
    applyingExternal = true;
    Object.assign(settings, next);
  } catch {
    // ignore a malformed value
  } finally {
    applyingExternal = false;
  }
});

/**
 * The boards a reader who arranged nothing sees first, the biggest first: 微博, 知乎, 百度, 抖音,
 * 头条, B站. The rest follow by category (store.catalogueIds: 综合, 科技, 财经, …).
 */
export const DEFAULT_FIRST: readonly string[] = [
  'weibo.hot-search',
  'zhihu.hot',
  'baidu.realtime',
  'douyin.hot',
  'toutiao.hot',
  'bilibili.popular',
  'bilibili.hot-search',
];

/**
 * All known board ids in the user's order (unknown ids in `order` are ignored); boards the
 * order does not name follow, DEFAULT_FIRST ones first, then in `catalogue`'s order.
 */
export function orderBoards(catalogue: readonly string[], order: readonly string[]): string[] {
  const known = new Set(catalogue);
  const seen = new Set<string>();
  const out: string[] = [];
  for (const list of [order, DEFAULT_FIRST, catalogue]) {
    for (const id of list) {
      if (known.has(id) && !seen.has(id)) {
        out.push(id);
        seen.add(id);
      }
    }
  }
  return out;
}

/**
 * `full` (every board the home may show, hidden ones included) with the boards of `shown`
 * put in that sequence: the slots the shown boards held are refilled in the new order, the
 * others (hidden, disabled) keep theirs. Used when cards are moved on the home page, where
 * only the shown boards can be seen. Ids of `shown` missing from `full` are appended.
 */
export function arrangeShown(full: readonly string[], shown: readonly string[]): string[] {
  const inFull = new Set(full);
  const slotted = shown.filter((id) => inFull.has(id));
  const mine = new Set(slotted);
  const out: string[] = [];
  let k = 0;
  for (const id of full) out.push(mine.has(id) ? slotted[k++] : id);
  for (const id of shown) if (!inFull.has(id)) out.push(id);
  return out;
}

/** `list` with the element at `from` moved to index `to` (clamped); a `from` out of range changes nothing. */
export function moveInList<T>(list: readonly T[], from: number, to: number): T[] {
  const out = list.slice();
  if (from < 0 || from >= out.length) return out;
  const [x] = out.splice(from, 1);
  out.splice(Math.max(0, Math.min(to, out.length)), 0, x);
  return out;
}

/** The theme the header's toggle switches to: light → dark → auto → light. */
export function nextTheme(theme: Theme): Theme {
  return theme === 'light' ? 'dark' : theme === 'dark' ? 'auto' : 'light';
}

export function toggleFavorite(id: string): void {
  const favs = settings.favorites.includes(id)
    ? settings.favorites.filter((x) => x !== id)
    : [...settings.favorites, id];
  setSetting('favorites', favs);
}

/** Replaces the whole document (a merge with the account's copy); keeps the same object. */
export function setSettingsDoc(doc: SettingsDoc): void {
  Object.assign(settings, doc);
}
