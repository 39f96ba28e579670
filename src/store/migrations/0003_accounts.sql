-- 0003_accounts: users signed in through an OAuth provider, their sessions, favorites and
-- preferences, and the audit log of administrative actions. Portable SQL as in 0001: ids
-- of `users` and `audit_log` are assigned by the store as MAX(id) + 1 under its write
-- serialization; times are unix milliseconds. A session row is keyed by the SHA-256 hex of
-- the session token: the token itself is never stored.

CREATE TABLE users (
  id BIGINT PRIMARY KEY,
  -- The identity provider ('github', ...) and the user's stable id there.
  provider TEXT NOT NULL,
  provider_id TEXT NOT NULL,
  -- The provider's (changeable) login name, display name and avatar, refreshed at sign-in.
  login TEXT NOT NULL,
  name TEXT NOT NULL DEFAULT '',
  avatar_url TEXT NOT NULL DEFAULT '',
  -- 'user' or 'admin'.
  role TEXT NOT NULL DEFAULT 'user',
  created_ms BIGINT NOT NULL,
  last_login_ms BIGINT NOT NULL,
  UNIQUE (provider, provider_id)
);

-- user_by_login / set_role.
CREATE INDEX users_login ON users (login);

CREATE TABLE sessions (
  -- SHA-256 hex of the session token.
  id TEXT PRIMARY KEY,
  user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  csrf_token TEXT NOT NULL,
  created_ms BIGINT NOT NULL,
  last_seen_ms BIGINT NOT NULL,
  expires_ms BIGINT NOT NULL,
  user_agent TEXT NOT NULL DEFAULT ''
);

-- delete_user_sessions.
CREATE INDEX sessions_user ON sessions (user_id);
-- count_active_sessions.
CREATE INDEX sessions_last_seen ON sessions (last_seen_ms);

CREATE TABLE favorites (
  user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  board TEXT NOT NULL,
  item_key TEXT NOT NULL,
  -- Copied when the item is added, so the favorite outlives the item on its board.
  title TEXT NOT NULL DEFAULT '',
  url TEXT NOT NULL DEFAULT '',
  added_ms BIGINT NOT NULL,
  PRIMARY KEY (user_id, board, item_key)
);

-- A user's favorites, newest first.
CREATE INDEX favorites_user_added ON favorites (user_id, added_ms);

CREATE TABLE preferences (
  user_id BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  -- Starts at 1, grows by one with every put (compare-and-set).
  version BIGINT NOT NULL,
  -- A JSON document the store does not look inside.
  body TEXT NOT NULL,
  updated_ms BIGINT NOT NULL
);

CREATE TABLE audit_log (
  id BIGINT PRIMARY KEY,
  at_ms BIGINT NOT NULL,
  -- Login of the user who acted ('' for the system).
  actor TEXT NOT NULL DEFAULT '',
  action TEXT NOT NULL,
  target TEXT NOT NULL DEFAULT '',
  -- A JSON document ('{}' when there is nothing to add).
  detail TEXT NOT NULL DEFAULT '{}'
);
