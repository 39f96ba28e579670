// GrpcCollector: a Collector that runs dispatches on one remote collector process over gRPC
// (collector.proto, served by CollectorServer). Each collect() has a deadline of the
// dispatch timeout + `deadline_margin`, or `default_deadline` when the dispatch has none. A fetch
// error the remote inner collector returned comes back as the same Status (code, message, HTTP
// status, Retry-After); refusals and transport failures map to: unreachable / killed mid-call ->
// kUnavailable, deadline -> kTimeout, at capacity -> kUnavailable "busy", below the highest epoch
// -> kFenced, duplicate dispatch -> kConflict. Safe for concurrent use (one HTTP/2 channel shared
// by all calls).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "collector/collector.h"
#include "core/status.h"

namespace mu {

// What a collector process says about itself (the Health call).
struct CollectorHealth {
  std::string id;
  std::vector<std::string> groups;
  int in_flight = 0;
  int capacity = 0;
  std::string version;
  int64_t highest_epoch = 0;
};

class GrpcCollector : public Collector {
 public:
  struct Options {
    std::chrono::milliseconds deadline_margin{std::chrono::seconds(2)};
    std::chrono::milliseconds default_deadline{std::chrono::seconds(30)};  // timeout 0
    std::chrono::milliseconds health_timeout{std::chrono::seconds(2)};
  };

  // `address` is "host:port". Connects lazily; never fails here.
  explicit GrpcCollector(std::string address);
  GrpcCollector(std::string address, Options options);
  ~GrpcCollector() override;
  GrpcCollector(const GrpcCollector&) = delete;
  GrpcCollector& operator=(const GrpcCollector&) = delete;

  Result<CollectOutcome> collect(const Dispatch& dispatch) override;
  Result<CollectorHealth> health();

  const std::string& address() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace mu
