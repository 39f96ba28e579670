#include "coord/local/local_rate_limiter.h"

#include <algorithm>
#include <cmath>
#include <functional>

namespace mu {

namespace {

RateLimit sane(const RateLimit& limit) {
  return RateLimit{std::max<int64_t>(limit.per_minute, 1), std::max<int64_t>(limit.burst, 1)};
}

int64_t ms_for(double tokens, const RateLimit& limit) {
  if (tokens <= 0) return 0;
  const double per_ms = static_cast<double>(limit.per_minute) / 60'000.0;
  // Less a hair: refill arithmetic in doubles leaves 1.0000000001 ms where 1 ms is meant.
  return static_cast<int64_t>(std::ceil(tokens / per_ms - 1e-6));
}

}  // namespace

LocalRateLimiter::LocalRateLimiter(const Clock& clock, Options options)
    : clock_(clock), per_shard_(std::max<std::size_t>(options.max_buckets / kShards, 8)) {}

double LocalRateLimiter::refill(double tokens, int64_t elapsed_ms, const RateLimit& limit) {
  const RateLimit l = sane(limit);
  if (elapsed_ms > 0) tokens += static_cast<double>(elapsed_ms) * l.per_minute / 60'000.0;
  return std::min(tokens, static_cast<double>(l.burst));
}

RateDecision LocalRateLimiter::decide(double& tokens, const RateLimit& limit) {
  const RateLimit l = sane(limit);
  RateDecision d;
  if (tokens >= 1.0) {
    tokens -= 1.0;
    d.allowed = true;
  } else {
    d.retry_after_ms = std::max<int64_t>(ms_for(1.0 - tokens, l), 1);
  }
  d.remaining = static_cast<int64_t>(std::floor(tokens));
  d.reset_ms = ms_for(static_cast<double>(l.burst) - tokens, l);
  return d;
}

RateDecision LocalRateLimiter::take(std::string_view name, const RateLimit& limit) {
  const MonoTime now = clock_.mono();
  Shard& shard = shards_[std::hash<std::string_view>{}(name) % kShards];
  std::lock_guard lock(shard.mu);
  auto it = shard.buckets.find(name);
  if (it == shard.buckets.end()) {
    if (shard.buckets.size() >= per_shard_) make_room_locked(shard, now, limit);
    it = shard.buckets
             .emplace(std::string(name), Bucket{static_cast<double>(sane(limit).burst), now})
             .first;
  } else {
    const int64_t elapsed =
        std::chrono::duration_cast<std::chrono::milliseconds>(now - it->second.updated).count();
    it->second.tokens = refill(it->second.tokens, elapsed, limit);
    it->second.updated = now;
  }
  return decide(it->second.tokens, limit);
}

void LocalRateLimiter::make_room_locked(Shard& shard, MonoTime now, const RateLimit& limit) {
  const std::size_t target = shard.buckets.size() - shard.buckets.size() / 8;
  for (auto it = shard.buckets.begin(); it != shard.buckets.end();) {
    const int64_t elapsed =
        std::chrono::duration_cast<std::chrono::milliseconds>(now - it->second.updated).count();
    // Full again under the limit of the request at hand (the common one, anonymous).
    if (refill(it->second.tokens, elapsed, limit) >= static_cast<double>(sane(limit).burst)) {
      it = shard.buckets.erase(it);
    } else {
      ++it;
    }
  }
  for (auto it = shard.buckets.begin();
       it != shard.buckets.end() && shard.buckets.size() > target;) {
    it = shard.buckets.erase(it);
  }
}

std::size_t LocalRateLimiter::size() const {
  std::size_t n = 0;
  for (const Shard& s : shards_) {
    std::lock_guard lock(s.mu);
    n += s.buckets.size();
  }
  return n;
}

}  // namespace mu
