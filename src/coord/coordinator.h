// Coordinator: what Mu's processes share besides the store — the leader lease with its
// fencing epoch and board-updated events. coord/local is the in-process implementation
// for `mu serve`; the distributed roles build theirs from the interfaces of coord/cluster.h
// (coord/redis implements those; the leader's term coordinator is in scheduler/leader_role).
// Implementations are safe for concurrent use; event callbacks run on the publisher's
// thread (local) and must be quick.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/status.h"

namespace mu {

struct BoardUpdated {
  std::string board;
  int64_t version = 0;  // snapshot id, or 0 for a state-only change (failed run)
};

// Unsubscribes when destroyed.
class Subscription {
 public:
  virtual ~Subscription() = default;
};

class Coordinator {
 public:
  virtual ~Coordinator() = default;

  // Leadership: the fencing epoch of this process's current term, or 0 when
  // it is not the leader. The local coordinator is always leader.
  virtual int64_t leader_epoch() const = 0;

  virtual Status publish(const BoardUpdated& event) = 0;
  virtual std::unique_ptr<Subscription> subscribe(
      std::function<void(const BoardUpdated&)> callback) = 0;
  // The same, for subscribers that cache: `on_resync` runs whenever events may have been
  // missed (after a reconnect of a lossy transport such as Redis pub/sub); the subscriber
  // then reloads everything. The in-process coordinator loses nothing and never calls it.
  virtual std::unique_ptr<Subscription> subscribe(std::function<void(const BoardUpdated&)> callback,
                                                  std::function<void()> on_resync) {
    (void)on_resync;
    return subscribe(std::move(callback));
  }
};

}  // namespace mu
