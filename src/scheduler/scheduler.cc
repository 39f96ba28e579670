#include "scheduler/scheduler.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <type_traits>

#include "pipeline/stream.h"

namespace mu {
namespace {

// Errors that say something about the site (as opposed to Mu's own config, store or
// collector fleet): they feed the site's circuit breaker.
bool counts_against_site(const Status& s) {
  switch (s.code()) {
    case ErrorCode::kNetwork:
    case ErrorCode::kHttp:
    case ErrorCode::kBlocked:
    case ErrorCode::kParse:
    case ErrorCode::kTimeout:
    case ErrorCode::kTooLarge:
      return true;
    default:
      return false;
  }
}

Status check_schedule(const Schedule& s) {
  if (s.cron.empty() && s.every < std::chrono::seconds(1)) {
    return error(ErrorCode::kInvalid, "every must be at least 1s");
  }
  if (s.jitter < std::chrono::seconds(0)) return error(ErrorCode::kInvalid, "negative jitter");
  if (s.timeout < std::chrono::seconds(0)) return error(ErrorCode::kInvalid, "negative timeout");
  if (s.catch_up < std::chrono::seconds(0)) {
    return error(ErrorCode::kInvalid, "negative catch_up");
  }
  if (s.retries < 0 || s.retries > 100) {
    return error(ErrorCode::kInvalid, "retries must be between 0 and 100");
  }
  return ok_status();
}

}  // namespace

Scheduler::Scheduler(std::vector<BoardMeta> boards, Collector& collector, BoardStore& store,
                     Coordinator& coordinator, const Clock& clock, Options options)
    : collector_(collector),
      store_(store),
      coordinator_(coordinator),
      clock_(clock),
      options_(options),
      rng_(options.seed != 0 ? options.seed : std::random_device{}()) {
  for (auto& b : boards) {
    auto applied = planner_.apply(board_plan(b, true), 0);
    if (!applied.ok()) {
      spdlog::error("scheduler: board {} is not scheduled: {}", b.id, applied.status().to_string());
    }
    const std::string id = b.id;
    boards_[id] = BoardEntry{std::move(b), true, 0, 0};
  }
  if (options_.metrics != nullptr) {
    metrics::Registry& m = *options_.metrics;
    auto family = [](auto made, std::string_view name) {
      using Ptr = std::remove_reference_t<decltype(*made)>;
      if (!made.ok()) {
        spdlog::warn("scheduler: metric {}: {}", name, made.status().to_string());
        return Ptr{nullptr};
      }
      return *made;
    };
    runs_metric_ = family(m.counter("mu_board_runs_total",
                                    "Finished run attempts of a board, by outcome: ok, or the "
                                    "error code (network, http, parse, timeout, blocked, ...).",
                                    {"board", "outcome"}),
                          "mu_board_runs_total");
    fetch_seconds_metric_ = family(m.histogram("mu_fetch_duration_seconds",
                                               "Time a collector took to fetch and parse a "
                                               "board, by site (failed fetches included).",
                                               {"site"}),
                                   "mu_fetch_duration_seconds");
    static const metrics::Buckets kItems = {0, 1, 5, 10, 20, 30, 50, 100, 200};
    fetch_items_metric_ = family(
        m.histogram("mu_fetch_items", "Items of a successful fetch, by site.", {"site"}, kItems),
        "mu_fetch_items");
    store_errors_metric_ =
        family(m.counter("mu_store_errors_total",
                         "Store writes of the scheduler that failed (not fenced), by operation "
                         "(commit, record_failure) and error code.",
                         {"op", "code"}),
               "mu_store_errors_total");
    commit_seconds_metric_ = family(
        m.histogram("mu_store_commit_duration_seconds",
                    "Time to commit a fetched board to the store (failed commits included).", {}),
        "mu_store_commit_duration_seconds");
  }
}

void Scheduler::count_store_error(std::string_view op, const Status& status) {
  if (store_errors_metric_ == nullptr) return;
  store_errors_metric_->with({std::string(op), std::string(error_code_name(status.code()))}).inc();
}

void Scheduler::count_run(const BoardMeta& meta, const Status& status) {
  if (runs_metric_ == nullptr) return;
  runs_metric_
      ->with(
          {meta.id, status.ok() ? std::string("ok") : std::string(error_code_name(status.code()))})
      .inc();
}

Scheduler::~Scheduler() { stop(); }

Status Scheduler::load_state() {
  MU_ASSIGN_OR_RETURN(auto states, store_.board_states());
  // The newest run record names the slot exactly (a run may end in a later slot than it
  // started in); its finish time is the fallback.
  std::vector<std::pair<std::string, std::optional<int64_t>>> last;
  for (const auto& st : states) {
    if (st.last_run_at_ms <= 0) continue;
    {
      std::lock_guard lock(mu_);
      if (boards_.count(st.board) == 0) continue;
    }
    std::optional<int64_t> slot;
    auto runs = store_.runs(st.board, 1);
    if (runs.ok() && !runs->empty()) slot = runs->front().slot;
    if (!slot) {
      std::lock_guard lock(mu_);
      slot = planner_.slot_at_or_before(st.board, st.last_run_at_ms / 1000);
    }
    if (slot) last.emplace_back(st.board, *slot);
  }
  std::lock_guard lock(mu_);
  for (const auto& [board, slot] : last) planner_.mark(board, *slot);
  plan_cv_.notify_all();
  return ok_status();
}

const BoardMeta* Scheduler::meta_locked(const std::string& board) const {
  auto it = boards_.find(board);
  return it == boards_.end() ? nullptr : &it->second.meta;
}

CircuitBreaker& Scheduler::breaker_locked(const std::string& site) {
  auto it = breakers_.find(site);
  if (it == breakers_.end()) it = breakers_.emplace(site, CircuitBreaker(options_.breaker)).first;
  return it->second;
}

Status Scheduler::apply_locked(const BoardChange& change, bool at_current_version) {
  auto it = boards_.find(change.board);
  if (it == boards_.end() && !change.meta) {
    return error(ErrorCode::kNotFound, "board " + change.board + ": no such board");
  }
  int64_t version = change.version;
  if (it != boards_.end()) {
    if (at_current_version) version = it->second.version;
    if (version < it->second.version) {
      return error(ErrorCode::kConflict, "board " + change.board + ": change version " +
                                             std::to_string(version) + " is older than " +
                                             std::to_string(it->second.version) + "; ignored");
    }
  }
  if (change.every && change.cron) {
    return error(ErrorCode::kInvalid,
                 "board " + change.board + ": every and cron exclude each other; set only one");
  }
  BoardMeta meta = change.meta ? *change.meta : it->second.meta;
  meta.id = change.board;
  bool enabled = it != boards_.end() ? it->second.enabled : true;
  meta = with_change(std::move(meta), change);
  const Schedule& s = meta.schedule;
  if (change.enabled) enabled = *change.enabled;
  if (Status st = check_schedule(s); !st.ok()) {
    return error(ErrorCode::kInvalid, "board " + change.board + ": " + st.message());
  }
  auto applied = planner_.apply(board_plan(meta, enabled), version);
  if (!applied.ok()) {
    return error(ErrorCode::kInvalid, "board " + change.board + ": " + applied.error_message());
  }
  if (!*applied) {
    return error(ErrorCode::kConflict, "board " + change.board + ": change version " +
                                           std::to_string(version) + " is outdated; ignored");
  }
  BoardEntry& entry = boards_[change.board];
  entry.meta = std::move(meta);
  entry.enabled = enabled;
  entry.version = version;
  plan_cv_.notify_all();
  return ok_status();
}

BoardMeta with_change(BoardMeta meta, const BoardChange& change) {
  Schedule& s = meta.schedule;
  if (change.every) {
    s.every = *change.every;
    s.cron.clear();
  }
  if (change.cron) s.cron = *change.cron;
  if (change.tz) s.tz = *change.tz;
  if (change.misfire) s.misfire = *change.misfire;
  if (change.catch_up) s.catch_up = *change.catch_up;
  if (change.overlap) s.overlap = *change.overlap;
  if (change.timeout) s.timeout = *change.timeout;
  if (change.retries) s.retries = *change.retries;
  if (change.jitter) s.jitter = *change.jitter;
  if (change.group) meta.group = *change.group;
  return meta;
}

Status Scheduler::apply_change(const BoardChange& change) {
  std::lock_guard lock(mu_);
  return apply_locked(change, false);
}

void Scheduler::update_board(const BoardMeta& meta, bool enabled) {
  BoardChange change;
  change.board = meta.id;
  change.meta = meta;
  change.enabled = enabled;
  std::lock_guard lock(mu_);
  Status s = apply_locked(change, true);
  if (!s.ok()) spdlog::error("scheduler: {}", s.to_string());
}

Result<std::string> Scheduler::trigger_now(const std::string& board) {
  std::lock_guard lock(mu_);
  if (stopping_) return error(ErrorCode::kUnavailable, "scheduler is stopping");
  auto it = boards_.find(board);
  if (it == boards_.end()) return error(ErrorCode::kNotFound, "board " + board + ": no such board");
  if (auto f = in_flight_.find(board); f != in_flight_.end()) return f->second.id();
  BoardEntry& entry = it->second;
  // Two requests in one second after the first finished still get distinct ids.
  const int64_t slot = std::max(now_s(), entry.last_manual_slot + 1);
  entry.last_manual_slot = slot;
  Dispatch d{board,
             slot,
             coordinator_.leader_epoch(),
             1,
             std::chrono::milliseconds(entry.meta.schedule.timeout),
             entry.meta.group};
  in_flight_[board] = d;
  planner_.begin_run(board);  // scheduled slots due meanwhile follow the overlap policy
  manual_.push_back(d);
  plan_cv_.notify_all();
  return d.id();
}

void Scheduler::release_locked(const std::string& board) {
  in_flight_.erase(board);
  planner_.finished(board);
  plan_cv_.notify_all();
}

void Scheduler::release(const std::string& board) {
  std::lock_guard lock(mu_);
  release_locked(board);
}

std::vector<Dispatch> Scheduler::plan_locked() {
  std::vector<Dispatch> out;
  const MonoTime mono = clock_.mono();
  const int64_t epoch = coordinator_.leader_epoch();
  // Not (or no longer provably) the leader: dispatch nothing. A distributed scheduler is
  // stopped when its term ends; this guards the moments before that.
  if (epoch == 0) return out;
  // "Run now" requests first: a person is waiting. They pass an open breaker.
  for (auto& d : manual_) {
    d.epoch = epoch;
    in_flight_[d.board] = d;
    out.push_back(std::move(d));
    ++counters_.manual;
  }
  manual_.clear();
  // Retries whose backoff has passed, unless their site's breaker opened meanwhile.
  for (auto it = retries_.begin(); it != retries_.end();) {
    if (it->not_before > mono) {
      ++it;
      continue;
    }
    const Dispatch d = it->dispatch;
    it = retries_.erase(it);
    const BoardMeta* meta = meta_locked(d.board);
    if (meta != nullptr && !breaker_locked(meta->site).allow(mono)) {
      ++counters_.skipped_breaker;
      ++breaker_skips_[meta->site];
      release_locked(d.board);
      continue;
    }
    out.push_back(d);
  }
  for (auto& p : planner_.take_due(now_s())) {
    const BoardMeta* meta = meta_locked(p.board);
    if (meta == nullptr) {
      planner_.finished(p.board);
      continue;
    }
    if (in_flight_.count(p.board) != 0) {
      // Cannot happen while the planner tracks runs; never start a second run anyway.
      ++counters_.skipped_overlap;
      continue;
    }
    if (!breaker_locked(meta->site).allow(mono)) {
      ++counters_.skipped_breaker;
      ++breaker_skips_[meta->site];
      planner_.finished(p.board);
      continue;
    }
    Dispatch d{p.board,    p.slot, epoch, 1, std::chrono::milliseconds(meta->schedule.timeout),
               meta->group};
    in_flight_[p.board] = d;
    out.push_back(std::move(d));
  }
  counters_.dispatched += static_cast<int64_t>(out.size());
  return out;
}

Status Scheduler::merge_into_stream(const BoardMeta& meta, std::vector<Item>& items) {
  if (meta.kind != BoardKind::kStream) return ok_status();
  // A stream keeps the entries of earlier fetches: merge them into this snapshot.
  MU_ASSIGN_OR_RETURN(std::optional<BoardView> view, store_.board_view(meta.id));
  if (view) items = merge_stream(items, view->snapshot.items, options_.stream_cap);
  return ok_status();
}

void Scheduler::breaker_feedback(const std::string& site, const Status& outcome) {
  std::lock_guard lock(mu_);
  CircuitBreaker& b = breaker_locked(site);
  const auto before = b.state(clock_.mono());
  if (outcome.ok()) {
    b.on_success();
  } else if (counts_against_site(outcome)) {
    b.on_failure(clock_.mono());
  } else {
    return;
  }
  const auto after = b.state(clock_.mono());
  if (after != before) {
    spdlog::warn("site {}: circuit breaker {} -> {}", site, breaker_state_name(before),
                 breaker_state_name(after));
  }
}

void Scheduler::keep_unrecorded(FailureRecord rec) {
  std::lock_guard lock(unrecorded_mu_);
  unrecorded_.push_back(std::move(rec));
  while (unrecorded_.size() > std::max<std::size_t>(options_.unrecorded_cap, 1)) {
    unrecorded_.pop_front();
    ++unrecorded_dropped_;
  }
}

void Scheduler::flush_unrecorded() {
  {
    std::lock_guard lock(unrecorded_mu_);
    if (unrecorded_.empty()) return;
  }
  std::unique_lock flushing(flush_mu_, std::try_to_lock);
  if (!flushing.owns_lock()) return;  // another thread is writing them
  int written = 0;
  while (true) {
    FailureRecord rec;
    {
      std::lock_guard lock(unrecorded_mu_);
      if (unrecorded_.empty()) break;
      rec = unrecorded_.front();
    }
    Status s = store_.record_failure(rec);
    const bool transient = !s.ok() && s.code() != ErrorCode::kFenced &&
                           s.code() != ErrorCode::kConflict && s.code() != ErrorCode::kNotFound &&
                           s.code() != ErrorCode::kInvalid;
    if (transient) return;  // still down: try again before the next dispatch
    if (!s.ok()) spdlog::warn("{}: kept failure not recorded: {}", rec.dispatch_id, s.to_string());
    std::lock_guard lock(unrecorded_mu_);
    if (!unrecorded_.empty() && unrecorded_.front().dispatch_id == rec.dispatch_id) {
      unrecorded_.pop_front();
    }
    ++written;
  }
  if (written > 0) spdlog::info("wrote {} failure record(s) kept during a store outage", written);
}

void Scheduler::run_dispatch(const Dispatch& d) {
  BoardMeta meta;
  {
    std::lock_guard lock(mu_);
    const BoardMeta* m = meta_locked(d.board);
    if (m == nullptr) {
      release_locked(d.board);
      return;
    }
    meta = *m;
  }
  flush_unrecorded();
  const int64_t started = clock_.now_ms();
  const MonoTime fetch_start = clock_.mono();
  auto outcome = [&] {
    if (!options_.attach_credentials) return collector_.collect(d);
    Dispatch with_credentials = d;
    options_.attach_credentials(with_credentials);
    return collector_.collect(with_credentials);
  }();
  breaker_feedback(meta.site, outcome.status());
  if (fetch_seconds_metric_ != nullptr) {
    fetch_seconds_metric_->with({meta.site})
        .observe(std::chrono::duration<double>(clock_.mono() - fetch_start).count());
  }
  if (fetch_items_metric_ != nullptr && outcome.ok()) {
    fetch_items_metric_->with({meta.site}).observe(static_cast<double>(outcome->items.size()));
  }
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
    const MonoTime commit_start = clock_.mono();
    auto committed = merged.ok() ? store_.commit_snapshot(req) : Result<int64_t>(merged);
    if (commit_seconds_metric_ != nullptr && merged.ok()) {
      commit_seconds_metric_->get().observe(
          std::chrono::duration<double>(clock_.mono() - commit_start).count());
    }
    if (committed.ok()) {
      count_run(meta, ok_status());
      {
        std::lock_guard lock(mu_);
        ++counters_.committed;
      }
      spdlog::debug("{}: committed version {} ({} items)", d.id(), *committed, req.items.size());
      if (options_.on_commit) options_.on_commit(d.board);
      (void)coordinator_.publish({d.board, *committed});
      release(d.board);
      return;
    }
    if (committed.code() == ErrorCode::kFenced || committed.code() == ErrorCode::kConflict) {
      // Another leader (newer epoch) or an earlier attempt owns this slot: nothing to do.
      {
        std::lock_guard lock(mu_);
        ++counters_.fenced;
      }
      spdlog::warn("{}: commit rejected: {}", d.id(), committed.status().to_string());
      release(d.board);
      return;
    }
    // The store could not take the result (busy, disk full, down): a failed run like any
    // other, retried when the error is retryable.
    if (merged.ok()) count_store_error("commit", committed.status());
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
  // The collector that failed (a remote one in the cluster), or the one whose items could
  // not be committed; "" when no collector ran it (none alive).
  rec.stats.collector = !err.origin().empty() ? err.origin()
                        : outcome.ok()        ? outcome->collector
                                              : std::string();
  flush_unrecorded();  // older records first, so the board's state ends on the newest
  Status recorded = store_.record_failure(rec);
  if (!recorded.ok()) {
    if (recorded.code() == ErrorCode::kFenced || recorded.code() == ErrorCode::kConflict ||
        recorded.code() == ErrorCode::kNotFound) {
      spdlog::warn("{}: failure not recorded: {}", d.id(), recorded.to_string());
    } else {
      spdlog::error("{}: cannot record failure now (kept to write later): {}", d.id(),
                    recorded.to_string());
      count_store_error("record_failure", recorded);
      keep_unrecorded(rec);
    }
  }
  (void)coordinator_.publish({d.board, 0});
  count_run(meta, err);
  spdlog::warn("{} attempt {}: {}", d.id(), d.attempt, err.to_string());

  std::lock_guard lock(mu_);
  ++counters_.failed;
  if (is_retryable(err) && d.attempt <= meta.schedule.retries && !stopping_) {
    Dispatch next = d;
    ++next.attempt;
    // Exponential backoff with full jitter, but never sooner than the site's Retry-After.
    const auto wait =
        std::max(backoff_delay(d.attempt, options_.retry_base, options_.retry_cap, rng_),
                 std::min(err.retry_after(), options_.retry_cap));
    in_flight_[d.board] = next;
    retries_.push_back({next, clock_.mono() + wait});
    ++counters_.retried;
    plan_cv_.notify_all();
    return;  // the board stays in flight until the retry finishes
  }
  release_locked(d.board);
}

int Scheduler::tick() {
  const int64_t start = now_s();  // time may pass while runs go; only this instant's work
  int total = 0;
  for (int round = 0; round < 10000; ++round) {
    std::vector<Dispatch> due;
    {
      std::lock_guard lock(mu_);
      due = plan_locked();
    }
    for (const auto& d : due) run_dispatch(d);
    total += static_cast<int>(due.size());
    if (due.empty()) break;
    std::lock_guard lock(mu_);
    auto next = planner_.next_due(start);
    if (manual_.empty() && (!next || *next > start)) break;
  }
  maybe_prune();
  return total;
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
  constexpr int64_t kDayMs = int64_t{24} * 3600 * 1000;
  const int64_t now = to_unix_ms(clock_.now());
  if (options_.keep_runs_days > 0) {
    auto runs = store_.prune_runs(now - options_.keep_runs_days * kDayMs);
    if (!runs.ok()) spdlog::warn("prune runs: {}", runs.status().to_string());
  }
  if (options_.history != nullptr) {
    const int64_t hourly_before = now - options_.history_full_days * kDayMs;
    const int64_t drop_before =
        options_.history_keep_days > 0 ? now - options_.history_keep_days * kDayMs : 0;
    auto compacted = options_.history->compact_history(hourly_before, drop_before);
    if (!compacted.ok()) {
      spdlog::warn("compact history: {}", compacted.status().to_string());
    } else if (*compacted > 0) {
      spdlog::info("compact history: {} points thinned or dropped", *compacted);
    }
  }
}

Scheduler::Counters Scheduler::counters() const {
  int64_t unrecorded = 0;
  int64_t dropped = 0;
  {
    std::lock_guard lock(unrecorded_mu_);
    unrecorded = static_cast<int64_t>(unrecorded_.size());
    dropped = unrecorded_dropped_;
  }
  std::lock_guard lock(mu_);
  Counters c = counters_;
  c.unrecorded = unrecorded;
  c.unrecorded_dropped = dropped;
  const Planner::Counters p = planner_.counters();
  c.skipped_overlap += p.skipped_overlap;
  c.skipped_misfire += p.skipped_misfire;
  c.queued += p.queued;
  return c;
}

SchedulerSnapshot Scheduler::snapshot() const {
  SchedulerSnapshot snap;
  snap.counters = counters();
  std::lock_guard lock(mu_);
  snap.now_ms = clock_.now_ms();
  const int64_t now = snap.now_ms / 1000;
  const MonoTime mono = clock_.mono();
  snap.next_due_s = planner_.next_due(now);
  for (const auto& [id, entry] : boards_) {
    SchedulerSnapshot::Board b;
    b.board = id;
    b.site = entry.meta.site;
    b.enabled = entry.enabled;
    b.version = entry.version;
    if (auto info = planner_.info(id, now)) {
      b.next_due_s = info->next_due;
      b.last_slot = info->last_slot;
      b.waiting = info->waiting;
    }
    if (auto f = in_flight_.find(id); f != in_flight_.end()) b.in_flight = f->second.id();
    snap.boards.push_back(std::move(b));
  }
  for (const auto& [site, breaker] : breakers_) {
    SchedulerSnapshot::Site s;
    s.site = site;
    s.breaker = breaker.state(mono);
    s.consecutive_failures = breaker.consecutive_failures();
    if (s.breaker == CircuitBreaker::State::kOpen) {
      s.probe_at_ms = snap.now_ms + std::chrono::duration_cast<std::chrono::milliseconds>(
                                        breaker.reopens_at() - mono)
                                        .count();
    }
    if (auto k = breaker_skips_.find(site); k != breaker_skips_.end()) s.skipped = k->second;
    snap.sites.push_back(std::move(s));
  }
  return snap;
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
    // Not started: dropped (a restart plans them again from the store's last run).
    for (const auto& r : retries_) release_locked(r.dispatch.board);
    retries_.clear();
    for (const auto& d : queue_) release_locked(d.board);
    queue_.clear();
    for (const auto& d : manual_) release_locked(d.board);
    manual_.clear();
  }
  plan_cv_.notify_all();
  work_cv_.notify_all();
  if (planner_thread_.joinable()) planner_thread_.join();
  for (auto& w : workers_) {
    if (w.joinable()) w.join();
  }
  workers_.clear();
  flush_unrecorded();  // a last try; what the store still refuses is logged as lost below
  {
    std::lock_guard lock(unrecorded_mu_);
    if (!unrecorded_.empty()) {
      spdlog::error("{} failure record(s) could not be written before stopping",
                    unrecorded_.size());
    }
  }
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
    if (!manual_.empty() && coordinator_.leader_epoch() != 0) continue;
    // Sleep until the next slot or retry is due (at most a second, so wall-clock steps
    // are picked up promptly; live changes, run-now requests and finished runs notify).
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

void export_scheduler_metrics(metrics::Registry& registry,
                              std::function<const Scheduler*()> current) {
  registry.raw_collector([current = std::move(current)](metrics::Writer& w) {
    const Scheduler* scheduler = current();
    if (scheduler == nullptr) return;
    const SchedulerSnapshot snap = scheduler->snapshot();
    const SchedulerCounters& c = snap.counters;
    static const std::vector<std::string> kResult = {"result"};
    w.family("mu_scheduler_runs_total",
             "What the scheduler did with slots and attempts since this term (or process) "
             "began: dispatched, committed, failed, retried, fenced, skipped_*.",
             metrics::Type::kCounter);
    const std::pair<const char*, int64_t> counts[] = {{"dispatched", c.dispatched},
                                                      {"committed", c.committed},
                                                      {"failed", c.failed},
                                                      {"retried", c.retried},
                                                      {"fenced", c.fenced},
                                                      {"manual", c.manual},
                                                      {"queued", c.queued},
                                                      {"skipped_overlap", c.skipped_overlap},
                                                      {"skipped_misfire", c.skipped_misfire},
                                                      {"skipped_breaker", c.skipped_breaker},
                                                      {"unrecorded_dropped", c.unrecorded_dropped}};
    for (const auto& [name, n] : counts) {
      w.sample("mu_scheduler_runs_total", kResult, {name}, static_cast<double>(n));
    }
    w.family("mu_scheduler_unrecorded_failures",
             "Failure records kept in memory while the store cannot take them.",
             metrics::Type::kGauge);
    w.sample("mu_scheduler_unrecorded_failures", {}, {}, static_cast<double>(c.unrecorded));
    double in_flight = 0;
    std::optional<int64_t> earliest;
    for (const auto& b : snap.boards) {
      if (!b.in_flight.empty()) ++in_flight;
      if (b.enabled && b.next_due_s && (!earliest || *b.next_due_s < *earliest)) {
        earliest = b.next_due_s;
      }
    }
    w.family("mu_scheduler_in_flight", "Boards with a run in flight or waiting to retry.",
             metrics::Type::kGauge);
    w.sample("mu_scheduler_in_flight", {}, {}, in_flight);
    w.family("mu_scheduler_lag_seconds",
             "How far the earliest due slot is behind now (0 when no slot is late).",
             metrics::Type::kGauge);
    const double lag = earliest ? std::max(0.0, static_cast<double>(snap.now_ms) / 1000.0 -
                                                    static_cast<double>(*earliest))
                                : 0.0;
    w.sample("mu_scheduler_lag_seconds", {}, {}, lag);
    w.family("mu_breaker_state", "A site's circuit breaker: 0 closed, 1 half-open, 2 open.",
             metrics::Type::kGauge);
    static const std::vector<std::string> kSite = {"site"};
    for (const auto& site : snap.sites) {
      const double state = site.breaker == CircuitBreaker::State::kOpen       ? 2
                           : site.breaker == CircuitBreaker::State::kHalfOpen ? 1
                                                                              : 0;
      w.sample("mu_breaker_state", kSite, {site.site}, state);
    }
  });
}

}  // namespace mu
