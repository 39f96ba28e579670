-- 0001_init: sites, boards, snapshots and their items, per-item history, runs, fence.
--
-- Shared by every Store implementation (SQLite and PostgreSQL), so it sticks to
-- portable SQL: INTEGER / BIGINT / TEXT / DOUBLE PRECISION columns, plain constraints and
-- indexes, no AUTOINCREMENT / SERIAL / IDENTITY and no WITHOUT ROWID. Row ids of
-- `snapshots` and `runs` are assigned by the store as MAX(id) + 1 inside its serialized
-- write transaction, so no dialect-specific id generator is needed. Booleans are INTEGER
-- 0/1. Times are unix milliseconds (BIGINT) unless the name says seconds (`_s`).
-- Identifiers avoid reserved words: `group` is `group_name`, an item's key is `item_key`.

CREATE TABLE sites (
  id TEXT PRIMARY KEY,
  name_zh TEXT NOT NULL DEFAULT '',
  name_en TEXT NOT NULL DEFAULT '',
  home TEXT NOT NULL DEFAULT '',
  icon TEXT NOT NULL DEFAULT '',
  color TEXT NOT NULL DEFAULT '',
  region TEXT NOT NULL DEFAULT '',
  -- 1 when the site is no longer in the catalogue (its rows are kept).
  retired INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE boards (
  id TEXT PRIMARY KEY,
  site TEXT NOT NULL REFERENCES sites (id),
  name_zh TEXT NOT NULL DEFAULT '',
  name_en TEXT NOT NULL DEFAULT '',
  kind TEXT NOT NULL DEFAULT 'rank',
  every_s INTEGER NOT NULL,
  jitter_s INTEGER NOT NULL,
  timeout_s INTEGER NOT NULL,
  retries INTEGER NOT NULL DEFAULT 1,
  group_name TEXT NOT NULL DEFAULT '',
  homepage TEXT NOT NULL DEFAULT '',
  notes TEXT NOT NULL DEFAULT '',
  needs_cookie INTEGER NOT NULL DEFAULT 0,
  needs_token INTEGER NOT NULL DEFAULT 0,
  -- Runtime and operator state: never overwritten by a catalogue sync.
  enabled INTEGER NOT NULL DEFAULT 1,
  -- 1 when the board is no longer in the catalogue (history is kept).
  retired INTEGER NOT NULL DEFAULT 0,
  -- Bumped whenever the catalogue changes the board's metadata or schedule.
  config_version BIGINT NOT NULL DEFAULT 1,
  last_ok_ms BIGINT NOT NULL DEFAULT 0,
  last_run_ms BIGINT NOT NULL DEFAULT 0,
  -- Error code name of the last run; '' when it succeeded (the board is stale otherwise).
  last_error_code TEXT NOT NULL DEFAULT '',
  last_error TEXT NOT NULL DEFAULT '',
  -- Id of the last good snapshot (0: never fetched).
  version BIGINT NOT NULL DEFAULT 0,
  item_count INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE snapshots (
  id INTEGER PRIMARY KEY,
  board TEXT NOT NULL REFERENCES boards (id),
  fetched_at_ms BIGINT NOT NULL,
  epoch BIGINT NOT NULL,
  dispatch_id TEXT NOT NULL UNIQUE,
  slot BIGINT NOT NULL,
  item_count INTEGER NOT NULL
);

-- Latest snapshots of a board (board_view) and retention (prune_snapshots).
CREATE INDEX snapshots_board_id ON snapshots (board, id);

CREATE TABLE snapshot_items (
  snapshot_id INTEGER NOT NULL REFERENCES snapshots (id) ON DELETE CASCADE,
  rank INTEGER NOT NULL,
  item_key TEXT NOT NULL,
  title TEXT NOT NULL DEFAULT '',
  url TEXT NOT NULL DEFAULT '',
  mobile_url TEXT NOT NULL DEFAULT '',
  summary TEXT NOT NULL DEFAULT '',
  image TEXT NOT NULL DEFAULT '',
  hot DOUBLE PRECISION,
  hot_text TEXT NOT NULL DEFAULT '',
  label TEXT NOT NULL DEFAULT '',
  author TEXT NOT NULL DEFAULT '',
  published_at_ms BIGINT,
  -- JSON array of [name, value] string pairs (order and duplicates kept); NULL when empty.
  extra TEXT,
  PRIMARY KEY (snapshot_id, rank)
);

CREATE TABLE items (
  board TEXT NOT NULL REFERENCES boards (id),
  item_key TEXT NOT NULL,
  title TEXT NOT NULL DEFAULT '',
  url TEXT NOT NULL DEFAULT '',
  first_seen_ms BIGINT NOT NULL,
  last_seen_ms BIGINT NOT NULL,
  best_rank INTEGER NOT NULL,
  last_rank INTEGER NOT NULL,
  times_seen INTEGER NOT NULL DEFAULT 1,
  PRIMARY KEY (board, item_key)
);

CREATE TABLE runs (
  id INTEGER PRIMARY KEY,
  dispatch_id TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  board TEXT NOT NULL REFERENCES boards (id),
  slot BIGINT NOT NULL,
  epoch BIGINT NOT NULL,
  -- 'ok' or an error code name ('network', 'parse', ...).
  status TEXT NOT NULL,
  error_message TEXT NOT NULL DEFAULT '',
  started_ms BIGINT NOT NULL,
  finished_ms BIGINT NOT NULL,
  http_status INTEGER NOT NULL DEFAULT 0,
  bytes BIGINT NOT NULL DEFAULT 0,
  item_count INTEGER NOT NULL DEFAULT 0,
  collector TEXT NOT NULL DEFAULT ''
);

-- Newest runs of a board first.
CREATE INDEX runs_board_id ON runs (board, id);
-- Attempts of one dispatch.
CREATE INDEX runs_dispatch ON runs (dispatch_id);

-- Exactly one row: the highest scheduler epoch any write has carried.
CREATE TABLE fence (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  epoch BIGINT NOT NULL
);
INSERT INTO fence (id, epoch) VALUES (1, 0);
