#include "scheduler/local_control.h"

#include "scheduler/board_change_json.h"
#include "scheduler/board_override.h"

namespace mu {

LocalSchedulerControl::LocalSchedulerControl(Scheduler& scheduler, Store& store, const Clock& clock)
    : scheduler_(scheduler), store_(store), clock_(clock) {}

Result<int> LocalSchedulerControl::reconcile() {
  auto applied = reconcile_overrides(store_, scheduler_);
  if (applied.ok()) last_reconcile_ms_ = clock_.now_ms();
  return applied;
}

Status LocalSchedulerControl::reload_board(const BoardMeta& meta, bool enabled) {
  BoardChange change;
  change.board = meta.id;
  change.meta = meta;
  change.enabled = enabled;
  MU_ASSIGN_OR_RETURN(auto stored, stored_override(store_, meta.id));
  if (stored) {
    MU_ASSIGN_OR_RETURN(BoardChange over,
                        board_change_from_json(meta.id, stored->version, stored->json));
    change = merge_board_change(change, over);
  }
  change.version = 0;
  for (const auto& b : scheduler_.snapshot().boards) {
    if (b.board == meta.id) change.version = b.version;
  }
  return scheduler_.apply_change(change);
}

Result<SchedulerStatusInfo> LocalSchedulerControl::status() {
  SchedulerStatusInfo info;
  info.instance = "embedded";
  info.leader = true;
  info.leader_instance = "embedded";
  info.epoch = 1;
  info.queue_depth = 0;
  info.last_reconcile_ms = last_reconcile_ms_.load();
  for (const auto& b : scheduler_.snapshot().boards) {
    info.boards.push_back({b.board, b.enabled, b.version, b.next_due_s, b.in_flight});
  }
  return info;
}

Result<std::string> LocalSchedulerControl::trigger_now(const std::string& board) {
  return scheduler_.trigger_now(board);
}

Result<int64_t> LocalSchedulerControl::update_schedule(const BoardChange& change) {
  MU_ASSIGN_OR_RETURN(BoardChange merged, store_board_change(store_, clock_, change));
  Status s = scheduler_.apply_change(merged);
  // kConflict: a newer document was applied meanwhile (it contains this change).
  if (!s.ok() && s.code() != ErrorCode::kConflict) return s;
  return merged.version;
}

Result<std::vector<RunRecord>> LocalSchedulerControl::list_runs(const std::string& board,
                                                                int limit) {
  return store_.runs(board, limit);
}

}  // namespace mu
