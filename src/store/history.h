// History: everything Mu has seen on every board, kept compactly and searchable.
//
// Layout (migration 0007; docs/architecture.md has the growth math):
//   items        one row per (board, item key) ever listed: Mu's id for it, the latest title,
//                URL and summary, first/last seen, best rank, peak heat, total time on the
//                board, its current rank (0 when it is not on the board now) and story keys
//                (core/search_text.h: title_key, url_key).
//   item_points  (item id, time, rank, heat) written on change only: when the item enters
//                the board, changes rank, its heat moves by kHeatStep or more, and when it
//                leaves (rank 0). Older than the full-resolution window, compact_history
//                keeps the first point of each hour, every exit and every re-entry.
//   search index the tokens of title + summary (core/search_text.h): an FTS5 table in
//                SQLite, a tsvector column with a GIN index in PostgreSQL.
// commit_snapshot (store.h) writes all of it in the snapshot's transaction.
//
// Errors: kInvalid for malformed arguments, kUnavailable when the database is down.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/search_text.h"
#include "core/status.h"

namespace mu {

// A heat change of at least this fraction of the previous value writes a point.
inline constexpr double kHeatStep = 0.02;

// One kept observation of an item. rank 0: the item left the board at `at_ms`.
struct HistoryPoint {
  int64_t at_ms = 0;
  int rank = 0;
  std::optional<double> hot;
};

// One (board, item) Mu has seen.
struct HistoryItem {
  int64_t id = 0;  // the store's id of the item (stable)
  std::string board;
  std::string site;
  std::string key;
  std::string title;
  std::string url;
  std::string summary;
  int64_t first_seen_ms = 0;
  int64_t last_seen_ms = 0;
  int best_rank = 0;
  int current_rank = 0;  // 0 when it is not on the board now
  std::optional<double> peak_hot;
  int64_t on_board_ms = 0;  // total time on the board
  int64_t title_key = 0;
  int64_t url_key = 0;
};

enum class SearchOrder {
  kNewest,    // first seen, newest first (the id order)
  kBestRank,  // best rank first, then newest
};

// Where a page of results continues: the sort values of the last hit of the page before.
struct SearchCursor {
  int64_t rank = 0;     // kBestRank only: that hit's best_rank
  int64_t seen_ms = 0;  // kBestRank only: that hit's last_seen_ms
  int64_t id = 0;       // that hit's id
};

struct SearchRequest {
  search::Query query;             // at least one term
  std::string board;               // only this board ("" = any)
  std::string site;                // only this site ("" = any)
  std::optional<int64_t> from_ms;  // seen at or after (last_seen_ms >= from)
  std::optional<int64_t> to_ms;    // seen at or before (first_seen_ms <= to)
  SearchOrder order = SearchOrder::kNewest;
  int limit = 20;                     // 1..100
  std::optional<SearchCursor> after;  // continue after this hit
  bool facets = true;                 // count matches per site and per board
};

// SearchResult::total and the facets count at most this many matches.
inline constexpr int64_t kSearchCountLimit = 5'000;
inline constexpr size_t kMaxFacets = 50;

struct FacetCount {
  std::string value;  // site or board id
  int64_t count = 0;
};

struct SearchResult {
  std::vector<HistoryItem> hits;  // at most `limit`, in the requested order
  bool more = false;              // another page follows the last hit
  // Matches of the query and every filter, counted among the newest kSearchCountLimit
  // matches of the query and the date range: exact when total_exact, else a lower bound
  // (a common word over years of history has more matches than anyone pages through, and
  // counting them all would cost a read of each).
  int64_t total = 0;
  bool total_exact = true;
  // The same newest matches per site and per board (ignoring ?board= and ?site=), most
  // first, at most kMaxFacets each.
  std::vector<FacetCount> sites;
  std::vector<FacetCount> boards;
};

// An item's whole kept history.
struct ItemTimeline {
  HistoryItem item;
  std::vector<HistoryPoint> points;  // oldest first
  // The same story elsewhere (same URL key or title key, another board), newest first.
  std::vector<HistoryItem> related;
};

// An item on a board at one instant.
struct BoardAtEntry {
  HistoryItem item;
  int rank = 0;
  std::optional<double> hot;
};

// The board as it was at an instant: the items on it per their latest point at or before.
struct BoardAt {
  int64_t as_of_ms = 0;  // the newest point at or before the instant (when it last changed)
  std::vector<BoardAtEntry> items;  // by rank
};

// An item's time on a board within a window [start, end).
struct DayEntry {
  HistoryItem item;
  int peak_rank = 0;  // best rank held within the window
  std::optional<double> peak_hot;
  int64_t on_board_ms = 0;  // time on the board within the window
  int64_t entered_ms = 0;   // first time within the window it was on the board
  int64_t left_ms = 0;      // last time within the window it was on the board
};

class HistoryStore {
 public:
  virtual ~HistoryStore() = default;

  // Full-text search over every item (see SearchRequest).
  virtual Result<SearchResult> search(const SearchRequest& request) = 0;

  // The item `key` of `board` with every kept point and related items (at most
  // `related_limit`); nullopt when the store never saw it.
  virtual Result<std::optional<ItemTimeline>> item_timeline(const std::string& board,
                                                            const std::string& key,
                                                            int related_limit) = 0;

  // `board` as it was at `at_ms`; nullopt when nothing of it is kept at or before then.
  virtual Result<std::optional<BoardAt>> board_at(const std::string& board, int64_t at_ms) = 0;

  // The items on `board` (or on every board of kind `rank` when `board` is "") at any time
  // in [start_ms, end_ms), with their time on the board and peak rank within the window;
  // ordered by time on the board (most first), then peak rank. At most `limit`.
  virtual Result<std::vector<DayEntry>> window_entries(const std::string& board, int64_t start_ms,
                                                       int64_t end_ms, int limit) = 0;

  // Retention: points older than `hourly_before_ms` are thinned to the first of each hour
  // per item (exits, and entries after an exit, are kept); each call thins the 48 hours
  // before `hourly_before_ms` (history_math.h kThinWindowMs), so it must run at least that
  // often. When `drop_before_ms` > 0, items last seen before it and not on their board now
  // are deleted with all their points and search entries (at most 5000 items per call; an
  // item still seen later keeps its older points). Returns the number of deleted points.
  // Safe to run while boards are committed (it takes the write lock).
  virtual Result<int64_t> compact_history(int64_t hourly_before_ms, int64_t drop_before_ms) = 0;
};

}  // namespace mu
