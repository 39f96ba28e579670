// QuotaService on a real SQLite store, an in-memory LocalRateLimiter and a FakeClock:
// anonymous limits per address, API keys made, used, limited, counted and revoked.
#include "api/quota.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>

#include "api/accounts_testing.h"
#include "coord/local/local_rate_limiter.h"

namespace mu {
namespace {

namespace json = boost::json;
using std::chrono::seconds;

using accounts_testing::body_json;
using accounts_testing::SignedIn;
using Who = SignedIn;

class QuotaTest : public accounts_testing::AccountsFixture {
 protected:
  void SetUp() override {
    AccountsFixture::SetUp();
    build(QuotaOptions{});
  }

  void TearDown() override {
    quota_.reset();
    AccountsFixture::TearDown();
  }

  void build(QuotaOptions o) {
    router_ = std::make_unique<Router>();
    quota_ = std::make_unique<QuotaService>(*store_, *accounts_, limiter_, clock_, o);
    quota_->register_routes(*router_);
    ASSERT_TRUE(router_->status().ok());
  }

  Response call(Request r) { return router_->handle(r); }

  // A new key of `who`: its secret.
  std::string make_key(const Who& who, const std::string& name = "bot") {
    Response r = call(request(HttpMethod::kPost, "/api/v1/me/keys", &who,
                              json::serialize(json::object{{"name", name}})));
    EXPECT_EQ(r.status, 201) << r.body_view();
    if (r.status != 201) return "";
    return std::string(body_json(r).at("secret").as_string());
  }

  Request with_key(const std::string& secret, const std::string& target = "/api/v1/boards") {
    Request r = request(HttpMethod::kGet, target);
    r.headers.set("Authorization", "Bearer " + secret);
    return r;
  }

  static std::string header(const Admission& a, std::string_view name) {
    for (const auto& [n, v] : a.headers) {
      if (n == name) return v;
    }
    return "";
  }

