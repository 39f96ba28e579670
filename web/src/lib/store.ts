// The app's data: the site and board catalogue, and board bodies fetched lazily (a card asks
// for its board when it nears the viewport). Bodies are replaced whole (never mutated), so
// Vue only tracks the map entries, not every item.
//
// Large catalogues: when the sites add up to more than LARGE_CATALOGUE boards, the whole
// catalogue is never downloaded. `catalogue` then holds only the boards this page has a use
// for (the home's boards, fetched with ?ids=, or the first HOME_FIRST of the catalogue for a
// new user; followed boards; a site tab's boards; boards opened or added from the directory);
// the directory and the palette ask the server (?q=, ?site=, ?kind=, paged).
import { computed, reactive, ref, shallowReactive, shallowRef, watch } from 'vue';
import {
  NetworkError,
  failure,
  getBoard,
  getBoards,
  getSites,
  type BoardBody,
  type BoardList,
  type BoardMeta,
  type BoardQuery,
  type Category,
  type Failure,
  type Fetched,
  type Site,
} from './api';
import { orderBoards, setSetting, settings } from './settings';

/** Above this many boards the page works in large catalogue mode. */
export const LARGE_CATALOGUE = 300;
/** Large mode, a user who arranged nothing: the home shows the catalogue's first boards. */
export const HOME_FIRST = 60;
/** At most this many ids per ?ids= request (the server's limit). */
const IDS_PER_REQUEST = 1000;
/** Remembers the mode of the last load, so the next one asks for sites and boards at once. */
const MODE_KEY = 'mu.catalogue';

export interface BoardEntry {
  body?: BoardBody;
  loading: boolean;
  error?: Failure;
  /** Bumped when a live update brought a new version (the card flashes). */
  flash: number;
  /** Keys that were not in the previous version (highlighted after a live update). */
  changed: ReadonlySet<string>;
  /** Needs a refetch next time the card is visible (after a resync while off-screen). */
  dirty: boolean;
}

// The sites, categories and board metas are replaced whole (never changed in place), so they
// are shallow: the page reads them without a reactive proxy per object and per field.
export const sites = shallowRef<Site[]>([]);
/** The home page's category tabs, in the server's order (only those some board is in). */
export const categories = shallowRef<Category[]>([]);
export const catalogue = shallowRef<BoardMeta[]>([]);
export const catalogueLoaded = ref(false);
export const catalogueError = ref<Failure | undefined>();
/** True while answers come from the service worker's cache (network unreachable). */
export const offline = ref(typeof navigator !== 'undefined' && navigator.onLine === false);

/** A new version of the app took over (service worker update): the page offers a reload. */
export const updateReady = ref(false);

/** Boards on the server (the sites' board_count added up; else the catalogue's length). */
export const totalBoards = ref(0);
/** Large catalogue mode (see above). */
export const large = ref(readModeHint() === 'large');
/** Large mode without an order of the user's own: the first boards of the catalogue. */
export const defaultIds = ref<string[]>([]);

function readModeHint(): string | null {
  try {
    return localStorage.getItem(MODE_KEY);
  } catch {
    return null;
  }
}

function writeModeHint(isLarge: boolean): void {
  try {
    localStorage.setItem(MODE_KEY, isLarge ? 'large' : 'small');
  } catch {
    // storage disabled: the next load asks for the sites first
  }
}

export const siteById = computed(() => new Map(sites.value.map((s) => [s.id, s])));
export const boardById = computed(() => new Map(catalogue.value.map((b) => [b.id, b])));

/** A board's category: its own, else its site's (servers before categories: none). */
export function categoryOf(b: BoardMeta | undefined): string | undefined {
  if (!b) return undefined;
  return b.category ?? siteById.value.get(b.site)?.category;
}

/**
 * The catalogue's ids grouped by category in the tabs' order (综合, 科技, 财经, …), keeping the
 * catalogue's order inside a category: what follows the biggest boards for a new reader.
 */
