// The admin console's API (docs/api.md, /api/v1/admin/…): types and calls. Only the admin
// chunk imports this module. Every answer is untrusted data like the rest of the API: links
// go through safe.ts, nothing is rendered as HTML.
import { request } from './account';
import { toDelivery, type Delivery, type DeliveryState } from './alerts';

export type Schedule = { every_s: number } | { cron: string; tz?: string };

export interface AdminBoard {
  id: string;
  site: string;
  name: string;
  name_en?: string;
  enabled: boolean;
  group: string;
  schedule: Partial<{ every_s: number; cron: string; tz: string }>;
  /** The scheduler's version of the board's plan; null when the scheduler did not answer. */
  version: number | null;
  next_due_ms: number | null;
  in_flight: string;
  /** A stored override from the console is in force. */
  overridden?: boolean;
  last_run_ms?: number | null;
  last_success_ms: number | null;
  last_error: { code: string; message: string; at_ms: number } | null;
  success_rate: number | null;
  runs_considered: number;
}

export interface SchedulerInfo {
  mode: string;
  instance: string;
  leader: boolean;
  leader_instance: string;
  epoch: number;
  queue_depth: number;
  last_reconcile_ms: number;
  reachable: boolean;
  /** Why the scheduler could not be asked (reachable false). */
  error?: string;
}

export interface Overview {
  now_ms: number;
  scheduler: SchedulerInfo;
  boards: AdminBoard[];
}

export interface Collector {
  id: string;
  /** The groups it serves (the contract first said one `group`: both read). */
  groups?: string[];
  group?: string;
  address: string;
  last_heartbeat_ms: number | null;
  in_flight: number;
  capacity: number;
  version: string;
}

export interface SourceSpec {
  name: string;
  text: string;
  boards: string[];
  /** Why the spec does not load (it is skipped), or null. */
  error?: string | null;
}

export interface SourcesInfo {
  dir: string;
  writable: boolean;
  specs: SourceSpec[];
  example: string;
}

export interface TestedBoard {
  board: string;
  name: string;
  items: { title: string; url?: string; hot_text?: string }[];
  error: { code: string; message: string } | null;
  elapsed_ms: number;
}

export interface AdminUser {
  id: number | string;
  login: string;
  name: string;
  avatar_url: string;
  role: string;
  provider: string;
  provider_id?: string;
  created_ms: number;
  last_login_ms: number;
}

export interface AuditEntry {
  id: number | string;
  at_ms: number;
  actor: string;
  action: string;
  target: string;
  detail: unknown;
}

export interface Run {
  dispatch_id: string;
  status: string;
  error_code?: string;
  /** docs/api.md names it `error`; the accounts contract said `error_message`: both read. */
  error?: string;
  error_message?: string;
  attempt?: number;
  started_at: string | null;
  finished_at: string | null;
  duration_ms?: number;
  http_status?: number;
  bytes?: number;
  item_count?: number;
  collector?: string;
}

export interface BoardChange {
  every?: string;
  cron?: string;
  tz?: string;
  enabled?: boolean;
  group?: string;
}

const enc = encodeURIComponent;

export const getOverview = () => request<Overview>('GET', '/api/v1/admin/overview');

/** The next runs of a schedule; with `board`, as that board would run (its jitter and so on). */
export function previewSchedule(s: { every: string } | { cron: string; tz: string }, board?: string): Promise<{ next_ms: number[] }> {
  const q = 'every' in s ? `every=${enc(s.every)}` : `cron=${enc(s.cron)}${s.tz ? `&tz=${enc(s.tz)}` : ''}`;
  return request('GET', `/api/v1/admin/schedule/preview?${q}${board ? `&board=${enc(board)}` : ''}`);
}

export const saveBoard = (id: string, change: BoardChange) =>
  request<{ board: string; version: number; next_due_ms: number | null }>('PUT', `/api/v1/admin/boards/${enc(id)}`, change);

export const runBoard = (id: string) => request<{ dispatch_id: string }>('POST', `/api/v1/admin/boards/${enc(id)}/run`);

export const getRuns = (id: string, limit = 20) =>
  request<{ board: string; runs: Run[] }>('GET', `/api/v1/boards/${enc(id)}/runs?limit=${limit}`);

export const getCollectors = () => request<{ collectors: Collector[] }>('GET', '/api/v1/admin/collectors');

export const getSources = () => request<SourcesInfo>('GET', '/api/v1/admin/sources');

export const testSource = (text: string) => request<{ boards: TestedBoard[] }>('POST', '/api/v1/admin/sources/test', { text });

export const saveSource = (name: string, text: string) =>
  request<{ saved: boolean; path: string; restart_required: boolean }>('PUT', `/api/v1/admin/sources/${enc(name)}`, { text });

export const getUsers = () => request<{ users: AdminUser[] }>('GET', '/api/v1/admin/users');

// By Mu's user id: logins are not unique (a GitHub account may be called "local-admin").
export const setRole = (id: AdminUser['id'], role: string) =>
  request<{ id: number; provider: string; login: string; role: string }>('POST', `/api/v1/admin/users/${enc(String(id))}/role`, { role });

export function getAudit(before?: AuditEntry['id'], limit = 50) {
  return request<{ entries: AuditEntry[] }>('GET', `/api/v1/admin/audit?limit=${limit}${before !== undefined ? `&before=${enc(String(before))}` : ''}`);
}

/** A delivery of any user's alert (docs/alerts.md#the-outbox), with its owner. */
export interface AdminDelivery extends Delivery {
  user_id: number;
}

/** Every user's deliveries in `state`, newest first; `before`: older than that id (the next page). */
export async function getAdminDeliveries(state: DeliveryState, before?: number, limit = 50): Promise<AdminDelivery[]> {
  const q = `state=${enc(state)}&limit=${limit}${before !== undefined ? `&before=${before}` : ''}`;
  const r = await request<{ deliveries?: unknown }>('GET', `/api/v1/admin/alerts/deliveries?${q}`);
  const list = Array.isArray(r?.deliveries) ? r.deliveries : [];
  return list.map((raw: unknown) => {
    const uid = (raw as { user_id?: unknown } | null)?.user_id;
    return { ...toDelivery(raw), user_id: typeof uid === 'number' && Number.isFinite(uid) ? uid : 0 };
  });
}

/** Puts a delivery back to pending, due now (204). */
export const retryDelivery = (id: number) => request<unknown>('POST', `/api/v1/admin/alerts/deliveries/${enc(String(id))}/retry`);

/** A schedule in the form the editor and the API take: "90s", "10m", "2h". */
export function everyText(seconds: number): string {
  if (seconds > 0 && seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds > 0 && seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}

/** The time zones the browser knows (for the cron editor's suggestions). */
export function timeZones(): string[] {
  const intl = Intl as unknown as { supportedValuesOf?: (what: string) => string[] };
  try {
    return intl.supportedValuesOf ? intl.supportedValuesOf('timeZone') : [];
  } catch {
    return [];
  }
}
