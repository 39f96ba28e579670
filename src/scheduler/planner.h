// Planner: the pure part of the scheduler. Given each board's schedule and the last slot
// it ran, it says which slots are due at a given time and when the next one is. No
// threads, no I/O, no clock of its own: callers pass `now` in unix seconds. Not
// thread-safe; the Scheduler owns one and guards it.
//
// A slot is the unix second a board's run is due: `offset + k·every` for interval boards,
// or a fire time of the cron expression in the board's zone plus `offset` for cron boards,
// where `offset` is a deterministic hash of the board id within the jitter bound. A board
// keeps its last slot; the next one is the first slot after it, so phase survives changes
// and restarts (`mark`). Boards are kept ordered by their next due time (a timing wheel of
// one-second buckets for the next hour or so, a min-heap beyond), so a planning round
// costs O(due boards), not a scan of every board.
//
// Misfires (slots that passed without a planning round: downtime, clock jumps) follow the
// board's MisfirePolicy; a board that never ran treats its latest slot as missed, so
// fire-once boards run at once. With `track_running` the planner also applies the
// OverlapPolicy: a board handed out by take_due() (or begin_run()) is running until
// finished(); catch-up backlogs and queued runs are handed out one at a time after it.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/status.h"
#include "core/types.h"
#include "scheduler/cron.h"

namespace mu {

struct BoardPlan {
  std::string board;
  std::chrono::seconds every{600};
  std::chrono::seconds jitter{30};  // bound of the deterministic per-board offset
  bool enabled = true;
  std::string cron;  // non-empty: a cron schedule in `tz`; `every` is then unused
  std::string tz = "Asia/Shanghai";
  MisfirePolicy misfire = MisfirePolicy::kFireOnce;
  std::chrono::seconds catch_up{0};  // 0: the default window, see catch_up_window()
  OverlapPolicy overlap = OverlapPolicy::kSkip;
};

// The plan of a board's schedule.
BoardPlan board_plan(const BoardMeta& meta, bool enabled);

// The misfire window: `catch_up` when set, else min(every / 2, 5 min) for interval boards
// and 5 min for cron boards (at least 1 s).
std::chrono::seconds catch_up_window(const BoardPlan& plan);

struct PlannedSlot {
  std::string board;
  int64_t slot = 0;  // unix seconds
};

// Deterministic offset of a board's slots within [0, min(jitter, every - 1)] seconds:
// boards spread out, yet each board's phase is the same in every process and restart.
// Cron boards use [0, jitter] (pass every = 0).
int64_t jitter_offset(const std::string& board, std::chrono::seconds every,
                      std::chrono::seconds jitter);

// The latest slot at or before `now_s` for a board with this period and offset.
int64_t slot_at_or_before(int64_t now_s, int64_t every_s, int64_t offset_s);

// The first `count` slots of `plan` strictly after `after_s` (jitter included); fewer when
// a cron expression stops firing. kConfig for a bad cron expression or zone. For
// `mu cron next` and the admin preview.
Result<std::vector<int64_t>> upcoming_slots(const BoardPlan& plan, int64_t after_s, int count);

// What the planner knows about one board (for the scheduler's snapshot).
struct PlanInfo {
  int64_t version = 0;
  bool enabled = true;
  bool running = false;
  std::optional<int64_t> last_slot;  // last slot handed out, skipped or marked
  std::optional<int64_t> next_due;   // unix seconds; nullopt: disabled or never again
  std::size_t waiting = 0;           // catch-up slots and queued runs behind the current run
};

class Planner {
 public:
  struct Options {
    // Apply overlap policies: boards are running from take_due()/begin_run() until
    // finished(). Off, every take_due() may hand out the next slot of any board.
    bool track_running = false;
  };
  struct Counters {
    int64_t planned = 0;          // slots handed out by take_due()
    int64_t skipped_misfire = 0;  // missed slots dropped by the misfire policy
    int64_t skipped_overlap = 0;  // slots dropped because the board was running
    int64_t queued = 0;           // slots queued behind a running board (queue-one)
  };
  // At most this many catch-up slots wait per board; older ones are dropped.
  static constexpr std::size_t kMaxBacklog = 1000;

  Planner() : Planner(Options{}) {}
  explicit Planner(Options options) : options_(options) {}

