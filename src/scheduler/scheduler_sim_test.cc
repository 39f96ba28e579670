// Simulation of a day of scheduling on the fake clock: 1,000 boards (interval and cron
// schedules in several zones, a daylight-saving change, every misfire and overlap policy)
// ticked every 10 simulated seconds for 24 hours, with a restart at noon. Every expected
// slot must be dispatched exactly once, on time, with its jitter within bounds. No sleeps,
// no threads.
#include <date/date.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <set>

#include "coord/local/local_coordinator.h"
#include "scheduler/scheduler.h"
#include "scheduler/scheduler_testing.h"

namespace mu {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;
using testing_support::FakeStore;
using testing_support::ScriptedCollector;

constexpr int kBoards = 1000;
constexpr int64_t kTickSeconds = 10;
constexpr int64_t kDay = 86400;

const char* const kZones[] = {"Asia/Shanghai", "UTC", "America/New_York", "Europe/London",
                              "Asia/Kolkata"};
const char* const kCrons[] = {"*/5 * * * *", "0 * * * *",       "*/7 * * * *",
                              "30 2 * * *",  "15,45 * * * *",   "0 */3 * * *",
                              "@daily",      "0 9 * * MON-FRI", "*/20 9-17 * * *"};
const int64_t kEvery[] = {60, 120, 300, 600, 900, 1800, 3600, 420, 90};

int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0 && a < 0) ? 1 : 0); }

struct SimBoard {
  BoardMeta meta;
  int64_t offset = 0;
  int64_t window = 0;              // misfire window in seconds
  std::vector<int64_t> expected;   // slots in (start, end]
  std::optional<int64_t> initial;  // the slot at or before start, if policy runs it
  const date::time_zone* zone = nullptr;
  std::optional<CronExpr> cron;
};

BoardMeta make_board(int i) {
  BoardMeta m;
  m.site = "s" + std::to_string(i % 40);
  m.id = m.site + ".b" + std::to_string(i);
  Schedule& s = m.schedule;
  if (i % 250 == 1) {
    s.cron = "*/30 * * * * *";  // six fields: every 30 seconds
    s.tz = "UTC";
    s.jitter = seconds(i % 20);
  } else if (i % 10 < 3) {
    s.cron = kCrons[i % 9];
    s.tz = kZones[i % 5];
    s.jitter = seconds((i * 7) % 91);
  } else {
    s.every = seconds(kEvery[i % 9]);
    s.jitter = seconds((i * 13) % 121);
  }
  if (i % 7 == 0) s.misfire = MisfirePolicy::kSkip;
  if (i % 7 == 1) {
    s.misfire = MisfirePolicy::kCatchUp;
    s.catch_up = minutes(10);
  }
  if (i % 11 == 0) s.overlap = OverlapPolicy::kQueueOne;
  return m;
}

// The expected slots, computed from the schedule definition directly (grid arithmetic,
// CronExpr::next) rather than through the Planner.
SimBoard expect(const BoardMeta& m, int64_t start, int64_t end) {
  SimBoard b;
  b.meta = m;
  const Schedule& s = m.schedule;
  const int64_t jitter = s.jitter.count();
  if (s.cron.empty()) {
    const int64_t every = s.every.count();
    b.offset = jitter_offset(m.id, s.every, s.jitter);
    EXPECT_GE(b.offset, 0);
    EXPECT_LE(b.offset, std::min(jitter, every - 1)) << m.id;
    b.window = s.catch_up.count() > 0 ? s.catch_up.count() : std::min<int64_t>(every / 2, 300);
    const int64_t last = floor_div(start - b.offset, every) * every + b.offset;
    b.initial = last;
    for (int64_t t = last + every; t <= end; t += every) b.expected.push_back(t);
  } else {
    b.offset = jitter_offset(m.id, seconds(0), s.jitter);
    EXPECT_GE(b.offset, 0);
    EXPECT_LE(b.offset, jitter) << m.id;
    b.window = s.catch_up.count() > 0 ? s.catch_up.count() : 300;
    b.cron = *CronExpr::parse(s.cron);
    b.zone = *find_time_zone(s.tz);
    // Fires from five days back (weekday-only schedules skip a weekend).
    WallTime t{seconds(start - b.offset - 5 * kDay)};
    while (auto f = b.cron->next(t, b.zone)) {
      const int64_t slot =
          std::chrono::duration_cast<seconds>(f->time_since_epoch()).count() + b.offset;
      if (slot > end) break;
      if (slot <= start) {
        b.initial = slot;
      } else {
        b.expected.push_back(slot);
      }
      t = *f;
    }
  }
  // A board that never ran: its latest slot runs under fire-once, and under skip and
  // catch-up only when it is inside the window.
  if (b.initial && s.misfire != MisfirePolicy::kFireOnce && start - *b.initial > b.window) {
    b.initial.reset();
  }
  return b;
}

