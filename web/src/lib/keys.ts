// API keys (docs/api.md, /api/v1/me/keys and /api/v1/admin/keys): types, calls, and the checks
// the forms make before asking. Imported by the settings and admin chunks only. The answers
// are untrusted like the rest of the API: every field is read with its type checked, and
// nothing is rendered as HTML.
import { RequestError, request } from './account';
import { apiUrl } from './api';

export interface Limit {
  per_minute: number;
  burst: number;
}

export interface ApiKey {
  id: string;
  name: string;
  /** The first characters of the secret (e.g. "mu_ab12cd"): how the owner tells keys apart. */
  prefix: string;
  created_at: string | null;
  last_used_at: string | null;
  /** Requests made with the key (including usage not yet written to the store). */
  requests: number;
  revoked: boolean;
  revoked_at: string | null;
  /** The limit in force: the key's own, or the server's default for keys. */
  per_minute: number;
  burst: number;
  /** An admin set limits of its own for this key. */
  custom_limit: boolean;
}

export interface AdminApiKey extends ApiKey {
  user_id: string;
  login: string;
}

export interface MyKeys {
  keys: ApiKey[];
  default_limit: Limit | null;
  anonymous_limit: Limit | null;
  max_keys: number | null;
}

const enc = encodeURIComponent;

const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');
const strOrNull = (v: unknown): string | null => (typeof v === 'string' && v ? v : null);
const count = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? Math.floor(v) : 0);

function limitOf(v: unknown): Limit | null {
  const o = v as Partial<Limit> | null;
  if (!o || typeof o !== 'object') return null;
  return { per_minute: count(o.per_minute), burst: count(o.burst) };
}

/** A key as the API sent it, with every field of the expected type. */
export function toKey(raw: unknown): ApiKey {
  const o = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  return {
    id: str(o.id),
    name: str(o.name),
    prefix: str(o.prefix),
    created_at: strOrNull(o.created_at),
    last_used_at: strOrNull(o.last_used_at),
    requests: count(o.requests),
    revoked: o.revoked === true,
    revoked_at: strOrNull(o.revoked_at),
    per_minute: count(o.per_minute),
    burst: count(o.burst),
    custom_limit: o.custom_limit === true,
  };
}

function toAdminKey(raw: unknown): AdminApiKey {
  const o = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  return { ...toKey(raw), user_id: str(o.user_id), login: str(o.login) };
}

const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

export async function getMyKeys(): Promise<MyKeys> {
  const r = await request<Record<string, unknown> | null>('GET', '/api/v1/me/keys');
  const max = r?.max_keys;
  return {
    keys: list(r?.keys).map(toKey),
    default_limit: limitOf(r?.default_limit),
    anonymous_limit: limitOf(r?.anonymous_limit),
    max_keys: typeof max === 'number' && max > 0 ? max : null,
  };
}

/** Creates a key: the answer holds the secret, which the server never shows again. */
export async function createKey(name: string): Promise<{ key: ApiKey; secret: string }> {
  const r = await request<{ key?: unknown; secret?: unknown } | null>('POST', '/api/v1/me/keys', { name });
  return { key: toKey(r?.key), secret: str(r?.secret) };
}

export const revokeMyKey = (id: string) => request<unknown>('DELETE', `/api/v1/me/keys/${enc(id)}`);

export async function getAllKeys(): Promise<AdminApiKey[]> {
  const r = await request<{ keys?: unknown } | null>('GET', '/api/v1/admin/keys');
  return list(r?.keys).map(toAdminKey);
}

/** Sets a key's limits (0: the server's default for keys); answers the key as it is now. */
export async function setKeyLimits(id: string, limit: Limit): Promise<ApiKey> {
  return toKey(await request<unknown>('PATCH', `/api/v1/admin/keys/${enc(id)}`, limit));
}

export const revokeAnyKey = (id: string) => request<unknown>('DELETE', `/api/v1/admin/keys/${enc(id)}`);

/** The error code of a failed call ({"error":{"code"}}), if the server sent one. */
export function errorCode(err: unknown): string | undefined {
  if (!(err instanceof RequestError)) return undefined;
  const code = (err.body as { error?: { code?: unknown } } | null)?.error?.code;
  return typeof code === 'string' ? code : undefined;
}

export const MAX_NAME_BYTES = 100;

/** What is wrong with a key name before the server is asked (it checks the same). */
export function nameProblem(name: string): { problem: 'required' | 'too_long' | 'control'; bytes: number } | null {
  const bytes = new TextEncoder().encode(name).length;
  if (!name.trim()) return { problem: 'required', bytes };
  if (bytes > MAX_NAME_BYTES) return { problem: 'too_long', bytes };
  // C0 controls, DEL and C1 controls.
  if (/[\u0000-\u001f\u007f-\u009f]/.test(name)) return { problem: 'control', bytes };
  return null;
}

/** The curl line of the usage hint, against the API this page talks to. */
export function curlExample(): string {
  const url = new URL(apiUrl('/api/v1/boards'), location.href).href;
  return `curl -H "Authorization: Bearer $MU_KEY" '${url}'`;
}
