#include "api/schedule_follower.h"

#include <spdlog/spdlog.h>

#include "scheduler/board_change_json.h"
#include "scheduler/scheduler.h"

namespace mu {

ScheduleFollower::ScheduleFollower(const std::vector<BoardMeta>& boards, OverrideStore& store,
                                   BoardCache& cache)
    : store_(store), cache_(cache) {
  catalogue_.reserve(boards.size());
  for (const auto& b : boards) catalogue_.emplace(b.id, b);
}

Result<std::vector<std::string>> ScheduleFollower::poll() {
  MU_ASSIGN_OR_RETURN(std::vector<BoardOverrideRecord> records, store_.board_overrides());
  std::vector<std::string> changed;
  Status first;
  for (const auto& rec : records) {
    auto base = catalogue_.find(rec.board);
    if (base == catalogue_.end()) continue;  // a board this instance's catalogue lacks
    auto seen = applied_.find(rec.board);
    if (seen != applied_.end() && seen->second == rec.version) continue;
    auto change = board_change_from_json(rec.board, rec.version, rec.json);
    if (!change.ok()) {
      spdlog::warn("api: override of {} (version {}) ignored: {}", rec.board, rec.version,
                   change.status().to_string());
      applied_[rec.board] = rec.version;
      continue;
    }
    Status s = cache_.set_meta(with_change(base->second, *change), change->enabled);
    if (!s.ok()) {
      if (first.ok()) first = s;
      continue;  // not marked applied: the next poll renders it again
    }
    applied_[rec.board] = rec.version;
    changed.push_back(rec.board);
  }
  if (!first.ok() && changed.empty()) return first;
  return changed;
}

}  // namespace mu
