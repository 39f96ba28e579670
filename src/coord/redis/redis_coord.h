// coord/redis: the cluster coordination interfaces of coord/cluster.h on one Redis (7.0+).
// Every key of one deployment is `{<prefix>}:<name>`, so all of them hash to the same Redis
// Cluster slot and multi-key scripts stay legal:
//   {mu}:leader          string "holder|epoch" with a PX expiry — the lease
//   {mu}:epoch           integer, the fencing epoch counter (INCR on every acquisition)
//   {mu}:collectors      hash id -> collector JSON (CollectorInfo without heartbeat_ms)
//   {mu}:collectors:due  sorted set id -> deadline (Redis TIME in ms at the last heartbeat +
//                        that heartbeat's ttl); heartbeat_ms = deadline - ttl_ms
//   {mu}:changes         stream of schedule changes, field "p" = payload, consumer group
//                        "schedulers"
//   {mu}:events          pub/sub channel, message "<board>\t<version>"
//
// Every call is one round trip (Lua scripts make the multi-step ones atomic), goes through a
// redis::RedisClient (lazy reconnect with backoff) and returns kUnavailable within about the
// command timeout when Redis cannot be reached. All classes are safe for concurrent use.
// Scripts run with EVALSHA and fall back to EVAL after a Redis restart (NOSCRIPT).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "coord/cluster.h"
#include "coord/redis/redis_client.h"

namespace mu {

struct RedisOptions {
  std::string url;  // redis://[[user]:password@]host[:port][/db]
  std::string prefix = "mu";
  std::chrono::milliseconds connect_timeout{500};
  std::chrono::milliseconds command_timeout{500};
};

// The leader lease. Acquire is one script: when {p}:leader is free it raises {p}:epoch to the
// caller's floor if it is below it, INCRs it and sets the lease to "holder|epoch" with PX ttl.
// Renew and release compare the whole "holder|epoch" value before PEXPIRE / DEL.
class RedisLeaseStore final : public LeaseStore {
 public:
  RedisLeaseStore(std::shared_ptr<redis::RedisClient> client, std::string prefix);

  // try_acquire_above(holder, ttl, 0).
  Result<std::optional<int64_t>> try_acquire(const std::string& holder,
                                             std::chrono::milliseconds ttl) override;
  // Like try_acquire, but a new epoch is always > `floor`: the caller passes the highest epoch
  // it knows (the store's fence), which keeps epochs monotonic even when Redis lost its counter
  // (a restart without persistence starts INCR at 1 again). Matches
  // LeaderElector::AcquireAbove. kInvalid for an empty holder, ttl < 1 ms or floor < 0.
  Result<std::optional<int64_t>> try_acquire_above(const std::string& holder,
                                                   std::chrono::milliseconds ttl, int64_t floor);
  Result<bool> renew(const std::string& holder, int64_t epoch,
                     std::chrono::milliseconds ttl) override;
  Status release(const std::string& holder, int64_t epoch) override;
  Result<std::optional<LeaderInfo>> leader() override;

  // The epoch counter as Redis has it now (0: never acquired, or lost in a restart).
  Result<int64_t> current_epoch();

 private:
  std::shared_ptr<redis::RedisClient> client_;
  std::string leader_key_;
  std::string epoch_key_;
  redis::LuaScript acquire_;
  redis::LuaScript renew_;
  redis::LuaScript release_;
  redis::LuaScript leader_;
};

// The live-collector registry. heartbeat() is one script that reads Redis TIME (never a local
// clock), stores the JSON and the deadline; alive() is one script that drops every entry past
// its deadline (lazily, on read) and returns the rest, sorted by id.
class RedisCollectorRegistry final : public CollectorRegistry {
 public:
  RedisCollectorRegistry(std::shared_ptr<redis::RedisClient> client, std::string prefix);

  // kInvalid for an empty id or ttl < 1 ms.
  Status heartbeat(const CollectorInfo& info, std::chrono::milliseconds ttl) override;
  Status remove(const std::string& id) override;
  Result<std::vector<CollectorInfo>> alive() override;

