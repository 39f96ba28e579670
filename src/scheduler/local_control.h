// LocalSchedulerControl: SchedulerControl for `mu serve`, where the Scheduler runs in the
// same process. A schedule change is merged into the board's stored override document
// (so it survives a restart, exactly as in the distributed mode) and then applied at once
// through Scheduler::apply_change(); "run now" goes straight to the scheduler. Safe for
// concurrent use (the Scheduler and Store are).
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "core/clock.h"
#include "scheduler/control.h"
#include "scheduler/scheduler.h"
#include "store/store.h"

namespace mu {

class LocalSchedulerControl final : public SchedulerControl {
 public:
  // All three must outlive this object.
  LocalSchedulerControl(Scheduler& scheduler, Store& store, const Clock& clock);

  // Applies the stored overrides newer than what the scheduler runs (call at start-up,
  // after the config's boards were applied). Returns how many were applied.
  Result<int> reconcile();

  // A board as the config file describes it (SIGHUP reload) with the stored override on
  // top, applied at the board's current version: the admin's changes outlive a reload.
  Status reload_board(const BoardMeta& meta, bool enabled);

  Result<SchedulerStatusInfo> status() override;
  Result<std::string> trigger_now(const std::string& board) override;
  Result<int64_t> update_schedule(const BoardChange& change) override;
  Result<std::vector<RunRecord>> list_runs(const std::string& board, int limit) override;

 private:
  Scheduler& scheduler_;
  Store& store_;
  const Clock& clock_;
  std::atomic<int64_t> last_reconcile_ms_{0};
};

}  // namespace mu
