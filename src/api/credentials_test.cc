// CredentialsService on a real SQLite store: cookies and proxies checked, sealed, never
// answered or audited in clear, admin only.
#include "api/credentials.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>

#include "api/accounts_testing.h"

namespace mu {
namespace {

namespace json = boost::json;

using accounts_testing::body_json;
using accounts_testing::SignedIn;

class CredentialsTest : public accounts_testing::AccountsFixture {
 protected:
  void SetUp() override {
    AccountsFixture::SetUp();
    ASSERT_TRUE(store_->sync_catalogue(sites_, boards_).ok());
    auto box = SecretBox::from_text(SecretBox::generate_key_text());
    ASSERT_TRUE(box.ok());
    box_ = std::make_unique<SecretBox>(std::move(box).value());
    build(box_.get());
  }
  void TearDown() override {
    service_.reset();
    AccountsFixture::TearDown();
  }

  void build(const SecretBox* box) {
    router_ = std::make_unique<Router>();
    service_ = std::make_unique<CredentialsService>(
        sites_, boards_, *store_, *store_, *accounts_, box, "set storage.secrets_key", clock_,
        [this] { ++changes_; },
        [this](const std::string& board) -> Result<BoardTest> {
          tested_.push_back(board);
          return next_test_;
        });
    service_->register_routes(*router_);
    ASSERT_TRUE(router_->status().ok());
  }

  Response call(HttpMethod method, const std::string& target, const SignedIn& who,
                std::string body = "") {
    Request r = request(method, target, &who, std::move(body));
    return router_->handle(r);
  }
  Response put(const std::string& name, const std::string& value, const SignedIn& who) {
    return call(HttpMethod::kPut, "/api/v1/admin/credentials/" + name, who,
                json::serialize(json::object{{"value", value}}));
  }

