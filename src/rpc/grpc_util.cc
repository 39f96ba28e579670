#include "rpc/grpc_util.h"

#include <string>
#include <utility>

#include "rpc/collector.pb.h"
#include "rpc/convert.h"

namespace mu {

namespace {

constexpr int kMaxMessageBytes = 64 * 1024 * 1024;

}  // namespace

grpc::StatusCode grpc_code_for(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk:
      return grpc::StatusCode::OK;
    case ErrorCode::kNetwork:
    case ErrorCode::kUnavailable:
      return grpc::StatusCode::UNAVAILABLE;
    case ErrorCode::kTimeout:
      return grpc::StatusCode::DEADLINE_EXCEEDED;
    case ErrorCode::kConfig:
    case ErrorCode::kInvalid:
    case ErrorCode::kTooLarge:
      return grpc::StatusCode::INVALID_ARGUMENT;
    case ErrorCode::kNotFound:
      return grpc::StatusCode::NOT_FOUND;
    case ErrorCode::kConflict:
      return grpc::StatusCode::ALREADY_EXISTS;
    case ErrorCode::kFenced:
      return grpc::StatusCode::FAILED_PRECONDITION;
    case ErrorCode::kHttp:
    case ErrorCode::kBlocked:
    case ErrorCode::kParse:
      return grpc::StatusCode::UNKNOWN;
    case ErrorCode::kInternal:
      return grpc::StatusCode::INTERNAL;
  }
  return grpc::StatusCode::INTERNAL;
}

grpc::Status to_grpc_status(grpc::StatusCode code, const Status& status) {
  rpc::Error detail;
  to_proto(status, &detail);
  return grpc::Status(code, status.message(), detail.SerializeAsString());
}

grpc::Status to_grpc_status(const Status& status) {
  return to_grpc_status(grpc_code_for(status.code()), status);
}

Status from_grpc_status(const grpc::Status& status, std::string_view what) {
  if (status.ok()) return error(ErrorCode::kInternal, std::string(what) + ": ok status as error");
  if (!status.error_details().empty()) {
    rpc::Error detail;
    if (detail.ParseFromString(status.error_details()) && parse_error_code(detail.code())) {
      return from_proto(detail);
    }
  }
  std::string msg = std::string(what) + ": " + status.error_message();
  switch (status.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::CANCELLED:
    case grpc::StatusCode::ABORTED:
      return error(ErrorCode::kUnavailable, std::move(msg));
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return error(ErrorCode::kTimeout, std::move(msg));
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return error(ErrorCode::kUnavailable, "busy: " + msg);
    case grpc::StatusCode::FAILED_PRECONDITION:
      return error(ErrorCode::kFenced, std::move(msg));
    case grpc::StatusCode::ALREADY_EXISTS:
      return error(ErrorCode::kConflict, std::move(msg));
    case grpc::StatusCode::NOT_FOUND:
      return error(ErrorCode::kNotFound, std::move(msg));
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::OUT_OF_RANGE:
      return error(ErrorCode::kInvalid, std::move(msg));
    default:
      return error(ErrorCode::kInternal, std::move(msg));
  }
}

Result<StartedServer> start_grpc_server(const ServerSpec& spec) {
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(spec.listen, grpc::InsecureServerCredentials(), &port);
  // gRPC sets SO_REUSEPORT by default: a second server on a busy port would "succeed".
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.SetMaxReceiveMessageSize(kMaxMessageBytes);
  builder.SetMaxSendMessageSize(kMaxMessageBytes);
  grpc::ResourceQuota quota("mu-rpc-server");
  quota.SetMaxThreads(spec.max_threads);
  builder.SetResourceQuota(quota);
  for (grpc::Service* service : spec.services) builder.RegisterService(service);
  StartedServer out;
  out.server = builder.BuildAndStart();
  if (!out.server || port == 0) {
    if (out.server) out.server->Shutdown();
    return error(ErrorCode::kUnavailable, "grpc: cannot listen on " + spec.listen);
  }
  out.port = port;
  return out;
}

grpc::ChannelArguments client_channel_arguments() {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(kMaxMessageBytes);
  args.SetMaxSendMessageSize(kMaxMessageBytes);
  // Reconnect quickly after a collector restarts (the default backoff grows to 2 minutes).
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 5000);
  return args;
}

}  // namespace mu
