#include "auth/oauth_state.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "auth/pkce.h"

namespace mu {
namespace {

const std::string kVerifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

TEST(ReturnToTest, AcceptsLocalPaths) {
  EXPECT_TRUE(is_safe_return_to("/"));
  EXPECT_TRUE(is_safe_return_to("/boards/hackernews.top?x=1#frag"));
  EXPECT_TRUE(is_safe_return_to("/a//b"));
}

TEST(ReturnToTest, RejectsEverythingThatCouldLeaveTheSite) {
  EXPECT_FALSE(is_safe_return_to("//evil.com"));
  EXPECT_FALSE(is_safe_return_to("//evil.com/path"));
  EXPECT_FALSE(is_safe_return_to("https://evil.com"));
  EXPECT_FALSE(is_safe_return_to("http://evil.com/"));
  EXPECT_FALSE(is_safe_return_to("javascript:alert(1)"));
  EXPECT_FALSE(is_safe_return_to("/\\evil.com"));
  EXPECT_FALSE(is_safe_return_to("/\\/evil.com"));
  EXPECT_FALSE(is_safe_return_to("/a\\b"));
  EXPECT_FALSE(is_safe_return_to("/\t/evil.com"));
  EXPECT_FALSE(is_safe_return_to("/ok\r\nSet-Cookie: x=1"));
  EXPECT_FALSE(is_safe_return_to("evil.com"));
  EXPECT_FALSE(is_safe_return_to(""));
  EXPECT_FALSE(is_safe_return_to("/" + std::string(2048, 'a')));
}

TEST(OAuthStateStoreTest, TakeReturnsTheLoginOnce) {
  FakeClock clock;
  OAuthStateStore store(clock);
  auto state = store.put(kVerifier, "/boards/x", "");
  ASSERT_TRUE(state.ok()) << state.status().to_string();
  EXPECT_EQ(state->size(), 43u);
  EXPECT_EQ(store.size(), 1u);

  auto login = store.take(*state);
  ASSERT_TRUE(login.ok()) << login.status().to_string();
  EXPECT_EQ(login->code_verifier, kVerifier);
  EXPECT_EQ(login->return_to, "/boards/x");
  EXPECT_EQ(login->created, clock.now());

  auto replay = store.take(*state);
  EXPECT_EQ(replay.code(), ErrorCode::kInvalid);
  EXPECT_EQ(store.size(), 0u);
}

TEST(OAuthStateStoreTest, UnknownStatesFail) {
  FakeClock clock;
  OAuthStateStore store(clock);
  auto state = store.put(kVerifier, "/", "");
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(store.take("").code(), ErrorCode::kInvalid);
  EXPECT_EQ(store.take("nope").code(), ErrorCode::kInvalid);
  EXPECT_EQ(store.take(state->substr(0, 42)).code(), ErrorCode::kInvalid);
  EXPECT_EQ(store.take(std::string(100000, 'a')).code(), ErrorCode::kInvalid);
  EXPECT_TRUE(store.take(*state).ok());  // the failed lookups did not consume it
}

TEST(OAuthStateStoreTest, StatesExpireAfterTheTtl) {
  FakeClock clock;
  OAuthStateStore store(clock);
  auto fresh = store.put(kVerifier, "/", "");
  auto old = store.put(kVerifier, "/", "");
  ASSERT_TRUE(fresh.ok() && old.ok());
  clock.advance(std::chrono::minutes(10) - std::chrono::milliseconds(1));
  EXPECT_TRUE(store.take(*fresh).ok());
  clock.advance(std::chrono::milliseconds(1));
  EXPECT_EQ(store.take(*old).code(), ErrorCode::kInvalid);
}

TEST(OAuthStateStoreTest, ExpiryFollowsTheMonotonicClockNotTheWallClock) {
  FakeClock clock;
  OAuthStateStore store(clock, {.ttl = std::chrono::seconds(30), .max_entries = 10});
  auto state = store.put(kVerifier, "/", "");
  ASSERT_TRUE(state.ok());
  clock.set_wall(clock.now() + std::chrono::hours(24));  // NTP step
  EXPECT_TRUE(store.take(*state).ok());
}

TEST(OAuthStateStoreTest, RejectsUnsafeReturnToAndBadVerifier) {
  FakeClock clock;
  OAuthStateStore store(clock);
  EXPECT_EQ(store.put(kVerifier, "//evil.com", "").code(), ErrorCode::kInvalid);
  EXPECT_EQ(store.put(kVerifier, "https://evil.com", "").code(), ErrorCode::kInvalid);
  EXPECT_EQ(store.put(kVerifier, "javascript:alert(1)", "").code(), ErrorCode::kInvalid);
  EXPECT_EQ(store.put("short", "/", "").code(), ErrorCode::kInvalid);
  EXPECT_EQ(store.size(), 0u);
}

TEST(OAuthStateStoreTest, BoundedSizeEvictsOldestAndPurgesExpired) {
  FakeClock clock;
  OAuthStateStore store(clock, {.ttl = std::chrono::minutes(10), .max_entries = 3});
  std::vector<std::string> states;
  for (int i = 0; i < 3; ++i) states.push_back(*store.put(kVerifier, "/" + std::to_string(i), ""));
  EXPECT_EQ(store.size(), 3u);
  states.push_back(*store.put(kVerifier, "/3", ""));
  EXPECT_EQ(store.size(), 3u);
  EXPECT_EQ(store.take(states[0]).code(), ErrorCode::kInvalid);  // evicted
  EXPECT_EQ(store.take(states[1])->return_to, "/1");

  clock.advance(std::chrono::minutes(11));
  ASSERT_TRUE(store.put(kVerifier, "/4", "").ok());
  EXPECT_EQ(store.size(), 1u);  // the two expired entries were purged
}

TEST(OAuthStateStoreTest, ConcurrentTakesSucceedExactlyOnce) {
  FakeClock clock;
  OAuthStateStore store(clock);
  auto state = store.put(make_pkce().verifier, "/", "");
  ASSERT_TRUE(state.ok());
  std::atomic<int> wins{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      if (store.take(*state).ok()) ++wins;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wins.load(), 1);
}

}  // namespace
}  // namespace mu
