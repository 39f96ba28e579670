#include "api/api.h"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

#include "coord/local/local_coordinator.h"
#include "store/sqlite/sqlite_store.h"

namespace mu {
namespace {
namespace json = boost::json;

// Forwards to a real store; board reads can be switched to fail like a dead database.
class FlakyStore final : public Store {
 public:
  explicit FlakyStore(Store& inner) : inner_(inner) {}
  Status migrate() override { return inner_.migrate(); }
  Status sync_catalogue(const std::vector<Site>& s, const std::vector<BoardMeta>& b) override {
    return inner_.sync_catalogue(s, b);
  }
  Result<int64_t> commit_snapshot(const CommitRequest& r) override {
    return inner_.commit_snapshot(r);
  }
  Status record_failure(const FailureRecord& f) override { return inner_.record_failure(f); }
  Result<std::optional<BoardView>> board_view(const std::string& b) override {
    if (down) return error(ErrorCode::kUnavailable, "database is locked");
    return inner_.board_view(b);
  }
  Result<std::vector<BoardState>> board_states() override {
    if (down) return error(ErrorCode::kUnavailable, "database is locked");
    return inner_.board_states();
  }
  Result<BoardState> board_state(const std::string& b) override { return inner_.board_state(b); }
  Result<std::vector<RunRecord>> runs(const std::string& b, int n) override {
    return inner_.runs(b, n);
  }
  Result<int64_t> prune_snapshots(int k) override { return inner_.prune_snapshots(k); }
  Result<int64_t> fence_epoch() override {
    if (down) return error(ErrorCode::kUnavailable, "database is locked");
    return inner_.fence_epoch();
  }
  bool down = false;

 private:
  Store& inner_;
};

class ApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = open_sqlite_store(":memory:");
    ASSERT_TRUE(s.ok()) << s.status().to_string();
    real_ = std::move(s).value();
    ASSERT_TRUE(real_->migrate().ok());
    site_ = Site{"weibo", "微博", "Weibo", "https://weibo.com", "", "#e6162d", "cn"};
    meta_.id = "weibo.hot-search";
    meta_.site = "weibo";
    meta_.name_zh = "热搜榜";
    ASSERT_TRUE(real_->sync_catalogue({site_}, {meta_}).ok());
    store_ = std::make_unique<FlakyStore>(*real_);
    api_ = std::make_unique<ApiService>(std::vector<Site>{site_}, std::vector<BoardMeta>{meta_},
                                        *store_, coord_);
    api_->register_routes(router_);
    ASSERT_TRUE(api_->start().ok());
  }

  Response get(const std::string& target) {
    Request req;
    EXPECT_TRUE(req.set_target(target).ok());
    return router_.handle(req);
  }

  void commit(const std::string& dispatch, std::vector<std::string> titles) {
    CommitRequest c;
    c.board = meta_.id;
    c.epoch = 1;
    c.dispatch_id = dispatch;
    c.stats.finished_ms = 1764000000000;
    for (const auto& t : titles) {
      Item it;
      it.key = t;
      it.title = t;
      it.url = "https://s.weibo.com/weibo?q=" + t;
      c.items.push_back(it);
    }
    auto v = store_->commit_snapshot(c);
    ASSERT_TRUE(v.ok()) << v.status().to_string();
    ASSERT_TRUE(coord_.publish({meta_.id, *v}).ok());
  }

  std::unique_ptr<Store> real_;
  std::unique_ptr<FlakyStore> store_;
  LocalCoordinator coord_;
  Site site_;
  BoardMeta meta_;
  Router router_;
  std::unique_ptr<ApiService> api_;
};

TEST_F(ApiTest, UnknownBoardIs404Json) {
  Response r = get("/api/v1/boards/nope.nope");
  EXPECT_EQ(r.status, 404);
  json::value v = json::parse(r.body_view());
  EXPECT_EQ(v.at("error").at("code").as_string(), "not-found");
}

TEST_F(ApiTest, NeverFetchedBoardIsEmptyNotAnError) {
  Response r = get("/api/v1/boards/weibo.hot-search");
  ASSERT_EQ(r.status, 200);
  json::value v = json::parse(r.body_view());
  EXPECT_TRUE(v.at("items").as_array().empty());
  EXPECT_TRUE(v.at("fetched_at").is_null());
}

TEST_F(ApiTest, UpdateEventRerendersBoardAndCatalogue) {
  commit("weibo.hot-search@1", {"甲", "乙"});
  Response first = get("/api/v1/boards/weibo.hot-search");
  ASSERT_EQ(first.status, 200);
  EXPECT_FALSE(first.etag.empty());
  ASSERT_TRUE(first.gzip_body);
  commit("weibo.hot-search@2", {"丙", "甲"});
  Response second = get("/api/v1/boards/weibo.hot-search");
  EXPECT_NE(second.etag, first.etag);
  json::value v = json::parse(second.body_view());
  const auto& items = v.at("items").as_array();
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].at("title").as_string(), "丙");
  EXPECT_TRUE(items[0].at("new").as_bool());
  EXPECT_EQ(items[1].at("rank_change").as_int64(), -1);
  json::value cat = json::parse(get("/api/v1/boards").body_view());
  EXPECT_EQ(cat.at("boards").at(0).at("item_count").as_int64(), 2);
}

TEST_F(ApiTest, DeadStoreKeepsLastGoodBodyAndFailsReadiness) {
  commit("weibo.hot-search@1", {"甲", "乙"});
  std::string good(get("/api/v1/boards/weibo.hot-search").body_view());
  EXPECT_EQ(get("/readyz").status, 200);
  store_->down = true;
  ASSERT_TRUE(coord_.publish({meta_.id, 99}).ok());
  Response r = get("/api/v1/boards/weibo.hot-search");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body_view(), good);
  EXPECT_EQ(get("/readyz").status, 503);
  EXPECT_EQ(get("/healthz").status, 200);
}

TEST_F(ApiTest, SitesListsBoards) {
  json::value v = json::parse(get("/api/v1/sites").body_view());
  EXPECT_EQ(v.at("sites").at(0).at("boards").at(0).as_string(), "weibo.hot-search");
}

}  // namespace
}  // namespace mu
