#include "api/accounts.h"

#include <spdlog/spdlog.h>
#include <boost/json.hpp>

#include <algorithm>
#include <limits>
#include <utility>

#include "api/handler_util.h"
#include "auth/crypto.h"
#include "auth/csrf.h"
#include "auth/pkce.h"
#include "auth/session.h"

namespace mu {
namespace {
namespace json = boost::json;

constexpr std::size_t kMaxUserAgent = 256;

using handler::empty;
using handler::err;
using handler::is_http_url;
using handler::json_ok;
using handler::parse_object;
using handler::redirect;
using handler::string_member;

Response internal(std::string_view what, const Status& s) {
  return handler::internal("accounts", what, s);
}

std::optional<int> parse_int(std::string_view text, int lo, int hi) {
  auto v = handler::parse_int(text, lo, hi);
  if (!v) return std::nullopt;
  return static_cast<int>(*v);
}

json::object user_json(const User& u) {
  return json::object{{"id", u.id},     {"provider", u.provider},     {"login", u.login},
                      {"name", u.name}, {"avatar_url", u.avatar_url}, {"role", u.role}};
}

json::value preferences_body(const std::string& stored) {
  boost::system::error_code ec;
  json::value v = json::parse(stored, ec);
  if (ec) return json::object{};
  return v;
}

}  // namespace

AccountsService::AccountsService(AccountStore& store, LoginStates& login_states,
                                 Transport& github_transport, const Clock& clock,
                                 AccountsOptions options)
    : store_(store),
      clock_(clock),
      options_(std::move(options)),
      github_(github_transport, options_.github),
      states_(login_states),
      write_limiter_(clock, options_.write_rate) {}

void AccountsService::register_routes(Router& router) {
  router.add(HttpMethod::kGet, "/api/v1/auth/providers",
             [this](const Request& r) { return providers(r); });
  router.add(HttpMethod::kGet, "/auth/local", [this](const Request& r) { return local_admin(r); });
  router.add(HttpMethod::kGet, "/auth/github/login", [this](const Request& r) { return login(r); });
  // The callback calls GitHub (token exchange, user): off the io threads.
  router.add(HttpMethod::kGet, "/auth/github/callback", [this](const Request& r) {
    return defer_response([this, r] { return callback(r); });
  });
  router.add(HttpMethod::kPost, "/auth/logout", [this](const Request& r) { return logout(r); });
  router.add(HttpMethod::kGet, "/api/v1/me", [this](const Request& r) { return me(r); });
  router.add(HttpMethod::kGet, "/api/v1/me/favorites",
             [this](const Request& r) { return list_favorites(r); });
  router.add(HttpMethod::kPost, "/api/v1/me/favorites",
             [this](const Request& r) { return add_favorite(r); });
  router.add(HttpMethod::kDelete, "/api/v1/me/favorites",
             [this](const Request& r) { return remove_favorite(r); });
  router.add(HttpMethod::kGet, "/api/v1/me/favorites/keys",
             [this](const Request& r) { return favorite_keys(r); });
  router.add(HttpMethod::kGet, "/api/v1/me/preferences",
             [this](const Request& r) { return get_preferences(r); });
  router.add(HttpMethod::kPut, "/api/v1/me/preferences",
             [this](const Request& r) { return put_preferences(r); });
  router.add(HttpMethod::kGet, "/api/v1/admin/users",
             [this](const Request& r) { return admin_users(r); });
  router.add(HttpMethod::kPost, "/api/v1/admin/users/{id}/role",
             [this](const Request& r) { return admin_set_role(r); });
}

Result<std::optional<AccountsService::Authed>> AccountsService::authenticate(
    const Request& req) const {
  std::optional<std::string> token = parse_cookie(req.header("Cookie"), kSessionCookieName);
  if (!token || token->empty()) return std::optional<Authed>{};
  const std::string id = session_id_of(*token);
  const int64_t now = clock_.now_ms();
  MU_ASSIGN_OR_RETURN(std::optional<Session> session, store_.session(id, now));
  if (!session) return std::optional<Authed>{};
  MU_ASSIGN_OR_RETURN(std::optional<User> user, store_.user_by_id(session->user_id));
  if (!user) return std::optional<Authed>{};
  const int64_t interval_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(options_.touch_interval).count();
  if (now - session->last_seen_ms >= interval_ms) {
    const int64_t expires =
        now + std::chrono::duration_cast<std::chrono::milliseconds>(options_.session_ttl).count();
    Status s = store_.touch_session(id, now, expires);
    if (s.ok()) {
      session->last_seen_ms = now;
      session->expires_ms = expires;
    } else if (s.code() != ErrorCode::kNotFound) {
      return s;
    }
  }
  return std::optional<Authed>{Authed{std::move(*session), std::move(*user)}};
}

Status AccountsService::csrf(const Request& req, const std::string& session_csrf) const {
  return check_csrf(req.method_token, req.header("Origin"), req.header("Referer"),
                    req.header("X-CSRF-Token"), session_csrf, options_.allowed_origins,
                    options_.self_origin);
}

std::optional<Response> AccountsService::require(const Request& req, bool mutating, bool admin,
                                                 Authed& out) const {
  auto authed = authenticate(req);
  if (!authed.ok()) return internal("session lookup", authed.status());
  if (!*authed) return err(401, "unauthenticated", "sign in first");
  out = std::move(**authed);
  if (mutating && !csrf(req, out.session.csrf_token).ok()) {
    return err(403, "csrf", "missing or wrong CSRF token");
  }
  if (admin && out.user.role != kRoleAdmin) return err(403, "forbidden", "admins only");
  return std::nullopt;
}

Response AccountsService::login(const Request& req) {
  if (options_.github.client_id.empty()) {
    return err(404, "not-found", "GitHub sign-in is not configured (auth.github_client_id)");
  }
  std::string return_to = "/";
  if (auto q = req.query("return_to")) return_to = std::string(*q);
  // Too long a path still signs in, landing on the home page (always safe): the stored
  // return_to stays small, since every pending sign-in keeps one.
  if (return_to.size() > kMaxReturnToBytes) return_to = "/";
  if (!is_safe_return_to(return_to)) {
    return err(400, "invalid", "return_to must be a local path");
  }
  PkcePair pkce = make_pkce();
  auto state = states_.put(pkce.verifier, return_to, req.remote_address);
  if (!state.ok()) {
    if (state.code() == ErrorCode::kInvalid) return err(400, "invalid", state.error_message());
    return internal("record login state", state.status());
  }
  Response r = redirect(github_.authorize_redirect(*state, pkce.challenge));
  r.headers.add("Set-Cookie",
                oauth_state_cookie(*state, std::chrono::minutes(10), options_.secure_cookies));
  return r;
}

Response AccountsService::callback(const Request& req) {
  if (req.query("error")) return err(400, "denied", "sign-in was cancelled or refused");
  const std::string state(req.query("state").value_or(""));
  const std::string code(req.query("code").value_or(""));
  if (state.empty() || code.empty()) return err(400, "invalid", "missing code or state");
  // The state must come back to the browser that started the sign-in (login CSRF).
  const std::optional<std::string> own = parse_cookie(req.header("Cookie"), kOAuthStateCookieName);
  if (!own || !constant_time_equals(*own, state)) {
    return err(400, "invalid-state", "this sign-in was not started in this browser");
  }
  auto pending = states_.take(state);
  if (!pending.ok()) {
    if (pending.code() == ErrorCode::kInvalid) {
      return err(400, "invalid-state", "unknown, used or expired sign-in state");
    }
    return internal("take login state", pending.status());
  }
  auto token = github_.exchange(code, pending->code_verifier);
  if (!token.ok()) {
    if (token.code() == ErrorCode::kInvalid) {
      return err(400, "invalid-code", "GitHub refused the sign-in code");
    }
    spdlog::warn("accounts: GitHub token exchange failed: {}", token.status().to_string());
    return err(502, "upstream", "GitHub sign-in failed");
  }
  auto gh = github_.fetch_user(token->access_token);
  if (!gh.ok()) {
    spdlog::warn("accounts: GitHub user lookup failed: {}", gh.status().to_string());
    return err(502, "upstream", "GitHub sign-in failed");
  }
  const int64_t now = clock_.now_ms();
  auto user = store_.upsert_user("github", std::to_string(gh->id), gh->login, gh->name,
                                 gh->avatar_url, now);
  if (!user.ok()) return internal("upsert user", user.status());
  if (Status s = grant_configured_admin(*user, now); !s.ok()) return internal("grant admin", s);
  spdlog::info("accounts: {} signed in", describe_user(*user));
  Response r = start_session(req, *user, now, pending->return_to);
  r.headers.add("Set-Cookie", clear_oauth_state_cookie(options_.secure_cookies));
  return r;
}

Response AccountsService::start_session(const Request& req, const User& user, int64_t now,
                                        const std::string& return_to) const {
  const std::string session_token = new_session_token();
  const std::string csrf_token = random_token();
  const int64_t expires =
      now + std::chrono::duration_cast<std::chrono::milliseconds>(options_.session_ttl).count();
  std::string user_agent(req.header("User-Agent").substr(0, kMaxUserAgent));
  Status created = store_.create_session(session_id_of(session_token), user.id, csrf_token, now,
                                         expires, user_agent);
  if (!created.ok()) return internal("create session", created);
  Response r = redirect(return_to);
  r.headers.add("Set-Cookie",
                session_cookie(session_token, options_.session_ttl, options_.secure_cookies));
  return r;
}

Status AccountsService::grant_configured_admin(User& user, int64_t now) {
  if (user.role == kRoleAdmin || std::find(options_.admins.begin(), options_.admins.end(),
                                           user.login) == options_.admins.end()) {
    return ok_status();
  }
  if (user.login == kLocalAdminLogin) {
    // The reserved name never makes a provider account an admin.
    spdlog::warn("accounts: {} uses the reserved login {}; not granting admin", describe_user(user),
                 kLocalAdminLogin);
    return ok_status();
  }
  MU_RETURN_IF_ERROR(store_.set_role(user.id, std::string(kRoleAdmin)));
  user.role = std::string(kRoleAdmin);
  AuditRecord audit;
  audit.at_ms = now;
  audit.action = "set_role";
  audit.target = describe_user(user);
  audit.detail = R"({"role":"admin","reason":"configured admin"})";
  return store_.append_audit(audit).status();
}

std::string AccountsService::arm_local_admin_link() {
  std::string token = random_token();
  std::lock_guard lock(local_mu_);
  local_admin_hash_ = sha256_hex(token);
  local_admin_expires_ = clock_.mono() + options_.local_admin_link_ttl;
  return token;
}

Response AccountsService::providers(const Request& req) const {
  bool local = false;
  {
    std::lock_guard lock(local_mu_);
    local = !local_admin_hash_.empty() && clock_.mono() < local_admin_expires_;
  }
  if (local) {
    // Tell strangers about the link only while it could work.
    auto admins = store_.count_admins();
    local = admins.ok() && *admins == 0;
  }
  // Whether this request carries a live session: the page asks for /api/v1/me only then, so
  // a signed-out visit logs no 401. A store error reads as signed out here; /api/v1/me
  // reports it.
  auto authed = authenticate(req);
  const bool signed_in = authed.ok() && authed->has_value();
  return json_ok(200, json::object{{"github", !options_.github.client_id.empty()},
                                   {"local_admin", local},
                                   {"signed_in", signed_in}});
}

Response AccountsService::local_admin(const Request& req) {
  const std::string token(req.query("token").value_or(""));
  if (token.empty()) return err(404, "not-found", "unknown or already used admin link");
  bool armed_here = false;
  {
    std::lock_guard lock(local_mu_);
    armed_here =
        !local_admin_hash_.empty() && constant_time_equals(sha256_hex(token), local_admin_hash_);
  }
  if (!armed_here) {
    // A link `mu admin link` made (the way back in for whoever runs the server): a one-use
    // record in the store, valid whether admins exist or not, on any instance.
    auto taken = store_.take_login_state(sha256_hex(token), clock_.now_ms());
    if (!taken.ok()) return internal("admin link", taken.status());
    if (!*taken || (*taken)->code_verifier != kLocalAdminLinkVerifier) {
      return err(404, "not-found", "unknown or already used admin link");
    }
    return sign_in_local_admin(req, "cli");
  }
  {
    // One use: the first request with the right token consumes it.
    std::lock_guard lock(local_mu_);
    if (local_admin_hash_.empty() || !constant_time_equals(sha256_hex(token), local_admin_hash_)) {
      return err(404, "not-found", "unknown or already used admin link");
    }
    if (clock_.mono() >= local_admin_expires_) {
      local_admin_hash_.clear();
      return err(404, "not-found", "the admin link expired; run `mu admin grant` instead");
    }
    // Only while nobody can appoint admins otherwise: checked now, not when it was armed.
    auto admins = store_.count_admins();
    if (!admins.ok()) return internal("count admins", admins.status());
    if (*admins > 0) {
      local_admin_hash_.clear();
      return err(404, "not-found",
                 "an admin exists, so the admin link no longer works; ask an admin, or run "
                 "`mu admin grant`");
    }
    local_admin_hash_.clear();
  }
  return sign_in_local_admin(req, "serve");
}

Response AccountsService::sign_in_local_admin(const Request& req, std::string_view made_by) {
  const int64_t now = clock_.now_ms();
  auto user = store_.upsert_user(std::string(kLocalProvider), std::string(kLocalAdminProviderId),
                                 std::string(kLocalAdminLogin), "Local admin", "", now);
  if (!user.ok()) return internal("upsert local admin", user.status());
  if (user->role != kRoleAdmin) {
    Status s = store_.set_role(user->id, std::string(kRoleAdmin));
    if (!s.ok()) return internal("grant admin", s);
    user->role = std::string(kRoleAdmin);
  }
  AuditRecord audit;
  audit.at_ms = now;
  audit.actor = user->login;
  audit.action = "local_admin_link";
  audit.target = describe_user(*user);
  audit.detail = std::string(R"({"role":"admin","link":")") + std::string(made_by) + "\"}";
  auto appended = store_.append_audit(audit);
  if (!appended.ok()) return internal("audit", appended.status());
  spdlog::info("accounts: the one-time admin link ({}) was used; it no longer works", made_by);
  return start_session(req, *user, now, "/admin");
}

Response AccountsService::logout(const Request& req) const {
  auto authed = authenticate(req);
  if (!authed.ok()) return internal("session lookup", authed.status());
  const std::string session_csrf = *authed ? (*authed)->session.csrf_token : std::string();
  if (!csrf(req, session_csrf).ok()) return err(403, "csrf", "missing or wrong CSRF token");
  if (*authed) {
    Status s = store_.delete_session((*authed)->session.id_hash);
    if (!s.ok()) return internal("delete session", s);
  }
  Response r = empty(204);
  r.headers.add("Set-Cookie", clear_session_cookie(options_.secure_cookies));
  return r;
}

Response AccountsService::me(const Request& req) const {
  Authed a;
  if (auto r = require(req, false, false, a)) return std::move(*r);
  json::object o = user_json(a.user);
  o["csrf_token"] = a.session.csrf_token;
  return json_ok(200, o);
}

Response AccountsService::list_favorites(const Request& req) const {
  Authed a;
  if (auto r = require(req, false, false, a)) return std::move(*r);
  FavoriteQuery q;
  q.text = std::string(req.query("q").value_or(""));
  q.board = std::string(req.query("board").value_or(""));
  if (auto l = req.query("limit")) {
    auto v = parse_int(*l, 1, kMaxFavoritesLimit);
    if (!v) return err(400, "invalid", "limit must be 1.." + std::to_string(kMaxFavoritesLimit));
    q.limit = *v;
  }
  if (auto o = req.query("offset")) {
    auto v = parse_int(*o, 0, 1'000'000);
    if (!v) return err(400, "invalid", "offset must be a whole number >= 0");
    q.offset = *v;
  }
  auto favs = store_.favorites(a.user.id, q);
  if (!favs.ok()) return internal("favorites", favs.status());
  json::array list;
  for (const Favorite& f : *favs) {
    list.push_back(json::object{{"board", f.board},
                                {"item_key", f.item_key},
                                {"title", f.title},
                                {"url", f.url},
                                {"added_ms", f.added_ms}});
  }
  return json_ok(200, json::object{{"favorites", std::move(list)}});
}

std::optional<Response> AccountsService::limit_writes(const User& user) const {
  const std::optional<std::chrono::milliseconds> wait = write_limiter_.acquire(user.id);
  if (!wait) return std::nullopt;
  const int64_t seconds = (wait->count() + 999) / 1000;
  const WriteRateLimiter::Options& o = write_limiter_.options();
  Response r =
      err(429, "rate-limited",
          "too many writes: at most " + std::to_string(static_cast<int64_t>(o.per_second)) +
              " per second per user (bursts of " + std::to_string(static_cast<int64_t>(o.burst)) +
              "); retry in " + std::to_string(seconds) + " s");
  r.headers.set("Retry-After", std::to_string(seconds));
  return r;
}

Response AccountsService::add_favorite(const Request& req) const {
  Authed a;
  if (auto r = require(req, true, false, a)) return std::move(*r);
  if (auto r = limit_writes(a.user)) return std::move(*r);
  auto body = parse_object(req.body);
  if (!body) return err(400, "invalid", "body must be a JSON object");
  Favorite f;
  f.user_id = a.user.id;
  f.board = string_member(*body, "board").value_or("");
  f.item_key = string_member(*body, "item_key").value_or("");
  f.title = string_member(*body, "title").value_or("");
  f.url = string_member(*body, "url").value_or("");
  f.added_ms = clock_.now_ms();
  if (f.board.empty() || f.board.size() > 128 || f.item_key.empty() || f.item_key.size() > 1024) {
    return err(400, "invalid", "board and item_key are required");
  }
  if (f.title.size() > 2048) return err(400, "invalid", "title too long");
  if (f.url.size() > 4096 || !is_http_url(f.url)) {
    return err(400, "invalid", "url must be an http or https URL");
  }
  auto added = store_.add_favorite(f, options_.max_favorites);
  if (!added.ok()) {
    if (added.code() == ErrorCode::kInvalid) return err(400, "invalid", added.error_message());
    if (added.code() == ErrorCode::kTooLarge) {
      return err(409, "quota-exceeded",
                 "you have " + std::to_string(options_.max_favorites) +
                     " favorites, the most one account may keep; remove some first");
    }
    return internal("add favorite", added.status());
  }
  return json_ok(*added ? 201 : 200, json::object{{"added", *added}});
}

Response AccountsService::remove_favorite(const Request& req) const {
  Authed a;
  if (auto r = require(req, true, false, a)) return std::move(*r);
  if (auto r = limit_writes(a.user)) return std::move(*r);
  const std::string board(req.query("board").value_or(""));
  const std::string key(req.query("item_key").value_or(""));
  if (board.empty() || key.empty()) return err(400, "invalid", "board and item_key are required");
  auto removed = store_.remove_favorite(a.user.id, board, key);
  if (!removed.ok()) return internal("remove favorite", removed.status());
  if (!*removed) return err(404, "not-found", "no such favorite");
  return empty(204);
}

Response AccountsService::favorite_keys(const Request& req) const {
  Authed a;
  if (auto r = require(req, false, false, a)) return std::move(*r);
  const std::string board(req.query("board").value_or(""));
  if (board.empty()) return err(400, "invalid", "board is required");
  auto keys = store_.favorite_keys(a.user.id, board);
  if (!keys.ok()) return internal("favorite keys", keys.status());
  json::array list;
  for (const std::string& k : *keys) list.push_back(json::value(k));
  return json_ok(200, json::object{{"board", board}, {"keys", std::move(list)}});
}

Response AccountsService::get_preferences(const Request& req) const {
  Authed a;
  if (auto r = require(req, false, false, a)) return std::move(*r);
  auto prefs = store_.preferences(a.user.id);
  if (!prefs.ok()) return internal("preferences", prefs.status());
  if (!*prefs) return json_ok(200, json::object{{"version", 0}, {"body", json::object{}}});
  return json_ok(200, json::object{{"version", (*prefs)->version},
                                   {"body", preferences_body((*prefs)->body)}});
}

Response AccountsService::put_preferences(const Request& req) const {
  Authed a;
  if (auto r = require(req, true, false, a)) return std::move(*r);
  if (auto r = limit_writes(a.user)) return std::move(*r);
  auto body = parse_object(req.body);
  if (!body) return err(400, "invalid", "body must be a JSON object");
  const json::value* version = body->if_contains("version");
  const json::value* doc = body->if_contains("body");
  if (!version || !version->is_int64() || version->as_int64() < 0 || !doc || !doc->is_object()) {
    return err(400, "invalid", "expected {\"version\": <int >= 0>, \"body\": {...}}");
  }
  std::string text = json::serialize(*doc);
  if (text.size() > kMaxPreferencesBytes) {
    return err(413, "too-large",
               "preferences are " + std::to_string(text.size()) + " bytes of JSON; at most " +
                   std::to_string(kMaxPreferencesBytes) + " are kept per user");
  }
  auto put = store_.put_preferences(a.user.id, version->as_int64(), text, clock_.now_ms());
  if (!put.ok()) {
    if (put.code() != ErrorCode::kConflict) return internal("put preferences", put.status());
    auto current = store_.preferences(a.user.id);
    if (!current.ok()) return internal("preferences", current.status());
    json::object o{{"error", json::object{{"code", "conflict"},
                                          {"message", "preferences changed; merge and retry"}}}};
    if (*current) {
      o["version"] = (*current)->version;
      o["body"] = preferences_body((*current)->body);
    } else {
      o["version"] = 0;
      o["body"] = json::object{};
    }
    return json_ok(409, o);
  }
  return json_ok(200, json::object{{"version", *put}, {"body", *doc}});
}

Response AccountsService::admin_users(const Request& req) const {
  Authed a;
  if (auto r = require(req, false, true, a)) return std::move(*r);
  auto users = store_.list_users();
  if (!users.ok()) return internal("list users", users.status());
  json::array list;
  for (const User& u : *users) {
    json::object o = user_json(u);
    o["provider_id"] = u.provider_id;
    o["created_ms"] = u.created_ms;
    o["last_login_ms"] = u.last_login_ms;
    list.push_back(std::move(o));
  }
  return json_ok(200, json::object{{"users", std::move(list)}});
}

Response AccountsService::admin_set_role(const Request& req) const {
  Authed a;
  if (auto r = require(req, true, true, a)) return std::move(*r);
  // By Mu's id only: logins repeat across providers and after renames (issue 17).
  const std::optional<int64_t> id =
      handler::parse_int(req.param("id"), 1, std::numeric_limits<int64_t>::max());
  if (!id) {
    return err(400, "invalid",
               "users are named by their numeric id (the \"id\" of GET /api/v1/admin/users), "
               "not by login");
  }
  auto body = parse_object(req.body);
  if (!body) return err(400, "invalid", "body must be a JSON object");
  const std::string role = string_member(*body, "role").value_or("");
  if (role != kRoleUser && role != kRoleAdmin) {
    return err(400, "invalid", "role must be \"user\" or \"admin\"");
  }
  auto target = store_.user_by_id(*id);
  if (!target.ok()) return internal("user by id", target.status());
  if (!*target) return err(404, "not-found", "no such user");
  if ((*target)->role == kRoleAdmin && role == kRoleUser) {
    auto admins = store_.count_admins();
    if (!admins.ok()) return internal("count admins", admins.status());
    if (*admins <= 1) return err(409, "conflict", "cannot demote the last admin");
  }
  Status s = store_.set_role(*id, role);
  if (!s.ok()) {
    if (s.code() == ErrorCode::kNotFound) return err(404, "not-found", "no such user");
    return internal("set role", s);
  }
  const User& user = **target;
  AuditRecord audit;
  audit.at_ms = clock_.now_ms();
  audit.actor = a.user.login;
  audit.action = "set_role";
  audit.target = describe_user(user);
  audit.detail = json::serialize(json::object{{"role", role}, {"was", user.role}});
  auto appended = store_.append_audit(audit);
  if (!appended.ok()) return internal("audit", appended.status());
  spdlog::info("accounts: {} set the role of {} to {}", a.user.login, describe_user(user), role);
  json::object o = user_json(user);
  o["role"] = role;
  return json_ok(200, o);
}

}  // namespace mu
