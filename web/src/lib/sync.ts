// Preferences sync, the pure part: how this browser's settings and the copy kept with the
// account (GET/PUT /api/v1/me/preferences, any JSON object) are merged. Each field comes from
// the copy that changed it last (per-field timestamps, see settings.ts), so settings made
// while signed out survive signing in, and two devices never lose each other's latest
// choices. The network part (when to fetch, PUT, retry after 409) lives in account.ts.
import { mergeSettings, normalizeSettings, SETTINGS_KEYS, type SettingsDoc } from './settings';

export interface Reconciled {
  /** The merged settings, to apply here and to keep with the account. */
  doc: SettingsDoc;
  /** The merge changed something in this browser: apply `doc`. */
  localChanged: boolean;
  /** The account's copy lacks something of `doc`: PUT it. */
  remoteChanged: boolean;
}

/** Same values and same per-field timestamps (`updated_at` alone does not count). */
export function sameSettings(a: SettingsDoc, b: SettingsDoc): boolean {
  for (const key of SETTINGS_KEYS) {
    if (JSON.stringify(a[key]) !== JSON.stringify(b[key])) return false;
    if ((a.field_updated_at[key] ?? '') !== (b.field_updated_at[key] ?? '')) return false;
  }
  return true;
}

/** A plain copy of the settings document (what is sent as the preferences body). */
export function settingsBody(doc: SettingsDoc): SettingsDoc {
  const out = normalizeSettings(JSON.parse(JSON.stringify(doc)));
  out.updated_at = doc.updated_at;
  return out;
}

/**
 * Merges the account's preferences body (untrusted: any shape; `{}` when there is none yet)
 * into the local settings, field by field, and says which side has to change.
 */
export function reconcile(local: SettingsDoc, remoteBody: unknown): Reconciled {
  // A plain copy: `local` may be the reactive settings object (a proxy structuredClone refuses).
  const here = settingsBody(local);
  const remote = normalizeSettings(remoteBody);
  const doc = mergeSettings(here, remote);
  return { doc, localChanged: !sameSettings(doc, here), remoteChanged: !sameSettings(doc, remote) };
}
