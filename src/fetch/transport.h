// Transport: how Mu sends HTTP requests to the websites it collects. Implementations:
// CurlTransport (libcurl multi, real network) and ReplayTransport (fixtures on disk, for
// tests and `make demo`). Implementations are safe for concurrent use: many threads may
// call fetch() at once; each call blocks until its response or error.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace mu {

using Headers = std::vector<std::pair<std::string, std::string>>;

// Case-insensitive lookup of the first header named `name`; empty when absent.
std::string_view find_header(const Headers& headers, std::string_view name);

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  Headers headers;   // per-source headers: User-Agent, Referer, Cookie, ...
  std::string body;  // POST body
  std::chrono::milliseconds timeout{std::chrono::seconds(20)};
  std::size_t max_body_bytes = 8u << 20;  // bodies over the cap fail with kTooLarge
  int max_redirects = 5;
  // This request's proxy ("http://host:3128", "socks5h://host:1080"): a board's or site's
  // proxy set in the admin console. "": the transport's own (fetch.proxy, or none).
  std::string proxy;
};

struct HttpResponse {
  int status = 0;
  Headers headers;
  std::string body;           // decompressed
  std::string effective_url;  // after redirects
  std::chrono::milliseconds elapsed{0};

  std::string_view header(std::string_view name) const { return find_header(headers, name); }
};

class Transport {
 public:
  virtual ~Transport() = default;
  // Any HTTP status is a response (check `status`); errors are network, timeout,
  // too-large, invalid (bad URL, scheme not http/https, SSRF guard) or not-found (replay).
  virtual Result<HttpResponse> fetch(const HttpRequest& request) = 0;
};

// `url` for logs and error messages: no user info, query or fragment (they may carry
// secrets), at most 256 characters.
std::string redact_url(std::string_view url);

// Retry-After as a delay ("120" -> 120 s); 0 when absent or not in the delay-seconds form.
std::chrono::milliseconds parse_retry_after(std::string_view value);

// Maps a response to a typed error unless its status is 2xx (the error carries the HTTP
// status and Retry-After, see Status::with_http):
// 403/412/418 (anti-bot walls) -> kBlocked, other statuses (429, 5xx, ...) -> kHttp.
Status check_http_status(const HttpResponse& response);

}  // namespace mu
