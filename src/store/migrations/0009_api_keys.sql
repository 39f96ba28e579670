-- 0009_api_keys: API keys, a program's way in with its own quota (issue 16). Portable SQL as
-- in 0001. A key row keeps the SHA-256 hex of the secret, never the secret; `id` is a random
-- public name. Revoked keys stay (revoked_ms > 0) so their usage remains visible; limits of 0
-- mean the configured default. Times are unix milliseconds.

CREATE TABLE api_keys (
  id TEXT PRIMARY KEY,
  user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  name TEXT NOT NULL DEFAULT '',
  secret_hash TEXT NOT NULL UNIQUE,
  prefix TEXT NOT NULL,
  created_ms BIGINT NOT NULL,
  last_used_ms BIGINT NOT NULL DEFAULT 0,
  requests BIGINT NOT NULL DEFAULT 0,
  revoked_ms BIGINT NOT NULL DEFAULT 0,
  per_minute BIGINT NOT NULL DEFAULT 0,
  burst BIGINT NOT NULL DEFAULT 0
);

-- A user's keys, newest first, and the count of their live keys.
CREATE INDEX api_keys_user ON api_keys (user_id, created_ms);
