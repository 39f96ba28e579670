// Test doubles for the rpc tests: a scripted Collector whose collects can be held until
// released, and an in-memory CollectorRegistry. Test-only; safe for concurrent use.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "collector/collector.h"
#include "coord/cluster.h"
#include "core/status.h"

namespace mu::testing {

// Generous bound for waiting on other threads (a real server to receive a call).
inline constexpr std::chrono::seconds kWaitLimit{20};

class ScriptedCollector final : public Collector {
 public:
  explicit ScriptedCollector(std::string name = "scripted") : name_(std::move(name)) {}

  // What collect() returns: by default an outcome with one item keyed by the dispatch id.
  void set_response(std::function<Result<CollectOutcome>(const Dispatch&)> respond) {
    std::lock_guard lock(mu_);
    respond_ = std::move(respond);
  }
  // While held, collect() waits for release() before answering.
  void hold() {
    std::lock_guard lock(mu_);
    held_ = true;
  }
  void release() {
    std::lock_guard lock(mu_);
    held_ = false;
    cv_.notify_all();
  }
  // Waits until `n` collects are running (inside collect()); false after kWaitLimit.
  bool wait_running(int n) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, kWaitLimit, [&] { return running_ >= n; });
  }
  // Waits until `n` collects have returned; false after kWaitLimit.
  bool wait_finished(int n) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, kWaitLimit, [&] { return finished_ >= n; });
  }

  std::vector<Dispatch> received() const {
    std::lock_guard lock(mu_);
    return received_;
  }
  int running() const {
    std::lock_guard lock(mu_);
    return running_;
  }

  Result<CollectOutcome> collect(const Dispatch& d) override {
    std::function<Result<CollectOutcome>(const Dispatch&)> respond;
    {
      std::unique_lock lock(mu_);
      received_.push_back(d);
      ++running_;
      cv_.notify_all();
      cv_.wait(lock, [&] { return !held_; });
      respond = respond_;
    }
    Result<CollectOutcome> out = respond ? respond(d) : default_outcome(d);
    std::lock_guard lock(mu_);
    --running_;
    ++finished_;
    cv_.notify_all();
    return out;
  }

 private:
  CollectOutcome default_outcome(const Dispatch& d) const {
    CollectOutcome out;
    Item item;
    item.key = d.id();
    item.title = "from " + name_;
    item.url = "https://example.com/" + d.board;
    out.items.push_back(item);
    out.http_status = 200;
    out.collector = name_;
    return out;
  }

  const std::string name_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::function<Result<CollectOutcome>(const Dispatch&)> respond_;
  bool held_ = false;
  int running_ = 0;
  int finished_ = 0;
  std::vector<Dispatch> received_;
};

class FakeRegistry final : public CollectorRegistry {
 public:
  Status heartbeat(const CollectorInfo& info, std::chrono::milliseconds /*ttl*/) override {
    std::lock_guard lock(mu_);
    for (CollectorInfo& c : collectors_) {
      if (c.id == info.id) {
        c = info;
        return ok_status();
      }
    }
    collectors_.push_back(info);
    return ok_status();
  }
  Status remove(const std::string& id) override {
    std::lock_guard lock(mu_);
    std::erase_if(collectors_, [&](const CollectorInfo& c) { return c.id == id; });
    return ok_status();
  }
  Result<std::vector<CollectorInfo>> alive() override {
    std::lock_guard lock(mu_);
    ++alive_calls_;
    if (down_) return error(ErrorCode::kUnavailable, "registry down");
    return collectors_;
  }

  void set_down(bool down) {
    std::lock_guard lock(mu_);
    down_ = down;
  }
  int alive_calls() const {
    std::lock_guard lock(mu_);
    return alive_calls_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<CollectorInfo> collectors_;
  bool down_ = false;
  int alive_calls_ = 0;
};

}  // namespace mu::testing
