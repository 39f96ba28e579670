#include "api/accounts.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <chrono>
#include <filesystem>
#include <memory>
#include <sstream>
#include <string>

#include "api/store_login_states.h"
#include "auth/crypto.h"
#include "auth/session.h"
#include "auth/testing/mock_github.h"
#include "auth/url_util.h"
#include "fetch/curl_transport.h"
#include "store/sqlite/sqlite_store.h"

namespace mu {
namespace {
namespace json = boost::json;
using namespace std::chrono_literals;

const std::string kSelf = "https://mu.example";
const std::string kRedirect = kSelf + "/auth/github/callback";
const std::string kFriend = "https://friend.example";

std::unique_ptr<CurlTransport> loopback_transport() {
  CurlTransport::Options options;
  options.allow_private_networks = true;
  auto t = CurlTransport::create(options);
  EXPECT_TRUE(t.ok()) << t.status().to_string();
  return std::move(t).value();
}

FormFields query_of(std::string_view url) {
  const std::size_t q = url.find('?');
  return q == std::string::npos ? FormFields{} : parse_form(url.substr(q + 1));
}

json::value body_json(const Response& r) {
  boost::system::error_code ec;
  json::value v = json::parse(r.body_view(), ec);
  EXPECT_FALSE(ec) << r.body_view();
  return v;
}

std::string error_code_of(const Response& r) {
  json::value v = body_json(r);
  if (!v.is_object() || !v.as_object().contains("error")) return "";
  return std::string(v.at("error").at("code").as_string());
}

struct Call {
  HttpMethod method = HttpMethod::kGet;
  std::string target;
  std::string token;  // session cookie value; "" sends no cookie
  std::string csrf;   // X-CSRF-Token
  std::string origin;
  std::string body;
  std::string state_cookie;  // mu_oauth_state value; "" sends none
};

// Counts the logins recorded through it (the service's LoginStates in these tests).
class CountingLoginStates final : public LoginStates {
 public:
  explicit CountingLoginStates(LoginStates& inner) : inner_(inner) {}
  Result<std::string> put(std::string code_verifier, std::string return_to,
                          std::string_view client) override {
    auto state = inner_.put(std::move(code_verifier), std::move(return_to), client);
    if (state.ok()) ++recorded;
    return state;
  }
  Result<PendingLogin> take(std::string_view state) override { return inner_.take(state); }
  int recorded = 0;

 private:
  LoginStates& inner_;
};

// A LoginStates whose records cannot be reached (the database is down).
class DownLoginStates final : public LoginStates {
 public:
  Result<std::string> put(std::string, std::string, std::string_view) override {
    return error(ErrorCode::kUnavailable, "database is locked");
  }
  Result<PendingLogin> take(std::string_view) override {
    return error(ErrorCode::kUnavailable, "database is locked");
  }
};

class AccountsTest : public ::testing::Test {
 protected:
  AccountsTest()
      : mock_(MockGithub::Options{
            .redirect_uri = kRedirect,
            .users = {{1, "octocat", "The Octocat", "https://example.test/octocat.png"},
                      {2, "boss", "Big Boss", "https://example.test/boss.png"},
                      {3, "hubot", "", "https://example.test/hubot.png"}}}) {}

  void SetUp() override {
    path_ = std::filesystem::temp_directory_path() /
            ("mu_accounts_test_" + random_token(9) + ".sqlite");
    auto s = open_sqlite_store(path_.string());
    ASSERT_TRUE(s.ok()) << s.status().to_string();
    store_ = std::move(s).value();
    ASSERT_TRUE(store_->migrate().ok());
    // As in `mu serve` / `mu api`: sign-ins in progress live in the store.
    store_states_ = std::make_unique<StoreLoginStates>(*store_, clock_);
    login_states_ = std::make_unique<CountingLoginStates>(*store_states_);
    transport_ = loopback_transport();
    build(/*secure=*/true);
  }

  void TearDown() override {
    service_.reset();
    router_.reset();
    login_states_.reset();
    store_states_.reset();
    store_.reset();
    std::error_code ec;
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
      std::filesystem::remove(path_.string() + suffix, ec);
    }
  }

  AccountsOptions options(bool secure) const {
    AccountsOptions o;
    o.github = GithubOAuth::Options{.client_id = "mock-client-id",
                                    .client_secret = "mock-client-secret",
                                    .authorize_url = mock_.authorize_url(),
                                    .token_url = mock_.token_url(),
                                    .api_url = mock_.api_url(),
                                    .redirect_uri = kRedirect,
                                    .timeout = 5s};
    o.admins = {"boss"};
    o.secure_cookies = secure;
    o.allowed_origins = {kFriend};
    o.self_origin = kSelf;
    return o;
  }

  void build(bool secure) {
    service_.reset();
    router_ = std::make_unique<Router>();
    service_ = std::make_unique<AccountsService>(*store_, *login_states_, *transport_, clock_,
                                                 options(secure));
    service_->register_routes(*router_);
    ASSERT_TRUE(router_->status().ok()) << router_->status().to_string();
  }

  static Request request_of(const Call& c) {
    Request r;
    r.method = c.method;
    r.method_token = std::string(http_method_name(c.method));
    EXPECT_TRUE(r.set_target(c.target).ok()) << c.target;
    std::string cookie = "theme=dark";
    if (!c.token.empty()) cookie += "; mu_session=" + c.token;
    if (!c.state_cookie.empty()) cookie += "; mu_oauth_state=" + c.state_cookie;
    r.headers.set("Cookie", cookie);
    if (!c.csrf.empty()) r.headers.set("X-CSRF-Token", c.csrf);
    if (!c.origin.empty()) r.headers.set("Origin", c.origin);
    r.headers.set("User-Agent", "accounts-test");
    r.body = c.body;
    return r;
  }
  static Response send_to(Router& router, const Call& c) {
    Request r = request_of(c);
    return router.handle(r);
  }
  Response send(const Call& c) { return send_to(*router_, c); }
  Response get(const std::string& target, const std::string& token = "") {
    return send({.method = HttpMethod::kGet, .target = target, .token = token});
  }

