// AccountsService: the HTTP routes of Mu accounts — "sign in with GitHub" (OAuth 2 code flow
// with PKCE S256 and a server-side state), cookie sessions, the signed-in user (/api/v1/me),
// favorites, preferences and the admin user list / role changes. It registers its routes on
// the same Router as ApiService.
//
// Routes (every answer carries Cache-Control: no-store):
//   GET    /api/v1/auth/providers               {"github": bool, "local_admin": bool}
//                                               (local_admin: a link is armed, unexpired,
//                                               and no admin exists)
//   GET    /auth/local?token=T                  the one-time local admin link (see below)
//   GET    /auth/github/login?return_to=/path   302 to GitHub; 400 for an unsafe return_to
//                                               (a safe one over kMaxReturnToBytes becomes
//                                               "/"); 404 when no GitHub client id is set
//   GET    /auth/github/callback?code&state     302 to return_to with the session cookie;
//                                               400 for an unknown/replayed state or code
//   POST   /auth/logout                         204, session deleted, cookie cleared
//   GET    /api/v1/me                           {login,name,avatar_url,role,csrf_token}
//   GET    /api/v1/me/favorites?q=&board=&limit=&offset=
//   POST   /api/v1/me/favorites                 {board,item_key,title,url}: 201 new, 200 known
//   DELETE /api/v1/me/favorites?board=&item_key=   204, 404 when there was none
//   GET    /api/v1/me/favorites/keys?board=
//   GET    /api/v1/me/preferences               {version, body}
//   PUT    /api/v1/me/preferences               {version, body}: compare-and-set, 409 + the
//                                               current document on conflict
//   GET    /api/v1/admin/users                  each with id, provider, provider_id, login
//   POST   /api/v1/admin/users/{id}/role        {role}; audited. {id} is Mu's user id:
//                                               logins are not unique across providers
// Writes to a user's own data (favorites, preferences) are limited per user: at most
// max_favorites favorites, preferences of at most kMaxPreferencesBytes, and a token bucket
// of write_rate (429 with Retry-After and {"error":{"code":"rate-limited",...}} beyond).
// Without a live session the /api/v1 routes answer 401; admin routes answer 403 to users
// that are not admins. Every mutating route passes check_csrf() (X-CSRF-Token equal to the
// session's token, or an Origin/Referer of this site or an allowed origin) or answers 403.
// The browser's cookie holds a random token; the store keeps only its SHA-256. Tokens,
// codes and secrets are never logged.
//
// Sign-ins in progress (the OAuth state, PKCE verifier and return_to) are kept by the
// LoginStates passed in: StoreLoginStates (api/store_login_states.h) in the shared store for
// `mu serve` and `mu api`, so the callback may reach any API instance; OAuthStateStore in
// memory for a single process. A LoginStates failure other than an unknown state answers
// 5xx, not 400.
//
// Handlers read the store synchronously and the callback talks to GitHub through the
// Transport (bounded by GithubOAuth::Options::timeout).
//
// Thread-safety: after register_routes() every handler is safe to run concurrently on any
// number of server threads (LoginStates and Store are safe for concurrent use; the rest is
// immutable or under local_mu_).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "api/write_rate_limiter.h"
#include "auth/github.h"
#include "auth/oauth_state.h"
#include "core/clock.h"
#include "fetch/transport.h"
#include "http/router.h"
#include "store/store.h"

