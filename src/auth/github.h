// GithubOAuth: the GitHub side of "sign in with GitHub" (OAuth 2 authorization-code flow
// with PKCE S256). It builds the authorize URL, exchanges the code for an access token
// (client secret sent in the POST body, never in a URL; redirects are not followed) and
// reads the signed-in user from the REST API. All HTTP goes through mu::Transport so tests
// point it at a loopback mock (auth/testing/mock_github.h). Tokens, secrets and response
// bodies are never logged nor put into error messages.
// Thread-safety: immutable after construction; every method is safe to call from any thread
// as long as the Transport is (all Mu transports are).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"
#include "fetch/transport.h"

namespace mu {

struct GithubUser {
  std::int64_t id = 0;
  std::string login;
  std::string name;  // empty when the user has not set one
  std::string avatar_url;
};

struct GithubToken {
  std::string access_token;
  std::string token_type;  // "bearer"
  std::string scope;       // granted scopes, comma-separated
};

class GithubOAuth {
 public:
  struct Options {
    std::string client_id;
    std::string client_secret;
    std::string authorize_url = "https://github.com/login/oauth/authorize";
    std::string token_url = "https://github.com/login/oauth/access_token";
    std::string api_url = "https://api.github.com";
    std::string redirect_uri;  // this site's callback, registered with the GitHub app
    std::string scope = "read:user";
    std::chrono::milliseconds timeout{std::chrono::seconds(10)};
  };

  // `transport` must outlive this object.
  GithubOAuth(Transport& transport, Options options);

  // authorize_url + "?client_id=..&redirect_uri=..&scope=..&state=..&code_challenge=..
  // &code_challenge_method=S256", every value URL-encoded ('&' when authorize_url already has
  // a query).
  std::string authorize_redirect(std::string_view state, std::string_view code_challenge) const;

  // POSTs the form {client_id, client_secret, code, redirect_uri, code_verifier} to token_url
  // with Accept: application/json. Errors: GitHub's error JSON -> kInvalid for a bad, expired
  // or replayed code or verifier ("bad_verification_code" and the like), kConfig for
  // "incorrect_client_credentials" / "redirect_uri_mismatch"; a non-2xx status -> kHttp /
  // kBlocked; an unexpected body -> kParse; transport errors as the Transport reports them.
  Result<GithubToken> exchange(std::string_view code, std::string_view code_verifier) const;

  // GET api_url + "/user" with "Authorization: Bearer <token>". 401 -> kInvalid (token
  // rejected); other non-2xx -> kHttp / kBlocked; a body without a numeric id or a login ->
  // kParse.
  Result<GithubUser> fetch_user(std::string_view access_token) const;

  const Options& options() const { return options_; }

 private:
  Transport& transport_;
  const Options options_;
};

}  // namespace mu
