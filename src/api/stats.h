// StatsService: GET /api/v1/stats — catalogue size and the "online" count (the seed's 在线):
// distinct sessions active within the window (AccountStore::count_active_sessions; sessions are
// touched at most once a minute) plus anonymous live readers (SSE streams opened without a
// session), summed over every API instance through AccountStore::put_presence/count_presence.
// Each instance reports the peak of its anonymous readers over the window. The answer is
// computed at most once per `cache_for` (readers of a busy site do not each hit the store).
// Thread-safety: all methods are safe to call concurrently.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <utility>

#include "api/event_hub.h"
#include "core/clock.h"
#include "http/router.h"
#include "store/store.h"

namespace mu {

struct StatsOptions {
  std::string instance = "local";  // this API instance's id in the presence table
  std::chrono::seconds window{300};
  std::chrono::seconds cache_for{5};
};

class StatsService {
 public:
  // All references must outlive this object.
  StatsService(std::size_t sites, std::size_t boards, std::string version, AccountStore& store,
               EventHub& events, const Clock& clock, StatsOptions options = {});

  void register_routes(Router& router);

  // Samples this instance's anonymous readers and writes the peak over the window to the
  // store. The process calls it every 30 s (app/); answering GET /api/v1/stats only reads.
  Status report();

  // The JSON body of GET /api/v1/stats (from the store's last reports).
  Result<std::string> stats_json();

 private:
  const std::size_t sites_;
  const std::size_t boards_;
  const std::string version_;
  AccountStore& store_;
  EventHub& events_;
  const Clock& clock_;
  const StatsOptions options_;
  std::mutex mu_;
  std::deque<std::pair<int64_t, std::size_t>> samples_;  // (ms, anonymous peak), by mu_
  int64_t cached_at_ms_ = 0;                             // by mu_
  std::string cached_;                                   // by mu_
};

}  // namespace mu
