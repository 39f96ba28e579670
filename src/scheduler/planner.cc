#include "scheduler/planner.h"

#include <algorithm>

namespace mu {

int64_t jitter_offset(const std::string& board, std::chrono::seconds every,
                      std::chrono::seconds jitter) {
  const int64_t bound = std::min<int64_t>(jitter.count(), every.count() - 1);
  if (bound <= 0) return 0;
  uint64_t h = 1469598103934665603ULL;  // FNV-1a: stable across processes
  for (unsigned char c : board) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return static_cast<int64_t>(h % static_cast<uint64_t>(bound + 1));
}

int64_t slot_at_or_before(int64_t now_s, int64_t every_s, int64_t offset_s) {
  int64_t k = now_s - offset_s;
  int64_t q = k / every_s;
  if (k % every_s != 0 && k < 0) --q;  // floor division for times before the offset
  return q * every_s + offset_s;
}

void Planner::upsert(const BoardPlan& plan) {
  State& s = boards_[plan.board];
  s.plan = plan;
  if (s.plan.every.count() < 1) s.plan.every = std::chrono::seconds(1);
  s.offset = jitter_offset(plan.board, s.plan.every, plan.jitter);
}

void Planner::remove(const std::string& board) { boards_.erase(board); }

void Planner::mark(const std::string& board, int64_t slot) {
  auto it = boards_.find(board);
  if (it == boards_.end()) return;
  if (!it->second.last_slot || *it->second.last_slot < slot) it->second.last_slot = slot;
}

std::optional<int64_t> Planner::last_slot(const std::string& board) const {
  auto it = boards_.find(board);
  if (it == boards_.end()) return std::nullopt;
  return it->second.last_slot;
}

std::vector<PlannedSlot> Planner::take_due(int64_t now_s) {
  std::vector<PlannedSlot> out;
  for (auto& [id, s] : boards_) {
    if (!s.plan.enabled) continue;
    int64_t slot = slot_at_or_before(now_s, s.plan.every.count(), s.offset);
    if (s.last_slot && *s.last_slot >= slot) continue;
    s.last_slot = slot;
    out.push_back({id, slot});
  }
  return out;
}

std::optional<int64_t> Planner::next_due(int64_t now_s) const {
  std::optional<int64_t> best;
  for (const auto& [id, s] : boards_) {
    if (!s.plan.enabled) continue;
    const int64_t every = s.plan.every.count();
    int64_t slot = slot_at_or_before(now_s, every, s.offset);
    int64_t due = (s.last_slot && *s.last_slot >= slot) ? slot + every : slot;
    if (!best || due < *best) best = due;
  }
  return best;
}

}  // namespace mu
