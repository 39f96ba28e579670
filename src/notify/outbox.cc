#include "notify/outbox.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>

namespace mu {

DeliveryWorker::DeliveryWorker(AlertStore& store, ChannelDirectory& channels, ChannelSender& sender,
                               const Clock& clock, MessageContext context, DeliveryOptions options)
    : store_(store),
      channels_(channels),
      sender_(sender),
      clock_(clock),
      context_(std::move(context)),
      options_(options) {}

DeliveryWorker::~DeliveryWorker() { stop(); }

std::chrono::milliseconds DeliveryWorker::backoff(const DeliveryOptions& options, int attempt,
                                                  std::chrono::milliseconds retry_after) {
  const int shift = std::clamp(attempt - 1, 0, 30);
  const double base = static_cast<double>(options.backoff_base.count()) * std::ldexp(1.0, shift);
  const auto capped = std::chrono::milliseconds(
      static_cast<int64_t>(std::min(base, static_cast<double>(options.backoff_cap.count()))));
  return std::max(capped, retry_after);
}

DeliveryCounters DeliveryWorker::counters() const {
  std::lock_guard lock(mu_);
  return counters_;
}

bool DeliveryWorker::take_token(const std::string& channel, int64_t now_ms, int64_t& wait_until) {
  const double capacity = std::max(1, options_.per_channel_per_minute);
  const double per_ms = capacity / 60000.0;
  std::lock_guard lock(mu_);
  auto [it, fresh] = buckets_.try_emplace(channel, Bucket{capacity, now_ms});
  Bucket& b = it->second;
  if (!fresh) {
    b.tokens = std::min(capacity, b.tokens + static_cast<double>(now_ms - b.at_ms) * per_ms);
    b.at_ms = std::max(b.at_ms, now_ms);
  }
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return true;
  }
  wait_until = now_ms + static_cast<int64_t>(std::ceil((1.0 - b.tokens) / per_ms));
  return false;
}

void DeliveryWorker::defer(const Group& group, int64_t until_ms) {
  for (const DeliveryRecord& d : group.deliveries) {
    Status s = store_.update_delivery(
        {d.id, DeliveryState::kPending, d.attempts, until_ms, 0, d.last_error});
    if (!s.ok() && s.code() != ErrorCode::kNotFound) {
      spdlog::warn("alerts: delivery {} not deferred (its lease ends it): {}", d.id, s.to_string());
    }
  }
  std::lock_guard lock(mu_);
  counters_.deferred += static_cast<int64_t>(group.deliveries.size());
}

Result<int> DeliveryWorker::run_once() {
  const int64_t now = clock_.now_ms();
  auto claimed = store_.claim_deliveries(now, now + options_.lease.count(), options_.batch);
  if (!claimed.ok()) return claimed.status();
  std::vector<Group> groups;
  std::map<std::pair<std::string, std::string>, std::size_t> index;
  for (DeliveryRecord& d : *claimed) {
    auto key = std::make_pair(d.match.rule_id, d.channel_id);
    auto [it, fresh] = index.try_emplace(key, groups.size());
    if (fresh) groups.push_back(Group{d.match.rule_id, d.channel_id, {}});
    groups[it->second].deliveries.push_back(std::move(d));
  }
  for (Group& group : groups) {
    bool busy = false;
    {
      std::lock_guard lock(mu_);
      busy = busy_.contains(group.channel_id);
    }
    if (busy) {
      defer(group, now + 1000);
      continue;
    }
    int64_t wait_until = 0;
    if (!take_token(group.channel_id, now, wait_until)) {
      defer(group, wait_until);
      continue;
    }
    if (options_.threads <= 0) {
      send_group(std::move(group));
      continue;
    }
    std::lock_guard lock(mu_);
    busy_.insert(group.channel_id);
    queue_.push_back(std::move(group));
    cv_.notify_all();
  }
  return static_cast<int>(groups.size());
}

