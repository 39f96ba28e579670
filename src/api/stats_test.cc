#include "api/stats.h"

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include <filesystem>
#include <memory>
#include <random>

#include "store/sqlite/sqlite_store.h"

namespace mu {
namespace {
namespace json = boost::json;
using namespace std::chrono_literals;

class StatsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() /
            ("mu_stats_test_" + std::to_string(rd()) + std::to_string(rd()) + ".db");
    auto s = open_sqlite_store(path_.string());
    ASSERT_TRUE(s.ok()) << s.status().to_string();
    store_ = std::move(s).value();
    ASSERT_TRUE(store_->migrate().ok());
  }
  void TearDown() override {
    store_.reset();
    std::error_code ec;
    for (const char* suffix : {"", "-wal", "-shm"})
      std::filesystem::remove(path_.string() + suffix, ec);
  }
  json::value online(StatsService& stats) {
    auto body = stats.stats_json();
    EXPECT_TRUE(body.ok()) << body.status().to_string();
    return json::parse(*body).at("online");
  }
  int64_t add_session(const std::string& hash, int64_t seen_ms) {
    auto user = store_->upsert_user("github", hash, "u" + hash, "", "", seen_ms);
    EXPECT_TRUE(user.ok());
    EXPECT_TRUE(
        store_->create_session(hash, user->id, "c", seen_ms, seen_ms + 86'400'000, "").ok());
    return user->id;
  }

  std::filesystem::path path_;
  std::unique_ptr<Store> store_;
  FakeClock clock_;
};

TEST_F(StatsTest, OnlineCountsRecentSessionsAndAnonymousReadersOfEveryInstance) {
  EventHub hub_a;
  EventHub hub_b;
  StatsOptions oa;
  oa.instance = "api-a";
  oa.cache_for = 0s;
  StatsOptions ob = oa;
  ob.instance = "api-b";
  StatsService a(3, 7, "1.0", *store_, hub_a, clock_, oa);
  StatsService b(3, 7, "1.0", *store_, hub_b, clock_, ob);

  auto s1 = hub_a.subscribe(false);
  auto s2 = hub_a.subscribe(true);  // signed in: counted through its session instead
  auto s3 = hub_b.subscribe(false);
  ASSERT_TRUE(s1.ok() && s2.ok() && s3.ok());
  add_session("h1", clock_.now_ms());
  add_session("h2", clock_.now_ms() - 10 * 60 * 1000);  // seen 10 min ago: not online
  ASSERT_TRUE(a.report().ok());
  ASSERT_TRUE(b.report().ok());

  json::value o = online(a);
  EXPECT_EQ(o.at("sessions").as_int64(), 1);
  EXPECT_EQ(o.at("readers").as_int64(), 2) << "one anonymous reader on each instance";
  EXPECT_EQ(o.at("total").as_int64(), 3);
  EXPECT_EQ(o.at("window_s").as_int64(), 300);

  // A reader who left a minute ago still counts (peak over the window)...
  (*s1)->close();
  clock_.advance(60s);
  ASSERT_TRUE(a.report().ok());
  ASSERT_TRUE(b.report().ok());
  EXPECT_EQ(online(a).at("readers").as_int64(), 2);
  // ...but not after the window; and an instance that stopped reporting drops out too.
  clock_.advance(301s);
  ASSERT_TRUE(a.report().ok());
  EXPECT_EQ(online(a).at("readers").as_int64(), 0) << "a: no reader left; b: report too old";
  EXPECT_EQ(online(a).at("sessions").as_int64(), 0);
}

TEST_F(StatsTest, AnswersAreCachedBriefly) {
  EventHub hub;
  StatsService stats(1, 2, "1.0", *store_, hub, clock_, StatsOptions{});
  auto first = stats.stats_json();
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(json::parse(*first).at("boards").as_int64(), 2);
  auto reader = hub.subscribe(false);
  ASSERT_TRUE(reader.ok());
  ASSERT_TRUE(stats.report().ok());
  EXPECT_EQ(*stats.stats_json(), *first) << "within cache_for";
  clock_.advance(6s);
  EXPECT_EQ(json::parse(*stats.stats_json()).at("online").at("readers").as_int64(), 1);
}

}  // namespace
}  // namespace mu
