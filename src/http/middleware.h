// The response middleware that Server applies to every response: conditional requests
// (ETag / If-None-Match -> 304), content coding (a pre-computed gzip variant, or gzip on the
// fly for compressible types), Vary, CORS, security headers, and the serialized header
// block. It lives apart from server.cc so that it is testable without sockets and compiles
// without Beast. API handlers do not call it; they only fill Response.
// Pure functions over their arguments; safe for concurrent use.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/http.h"

namespace mu {

// Default Content-Security-Policy for HTML responses: everything from our own origin, with
// images from anywhere over https (boards link to site icons and thumbnails).
inline constexpr std::string_view kDefaultContentSecurityPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: https:; font-src 'self' data:; connect-src 'self'; "
    "manifest-src 'self'; worker-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'";

struct MiddlewareOptions {
  // Origins allowed to make cross-origin requests, compared exactly
  // ("https://mu.example.com"). Empty: no CORS headers at all.
  std::vector<std::string> cors_origins;
  std::string content_security_policy = std::string(kDefaultContentSecurityPolicy);
  std::size_t gzip_min_size = 1024;  // compress on the fly only bodies at least this big
  int gzip_level = 6;
};

// True when the If-None-Match header value matches `etag` by weak comparison: "*", or any
// listed tag (with or without W/) with the same opaque-tag.
bool etag_matches(std::string_view if_none_match, std::string_view etag);
// True when an Accept-Encoding header value allows gzip: "gzip" (or "x-gzip") with q > 0,
// or "*" with q > 0 when gzip is not listed. "gzip;q=0" refuses it.
bool accepts_gzip(std::string_view accept_encoding);
// Text, JSON, JavaScript, CSS, XML and SVG content types.
bool is_compressible(std::string_view content_type);
// `"tag"` for a bare `tag`; a tag that is already quoted, or W/-prefixed, is kept as is.
std::string normalize_etag(std::string_view etag);

// The answer to a CORS preflight (OPTIONS with Origin and Access-Control-Request-Method):
// 204 with the Access-Control-Allow-* headers when the origin is allowed, 403 otherwise.
// nullopt when `request` is not a preflight or CORS is off.
std::optional<Response> cors_preflight(const Request& request, const MiddlewareOptions& options);

// Applies the middleware to `response` (which it may change: 304, the gzip body, the etag)
// and writes the status line and header block, ending in an empty line, into `head`, which
// it clears first. `date` is an IMF-fixdate. Returns the body bytes to send after `head`:
// "" for HEAD, 1xx, 204 and 304. They point into `response`, so keep it alive until the
// write completes.
std::string_view finish_response(const Request& request, Response& response,
                                 const MiddlewareOptions& options, std::string_view date,
                                 bool keep_alive, std::string& head);

// IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT") for seconds since the Unix epoch.
std::string http_date(int64_t unix_seconds);

}  // namespace mu
