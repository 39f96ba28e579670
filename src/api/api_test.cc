#include "api/api.h"
#include "api/source_health.h"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <set>
#include <thread>

#include "api/metrics_service.h"
#include "coord/local/local_coordinator.h"
#include "http/server.h"
#include "http/sse_testing.h"
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
    ++board_view_calls;
    if (on_board_view) on_board_view();
    if (down) return error(ErrorCode::kUnavailable, "database is locked");
    return inner_.board_view(b);
  }
  Result<std::vector<BoardState>> board_states() override {
    ++board_states_calls;
    if (down) return error(ErrorCode::kUnavailable, "database is locked");
    return inner_.board_states();
  }
  Result<BoardState> board_state(const std::string& b) override {
    ++board_state_calls;
    return inner_.board_state(b);
  }
  Result<std::vector<RunRecord>> runs(const std::string& b, int n) override {
    if (down) return error(ErrorCode::kUnavailable, "database is locked");
    last_runs_limit = n;
    return inner_.runs(b, n);
  }
  Result<int64_t> prune_snapshots(int k) override { return inner_.prune_snapshots(k); }
  Result<int64_t> prune_runs(int64_t before_ms) override { return inner_.prune_runs(before_ms); }
  Result<std::vector<RunTally>> run_tallies(int64_t since_ms, int64_t bucket_ms) override {
    if (down) return error(ErrorCode::kUnavailable, "database is locked");
    ++tally_calls;
    return inner_.run_tallies(since_ms, bucket_ms);
  }
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
  Status put_document(const UserDocument& d, int64_t cap) override {
    return inner_.put_document(d, cap);
  }
  Result<bool> delete_document(std::string_view kind, const std::string& id,
                               int64_t user) override {
    return inner_.delete_document(kind, id, user);
  }
  Result<std::vector<UserDocument>> documents(std::string_view kind, int64_t user) override {
    return inner_.documents(kind, user);
  }
  Result<std::optional<UserDocument>> document(std::string_view kind,
                                               const std::string& id) override {
    return inner_.document(kind, id);
  }
  Result<int64_t> document_revision(std::string_view kind) override {
    return inner_.document_revision(kind);
  }
  Result<int64_t> record_matches(const std::vector<NewMatch>& m,
                                 const std::optional<AlertCursor>& c) override {
    return inner_.record_matches(m, c);
  }
  Result<int64_t> alert_cursor(const std::string& board) override {
    return inner_.alert_cursor(board);
  }
  Result<std::vector<DeliveryRecord>> claim_deliveries(int64_t now, int64_t until,
                                                       int limit) override {
    return inner_.claim_deliveries(now, until, limit);
  }
  Status update_delivery(const DeliveryUpdate& u) override { return inner_.update_delivery(u); }
  Result<std::vector<DeliveryRecord>> deliveries(const DeliveryQuery& q) override {
    return inner_.deliveries(q);
  }
  Result<std::vector<AlertMatch>> alert_matches(const std::string& rule, int limit) override {
    return inner_.alert_matches(rule, limit);
  }
  Result<int64_t> prune_alerts(int64_t before) override { return inner_.prune_alerts(before); }
  Status put_credential(const CredentialRecord& c) override { return inner_.put_credential(c); }
  Result<bool> delete_credential(const std::string& name) override {
    return inner_.delete_credential(name);
  }
  Result<std::vector<CredentialRecord>> credentials() override { return inner_.credentials(); }
  Result<std::optional<BoardOverrideRecord>> board_override(const std::string& board) override {
    return inner_.board_override(board);
  }
  Result<User> upsert_user(const std::string& provider, const std::string& provider_id,
                           const std::string& login, const std::string& name,
                           const std::string& avatar_url, int64_t now_ms) override {
    return inner_.upsert_user(provider, provider_id, login, name, avatar_url, now_ms);
  }
  Result<std::optional<User>> user_by_id(int64_t id) override { return inner_.user_by_id(id); }
  Result<std::optional<User>> user_by_login(const std::string& login) override {
    return inner_.user_by_login(login);
  }
  Status set_role(int64_t user_id, const std::string& role) override {
    return inner_.set_role(user_id, role);
  }
  Result<int64_t> count_admins() override { return inner_.count_admins(); }
  Result<std::vector<User>> list_users() override { return inner_.list_users(); }
  Status create_session(const std::string& id_hash, int64_t user_id, const std::string& csrf,
                        int64_t now_ms, int64_t expires_ms, const std::string& ua) override {
    return inner_.create_session(id_hash, user_id, csrf, now_ms, expires_ms, ua);
  }
  Result<std::optional<Session>> session(const std::string& id_hash, int64_t now_ms) override {
    return inner_.session(id_hash, now_ms);
  }
  Status touch_session(const std::string& id_hash, int64_t now_ms, int64_t expires_ms) override {
    return inner_.touch_session(id_hash, now_ms, expires_ms);
  }
  Status delete_session(const std::string& id_hash) override {
    return inner_.delete_session(id_hash);
  }
  Result<int64_t> delete_user_sessions(int64_t user_id) override {
    return inner_.delete_user_sessions(user_id);
  }
  Result<int64_t> count_active_sessions(int64_t since_ms) override {
    return inner_.count_active_sessions(since_ms);
  }
  Result<bool> add_favorite(const Favorite& favorite, int64_t max_per_user) override {
    return inner_.add_favorite(favorite, max_per_user);
  }
  Result<bool> remove_favorite(int64_t user_id, const std::string& board,
                               const std::string& item_key) override {
    return inner_.remove_favorite(user_id, board, item_key);
  }
  Result<std::vector<Favorite>> favorites(int64_t user_id, const FavoriteQuery& query) override {
    return inner_.favorites(user_id, query);
  }
  Result<std::vector<std::string>> favorite_keys(int64_t user_id,
                                                 const std::string& board) override {
    return inner_.favorite_keys(user_id, board);
  }
  Result<int64_t> put_preferences(int64_t user_id, int64_t expected, const std::string& body,
                                  int64_t now_ms) override {
    return inner_.put_preferences(user_id, expected, body, now_ms);
  }
  Result<std::optional<PreferencesRecord>> preferences(int64_t user_id) override {
    return inner_.preferences(user_id);
  }
  Result<int64_t> append_audit(const AuditRecord& record) override {
    return inner_.append_audit(record);
  }
  Result<std::vector<AuditRecord>> audit_log(int limit, int64_t before_id) override {
    return inner_.audit_log(limit, before_id);
  }
  Status put_login_state(const std::string& state_hash, const std::string& code_verifier,
                         const std::string& return_to, int64_t expires_ms,
                         const LoginStateLimits& limits) override {
    return inner_.put_login_state(state_hash, code_verifier, return_to, expires_ms, limits);
  }
  Result<int64_t> count_login_states() override { return inner_.count_login_states(); }
  Result<std::optional<LoginStateRecord>> take_login_state(const std::string& state_hash,
                                                           int64_t now_ms) override {
    return inner_.take_login_state(state_hash, now_ms);
  }
  Status create_api_key(const ApiKeyRecord& key, int64_t max_per_user) override {
    return inner_.create_api_key(key, max_per_user);
  }
  Result<std::vector<ApiKeyRecord>> api_keys(int64_t user_id) override {
    return inner_.api_keys(user_id);
  }
  Result<std::optional<ApiKeyRecord>> api_key_by_hash(const std::string& hash) override {
    return inner_.api_key_by_hash(hash);
  }
  Result<bool> revoke_api_key(const std::string& id, int64_t user_id, int64_t now_ms) override {
    return inner_.revoke_api_key(id, user_id, now_ms);
  }
  Status set_api_key_limits(const std::string& id, int64_t per_minute, int64_t burst) override {
    return inner_.set_api_key_limits(id, per_minute, burst);
  }
  Status add_api_key_usage(const std::vector<ApiKeyUsage>& usage) override {
    return inner_.add_api_key_usage(usage);
  }
  Status put_presence(const std::string& instance, int64_t readers, int64_t now_ms) override {
    return inner_.put_presence(instance, readers, now_ms);
  }
  Result<int64_t> count_presence(int64_t since_ms) override {
    return inner_.count_presence(since_ms);
  }
  Result<SearchResult> search(const SearchRequest& request) override {
    return inner_.search(request);
  }
  Result<std::optional<ItemTimeline>> item_timeline(const std::string& board,
                                                    const std::string& key,
                                                    int related_limit) override {
    return inner_.item_timeline(board, key, related_limit);
  }
  Result<std::optional<BoardAt>> board_at(const std::string& board, int64_t at_ms) override {
    return inner_.board_at(board, at_ms);
  }
  Result<std::vector<DayEntry>> window_entries(const std::string& board, int64_t start_ms,
                                               int64_t end_ms, int limit) override {
    return inner_.window_entries(board, start_ms, end_ms, limit);
  }
  Result<int64_t> compact_history(int64_t hourly_before_ms, int64_t drop_before_ms) override {
    return inner_.compact_history(hourly_before_ms, drop_before_ms);
  }
  bool down = false;
  int last_runs_limit = -1;
  int tally_calls = 0;
  std::function<void()> on_board_view;  // runs as the cache reads a board to render it
  std::atomic<int> board_view_calls{0};
  std::atomic<int> board_states_calls{0};
  std::atomic<int> board_state_calls{0};

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
                                        *store_, coord_, options_);
    api_->register_routes(router_);
    ASSERT_TRUE(api_->start().ok());
  }

  // GET `target` from the fixture's service, or from `router` (another service's routes).
  Response get(const std::string& target, Router* router = nullptr) {
    Request req;
    EXPECT_TRUE(req.set_target(target).ok());
    return (router != nullptr ? *router : router_).handle(req);
  }

  void commit(const std::string& dispatch, std::vector<std::string> titles,
              int64_t finished_ms = 1764000000000) {
    CommitRequest c;
    c.board = meta_.id;
    c.epoch = 1;
    c.dispatch_id = dispatch;
    c.stats.finished_ms = finished_ms;
    for (const auto& t : titles) {
      Item it;
      it.key = t;
      it.title = t;
      it.url = "https://s.weibo.com/weibo?q=" + t;
      c.items.push_back(it);
    }
    auto v = store_->commit_snapshot(c);
    ASSERT_TRUE(v.ok()) << v.status().to_string();
    last_version_ = *v;
    ASSERT_TRUE(coord_.publish({meta_.id, *v}).ok());
  }

  // A one-item snapshot written to the store with no board-updated event (a lost message).
  void commit_without_event(const std::string& dispatch, const std::string& title) {
    CommitRequest c;
    c.board = meta_.id;
    c.epoch = 1;
    c.dispatch_id = dispatch;
    Item it;
    it.key = it.title = title;
    it.url = "https://s.weibo.test/weibo?q=" + title;
    c.items.push_back(it);
    ASSERT_TRUE(store_->commit_snapshot(c).ok());
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
  // Set before SetUp() by fixtures that need other options. The catalogue is re-assembled
  // at every request here; its coalescing is tested in board_cache_test.cc.
  ApiOptions options_ = [] {
    ApiOptions o;
    o.cache.catalogue_interval = Millis(0);
    return o;
  }();
  std::unique_ptr<ApiService> api_;
  int64_t last_version_ = 0;
};

