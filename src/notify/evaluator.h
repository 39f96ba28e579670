// AlertEvaluator: runs the alert rules against each committed board update (issue 13). The
// scheduler that committed it (the `mu serve` pipeline or the cluster's leader, never an API
// instance) calls on_commit(), which only queues the board, so rules never slow fetching;
// the evaluator's thread then reads the board's view (the snapshot and the one before),
// evaluates every enabled rule (notify/matcher.h), and records the matches with a delivery
// per channel of each rule (store/alerts.h), due now, at the end of the rule's quiet hours,
// or at its next digest. A (rule, item) is recorded once whatever evaluates it — several
// schedulers over time, a new leader catching up (catch_up() re-evaluates the latest update
// of every board, which records nothing twice) — so an alert fires once per rule and item.
//
// Rules are reloaded when the store's rule revision moves (checked before each
// evaluation). evaluate_board() is synchronous for tests; start()/stop() own the thread.
// Public methods are safe for concurrent use.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/status.h"
#include "notify/matcher.h"
#include "notify/rule.h"
#include "store/alerts.h"
#include "store/store.h"

namespace mu {

// When a match of `rule` made at now_ms is delivered: now, the next digest time (hourly: the
// next full hour; daily: the next digest_hour:00, in the rule's zone), and never inside
// quiet hours (moved to their end).
int64_t delivery_time(const AlertRule& rule, int64_t now_ms);

struct EvaluatorCounters {
  int64_t updates = 0;   // board updates evaluated
  int64_t matches = 0;   // new matches recorded
  int64_t dropped = 0;   // updates not queued (queue full)
  int64_t failures = 0;  // evaluations that failed (store errors)
};

class AlertEvaluator {
 public:
  struct Options {
    std::size_t queue_cap = 10000;  // boards waiting; beyond, updates are dropped (counted)
  };

  // `site_of(board)` names a board's site; `recorded()` is called after new matches were
  // recorded (to wake the delivery worker).
  AlertEvaluator(AlertStore& alerts, BoardStore& boards,
                 std::function<std::string(const std::string&)> site_of, const Clock& clock,
                 std::function<void()> recorded, Options options);
  AlertEvaluator(AlertStore& alerts, BoardStore& boards,
                 std::function<std::string(const std::string&)> site_of, const Clock& clock,
                 std::function<void()> recorded)
      : AlertEvaluator(alerts, boards, std::move(site_of), clock, std::move(recorded), Options{}) {}
  ~AlertEvaluator();
  AlertEvaluator(const AlertEvaluator&) = delete;
  AlertEvaluator& operator=(const AlertEvaluator&) = delete;

  // Queues `board` (once, however many updates arrive before it is evaluated).
  void on_commit(const std::string& board);
  // Evaluates the latest update of `board` now. Returns the number of new matches.
  Result<int64_t> evaluate_board(const std::string& board);
  // Queues every board of `boards` (a new leader's catch-up).
  void catch_up(const std::vector<std::string>& boards);
  // Reloads the rules when their revision moved (or `force`).
  Status refresh_rules(bool force = false);

  void start();
  void stop();

  EvaluatorCounters counters() const;

 private:
  void loop();

  AlertStore& alerts_;
  BoardStore& boards_;
  const std::function<std::string(const std::string&)> site_of_;
  const Clock& clock_;
  const std::function<void()> recorded_;
  const Options options_;

  std::mutex rules_mu_;  // serializes evaluations and rule reloads
  std::shared_ptr<const RuleSet> rules_;
  int64_t revision_ = -1;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> queue_;
  std::set<std::string> queued_;
  EvaluatorCounters counters_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace mu
