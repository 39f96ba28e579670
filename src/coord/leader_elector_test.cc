#include "coord/leader_elector.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <vector>

#include "coord/coord_testing.h"

namespace mu {
namespace {

using std::chrono::milliseconds;

using testing_support::FakeLease;

struct Events {
  std::vector<int64_t> elected;
  std::vector<std::pair<int64_t, std::string>> demoted;
};

LeaderElector::Options opts(const std::string& holder) {
  LeaderElector::Options o;
  o.holder = holder;
  o.seed = 7;
  return o;
}

LeaderElector::Callbacks record(Events& events) {
  LeaderElector::Callbacks cb;
  cb.on_elected = [&events](int64_t e) { events.elected.push_back(e); };
  cb.on_demoted = [&events](int64_t e, const std::string& why) {
    events.demoted.emplace_back(e, why);
  };
  return cb;
}

// Candidates "a" and "b" on one lease, each recording its callbacks.
class TwoCandidates : public ::testing::Test {
 protected:
  FakeClock clock;
  FakeLease lease{clock};
  Events ea, eb;
  LeaderElector a{lease, clock, opts("a"), record(ea)};
  LeaderElector b{lease, clock, opts("b"), record(eb)};
};

TEST(LeaderElector, FirstStepAcquiresAndRenewsOnSchedule) {
  FakeClock clock;
  FakeLease lease(clock);
  Events events;
  LeaderElector a(lease, clock, opts("a"), record(events));
  const milliseconds wait = a.step();
  EXPECT_EQ(a.epoch(), 1);
  EXPECT_EQ(events.elected, std::vector<int64_t>{1});
  EXPECT_EQ(wait, milliseconds(1000));
  clock.advance(wait);
  a.step();
  EXPECT_EQ(lease.renew_calls, 1);
  EXPECT_EQ(a.epoch(), 1);
  // Renewing keeps the lease alive far beyond one ttl.
  for (int i = 0; i < 20; ++i) {
    clock.advance(milliseconds(1000));
    a.step();
  }
  EXPECT_EQ(a.epoch(), 1);
  EXPECT_TRUE(events.demoted.empty());
}

TEST_F(TwoCandidates, FollowerWaitsAboutRetryEveryWithJitterAndTakesOverAfterExpiry) {
  a.step();
  for (int i = 0; i < 50; ++i) {
    const milliseconds wait = b.step();
    EXPECT_GE(wait, milliseconds(150));
    EXPECT_LE(wait, milliseconds(250));
  }
  EXPECT_EQ(b.epoch(), 0);
  EXPECT_EQ(b.last_seen_leader().holder, "a");
  // a dies (never steps again); b takes over once the 3 s lease expired, with a new epoch.
  milliseconds waited{0};
  while (b.epoch() == 0) {
    const milliseconds wait = b.step();
    if (b.epoch() != 0) break;
    clock.advance(wait);
    waited += wait;
    ASSERT_LT(waited, milliseconds(10000));
  }
  EXPECT_EQ(b.epoch(), 2);
  EXPECT_GE(waited, milliseconds(3000));
  EXPECT_LE(waited, milliseconds(3250));
  // The dead leader's epoch() turned 0 by its own deadline, without a step.
  EXPECT_EQ(a.epoch(), 0);
}

TEST(LeaderElector, PausedLeaderIsNotLeaderAfterItsDeadlineAndDemotesOnNextStep) {
  FakeClock clock;
  FakeLease lease(clock);
  Events events;
  LeaderElector a(lease, clock, opts("a"), record(events));
  a.step();
  clock.advance(milliseconds(2499));
  EXPECT_EQ(a.epoch(), 1);
  clock.advance(milliseconds(1));  // renew_deadline (2.5 s) after the last successful send
  EXPECT_EQ(a.epoch(), 0);
  a.step();
  ASSERT_EQ(events.demoted.size(), 1u);
  EXPECT_EQ(events.demoted[0].first, 1);
  EXPECT_EQ(lease.renew_calls, 0);  // it did not try to renew a term it could not prove
}

TEST(LeaderElector, RenewRejectedMeansDemotedAtOnce) {
  FakeClock clock;
  FakeLease lease(clock);
  Events events;
  LeaderElector a(lease, clock, opts("a"), record(events));
  a.step();
  ASSERT_TRUE(lease.release("a", 1).ok());
  lease.steal("b");
  clock.advance(milliseconds(1000));
  a.step();
  EXPECT_EQ(a.epoch(), 0);
  ASSERT_EQ(events.demoted.size(), 1u);
  EXPECT_EQ(events.demoted[0].second, "the lease was taken over");
}

TEST(LeaderElector, BackendOutageKeepsTermUntilDeadlineThenDemotes) {
  FakeClock clock;
  FakeLease lease(clock);
  Events events;
  LeaderElector a(lease, clock, opts("a"), record(events));
  a.step();
  clock.advance(milliseconds(1000));
  lease.down = true;
  milliseconds waited{0};
  while (events.demoted.empty()) {
    const milliseconds wait = a.step();
    if (!events.demoted.empty()) break;
    EXPECT_LE(wait, milliseconds(200));
    EXPECT_EQ(a.epoch(), 1);
    clock.advance(wait);
    waited += wait;
    ASSERT_LT(waited, milliseconds(5000));
  }
  EXPECT_EQ(a.epoch(), 0);
  EXPECT_GE(lease.renew_calls, 5);
  // Backend back: it competes again and wins a NEW epoch.
  lease.down = false;
  clock.advance(milliseconds(3000));
  a.step();
  EXPECT_EQ(a.epoch(), 2);
}

// Renewals are timed and the failed ones counted when the options name metrics.
TEST(LeaderElector, RenewalsAreTimedAndFailuresCounted) {
  FakeClock clock;
  FakeLease lease(clock);
  Events events;
  metrics::Histogram renew_seconds(metrics::latency_buckets());
  metrics::Counter renew_failures;
  LeaderElector::Options o = opts("a");
  o.renew_seconds = &renew_seconds;
  o.renew_failures = &renew_failures;
  LeaderElector a(lease, clock, o, record(events));
  a.step();  // acquires
  for (int i = 0; i < 3; ++i) {
    clock.advance(milliseconds(1000));
    a.step();  // renews
  }
  EXPECT_EQ(renew_seconds.snapshot().count, 3u);
  EXPECT_EQ(renew_failures.value(), 0u);
  lease.down = true;
  clock.advance(milliseconds(1000));
  a.step();
  EXPECT_EQ(renew_seconds.snapshot().count, 4u);
  EXPECT_EQ(renew_failures.value(), 1u);
}

TEST_F(TwoCandidates, StopReleasesSoAFollowerTakesOverOnItsNextTry) {
  a.step();
  b.step();
  a.stop(true);
  ASSERT_EQ(ea.demoted.size(), 1u);
  EXPECT_EQ(ea.demoted[0].second, "stopping");
  b.step();  // no time passed: the lease is free right away
  EXPECT_EQ(b.epoch(), 2);
}

TEST_F(TwoCandidates, ResignReleasesTheLeaseAndHoldsOffSoAnotherInstanceTakesOver) {
  a.step();
  a.resign(7);  // not its term: nothing happens
  EXPECT_EQ(a.epoch(), 1);
  a.resign(1);
  EXPECT_EQ(a.epoch(), 0);          // at once, before the elector's next round
  EXPECT_TRUE(ea.demoted.empty());  // never on the resigning thread
  const milliseconds wait = a.step();
  ASSERT_EQ(ea.demoted.size(), 1u);
  EXPECT_EQ(ea.demoted[0].second, "resigned");
  EXPECT_EQ(wait, milliseconds(3000));
  a.step();  // held off: does not take the free lease back
  EXPECT_EQ(a.epoch(), 0);
  b.step();
  EXPECT_EQ(b.epoch(), 2);
}

TEST(LeaderElector, EpochFloorKeepsEpochsAboveTheStoreFence) {
  FakeClock clock;
  FakeLease lease(clock);
  Events events;
  LeaderElector::Callbacks cb = record(events);
  cb.epoch_floor = [] { return int64_t{41}; };
  LeaderElector a(lease, clock, opts("a"), cb,
                  [&lease](const std::string& h, milliseconds ttl, int64_t floor) {
                    return lease.acquire_above(h, ttl, floor);
                  });
  a.step();
  EXPECT_EQ(a.epoch(), 42);
}

TEST(LeaderElector, TwoCandidatesNeverBothLeadOverAManyRoundRun) {
  FakeClock clock;
  FakeLease lease(clock);
  Events ea, eb;
  LeaderElector a(lease, clock, opts("a"), record(ea));
  LeaderElector::Options ob = opts("b");
  ob.seed = 99;
  LeaderElector b(lease, clock, ob, record(eb));
  std::mt19937 rng(5);
  for (int i = 0; i < 2000; ++i) {
    // Each round one of them is paused at random (does not step), as with SIGSTOP.
    if (rng() % 4 != 0) a.step();
    if (rng() % 4 != 0) b.step();
    EXPECT_FALSE(a.epoch() != 0 && b.epoch() != 0) << "round " << i;
    clock.advance(milliseconds(100 + rng() % 400));
  }
  EXPECT_FALSE(ea.elected.empty());
}

}  // namespace
}  // namespace mu
