// API data is untrusted: only http(s) URLs ever become links or image sources.

export function safeUrl(raw: unknown): string | undefined {
  if (typeof raw !== 'string' || raw === '') return undefined;
  try {
    const url = new URL(raw);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : undefined;
  } catch {
    return undefined;
  }
}

/** A CSS colour from the API, accepted only as #rgb / #rrggbb. */
export function safeColor(raw: unknown): string | undefined {
  return typeof raw === 'string' && /^#(?:[0-9a-f]{3}|[0-9a-f]{6})$/i.test(raw) ? raw : undefined;
}
