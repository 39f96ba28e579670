// Store: Mu's durable state (sites, boards, snapshots, per-item history, runs, fence).
// Implementations: store/sqlite (embedded) and, later, store/postgres. Every method is
// safe for concurrent use. Errors: kUnavailable when the database cannot be reached,
// kFenced / kConflict from commit_snapshot, kNotFound for unknown boards.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/status.h"
#include "core/types.h"

namespace mu {

// How many of a board's newest runs BoardState::recent_runs / recent_ok look at.
inline constexpr int kRecentRunsWindow = 20;

// Outcome facts about one fetch, recorded for every run (success or not).
struct RunStats {
  int64_t started_ms = 0;
  int64_t finished_ms = 0;
  int http_status = 0;
  int64_t bytes = 0;
  int item_count = 0;
  int attempt = 1;
  std::string collector;  // who fetched it ("local" when embedded)
};

struct CommitRequest {
  std::string board;
  int64_t epoch = 0;
  std::string dispatch_id;  // "<board>@<slot unix seconds>"
  int64_t slot = 0;         // unix seconds of the nominal slot
  std::vector<Item> items;  // normalized, deduplicated, in rank order
  RunStats stats;
};

struct FailureRecord {
  std::string board;
  int64_t epoch = 0;
  std::string dispatch_id;
  int64_t slot = 0;
  Status error;  // the typed error of the failed run
  RunStats stats;
};

// A row of the runs table.
struct RunRecord {
  std::string dispatch_id;
  std::string board;
  int64_t slot = 0;
  int64_t epoch = 0;
  std::string status;  // "ok" or an error code name
  std::string error_message;
  RunStats stats;
};

// The operator's changes to one board (schedule, enabled flag, collector group), kept as
// one JSON document (scheduler/board_change_json.h defines it; the store does not look
// inside). `version` starts at 1 and grows by one with every put.
struct BoardOverrideRecord {
  std::string board;
  int64_t version = 0;
  std::string json;
  int64_t updated_ms = 0;
};

// What the API renders for one board: the latest snapshot, the keys of the snapshot
// before it (for rank changes and "new" marks) and per-item history.
struct BoardView {
  Snapshot snapshot;
  bool has_previous = false;
  std::vector<std::string> previous_keys;                // in rank order
  std::unordered_map<std::string, ItemHistory> history;  // for the snapshot's keys
  BoardState state;
};

class Store {
 public:
  virtual ~Store() = default;

  // Applies pending numbered migrations. Idempotent.
  virtual Status migrate() = 0;

  // Makes the sites and boards tables match the catalogue (insert or update metadata;
  // keeps runtime fields such as enabled flags and history).
  virtual Status sync_catalogue(const std::vector<Site>& sites,
                                const std::vector<BoardMeta>& boards) = 0;

  // In one transaction: rejects with kFenced when `epoch` is below the highest epoch the
  // store has seen, with kConflict when `dispatch_id` was already committed; otherwise
  // stores the snapshot, updates per-item history, records the run as ok and clears the
  // board's error. Returns the new snapshot id (the board's version).
  virtual Result<int64_t> commit_snapshot(const CommitRequest& request) = 0;

  // Records a failed run and marks the board stale with the error. The last good snapshot
  // is untouched. Fenced like commit_snapshot.
  virtual Status record_failure(const FailureRecord& failure) = 0;

  // The latest snapshot of `board` with ranks compared to the previous one; nullopt when
  // the board has never been fetched.
  virtual Result<std::optional<BoardView>> board_view(const std::string& board) = 0;

  // Freshness and run history (recent_runs / recent_ok over the newest kRecentRunsWindow
  // runs) of every board, in one round trip; board_view() fills BoardView::state alike.
  virtual Result<std::vector<BoardState>> board_states() = 0;
  virtual Result<BoardState> board_state(const std::string& board) = 0;

  // Most recent runs of a board, newest first; at most `limit`.
  virtual Result<std::vector<RunRecord>> runs(const std::string& board, int limit) = 0;

  // Deletes snapshots beyond the newest `keep_per_board` of each board.
  virtual Result<int64_t> prune_snapshots(int keep_per_board) = 0;

  // The highest epoch seen by the store.
  virtual Result<int64_t> fence_epoch() = 0;

  // Raises the fence to `epoch` (never lowers it): a new leader calls it on takeover so
  // that late commits of the old term are rejected as kFenced from then on. Returns the
  // fence after the call.
  virtual Result<int64_t> raise_fence(int64_t epoch) = 0;

  // Compare-and-set of a board's override document: writes `json` as version
  // `expected_version + 1` when the stored version is `expected_version` (0: none stored
  // yet), else kConflict (read again, merge, retry). kNotFound for an unknown board.
  // Returns the new version.
  virtual Result<int64_t> put_board_override(const std::string& board, int64_t expected_version,
                                             const std::string& json, int64_t now_ms) = 0;
  // Every board's override document, by board id.
  virtual Result<std::vector<BoardOverrideRecord>> board_overrides() = 0;
};

}  // namespace mu
