#include "api/write_rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace mu {

WriteRateLimiter::WriteRateLimiter(const Clock& clock, Options options)
    : clock_(clock), options_(options) {}

void WriteRateLimiter::refill_locked(Bucket& bucket, MonoTime now) const {
  const double seconds = std::chrono::duration<double>(now - bucket.updated).count();
  if (seconds > 0) {
    bucket.tokens = std::min(options_.burst, bucket.tokens + seconds * options_.per_second);
    bucket.updated = now;
  }
}

void WriteRateLimiter::make_room_locked(MonoTime now) {
  if (buckets_.size() < std::max<std::size_t>(options_.max_users, 1)) return;
  // Full buckets carry no information: a new bucket would be just like them.
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    refill_locked(it->second, now);
    if (it->second.tokens >= options_.burst) {
      lru_.erase(it->second.lru);
      it = buckets_.erase(it);
    } else {
      ++it;
    }
  }
  while (buckets_.size() >= std::max<std::size_t>(options_.max_users, 1) && !lru_.empty()) {
    buckets_.erase(lru_.back());
    lru_.pop_back();
  }
}

std::optional<std::chrono::milliseconds> WriteRateLimiter::acquire(int64_t user_id) {
  const MonoTime now = clock_.mono();
  std::lock_guard lock(mu_);
  auto it = buckets_.find(user_id);
  if (it == buckets_.end()) {
    make_room_locked(now);
    lru_.push_front(user_id);
    it = buckets_.emplace(user_id, Bucket{options_.burst, now, lru_.begin()}).first;
  } else {
    lru_.splice(lru_.begin(), lru_, it->second.lru);
    refill_locked(it->second, now);
  }
  Bucket& bucket = it->second;
  if (bucket.tokens >= 1) {
    bucket.tokens -= 1;
    return std::nullopt;
  }
  const double wait_s = (1 - bucket.tokens) / options_.per_second;
  const auto wait_ms = static_cast<int64_t>(std::ceil(wait_s * 1000));
  return std::chrono::milliseconds(std::max<int64_t>(wait_ms, 1));
}

}  // namespace mu
