// CollectorServer: serves a Collector over gRPC (collector.proto) so a scheduler in another
// process can run dispatches here (`mu collector`). It guards the inner collector:
// - bounded concurrency: with `capacity` collects running, another is refused
//   (RESOURCE_EXHAUSTED; the router tries another collector);
// - fencing: a dispatch whose epoch is below the highest epoch seen is refused
//   (FAILED_PRECONDITION, typed "fenced");
// - deduplication: a dispatch (board@slot, epoch) whose attempt is not above the highest
//   attempt already accepted for it is refused (ALREADY_EXISTS, typed "conflict"); a retry
//   (higher attempt) is served. A bounded LRU remembers the last `seen_ids` dispatches.
// The inner collector runs on the gRPC sync thread pool with the smaller of the dispatch
// timeout and the caller's remaining deadline. All methods are safe for concurrent use;
// stop() is idempotent and also runs in the destructor.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "collector/collector.h"
#include "core/status.h"

namespace mu {

class CollectorServer {
 public:
  struct Options {
    std::string id;  // reported by Health and set as CollectOutcome::collector ("" keeps the
                     // inner collector's name)
    std::vector<std::string> groups;
    std::string version;
    int capacity = 8;       // collects running at once
    int seen_ids = 10'000;  // dispatches remembered for deduplication
  };
  struct Counters {
    int64_t served = 0;  // collects run by the inner collector (ok or typed error)
    int64_t rejected_epoch = 0;
    int64_t rejected_duplicate = 0;
    int64_t rejected_busy = 0;
  };

  // Listens on `listen` ("host:port"; port 0 picks a free port) and serves `inner`, which
  // must outlive the server. kUnavailable when the address cannot be bound.
  static Result<std::unique_ptr<CollectorServer>> start(const std::string& listen, Collector& inner,
                                                        Options options);
  ~CollectorServer();
  CollectorServer(const CollectorServer&) = delete;
  CollectorServer& operator=(const CollectorServer&) = delete;

  int port() const;
  // Graceful stop: no new calls are accepted; running collects get `grace` to finish, then
  // their callers see the call cancelled. Returns once every handler has returned (a
  // collect still inside the inner collector is waited for).
  void stop(std::chrono::milliseconds grace = std::chrono::seconds(10));

  int in_flight() const;
  int64_t highest_epoch() const;
  Counters counters() const;

  struct Impl;

 private:
  explicit CollectorServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace mu
