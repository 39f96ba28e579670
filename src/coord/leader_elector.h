// LeaderElector: leader election over a LeaseStore with fencing epochs. A follower tries to
// acquire the lease about every `retry_every` (with jitter); the leader renews every
// `renew_every` and demotes itself as soon as no renewal succeeded within `renew_deadline`
// on the monotonic clock — measured from when the last successful request was SENT, so the
// leader gives up before the lease can expire in the backend (renew_deadline < ttl), even
// when the process was paused (SIGSTOP, GC-like stalls) and the elector thread has not run.
// epoch() applies the same deadline at every call, so code asking "am I still the leader?"
// gets 0 the moment the deadline passes, before the elector's thread notices.
//
// step() does one round synchronously at the clock's time (tests drive it with FakeClock);
// start() runs rounds on a thread. Callbacks run on the thread calling step() and may take
// time (starting or stopping a scheduler); on_elected runs after the epoch is visible.
// Public methods are safe for concurrent use.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <random>
#include <string>
#include <thread>

#include "coord/cluster.h"
#include "core/clock.h"
#include "core/metrics.h"

namespace mu {

class LeaderElector {
 public:
  struct Options {
    std::string holder;  // this instance's id
    std::chrono::milliseconds ttl{3000};
    std::chrono::milliseconds renew_every{1000};
    std::chrono::milliseconds renew_deadline{2500};  // < ttl
    std::chrono::milliseconds retry_every{200};
    double jitter = 0.25;  // retry waits are uniform in retry_every * [1 - j, 1 + j]
    uint64_t seed = 0;     // 0: random
    // Where lease renewals are timed and failed ones counted (nullptr: nowhere); they
    // must outlive the elector.
    metrics::Histogram* renew_seconds = nullptr;
    metrics::Counter* renew_failures = nullptr;
  };
  struct Callbacks {
    std::function<void(int64_t epoch)> on_elected;
    std::function<void(int64_t epoch, const std::string& why)> on_demoted;
    // The highest epoch known elsewhere (the store's fence); acquiring never yields an
    // epoch at or below it even when the lease backend lost its counter.
    std::function<int64_t()> epoch_floor;
  };
  // Backend that can honour an epoch floor when acquiring (coord/redis does).
  using AcquireAbove = std::function<Result<std::optional<int64_t>>(
      const std::string& holder, std::chrono::milliseconds ttl, int64_t floor)>;

  LeaderElector(LeaseStore& lease, const Clock& clock, Options options, Callbacks callbacks,
                AcquireAbove acquire_above = nullptr);
  ~LeaderElector();
  LeaderElector(const LeaderElector&) = delete;
  LeaderElector& operator=(const LeaderElector&) = delete;

  // One round: acquire (follower) or renew (leader) when due, demote when the deadline
  // passed. Returns how long to wait before the next round.
  std::chrono::milliseconds step();

  void start();
  // Stops the thread; a leader demotes itself (on_demoted "stopping") and, when `release`,
  // deletes the lease so a follower takes over at once. Idempotent.
  void stop(bool release = true);

  // Gives up the term `epoch` when it is still current (a leader that cannot start its
  // term): epoch() answers 0 at once; the next round (woken at once under start())
  // releases the lease, runs on_demoted ("resigned") and waits `ttl` before trying to
  // acquire again, so another instance can take over. No-op for any other epoch. Never
  // calls back on the calling thread, so a term's own thread may call it.
  void resign(int64_t epoch);

  // The epoch of the current term while it is provably ours, else 0.
  int64_t epoch() const;
  bool is_leader() const { return epoch() != 0; }
  // Last known leader (from the backend), refreshed by followers each round.
  LeaderInfo last_seen_leader() const;

 private:
  std::chrono::milliseconds jittered(std::chrono::milliseconds base);
  void demote_locked_out(int64_t epoch, const std::string& why);
  void loop();

  LeaseStore& lease_;
  const Clock& clock_;
  Options options_;
  Callbacks callbacks_;
  AcquireAbove acquire_above_;

  mutable std::mutex mu_;
  int64_t term_epoch_ = 0;      // by mu_; 0: follower
  MonoTime valid_until_{};      // by mu_; last successful send + renew_deadline
  MonoTime next_renew_{};       // by mu_
  int64_t resigned_ = 0;        // by mu_; the term resign() gave up, released by step()
  MonoTime acquire_after_{};    // by mu_; no acquire before (hold-off after resigning)
  LeaderInfo seen_;             // by mu_
  std::mt19937_64 rng_;         // by step()'s caller
  std::mutex step_mu_;          // one step at a time
  bool stopping_ = false;       // by mu_
  std::condition_variable cv_;  // wakes the loop on stop
  std::thread thread_;
};

}  // namespace mu
