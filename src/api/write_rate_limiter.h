// WriteRateLimiter: a token bucket per user for the routes that write a user's own data
// (favorites, preferences), so one account cannot fill the store at network speed (issue
// 17: 4,000 maximum-size favorites in 2 s). Each user has a bucket of `burst` tokens that
// refills at `per_second`; a write takes one token or is refused with the time until the
// next token. Time is the injected Clock's monotonic time, so tests drive it by hand.
//
// The buckets live in this process: with N API instances a user may write N times the rate,
// which still bounds the growth. At most `max_users` buckets are kept; when a new user would
// exceed it, buckets that have refilled completely (idle users) are dropped first, then the
// least recently used ones, so memory stays bounded whatever the number of accounts.
//
// Thread-safety: safe for concurrent use (one mutex).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "core/clock.h"

namespace mu {

class WriteRateLimiter {
 public:
  struct Options {
    double per_second = 10;  // sustained writes per second per user (> 0)
    double burst = 50;       // writes a user may make at once after being idle (>= 1)
    std::size_t max_users = 100'000;
  };

  // `clock` must outlive this object.
  WriteRateLimiter(const Clock& clock, Options options);

  // Takes a token of `user_id`'s bucket: nullopt when the write may go ahead, otherwise how
  // long until a token is available (at least 1 ms; nothing is taken).
  std::optional<std::chrono::milliseconds> acquire(int64_t user_id);

  const Options& options() const { return options_; }

 private:
  struct Bucket {
    double tokens = 0;
    MonoTime updated;
    std::list<int64_t>::iterator lru;  // position in lru_ (front = most recent)
  };
  void refill_locked(Bucket& bucket, MonoTime now) const;
  void make_room_locked(MonoTime now);

  const Clock& clock_;
  const Options options_;
  std::mutex mu_;
  std::unordered_map<int64_t, Bucket> buckets_;
  std::list<int64_t> lru_;
};

}  // namespace mu
