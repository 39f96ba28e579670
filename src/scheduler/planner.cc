#include "scheduler/planner.h"

#include <algorithm>
#include <deque>
#include <limits>

namespace mu {
namespace {

using std::chrono::seconds;

constexpr int64_t kFresh = std::numeric_limits<int64_t>::min();  // due: never ran, due now
constexpr int64_t kLookbackLimit = int64_t{8} * 366 * 86400;     // as far as cron looks ahead
constexpr int64_t kMaxCount = 100000;                            // bound on counting loops

// The timing of a board's slots, shared by the Planner and upcoming_slots().
struct Timing {
  int64_t every = 600;
  int64_t offset = 0;
  const CronExpr* cron = nullptr;
  const date::time_zone* zone = nullptr;

  std::optional<int64_t> next_after(int64_t x) const {
    if (cron == nullptr) return mu::slot_at_or_before(x, every, offset) + every;
    auto fire = cron->next(WallTime(seconds(x - offset)), zone);
    if (!fire) return std::nullopt;
    return std::chrono::duration_cast<seconds>(fire->time_since_epoch()).count() + offset;
  }

  std::optional<int64_t> at_or_before(int64_t t) const {
    if (cron == nullptr) return mu::slot_at_or_before(t, every, offset);
    // Cron has no "previous": look back over a doubling span until a slot is found, then
    // walk forward to the last one at or before t.
    for (int64_t span = 60; span <= 2 * kLookbackLimit; span *= 2) {
      auto first = next_after(t - span);
      if (!first) return std::nullopt;
      if (*first > t) continue;
      int64_t cur = *first;
      for (int64_t i = 0; i < kMaxCount; ++i) {
        auto n = next_after(cur);
        if (!n || *n > t) break;
        cur = *n;
      }
      return cur;
    }
    return std::nullopt;
  }

