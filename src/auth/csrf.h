// CSRF check for cookie-authenticated requests. Safe methods (GET, HEAD, OPTIONS) always
// pass; they must not change state. A mutating request (any other method, compared
// case-sensitively, so "post" is treated as mutating too) passes only when either
//   - its X-CSRF-Token header equals the session's CSRF token (constant-time; an empty token
//     never matches), or
//   - its Origin header (or, when Origin is absent, the origin of its Referer) is the site's
//     own origin or one of `allowed_origins`.
// Origins are compared after normalisation (lower-case scheme and host, default port
// dropped); only http and https origins count, "null" and URLs with user info never match.
// Callers map a failure (kInvalid) to 403.
// Thread-safety: stateless functions, safe from any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace mu {

Status check_csrf(std::string_view method, std::string_view origin_header,
                  std::string_view referer_header, std::string_view csrf_header,
                  std::string_view session_csrf_token,
                  const std::vector<std::string>& allowed_origins, std::string_view self_origin);

// "HTTPS://Example.com:443/path?q" -> "https://example.com"; nullopt when the text is not an
// absolute http(s) URL or origin with a host, or has user info.
std::optional<std::string> normalize_origin(std::string_view url);

}  // namespace mu
