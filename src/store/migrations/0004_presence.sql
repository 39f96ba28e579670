-- 0004_presence: how many anonymous live readers (open SSE streams) each API instance has,
-- for the "online now" counter. Every instance upserts its own row periodically; the
-- counter sums the rows updated recently, so an instance that stopped (or crashed) drops
-- out on its own once its row is older than the window. Portable SQL as in 0001; times are
-- unix milliseconds.

CREATE TABLE presence (
  -- The API instance's id (stable for the life of the process).
  instance TEXT PRIMARY KEY,
  readers BIGINT NOT NULL,
  updated_ms BIGINT NOT NULL
);

-- count_presence.
CREATE INDEX presence_updated ON presence (updated_ms);
