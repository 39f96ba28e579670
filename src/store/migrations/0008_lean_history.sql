-- 0008_lean_history: history costs fewer bytes per item (issue 12's 1.5 GB-a-year goal).
-- items_seen (last_seen_ms over every board) served the scans across boards: compaction's
-- thinning, retention's dropping and the day's top. They now go board by board on
-- items_board_seen (board, last_seen_ms), which the per-board archives need anyway, so the
-- second index on the same times (≈ 25 bytes an item, 70 MB a year) goes.

DROP INDEX items_seen;
