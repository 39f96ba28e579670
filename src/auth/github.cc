#include "auth/github.h"

#include <boost/json.hpp>

#include "auth/url_util.h"

namespace mu {
namespace {

namespace json = boost::json;

constexpr std::size_t kMaxBody = 1u << 20;

// GitHub error codes are short identifiers; keep only such characters so an odd body cannot
// smuggle anything into logs through the error message.
std::string safe_code(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 64)) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
        c == '-') {
      out.push_back(c);
    }
  }
  return out;
}

std::string string_field(const json::object& obj, std::string_view key) {
  const json::value* v = obj.if_contains(key);
  if (v == nullptr || !v->is_string()) return {};
  return std::string(v->get_string());
}

Result<json::object> parse_object(const std::string& body, std::string_view what) {
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec || !v.is_object()) {
    return error(ErrorCode::kParse, std::string(what) + ": response is not a JSON object");
  }
  return std::move(v.as_object());
}

}  // namespace

GithubOAuth::GithubOAuth(Transport& transport, Options options)
    : transport_(transport), options_(std::move(options)) {}

std::string GithubOAuth::authorize_redirect(std::string_view state,
                                            std::string_view code_challenge) const {
  std::string url = options_.authorize_url;
  url += url.find('?') == std::string::npos ? '?' : '&';
  url += form_encode({{"client_id", options_.client_id},
                      {"redirect_uri", options_.redirect_uri},
                      {"scope", options_.scope},
                      {"state", std::string(state)},
                      {"code_challenge", std::string(code_challenge)},
                      {"code_challenge_method", "S256"}});
  return url;
}

Result<GithubToken> GithubOAuth::exchange(std::string_view code,
                                          std::string_view code_verifier) const {
  if (code.empty()) return error(ErrorCode::kInvalid, "github oauth: empty code");
  HttpRequest request;
  request.method = "POST";
  request.url = options_.token_url;
  request.headers = {{"Accept", "application/json"},
                     {"Content-Type", "application/x-www-form-urlencoded"}};
  request.body = form_encode({{"client_id", options_.client_id},
                              {"client_secret", options_.client_secret},
                              {"code", std::string(code)},
                              {"redirect_uri", options_.redirect_uri},
                              {"code_verifier", std::string(code_verifier)}});
  request.timeout = options_.timeout;
  request.max_body_bytes = kMaxBody;
  request.max_redirects = 0;  // never re-send the secret to wherever a redirect points
  auto response = transport_.fetch(request);
  if (!response.ok()) return response.status().with_context("github oauth: token exchange");
  MU_RETURN_IF_ERROR(check_http_status(*response).with_context("github oauth: token exchange"));

  MU_ASSIGN_OR_RETURN(json::object obj, parse_object(response->body, "github oauth: token"));
  if (const std::string err = string_field(obj, "error"); !err.empty()) {
    const bool config = err == "incorrect_client_credentials" || err == "redirect_uri_mismatch";
    return error(config ? ErrorCode::kConfig : ErrorCode::kInvalid,
                 "github oauth: token exchange refused: " + safe_code(err));
  }
  GithubToken token;
  token.access_token = string_field(obj, "access_token");
  token.token_type = string_field(obj, "token_type");
  token.scope = string_field(obj, "scope");
  if (token.access_token.empty()) {
    return error(ErrorCode::kParse, "github oauth: token response without access_token");
  }
  return token;
}

Result<GithubUser> GithubOAuth::fetch_user(std::string_view access_token) const {
  if (access_token.empty()) return error(ErrorCode::kInvalid, "github oauth: empty token");
  HttpRequest request;
  request.method = "GET";
  std::string base = options_.api_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  request.url = base + "/user";
  request.headers = {{"Accept", "application/vnd.github+json"},
                     {"Authorization", "Bearer " + std::string(access_token)},
                     {"X-GitHub-Api-Version", "2022-11-28"}};
  request.timeout = options_.timeout;
  request.max_body_bytes = kMaxBody;
  request.max_redirects = 0;  // never send the bearer token on to another host
  auto response = transport_.fetch(request);
  if (!response.ok()) return response.status().with_context("github oauth: fetch user");
  if (response->status == 401) {
    return error(ErrorCode::kInvalid, "github oauth: access token rejected").with_http(401);
  }
  MU_RETURN_IF_ERROR(check_http_status(*response).with_context("github oauth: fetch user"));

  MU_ASSIGN_OR_RETURN(json::object obj, parse_object(response->body, "github oauth: user"));
  GithubUser user;
  const json::value* id = obj.if_contains("id");
  if (id != nullptr && id->is_int64() && id->get_int64() > 0) {
    user.id = id->get_int64();
  } else if (id != nullptr && id->is_uint64() &&
             id->get_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) {
    user.id = static_cast<std::int64_t>(id->get_uint64());
  } else {
    return error(ErrorCode::kParse, "github oauth: user without a numeric id");
  }
  user.login = string_field(obj, "login");
  if (user.login.empty()) return error(ErrorCode::kParse, "github oauth: user without a login");
  user.name = string_field(obj, "name");
  user.avatar_url = string_field(obj, "avatar_url");
  return user;
}

}  // namespace mu
