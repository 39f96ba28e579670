// QuotaService: request quotas and API keys (issue 16).
//
// Admission (admit(), the server's AdmissionHook, run before routing): requests to the API
// (/api/, /feeds/, /mcp; not the health checks /healthz and /readyz, the page or /metrics) take a
// token of a RateLimiter bucket (coord/rate_limiter.h):
//   - with an API key (`Authorization: Bearer mu_…` or `X-API-Key: mu_…`): the key's bucket,
//     at the key's limits (set by an admin) or QuotaOptions::key_default;
//   - without: the bucket of the client address (the peer, or X-Forwarded-For from a trusted
//     proxy; IPv6 by /64) at QuotaOptions::anonymous. Signed-in browsers count as their
//     address too: the web app's page load fits the anonymous burst.
// Every answer of a limited route carries RateLimit-Limit, RateLimit-Remaining and
// RateLimit-Reset (seconds) and RateLimit-Policy ("<burst>;w=<seconds to refill it>"); a
// refusal is 429 {"error":{"code":"rate-limited"}} with Retry-After (whole seconds). An
// unknown or revoked key is 401 "invalid-key" (never a silent fall back to anonymous). With
// mcp_requires_key, /mcp without a key is 401 "key-required" (WWW-Authenticate: Bearer).
//
// Keys are looked up by the SHA-256 of the secret and cached for key_cache_ttl, so a key
// revoked on another instance stops working within that time (on this one at once). A key
// that is not cached costs its client address an anonymous token first, so guessing keys is
// as limited as anything else anonymous. When the store cannot be read, a cached key keeps
// working; an uncached one gets 503 with Retry-After.
//
// Usage is counted in memory per key and added to the store by flush_usage() (app/ calls it
// every usage_flush_every and at shutdown); what the key pages show includes the counts not
// yet flushed on this instance.
//
// Routes (JSON, Cache-Control: no-store; sessions, CSRF and roles as in api/accounts.h):
//   GET    /api/v1/me/keys               {"keys":[key...],"default_limit":{...},"max_keys":N}
//   POST   /api/v1/me/keys               {"name"} -> 201 {"key":{...},"secret":"mu_…"}: the
//                                        secret is shown this once
//   DELETE /api/v1/me/keys/{id}          204; 404 when the user has no such live key
//   GET    /api/v1/admin/keys            every key, with its owner's login
//   PATCH  /api/v1/admin/keys/{id}       {"per_minute","burst"} (0: the default) -> the key
//   DELETE /api/v1/admin/keys/{id}       204 (revokes any user's key); both audited
// A key: {id,name,prefix,created_at,last_used_at,requests,revoked,per_minute,burst}.
//
// Thread-safety: admit() and the handlers are safe to call concurrently from any thread.
#pragma once

#include <boost/json/object.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "api/accounts.h"
#include "coord/rate_limiter.h"
#include "core/clock.h"
#include "http/router.h"
#include "store/store.h"

namespace mu {

struct QuotaOptions {
  bool enabled = true;
  RateLimit anonymous{600, 300};     // per client address: 10 a second, 300 at once
  RateLimit key_default{3000, 600};  // per API key without limits of its own
  int64_t max_keys_per_user = 10;    // live keys
  bool mcp_requires_key = false;     // POST /mcp without a key: 401 key-required
  std::chrono::seconds key_cache_ttl{10};
};

struct QuotaCounters {
  uint64_t admitted = 0;
  uint64_t refused = 0;       // 429
  uint64_t invalid_keys = 0;  // 401
  uint64_t key_requests = 0;  // admitted with a key
};

class QuotaService {
 public:
  static constexpr std::size_t kMaxKeyNameBytes = 100;
  static constexpr std::size_t kMaxCachedKeys = 10'000;

  // Every reference must outlive this object.
  QuotaService(AccountStore& store, AccountsService& accounts, RateLimiter& limiter,
               const Clock& clock, QuotaOptions options);
  QuotaService(const QuotaService&) = delete;
  QuotaService& operator=(const QuotaService&) = delete;

  // The AdmissionHook (http/http.h) of every request.
  Admission admit(const Request& req);
  void register_routes(Router& router);

  // Adds the usage counted since the last flush to the store; on failure the counts are kept
  // for the next flush.
  Status flush_usage();

  QuotaCounters counters() const;
  const QuotaOptions& options() const { return options_; }

  // True for the paths admit() limits.
  static bool limited_path(std::string_view path);
  // The key secret a request carries ("" when none).
  static std::string_view key_of(const Request& req);

 private:
  struct CachedKey {
    std::optional<ApiKeyRecord> key;  // nullopt: no such key
    MonoTime fetched{};
  };
  struct Usage {
    int64_t requests = 0;
    int64_t last_used_ms = 0;
  };
  // The key of `secret`, from the cache or the store; nullopt inside: unknown. A store error
  // without a cached entry is returned as such.
  Result<std::optional<ApiKeyRecord>> lookup(const std::string& secret, bool& cached);
  void forget_key(const std::string& id);
  RateLimit limit_of(const ApiKeyRecord& key) const;
  boost::json::object key_json(const ApiKeyRecord& key) const;

  Response list_mine(const Request& req) const;
  Response create(const Request& req);
  Response revoke_mine(const Request& req);
  Response list_all(const Request& req) const;
  Response set_limits(const Request& req);
  Response revoke_any(const Request& req);

  AccountStore& store_;
  AccountsService& accounts_;
  RateLimiter& limiter_;
  const Clock& clock_;
  const QuotaOptions options_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, CachedKey> cache_;  // by mu_; key: SHA-256 hex of the secret
  std::unordered_map<std::string, Usage> usage_;      // by mu_; key: key id, not yet flushed
  std::atomic<uint64_t> admitted_{0}, refused_{0}, invalid_keys_{0}, key_requests_{0};
};

}  // namespace mu