  std::vector<Site> sites_ = {Site{"zhihu", "知乎", "Zhihu", "https://www.zhihu.com"},
                              Site{"weibo", "微博", "Weibo", "https://weibo.com"}};
  std::vector<BoardMeta> boards_ = [] {
    BoardMeta z;
    z.id = "zhihu.hot";
    z.site = "zhihu";
    z.needs_cookie = true;
    BoardMeta w;
    w.id = "weibo.hot-search";
    w.site = "weibo";
    return std::vector<BoardMeta>{z, w};
  }();
  std::unique_ptr<SecretBox> box_;
  std::unique_ptr<Router> router_;
  std::unique_ptr<CredentialsService> service_;
  int changes_ = 0;
  std::vector<std::string> tested_;
  BoardTest next_test_;
};

TEST_F(CredentialsTest, ACookieIsSealedInTheStoreAndNeverAnswered) {
  const auto boss = sign_in("boss", true);
  const std::string cookie = "z_c0=2|1:0|10:1765|4:z_c0|92:Mi4xSEc; d_c0=AJCa\"x\"";
  Response r = put("zhihu.cookie", cookie, boss);
  ASSERT_EQ(r.status, 200) << r.body_view();
  EXPECT_EQ(changes_, 1);
  EXPECT_EQ(r.body_view().find("Mi4xSEc"), std::string_view::npos);
  const json::value got = body_json(r);
  EXPECT_EQ(got.at("summary").as_string(), "z_c0, d_c0");
  EXPECT_EQ(got.at("kind").as_string(), "cookie");
  EXPECT_EQ(got.at("target").as_string(), "zhihu");
  EXPECT_EQ(got.at("updated_by").as_string(), "boss");

  // The store holds it sealed; it opens with the key, for this name only.
  auto stored = store_->credentials();
  ASSERT_TRUE(stored.ok());
  ASSERT_EQ(stored->size(), 1u);
  EXPECT_EQ(stored->front().sealed.find("z_c0"), std::string::npos);
  auto opened = box_->open("zhihu.cookie", stored->front().sealed);
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(*opened, cookie);

  Response list = call(HttpMethod::kGet, "/api/v1/admin/credentials", boss);
  ASSERT_EQ(list.status, 200);
  EXPECT_EQ(list.body_view().find("Mi4xSEc"), std::string_view::npos);
  const json::value all = body_json(list);
  EXPECT_TRUE(all.at("enabled").as_bool());
  EXPECT_EQ(all.at("cookie_sites").at(0).as_string(), "zhihu");
  EXPECT_EQ(all.at("credentials").at(0).at("name").as_string(), "zhihu.cookie");

  // The audit log names it, never its value.
  auto audit = store_->audit_log(5, 0);
  ASSERT_TRUE(audit.ok());
  ASSERT_FALSE(audit->empty());
  EXPECT_EQ(audit->front().action, "credential.set");
  EXPECT_EQ(audit->front().target, "zhihu.cookie");
  EXPECT_EQ(audit->front().detail.find("z_c0"), std::string::npos);

  EXPECT_EQ(call(HttpMethod::kDelete, "/api/v1/admin/credentials/zhihu.cookie", boss).status, 204);
  EXPECT_EQ(call(HttpMethod::kDelete, "/api/v1/admin/credentials/zhihu.cookie", boss).status, 404);
  EXPECT_EQ(changes_, 2);
}

TEST_F(CredentialsTest, BadCookiesProxiesAndNamesAreRefused) {
  const auto boss = sign_in("boss", true);
  for (const std::string& bad : std::vector<std::string>{
           std::string("a=1\r\nX-Evil: 1"), std::string("a=1\nb=2"), std::string("no pair here"),
           std::string(""), std::string("=v"), std::string("a b=1"), std::string(9000, 'x') + "=1",
           std::string("a=\x01")}) {
    Response r = put("zhihu.cookie", bad, boss);
    EXPECT_EQ(r.status, 400) << bad;
  }
  // A semicolon separates pairs: fine.
  EXPECT_EQ(put("zhihu.cookie", "a=1;b=2; c=x;y=", boss).status, 200);
  for (const std::string& bad : std::vector<std::string>{
           std::string("ftp://p:21"), std::string("proxy.example:3128"), std::string("http://"),
           std::string("http://a b:1"), std::string("http://p:1\r\n")}) {
    EXPECT_EQ(put("weibo.proxy", bad, boss).status, 400) << bad;
  }
  Response ok = put("weibo.hot-search.proxy", "socks5h://user:pw@10.0.0.9:1080", boss);
  ASSERT_EQ(ok.status, 200) << ok.body_view();
  EXPECT_EQ(body_json(ok).at("summary").as_string(), "socks5h://10.0.0.9:1080");  // no password
  EXPECT_EQ(ok.body_view().find("pw"), std::string_view::npos);
  for (const char* name : {"nope.cookie", "nope.board.proxy", "zhihu.token", "zhihu"}) {
    EXPECT_EQ(put(name, "a=1", boss).status, 400) << name;
  }
  EXPECT_EQ(call(HttpMethod::kPut, "/api/v1/admin/credentials/zhihu.cookie", boss, "[]").status,
            400);
  EXPECT_EQ(call(HttpMethod::kPut, "/api/v1/admin/credentials/zhihu.cookie", boss, R"({"value":1})")
                .status,
            400);
}

TEST_F(CredentialsTest, OnlyAdminsAndOnlyWithAKey) {
  const auto alice = sign_in("alice", false);
  EXPECT_EQ(call(HttpMethod::kGet, "/api/v1/admin/credentials", alice).status, 403);
  EXPECT_EQ(put("zhihu.cookie", "a=1", alice).status, 403);
  build(nullptr);
  const auto boss = sign_in("boss", true);
  Response r = put("zhihu.cookie", "a=1", boss);
  EXPECT_EQ(r.status, 503);
  Response list = call(HttpMethod::kGet, "/api/v1/admin/credentials", boss);
  ASSERT_EQ(list.status, 200);
  EXPECT_FALSE(body_json(list).at("enabled").as_bool());
  EXPECT_EQ(body_json(list).at("reason").as_string(), "set storage.secrets_key");
}

TEST_F(CredentialsTest, TestNowShowsTheRawStatusItemsOrTheClassifiedError) {
  const auto boss = sign_in("boss", true);
  Item a;
  a.key = "1";
  a.title = "<b>知乎</b> 热榜第一";
  a.url = "https://www.zhihu.com/question/1";
  next_test_.http_status = 200;
  next_test_.bytes = 5120;
  next_test_.items = {a};
  next_test_.with_cookie = true;
  Response ok = call(HttpMethod::kPost, "/api/v1/admin/boards/zhihu.hot/test", boss);
  ASSERT_EQ(ok.status, 200) << ok.body_view();
  json::value v = body_json(ok);
  EXPECT_TRUE(v.at("ok").as_bool());
  EXPECT_EQ(v.at("http_status").as_int64(), 200);
  EXPECT_EQ(v.at("item_count").as_int64(), 1);
  EXPECT_EQ(v.at("items").at(0).at("title").as_string(), "<b>知乎</b> 热榜第一");
  EXPECT_TRUE(v.at("with_cookie").as_bool());
  EXPECT_TRUE(v.at("error").is_null());

  next_test_ = BoardTest{};
  next_test_.status =
      error(ErrorCode::kHttp, "zhihu.hot: HTTP 401 from https://www.zhihu.com/api").with_http(401);
  next_test_.http_status = 401;
  Response failed = call(HttpMethod::kPost, "/api/v1/admin/boards/zhihu.hot/test", boss);
  ASSERT_EQ(failed.status, 200);
  v = body_json(failed);
  EXPECT_FALSE(v.at("ok").as_bool());
  EXPECT_EQ(v.at("http_status").as_int64(), 401);
  EXPECT_EQ(v.at("error").at("class").as_string(), "needs-cookie");
  EXPECT_FALSE(v.at("error").at("hint").as_string().empty());
  EXPECT_EQ(tested_, (std::vector<std::string>{"zhihu.hot", "zhihu.hot"}));

  EXPECT_EQ(call(HttpMethod::kPost, "/api/v1/admin/boards/nope.nope/test", boss).status, 404);
  const auto alice = sign_in("alice", false);
  EXPECT_EQ(call(HttpMethod::kPost, "/api/v1/admin/boards/zhihu.hot/test", alice).status, 403);
  EXPECT_EQ(tested_.size(), 2u);
}

}  // namespace
}  // namespace mu
