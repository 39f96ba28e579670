// Accounts on the client: who is signed in (GET /api/v1/me), which sign-in providers the
// server offers, signing out, the marks of saved items per board, and keeping the settings
// in sync with the account's preferences. Nothing here blocks the first render: App starts
// it after mounting, and the page works the same signed out (or against a server without
// accounts, where these routes answer 404).
//
// The session is an HttpOnly cookie the page never sees; every mutating request carries the
// session's CSRF token (X-CSRF-Token) from /api/v1/me.
import { ref, shallowReactive, watch } from 'vue';
import { API_BASE, ApiError, NetworkError, apiFetch, apiUrl } from './api';
import { normalizeSettings, setSettingsDoc, settings } from './settings';
import { reconcile, sameSettings, settingsBody } from './sync';
import type { SettingsDoc } from './settings';
import { t, type MessageKey } from './i18n';

export interface Me {
  id?: number;
  provider?: string;
  login: string;
  name: string;
  avatar_url: string;
  role: string;
  csrf_token: string;
}

export interface Providers {
  github: boolean;
  local_admin: boolean;
}

export interface Favorite {
  board: string;
  item_key: string;
  title: string;
  url: string;
  added_ms: number;
}

/** An API error with the decoded JSON body (a 409 carries the current document). */
export class RequestError extends ApiError {
  constructor(
    status: number,
    message: string,
    readonly body: unknown,
  ) {
    super(status, message);
  }
}

export type AccountState = 'unknown' | 'signed-out' | 'signed-in';

export const me = ref<Me | null>(null);
/** 'unknown' until /api/v1/me answered (or failed). */
export const accountState = ref<AccountState>('unknown');
export const providers = ref<Providers>({ github: false, local_admin: false });
/** A message for the page's toast (a failed save, sign-out or sync): which, and the detail. */
export const accountNotice = ref<{ key: MessageKey; detail: string } | null>(null);

const crossOrigin = (() => {
  if (!API_BASE) return false;
  try {
    return new URL(API_BASE, location.href).origin !== location.origin;
  } catch {
    return false;
  }
})();

