// CookieCache: visitor cookies that some sites hand out on a first page view and then demand
// on their APIs (Xueqiu's xq_a_token, ...). A source asks get_or_fetch() for the Cookie header
// of its site: a live cached value is returned as is; otherwise the site's cookie page is
// fetched, the wanted cookies are taken from its Set-Cookie headers and cached until the
// earliest of them expires (Max-Age, else Expires, else a default TTL; never longer than a
// maximum TTL, and given up a little early so a request never carries a cookie that dies in
// flight). Entries are keyed by site id, so one cache can serve every board of a site.
// Expiry is measured on the monotonic clock of the SourceContext (a wall-clock step does not
// expire or revive a cookie); tests drive it with FakeClock.
//
// Thread-safety: every method is safe for concurrent use (one mutex; it is never held while a
// request is in flight, so two boards refreshing at once simply both fetch and the later one
// wins). Cookie values are secrets: nothing here logs them, and error messages name cookies
// and pages, never values.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/status.h"
#include "fetch/transport.h"
#include "sources/source.h"

namespace mu {

// One Set-Cookie header value, e.g.
//   "xq_a_token=5f1e...; path=/; expires=Sat, 17 Jan 2026 08:00:00 GMT; domain=.xueqiu.com"
struct SetCookie {
  std::string name;
  std::string value;
  std::optional<int64_t> max_age_s;  // Max-Age attribute (wins over Expires)
  std::optional<WallTime> expires;   // Expires attribute
};

// Parses a Set-Cookie header value; nullopt when it has no "name=value" pair. Unknown
// attributes are ignored, a malformed Max-Age or Expires is treated as absent (RFC 6265).
std::optional<SetCookie> parse_set_cookie(std::string_view header_value);

// An HTTP / cookie date as servers write it, parsed with the RFC 6265 section 5.1.1 rules:
// "Sun, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT",
// "Sun, 06-Nov-1994 08:49:37 GMT", "Sun Nov  6 08:49:37 1994". Always UTC.
std::optional<WallTime> parse_cookie_date(std::string_view s);

class CookieCache {
 public:
  struct Options {
    // Lifetime of cookies that carry neither Max-Age nor Expires (session cookies).
    std::chrono::seconds default_ttl{std::chrono::minutes(30)};
    // Upper bound on any lifetime: visitor tokens are re-fetched at least this often.
    std::chrono::seconds max_ttl{std::chrono::hours(12)};
    // A cookie counts as expired this long before it really does.
    std::chrono::seconds refresh_margin{std::chrono::seconds(60)};
  };

  // What get_or_fetch() hands back.
  struct Grant {
    std::string header;       // "a=1; b=2", for the request's Cookie header
    bool from_cache = false;  // true when no request was made for it
  };

  CookieCache() = default;
  explicit CookieCache(Options options) : options_(options) {}

  // The cached Cookie header for `key`, or nullopt when there is none or it has expired.
  std::optional<std::string> get(std::string_view key, const Clock& clock) const;

  // Caches `header` for `key` for `ttl` (clamped to [0, max_ttl]); ttl <= refresh_margin
  // stores nothing.
  void put(std::string_view key, std::string header, std::chrono::seconds ttl, const Clock& clock);

  // Builds a Cookie header from every cookie `response` sets (as a browser would send them
  // back; a cookie set twice: the last one wins; one with Max-Age <= 0 or a past Expires is a
  // deletion and is left out), requires the ones named in `wanted`, and caches the header
  // under `key` until the earliest of the `wanted` cookies expires. Returns the header.
  // kBlocked naming the missing cookies (never values) when any of `wanted` is not set.
  Result<std::string> store_from_response(std::string_view key, const HttpResponse& response,
                                          const std::vector<std::string>& wanted,
                                          const Clock& clock);

  // The live entry for `key`, or else: fetches `cookie_page` through ctx.transport (with the
  // checks of fetch_ok: transport errors, HTTP status, ...), then store_from_response().
  // Errors start with "<board_id>: ".
  Result<Grant> get_or_fetch(const SourceContext& ctx, std::string_view key,
                             const HttpRequest& cookie_page, const std::vector<std::string>& wanted,
                             std::string_view board_id);

  // Drops the entry for `key` (e.g. after the API rejected the cookie).
  void invalidate(std::string_view key);

  const Options& options() const { return options_; }

 private:
  struct Entry {
    std::string header;
    MonoTime expires_at;
  };

  Options options_;
  mutable std::mutex mu_;
  std::map<std::string, Entry, std::less<>> entries_;
};

}  // namespace mu