  LocalRateLimiter limiter_{clock_};
  std::unique_ptr<Router> router_;
  std::unique_ptr<QuotaService> quota_;
};

TEST_F(QuotaTest, AnonymousRequestsAreLimitedPerClientAddress) {
  QuotaOptions o;
  o.anonymous = RateLimit{60, 3};
  build(o);
  for (int i = 0; i < 3; ++i) {
    const Admission a = quota_->admit(request(HttpMethod::kGet, "/api/v1/boards/weibo.hot"));
    EXPECT_FALSE(a.refuse) << i;
    EXPECT_EQ(header(a, "RateLimit-Limit"), "3");
    EXPECT_EQ(header(a, "RateLimit-Remaining"), std::to_string(2 - i));
    EXPECT_EQ(header(a, "RateLimit-Policy"), "3;w=3");
  }
  const Admission refused = quota_->admit(request(HttpMethod::kGet, "/feeds/boards/hn.top.rss"));
  ASSERT_TRUE(refused.refuse);
  EXPECT_EQ(refused.refuse->status, 429);
  EXPECT_EQ(refused.refuse->header("Retry-After"), "1");
  EXPECT_EQ(body_json(*refused.refuse).at("error").at("code").as_string(), "rate-limited");
  EXPECT_EQ(header(refused, "RateLimit-Remaining"), "0");
  // Health checks, the page and its files are never limited.
  for (const char* path : {"/healthz", "/readyz", "/", "/assets/app.js", "/metrics"}) {
    const Admission a = quota_->admit(request(HttpMethod::kGet, path));
    EXPECT_FALSE(a.refuse) << path;
    EXPECT_TRUE(a.headers.empty()) << path;
  }
  // Another address has its own bucket; an IPv6 client's whole /64 shares one.
  Request other = request(HttpMethod::kGet, "/mcp");
  other.remote_address = "2001:db8:1:2::1";
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(quota_->admit(other).refuse);
  other.remote_address = "2001:db8:1:2::ffff";
  EXPECT_TRUE(quota_->admit(other).refuse);
  // The address a trusted proxy reported (client_address) counts, not the proxy's.
  Request proxied = request(HttpMethod::kGet, "/api/v1/sites");
  proxied.client_address = "198.51.100.20";
  EXPECT_FALSE(quota_->admit(proxied).refuse);
  // A second later one more.
  clock_.advance(seconds(1));
  EXPECT_FALSE(quota_->admit(request(HttpMethod::kGet, "/api/v1/boards")).refuse);
  EXPECT_EQ(quota_->counters().refused, 2u);
}

TEST_F(QuotaTest, AKeyIsShownOnceUsedCountedAndRevoked) {
  const Who alice = sign_in("alice");
  const std::string secret = make_key(alice, "每日抓取 bot");
  ASSERT_EQ(secret.rfind("mu_", 0), 0u);
  EXPECT_GE(secret.size(), 40u);

  const Admission a = quota_->admit(with_key(secret));
  EXPECT_FALSE(a.refuse);
  EXPECT_EQ(header(a, "RateLimit-Limit"), std::to_string(QuotaOptions{}.key_default.burst));
  Request x_api_key = request(HttpMethod::kGet, "/api/v1/boards");
  x_api_key.headers.set("X-API-Key", secret);
  EXPECT_FALSE(quota_->admit(x_api_key).refuse);

  // The listing never shows the secret; it counts the requests not yet flushed.
  Response list = call(request(HttpMethod::kGet, "/api/v1/me/keys", &alice));
  ASSERT_EQ(list.status, 200);
  EXPECT_EQ(list.body_view().find(secret), std::string_view::npos);
  EXPECT_EQ(list.body_view().find(sha256_hex(secret)), std::string_view::npos);
  json::value keys = body_json(list);
  ASSERT_EQ(keys.at("keys").as_array().size(), 1u);
  const json::value& key = keys.at("keys").at(0);
  EXPECT_EQ(key.at("name").as_string(), "每日抓取 bot");
  EXPECT_EQ(key.at("requests").as_int64(), 2);
  EXPECT_EQ(key.at("prefix").as_string(), secret.substr(0, 10));
  EXPECT_FALSE(key.at("revoked").as_bool());
  const std::string id(key.at("id").as_string());

  ASSERT_TRUE(quota_->flush_usage().ok());
  auto stored = store_->api_key_by_hash(sha256_hex(secret));
  ASSERT_TRUE(stored.ok() && stored->has_value());
  EXPECT_EQ((*stored)->requests, 2);
  EXPECT_EQ((*stored)->last_used_ms, clock_.now_ms());

  // Another user cannot revoke it; its owner can, and it stops working at once.
  const Who bob = sign_in("bob");
  EXPECT_EQ(call(request(HttpMethod::kDelete, "/api/v1/me/keys/" + id, &bob)).status, 404);
  EXPECT_EQ(call(request(HttpMethod::kDelete, "/api/v1/me/keys/" + id, &alice)).status, 204);
  const Admission revoked = quota_->admit(with_key(secret));
  ASSERT_TRUE(revoked.refuse);
  EXPECT_EQ(revoked.refuse->status, 401);
  EXPECT_EQ(body_json(*revoked.refuse).at("error").at("code").as_string(), "invalid-key");
  EXPECT_EQ(revoked.refuse->header("WWW-Authenticate"), "Bearer error=\"invalid_token\"");
  EXPECT_EQ(call(request(HttpMethod::kDelete, "/api/v1/me/keys/" + id, &alice)).status, 404);
}

TEST_F(QuotaTest, ARevokedKeyStopsOnOtherInstancesWithinTheCacheTime) {
  const Who alice = sign_in("alice");
  const std::string secret = make_key(alice);
  EXPECT_FALSE(quota_->admit(with_key(secret)).refuse);  // cached here
  // Revoked elsewhere (another API instance): straight in the store.
  auto keys = store_->api_keys(0);
  ASSERT_TRUE(keys.ok() && keys->size() == 1u);
  ASSERT_TRUE(store_->revoke_api_key(keys->front().id, 0, clock_.now_ms()).ok());
  EXPECT_FALSE(quota_->admit(with_key(secret)).refuse);
  clock_.advance(QuotaOptions{}.key_cache_ttl);
  const Admission after = quota_->admit(with_key(secret));
  ASSERT_TRUE(after.refuse);
  EXPECT_EQ(after.refuse->status, 401);
}

TEST_F(QuotaTest, GuessingKeysCostsTheAddressItsAnonymousTokens) {
  QuotaOptions o;
  o.anonymous = RateLimit{60, 3};
  build(o);
  for (int i = 0; i < 3; ++i) {
    const Admission a = quota_->admit(with_key("mu_guess" + std::to_string(i)));
    ASSERT_TRUE(a.refuse);
    EXPECT_EQ(a.refuse->status, 401);
  }
  const Admission a = quota_->admit(with_key("mu_guess-more"));
  ASSERT_TRUE(a.refuse);
  EXPECT_EQ(a.refuse->status, 429);
  EXPECT_EQ(quota_->counters().invalid_keys, 3u);
}

TEST_F(QuotaTest, AnAdminSetsAKeysOwnLimit) {
  const Who alice = sign_in("alice");
  const Who boss = sign_in("boss", /*admin=*/true);
  const std::string secret = make_key(alice);
  Response all = call(request(HttpMethod::kGet, "/api/v1/admin/keys", &boss));
  ASSERT_EQ(all.status, 200) << all.body_view();
  const json::value key = body_json(all).at("keys").at(0);
  EXPECT_EQ(key.at("login").as_string(), "alice");
  const std::string id(key.at("id").as_string());
  EXPECT_EQ(call(request(HttpMethod::kGet, "/api/v1/admin/keys", &alice)).status, 403);
  EXPECT_EQ(call(request(HttpMethod::kPatch, "/api/v1/admin/keys/" + id, &alice,
                         R"({"per_minute":60,"burst":2})"))
                .status,
            403);
  for (const char* bad :
       {R"({"per_minute":-1})", R"({"burst":"many"})", R"({"burst":1.5})", "[]"}) {
    EXPECT_EQ(call(request(HttpMethod::kPatch, "/api/v1/admin/keys/" + id, &boss, bad)).status, 400)
        << bad;
  }
  EXPECT_EQ(call(request(HttpMethod::kPatch, "/api/v1/admin/keys/k_nope", &boss,
                         R"({"per_minute":60,"burst":2})"))
                .status,
            404);
  Response set = call(request(HttpMethod::kPatch, "/api/v1/admin/keys/" + id, &boss,
                              R"({"per_minute":60,"burst":2})"));
  ASSERT_EQ(set.status, 200) << set.body_view();
  EXPECT_EQ(body_json(set).at("burst").as_int64(), 2);
  EXPECT_FALSE(quota_->admit(with_key(secret)).refuse);
  EXPECT_FALSE(quota_->admit(with_key(secret)).refuse);
  const Admission over = quota_->admit(with_key(secret));
  ASSERT_TRUE(over.refuse);
  EXPECT_EQ(over.refuse->status, 429);
  EXPECT_EQ(over.refuse->header("Retry-After"), "1");
  // Audited; an admin revokes anyone's key.
  auto audit = store_->audit_log(10, 0);
  ASSERT_TRUE(audit.ok());
  ASSERT_FALSE(audit->empty());
  EXPECT_EQ(audit->front().action, "api_key.limits");
  EXPECT_EQ(call(request(HttpMethod::kDelete, "/api/v1/admin/keys/" + id, &boss)).status, 204);
  EXPECT_EQ(quota_->admit(with_key(secret)).refuse->status, 401);
}

TEST_F(QuotaTest, CreatingKeysNeedsASessionCsrfAndStaysUnderTheCap) {
  QuotaOptions o;
  o.max_keys_per_user = 2;
  build(o);
  EXPECT_EQ(call(request(HttpMethod::kPost, "/api/v1/me/keys", nullptr, "{}")).status, 401);
  const Who alice = sign_in("alice");
  Request no_csrf = request(HttpMethod::kPost, "/api/v1/me/keys", &alice, "{}");
  no_csrf.headers.remove("X-CSRF-Token");
  EXPECT_EQ(call(no_csrf).status, 403);
  for (const std::string& bad :
       std::vector<std::string>{R"({"name":7})", R"({"name":"a\u0007b"})", R"({"name":"a\u0085b"})",
                                "nope", "{\"name\":\"" + std::string(101, 'x') + "\"}"}) {
    EXPECT_EQ(call(request(HttpMethod::kPost, "/api/v1/me/keys", &alice, bad)).status, 400) << bad;
  }
  make_key(alice, "");
  clock_.advance(seconds(1));  // newest first: the unnamed key is listed second
  make_key(alice, "two");
  Response third = call(request(HttpMethod::kPost, "/api/v1/me/keys", &alice, "{}"));
  EXPECT_EQ(third.status, 409);
  json::value listed = body_json(call(request(HttpMethod::kGet, "/api/v1/me/keys", &alice)));
  EXPECT_EQ(listed.at("keys").as_array().size(), 2u);
  EXPECT_EQ(listed.at("keys").at(1).at("name").as_string(), "API key");
  EXPECT_EQ(listed.at("max_keys").as_int64(), 2);
}

}  // namespace
}  // namespace mu

namespace mu {
namespace {

TEST_F(QuotaTest, McpCanRequireAKey) {
  QuotaOptions o;
  o.mcp_requires_key = true;
  build(o);
  const Admission anonymous = quota_->admit(request(HttpMethod::kPost, "/mcp"));
  ASSERT_TRUE(anonymous.refuse);
  EXPECT_EQ(anonymous.refuse->status, 401);
  EXPECT_EQ(anonymous.refuse->header("WWW-Authenticate"), "Bearer");
  EXPECT_EQ(body_json(*anonymous.refuse).at("error").at("code").as_string(), "key-required");
  // The rest of the API stays open.
  EXPECT_FALSE(quota_->admit(request(HttpMethod::kGet, "/api/v1/boards")).refuse);
  const Who alice = sign_in("alice");
  const std::string secret = make_key(alice);
  EXPECT_FALSE(quota_->admit(with_key(secret, "/mcp")).refuse);
}

}  // namespace
}  // namespace mu