/** fetch with the session cookie, the CSRF token on mutations, JSON in and out. */
export async function request<T>(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (method !== 'GET' && me.value) headers['X-CSRF-Token'] = me.value.csrf_token;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await apiFetch(apiUrl(path), {
    method,
    headers,
    credentials: crossOrigin ? 'include' : 'same-origin',
    cache: 'no-store',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let data: unknown = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!response.ok) {
    const message = (data as { error?: { message?: unknown } } | null)?.error?.message;
    // The session ended (expired, signed out in another tab): show the signed-out page.
    if (response.status === 401 && me.value && path !== '/api/v1/auth/providers') signedOut();
    throw new RequestError(response.status, typeof message === 'string' ? message : `HTTP ${response.status}`, data);
  }
  return data as T;
}

/** An error as text for the user ("can't reach the server" in the UI language when offline). */
export function errorMessage(err: unknown): string {
  if (err instanceof NetworkError) return t('network_error');
  return err instanceof Error ? err.message : String(err);
}

/** Where "sign in" goes: the server starts the GitHub flow and comes back to this page. */
export function signInUrl(returnTo: string): string {
  return `${apiUrl('/auth/github/login')}?return_to=${encodeURIComponent(returnTo || '/')}`;
}

/** The page's own path for return_to (hash included: it names the route). */
export function currentPath(): string {
  return `${location.pathname}${location.search}${location.hash}`;
}

let started = false;

/** Asks who is signed in and which providers exist; called once, after the first render. */
export function initAccount(): void {
  if (started) return;
  started = true;
  // The providers say whether this browser has a live session: /api/v1/me is asked only then,
  // so a signed-out visit logs no 401 (an older server that does not say: ask anyway).
  void request<Partial<Providers> & { signed_in?: boolean }>('GET', '/api/v1/auth/providers')
    .then((p) => {
      providers.value = { github: p?.github === true, local_admin: p?.local_admin === true };
      if (p?.signed_in === false) signedOut();
      else void refreshMe();
    })
    .catch(() => void refreshMe());
  // The online count counts sessions seen in the last 5 minutes: while the page is visible
  // and signed in, say so every 2 minutes (the server slides the session at most once a
  // minute). A failed check only signs out on 401, not when the network is away.
  setInterval(() => {
    if (accountState.value !== 'signed-in' || document.visibilityState !== 'visible') return;
    request<Me>('GET', '/api/v1/me').catch((err: unknown) => {
      if (err instanceof ApiError && err.status === 401) signedOut();
    });
  }, 120_000);
}

export async function refreshMe(): Promise<void> {
  try {
    const m = await request<Me>('GET', '/api/v1/me');
    if (!m || typeof m.login !== 'string' || typeof m.csrf_token !== 'string') throw new Error('bad /api/v1/me answer');
    const first = me.value === null;
    me.value = m;
    accountState.value = 'signed-in';
    if (first) startSync();
  } catch {
    signedOut();
  }
}

export async function logout(): Promise<void> {
  try {
    await request<unknown>('POST', '/auth/logout');
  } catch (err) {
    // 401: the session was gone already; anything else: still signed in.
    if (!(err instanceof ApiError && err.status === 401)) {
      accountNotice.value = errorMessageKey('sign_out_failed', err);
      return;
    }
  }
  signedOut();
}

function signedOut(): void {
  const was = me.value !== null;
  me.value = null;
  accountState.value = 'signed-out';
  stopSync();
  keys.clear();
  loadedKeys.clear();
  if (was) void purgeCachedAccountData();
}

/**
 * The service worker keeps the last good answer of every GET /api/…, for offline use. What
 * belongs to the account must not outlive the session on this device.
 */
async function purgeCachedAccountData(): Promise<void> {
  if (typeof caches === 'undefined') return;
  try {
    const cache = await caches.open('mu-api-v1');
    for (const req of await cache.keys()) {
      const path = new URL(req.url).pathname;
      if (path.startsWith('/api/v1/me') || path.startsWith('/api/v1/admin/')) await cache.delete(req);
    }
  } catch {
    // no cache storage (private mode): nothing kept
  }
}

// ---- saved items: one set of item keys per board, fetched when a board is on screen ----

const keys = shallowReactive(new Map<string, ReadonlySet<string>>());
/** Boards whose keys were asked for (not reactive: only guards against asking twice). */
const loadedKeys = new Set<string>();
const pendingToggles = new Set<string>();

/** The saved item keys of `board`, or undefined while unknown (signed out, not loaded). */
export function favoriteKeys(board: string): ReadonlySet<string> | undefined {
  return keys.get(board);
}

/** GET /api/v1/me/favorites/keys?board= once per board while signed in. */
export function ensureFavoriteKeys(board: string): void {
  if (!me.value || loadedKeys.has(board)) return;
  loadedKeys.add(board);
  request<{ keys?: unknown }>('GET', `/api/v1/me/favorites/keys?board=${encodeURIComponent(board)}`)
    .then((d) => {
      if (!me.value || !loadedKeys.has(board)) return;
      const list = Array.isArray(d?.keys) ? d.keys.filter((k): k is string => typeof k === 'string') : [];
      keys.set(board, new Set(list));
    })
    .catch(() => {
      loadedKeys.delete(board); // asked again next time the board shows
    });
}

/** Marks or unmarks one key locally (the set is replaced, so only that board re-renders). */
export function markFavorite(board: string, key: string, saved: boolean): void {
  const set = keys.get(board);
  if (!set || set.has(key) === saved) return;
  const next = new Set(set);
  if (saved) next.add(key);
  else next.delete(key);
  keys.set(board, next);
}

/** Saves or unsaves an item: the star changes at once and changes back if the server says no. */
export async function toggleSavedItem(board: string, item: { key: string; title: string; url: string }): Promise<void> {
  const set = keys.get(board);
  const id = `${board}\n${item.key}`;
  if (!set || !me.value || pendingToggles.has(id)) return;
  pendingToggles.add(id);
  const was = set.has(item.key);
  markFavorite(board, item.key, !was);
  try {
    if (was) {
      await request<unknown>('DELETE', `/api/v1/me/favorites?board=${encodeURIComponent(board)}&item_key=${encodeURIComponent(item.key)}`);
    } else {
      await request<unknown>('POST', '/api/v1/me/favorites', { board, item_key: item.key, title: item.title, url: item.url });
    }
  } catch (err) {
    // Removing one that was already gone is what the user wanted.
    if (!(was && err instanceof ApiError && err.status === 404)) {
      markFavorite(board, item.key, was);
      accountNotice.value = errorMessageKey('save_failed', err);
    }
  } finally {
    pendingToggles.delete(id);
  }
}

function errorMessageKey(key: MessageKey, err: unknown): { key: MessageKey; detail: string } {
  return { key, detail: errorMessage(err) };
}

// ---- preferences sync ----

interface Preferences {
  version: number;
  body: unknown;
}

const PUSH_DELAY_MS = 800;
const MAX_CONFLICT_RETRIES = 5;

let syncVersion = 0;
/** What the account holds as far as this page knows (after the last GET, PUT or 409). */
let remoteCopy: SettingsDoc | undefined;
let applying = false;
let pushTimer: ReturnType<typeof setTimeout> | undefined;
let stopWatching: (() => void) | undefined;
/** Sync steps run one after another (a PUT never races a GET or another PUT). */
let queue: Promise<void> = Promise.resolve();
let generation = 0;

function enqueue(step: () => Promise<void>): Promise<void> {
  const gen = generation;
  queue = queue
    .then(() => (gen === generation ? step() : undefined))
    .catch((err: unknown) => {
      if (gen === generation && !(err instanceof ApiError && err.status === 401)) {
        accountNotice.value = errorMessageKey('sync_failed', err);
      }
    });
  return queue;
}

function applyLocally(doc: SettingsDoc): void {
  applying = true;
  try {
    setSettingsDoc(doc);
  } finally {
    applying = false;
  }
}

/** Merges the account's copy in; PUTs the result when the account lacks something. */
async function absorb(prefs: Preferences, attempt: number): Promise<void> {
  const { doc, localChanged, remoteChanged } = reconcile(settings, prefs.body);
  syncVersion = typeof prefs.version === 'number' && prefs.version >= 0 ? prefs.version : 0;
  remoteCopy = normalizeSettings(prefs.body);
  if (localChanged) applyLocally(doc);
  if (remoteChanged) await push(attempt);
}

async function push(attempt: number): Promise<void> {
  const body = settingsBody(settings);
  if (remoteCopy && sameSettings(body, remoteCopy)) return;
  try {
    const r = await request<Preferences>('PUT', '/api/v1/me/preferences', { version: syncVersion, body });
    syncVersion = typeof r?.version === 'number' ? r.version : syncVersion + 1;
    remoteCopy = body;
  } catch (err) {
    // Another device (or tab) wrote first: merge with what it wrote and try again.
    if (err instanceof RequestError && err.status === 409 && attempt < MAX_CONFLICT_RETRIES) {
      const current = err.body as Partial<Preferences> | null;
      await absorb({ version: Number(current?.version ?? 0), body: current?.body ?? {} }, attempt + 1);
      return;
    }
    throw err;
  }
}

/** Signed in: fetch the account's preferences now and push later local changes. */
function startSync(): void {
  stopSync();
  const gen = generation;
  void enqueue(async () => {
    const prefs = await request<Preferences>('GET', '/api/v1/me/preferences');
    await absorb(prefs ?? { version: 0, body: {} }, 0);
  });
  // Synchronous, so that applying a merge (flagged) is told apart from the user's changes.
  stopWatching = watch(
    settings,
    () => {
      if (applying || gen !== generation || !me.value) return;
      if (pushTimer) clearTimeout(pushTimer);
      pushTimer = setTimeout(() => {
        pushTimer = undefined;
        void enqueue(() => push(0));
      }, PUSH_DELAY_MS);
    },
    { deep: true, flush: 'sync' },
  );
}

function stopSync(): void {
  generation++;
  stopWatching?.();
  stopWatching = undefined;
  if (pushTimer) clearTimeout(pushTimer);
  pushTimer = undefined;
  syncVersion = 0;
  remoteCopy = undefined;
}
