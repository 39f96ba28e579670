#include "scheduler/leader_role.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "scheduler/board_change_json.h"
#include "scheduler/board_override.h"

namespace mu {

using std::chrono::milliseconds;

namespace {

// The coordinator a term's Scheduler runs with: the leader epoch while this term is
// provably current (0 the moment the elector cannot prove it), events through the bus.
class TermCoordinator final : public Coordinator {
 public:
  TermCoordinator(const LeaderElector& elector, int64_t epoch, EventBus& bus)
      : elector_(elector), epoch_(epoch), bus_(bus) {}
  int64_t leader_epoch() const override { return elector_.epoch() == epoch_ ? epoch_ : 0; }
  Status publish(const BoardUpdated& event) override {
    Status s = bus_.publish(event);
    if (!s.ok()) spdlog::warn("events: {} (API instances resync on reconnect)", s.to_string());
    return s;
  }
  std::unique_ptr<Subscription> subscribe(
      std::function<void(const BoardUpdated&)> callback) override {
    return bus_.subscribe(std::move(callback), nullptr);
  }

 private:
  const LeaderElector& elector_;
  const int64_t epoch_;
  EventBus& bus_;
};

milliseconds until(MonoTime when, MonoTime now) {
  return when <= now ? milliseconds(0) : std::chrono::duration_cast<milliseconds>(when - now);
}

}  // namespace

struct LeaderRole::Term {
  int64_t epoch = 0;
  std::unique_ptr<TermCoordinator> coordinator;
  std::unique_ptr<Scheduler> scheduler;
  std::atomic<bool> stop{false};
  std::atomic<bool> started{false};  // the start sequence passed; the scheduler dispatches
  std::atomic<int> failures{0};      // failed start attempts
  // By the term's thread (or step()'s caller):
  MonoTime next_attempt{};
  MonoTime next_claim{};
  MonoTime next_reconcile{};
  std::mutex mu;
  std::condition_variable cv;  // wakes the term thread on stop
  std::thread thread;
};

LeaderRole::LeaderRole(std::vector<BoardMeta> boards, std::set<std::string> disabled,
                       Backends backends, const Clock& clock, Options options,
                       LeaderElector::AcquireAbove acquire_above)
    : boards_(std::move(boards)),
      disabled_(std::move(disabled)),
      backends_(backends),
      clock_(clock),
      options_(std::move(options)),
      elector_(
          backends_.leases, clock_,
          [this] {
            LeaderElector::Options o = options_.elector;
            o.holder = options_.id;
            return o;
          }(),
          elector_callbacks(), std::move(acquire_above)) {}

LeaderRole::~LeaderRole() { stop(); }

void LeaderRole::start() {
  threaded_ = true;
  elector_.start();
}

void LeaderRole::stop() { elector_.stop(/*release=*/true); }

LeaderElector::Callbacks LeaderRole::elector_callbacks() {
  LeaderElector::Callbacks cb;
  cb.on_elected = [this](int64_t epoch) { begin_term(epoch); };
  cb.on_demoted = [this](int64_t epoch, const std::string& why) { end_term(epoch, why); };
  cb.epoch_floor = [this]() -> int64_t {
    auto fence = backends_.store.fence_epoch();
    return fence.ok() ? *fence : 0;
  };
  return cb;
}

bool LeaderRole::known(const std::string& board) const {
  return std::any_of(boards_.begin(), boards_.end(),
                     [&](const BoardMeta& b) { return b.id == board; });
}

bool LeaderRole::holds(const Term& term) const {
  return !term.stop.load() && elector_.epoch() == term.epoch;
}

milliseconds LeaderRole::step() {
  milliseconds wait = elector_.step();
  Term* term = nullptr;
  {
    std::lock_guard lock(term_mu_);
    term = term_.get();
  }
  // Only this thread ends terms (through elector_.step()), so `term` stays valid here.
  if (term != nullptr) wait = std::min(wait, term_round(*term));
  return wait;
}

int LeaderRole::tick() {
  std::lock_guard lock(term_mu_);
  if (!term_ || !term_->started.load()) return 0;
  return term_->scheduler->tick();
}

int64_t LeaderRole::dispatching_epoch() const {
  std::lock_guard lock(term_mu_);
  if (!term_ || !term_->started.load() || !holds(*term_)) return 0;
  return term_->epoch;
}

int LeaderRole::start_failures() const {
  std::lock_guard lock(term_mu_);
  return term_ ? term_->failures.load() : 0;
}

// Runs on the elector's thread: builds the term and leaves the start sequence (store
// calls that may be slow or fail) to the term's thread, so renewals are not held up.
void LeaderRole::begin_term(int64_t epoch) {
  end_term(0, "superseded");  // none in practice: the elector demotes before electing again
  auto term = std::make_unique<Term>();
  term->epoch = epoch;
  term->coordinator = std::make_unique<TermCoordinator>(elector_, epoch, backends_.events);
  term->scheduler = std::make_unique<Scheduler>(boards_, backends_.collector, backends_.store,
                                                *term->coordinator, clock_, options_.scheduler);
  // The configuration's switches first, at version 0: stored overrides (versions >= 1)
  // then win in reconcile.
  for (const auto& b : boards_) {
    if (disabled_.count(b.id) != 0) term->scheduler->update_board(b, false);
  }
  term->next_attempt = clock_.mono();
  Term* raw = term.get();
  if (threaded_.load()) term->thread = std::thread([this, raw] { term_loop(*raw); });
  spdlog::info("scheduler: {} elected for epoch {}; starting the term", options_.id, epoch);
  std::lock_guard lock(term_mu_);
  term_ = std::move(term);
}

void LeaderRole::end_term(int64_t epoch, const std::string& why) {
  std::unique_ptr<Term> term;
  {
    std::lock_guard lock(term_mu_);
    term = std::move(term_);
  }
  if (!term) return;
  {
    std::lock_guard lock(term->mu);
    term->stop = true;
  }
  term->cv.notify_all();
  if (term->thread.joinable()) term->thread.join();
  term->scheduler->stop();
  spdlog::info("scheduler: term {} ended ({})", epoch, why);
}

void LeaderRole::term_loop(Term& term) {
  while (!term.stop.load()) {
    const milliseconds wait = term_round(term);
    std::unique_lock lock(term.mu);
    // Real time here: this is the production loop; tests call step() with a FakeClock.
    term.cv.wait_for(lock, wait, [&] { return term.stop.load(); });
  }
}

milliseconds LeaderRole::term_round(Term& term) {
  const milliseconds idle = options_.elector.retry_every;
  // Leadership in doubt: touch nothing; the elector ends (or never resumes) the term.
  if (!holds(term)) return idle;
  if (term.started.load()) return consume_round(term);
  const MonoTime now = clock_.mono();
  if (now < term.next_attempt) return until(term.next_attempt, now);
  Status s = try_start(term);
  if (s.ok()) return milliseconds(0);
  const int failures = ++term.failures;
  if (s.code() == ErrorCode::kFenced) {
    spdlog::error("scheduler: epoch {}: {}; resigning", term.epoch, s.to_string());
    elector_.resign(term.epoch);
    return idle;
  }
  if (options_.start_attempts > 0 && failures >= options_.start_attempts) {
    spdlog::error("scheduler: epoch {} could not start after {} attempts ({}); resigning",
                  term.epoch, failures, s.to_string());
    elector_.resign(term.epoch);
    return idle;
  }
  milliseconds delay = options_.start_retry_base;
  for (int i = 1; i < failures && delay < options_.start_retry_cap; ++i) delay *= 2;
  delay = std::min(delay, options_.start_retry_cap);
  term.next_attempt = now + delay;
  spdlog::warn("scheduler: epoch {} not started (attempt {}): {}; retrying in {} ms", term.epoch,
               failures, s.to_string(), delay.count());
  return delay;
}

Status LeaderRole::try_start(Term& term) {
  // Fence first: from here on the old leader's late commits are rejected.
  MU_ASSIGN_OR_RETURN(int64_t fence, backends_.store.raise_fence(term.epoch));
  if (fence > term.epoch) {
    return error(ErrorCode::kFenced, "the store fence is at " + std::to_string(fence) +
                                         ", above this term's epoch " + std::to_string(term.epoch));
  }
  if (fence != term.epoch) {
    return error(ErrorCode::kInternal, "the store fence stayed at " + std::to_string(fence) +
                                           " after raising it to " + std::to_string(term.epoch));
  }
  MU_RETURN_IF_ERROR(reconcile(*term.scheduler));
  MU_RETURN_IF_ERROR(term.scheduler->load_state());
  // The start took store round trips: dispatch only if the term is still provably ours.
  if (!holds(term)) return error(ErrorCode::kUnavailable, "leadership lost while starting");
  const MonoTime now = clock_.mono();
  term.next_claim = now;  // entries the previous leader left pending, at once
  term.next_reconcile = now + options_.reconcile_every;
  term.started = true;
  if (threaded_.load()) term.scheduler->start();
  spdlog::info("scheduler: {} leads epoch {} ({} boards)", options_.id, term.epoch, boards_.size());
  return ok_status();
}

Status LeaderRole::reconcile(Scheduler& scheduler) {
  MU_ASSIGN_OR_RETURN(int applied, reconcile_overrides(backends_.store, scheduler));
  last_reconcile_ms_ = clock_.now_ms();
  if (applied > 0) spdlog::info("scheduler: reconcile applied {} board overrides", applied);
  return ok_status();
}

// Errors worth retrying (store down) leave the entry unacknowledged.
Status LeaderRole::apply_entry(Scheduler& scheduler, const QueueEntry& entry) {
  auto cmd = queue_command_from_json(entry.payload);
  if (!cmd.ok()) {
    spdlog::error("scheduler: dropping queue entry {}: {}", entry.id, cmd.status().to_string());
    return ok_status();
  }
  if (cmd->kind == QueueCommand::Kind::kRunNow) {
    auto id = scheduler.trigger_now(cmd->board);
    if (!id.ok() && id.status().code() == ErrorCode::kUnavailable) return id.status();
    if (!id.ok()) spdlog::warn("scheduler: run now {}: {}", cmd->board, id.status().to_string());
    return ok_status();
  }
  // A change: the store holds the board's whole document; apply the newest one.
  MU_ASSIGN_OR_RETURN(auto current, stored_override(backends_.store, cmd->board));
  if (!current) return ok_status();
  auto change = board_change_from_json(cmd->board, current->version, current->json);
  if (!change.ok()) {
    spdlog::error("scheduler: override of {}: {}", cmd->board, change.status().to_string());
    return ok_status();
  }
  Status s = scheduler.apply_change(*change);
  if (s.ok()) {
    spdlog::info("scheduler: applied {} v{} from the queue", cmd->board, current->version);
  } else if (s.code() != ErrorCode::kConflict) {
    spdlog::error("scheduler: applying {}: {}", cmd->board, s.to_string());
  }
  return ok_status();
}

milliseconds LeaderRole::consume_round(Term& term) {
  ChangeQueue& queue = backends_.changes;
  std::vector<QueueEntry> entries;
  if (clock_.mono() >= term.next_claim) {
    // Entries a previous leader (or this one, on a failed apply) read but never acked.
    auto claimed = queue.claim(options_.id, milliseconds(0), 64);
    if (claimed.ok()) entries = std::move(*claimed);
    term.next_claim = clock_.mono() + options_.claim_every;
  }
  if (entries.empty() && holds(term)) {
    auto read = queue.read(options_.id, 64, options_.read_block);
    if (!read.ok()) {
      spdlog::debug("scheduler: queue: {}", read.status().to_string());
      return milliseconds(200);
    }
    entries = std::move(*read);
  }
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const QueueEntry& e = entries[i];
    // Checked before applying and again before acknowledging: a deposed leader (paused,
    // lease lost) leaves the entry pending for the next leader instead of swallowing it.
    if (!holds(term)) {
      spdlog::warn("scheduler: epoch {} in doubt; leaving {} queue entries pending", term.epoch,
                   entries.size() - i);
      return options_.elector.retry_every;
    }
    if (Status s = apply_entry(*term.scheduler, e); !s.ok()) {
      spdlog::warn("scheduler: queue entry {} not applied yet: {}", e.id, s.to_string());
      continue;  // stays pending; claimed again later
    }
    if (!holds(term)) {
      spdlog::warn("scheduler: epoch {} in doubt; queue entry {} left unacknowledged", term.epoch,
                   e.id);
      return options_.elector.retry_every;
    }
    if (Status a = queue.ack(e.id); !a.ok()) {
      spdlog::warn("scheduler: ack {}: {}", e.id, a.to_string());
    }
  }
  const MonoTime now = clock_.mono();
  if (now >= term.next_reconcile && holds(term)) {
    if (Status s = reconcile(*term.scheduler); !s.ok()) {
      spdlog::warn("scheduler: reconcile: {}", s.to_string());
    }
    term.next_reconcile = now + options_.reconcile_every;
  }
  return milliseconds(0);  // the queue read waited (read_block) already
}

