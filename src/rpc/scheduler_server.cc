#include "rpc/scheduler_server.h"

#include <mutex>
#include <utility>

#include <grpcpp/grpcpp.h>
#include <spdlog/spdlog.h>

#include "core/clock.h"
#include "rpc/convert.h"
#include "rpc/grpc_util.h"
#include "rpc/scheduler.grpc.pb.h"

namespace mu {

namespace {

constexpr int kSchedulerServerThreads = 8;

class SchedulerService final : public rpc::Scheduler::Service {
 public:
  explicit SchedulerService(SchedulerControl& control) : control_(control) {}

  grpc::Status Status(grpc::ServerContext* /*context*/,
                      const rpc::SchedulerStatusRequest* /*request*/,
                      rpc::SchedulerStatus* reply) override {
    Result<SchedulerStatusInfo> info = control_.status();
    if (!info.ok()) return to_grpc_status(info.status());
    to_proto(*info, reply);
    return grpc::Status::OK;
  }

  grpc::Status TriggerNow(grpc::ServerContext* /*context*/, const rpc::TriggerNowRequest* request,
                          rpc::TriggerNowReply* reply) override {
    Result<std::string> id = control_.trigger_now(request->board());
    if (!id.ok()) return to_grpc_status(id.status());
    reply->set_id(*id);
    return grpc::Status::OK;
  }

  grpc::Status UpdateSchedule(grpc::ServerContext* /*context*/, const rpc::BoardChange* request,
                              rpc::UpdateScheduleReply* reply) override {
    Result<BoardChange> change = from_proto(*request);
    if (!change.ok()) return to_grpc_status(change.status());
    Result<int64_t> version = control_.update_schedule(*change);
    if (!version.ok()) return to_grpc_status(version.status());
    reply->set_version(*version);
    return grpc::Status::OK;
  }

  grpc::Status ListRuns(grpc::ServerContext* /*context*/, const rpc::ListRunsRequest* request,
                        rpc::ListRunsReply* reply) override {
    Result<std::vector<RunRecord>> runs = control_.list_runs(request->board(), request->limit());
    if (!runs.ok()) return to_grpc_status(runs.status());
    for (const RunRecord& run : *runs) to_proto(run, reply->add_runs());
    return grpc::Status::OK;
  }

 private:
  SchedulerControl& control_;
};

}  // namespace

struct SchedulerServer::Impl {
  explicit Impl(SchedulerControl& control) : service(control) {}
  SchedulerService service;
  SystemClock clock;
  std::unique_ptr<grpc::Server> server;
  int port = 0;
  std::mutex stop_mu;
  bool stopped = false;
};

Result<std::unique_ptr<SchedulerServer>> SchedulerServer::start(const std::string& listen,
                                                                SchedulerControl& control) {
  auto impl = std::make_unique<Impl>(control);
  ServerSpec spec;
  spec.listen = listen;
  spec.services = {&impl->service};
  spec.max_threads = kSchedulerServerThreads;
  MU_ASSIGN_OR_RETURN(StartedServer started, start_grpc_server(spec));
  impl->server = std::move(started.server);
  impl->port = started.port;
  spdlog::info("scheduler control: serving on {} (port {})", listen, impl->port);
  return std::unique_ptr<SchedulerServer>(new SchedulerServer(std::move(impl)));
}

SchedulerServer::SchedulerServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

SchedulerServer::~SchedulerServer() { stop(); }

int SchedulerServer::port() const { return impl_->port; }

void SchedulerServer::stop(std::chrono::milliseconds grace) {
  std::lock_guard lock(impl_->stop_mu);
  if (impl_->stopped) return;
  impl_->stopped = true;
  impl_->server->Shutdown(impl_->clock.now() + grace);
  impl_->server->Wait();
}

struct SchedulerClient::Impl {
  Impl(std::string addr, std::chrono::milliseconds call_timeout)
      : address(std::move(addr)),
        timeout(call_timeout),
        channel(grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(),
                                          client_channel_arguments())),
        stub(rpc::Scheduler::NewStub(channel)) {}

  void prepare(grpc::ClientContext* context) const { context->set_deadline(clock.now() + timeout); }
  mu::Status failed(const grpc::Status& status, std::string_view call) const {
    return from_grpc_status(status, "scheduler " + address + ": " + std::string(call));
  }

  std::string address;
  std::chrono::milliseconds timeout;
  SystemClock clock;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<rpc::Scheduler::Stub> stub;
};

SchedulerClient::SchedulerClient(std::string address, std::chrono::milliseconds timeout)
    : impl_(std::make_unique<Impl>(std::move(address), timeout)) {}

SchedulerClient::~SchedulerClient() = default;

Result<SchedulerStatusInfo> SchedulerClient::status() {
  grpc::ClientContext context;
  impl_->prepare(&context);
  rpc::SchedulerStatus reply;
  const grpc::Status s = impl_->stub->Status(&context, rpc::SchedulerStatusRequest(), &reply);
  if (!s.ok()) return impl_->failed(s, "status");
  return from_proto(reply);
}

Result<std::string> SchedulerClient::trigger_now(const std::string& board) {
  grpc::ClientContext context;
  impl_->prepare(&context);
  rpc::TriggerNowRequest request;
  request.set_board(board);
  rpc::TriggerNowReply reply;
  const grpc::Status s = impl_->stub->TriggerNow(&context, request, &reply);
  if (!s.ok()) return impl_->failed(s, "trigger " + board);
  return reply.id();
}

Result<int64_t> SchedulerClient::update_schedule(const BoardChange& change) {
  grpc::ClientContext context;
  impl_->prepare(&context);
  rpc::BoardChange request;
  to_proto(change, &request);
  rpc::UpdateScheduleReply reply;
  const grpc::Status s = impl_->stub->UpdateSchedule(&context, request, &reply);
  if (!s.ok()) return impl_->failed(s, "update " + change.board);
  return static_cast<int64_t>(reply.version());
}

Result<std::vector<RunRecord>> SchedulerClient::list_runs(const std::string& board, int limit) {
  grpc::ClientContext context;
  impl_->prepare(&context);
  rpc::ListRunsRequest request;
  request.set_board(board);
  request.set_limit(limit);
  rpc::ListRunsReply reply;
  const grpc::Status s = impl_->stub->ListRuns(&context, request, &reply);
  if (!s.ok()) return impl_->failed(s, "runs " + board);
  std::vector<RunRecord> runs;
  runs.reserve(reply.runs_size());
  for (const rpc::RunRecord& run : reply.runs()) runs.push_back(from_proto(run));
  return runs;
}

}  // namespace mu
