// MetricsService: GET /metrics in the Prometheus text format (core/metrics.h), and the
// scrape-time collectors of what the API side knows: the HTTP server's responses per route
// (counts by method and status class, latency histogram), event-stream clients, and per
// board the age of its data, whether it is stale or disabled, and its items.
//
// Board metrics carry a `board` label (one series per board and metric: 78 boards give a
// few hundred series; 10,000 boards give tens of thousands, which Prometheus handles but an
// operator may prefer to drop with metric_relabel_configs).
// Thread-safety: everything is safe for concurrent use once registered.
#pragma once

#include <functional>

#include "api/board_cache.h"
#include "api/event_hub.h"
#include "core/clock.h"
#include "core/metrics.h"
#include "http/router.h"
#include "http/server.h"

namespace mu {

class MetricsService {
 public:
  explicit MetricsService(metrics::Registry& registry) : registry_(registry) {}
  // GET /metrics; the route refers to the registry only (this object may go away).
  void register_routes(Router& router);

 private:
  metrics::Registry& registry_;
};

// http_requests_total{route,method,code} ("2xx"…), http_request_duration_seconds{route},
// http_connections_open, http_connections_refused_total, http_timeouts_total.
// `counters` is read at each scrape (it may return nothing before the server starts).
void export_server_metrics(metrics::Registry& registry,
                           std::function<std::optional<ServerCounters>()> counters);
// mu_sse_clients{kind="anonymous"|"signed_in"}.
Status export_event_metrics(metrics::Registry& registry, const EventHub& events);
// mu_board_data_age_seconds, mu_board_stale, mu_board_enabled, mu_board_items,
// mu_board_success_ratio, each per board.
void export_board_metrics(metrics::Registry& registry, const BoardCache& cache, const Clock& clock);

}  // namespace mu
