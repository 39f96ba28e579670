// LocalCoordinator: the in-process Coordinator used by `mu serve`. This process is always
// the leader, with a fixed epoch; events are delivered synchronously to subscribers on the
// publisher's thread. Safe for concurrent use.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "coord/coordinator.h"

namespace mu {

class LocalCoordinator final : public Coordinator {
 public:
  explicit LocalCoordinator(int64_t epoch = 1);
  ~LocalCoordinator() override;
  LocalCoordinator(const LocalCoordinator&) = delete;
  LocalCoordinator& operator=(const LocalCoordinator&) = delete;

  int64_t leader_epoch() const override { return epoch_; }
  Status publish(const BoardUpdated& event) override;
  using Coordinator::subscribe;
  std::unique_ptr<Subscription> subscribe(
      std::function<void(const BoardUpdated&)> callback) override;

 private:
  struct Hub;
  int64_t epoch_;
  std::shared_ptr<Hub> hub_;  // shared with subscriptions so they can outlive us safely
};

}  // namespace mu
