// RedisRateLimiter against a real redis-server: instances share one bucket, leases stay
// within the limit, and a dead Redis falls back to the local limit.
#include "coord/redis/redis_rate_limiter.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "coord/local/local_rate_limiter.h"
#include "coord/redis/testing/redis_server.h"

namespace mu {
namespace {

using namespace std::chrono_literals;

RedisRateLimiter::Options test_options() {
  RedisRateLimiter::Options o;
  o.prefix = "t";
  return o;
}

class RedisRateLimiterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Status st = server_.start();
    ASSERT_TRUE(st.ok()) << st.to_string();
  }

  std::unique_ptr<redis::RedisClient> client() {
    redis::RedisClientOptions o;
    o.connect_timeout = 200ms;
    o.command_timeout = 200ms;
    auto c = redis::RedisClient::create(server_.url(), o);
    EXPECT_TRUE(c.ok()) << c.status().to_string();
    return c.ok() ? std::move(c).value() : nullptr;
  }

  redis::RedisServer server_;

  // Two API instances: each its own Redis connection, fallback and limiter, one clock.
  struct TwoInstances {
    explicit TwoInstances(RedisRateLimiterTest& t) : c1(t.client()), c2(t.client()) {
      if (!ready()) return;
      a = std::make_unique<RedisRateLimiter>(*c1, f1, clock, test_options());
      b = std::make_unique<RedisRateLimiter>(*c2, f2, clock, test_options());
    }
    bool ready() const { return c1 && c2; }
    SystemClock clock;
    std::unique_ptr<redis::RedisClient> c1, c2;
    LocalRateLimiter f1{clock}, f2{clock};
    std::unique_ptr<RedisRateLimiter> a, b;
  };
};

TEST_F(RedisRateLimiterTest, OneSharedBucketRefusesBeyondTheBurst) {
  TwoInstances two(*this);
  ASSERT_TRUE(two.ready());
  RedisRateLimiter& a = *two.a;
  RedisRateLimiter& b = *two.b;
  const RateLimit limit{1, 5};  // five at once, then one a minute
  int allowed = 0;
  for (int i = 0; i < 6; ++i) {
    allowed += a.take("203.0.113.9", limit).allowed ? 1 : 0;
    allowed += b.take("203.0.113.9", limit).allowed ? 1 : 0;
  }
  EXPECT_EQ(allowed, 5);
  const RateDecision refused = b.take("203.0.113.9", limit);
  EXPECT_FALSE(refused.allowed);
  EXPECT_GT(refused.retry_after_ms, 50'000);
  EXPECT_LE(refused.retry_after_ms, 60'000);
  EXPECT_TRUE(a.take("another client", limit).allowed);
  EXPECT_EQ(a.errors() + b.errors(), 0u);
}

// Safety under concurrent load: two instances, four threads hammering one bucket never get
// more than the burst plus the rate over the time they ran (leases included).
TEST_F(RedisRateLimiterTest, TwoInstancesUnderLoadStayWithinTheLimitPlusOneBurst) {
  TwoInstances two(*this);
  ASSERT_TRUE(two.ready());
  RedisRateLimiter& a = *two.a;
  RedisRateLimiter& b = *two.b;
  const RateLimit limit{1200, 40};  // 20 a second, 40 at once; leases of 4
  std::atomic<int> allowed{0}, refused{0};
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      RedisRateLimiter& limiter = t % 2 == 0 ? a : b;
      while (std::chrono::steady_clock::now() - start < 1500ms) {
        (limiter.take("key:k1", limit).allowed ? allowed : refused).fetch_add(1);
      }
    });
  }
  for (auto& th : threads) th.join();
  const double elapsed_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_GE(allowed.load(), 40);
  EXPECT_LE(allowed.load(), 40 + static_cast<int>(20 * elapsed_s) + 1)
      << "elapsed " << elapsed_s << " s, refused " << refused.load();
  EXPECT_GT(refused.load(), 0);
  EXPECT_EQ(a.errors() + b.errors(), 0u);
}

TEST_F(RedisRateLimiterTest, ADeadRedisFallsBackToTheLimitOfThisInstance) {
  auto c = client();
  ASSERT_TRUE(c);
  FakeClock clock;
  LocalRateLimiter fallback(clock);
  RedisRateLimiter limiter(*c, fallback, clock, test_options());
  EXPECT_TRUE(limiter.take("before", RateLimit{60, 3}).allowed);
  EXPECT_EQ(limiter.errors(), 0u);
  const uint64_t errors_before = redis::redis_connection_errors();
  server_.kill();
  int allowed = 0;
  for (int i = 0; i < 10; ++i) allowed += limiter.take("after", RateLimit{60, 3}).allowed ? 1 : 0;
  EXPECT_EQ(allowed, 3);
  EXPECT_GE(limiter.errors(), 10u);
  EXPECT_GE(redis::redis_connection_errors(), errors_before + 10);  // every refused call
}

// A client that asks now and then, well under its limit, is never refused: what a lease
// leaves unspent goes back to the bucket (before, each request cost a whole lease and such a
// client ran dry; the cluster chaos test's many small checks met it as a 429).
TEST_F(RedisRateLimiterTest, UnspentLeasesGoBackSoASlowClientIsNeverRefused) {
  auto c = client();
  ASSERT_TRUE(c);
  FakeClock clock;  // times the leases; Redis refills by its own clock (1 token a minute here)
  LocalRateLimiter fallback(clock);
  RedisRateLimiter limiter(*c, fallback, clock, test_options());
  const RateLimit limit{1, 100};  // leases of 10; the bucket barely refills during the test
  for (int i = 0; i < 60; ++i) {
    EXPECT_TRUE(limiter.take("slow client", limit).allowed) << i;
    clock.advance(std::chrono::seconds(2));  // each lease expires with 9 tokens unspent
  }
  EXPECT_EQ(limiter.errors(), 0u);
}

}  // namespace
}  // namespace mu
