#include "api/admin.h"

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

#include "auth/crypto.h"
#include "auth/session.h"
#include "coord/local/local_coordinator.h"
#include "core/utf8.h"
#include "scheduler/local_control.h"
#include "scheduler/scheduler_testing.h"
#include "store/sqlite/sqlite_store.h"

namespace mu {
namespace {
namespace json = boost::json;
using namespace std::chrono_literals;
using testing_support::ScriptedCollector;

// GitHub is never reached in these tests: sessions come from the local admin link or the
// store directly.
class NoTransport final : public Transport {
 public:
  Result<HttpResponse> fetch(const HttpRequest&) override {
    return error(ErrorCode::kNetwork, "no network in tests");
  }
};

class FakeWorkbench final : public SourceWorkbench {
 public:
  std::string dir() const override { return "/srv/mu/sources.d"; }
  bool writable() const override { return true; }
  std::string example() const override { return "# example"; }
  Result<std::vector<Spec>> list() const override {
    std::vector<Spec> specs{{"mine", "[site]\n", {"mine.feed"}, ""}};
    specs.insert(specs.end(), extra_specs.begin(), extra_specs.end());
    return specs;
  }
  std::vector<Spec> extra_specs;
  Result<std::vector<Preview>> test(std::string_view text) const override {
    if (text.find("broken") != std::string_view::npos) {
      return error(ErrorCode::kInvalid, "mine.toml: boards.feed.url: required");
    }
    Preview ok;
    ok.board = "mine.feed";
    ok.name = "我的订阅";
    Item a;
    a.key = "1";
    a.title = "<b>标题</b>";
    a.url = "https://example.test/1";
    Item b;
    b.key = "2";
    b.title = "bad link";
    b.url = "javascript:alert(1)";
    ok.items = {a, b};
    Preview bad;
    bad.board = "mine.other";
    bad.error = error(ErrorCode::kHttp, "HTTP 503");
    return std::vector<Preview>{ok, bad};
  }
  Result<std::string> save(const std::string& name, std::string_view) override {
    saved.push_back(name);
    return dir() + "/" + name + ".toml";
  }
  std::vector<std::string> saved;
};

BoardMeta board(const std::string& id, std::chrono::seconds every) {
  BoardMeta m;
  m.id = id;
  m.site = id.substr(0, id.find('.'));
  m.name_zh = "热榜";
  m.name_en = "Hot";
  m.schedule.every = every;
  m.schedule.jitter = 0s;
  m.group = "cn";
  return m;
}

class AdminTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = std::filesystem::temp_directory_path() / ("mu_admin_test_" + random_token(9) + ".db");
    auto s = open_sqlite_store(path_.string());
    ASSERT_TRUE(s.ok()) << s.status().to_string();
    store_ = std::move(s).value();
    ASSERT_TRUE(store_->migrate().ok());
    boards_ = {board("weibo.hot", 600s), board("zhihu.hot", 300s)};
    Site weibo{"weibo", "微博", "Weibo", "https://weibo.test"};
    Site zhihu{"zhihu", "知乎", "Zhihu", "https://zhihu.test"};
    ASSERT_TRUE(store_->sync_catalogue({weibo, zhihu}, boards_).ok());

    collector_ = std::make_unique<ScriptedCollector>(clock_);
    Scheduler::Options so;
    so.seed = 7;
    scheduler_ =
        std::make_unique<Scheduler>(boards_, *collector_, *store_, coordinator_, clock_, so);
    control_ = std::make_unique<LocalSchedulerControl>(*scheduler_, *store_, clock_);

    AccountsOptions ao;
    ao.secure_cookies = false;
    ao.self_origin = "http://mu.test";
    accounts_ = std::make_unique<AccountsService>(*store_, login_states_, transport_, clock_, ao);
    admin_ = std::make_unique<AdminService>(
        boards_, std::set<std::string>{"zhihu.hot"}, *store_, *accounts_, *control_,
        [] {
          CollectorInfo c;
          c.id = "local";
          c.groups = {"cn", "global"};
          c.capacity = 4;
          return Result<std::vector<CollectorInfo>>(std::vector<CollectorInfo>{c});
        },
        &workbench_, clock_);
    accounts_->register_routes(router_);
    admin_->register_routes(router_);
    ASSERT_TRUE(router_.status().ok()) << router_.status().to_string();