Result<SchedulerStatusInfo> LeaderRole::status() {
  SchedulerStatusInfo info;
  info.instance = options_.id;
  info.leader = elector_.is_leader();
  auto who = backends_.leases.leader();
  if (who.ok() && who->has_value()) {
    info.leader_instance = (*who)->holder;
    info.epoch = (*who)->epoch;
  }
  if (auto depth = backends_.changes.depth(); depth.ok()) info.queue_depth = *depth;
  info.last_reconcile_ms = last_reconcile_ms_.load();
  std::lock_guard lock(term_mu_);
  if (term_ && term_->started.load()) {
    for (const auto& b : term_->scheduler->snapshot().boards) {
      info.boards.push_back({b.board, b.enabled, b.version, b.next_due_s, b.in_flight});
    }
  }
  return info;
}

Result<std::string> LeaderRole::trigger_now(const std::string& board) {
  if (!known(board)) return error(ErrorCode::kNotFound, "no board \"" + board + "\"");
  {
    std::lock_guard lock(term_mu_);
    if (term_ && term_->started.load() && holds(*term_)) {
      return term_->scheduler->trigger_now(board);
    }
  }
  QueueCommand cmd{QueueCommand::Kind::kRunNow, board, 0};
  MU_ASSIGN_OR_RETURN(std::string entry, backends_.changes.add(queue_command_to_json(cmd)));
  return "queued:" + entry;
}

Result<int64_t> LeaderRole::update_schedule(const BoardChange& change) {
  if (!known(change.board)) {
    return error(ErrorCode::kNotFound, "no board \"" + change.board + "\"");
  }
  // Store first (compare-and-set on the board's override document), then the queue.
  MU_ASSIGN_OR_RETURN(BoardChange merged, store_board_change(backends_.store, clock_, change));
  const int64_t version = merged.version;
  QueueCommand cmd{QueueCommand::Kind::kChange, change.board, version};
  auto added = backends_.changes.add(queue_command_to_json(cmd));
  if (!added.ok()) {
    // Stored but not announced: the leader's periodic reconcile applies it.
    spdlog::warn("scheduler: change {} v{} stored; queue: {} (reconcile will apply it)",
                 change.board, version, added.status().to_string());
  }
  return version;
}

Result<std::vector<RunRecord>> LeaderRole::list_runs(const std::string& board, int limit) {
  return backends_.store.runs(board, limit);
}

}  // namespace mu