  // Starts a login as `login` and plays the browser at GitHub: returns the query string
  // ("?code=..&state=..") GitHub sends the browser back with.
  std::string authorize(const std::string& login, const std::string& return_to = "/") {
    EXPECT_TRUE(mock_.sign_in_as(login));
    Response start = get("/auth/github/login?return_to=" + url_encode_component(return_to));
    EXPECT_EQ(start.status, 302) << start.body_view();
    // The browser keeps the state cookie for the callback.
    state_cookie_ = parse_cookie(start.header("Set-Cookie"), kOAuthStateCookieName).value_or("");
    HttpRequest visit;
    visit.url = std::string(start.header("Location"));
    visit.max_redirects = 0;
    auto gh = transport_->fetch(visit);
    EXPECT_TRUE(gh.ok()) << gh.status().to_string();
    if (!gh.ok()) return "";
    EXPECT_EQ(gh->status, 302) << gh->body;
    const std::string location(gh->header("Location"));
    EXPECT_EQ(location.rfind(kRedirect + "?", 0), 0u) << location;
    return location.substr(location.find('?'));
  }

  // The browser coming back from GitHub (with the state cookie its login set).
  Response callback(const std::string& query) {
    return send({.method = HttpMethod::kGet,
                 .target = "/auth/github/callback" + query,
                 .state_cookie = state_cookie_});
  }

  // A full sign-in; returns the session token from the cookie.
  std::string sign_in(const std::string& login) {
    Response r = callback(authorize(login));
    EXPECT_EQ(r.status, 302) << r.body_view();
    std::optional<std::string> token = parse_cookie(r.header("Set-Cookie"), kSessionCookieName);
    EXPECT_TRUE(token.has_value());
    return token.value_or("");
  }

  std::string csrf_of(const std::string& token) {
    Response me = get("/api/v1/me", token);
    EXPECT_EQ(me.status, 200) << me.body_view();
    if (me.status != 200) return "";
    return std::string(body_json(me).at("csrf_token").as_string());
  }

