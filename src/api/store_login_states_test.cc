#include "api/store_login_states.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "auth/crypto.h"
#include "auth/pkce.h"
#include "store/sqlite/sqlite_store.h"

namespace mu {
namespace {
using namespace std::chrono_literals;

const std::string kVerifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

class StoreLoginStatesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = std::filesystem::temp_directory_path() /
            ("mu_login_states_test_" + random_token(9) + ".sqlite");
    store_ = open_migrated();
    ASSERT_NE(store_, nullptr);
  }
  void TearDown() override {
    store_.reset();
    std::error_code ec;
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
      std::filesystem::remove(path_.string() + suffix, ec);
    }
  }

  // Another Store object on the same database, as another process would open it.
  std::unique_ptr<Store> open_migrated() {
    auto s = open_sqlite_store(path_.string());
    EXPECT_TRUE(s.ok()) << s.status().to_string();
    if (!s.ok()) return nullptr;
    EXPECT_TRUE((*s)->migrate().ok());
    return std::move(s).value();
  }

  FakeClock clock_;
  std::filesystem::path path_;
  std::unique_ptr<Store> store_;
};

TEST_F(StoreLoginStatesTest, TakeReturnsTheLoginOnce) {
  StoreLoginStates states(*store_, clock_);
  auto state = states.put(kVerifier, "/boards/x?y=1", "");
  ASSERT_TRUE(state.ok()) << state.status().to_string();
  EXPECT_EQ(state->size(), 43u);
  clock_.advance(3s);

  auto login = states.take(*state);
  ASSERT_TRUE(login.ok()) << login.status().to_string();
  EXPECT_EQ(login->code_verifier, kVerifier);
  EXPECT_EQ(login->return_to, "/boards/x?y=1");
  EXPECT_EQ(login->created, clock_.now() - 3s);

  auto replay = states.take(*state);
  EXPECT_EQ(replay.code(), ErrorCode::kInvalid);
  EXPECT_EQ(replay.error_message(), kUnknownStateMessage);
}

