#include "scheduler/board_override.h"

#include <spdlog/spdlog.h>

#include <map>

#include "scheduler/board_change_json.h"
#include "scheduler/cron.h"

namespace mu {

Status validate_board_change(const BoardChange& c) {
  if (c.every && c.cron) {
    return error(ErrorCode::kInvalid, "every: every and cron exclude each other; set only one");
  }
  if (c.every && (*c.every < std::chrono::seconds(10) || *c.every > std::chrono::hours(24 * 7))) {
    return error(ErrorCode::kInvalid, "every: must be between 10s and 7d");
  }
  if (c.cron) {
    auto parsed = CronExpr::parse(*c.cron);
    if (!parsed.ok()) return error(ErrorCode::kInvalid, "cron: " + parsed.error_message());
  }
  if (c.tz) {
    auto zone = find_time_zone(*c.tz);
    if (!zone.ok()) return error(ErrorCode::kInvalid, "tz: " + zone.error_message());
  }
  if (c.group && c.group->empty()) return error(ErrorCode::kInvalid, "group: must not be empty");
  return ok_status();
}

Result<std::optional<BoardOverrideRecord>> stored_override(OverrideStore& store,
                                                           const std::string& board) {
  return store.board_override(board);
}

Result<BoardChange> store_board_change(OverrideStore& store, const Clock& clock,
                                       const BoardChange& change) {
  MU_RETURN_IF_ERROR(validate_board_change(change));
  BoardChange update = change;
  update.meta.reset();
  for (int attempt = 0;; ++attempt) {
    MU_ASSIGN_OR_RETURN(auto current, stored_override(store, change.board));
    BoardChange base;
    base.board = change.board;
    if (current) {
      MU_ASSIGN_OR_RETURN(base,
                          board_change_from_json(change.board, current->version, current->json));
    }
    BoardChange merged = merge_board_change(base, update);
    auto put = store.put_board_override(change.board, current ? current->version : 0,
                                        board_change_to_json(merged), clock.now_ms());
    if (put.ok()) {
      merged.board = change.board;
      merged.version = *put;
      return merged;
    }
    if (put.code() != ErrorCode::kConflict || attempt >= 50) return put.status();
  }
}

Result<int> reconcile_overrides(OverrideStore& store, Scheduler& scheduler) {
  MU_ASSIGN_OR_RETURN(auto all, store.board_overrides());
  std::map<std::string, int64_t> running;
  for (const auto& b : scheduler.snapshot().boards) running[b.board] = b.version;
  int applied = 0;
  for (const auto& r : all) {
    auto it = running.find(r.board);
    if (it == running.end() || it->second >= r.version) continue;
    auto change = board_change_from_json(r.board, r.version, r.json);
    if (!change.ok()) {
      spdlog::error("scheduler: override of {} v{}: {}", r.board, r.version,
                    change.status().to_string());
      continue;
    }
    Status s = scheduler.apply_change(*change);
    if (s.ok()) {
      ++applied;
    } else if (s.code() != ErrorCode::kConflict) {
      spdlog::error("scheduler: applying {} v{}: {}", r.board, r.version, s.to_string());
    }
  }
  return applied;
}

}  // namespace mu