  MockGithub mock_;
  std::string state_cookie_;  // the mu_oauth_state cookie of the last login started
  FakeClock clock_;
  std::filesystem::path path_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<StoreLoginStates> store_states_;
  std::unique_ptr<CountingLoginStates> login_states_;
  std::unique_ptr<CurlTransport> transport_;
  std::unique_ptr<Router> router_;
  std::unique_ptr<AccountsService> service_;
};

TEST_F(AccountsTest, LoginRedirectsToGithubWithStateAndPkce) {
  Response r = get("/auth/github/login?return_to=%2Fboards%2Fweibo");
  ASSERT_EQ(r.status, 302);
  const std::string location(r.header("Location"));
  EXPECT_EQ(location.rfind(mock_.authorize_url() + "?", 0), 0u) << location;
  const FormFields q = query_of(location);
  EXPECT_EQ(form_value(q, "client_id"), "mock-client-id");
  EXPECT_EQ(form_value(q, "redirect_uri"), kRedirect);
  EXPECT_EQ(form_value(q, "code_challenge_method"), "S256");
  EXPECT_EQ(form_value(q, "code_challenge").value_or("").size(), 43u);
  EXPECT_EQ(form_value(q, "state").value_or("").size(), 43u);
  EXPECT_EQ(location.find("mock-client-secret"), std::string::npos);
  EXPECT_EQ(r.header("Cache-Control"), "no-store");
  // The state is recorded (in the store) with the return_to, once.
  EXPECT_EQ(login_states_->recorded, 1);
  auto pending = login_states_->take(form_value(q, "state").value_or(""));
  ASSERT_TRUE(pending.ok()) << pending.status().to_string();
  EXPECT_EQ(pending->return_to, "/boards/weibo");
  EXPECT_EQ(login_states_->take(form_value(q, "state").value_or("")).code(), ErrorCode::kInvalid);
}

TEST_F(AccountsTest, LoginRejectsUnsafeReturnTo) {
  for (const char* bad : {"https%3A%2F%2Fevil.example%2F", "%2F%2Fevil.example", "javascript:x",
                          "%2F%5Cevil.example"}) {
    Response r = get(std::string("/auth/github/login?return_to=") + bad);
    EXPECT_EQ(r.status, 400) << bad;
  }
  EXPECT_EQ(login_states_->recorded, 0);
}

// Issue 17 item 3: every start of "sign in with GitHub" wrote a row with a return_to of up to
// 2,000 bytes, kept 10 minutes, without a cap: 20,000 anonymous starts grew the database from
// 2 MB to 89 MB. The return_to is bounded and the pending sign-ins are capped per client and
// in all, the oldest evicted.
TEST_F(AccountsTest, LoginFloodKeepsAtMostTheCapOfPendingSignIns) {
  StoreLoginStates capped(*store_, clock_, {.max_per_client = 20, .max_total = 100});
  login_states_ = std::make_unique<CountingLoginStates>(capped);
  build(/*secure=*/true);
  const std::string long_path = "/" + std::string(2000, 'a');
  for (int i = 0; i < 5000; ++i) {
    Request r = request_of({.target = "/auth/github/login?return_to=" + long_path});
    r.remote_address = "203.0.113." + std::to_string(i % 10);
    Response answer = router_->handle(r);
    ASSERT_EQ(answer.status, 302) << answer.body_view();
  }
  auto count = store_->count_login_states();
  ASSERT_TRUE(count.ok()) << count.status().to_string();
  EXPECT_LE(*count, 100);
  EXPECT_EQ(*count, 100);  // 10 clients x 20 would be 200: the total cap holds
  login_states_ = std::make_unique<CountingLoginStates>(*store_states_);
  build(/*secure=*/true);
}

TEST_F(AccountsTest, LongReturnToSignsInToTheHomePage) {
  Response r = callback(authorize("octocat", "/" + std::string(kMaxReturnToBytes, 'a')));
  ASSERT_EQ(r.status, 302) << r.body_view();
  EXPECT_EQ(r.header("Location"), "/");
  const std::string longest = "/" + std::string(kMaxReturnToBytes - 1, 'b');
  Response kept = callback(authorize("octocat", longest));
  ASSERT_EQ(kept.status, 302) << kept.body_view();
  EXPECT_EQ(kept.header("Location"), longest);
}

TEST_F(AccountsTest, FullLoginSetsExactCookieAndMeWorks) {
  Response r = callback(authorize("octocat", "/boards/weibo"));
  ASSERT_EQ(r.status, 302) << r.body_view();
  EXPECT_EQ(r.header("Location"), "/boards/weibo");
  const std::string set_cookie(r.header("Set-Cookie"));
  const std::string token = parse_cookie(set_cookie, kSessionCookieName).value_or("");
  ASSERT_EQ(token.size(), 43u);
  EXPECT_EQ(set_cookie,
            "mu_session=" + token + "; Path=/; HttpOnly; SameSite=Lax; Max-Age=2592000; Secure");
  EXPECT_EQ(mock_.tokens_issued(), 1);
  EXPECT_EQ(mock_.outstanding_codes(), 0);

  // Only the hash of the token is stored.
  auto by_hash = store_->session(session_id_of(token), clock_.now_ms());
  ASSERT_TRUE(by_hash.ok());
  ASSERT_TRUE(by_hash->has_value());
  EXPECT_EQ((*by_hash)->expires_ms, clock_.now_ms() + 30LL * 24 * 3600 * 1000);
  EXPECT_EQ((*by_hash)->user_agent, "accounts-test");
  auto by_token = store_->session(token, clock_.now_ms());
  ASSERT_TRUE(by_token.ok());
  EXPECT_FALSE(by_token->has_value());

  Response me = get("/api/v1/me", token);
  ASSERT_EQ(me.status, 200) << me.body_view();
  json::value v = body_json(me);
  EXPECT_EQ(v.at("login").as_string(), "octocat");
  EXPECT_EQ(v.at("name").as_string(), "The Octocat");
  EXPECT_EQ(v.at("avatar_url").as_string(), "https://example.test/octocat.png");
  EXPECT_EQ(v.at("role").as_string(), "user");
  EXPECT_EQ(v.at("csrf_token").as_string(), (*by_hash)->csrf_token);
  EXPECT_EQ(v.at("csrf_token").as_string().size(), 43u);
  EXPECT_EQ(me.header("Cache-Control"), "no-store");

  auto user = store_->user_by_login("octocat");
  ASSERT_TRUE(user.ok() && user->has_value());
  EXPECT_EQ((*user)->provider, "github");
  EXPECT_EQ((*user)->provider_id, "1");
}

TEST_F(AccountsTest, CookieWithoutSecureWhenNotConfigured) {
  build(/*secure=*/false);
  Response r = callback(authorize("octocat"));
  ASSERT_EQ(r.status, 302) << r.body_view();
  const std::string set_cookie(r.header("Set-Cookie"));
  const std::string token = parse_cookie(set_cookie, kSessionCookieName).value_or("");
  EXPECT_EQ(set_cookie,
            "mu_session=" + token + "; Path=/; HttpOnly; SameSite=Lax; Max-Age=2592000");
}

TEST_F(AccountsTest, MeWithoutValidSessionIs401) {
  EXPECT_EQ(get("/api/v1/me").status, 401);
  EXPECT_EQ(get("/api/v1/me", random_token()).status, 401);
  EXPECT_EQ(get("/api/v1/me/favorites").status, 401);
  EXPECT_EQ(get("/api/v1/me/preferences").status, 401);
}

// The page asks /api/v1/me only when the providers say signed_in, so a signed-out visit
// logs no 401 in the browser's console (issue 14).
TEST_F(AccountsTest, ProvidersSayWhetherTheRequestIsSignedIn) {
  auto signed_in = [&](const std::string& token) {
    Response r = get("/api/v1/auth/providers", token);
    EXPECT_EQ(r.status, 200);
    return body_json(r).at("signed_in").as_bool();
  };
  EXPECT_FALSE(signed_in(""));
  EXPECT_FALSE(signed_in("not-a-session-token"));
  const std::string token = sign_in("octocat");
  EXPECT_TRUE(signed_in(token));
  Response out = send({.method = HttpMethod::kPost,
                       .target = "/auth/logout",
                       .token = token,
                       .csrf = csrf_of(token)});
  EXPECT_LT(out.status, 400) << out.body_view();
  EXPECT_FALSE(signed_in(token));
}

TEST_F(AccountsTest, StateMismatchIs400AndCreatesNoSession) {
  const std::string query = authorize("octocat");
  const FormFields q = query_of(query);
  const std::string code = form_value(q, "code").value_or("");
  Response r = callback("?code=" + code + "&state=" + random_token());
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(error_code_of(r), "invalid-state");
  EXPECT_TRUE(r.header("Set-Cookie").empty());
  EXPECT_EQ(callback("?code=" + code).status, 400);
  auto users = store_->list_users();
  ASSERT_TRUE(users.ok());
  EXPECT_TRUE(users->empty());
  EXPECT_EQ(mock_.tokens_issued(), 0);
}

// Login CSRF: a callback link produced by someone else's sign-in (an attacker who
// authorized their own account) is refused in a browser that did not start it.
TEST_F(AccountsTest, CallbackNeedsTheStateCookieOfTheBrowserThatStartedIt) {
  Response start = get("/auth/github/login?return_to=%2F");
  ASSERT_EQ(start.status, 302);
  std::string set_cookie;
  for (const auto& [name, value] : start.headers) {
    if (name == "Set-Cookie") set_cookie = value;
  }
  const std::string state = form_value(query_of(start.header("Location")), "state").value_or("");
  ASSERT_FALSE(state.empty());
  EXPECT_EQ(set_cookie, "mu_oauth_state=" + state +
                            "; Path=/auth/github; HttpOnly; SameSite=Lax; Max-Age=600; Secure");

  const std::string query = authorize("octocat");
  const std::string attackers = state_cookie_;
  state_cookie_.clear();  // the victim's browser has no state cookie
  Response victim = callback(query);
  EXPECT_EQ(victim.status, 400);
  EXPECT_EQ(error_code_of(victim), "invalid-state");
  state_cookie_ = random_token();  // or another sign-in's
  EXPECT_EQ(callback(query).status, 400);
  EXPECT_EQ(mock_.tokens_issued(), 0) << "GitHub is never asked";
  // The browser that started it still can finish, and its state cookie is cleared.
  state_cookie_ = attackers;
  Response ok = callback(query);
  ASSERT_EQ(ok.status, 302) << ok.body_view();
  bool cleared = false;
  for (const auto& [name, value] : ok.headers) {
    if (name == "Set-Cookie" && value.rfind("mu_oauth_state=;", 0) == 0) cleared = true;
  }
  EXPECT_TRUE(cleared);
}

// Several `mu api` processes behind a load balancer without sticky sessions: the callback
// may reach another instance than the one that started the sign-in. The state lives in the
// shared store, so that instance finishes it (and it is still used only once).
TEST_F(AccountsTest, SignInStartedOnOneInstanceFinishesOnAnother) {
  struct Instance {
    explicit Instance(Store& store, LoginStates& states, Transport& transport, const Clock& clock,
                      AccountsOptions options)
        : service(store, states, transport, clock, std::move(options)) {
      service.register_routes(router);
    }
    AccountsService service;
    Router router;
  };
  // Instance B: its own Store object on the same database file, its own login states.
  auto opened = open_sqlite_store(path_.string());
  ASSERT_TRUE(opened.ok()) << opened.status().to_string();
  std::unique_ptr<Store> store_b = std::move(opened).value();
  ASSERT_TRUE(store_b->migrate().ok());
  StoreLoginStates states_b(*store_b, clock_);
  Instance b(*store_b, states_b, *transport_, clock_, options(/*secure=*/true));
  ASSERT_TRUE(b.router.status().ok()) << b.router.status().to_string();
  // Instance C keeps its states in its own memory, as every instance did before.
  OAuthStateStore memory_c(clock_);
  Instance c(*store_b, memory_c, *transport_, clock_, options(/*secure=*/true));

  const std::string query = authorize("octocat", "/boards/weibo");  // started on A
  const Call back{.target = "/auth/github/callback" + query, .state_cookie = state_cookie_};
  Response lost = send_to(c.router, back);
  EXPECT_EQ(lost.status, 400) << "C never saw the state";
  EXPECT_EQ(error_code_of(lost), "invalid-state");

  Response done = send_to(b.router, back);
  ASSERT_EQ(done.status, 302) << done.body_view();
  EXPECT_EQ(done.header("Location"), "/boards/weibo");
  const std::string token =
      parse_cookie(done.header("Set-Cookie"), kSessionCookieName).value_or("");
  ASSERT_FALSE(token.empty());
  EXPECT_EQ(get("/api/v1/me", token).status, 200) << "the session works on A too";

  // Used once across instances: the same callback on A (or B again) fails.
  Response again = callback(query);
  EXPECT_EQ(again.status, 400);
  EXPECT_EQ(error_code_of(again), "invalid-state");
  EXPECT_EQ(send_to(b.router, back).status, 400);
  EXPECT_EQ(mock_.tokens_issued(), 1);
}

TEST_F(AccountsTest, SignInStateExpiresAfterTenMinutes) {
  const std::string late = authorize("octocat");
  const std::string late_cookie = state_cookie_;
  const std::string in_time = authorize("octocat");
  clock_.advance(10min - 1ms);
  EXPECT_EQ(callback(in_time).status, 302);
  clock_.advance(1ms);
  state_cookie_ = late_cookie;
  Response r = callback(late);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(error_code_of(r), "invalid-state");
  EXPECT_EQ(mock_.tokens_issued(), 1);
}

// A store outage is the server's fault: 5xx, not the 400 of a bad state or return_to.
TEST_F(AccountsTest, UnreachableLoginStatesAnswer5xx) {
  DownLoginStates down;
  AccountsService service(*store_, down, *transport_, clock_, options(/*secure=*/true));
  Router router;
  service.register_routes(router);
  Response start = send_to(router, {.target = "/auth/github/login?return_to=%2F"});
  EXPECT_EQ(start.status, 503) << start.body_view();
  EXPECT_TRUE(start.header("Location").empty());
  const std::string query = authorize("octocat");  // a real state, recorded by A
  Response back =
      send_to(router, {.target = "/auth/github/callback" + query, .state_cookie = state_cookie_});
  EXPECT_EQ(back.status, 503) << back.body_view();
  EXPECT_EQ(mock_.tokens_issued(), 0);
  // A bad return_to is still the caller's fault.
  EXPECT_EQ(send_to(router, {.target = "/auth/github/login?return_to=%2F%2Fevil"}).status, 400);
}

TEST_F(AccountsTest, ReplayedCallbackAndReplayedCodeFail) {
  const std::string query = authorize("octocat");
  ASSERT_EQ(callback(query).status, 302);
  // The same callback again: the state was used.
  Response again = callback(query);
  EXPECT_EQ(again.status, 400);
  EXPECT_EQ(error_code_of(again), "invalid-state");
  // The used code with a fresh, valid state: GitHub refuses it.
  const std::string fresh = authorize("octocat");
  const std::string old_code = form_value(query_of(query), "code").value_or("");
  const std::string new_state = form_value(query_of(fresh), "state").value_or("");
  Response replayed = callback("?code=" + old_code + "&state=" + new_state);
  EXPECT_EQ(replayed.status, 400);
  EXPECT_EQ(error_code_of(replayed), "invalid-code");
  EXPECT_TRUE(replayed.header("Set-Cookie").empty());
  EXPECT_EQ(mock_.tokens_issued(), 1);
}

TEST_F(AccountsTest, AdminEndpointsNeedSessionAndAdminRole) {
  Response anon = get("/api/v1/admin/users");
  EXPECT_EQ(anon.status, 401);
  EXPECT_EQ(send({.method = HttpMethod::kPost,
                  .target = "/api/v1/admin/users/1/role",
                  .origin = kSelf,
                  .body = R"({"role":"admin"})"})
                .status,
            401);

  const std::string user = sign_in("octocat");
  const std::string user_csrf = csrf_of(user);
  EXPECT_EQ(get("/api/v1/admin/users", user).status, 403);
  Response self_promote = send({.method = HttpMethod::kPost,
                                .target = "/api/v1/admin/users/1/role",
                                .token = user,
                                .csrf = user_csrf,
                                .body = R"({"role":"admin"})"});
  EXPECT_EQ(self_promote.status, 403);
  EXPECT_EQ(error_code_of(self_promote), "forbidden");

  const std::string admin = sign_in("boss");  // configured admin
  Response me = get("/api/v1/me", admin);
  ASSERT_EQ(me.status, 200);
  EXPECT_EQ(body_json(me).at("role").as_string(), "admin");
  Response list = get("/api/v1/admin/users", admin);
  ASSERT_EQ(list.status, 200) << list.body_view();
  EXPECT_EQ(body_json(list).at("users").as_array().size(), 2u);

  // Missing CSRF on the admin mutation -> 403 even for an admin.
  EXPECT_EQ(send({.method = HttpMethod::kPost,
                  .target = "/api/v1/admin/users/1/role",
                  .token = admin,
                  .body = R"({"role":"admin"})"})
                .status,
            403);
  Response bad_role = send({.method = HttpMethod::kPost,
                            .target = "/api/v1/admin/users/1/role",
                            .token = admin,
                            .csrf = csrf_of(admin),
                            .body = R"({"role":"root"})"});
  EXPECT_EQ(bad_role.status, 400);
  Response promote = send({.method = HttpMethod::kPost,
                           .target = "/api/v1/admin/users/1/role",
                           .token = admin,
                           .csrf = csrf_of(admin),
                           .body = R"({"role":"admin"})"});
  ASSERT_EQ(promote.status, 200) << promote.body_view();
  EXPECT_EQ(get("/api/v1/admin/users", user).status, 200);
  EXPECT_EQ(send({.method = HttpMethod::kPost,
                  .target = "/api/v1/admin/users/99/role",
                  .token = admin,
                  .origin = kSelf,
                  .body = R"({"role":"admin"})"})
                .status,
            404);
  // Users are named by id, never by login.
  Response by_login = send({.method = HttpMethod::kPost,
                            .target = "/api/v1/admin/users/octocat/role",
                            .token = admin,
                            .origin = kSelf,
                            .body = R"({"role":"admin"})"});
  EXPECT_EQ(by_login.status, 400);

  auto audit = store_->audit_log(10, 0);
  ASSERT_TRUE(audit.ok());
  ASSERT_FALSE(audit->empty());
  EXPECT_EQ(audit->front().actor, "boss");
  EXPECT_EQ(audit->front().action, "set_role");
  EXPECT_EQ(audit->front().target, "octocat (github:1)");
}

TEST_F(AccountsTest, LastAdminCannotBeDemoted) {
  const std::string admin = sign_in("boss");
  Response r = send({.method = HttpMethod::kPost,
                     .target = "/api/v1/admin/users/1/role",
                     .token = admin,
                     .csrf = csrf_of(admin),
                     .body = R"({"role":"user"})"});
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(body_json(get("/api/v1/me", admin)).at("role").as_string(), "admin");
}

// Issue 17 item 4: a GitHub account named "local-admin" coexisted with the local admin and
// POST /api/v1/admin/users/local-admin/role changed the GitHub account. Roles are changed by
// id, the list shows the provider, and auth.admins never promotes the reserved name.
TEST_F(AccountsTest, RoleChangesNameTheUserByIdNotByTheSharedLogin) {
  auto local = store_->upsert_user(std::string(kLocalProvider), std::string(kLocalAdminProviderId),
                                   std::string(kLocalAdminLogin), "Local admin", "", 1);
  ASSERT_TRUE(local.ok());
  ASSERT_TRUE(store_->set_role(local->id, "admin").ok());
  const std::string admin = sign_in("boss");
  auto impostor = store_->upsert_user("github", "666", std::string(kLocalAdminLogin), "", "", 2);
  ASSERT_TRUE(impostor.ok());

  Response list = get("/api/v1/admin/users", admin);
  ASSERT_EQ(list.status, 200);
  int shown = 0;
  const json::value listed = body_json(list);
  for (const json::value& u : listed.at("users").as_array()) {
    if (u.at("login").as_string() != kLocalAdminLogin) continue;
    ++shown;
    EXPECT_EQ(u.at("provider").as_string(),
              u.at("id").as_int64() == local->id ? "local" : "github");
  }
  EXPECT_EQ(shown, 2);

  // Demoting the impostor's id leaves the local admin an admin.
  ASSERT_TRUE(store_->set_role(impostor->id, "admin").ok());
  Response demote = send({.method = HttpMethod::kPost,
                          .target = "/api/v1/admin/users/" + std::to_string(impostor->id) + "/role",
                          .token = admin,
                          .csrf = csrf_of(admin),
                          .body = R"({"role":"user"})"});
  ASSERT_EQ(demote.status, 200) << demote.body_view();
  EXPECT_EQ(body_json(demote).at("provider").as_string(), "github");
  EXPECT_EQ((*store_->user_by_id(local->id))->role, kRoleAdmin);
  EXPECT_EQ((*store_->user_by_id(impostor->id))->role, kRoleUser);
  Response by_name = send({.method = HttpMethod::kPost,
                           .target = "/api/v1/admin/users/local-admin/role",
                           .token = admin,
                           .csrf = csrf_of(admin),
                           .body = R"({"role":"user"})"});
  EXPECT_EQ(by_name.status, 400);
  EXPECT_EQ((*store_->user_by_id(local->id))->role, kRoleAdmin);
}

TEST_F(AccountsTest, ConfiguredAdminsNeverPromoteTheReservedLogin) {
  MockGithub impostor_gh(MockGithub::Options{
      .redirect_uri = kRedirect, .users = {{7, std::string(kLocalAdminLogin), "", ""}}});
  AccountsOptions o = options(true);
  o.github.authorize_url = impostor_gh.authorize_url();
  o.github.token_url = impostor_gh.token_url();
  o.github.api_url = impostor_gh.api_url();
  o.admins = {std::string(kLocalAdminLogin)};
  Router router;
  AccountsService service(*store_, *login_states_, *transport_, clock_, o);
  service.register_routes(router);
  ASSERT_TRUE(impostor_gh.sign_in_as(std::string(kLocalAdminLogin)));
  Response start = send_to(router, {.target = "/auth/github/login"});
  ASSERT_EQ(start.status, 302);
  HttpRequest visit;
  visit.url = std::string(start.header("Location"));
  visit.max_redirects = 0;
  auto gh = transport_->fetch(visit);
  ASSERT_TRUE(gh.ok());
  const std::string location(gh->header("Location"));
  Response done = send_to(
      router, {.target = "/auth/github/callback" + location.substr(location.find('?')),
               .state_cookie =
                   parse_cookie(start.header("Set-Cookie"), kOAuthStateCookieName).value_or("")});
  ASSERT_EQ(done.status, 302) << done.body_view();
  auto admins = store_->count_admins();
  ASSERT_TRUE(admins.ok());
  EXPECT_EQ(*admins, 0);
}

// Issue 17 item 6: one user added 4,000 maximum-size favorites in 2 s.
TEST_F(AccountsTest, FavoritesStopAtTheCapWithAClearMessage) {
  AccountsOptions o = options(true);
  o.max_favorites = 3;
  o.write_rate = {.per_second = 1000, .burst = 1000};
  Router router;
  AccountsService service(*store_, *login_states_, *transport_, clock_, o);
  service.register_routes(router);
  const std::string token = sign_in("octocat");
  const std::string csrf = csrf_of(token);
  auto add = [&](int i) {
    return send_to(router, {.method = HttpMethod::kPost,
                            .target = "/api/v1/me/favorites",
                            .token = token,
                            .csrf = csrf,
                            .body = R"({"board":"hn.top","item_key":"k)" + std::to_string(i) +
                                    R"(","title":"t","url":"https://hn.test/"})"});
  };
  for (int i = 0; i < 3; ++i) EXPECT_EQ(add(i).status, 201);
  Response full = add(3);
  EXPECT_EQ(full.status, 409);
  EXPECT_EQ(error_code_of(full), "quota-exceeded");
  EXPECT_NE(body_json(full).at("error").at("message").as_string().find("3 favorites"),
            json::string::npos);
  EXPECT_EQ(add(0).status, 200);  // one the user has already
}

