// Scheduler: keeps boards fresh. Plans slots with the Planner, runs each dispatch through
// a Collector, commits good results to the Store fenced by the coordinator's epoch,
// records every failed run (the last good snapshot stays) and publishes board-updated
// events. Failed runs with retryable errors are retried with exponential backoff and
// full jitter. Owns a planning thread and a pool of worker threads between start() and
// stop(); tick() runs one planning round synchronously for tests. Public methods are safe
// for concurrent use.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "collector/collector.h"
#include "coord/coordinator.h"
#include "core/clock.h"
#include "core/types.h"
#include "scheduler/planner.h"
#include "store/store.h"

namespace mu {

class Scheduler {
 public:
  struct Options {
    int workers = 4;
    std::chrono::milliseconds retry_base{2000};  // backoff: full jitter in [0, base * 2^n]
    std::chrono::milliseconds retry_cap{60000};
    int keep_snapshots = 500;  // per board; older ones are pruned
    std::chrono::seconds prune_every{std::chrono::hours(1)};
    uint64_t seed = 0;             // 0: random; tests pass a fixed seed
    std::size_t stream_cap = 200;  // entries a stream board keeps across fetches
  };

  Scheduler(std::vector<BoardMeta> boards, Collector& collector, Store& store,
            Coordinator& coordinator, const Clock& clock, Options options);
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Loads each board's last run from the store so restarts keep phase and do not refetch
  // boards that are still fresh. Call before start() or tick().
  Status load_state();

  // Starts the planning thread and the workers.
  void start();
  // Stops planning, lets running dispatches finish, joins all threads. Idempotent.
  void stop();

  // One synchronous round at the clock's current time: plans due slots and due retries
  // and runs them on the calling thread. Returns the number of dispatches run.
  int tick();

  // Changes a board's schedule or enabled flag live.
  void update_board(const BoardMeta& meta, bool enabled);

  struct Counters {
    int64_t dispatched = 0;
    int64_t committed = 0;
    int64_t failed = 0;
    int64_t retried = 0;
    int64_t skipped_overlap = 0;
    int64_t fenced = 0;
  };
  Counters counters() const;

 private:
  struct Pending {
    Dispatch dispatch;
    MonoTime not_before;  // retries wait for their backoff
  };

  std::vector<Dispatch> plan_locked();
  void run_dispatch(const Dispatch& d);
  void finish(const Dispatch& d);
  Status merge_into_stream(const BoardMeta& meta, std::vector<Item>& items);
  std::chrono::milliseconds backoff_locked(int attempt);
  void planning_loop();
  void worker_loop();
  void maybe_prune();
  const BoardMeta* meta_locked(const std::string& board) const;

  Collector& collector_;
  Store& store_;
  Coordinator& coordinator_;
  const Clock& clock_;
  Options options_;

  mutable std::mutex mu_;
  std::condition_variable plan_cv_;
  std::condition_variable work_cv_;
  std::map<std::string, BoardMeta> boards_;
  Planner planner_;
  std::set<std::string> in_flight_;
  std::vector<Pending> retries_;
  std::deque<Dispatch> queue_;
  bool stopping_ = false;
  bool started_ = false;
  MonoTime last_prune_{};
  std::mt19937_64 rng_;
  Counters counters_;
  std::thread planner_thread_;
  std::vector<std::thread> workers_;
};

}  // namespace mu
