#include "scheduler/scheduler.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "pipeline/stream.h"

namespace mu {

Scheduler::Scheduler(std::vector<BoardMeta> boards, Collector& collector, Store& store,
                     Coordinator& coordinator, const Clock& clock, Options options)
    : collector_(collector),
      store_(store),
      coordinator_(coordinator),
      clock_(clock),
      options_(options),
      rng_(options.seed != 0 ? options.seed : std::random_device{}()) {
  for (auto& b : boards) {
    planner_.upsert({b.id, b.schedule.every, b.schedule.jitter, true});
    boards_.emplace(b.id, std::move(b));
  }
}

Scheduler::~Scheduler() { stop(); }

Status Scheduler::load_state() {
  MU_ASSIGN_OR_RETURN(auto states, store_.board_states());
  std::lock_guard lock(mu_);
  for (const auto& st : states) {
    auto it = boards_.find(st.board);
    if (it == boards_.end()) continue;
    const auto& sched = it->second.schedule;
    if (st.last_run_at_ms > 0) {
      // The slot that contains the last run is done: keep phase, do not refetch early.
      int64_t offset = jitter_offset(st.board, sched.every, sched.jitter);
      planner_.mark(st.board,
                    slot_at_or_before(st.last_run_at_ms / 1000, sched.every.count(), offset));
    }
  }
  return ok_status();
}

const BoardMeta* Scheduler::meta_locked(const std::string& board) const {
  auto it = boards_.find(board);
  return it == boards_.end() ? nullptr : &it->second;
}

std::vector<Dispatch> Scheduler::plan_locked() {
  std::vector<Dispatch> out;
  const MonoTime mono = clock_.mono();
  // Retries whose backoff has passed.
  for (auto it = retries_.begin(); it != retries_.end();) {
    if (it->not_before <= mono) {
      out.push_back(it->dispatch);
      it = retries_.erase(it);
    } else {
      ++it;
    }
  }
  const int64_t epoch = coordinator_.leader_epoch();
  const int64_t now_s = clock_.now_ms() / 1000;
  for (auto& p : planner_.take_due(now_s)) {
    if (in_flight_.count(p.board) != 0) {
      ++counters_.skipped_overlap;  // overlap policy "skip": the running fetch is fresh enough
      continue;
    }
    const BoardMeta* meta = meta_locked(p.board);
    out.push_back(Dispatch{p.board, p.slot, epoch, 1,
                           meta != nullptr ? std::chrono::milliseconds(meta->schedule.timeout)
                                           : std::chrono::milliseconds(0)});
  }
  for (const auto& d : out) in_flight_.insert(d.board);
  counters_.dispatched += static_cast<int64_t>(out.size());
  return out;
}

std::chrono::milliseconds Scheduler::backoff_locked(int attempt) {
  auto cap = options_.retry_base * (int64_t{1} << std::min(attempt - 1, 20));
  cap = std::min(cap, options_.retry_cap);
  std::uniform_int_distribution<int64_t> dist(0, std::max<int64_t>(cap.count(), 0));
  return std::chrono::milliseconds(dist(rng_));
}

Status Scheduler::merge_into_stream(const BoardMeta& meta, std::vector<Item>& items) {
  if (meta.kind != BoardKind::kStream) return ok_status();
  // A stream keeps the entries of earlier fetches: merge them into this snapshot.
  MU_ASSIGN_OR_RETURN(std::optional<BoardView> view, store_.board_view(meta.id));
  if (view) items = merge_stream(items, view->snapshot.items, options_.stream_cap);
  return ok_status();
}

void Scheduler::finish(const Dispatch& d) {
  std::lock_guard lock(mu_);
  in_flight_.erase(d.board);
  plan_cv_.notify_all();
}

void Scheduler::run_dispatch(const Dispatch& d) {
  BoardMeta meta;
  {
    std::lock_guard lock(mu_);
    const BoardMeta* m = meta_locked(d.board);
    if (m == nullptr) {
      in_flight_.erase(d.board);
      return;
    }
    meta = *m;
  }
  const int64_t started = clock_.now_ms();
  auto outcome = collector_.collect(d);
  Status err;
  if (outcome.ok()) {
    CommitRequest req;
    req.board = d.board;
    req.epoch = d.epoch;
    req.dispatch_id = d.id();
    req.slot = d.slot;
    req.items = std::move(outcome->items);
    Status merged = merge_into_stream(meta, req.items);
    req.stats = RunStats{outcome->started_ms,
                         outcome->finished_ms,
                         outcome->http_status,
                         outcome->bytes,
                         static_cast<int>(req.items.size()),
                         d.attempt,
                         outcome->collector};
    auto committed = merged.ok() ? store_.commit_snapshot(req) : Result<int64_t>(merged);
    if (committed.ok()) {
      {
        std::lock_guard lock(mu_);
        ++counters_.committed;
      }
      spdlog::debug("{}: committed version {} ({} items)", d.id(), *committed, req.items.size());
      (void)coordinator_.publish({d.board, *committed});
      finish(d);
      return;
    }
    if (committed.code() == ErrorCode::kFenced || committed.code() == ErrorCode::kConflict) {
      // Another leader (newer epoch) or an earlier attempt owns this slot: nothing to do.
      {
        std::lock_guard lock(mu_);
        ++counters_.fenced;
      }
      spdlog::warn("{}: commit rejected: {}", d.id(), committed.status().to_string());
      finish(d);
      return;
    }
    // The store could not take the result (busy, disk full, down): a failed run like any
    // other, retried when the error is retryable.
    err = committed.status().with_context("commit");
  } else {
    err = outcome.status();
  }

  FailureRecord rec;
  rec.board = d.board;
  rec.epoch = d.epoch;
  rec.dispatch_id = d.id();
  rec.slot = d.slot;
  rec.error = err;
  rec.stats.started_ms = started;
  rec.stats.finished_ms = clock_.now_ms();
  rec.stats.attempt = d.attempt;
  rec.stats.collector = "local";
  Status recorded = store_.record_failure(rec);
  if (!recorded.ok()) spdlog::error("{}: cannot record failure: {}", d.id(), recorded.to_string());
  (void)coordinator_.publish({d.board, 0});
  spdlog::warn("{} attempt {}: {}", d.id(), d.attempt, err.to_string());

  std::lock_guard lock(mu_);
  ++counters_.failed;
  if (is_retryable(err) && d.attempt <= meta.schedule.retries && !stopping_) {
    Dispatch next = d;
    ++next.attempt;
    // Exponential backoff with full jitter, but never sooner than the site's Retry-After.
    const auto wait =
        std::max(backoff_locked(d.attempt), std::min(err.retry_after(), options_.retry_cap));
    retries_.push_back({next, clock_.mono() + wait});
    ++counters_.retried;
    plan_cv_.notify_all();
    return;  // the board stays in flight until the retry finishes
  }
  in_flight_.erase(d.board);
  plan_cv_.notify_all();
}

int Scheduler::tick() {
  std::vector<Dispatch> due;
  {
    std::lock_guard lock(mu_);
    due = plan_locked();
  }
  for (const auto& d : due) run_dispatch(d);
  maybe_prune();
  return static_cast<int>(due.size());
}

void Scheduler::maybe_prune() {
  {
    std::lock_guard lock(mu_);
    const MonoTime now = clock_.mono();
    if (last_prune_ != MonoTime{} && now - last_prune_ < options_.prune_every) return;
    last_prune_ = now;
  }
  auto pruned = store_.prune_snapshots(options_.keep_snapshots);
  if (!pruned.ok()) spdlog::warn("prune snapshots: {}", pruned.status().to_string());
}

void Scheduler::update_board(const BoardMeta& meta, bool enabled) {
  std::lock_guard lock(mu_);
  boards_[meta.id] = meta;
  planner_.upsert({meta.id, meta.schedule.every, meta.schedule.jitter, enabled});
  plan_cv_.notify_all();
}

Scheduler::Counters Scheduler::counters() const {
  std::lock_guard lock(mu_);
  return counters_;
}

void Scheduler::start() {
  std::lock_guard lock(mu_);
  if (started_) return;
  started_ = true;
  stopping_ = false;
  for (int i = 0; i < std::max(1, options_.workers); ++i) {
    workers_.emplace_back([this] { worker_loop(); });
  }
  planner_thread_ = std::thread([this] { planning_loop(); });
}

void Scheduler::stop() {
  {
    std::lock_guard lock(mu_);
    if (!started_) return;
    stopping_ = true;
    retries_.clear();
    for (const auto& d : queue_) in_flight_.erase(d.board);  // not started: dropped
    queue_.clear();
  }
  plan_cv_.notify_all();
  work_cv_.notify_all();
  if (planner_thread_.joinable()) planner_thread_.join();
  for (auto& w : workers_) {
    if (w.joinable()) w.join();
  }
  workers_.clear();
  std::lock_guard lock(mu_);
  started_ = false;
}

void Scheduler::planning_loop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    auto due = plan_locked();
    for (auto& d : due) queue_.push_back(std::move(d));
    if (!due.empty()) work_cv_.notify_all();
    lock.unlock();
    maybe_prune();
    lock.lock();
    if (stopping_) break;
    // Sleep until the next slot or retry is due (at most a second, so wall-clock steps
    // and live changes are picked up promptly).
    auto wait = std::chrono::milliseconds(1000);
    const int64_t now_ms = clock_.now_ms();
    if (auto next = planner_.next_due(now_ms / 1000)) {
      wait = std::min(wait, std::chrono::milliseconds(std::max<int64_t>(*next * 1000 - now_ms, 0)));
    }
    const MonoTime mono = clock_.mono();
    for (const auto& r : retries_) {
      wait = std::min(wait, std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::max(r.not_before - mono, MonoTime::duration::zero())));
    }
    plan_cv_.wait_for(lock, std::max(wait, std::chrono::milliseconds(5)));
  }
}

void Scheduler::worker_loop() {
  for (;;) {
    Dispatch d;
    {
      std::unique_lock lock(mu_);
      work_cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping and drained
      d = std::move(queue_.front());
      queue_.pop_front();
    }
    run_dispatch(d);
  }
}

}  // namespace mu
