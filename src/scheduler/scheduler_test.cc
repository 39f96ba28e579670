#include "scheduler/scheduler.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "coord/local/local_coordinator.h"

namespace mu {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

// In-memory Store with the fencing and exactly-once rules of the real ones.
class FakeStore final : public Store {
 public:
  Status migrate() override { return ok_status(); }
  Status sync_catalogue(const std::vector<Site>&, const std::vector<BoardMeta>&) override {
    return ok_status();
  }
  Result<int64_t> commit_snapshot(const CommitRequest& r) override {
    std::lock_guard lock(mu);
    if (commit_failures > 0) {
      --commit_failures;
      return error(ErrorCode::kUnavailable, "database is locked");
    }
    if (r.epoch < fence) return error(ErrorCode::kFenced, "old epoch");
    fence = r.epoch;
    if (!committed.insert(r.dispatch_id).second) return error(ErrorCode::kConflict, "dup");
    auto& st = states[r.board];
    st.board = r.board;
    st.version = ++next_version;
    st.fetched_at_ms = r.stats.finished_ms;
    st.last_run_at_ms = r.stats.finished_ms;
    st.stale = false;
    st.last_error_code.clear();
    commits_per_board[r.board]++;
    last_items[r.board] = r.items;
    return st.version;
  }
  Status record_failure(const FailureRecord& f) override {
    std::lock_guard lock(mu);
    failures.push_back(f);
    auto& st = states[f.board];
    st.board = f.board;
    st.last_run_at_ms = f.stats.finished_ms;
    st.stale = true;
    st.last_error_code = std::string(error_code_name(f.error.code()));
    return ok_status();
  }
  Result<std::optional<BoardView>> board_view(const std::string& b) override {
    std::lock_guard lock(mu);
    auto it = last_items.find(b);
    if (it == last_items.end()) return std::optional<BoardView>();
    BoardView v;
    v.snapshot.board = b;
    v.snapshot.items = it->second;
    return std::optional<BoardView>(std::move(v));
  }
  Result<std::vector<BoardState>> board_states() override {
    std::lock_guard lock(mu);
    std::vector<BoardState> out;
    for (auto& [k, v] : states) out.push_back(v);
    return out;
  }
  Result<BoardState> board_state(const std::string& b) override {
    std::lock_guard lock(mu);
    return states[b];
  }
  Result<std::vector<RunRecord>> runs(const std::string&, int) override {
    return std::vector<RunRecord>();
  }
  Result<int64_t> prune_snapshots(int) override {
    std::lock_guard lock(mu);
    ++prunes;
    return int64_t{0};
  }
  Result<int64_t> fence_epoch() override { return fence; }

  std::mutex mu;
  int64_t fence = 0;
  int64_t next_version = 0;
  int prunes = 0;
  int commit_failures = 0;
  std::set<std::string> committed;
  std::map<std::string, int> commits_per_board;
  std::map<std::string, std::vector<Item>> last_items;
  std::map<std::string, BoardState> states;
  std::vector<FailureRecord> failures;
};

// Collector whose answer per board is scripted: a queue of errors, then success.
class ScriptedCollector final : public Collector {
 public:
  explicit ScriptedCollector(const Clock& clock) : clock_(clock) {}
  Result<CollectOutcome> collect(const Dispatch& d) override {
    calls.push_back(d);
    auto& q = errors[d.board];
    if (!q.empty()) {
      Status s = q.front();
      q.erase(q.begin());
      return s;
    }
    CollectOutcome out;
    auto& scripted = items[d.board];
    if (!scripted.empty()) {
      out.items = scripted.front();
      scripted.erase(scripted.begin());
    } else {
      Item it;
      it.key = "k";
      it.title = "t";
      it.url = "https://example.com/";
      out.items = {it};
    }
    out.started_ms = out.finished_ms = clock_.now_ms();
    return out;
  }
  std::map<std::string, std::vector<Status>> errors;
  std::map<std::string, std::vector<std::vector<Item>>> items;  // per call, then a default
  std::vector<Dispatch> calls;

 private:
  const Clock& clock_;
};

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
