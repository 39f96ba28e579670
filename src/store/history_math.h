// The C++ half of history (store/history.h) that both stores share, so SQLite and
// PostgreSQL decide alike: which rows and points a commit writes (plan_commit), and an
// item's time on the board within a window from its kept points (window_entry).
// Pure functions; safe from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/types.h"
#include "store/history.h"

namespace mu::history {

// An `items` row a commit knows before it writes: the board's current items and, for the
// commit's other keys, their rows if they exist.
struct StoredItem {
  int64_t id = 0;
  std::string key;
  int cur_rank = 0;  // 0: not on the board now
  std::optional<double> cur_hot;
  int64_t last_seen_ms = 0;
  std::string title;
  std::string summary;
  bool indexed = false;  // its search entry holds the tokens of title and summary
};

// Whether an item that stays on the board gets a point: its rank changed, its heat
// appeared or disappeared, or it moved by kHeatStep of the last point's heat or more.
bool point_due(int old_rank, const std::optional<double>& old_hot, int rank,
               const std::optional<double>& hot);

// What a commit writes for one of its items (ranks 1..n in request order).
struct ItemWrite {
  size_t index = 0;  // into the commit's items; rank = index + 1
  int64_t id = 0;    // the row's id; 0 for a new row (the store assigns MAX(id) + 1)
  bool write_point = false;
  std::optional<double> cur_hot;  // what items.cur_hot becomes (the last point's heat)
  int64_t on_board_delta_ms = 0;  // added to on_board_ms (it stayed since last seen)
  // The search entry: kNone (unchanged), kInsert (none yet), kReplace (drop the tokens of
  // old_title / old_summary first).
  enum class Index { kNone, kInsert, kReplace };
  Index index_action = Index::kNone;
  std::string old_title;
  std::string old_summary;
};

// A current item the commit no longer lists: it left at the commit's time.
struct ItemExit {
  int64_t id = 0;
  int64_t on_board_delta_ms = 0;
};

struct CommitPlan {
  std::vector<ItemWrite> items;  // in rank order
  std::vector<ItemExit> exits;
};

// The history writes of a commit of `items` at `now_ms`, given the stored rows of the
// board's current items and of the commit's keys (any order; others are ignored).
CommitPlan plan_commit(const std::vector<StoredItem>& stored, const std::vector<Item>& items,
                       int64_t now_ms);

// The entry of `item` for the window [start_ms, end_ms) from `points` (oldest first): the
// last point at or before start_ms, if any, and every point within the window. A point's
// state lasts until the next point, the last one's until end_ms: an item that left has an
// exit point (rank 0), so a ranked last point means it was still on the board at end_ms
// (a store passes end_ms no later than its newest commit, or accepts that the current
// items count until end_ms). nullopt when it was not on the board within the window.
std::optional<DayEntry> window_entry(const HistoryItem& item,
                                     const std::vector<HistoryPoint>& points, int64_t start_ms,
                                     int64_t end_ms);

// Points per item id, oldest first (what a store reads for window_entries).
using WindowPoints = std::unordered_map<int64_t, std::vector<HistoryPoint>>;

// window_entry of each of `items` with its points, ranked and cut by rank_window_entries.
std::vector<DayEntry> window_entries(const std::vector<HistoryItem>& items,
                                     const WindowPoints& points, int64_t start_ms, int64_t end_ms,
                                     int limit);

// board_at, one row at a time: `item` with its latest point at or before the instant.
// Ranked items are added in the order given (the statement sorts by rank); as_of_ms is the
// newest of the points, exits included.
void add_board_at_row(std::optional<BoardAt>& out, HistoryItem item, const HistoryPoint& point);

// Orders entries by time on the board (most first), then peak rank, then item id, and
// keeps the first `limit`.
void rank_window_entries(std::vector<DayEntry>& entries, int limit);

// The bound values of a search statement (store/sql_statements.h kSearch*): the date range
// (open ends as the extreme values) and the cursor (the first page starts past every hit).
struct SearchBounds {
  int64_t from_ms = 0;
  int64_t to_ms = 0;
  int64_t cursor_rank = 0;  // kBestRank
  int64_t cursor_seen_ms = 0;
  int64_t cursor_id = 0;
};
SearchBounds search_bounds(const SearchRequest& request);

// Matches on one board among the newest ones.
struct SearchGroup {
  std::string board;
  std::string site;
  int64_t count = 0;
};
// One row of kSearchScan: a match, newest first.
struct SearchScanRow {
  int64_t id = 0;
  std::string board;
  std::string site;
};
// The matches per (board, site) of a scan.
std::vector<SearchGroup> search_groups(const std::vector<SearchScanRow>& scan);
// The ids of the page (at most limit + 1, newest first) when the scan (read with the limit
// kSearchCountLimit + 1) holds it: newest first, after the cursor, with ?board= and ?site=
// applied. nullopt when the scan was cut before the page filled: the store then reads the
// page with kSearchNewest (a deep cursor, or a filter that matches little of a common word).
std::optional<std::vector<int64_t>> page_from_scan(const std::vector<SearchScanRow>& scan,
                                                   const SearchRequest& request,
                                                   const SearchBounds& bounds);
// Ids as a JSON array ("[3,2]") or a PostgreSQL array literal ("{3,2}").
std::string id_list(const std::vector<int64_t>& ids, bool postgres);
// Fills `result`'s total, total_exact and facets from the groups of the newest matches,
// read with the limit kSearchCountLimit + 1. Returns true when the total needs its own
// count (kSearchCount): more matches than the limit and a board or site filter, so the
// filtered matches among the newest ones say little about the filtered total.
bool tally_search(const std::vector<SearchGroup>& groups, const SearchRequest& request,
                  SearchResult& result);
// Sets `result`'s total from kSearchCount's count, read with the limit kSearchCountLimit + 1.
void set_counted_total(int64_t count, SearchResult& result);

// The SearchCursor of the page after `hits` (the last hit's sort values).
SearchCursor cursor_after(const HistoryItem& last);

// compact_history thins the points in [begin, end): the whole hours of the
// kThinWindowMs before `hourly_before_ms`, so a call reads a bounded range and calls at
// least that often leave no gap.
inline constexpr int64_t kHourMs = 3'600'000;
inline constexpr int64_t kThinWindowMs = 48 * kHourMs;
struct ThinRange {
  int64_t begin_ms = 0;
  int64_t end_ms = 0;
};
ThinRange thin_range(int64_t hourly_before_ms);

}  // namespace mu::history
