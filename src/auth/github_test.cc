#include "auth/github.h"

#include <gtest/gtest.h>

#include <memory>

#include "auth/oauth_state.h"
#include "auth/pkce.h"
#include "auth/testing/mock_github.h"
#include "auth/url_util.h"
#include "core/clock.h"
#include "fetch/curl_transport.h"
#include "fetch/testing/test_http_server.h"

namespace mu {
namespace {

const std::string kRedirect = "https://mu.example/auth/github/callback";

std::unique_ptr<CurlTransport> loopback_transport() {
  CurlTransport::Options options;
  options.allow_private_networks = true;
  auto t = CurlTransport::create(options);
  EXPECT_TRUE(t.ok()) << t.status().to_string();
  return std::move(t).value();
}

FormFields query_of(const std::string& url) {
  const std::size_t q = url.find('?');
  return q == std::string::npos ? FormFields{} : parse_form(url.substr(q + 1));
}

class GithubOAuthTest : public ::testing::Test {
 protected:
  GithubOAuthTest()
      : mock_(MockGithub::Options{.redirect_uri = kRedirect}),
        transport_(loopback_transport()),
        github_(*transport_, GithubOAuth::Options{.client_id = "mock-client-id",
                                                  .client_secret = "mock-client-secret",
                                                  .authorize_url = mock_.authorize_url(),
                                                  .token_url = mock_.token_url(),
                                                  .api_url = mock_.api_url(),
                                                  .redirect_uri = kRedirect}) {}

  // Plays the browser: GETs the authorize URL and reads the 302 without following it.
  Result<HttpResponse> visit(const std::string& url) {
    HttpRequest request;
    request.url = url;
    request.max_redirects = 0;
    return transport_->fetch(request);
  }

  // The code the mock hands back for a fresh login with `challenge`.
  std::string authorize_code(const std::string& challenge, const std::string& state = "st") {
    auto response = visit(github_.authorize_redirect(state, challenge));
    EXPECT_TRUE(response.ok());
    if (!response.ok()) return {};
    EXPECT_EQ(response->status, 302);
    return form_value(query_of(std::string(response->header("Location"))), "code").value_or("");
  }

