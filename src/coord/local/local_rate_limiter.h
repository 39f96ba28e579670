// LocalRateLimiter: the RateLimiter of one process (coord/rate_limiter.h): token buckets in
// memory, timed by the injected Clock's monotonic time (tests drive it by hand).
//
// Memory is bounded: at most `max_buckets` buckets (spread over 16 shards). When a shard is
// full, the buckets that refilled completely (clients gone quiet: forgetting them changes
// nothing) are dropped; if that frees less than an eighth of the shard, arbitrary buckets
// go too, which at worst hands those clients a fresh burst — the price of bounded memory
// under a flood of distinct addresses.
//
// Thread-safety: safe for concurrent use (a mutex per shard).
#pragma once

#include <array>
#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "coord/rate_limiter.h"
#include "core/clock.h"

namespace mu {

class LocalRateLimiter final : public RateLimiter {
 public:
  struct Options {
    std::size_t max_buckets = 200'000;
  };
  // `clock` must outlive this object.
  explicit LocalRateLimiter(const Clock& clock) : LocalRateLimiter(clock, Options{}) {}
  LocalRateLimiter(const Clock& clock, Options options);

  RateDecision take(std::string_view bucket, const RateLimit& limit) override;

  // Buckets kept right now (for tests and metrics).
  std::size_t size() const;

  // The arithmetic of one bucket, shared with RedisRateLimiter's local leases: `tokens`
  // refilled from `elapsed_ms` at the limit's rate, capped at burst.
  static double refill(double tokens, int64_t elapsed_ms, const RateLimit& limit);
  // The decision for a bucket holding `tokens` (after refill) that a request takes one
  // token of when it can; `tokens` is updated.
  static RateDecision decide(double& tokens, const RateLimit& limit);

 private:
  struct Bucket {
    double tokens = 0;
    MonoTime updated{};
  };
  // Looked up by string_view: no allocation for a bucket that exists.
  struct NameHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  struct Shard {
    mutable std::mutex mu;
    std::unordered_map<std::string, Bucket, NameHash, std::equal_to<>> buckets;
  };
  static constexpr std::size_t kShards = 16;
  void make_room_locked(Shard& shard, MonoTime now, const RateLimit& limit);

  const Clock& clock_;
  const std::size_t per_shard_;
  std::array<Shard, kShards> shards_;
};

}  // namespace mu