export const catalogueIds = computed<string[]>(() => {
  const rank = new Map(categories.value.map((c, i) => [c.id, i]));
  const last = rank.size;
  const keyed = catalogue.value.map((b, i) => ({ id: b.id, i, r: rank.get(categoryOf(b) ?? '') ?? last }));
  keyed.sort((a, b) => a.r - b.r || a.i - b.i);
  return keyed.map((x) => x.id);
});

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

function uniq(ids: Iterable<string>): string[] {
  return [...new Set(ids)];
}

/** Adds (or replaces) board metas in the catalogue, keeping the others (large mode). */
export function mergeMetas(list: readonly BoardMeta[]): void {
  if (list.length === 0) return;
  const byId = new Map(catalogue.value.map((b) => [b.id, b]));
  for (const b of list) byId.set(b.id, b);
  catalogue.value = sameList(catalogue.value, [...byId.values()]);
}

/** `ids` in requests of at most IDS_PER_REQUEST (none for no ids). */
function getByIds(ids: readonly string[], revalidate: boolean): Promise<Fetched<BoardList>>[] {
  const jobs: Promise<Fetched<BoardList>>[] = [];
  for (let i = 0; i < ids.length; i += IDS_PER_REQUEST) jobs.push(getBoards(revalidate, { ids: ids.slice(i, i + IDS_PER_REQUEST) }));
  return jobs;
}

interface SitesAnswer {
  sites: Site[];
  categories?: Category[];
}

/** What the server writes into the home page: see loadFirstAnswers. */
interface FirstAnswers {
  sites: SitesAnswer;
  boards: BoardList;
  bodies: BoardBody[];
  /** When the server wrote them (RFC 3339). */
  generated_at?: string;
}

interface HomeAnswer {
  boards: BoardMeta[];
  offline: boolean;
  stale: boolean;
  /** The first boards of the catalogue, when asked for (no order of the user's own). */
  first?: string[];
}

/** Large mode: the metas of the boards the home and the 关注 tab show. */
async function fetchHome(revalidate: boolean): Promise<HomeAnswer> {
  const hidden = new Set(settings.hidden);
  const order = settings.order;
  const wanted = uniq([...order.filter((id) => !hidden.has(id)), ...settings.favorites]);
  const first = order.length ? undefined : getBoards(revalidate, { limit: HOME_FIRST });
  const answers = await Promise.all([...(first ? [first] : []), ...getByIds(wanted, revalidate)]);
  return {
    boards: answers.flatMap((a) => a.data.boards),
    offline: answers.some((a) => a.offline),
    stale: answers.some((a) => a.stale),
    first: first ? answers[0].data.boards.map((b) => b.id) : undefined,
  };
}

/**
 * The catalogue if it is small: `?limit=LARGE_CATALOGUE+1` is the whole catalogue when there
 * are at most LARGE_CATALOGUE boards, and says by its `total` (and its length) when there are
 * more — one request, in parallel with the sites, without knowing the mode first. (A server
 * without the filters ignores `limit` and answers everything: a small catalogue.)
 */
async function fetchProbe(revalidate: boolean): Promise<HomeAnswer & { total: number }> {
  const b = await getBoards(revalidate, { limit: LARGE_CATALOGUE + 1 });
  return { boards: b.data.boards, offline: b.offline, stale: b.stale, total: b.data.total ?? b.data.boards.length };
}

/**
 * Loads the sites and the boards the page needs: the whole catalogue when it is small, else
 * only the home's boards. Both requests start at once. The mode of the last load is
 * remembered: a known large catalogue asks only for the home's boards (and checks the mode
 * against the sites' board counts); otherwise the probe above decides, and in a large
 * catalogue only its first HOME_FIRST boards are kept.
 */
