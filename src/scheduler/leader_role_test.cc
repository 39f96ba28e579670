#include "scheduler/leader_role.h"

#include <gtest/gtest.h>

#include "coord/coord_testing.h"
#include "scheduler/board_change_json.h"
#include "scheduler/scheduler_testing.h"

namespace mu {
namespace {

using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;
using testing_support::FakeChangeQueue;
using testing_support::FakeEventBus;
using testing_support::FakeLease;
using testing_support::FakeStore;
using testing_support::ScriptedCollector;

BoardMeta board(const std::string& id) {
  BoardMeta m;
  m.id = id;
  m.site = id.substr(0, id.find('.'));
  m.schedule.every = minutes(5);
  m.schedule.jitter = seconds(0);
  m.schedule.retries = 1;
  return m;
}

// Two scheduler instances ("a", "b") on one lease, queue, bus and store, driven by hand.
class LeaderRoleTest : public ::testing::Test {
 protected:
  LeaderRole::Options options(const std::string& id) {
    LeaderRole::Options o;
    o.id = id;
    o.elector.seed = 7;
    o.scheduler.seed = 42;
    o.read_block = milliseconds(0);
    return o;
  }
  std::unique_ptr<LeaderRole> role(const std::string& id, std::set<std::string> disabled = {},
                                   LeaderRole::Options o = {}) {
    if (o.id.empty()) o = options(id);
    return std::make_unique<LeaderRole>(
        std::vector<BoardMeta>{board("a.x"), board("b.y")}, std::move(disabled),
        LeaderRole::Backends{lease_, queue_, bus_, store_, collector_}, clock_, o);
  }
  // Steps `r` with the clock following the waits it asks for until `done`, at most `limit`.
  template <typename Done>
  void step_until(LeaderRole& r, Done done, milliseconds limit = milliseconds(60000)) {
    milliseconds waited{0};
    while (!done()) {
      const milliseconds wait = std::max(r.step(), milliseconds(1));
      if (done()) break;
      clock_.advance(wait);
      waited += wait;
      ASSERT_LT(waited, limit);
    }
  }
  // Lets `d` pass in half-second rounds (the leader keeps renewing).
  void run_for(LeaderRole& r, milliseconds d) {
    for (milliseconds t{0}; t < d; t += milliseconds(500)) {
      clock_.advance(milliseconds(500));
      r.step();
    }
  }
  void store_override(const std::string& board, const std::string& json) {
    const int64_t version = store_.overrides.count(board) ? store_.overrides[board].version : 0;
    ASSERT_TRUE(store_.put_board_override(board, version, json, clock_.now_ms()).ok());
  }
  int calls_for(const std::string& board) {
    int n = 0;
    for (const auto& d : collector_.calls) n += d.board == board ? 1 : 0;
    return n;
  }

