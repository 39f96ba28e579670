#include "auth/csrf.h"

#include <cctype>

#include "auth/crypto.h"

namespace mu {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool is_safe_method(std::string_view method) {
  return method == "GET" || method == "HEAD" || method == "OPTIONS";
}

}  // namespace

std::optional<std::string> normalize_origin(std::string_view url) {
  const std::size_t sep = url.find("://");
  if (sep == std::string_view::npos) return std::nullopt;
  const std::string scheme = lower(url.substr(0, sep));
  if (scheme != "http" && scheme != "https") return std::nullopt;
  std::string_view rest = url.substr(sep + 3);
  const std::size_t end = rest.find_first_of("/?#");
  std::string authority = lower(rest.substr(0, end));
  if (authority.empty()) return std::nullopt;
  for (char c : authority) {
    const bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' ||
                    c == ':' || c == '[' || c == ']';
    if (!ok) return std::nullopt;  // user info ('@'), spaces, '\\', percent escapes, ...
  }
  const std::string default_port = scheme == "https" ? ":443" : ":80";
  if (authority.size() > default_port.size() &&
      authority.compare(authority.size() - default_port.size(), default_port.size(),
                        default_port) == 0) {
    authority.resize(authority.size() - default_port.size());
  }
  if (authority.empty() || authority.front() == ':' || authority.back() == ':') {
    return std::nullopt;
  }
  return scheme + "://" + authority;
}

Status check_csrf(std::string_view method, std::string_view origin_header,
                  std::string_view referer_header, std::string_view csrf_header,
                  std::string_view session_csrf_token,
                  const std::vector<std::string>& allowed_origins, std::string_view self_origin) {
  if (is_safe_method(method)) return ok_status();

  if (!csrf_header.empty() && !session_csrf_token.empty() &&
      constant_time_equals(csrf_header, session_csrf_token)) {
    return ok_status();
  }

  const std::string_view source = !origin_header.empty() ? origin_header : referer_header;
  if (source.empty()) {
    return error(ErrorCode::kInvalid, "csrf: no CSRF token and no Origin or Referer");
  }
  const std::optional<std::string> origin = normalize_origin(source);
  if (!origin) return error(ErrorCode::kInvalid, "csrf: unusable Origin/Referer");
  if (auto self = normalize_origin(self_origin); self && *self == *origin) return ok_status();
  for (const std::string& allowed : allowed_origins) {
    if (auto a = normalize_origin(allowed); a && *a == *origin) return ok_status();
  }
  return error(ErrorCode::kInvalid, "csrf: cross-origin request without a valid CSRF token");
}

}  // namespace mu
