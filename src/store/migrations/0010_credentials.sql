-- 0010_credentials: what the admin console keeps for fetching (issue 16): a site's cookie
-- ("zhihu.cookie") or a board's or site's proxy ("weibo.hot.proxy"), sealed with the
-- process's secrets key (AES-256-GCM; auth/secret_box.h) before it reaches the store: the
-- database never holds them in clear. Portable SQL as in 0001.

CREATE TABLE credentials (
  name TEXT PRIMARY KEY,
  sealed TEXT NOT NULL,
  updated_ms BIGINT NOT NULL,
  updated_by TEXT NOT NULL DEFAULT ''
);
