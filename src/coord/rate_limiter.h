// RateLimiter: token buckets by name, for the request quotas of the API (api/quota.h) —
// one bucket per anonymous client address and one per API key. A bucket holds up to
// `burst` tokens and refills at per_minute / 60 per second; a request takes one token or is
// refused with the time until the next one.
//
// Implementations: LocalRateLimiter (coord/local/local_rate_limiter.h: in this process, for
// `mu serve`) and RedisRateLimiter (coord/redis/redis_rate_limiter.h: shared by every API
// instance of a cluster, so N instances together allow no more than one limit).
//
// Thread-safety: implementations are safe for concurrent use.
#pragma once

#include <cstdint>
#include <string_view>

namespace mu {

struct RateLimit {
  int64_t per_minute = 0;  // sustained requests per minute (> 0)
  int64_t burst = 0;       // requests at once after being idle (>= 1)
};

struct RateDecision {
  bool allowed = false;
  int64_t remaining = 0;       // whole tokens left after this request
  int64_t reset_ms = 0;        // until the bucket is full again
  int64_t retry_after_ms = 0;  // refused: until the next token (>= 1); allowed: 0
};

class RateLimiter {
 public:
  virtual ~RateLimiter() = default;
  // Takes one token of `bucket` under `limit` (a bucket's limit may change between calls:
  // the new one applies from then on).
  virtual RateDecision take(std::string_view bucket, const RateLimit& limit) = 0;
};

}  // namespace mu
