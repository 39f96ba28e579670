// Alerts (docs/alerts.md, /api/v1/me/alerts/*): rules, channels, the live preview of a draft
// rule, the delivery log and the private feeds' token. Imported by the alerts page's chunk
// (and the admin console's, for the delivery type). Answers are untrusted like the rest of the
// API: every field is read with its type checked, nothing is rendered as HTML, and the page
// never sees a channel's URL or secret (the server keeps them sealed).
import { RequestError, request } from './account';

export type Trigger = 'new' | 'top';
export type Digest = 'immediate' | 'hourly' | 'daily';
export type DeliveryState = 'pending' | 'sent' | 'dead';

export interface QuietHours {
  from: string;
  to: string;
}

/** A rule as the API reads and writes it (docs/alerts.md#rules). */
export interface RuleBody {
  name: string;
  enabled: boolean;
  keywords: string[];
  pattern: string;
  exclude: string[];
  boards: string[];
  sites: string[];
  max_rank: number;
  min_hot: number;
  trigger: Trigger;
  top_n: number;
  tz: string;
  quiet: QuietHours | null;
  digest: Digest;
  digest_hour: number;
  channels: string[];
}

export interface Rule extends RuleBody {
  id: string;
  updated_at: string | null;
}

export interface Channel {
  id: string;
  name: string;
  kind: string;
  /** What the server shows of the URL (e.g. "telegram · api.telegram.org · chat -1…67"). */
  description: string;
  created_at: string | null;
}

export interface ChannelList {
  /** false when the server keeps no secrets (no storage.secrets_key): channels cannot be added. */
  enabled: boolean;
  reason: string;
  channels: Channel[];
  max: number | null;
}

export interface RuleList {
  rules: Rule[];
  max: number | null;
}

export interface PreviewItem {
  board: string;
  board_name: string;
  rank: number;
  title: string;
  url: string;
  hot: string;
  is_new: boolean;
}

/** An item of the last day that matched but is no longer on its board (from the history). */
export interface RecentItem {
  board: string;
  board_name: string;
  best_rank: number;
  title: string;
  url: string;
  last_seen_at: string | null;
}

export interface Preview {
  items: PreviewItem[];
  total: number;
  recent: RecentItem[];
}

export interface Delivery {
  id: number;
  rule_id: string;
  channel_id: string;
  state: DeliveryState | string;
  attempts: number;
  next_at: string | null;
  sent_at: string | null;
  last_error: string;
  matched_at: string | null;
  item: { board: string; key: string; title: string; url: string; rank: number; hot: string };
}

/** The answer of "send a test": sent, or the channel's error and whether a retry may help. */
export type TestResult = { ok: true; description: string } | { ok: false; error: string; message: string; retryable: boolean };

const enc = encodeURIComponent;

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');
const strOrNull = (v: unknown): string | null => (typeof v === 'string' && v ? v : null);
const num = (v: unknown, fallback = 0): number => (typeof v === 'number' && Number.isFinite(v) ? v : fallback);
const int = (v: unknown, fallback = 0): number => Math.trunc(num(v, fallback));
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const strings = (v: unknown): string[] => list(v).filter((s): s is string => typeof s === 'string');
const positiveOrNull = (v: unknown): number | null => (typeof v === 'number' && v > 0 ? v : null);

const CLOCK = /^([01]\d|2[0-3]):[0-5]\d$/;

/** A rule as the API sent it, with every field of the expected type. */
export function toRule(raw: unknown): Rule {
  const o = obj(raw);
  const q = obj(o.quiet);
  const quiet = typeof q.from === 'string' && typeof q.to === 'string' && CLOCK.test(q.from) && CLOCK.test(q.to) ? { from: q.from, to: q.to } : null;
  return {
    id: str(o.id),
    updated_at: strOrNull(o.updated_at),
    name: str(o.name),
    enabled: o.enabled !== false,
    keywords: strings(o.keywords),
    pattern: str(o.pattern),
    exclude: strings(o.exclude),
    boards: strings(o.boards),
    sites: strings(o.sites),
    max_rank: int(o.max_rank),
    min_hot: num(o.min_hot),
    trigger: o.trigger === 'top' ? 'top' : 'new',
    top_n: int(o.top_n, 10) || 10,
    tz: str(o.tz) || 'UTC',
    quiet,
    digest: o.digest === 'hourly' || o.digest === 'daily' ? o.digest : 'immediate',
    digest_hour: Math.min(23, Math.max(0, int(o.digest_hour, 8))),
    channels: strings(o.channels),
  };
}