    // The admin signs in through the one-time local link.
    const std::string link = accounts_->arm_local_admin_link();
    Response r = send(HttpMethod::kGet, "/auth/local?token=" + link);
    ASSERT_EQ(r.status, 302) << r.body_view();
    EXPECT_EQ(r.header("Location"), "/admin");
    const std::string cookie(r.header("Set-Cookie"));
    ASSERT_EQ(cookie.rfind("mu_session=", 0), 0u) << cookie;
    admin_token_ = cookie.substr(11, cookie.find(';') - 11);
    admin_csrf_ = csrf_of(admin_token_);

    // And a plain user with a session made directly in the store.
    auto user = store_->upsert_user("github", "42", "reader", "Reader", "", clock_.now_ms());
    ASSERT_TRUE(user.ok());
    user_token_ = new_session_token();
    ASSERT_TRUE(store_
                    ->create_session(session_id_of(user_token_), user->id, "user-csrf",
                                     clock_.now_ms(), clock_.now_ms() + 3'600'000, "test")
                    .ok());
  }

  void TearDown() override {
    admin_.reset();
    accounts_.reset();
    control_.reset();
    scheduler_.reset();
    store_.reset();
    std::error_code ec;
    for (const char* suffix : {"", "-wal", "-shm"})
      std::filesystem::remove(path_.string() + suffix, ec);
  }

  Response send(HttpMethod method, const std::string& target, const std::string& token = "",
                const std::string& csrf = "", const std::string& body = "") {
    Request r;
    r.method = method;
    r.method_token = std::string(http_method_name(method));
    EXPECT_TRUE(r.set_target(target).ok()) << target;
    if (!token.empty()) r.headers.set("Cookie", "mu_session=" + token);
    if (!csrf.empty()) r.headers.set("X-CSRF-Token", csrf);
    r.body = body;
    return router_.handle(r);
  }
  Response as_admin(HttpMethod method, const std::string& target, const std::string& body = "") {
    return send(method, target, admin_token_, method == HttpMethod::kGet ? "" : admin_csrf_, body);
  }
  std::string csrf_of(const std::string& token) {
    Response me = send(HttpMethod::kGet, "/api/v1/me", token);
    EXPECT_EQ(me.status, 200) << me.body_view();
    return std::string(json::parse(me.body_view()).at("csrf_token").as_string());
  }
  static json::value body(const Response& r) { return json::parse(r.body_view()); }

  json::object board_in_overview(const std::string& id) {
    Response r = as_admin(HttpMethod::kGet, "/api/v1/admin/overview");
    EXPECT_EQ(r.status, 200) << r.body_view();
    const json::value v = body(r);
    for (const auto& b : v.at("boards").as_array()) {
      if (b.at("id").as_string() == id) return b.as_object();
    }
    ADD_FAILURE() << "no board " << id;
    return {};
  }

  std::filesystem::path path_;
  std::unique_ptr<Store> store_;
  FakeClock clock_;
  LocalCoordinator coordinator_;
  NoTransport transport_;
  OAuthStateStore login_states_{clock_};  // no GitHub sign-ins here
  FakeWorkbench workbench_;
  std::vector<BoardMeta> boards_;
  std::unique_ptr<ScriptedCollector> collector_;
  std::unique_ptr<Scheduler> scheduler_;
  std::unique_ptr<LocalSchedulerControl> control_;
  std::unique_ptr<AccountsService> accounts_;
  std::unique_ptr<AdminService> admin_;
  Router router_;
  std::string admin_token_;
  std::string admin_csrf_;
  std::string user_token_;
};

TEST_F(AdminTest, EveryRouteNeedsAnAdminSession) {
  const std::vector<std::pair<HttpMethod, std::string>> routes = {
      {HttpMethod::kGet, "/api/v1/admin/overview"},
      {HttpMethod::kGet, "/api/v1/admin/schedule/preview?every=60s"},
      {HttpMethod::kPut, "/api/v1/admin/boards/weibo.hot"},
      {HttpMethod::kPost, "/api/v1/admin/boards/weibo.hot/run"},
      {HttpMethod::kGet, "/api/v1/admin/collectors"},
      {HttpMethod::kGet, "/api/v1/admin/sources"},
      {HttpMethod::kPost, "/api/v1/admin/sources/test"},
      {HttpMethod::kPut, "/api/v1/admin/sources/mine"},
      {HttpMethod::kGet, "/api/v1/admin/audit"},
      {HttpMethod::kGet, "/api/v1/admin/users"},
  };
  for (const auto& [method, target] : routes) {
    EXPECT_EQ(send(method, target).status, 401) << target;
    EXPECT_EQ(send(method, target, "not-a-session").status, 401) << target;
    EXPECT_EQ(send(method, target, user_token_, "user-csrf", "{}").status, 403) << target;
  }
  // A mutation without the CSRF token is refused even for an admin, and changes nothing.
  Response r = send(HttpMethod::kPut, "/api/v1/admin/boards/weibo.hot", admin_token_, "",
                    R"({"every":"90s"})");
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(std::string(body(r).at("error").at("code").as_string()), "csrf");
  EXPECT_TRUE(store_->board_overrides()->empty());
  EXPECT_EQ(
      send(HttpMethod::kPost, "/api/v1/admin/boards/weibo.hot/run", admin_token_, "wrong").status,
      403);
  EXPECT_TRUE(collector_->calls.empty());
}