export async function loadCatalogue(revalidate = false): Promise<void> {
  try {
    const knownLarge = catalogueLoaded.value ? large.value : readModeHint() === 'large';
    const sitesJob = getSites();
    const boardsJob: Promise<HomeAnswer & { total?: number }> = knownLarge ? fetchHome(revalidate) : fetchProbe(revalidate);
    boardsJob.catch(() => undefined); // awaited below; no unhandled rejection if the sites fail first
    const s = await sitesJob;
    const count = boardCount(s.data.sites);
    let b = await boardsJob;
    // The catalogue shrank below the threshold (or the server lost its counts): all of it.
    if (knownLarge && !(count !== undefined && count > LARGE_CATALOGUE)) b = await fetchProbe(revalidate);
    if (b.stale) refreshCatalogueSoon(5000);
    const followUp = applyCatalogue(s.data, b, count);
    noteOffline(s.offline || b.offline);
    // The user's own boards (a first load in this browser of someone's synced list).
    if (followUp) await loadMissing();
  } catch (err) {
    catalogueError.value = failure(err);
    if (err instanceof NetworkError) offline.value = true;
  }
}

/** The sites' board counts added up (undefined from a server that does not count). */
function boardCount(list: readonly Site[]): number | undefined {
  const counted = list.length > 0 && list.every((x) => typeof x.board_count === 'number');
  return counted ? list.reduce((n, x) => n + (x.board_count ?? 0), 0) : undefined;
}

/**
 * Puts the sites and a boards answer (the probe's or the home's) in the store; true when the
 * user's own boards must still be asked for (a probe that found a large catalogue).
 */
function applyCatalogue(s: SitesAnswer, b: HomeAnswer & { total?: number }, count: number | undefined): boolean {
  const isLarge = b.total !== undefined ? b.total > LARGE_CATALOGUE : true;
  if (isLarge !== large.value || !catalogueLoaded.value) writeModeHint(isLarge);
  large.value = isLarge;
  sites.value = sameList(sites.value, s.sites);
  categories.value = sameList(categories.value, s.categories ?? []);
  let followUp = false;
  if (!isLarge) {
    catalogue.value = sameList(catalogue.value, b.boards);
  } else if (b.total !== undefined) {
    // The probe of a catalogue that turned out large: keep the first boards only.
    const first = b.boards.slice(0, HOME_FIRST);
    defaultIds.value = first.map((x) => x.id);
    mergeMetas(first);
    followUp = settings.order.length > 0 || settings.favorites.length > 0;
  } else {
    if (b.first) defaultIds.value = b.first;
    mergeMetas(b.boards);
  }
  totalBoards.value = count ?? (isLarge ? (b.total ?? catalogue.value.length) : catalogue.value.length);
  catalogueLoaded.value = true;
  catalogueError.value = undefined;
  return followUp;
}

/**
 * The answers the server wrote into the home page (a `<script type="application/json"
 * id="mu-first">` block: the sites, the small catalogue and the first boards of the default
 * order, as the API answers them), put in the store before the app first renders, so the
 * first screenful is drawn with the page's first paint and no request is in its way.
 * `fresh`: written by the server in the last minute (not a shell the service worker kept from
 * an earlier visit): the page then asks for none of it again (live updates follow).
 */
export const firstAnswers = { ids: [] as string[], fresh: false };

/** Reads the #mu-first block (see firstAnswers). Ignored when it does not parse, or in a large catalogue. */
export function loadFirstAnswers(now = Date.now()): void {
  const el = typeof document === 'undefined' ? null : document.getElementById('mu-first');
  if (!el) return;
  let first: FirstAnswers;
  try {
    first = JSON.parse(el.textContent ?? '') as FirstAnswers;
  } catch {
    return;
  }
  if (!Array.isArray(first?.sites?.sites) || !Array.isArray(first.boards?.boards) || !Array.isArray(first.bodies)) return;
  const total = first.boards.total ?? first.boards.boards.length;
  if (total > LARGE_CATALOGUE) return;
  applyCatalogue(first.sites, { boards: first.boards.boards, offline: false, stale: false, total }, boardCount(first.sites.sites));
  for (const body of first.bodies) {
    if (typeof body?.id !== 'string' || !Array.isArray(body.items)) continue;
    put(body.id, { body });
    firstAnswers.ids.push(body.id);
  }
  const age = now - Date.parse(first.generated_at ?? '');
  firstAnswers.fresh = age > -60_000 && age < 60_000;
}