/** The body to PUT for `rule`: its fields without the read-only id and time. */
export function ruleBody(rule: RuleBody): RuleBody {
  return {
    name: rule.name,
    enabled: rule.enabled,
    keywords: [...rule.keywords],
    pattern: rule.pattern,
    exclude: [...rule.exclude],
    boards: [...rule.boards],
    sites: [...rule.sites],
    max_rank: rule.max_rank,
    min_hot: rule.min_hot,
    trigger: rule.trigger,
    top_n: rule.top_n,
    tz: rule.tz,
    quiet: rule.quiet ? { from: rule.quiet.from, to: rule.quiet.to } : null,
    digest: rule.digest,
    digest_hour: rule.digest_hour,
    channels: [...rule.channels],
  };
}

export function toChannel(raw: unknown): Channel {
  const o = obj(raw);
  return { id: str(o.id), name: str(o.name), kind: str(o.kind), description: str(o.description), created_at: strOrNull(o.created_at) };
}

function toPreviewItem(raw: unknown): PreviewItem {
  const o = obj(raw);
  return {
    board: str(o.board),
    board_name: str(o.board_name),
    rank: int(o.rank),
    title: str(o.title),
    url: str(o.url),
    hot: str(o.hot),
    is_new: o.is_new === true,
  };
}

export function toDelivery(raw: unknown): Delivery {
  const o = obj(raw);
  const item = obj(o.item);
  return {
    id: int(o.id),
    rule_id: str(o.rule_id),
    channel_id: str(o.channel_id),
    state: str(o.state),
    attempts: int(o.attempts),
    next_at: strOrNull(o.next_at),
    sent_at: strOrNull(o.sent_at),
    last_error: str(o.last_error),
    matched_at: strOrNull(o.matched_at),
    item: { board: str(item.board), key: str(item.key), title: str(item.title), url: str(item.url), rank: int(item.rank), hot: str(item.hot) },
  };
}

// ---- calls ----

export async function getRules(): Promise<RuleList> {
  const r = obj(await request<unknown>('GET', '/api/v1/me/alerts/rules'));
  return { rules: list(r.rules).map(toRule), max: positiveOrNull(r.max_rules) };
}

/** Creates a rule (no id) or replaces one; answers the rule as the server keeps it. */
export async function saveRule(rule: RuleBody, id?: string): Promise<Rule> {
  const body = ruleBody(rule);
  return toRule(
    id
      ? await request<unknown>('PUT', `/api/v1/me/alerts/rules/${enc(id)}`, body)
      : await request<unknown>('POST', '/api/v1/me/alerts/rules', body),
  );
}

export const deleteRule = (id: string) => request<unknown>('DELETE', `/api/v1/me/alerts/rules/${enc(id)}`);

/** The current items a draft rule matches (at most 50 listed; `total` counts them all). */
export async function previewRule(rule: RuleBody): Promise<Preview> {
  const r = obj(await request<unknown>('POST', '/api/v1/me/alerts/preview', ruleBody(rule)));
  const items = list(r.items).map(toPreviewItem);
  const recent = list(r.recent).map((raw): RecentItem => {
    const o = obj(raw);
    return {
      board: str(o.board),
      board_name: str(o.board_name),
      best_rank: int(o.best_rank),
      title: str(o.title),
      url: str(o.url),
      last_seen_at: strOrNull(o.last_seen_at),
    };
  });
  return { items, total: Math.max(int(r.total), items.length), recent };
}

export async function getChannels(): Promise<ChannelList> {
  const r = obj(await request<unknown>('GET', '/api/v1/me/alerts/channels'));
  return { enabled: r.enabled !== false, reason: str(r.reason), channels: list(r.channels).map(toChannel), max: positiveOrNull(r.max_channels) };
}

export async function createChannel(name: string, url: string, secret: string): Promise<Channel> {
  const body: { name: string; url: string; secret?: string } = { name, url };
  if (secret) body.secret = secret;
  return toChannel(await request<unknown>('POST', '/api/v1/me/alerts/channels', body));
}

