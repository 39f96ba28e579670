// Planner: the pure part of the scheduler. Given each board's schedule and the last slot
// it ran, it says which slots are due at a given time and when the next one is. No
// threads, no I/O, no clock of its own: callers pass `now`. Not thread-safe; the
// Scheduler owns one and guards it.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace mu {

struct BoardPlan {
  std::string board;
  std::chrono::seconds every{600};
  std::chrono::seconds jitter{30};  // bound of the deterministic per-board offset
  bool enabled = true;
};

struct PlannedSlot {
  std::string board;
  int64_t slot = 0;  // unix seconds
};

// Deterministic offset of a board's slots within [0, min(jitter, every - 1)] seconds:
// boards spread out, yet each board's phase is the same in every process and restart.
int64_t jitter_offset(const std::string& board, std::chrono::seconds every,
                      std::chrono::seconds jitter);

// The latest slot at or before `now_s` for a board with this period and offset.
int64_t slot_at_or_before(int64_t now_s, int64_t every_s, int64_t offset_s);

class Planner {
 public:
  // Adds or replaces a board's plan; its last slot is kept.
  void upsert(const BoardPlan& plan);
  void remove(const std::string& board);
  // Records that `slot` ran (or was started) so it is never planned again.
  void mark(const std::string& board, int64_t slot);
  std::optional<int64_t> last_slot(const std::string& board) const;

  // Slots due at `now_s`, at most one per board (misfire policy fire-once: after a gap
  // only the latest missed slot runs). Returned slots are marked.
  std::vector<PlannedSlot> take_due(int64_t now_s);

  // The earliest time (unix seconds) a slot becomes due; nullopt with no enabled board.
  std::optional<int64_t> next_due(int64_t now_s) const;

  std::size_t size() const { return boards_.size(); }

 private:
  struct State {
    BoardPlan plan;
    int64_t offset = 0;
    std::optional<int64_t> last_slot;
  };
  std::map<std::string, State> boards_;
};

}  // namespace mu
