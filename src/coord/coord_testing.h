// In-memory test doubles of the cluster interfaces (coord/cluster.h) for unit tests of code
// that runs on them (LeaderElector, scheduler/LeaderRole): a lease that expires on a
// FakeClock, a change queue with one consumer group, an event bus that records what was
// published. Each has a `down` switch that makes every call fail with kUnavailable, as a
// backend that cannot be reached. Not part of any library. Safe for concurrent use.
#pragma once

#include <algorithm>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "coord/cluster.h"
#include "core/clock.h"

namespace mu::testing_support {

class FakeLease final : public LeaseStore {
 public:
  explicit FakeLease(const FakeClock& clock) : clock_(clock) {}

  Result<std::optional<int64_t>> try_acquire(const std::string& holder,
                                             std::chrono::milliseconds ttl) override {
    return acquire_above(holder, ttl, 0);
  }
  // What the Redis lease offers beyond the interface (LeaderElector::AcquireAbove).
  Result<std::optional<int64_t>> acquire_above(const std::string& holder,
                                               std::chrono::milliseconds ttl, int64_t floor) {
    std::lock_guard lock(mu_);
    ++acquire_calls;
    if (down) return error(ErrorCode::kUnavailable, "fake lease: down");
    expire();
    if (!holder_.empty()) return std::optional<int64_t>();
    epoch_ = std::max(epoch_, floor) + 1;
    holder_ = holder;
    held_epoch_ = epoch_;
    expires_ = clock_.mono() + ttl;
    return std::optional<int64_t>(epoch_);
  }
  Result<bool> renew(const std::string& holder, int64_t epoch,
                     std::chrono::milliseconds ttl) override {
    std::lock_guard lock(mu_);
    ++renew_calls;
    if (down) return error(ErrorCode::kUnavailable, "fake lease: down");
    expire();
    if (holder_ != holder || held_epoch_ != epoch) return false;
    expires_ = clock_.mono() + ttl;
    return true;
  }
  Status release(const std::string& holder, int64_t epoch) override {
    std::lock_guard lock(mu_);
    ++release_calls;
    if (down) return error(ErrorCode::kUnavailable, "fake lease: down");
    if (holder_ == holder && held_epoch_ == epoch) holder_.clear();
    return ok_status();
  }
  Result<std::optional<LeaderInfo>> leader() override {
    std::lock_guard lock(mu_);
    if (down) return error(ErrorCode::kUnavailable, "fake lease: down");
    expire();
    if (holder_.empty()) return std::optional<LeaderInfo>();
    return std::optional<LeaderInfo>(
        LeaderInfo{holder_, held_epoch_, std::chrono::milliseconds(0)});
  }
  // Someone else takes the lease (e.g. after it expired elsewhere).
  void steal(const std::string& holder) {
    std::lock_guard lock(mu_);
    ++epoch_;
    holder_ = holder;
    held_epoch_ = epoch_;
    expires_ = clock_.mono() + std::chrono::milliseconds(3000);
  }

  bool down = false;
  int acquire_calls = 0;
  int renew_calls = 0;
  int release_calls = 0;

 private:
  void expire() {
    if (!holder_.empty() && clock_.mono() >= expires_) holder_.clear();
  }
  std::mutex mu_;
  const FakeClock& clock_;
  std::string holder_;
  int64_t epoch_ = 0;
  int64_t held_epoch_ = 0;
  MonoTime expires_{};
};

// One consumer group: an entry read (or claimed) stays pending on its consumer until acked.
// `block` is ignored (never waits).
class FakeChangeQueue final : public ChangeQueue {
 public:
  Result<std::string> add(const std::string& payload) override {
    std::lock_guard lock(mu_);
    if (down) return error(ErrorCode::kUnavailable, "fake queue: down");
    const std::string id = std::to_string(++next_id_) + "-0";
    entries_.push_back(Entry{id, payload, "", 0});
    return id;
  }
  Result<std::vector<QueueEntry>> read(const std::string& consumer, int max,
                                       std::chrono::milliseconds) override {
    if (during_read) during_read();
    std::lock_guard lock(mu_);
    ++read_calls;
    if (down) return error(ErrorCode::kUnavailable, "fake queue: down");
    return deliver(consumer, max, [](const Entry& e) { return e.deliveries == 0; });
  }
  Result<std::vector<QueueEntry>> claim(const std::string& consumer, std::chrono::milliseconds,
                                        int max) override {
    std::lock_guard lock(mu_);
    ++claim_calls;
    if (down) return error(ErrorCode::kUnavailable, "fake queue: down");
    return deliver(consumer, max,
                   [&](const Entry& e) { return e.deliveries != 0 && acked.count(e.id) == 0; });
  }
  Status ack(const std::string& id) override {
    std::lock_guard lock(mu_);
    if (down) return error(ErrorCode::kUnavailable, "fake queue: down");
    acked.insert(id);
    return ok_status();
  }
  Result<int64_t> depth() override {
    std::lock_guard lock(mu_);
    if (down) return error(ErrorCode::kUnavailable, "fake queue: down");
    return static_cast<int64_t>(entries_.size() - acked.size());
  }
  // Entries read or claimed but not acknowledged.
  std::vector<std::string> pending() {
    std::lock_guard lock(mu_);
    std::vector<std::string> out;
    for (const auto& e : entries_) {
      if (e.deliveries != 0 && acked.count(e.id) == 0) out.push_back(e.id);
    }
    return out;
  }

  // Runs at the start of read(), e.g. to let time pass as in a blocking read during which
  // the process is paused.
  std::function<void()> during_read;
  bool down = false;
  int read_calls = 0;
  int claim_calls = 0;
  std::set<std::string> acked;

 private:
  struct Entry {
    std::string id;
    std::string payload;
    std::string consumer;
    int deliveries = 0;
  };
  // Hands up to `max` entries that `eligible` picks to `consumer` (mu_ held).
  template <class Eligible>
  std::vector<QueueEntry> deliver(const std::string& consumer, int max, Eligible eligible) {
    std::vector<QueueEntry> out;
    for (auto& e : entries_) {
      if (static_cast<int>(out.size()) >= max) break;
      if (!eligible(e)) continue;
      e.consumer = consumer;
      ++e.deliveries;
      out.push_back(QueueEntry{e.id, e.payload, e.deliveries});
    }
    return out;
  }
  std::mutex mu_;
  int64_t next_id_ = 0;
  std::vector<Entry> entries_;
};

// Records published events; subscriptions receive nothing.
class FakeEventBus final : public EventBus {
 public:
  Status publish(const BoardUpdated& event) override {
    std::lock_guard lock(mu_);
    if (down) return error(ErrorCode::kUnavailable, "fake bus: down");
    published.push_back(event);
    return ok_status();
  }
  std::unique_ptr<Subscription> subscribe(std::function<void(const BoardUpdated&)>,
                                          std::function<void()>) override {
    return std::make_unique<Subscription>();
  }

  bool down = false;
  std::vector<BoardUpdated> published;

 private:
  std::mutex mu_;
};

}  // namespace mu::testing_support