TEST(SchedulerSimulation, ThousandBoardsOverADayEverySlotExactlyOnceAcrossARestart) {
  date::sys_days day = date::year(2026) / 3 / 7;  // New York springs forward on the 8th
  const int64_t start = day.time_since_epoch().count() * kDay + 12 * 3600;
  const int64_t end = start + kDay;
  FakeClock clock{WallTime(seconds(start))};
  FakeStore store;
  LocalCoordinator coord(3);
  ScriptedCollector collector(clock);

  std::vector<BoardMeta> metas;
  std::map<std::string, SimBoard> boards;
  std::set<int64_t> offsets;
  std::size_t total_expected = 0;
  for (int i = 0; i < kBoards; ++i) {
    metas.push_back(make_board(i));
    SimBoard b = expect(metas.back(), start, end);
    offsets.insert(b.offset);
    total_expected += b.expected.size() + (b.initial ? 1 : 0);
    boards.emplace(metas.back().id, std::move(b));
  }
  EXPECT_GT(offsets.size(), 60u) << "jitter should spread boards";

  Scheduler::Options opts;
  opts.seed = 1;
  opts.workers = 1;
  auto scheduler = std::make_unique<Scheduler>(metas, collector, store, coord, clock, opts);
  ASSERT_TRUE(scheduler->load_state().ok());
  const int64_t restart_at = start + kDay / 2 + 5;
  bool restarted = false;
  for (int64_t t = start; t <= end; t += kTickSeconds) {
    clock.advance(seconds(t - clock.now_ms() / 1000));
    if (!restarted && t >= restart_at) {
      // A restart in the middle: a new scheduler that knows only what the store knows.
      scheduler.reset();
      scheduler = std::make_unique<Scheduler>(metas, collector, store, coord, clock, opts);
      ASSERT_TRUE(scheduler->load_state().ok());
      restarted = true;
    }
    scheduler->tick();
  }
  ASSERT_TRUE(restarted);

  // Every expected slot exactly once, nothing else.
  std::map<std::string, std::vector<int64_t>> got;
  std::set<std::string> ids;
  for (std::size_t i = 0; i < collector.calls.size(); ++i) {
    const Dispatch& d = collector.calls[i];
    EXPECT_TRUE(ids.insert(d.id()).second) << "dispatched twice: " << d.id();
    got[d.board].push_back(d.slot);
    const SimBoard& b = boards.at(d.board);
    const int64_t late = collector.call_times_ms[i] / 1000 - d.slot;
    EXPECT_GE(late, 0) << d.id();
    if (d.slot > start) {
      EXPECT_LT(late, kTickSeconds) << d.id() << " dispatched late";
    }
    if (d.slot <= start && b.meta.schedule.misfire != MisfirePolicy::kFireOnce) {
      EXPECT_LE(late, b.window) << d.id();
    }
    // Jitter: the slot minus the board's offset lies on its grid or is a cron fire time.
    if (b.meta.schedule.cron.empty()) {
      EXPECT_EQ((d.slot - b.offset) % b.meta.schedule.every.count(), 0) << d.id();
    }
  }
  std::size_t checked = 0;
  for (const auto& [id, b] : boards) {
    std::vector<int64_t> want;
    if (b.initial) want.push_back(*b.initial);
    want.insert(want.end(), b.expected.begin(), b.expected.end());
    EXPECT_EQ(got[id], want) << id << " (" << b.meta.schedule.cron << " " << b.meta.schedule.tz
                             << " every " << b.meta.schedule.every.count() << ")";
    checked += want.size();
  }
  EXPECT_EQ(checked, total_expected);
  EXPECT_EQ(collector.calls.size(), total_expected);
  EXPECT_EQ(store.committed.size(), total_expected);
  EXPECT_GT(total_expected, 300'000u);

  // The New York 02:30 boards fired at the end of the spring-forward gap (03:00 EDT).
  const int64_t gap_end =
      (date::sys_days(date::year(2026) / 3 / 8)).time_since_epoch().count() * kDay + 7 * 3600;
  int new_york_0230 = 0;
  for (const auto& [id, b] : boards) {
    if (b.meta.schedule.cron != "30 2 * * *" || b.meta.schedule.tz != "America/New_York") continue;
    ++new_york_0230;
    const auto& slots = got[id];
    EXPECT_NE(std::find(slots.begin(), slots.end(), gap_end + b.offset), slots.end()) << id;
  }
  EXPECT_GT(new_york_0230, 0);
}

}  // namespace
}  // namespace mu