/**
 * The page's first requests: the catalogue, and the boards an old #mu-first block held (a
 * copy the service worker kept: they are checked with the server, as a refresh).
 */
export async function refreshFirst(): Promise<void> {
  await Promise.all([loadCatalogue(firstAnswers.ids.length > 0), ...firstAnswers.ids.map((id) => loadBoard(id, { highlight: true }))]);
}

/** Ids asked for once and not known to the server: not asked for again. */
const unknownIds = new Set<string>();
let missingTimer: ReturnType<typeof setTimeout> | undefined;

/** Large mode: fetches the metas of ordered or followed boards the page does not have yet. */
async function loadMissing(): Promise<void> {
  if (!large.value || !catalogueLoaded.value) return;
  const known = boardById.value;
  const hidden = new Set(settings.hidden);
  const missing = uniq([...settings.order.filter((id) => !hidden.has(id)), ...settings.favorites]).filter(
    (id) => !known.has(id) && !unknownIds.has(id),
  );
  const wantFirst = settings.order.length === 0 && defaultIds.value.length === 0;
  if (!missing.length && !wantFirst) return;
  try {
    const [first, ...rest] = await Promise.all([
      wantFirst ? getBoards(false, { limit: HOME_FIRST }) : Promise.resolve(undefined),
      ...getByIds(missing, false),
    ]);
    const found = rest.flatMap((a) => a.data.boards);
    const got = new Set(found.map((b) => b.id));
    for (const id of missing) if (!got.has(id)) unknownIds.add(id);
    if (first) {
      defaultIds.value = first.data.boards.map((b) => b.id);
      found.push(...first.data.boards);
    }
    mergeMetas(found);
  } catch {
    // the next change or resync tries again
  }
}

// Another device (sync) or tab, or the settings, changed which boards the home shows.
watch(
  () => [settings.order, settings.favorites, settings.hidden],
  () => {
    if (!large.value) return;
    if (missingTimer) clearTimeout(missingTimer);
    missingTimer = setTimeout(() => void loadMissing(), 200);
  },
);

/** Large mode: the boards of one site (a site tab), asked for once per page. */
const sitesAsked = new Set<string>();
export function ensureSiteBoards(site: string): void {
  if (!large.value || sitesAsked.has(site)) return;
  sitesAsked.add(site);
  getBoards(false, { site: [site], limit: 1000 })
    .then((a) => mergeMetas(a.data.boards))
    .catch(() => sitesAsked.delete(site));
}

/** One page of the directory or the palette's board search: asks the server. */
export async function searchBoards(query: BoardQuery): Promise<BoardList> {
  const a = await getBoards(false, query);
  return { boards: a.data.boards, total: a.data.total };
}

/**
 * The boards the 全部 tab may show, in the user's order (hidden and disabled ones included):
 * the whole catalogue when it is small; in large mode the user's own list (`order`), or the
 * first boards of the catalogue for a user who arranged nothing.
 */
export const homeCandidates = computed<string[]>(() => {
  if (!large.value) return orderBoards(catalogueIds.value, settings.order);
  const known = boardById.value;
  const base = settings.order.length ? settings.order : defaultIds.value;
  return uniq(base).filter((id) => known.has(id));
});

/** The boards on the home page (全部), in order. */
export const homeIds = computed<string[]>(() => {
  const hidden = new Set(settings.hidden);
  const known = boardById.value;
  // Disabled boards never update: they stay reachable from their site tab and search.
  return homeCandidates.value.filter((id) => !hidden.has(id) && known.get(id)?.enabled !== false);
});
export const homeSet = computed(() => new Set(homeIds.value));

