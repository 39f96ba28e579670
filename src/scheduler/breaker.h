// Failure handling of the scheduler, kept pure so it can be tested with a FakeClock:
// CircuitBreaker (one per site: stop hammering a site that keeps failing) and
// backoff_delay (exponential backoff with full jitter between retries). Neither reads a
// clock; callers pass the monotonic time. Not thread-safe; the Scheduler guards them.
#pragma once

#include <chrono>
#include <random>
#include <string_view>

#include "core/clock.h"

namespace mu {

struct BreakerOptions {
  int failures_to_open = 5;  // consecutive failed requests that open the breaker
  std::chrono::seconds cooldown{std::chrono::minutes(5)};    // first open period
  std::chrono::seconds max_cooldown{std::chrono::hours(1)};  // doubling stops here
};

// closed: requests go. After `failures_to_open` consecutive failures it opens: requests
// are refused for the cooldown. Then the first request is let through as a probe
// (half-open) while the others are still refused; the probe's success closes the breaker
// and resets the cooldown, its failure opens it again with the cooldown doubled (capped).
// A probe that never reports (its run was dropped) is replaced after another cooldown.
class CircuitBreaker {
 public:
  enum class State { kClosed, kOpen, kHalfOpen };

  explicit CircuitBreaker(BreakerOptions options = {}) : options_(options) {}

  // Whether a request may start at `now`. True in the closed state; when open, false
  // until the cooldown has passed, then true exactly once (the probe, state half-open).
  bool allow(MonoTime now);
  void on_success();
  void on_failure(MonoTime now);

  // The state as allow() would see it at `now` (an open breaker whose cooldown has
  // passed reports kHalfOpen: the next request is the probe).
  State state(MonoTime now) const;
  int consecutive_failures() const { return failures_; }
  std::chrono::seconds cooldown() const { return cooldown_; }
  // When an open breaker lets the next probe through.
  MonoTime reopens_at() const { return open_until_; }

 private:
  void open(MonoTime now);

  BreakerOptions options_;
  State state_ = State::kClosed;
  int failures_ = 0;
  std::chrono::seconds cooldown_{0};  // of the current or last open period; 0: never opened
  MonoTime open_until_{};
  MonoTime probe_started_{};
};

std::string_view breaker_state_name(CircuitBreaker::State state);  // "closed" "open" "half-open"

// Delay before retry number `attempt` (1 = the first retry after one failed attempt):
// uniformly drawn from [0, min(base * 2^(attempt-1), cap)] ("full jitter").
std::chrono::milliseconds backoff_delay(int attempt, std::chrono::milliseconds base,
                                        std::chrono::milliseconds cap, std::mt19937_64& rng);

}  // namespace mu