TEST_F(AccountsTest, WritesOverTheRateAre429WithRetryAfter) {
  const std::string token = sign_in("octocat");
  const std::string csrf = csrf_of(token);
  auto put = [&](int version) {
    return send({.method = HttpMethod::kPut,
                 .target = "/api/v1/me/preferences",
                 .token = token,
                 .csrf = csrf,
                 .body = R"({"version":)" + std::to_string(version) + R"(,"body":{}})"});
  };
  // The default: bursts of 50, then 10 per second.
  int version = 0;
  for (int i = 0; i < 50; ++i) {
    Response r = put(version);
    ASSERT_EQ(r.status, 200) << i << r.body_view();
    version = static_cast<int>(body_json(r).at("version").as_int64());
  }
  Response limited = put(version);
  ASSERT_EQ(limited.status, 429);
  EXPECT_EQ(error_code_of(limited), "rate-limited");
  EXPECT_EQ(limited.header("Retry-After"), "1");
  EXPECT_NE(body_json(limited).at("error").at("message").as_string().find("10 per second"),
            json::string::npos);
  EXPECT_EQ(send({.method = HttpMethod::kDelete,
                  .target = "/api/v1/me/favorites?board=b&item_key=k",
                  .token = token,
                  .csrf = csrf})
                .status,
            429);
  // Reads are not limited; another user has a bucket of their own.
  EXPECT_EQ(get("/api/v1/me/preferences", token).status, 200);
  clock_.advance(100ms);
  EXPECT_EQ(put(version).status, 200);
  EXPECT_EQ(put(version + 1).status, 429);
}

