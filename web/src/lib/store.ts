// The app's data: the site and board catalogue, and board bodies fetched lazily (a card asks
// for its board when it nears the viewport). Bodies are replaced whole (never mutated), so
// Vue only tracks the map entries, not every item.
import { computed, reactive, ref, shallowReactive } from 'vue';
import { ApiError, getBoard, getBoards, getSites, type BoardBody, type BoardMeta, type Site } from './api';

export interface BoardEntry {
  body?: BoardBody;
  loading: boolean;
  error?: string;
  /** Bumped when a live update brought a new version (the card flashes). */
  flash: number;
  /** Keys that were not in the previous version (highlighted after a live update). */
  changed: ReadonlySet<string>;
  /** Needs a refetch next time the card is visible (after a resync while off-screen). */
  dirty: boolean;
}

export const sites = ref<Site[]>([]);
export const catalogue = ref<BoardMeta[]>([]);
export const catalogueLoaded = ref(false);
export const catalogueError = ref<string | undefined>();
/** True while answers come from the service worker's cache (network unreachable). */
export const offline = ref(typeof navigator !== 'undefined' && navigator.onLine === false);

/** A new version of the app took over (service worker update): the page offers a reload. */
export const updateReady = ref(false);

export const siteById = computed(() => new Map(sites.value.map((s) => [s.id, s])));
export const boardById = computed(() => new Map(catalogue.value.map((b) => [b.id, b])));

const entries = shallowReactive(new Map<string, BoardEntry>());
/** Boards whose cards are on (or near) the screen now. */
export const visible = reactive(new Set<string>());

window.addEventListener('offline', () => {
  offline.value = true;
});
window.addEventListener('online', () => {
  offline.value = false;
  void refreshAll();
});

function noteOffline(isOffline: boolean): void {
  offline.value = isOffline || navigator.onLine === false;
}

function errorText(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}

export function entry(id: string): BoardEntry | undefined {
  return entries.get(id);
}

function put(id: string, patch: Partial<BoardEntry>): BoardEntry {
  const prev = entries.get(id) ?? { loading: false, flash: 0, changed: new Set<string>(), dirty: false };
  const next = { ...prev, ...patch };
  entries.set(id, next);
  return next;
}

/**
 * The new list, reusing the previous objects that did not change (compared by value) and the
 * previous list when nothing changed: a card only re-renders when its own board moved, not on
 * every catalogue refresh.
 */
function sameList<T extends { id: string }>(prev: T[], next: T[]): T[] {
  const old = new Map(prev.map((x) => [x.id, x]));
  let same = prev.length === next.length;
  const out = next.map((x, i) => {
    const p = old.get(x.id);
    const keep = p !== undefined && JSON.stringify(p) === JSON.stringify(x) ? p : x;
    if (keep !== prev[i]) same = false;
    return keep;
  });
  return same ? prev : out;
}

export async function loadCatalogue(revalidate = false): Promise<void> {
  try {
    const [s, b] = await Promise.all([getSites(), getBoards(revalidate)]);
    if (b.stale) refreshCatalogueSoon(5000);
    sites.value = sameList(sites.value, s.data.sites);
    catalogue.value = sameList(catalogue.value, b.data.boards);
    catalogueLoaded.value = true;
    catalogueError.value = undefined;
    noteOffline(s.offline || b.offline);
  } catch (err) {
    catalogueError.value = errorText(err);
    if (err instanceof TypeError) offline.value = true;
  }
}

let catalogueTimer: ReturnType<typeof setTimeout> | undefined;
/** Refetches the catalogue soon, once for a burst of updates. */
export function refreshCatalogueSoon(delayMs = 1500): void {
  if (catalogueTimer) return;
  catalogueTimer = setTimeout(() => {
    catalogueTimer = undefined;
    void loadCatalogue(true);
  }, delayMs);
}

function syncMeta(body: BoardBody): void {
  const list = catalogue.value;
  const i = list.findIndex((b) => b.id === body.id);
  if (i < 0) return;
  const { items, site, ...meta } = body;
  const merged: BoardMeta = { ...list[i], ...meta, site: site.id, item_count: items.length };
  const copy = list.slice();
  copy[i] = merged;
  catalogue.value = copy;
}

/**
 * Fetches a board; with `highlight` (a live update or a refresh), it revalidates with the
 * server rather than trusting the HTTP cache, and a new version flashes its card and items.
 */
export async function loadBoard(id: string, opts: { highlight?: boolean } = {}): Promise<void> {
  const current = entries.get(id);
  if (current?.loading) return;
  put(id, { loading: true, dirty: false });
  try {
    const { data, offline: fromCache, stale } = await getBoard(id, !!opts.highlight || !!current?.body);
    noteOffline(fromCache);
    // A slow network got the cached copy first: ask again in a moment.
    if (stale) setTimeout(() => void loadBoard(id, { highlight: true }), 5000);
    const prev = entries.get(id)?.body;
    const changedVersion = !!prev && prev.version !== data.version;
    let changed: ReadonlySet<string> = new Set<string>();
    if (opts.highlight && changedVersion && prev) {
      const before = new Map(prev.items.map((it) => [it.key, it.title]));
      changed = new Set(data.items.filter((it) => before.get(it.key) !== it.title).map((it) => it.key));
    }
    const now = entries.get(id)!;
    put(id, {
      body: prev && !changedVersion && prev.fetched_at === data.fetched_at && prev.stale === data.stale ? prev : data,
      loading: false,
      error: undefined,
      flash: opts.highlight && changedVersion ? now.flash + 1 : now.flash,
      changed: opts.highlight && changedVersion ? changed : now.changed,
    });
    syncMeta(data);
  } catch (err) {
    if (err instanceof TypeError) offline.value = true;
    put(id, { loading: false, error: errorText(err) });
  }
}

export function ensureBoard(id: string): void {
  const e = entries.get(id);
  if (!e || (!e.body && !e.loading && !e.error) || (e.dirty && !e.loading)) void loadBoard(id);
}

/** A live "board-updated": refetch the board if anything shows it, else just the catalogue. */
export function onBoardUpdated(id: string): void {
  if (entries.has(id)) void loadBoard(id, { highlight: true });
  refreshCatalogueSoon();
}

/** A live "resync" (or a reconnect): refetch what is visible, the rest when it comes into view. */
export async function refreshAll(): Promise<void> {
  const jobs: Promise<void>[] = [loadCatalogue(true)];
  for (const [id, e] of entries) {
    if (visible.has(id) || !e.body) jobs.push(loadBoard(id, { highlight: true }));
    else put(id, { dirty: true });
  }
  await Promise.all(jobs);
}

/** Catalogue polling while live updates are unavailable: refetch boards whose version moved. */
export async function pollVersions(): Promise<void> {
  const before = new Map(catalogue.value.map((b) => [b.id, b.version]));
  await loadCatalogue(true);
  for (const b of catalogue.value) {
    const e = entries.get(b.id);
    if (e?.body && before.get(b.id) !== b.version && e.body.version !== b.version) {
      if (visible.has(b.id)) void loadBoard(b.id, { highlight: true });
      else put(b.id, { dirty: true });
    }
  }
}
