// LeaderRole: one instance of `mu scheduler`. Every instance serves SchedulerControl (a
// change is written to the store, then announced on the ChangeQueue); the instance holding
// the lease (LeaderElector over a LeaseStore) runs a Scheduler for its term, consumes the
// queue and reconciles against the store's override documents. Written against the
// interfaces of coord/cluster.h, Store, Collector and Clock: app/ passes the Redis and
// PostgreSQL implementations, tests pass fakes and a FakeClock.
//
// The term's rules, in order: (1) raise the store fence to the term's epoch and check that
// the fence is exactly that epoch (a higher fence means a newer leader exists: resign);
// (2) apply the configuration's disabled boards and reconcile the stored overrides;
// (3) load the boards' last slots from the store. Only then does the term's Scheduler
// start dispatching. A failed step is retried from (1) with exponential backoff on the
// Clock (start_retry_base doubling up to start_retry_cap); after `start_attempts` failed
// attempts the instance resigns the lease so that another instance can try. While the term
// runs, the queue consumer applies and acknowledges an entry only while the elector still
// proves the term's epoch: the moment leadership is in doubt (renew deadline passed, lease
// lost, resigned) it stops reading and never acknowledges, so the next leader gets the
// entry.
//
// Threads: start() runs the elector's thread and, per term, one term thread (start
// sequence, then queue consumer); the Scheduler has its own threads. Without start(),
// step() does one elector round and one term round synchronously at the clock's time and
// tick() runs the term's scheduler synchronously (tests, with FakeClock). Public methods are
// safe for concurrent use.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "collector/collector.h"
#include "coord/cluster.h"
#include "coord/leader_elector.h"
#include "core/clock.h"
#include "core/status.h"
#include "scheduler/control.h"
#include "scheduler/scheduler.h"
#include "store/store.h"

namespace mu {

class LeaderRole final : public SchedulerControl {
 public:
  struct Options {
    std::string id;                  // this instance (the lease holder and queue consumer)
    LeaderElector::Options elector;  // `holder` is set to `id`
    Scheduler::Options scheduler;    // for each term's Scheduler
    std::chrono::milliseconds reconcile_every{30000};
    std::chrono::milliseconds claim_every{5000};  // take over entries left pending
    std::chrono::milliseconds read_block{300};    // queue read wait (0 in tests)
    std::chrono::milliseconds start_retry_base{200};
    std::chrono::milliseconds start_retry_cap{5000};
    int start_attempts = 8;  // failed term starts before resigning; 0: retry forever
  };
  // The cluster backends; each must outlive the role.
  struct Backends {
    LeaseStore& leases;
    ChangeQueue& changes;
    EventBus& events;
    Store& store;
    Collector& collector;
  };

  // `disabled`: boards the configuration switches off. `acquire_above` as in
  // LeaderElector (a backend that honours the store fence as an epoch floor).
  LeaderRole(std::vector<BoardMeta> boards, std::set<std::string> disabled, Backends backends,
             const Clock& clock, Options options,
             LeaderElector::AcquireAbove acquire_above = nullptr);
  ~LeaderRole() override;
  LeaderRole(const LeaderRole&) = delete;
  LeaderRole& operator=(const LeaderRole&) = delete;

  // Runs the elector's thread (and a term thread while leading).
  void start();
  // Hands over: releases the lease first (a follower takes over at once), then lets this
  // term's running dispatches finish (their commits are fenced once the new leader raised
  // the fence). Idempotent.
  void stop();

  // Synchronous rounds for tests (do not mix with start()): one elector round, then one
  // round of the current term (a start attempt when due, or one queue batch and a reconcile
  // when due). Returns how long until the next round is due.
  std::chrono::milliseconds step();
  // The term's Scheduler::tick() once the term has started; 0 otherwise.
  int tick();

  // The epoch of a term that passed its start sequence and still holds the lease; 0 when
  // not leading or not (yet) dispatching.
  int64_t dispatching_epoch() const;
  // Failed start attempts of the current term (0 when none or not leading).
  int start_failures() const;
  const LeaderElector& elector() const { return elector_; }

  Result<SchedulerStatusInfo> status() override;
  Result<std::string> trigger_now(const std::string& board) override;
  Result<int64_t> update_schedule(const BoardChange& change) override;
  Result<std::vector<RunRecord>> list_runs(const std::string& board, int limit) override;

 private:
  struct Term;

  LeaderElector::Callbacks elector_callbacks();
  bool known(const std::string& board) const;
  bool holds(const Term& term) const;
  void begin_term(int64_t epoch);
  void end_term(int64_t epoch, const std::string& why);
  std::chrono::milliseconds term_round(Term& term);
  Status try_start(Term& term);
  std::chrono::milliseconds consume_round(Term& term);
  Status apply_entry(Scheduler& scheduler, const QueueEntry& entry);
  Status reconcile(Scheduler& scheduler);
  void term_loop(Term& term);

  const std::vector<BoardMeta> boards_;
  const std::set<std::string> disabled_;
  Backends backends_;
  const Clock& clock_;
  const Options options_;
  std::atomic<bool> threaded_{false};
  std::atomic<int64_t> last_reconcile_ms_{0};
  mutable std::mutex term_mu_;
  std::unique_ptr<Term> term_;  // by term_mu_
  LeaderElector elector_;       // last: its thread calls into the members above
};

}  // namespace mu