TEST_F(AccountsTest, PreferencesOverTheSizeCapAre413WithTheSize) {
  const std::string token = sign_in("octocat");
  const std::string big(AccountsService::kMaxPreferencesBytes, 'x');
  Response r = send({.method = HttpMethod::kPut,
                     .target = "/api/v1/me/preferences",
                     .token = token,
                     .csrf = csrf_of(token),
                     .body = R"({"version":0,"body":{"k":")" + big + R"("}})"});
  EXPECT_EQ(r.status, 413);
  EXPECT_NE(body_json(r).at("error").at("message").as_string().find("65536"), json::string::npos);
}

// Issue 17 item 5: the local admin link signed in after an admin existed, never expired,
// and /api/v1/auth/providers told anyone local_admin: true.
TEST_F(AccountsTest, LocalAdminLinkWorksOnceWithinItsTtlWhileNoAdminExists) {
  auto providers_local = [&] {
    return body_json(get("/api/v1/auth/providers")).at("local_admin").as_bool();
  };
  // Expires after the TTL (1 h by default).
  std::string link = service_->arm_local_admin_link();
  EXPECT_TRUE(providers_local());
  clock_.advance(std::chrono::hours(1));
  EXPECT_FALSE(providers_local());
  EXPECT_EQ(get("/auth/local?token=" + link).status, 404);

  // Stops once an admin exists, checked when it is used.
  link = service_->arm_local_admin_link();
  EXPECT_TRUE(providers_local());
  (void)sign_in("boss");  // a configured admin
  EXPECT_FALSE(providers_local());
  Response late = get("/auth/local?token=" + link);
  EXPECT_EQ(late.status, 404);
  EXPECT_TRUE(late.header("Set-Cookie").empty());
  auto admins = store_->count_admins();
  ASSERT_TRUE(admins.ok());
  EXPECT_EQ(*admins, 1);

  // With no admin, within the TTL: once.
  const auto boss = store_->user_by_login("boss");
  ASSERT_TRUE(boss.ok() && boss->has_value());
  ASSERT_TRUE(store_->set_role((*boss)->id, "user").ok());
  link = service_->arm_local_admin_link();
  clock_.advance(std::chrono::minutes(59));
  EXPECT_TRUE(providers_local());
  Response used = get("/auth/local?token=" + link);
  EXPECT_EQ(used.status, 302) << used.body_view();
  EXPECT_EQ(get("/auth/local?token=" + link).status, 404);
  EXPECT_FALSE(providers_local());
}

