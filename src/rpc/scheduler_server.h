// SchedulerServer serves a SchedulerControl over gRPC (scheduler.proto) for `mu ctl` and
// other processes; SchedulerClient is the SchedulerControl of a remote scheduler. Typed
// errors (kNotFound, kConflict, kInvalid, ...) cross the wire unchanged; transport failures
// become kUnavailable / kTimeout. Both are safe for concurrent use; SchedulerServer::stop()
// is idempotent and also runs in the destructor.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "scheduler/control.h"

namespace mu {

class SchedulerServer {
 public:
  // Listens on `listen` ("host:port"; port 0 picks a free port) and serves `control`, which
  // must outlive the server. kUnavailable when the address cannot be bound.
  static Result<std::unique_ptr<SchedulerServer>> start(const std::string& listen,
                                                        SchedulerControl& control);
  ~SchedulerServer();
  SchedulerServer(const SchedulerServer&) = delete;
  SchedulerServer& operator=(const SchedulerServer&) = delete;

  int port() const;
  // Stops accepting calls; running calls get `grace`, then are cancelled.
  void stop(std::chrono::milliseconds grace = std::chrono::seconds(5));

  struct Impl;

 private:
  explicit SchedulerServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

class SchedulerClient : public SchedulerControl {
 public:
  // `address` is "host:port"; every call has `timeout`. Connects lazily; never fails here.
  explicit SchedulerClient(std::string address,
                           std::chrono::milliseconds timeout = std::chrono::seconds(10));
  ~SchedulerClient() override;
  SchedulerClient(const SchedulerClient&) = delete;
  SchedulerClient& operator=(const SchedulerClient&) = delete;

  Result<SchedulerStatusInfo> status() override;
  Result<std::string> trigger_now(const std::string& board) override;
  Result<int64_t> update_schedule(const BoardChange& change) override;
  Result<std::vector<RunRecord>> list_runs(const std::string& board, int limit) override;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace mu
