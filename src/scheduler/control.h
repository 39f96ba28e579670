// SchedulerControl: what a scheduler instance offers over gRPC (scheduler.proto) — its
// status, "run now", schedule updates and run history. `mu scheduler` implements it (every
// instance, leader or not: requests are written to the store and the change queue);
// SchedulerClient implements it for callers in other processes. Safe for concurrent use.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "scheduler/scheduler.h"
#include "store/store.h"

namespace mu {

struct SchedulerStatusInfo {
  std::string instance;           // this scheduler's id
  bool leader = false;            // whether this instance holds the lease
  std::string leader_instance;    // "" when the lease is free
  int64_t epoch = 0;              // the current leader's epoch (0: none)
  int64_t queue_depth = 0;        // change-queue entries not yet acknowledged
  int64_t last_reconcile_ms = 0;  // 0: never (followers)
  struct Board {
    std::string board;
    bool enabled = true;
    int64_t version = 0;
    std::optional<int64_t> next_due_s;
    std::string in_flight;
  };
  std::vector<Board> boards;  // filled by the leader only
};

class SchedulerControl {
 public:
  virtual ~SchedulerControl() = default;
  virtual Result<SchedulerStatusInfo> status() = 0;
  // The dispatch id started (or merged into) when this instance leads; otherwise the id of
  // the queue entry that carries the request to the leader.
  virtual Result<std::string> trigger_now(const std::string& board) = 0;
  // Writes the change to the store (merged into the board's override document) and
  // enqueues it; returns the stored version. `change.version` is ignored.
  virtual Result<int64_t> update_schedule(const BoardChange& change) = 0;
  virtual Result<std::vector<RunRecord>> list_runs(const std::string& board, int limit) = 0;
};

}  // namespace mu
