-- 0007_history: history you can use (issue 12; store/history.h). Every (board, item) row
-- of `items` gets Mu's stable id, its current rank and heat, its time on the board, story
-- keys and a search entry; `item_points` keeps (time, rank, heat) on change only.
--
-- Portable SQL as in 0001, except the sections marked for one dialect (store/migrations.h):
-- SQLite keeps item_points WITHOUT ROWID (the primary key is the table: half the bytes)
-- and the search tokens in an FTS5 table; PostgreSQL keeps them in a tsvector column with
-- a GIN index. The tokens and the story keys are computed in C++ (core/search_text.h), so
-- the rows that exist before this migration are indexed by migrate() right after it, in
-- batches, through the `indexed` flag (0: title_key, url_key and the search entry are due).

ALTER TABLE items ADD COLUMN id BIGINT;
ALTER TABLE items ADD COLUMN summary TEXT NOT NULL DEFAULT '';
-- The rank on the board's latest snapshot; 0 when the item is not on the board now.
ALTER TABLE items ADD COLUMN cur_rank INTEGER NOT NULL DEFAULT 0;
-- The heat of the item's latest point (a point is written when it moves by kHeatStep).
ALTER TABLE items ADD COLUMN cur_hot DOUBLE PRECISION;
ALTER TABLE items ADD COLUMN peak_hot DOUBLE PRECISION;
-- Total time on the board up to last_seen_ms (and up to its exit once it left).
ALTER TABLE items ADD COLUMN on_board_ms BIGINT NOT NULL DEFAULT 0;
ALTER TABLE items ADD COLUMN title_key BIGINT NOT NULL DEFAULT 0;
ALTER TABLE items ADD COLUMN url_key BIGINT NOT NULL DEFAULT 0;
ALTER TABLE items ADD COLUMN indexed INTEGER NOT NULL DEFAULT 0;

-- Ids of the existing rows in the order they were first seen; new rows get MAX(id) + 1 in
-- the serialized commit (like snapshot ids).
UPDATE items SET id = r.n
FROM (SELECT board, item_key,
             ROW_NUMBER() OVER (ORDER BY first_seen_ms, board, item_key) AS n
      FROM items) r
WHERE r.board = items.board AND r.item_key = items.item_key;
CREATE UNIQUE INDEX items_id ON items (id);

-- What is on each board now: its latest snapshot (boards.version; never pruned).
UPDATE items SET cur_rank = si.rank, cur_hot = si.hot, peak_hot = si.hot, summary = si.summary
FROM boards b JOIN snapshot_items si ON si.snapshot_id = b.version
WHERE b.id = items.board AND si.item_key = items.item_key;
-- Not known before history: the span it was seen over stands for its time on the board.
UPDATE items SET on_board_ms = last_seen_ms - first_seen_ms;

-- Story keys (related items), the board's items by time (archives, retention), the items
-- on a board now (each commit reads them) and the rows still to index.
CREATE INDEX items_title_key ON items (title_key);
CREATE INDEX items_url_key ON items (url_key);
CREATE INDEX items_board_seen ON items (board, last_seen_ms);
CREATE INDEX items_seen ON items (last_seen_ms);
CREATE INDEX items_current ON items (board) WHERE cur_rank > 0;
CREATE INDEX items_unindexed ON items (id) WHERE indexed = 0;

-- mu:dialect sqlite
CREATE TABLE item_points (
  item_id BIGINT NOT NULL,
  at_ms BIGINT NOT NULL,
  -- 0: the item left the board at at_ms.
  rank INTEGER NOT NULL,
  hot DOUBLE PRECISION,
  PRIMARY KEY (item_id, at_ms)
) WITHOUT ROWID;
-- Contentless (the text is in items): rowid = items.id, one column of space-separated
-- tokens; removing a row needs its old tokens (FTS5 'delete'), which the store recomputes
-- from the row's old title and summary.
CREATE VIRTUAL TABLE items_fts USING fts5(
  tokens, content='', columnsize=0, tokenize='unicode61 remove_diacritics 0');
-- mu:dialect postgres
CREATE TABLE item_points (
  item_id BIGINT NOT NULL,
  at_ms BIGINT NOT NULL,
  rank INTEGER NOT NULL,
  hot DOUBLE PRECISION,
  PRIMARY KEY (item_id, at_ms)
);
-- The tokens as a tsvector literal (never to_tsvector: its parser drops CJK in the C locale).
ALTER TABLE items ADD COLUMN search tsvector;
CREATE INDEX items_search ON items USING GIN (search);
-- mu:dialect all

-- A timeline for every existing item: where it entered (at first_seen_ms with the best
-- rank it held, the one rank known from then), where it is now (current items seen more
-- than once), and its exit just after it was last seen (the others).
INSERT INTO item_points (item_id, at_ms, rank, hot)
SELECT id, first_seen_ms, best_rank,
       CASE WHEN cur_rank > 0 AND last_seen_ms = first_seen_ms THEN cur_hot
            ELSE CAST(NULL AS DOUBLE PRECISION) END
FROM items;
INSERT INTO item_points (item_id, at_ms, rank, hot)
SELECT id, last_seen_ms, cur_rank, cur_hot FROM items
WHERE cur_rank > 0 AND last_seen_ms > first_seen_ms;
INSERT INTO item_points (item_id, at_ms, rank, hot)
SELECT id, last_seen_ms + 1, 0, CAST(NULL AS DOUBLE PRECISION) FROM items WHERE cur_rank = 0;
