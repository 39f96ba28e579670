// ScheduleFollower: keeps the API's rendered boards on their *effective* schedule — the
// catalogue's board with the operator's stored override applied (every, cron, group and
// the enabled flag; scheduler/board_override.h) — so every API instance reports the
// interval, due time and enabled flag the schedulers actually run, not the static config.
//
// poll() reads the override documents (one store query; there is one row per board an
// operator ever changed, not per board) and re-renders only the boards whose override
// version moved since the last poll. `mu serve` and `mu api` call it about once a second,
// which bounds how long an instance shows a superseded schedule; the change itself
// travels the store (and, for the schedulers, the change queue) as before.
//
// Not thread-safe: one caller thread polls.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "api/board_cache.h"
#include "core/status.h"
#include "core/types.h"
#include "store/store.h"

namespace mu {

class ScheduleFollower {
 public:
  // `boards`: the catalogue (the schedule before any override).
  ScheduleFollower(const std::vector<BoardMeta>& boards, OverrideStore& store, BoardCache& cache);

  // Applies every override document newer than the one last applied to its board; returns
  // the ids of the boards re-rendered. A document that does not parse is logged and
  // skipped (its board keeps what it showed); a store error is returned and nothing is lost
  // (the next poll retries).
  Result<std::vector<std::string>> poll();

 private:
  std::unordered_map<std::string, BoardMeta> catalogue_;
  OverrideStore& store_;
  BoardCache& cache_;
  std::unordered_map<std::string, int64_t> applied_;  // board -> override version shown
};

}  // namespace mu
