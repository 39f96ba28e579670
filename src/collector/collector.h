// Collector: runs one dispatch (fetch + parse + normalize a board) and returns its items
// or a typed error. LocalCollector runs in-process; GrpcCollector (rpc/) calls a remote
// `mu collector` and RoutingCollector (collector/remote/) picks one for each dispatch.
// Implementations are safe for concurrent use.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/types.h"

namespace mu {

// One planned fetch of a board for one nominal time slot.
struct Dispatch {
  std::string board;
  int64_t slot = 0;  // unix seconds of the nominal slot
  int64_t epoch = 0;
  int attempt = 1;
  std::chrono::milliseconds timeout{0};  // whole-dispatch deadline; 0: the source's default
  std::string group;  // collector group of the board ("" : any collector may run it)
  // Credentials the admin console keeps for this board or its site (encrypted in the store;
  // attached by the scheduler just before the dispatch is sent, never logged or kept):
  // secrets by name ("zhihu.cookie"; these win over the collector's configured ones) and a
  // proxy URL for every request of this dispatch ("": the collector's own).
  std::map<std::string, std::string> secrets;
  std::string proxy;

  std::string id() const { return board + "@" + std::to_string(slot); }
};

struct CollectOutcome {
  std::vector<Item> items;  // normalized and deduplicated, in rank order
  int http_status = 0;
  int64_t bytes = 0;
  int64_t started_ms = 0;
  int64_t finished_ms = 0;
  int dropped = 0;  // items removed by normalization (bad URL, empty title, duplicate)
  std::string collector;
};

class Collector {
 public:
  virtual ~Collector() = default;
  virtual Result<CollectOutcome> collect(const Dispatch& dispatch) = 0;
};

}  // namespace mu
