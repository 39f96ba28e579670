// RedisRateLimiter: the RateLimiter (coord/rate_limiter.h) of a cluster: each bucket lives
// in Redis (a hash {prefix}:rl:<bucket> holding its tokens and when they were counted,
// expiring once it would be full again), refilled and taken by one Lua script timed by the
// Redis server's clock, so every API instance draws on the same bucket and together they
// allow no more than one limit: `burst` at once, then `per_minute`.
//
// A Redis round trip per request would cost more than serving most requests, so an instance
// takes tokens in leases: burst × lease_fraction tokens (at least one, at most kMaxLease) per
// script call, spent locally for up to lease_ttl. What a lease leaves unspent goes back to
// the shared bucket with the instance's next call for that client (else a client making a
// request now and then would pay a whole lease per request and be refused far below its
// limit). Leased tokens were taken from the shared bucket, so the total stays within the
// limit; a client spread over several instances may be refused a little early.
//
// When Redis fails (down, slow beyond the client's command timeout, or in the client's
// reconnect backoff) the decision comes from `fallback` (a LocalRateLimiter: the same limit
// per instance), errors() counts those, and the first failure after a success is logged.
//
// Thread-safety: safe for concurrent use. Calls to Redis are made without holding the lease
// lock (RedisClient serializes them on its connection).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

#include "coord/rate_limiter.h"
#include "coord/redis/redis_client.h"
#include "core/clock.h"

namespace mu {

class RedisRateLimiter final : public RateLimiter {
 public:
  static constexpr int64_t kMaxLease = 100;
  struct Options {
    std::string prefix = "mu";
    double lease_fraction = 0.1;
    Millis lease_ttl{1000};
    std::size_t max_leases = 100'000;
  };
  // `client`, `fallback` and `clock` must outlive this object.
  RedisRateLimiter(redis::RedisClient& client, RateLimiter& fallback, const Clock& clock,
                   Options options);

  RateDecision take(std::string_view bucket, const RateLimit& limit) override;

  // Decisions made by the fallback because Redis failed.
  uint64_t errors() const { return errors_.load(std::memory_order_relaxed); }

 private:
  struct Lease {
    int64_t tokens = 0;
    MonoTime expires{};
    int64_t shared_remaining = 0;  // the bucket's whole tokens in Redis when leased
    int64_t reset_ms = 0;
  };

  redis::RedisClient& client_;
  RateLimiter& fallback_;
  const Clock& clock_;
  const Options options_;
  const redis::LuaScript script_;
  std::mutex mu_;
  std::unordered_map<std::string, Lease> leases_;  // by mu_
  std::atomic<uint64_t> errors_{0};
  std::atomic<bool> failing_{false};
};

}  // namespace mu
