#include "coord/local/local_rate_limiter.h"

#include <gtest/gtest.h>

#include <string>

namespace mu {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(LocalRateLimiterTest, ABurstThenTheSustainedRate) {
  FakeClock clock;
  LocalRateLimiter limiter(clock);
  const RateLimit limit{60, 5};  // one per second, five at once
  for (int i = 0; i < 5; ++i) {
    const RateDecision d = limiter.take("203.0.113.1", limit);
    EXPECT_TRUE(d.allowed) << i;
    EXPECT_EQ(d.remaining, 4 - i);
  }
  RateDecision refused = limiter.take("203.0.113.1", limit);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after_ms, 1000);
  EXPECT_EQ(refused.reset_ms, 5000);
  // Another client is not affected.
  EXPECT_TRUE(limiter.take("203.0.113.2", limit).allowed);

  clock.advance(milliseconds(999));
  refused = limiter.take("203.0.113.1", limit);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after_ms, 1);
  clock.advance(milliseconds(1));
  EXPECT_TRUE(limiter.take("203.0.113.1", limit).allowed);
  EXPECT_FALSE(limiter.take("203.0.113.1", limit).allowed);

  // Idle long enough: a full burst again, never more.
  clock.advance(seconds(3600));
  int allowed = 0;
  for (int i = 0; i < 20; ++i) allowed += limiter.take("203.0.113.1", limit).allowed ? 1 : 0;
  EXPECT_EQ(allowed, 5);
}

TEST(LocalRateLimiterTest, OverAMinuteNoMoreThanTheRatePlusOneBurst) {
  FakeClock clock;
  LocalRateLimiter limiter(clock);
  const RateLimit limit{120, 10};
  int allowed = 0;
  for (int ms = 0; ms < 60'000; ms += 10) {  // 100 requests a second for a minute
    allowed += limiter.take("k", limit).allowed ? 1 : 0;
    clock.advance(milliseconds(10));
  }
  EXPECT_GE(allowed, 120);
  EXPECT_LE(allowed, 120 + 10);
}

TEST(LocalRateLimiterTest, MemoryStaysBoundedUnderAFloodOfClients) {
  FakeClock clock;
  LocalRateLimiter limiter(clock, LocalRateLimiter::Options{1600});
  const RateLimit limit{60, 5};
  for (int i = 0; i < 50'000; ++i) {
    limiter.take("10.0." + std::to_string(i / 256) + "." + std::to_string(i % 256), limit);
  }
  EXPECT_LE(limiter.size(), 1600u);
  // A client that keeps hammering in the flood is still limited.
  int allowed = 0;
  for (int i = 0; i < 100; ++i) allowed += limiter.take("198.51.100.1", limit).allowed ? 1 : 0;
  EXPECT_EQ(allowed, 5);
}

TEST(LocalRateLimiterTest, ANewLimitAppliesFromTheNextRequest) {
  FakeClock clock;
  LocalRateLimiter limiter(clock);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.take("key", RateLimit{60, 3}).allowed);
  EXPECT_FALSE(limiter.take("key", RateLimit{60, 3}).allowed);
  // Raised: the bucket refills towards the new burst at the new rate.
  clock.advance(seconds(1));
  int allowed = 0;
  for (int i = 0; i < 12; ++i) allowed += limiter.take("key", RateLimit{600, 100}).allowed ? 1 : 0;
  EXPECT_EQ(allowed, 10);
}

}  // namespace
}  // namespace mu
