// PeriodicTask: runs a function on its own thread now and then every `interval` until it is
// destroyed (the destructor wakes the thread and joins it; a run in progress finishes).
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>

namespace mu {

class PeriodicTask {
 public:
  PeriodicTask(std::chrono::milliseconds interval, std::function<void()> fn)
      : thread_([this, interval, fn = std::move(fn)] {
          std::unique_lock lock(mu_);
          do {
            lock.unlock();
            fn();
            lock.lock();
          } while (!cv_.wait_for(lock, interval, [this] { return stopping_; }));
        }) {}
  ~PeriodicTask() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  PeriodicTask(const PeriodicTask&) = delete;
  PeriodicTask& operator=(const PeriodicTask&) = delete;

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;  // last: starts after the members it uses exist
};

}  // namespace mu
