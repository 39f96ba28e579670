// ApiService: Mu's public HTTP API (v1) on top of the Router — sites, boards, one board,
// a board's run history, live events (GET /api/v1/events, Server-Sent Events), health and
// readiness. Board bodies come from the BoardCache, which it keeps current by subscribing
// to board-updated events; each event is passed on to the SSE clients (EventHub) only
// after the cache re-rendered the board, so a client that refetches on the event gets the
// new body. Handlers are quick and safe to call from any io thread: the board paths never
// touch the store; GET /api/v1/health/boards (api/source_health.h) reads the cache too; the
// run history (GET /api/v1/boards/{id}/runs, an admin/diagnostic
// endpoint answered with `Cache-Control: no-store`) reads at most kMaxRunsLimit indexed
// rows per request.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <vector>

#include "api/board_cache.h"
#include "api/event_hub.h"
#include "coord/coordinator.h"
#include "core/clock.h"
#include "http/router.h"
#include "store/store.h"

namespace mu {
struct RunTrends;  // api/source_health.h
}

namespace mu {

struct ApiOptions {
  EventHubOptions events;        // GET /api/v1/events: stream limit, queue, heartbeat, retry
  BoardCacheOptions cache;       // how often the whole catalogue is re-assembled
  const Clock* clock = nullptr;  // nullptr: the system clock
};

// The query of GET /api/v1/boards (site=a,b kind=rank|stream q=text ids=a,b limit= offset=);
// kInvalid names the bad parameter.
Result<CatalogueQuery> parse_catalogue_query(const Request& req);

class ApiService {
 public:
  // ?limit= of GET /api/v1/boards/{id}/runs: default and largest accepted value.
  static constexpr int kDefaultRunsLimit = 20;
  static constexpr int kMaxRunsLimit = 200;
  // GET /api/v1/boards: the largest ?limit= and ?ids= count, the longest ?q=.
  static constexpr size_t kMaxCatalogueLimit = 1000;
  static constexpr size_t kMaxQueryBytes = 200;

  ApiService(std::vector<Site> sites, std::vector<BoardMeta> boards, BoardStore& store,
             Coordinator& coordinator, ApiOptions options = {});
  ~ApiService();
  ApiService(const ApiService&) = delete;
  ApiService& operator=(const ApiService&) = delete;

  // Renders every board from the store and subscribes to updates. A store error is
  // returned but the service still starts (boards render as empty until the store is back).
  // Board updates then reach SSE clients as `board-updated` events, and a resync of the
  // subscription (events may have been lost) as a `resync` event.
  Status start();
  // Unsubscribes and closes the event streams (later GET /api/v1/events answer 503).
  void stop();

  void register_routes(Router& router);

  BoardCache& cache() { return cache_; }
  // Re-renders the boards whose state in the store changed since they were rendered (one
  // query for every board's state, then only those boards) and sends `board-updated` to the
  // SSE clients for each: the periodic safety net of `mu api` for board-updated messages
  // lost on the way (pub/sub is lossy). Returns the store error, if any.
  Status resync();
  // Tells the SSE clients that `board` changed (its body was re-rendered outside an update,
  // e.g. a live schedule change), so they refetch it.
  void announce_board_changed(const std::string& board);
  // The SSE streams: open_streams() counts the readers connected right now.
  EventHub& events() { return events_; }

 private:
  Response serve_rendered(const std::shared_ptr<const RenderedBody>& body,
                          std::string_view cache_control) const;
  Response readyz() const;
  Response runs(const Request& req) const;

  Response boards(const Request& req) const;
  // GET /api/v1/health/boards, rendered at most once per kHealthEvery.
  Response health() const;

  SystemClock system_clock_;
  const Clock& clock_;
  BoardStore& store_;
  Coordinator& coordinator_;
  BoardCache cache_;
  EventHub events_;
  std::unique_ptr<Subscription> subscription_;
  std::atomic<bool> started_{false};
  static constexpr std::chrono::seconds kHealthEvery{5};
  // The week of run tallies behind the health page's rates and trends: read from the store
  // at most this often (one grouped query over a week of runs on runs_finished, tens of ms),
  // on the blocking pool; a failed read keeps the last tallies and is retried sooner.
  static constexpr std::chrono::seconds kTrendsEvery{30};
  static constexpr std::chrono::seconds kTrendsRetry{15};
  mutable std::mutex health_mu_;
  mutable std::shared_ptr<const RenderedBody> health_;  // by health_mu_
  mutable MonoTime health_at_{};                        // by health_mu_
  mutable std::shared_ptr<const RunTrends> trends_;     // by health_mu_; null: never read
  mutable MonoTime trends_at_{};                        // by health_mu_
  mutable bool trends_tried_ = false;                   // by health_mu_
};

}  // namespace mu