  FakeClock clock_;  // 2026-01-01 00:00:00 UTC: a 5-minute slot boundary
  FakeLease lease_{clock_};
  FakeChangeQueue queue_;
  FakeEventBus bus_;
  FakeStore store_;
  ScriptedCollector collector_{clock_};
};

// Bug: begin_term dispatched before (or without) raising the fence and from empty state.
TEST_F(LeaderRoleTest, NoDispatchBeforeFenceIsRaisedToTheEpochAndStateIsLoaded) {
  // Both boards ran their current slot in the previous term.
  const int64_t now_s = clock_.now_ms() / 1000;
  for (const std::string b : {"a.x", "b.y"}) {
    store_.last_run[b] = RunRecord{b + "@" + std::to_string(now_s), b, now_s, 0, "ok", "", {}};
    store_.states[b].board = b;
    store_.states[b].last_run_at_ms = now_s * 1000 + 900;
  }
  int64_t fence_at_first_collect = -1;
  collector_.during = [&](const Dispatch&) {
    if (fence_at_first_collect < 0) fence_at_first_collect = store_.fence;
  };
  auto a = role("a");
  EXPECT_EQ(a->tick(), 0);  // not elected: nothing to run
  a->step();                // elected (epoch 1), term started in the same round
  EXPECT_EQ(a->elector().epoch(), 1);
  EXPECT_EQ(store_.fence, 1);
  EXPECT_EQ(a->dispatching_epoch(), 1);
  // State was loaded: the slot that already ran is not run again at takeover.
  EXPECT_EQ(a->tick(), 0);
  run_for(*a, minutes(5));
  EXPECT_EQ(a->tick(), 2);
  ASSERT_EQ(collector_.calls.size(), 2u);
  EXPECT_EQ(fence_at_first_collect, 1);
  for (const auto& d : collector_.calls) {
    EXPECT_EQ(d.epoch, 1);
    EXPECT_EQ(d.slot, now_s + 300);
  }
}

// Bug: a failed fence raise was logged and the term dispatched anyway.
TEST_F(LeaderRoleTest, FenceRaiseFailureMeansNoDispatchAndARetryWithBackoff) {
  store_.fence_failures = 2;
  auto a = role("a");
  a->step();  // elected; attempt 1 fails
  EXPECT_EQ(a->elector().epoch(), 1);
  EXPECT_EQ(a->start_failures(), 1);
  EXPECT_EQ(a->dispatching_epoch(), 0);
  EXPECT_EQ(a->tick(), 0);
  clock_.advance(milliseconds(199));  // backoff 200 ms
  a->step();
  EXPECT_EQ(store_.fence_raises, 1);
  clock_.advance(milliseconds(1));
  EXPECT_EQ(a->step(), milliseconds(400));  // attempt 2 fails; the backoff doubles
  EXPECT_EQ(store_.fence_raises, 2);
  EXPECT_EQ(a->tick(), 0);
  EXPECT_TRUE(collector_.calls.empty());
  clock_.advance(milliseconds(400));
  a->step();  // attempt 3 raises the fence
  EXPECT_EQ(store_.fence, 1);
  EXPECT_EQ(a->dispatching_epoch(), 1);
  EXPECT_EQ(a->tick(), 2);
}

// Bug: the result of raise_fence was not checked: a fence above the term's epoch means a
// newer leader has been elected, and every commit of this term would be fenced.
TEST_F(LeaderRoleTest, FenceAboveTheTermEpochResignsInsteadOfDispatching) {
  store_.fence = 5;  // the lease backend lost its counter; no epoch floor given
  auto a = role("a");
  a->step();
  EXPECT_EQ(a->elector().epoch(), 0);  // resigned at once
  EXPECT_EQ(a->tick(), 0);
  a->step();  // the elector releases the lease and ends the term
  EXPECT_EQ(a->dispatching_epoch(), 0);
  auto who = lease_.leader();
  ASSERT_TRUE(who.ok());
  EXPECT_FALSE(who->has_value());
  EXPECT_TRUE(collector_.calls.empty());
  EXPECT_EQ(store_.fence, 5);
}

// Bug: a term whose store stayed unreachable kept the lease forever without running.
TEST_F(LeaderRoleTest, StartFailuresGiveUpLeadershipSoAnotherInstanceCanTry) {
  store_.states_failures = 1000;  // load_state never works
  LeaderRole::Options o = options("a");
  o.start_attempts = 3;
  auto a = role("a", {}, o);
  step_until(*a, [&] { return a->start_failures() >= 3; });
  EXPECT_EQ(a->elector().epoch(), 0);
  a->step();
  auto who = lease_.leader();
  ASSERT_TRUE(who.ok());
  EXPECT_FALSE(who->has_value());  // released, not left to expire
  EXPECT_TRUE(collector_.calls.empty());
  // Another instance whose store works takes over at once.
  store_.states_failures = 0;
  auto b = role("b");
  b->step();
  EXPECT_EQ(b->dispatching_epoch(), 2);
  EXPECT_EQ(b->tick(), 2);
}

// Bug: reconcile failures at takeover were logged and the term ran catalogue schedules
// (disabled boards fetched).
TEST_F(LeaderRoleTest, OverridesReconciledAtTermStartBeforeAnyDispatch) {
  store_override("a.x", R"({"enabled":false})");
  store_override("b.y", R"({"enabled":true,"every_s":600})");
  store_.overrides_failures = 1;  // the first attempt cannot read them
  auto a = role("a", /*disabled=*/{"b.y"});
  a->step();
  EXPECT_EQ(a->dispatching_epoch(), 0);
  EXPECT_EQ(a->tick(), 0);
  clock_.advance(milliseconds(200));
  a->step();
  ASSERT_EQ(a->dispatching_epoch(), 1);
  EXPECT_EQ(a->tick(), 1);
  EXPECT_EQ(calls_for("a.x"), 0);  // disabled by its override
  EXPECT_EQ(calls_for("b.y"), 1);  // disabled in the config, enabled by its override
  auto st = a->status();
  ASSERT_TRUE(st.ok());
  ASSERT_EQ(st->boards.size(), 2u);
  EXPECT_EQ(st->boards[0].version, 1);
  EXPECT_FALSE(st->boards[0].enabled);
  EXPECT_TRUE(st->boards[1].enabled);
}

// Bug (the rule the elector gives): a leader whose lease was taken stops dispatching.
TEST_F(LeaderRoleTest, LostLeaseStopsTheScheduler) {
  auto a = role("a");
  a->step();
  EXPECT_EQ(a->tick(), 2);
  ASSERT_TRUE(lease_.release("a", 1).ok());
  lease_.steal("b");
  clock_.advance(milliseconds(1000));
  a->step();  // renew refused: demoted, term ended
  EXPECT_EQ(a->elector().epoch(), 0);
  EXPECT_EQ(a->dispatching_epoch(), 0);
  clock_.advance(minutes(5));
  EXPECT_EQ(a->tick(), 0);
  EXPECT_EQ(collector_.calls.size(), 2u);
  auto st = a->status();
  ASSERT_TRUE(st.ok());
  EXPECT_FALSE(st->leader);
  EXPECT_TRUE(st->boards.empty());
}

// Bug: the queue consumer only checked the term's stop flag, so a leader paused during a
// blocking read (its lease lapsed meanwhile, the elector thread not yet run) applied and
// acknowledged the entries it got; the new leader never saw them until a reconcile.
TEST_F(LeaderRoleTest, ConsumerPausedPastItsDeadlineNeitherAppliesNorAcks) {
  auto a = role("a");
  a->step();
  ASSERT_EQ(a->dispatching_epoch(), 1);
  a->step();  // the takeover claim and a first (empty) read
  auto version = a->update_schedule([] {
    BoardChange c;
    c.board = "a.x";
    c.enabled = false;
    return c;
  }());
  ASSERT_TRUE(version.ok());
  // The next read blocks while the process is paused past the renew deadline.
  queue_.during_read = [&] {
    queue_.during_read = nullptr;
    clock_.advance(milliseconds(2600));
  };
  // Only the term's round runs here (the elector's round comes first in step() and finds
  // nothing due yet: the renewal is due at 1 s).
  clock_.advance(milliseconds(100));
  a->step();
  EXPECT_EQ(a->elector().epoch(), 0);
  EXPECT_TRUE(queue_.acked.empty());
  ASSERT_EQ(queue_.pending().size(), 1u);
  auto st = a->status();
  ASSERT_TRUE(st.ok());
  EXPECT_TRUE(st->boards.empty() || st->boards[0].version == 0);
  // The next leader claims the entry, applies it and acknowledges it.
  a->step();  // a demotes itself
  clock_.advance(milliseconds(3000));
  auto b = role("b");
  step_until(*b, [&] { return !queue_.acked.empty(); });
  EXPECT_EQ(b->elector().epoch(), 2);
  st = b->status();
  ASSERT_TRUE(st.ok());
  ASSERT_FALSE(st->boards.empty());
  EXPECT_EQ(st->boards[0].board, "a.x");
  EXPECT_FALSE(st->boards[0].enabled);
  EXPECT_EQ(st->boards[0].version, *version);
}

// The other half of the same bug: once demoted, the consumer reads nothing more.
TEST_F(LeaderRoleTest, DemotedLeaderStopsReadingTheQueue) {
  auto a = role("a");
  a->step();
  a->step();
  const int reads = queue_.read_calls;
  ASSERT_GT(reads, 0);
  clock_.advance(milliseconds(2600));  // paused past the renew deadline
  a->step();
  ASSERT_TRUE(queue_.add(queue_command_to_json({QueueCommand::Kind::kRunNow, "a.x", 0})).ok());
  for (int i = 0; i < 3; ++i) {  // the lapsed lease is not free before 3 s
    clock_.advance(milliseconds(100));
    a->step();
  }
  EXPECT_EQ(queue_.read_calls, reads);
  EXPECT_TRUE(queue_.acked.empty());
}

TEST_F(LeaderRoleTest, LeaderAppliesQueuedChangesAndAcksThem) {
  auto a = role("a");
  a->step();
  BoardChange c;
  c.board = "b.y";
  c.every = minutes(10);
  auto version = a->update_schedule(c);
  ASSERT_TRUE(version.ok());
  a->step();
  EXPECT_EQ(queue_.acked.size(), 1u);
  auto st = a->status();
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->boards[1].version, *version);
  // A follower's "run now" goes through the queue.
  auto b = role("b");
  b->step();
  auto queued = b->trigger_now("a.x");
  ASSERT_TRUE(queued.ok());
  EXPECT_EQ(queued->rfind("queued:", 0), 0u);
  EXPECT_EQ(b->trigger_now("nope.board").code(), ErrorCode::kNotFound);
}

}  // namespace
}  // namespace mu
