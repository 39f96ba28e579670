#include "scheduler/scheduler.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "coord/local/local_coordinator.h"
#include "core/config.h"
#include "scheduler/scheduler_testing.h"

namespace mu {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;
using testing_support::FakeStore;
using testing_support::ScriptedCollector;

BoardMeta board(const std::string& id, seconds every, int retries = 1) {
  BoardMeta m;
  m.id = id;
  m.site = id.substr(0, id.find('.'));
  m.schedule.every = every;
  m.schedule.jitter = seconds(0);  // slots on round times keep the arithmetic readable
  m.schedule.retries = retries;
  return m;
}

class SchedulerTest : public ::testing::Test {
 protected:
  Scheduler::Options opts() {
    Scheduler::Options o;
    o.seed = 42;
    o.retry_base = std::chrono::milliseconds(1000);
    return o;
  }
  FakeClock clock_;
  FakeStore store_;
  LocalCoordinator coord_{7};
  ScriptedCollector collector_{clock_};
};

TEST_F(SchedulerTest, EachSlotCommittedOnceWithLeaderEpoch) {
  Scheduler s({board("a.x", minutes(5)), board("b.y", minutes(10))}, collector_, store_, coord_,
              clock_, opts());
  ASSERT_TRUE(s.load_state().ok());
  std::vector<BoardUpdated> events;
  auto sub = coord_.subscribe([&](const BoardUpdated& e) { events.push_back(e); });
  for (int i = 0; i < 360; ++i) {  // one simulated hour in 10 s steps
    s.tick();
    clock_.advance(seconds(10));
  }
  EXPECT_NEAR(store_.commits_per_board["a.x"], 13, 1);
  EXPECT_NEAR(store_.commits_per_board["b.y"], 7, 1);
  std::set<std::string> ids;
  for (const auto& d : collector_.calls) {
    EXPECT_EQ(d.epoch, 7);
    EXPECT_TRUE(ids.insert(d.id()).second) << "dispatched twice: " << d.id();
  }
  EXPECT_EQ(events.size(), collector_.calls.size());
  EXPECT_EQ(s.counters().committed, static_cast<int64_t>(collector_.calls.size()));
}

TEST_F(SchedulerTest, OnCommitHearsEveryCommittedBoardAndNoFailure) {
  Scheduler::Options o = opts();
  std::vector<std::string> committed;
  o.on_commit = [&](const std::string& board) { committed.push_back(board); };
  Scheduler s({board("a.x", minutes(5))}, collector_, store_, coord_, clock_, o);
  ASSERT_TRUE(s.load_state().ok());
  for (int i = 0; i < 60; ++i) {  // ten simulated minutes
    s.tick();
    clock_.advance(seconds(10));
  }
  EXPECT_EQ(static_cast<int64_t>(committed.size()), s.counters().committed);
  EXPECT_GE(committed.size(), 2u);
  for (const auto& b : committed) EXPECT_EQ(b, "a.x");
}

TEST_F(SchedulerTest, HourlyPruningDeletesRunsOlderThanKeepRunsDays) {
  constexpr int64_t kDayMs = int64_t{24} * 3600 * 1000;
  Scheduler::Options o = opts();
  o.keep_runs_days = 30;
  Scheduler s({board("a.x", minutes(5))}, collector_, store_, coord_, clock_, o);
  ASSERT_TRUE(s.load_state().ok());
  s.tick();
  ASSERT_EQ(store_.runs_pruned_before.size(), 1u);
  EXPECT_EQ(store_.runs_pruned_before[0], to_unix_ms(clock_.now()) - 30 * kDayMs);
  clock_.advance(minutes(30));
  s.tick();
  EXPECT_EQ(store_.runs_pruned_before.size(), 1u);  // once per prune_every (an hour)
  clock_.advance(minutes(31));
  s.tick();
  ASSERT_EQ(store_.runs_pruned_before.size(), 2u);
  EXPECT_EQ(store_.runs_pruned_before[1], to_unix_ms(clock_.now()) - 30 * kDayMs);

  FakeStore keep_all;
  o.keep_runs_days = 0;
  Scheduler forever({board("a.x", minutes(5))}, collector_, keep_all, coord_, clock_, o);
  ASSERT_TRUE(forever.load_state().ok());
  forever.tick();
  EXPECT_EQ(keep_all.prunes, 1);
  EXPECT_TRUE(keep_all.runs_pruned_before.empty());
}

TEST_F(SchedulerTest, RetryableErrorIsRetriedAfterBackoffThenCommitted) {
  Scheduler s({board("a.x", minutes(10), 2)}, collector_, store_, coord_, clock_, opts());
  collector_.errors["a.x"] = {error(ErrorCode::kTimeout, "slow"),
                              error(ErrorCode::kNetwork, "reset")};
  EXPECT_EQ(s.tick(), 1);
  ASSERT_EQ(store_.failures.size(), 1u);
  EXPECT_TRUE(store_.states["a.x"].stale);
  // Backoff of attempt 1 is at most 1 s, attempt 2 at most 2 s (full jitter).
  clock_.advance(seconds(1));
  EXPECT_EQ(s.tick(), 1);
  clock_.advance(seconds(2));
  EXPECT_EQ(s.tick(), 1);
  ASSERT_EQ(collector_.calls.size(), 3u);
  EXPECT_EQ(collector_.calls[2].attempt, 3);
  EXPECT_EQ(collector_.calls[2].id(), collector_.calls[0].id());  // same slot, same id
  EXPECT_EQ(store_.commits_per_board["a.x"], 1);
  EXPECT_FALSE(store_.states["a.x"].stale);
  EXPECT_EQ(s.counters().retried, 2);
}

TEST_F(SchedulerTest, StoreOutageDuringCommitIsRecordedAndRetried) {
  Scheduler s({board("a.x", minutes(10), 2)}, collector_, store_, coord_, clock_, opts());
  store_.commit_failures = 1;
  EXPECT_EQ(s.tick(), 1);
  ASSERT_EQ(store_.failures.size(), 1u);
  EXPECT_EQ(store_.failures[0].error.code(), ErrorCode::kUnavailable);
  EXPECT_NE(store_.failures[0].error.message().find("commit"), std::string::npos);
  clock_.advance(seconds(1));  // attempt 1 backs off at most retry_base = 1 s
  EXPECT_EQ(s.tick(), 1);
  EXPECT_EQ(store_.commits_per_board["a.x"], 1);
  EXPECT_EQ(collector_.calls[1].id(), collector_.calls[0].id());
}

// Runs are counted per board and outcome in the metrics registry (the error code names the
// outcome of a failed attempt), fetches are timed per site, and the scrape-time collector
// reports the scheduler's counters.
TEST_F(SchedulerTest, RunsAreCountedInMetricsByBoardAndOutcome) {
  metrics::Registry registry;
  Scheduler::Options o = opts();
  o.metrics = &registry;
  Scheduler s({board("a.x", minutes(10), 2)}, collector_, store_, coord_, clock_, o);
  export_scheduler_metrics(registry, [&s]() -> const Scheduler* { return &s; });
  collector_.errors["a.x"] = {error(ErrorCode::kTimeout, "slow")};
  EXPECT_EQ(s.tick(), 1);
  clock_.advance(seconds(1));  // the retry (backoff at most retry_base = 1 s) succeeds
  EXPECT_EQ(s.tick(), 1);
  const std::string text = registry.render();
  auto has = [&](const std::string& line) {
    return text.find("\n" + line + "\n") != std::string::npos;
  };
  EXPECT_TRUE(has(R"(mu_board_runs_total{board="a.x",outcome="ok"} 1)")) << text;
  EXPECT_TRUE(has(R"(mu_board_runs_total{board="a.x",outcome="timeout"} 1)"));
  EXPECT_TRUE(has(R"(mu_fetch_duration_seconds_count{site="a"} 2)"));
  EXPECT_TRUE(has(R"(mu_fetch_items_count{site="a"} 1)"));
  EXPECT_TRUE(has(R"(mu_store_commit_duration_seconds_count 1)"));
  EXPECT_TRUE(has(R"(mu_scheduler_runs_total{result="committed"} 1)"));
  EXPECT_TRUE(has(R"(mu_scheduler_runs_total{result="retried"} 1)"));
  EXPECT_TRUE(has(R"(mu_breaker_state{site="a"} 0)"));
  EXPECT_TRUE(has("mu_scheduler_lag_seconds 0"));
}

// Failed store writes are counted by operation and error code (fenced commits are not
// failures and are not counted).
TEST_F(SchedulerTest, StoreErrorsAreCountedInMetrics) {
  metrics::Registry registry;
  Scheduler::Options o = opts();
  o.metrics = &registry;
  Scheduler s({board("a.x", minutes(1), 0)}, collector_, store_, coord_, clock_, o);
  store_.commit_failures = 1;
  store_.record_failures = 1;
  EXPECT_EQ(s.tick(), 1);
  const std::string text = registry.render();
  EXPECT_NE(text.find("\nmu_store_errors_total{op=\"commit\",code=\"unavailable\"} 1\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("\nmu_store_errors_total{op=\"record_failure\",code=\"unavailable\"} 1\n"),
            std::string::npos);
}

TEST_F(SchedulerTest, StreamBoardKeepsEarlierEntriesNewestFirst) {
  BoardMeta m = board("a.flash", minutes(5));
  m.kind = BoardKind::kStream;
  auto entry = [](const std::string& key, int64_t at) {
    Item it;
    it.key = key;
    it.title = key;
    it.url = "https://example.com/" + key;
    it.published_at_ms = at;
    return it;
  };
  collector_.items["a.flash"] = {{entry("2", 20), entry("1", 10)},
                                 {entry("4", 40), entry("3", 30), entry("2", 20)}};
  Scheduler s({m}, collector_, store_, coord_, clock_, opts());
  s.tick();
  clock_.advance(minutes(5));
  s.tick();
  std::vector<std::string> keys;
  for (const auto& it : store_.last_items["a.flash"]) keys.push_back(it.key);
  EXPECT_EQ(keys, (std::vector<std::string>{"4", "3", "2", "1"}));
}

TEST_F(SchedulerTest, RetryWaitsForRetryAfterAndSkips404) {
  Scheduler s({board("a.x", minutes(10), 3), board("b.y", minutes(10), 3)}, collector_, store_,
              coord_, clock_, opts());
  collector_.errors["a.x"] = {error(ErrorCode::kHttp, "HTTP 429").with_http(429, seconds(45))};
  collector_.errors["b.y"] = {error(ErrorCode::kHttp, "HTTP 404").with_http(404)};
  EXPECT_EQ(s.tick(), 2);
  clock_.advance(seconds(44));
  EXPECT_EQ(s.tick(), 0);  // backoff alone would be at most 1 s; Retry-After says 45
  clock_.advance(seconds(1));
  EXPECT_EQ(s.tick(), 1);
  EXPECT_EQ(collector_.calls.back().board, "a.x");
  EXPECT_EQ(store_.commits_per_board["a.x"], 1);
  EXPECT_EQ(store_.commits_per_board["b.y"], 0);  // a 404 is not retried
  EXPECT_EQ(s.counters().retried, 1);
}

TEST_F(SchedulerTest, ParseErrorIsNotRetriedAndKeepsLastGood) {
  Scheduler s({board("a.x", minutes(10), 3)}, collector_, store_, coord_, clock_, opts());
  s.tick();  // good
  ASSERT_EQ(store_.commits_per_board["a.x"], 1);
  collector_.errors["a.x"] = {error(ErrorCode::kParse, "missing data.realtime")};
  clock_.advance(minutes(10));
  s.tick();
  clock_.advance(minutes(1));
  EXPECT_EQ(s.tick(), 0);
  EXPECT_EQ(store_.failures.size(), 1u);
  EXPECT_EQ(store_.states["a.x"].last_error_code, "parse");
  EXPECT_EQ(store_.commits_per_board["a.x"], 1);
}

// Issue 15: every failure record said collector "local", in the cluster too. It names the
// collector the failure came from (Status::origin, set by the collector or the router).
TEST_F(SchedulerTest, FailureRecordsNameTheCollectorThatFailed) {
  Scheduler s({board("a.x", minutes(10), 0)}, collector_, store_, coord_, clock_, opts());
  collector_.errors["a.x"] = {error(ErrorCode::kHttp, "HTTP 403").with_http(403).with_origin("c3")};
  s.tick();
  ASSERT_EQ(store_.failures.size(), 1u);
  EXPECT_EQ(store_.failures[0].stats.collector, "c3");
  // An error no collector owns (none alive) is not pinned on anyone.
  collector_.errors["a.x"] = {error(ErrorCode::kUnavailable, "no live collector in group cn")};
  clock_.advance(minutes(10));
  s.tick();
  ASSERT_EQ(store_.failures.size(), 2u);
  EXPECT_EQ(store_.failures[1].stats.collector, "");
}

// Issue 15: a run whose failure could not be recorded (the store was down: its commit
// failed, then so did the failure record) was only logged and lost. It is kept and written
// once the store answers, before newer runs, so every slot that ran has a run record.
TEST_F(SchedulerTest, FailureRecordsOfAStoreOutageAreWrittenWhenItIsBack) {
  Scheduler s({board("a.x", minutes(1), 0), board("b.y", minutes(1), 0)}, collector_, store_,
              coord_, clock_, opts());
  store_.commit_failures = 100;  // the store is down
  store_.record_failures = 100;
  EXPECT_EQ(s.tick(), 2);
  EXPECT_TRUE(store_.failures.empty());
  EXPECT_EQ(s.counters().unrecorded, 2);
  const std::set<std::string> ran = {collector_.calls[0].id(), collector_.calls[1].id()};

  store_.commit_failures = 0;  // the store is back
  store_.record_failures = 0;
  clock_.advance(minutes(1));
  EXPECT_EQ(s.tick(), 2);
  EXPECT_EQ(s.counters().unrecorded, 0);
  std::set<std::string> recorded;
  for (const auto& f : store_.failures) {
    recorded.insert(f.dispatch_id);
    EXPECT_EQ(f.error.code(), ErrorCode::kUnavailable);
  }
  EXPECT_EQ(recorded, ran);
  EXPECT_EQ(store_.commits_per_board["a.x"], 1);  // the new slots committed after them
  EXPECT_EQ(store_.commits_per_board["b.y"], 1);
}

TEST_F(SchedulerTest, KeptFailureRecordsAreBoundedOldestDropped) {
  Scheduler::Options o = opts();
  o.unrecorded_cap = 3;
  Scheduler s({board("a.x", minutes(1), 0)}, collector_, store_, coord_, clock_, o);
  store_.commit_failures = 1000;
  store_.record_failures = 1000;
  for (int i = 0; i < 5; ++i) {
    s.tick();
    clock_.advance(minutes(1));
  }
  EXPECT_EQ(s.counters().unrecorded, 3);
  EXPECT_EQ(s.counters().unrecorded_dropped, 2);
  store_.commit_failures = 0;
  store_.record_failures = 0;
  s.tick();
  ASSERT_EQ(store_.failures.size(), 3u);
  EXPECT_EQ(store_.failures[0].dispatch_id, collector_.calls[2].id());  // the newest three
}

TEST_F(SchedulerTest, BoardWaitingForRetrySkipsOverlappingSlot) {
  Scheduler::Options o = opts();
  o.retry_base = std::chrono::milliseconds(600'000);  // a long backoff spanning slots
  o.retry_cap = std::chrono::milliseconds(600'000);
  Scheduler s({board("a.x", minutes(1), 1)}, collector_, store_, coord_, clock_, o);
  collector_.errors["a.x"] = {error(ErrorCode::kTimeout, "slow")};
  s.tick();
  int64_t before = static_cast<int64_t>(collector_.calls.size());
  for (int i = 0; i < 3; ++i) {
    clock_.advance(minutes(1));
    s.tick();
  }
  // Either the retry ran (backoff drew a small value) or new slots were skipped; never
  // two fetches of the board at once.
  EXPECT_LE(static_cast<int64_t>(collector_.calls.size()) - before,
            1 + static_cast<int64_t>(s.counters().skipped_overlap == 0 ? 3 : 0));
}

TEST_F(SchedulerTest, RestartKeepsPhaseAndDoesNotRefetchFreshBoards) {
  {
    Scheduler s({board("a.x", minutes(10))}, collector_, store_, coord_, clock_, opts());
    ASSERT_TRUE(s.load_state().ok());
    EXPECT_EQ(s.tick(), 1);
  }
  clock_.advance(seconds(30));
  Scheduler again({board("a.x", minutes(10))}, collector_, store_, coord_, clock_, opts());
  ASSERT_TRUE(again.load_state().ok());
  EXPECT_EQ(again.tick(), 0);
  clock_.advance(minutes(10));
  EXPECT_EQ(again.tick(), 1);
  ASSERT_EQ(collector_.calls.size(), 2u);
  EXPECT_EQ(collector_.calls[1].slot - collector_.calls[0].slot, 600);
}

TEST_F(SchedulerTest, LiveUpdateDisablesAndChangesInterval) {
  Scheduler s({board("a.x", minutes(10))}, collector_, store_, coord_, clock_, opts());
  s.tick();
  s.update_board(board("a.x", minutes(10)), false);
  clock_.advance(minutes(30));
  EXPECT_EQ(s.tick(), 0);
  s.update_board(board("a.x", minutes(1)), true);
  EXPECT_EQ(s.tick(), 1);
  clock_.advance(minutes(1));
  EXPECT_EQ(s.tick(), 1);
}

TEST_F(SchedulerTest, FencedCommitIsCountedNotApplied) {
  store_.fence = 9;  // a newer leader has written
  Scheduler s({board("a.x", minutes(10))}, collector_, store_, coord_, clock_, opts());
  s.tick();
  EXPECT_EQ(store_.commits_per_board["a.x"], 0);
  EXPECT_EQ(s.counters().fenced, 1);
}

int64_t now_s(const Clock& c) { return c.now_ms() / 1000; }

std::vector<int64_t> slots_after(const ScriptedCollector& c, std::size_t from) {
  std::vector<int64_t> out;
  for (std::size_t i = from; i < c.calls.size(); ++i) out.push_back(c.calls[i].slot);
  return out;
}

TEST_F(SchedulerTest, ApplyChangeIsVersionedAndValidated) {
  Scheduler s({board("a.x", minutes(10))}, collector_, store_, coord_, clock_, opts());
  const int64_t t0 = now_s(clock_);
  BoardChange every_minute;
  every_minute.board = "a.x";
  every_minute.version = 2;
  every_minute.every = minutes(1);
  ASSERT_TRUE(s.apply_change(every_minute).ok());
  BoardChange older;
  older.board = "a.x";
  older.version = 1;
  older.every = minutes(30);
  older.enabled = false;
  Status ignored = s.apply_change(older);
  EXPECT_EQ(ignored.code(), ErrorCode::kConflict) << ignored.to_string();
  EXPECT_EQ(s.tick(), 1);
  clock_.advance(minutes(1));
  EXPECT_EQ(s.tick(), 1);  // still every minute, still enabled
  EXPECT_EQ(collector_.calls.back().slot, t0 + 60);

  BoardChange bad;
  bad.board = "a.x";
  bad.version = 3;
  bad.cron = "*/5 * * *";
  EXPECT_EQ(s.apply_change(bad).code(), ErrorCode::kInvalid);
  bad.cron = "*/5 * * * *";
  bad.tz = "Mars/Olympus";
  Status tz = s.apply_change(bad);
  EXPECT_EQ(tz.code(), ErrorCode::kInvalid);
  EXPECT_NE(tz.message().find("Mars/Olympus"), std::string::npos) << tz.to_string();
  bad.tz.reset();
  bad.every = minutes(5);
  EXPECT_EQ(s.apply_change(bad).code(), ErrorCode::kInvalid);  // every and cron together
  BoardChange negative;
  negative.board = "a.x";
  negative.version = 3;
  negative.catch_up = seconds(-1);
  EXPECT_EQ(s.apply_change(negative).code(), ErrorCode::kInvalid);
  EXPECT_EQ(s.snapshot().boards[0].version, 2);  // nothing of the rejected changes applied

  BoardChange unknown;
  unknown.board = "b.new";
  unknown.version = 1;
  unknown.enabled = true;
  EXPECT_EQ(s.apply_change(unknown).code(), ErrorCode::kNotFound);
  unknown.meta = board("b.new", minutes(10));
  ASSERT_TRUE(s.apply_change(unknown).ok());
  clock_.advance(minutes(1));
  EXPECT_EQ(s.tick(), 2);  // a.x's slot and the new board's first slot

  BoardChange off;
  off.board = "a.x";
  off.version = 3;
  off.enabled = false;
  ASSERT_TRUE(s.apply_change(off).ok());
  clock_.advance(minutes(1));
  EXPECT_EQ(s.tick(), 0);
}

TEST_F(SchedulerTest, ApplyChangeSwitchesToCronWithoutRestart) {
  Scheduler s({board("a.x", minutes(10))}, collector_, store_, coord_, clock_, opts());
  const int64_t t0 = now_s(clock_);  // 2026-01-01T00:00:00Z
  ASSERT_EQ(s.tick(), 1);
  BoardChange c;
  c.board = "a.x";
  c.version = 1;
  c.cron = "*/15 * * * *";
  c.tz = "UTC";
  ASSERT_TRUE(s.apply_change(c).ok());
  EXPECT_EQ(*s.snapshot().boards[0].next_due_s, t0 + 900);
  clock_.advance(minutes(10));
  EXPECT_EQ(s.tick(), 0);
  clock_.advance(minutes(5));
  EXPECT_EQ(s.tick(), 1);
  EXPECT_EQ(collector_.calls.back().slot, t0 + 900);
  // And back to an interval: every clears the cron expression.
  BoardChange back;
  back.board = "a.x";
  back.version = 2;
  back.every = minutes(2);
  ASSERT_TRUE(s.apply_change(back).ok());
  clock_.advance(minutes(1));
  EXPECT_EQ(s.tick(), 1);  // the 2-minute grid's next slot after t0+900
  EXPECT_EQ(collector_.calls.back().slot, t0 + 960);
}

TEST_F(SchedulerTest, UpdateBoardWrapperAppliesAtTheCurrentVersion) {
  Scheduler s({board("a.x", minutes(10))}, collector_, store_, coord_, clock_, opts());
  BoardChange c;
  c.board = "a.x";
  c.version = 5;
  c.every = minutes(1);
  ASSERT_TRUE(s.apply_change(c).ok());
  BoardMeta m = board("a.x", minutes(2));
  s.update_board(m, true);
  EXPECT_EQ(s.snapshot().boards[0].version, 5);
  s.tick();
  clock_.advance(minutes(1));
  EXPECT_EQ(s.tick(), 0);  // every 2 minutes now
  clock_.advance(minutes(1));
  EXPECT_EQ(s.tick(), 1);
}

TEST_F(SchedulerTest, BoardWithABadCronIsNotPlannedUntilFixed) {
  BoardMeta m = board("a.x", minutes(10));
  m.schedule.cron = "every morning";
  Scheduler s({m}, collector_, store_, coord_, clock_, opts());
  EXPECT_EQ(s.tick(), 0);
  EXPECT_FALSE(s.snapshot().boards[0].next_due_s);
  BoardChange fix;
  fix.board = "a.x";
  fix.version = 1;
  fix.cron = "@hourly";
  ASSERT_TRUE(s.apply_change(fix).ok());
  EXPECT_EQ(s.tick(), 1);
}

TEST_F(SchedulerTest, TriggerNowMergesWithTheRunInFlight) {
  Scheduler s({board("a.x", minutes(10))}, collector_, store_, coord_, clock_, opts());
  const int64_t t0 = now_s(clock_);
  // An admin presses "run now" while the scheduled fetch is running.
  std::vector<std::string> answers;
  collector_.during = [&](const Dispatch&) {
    auto id = s.trigger_now("a.x");
    ASSERT_TRUE(id.ok()) << id.status().to_string();
    answers.push_back(*id);
  };
  EXPECT_EQ(s.tick(), 1);
  EXPECT_EQ(answers, (std::vector<std::string>{"a.x@" + std::to_string(t0)}));
  EXPECT_EQ(collector_.calls.size(), 1u);  // no second run
  collector_.during = nullptr;

  // Idle: a manual dispatch board@now, run as soon as possible; a second press merges.
  clock_.advance(seconds(65));
  auto id = s.trigger_now("a.x");
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(*id, "a.x@" + std::to_string(t0 + 65));
  EXPECT_EQ(*s.trigger_now("a.x"), *id);
  EXPECT_EQ(s.snapshot().boards[0].in_flight, *id);
  EXPECT_EQ(s.tick(), 1);
  EXPECT_EQ(collector_.calls.back().id(), *id);
  EXPECT_EQ(store_.commits_per_board["a.x"], 2);
  EXPECT_EQ(s.snapshot().boards[0].in_flight, "");
  // Pressed again within the same second: a new run with a distinct id.
  auto again = s.trigger_now("a.x");
  EXPECT_EQ(*again, "a.x@" + std::to_string(t0 + 66));
  EXPECT_EQ(s.tick(), 1);

  // A manual run waiting for its retry is in flight too.
  collector_.errors["a.x"] = {error(ErrorCode::kTimeout, "slow")};
  auto failing = s.trigger_now("a.x");
  EXPECT_EQ(s.tick(), 1);
  EXPECT_EQ(*s.trigger_now("a.x"), *failing);
  clock_.advance(seconds(1));
  EXPECT_EQ(s.tick(), 1);  // the retry, same id
  EXPECT_EQ(collector_.calls.back().id(), *failing);
  EXPECT_EQ(collector_.calls.back().attempt, 2);

  // The schedule is untouched by manual runs.
  clock_.advance(seconds(t0 + 600 - now_s(clock_)));
  EXPECT_EQ(s.tick(), 1);
  EXPECT_EQ(collector_.calls.back().slot, t0 + 600);
  EXPECT_EQ(s.counters().manual, 3);
  EXPECT_EQ(s.trigger_now("a.nope").code(), ErrorCode::kNotFound);
}

// The board's first attempt fails with Retry-After: 150 s, so its run stays in flight for
// two and a half slots of a one-minute schedule.
std::vector<int64_t> run_overlap_case(OverlapPolicy policy, int64_t* t0, std::vector<int>* ticks,
                                      Scheduler::Counters* counters) {
  FakeClock clock;
  FakeStore store;
  LocalCoordinator coord(1);
  ScriptedCollector collector(clock);
  BoardMeta m = board("a.x", minutes(1), 1);
  m.schedule.overlap = policy;
  Scheduler::Options o;
  o.seed = 42;
  o.retry_base = std::chrono::milliseconds(1);
  o.retry_cap = std::chrono::milliseconds(150'000);
  collector.errors["a.x"] = {error(ErrorCode::kHttp, "HTTP 503").with_http(503, seconds(150))};
  Scheduler s({m}, collector, store, coord, clock, o);
  *t0 = now_s(clock);
  for (int step : {0, 60, 60, 30, 30}) {
    clock.advance(seconds(step));
    ticks->push_back(s.tick());
  }
  *counters = s.counters();
  return slots_after(collector, 0);
}

TEST_F(SchedulerTest, OverlapSkipDropsSlotsWhileTheBoardIsBusy) {
  int64_t t0 = 0;
  std::vector<int> ticks;
  Scheduler::Counters c;
  auto slots = run_overlap_case(OverlapPolicy::kSkip, &t0, &ticks, &c);
  EXPECT_EQ(ticks, (std::vector<int>{1, 0, 0, 1, 1}));
  EXPECT_EQ(slots, (std::vector<int64_t>{t0, t0, t0 + 180}));
  EXPECT_EQ(c.skipped_overlap, 2);
  EXPECT_EQ(c.queued, 0);
}

TEST_F(SchedulerTest, OverlapQueueOneRunsOnceWhenTheBoardIsFree) {
  int64_t t0 = 0;
  std::vector<int> ticks;
  Scheduler::Counters c;
  auto slots = run_overlap_case(OverlapPolicy::kQueueOne, &t0, &ticks, &c);
  // At t0+150 the retry succeeds and the queued slot (the newest, t0+120) runs right after.
  EXPECT_EQ(ticks, (std::vector<int>{1, 0, 0, 2, 1}));
  EXPECT_EQ(slots, (std::vector<int64_t>{t0, t0, t0 + 120, t0 + 180}));
  EXPECT_EQ(c.queued, 2);
  EXPECT_EQ(c.skipped_overlap, 1);  // t0+60 merged into t0+120
}

struct OutageCase {
  MisfirePolicy policy;
  seconds catch_up;
  std::vector<int64_t> after_restart;  // minutes after t0
};

TEST_F(SchedulerTest, MisfirePoliciesAfterAnOutage) {
  for (const OutageCase& k : {
           OutageCase{MisfirePolicy::kFireOnce, seconds(0), {30}},
           OutageCase{MisfirePolicy::kSkip, seconds(0), {}},  // 7 min late > 5 min window
           OutageCase{MisfirePolicy::kSkip, minutes(8), {30}},
           OutageCase{MisfirePolicy::kCatchUp, minutes(25), {20, 30}},
       }) {
    SCOPED_TRACE(std::string(misfire_policy_name(k.policy)) + " " +
                 std::to_string(k.catch_up.count()));
    FakeClock clock;
    FakeStore store;
    ScriptedCollector collector(clock);
    BoardMeta m = board("a.x", minutes(10));
    m.schedule.misfire = k.policy;
    m.schedule.catch_up = k.catch_up;
    const int64_t t0 = now_s(clock);
    {
      Scheduler first({m}, collector, store, coord_, clock, opts());
      ASSERT_TRUE(first.load_state().ok());
      ASSERT_EQ(first.tick(), 1);
    }
    clock.advance(minutes(37));  // down from t0 to t0 + 37 min
    Scheduler second({m}, collector, store, coord_, clock, opts());
    ASSERT_TRUE(second.load_state().ok());
    second.tick();
    std::vector<int64_t> expected;
    for (int64_t min : k.after_restart) expected.push_back(t0 + min * 60);
    EXPECT_EQ(slots_after(collector, 1), expected);
    clock.advance(minutes(3));
    EXPECT_EQ(second.tick(), 1);
    EXPECT_EQ(collector.calls.back().slot, t0 + 40 * 60);
    EXPECT_EQ(second.counters().skipped_misfire, 3 - static_cast<int64_t>(k.after_restart.size()));
  }
}

TEST_F(SchedulerTest, RestartAfterARunThatOverranItsSlotLosesNothing) {
  // The fetch of slot t0 takes 15 minutes and ends inside slot t0+10: the restart must
  // still run slot t0+10 (the run record names the slot; the finish time would not).
  for (bool keep_runs : {true, false}) {
    FakeClock clock;
    FakeStore store;
    store.keep_runs = keep_runs;
    ScriptedCollector collector(clock);
    const int64_t t0 = now_s(clock);
    {
      Scheduler first({board("a.x", minutes(10))}, collector, store, coord_, clock, opts());
      collector.during = [&](const Dispatch&) { clock.advance(minutes(15)); };
      ASSERT_EQ(first.tick(), 1);
      collector.during = nullptr;
    }
    Scheduler second({board("a.x", minutes(10))}, collector, store, coord_, clock, opts());
    ASSERT_TRUE(second.load_state().ok());
    if (keep_runs) {
      EXPECT_EQ(second.tick(), 1);
      EXPECT_EQ(collector.calls.back().slot, t0 + 600);
    } else {
      EXPECT_EQ(second.tick(), 0);  // without run history only the finish time is known
    }
  }
}

TEST_F(SchedulerTest, BreakerOpensSkipsThenProbesAndCloses) {
  Scheduler::Options o = opts();
  o.breaker = BreakerOptions{3, minutes(5), std::chrono::hours(1)};
  Scheduler s(
      {board("a.x", minutes(1), 0), board("a.y", minutes(1), 0), board("b.z", minutes(1), 0)},
      collector_, store_, coord_, clock_, o);
  for (const char* b : {"a.x", "a.y"}) {
    collector_.errors[b] = std::vector<Status>(20, error(ErrorCode::kNetwork, "refused"));
  }
  auto site_calls = [&](const std::string& prefix) {
    int n = 0;
    for (const auto& d : collector_.calls) n += d.board.rfind(prefix, 0) == 0 ? 1 : 0;
    return n;
  };
  auto site_state = [&](const std::string& site) {
    for (const auto& st : s.snapshot().sites) {
      if (st.site == site) return st;
    }
    return SchedulerSnapshot::Site{};
  };
  s.tick();  // t0: 2 failures
  clock_.advance(minutes(1));
  s.tick();  // t0+1: 4 failures, open since the third
  EXPECT_EQ(site_state("a").breaker, CircuitBreaker::State::kOpen);
  const int64_t opened_ms = clock_.now_ms();
  EXPECT_EQ(*site_state("a").probe_at_ms, opened_ms + 5 * 60 * 1000);
  for (int m = 2; m <= 5; ++m) {
    clock_.advance(minutes(1));
    s.tick();
  }
  EXPECT_EQ(site_calls("a."), 4);
  EXPECT_EQ(site_calls("b."), 6);  // the other site is not affected
  EXPECT_EQ(s.counters().skipped_breaker, 8);
  EXPECT_EQ(site_state("a").skipped, 8);
  // t0+6: the cooldown has passed; one probe goes, it fails: open for 10 minutes.
  clock_.advance(minutes(1));
  s.tick();
  EXPECT_EQ(site_calls("a."), 5);
  EXPECT_EQ(site_state("a").breaker, CircuitBreaker::State::kOpen);
  EXPECT_EQ(*site_state("a").probe_at_ms, clock_.now_ms() + 10 * 60 * 1000);
  collector_.errors.clear();  // the site recovers
  for (int m = 7; m <= 15; ++m) {
    clock_.advance(minutes(1));
    s.tick();
  }
  EXPECT_EQ(site_calls("a."), 5);
  // t0+16: the probe succeeds and closes the breaker; from t0+17 both boards run again.
  clock_.advance(minutes(1));
  s.tick();
  EXPECT_EQ(site_calls("a."), 6);
  EXPECT_EQ(site_state("a").breaker, CircuitBreaker::State::kClosed);
  clock_.advance(minutes(1));
  s.tick();
  EXPECT_EQ(site_calls("a."), 8);
  EXPECT_EQ(site_state("a").consecutive_failures, 0);
  EXPECT_EQ(site_calls("b."), 18);
}

TEST_F(SchedulerTest, StoreOutageDoesNotOpenTheSiteBreaker) {
  Scheduler::Options o = opts();
  o.breaker = BreakerOptions{1, minutes(5), std::chrono::hours(1)};
  Scheduler s({board("a.x", minutes(1), 0)}, collector_, store_, coord_, clock_, o);
  store_.commit_failures = 3;
  for (int m = 0; m < 3; ++m) {
    s.tick();
    clock_.advance(minutes(1));
  }
  EXPECT_EQ(collector_.calls.size(), 3u);
  EXPECT_EQ(s.snapshot().sites[0].breaker, CircuitBreaker::State::kClosed);
}

TEST_F(SchedulerTest, SnapshotShowsPlanInFlightAndBreakers) {
  Scheduler s({board("a.x", minutes(10)), board("b.y", minutes(5))}, collector_, store_, coord_,
              clock_, opts());
  const int64_t t0 = now_s(clock_);
  SchedulerSnapshot during;
  collector_.during = [&](const Dispatch& d) {
    if (d.board == "b.y") during = s.snapshot();
  };
  s.tick();
  ASSERT_EQ(during.boards.size(), 2u);
  EXPECT_EQ(during.boards[1].in_flight, "b.y@" + std::to_string(t0));
  SchedulerSnapshot after = s.snapshot();
  EXPECT_EQ(after.now_ms, clock_.now_ms());
  EXPECT_EQ(after.boards[0].board, "a.x");
  EXPECT_EQ(*after.boards[0].last_slot, t0);
  EXPECT_EQ(*after.boards[0].next_due_s, t0 + 600);
  EXPECT_EQ(*after.boards[1].next_due_s, t0 + 300);
  EXPECT_EQ(*after.next_due_s, t0 + 300);
  EXPECT_EQ(after.boards[1].in_flight, "");
  ASSERT_EQ(after.sites.size(), 2u);
  EXPECT_EQ(after.sites[0].breaker, CircuitBreaker::State::kClosed);
  EXPECT_EQ(after.counters.committed, 2);
}

TEST(SchedulerConfig, LoadConfigChecksCronAndZoneWithTheSchedulerValidator) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("mu-sched-config-" + std::to_string(::getpid()) + ".toml");
  auto load = [&](const std::string& text) {
    std::ofstream(path) << text;
    return load_config(path.string(), {}, schedule_validator());
  };
  auto good = load("[boards.\"a.b\"]\ncron = \"@hourly\"\ntz = \"America/New_York\"\n");
  EXPECT_TRUE(good.ok()) << good.status().to_string();
  auto cron = load("[boards.\"a.b\"]\ncron = \"61 * * * *\"\n");
  ASSERT_FALSE(cron.ok());
  EXPECT_EQ(cron.code(), ErrorCode::kConfig);
  EXPECT_NE(cron.error_message().find("boards.\"a.b\".cron: cron \"61 * * * *\": minute: 61"),
            std::string::npos)
      << cron.error_message();
  auto tz = load("[boards.\"a.b\"]\ncron = \"@daily\"\ntz = \"Asia/Peking\"\n");
  ASSERT_FALSE(tz.ok());
  EXPECT_NE(tz.error_message().find("boards.\"a.b\".tz: unknown time zone \"Asia/Peking\""),
            std::string::npos)
      << tz.error_message();
  std::filesystem::remove(path);
}

TEST_F(SchedulerTest, ThreadedRunCommitsAndStopsCleanly) {
  SystemClock real;
  ScriptedCollector collector(real);
  Scheduler s({board("a.x", minutes(10)), board("b.y", minutes(10))}, collector, store_, coord_,
              real, opts());
  std::mutex m;
  std::condition_variable cv;
  int updates = 0;
  auto sub = coord_.subscribe([&](const BoardUpdated&) {
    std::lock_guard lock(m);
    ++updates;
    cv.notify_all();
  });
  s.start();
  {
    std::unique_lock lock(m);
    // Both boards are due at once; generous liveness bound, not a timing assertion.
    ASSERT_TRUE(cv.wait_for(lock, seconds(30), [&] { return updates >= 2; }));
  }
  s.stop();
  s.stop();
  EXPECT_EQ(store_.commits_per_board.size(), 2u);
}

}  // namespace
}  // namespace mu