export const deleteChannel = (id: string) => request<unknown>('DELETE', `/api/v1/me/alerts/channels/${enc(id)}`);

/**
 * Sends a test message. A channel that refused or failed is an answer (502 with
 * {ok:false,error,message,retryable}), not an exception; anything else that fails throws.
 */
export async function testChannel(id: string): Promise<TestResult> {
  try {
    const r = obj(await request<unknown>('POST', `/api/v1/me/alerts/channels/${enc(id)}/test`));
    return { ok: true, description: str(r.description) };
  } catch (err) {
    const body = err instanceof RequestError ? obj(err.body) : {};
    if (err instanceof RequestError && err.status === 502 && body.ok === false) {
      return { ok: false, error: str(body.error), message: str(body.message), retryable: body.retryable === true };
    }
    throw err;
  }
}

export interface DeliveryQuery {
  rule?: string;
  state?: DeliveryState | '';
  limit?: number;
  /** Only deliveries older than this id (the last one of the previous page). */
  before?: number;
}

export async function getDeliveries(query: DeliveryQuery = {}): Promise<Delivery[]> {
  const p = new URLSearchParams();
  if (query.rule) p.set('rule', query.rule);
  if (query.state) p.set('state', query.state);
  if (query.limit) p.set('limit', String(query.limit));
  if (query.before) p.set('before', String(query.before));
  const qs = p.toString();
  const r = obj(await request<unknown>('GET', `/api/v1/me/alerts/deliveries${qs ? `?${qs}` : ''}`));
  return list(r.deliveries).map(toDelivery);
}

// ---- private feeds (/api/v1/me/feed-token, docs/api.md#private-feeds) ----

export type FeedFormat = 'rss' | 'atom' | 'json';
export const FEED_FORMATS: readonly FeedFormat[] = ['rss', 'atom', 'json'];

/** Whether the user has a feed token (the token itself cannot be read back). */
export interface FeedTokenState {
  active: boolean;
  created_at: string | null;
}

/** A new token and its URLs, as POST answers them (the only time they are seen). */
export interface FeedToken {
  token: string;
  /** The favorites feed, RSS: ".../feeds/u/<token>/favorites.rss". */
  favorites: string;
  /** Where the rules' feeds are: append "<rule id>.rss" (or .atom, .json). */
  alerts: string;
}

export async function getFeedToken(): Promise<FeedTokenState> {
  const r = obj(await request<unknown>('GET', '/api/v1/me/feed-token'));
  const active = r.active === true;
  return { active, created_at: active ? strOrNull(r.created_at) : null };
}

/** Makes a new token; every URL of the old one stops working at once. */
export async function newFeedToken(): Promise<FeedToken> {
  const r = obj(await request<unknown>('POST', '/api/v1/me/feed-token'));
  const token = str(r.token);
  const favorites = str(r.favorites);
  const alerts = str(r.alerts);
  if (!token || !favorites || !alerts) throw new Error('bad /api/v1/me/feed-token answer');
  return { token, favorites, alerts };
}

/** Revokes the token: every private feed URL answers 404 from then on. */
export const revokeFeedToken = () => request<unknown>('DELETE', '/api/v1/me/feed-token');

/** The favorites feed in `format` (the server gives the RSS one). */
export function favoritesFeedUrl(token: FeedToken, format: FeedFormat): string {
  return token.favorites.replace(/\.rss$/, `.${format}`);
}

/** A rule's feed in `format`: what the rule matched. */
export function ruleFeedUrl(token: FeedToken, ruleId: string, format: FeedFormat): string {
  return `${token.alerts}${enc(ruleId)}.${format}`;
}

/** The error code of a failed call ({"error":{"code"}}), if the server sent one. */
export function errorCode(err: unknown): string | undefined {
  if (!(err instanceof RequestError)) return undefined;
  const code = obj(obj(err.body).error).code;
  return typeof code === 'string' ? code : undefined;
}

// ---- the rule form ----

/** The rule form's fields: lists as the text the user types, numbers as typed. */
export interface Draft {
  name: string;
  enabled: boolean;
  keywords: string;
  pattern: string;
  exclude: string;
  boards: string[];
  sites: string[];
  max_rank: number | string;
  min_hot: number | string;
  trigger: Trigger;
  top_n: number | string;
  tz: string;
  quietOn: boolean;
  quietFrom: string;
  quietTo: string;
  digest: Digest;
  digest_hour: number;
  channels: string[];
}

