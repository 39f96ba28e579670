#include "rpc/cluster_scheduler_control.h"

#include <optional>
#include <utility>

namespace mu {

ClusterSchedulerControl::ClusterSchedulerControl(const std::vector<std::string>& addresses,
                                                 std::chrono::milliseconds timeout) {
  for (const auto& a : addresses) clients_.push_back(std::make_unique<SchedulerClient>(a, timeout));
}

Status ClusterSchedulerControl::none() const {
  return error(ErrorCode::kUnavailable, clients_.empty()
                                            ? "no scheduler configured (api.schedulers)"
                                            : "no scheduler instance answered");
}

template <typename F>
auto ClusterSchedulerControl::any(F call) -> decltype(call(std::declval<SchedulerControl&>())) {
  Status last = none();
  for (auto& c : clients_) {
    auto r = call(*c);
    if (r.ok() || (r.code() != ErrorCode::kUnavailable && r.code() != ErrorCode::kTimeout)) {
      return r;
    }
    last = r.status();
  }
  return last;
}

Result<SchedulerStatusInfo> ClusterSchedulerControl::status() {
  std::optional<SchedulerStatusInfo> follower;
  Status last = none();
  for (auto& c : clients_) {
    auto s = c->status();
    if (!s.ok()) {
      last = s.status();
      continue;
    }
    if (s->leader) return s;
    if (!follower) follower = std::move(*s);
  }
  if (follower) return *follower;
  return last;
}

Result<std::string> ClusterSchedulerControl::trigger_now(const std::string& board) {
  return any([&](SchedulerControl& c) { return c.trigger_now(board); });
}

Result<int64_t> ClusterSchedulerControl::update_schedule(const BoardChange& change) {
  return any([&](SchedulerControl& c) { return c.update_schedule(change); });
}

Result<std::vector<RunRecord>> ClusterSchedulerControl::list_runs(const std::string& board,
                                                                  int limit) {
  return any([&](SchedulerControl& c) { return c.list_runs(board, limit); });
}

}  // namespace mu