/** Puts a board on the home page (large mode: at the end of the user's list). */
export function addToHome(id: string, meta?: BoardMeta): void {
  if (meta) mergeMetas([meta]);
  if (settings.hidden.includes(id)) setSetting('hidden', settings.hidden.filter((x) => x !== id));
  if (large.value) {
    const order = settings.order.length ? settings.order.slice() : defaultIds.value.slice();
    if (!order.includes(id)) order.push(id);
    if (JSON.stringify(order) !== JSON.stringify(settings.order)) setSetting('order', order);
  }
}

/** Takes a board off the home page (it stays in the directory, search and its site tab). */
export function removeFromHome(id: string): void {
  if (!settings.hidden.includes(id)) setSetting('hidden', [...settings.hidden, id]);
  if (large.value && settings.order.length > 1 && settings.order.includes(id)) {
    setSetting(
      'order',
      settings.order.filter((x) => x !== id),
    );
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

/**
 * A board's body carries what its catalogue entry says (fetched_at, stale, error, version):
 * the entry is updated from it, so a live update never needs the catalogue. In large mode a
 * board the page did not know yet (opened from search) joins the known boards.
 */
function syncMeta(body: BoardBody): void {
  const list = catalogue.value;
  const i = list.findIndex((b) => b.id === body.id);
  if (i < 0 && !large.value) return;
  const { items, site, ...meta } = body;
  const merged: BoardMeta = { ...(i >= 0 ? list[i] : {}), ...meta, site: site.id, item_count: items.length };
  if (i >= 0 && JSON.stringify(merged) === JSON.stringify(list[i])) return;
  const copy = list.slice();
  if (i >= 0) copy[i] = merged;
  else copy.push(merged);
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
    if (err instanceof NetworkError) offline.value = true;
    put(id, { loading: false, error: failure(err) });
  }
}

/**
 * The boards public/boot.js preloaded (the home's first screenful): asked for at start-up,
 * so their answers are in the store by the time the grid first renders its cards.
 */
export function loadPreloadedBoards(): void {
  const prefix = '/api/v1/boards/';
  for (const link of document.querySelectorAll<HTMLLinkElement>('link[rel="preload"][as="fetch"]')) {
    const path = link.getAttribute('href') ?? '';
    if (path.startsWith(prefix) && !path.includes('?')) ensureBoard(decodeURIComponent(path.slice(prefix.length)));
  }
}

export function ensureBoard(id: string): void {
  const e = entries.get(id);
  if (!e || (!e.body && !e.loading && !e.error) || (e.dirty && !e.loading)) void loadBoard(id);
}

/**
 * A live "board-updated": refetch the board if it is on screen (its body updates its
 * catalogue entry), mark it for a refetch when it comes into view if it was loaded before,
 * and ignore it otherwise: with thousands of boards updating every minute, events are
 * frequent and the catalogue is never refetched for them. Only a small catalogue's unknown
 * board (a new one) refreshes the catalogue, once for a burst.
 */
export function onBoardUpdated(id: string): void {
  const e = entries.get(id);
  if (e) {
    if (visible.has(id)) void loadBoard(id, { highlight: true });
    else if (e.body && !e.loading) put(id, { dirty: true });
  } else if (!large.value && catalogueLoaded.value && !boardById.value.has(id)) {
    refreshCatalogueSoon();
  }
}

/** What a live "board-checked" carries: a run fetched what the board already shows. */
export interface BoardTimes {
  version: number;
  fetched_at: string | null;
  last_run_at: string | null;
  due_by: string | null;
  success_rate: number | null;
}

/**
 * A live "board-checked": the board's latest run fetched the items it already shows, so
 * only its times and success rate moved. They are updated in place (body and catalogue
 * entry), without a request: a board's unchanged content is never fetched again.
 */
export function onBoardChecked(id: string, times: BoardTimes): void {
  const e = entries.get(id);
  if (e?.body && !e.loading) put(id, { body: { ...e.body, ...times } });
  const list = catalogue.value;
  const i = list.findIndex((b) => b.id === id);
  if (i < 0) return;
  const copy = list.slice();
  copy[i] = { ...list[i], ...times };
  catalogue.value = copy;
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