/** The browser's IANA time zone (what a new rule's hours are in), else UTC. */
export function browserTimeZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}

/** Every IANA zone the browser knows, for the time zone field's suggestions. */
export function timeZones(): string[] {
  const intl = Intl as unknown as { supportedValuesOf?: (key: string) => string[] };
  try {
    return intl.supportedValuesOf ? intl.supportedValuesOf('timeZone') : [];
  } catch {
    return [];
  }
}

/** Words typed one per line or separated by commas (, ， 、), trimmed, empty ones dropped. */
export function splitWords(text: string): string[] {
  return text
    .split(/[\n,，、]/)
    .map((w) => w.trim())
    .filter((w) => w !== '');
}

export function emptyDraft(channels: readonly string[] = []): Draft {
  return {
    name: '',
    enabled: true,
    keywords: '',
    pattern: '',
    exclude: '',
    boards: [],
    sites: [],
    max_rank: 0,
    min_hot: 0,
    trigger: 'new',
    top_n: 10,
    tz: browserTimeZone(),
    quietOn: false,
    quietFrom: '23:00',
    quietTo: '07:00',
    digest: 'immediate',
    digest_hour: 8,
    channels: [...channels],
  };
}

export function ruleToDraft(rule: RuleBody): Draft {
  return {
    name: rule.name,
    enabled: rule.enabled,
    keywords: rule.keywords.join(', '),
    pattern: rule.pattern,
    exclude: rule.exclude.join(', '),
    boards: [...rule.boards],
    sites: [...rule.sites],
    max_rank: rule.max_rank,
    min_hot: rule.min_hot,
    trigger: rule.trigger,
    top_n: rule.top_n,
    tz: rule.tz,
    quietOn: rule.quiet !== null,
    quietFrom: rule.quiet?.from ?? '23:00',
    quietTo: rule.quiet?.to ?? '07:00',
    digest: rule.digest,
    digest_hour: rule.digest_hour,
    channels: [...rule.channels],
  };
}

/** A number field: empty is `empty`; anything else is sent as typed, for the server to judge. */
function numberOf(v: number | string, empty: number): number {
  if (typeof v === 'number') return Number.isFinite(v) ? v : empty;
  const t = v.trim();
  if (t === '') return empty;
  const n = Number(t);
  return Number.isFinite(n) ? n : NaN;
}

/**
 * The rule a draft describes. The checks are the server's (its 400 names the field); an
 * unreadable number is sent as null so that the server says which field is wrong.
 */
export function draftToRule(d: Draft): RuleBody {
  const n = (v: number | string, empty: number) => {
    const x = numberOf(v, empty);
    return Number.isNaN(x) ? (null as unknown as number) : x;
  };
  return {
    name: d.name.trim(),
    enabled: d.enabled,
    keywords: splitWords(d.keywords),
    pattern: d.pattern,
    exclude: splitWords(d.exclude),
    boards: [...d.boards],
    sites: [...d.sites],
    max_rank: n(d.max_rank, 0),
    min_hot: n(d.min_hot, 0),
    trigger: d.trigger,
    top_n: n(d.top_n, 10),
    tz: d.tz.trim() || 'UTC',
    quiet: d.quietOn ? { from: d.quietFrom.slice(0, 5), to: d.quietTo.slice(0, 5) } : null,
    digest: d.digest,
    digest_hour: d.digest_hour,
    channels: [...d.channels],
  };
}

// ---- sites and boards to choose from ----

/** A site or board in the rule form's scope pickers. */
export interface ScopeOption {
  id: string;
  label: string;
  /** The board's site (boards only). */
  site?: string;
  /** Lower-case text the filter box searches: id and names in both languages. */
  search: string;
}

/** "微博 · 热搜榜" for a board, with what the filter finds it by. */
export function boardOption(
  b: { id: string; site: string; name: string; name_en?: string },
  site: { name: string; name_en?: string } | undefined,
  label: string,
): ScopeOption {
  const search = [b.id, b.name, b.name_en ?? '', site?.name ?? '', site?.name_en ?? '', label].join('\n').toLowerCase();
  return { id: b.id, site: b.site, label, search };
}
