// The admin console's credentials (cookies and proxies for fetching) and the board test fetch:
// types and calls for /api/v1/admin/credentials… and POST /api/v1/admin/boards/{id}/test.
// Only the admin chunk imports this module. The server never answers a credential's value,
// only a summary (cookie names, or the proxy's scheme://host:port); what it answers is
// untrusted data like the rest of the API (text only, links through safe.ts).
import { request } from './account';

export type CredentialKind = 'cookie' | 'proxy';

export interface Credential {
  /** "<site>.cookie", "<site>.proxy" or "<board>.proxy". */
  name: string;
  kind: CredentialKind;
  /** The site or board id it applies to. */
  target: string;
  updated_at: string | null;
  updated_by: string;
  /** false: sealed with another key (storage.secrets_key changed): the fetchers skip it. */
  readable: boolean;
  /** Cookie names ("z_c0, d_c0") or the proxy's scheme://host:port; never the value. */
  summary: string;
}

export interface CredentialsInfo {
  /** false without storage.secrets_key: `reason` says why, and writes are refused (503). */
  enabled: boolean;
  reason: string;
  credentials: Credential[];
  /** Sites with a board whose source says it needs a cookie. */
  cookie_sites: string[];
}

export interface BoardTestResult {
  board: string;
  ok: boolean;
  http_status: number;
  bytes: number;
  elapsed_ms: number;
  item_count: number;
  /** The first (at most 10) items. */
  items: { rank: number; title: string; url: string }[];
  /** `class` and `hint` are those of the status page (source health). */
  error: { code: string; message: string; class: string; hint: string } | null;
  /** The fetch carried a cookie / went through a proxy set in the console. */
  with_cookie: boolean;
  with_proxy: boolean;
}

const enc = encodeURIComponent;

export const cookieName = (site: string) => `${site}.cookie`;
export const proxyName = (target: string) => `${target}.proxy`;

/** The list, made safe to render whatever the server sent (missing fields, wrong types). */
export async function getCredentials(): Promise<CredentialsInfo> {
  const r = await request<Partial<CredentialsInfo> | null>('GET', '/api/v1/admin/credentials');
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  const list = Array.isArray(r?.credentials) ? r.credentials : [];
  return {
    enabled: r?.enabled === true,
    reason: str(r?.reason),
    credentials: list
      .filter((c): c is Credential => !!c && typeof c.name === 'string')
      .map((c) => ({
        name: c.name,
        kind: c.kind === 'cookie' || (c.kind !== 'proxy' && c.name.endsWith('.cookie')) ? 'cookie' : 'proxy',
        target: str(c.target) || c.name.slice(0, c.name.lastIndexOf('.')),
        updated_at: typeof c.updated_at === 'string' ? c.updated_at : null,
        updated_by: str(c.updated_by),
        readable: c.readable !== false,
        summary: str(c.summary),
      })),
    cookie_sites: Array.isArray(r?.cookie_sites) ? r.cookie_sites.filter((s): s is string => typeof s === 'string') : [],
  };
}

/** Stores (or replaces) a credential; 400 "invalid" with the reason when the value is refused. */
export const putCredential = (name: string, value: string) =>
  request<Credential>('PUT', `/api/v1/admin/credentials/${enc(name)}`, { value });

export const deleteCredential = (name: string) => request<null>('DELETE', `/api/v1/admin/credentials/${enc(name)}`);

/** Fetches the board once now with its current credentials (stores nothing; up to its timeout). */
export const testBoard = (id: string) => request<BoardTestResult>('POST', `/api/v1/admin/boards/${enc(id)}/test`);

/**
 * A cookie as pasted: the ends trimmed, and a leading "Cookie:" (copied with the header's name
 * from the browser's network panel) dropped. Everything else is for the server to judge.
 */
export function cleanCookie(text: string): string {
  return text.trim().replace(/^cookie:[ \t]*/i, '');
}

/** A size as "812 B", "24.1 KB", "1.3 MB". */
export function byteSize(n: number): string {
  if (!Number.isFinite(n) || n < 0) return '—';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}
