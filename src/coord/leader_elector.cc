#include "coord/leader_elector.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace mu {

using std::chrono::milliseconds;

LeaderElector::LeaderElector(LeaseStore& lease, const Clock& clock, Options options,
                             Callbacks callbacks, AcquireAbove acquire_above)
    : lease_(lease),
      clock_(clock),
      options_(std::move(options)),
      callbacks_(std::move(callbacks)),
      acquire_above_(std::move(acquire_above)),
      rng_(options_.seed != 0 ? options_.seed : std::random_device{}()) {
  if (options_.renew_deadline >= options_.ttl) options_.renew_deadline = options_.ttl * 5 / 6;
  if (options_.renew_every >= options_.renew_deadline) {
    options_.renew_every = options_.renew_deadline / 3;
  }
}

LeaderElector::~LeaderElector() { stop(true); }

int64_t LeaderElector::epoch() const {
  std::lock_guard lock(mu_);
  if (term_epoch_ == 0 || term_epoch_ == resigned_ || clock_.mono() >= valid_until_) return 0;
  return term_epoch_;
}

LeaderInfo LeaderElector::last_seen_leader() const {
  std::lock_guard lock(mu_);
  return seen_;
}

milliseconds LeaderElector::jittered(milliseconds base) {
  const double j = std::clamp(options_.jitter, 0.0, 0.9);
  std::uniform_real_distribution<double> dist(1.0 - j, 1.0 + j);
  return milliseconds(std::max<int64_t>(1, static_cast<int64_t>(base.count() * dist(rng_))));
}

void LeaderElector::demote_locked_out(int64_t epoch, const std::string& why) {
  spdlog::warn("leader: lost leadership of epoch {}: {}", epoch, why);
  if (callbacks_.on_demoted) callbacks_.on_demoted(epoch, why);
}

milliseconds LeaderElector::step() {
  std::lock_guard step_lock(step_mu_);
  int64_t term = 0;
  MonoTime valid_until;
  MonoTime next_renew;
  MonoTime acquire_after;
  bool resigned = false;
  {
    std::lock_guard lock(mu_);
    if (stopping_) return options_.retry_every;
    term = term_epoch_;
    valid_until = valid_until_;
    next_renew = next_renew_;
    acquire_after = acquire_after_;
    resigned = term != 0 && term == resigned_;
  }
  const MonoTime sent = clock_.mono();
  if (resigned) {
    if (Status s = lease_.release(options_.holder, term); !s.ok()) {
      spdlog::warn("leader: release after resigning: {} (the lease expires)", s.to_string());
    }
    {
      std::lock_guard lock(mu_);
      term_epoch_ = 0;
      resigned_ = 0;
      acquire_after_ = sent + options_.ttl;
    }
    demote_locked_out(term, "resigned");
    return options_.ttl;
  }
  if (term == 0 && sent < acquire_after) {
    return std::max(milliseconds(1),
                    std::chrono::duration_cast<milliseconds>(acquire_after - sent));
  }
  if (term != 0) {
    if (sent >= valid_until) {
      {
        std::lock_guard lock(mu_);
        term_epoch_ = 0;
      }
      demote_locked_out(term, "no renewal succeeded within the renew deadline");
      return jittered(options_.retry_every);
    }
    if (sent < next_renew) {
      return std::chrono::duration_cast<milliseconds>(next_renew - sent);
    }
    auto renewed = lease_.renew(options_.holder, term, options_.ttl);
    if (options_.renew_seconds != nullptr) {
      options_.renew_seconds->observe(std::chrono::duration<double>(clock_.mono() - sent).count());
    }
    if (!renewed.ok() && options_.renew_failures != nullptr) options_.renew_failures->inc();
    if (renewed.ok() && *renewed) {
      std::lock_guard lock(mu_);
      valid_until_ = sent + options_.renew_deadline;
      next_renew_ = sent + options_.renew_every;
      seen_ = LeaderInfo{options_.holder, term, options_.ttl};
      return options_.renew_every;
    }
    if (renewed.ok()) {  // the lease is someone else's now
      {
        std::lock_guard lock(mu_);
        term_epoch_ = 0;
      }
      demote_locked_out(term, "the lease was taken over");
      return jittered(options_.retry_every);
    }
    // Backend unreachable: keep the term until the deadline, retry soon.
    spdlog::warn("leader: renew failed: {}", renewed.status().to_string());
    const MonoTime now = clock_.mono();
    const auto left = std::chrono::duration_cast<milliseconds>(valid_until - now);
    return std::clamp(left, milliseconds(1), options_.retry_every);
  }

  const int64_t floor = callbacks_.epoch_floor ? callbacks_.epoch_floor() : 0;
  auto acquired = acquire_above_ ? acquire_above_(options_.holder, options_.ttl, floor)
                                 : lease_.try_acquire(options_.holder, options_.ttl);
  if (!acquired.ok()) {
    spdlog::debug("leader: acquire failed: {}", acquired.status().to_string());
    return jittered(options_.retry_every);
  }
  if (!acquired->has_value()) {
    auto who = lease_.leader();
    if (who.ok() && who->has_value()) {
      std::lock_guard lock(mu_);
      seen_ = **who;
    }
    return jittered(options_.retry_every);
  }
  const int64_t epoch = **acquired;
  {
    std::lock_guard lock(mu_);
    term_epoch_ = epoch;
    valid_until_ = sent + options_.renew_deadline;
    next_renew_ = sent + options_.renew_every;
    seen_ = LeaderInfo{options_.holder, epoch, options_.ttl};
  }
  spdlog::info("leader: {} elected with epoch {}", options_.holder, epoch);
  if (callbacks_.on_elected) callbacks_.on_elected(epoch);
  const MonoTime now = clock_.mono();
  std::lock_guard lock(mu_);
  return std::max(milliseconds(1), std::chrono::duration_cast<milliseconds>(next_renew_ - now));
}

void LeaderElector::resign(int64_t epoch) {
  {
    std::lock_guard lock(mu_);
    if (epoch == 0 || term_epoch_ != epoch) return;
    resigned_ = epoch;
  }
  cv_.notify_all();
}

void LeaderElector::loop() {
  for (;;) {
    const milliseconds wait = step();
    std::unique_lock lock(mu_);
    // Real time here: this is the production loop; tests call step() with a FakeClock.
    cv_.wait_for(lock, wait,
                 [&] { return stopping_ || (resigned_ != 0 && resigned_ == term_epoch_); });
    if (stopping_) return;
  }
}

void LeaderElector::start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable() || stopping_) return;
  thread_ = std::thread([this] { loop(); });
}

void LeaderElector::stop(bool release) {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::lock_guard step_lock(step_mu_);
  int64_t term = 0;
  {
    std::lock_guard lock(mu_);
    term = term_epoch_;
    term_epoch_ = 0;
    resigned_ = 0;
  }
  if (term == 0) return;
  if (release) {
    if (Status s = lease_.release(options_.holder, term); !s.ok()) {
      spdlog::warn("leader: release failed: {}", s.to_string());
    } else {
      spdlog::info("leader: released epoch {}", term);
    }
  }
  demote_locked_out(term, "stopping");
}

}  // namespace mu
