// MockGithub: a fake GitHub OAuth provider on 127.0.0.1 for tests (and later browser e2e).
// It serves
//   GET  /login/oauth/authorize     checks client_id, redirect_uri, state and
//                                   code_challenge_method=S256, then answers 302 to
//                                   redirect_uri?code=..&state=.. (signed in as the current
//                                   user, see sign_in_as()); 400 otherwise.
//   POST /login/oauth/access_token  form body; checks client_id + client_secret (a secret in
//                                   the query string is refused), that the code exists, was
//                                   issued to this client and redirect_uri, and that
//                                   BASE64URL(SHA256(code_verifier)) equals its challenge.
//                                   Codes are one-time: any attempt with valid client
//                                   credentials consumes the code, so a replay answers
//                                   {"error":"bad_verification_code"}. Answers JSON when the
//                                   request says Accept: application/json, else a form body
//                                   (as GitHub does).
//   GET  /user                      "Authorization: Bearer <token>" -> the user JSON
//                                   {id, login, name, avatar_url}; 401 otherwise.
// Thread-safety: every method is safe from any thread; handlers run on the server's threads.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "fetch/testing/test_http_server.h"

namespace mu {

class MockGithub {
 public:
  struct User {
    std::int64_t id = 0;
    std::string login;
    std::string name;
    std::string avatar_url;
  };
  struct Options {
    std::string client_id = "mock-client-id";
    std::string client_secret = "mock-client-secret";
    // The only redirect_uri accepted; empty accepts any absolute http(s) URL.
    std::string redirect_uri;
    // Initial users; the first one is signed in. Default: {1, "octocat"}.
    std::vector<User> users = {{1, "octocat", "The Octocat", "https://example.test/octocat.png"}};
  };

  MockGithub();
  explicit MockGithub(Options options);
  ~MockGithub();
  MockGithub(const MockGithub&) = delete;
  MockGithub& operator=(const MockGithub&) = delete;

  // Adds or replaces (same login) a user.
  void add_user(User user);
  // The user the next authorize request signs in as; false when no such login.
  bool sign_in_as(const std::string& login);

  // Endpoints, for GithubOAuth::Options.
  std::string authorize_url() const;  // .../login/oauth/authorize
  std::string token_url() const;      // .../login/oauth/access_token
  std::string api_url() const;        // http://127.0.0.1:<port> (no trailing slash)

  // Codes issued and not yet used, access tokens issued.
  int outstanding_codes() const;
  int tokens_issued() const;

  // The underlying server: recorded requests for assertions.
  TestHttpServer& server() { return server_; }

 private:
  struct Code {
    std::string client_id;
    std::string redirect_uri;
    std::string challenge;
    std::string login;
  };
  TestHttpResponse authorize(const TestHttpRequest& request);
  TestHttpResponse access_token(const TestHttpRequest& request);
  TestHttpResponse user(const TestHttpRequest& request);
  std::optional<User> find_user_locked(const std::string& login) const;

  const Options options_;
  mutable std::mutex mu_;
  std::vector<User> users_;
  std::string current_login_;
  std::map<std::string, Code> codes_;
  std::map<std::string, std::string> tokens_;  // access token -> login
  int tokens_issued_ = 0;
  TestHttpServer server_;  // last: stopped (its handlers joined) before the state above dies
};

}  // namespace mu
