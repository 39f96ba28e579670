#include "notify/evaluator.h"

#include <date/tz.h>
#include <spdlog/spdlog.h>

#include "scheduler/cron.h"

namespace mu {
namespace {

const date::time_zone* zone_of(const std::string& tz) {
  auto zone = find_time_zone(tz);
  if (zone.ok()) return *zone;
  return date::locate_zone("UTC");
}

// The first time strictly after `after` that `cron` names in `zone`; `after` when none.
WallTime next_cron(const std::string& cron, WallTime after, const date::time_zone* zone) {
  auto expr = CronExpr::parse(cron);
  if (!expr.ok()) return after;
  return expr->next(after, zone).value_or(after);
}

int minute_of_day(WallTime at, const date::time_zone* zone) {
  const auto local =
      date::make_zoned(zone, std::chrono::floor<std::chrono::seconds>(at)).get_local_time();
  const auto day = date::floor<date::days>(local);
  return static_cast<int>(std::chrono::duration_cast<std::chrono::minutes>(local - day).count());
}

bool in_quiet(const QuietHours& q, int minute) {
  if (q.from_minute < q.to_minute) return minute >= q.from_minute && minute < q.to_minute;
  return minute >= q.from_minute || minute < q.to_minute;  // spans midnight
}

}  // namespace

int64_t delivery_time(const AlertRule& rule, int64_t now_ms) {
  const date::time_zone* zone = zone_of(rule.tz);
  WallTime at{std::chrono::milliseconds(now_ms)};
  if (rule.digest == RuleDigest::kHourly) {
    at = next_cron("0 * * * *", at, zone);
  } else if (rule.digest == RuleDigest::kDaily) {
    at = next_cron("0 " + std::to_string(rule.digest_hour) + " * * *", at, zone);
  }
  if (rule.quiet && in_quiet(*rule.quiet, minute_of_day(at, zone))) {
    const int to = rule.quiet->to_minute;
    at = next_cron(std::to_string(to % 60) + " " + std::to_string(to / 60) + " * * *", at, zone);
  }
  return std::chrono::duration_cast<std::chrono::milliseconds>(at.time_since_epoch()).count();
}

AlertEvaluator::AlertEvaluator(AlertStore& alerts, BoardStore& boards,
                               std::function<std::string(const std::string&)> site_of,
                               const Clock& clock, std::function<void()> recorded, Options options)
    : alerts_(alerts),
      boards_(boards),
      site_of_(std::move(site_of)),
      clock_(clock),
      recorded_(std::move(recorded)),
      options_(options),
      rules_(std::make_shared<RuleSet>()) {}

AlertEvaluator::~AlertEvaluator() { stop(); }

EvaluatorCounters AlertEvaluator::counters() const {
  std::lock_guard lock(mu_);
  return counters_;
}

Status AlertEvaluator::refresh_rules(bool force) {
  std::lock_guard lock(rules_mu_);
  MU_ASSIGN_OR_RETURN(int64_t revision, alerts_.document_revision(kRuleDocument));
  if (!force && revision == revision_) return ok_status();
  MU_ASSIGN_OR_RETURN(std::vector<UserDocument> docs, alerts_.documents(kRuleDocument, 0));
  std::vector<AlertRule> rules;
  rules.reserve(docs.size());
  for (const UserDocument& doc : docs) {
    auto rule = parse_rule(doc.body);
    if (!rule.ok()) {
      spdlog::warn("alerts: rule {} skipped: {}", doc.id, rule.status().to_string());
      continue;
    }
    rule->id = doc.id;
    rule->user_id = doc.user_id;
    rules.push_back(std::move(*rule));
  }
  rules_ = std::make_shared<const RuleSet>(RuleSet::build(std::move(rules)));
  revision_ = revision;
  return ok_status();
}

Result<int64_t> AlertEvaluator::evaluate_board(const std::string& board) {
  MU_RETURN_IF_ERROR(refresh_rules());
  std::shared_ptr<const RuleSet> rules;
  {
    std::lock_guard lock(rules_mu_);
    rules = rules_;
  }
  MU_ASSIGN_OR_RETURN(int64_t cursor, alerts_.alert_cursor(board));
  MU_ASSIGN_OR_RETURN(std::optional<BoardView> view, boards_.board_view(board));
  if (!view) return int64_t{0};
  const int64_t fetched_ms = view->snapshot.fetched_at_ms;
  if (cursor >= fetched_ms) return int64_t{0};  // this update was evaluated already
  const AlertCursor moved{board, fetched_ms};
  if (rules->size() == 0 || !view->has_previous) {
    // Nothing can fire, but the rules have now seen these items: a rule made later must not
    // take them for new.
    MU_RETURN_IF_ERROR(alerts_.record_matches({}, moved).status());
    spdlog::debug("alerts: {} through {} (cursor was {}): {} rules, previous {}", board, fetched_ms,
                  cursor, rules->size(), view->has_previous);
    return int64_t{0};
  }
  BoardUpdate update;
  update.board = board;
  update.site = site_of_ ? site_of_(board) : std::string();
  update.items = std::move(view->snapshot.items);
  update.has_previous = true;
  for (std::size_t i = 0; i < view->previous_keys.size(); ++i) {
    update.previous_rank.try_emplace(view->previous_keys[i], static_cast<int>(i) + 1);
  }
  if (cursor > 0) {
    // New: first seen after the snapshot the rules saw last — the snapshot before, or an
    // older one when a process died between a commit and its evaluation.
    update.new_keys.emplace();
    for (const Item& item : update.items) {
      auto h = view->history.find(item.key);
      if (h != view->history.end() && h->second.first_seen_ms > cursor) {
        update.new_keys->insert(item.key);
      }
    }
  }
  const std::vector<RuleHit> hits = rules->evaluate(update);
  {
    std::lock_guard lock(mu_);
    ++counters_.updates;
  }
  const int64_t now = clock_.now_ms();
  std::vector<NewMatch> matches;
  matches.reserve(hits.size());
  for (const RuleHit& hit : hits) {
    const AlertRule& rule = rules->rule(hit.rule);
    const Item& item = update.items[hit.item];
    NewMatch n;
    n.match = AlertMatch{0,
                         rule.id,
                         rule.user_id,
                         board,
                         item.key,
                         item.title,
                         item.url,
                         static_cast<int>(hit.item) + 1,
                         item.hot_text,
                         now};
    n.channel_ids = rule.channels;
    n.deliver_at_ms = delivery_time(rule, now);
    matches.push_back(std::move(n));
  }
  MU_ASSIGN_OR_RETURN(int64_t added, alerts_.record_matches(matches, moved));
  spdlog::debug("alerts: {} through {} (cursor was {}): {} new items, {} hits, {} recorded", board,
                fetched_ms, cursor, update.new_keys ? update.new_keys->size() : 0, hits.size(),
                added);
  {
    std::lock_guard lock(mu_);
    counters_.matches += added;
  }
  if (added > 0 && recorded_) recorded_();
  return added;
}

void AlertEvaluator::on_commit(const std::string& board) {
  {
    std::lock_guard lock(mu_);
    if (queued_.contains(board)) return;
    if (queue_.size() >= options_.queue_cap) {
      ++counters_.dropped;
      return;
    }
    queued_.insert(board);
    queue_.push_back(board);
  }
  cv_.notify_all();
}

void AlertEvaluator::catch_up(const std::vector<std::string>& boards) {
  for (const std::string& b : boards) on_commit(b);
}

void AlertEvaluator::loop() {
  while (true) {
    std::string board;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      board = std::move(queue_.front());
      queue_.pop_front();
      queued_.erase(board);
    }
    auto added = evaluate_board(board);
    if (!added.ok()) {
      spdlog::warn("alerts: {} not evaluated: {}", board, added.status().to_string());
      std::lock_guard lock(mu_);
      ++counters_.failures;
    }
  }
}

void AlertEvaluator::start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable() || stopping_) return;
  thread_ = std::thread([this] { loop(); });
}

void AlertEvaluator::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace mu