namespace mu {

struct AccountsOptions {
  GithubOAuth::Options github;
  // GitHub logins that become admins when they sign in.
  std::vector<std::string> admins;
  // Adds "Secure" to the session cookie (serve over HTTPS).
  bool secure_cookies = true;
  // Origins (besides self_origin) whose cross-site mutating requests are accepted.
  std::vector<std::string> allowed_origins;
  // This site's own origin, e.g. "https://mu.example".
  std::string self_origin;
  // Session lifetime; each use slides it, at most once per touch_interval.
  std::chrono::seconds session_ttl{std::chrono::hours(24 * 30)};
  // (also how fresh the online count's "active sessions" are).
  std::chrono::seconds touch_interval{std::chrono::minutes(1)};
  // How long an armed local admin link works (it also stops once any admin exists).
  std::chrono::seconds local_admin_link_ttl{std::chrono::hours(1)};
  // Favorites one user may keep (0 = no cap).
  int64_t max_favorites = 1'000;
  // Writes per user (favorites added or removed, preferences saved).
  WriteRateLimiter::Options write_rate;
};

class AccountsService {
 public:
  // Largest accepted ?limit= of GET /api/v1/me/favorites (default 50).
  static constexpr int kMaxFavoritesLimit = 200;
  // Largest accepted preferences document (serialized JSON bytes).
  static constexpr std::size_t kMaxPreferencesBytes = std::size_t{64} * 1024;

  // `store`, `login_states`, `github_transport` and `clock` must outlive this object.
  AccountsService(AccountStore& store, LoginStates& login_states, Transport& github_transport,
                  const Clock& clock, AccountsOptions options);
  AccountsService(const AccountsService&) = delete;
  AccountsService& operator=(const AccountsService&) = delete;

  void register_routes(Router& router);

  // Arms the one-time local admin link: GET /auth/local?token=<returned token> signs the
  // browser in as the "local-admin" user (role admin, provider "local") and redirects to
  // /admin. The first use consumes it; arming again replaces the previous token. Only the
  // token's SHA-256 is kept. The link works for local_admin_link_ttl and only while no
  // admin exists (checked when it is used: once someone is an admin, `mu admin grant` is
  // the way to appoint more). GET /auth/local also honours the links `mu admin link` makes
  // (app/admin_cli.h): a one-use record in the store (kLocalAdminLinkVerifier), valid on any
  // instance whether admins exist or not — the way back in after the last admin signed out.
  std::string arm_local_admin_link();

  struct Authed {
    Session session;
    User user;
  };
  // For other services' routes (admin): the request's session and user, or the response to
  // send instead — 401 without a live session, 403 when `mutating` and the CSRF check
  // fails or when `admin` and the user is not an admin, 5xx on a store error.
  std::optional<Response> require(const Request& req, bool mutating, bool admin, Authed& out) const;

 private:
  // The live session of the request's cookie and its user; nullopt when there is none.
  // Slides the expiry when the session was last seen touch_interval ago or more.
  Result<std::optional<Authed>> authenticate(const Request& req) const;
  Status csrf(const Request& req, const std::string& session_csrf) const;
  Response start_session(const Request& req, const User& user, int64_t now,
                         const std::string& return_to) const;
  Response providers(const Request& req) const;
  Response local_admin(const Request& req);
  // Signs the browser in as the local admin (made an admin if it is not); `made_by`: which
  // kind of link ("serve": armed at start, "cli": `mu admin link`), for the audit log.
  Response sign_in_local_admin(const Request& req, std::string_view made_by);
  // The 429 of a user over the write rate, or nullopt when the write may go ahead.
  std::optional<Response> limit_writes(const User& user) const;

  Response login(const Request& req);
  Response callback(const Request& req);
  Response logout(const Request& req) const;
  Response me(const Request& req) const;
  Response list_favorites(const Request& req) const;
  Response add_favorite(const Request& req) const;
  Response remove_favorite(const Request& req) const;
  Response favorite_keys(const Request& req) const;
  Response get_preferences(const Request& req) const;
  Response put_preferences(const Request& req) const;
  Response admin_users(const Request& req) const;
  Response admin_set_role(const Request& req) const;
  // Grants kRoleAdmin to a user listed in options_.admins at sign-in (audited).
  Status grant_configured_admin(User& user, int64_t now);

  AccountStore& store_;
  const Clock& clock_;
  const AccountsOptions options_;
  GithubOAuth github_;
  LoginStates& states_;
  mutable std::mutex local_mu_;
  std::string local_admin_hash_;  // by local_mu_; "" = no link armed
  MonoTime local_admin_expires_;  // by local_mu_
  mutable WriteRateLimiter write_limiter_;
};

}  // namespace mu
