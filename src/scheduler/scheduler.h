// Scheduler: keeps boards fresh. Plans slots with the Planner (interval or cron schedules,
// jitter, misfire and overlap policies), runs each dispatch through a Collector under the
// board's timeout, commits good results to the BoardStore fenced by the coordinator's epoch,
// records every failed run (the last good snapshot stays) and publishes board-updated
// events. Failed runs with retryable errors are retried with exponential backoff and
// full jitter; a circuit breaker per site stops dispatching to a site that keeps failing.
// Schedule changes arrive live through one entry point, apply_change(), versioned per
// board. Owns a planning thread and a pool of worker threads between start() and stop();
// tick() runs planning rounds synchronously for tests. Public methods are safe for
// concurrent use.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "collector/collector.h"
#include "coord/coordinator.h"
#include "core/clock.h"
#include "core/metrics.h"
#include "core/types.h"
#include "scheduler/breaker.h"
#include "scheduler/planner.h"
#include "store/history.h"
#include "store/store.h"

namespace mu {

// A change to one board, from config reload (SIGHUP), the admin API or the distributed
// queue. Unset fields keep their value. Versions are compared per board: a change older
// than the one applied is ignored (kConflict), an equal one is applied again.
struct BoardChange {
  std::string board;
  int64_t version = 0;
  std::optional<BoardMeta> meta;  // the whole board (required for a board not yet known);
                                  // the fields below then apply on top of it
  std::optional<bool> enabled;
  std::optional<std::chrono::seconds> every;  // switches to an interval schedule
  std::optional<std::string> cron;            // switches to a cron schedule
  std::optional<std::string> tz;
  std::optional<MisfirePolicy> misfire;
  std::optional<std::chrono::seconds> catch_up;
  std::optional<OverlapPolicy> overlap;
  std::optional<std::chrono::seconds> timeout;
  std::optional<int> retries;
  std::optional<std::chrono::seconds> jitter;
  std::optional<std::string> group;  // collector group that runs the board
};

// `meta` with the schedule and group fields `change` sets (not `enabled`, `meta` or the
// version): what a board runs as after the change. Pure.
BoardMeta with_change(BoardMeta meta, const BoardChange& change);

struct SchedulerCounters {
  int64_t dispatched = 0;  // runs handed to the collector (first attempts and retries)
  int64_t committed = 0;
  int64_t failed = 0;  // failed attempts
  int64_t retried = 0;
  int64_t skipped_overlap = 0;  // slots dropped because the board was still running
  int64_t skipped_misfire = 0;  // missed slots dropped by the misfire policy
  int64_t skipped_breaker = 0;  // dispatches not started because the site's breaker was open
  int64_t queued = 0;           // slots queued behind a running board (overlap queue-one)
  int64_t manual = 0;           // "run now" dispatches started (merged requests not counted)
  int64_t fenced = 0;
  int64_t unrecorded = 0;          // failure records waiting for the store right now
  int64_t unrecorded_dropped = 0;  // failure records lost to unrecorded_cap
};

// What the admin console shows about the scheduler.
struct SchedulerSnapshot {
  struct Board {
    std::string board;
    std::string site;
    bool enabled = true;
    int64_t version = 0;
    std::optional<int64_t> next_due_s;  // unix seconds; nullopt: disabled or never again
    std::optional<int64_t> last_slot;   // unix seconds of the last slot planned or marked
    std::string in_flight;              // dispatch id running or waiting to retry; "" idle
    std::size_t waiting = 0;            // catch-up slots and queued runs behind it
  };
  struct Site {
    std::string site;
    CircuitBreaker::State breaker = CircuitBreaker::State::kClosed;
    int consecutive_failures = 0;
    std::optional<int64_t> probe_at_ms;  // wall time an open breaker lets a probe through
    int64_t skipped = 0;                 // dispatches refused by this site's breaker
  };
  int64_t now_ms = 0;
  std::optional<int64_t> next_due_s;  // earliest slot of any board
  std::vector<Board> boards;          // by board id
  std::vector<Site> sites;            // sites that have had a run, by id
  SchedulerCounters counters;
};

class Scheduler;

// Scrape-time figures of a scheduler (the one running now: `current` may return nullptr
// between leader terms, and then nothing is written): mu_scheduler_runs_total{result}
// from its counters, mu_scheduler_in_flight, mu_scheduler_lag_seconds (how far the
// earliest due slot is behind now; 0 when none is late) and mu_breaker_state{site}
// (0 closed, 1 half-open, 2 open).
void export_scheduler_metrics(metrics::Registry& registry,
                              std::function<const Scheduler*()> current);

class Scheduler {
 public:
  struct Options {
    int workers = 4;
    std::chrono::milliseconds retry_base{2000};  // backoff: full jitter in [0, base * 2^n]
    std::chrono::milliseconds retry_cap{60000};
    int keep_snapshots = 50;  // per board; older ones are pruned
    int keep_runs_days = 30;  // runs older are pruned (each board keeps 20); 0: kept forever
    std::chrono::seconds prune_every{std::chrono::hours(1)};
    // History retention, run with the pruning (store/history.h compact_history): points
    // older than history_full_days are thinned to hourly; when history_keep_days > 0, what
    // is older than that is deleted. nullptr: no history maintenance.
    HistoryStore* history = nullptr;
    int history_full_days = 7;
    int history_keep_days = 0;
    uint64_t seed = 0;             // 0: random; tests pass a fixed seed
    std::size_t stream_cap = 200;  // entries a stream board keeps across fetches
    BreakerOptions breaker;        // per site
    // Failure records the store could not take (it was down) are kept in memory, oldest
    // first, and written once it answers again (before the next dispatch runs); beyond
    // this many the oldest are dropped and counted.
    std::size_t unrecorded_cap = 10000;
    // Where runs are counted and timed (mu_board_runs_total, mu_fetch_duration_seconds,
    // mu_fetch_items, mu_store_commit_duration_seconds, mu_store_errors_total); nullptr:
    // nowhere. Must outlive the scheduler (in the cluster, one registry serves every
    // term's scheduler).
    metrics::Registry* metrics = nullptr;
    // Fills a dispatch's credentials (Dispatch::secrets and proxy: the cookies and proxies
    // the admin console keeps) on a copy just before it goes to the collector, so they are
    // never held in the in-flight table. Called on a worker thread; must be quick and safe
    // for concurrent use. Empty: none.
    std::function<void(Dispatch&)> attach_credentials;
    // Called on the worker thread after a board's snapshot was committed (alerts queue the
    // board for their rules here); must be quick and safe for concurrent use. Empty: none.
    std::function<void(const std::string& board)> on_commit;
  };
  using Counters = SchedulerCounters;

