// McpService: Mu for AI agents — a Model Context Protocol server on POST /mcp (the
// "Streamable HTTP" transport, answering every message with one JSON body; stateless, so
// no Mcp-Session-Id and any API instance can answer). It speaks JSON-RPC 2.0: initialize
// (protocol versions 2024-11-05 to 2025-11-25), ping, tools/list and tools/call; a
// notification or a response from the client gets 202. The tools are read-only and run the
// public API's own routes through the Router (same checks, same data, same errors):
//   list_sites, list_boards, get_board, search, item_timeline, board_history, daily_top,
//   source_health.
// GET and DELETE /mcp answer 405 (no server-initiated stream, no sessions). A request with
// an Origin that is neither this host nor one of `allowed_origins` is refused with 403
// (DNS rebinding); an unsupported MCP-Protocol-Version header with 400. docs/mcp.md.
//
// Thread-safety: construct and register before serving; handlers are safe from any thread.
#pragma once

#include <string>
#include <vector>

#include "http/router.h"

namespace mu {

struct McpOptions {
  std::string server_version;                // serverInfo.version
  std::vector<std::string> allowed_origins;  // besides the request's own host
  size_t max_board_items = 50;               // get_board answers at most this many items
};

class McpService {
 public:
  // The protocol versions this server speaks, newest first.
  static const std::vector<std::string>& protocol_versions();

  // `api` must hold the public routes the tools call (it may be the router this service
  // registers on) and outlive the service.
  McpService(const Router& api, McpOptions options);

  void register_routes(Router& router);

  // POST /mcp.
  Response handle_post(const Request& req) const;

 private:
  const Router& api_;
  McpOptions options_;
};

}  // namespace mu
