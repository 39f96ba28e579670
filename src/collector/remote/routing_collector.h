// RoutingCollector: the scheduler's Collector in the distributed roles. It runs each
// dispatch on a live remote collector (CollectorRegistry) of the board's group, picking the
// one with the fewest dispatches this router has in flight on it (ties: the registry's
// reported in-flight, then the one picked least recently). When that collector is
// unreachable, busy, killed mid-dispatch or times out (kUnavailable / kTimeout), the SAME
// dispatch is tried on another collector of the group, up to `max_tries` collectors and
// within the dispatch's timeout. Fetch errors (parse, http, blocked, ...) and refusals
// (fenced, duplicate) are returned as they are: the scheduler owns retry policy.
// The registry's list is cached for `registry_cache`; clients (made by the factory) are
// cached per collector id and address. Safe for concurrent use.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "collector/collector.h"
#include "coord/cluster.h"
#include "core/clock.h"
#include "core/status.h"

namespace mu {

class RoutingCollector : public Collector {
 public:
  using ClientFactory = std::function<std::unique_ptr<Collector>(const CollectorInfo&)>;
  struct Options {
    int max_tries = 3;  // collectors tried per dispatch
    std::chrono::milliseconds registry_cache{500};
    const Clock* clock = nullptr;  // nullptr: the system clock
  };

  // `registry` must outlive the router.
  RoutingCollector(CollectorRegistry& registry, ClientFactory factory);
  RoutingCollector(CollectorRegistry& registry, ClientFactory factory, Options options);

  Result<CollectOutcome> collect(const Dispatch& dispatch) override;

  // Dispatches this router has running on collector `id` now.
  int in_flight(const std::string& id) const;

 private:
  struct Client {
    std::string id;
    std::string address;
    std::shared_ptr<Collector> collector;
    int in_flight = 0;
    uint64_t last_pick = 0;  // pick sequence number; 0: never picked
  };

  Result<std::vector<CollectorInfo>> live_collectors();
  // The candidate to try next (nullopt: none left), counted in flight.
  std::shared_ptr<Client> pick(const std::vector<CollectorInfo>& live, const Dispatch& d,
                               const std::vector<std::string>& excluded);
  void finished(const std::shared_ptr<Client>& client);

  CollectorRegistry& registry_;
  ClientFactory factory_;
  Options options_;
  SystemClock system_clock_;
  const Clock& clock_;

  std::mutex refresh_mu_;  // one registry read at a time
  mutable std::mutex mu_;  // guards everything below
  std::vector<CollectorInfo> cached_;
  std::optional<MonoTime> cached_at_;
  std::map<std::string, std::shared_ptr<Client>> clients_;  // by id + "\n" + address
  uint64_t picks_ = 0;
};

}  // namespace mu