// `mu admin link` (app/admin_cli.h) leaves a one-use record in the store: it signs the local
// admin in even when admins exist (the operator at the shell is the authority), once, until
// it expires; an OAuth sign-in state passed as the token is no admin link.
TEST_F(AccountsTest, AStoredAdminLinkWorksOnceEvenWithAnAdmin) {
  (void)sign_in("boss");  // an admin exists
  const std::string token = random_token();
  ASSERT_TRUE(store_
                  ->put_login_state(sha256_hex(token), std::string(kLocalAdminLinkVerifier),
                                    "/admin", clock_.now_ms() + 3'600'000,
                                    LoginStateLimits{"mu-admin-link", 5, 0})
                  .ok());
  Response used = get("/auth/local?token=" + token);
  ASSERT_EQ(used.status, 302) << used.body_view();
  EXPECT_EQ(used.header("Location"), "/admin");
  const std::optional<std::string> session =
      parse_cookie(used.header("Set-Cookie"), kSessionCookieName);
  ASSERT_TRUE(session.has_value());
  EXPECT_EQ(body_json(get("/api/v1/me", *session)).at("role").as_string(), "admin");
  EXPECT_EQ(get("/auth/local?token=" + token).status, 404);

  const std::string expired = random_token();
  ASSERT_TRUE(store_
                  ->put_login_state(sha256_hex(expired), std::string(kLocalAdminLinkVerifier),
                                    "/admin", clock_.now_ms() + 1000,
                                    LoginStateLimits{"mu-admin-link", 5, 0})
                  .ok());
  clock_.advance(std::chrono::seconds(2));
  EXPECT_EQ(get("/auth/local?token=" + expired).status, 404);

  const std::string oauth_state = random_token();
  ASSERT_TRUE(store_
                  ->put_login_state(sha256_hex(oauth_state), "a-pkce-verifier", "/",
                                    clock_.now_ms() + 600'000, LoginStateLimits{"1.2.3.4", 5, 0})
                  .ok());
  Response not_a_link = get("/auth/local?token=" + oauth_state);
  EXPECT_EQ(not_a_link.status, 404);
  EXPECT_TRUE(not_a_link.header("Set-Cookie").empty());
}

TEST_F(AccountsTest, CsrfGuardsMutatingRoutes) {
  const std::string token = sign_in("octocat");
  const std::string csrf = csrf_of(token);
  const std::string fav =
      R"({"board":"weibo.hot","item_key":"k1","title":"One","url":"https://s.weibo.test/1"})";
  auto post = [&](const std::string& csrf_header, const std::string& origin) {
    return send({.method = HttpMethod::kPost,
                 .target = "/api/v1/me/favorites",
                 .token = token,
                 .csrf = csrf_header,
                 .origin = origin,
                 .body = fav});
  };
  Response none = post("", "");
  EXPECT_EQ(none.status, 403);
  EXPECT_EQ(error_code_of(none), "csrf");
  EXPECT_EQ(post(random_token(), "").status, 403);
  EXPECT_EQ(post("", "https://evil.example").status, 403);
  EXPECT_EQ(post("", "null").status, 403);
  EXPECT_EQ(post(csrf, "").status, 201);
  EXPECT_EQ(post("", kSelf).status, 200);  // already there
  EXPECT_EQ(post("", kFriend).status, 200);
  EXPECT_EQ(send({.method = HttpMethod::kPut,
                  .target = "/api/v1/me/preferences",
                  .token = token,
                  .body = R"({"version":0,"body":{}})"})
                .status,
            403);
  EXPECT_EQ(send({.method = HttpMethod::kPost, .target = "/auth/logout", .token = token}).status,
            403);
  EXPECT_EQ(get("/api/v1/me", token).status, 200);
}

TEST_F(AccountsTest, LogoutDeletesTheSessionServerSide) {
  const std::string token = sign_in("octocat");
  Response out = send({.method = HttpMethod::kPost,
                       .target = "/auth/logout",
                       .token = token,
                       .csrf = csrf_of(token)});
  EXPECT_EQ(out.status, 204);
  EXPECT_EQ(out.header("Set-Cookie"),
            "mu_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0; Secure");
  EXPECT_EQ(get("/api/v1/me", token).status, 401);
  auto s = store_->session(session_id_of(token), clock_.now_ms());
  ASSERT_TRUE(s.ok());
  EXPECT_FALSE(s->has_value());
}

TEST_F(AccountsTest, TwoDevicesHaveIndependentSessions) {
  const std::string laptop = sign_in("octocat");
  const std::string phone = sign_in("octocat");
  ASSERT_NE(laptop, phone);
  const std::string laptop_csrf = csrf_of(laptop);
  EXPECT_NE(laptop_csrf, csrf_of(phone));
  // The phone's CSRF token does not authorize the laptop's session.
  EXPECT_EQ(send({.method = HttpMethod::kPost,
                  .target = "/auth/logout",
                  .token = laptop,
                  .csrf = csrf_of(phone)})
                .status,
            403);
  EXPECT_EQ(send({.method = HttpMethod::kPost,
                  .target = "/auth/logout",
                  .token = laptop,
                  .csrf = laptop_csrf})
                .status,
            204);
  EXPECT_EQ(get("/api/v1/me", laptop).status, 401);
  EXPECT_EQ(get("/api/v1/me", phone).status, 200);
  auto users = store_->list_users();
  ASSERT_TRUE(users.ok());
  EXPECT_EQ(users->size(), 1u);
}

TEST_F(AccountsTest, SessionSlidesAtMostOncePerTouchIntervalAndExpires) {
  const std::string token = sign_in("octocat");
  const std::string id = session_id_of(token);
  auto expires = [&] {
    auto s = store_->session(id, clock_.now_ms());
    EXPECT_TRUE(s.ok() && s->has_value());
    return (s.ok() && s->has_value()) ? (*s)->expires_ms : int64_t{-1};
  };
  const int64_t first = expires();
  clock_.advance(30s);
  ASSERT_EQ(get("/api/v1/me", token).status, 200);
  EXPECT_EQ(expires(), first);  // not touched within the minute (touch_interval)
  clock_.advance(31s);
  ASSERT_EQ(get("/api/v1/me", token).status, 200);
  EXPECT_EQ(expires(), clock_.now_ms() + 30LL * 24 * 3600 * 1000);
  clock_.advance(std::chrono::hours(24 * 30));
  EXPECT_EQ(get("/api/v1/me", token).status, 401);
}

TEST_F(AccountsTest, FavoritesAddListSearchDelete) {
  const std::string token = sign_in("octocat");
  const std::string csrf = csrf_of(token);
  auto add = [&](const std::string& body) {
    return send({.method = HttpMethod::kPost,
                 .target = "/api/v1/me/favorites",
                 .token = token,
                 .csrf = csrf,
                 .body = body});
  };
  EXPECT_EQ(add(R"({"board":"weibo.hot","item_key":"a","title":"Rust 2.0 released",)"
                R"("url":"https://s.weibo.test/a"})")
                .status,
            201);
  clock_.advance(1s);
  EXPECT_EQ(add(R"({"board":"weibo.hot","item_key":"b","title":"Cats",)"
                R"("url":"http://s.weibo.test/b"})")
                .status,
            201);
  clock_.advance(1s);
  EXPECT_EQ(add(R"({"board":"zhihu.hot","item_key":"c","title":"Why RUST?",)"
                R"("url":"https://zhihu.test/c"})")
                .status,
            201);
  EXPECT_EQ(add(R"j({"board":"x","item_key":"d","title":"t","url":"javascript:alert(1)"})j").status,
            400);
  EXPECT_EQ(add(R"({"board":"x","item_key":"d","title":"t","url":"ftp://x.example/"})").status,
            400);
  EXPECT_EQ(add(R"({"board":"","item_key":"d","title":"t","url":"https://x.example/"})").status,
            400);
  EXPECT_EQ(add("not json").status, 400);

  auto keys_of = [&](const Response& r) {
    std::vector<std::string> keys;
    const json::value doc = body_json(r);
    for (const json::value& f : doc.at("favorites").as_array()) {
      keys.emplace_back(f.at("item_key").as_string());
    }
    return keys;
  };
  Response all = get("/api/v1/me/favorites", token);
  ASSERT_EQ(all.status, 200);
  EXPECT_EQ(keys_of(all), (std::vector<std::string>{"c", "b", "a"}));
  EXPECT_EQ(keys_of(get("/api/v1/me/favorites?q=rust", token)),
            (std::vector<std::string>{"c", "a"}));
  EXPECT_EQ(keys_of(get("/api/v1/me/favorites?board=weibo.hot", token)),
            (std::vector<std::string>{"b", "a"}));
  EXPECT_EQ(keys_of(get("/api/v1/me/favorites?limit=1&offset=1", token)),
            (std::vector<std::string>{"b"}));
  EXPECT_EQ(get("/api/v1/me/favorites?limit=0", token).status, 400);
  EXPECT_EQ(get("/api/v1/me/favorites?offset=-1", token).status, 400);

  Response keys = get("/api/v1/me/favorites/keys?board=weibo.hot", token);
  ASSERT_EQ(keys.status, 200);
  EXPECT_EQ(json::serialize(body_json(keys).at("keys")), R"(["a","b"])");
  EXPECT_EQ(get("/api/v1/me/favorites/keys", token).status, 400);

  auto del = [&](const std::string& target) {
    return send({.method = HttpMethod::kDelete, .target = target, .token = token, .csrf = csrf});
  };
  EXPECT_EQ(del("/api/v1/me/favorites?board=weibo.hot&item_key=a").status, 204);
  EXPECT_EQ(del("/api/v1/me/favorites?board=weibo.hot&item_key=a").status, 404);
  EXPECT_EQ(send({.method = HttpMethod::kDelete,
                  .target = "/api/v1/me/favorites?board=weibo.hot&item_key=b",
                  .token = token})
                .status,
            403);
  EXPECT_EQ(json::serialize(
                body_json(get("/api/v1/me/favorites/keys?board=weibo.hot", token)).at("keys")),
            R"(["b"])");

  // Another user sees none of them.
  const std::string other = sign_in("hubot");
  EXPECT_TRUE(keys_of(get("/api/v1/me/favorites", other)).empty());
}

TEST_F(AccountsTest, PreferencesCompareAndSet) {
  const std::string token = sign_in("octocat");
  const std::string csrf = csrf_of(token);
  auto put = [&](const std::string& body) {
    return send({.method = HttpMethod::kPut,
                 .target = "/api/v1/me/preferences",
                 .token = token,
                 .csrf = csrf,
                 .body = body});
  };
  Response initial = get("/api/v1/me/preferences", token);
  ASSERT_EQ(initial.status, 200);
  EXPECT_EQ(json::serialize(body_json(initial)), R"({"version":0,"body":{}})");

  Response first = put(R"({"version":0,"body":{"theme":"dark"}})");
  ASSERT_EQ(first.status, 200) << first.body_view();
  EXPECT_EQ(body_json(first).at("version").as_int64(), 1);

  Response stale = put(R"({"version":0,"body":{"theme":"light"}})");
  ASSERT_EQ(stale.status, 409);
  json::value conflict = body_json(stale);
  EXPECT_EQ(conflict.at("error").at("code").as_string(), "conflict");
  EXPECT_EQ(conflict.at("version").as_int64(), 1);
  EXPECT_EQ(json::serialize(conflict.at("body")), R"({"theme":"dark"})");

  Response second = put(R"({"version":1,"body":{"theme":"light","lang":"zh"}})");
  ASSERT_EQ(second.status, 200);
  EXPECT_EQ(body_json(second).at("version").as_int64(), 2);
  Response now = get("/api/v1/me/preferences", token);
  EXPECT_EQ(body_json(now).at("version").as_int64(), 2);
  EXPECT_EQ(body_json(now).at("body").at("theme").as_string(), "light");

  EXPECT_EQ(put(R"({"version":2,"body":[1,2]})").status, 400);
  EXPECT_EQ(put(R"({"body":{}})").status, 400);
}

// Every log line of a whole account life (sign-in, a refused replay, favorites, role change,
// logout) at the most verbose level: no session token, CSRF token, OAuth code, state,
// PKCE verifier, GitHub access token or client secret appears.
TEST_F(AccountsTest, NoSecretReachesTheLogs) {
  auto captured = std::make_shared<std::ostringstream>();
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(*captured);
  auto previous = spdlog::default_logger();
  auto logger = std::make_shared<spdlog::logger>("capture", sink);
  logger->set_level(spdlog::level::trace);
  spdlog::set_default_logger(logger);

  const std::string query = authorize("boss");
  const FormFields fields = query_of(query);
  std::string code;
  std::string state;
  for (const auto& [k, v] : fields) {
    if (k == "code") code = v;
    if (k == "state") state = v;
  }
  Response ok = callback(query);
  ASSERT_EQ(ok.status, 302);
  const std::string token = parse_cookie(ok.header("Set-Cookie"), kSessionCookieName).value_or("");
  EXPECT_EQ(callback(query).status, 400);  // replay: logged as a refusal, without the code
  const std::string csrf = csrf_of(token);
  send({.method = HttpMethod::kPost,
        .target = "/api/v1/me/favorites",
        .token = token,
        .csrf = csrf,
        .body =
            R"({"board":"weibo.hot","item_key":"k","title":"t","url":"https://s.weibo.test/k"})"});
  (void)sign_in("octocat");
  send({.method = HttpMethod::kPost,
        .target = "/api/v1/admin/users/2/role",
        .token = token,
        .csrf = csrf,
        .body = R"({"role":"admin"})"});
  send({.method = HttpMethod::kPost, .target = "/auth/logout", .token = token, .csrf = csrf});

  spdlog::set_default_logger(previous);
  const std::string logs = captured->str();
  EXPECT_NE(logs.find("boss (github:2) signed in"), std::string::npos)
      << "the capture works: " << logs;
  for (const std::string& secret : {token, session_id_of(token), csrf, code, state,
                                    std::string("mock-client-secret"), std::string("gho_")}) {
    ASSERT_FALSE(secret.empty());
    EXPECT_EQ(logs.find(secret), std::string::npos) << "leaked: " << secret << "\n" << logs;
  }
}

}  // namespace
}  // namespace mu
