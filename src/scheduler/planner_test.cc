#include "scheduler/planner.h"

#include <date/date.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <limits>
#include <map>
#include <random>
#include <set>

namespace mu {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

// "2026-03-08T07:00:00Z" -> unix seconds.
int64_t at(const std::string& iso) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  EXPECT_EQ(std::sscanf(iso.c_str(), "%d-%d-%dT%d:%d:%dZ", &y, &mo, &d, &h, &mi, &s), 6) << iso;
  const date::sys_days day = date::year(y) / mo / d;
  return day.time_since_epoch().count() * 86400 + h * 3600 + mi * 60 + s;
}

BoardPlan every_plan(const std::string& id, seconds every, MisfirePolicy misfire,
                     seconds catch_up = seconds(0), OverlapPolicy overlap = OverlapPolicy::kSkip) {
  BoardPlan p;
  p.board = id;
  p.every = every;
  p.jitter = seconds(0);
  p.misfire = misfire;
  p.catch_up = catch_up;
  p.overlap = overlap;
  return p;
}

BoardPlan cron_plan(const std::string& id, const std::string& cron, const std::string& tz,
                    seconds jitter = seconds(0)) {
  BoardPlan p;
  p.board = id;
  p.cron = cron;
  p.tz = tz;
  p.jitter = jitter;
  return p;
}

std::vector<int64_t> slots_of(const std::vector<PlannedSlot>& v) {
  std::vector<int64_t> out;
  for (const auto& s : v) out.push_back(s.slot);
  return out;
}

TEST(Planner, JitterIsDeterministicAndBounded) {
  for (int i = 0; i < 500; ++i) {
    std::string id = "site.board-" + std::to_string(i);
    int64_t off = jitter_offset(id, seconds(600), seconds(30));
    EXPECT_GE(off, 0);
    EXPECT_LE(off, 30);
    EXPECT_EQ(off, jitter_offset(id, seconds(600), seconds(30)));
  }
  EXPECT_EQ(jitter_offset("a.b", seconds(1), seconds(30)), 0);  // no room inside 1 s
  EXPECT_LE(jitter_offset("a.b", seconds(10), seconds(300)), 9);
}

TEST(Planner, SlotArithmetic) {
  EXPECT_EQ(slot_at_or_before(1000, 300, 7), 907);
  EXPECT_EQ(slot_at_or_before(907, 300, 7), 907);
  EXPECT_EQ(slot_at_or_before(906, 300, 7), 607);
  EXPECT_EQ(slot_at_or_before(5, 300, 7), -293);
}

TEST(Planner, EverySlotExactlyOnceOverADay) {
  Planner p;
  std::vector<std::string> ids;
  for (int i = 0; i < 50; ++i) {
    ids.push_back("s.b" + std::to_string(i));
    p.upsert({ids.back(), seconds(60 * (1 + i % 7)), seconds(20), true});
  }
  const int64_t start = 1'767'225'600;
  std::set<std::pair<std::string, int64_t>> seen;
  std::map<std::string, int> count;
  for (int64_t t = start; t < start + 86400; t += 7) {
    for (auto& s : p.take_due(t)) {
      EXPECT_TRUE(seen.insert({s.board, s.slot}).second) << s.board << "@" << s.slot;
      EXPECT_LE(s.slot, t);
      if (t > start) {  // later slots are found on the first tick after they begin
        EXPECT_GT(s.slot, t - 7 - 1) << "dispatched late";
      }
      ++count[s.board];
    }
  }
  for (int i = 0; i < 50; ++i) {
    int every = 60 * (1 + i % 7);
    // One slot per period plus the slot in progress at the start.
    EXPECT_NEAR(count[ids[i]], 86400 / every + 1, 1) << ids[i];
  }
}

