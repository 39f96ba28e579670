#include "auth/testing/mock_github.h"

#include <boost/json.hpp>

#include "auth/crypto.h"
#include "auth/pkce.h"
#include "auth/url_util.h"

namespace mu {
namespace {

TestHttpResponse json_response(int status, const boost::json::value& v) {
  return TestHttpResponse::text(status, boost::json::serialize(v), "application/json");
}

// GitHub answers token errors with 200 and an error document.
TestHttpResponse token_error(const TestHttpRequest& request, const std::string& code) {
  if (request.header("Accept").find("application/json") == std::string_view::npos) {
    return TestHttpResponse::text(200, form_encode({{"error", code}}),
                                  "application/x-www-form-urlencoded");
  }
  return json_response(200, boost::json::object{{"error", code}});
}

bool is_http_url(const std::string& s) {
  return s.rfind("http://", 0) == 0 || s.rfind("https://", 0) == 0;
}

}  // namespace

MockGithub::MockGithub() : MockGithub(Options{}) {}

MockGithub::MockGithub(Options options) : options_(std::move(options)) {
  users_ = options_.users;
  if (!users_.empty()) current_login_ = users_.front().login;
  server_.route("/login/oauth/authorize",
                [this](const TestHttpRequest& r) { return authorize(r); });
  server_.route("/login/oauth/access_token",
                [this](const TestHttpRequest& r) { return access_token(r); });
  server_.route("/user", [this](const TestHttpRequest& r) { return user(r); });
}

MockGithub::~MockGithub() { server_.stop(); }

void MockGithub::add_user(User user) {
  std::lock_guard lock(mu_);
  for (User& u : users_) {
    if (u.login == user.login) {
      u = std::move(user);
      return;
    }
  }
  if (users_.empty()) current_login_ = user.login;
  users_.push_back(std::move(user));
}

bool MockGithub::sign_in_as(const std::string& login) {
  std::lock_guard lock(mu_);
  if (!find_user_locked(login)) return false;
  current_login_ = login;
  return true;
}

std::string MockGithub::authorize_url() const { return server_.url("/login/oauth/authorize"); }
std::string MockGithub::token_url() const { return server_.url("/login/oauth/access_token"); }
std::string MockGithub::api_url() const {
  std::string url = server_.url("/");
  url.pop_back();
  return url;
}

int MockGithub::outstanding_codes() const {
  std::lock_guard lock(mu_);
  return static_cast<int>(codes_.size());
}

int MockGithub::tokens_issued() const {
  std::lock_guard lock(mu_);
  return tokens_issued_;
}

std::optional<MockGithub::User> MockGithub::find_user_locked(const std::string& login) const {
  for (const User& u : users_) {
    if (u.login == login) return u;
  }
  return std::nullopt;
}

TestHttpResponse MockGithub::authorize(const TestHttpRequest& request) {
  if (request.method != "GET") return TestHttpResponse::text(405, "method not allowed");
  const FormFields q = parse_form(request.query);
  const std::string client_id = form_value(q, "client_id").value_or("");
  const std::string redirect_uri = form_value(q, "redirect_uri").value_or("");
  const std::string state = form_value(q, "state").value_or("");
  const std::string challenge = form_value(q, "code_challenge").value_or("");
  const std::string method = form_value(q, "code_challenge_method").value_or("");
  if (client_id != options_.client_id) return TestHttpResponse::text(400, "unknown client_id");
  if (!is_http_url(redirect_uri) ||
      (!options_.redirect_uri.empty() && redirect_uri != options_.redirect_uri)) {
    return TestHttpResponse::text(400, "redirect_uri mismatch");
  }
  if (state.empty()) return TestHttpResponse::text(400, "missing state");
  if (method != "S256" || challenge.size() != 43) {
    return TestHttpResponse::text(400, "code_challenge_method must be S256");
  }
  std::lock_guard lock(mu_);
  if (!find_user_locked(current_login_)) return TestHttpResponse::text(400, "no user signed in");
  const std::string code = random_token(20);
  codes_[code] = Code{client_id, redirect_uri, challenge, current_login_};
  const char sep = redirect_uri.find('?') == std::string::npos ? '?' : '&';
  return TestHttpResponse::redirect(redirect_uri + sep +
                                    form_encode({{"code", code}, {"state", state}}));
}

TestHttpResponse MockGithub::access_token(const TestHttpRequest& request) {
  if (request.method != "POST") return TestHttpResponse::text(405, "method not allowed");
  if (form_value(parse_form(request.query), "client_secret")) {
    return TestHttpResponse::text(400, "client_secret must not be sent in the URL");
  }
  const FormFields f = parse_form(request.body);
  const std::string client_id = form_value(f, "client_id").value_or("");
  const std::string secret = form_value(f, "client_secret").value_or("");
  const std::string code = form_value(f, "code").value_or("");
  const std::string verifier = form_value(f, "code_verifier").value_or("");
  const std::optional<std::string> redirect_uri = form_value(f, "redirect_uri");
  if (client_id != options_.client_id || !constant_time_equals(secret, options_.client_secret)) {
    return token_error(request, "incorrect_client_credentials");
  }
  std::string login;
  {
    std::lock_guard lock(mu_);
    auto it = codes_.find(code);
    if (it == codes_.end()) return token_error(request, "bad_verification_code");
    const Code issued = it->second;
    codes_.erase(it);  // one-time, whatever happens next
    if (issued.client_id != client_id) return token_error(request, "bad_verification_code");
    if (redirect_uri && *redirect_uri != issued.redirect_uri) {
      return token_error(request, "redirect_uri_mismatch");
    }
    if (!is_valid_pkce_verifier(verifier) ||
        !constant_time_equals(pkce_challenge(verifier), issued.challenge)) {
      return token_error(request, "bad_verification_code");
    }
    login = issued.login;
  }
  const std::string token = "gho_" + random_token(24);
  {
    std::lock_guard lock(mu_);
    tokens_[token] = login;
    ++tokens_issued_;
  }
  if (request.header("Accept").find("application/json") == std::string_view::npos) {
    return TestHttpResponse::text(
        200,
        form_encode({{"access_token", token}, {"token_type", "bearer"}, {"scope", "read:user"}}),
        "application/x-www-form-urlencoded");
  }
  return json_response(
      200, boost::json::object{
               {"access_token", token}, {"token_type", "bearer"}, {"scope", "read:user"}});
}

TestHttpResponse MockGithub::user(const TestHttpRequest& request) {
  if (request.method != "GET") return TestHttpResponse::text(405, "method not allowed");
  constexpr std::string_view kBearer = "Bearer ";
  const std::string_view auth = request.header("Authorization");
  if (auth.substr(0, kBearer.size()) != kBearer) {
    return json_response(401, boost::json::object{{"message", "Requires authentication"}});
  }
  const std::string token(auth.substr(kBearer.size()));
  std::lock_guard lock(mu_);
  auto it = tokens_.find(token);
  std::optional<User> u;
  if (it != tokens_.end()) u = find_user_locked(it->second);
  if (!u) return json_response(401, boost::json::object{{"message", "Bad credentials"}});
  boost::json::object obj{{"id", u->id}, {"login", u->login}, {"avatar_url", u->avatar_url}};
  if (u->name.empty()) {
    obj["name"] = nullptr;
  } else {
    obj["name"] = u->name;
  }
  return json_response(200, obj);
}

}  // namespace mu
