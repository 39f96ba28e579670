// ScheduleFollower on a real SQLite store: live schedule changes stored the way the admin
// console and `mu ctl` store them (store_board_change) reach the rendered board bodies and
// catalogue entries, once per change.
#include "api/schedule_follower.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "core/clock.h"
#include "scheduler/board_change_json.h"
#include "scheduler/board_override.h"
#include "store/sqlite/sqlite_store.h"

namespace mu {
namespace {

namespace json = boost::json;

class ScheduleFollowerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = open_sqlite_store(":memory:");
    ASSERT_TRUE(s.ok()) << s.status().to_string();
    store_ = std::move(s).value();
    ASSERT_TRUE(store_->migrate().ok());
    sites_ = {Site{"weibo", "微博", "Weibo", "https://weibo.test", "", "#e6162d", "cn"}};
    for (const char* id : {"weibo.hot-search", "weibo.entertainment"}) {
      BoardMeta m;
      m.id = id;
      m.site = "weibo";
      m.name_zh = "热搜榜";
      m.name_en = "Hot search";
      m.group = "cn";
      m.schedule.every = std::chrono::minutes(5);
      boards_.push_back(m);
    }
    ASSERT_TRUE(store_->sync_catalogue(sites_, boards_).ok());
    cache_ = std::make_unique<BoardCache>(sites_, boards_, *store_, clock_);
    ASSERT_TRUE(cache_->refresh_all().ok());
    follower_ = std::make_unique<ScheduleFollower>(boards_, *store_, *cache_);
  }

  void change(const std::string& board, std::vector<std::string> args) {
    auto c = board_change_from_args(board, args);
    ASSERT_TRUE(c.ok()) << c.status().to_string();
    ASSERT_TRUE(store_board_change(*store_, clock_, *c).ok());
  }

  json::object body(const std::string& board) {
    return json::parse(*cache_->board(board)->json).as_object();
  }
  json::object entry(const std::string& board) {
    CatalogueQuery q;
    q.ids = {board};
    auto all = json::parse(*cache_->query_catalogue(q).json).at("boards").as_array();
    EXPECT_EQ(all.size(), 1u);
    return all.at(0).as_object();
  }

  FakeClock clock_;
  std::unique_ptr<Store> store_;
  std::vector<Site> sites_;
  std::vector<BoardMeta> boards_;
  std::unique_ptr<BoardCache> cache_;
  std::unique_ptr<ScheduleFollower> follower_;
};

// The bug: the API rendered every_seconds and enabled from the static catalogue, so after
// `mu ctl update weibo.hot-search every=7m` it still said 300 s and a disabled board still
// said enabled: true.
TEST_F(ScheduleFollowerTest, StoredChangesReachBodyAndCatalogue) {
  EXPECT_EQ(body("weibo.hot-search").at("every_seconds").as_int64(), 300);
  change("weibo.hot-search", {"every=7m"});
  change("weibo.entertainment", {"enabled=false"});

  auto changed = follower_->poll();
  ASSERT_TRUE(changed.ok()) << changed.status().to_string();
  EXPECT_EQ(changed->size(), 2u);

  EXPECT_EQ(body("weibo.hot-search").at("every_seconds").as_int64(), 420);
  EXPECT_EQ(entry("weibo.hot-search").at("every_seconds").as_int64(), 420);
  EXPECT_TRUE(body("weibo.hot-search").at("enabled").as_bool());
  EXPECT_FALSE(body("weibo.entertainment").at("enabled").as_bool());
  EXPECT_FALSE(entry("weibo.entertainment").at("enabled").as_bool());
  EXPECT_EQ(body("weibo.entertainment").at("every_seconds").as_int64(), 300);
  // The whole (unfiltered) catalogue says the same.
  auto all = json::parse(*cache_->catalogue()->json).at("boards").as_array();
  for (const auto& b : all) {
    if (b.at("id").as_string() == "weibo.entertainment") {
      EXPECT_FALSE(b.at("enabled").as_bool());
    }
  }
}

TEST_F(ScheduleFollowerTest, EachChangeIsAppliedOnceAndLaterChangesFollow) {
  change("weibo.hot-search", {"every=7m"});
  ASSERT_EQ(follower_->poll()->size(), 1u);
  EXPECT_TRUE(follower_->poll()->empty());  // nothing new: nothing re-rendered

  change("weibo.hot-search", {"cron=0 8 * * *", "tz=Asia/Shanghai"});
  auto changed = follower_->poll();
  ASSERT_EQ(changed->size(), 1u);
  EXPECT_EQ(changed->at(0), "weibo.hot-search");
  EXPECT_EQ(body("weibo.hot-search").at("cron").as_string(), "0 8 * * *");
  EXPECT_TRUE(body("weibo.hot-search").at("due_by").is_null());  // cron: no single interval
  EXPECT_TRUE(body("weibo.entertainment").at("cron").is_null());

  change("weibo.hot-search", {"enabled=false"});
  ASSERT_EQ(follower_->poll()->size(), 1u);
  EXPECT_FALSE(body("weibo.hot-search").at("enabled").as_bool());
  change("weibo.hot-search", {"enabled=true"});
  ASSERT_EQ(follower_->poll()->size(), 1u);
  EXPECT_TRUE(body("weibo.hot-search").at("enabled").as_bool());
}

TEST_F(ScheduleFollowerTest, ABrokenDocumentIsSkippedAndTheOthersApply) {
  ASSERT_TRUE(store_->put_board_override("weibo.hot-search", 0, R"({"every_s":"soon"})", 1).ok());
  change("weibo.entertainment", {"every=2m"});
  auto changed = follower_->poll();
  ASSERT_TRUE(changed.ok());
  ASSERT_EQ(changed->size(), 1u);
  EXPECT_EQ(changed->at(0), "weibo.entertainment");
  EXPECT_EQ(body("weibo.hot-search").at("every_seconds").as_int64(), 300);
  EXPECT_EQ(body("weibo.entertainment").at("every_seconds").as_int64(), 120);
}

// An instance that starts after the change renders it from its first poll.
TEST_F(ScheduleFollowerTest, AFreshInstanceShowsChangesMadeBeforeItStarted) {
  change("weibo.hot-search", {"every=7m"});
  BoardCache cache(sites_, boards_, *store_, clock_);
  ASSERT_TRUE(cache.refresh_all().ok());
  ScheduleFollower follower(boards_, *store_, cache);
  ASSERT_EQ(follower.poll()->size(), 1u);
  EXPECT_EQ(json::parse(*cache.board("weibo.hot-search")->json).at("every_seconds").as_int64(),
            420);
}

}  // namespace
}  // namespace mu
