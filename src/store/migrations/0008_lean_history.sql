-- 0008_lean_history: history costs fewer bytes per item (issue 12's 1.5 GB-a-year goal);
-- runs are kept for storage.keep_runs_days and read by time for source health.
-- items_seen (last_seen_ms over every board) served the scans across boards: compaction's
-- thinning, retention's dropping and the day's top. They now go board by board on
-- items_board_seen (board, last_seen_ms), which the per-board archives need anyway, so the
-- second index on the same times (≈ 25 bytes an item, 70 MB a year) goes.

DROP INDEX items_seen;

-- A board's items by time also carry first_seen_ms, so "on the board at T" (last seen at or
-- after the fetch before T, first seen at or before T) and "during a day" filter in the index
-- and read only the rows they return: without it every row seen since T was read to check
-- its first_seen_ms, and a board at a time weeks ago read weeks of rows.
DROP INDEX items_board_seen;
CREATE INDEX items_board_seen ON items (board, last_seen_ms, first_seen_ms);

-- Runs by time: source health tallies the last week's runs (run_tallies). The table is
-- bounded by storage.keep_runs_days, so the index is too.
CREATE INDEX runs_finished ON runs (finished_ms);
