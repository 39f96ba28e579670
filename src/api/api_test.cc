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
    if (down) return error(ErrorCode::kUnavailable, "database is locked");
    last_runs_limit = n;
    return inner_.runs(b, n);
  }
  Result<int64_t> prune_snapshots(int k) override { return inner_.prune_snapshots(k); }
  Result<int64_t> fence_epoch() override {
    if (down) return error(ErrorCode::kUnavailable, "database is locked");
    return inner_.fence_epoch();
  }
  Result<int64_t> raise_fence(int64_t epoch) override { return inner_.raise_fence(epoch); }
  Result<int64_t> put_board_override(const std::string& board, int64_t expected,
                                     const std::string& json, int64_t now_ms) override {
    return inner_.put_board_override(board, expected, json, now_ms);
  }
  Result<std::vector<BoardOverrideRecord>> board_overrides() override {
    return inner_.board_overrides();
  }
  bool down = false;
  int last_runs_limit = -1;

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

  void fail(const std::string& dispatch, Status status, int attempt = 1) {
    FailureRecord f;
    f.board = meta_.id;
    f.epoch = 1;
    f.dispatch_id = dispatch;
    f.slot = 1764000300;
    f.error = std::move(status);
    f.stats.started_ms = 1764000300000;
    f.stats.finished_ms = 1764000302500;
    f.stats.http_status = 503;
    f.stats.attempt = attempt;
    f.stats.collector = "local";
    ASSERT_TRUE(store_->record_failure(f).ok());
    ASSERT_TRUE(coord_.publish({meta_.id, 0}).ok());
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

TEST_F(ApiTest, RunsAreNewestFirstWithDetailsAndSuccessRate) {
  commit("weibo.hot-search@1764000000", {"甲", "乙"});
  fail("weibo.hot-search@1764000300", error(ErrorCode::kHttp, "HTTP 503 from https://weibo.com/"));
  fail("weibo.hot-search@1764000300", error(ErrorCode::kBlocked, "captcha"), 2);
  Response r = get("/api/v1/boards/weibo.hot-search/runs");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.header("Cache-Control"), "no-store");
  EXPECT_TRUE(r.etag.empty());
  EXPECT_EQ(store_->last_runs_limit, 20);  // the default
  json::value v = json::parse(r.body_view());
  EXPECT_EQ(v.at("board").as_string(), "weibo.hot-search");
  const auto& runs = v.at("runs").as_array();
  ASSERT_EQ(runs.size(), 3u);
  const auto& newest = runs[0].as_object();
  EXPECT_EQ(newest.at("dispatch_id").as_string(), "weibo.hot-search@1764000300");
  EXPECT_EQ(newest.at("slot").as_string(), "2025-11-24T16:05:00.000Z");
  EXPECT_EQ(newest.at("epoch").as_int64(), 1);
  EXPECT_EQ(newest.at("attempt").as_int64(), 2);
  EXPECT_EQ(newest.at("status").as_string(), "error");
  EXPECT_EQ(newest.at("error_code").as_string(), "blocked");
  EXPECT_EQ(newest.at("error").as_string(), "captcha");
  EXPECT_EQ(newest.at("started_at").as_string(), "2025-11-24T16:05:00.000Z");
  EXPECT_EQ(newest.at("finished_at").as_string(), "2025-11-24T16:05:02.500Z");
  EXPECT_EQ(newest.at("duration_ms").as_int64(), 2500);
  EXPECT_EQ(newest.at("http_status").as_int64(), 503);
  EXPECT_EQ(newest.at("bytes").as_int64(), 0);
  EXPECT_EQ(newest.at("item_count").as_int64(), 0);
  EXPECT_EQ(newest.at("collector").as_string(), "local");
  EXPECT_EQ(runs[1].at("error_code").as_string(), "http");
  EXPECT_EQ(runs[1].at("attempt").as_int64(), 1);
  const auto& oldest = runs[2].as_object();
  EXPECT_EQ(oldest.at("status").as_string(), "ok");
  EXPECT_FALSE(oldest.contains("error_code"));
  EXPECT_FALSE(oldest.contains("error"));
  EXPECT_EQ(oldest.at("item_count").as_int64(), 0);  // the test commit sets no stats
  EXPECT_DOUBLE_EQ(v.at("success_rate").as_double(), 0.333);
}

