// Router: maps (method, path) to a handler.
//
// A pattern is made of '/'-separated segments. Each segment is a literal ("boards") or a
// parameter ("{id}") that matches one whole non-empty segment. The parameter's value is
// percent-decoded, so "%2F" inside "{id}" gives a '/'. Examples: "/api/v1/boards/{id}",
// "/feeds/{file}". Matching is exact (a trailing slash is a different path). When several
// patterns match, the one whose first differing segment is a literal wins, so
// "/boards/search" beats "/boards/{id}".
//
// When nothing matches, handle() answers 404 with a JSON error. When the path matches
// only with other methods it answers 405 with an `Allow` header. GET handlers also serve
// HEAD (the server drops the body) unless a HEAD route is registered. An OPTIONS request
// without an OPTIONS route gets 204 with `Allow`.
//
// Handlers run on a server io thread, in the middle of that thread's connections. They must
// be quick: no blocking I/O, no waiting on locks that are held for long. A slow handler
// stalls every connection on its thread. Anything slow belongs elsewhere, with the handler
// only reading its result (for example a cached, pre-rendered board); a handler that must
// call out (an OAuth token exchange) returns defer_response(work) and the server runs
// `work` on its bounded blocking pool. A handler may throw; the server turns the exception
// into a 500.
//
// Thread-safety: call add() only before the router is handed to a Server. After that, the
// router is read-only, and handle() and try_handle() are safe to call concurrently.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "http/http.h"

namespace mu {

using Handler = std::function<Response(const Request&)>;

class Router {
 public:
  // Registers `handler` for `method` on `pattern`. A malformed pattern, method kOther or a
  // duplicate (method, pattern) is recorded, and status() then reports it (Server::start()
  // refuses to start on it).
  Router& add(HttpMethod method, std::string_view pattern, Handler handler);

  // Ok, or the first registration error.
  Status status() const { return status_; }

  // Fills request.path_params and runs the matching handler. When no pattern matches the
  // path it returns nullopt (for any method), so the caller may try something else, such
  // as static files. 405 / automatic OPTIONS as described above.
  std::optional<Response> try_handle(Request& request) const;
  // try_handle(), with a 404 JSON error when no pattern matches; a deferred response's work
  // runs inline (for callers without a server).
  Response handle(Request& request) const;

  // The distinct patterns, in registration order; Request::route indexes it.
  const std::vector<std::string>& patterns() const { return patterns_; }

  // "GET, HEAD, POST" for the methods that have a route matching `raw_path`; "" when none.
  std::string allowed_methods(std::string_view raw_path) const;

 private:
  struct Segment {
    std::string text;  // literal text, or the parameter name
    bool param = false;
  };
  struct Route {
    HttpMethod method;
    std::string pattern;
    std::vector<Segment> segments;
    uint64_t literal_mask = 0;  // bit (63 - i) set when segment i is a literal
    int pattern_index = 0;      // in patterns_
    Handler handler;
  };

  struct PathView;  // a request path split into segments (router.cc)

  // Index of the best route for `method` on `path`, or -1.
  int find(HttpMethod method, const PathView& path) const;
  static bool matches(const Route& route, const PathView& path);
  // Bit set (1 << HttpMethod) of the methods that have a route matching `path`.
  unsigned methods_matching(const PathView& path) const;

  std::vector<Route> routes_;
  std::vector<std::string> patterns_;
  Status status_;
};

}  // namespace mu