  MockGithub mock_;
  std::unique_ptr<CurlTransport> transport_;
  GithubOAuth github_;
};

TEST(GithubAuthorizeTest, RedirectCarriesEveryParameterUrlEncoded) {
  auto transport = loopback_transport();
  GithubOAuth github(*transport, {.client_id = "id&x=1",
                                  .client_secret = "s3cr3t",
                                  .redirect_uri = "https://mu.example/cb?a=1&b=2"});
  const std::string url =
      github.authorize_redirect("st/ate+", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
  EXPECT_EQ(url,
            "https://github.com/login/oauth/authorize?client_id=id%26x%3D1"
            "&redirect_uri=https%3A%2F%2Fmu.example%2Fcb%3Fa%3D1%26b%3D2&scope=read%3Auser"
            "&state=st%2Fate%2B&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
            "&code_challenge_method=S256");
  EXPECT_EQ(url.find("s3cr3t"), std::string::npos);

  GithubOAuth with_query(*transport, {.authorize_url = "https://gh.example/authorize?x=1"});
  EXPECT_EQ(with_query.authorize_redirect("s", "c").rfind("https://gh.example/authorize?x=1&", 0),
            0u);
}

TEST_F(GithubOAuthTest, FullFlowAgainstTheMockProvider) {
  FakeClock clock;
  OAuthStateStore states(clock);
  const PkcePair pkce = make_pkce();
  auto state = states.put(pkce.verifier, "/boards/hackernews", "");
  ASSERT_TRUE(state.ok());

  // 1. The browser goes to GitHub, which sends it back to our callback.
  auto response = visit(github_.authorize_redirect(*state, pkce.challenge));
  ASSERT_TRUE(response.ok()) << response.status().to_string();
  ASSERT_EQ(response->status, 302);
  const std::string location(response->header("Location"));
  ASSERT_EQ(location.rfind(kRedirect + "?", 0), 0u) << location;
  const FormFields callback = query_of(location);
  ASSERT_EQ(form_value(callback, "state"), *state);
  const std::string code = form_value(callback, "code").value_or("");
  ASSERT_FALSE(code.empty());

  // 2. The callback checks the state (one-time) and recovers the verifier.
  auto login = states.take(*form_value(callback, "state"));
  ASSERT_TRUE(login.ok());
  EXPECT_EQ(login->return_to, "/boards/hackernews");
  EXPECT_EQ(states.take(*state).code(), ErrorCode::kInvalid);

  // 3. Code + verifier -> token -> user.
  auto token = github_.exchange(code, login->code_verifier);
  ASSERT_TRUE(token.ok()) << token.status().to_string();
  EXPECT_EQ(token->token_type, "bearer");
  EXPECT_EQ(token->scope, "read:user");
  auto user = github_.fetch_user(token->access_token);
  ASSERT_TRUE(user.ok()) << user.status().to_string();
  EXPECT_EQ(user->id, 1);
  EXPECT_EQ(user->login, "octocat");
  EXPECT_EQ(user->name, "The Octocat");
  EXPECT_EQ(user->avatar_url, "https://example.test/octocat.png");

  // What went over the wire: the secret only in the POST body, JSON asked for, bearer auth.
  const auto token_requests = mock_.server().requests_to("/login/oauth/access_token");
  ASSERT_EQ(token_requests.size(), 1u);
  const TestHttpRequest& tr = token_requests[0];
  EXPECT_EQ(tr.method, "POST");
  EXPECT_EQ(tr.target, "/login/oauth/access_token");
  EXPECT_EQ(tr.header("Accept"), "application/json");
  EXPECT_EQ(tr.header("Content-Type"), "application/x-www-form-urlencoded");
  const FormFields body = parse_form(tr.body);
  EXPECT_EQ(form_value(body, "client_id"), "mock-client-id");
  EXPECT_EQ(form_value(body, "client_secret"), "mock-client-secret");
  EXPECT_EQ(form_value(body, "code"), code);
  EXPECT_EQ(form_value(body, "redirect_uri"), kRedirect);
  EXPECT_EQ(form_value(body, "code_verifier"), pkce.verifier);
  for (const auto& r : mock_.server().requests()) {
    EXPECT_EQ(r.target.find("mock-client-secret"), std::string::npos) << r.target;
    EXPECT_EQ(r.target.find(pkce.verifier), std::string::npos) << r.target;
  }
  const auto user_requests = mock_.server().requests_to("/user");
  ASSERT_EQ(user_requests.size(), 1u);
  EXPECT_EQ(user_requests[0].header("Authorization"), "Bearer " + token->access_token);
}

TEST_F(GithubOAuthTest, WrongVerifierFailsAndBurnsTheCode) {
  const PkcePair pkce = make_pkce();
  const std::string code = authorize_code(pkce.challenge);
  auto bad = github_.exchange(code, make_pkce().verifier);
  EXPECT_EQ(bad.code(), ErrorCode::kInvalid);
  EXPECT_NE(bad.error_message().find("bad_verification_code"), std::string::npos);
  EXPECT_EQ(github_.exchange(code, pkce.verifier).code(), ErrorCode::kInvalid);
  EXPECT_EQ(mock_.tokens_issued(), 0);
}

TEST_F(GithubOAuthTest, ReplayedCodeFails) {
  const PkcePair pkce = make_pkce();
  const std::string code = authorize_code(pkce.challenge);
  ASSERT_TRUE(github_.exchange(code, pkce.verifier).ok());
  auto replay = github_.exchange(code, pkce.verifier);
  EXPECT_EQ(replay.code(), ErrorCode::kInvalid);
  EXPECT_EQ(mock_.tokens_issued(), 1);
}

TEST_F(GithubOAuthTest, WrongSecretFailsAndLeavesTheCodeUsable) {
  const PkcePair pkce = make_pkce();
  const std::string code = authorize_code(pkce.challenge);
  GithubOAuth::Options options = github_.options();
  options.client_secret = "wrong-secret";
  GithubOAuth wrong(*transport_, options);
  auto result = wrong.exchange(code, pkce.verifier);
  EXPECT_EQ(result.code(), ErrorCode::kConfig);
  EXPECT_EQ(result.error_message().find("wrong-secret"), std::string::npos);
  EXPECT_TRUE(github_.exchange(code, pkce.verifier).ok());
}

TEST_F(GithubOAuthTest, UnknownCodeAndEmptyInputsFail) {
  EXPECT_EQ(github_.exchange("no-such-code", make_pkce().verifier).code(), ErrorCode::kInvalid);
  EXPECT_EQ(github_.exchange("", make_pkce().verifier).code(), ErrorCode::kInvalid);
  EXPECT_EQ(github_.fetch_user("").code(), ErrorCode::kInvalid);
}

TEST_F(GithubOAuthTest, RejectedTokenIsInvalidAndNotEchoed) {
  auto user = github_.fetch_user("gho_forged");
  EXPECT_EQ(user.code(), ErrorCode::kInvalid);
  EXPECT_EQ(user.error_message().find("gho_forged"), std::string::npos);
}

TEST_F(GithubOAuthTest, SignsInAsTheChosenUserWithNullName) {
  mock_.add_user({.id = 9'000'000'001, .login = "alice", .name = "", .avatar_url = ""});
  ASSERT_TRUE(mock_.sign_in_as("alice"));
  EXPECT_FALSE(mock_.sign_in_as("nobody"));
  const PkcePair pkce = make_pkce();
  auto token = github_.exchange(authorize_code(pkce.challenge), pkce.verifier);
  ASSERT_TRUE(token.ok()) << token.status().to_string();
  auto user = github_.fetch_user(token->access_token);
  ASSERT_TRUE(user.ok()) << user.status().to_string();
  EXPECT_EQ(user->id, 9'000'000'001);
  EXPECT_EQ(user->login, "alice");
  EXPECT_EQ(user->name, "");
}

TEST_F(GithubOAuthTest, MockAuthorizeValidatesTheRequest) {
  const std::string challenge = make_pkce().challenge;
  const std::string base = mock_.authorize_url() + "?";
  auto status_of = [&](const FormFields& q) {
    auto r = visit(base + form_encode(q));
    return r.ok() ? r->status : -1;
  };
  const FormFields good = {{"client_id", "mock-client-id"},
                           {"redirect_uri", kRedirect},
                           {"state", "s"},
                           {"code_challenge", challenge},
                           {"code_challenge_method", "S256"}};
  EXPECT_EQ(status_of(good), 302);
  auto with = [&](const std::string& name, const std::string& value) {
    FormFields q = good;
    for (auto& [n, v] : q) {
      if (n == name) v = value;
    }
    return q;
  };
  EXPECT_EQ(status_of(with("client_id", "other")), 400);
  EXPECT_EQ(status_of(with("redirect_uri", "https://evil.example/cb")), 400);
  EXPECT_EQ(status_of(with("state", "")), 400);
  EXPECT_EQ(status_of(with("code_challenge_method", "plain")), 400);
  EXPECT_EQ(status_of(with("code_challenge", "")), 400);
  EXPECT_EQ(mock_.outstanding_codes(), 1);
}

TEST_F(GithubOAuthTest, MockRefusesASecretInTheUrl) {
  HttpRequest request;
  request.method = "POST";
  request.url = mock_.token_url() + "?client_secret=mock-client-secret";
  request.headers = {{"Accept", "application/json"}};
  request.body = "client_id=mock-client-id&client_secret=mock-client-secret&code=x";
  auto r = transport_->fetch(request);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 400);
}

// Misbehaving token/user endpoints, served by a plain loopback server.
class GithubErrorsTest : public ::testing::Test {
 protected:
  GithubErrorsTest()
      : transport_(loopback_transport()),
        github_(*transport_, {.client_id = "id",
                              .client_secret = "secret",
                              .token_url = server_.url("/token"),
                              .api_url = server_.url("/api"),
                              .redirect_uri = kRedirect}) {}
  TestHttpServer server_;
  std::unique_ptr<CurlTransport> transport_;
  GithubOAuth github_;
};

TEST_F(GithubErrorsTest, TokenEndpointFailuresAreTyped) {
  const std::string verifier = make_pkce().verifier;
  server_.route("/token", [](const TestHttpRequest&) {
    return TestHttpResponse::text(200, "<html>not json</html>", "text/html");
  });
  EXPECT_EQ(github_.exchange("c", verifier).code(), ErrorCode::kParse);

  server_.route("/token", [](const TestHttpRequest&) {
    return TestHttpResponse::text(200, R"({"token_type":"bearer"})", "application/json");
  });
  EXPECT_EQ(github_.exchange("c", verifier).code(), ErrorCode::kParse);

  server_.route("/token",
                [](const TestHttpRequest&) { return TestHttpResponse::text(503, "down"); });
  auto down = github_.exchange("c", verifier);
  EXPECT_EQ(down.code(), ErrorCode::kHttp);
  EXPECT_EQ(down.status().http_status(), 503);

  server_.route("/token", [](const TestHttpRequest&) {
    return TestHttpResponse::text(200, R"({"error":"redirect_uri_mismatch"})", "application/json");
  });
  EXPECT_EQ(github_.exchange("c", verifier).code(), ErrorCode::kConfig);
}

TEST_F(GithubErrorsTest, TokenExchangeDoesNotFollowRedirects) {
  server_.route("/token", [this](const TestHttpRequest&) {
    return TestHttpResponse::redirect(server_.url("/elsewhere"), 307);
  });
  server_.route("/elsewhere", [](const TestHttpRequest&) {
    return TestHttpResponse::text(200, R"({"access_token":"x"})", "application/json");
  });
  EXPECT_FALSE(github_.exchange("c", make_pkce().verifier).ok());
  EXPECT_TRUE(server_.requests_to("/elsewhere").empty());
}

TEST_F(GithubErrorsTest, UserEndpointFailuresAreTyped) {
  server_.route("/api/user", [](const TestHttpRequest&) {
    return TestHttpResponse::text(200, R"({"id":"12","login":"x"})", "application/json");
  });
  EXPECT_EQ(github_.fetch_user("t").code(), ErrorCode::kParse);
  server_.route("/api/user", [](const TestHttpRequest&) {
    return TestHttpResponse::text(200, R"({"id":12})", "application/json");
  });
  EXPECT_EQ(github_.fetch_user("t").code(), ErrorCode::kParse);
  server_.route("/api/user",
                [](const TestHttpRequest&) { return TestHttpResponse::text(403, "rate limited"); });
  EXPECT_EQ(github_.fetch_user("t").code(), ErrorCode::kBlocked);
  server_.route("/api/user", [](const TestHttpRequest&) {
    return TestHttpResponse::text(200, R"({"id":12,"login":"x","name":null})", "application/json");
  });
  auto ok = github_.fetch_user("t");
  ASSERT_TRUE(ok.ok()) << ok.status().to_string();
  EXPECT_EQ(ok->id, 12);
  EXPECT_EQ(ok->name, "");
}

}  // namespace
}  // namespace mu
