-- 0002_board_overrides: the operator's live changes to a board (schedule, enabled flag,
-- collector group) as one versioned JSON document per board. Written first by every
-- schedule change (admin API, `UpdateSchedule`), then announced on the change queue; the
-- leader applies a document whose version is newer than the one it runs and reconciles
-- against this table periodically, so a lost queue entry is repaired.

CREATE TABLE board_overrides (
  board TEXT PRIMARY KEY REFERENCES boards (id),
  version BIGINT NOT NULL,
  body TEXT NOT NULL,
  updated_ms BIGINT NOT NULL
);
