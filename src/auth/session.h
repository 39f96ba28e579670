// Session cookie helpers. The browser holds a random session token in the `mu_session`
// cookie (HttpOnly, SameSite=Lax, Path=/, Secure when served over HTTPS); the server stores
// only session_id_of(token) = SHA-256 hex of it, so a leaked database row cannot be replayed
// as a cookie.
// Thread-safety: stateless functions, safe from any thread.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace mu {

inline constexpr std::string_view kSessionCookieName = "mu_session";

// A new session token (32 random bytes, base64url: 43 characters).
std::string new_session_token();

// The id under which a session is stored: sha256_hex(token).
std::string session_id_of(std::string_view token);

// Set-Cookie value: "mu_session=<token>; Path=/; HttpOnly; SameSite=Lax; Max-Age=<s>" plus
// "; Secure" when `secure`. A negative max_age is written as 0. A token with characters
// outside [A-Za-z0-9_-] (which random tokens never have) would allow header/attribute
// injection, so it yields the clearing cookie instead.
std::string session_cookie(std::string_view token, std::chrono::seconds max_age, bool secure);

// Set-Cookie value that deletes the session cookie: empty value, Max-Age=0, same
// attributes.
std::string clear_session_cookie(bool secure);

// The OAuth `state` of a sign-in in progress is also set in this cookie (Path=/auth/github,
// HttpOnly, SameSite=Lax, 10 minutes): the callback accepts a state only from the browser
// that started the sign-in, so an attacker cannot log a victim into the attacker's account
// by sending them a callback link (login CSRF).
inline constexpr std::string_view kOAuthStateCookieName = "mu_oauth_state";
inline constexpr std::string_view kOAuthStateCookiePath = "/auth/github";
std::string oauth_state_cookie(std::string_view state, std::chrono::seconds max_age, bool secure);
std::string clear_oauth_state_cookie(bool secure);

// The value of cookie `name` in a Cookie request header ("a=1; mu_session=xyz"). Tolerates
// spaces and tabs around pieces and around '=', strips one pair of surrounding double
// quotes, skips pieces without '='. Names match exactly (case-sensitive). When the name is
// present more than once the first one wins. nullopt when absent.
std::optional<std::string> parse_cookie(std::string_view header, std::string_view name);

}  // namespace mu