TEST_F(StoreLoginStatesTest, OnlyTheHashOfTheStateIsStored) {
  StoreLoginStates states(*store_, clock_);
  auto state = states.put(kVerifier, "/", "");
  ASSERT_TRUE(state.ok());
  auto by_state = store_->take_login_state(*state, clock_.now_ms());
  ASSERT_TRUE(by_state.ok());
  EXPECT_FALSE(by_state->has_value());
  auto by_hash = store_->take_login_state(sha256_hex(*state), clock_.now_ms());
  ASSERT_TRUE(by_hash.ok());
  ASSERT_TRUE(by_hash->has_value());
  EXPECT_EQ((*by_hash)->code_verifier, kVerifier);
  EXPECT_EQ((*by_hash)->expires_ms, clock_.now_ms() + 600'000);
}

// The service sees the same codes and messages from either implementation.
TEST_F(StoreLoginStatesTest, ValidatesAndFailsLikeTheInMemoryStore) {
  StoreLoginStates in_store(*store_, clock_);
  OAuthStateStore in_memory(clock_);
  const std::vector<std::pair<std::string, std::string>> bad_puts = {
      {kVerifier, "https://evil.example/"},
      {kVerifier, "//evil.example"},
      {kVerifier, ""},
      {"short", "/"},
      {kVerifier + "!", "/"},
      {"", "/"}};
  for (const auto& [verifier, return_to] : bad_puts) {
    auto a = in_store.put(verifier, return_to, "");
    auto b = in_memory.put(verifier, return_to, "");
    EXPECT_EQ(a.code(), ErrorCode::kInvalid) << verifier << " " << return_to;
    EXPECT_EQ(a.code(), b.code()) << verifier << " " << return_to;
    EXPECT_EQ(a.error_message(), b.error_message()) << verifier << " " << return_to;
  }
  auto good = in_store.put(kVerifier, "/", "");
  ASSERT_TRUE(good.ok());
  for (const std::string& state :
       {std::string(), std::string("nope"), good->substr(0, 42), std::string(100'000, 'a')}) {
    auto a = in_store.take(state);
    auto b = in_memory.take(state);
    EXPECT_EQ(a.code(), ErrorCode::kInvalid) << state.size();
    EXPECT_EQ(a.error_message(), b.error_message()) << state.size();
  }
  EXPECT_TRUE(in_store.take(*good).ok()) << "failed lookups do not consume it";
}

TEST_F(StoreLoginStatesTest, StatesExpireAfterTheTtl) {
  StoreLoginStates states(*store_, clock_);
  auto fresh = states.put(kVerifier, "/", "");
  auto old = states.put(kVerifier, "/", "");
  ASSERT_TRUE(fresh.ok() && old.ok());
  clock_.advance(10min - 1ms);
  EXPECT_TRUE(states.take(*fresh).ok());
  clock_.advance(1ms);
  EXPECT_EQ(states.take(*old).code(), ErrorCode::kInvalid);
  // And it is gone, not only refused.
  auto row = store_->take_login_state(sha256_hex(*old), 0);
  ASSERT_TRUE(row.ok());
  EXPECT_FALSE(row->has_value());
}

TEST_F(StoreLoginStatesTest, TtlIsConfigurableUpToADay) {
  StoreLoginStates quick(*store_, clock_, {.ttl = 30s});
  auto state = quick.put(kVerifier, "/", "");
  ASSERT_TRUE(state.ok());
  clock_.advance(30s);
  EXPECT_EQ(quick.take(*state).code(), ErrorCode::kInvalid);

  StoreLoginStates slow(*store_, clock_, {.ttl = 72h});  // cut to a day
  auto first = slow.put(kVerifier, "/", "");
  auto second = slow.put(kVerifier, "/", "");
  ASSERT_TRUE(first.ok() && second.ok());
  clock_.advance(24h - 1ms);
  EXPECT_TRUE(slow.take(*first).ok());
  clock_.advance(1ms);
  EXPECT_EQ(slow.take(*second).code(), ErrorCode::kInvalid);
}

// Two API processes: a login started on one is finished on the other, once.
TEST_F(StoreLoginStatesTest, AnotherInstanceOnTheSameStoreTakesIt) {
  std::unique_ptr<Store> other_store = open_migrated();
  ASSERT_NE(other_store, nullptr);
  StoreLoginStates a(*store_, clock_);
  StoreLoginStates b(*other_store, clock_);
  auto state = a.put(kVerifier, "/me", "");
  ASSERT_TRUE(state.ok());
  auto login = b.take(*state);
  ASSERT_TRUE(login.ok()) << login.status().to_string();
  EXPECT_EQ(login->return_to, "/me");
  EXPECT_EQ(a.take(*state).code(), ErrorCode::kInvalid);
}

TEST_F(StoreLoginStatesTest, ConcurrentCallbacksOnTwoInstancesUseTheStateOnce) {
  std::unique_ptr<Store> other_store = open_migrated();
  ASSERT_NE(other_store, nullptr);
  StoreLoginStates a(*store_, clock_);
  StoreLoginStates b(*other_store, clock_);
  for (int round = 0; round < 10; ++round) {
    auto state = a.put(make_pkce().verifier, "/", "");
    ASSERT_TRUE(state.ok());
    std::atomic<int> won{0};
    std::atomic<int> refused{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 4; ++i) {
      threads.emplace_back([&, i] {
        auto login = (i % 2 == 0 ? a : b).take(*state);
        if (login.ok()) {
          ++won;
        } else if (login.code() == ErrorCode::kInvalid) {
          ++refused;
        }
      });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(won.load(), 1) << "round " << round;
    EXPECT_EQ(refused.load(), 3) << "round " << round;
  }
}

// Store failures keep their own codes, so the service can tell them from a bad state.
TEST_F(StoreLoginStatesTest, StoreFailuresAreNotReportedAsInvalid) {
  auto unmigrated = open_sqlite_store(":memory:");
  ASSERT_TRUE(unmigrated.ok());
  StoreLoginStates states(**unmigrated, clock_);
  auto put = states.put(kVerifier, "/", "");
  EXPECT_FALSE(put.ok());
  EXPECT_NE(put.code(), ErrorCode::kInvalid) << put.status().to_string();
  auto take = states.take(random_token(32));
  EXPECT_FALSE(take.ok());
  EXPECT_NE(take.code(), ErrorCode::kInvalid) << take.status().to_string();
}

}  // namespace
}  // namespace mu