void DeliveryWorker::send_group(Group group) {
  Status result;
  auto channel = channels_.channel(group.channel_id);
  const int64_t owner = group.deliveries.front().match.user_id;
  if (!channel.ok()) {
    result = channel.code() == ErrorCode::kNotFound
                 ? error(ErrorCode::kNotFound, "the channel was deleted")
                 : channel.status();
  } else if (channel->user_id != owner) {
    result = error(ErrorCode::kInvalid, "the channel belongs to another user");
  } else {
    AlertMessage message;
    message.rule_id = group.rule_id;
    message.rule_name = context_.rule_name ? context_.rule_name(group.rule_id) : std::string();
    message.unsubscribe_url =
        context_.unsubscribe_url ? context_.unsubscribe_url(group.rule_id) : std::string();
    message.manage_url = context_.manage_url;
    for (const DeliveryRecord& d : group.deliveries) {
      const AlertMatch& m = d.match;
      std::string board_name = context_.board_name ? context_.board_name(m.board) : std::string();
      message.items.push_back(AlertItem{m.board, board_name.empty() ? m.board : board_name, m.title,
                                        m.url, m.rank, m.hot_text, m.matched_ms});
      message.delivery_ids.push_back(d.id);
    }
    result = sender_.send(channel->spec, message);
  }
  settle(group, result);
  std::lock_guard lock(mu_);
  busy_.erase(group.channel_id);
  if (result.ok()) ++counters_.messages;
  idle_cv_.notify_all();
}

void DeliveryWorker::settle(const Group& group, const Status& result) {
  const int64_t now = clock_.now_ms();
  int64_t sent = 0, retried = 0, dead = 0;
  for (const DeliveryRecord& d : group.deliveries) {
    DeliveryUpdate u;
    u.id = d.id;
    u.attempts = d.attempts + 1;
    if (result.ok()) {
      u.state = DeliveryState::kSent;
      u.sent_ms = now;
      ++sent;
    } else if (is_retryable(result) && u.attempts < options_.max_attempts) {
      u.state = DeliveryState::kPending;
      u.next_ms = now + backoff(options_, u.attempts, result.retry_after()).count();
      u.last_error = result.to_string();
      ++retried;
    } else {
      u.state = DeliveryState::kDead;
      u.last_error = result.to_string();
      ++dead;
    }
    Status s = store_.update_delivery(u);
    if (!s.ok() && s.code() != ErrorCode::kNotFound) {
      // The lease brings it back: a sent one may go out again (at-least-once).
      spdlog::warn("alerts: delivery {} outcome not recorded: {}", d.id, s.to_string());
    }
  }
  if (!result.ok()) {
    spdlog::warn("alerts: rule {} → channel {}: {} ({} retried, {} dead)", group.rule_id,
                 group.channel_id, result.to_string(), retried, dead);
  }
  std::lock_guard lock(mu_);
  counters_.sent += sent;
  counters_.retried += retried;
  counters_.dead += dead;
}

void DeliveryWorker::pool_loop() {
  while (true) {
    Group group;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping
      group = std::move(queue_.front());
      queue_.pop_front();
    }
    send_group(std::move(group));
  }
}

void DeliveryWorker::poll_loop() {
  while (true) {
    auto round = run_once();
    if (!round.ok()) spdlog::warn("alerts: outbox round failed: {}", round.status().to_string());
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, options_.poll, [&] { return stopping_ || woken_; });
    if (stopping_) return;
    woken_ = false;
  }
}

void DeliveryWorker::start() {
  std::lock_guard lock(mu_);
  if (poller_.joinable() || stopping_) return;
  for (int i = 0; i < std::max(1, options_.threads); ++i) {
    pool_.emplace_back([this] { pool_loop(); });
  }
  if (options_.poll.count() > 0) poller_ = std::thread([this] { poll_loop(); });
}

void DeliveryWorker::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (poller_.joinable()) poller_.join();
  for (auto& t : pool_) {
    if (t.joinable()) t.join();
  }
  pool_.clear();
}

void DeliveryWorker::wake() {
  {
    std::lock_guard lock(mu_);
    woken_ = true;
  }
  cv_.notify_all();
}

}  // namespace mu
