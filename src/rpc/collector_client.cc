#include "rpc/collector_client.h"

#include <utility>

#include <grpcpp/grpcpp.h>

#include "core/clock.h"
#include "rpc/collector.grpc.pb.h"
#include "rpc/convert.h"
#include "rpc/grpc_util.h"

namespace mu {

struct GrpcCollector::Impl {
  Impl(std::string addr, Options opts)
      : address(std::move(addr)),
        options(opts),
        channel(grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(),
                                          client_channel_arguments())),
        stub(rpc::Collector::NewStub(channel)) {}

  std::string address;
  Options options;
  SystemClock clock;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<rpc::Collector::Stub> stub;
};

GrpcCollector::GrpcCollector(std::string address) : GrpcCollector(std::move(address), Options{}) {}

GrpcCollector::GrpcCollector(std::string address, Options options)
    : impl_(std::make_unique<Impl>(std::move(address), options)) {}

GrpcCollector::~GrpcCollector() = default;

const std::string& GrpcCollector::address() const { return impl_->address; }

Result<CollectOutcome> GrpcCollector::collect(const Dispatch& dispatch) {
  rpc::Dispatch request;
  to_proto(dispatch, &request);
  const std::chrono::milliseconds budget = dispatch.timeout > std::chrono::milliseconds(0)
                                               ? dispatch.timeout + impl_->options.deadline_margin
                                               : impl_->options.default_deadline;
  grpc::ClientContext context;
  context.set_deadline(impl_->clock.now() + budget);
  rpc::CollectResult reply;
  const grpc::Status status = impl_->stub->Collect(&context, request, &reply);
  if (!status.ok()) {
    return from_grpc_status(status, "collector " + impl_->address + ": " + dispatch.id());
  }
  return from_proto(reply);
}

Result<CollectorHealth> GrpcCollector::health() {
  grpc::ClientContext context;
  context.set_deadline(impl_->clock.now() + impl_->options.health_timeout);
  rpc::HealthReply reply;
  const grpc::Status status = impl_->stub->Health(&context, rpc::HealthRequest(), &reply);
  if (!status.ok()) return from_grpc_status(status, "collector " + impl_->address + ": health");
  CollectorHealth out;
  out.id = reply.id();
  out.groups.assign(reply.groups().begin(), reply.groups().end());
  out.in_flight = reply.in_flight();
  out.capacity = reply.capacity();
  out.version = reply.version();
  out.highest_epoch = reply.highest_epoch();
  return out;
}

}  // namespace mu