  // Adds or changes a board's plan at `version`. Returns false (nothing changes) when the
  // board already has a newer version; an equal version is applied again (redelivery).
  // kConfig for a bad cron expression or zone (nothing changes). The last slot is kept;
  // a changed timing drops waiting catch-up and queued runs.
  Result<bool> apply(const BoardPlan& plan, int64_t version);
  // apply() at the board's current version (0 for a new board); invalid plans are ignored.
  void upsert(const BoardPlan& plan);
  void remove(const std::string& board);
  // Records that `slot` ran (or was started) so it and earlier slots are never planned
  // again. Restarts pass the slot of the board's last run.
  void mark(const std::string& board, int64_t slot);
  std::optional<int64_t> last_slot(const std::string& board) const;
  // The latest slot of the board's schedule at or before `t` (nullopt: unknown board or
  // no slot in the 8 years before `t`).
  std::optional<int64_t> slot_at_or_before(const std::string& board, int64_t t) const;

  // Slots to start at `now_s`, at most one per board, after applying misfire and overlap
  // policies. Returned slots are marked; with track_running their boards are running.
  std::vector<PlannedSlot> take_due(int64_t now_s);
  // With track_running: the board runs something outside the plan (a manual run), so
  // slots due meanwhile follow its overlap policy. No-op for unknown boards.
  void begin_run(const std::string& board);
  // With track_running: the board's run ended; its catch-up backlog or queued run, if
  // any, is due at once.
  void finished(const std::string& board);

  // The earliest time (unix seconds) a slot becomes due; at most `now_s` when something is
  // due already; nullopt with no enabled board.
  std::optional<int64_t> next_due(int64_t now_s) const;

  std::optional<PlanInfo> info(const std::string& board, int64_t now_s) const;
  std::size_t size() const { return index_.size(); }
  Counters counters() const { return counters_; }

 private:
  // Hot fields first: a planning round touches only the first cache line or two.
  struct State {
    uint32_t generation = 0;
    bool live = false;
    bool running = false;
    bool exhausted = false;  // the cron expression never fires again
    int64_t offset = 0;
    std::optional<int64_t> next;  // first slot after last_slot; nullopt: fresh or exhausted
    std::optional<int64_t> last_slot;
    std::optional<int64_t> queued;
    std::vector<int64_t> backlog;  // catch-up slots, oldest first
    std::unique_ptr<const CronExpr> cron;
    const date::time_zone* zone = nullptr;
    int64_t version = 0;
    BoardPlan plan;
  };
  struct Entry {
    int64_t due = 0;
    uint32_t index = 0;
    uint32_t generation = 0;
  };
  struct Later {
    bool operator()(const Entry& a, const Entry& b) const {
      return a.due != b.due ? a.due > b.due : a.index > b.index;
    }
  };

  // Seconds covered by the timing wheel (a power of two).
  static constexpr int64_t kWheel = 4096;

  std::optional<int64_t> due_of(const State& s) const;
  int64_t real_due(const State& s, int64_t due, int64_t now_s) const;
  bool valid(const Entry& e) const {
    const State& s = states_[e.index];
    return s.live && s.generation == e.generation;
  }
  void push(uint32_t index);
  void insert(const Entry& e) const;
  void migrate() const;
  void compact() const;
  void process(State& s, int64_t now_s, std::vector<PlannedSlot>& out);
  void hand_out(State& s, int64_t slot, std::vector<PlannedSlot>& out);
  State* find(const std::string& board);
  const State* find(const std::string& board) const;

  Options options_;
  std::vector<State> states_;
  std::vector<uint32_t> free_;
  std::unordered_map<std::string, uint32_t> index_;
  // Boards by due time. Entries due in [cursor_, cursor_ + kWheel) sit in one-second
  // buckets of a timing wheel (O(1) to add and to take); later ones in a 4-ary min-heap
  // (`later_`); ones already behind the cursor (new boards, catch-up backlogs, a backward
  // clock step) in another (`behind_`). Entries are never removed in place: a change bumps
  // the board's generation and older entries are skipped and dropped when met.
  mutable std::vector<std::vector<Entry>> wheel_ = std::vector<std::vector<Entry>>(kWheel);
  mutable std::vector<Entry> later_;
  mutable std::vector<Entry> behind_;
  mutable std::optional<int64_t> cursor_;  // set by the first take_due()
  mutable std::size_t entries_ = 0;        // in all three, stale ones included
  Counters counters_;
};

}  // namespace mu
