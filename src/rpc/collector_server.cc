#include "rpc/collector_server.h"

#include <algorithm>
#include <list>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>

#include <grpcpp/grpcpp.h>
#include <spdlog/spdlog.h>

#include "core/clock.h"
#include "rpc/collector.grpc.pb.h"
#include "rpc/convert.h"
#include "rpc/grpc_util.h"

namespace mu {

namespace {

using std::chrono::milliseconds;

// Threads of the sync server beyond `capacity`: pollers and Health calls while full.
constexpr int kSpareThreads = 8;

class CollectorService final : public rpc::Collector::Service {
 public:
  explicit CollectorService(CollectorServer::Impl& impl) : impl_(impl) {}
  grpc::Status Collect(grpc::ServerContext* context, const rpc::Dispatch* request,
                       rpc::CollectResult* reply) override;
  grpc::Status Health(grpc::ServerContext* context, const rpc::HealthRequest* request,
                      rpc::HealthReply* reply) override;

 private:
  CollectorServer::Impl& impl_;
};

}  // namespace

struct CollectorServer::Impl {
  Impl(Collector& inner_collector, Options opts)
      : inner(inner_collector), options(std::move(opts)), service(*this) {}

  // Admits `d` (fencing, deduplication, capacity) and counts it in flight; otherwise the
  // refusal to send back.
  grpc::Status admit(const Dispatch& d) {
    std::lock_guard lock(mu);
    if (d.epoch < highest_epoch) {
      ++counters.rejected_epoch;
      return to_grpc_status(
          grpc::StatusCode::FAILED_PRECONDITION,
          error(ErrorCode::kFenced, "dispatch " + d.id() + ": epoch " + std::to_string(d.epoch) +
                                        " is below the highest epoch seen (" +
                                        std::to_string(highest_epoch) + ")"));
    }
    highest_epoch = d.epoch;
    const std::string key = d.id() + "/" + std::to_string(d.epoch);
    auto seen_it = seen.find(key);
    if (seen_it != seen.end() && d.attempt <= seen_it->second.attempt) {
      ++counters.rejected_duplicate;
      order.splice(order.begin(), order, seen_it->second.pos);
      return to_grpc_status(
          grpc::StatusCode::ALREADY_EXISTS,
          error(ErrorCode::kConflict, "duplicate: dispatch " + d.id() + " attempt " +
                                          std::to_string(d.attempt) + " already run or running"));
    }
    if (in_flight >= options.capacity) {
      ++counters.rejected_busy;
      return to_grpc_status(
          grpc::StatusCode::RESOURCE_EXHAUSTED,
          error(ErrorCode::kUnavailable, "busy: collector " + options.id + " runs " +
                                             std::to_string(in_flight) + " of " +
                                             std::to_string(options.capacity)));
    }
    if (seen_it != seen.end()) {
      seen_it->second.attempt = d.attempt;
      order.splice(order.begin(), order, seen_it->second.pos);
    } else {
      order.push_front(key);
      seen.emplace(key, Seen{d.attempt, order.begin()});
      while (static_cast<int>(order.size()) > std::max(1, options.seen_ids)) {
        seen.erase(order.back());
        order.pop_back();
      }
    }
    ++in_flight;
    return grpc::Status::OK;
  }

  void done() {
    std::lock_guard lock(mu);
    --in_flight;
    ++counters.served;
  }

  struct Seen {
    int attempt = 0;
    std::list<std::string>::iterator pos;
  };

  Collector& inner;
  const Options options;
  SystemClock clock;
  CollectorService service;
  std::unique_ptr<grpc::Server> server;
  int port = 0;

  mutable std::mutex mu;
  int in_flight = 0;
  int64_t highest_epoch = 0;
  Counters counters;
  std::list<std::string> order;  // dispatch keys, most recent first
  std::unordered_map<std::string, Seen> seen;

  std::mutex stop_mu;
  bool stopped = false;
};

namespace {

grpc::Status CollectorService::Collect(grpc::ServerContext* context, const rpc::Dispatch* request,
                                       rpc::CollectResult* reply) {
  Dispatch d = from_proto(*request);
  // The caller's deadline bounds the dispatch timeout: no work for a caller gone by then.
  const auto deadline = context->deadline();
  if (deadline != std::chrono::system_clock::time_point::max()) {
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - impl_.clock.now());
    if (left <= milliseconds(0)) {
      return to_grpc_status(
          grpc::StatusCode::DEADLINE_EXCEEDED,
          error(ErrorCode::kTimeout, "dispatch " + d.id() + ": the caller's deadline has passed"));
    }
    if (d.timeout <= milliseconds(0) || left < d.timeout) d.timeout = left;
  }
  if (grpc::Status admitted = impl_.admit(d); !admitted.ok()) {
    spdlog::debug("collector {}: refused {} attempt {}: {}", impl_.options.id, d.id(), d.attempt,
                  admitted.error_message());
    return admitted;
  }
  Result<CollectOutcome> outcome = impl_.inner.collect(d);
  impl_.done();
  if (outcome.ok() && !impl_.options.id.empty()) outcome->collector = impl_.options.id;
  to_proto(outcome, reply);
  return grpc::Status::OK;
}

grpc::Status CollectorService::Health(grpc::ServerContext* /*context*/,
                                      const rpc::HealthRequest* /*request*/,
                                      rpc::HealthReply* reply) {
  reply->set_id(impl_.options.id);
  for (const std::string& g : impl_.options.groups) reply->add_groups(g);
  reply->set_capacity(impl_.options.capacity);
  reply->set_version(impl_.options.version);
  std::lock_guard lock(impl_.mu);
  reply->set_in_flight(impl_.in_flight);
  reply->set_highest_epoch(impl_.highest_epoch);
  return grpc::Status::OK;
}

}  // namespace

Result<std::unique_ptr<CollectorServer>> CollectorServer::start(const std::string& listen,
                                                                Collector& inner, Options options) {
  if (options.capacity < 1) return error(ErrorCode::kInvalid, "collector capacity must be >= 1");
  auto impl = std::make_unique<Impl>(inner, std::move(options));
  ServerSpec spec;
  spec.listen = listen;
  spec.services = {&impl->service};
  spec.max_threads = impl->options.capacity + kSpareThreads;
  MU_ASSIGN_OR_RETURN(StartedServer started, start_grpc_server(spec));
  impl->server = std::move(started.server);
  impl->port = started.port;
  spdlog::info("collector {}: serving on {} (port {}), capacity {}", impl->options.id, listen,
               impl->port, impl->options.capacity);
  return std::unique_ptr<CollectorServer>(new CollectorServer(std::move(impl)));
}

CollectorServer::CollectorServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

CollectorServer::~CollectorServer() { stop(); }

int CollectorServer::port() const { return impl_->port; }

void CollectorServer::stop(std::chrono::milliseconds grace) {
  std::lock_guard lock(impl_->stop_mu);
  if (impl_->stopped) return;
  impl_->stopped = true;
  impl_->server->Shutdown(impl_->clock.now() + grace);
  impl_->server->Wait();
  spdlog::info("collector {}: stopped", impl_->options.id);
}

int CollectorServer::in_flight() const {
  std::lock_guard lock(impl_->mu);
  return impl_->in_flight;
}

int64_t CollectorServer::highest_epoch() const {
  std::lock_guard lock(impl_->mu);
  return impl_->highest_epoch;
}

CollectorServer::Counters CollectorServer::counters() const {
  std::lock_guard lock(impl_->mu);
  return impl_->counters;
}

}  // namespace mu
