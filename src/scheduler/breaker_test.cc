#include "scheduler/breaker.h"

#include <gtest/gtest.h>

#include <limits>

namespace mu {
namespace {

using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;
using State = CircuitBreaker::State;

TEST(CircuitBreaker, OpensAfterConsecutiveFailuresOnly) {
  FakeClock clock;
  CircuitBreaker b(BreakerOptions{5, minutes(5), std::chrono::hours(1)});
  for (int i = 0; i < 4; ++i) b.on_failure(clock.mono());
  EXPECT_EQ(b.state(clock.mono()), State::kClosed);
  b.on_success();  // not consecutive any more
  for (int i = 0; i < 4; ++i) {
    EXPECT_TRUE(b.allow(clock.mono()));
    b.on_failure(clock.mono());
  }
  EXPECT_EQ(b.state(clock.mono()), State::kClosed);
  EXPECT_EQ(b.consecutive_failures(), 4);
  b.on_failure(clock.mono());
  EXPECT_EQ(b.state(clock.mono()), State::kOpen);
  EXPECT_FALSE(b.allow(clock.mono()));
}

TEST(CircuitBreaker, HalfOpenProbeThenCloseWithFakeClock) {
  FakeClock clock;
  CircuitBreaker b(BreakerOptions{2, minutes(5), std::chrono::hours(1)});
  b.on_failure(clock.mono());
  b.on_failure(clock.mono());
  ASSERT_EQ(b.state(clock.mono()), State::kOpen);
  clock.advance(minutes(5) - seconds(1));
  EXPECT_FALSE(b.allow(clock.mono()));
  clock.advance(seconds(1));
  EXPECT_EQ(b.state(clock.mono()), State::kHalfOpen);
  EXPECT_TRUE(b.allow(clock.mono()));   // the probe
  EXPECT_FALSE(b.allow(clock.mono()));  // only one at a time
  EXPECT_EQ(b.state(clock.mono()), State::kHalfOpen);
  b.on_success();
  EXPECT_EQ(b.state(clock.mono()), State::kClosed);
  EXPECT_TRUE(b.allow(clock.mono()));
  EXPECT_EQ(b.consecutive_failures(), 0);
  // After closing, the cooldown starts again at 5 minutes.
  b.on_failure(clock.mono());
  b.on_failure(clock.mono());
  EXPECT_EQ(b.cooldown(), minutes(5));
}

TEST(CircuitBreaker, FailedProbesDoubleTheCooldownUpToTheCap) {
  FakeClock clock;
  CircuitBreaker b(BreakerOptions{1, minutes(5), std::chrono::hours(1)});
  b.on_failure(clock.mono());
  std::vector<int64_t> cooldowns;
  for (int i = 0; i < 7; ++i) {
    cooldowns.push_back(b.cooldown().count() / 60);
    clock.advance(b.cooldown() - seconds(1));
    EXPECT_FALSE(b.allow(clock.mono())) << i;
    clock.advance(seconds(1));
    ASSERT_TRUE(b.allow(clock.mono())) << i;
    b.on_failure(clock.mono());  // the probe failed
    EXPECT_EQ(b.state(clock.mono()), State::kOpen);
  }
  EXPECT_EQ(cooldowns, (std::vector<int64_t>{5, 10, 20, 40, 60, 60, 60}));
}

TEST(CircuitBreaker, ProbeThatNeverReportsIsReplaced) {
  FakeClock clock;
  CircuitBreaker b(BreakerOptions{1, minutes(5), std::chrono::hours(1)});
  b.on_failure(clock.mono());
  clock.advance(minutes(5));
  ASSERT_TRUE(b.allow(clock.mono()));
  clock.advance(minutes(4));
  EXPECT_FALSE(b.allow(clock.mono()));
  clock.advance(minutes(1));
  EXPECT_TRUE(b.allow(clock.mono()));  // the first probe was lost
  EXPECT_EQ(breaker_state_name(b.state(clock.mono())), "half-open");
}

TEST(Backoff, FullJitterWithinExponentialBoundsAndCapped) {
  std::mt19937_64 rng(7);
  const milliseconds base(1000);
  const milliseconds cap(60000);
  for (int attempt = 1; attempt <= 10; ++attempt) {
    const int64_t bound = std::min<int64_t>(base.count() << (attempt - 1), cap.count());
    int64_t lo = bound;
    int64_t hi = 0;
    for (int i = 0; i < 2000; ++i) {
      const int64_t d = backoff_delay(attempt, base, cap, rng).count();
      ASSERT_GE(d, 0);
      ASSERT_LE(d, bound) << "attempt " << attempt;
      lo = std::min(lo, d);
      hi = std::max(hi, d);
    }
    // Full jitter: the draws cover the whole range, not just its upper half.
    EXPECT_LT(lo, bound / 10) << attempt;
    EXPECT_GT(hi, bound * 9 / 10) << attempt;
  }
  // Huge attempt numbers do not overflow.
  for (int attempt : {31, 64, 1000, std::numeric_limits<int>::max()}) {
    EXPECT_LE(backoff_delay(attempt, base, cap, rng), cap);
  }
  EXPECT_EQ(backoff_delay(3, milliseconds(0), cap, rng), milliseconds(0));
}

}  // namespace
}  // namespace mu
