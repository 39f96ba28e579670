-- 0011_alerts: feeds and alerts (issue 13). Portable SQL as in 0001.
--
-- user_documents: a user's alert rules, notification channels and private feed tokens, as
-- JSON the store does not look inside (channel secrets arrive sealed). document_revisions
-- counts changes per kind so the leader reloads rules only when they changed.
-- alert_matches: an item a rule matched, once per (rule, board, item) whatever process
-- records it. alert_deliveries: the outbox, one row per match and channel; `state` is
-- 'pending', 'sent' or 'dead'; a pending row is due at next_ms (a claim moves next_ms to the
-- end of its lease). Ids are MAX(id) + 1 under the store's write lock, as elsewhere.

CREATE TABLE user_documents (
  kind TEXT NOT NULL,
  id TEXT NOT NULL,
  user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  body TEXT NOT NULL,
  updated_ms BIGINT NOT NULL,
  PRIMARY KEY (kind, id)
);
CREATE INDEX user_documents_user ON user_documents (user_id, kind);

CREATE TABLE document_revisions (
  kind TEXT PRIMARY KEY,
  revision BIGINT NOT NULL
);

-- How far the rules have seen each board: the fetched_at_ms of the newest snapshot evaluated,
-- moved in the transaction that records its matches; a process that died between a commit
-- and its evaluation leaves it behind, and the next evaluation counts as new every item
-- first seen after it.
CREATE TABLE alert_cursors (
  board TEXT PRIMARY KEY,
  evaluated_ms BIGINT NOT NULL
);

CREATE TABLE alert_matches (
  id BIGINT PRIMARY KEY,
  rule_id TEXT NOT NULL,
  user_id BIGINT NOT NULL,
  board TEXT NOT NULL,
  item_key TEXT NOT NULL,
  title TEXT NOT NULL,
  url TEXT NOT NULL,
  rank INTEGER NOT NULL,
  hot_text TEXT NOT NULL DEFAULT '',
  matched_ms BIGINT NOT NULL,
  UNIQUE (rule_id, board, item_key)
);
CREATE INDEX alert_matches_time ON alert_matches (matched_ms);

CREATE TABLE alert_deliveries (
  id BIGINT PRIMARY KEY,
  match_id BIGINT NOT NULL REFERENCES alert_matches (id) ON DELETE CASCADE,
  channel_id TEXT NOT NULL,
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_ms BIGINT NOT NULL,
  sent_ms BIGINT NOT NULL DEFAULT 0,
  last_error TEXT NOT NULL DEFAULT '',
  UNIQUE (match_id, channel_id)
);
CREATE INDEX alert_deliveries_due ON alert_deliveries (state, next_ms);
CREATE INDEX alert_deliveries_match ON alert_deliveries (match_id);