TEST(Planner, MisfireFiresOnceAndNextDueIsExact) {
  Planner p;
  p.upsert({"a.b", seconds(300), seconds(0), true});
  auto first = p.take_due(10'000);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].slot, 9'900);
  EXPECT_TRUE(p.take_due(10'100).empty());
  EXPECT_EQ(*p.next_due(10'100), 10'200);
  // Ten periods pass with no tick: only the latest missed slot runs.
  auto late = p.take_due(13'050);
  ASSERT_EQ(late.size(), 1u);
  EXPECT_EQ(late[0].slot, 12'900);
}

// Issue 14: saved at 14:37:02, the console said "next run 14:36:01" — the slot after the last
// run under the new period, already past. The status tells what the next tick does instead.
TEST(Planner, ANewScheduleNeverReportsANextRunInThePast) {
  const int64_t t0 = 36'000;  // a slot of every period below
  Planner p;
  ASSERT_TRUE(*p.apply(every_plan("a.once", minutes(60), MisfirePolicy::kFireOnce), 1));
  ASSERT_TRUE(*p.apply(every_plan("a.skip", minutes(60), MisfirePolicy::kSkip), 1));
  ASSERT_EQ(p.take_due(t0).size(), 2u);
  EXPECT_EQ(p.info("a.once", t0 + 60)->next_due, t0 + 3600);

  // 40 min later, every 5 min: the slot after the last run (t0 + 5 min) is long gone.
  const int64_t save = t0 + 40 * 60 + 30;
  ASSERT_TRUE(*p.apply(every_plan("a.once", minutes(5), MisfirePolicy::kFireOnce), 2));
  ASSERT_TRUE(*p.apply(every_plan("a.skip", minutes(5), MisfirePolicy::kSkip), 2));
  EXPECT_EQ(p.info("a.once", save)->next_due, save) << "fire-once: runs at the next tick";
  EXPECT_EQ(p.info("a.skip", save)->next_due, save) << "skip: t0 + 40 min is inside the window";
  // Later in the period the skipped slot is outside the window (2.5 min): the next slot.
  const int64_t late = t0 + 43 * 60;
  EXPECT_EQ(p.info("a.skip", late)->next_due, t0 + 45 * 60);
  // And that is what the ticks do.
  auto due = p.take_due(late);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].board, "a.once");
  EXPECT_EQ(due[0].slot, t0 + 40 * 60);
  EXPECT_TRUE(p.take_due(t0 + 45 * 60 - 1).empty());
  EXPECT_EQ(p.take_due(t0 + 45 * 60).size(), 2u);
  // A next run in the future is reported as it is.
  EXPECT_EQ(p.info("a.once", t0 + 45 * 60 + 1)->next_due, t0 + 50 * 60);
}

TEST(Planner, MarkedSlotsAndDisabledBoardsAreNotPlanned) {
  Planner p;
  p.upsert({"a.b", seconds(300), seconds(0), true});
  p.mark("a.b", 9'900);
  EXPECT_TRUE(p.take_due(10'000).empty());
  p.upsert({"a.b", seconds(300), seconds(0), false});
  EXPECT_TRUE(p.take_due(20'000).empty());
  EXPECT_FALSE(p.next_due(20'000));
  EXPECT_EQ(*p.last_slot("a.b"), 9'900);
}

TEST(Planner, CatchUpWindowDefaults) {
  EXPECT_EQ(catch_up_window(every_plan("a.b", minutes(10), MisfirePolicy::kSkip)), minutes(5));
  EXPECT_EQ(catch_up_window(every_plan("a.b", minutes(4), MisfirePolicy::kSkip)), minutes(2));
  EXPECT_EQ(catch_up_window(every_plan("a.b", seconds(1), MisfirePolicy::kSkip)), seconds(1));
  EXPECT_EQ(catch_up_window(cron_plan("a.b", "* * * * *", "UTC")), minutes(5));
  EXPECT_EQ(catch_up_window(every_plan("a.b", minutes(10), MisfirePolicy::kSkip, minutes(42))),
            minutes(42));
}

TEST(Planner, CronSlotsCarryAStableJitterOffset) {
  const int64_t off = jitter_offset("x.cron", seconds(0), seconds(45));
  EXPECT_GE(off, 0);
  EXPECT_LE(off, 45);
  Planner p;
  ASSERT_TRUE(*p.apply(cron_plan("x.cron", "*/5 * * * *", "UTC", seconds(45)), 1));
  const int64_t t0 = at("2026-01-01T00:02:00Z");
  EXPECT_EQ(slots_of(p.take_due(t0)), (std::vector<int64_t>{at("2026-01-01T00:00:00Z") + off}));
  EXPECT_EQ(*p.next_due(t0), at("2026-01-01T00:05:00Z") + off);
  EXPECT_TRUE(p.take_due(at("2026-01-01T00:05:00Z") + off - 1).empty());
  EXPECT_EQ(slots_of(p.take_due(at("2026-01-01T00:05:00Z") + off)),
            (std::vector<int64_t>{at("2026-01-01T00:05:00Z") + off}));
}

TEST(Planner, CronInNewYorkAcrossSpringForward) {
  Planner p;
  ASSERT_TRUE(*p.apply(cron_plan("x.ny", "30 2 * * *", "America/New_York"), 1));
  // A board that never ran: its latest slot (Saturday 02:30 EST) runs at once.
  EXPECT_EQ(slots_of(p.take_due(at("2026-03-07T12:00:00Z"))),
            (std::vector<int64_t>{at("2026-03-07T07:30:00Z")}));
  // Sunday 02:30 does not exist: it fires at the end of the gap, 03:00 EDT.
  EXPECT_EQ(*p.next_due(at("2026-03-07T12:00:00Z")), at("2026-03-08T07:00:00Z"));
  EXPECT_EQ(slots_of(p.take_due(at("2026-03-08T07:00:00Z"))),
            (std::vector<int64_t>{at("2026-03-08T07:00:00Z")}));
  EXPECT_EQ(*p.next_due(at("2026-03-08T07:00:00Z")), at("2026-03-09T06:30:00Z"));
}

TEST(Planner, VersionedApplyIgnoresOlderVersions) {
  Planner p;
  ASSERT_TRUE(*p.apply(every_plan("a.b", minutes(5), MisfirePolicy::kFireOnce), 5));
  EXPECT_FALSE(*p.apply(every_plan("a.b", minutes(1), MisfirePolicy::kFireOnce), 4));
  EXPECT_EQ(p.info("a.b", 0)->version, 5);
  p.take_due(10'000);
  EXPECT_EQ(*p.next_due(10'000), 10'200);  // still every 5 minutes
  // The same version again is a redelivery: applied, phase kept.
  EXPECT_TRUE(*p.apply(every_plan("a.b", minutes(5), MisfirePolicy::kFireOnce), 5));
  EXPECT_EQ(*p.next_due(10'000), 10'200);
  // A newer version with a bad cron expression or zone changes nothing.
  auto bad = p.apply(cron_plan("a.b", "61 * * * *", "UTC"), 6);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.code(), ErrorCode::kConfig);
  EXPECT_EQ(p.apply(cron_plan("a.b", "@hourly", "Mars/Olympus"), 6).code(), ErrorCode::kConfig);
  EXPECT_EQ(p.info("a.b", 0)->version, 5);
  EXPECT_EQ(*p.next_due(10'000), 10'200);
  // A newer valid change applies and keeps the last slot: the next hourly slot follows it.
  ASSERT_TRUE(*p.apply(cron_plan("a.b", "@hourly", "UTC"), 7));
  EXPECT_EQ(*p.last_slot("a.b"), 9'900);
  EXPECT_EQ(*p.next_due(10'000), 10'800);
}

TEST(Planner, MisfireSkipRunsTheLatestSlotOnlyInsideTheWindow) {
  Planner p;
  p.upsert(every_plan("a.b", minutes(10), MisfirePolicy::kSkip));  // window: 5 min
  const int64_t t0 = 6'000;                                        // a slot
  ASSERT_EQ(slots_of(p.take_due(t0)), (std::vector<int64_t>{t0}));
  // Down for 37 minutes: the latest slot (t0 + 30 min) is 7 minutes old: skipped.
  EXPECT_TRUE(p.take_due(t0 + 37 * 60).empty());
  EXPECT_EQ(p.counters().skipped_misfire, 3);
  EXPECT_EQ(*p.next_due(t0 + 37 * 60), t0 + 40 * 60);
  EXPECT_EQ(slots_of(p.take_due(t0 + 40 * 60)), (std::vector<int64_t>{t0 + 40 * 60}));
  // Down for 24 minutes: the latest slot is 4 minutes old: it runs, the older one not.
  EXPECT_EQ(slots_of(p.take_due(t0 + 64 * 60)), (std::vector<int64_t>{t0 + 60 * 60}));
  EXPECT_EQ(p.counters().skipped_misfire, 4);
}

TEST(Planner, MisfireCatchUpRunsEverySlotOfTheWindowOldestFirst) {
  Planner p;
  p.upsert(every_plan("a.b", minutes(5), MisfirePolicy::kCatchUp, minutes(20)));
  const int64_t t0 = 6'000;
  ASSERT_EQ(slots_of(p.take_due(t0)), (std::vector<int64_t>{t0}));
  // Down for an hour and two minutes: the slots of the last 20 minutes run, one at a time.
  const int64_t now = t0 + 62 * 60;
  std::vector<int64_t> got;
  for (int i = 0; i < 10; ++i) {
    auto due = p.take_due(now);
    if (due.empty()) break;
    ASSERT_EQ(due.size(), 1u);
    got.push_back(due[0].slot);
  }
  EXPECT_EQ(got, (std::vector<int64_t>{t0 + 45 * 60, t0 + 50 * 60, t0 + 55 * 60, t0 + 60 * 60}));
  EXPECT_EQ(p.counters().skipped_misfire, 8);  // t0+5 .. t0+40
  EXPECT_EQ(*p.next_due(now), t0 + 65 * 60);
}

TEST(Planner, CatchUpWaitsForTheRunningSlot) {
  Planner p(Planner::Options{true});
  p.upsert(every_plan("a.b", minutes(5), MisfirePolicy::kCatchUp, minutes(12)));
  const int64_t t0 = 6'000;
  ASSERT_EQ(p.take_due(t0).size(), 1u);
  p.finished("a.b");
  const int64_t now = t0 + 31 * 60;
  EXPECT_EQ(slots_of(p.take_due(now)), (std::vector<int64_t>{t0 + 20 * 60}));
  EXPECT_TRUE(p.take_due(now).empty());        // still running
  EXPECT_EQ(p.info("a.b", now)->waiting, 2u);  // t0 + 25 and t0 + 30 min
  p.finished("a.b");
  EXPECT_EQ(*p.next_due(now), t0 + 25 * 60);  // due already
  EXPECT_EQ(slots_of(p.take_due(now)), (std::vector<int64_t>{t0 + 25 * 60}));
  p.finished("a.b");
  EXPECT_EQ(slots_of(p.take_due(now)), (std::vector<int64_t>{t0 + 30 * 60}));
  p.finished("a.b");
  EXPECT_TRUE(p.take_due(now).empty());
  EXPECT_EQ(*p.next_due(now), t0 + 35 * 60);
}

TEST(Planner, OverlapSkipDropsSlotsWhileRunning) {
  Planner p(Planner::Options{true});
  p.upsert(every_plan("a.b", minutes(1), MisfirePolicy::kFireOnce));
  const int64_t t0 = 6'000;
  ASSERT_EQ(p.take_due(t0).size(), 1u);
  for (int m = 1; m <= 3; ++m) EXPECT_TRUE(p.take_due(t0 + m * 60).empty());
  EXPECT_EQ(p.counters().skipped_overlap, 3);
  p.finished("a.b");
  EXPECT_TRUE(p.take_due(t0 + 3 * 60 + 30).empty());  // nothing waits
  EXPECT_EQ(slots_of(p.take_due(t0 + 4 * 60)), (std::vector<int64_t>{t0 + 4 * 60}));
}

TEST(Planner, OverlapQueueOneRunsOnceAfterTheCurrentRun) {
  Planner p(Planner::Options{true});
  p.upsert(every_plan("a.b", minutes(1), MisfirePolicy::kFireOnce, seconds(0),
                      OverlapPolicy::kQueueOne));
  const int64_t t0 = 6'000;
  ASSERT_EQ(p.take_due(t0).size(), 1u);
  for (int m = 1; m <= 3; ++m) EXPECT_TRUE(p.take_due(t0 + m * 60).empty());
  EXPECT_EQ(p.counters().queued, 3);
  EXPECT_EQ(p.counters().skipped_overlap, 2);  // merged into the newest queued slot
  EXPECT_EQ(p.info("a.b", t0)->waiting, 1u);
  p.finished("a.b");
  EXPECT_EQ(slots_of(p.take_due(t0 + 3 * 60 + 30)), (std::vector<int64_t>{t0 + 3 * 60}));
  p.finished("a.b");
  EXPECT_TRUE(p.take_due(t0 + 3 * 60 + 40).empty());
  // A manual run counts as running too.
  p.begin_run("a.b");
  EXPECT_TRUE(p.take_due(t0 + 4 * 60).empty());
  p.finished("a.b");
  EXPECT_EQ(slots_of(p.take_due(t0 + 4 * 60 + 1)), (std::vector<int64_t>{t0 + 4 * 60}));
}

TEST(Planner, MarkKeepsPhaseAcrossARestart) {
  const int64_t t0 = at("2026-01-01T00:00:00Z");
  std::vector<int64_t> before;
  {
    Planner p;
    p.upsert(cron_plan("a.c", "*/7 * * * *", "Asia/Shanghai", seconds(20)));
    for (int64_t t = t0; t < t0 + 3600; t += 10) {
      for (auto& s : p.take_due(t)) before.push_back(s.slot);
    }
  }
  Planner again;
  again.upsert(cron_plan("a.c", "*/7 * * * *", "Asia/Shanghai", seconds(20)));
  again.mark("a.c", before.back());
  EXPECT_TRUE(again.take_due(t0 + 3600).empty()) << "the restart would repeat a slot";
  auto expected = upcoming_slots(cron_plan("a.c", "*/7 * * * *", "Asia/Shanghai", seconds(20)),
                                 before.back(), 3);
  ASSERT_TRUE(expected.ok());
  std::vector<int64_t> after;
  for (int64_t t = t0 + 3600; after.size() < 3; t += 10) {
    for (auto& s : again.take_due(t)) after.push_back(s.slot);
  }
  EXPECT_EQ(after, *expected);
  // */7 restarts at minute 0 every hour: gaps of 7 minutes and one of 4.
  for (std::size_t i = 1; i < before.size(); ++i) {
    EXPECT_TRUE(before[i] - before[i - 1] == 420 || before[i] - before[i - 1] == 240);
  }
}

TEST(Planner, FreshCronBoardFollowsItsMisfirePolicy) {
  const int64_t now = at("2026-01-01T15:00:00Z");
  Planner p;
  BoardPlan once = cron_plan("a.once", "0 9 * * *", "UTC");
  BoardPlan skip = cron_plan("a.skip", "0 9 * * *", "UTC");
  skip.misfire = MisfirePolicy::kSkip;
  p.upsert(once);
  p.upsert(skip);
  auto due = p.take_due(now);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].board, "a.once");
  EXPECT_EQ(due[0].slot, at("2026-01-01T09:00:00Z"));
  EXPECT_EQ(p.info("a.skip", now)->next_due, at("2026-01-02T09:00:00Z"));
}

TEST(Planner, CronThatNeverFiresIsNeverDue) {
  Planner p;
  ASSERT_TRUE(*p.apply(cron_plan("a.b", "0 0 30 2 *", "UTC"), 1));
  EXPECT_TRUE(p.take_due(at("2026-01-01T00:00:00Z")).empty());
  EXPECT_FALSE(p.next_due(at("2026-01-01T00:00:00Z")));
  EXPECT_FALSE(p.info("a.b", 0)->next_due);
}

TEST(Planner, UpcomingSlots) {
  auto s = upcoming_slots(cron_plan("a.b", "0 8 * * MON", "Asia/Shanghai"),
                          at("2026-01-01T00:00:00Z"), 2);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(*s, (std::vector<int64_t>{at("2026-01-05T00:00:00Z"), at("2026-01-12T00:00:00Z")}));
  auto e = upcoming_slots(every_plan("a.b", minutes(10), MisfirePolicy::kFireOnce), 1'000, 2);
  EXPECT_EQ(*e, (std::vector<int64_t>{1'200, 1'800}));
  EXPECT_EQ(upcoming_slots(cron_plan("a.b", "* *", "UTC"), 0, 1).code(), ErrorCode::kConfig);
}

TEST(Planner, DisableAndScheduleChangesKeepTheLastSlot) {
  Planner p;
  p.upsert(every_plan("a.b", minutes(10), MisfirePolicy::kFireOnce));
  ASSERT_EQ(p.take_due(6'000).size(), 1u);
  BoardPlan off = every_plan("a.b", minutes(10), MisfirePolicy::kFireOnce);
  off.enabled = false;
  p.upsert(off);
  EXPECT_TRUE(p.take_due(9'000).empty());
  EXPECT_FALSE(p.info("a.b", 9'000)->next_due);
  p.upsert(every_plan("a.b", minutes(10), MisfirePolicy::kFireOnce));
  EXPECT_EQ(slots_of(p.take_due(9'000)), (std::vector<int64_t>{9'000}));  // fire-once
  p.upsert(every_plan("a.b", minutes(15), MisfirePolicy::kFireOnce));
  EXPECT_EQ(*p.next_due(9'000), 9'900);
  p.remove("a.b");
  EXPECT_EQ(p.size(), 0u);
  EXPECT_FALSE(p.next_due(9'000));
}

TEST(Planner, DueQueueMatchesABruteForceModel) {
  // 3,000 boards with periods from 2 minutes to 3 hours (beyond the timing wheel) and
  // cron boards, planned at random steps with long gaps and a backward clock step. Each
  // round must hand out exactly what a scan of every board would (fire-once), and
  // next_due() must be the earliest next slot.
  Planner p;
  std::mt19937_64 rng(3);
  struct Ref {
    BoardPlan plan;
    std::optional<int64_t> last;
    std::vector<int64_t> slots;  // every slot of the test's horizon, ascending
  };
  const int64_t t0 = 1'767'225'600;
  const int64_t from = t0 - 8 * 3600;
  const int64_t horizon = t0 + 30 * 3600;
  std::map<std::string, Ref> ref;
  for (int i = 0; i < 3000; ++i) {
    BoardPlan plan;
    plan.board = "s.b" + std::to_string(i);
    plan.jitter = seconds(rng() % 120);
    if (i % 5 == 0) {
      plan.cron = i % 2 == 0 ? "*/10 * * * *" : "0 */4 * * *";
      plan.tz = "Asia/Kolkata";
    } else {
      plan.every = seconds(120 * (1 + static_cast<int64_t>(rng() % 90)));
    }
    p.upsert(plan);
    auto slots = upcoming_slots(plan, from, static_cast<int>((horizon - from) / 120 + 2));
    ASSERT_TRUE(slots.ok());
    ref[plan.board] = Ref{plan, std::nullopt, *slots};
  }
  auto latest = [](const Ref& r, int64_t t) -> std::optional<int64_t> {
    auto it = std::upper_bound(r.slots.begin(), r.slots.end(), t);
    if (it == r.slots.begin()) return std::nullopt;
    return *std::prev(it);
  };
  auto next_of = [](const Ref& r, int64_t after) {
    return *std::upper_bound(r.slots.begin(), r.slots.end(), after);
  };
  int64_t t = t0;
  for (int round = 0; round < 120; ++round) {
    int64_t step = 1 + static_cast<int64_t>(rng() % 400);
    if (round % 25 == 24) step = 2 * 3600 + 17;  // a long gap: the wheel wraps
    if (round == 60) step = -900;                // the wall clock steps back
    t += step;
    std::map<std::string, int64_t> want;
    for (auto& [id, r] : ref) {
      auto l = latest(r, t);
      if (l && (!r.last || *l > *r.last)) {
        want[id] = *l;
        r.last = *l;
      }
    }
    std::map<std::string, int64_t> got;
    for (const auto& s : p.take_due(t)) {
      EXPECT_TRUE(got.emplace(s.board, s.slot).second) << s.board;
    }
    ASSERT_EQ(got, want) << "round " << round << " at " << t;
    int64_t earliest = std::numeric_limits<int64_t>::max();
    for (const auto& [id, r] : ref) earliest = std::min(earliest, next_of(r, std::max(*r.last, t)));
    if (step < 0) continue;  // behind the cursor the planner may report an earlier time
    EXPECT_EQ(*p.next_due(t), earliest) << "round " << round;
  }
}

}  // namespace
}  // namespace mu
