#include "auth/session.h"

#include <algorithm>

#include "auth/crypto.h"

namespace mu {
namespace {

bool is_token_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

std::string cookie_with(std::string_view name, std::string_view path, std::string_view value,
                        long long max_age, bool secure) {
  std::string out(name);
  out += '=';
  out += value;
  out += "; Path=";
  out += path;
  out += "; HttpOnly; SameSite=Lax; Max-Age=";
  out += std::to_string(max_age);
  if (secure) out += "; Secure";
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string new_session_token() { return random_token(32); }

std::string session_id_of(std::string_view token) { return sha256_hex(token); }

std::string session_cookie(std::string_view token, std::chrono::seconds max_age, bool secure) {
  if (token.empty() || !std::all_of(token.begin(), token.end(), is_token_char)) {
    return clear_session_cookie(secure);
  }
  return cookie_with(kSessionCookieName, "/", token, std::max<long long>(0, max_age.count()),
                     secure);
}

std::string clear_session_cookie(bool secure) {
  return cookie_with(kSessionCookieName, "/", "", 0, secure);
}

std::string oauth_state_cookie(std::string_view state, std::chrono::seconds max_age, bool secure) {
  if (state.empty() || !std::all_of(state.begin(), state.end(), is_token_char)) {
    return clear_oauth_state_cookie(secure);
  }
  return cookie_with(kOAuthStateCookieName, kOAuthStateCookiePath, state,
                     std::max<long long>(0, max_age.count()), secure);
}

std::string clear_oauth_state_cookie(bool secure) {
  return cookie_with(kOAuthStateCookieName, kOAuthStateCookiePath, "", 0, secure);
}

std::optional<std::string> parse_cookie(std::string_view header, std::string_view name) {
  if (name.empty()) return std::nullopt;
  while (!header.empty()) {
    const std::size_t semi = header.find(';');
    const std::string_view piece = header.substr(0, semi);
    header = semi == std::string_view::npos ? std::string_view() : header.substr(semi + 1);
    const std::size_t eq = piece.find('=');
    if (eq == std::string_view::npos) continue;
    if (trim(piece.substr(0, eq)) != name) continue;
    std::string_view value = trim(piece.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    return std::string(value);
  }
  return std::nullopt;
}

}  // namespace mu
