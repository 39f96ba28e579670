// Cluster coordination for the distributed roles (`mu scheduler`, `mu collector`, `mu api`):
// the leader lease with its fencing epoch, the registry of live collectors, the durable
// queue of schedule changes and board-updated events that survive reconnects.
// coord/redis implements all four on one Redis; tests use fakes. Every method is safe for
// concurrent use and returns kUnavailable while the backend cannot be reached (callers
// keep going and retry; nothing here blocks longer than the backend's command timeout).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "coord/coordinator.h"
#include "core/status.h"

namespace mu {

struct LeaderInfo {
  std::string holder;  // the leader's instance id
  int64_t epoch = 0;
  std::chrono::milliseconds ttl_left{0};
};

// The lease behind leader election. One atomic step each: acquire sets the lease when it
// is free and increments the epoch in the same step; renew and release act only when the
// caller still holds the lease with that epoch (compare-and-pexpire, compare-and-delete).
class LeaseStore {
 public:
  virtual ~LeaseStore() = default;
  // The new epoch when `holder` got the lease; nullopt when someone else holds it.
  virtual Result<std::optional<int64_t>> try_acquire(const std::string& holder,
                                                     std::chrono::milliseconds ttl) = 0;
  // true: extended by `ttl`; false: the lease is no longer ours (expired or taken).
  virtual Result<bool> renew(const std::string& holder, int64_t epoch,
                             std::chrono::milliseconds ttl) = 0;
  // Deletes the lease when it is still ours; ok either way.
  virtual Status release(const std::string& holder, int64_t epoch) = 0;
  // The current holder, or nullopt when the lease is free.
  virtual Result<std::optional<LeaderInfo>> leader() = 0;
};

// A collector process as it announces itself.
struct CollectorInfo {
  std::string id;       // unique per process, e.g. "<host>:<port>-<pid>"
  std::string address;  // host:port where its gRPC service listens
  std::vector<std::string> groups;
  std::string version;
  int in_flight = 0;
  int capacity = 0;
  int64_t started_ms = 0;
  int64_t heartbeat_ms = 0;  // wall time of the last heartbeat (set by the registry)
};

class CollectorRegistry {
 public:
  virtual ~CollectorRegistry() = default;
  // Registers or refreshes `info`; the entry dies `ttl` after the last heartbeat.
  virtual Status heartbeat(const CollectorInfo& info, std::chrono::milliseconds ttl) = 0;
  // Removes the entry (graceful shutdown).
  virtual Status remove(const std::string& id) = 0;
  // Live collectors (heartbeat within their ttl), by id.
  virtual Result<std::vector<CollectorInfo>> alive() = 0;
};

struct QueueEntry {
  std::string id;  // assigned by the queue; increasing
  std::string payload;
  int deliveries = 1;
};

// A durable queue with one consumer group: an entry read by a consumer stays pending until
// acknowledged; entries pending on a dead consumer are claimed by the next one.
class ChangeQueue {
 public:
  virtual ~ChangeQueue() = default;
  virtual Result<std::string> add(const std::string& payload) = 0;
  // New entries for `consumer`, waiting up to `block` for one.
  virtual Result<std::vector<QueueEntry>> read(const std::string& consumer, int max,
                                               std::chrono::milliseconds block) = 0;
  // Entries pending for at least `min_idle` on any consumer, moved to `consumer`.
  virtual Result<std::vector<QueueEntry>> claim(const std::string& consumer,
                                                std::chrono::milliseconds min_idle, int max) = 0;
  virtual Status ack(const std::string& id) = 0;
  // Entries not yet acknowledged (read or not).
  virtual Result<int64_t> depth() = 0;
};

// Board-updated events across processes. Delivery is at most once (pub/sub), so a
// subscriber also gets `on_resync` after every (re)connection of its subscription and must
// then reload everything it caches.
class EventBus {
 public:
  virtual ~EventBus() = default;
  virtual Status publish(const BoardUpdated& event) = 0;
  virtual std::unique_ptr<Subscription> subscribe(std::function<void(const BoardUpdated&)> on_event,
                                                  std::function<void()> on_resync) = 0;
};

}  // namespace mu