TEST_F(AdminTest, ScheduleChangeAppliesLiveIsStoredAndAudited) {
  // The board runs once; its next run is then one interval (600 s) later.
  ASSERT_GE(scheduler_->tick(), 1);
  json::object before = board_in_overview("weibo.hot");
  EXPECT_EQ(before.at("schedule").at("every_s").as_int64(), 600);
  ASSERT_TRUE(before.at("next_due_ms").is_int64());
  const int64_t next_before = before.at("next_due_ms").as_int64();
  EXPECT_EQ(next_before, clock_.now_ms() + 600'000);

  clock_.advance(1s);
  Response r = as_admin(HttpMethod::kPut, "/api/v1/admin/boards/weibo.hot",
                        R"({"cron":"0 */2 * * *","tz":"UTC"})");
  ASSERT_EQ(r.status, 200) << r.body_view();
  EXPECT_EQ(body(r).at("version").as_int64(), 1);
  ASSERT_TRUE(body(r).at("next_due_ms").is_int64());
  const int64_t next_after = body(r).at("next_due_ms").as_int64();
  EXPECT_NE(next_after, next_before);
  EXPECT_EQ(next_after % (2 * 3600 * 1000), 0) << "a 2-hourly UTC cron slot: " << next_after;

  json::object after = board_in_overview("weibo.hot");
  EXPECT_EQ(std::string(after.at("schedule").at("cron").as_string()), "0 */2 * * *");
  EXPECT_EQ(after.at("next_due_ms").as_int64(), next_after);
  EXPECT_TRUE(after.at("overridden").as_bool());

  // Stored (survives a restart) and in the audit log with the admin's login.
  auto stored = store_->board_overrides();
  ASSERT_TRUE(stored.ok());
  ASSERT_EQ(stored->size(), 1u);
  EXPECT_NE((*stored)[0].json.find("0 */2 * * *"), std::string::npos);
  Response audit = as_admin(HttpMethod::kGet, "/api/v1/admin/audit?limit=5");
  ASSERT_EQ(audit.status, 200);
  const json::value entry_body = body(audit);
  const auto& entry = entry_body.at("entries").at(0);
  EXPECT_EQ(std::string(entry.at("action").as_string()), "board.update");
  EXPECT_EQ(std::string(entry.at("actor").as_string()), "local-admin");
  EXPECT_EQ(std::string(entry.at("target").as_string()), "weibo.hot");
  EXPECT_EQ(entry.at("detail").at("version").as_int64(), 1);

  // Disabling: no next run; enabling the config-disabled board gives it one.
  r = as_admin(HttpMethod::kPut, "/api/v1/admin/boards/weibo.hot", R"({"enabled":false})");
  ASSERT_EQ(r.status, 200) << r.body_view();
  EXPECT_TRUE(board_in_overview("weibo.hot").at("next_due_ms").is_null());
  EXPECT_FALSE(board_in_overview("weibo.hot").at("enabled").as_bool());
}

TEST_F(AdminTest, BadChangesAreRejectedWithAReason) {
  const std::vector<std::pair<std::string, std::string>> bad = {
      {R"({"every":"5s"})", "between 10s and 7d"},
      {R"({"every":"soon"})", "every"},
      {R"({"cron":"61 * * * *"})", "cron"},
      {R"({"cron":"* * * * *","every":"60s"})", "exclude"},
      {R"({"tz":"Mars/Olympus"})", "tz"},
      {R"({"enabled":"yes"})", "enabled"},
      {R"({"colour":"red"})", "unknown field"},
      {R"({})", "nothing to change"},
      {R"([1])", "JSON object"},
  };
  for (const auto& [text, why] : bad) {
    Response r = as_admin(HttpMethod::kPut, "/api/v1/admin/boards/weibo.hot", text);
    EXPECT_EQ(r.status, 400) << text;
    EXPECT_NE(std::string(r.body_view()).find(why), std::string::npos) << r.body_view();
  }
  EXPECT_EQ(
      as_admin(HttpMethod::kPut, "/api/v1/admin/boards/nope.board", R"({"every":"60s"})").status,
      404);
  EXPECT_TRUE(store_->board_overrides()->empty());
}

TEST_F(AdminTest, PreviewListsTheNextFiveTimes) {
  Response r = as_admin(
      HttpMethod::kGet,
      "/api/v1/admin/schedule/preview?board=weibo.hot&cron=30%209%20*%20*%20*&tz=Asia/Shanghai");
  ASSERT_EQ(r.status, 200) << r.body_view();
  const json::value next_body = body(r);
  const auto& next = next_body.at("next_ms").as_array();
  ASSERT_EQ(next.size(), 5u);
  int64_t prev = clock_.now_ms();
  for (const auto& t : next) {
    EXPECT_GT(t.as_int64(), prev);
    // 09:30 in Shanghai is 01:30 UTC.
    EXPECT_EQ((t.as_int64() / 1000) % 86400, 1 * 3600 + 30 * 60);
    prev = t.as_int64();
  }
  r = as_admin(HttpMethod::kGet, "/api/v1/admin/schedule/preview?every=15m&board=weibo.hot");
  ASSERT_EQ(r.status, 200) << r.body_view();
  const json::value every_body = body(r);
  const auto& every = every_body.at("next_ms").as_array();
  ASSERT_EQ(every.size(), 5u);
  for (std::size_t i = 1; i < every.size(); ++i) {
    EXPECT_EQ(every[i].as_int64() - every[i - 1].as_int64(), 15 * 60 * 1000);
  }
  EXPECT_EQ(as_admin(HttpMethod::kGet, "/api/v1/admin/schedule/preview?cron=nope").status, 400);
  EXPECT_EQ(as_admin(HttpMethod::kGet, "/api/v1/admin/schedule/preview").status, 400);
}

TEST_F(AdminTest, RunNowDispatchesThroughTheScheduler) {
  Response r = as_admin(HttpMethod::kPost, "/api/v1/admin/boards/weibo.hot/run");
  ASSERT_EQ(r.status, 202) << r.body_view();
  const std::string id(body(r).at("dispatch_id").as_string());
  EXPECT_EQ(id.rfind("weibo.hot@", 0), 0u) << id;
  EXPECT_GE(scheduler_->tick(), 1);
  bool ran = false;
  for (const auto& call : collector_->calls) ran = ran || call.id() == id;
  EXPECT_TRUE(ran) << "the manual dispatch reached the collector";
  EXPECT_EQ(as_admin(HttpMethod::kPost, "/api/v1/admin/boards/nope.x/run").status, 404);
  Response audit = as_admin(HttpMethod::kGet, "/api/v1/admin/audit?limit=1");
  EXPECT_EQ(std::string(body(audit).at("entries").at(0).at("action").as_string()), "board.run");
}

// Issue 17.10: a binary spec file came back raw, as invalid UTF-8 JSON. Whatever bytes a
// file name, text or error holds, the answer is valid UTF-8 JSON.
TEST_F(AdminTest, SourcesListIsValidUtf8WhateverTheFilesHold) {
  workbench_.extra_specs.push_back(
      {"bin\xFF", "title = \"\xC0\xAF\x80\"\n", {}, "bin\xFF.toml: not valid UTF-8 \xFE"});
  Response s = as_admin(HttpMethod::kGet, "/api/v1/admin/sources");
  ASSERT_EQ(s.status, 200);
  EXPECT_EQ(find_invalid_utf8(s.body_view()), std::nullopt) << s.body_view();
  const json::value parsed = body(s);  // still parses
  const auto& spec = parsed.at("specs").at(1);
  EXPECT_EQ(std::string(spec.at("name").as_string()), "bin\xEF\xBF\xBD");
  EXPECT_EQ(std::string(spec.at("text").as_string()),
            "title = \"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"\n");
}

TEST_F(AdminTest, CollectorsSourcesAndAudit) {
  Response c = as_admin(HttpMethod::kGet, "/api/v1/admin/collectors");
  ASSERT_EQ(c.status, 200);
  EXPECT_EQ(std::string(body(c).at("collectors").at(0).at("id").as_string()), "local");

  Response s = as_admin(HttpMethod::kGet, "/api/v1/admin/sources");
  ASSERT_EQ(s.status, 200);
  EXPECT_TRUE(body(s).at("writable").as_bool());
  EXPECT_EQ(std::string(body(s).at("specs").at(0).at("name").as_string()), "mine");

  Response t = as_admin(HttpMethod::kPost, "/api/v1/admin/sources/test", R"({"text":"x"})");
  ASSERT_EQ(t.status, 200) << t.body_view();
  const json::value boards_body = body(t);
  const auto& boards = boards_body.at("boards").as_array();
  ASSERT_EQ(boards.size(), 2u);
  EXPECT_EQ(std::string(boards[0].at("items").at(0).at("title").as_string()), "<b>标题</b>");
  EXPECT_EQ(std::string(boards[0].at("items").at(1).at("url").as_string()), "")
      << "a javascript: link never reaches the console";
  EXPECT_EQ(std::string(boards[1].at("error").at("code").as_string()), "http");
  Response broken =
      as_admin(HttpMethod::kPost, "/api/v1/admin/sources/test", R"({"text":"broken"})");
  EXPECT_EQ(broken.status, 400);
  EXPECT_NE(std::string(broken.body_view()).find("boards.feed.url"), std::string::npos);

  EXPECT_EQ(as_admin(HttpMethod::kPut, "/api/v1/admin/sources/Bad_Name", R"({"text":"x"})").status,
            400);
  Response saved = as_admin(HttpMethod::kPut, "/api/v1/admin/sources/mine", R"({"text":"x"})");
  ASSERT_EQ(saved.status, 200) << saved.body_view();
  EXPECT_TRUE(body(saved).at("restart_required").as_bool());
  EXPECT_EQ(workbench_.saved, std::vector<std::string>{"mine"});

  Response audit = as_admin(HttpMethod::kGet, "/api/v1/admin/audit?limit=2");
  ASSERT_EQ(audit.status, 200);
  const json::value entries_body = body(audit);
  const auto& entries = entries_body.at("entries").as_array();
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(std::string(entries[0].at("action").as_string()), "source.save");
  EXPECT_EQ(std::string(entries[1].at("action").as_string()), "local_admin_link");
  const int64_t older = entries[0].at("id").as_int64();
  Response page = as_admin(HttpMethod::kGet, "/api/v1/admin/audit?before=" + std::to_string(older));
  EXPECT_EQ(body(page).at("entries").at(0).at("id").as_int64(), entries[1].at("id").as_int64());
  EXPECT_EQ(as_admin(HttpMethod::kGet, "/api/v1/admin/audit?limit=0").status, 400);
}

// The fixture's admin signed in through the link: a link armed now neither shows nor works.
TEST_F(AdminTest, LocalAdminLinkDoesNothingOnceAnAdminExists) {
  const std::string link = accounts_->arm_local_admin_link();
  Response providers = send(HttpMethod::kGet, "/api/v1/auth/providers");
  EXPECT_FALSE(body(providers).at("local_admin").as_bool());
  EXPECT_FALSE(body(providers).at("github").as_bool());
  EXPECT_EQ(send(HttpMethod::kGet, "/auth/local?token=wrong").status, 404);
  EXPECT_EQ(send(HttpMethod::kGet, "/auth/local?token=" + link).status, 404);
  EXPECT_FALSE(body(send(HttpMethod::kGet, "/api/v1/auth/providers")).at("local_admin").as_bool());
  // Without a GitHub client id the GitHub login is off.
  EXPECT_EQ(send(HttpMethod::kGet, "/auth/github/login").status, 404);
}

TEST_F(AdminTest, OverviewFollowsAReloadedCatalogue) {
  EXPECT_EQ(board_in_overview("zhihu.hot").at("schedule").at("every_s").as_int64(), 300);
  std::vector<BoardMeta> reloaded = boards_;
  reloaded[1].schedule.every = 1200s;
  admin_->set_catalogue(reloaded, {});
  EXPECT_EQ(board_in_overview("zhihu.hot").at("schedule").at("every_s").as_int64(), 1200);
  // A stored override still wins over the file.
  ASSERT_EQ(
      as_admin(HttpMethod::kPut, "/api/v1/admin/boards/zhihu.hot", R"({"every":"45m"})").status,
      200);
  admin_->set_catalogue(reloaded, {});
  EXPECT_EQ(board_in_overview("zhihu.hot").at("schedule").at("every_s").as_int64(), 2700);
}

}  // namespace
}  // namespace mu
