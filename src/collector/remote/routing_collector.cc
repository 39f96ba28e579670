#include "collector/remote/routing_collector.h"

#include <algorithm>
#include <set>
#include <tuple>
#include <utility>

#include <spdlog/spdlog.h>

namespace mu {

namespace {

std::string client_key(const CollectorInfo& info) { return info.id + "\n" + info.address; }

bool in_group(const CollectorInfo& info, const std::string& group) {
  return group.empty() ||
         std::find(info.groups.begin(), info.groups.end(), group) != info.groups.end();
}

}  // namespace

RoutingCollector::RoutingCollector(CollectorRegistry& registry, ClientFactory factory)
    : RoutingCollector(registry, std::move(factory), Options{}) {}

RoutingCollector::RoutingCollector(CollectorRegistry& registry, ClientFactory factory,
                                   Options options)
    : registry_(registry),
      factory_(std::move(factory)),
      options_(options),
      clock_(options.clock != nullptr ? *options.clock : system_clock_) {}

int RoutingCollector::in_flight(const std::string& id) const {
  std::lock_guard lock(mu_);
  int n = 0;
  for (const auto& [key, client] : clients_) {
    if (client->id == id) n += client->in_flight;
  }
  return n;
}

Result<std::vector<CollectorInfo>> RoutingCollector::live_collectors() {
  std::lock_guard refresh(refresh_mu_);
  {
    std::lock_guard lock(mu_);
    if (cached_at_ && clock_.mono() - *cached_at_ < options_.registry_cache) return cached_;
  }
  Result<std::vector<CollectorInfo>> alive = registry_.alive();
  std::lock_guard lock(mu_);
  if (!alive.ok()) {
    if (cached_at_) {
      spdlog::warn("collector registry: {}; routing with the last known collectors",
                   alive.status().to_string());
      return cached_;
    }
    return alive.status().with_context("collector registry");
  }
  cached_ = std::move(alive).value();
  cached_at_ = clock_.mono();
  // Drop clients of collectors that left (callers still using one hold a reference).
  std::set<std::string> live_keys;
  for (const CollectorInfo& info : cached_) live_keys.insert(client_key(info));
  std::erase_if(clients_, [&](const auto& entry) { return !live_keys.contains(entry.first); });
  return cached_;
}

std::shared_ptr<RoutingCollector::Client> RoutingCollector::pick(
    const std::vector<CollectorInfo>& live, const Dispatch& d,
    const std::vector<std::string>& excluded) {
  std::lock_guard lock(mu_);
  std::vector<std::string> unusable;  // the factory made no client for it
  for (;;) {
    const CollectorInfo* best = nullptr;
    std::tuple<int, int, uint64_t> best_rank;
    for (const CollectorInfo& info : live) {
      if (!in_group(info, d.group)) continue;
      const std::string key = client_key(info);
      if (std::find(excluded.begin(), excluded.end(), key) != excluded.end()) continue;
      if (std::find(unusable.begin(), unusable.end(), key) != unusable.end()) continue;
      int local = 0;
      uint64_t last_pick = 0;
      if (auto it = clients_.find(key); it != clients_.end()) {
        local = it->second->in_flight;
        last_pick = it->second->last_pick;
      }
      const auto rank = std::make_tuple(local, info.in_flight, last_pick);
      if (best == nullptr || rank < best_rank) {
        best = &info;
        best_rank = rank;
      }
    }
    if (best == nullptr) return nullptr;
    const std::string key = client_key(*best);
    std::shared_ptr<Client>& client = clients_[key];
    if (!client) {
      std::unique_ptr<Collector> made = factory_(*best);
      if (!made) {
        spdlog::error("collector {} at {}: no client could be made", best->id, best->address);
        clients_.erase(key);
        unusable.push_back(key);
        continue;
      }
      client = std::make_shared<Client>();
      client->id = best->id;
      client->address = best->address;
      client->collector = std::move(made);
    }
    ++client->in_flight;
    client->last_pick = ++picks_;
    return client;
  }
}

void RoutingCollector::finished(const std::shared_ptr<Client>& client) {
  std::lock_guard lock(mu_);
  --client->in_flight;
}

Result<CollectOutcome> RoutingCollector::collect(const Dispatch& dispatch) {
  MU_ASSIGN_OR_RETURN(std::vector<CollectorInfo> live, live_collectors());
  const MonoTime started = clock_.mono();
  std::vector<std::string> excluded;
  Status last;
  for (int tries = 0; tries < std::max(1, options_.max_tries); ++tries) {
    Dispatch run = dispatch;
    if (tries > 0 && dispatch.timeout > std::chrono::milliseconds(0)) {
      // The dispatch timeout bounds the whole dispatch, retries on other collectors included.
      const auto left = dispatch.timeout - std::chrono::duration_cast<std::chrono::milliseconds>(
                                               clock_.mono() - started);
      if (left <= std::chrono::milliseconds(0)) break;
      run.timeout = left;
    }
    std::shared_ptr<Client> client = pick(live, dispatch, excluded);
    if (!client) break;
    Result<CollectOutcome> outcome = client->collector->collect(run);
    finished(client);
    if (outcome.ok()) return outcome;
    const ErrorCode code = outcome.code();
    // The failure record names the collector that failed (the remote one's own name).
    if (code != ErrorCode::kUnavailable && code != ErrorCode::kTimeout) {
      return outcome.status().with_origin(client->id);
    }
    last = outcome.status().with_origin(client->id);
    spdlog::warn("dispatch {} attempt {}: collector {} failed ({}); trying another", dispatch.id(),
                 dispatch.attempt, client->id, last.to_string());
    excluded.push_back(client->id + "\n" + client->address);
  }
  if (excluded.empty()) {
    return error(ErrorCode::kUnavailable,
                 dispatch.group.empty() ? "dispatch " + dispatch.id() + ": no live collector"
                                        : "dispatch " + dispatch.id() +
                                              ": no live collector in group " + dispatch.group);
  }
  return last.with_context("dispatch " + dispatch.id() + ": failed on " +
                           std::to_string(excluded.size()) + " collector(s)");
}

}  // namespace mu
