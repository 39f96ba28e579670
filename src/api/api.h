// ApiService: Mu's public HTTP API (v1) on top of the Router — sites, boards, one board,
// a board's run history, health and readiness. Board bodies come from the BoardCache, which
// it keeps current by subscribing to board-updated events. Handlers are quick and safe to
// call from any io thread: the board paths never touch the store; the run history
// (GET /api/v1/boards/{id}/runs, an admin/diagnostic endpoint answered with
// `Cache-Control: no-store`) reads at most kMaxRunsLimit indexed rows per request.
#pragma once

#include <atomic>
#include <memory>
#include <vector>

#include "api/board_cache.h"
#include "coord/coordinator.h"
#include "core/clock.h"
#include "http/router.h"
#include "store/store.h"

namespace mu {

class ApiService {
 public:
  // ?limit= of GET /api/v1/boards/{id}/runs: default and largest accepted value.
  static constexpr int kDefaultRunsLimit = 20;
  static constexpr int kMaxRunsLimit = 200;

  ApiService(std::vector<Site> sites, std::vector<BoardMeta> boards, Store& store,
             Coordinator& coordinator);
  ~ApiService();
  ApiService(const ApiService&) = delete;
  ApiService& operator=(const ApiService&) = delete;

  // Renders every board from the store and subscribes to updates. A store error is
  // returned but the service still starts (boards render as empty until the store is back).
  Status start();
  void stop();

  void register_routes(Router& router);

  BoardCache& cache() { return cache_; }

 private:
  Response serve_rendered(const std::shared_ptr<const RenderedBody>& body,
                          std::string_view cache_control) const;
  Response readyz() const;
  Response runs(const Request& req) const;

  Store& store_;
  Coordinator& coordinator_;
  BoardCache cache_;
  std::unique_ptr<Subscription> subscription_;
  std::atomic<bool> started_{false};
};

}  // namespace mu
