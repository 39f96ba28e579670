// Clock: the only way Mu code reads time, so tests can drive time by hand (FakeClock)
// instead of sleeping. SystemClock is stateless and safe for concurrent use; FakeClock is
// safe for concurrent use (its time is guarded by a mutex).
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>

namespace mu {

using WallTime = std::chrono::system_clock::time_point;
using MonoTime = std::chrono::steady_clock::time_point;
using Millis = std::chrono::milliseconds;
using Seconds = std::chrono::seconds;

class Clock {
 public:
  virtual ~Clock() = default;
  // Calendar time: timestamps stored and shown to users.
  virtual WallTime now() const = 0;
  // Monotonic time: deadlines, timeouts, leases. Never goes backwards.
  virtual MonoTime mono() const = 0;

  int64_t now_ms() const {
    return std::chrono::duration_cast<Millis>(now().time_since_epoch()).count();
  }
};

class SystemClock final : public Clock {
 public:
  WallTime now() const override { return std::chrono::system_clock::now(); }
  MonoTime mono() const override { return std::chrono::steady_clock::now(); }
};

// A clock that only moves when told to. Wall and monotonic time advance together.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(WallTime start = WallTime(std::chrono::seconds(1'767'225'600)))  // 2026-01-01
      : wall_(start), mono_(MonoTime(std::chrono::hours(1))) {}

  WallTime now() const override {
    std::lock_guard lock(mu_);
    return wall_;
  }
  MonoTime mono() const override {
    std::lock_guard lock(mu_);
    return mono_;
  }
  void advance(std::chrono::nanoseconds d) {
    std::lock_guard lock(mu_);
    wall_ += std::chrono::duration_cast<WallTime::duration>(d);
    mono_ += std::chrono::duration_cast<MonoTime::duration>(d);
  }
  // Jumps the wall clock only (an NTP step); the monotonic clock is unaffected.
  void set_wall(WallTime t) {
    std::lock_guard lock(mu_);
    wall_ = t;
  }

 private:
  mutable std::mutex mu_;
  WallTime wall_;
  MonoTime mono_;
};

inline int64_t to_unix_ms(WallTime t) {
  return std::chrono::duration_cast<Millis>(t.time_since_epoch()).count();
}
inline WallTime from_unix_ms(int64_t ms) { return WallTime(Millis(ms)); }

}  // namespace mu