TEST_F(ApiTest, RunsLimitIsCheckedAndCapped) {
  for (int i = 0; i < 25; ++i) {
    commit("weibo.hot-search@" + std::to_string(1764000000 + i * 600), {"甲"});
  }
  json::value v = json::parse(get("/api/v1/boards/weibo.hot-search/runs").body_view());
  EXPECT_EQ(v.at("runs").as_array().size(), 20u);
  v = json::parse(get("/api/v1/boards/weibo.hot-search/runs?limit=3").body_view());
  ASSERT_EQ(v.at("runs").as_array().size(), 3u);
  EXPECT_EQ(v.at("runs").at(0).at("dispatch_id").as_string(), "weibo.hot-search@1764014400");
  EXPECT_DOUBLE_EQ(v.at("success_rate").as_double(), 1.0);
  Response max = get("/api/v1/boards/weibo.hot-search/runs?limit=200");
  EXPECT_EQ(max.status, 200);
  EXPECT_EQ(store_->last_runs_limit, 200);
  EXPECT_EQ(json::parse(max.body_view()).at("runs").as_array().size(), 25u);
  for (const char* bad : {"0", "201", "-1", "abc", "", "1.5", "5x", "99999999999", "+5"}) {
    Response r = get(std::string("/api/v1/boards/weibo.hot-search/runs?limit=") + bad);
    EXPECT_EQ(r.status, 400) << bad;
    json::value e = json::parse(r.body_view());
    EXPECT_EQ(e.at("error").at("code").as_string(), "invalid") << bad;
  }
}

TEST_F(ApiTest, RunsOfUnknownOrNeverRunBoard) {
  Response unknown = get("/api/v1/boards/nope.nope/runs");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(json::parse(unknown.body_view()).at("error").at("code").as_string(), "not-found");
  Response empty = get("/api/v1/boards/weibo.hot-search/runs");
  ASSERT_EQ(empty.status, 200);
  json::value v = json::parse(empty.body_view());
  EXPECT_TRUE(v.at("runs").as_array().empty());
  EXPECT_TRUE(v.at("success_rate").is_null());
}

TEST_F(ApiTest, RunsWithDeadStoreIs503) {
  store_->down = true;
  Response r = get("/api/v1/boards/weibo.hot-search/runs");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(json::parse(r.body_view()).at("error").at("code").as_string(), "unavailable");
}

TEST_F(ApiTest, CatalogueAndBoardCarryRunHistoryAndDueBy) {
  json::value cat = json::parse(get("/api/v1/boards").body_view());
  const auto& before = cat.at("boards").at(0);
  EXPECT_EQ(before.at("recent_runs").as_int64(), 0);
  EXPECT_TRUE(before.at("success_rate").is_null());
  EXPECT_TRUE(before.at("due_by").is_null());

  // Runs that all failed: a rate of 0, and still no due_by (never fetched).
  fail("weibo.hot-search@1764000300", error(ErrorCode::kParse, "missing data.realtime"));
  cat = json::parse(get("/api/v1/boards").body_view());
  EXPECT_EQ(cat.at("boards").at(0).at("recent_runs").as_int64(), 1);
  EXPECT_DOUBLE_EQ(cat.at("boards").at(0).at("success_rate").as_double(), 0.0);
  EXPECT_TRUE(cat.at("boards").at(0).at("due_by").is_null());

  // A good fetch at 16:00:00 with the default schedule (every 10 min, timeout 20 s):
  // overdue from 16:20:20 on.
  commit("weibo.hot-search@1764000000", {"甲", "乙"});
  cat = json::parse(get("/api/v1/boards").body_view());
  const auto& entry = cat.at("boards").at(0);
  EXPECT_EQ(entry.at("recent_runs").as_int64(), 2);
  EXPECT_EQ(entry.at("recent_ok").as_int64(), 1);
  EXPECT_DOUBLE_EQ(entry.at("success_rate").as_double(), 0.5);
  EXPECT_EQ(entry.at("due_by").as_string(), "2025-11-24T16:20:20.000Z");
  EXPECT_FALSE(entry.as_object().contains("overdue"));
  json::value board = json::parse(get("/api/v1/boards/weibo.hot-search").body_view());
  EXPECT_EQ(board.at("recent_runs").as_int64(), 2);
  EXPECT_DOUBLE_EQ(board.at("success_rate").as_double(), 0.5);
  EXPECT_EQ(board.at("due_by").as_string(), "2025-11-24T16:20:20.000Z");
}

TEST_F(ApiTest, SitesListsBoards) {
  json::value v = json::parse(get("/api/v1/sites").body_view());
  EXPECT_EQ(v.at("sites").at(0).at("boards").at(0).as_string(), "weibo.hot-search");
}

}  // namespace
}  // namespace mu