 private:
  std::shared_ptr<redis::RedisClient> client_;
  std::string hash_key_;
  std::string due_key_;
  redis::LuaScript heartbeat_;
  redis::LuaScript remove_;
  redis::LuaScript alive_;
};

// The schedule-change queue: a stream with one consumer group.
// - The group is created lazily with `XGROUP CREATE <key> schedulers 0 MKSTREAM` whenever a
//   command answers NOGROUP (first use, or Redis restarted without persistence; BUSYGROUP from
//   a concurrent creator is fine). It starts at 0, not $, so that entries added before the
//   group existed (e.g. by an add() that won the race after a restart) are still delivered;
//   that is safe because acknowledged entries are deleted (below), so everything in the
//   stream is unacknowledged.
// - add: XADD MAXLEN ~ 10000 (the oldest entries are trimmed beyond that, acked or not).
// - read: XREADGROUP ... COUNT max [BLOCK ms] STREAMS key > on a connection of its own, so a
//   blocking read never delays add/claim/ack/depth; concurrent reads wait for each other.
// - claim: XAUTOCLAIM from 0-0 (following the cursor until `max` entries are claimed), with
//   each entry's delivery count from XPENDING, in one script.
// - ack: XACK + XDEL in one script; acking an unknown or already acked id is ok.
// - depth: XLEN — exactly the entries added and not yet acknowledged, read or not (valid
//   because ack deletes; entries trimmed by MAXLEN are gone and no longer counted).
class RedisChangeQueue final : public ChangeQueue {
 public:
  static constexpr const char* kGroup = "schedulers";
  static constexpr int kMaxLen = 10000;

  RedisChangeQueue(std::shared_ptr<redis::RedisClient> client, std::string prefix);

  Result<std::string> add(const std::string& payload) override;
  // `block` 0: do not wait. kInvalid for an empty consumer or max < 1.
  Result<std::vector<QueueEntry>> read(const std::string& consumer, int max,
                                       std::chrono::milliseconds block) override;
  Result<std::vector<QueueEntry>> claim(const std::string& consumer,
                                        std::chrono::milliseconds min_idle, int max) override;
  Status ack(const std::string& id) override;
  Result<int64_t> depth() override;

 private:
  Status create_group(redis::RedisClient& client);

  std::shared_ptr<redis::RedisClient> client_;
  std::unique_ptr<redis::RedisClient> reader_;  // blocking XREADGROUP only
  std::string key_;
  redis::LuaScript claim_;
  redis::LuaScript ack_;
};

// Board-updated events over pub/sub. publish() is PUBLISH on the shared client. Each
// subscribe() starts a thread with its own connection that SUBSCRIBEs, calls on_resync after
// every successful (re)subscription (the first one included) and on_event for each message,
// all on that thread. It PINGs after 1 s of silence and treats a missing answer (within the
// command timeout) like a lost connection; it reconnects with backoff (50 ms doubling to 2 s).
// Destroying the Subscription wakes and joins the thread at once, also while Redis is down
// (at worst after a connect attempt, bounded by the connect timeout); destroying it from
// inside one of its own callbacks is allowed. Subscriptions may outlive the bus.
class RedisEventBus final : public EventBus {
 public:
  RedisEventBus(std::shared_ptr<redis::RedisClient> client, std::string prefix);

  Status publish(const BoardUpdated& event) override;
  std::unique_ptr<Subscription> subscribe(std::function<void(const BoardUpdated&)> on_event,
                                          std::function<void()> on_resync) override;

  // "<board>\t<version>" and back (nullopt when malformed).
  static std::string encode(const BoardUpdated& event);
  static std::optional<BoardUpdated> decode(std::string_view message);

 private:
  std::shared_ptr<redis::RedisClient> client_;
  std::string channel_;
};

// The four services on one Redis, sharing one client (the queue's blocking reads and each
// subscription get connections of their own).
struct RedisCoordination {
  std::shared_ptr<redis::RedisClient> client;
  std::unique_ptr<RedisLeaseStore> leases;
  std::unique_ptr<RedisCollectorRegistry> collectors;
  std::unique_ptr<RedisChangeQueue> changes;
  std::unique_ptr<RedisEventBus> events;
};

// Checks the options (kConfig for a malformed url or a prefix that is empty or holds '{' or
// '}') and builds the services. Does not contact Redis: calls fail with kUnavailable until it
// can be reached.
Result<RedisCoordination> make_redis_coordination(const RedisOptions& options);

}  // namespace mu
