// Live updates over Server-Sent Events (GET ${API_BASE}/api/v1/events): "hello" on connect,
// "board-updated" {"board","version"} after a board's content changed (refetch it),
// "board-checked" {"board","version","fetched_at","last_run_at","due_by","success_rate"}
// after a run that fetched the same content (only the times move), "resync" to refetch all.
// EventSource reconnects by itself after a dropped stream; when it gives up (closed: e.g. a
// 404 before the server has the endpoint, or an HTTP error) we reconnect with exponential
// backoff. While not connected, the catalogue is polled so the page still moves.
import { ref } from 'vue';
import { apiUrl } from './api';
import { firstAnswers, onBoardChecked, onBoardUpdated, pollVersions, refreshAll, type BoardTimes } from './store';

export const liveConnected = ref(false);

const MIN_BACKOFF_MS = 1000;
const MAX_BACKOFF_MS = 60_000;
const POLL_MS = 60_000;

let source: EventSource | undefined;
let backoff = MIN_BACKOFF_MS;
let retryTimer: ReturnType<typeof setTimeout> | undefined;
let pollTimer: ReturnType<typeof setInterval> | undefined;
let helloCount = 0;

function startPolling(): void {
  if (!pollTimer) pollTimer = setInterval(() => void pollVersions(), POLL_MS);
}

function stopPolling(): void {
  if (pollTimer) clearInterval(pollTimer);
  pollTimer = undefined;
}

function scheduleReconnect(): void {
  if (retryTimer) return;
  const delay = backoff * (0.75 + Math.random() * 0.5);
  backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
  retryTimer = setTimeout(() => {
    retryTimer = undefined;
    connect();
  }, delay);
}

const timeOrNull = (v: unknown): string | null | undefined =>
  v === null ? null : typeof v === 'string' ? v : undefined;

/** A board-checked event's data, or undefined when a field is missing or mistyped. */
function parseTimes(data: unknown): (BoardTimes & { board: string }) | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const d = data as Record<string, unknown>;
  const fetched = timeOrNull(d.fetched_at);
  const lastRun = timeOrNull(d.last_run_at);
  const due = timeOrNull(d.due_by);
  const rate = d.success_rate === null || typeof d.success_rate === 'number' ? d.success_rate : undefined;
  if (typeof d.board !== 'string' || typeof d.version !== 'number') return undefined;
  if (fetched === undefined || lastRun === undefined || due === undefined || rate === undefined) return undefined;
  return { board: d.board, version: d.version, fetched_at: fetched, last_run_at: lastRun, due_by: due, success_rate: rate };
}

export function connect(): void {
  if (typeof EventSource === 'undefined') {
    startPolling();
    return;
  }
  source?.close();
  const es = new EventSource(apiUrl('/api/v1/events'));
  source = es;
  es.addEventListener('hello', () => {
    liveConnected.value = true;
    backoff = MIN_BACKOFF_MS;
    stopPolling();
    // After a gap (not the first connection) events may have been missed: catch up. The first
    // connection of a page drawn from the answers the server wrote into it: those are up to a
    // few seconds old (the server composes the page at most every 10 s), so the boards that
    // moved since are fetched (one catalogue request says which).
    if (helloCount++ > 0) void refreshAll();
    else if (firstAnswers.ids.length > 0) void pollVersions();
  });
  es.addEventListener('board-updated', (event) => {
    try {
      const data = JSON.parse((event as MessageEvent<string>).data) as { board?: unknown };
      if (typeof data.board === 'string') onBoardUpdated(data.board);
    } catch {
      // malformed event: ignore
    }
  });
  es.addEventListener('board-checked', (event) => {
    try {
      const times = parseTimes(JSON.parse((event as MessageEvent<string>).data));
      if (times) onBoardChecked(times.board, times);
    } catch {
      // malformed event: ignore
    }
  });
  es.addEventListener('resync', () => void refreshAll());
  es.onerror = () => {
    liveConnected.value = false;
    startPolling();
    if (es.readyState === EventSource.CLOSED) {
      if (source === es) source = undefined;
      scheduleReconnect();
    }
    // CONNECTING: the browser retries by itself (server sends retry: 3000).
  };
}

// Back online: do not wait for the backoff timer.
window.addEventListener('online', () => {
  if (liveConnected.value) return;
  backoff = MIN_BACKOFF_MS;
  if (retryTimer) clearTimeout(retryTimer);
  retryTimer = undefined;
  connect();
});

export function disconnect(): void {
  source?.close();
  source = undefined;
  liveConnected.value = false;
  if (retryTimer) clearTimeout(retryTimer);
  retryTimer = undefined;
  stopPolling();
}