  // Boards start enabled at version 0. A board whose cron or zone does not parse is kept
  // but never planned (logged); apply_change() reports such errors to its caller.
  Scheduler(std::vector<BoardMeta> boards, Collector& collector, BoardStore& store,
            Coordinator& coordinator, const Clock& clock, Options options);
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Loads each board's last run from the store (its slot, from the newest run record) so
  // restarts keep phase and neither repeat nor lose a slot. Call before start() or tick().
  Status load_state();

  // Starts the planning thread and the workers.
  void start();
  // Stops planning, lets running dispatches finish, joins all threads. Idempotent.
  void stop();

  // Synchronous planning at the clock's current time: plans due slots, due retries and
  // "run now" requests and runs them on the calling thread, again while finishing a run
  // made more of the same instant's work due (catch-up backlog, queue-one). Returns the
  // number of dispatches run.
  int tick();

  // THE entry point for live changes of a board's schedule or enabled flag (config reload,
  // admin API, distributed queue). kNotFound: unknown board and no `meta`; kConflict: an
  // older version than the one applied (ignored; callers treat it as done); kInvalid: a
  // bad value (cron, zone, every and cron together, negative durations). Applies without
  // restart: the board's phase (last slot) is kept, a disabled board stops being planned,
  // its run in flight finishes.
  Status apply_change(const BoardChange& change);