TEST_F(ApiTest, UnknownBoardIs404Json) {
  Response r = get("/api/v1/boards/nope.nope");
  EXPECT_EQ(r.status, 404);
  json::value v = json::parse(r.body_view());
  EXPECT_EQ(v.at("error").at("code").as_string(), "not-found");
}

TEST_F(ApiTest, NeverFetchedBoardIsEmptyNotAnError) {
  Response r = get("/api/v1/boards/weibo.hot-search");
  EXPECT_EQ(r.header("Cache-Control"),
            "public, max-age=" + std::to_string(schedule_max_age_s(meta_)) +
                ", stale-while-revalidate=60");
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

// Ready means "store reachable and boards rendered": an instance that started while the
// store was down has no board bodies (they answer 503) and must not get traffic until a
// resync rendered them.
TEST_F(ApiTest, NotReadyUntilEveryBoardIsRendered) {
  api_.reset();
  store_->down = true;
  Router router;
  auto api = std::make_unique<ApiService>(std::vector<Site>{site_}, std::vector<BoardMeta>{meta_},
                                          *store_, coord_, options_);
  api->register_routes(router);
  EXPECT_FALSE(api->start().ok());
  store_->down = false;  // the store is back, but nothing was rendered yet
  auto get_on = [&](const std::string& target) {
    Request req;
    EXPECT_TRUE(req.set_target(target).ok());
    return router.handle(req);
  };
  Response r = get_on("/readyz");
  EXPECT_EQ(r.status, 503);
  EXPECT_NE(r.body_view().find("rendered 0 of 1 boards"), std::string_view::npos);
  EXPECT_EQ(get_on("/api/v1/boards/weibo.hot-search").status, 503);
  ASSERT_TRUE(api->resync().ok());
  EXPECT_EQ(get_on("/readyz").status, 200);
  EXPECT_EQ(get_on("/api/v1/boards/weibo.hot-search").status, 200);
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

TEST_F(ApiTest, BoardsTakeTheirSitesCategoryUnlessTheyDeclareOne) {
  Site hn{"hn", "黑客新闻", "Hacker News", "https://hn.test", "", "#ff6600", "global"};
  hn.category = "tech";
  BoardMeta front;
  front.id = "hn.front";
  front.site = "hn";
  BoardMeta jobs;
  jobs.id = "hn.jobs";
  jobs.site = "hn";
  jobs.category = "finance";
  ASSERT_TRUE(real_->sync_catalogue({site_, hn}, {meta_, front, jobs}).ok());
  ApiService api({site_, hn}, {meta_, front, jobs}, *store_, coord_, options_);
  Router router;
  api.register_routes(router);
  Status started = api.start();
  ASSERT_TRUE(started.ok()) << started.to_string();
  auto fetch = [&](const std::string& target) {
    return json::parse(get(target, &router).body_view());
  };

  json::value sites = fetch("/api/v1/sites");
  EXPECT_EQ(sites.at("sites").at(0).at("category").as_string(), "general");  // the default
  EXPECT_EQ(sites.at("sites").at(1).at("category").as_string(), "tech");
  // Only the categories in use, in the tabs' order, with both names.
  const auto& cats = sites.at("categories").as_array();
  ASSERT_EQ(cats.size(), 3u);
  EXPECT_EQ(cats[0].at("id").as_string(), "general");
  EXPECT_EQ(cats[0].at("name").as_string(), "综合");
  EXPECT_EQ(cats[1].at("id").as_string(), "tech");
  EXPECT_EQ(cats[2].at("id").as_string(), "finance");
  EXPECT_EQ(cats[2].at("name_en").as_string(), "Finance");

  std::map<std::string, std::string> category_of;
  const json::value boards = fetch("/api/v1/boards");
  for (const auto& b : boards.at("boards").as_array()) {
    category_of[std::string(b.at("id").as_string())] = b.at("category").as_string();
  }
  EXPECT_EQ(category_of["weibo.hot-search"], "general");
  EXPECT_EQ(category_of["hn.front"], "tech");  // its site's
  EXPECT_EQ(category_of["hn.jobs"], "finance");
  api.stop();
}

// --- GET /api/v1/events (Server-Sent Events) on a real Server ---

using testing::SseBlock;
using testing::SseTestClient;

// Waits for something that follows from a socket event on the server's threads, polling
// with a generous deadline.
bool eventually(const std::function<bool()>& done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

std::unique_ptr<Server> serve(ApiService& api, ServerOptions options = {}) {
  Router router;
  api.register_routes(router);
  options.listen = "127.0.0.1:0";
  auto server = std::make_unique<Server>(std::move(options), std::move(router));
  const Status s = server->start();
  EXPECT_TRUE(s.ok()) << s.to_string();
  return server;
}

// A Coordinator whose subscription can be told that events were lost (as the Redis bus
// does after a reconnect). Events go through a real LocalCoordinator.
class ResyncingCoordinator final : public Coordinator {
 public:
  int64_t leader_epoch() const override { return inner_.leader_epoch(); }
  Status publish(const BoardUpdated& e) override { return inner_.publish(e); }
  std::unique_ptr<Subscription> subscribe(std::function<void(const BoardUpdated&)> cb) override {
    return inner_.subscribe(std::move(cb));
  }
  std::unique_ptr<Subscription> subscribe(std::function<void(const BoardUpdated&)> cb,
                                          std::function<void()> on_resync) override {
    on_resync_ = std::move(on_resync);
    return inner_.subscribe(std::move(cb));
  }
  void lose_events() { on_resync_(); }

 private:
  LocalCoordinator inner_;
  std::function<void()> on_resync_;
};

class ApiEventsTest : public ApiTest {
 protected:
  ApiEventsTest() {
    options_.events.heartbeat = Millis(50);
    options_.events.max_queue = 32;
  }
  void SetUp() override {
    ApiTest::SetUp();
    ServerOptions options;
    options.middleware.cors_origins = {"https://app.example"};
    options.shutdown_timeout = std::chrono::seconds(60);  // stop() must not wait for streams
    server_ = serve(*api_, options);
  }
  void TearDown() override { server_->stop(); }

  uint16_t port() const { return server_->port(); }

  // A client that has opened the stream and read retry + hello.
  std::unique_ptr<SseTestClient> subscriber(int receive_buffer = 0) {
    auto c = std::make_unique<SseTestClient>(port(), receive_buffer);
    EXPECT_TRUE(c->request("/api/v1/events"));
    EXPECT_EQ(c->status(), 200);
    auto hello = c->next_event();
    EXPECT_TRUE(hello && hello->event == "hello");
    return c;
  }

  std::unique_ptr<Server> server_;
};

TEST_F(ApiEventsTest, StreamOpensWithHeadersRetryAndHello) {
  SseTestClient c(port());
  ASSERT_TRUE(c.request("/api/v1/events", "Accept-Encoding: gzip\r\n"));
  EXPECT_EQ(c.status(), 200);
  EXPECT_EQ(c.header("Content-Type"), "text/event-stream; charset=utf-8");
  EXPECT_EQ(c.header("Cache-Control"), "no-store");
  EXPECT_EQ(c.header("X-Accel-Buffering"), "no");
  EXPECT_EQ(c.header("Transfer-Encoding"), "chunked");
  EXPECT_FALSE(c.has_header("Content-Encoding"));
  EXPECT_FALSE(c.has_header("Content-Length"));
  std::optional<SseBlock> retry = c.next_block();
  ASSERT_TRUE(retry);
  EXPECT_EQ(retry->raw, "retry: 3000");
  std::optional<SseBlock> hello = c.next_block();
  ASSERT_TRUE(hello);
  EXPECT_EQ(hello->event, "hello");
  EXPECT_TRUE(hello->id.empty());
  json::value v = json::parse(hello->data);
  const std::string time(v.at("server_time").as_string());
  EXPECT_EQ(time.size(), 24u) << time;  // 2026-11-26T08:30:00.123Z
  EXPECT_EQ(time[10], 'T');
  EXPECT_EQ(time.back(), 'Z');
  EXPECT_EQ(api_->events().open_streams(), 1u);
}

TEST_F(ApiEventsTest, BoardUpdatedComesAfterTheCacheHasTheNewBody) {
  auto c = subscriber();
  // The last event id at the moment the cache reads the store to re-render the board.
  uint64_t id_while_rendering = 999;
  store_->on_board_view = [&] { id_while_rendering = api_->events().last_id(); };
  commit("weibo.hot-search@1", {"甲", "乙"});
  std::optional<SseBlock> e = c->next_event();
  ASSERT_TRUE(e);
  EXPECT_EQ(e->event, "board-updated");
  EXPECT_EQ(e->data,
            R"({"board":"weibo.hot-search","version":)" + std::to_string(last_version_) + "}");
  EXPECT_EQ(e->id, "1");
  EXPECT_EQ(id_while_rendering, 0u);  // published only after the re-render
  store_->on_board_view = nullptr;

  // A client that refetches on the event gets the new body.
  SseTestClient get(port());
  ASSERT_TRUE(get.request("/api/v1/boards/weibo.hot-search"));
  ASSERT_EQ(get.status(), 200);
  json::value board = json::parse(get.read_body());
  EXPECT_EQ(board.at("version").as_int64(), last_version_);
  ASSERT_EQ(board.at("items").as_array().size(), 2u);
  EXPECT_EQ(board.at("items").at(0).at("title").as_string(), "甲");

  // A failed run (version 0) is announced too: the board's stale flag changed.
  fail("weibo.hot-search@2", error(ErrorCode::kHttp, "HTTP 503"));
  e = c->next_event();
  ASSERT_TRUE(e);
  EXPECT_EQ(e->id, "2");
  EXPECT_EQ(e->data, R"({"board":"weibo.hot-search","version":0})");
}

TEST_F(ApiEventsTest, NoEventWhenTheBoardCouldNotBeRendered) {
  auto c = subscriber();
  store_->down = true;
  ASSERT_TRUE(coord_.publish({meta_.id, 99}).ok());
  EXPECT_EQ(api_->events().last_id(), 0u);  // the client would refetch the old body
  store_->down = false;
  commit("weibo.hot-search@1", {"甲"});
  std::optional<SseBlock> e = c->next_event();
  ASSERT_TRUE(e);
  EXPECT_EQ(e->id, "1");
  EXPECT_NE(e->data.find(std::to_string(last_version_)), std::string::npos);
}

// A scheduled run that fetched what the board already shows moves only its times: the
// clients get them in a board-checked event instead of a board-updated that makes them
// refetch the body.
TEST_F(ApiEventsTest, ARunThatFetchedTheSameItemsSendsOnlyTheNewTimes) {
  auto c = subscriber();
  commit("weibo.hot-search@1", {"甲", "乙"}, 1764000000000);
  std::optional<SseBlock> e = c->next_event();
  ASSERT_TRUE(e);
  EXPECT_EQ(e->event, "board-updated");
  // The same items again: their marks change once (now they have a previous rank).
  commit("weibo.hot-search@2", {"甲", "乙"}, 1764000060000);
  e = c->next_event();
  ASSERT_TRUE(e);
  EXPECT_EQ(e->event, "board-updated");
  // And again: nothing a reader sees changed but the times.
  commit("weibo.hot-search@3", {"甲", "乙"}, 1764000120000);
  e = c->next_event();
  ASSERT_TRUE(e);
  EXPECT_EQ(e->event, "board-checked");
  json::value checked = json::parse(e->data);
  EXPECT_EQ(checked.at("board").as_string(), "weibo.hot-search");
  EXPECT_EQ(checked.at("version").as_int64(), last_version_);
  EXPECT_EQ(checked.at("fetched_at").as_string(), "2025-11-24T16:02:00.000Z");
  // The event's times are the body's.
  json::value board = json::parse(api_->cache().board(meta_.id)->json->c_str());
  EXPECT_EQ(board.at("version").as_int64(), last_version_);
  EXPECT_EQ(board.at("fetched_at"), checked.at("fetched_at"));
  EXPECT_EQ(board.at("due_by"), checked.at("due_by"));
  EXPECT_EQ(board.at("last_run_at"), checked.at("last_run_at"));
  // An item swapped: a board-updated again.
  commit("weibo.hot-search@4", {"乙", "甲"}, 1764000180000);
  e = c->next_event();
  ASSERT_TRUE(e);
  EXPECT_EQ(e->event, "board-updated");
  // A failed run changes the error state the board shows.
  fail("weibo.hot-search@5", error(ErrorCode::kHttp, "HTTP 503"));
  e = c->next_event();
  ASSERT_TRUE(e);
  EXPECT_EQ(e->event, "board-updated");
}

TEST_F(ApiEventsTest, HeartbeatsAtTheConfiguredInterval) {
  auto c = subscriber();
  for (int i = 0; i < 3; ++i) {
    std::optional<SseBlock> b = c->next_block();
    ASSERT_TRUE(b) << i;
    EXPECT_EQ(b->raw, ": ping");
  }
}

TEST_F(ApiEventsTest, FiftyClientsGetEventsWhileAStalledOneGetsAResync) {
  constexpr int kClients = 50;
  std::vector<std::unique_ptr<SseTestClient>> clients;
  for (int i = 0; i < kClients; ++i) clients.push_back(subscriber());
  // Reads nothing from here on, with a small receive buffer so that it stalls quickly.
  auto stalled = subscriber(4096);
  ASSERT_EQ(api_->events().open_streams(), kClients + 1u);

  commit("weibo.hot-search@1", {"甲"});
  for (auto& c : clients) {
    std::optional<SseBlock> e = c->next_event();
    ASSERT_TRUE(e);
    ASSERT_EQ(e->event, "board-updated");
    ASSERT_EQ(e->id, "1");
  }

  // Far more than the stalled client's socket buffers and queue hold (~1 KiB events).
  const std::string data =
      R"({"board":"weibo.hot-search","version":0,"pad":")" + std::string(1000, 'x') + R"("})";
  uint64_t last = 1;
  for (int batch = 0; batch < 20; ++batch) {
    for (int i = 0; i < 20; ++i) last = api_->events().publish("board-updated", data);
    for (int k = 0; k < kClients; ++k) {
      uint64_t seen = 0;
      while (seen < last) {
        std::optional<SseBlock> e = clients[k]->next_event();
        ASSERT_TRUE(e) << "client " << k << " stopped getting events at " << seen;
        ASSERT_EQ(e->event, "board-updated") << "client " << k;
        const uint64_t id = std::stoull(e->id);
        if (seen != 0) {
          ASSERT_EQ(id, seen + 1) << "client " << k;
        }
        seen = id;
      }
    }
  }

  // The stalled client lost events and was told to refetch everything instead.
  bool resync = false;
  uint64_t seen = 0;
  int received = 0;
  while (seen < last) {
    std::optional<SseBlock> e = stalled->next_event();
    ASSERT_TRUE(e) << "after id " << seen;
    if (e->event == "resync") {
      EXPECT_EQ(e->data, R"({"reason":"overflow"})");
      resync = true;
      continue;
    }
    seen = std::stoull(e->id);
    ++received;
  }
  EXPECT_TRUE(resync);
  EXPECT_LT(received, static_cast<int>(last));
  EXPECT_EQ(api_->events().open_streams(), kClients + 1u);
}

TEST_F(ApiEventsTest, CorsHeadersForAnAllowedOrigin) {
  SseTestClient c(port());
  ASSERT_TRUE(c.request("/api/v1/events", "Origin: https://app.example\r\n"));
  EXPECT_EQ(c.status(), 200);
  EXPECT_EQ(c.header("Access-Control-Allow-Origin"), "https://app.example");
  EXPECT_EQ(c.header("Access-Control-Allow-Credentials"), "true");
  ASSERT_TRUE(c.next_event());
}

TEST_F(ApiEventsTest, ServerStopEndsOpenStreamsPromptly) {
  std::vector<std::unique_ptr<SseTestClient>> clients;
  for (int i = 0; i < 3; ++i) clients.push_back(subscriber());
  const auto began = std::chrono::steady_clock::now();
  server_->stop();  // shutdown_timeout is 60 s
  EXPECT_LT(std::chrono::steady_clock::now() - began, std::chrono::seconds(10));
  for (auto& c : clients) EXPECT_TRUE(c->wait_closed());
  EXPECT_EQ(api_->events().open_streams(), 0u);
}

TEST_F(ApiEventsTest, ApiStopEndsTheStreamsAndRefusesNewOnes) {
  auto c = subscriber();
  api_->stop();
  EXPECT_TRUE(c->wait_closed());
  EXPECT_TRUE(c->ended());  // a complete response, not a cut connection
  SseTestClient late(port());
  ASSERT_TRUE(late.request("/api/v1/events"));
  EXPECT_EQ(late.status(), 503);
}

TEST_F(ApiEventsTest, ClientsThatLeaveAreNotCounted) {
  auto a = subscriber();
  auto b = subscriber();
  EXPECT_EQ(api_->events().open_streams(), 2u);
  a->close();
  EXPECT_TRUE(eventually([&] { return api_->events().open_streams() == 1u; }));
}

TEST_F(ApiTest, EventStreamsOverTheLimitGet503) {
  ApiOptions options;
  options.events.max_streams = 2;
  ResyncingCoordinator coordinator;
  ApiService api({site_}, {meta_}, *store_, coordinator, options);
  ASSERT_TRUE(api.start().ok());
  auto server = serve(api);
  SseTestClient a(server->port());
  SseTestClient b(server->port());
  ASSERT_TRUE(a.request("/api/v1/events"));
  ASSERT_TRUE(b.request("/api/v1/events"));
  EXPECT_EQ(a.status(), 200);
  EXPECT_EQ(b.status(), 200);
  SseTestClient c(server->port());
  ASSERT_TRUE(c.request("/api/v1/events"));
  EXPECT_EQ(c.status(), 503);
  EXPECT_EQ(c.header("Content-Type"), "application/json");
  EXPECT_FALSE(c.header("Retry-After").empty());
  json::value v = json::parse(c.read_body());
  EXPECT_EQ(v.at("error").at("code").as_string(), "unavailable");
  // A client leaving frees its place.
  a.close();
  ASSERT_TRUE(eventually([&] { return api.events().open_streams() == 1u; }));
  SseTestClient d(server->port());
  ASSERT_TRUE(d.request("/api/v1/events"));
  EXPECT_EQ(d.status(), 200);
  server->stop();
}

TEST_F(ApiTest, ResyncOfTheSubscriptionIsPassedOnToClients) {
  ResyncingCoordinator coordinator;
  ApiService api({site_}, {meta_}, *store_, coordinator);
  ASSERT_TRUE(api.start().ok());
  auto server = serve(api);
  SseTestClient c(server->port());
  ASSERT_TRUE(c.request("/api/v1/events"));
  ASSERT_EQ(c.next_event()->event, "hello");
  // A snapshot committed while the bus was down: its event never came.
  commit_without_event("weibo.hot-search@7", "丁");
  coordinator.lose_events();
  std::optional<SseBlock> e = c.next_event();
  ASSERT_TRUE(e);
  EXPECT_EQ(e->event, "resync");
  EXPECT_EQ(e->id, "1");
  EXPECT_EQ(e->data, R"({"reason":"reconnect"})");
  // ...and the cache was reloaded before the clients were told.
  json::value board = json::parse(api.cache().board(meta_.id)->json->c_str());
  EXPECT_EQ(board.at("items").at(0).at("title").as_string(), "丁");
  server->stop();
}

// `mu api`'s periodic safety net: a board committed without an event (a lost pub/sub
// message) reaches the cache and the SSE clients by resync(); unchanged boards send nothing.
TEST_F(ApiTest, PeriodicResyncTellsClientsOnlyAboutChangedBoards) {
  LocalCoordinator silent;  // nobody publishes on it
  ApiService api({site_}, {meta_}, *store_, silent);
  ASSERT_TRUE(api.start().ok());
  auto server = serve(api);
  SseTestClient c(server->port());
  ASSERT_TRUE(c.request("/api/v1/events"));
  ASSERT_EQ(c.next_event()->event, "hello");

  commit_without_event("weibo.hot-search@9", "戊");
  ASSERT_TRUE(api.resync().ok());
  std::optional<SseBlock> e = c.next_event();
  ASSERT_TRUE(e);
  EXPECT_EQ(e->event, "board-updated");
  EXPECT_EQ(e->data, R"({"board":"weibo.hot-search","version":0})");
  json::value board = json::parse(api.cache().board(meta_.id)->json->c_str());
  EXPECT_EQ(board.at("items").at(0).at("title").as_string(), "戊");

  // Nothing changed since: a second resync sends no event (the next one seen is ours).
  ASSERT_TRUE(api.resync().ok());
  api.events().publish("marker", "{}");
  e = c.next_event();
  ASSERT_TRUE(e);
  EXPECT_EQ(e->event, "marker");
  server->stop();
}

// --- the catalogue at scale (issue 18: per-update costs must not grow with the boards) ---

class BoardCacheTest : public ::testing::Test {
 protected:
  static constexpr int kBoards = 200;

  void SetUp() override {
    auto s = open_sqlite_store(":memory:");
    ASSERT_TRUE(s.ok()) << s.status().to_string();
    real_ = std::move(s).value();
    ASSERT_TRUE(real_->migrate().ok());
    sites_ = {Site{"weibo", "微博", "Weibo", "https://weibo.test", "", "#e6162d", "cn"},
              Site{"hackernews", "黑客新闻", "Hacker News", "https://hn.test", "", "", "global"}};
    for (int i = 0; i < kBoards; ++i) {
      BoardMeta m;
      m.site = i % 2 == 0 ? "weibo" : "hackernews";
      m.id = m.site + ".b" + std::to_string(i);
      m.name_zh = i == 8 ? "跨年热搜" : "榜单" + std::to_string(i);
      m.name_en = i == 8 ? "New Year Hot" : "Board " + std::to_string(i);
      m.kind = i % 5 == 4 ? BoardKind::kStream : BoardKind::kRank;
      boards_.push_back(m);
    }
    ASSERT_TRUE(real_->sync_catalogue(sites_, boards_).ok());
    store_ = std::make_unique<FlakyStore>(*real_);
  }

  std::unique_ptr<BoardCache> make_cache(Millis interval, std::set<std::string> disabled = {}) {
    BoardCacheOptions o;
    o.catalogue_interval = interval;
    o.disabled = std::move(disabled);
    return std::make_unique<BoardCache>(sites_, boards_, *store_, clock_, o);
  }

  void commit(const std::string& board, const std::string& dispatch, const std::string& title) {
    CommitRequest c;
    c.board = board;
    c.epoch = 1;
    c.dispatch_id = dispatch;
    c.stats.finished_ms = clock_.now_ms();
    Item it;
    it.key = it.title = title;
    it.url = "https://weibo.test/" + title;
    c.items.push_back(it);
    ASSERT_TRUE(real_->commit_snapshot(c).ok());
  }

  static json::array boards_of(const std::shared_ptr<const RenderedBody>& body) {
    return json::parse(*body->json).at("boards").as_array();
  }
  static json::value parse(const RenderedBody& body) { return json::parse(*body.json); }

  FakeClock clock_;
  std::unique_ptr<Store> real_;
  std::unique_ptr<FlakyStore> store_;
  std::vector<Site> sites_;
  std::vector<BoardMeta> boards_;
};

// The bug: every board update re-read every board's state from the store and re-rendered
// and re-compressed the whole catalogue (10,000 boards at 1/min kept a core busy).
TEST_F(BoardCacheTest, OneBoardUpdateReadsOneBoardAndNeverEveryBoard) {
  auto cache = make_cache(Millis(1000));
  ASSERT_TRUE(cache->refresh_all().ok());
  ASSERT_NE(cache->catalogue(), nullptr);
  store_->board_view_calls = 0;
  store_->board_states_calls = 0;
  store_->board_state_calls = 0;
  for (int i = 0; i < 50; ++i) {
    commit(boards_[i].id, boards_[i].id + "@1", "t" + std::to_string(i));
    ASSERT_TRUE(cache->refresh(boards_[i].id).ok());
  }
  EXPECT_EQ(store_->board_view_calls, 50);
  EXPECT_EQ(store_->board_states_calls, 0);
  EXPECT_EQ(store_->board_state_calls, 0);
}

TEST_F(BoardCacheTest, CatalogueIsAssembledAtMostOncePerIntervalAndThenCatchesUp) {
  auto cache = make_cache(Millis(1000));
  ASSERT_TRUE(cache->refresh_all().ok());
  auto first = cache->catalogue();
  ASSERT_EQ(boards_of(first).size(), static_cast<size_t>(kBoards));
  EXPECT_EQ(json::parse(*first->json).at("total").as_int64(), kBoards);

  commit(boards_[3].id, boards_[3].id + "@1", "one");
  ASSERT_TRUE(cache->refresh(boards_[3].id).ok());
  // Within the interval: the same assembled body (no re-render, no re-gzip).
  EXPECT_EQ(cache->catalogue(), first);
  // The board itself is current at once.
  EXPECT_EQ(parse(*cache->board(boards_[3].id)).at("items").as_array().size(), 1u);

  clock_.advance(std::chrono::milliseconds(1000));
  auto second = cache->catalogue();
  ASSERT_NE(second, first);
  EXPECT_NE(second->etag, first->etag);
  EXPECT_EQ(boards_of(second).at(3).at("item_count").as_int64(), 1);
  // Nothing changed since: the assembled body is reused however much time passes.
  clock_.advance(std::chrono::hours(1));
  EXPECT_EQ(cache->catalogue(), second);
}

TEST_F(BoardCacheTest, ZeroIntervalAssemblesAfterEveryChange) {
  auto cache = make_cache(Millis(0));
  ASSERT_TRUE(cache->refresh_all().ok());
  auto first = cache->catalogue();
  commit(boards_[5].id, boards_[5].id + "@1", "x");
  ASSERT_TRUE(cache->refresh(boards_[5].id).ok());
  auto second = cache->catalogue();
  EXPECT_NE(second, first);
  EXPECT_EQ(boards_of(second).at(5).at("item_count").as_int64(), 1);
}

TEST_F(BoardCacheTest, QueriesFilterBySiteKindTextAndIdsAndPage) {
  auto cache = make_cache(Millis(1000));
  ASSERT_TRUE(cache->refresh_all().ok());
  CatalogueQuery q;
  q.sites = {"hackernews"};
  auto body = parse(cache->query_catalogue(q));
  EXPECT_EQ(body.at("total").as_int64(), kBoards / 2);
  for (const auto& b : body.at("boards").as_array())
    EXPECT_EQ(b.at("site").as_string(), "hackernews");

  q = {};
  q.kind = BoardKind::kStream;
  body = parse(cache->query_catalogue(q));
  EXPECT_EQ(body.at("total").as_int64(), kBoards / 5);
  for (const auto& b : body.at("boards").as_array()) EXPECT_EQ(b.at("kind").as_string(), "stream");

  // Case-insensitive over ids and English names; Chinese substrings; site names.
  for (const char* text : {"NEW YEAR", "跨年", "new year hot"}) {
    q = {};
    q.text = text;
    body = parse(cache->query_catalogue(q));
    ASSERT_EQ(body.at("total").as_int64(), 1) << text;
    EXPECT_EQ(body.at("boards").at(0).at("id").as_string(), "weibo.b8") << text;
  }
  q = {};
  q.text = "黑客新闻";
  EXPECT_EQ(parse(cache->query_catalogue(q)).at("total").as_int64(), kBoards / 2);

  q = {};
  q.ids = {"weibo.b10", "nope.x", "hackernews.b1"};
  body = parse(cache->query_catalogue(q));
  ASSERT_EQ(body.at("total").as_int64(), 2);  // unknown ids are skipped; catalogue order
  EXPECT_EQ(body.at("boards").at(0).at("id").as_string(), "hackernews.b1");
  EXPECT_EQ(body.at("boards").at(1).at("id").as_string(), "weibo.b10");

  q = {};
  q.offset = 190;
  q.limit = 25;
  body = parse(cache->query_catalogue(q));
  EXPECT_EQ(body.at("total").as_int64(), kBoards);
  ASSERT_EQ(body.at("boards").as_array().size(), 10u);
  EXPECT_EQ(body.at("boards").at(0).at("id").as_string(), boards_[190].id);
  q.offset = 5000;
  EXPECT_TRUE(parse(cache->query_catalogue(q)).at("boards").as_array().empty());
}

// The bug: mu api's 30 s safety resync re-read and re-rendered every board.
TEST_F(BoardCacheTest, RefreshChangedRendersOnlyBoardsWhoseStateMoved) {
  auto cache = make_cache(Millis(0));
  ASSERT_TRUE(cache->refresh_all().ok());
  commit(boards_[11].id, boards_[11].id + "@1", "a");  // no event: a lost message
  commit(boards_[42].id, boards_[42].id + "@1", "b");
  store_->board_view_calls = 0;
  auto changed = cache->refresh_changed();
  ASSERT_TRUE(changed.ok()) << changed.status().to_string();
  EXPECT_EQ(*changed, (std::vector<std::string>{boards_[11].id, boards_[42].id}));
  EXPECT_EQ(store_->board_view_calls, 2);
  EXPECT_EQ(parse(*cache->board(boards_[42].id)).at("items").as_array().size(), 1u);
  // Nothing moved since: nothing is rendered.
  changed = cache->refresh_changed();
  ASSERT_TRUE(changed.ok());
  EXPECT_TRUE(changed->empty());
  EXPECT_EQ(store_->board_view_calls, 2);
  // A dead store: an error, and the bodies stay.
  store_->down = true;
  EXPECT_FALSE(cache->refresh_changed().ok());
  EXPECT_EQ(parse(*cache->board(boards_[42].id)).at("items").as_array().size(), 1u);
}

TEST_F(BoardCacheTest, SetMetaRendersTheEffectiveSchedule) {
  auto cache = make_cache(Millis(0));
  ASSERT_TRUE(cache->refresh_all().ok());
  BoardMeta changed = boards_[2];
  changed.schedule.every = std::chrono::minutes(30);
  ASSERT_TRUE(cache->set_meta(changed).ok());
  EXPECT_EQ(parse(*cache->board(changed.id)).at("every_seconds").as_int64(), 1800);
  EXPECT_EQ(boards_of(cache->catalogue()).at(2).at("every_seconds").as_int64(), 1800);
  // Caches may keep a board a quarter of its interval, within 15 s..5 min; cron: 60 s.
  EXPECT_EQ(cache->board(changed.id)->cache_control,
            "public, max-age=300, stale-while-revalidate=60");
  changed.schedule.every = std::chrono::minutes(2);
  ASSERT_TRUE(cache->set_meta(changed).ok());
  EXPECT_EQ(cache->board(changed.id)->cache_control,
            "public, max-age=30, stale-while-revalidate=60");
  changed.schedule.every = std::chrono::seconds(20);
  ASSERT_TRUE(cache->set_meta(changed).ok());
  EXPECT_EQ(cache->board(changed.id)->cache_control,
            "public, max-age=15, stale-while-revalidate=60");
  changed.schedule.cron = "*/5 * * * *";
  ASSERT_TRUE(cache->set_meta(changed).ok());
  EXPECT_EQ(cache->board(changed.id)->cache_control,
            "public, max-age=60, stale-while-revalidate=60");
  BoardMeta unknown;
  unknown.id = "nope.x";
  EXPECT_EQ(cache->set_meta(unknown).code(), ErrorCode::kNotFound);
}

// A board the configuration switches off renders as disabled (the API said enabled: true
// before), until a live change switches it on; a change without a flag leaves the
// configuration's.
TEST_F(BoardCacheTest, BoardsOffInTheConfigurationRenderDisabled) {
  auto cache = make_cache(Millis(0), {boards_[3].id});
  ASSERT_TRUE(cache->refresh_all().ok());
  EXPECT_FALSE(parse(*cache->board(boards_[3].id)).at("enabled").as_bool());
  EXPECT_FALSE(boards_of(cache->catalogue()).at(3).at("enabled").as_bool());
  EXPECT_TRUE(parse(*cache->board(boards_[4].id)).at("enabled").as_bool());
  ASSERT_TRUE(cache->set_meta(boards_[3], true).ok());
  EXPECT_TRUE(parse(*cache->board(boards_[3].id)).at("enabled").as_bool());
  ASSERT_TRUE(cache->set_meta(boards_[3]).ok());
  EXPECT_FALSE(parse(*cache->board(boards_[3].id)).at("enabled").as_bool());
  const auto health = cache->health();
  EXPECT_FALSE(health.at(3).enabled);
}

TEST_F(ApiTest, CatalogueQueryParametersAreValidated) {
  EXPECT_EQ(get("/api/v1/boards?kind=hot").status, 400);
  EXPECT_EQ(get("/api/v1/boards?limit=0").status, 400);
  EXPECT_EQ(get("/api/v1/boards?limit=1001").status, 400);
  EXPECT_EQ(get("/api/v1/boards?offset=-1").status, 400);
  EXPECT_EQ(get("/api/v1/boards?q=" + std::string(201, 'a')).status, 400);
  Response r = get("/api/v1/boards?site=weibo&kind=rank&q=%E7%83%AD%E6%90%9C&limit=5");
  ASSERT_EQ(r.status, 200);
  json::value body = json::parse(r.body_view());
  EXPECT_EQ(body.at("total").as_int64(), 1);
  EXPECT_EQ(body.at("boards").at(0).at("id").as_string(), "weibo.hot-search");
  EXPECT_FALSE(r.etag.empty());
  EXPECT_NE(r.gzip_body, nullptr);
  EXPECT_EQ(json::parse(get("/api/v1/boards?site=zhihu").body_view()).at("total").as_int64(), 0);
}

// GET /api/v1/health/boards reads the cache: a failed run shows up with its class and hint,
// and the body is re-rendered at most every 5 s (the clock moves it on).
// An ApiService on the fixture's store with a clock of its own, started, and its routes.
struct ClockedApi {
  ClockedApi(const Site& site, const BoardMeta& meta, BoardStore& store, Coordinator& coord)
      : api({site}, {meta}, store, coord, options()) {
    api.register_routes(router);
    EXPECT_TRUE(api.start().ok());
  }
  ~ClockedApi() { api.stop(); }
  ApiOptions options() {
    ApiOptions o;
    o.clock = &clock;
    return o;
  }
  Response get(const std::string& target) {
    Request req;
    EXPECT_TRUE(req.set_target(target).ok());
    return router.handle(req);
  }
  FakeClock clock{WallTime(std::chrono::milliseconds(1764000090000))};
  ApiService api;
  Router router;
};

TEST_F(ApiTest, HealthNamesEachBoardsStandingAndItsLastFailure) {
  ClockedApi clocked(site_, meta_, *store_, coord_);
  FakeClock& clock = clocked.clock;
  auto get = [&](const std::string& target) { return clocked.get(target); };
  Response r = get("/api/v1/health/boards");
  ASSERT_EQ(r.status, 200);
  json::value doc = json::parse(r.body_view());
  EXPECT_EQ(doc.at("boards").at(0).at("status").as_string(), "never");
  commit("weibo.hot-search@1", {"甲"});  // fetched at 1764000000000: 90 s ago
  fail("weibo.hot-search@2", error(ErrorCode::kBlocked, "HTTP 403 from https://weibo.com/x"));
  // Within 5 s the previous body is served.
  EXPECT_EQ(json::parse(get("/api/v1/health/boards").body_view()).at("boards").at(0).at("status"),
            "never");
  clock.advance(std::chrono::seconds(5));
  doc = json::parse(get("/api/v1/health/boards").body_view());
  const json::value& b = doc.at("boards").at(0);
  EXPECT_EQ(b.at("board").as_string(), "weibo.hot-search");
  EXPECT_EQ(b.at("status").as_string(), "failing");
  EXPECT_EQ(b.at("data_age_seconds").as_int64(), 95);
  EXPECT_EQ(b.at("error").at("class").as_string(), "blocked");
  EXPECT_EQ(b.at("error").at("code").as_string(), "blocked");
  EXPECT_EQ(doc.at("summary").at("failing").as_int64(), 1);
}

// The week's success rates and trend come from the store's run tallies, read at most every
// 30 s; a store that is down keeps the last tallies and is asked again after 15 s.
TEST_F(ApiTest, HealthCountsTheWeeksRunsFromTheStoreEverySoOften) {
  ClockedApi clocked(site_, meta_, *store_, coord_);
  FakeClock& clock = clocked.clock;
  auto board = [&]() {
    Response r = clocked.get("/api/v1/health/boards");
    EXPECT_EQ(r.status, 200);
    return json::parse(r.body_view()).at("boards").at(0);
  };
  commit("weibo.hot-search@1", {"甲"});
  fail("weibo.hot-search@2", error(ErrorCode::kBlocked, "HTTP 403 from https://weibo.com/x"));
  json::value b = board();
  EXPECT_EQ(store_->tally_calls, 1);
  EXPECT_EQ(b.at("runs_7d").as_int64(), 2);
  EXPECT_DOUBLE_EQ(b.at("success_rate_7d").as_double(), 0.5);
  EXPECT_EQ(b.at("runs_24h").as_int64(), 2);
  EXPECT_EQ(b.at("trend").as_array().size(), static_cast<size_t>(kTrendBuckets));

  commit("weibo.hot-search@3", {"乙"}, 1764000060000);
  clock.advance(std::chrono::seconds(5));
  EXPECT_EQ(board().at("runs_7d").as_int64(), 2);  // the tallies of 5 s ago
  EXPECT_EQ(store_->tally_calls, 1);
  clock.advance(std::chrono::seconds(25));
  EXPECT_EQ(board().at("runs_7d").as_int64(), 3);
  EXPECT_EQ(store_->tally_calls, 2);

  store_->down = true;
  clock.advance(std::chrono::seconds(30));
  EXPECT_EQ(board().at("runs_7d").as_int64(), 3);  // kept
  store_->down = false;
  clock.advance(std::chrono::seconds(10));
  board();
  EXPECT_EQ(store_->tally_calls, 2);  // the retry waits 15 s
  clock.advance(std::chrono::seconds(5));
  board();
  EXPECT_EQ(store_->tally_calls, 3);
}

// GET /metrics: the board collectors read the cache at each scrape, and the server counts
// responses per route pattern (not per path) with a latency histogram.
TEST_F(ApiTest, MetricsNameEveryBoardAndCountResponsesPerRoute) {
  FakeClock clock(WallTime(std::chrono::milliseconds(1764000090000)));
  metrics::Registry registry;
  export_board_metrics(registry, api_->cache(), clock);
  ASSERT_TRUE(export_event_metrics(registry, api_->events()).ok());
  const Server* running = nullptr;
  export_server_metrics(registry, [&]() -> std::optional<ServerCounters> {
    if (running == nullptr) return std::nullopt;
    return running->counters();
  });
  MetricsService metrics(registry);
  Router router;
  api_->register_routes(router);
  metrics.register_routes(router);
  ServerOptions options;
  options.listen = "127.0.0.1:0";
  Server server(options, std::move(router));
  ASSERT_TRUE(server.start().ok());
  running = &server;

  commit("weibo.hot-search@1", {"甲", "乙", "丙"});  // fetched at 1764000000000: 90 s ago
  for (const char* path : {"/api/v1/boards/weibo.hot-search", "/api/v1/boards/weibo.hot-search",
                           "/api/v1/boards/nope", "/no/such/route"}) {
    SseTestClient c(server.port());
    ASSERT_TRUE(c.request(path));
    (void)c.read_body();
  }
  SseTestClient scrape(server.port());
  ASSERT_TRUE(scrape.request("/metrics"));
  EXPECT_EQ(scrape.status(), 200);
  EXPECT_EQ(scrape.header("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  const std::string text = scrape.read_body();
  auto has = [&](const std::string& line) {
    return text.find("\n" + line + "\n") != std::string::npos;
  };
  EXPECT_TRUE(has(R"(mu_board_data_age_seconds{board="weibo.hot-search",site="weibo"} 90)"))
      << text;
  EXPECT_TRUE(has(R"(mu_board_items{board="weibo.hot-search",site="weibo"} 3)"));
  EXPECT_TRUE(has(R"(mu_board_stale{board="weibo.hot-search",site="weibo"} 0)"));
  EXPECT_TRUE(has(R"(mu_board_enabled{board="weibo.hot-search",site="weibo"} 1)"));
  EXPECT_TRUE(has(R"(mu_sse_clients{kind="anonymous"} 0)"));
  EXPECT_TRUE(has(R"(http_requests_total{route="/api/v1/boards/{id}",method="GET",code="2xx"} 2)"));
  EXPECT_TRUE(has(R"(http_requests_total{route="/api/v1/boards/{id}",method="GET",code="4xx"} 1)"));
  EXPECT_TRUE(has(R"(http_requests_total{route="unmatched",method="GET",code="4xx"} 1)"));
  EXPECT_TRUE(has(R"(http_request_duration_seconds_count{route="/api/v1/boards/{id}"} 3)"));
  EXPECT_TRUE(
      has(R"(http_request_duration_seconds_bucket{route="/api/v1/boards/{id}",le="+Inf"} 3)"));
  EXPECT_TRUE(has("# TYPE http_request_duration_seconds histogram"));
  // A failed run makes the board stale; the next scrape says so.
  fail("weibo.hot-search@2", error(ErrorCode::kHttp, "HTTP 503"));
  SseTestClient again(server.port());
  ASSERT_TRUE(again.request("/metrics"));
  const std::string next = again.read_body();
  EXPECT_NE(
      next.find("\n" + std::string(R"(mu_board_stale{board="weibo.hot-search",site="weibo"} 1)") +
                "\n"),
      std::string::npos)
      << next;
  server.stop();
}

}  // namespace
}  // namespace mu
