#include "scheduler/breaker.h"

#include <algorithm>

namespace mu {

bool CircuitBreaker::allow(MonoTime now) {
  switch (state_) {
    case State::kClosed:
      return true;
    case State::kOpen:
      if (now < open_until_) return false;
      state_ = State::kHalfOpen;
      probe_started_ = now;
      return true;
    case State::kHalfOpen:
      // One probe at a time; a probe that never reported is replaced after a cooldown.
      if (now - probe_started_ < cooldown_) return false;
      probe_started_ = now;
      return true;
  }
  return false;
}

void CircuitBreaker::on_success() {
  state_ = State::kClosed;
  failures_ = 0;
  cooldown_ = std::chrono::seconds(0);
}

void CircuitBreaker::open(MonoTime now) {
  if (cooldown_ <= std::chrono::seconds(0)) {
    cooldown_ = options_.cooldown;
  } else {
    cooldown_ = std::min(cooldown_ * 2, options_.max_cooldown);
  }
  state_ = State::kOpen;
  open_until_ = now + cooldown_;
}

void CircuitBreaker::on_failure(MonoTime now) {
  ++failures_;
  switch (state_) {
    case State::kClosed:
      if (failures_ >= std::max(1, options_.failures_to_open)) open(now);
      return;
    case State::kHalfOpen:
      open(now);  // the probe failed: wait twice as long
      return;
    case State::kOpen:
      return;  // a request that started before the breaker opened: already counted as open
  }
}

CircuitBreaker::State CircuitBreaker::state(MonoTime now) const {
  if (state_ == State::kOpen && now >= open_until_) return State::kHalfOpen;
  return state_;
}

std::string_view breaker_state_name(CircuitBreaker::State state) {
  switch (state) {
    case CircuitBreaker::State::kClosed:
      return "closed";
    case CircuitBreaker::State::kOpen:
      return "open";
    case CircuitBreaker::State::kHalfOpen:
      return "half-open";
  }
  return "closed";
}

std::chrono::milliseconds backoff_delay(int attempt, std::chrono::milliseconds base,
                                        std::chrono::milliseconds cap, std::mt19937_64& rng) {
  const int shift = std::clamp(attempt - 1, 0, 30);
  std::chrono::milliseconds bound = std::max(base, std::chrono::milliseconds(0));
  // Double step by step so a large attempt number cannot overflow.
  for (int i = 0; i < shift && bound < cap; ++i) bound *= 2;
  bound =
      std::clamp(bound, std::chrono::milliseconds(0), std::max(cap, std::chrono::milliseconds(0)));
  std::uniform_int_distribution<int64_t> dist(0, bound.count());
  return std::chrono::milliseconds(dist(rng));
}

}  // namespace mu
