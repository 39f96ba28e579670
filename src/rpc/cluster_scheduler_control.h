// ClusterSchedulerControl: the SchedulerControl of `mu api`'s admin console in the cluster.
// It talks to the scheduler instances (api.schedulers) over gRPC through one
// SchedulerClient each: status from the leader (it alone knows next run times; a
// follower's answer when no leader answers), writes through the first reachable instance
// (each stores the change and enqueues it for the leader). Safe for concurrent use.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "rpc/scheduler_server.h"
#include "scheduler/control.h"

namespace mu {

class ClusterSchedulerControl final : public SchedulerControl {
 public:
  // One client per address ("host:port"), each call bounded by `timeout`.
  explicit ClusterSchedulerControl(const std::vector<std::string>& addresses,
                                   std::chrono::milliseconds timeout = std::chrono::seconds(5));

  Result<SchedulerStatusInfo> status() override;
  // The first answer that is not "unreachable" (kUnavailable, kTimeout); a real error
  // such as kInvalid is final. kUnavailable when no instance answered.
  Result<std::string> trigger_now(const std::string& board) override;
  Result<int64_t> update_schedule(const BoardChange& change) override;
  Result<std::vector<RunRecord>> list_runs(const std::string& board, int limit) override;

 private:
  Status none() const;
  template <typename F>
  auto any(F call) -> decltype(call(std::declval<SchedulerControl&>()));

  std::vector<std::unique_ptr<SchedulerClient>> clients_;
};

}  // namespace mu