  // Slots in (from, to], at most `cap` counted.
  int64_t count_between(int64_t from, int64_t to, int64_t cap) const {
    if (to <= from) return 0;
    if (cron == nullptr) {
      return std::min(cap, (mu::slot_at_or_before(to, every, offset) -
                            mu::slot_at_or_before(from, every, offset)) /
                               every);
    }
    int64_t n = 0;
    for (auto cur = next_after(from); cur && *cur <= to && n < cap; cur = next_after(*cur)) ++n;
    return n;
  }
};

// A 4-ary min-heap under `after` (after(a, b): a comes later than b). Half the depth of
// a binary heap, and a node's four children share a cache line: that matters with 100k
// boards.
template <typename E, typename After>
void sift_down(std::vector<E>& h, std::size_t i, E value, After after) {
  const std::size_t n = h.size();
  for (;;) {
    const std::size_t first = 4 * i + 1;
    if (first >= n) break;
    std::size_t best = first;
    const std::size_t end = std::min(first + 4, n);
    for (std::size_t c = first + 1; c < end; ++c) {
      if (after(h[best], h[c])) best = c;
    }
    if (!after(value, h[best])) break;
    h[i] = h[best];
    i = best;
  }
  h[i] = value;
}

template <typename E, typename After>
void heap_push(std::vector<E>& h, E value, After after) {
  std::size_t i = h.size();
  h.push_back(value);
  while (i > 0) {
    const std::size_t parent = (i - 1) / 4;
    if (!after(h[parent], value)) break;
    h[i] = h[parent];
    i = parent;
  }
  h[i] = value;
}

template <typename E, typename After>
void heap_pop(std::vector<E>& h, After after) {
  const E last = h.back();
  h.pop_back();
  if (!h.empty()) sift_down(h, 0, last, after);
}

template <typename E, typename After>
void heap_make(std::vector<E>& h, After after) {
  if (h.size() < 2) return;
  for (std::size_t i = (h.size() - 2) / 4 + 1; i-- > 0;) sift_down(h, i, h[i], after);
}

struct ParsedTiming {
  int64_t every = 600;
  int64_t offset = 0;
  std::optional<CronExpr> cron;
  const date::time_zone* zone = nullptr;
};

Result<ParsedTiming> parse_timing(const BoardPlan& plan) {
  ParsedTiming t;
  t.every = std::max<int64_t>(plan.every.count(), 1);
  if (plan.cron.empty()) {
    t.offset = jitter_offset(plan.board, seconds(t.every), plan.jitter);
    return t;
  }
  auto cron = CronExpr::parse(plan.cron);
  if (!cron.ok()) return cron.status();
  auto zone = find_time_zone(plan.tz);
  if (!zone.ok()) return zone.status();
  t.cron = std::move(*cron);
  t.zone = *zone;
  t.offset = jitter_offset(plan.board, seconds(0), plan.jitter);
  return t;
}

bool same_timing(const BoardPlan& a, const BoardPlan& b) {
  return a.cron == b.cron && a.jitter == b.jitter &&
         (a.cron.empty() ? a.every == b.every : a.tz == b.tz);
}

}  // namespace

BoardPlan board_plan(const BoardMeta& meta, bool enabled) {
  BoardPlan p;
  p.board = meta.id;
  p.every = meta.schedule.every;
  p.jitter = meta.schedule.jitter;
  p.enabled = enabled;
  p.cron = meta.schedule.cron;
  p.tz = meta.schedule.tz;
  p.misfire = meta.schedule.misfire;
  p.catch_up = meta.schedule.catch_up;
  p.overlap = meta.schedule.overlap;
  return p;
}

std::chrono::seconds catch_up_window(const BoardPlan& plan) {
  if (plan.catch_up > seconds(0)) return plan.catch_up;
  const seconds five_min = std::chrono::minutes(5);
  if (!plan.cron.empty()) return five_min;
  return std::max(seconds(1), std::min(plan.every / 2, five_min));
}

int64_t jitter_offset(const std::string& board, std::chrono::seconds every,
                      std::chrono::seconds jitter) {
  const int64_t bound =
      every.count() <= 0 ? jitter.count() : std::min<int64_t>(jitter.count(), every.count() - 1);
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

Result<std::vector<int64_t>> upcoming_slots(const BoardPlan& plan, int64_t after_s, int count) {
  MU_ASSIGN_OR_RETURN(ParsedTiming parsed, parse_timing(plan));
  Timing t{parsed.every, parsed.offset, parsed.cron ? &*parsed.cron : nullptr, parsed.zone};
  std::vector<int64_t> out;
  int64_t cur = after_s;
  for (int i = 0; i < count; ++i) {
    auto n = t.next_after(cur);
    if (!n) break;
    out.push_back(*n);
    cur = *n;
  }
  return out;
}

namespace {

Timing timing_of(const BoardPlan& plan, int64_t offset, const std::unique_ptr<const CronExpr>& cron,
                 const date::time_zone* zone) {
  return Timing{std::max<int64_t>(plan.every.count(), 1), offset, cron.get(), zone};
}

}  // namespace

Planner::State* Planner::find(const std::string& board) {
  auto it = index_.find(board);
  return it == index_.end() ? nullptr : &states_[it->second];
}

const Planner::State* Planner::find(const std::string& board) const {
  auto it = index_.find(board);
  return it == index_.end() ? nullptr : &states_[it->second];
}

Result<bool> Planner::apply(const BoardPlan& plan, int64_t version) {
  State* existing = find(plan.board);
  if (existing != nullptr && version < existing->version) return false;
  MU_ASSIGN_OR_RETURN(ParsedTiming parsed, parse_timing(plan));
  uint32_t index = 0;
  if (existing == nullptr) {
    if (!free_.empty()) {
      index = free_.back();
      free_.pop_back();
    } else {
      index = static_cast<uint32_t>(states_.size());
      states_.emplace_back();
    }
    State& s = states_[index];
    const uint32_t generation = s.generation;
    s = State{};
    s.generation = generation;  // keeps stale heap entries of a former board stale
    s.live = true;
    index_.emplace(plan.board, index);
  } else {
    index = index_.at(plan.board);
  }
  State& s = states_[index];
  const bool timing_changed = existing == nullptr || !same_timing(s.plan, plan);
  s.plan = plan;
  s.plan.every = seconds(parsed.every);
  s.version = version;
  s.offset = parsed.offset;
  s.cron = parsed.cron ? std::make_unique<const CronExpr>(std::move(*parsed.cron)) : nullptr;
  s.zone = parsed.zone;
  if (timing_changed || !plan.enabled) {
    s.backlog.clear();
    s.queued.reset();
  }
  if (timing_changed) {
    s.next.reset();
    s.exhausted = false;
    if (s.last_slot) {
      s.next = timing_of(s.plan, s.offset, s.cron, s.zone).next_after(*s.last_slot);
      s.exhausted = !s.next;
    }
  }
  push(index);
  return true;
}

void Planner::upsert(const BoardPlan& plan) {
  const State* s = find(plan.board);
  (void)apply(plan, s != nullptr ? s->version : 0);
}

void Planner::remove(const std::string& board) {
  auto it = index_.find(board);
  if (it == index_.end()) return;
  State& s = states_[it->second];
  s.live = false;
  ++s.generation;
  free_.push_back(it->second);
  index_.erase(it);
}

void Planner::mark(const std::string& board, int64_t slot) {
  auto it = index_.find(board);
  if (it == index_.end()) return;
  State& s = states_[it->second];
  if (s.last_slot && *s.last_slot >= slot) return;
  s.last_slot = slot;
  s.next = timing_of(s.plan, s.offset, s.cron, s.zone).next_after(slot);
  s.exhausted = !s.next;
  std::erase_if(s.backlog, [slot](int64_t b) { return b <= slot; });
  if (s.queued && *s.queued <= slot) s.queued.reset();
  push(it->second);
}

std::optional<int64_t> Planner::last_slot(const std::string& board) const {
  const State* s = find(board);
  if (s == nullptr) return std::nullopt;
  return s->last_slot;
}

std::optional<int64_t> Planner::slot_at_or_before(const std::string& board, int64_t t) const {
  const State* s = find(board);
  if (s == nullptr) return std::nullopt;
  return timing_of(s->plan, s->offset, s->cron, s->zone).at_or_before(t);
}

std::optional<int64_t> Planner::due_of(const State& s) const {
  if (!s.live || !s.plan.enabled) return std::nullopt;
  if (!s.running) {
    if (!s.backlog.empty()) return s.backlog.front();
    if (s.queued) return *s.queued;
  }
  if (s.next) return *s.next;
  if (s.exhausted) return std::nullopt;  // a cron expression that never fires again
  return kFresh;
}

void Planner::push(uint32_t index) {
  State& s = states_[index];
  ++s.generation;
  auto due = due_of(s);
  if (!due) return;
  insert(Entry{*due, index, s.generation});
  if (entries_ > 2 * index_.size() + 1024) compact();
}

void Planner::insert(const Entry& e) const {
  ++entries_;
  if (!cursor_) {
    heap_push(later_, e, Later{});  // before the first round everything waits here
  } else if (e.due < *cursor_) {
    heap_push(behind_, e, Later{});
  } else if (e.due - *cursor_ < kWheel) {
    wheel_[static_cast<std::size_t>(e.due & (kWheel - 1))].push_back(e);
  } else {
    heap_push(later_, e, Later{});
  }
}

// Moves entries of `later_` that the wheel now covers into it.
void Planner::migrate() const {
  while (!later_.empty() && later_.front().due - *cursor_ < kWheel) {
    const Entry e = later_.front();
    heap_pop(later_, Later{});
    --entries_;
    if (valid(e)) insert(e);
  }
}

void Planner::compact() const {
  std::vector<Entry> keep;
  auto take = [&](std::vector<Entry>& v) {
    for (const Entry& e : v) {
      if (valid(e)) keep.push_back(e);
    }
    v.clear();
  };
  take(later_);
  take(behind_);
  for (auto& bucket : wheel_) take(bucket);
  entries_ = 0;
  for (const Entry& e : keep) insert(e);
}

void Planner::hand_out(State& s, int64_t slot, std::vector<PlannedSlot>& out) {
  out.push_back({s.plan.board, slot});
  ++counters_.planned;
  if (options_.track_running) s.running = true;
}

void Planner::process(State& s, int64_t now_s, std::vector<PlannedSlot>& out) {
  if (!s.running) {
    if (!s.backlog.empty()) {
      const int64_t slot = s.backlog.front();
      s.backlog.erase(s.backlog.begin());
      hand_out(s, slot, out);
      return;
    }
    if (s.queued) {
      const int64_t slot = *s.queued;
      s.queued.reset();
      hand_out(s, slot, out);
      return;
    }
  }
  const Timing timing = timing_of(s.plan, s.offset, s.cron, s.zone);
  // The common case: only the next slot is due, and the one after it is the new next.
  std::optional<int64_t> latest;
  std::optional<int64_t> following;
  bool following_known = false;
  if (s.next && *s.next <= now_s) {
    following = timing.next_after(*s.next);
    if (!following || *following > now_s) {
      latest = s.next;
      following_known = true;
    }
  }
  if (!following_known) latest = timing.at_or_before(now_s);
  if (!latest || (s.last_slot && *latest <= *s.last_slot)) {
    // Nothing new at or before now (a cron board's first fire is still ahead): wait.
    s.next = timing.next_after(s.last_slot ? std::max(*s.last_slot, now_s) : now_s);
    s.exhausted = !s.next;
    return;
  }
  // Missed slots are those after the last slot (or, for a board that never ran, any).
  const std::optional<int64_t> first_missed = s.next;
  const int64_t older =
      first_missed ? timing.count_between(*first_missed - 1, *latest - 1, kMaxCount) : 0;
  s.last_slot = *latest;
  s.next = following_known ? following : timing.next_after(*latest);
  s.exhausted = !s.next;

  if (s.running) {
    // The board is still busy with an earlier slot.
    counters_.skipped_overlap += older;
    if (s.plan.overlap == OverlapPolicy::kQueueOne) {
      if (s.queued) ++counters_.skipped_overlap;  // merged into the newer one
      s.queued = *latest;
      ++counters_.queued;
    } else {
      ++counters_.skipped_overlap;
    }
    return;
  }

  switch (s.plan.misfire) {
    case MisfirePolicy::kFireOnce:
      counters_.skipped_misfire += older;
      hand_out(s, *latest, out);
      return;
    case MisfirePolicy::kSkip:
      counters_.skipped_misfire += older;
      if (now_s - *latest <= catch_up_window(s.plan).count()) {
        hand_out(s, *latest, out);
      } else {
        ++counters_.skipped_misfire;
      }
      return;
    case MisfirePolicy::kCatchUp: {
      // Every slot of the window [now - window, now] after the last slot, oldest first. A
      // board that never ran missed nothing but its latest slot.
      int64_t from = now_s - catch_up_window(s.plan).count() - 1;
      from = std::max(from, first_missed ? *first_missed - 1 : *latest - 1);
      std::deque<int64_t> slots;  // a window of the newest kMaxBacklog + 1
      int64_t dropped = 0;
      for (auto cur = timing.next_after(from); cur && *cur <= *latest;
           cur = timing.next_after(*cur)) {
        slots.push_back(*cur);
        if (slots.size() > kMaxBacklog) {
          slots.pop_front();
          ++dropped;
        }
      }
      const int64_t in_window = static_cast<int64_t>(slots.size()) + dropped;
      counters_.skipped_misfire += dropped + std::max<int64_t>(older + 1 - in_window, 0);
      if (slots.empty()) return;  // the latest slot is older than the window
      const int64_t first = slots.front();
      slots.pop_front();
      s.backlog.assign(slots.begin(), slots.end());
      hand_out(s, first, out);
      return;
    }
  }
}

std::vector<PlannedSlot> Planner::take_due(int64_t now_s) {
  std::vector<PlannedSlot> out;
  std::vector<uint32_t> touched;
  auto visit = [&](const Entry& e) {
    --entries_;
    if (!valid(e)) return;  // stale
    State& s = states_[e.index];
    process(s, now_s, out);
    ++s.generation;  // visited: its re-insertion below is its only live entry
    touched.push_back(e.index);
  };
  auto drain_heap = [&](std::vector<Entry>& heap) {
    while (!heap.empty() && heap.front().due <= now_s) {
      const Entry e = heap.front();
      heap_pop(heap, Later{});
      visit(e);
    }
  };
  drain_heap(behind_);
  if (!cursor_ || now_s >= *cursor_) {
    if (cursor_) {
      // The wheel's buckets for the seconds [cursor, now] (all of them after a long gap).
      const int64_t last = std::min(now_s, *cursor_ + kWheel - 1);
      for (int64_t t = *cursor_; t <= last; ++t) {
        auto& bucket = wheel_[static_cast<std::size_t>(t & (kWheel - 1))];
        std::vector<Entry> entries;
        entries.swap(bucket);
        for (const Entry& e : entries) visit(e);
      }
    }
    drain_heap(later_);
    cursor_ = now_s + 1;
    migrate();
  }
  for (uint32_t index : touched) push(index);
  return out;
}

void Planner::begin_run(const std::string& board) {
  if (!options_.track_running) return;
  auto it = index_.find(board);
  if (it == index_.end()) return;
  State& s = states_[it->second];
  if (s.running) return;
  const auto before = due_of(s);
  s.running = true;
  if (due_of(s) != before) push(it->second);  // waiting catch-up or queued runs now wait
}

void Planner::finished(const std::string& board) {
  auto it = index_.find(board);
  if (it == index_.end()) return;
  State& s = states_[it->second];
  if (!s.running) return;
  const auto before = due_of(s);
  s.running = false;
  if (due_of(s) != before) push(it->second);  // a catch-up or queued run is due now
}

std::optional<int64_t> Planner::next_due(int64_t now_s) const {
  std::optional<int64_t> best;
  auto consider = [&](std::vector<Entry>& heap) {
    while (!heap.empty() && !valid(heap.front())) {
      heap_pop(heap, Later{});
      --entries_;
    }
    if (!heap.empty() && (!best || heap.front().due < *best)) best = heap.front().due;
  };
  consider(behind_);
  if (cursor_) {
    for (int64_t t = *cursor_; t < *cursor_ + kWheel && (!best || t < *best); ++t) {
      auto& bucket = wheel_[static_cast<std::size_t>(t & (kWheel - 1))];
      if (bucket.empty()) continue;
      const std::size_t before = bucket.size();
      std::erase_if(bucket, [this](const Entry& e) { return !valid(e); });
      entries_ -= before - bucket.size();
      if (!bucket.empty()) {
        best = t;
        break;
      }
    }
  }
  consider(later_);
  if (best == kFresh) return now_s;
  return best;
}

// A due time already past (a schedule just changed: the slot after the last run may be
// behind us; a catch-up or queued run): what the next tick does with it. Under `skip` a slot
// older than the window is dropped and the board waits for the next one, as does a slot that
// comes while the board runs (overlap skip); otherwise it runs at the next tick, i.e. now.
// What the status shows as the next run: never a past time.
int64_t Planner::real_due(const State& s, int64_t due, int64_t now_s) const {
  const Timing timing = timing_of(s.plan, s.offset, s.cron, s.zone);
  if (s.running) {
    // Queued behind the run in progress, or (overlap skip) dropped for the slot after now.
    if (s.plan.overlap == OverlapPolicy::kQueueOne) return now_s;
    return timing.next_after(now_s).value_or(now_s);
  }
  if (!s.backlog.empty() || s.queued || s.plan.misfire != MisfirePolicy::kSkip) return now_s;
  const std::optional<int64_t> latest = timing.at_or_before(now_s);
  if (latest && *latest >= due && now_s - *latest <= catch_up_window(s.plan).count()) {
    return now_s;
  }
  return timing.next_after(now_s).value_or(now_s);
}

std::optional<PlanInfo> Planner::info(const std::string& board, int64_t now_s) const {
  const State* s = find(board);
  if (s == nullptr) return std::nullopt;
  PlanInfo i;
  i.version = s->version;
  i.enabled = s->plan.enabled;
  i.running = s->running;
  i.last_slot = s->last_slot;
  i.next_due = due_of(*s);
  if (i.next_due == kFresh) i.next_due = now_s;
  if (i.next_due && *i.next_due < now_s) i.next_due = real_due(*s, *i.next_due, now_s);
  i.waiting = s->backlog.size() + (s->queued ? 1 : 0);
  return i;
}

}  // namespace mu