  // Thin wrapper kept for the app: apply_change() with the whole `meta` and `enabled` at
  // the board's current version. Errors are logged.
  void update_board(const BoardMeta& meta, bool enabled);

  // "Run now": the id of the board's dispatch in flight (merged: no second run), or of a
  // new manual dispatch `board@<now unix seconds>` that starts as soon as a worker is free
  // (disabled boards too; an open site breaker does not stop it). kNotFound for an unknown
  // board, kUnavailable while stopping.
  Result<std::string> trigger_now(const std::string& board);

  Counters counters() const;
  SchedulerSnapshot snapshot() const;

 private:
  struct BoardEntry {
    BoardMeta meta;
    bool enabled = true;
    int64_t version = 0;
    int64_t last_manual_slot = 0;
  };
  struct Pending {
    Dispatch dispatch;
    MonoTime not_before;  // retries wait for their backoff
  };

  Status apply_locked(const BoardChange& change, bool at_current_version);
  std::vector<Dispatch> plan_locked();
  void run_dispatch(const Dispatch& d);
  void release_locked(const std::string& board);
  void release(const std::string& board);
  void breaker_feedback(const std::string& site, const Status& outcome);
  Status merge_into_stream(const BoardMeta& meta, std::vector<Item>& items);
  void planning_loop();
  void worker_loop();
  void maybe_prune();
  const BoardMeta* meta_locked(const std::string& board) const;
  CircuitBreaker& breaker_locked(const std::string& site);
  int64_t now_s() const { return clock_.now_ms() / 1000; }

  Collector& collector_;
  BoardStore& store_;
  Coordinator& coordinator_;
  const Clock& clock_;
  Options options_;

  mutable std::mutex mu_;
  std::condition_variable plan_cv_;
  std::condition_variable work_cv_;
  std::map<std::string, BoardEntry> boards_;
  Planner planner_{Planner::Options{true}};
  std::map<std::string, Dispatch> in_flight_;  // board -> dispatch running, queued or retrying
  // Options::metrics' families (nullptr when not counted).
  metrics::Family<metrics::Counter>* runs_metric_ = nullptr;
  metrics::Family<metrics::Histogram>* fetch_seconds_metric_ = nullptr;
  metrics::Family<metrics::Histogram>* fetch_items_metric_ = nullptr;
  metrics::Family<metrics::Histogram>* commit_seconds_metric_ = nullptr;
  metrics::Family<metrics::Counter>* store_errors_metric_ = nullptr;
  std::vector<Pending> retries_;
  std::vector<Dispatch> manual_;  // "run now" requests not yet planned
  std::deque<Dispatch> queue_;
  std::map<std::string, CircuitBreaker> breakers_;  // by site
  std::map<std::string, int64_t> breaker_skips_;    // by site
  bool stopping_ = false;
  bool started_ = false;
  MonoTime last_prune_{};
  std::mt19937_64 rng_;
  Counters counters_;
  std::thread planner_thread_;
  std::vector<std::thread> workers_;

  // Failure records waiting for the store (see Options::unrecorded_cap).
  void keep_unrecorded(FailureRecord rec);
  // Counts a finished attempt in Options::metrics (no-op without).
  void count_run(const BoardMeta& meta, const Status& status);
  // Counts a failed store write (mu_store_errors_total{op,code}); no-op without metrics.
  void count_store_error(std::string_view op, const Status& status);
  void flush_unrecorded();
  mutable std::mutex unrecorded_mu_;  // guards unrecorded_; never taken with mu_ held
  std::mutex flush_mu_;               // one flush at a time
  std::deque<FailureRecord> unrecorded_;
  int64_t unrecorded_dropped_ = 0;  // guarded by unrecorded_mu_
};

}  // namespace mu
