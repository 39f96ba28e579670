// Helpers shared by Mu's gRPC servers and clients: building and starting a sync server on
// "host:port", and carrying a typed mu::Status across gRPC (a grpc::Status whose details
// hold a serialized mu.rpc.Error). Internal to src/rpc (it includes gRPC headers). Pure
// functions; safe for concurrent use.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "core/status.h"

namespace mu {

// The gRPC code a typed error travels with (kNotFound -> NOT_FOUND, kFenced ->
// FAILED_PRECONDITION, ...).
grpc::StatusCode grpc_code_for(ErrorCode code);

// `status` (not ok) as a grpc::Status with code `code`, message and typed details.
grpc::Status to_grpc_status(grpc::StatusCode code, const Status& status);
// As above with grpc_code_for(status.code()).
grpc::Status to_grpc_status(const Status& status);

// The mu::Status a failed call stands for: the typed error from the details when the
// server sent one; otherwise a mapping of the gRPC code (UNAVAILABLE, CANCELLED, ABORTED ->
// kUnavailable; DEADLINE_EXCEEDED -> kTimeout; RESOURCE_EXHAUSTED -> kUnavailable "busy";
// FAILED_PRECONDITION -> kFenced; ALREADY_EXISTS -> kConflict; ...). `what` prefixes the
// message of mapped errors ("collector 10.0.0.5:7000").
Status from_grpc_status(const grpc::Status& status, std::string_view what);

struct ServerSpec {
  std::string listen;  // "host:port"; port 0 picks a free port
  std::vector<grpc::Service*> services;
  int max_threads = 16;  // bound of the sync server's thread pool
};

struct StartedServer {
  std::unique_ptr<grpc::Server> server;
  int port = 0;
};

// Builds and starts a sync server. kUnavailable when it cannot listen on the address.
Result<StartedServer> start_grpc_server(const ServerSpec& spec);

// Channel arguments shared by Mu's clients (larger receive limit, no reconnect stalls).
grpc::ChannelArguments client_channel_arguments();

}  // namespace mu
