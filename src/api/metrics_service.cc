#include "api/metrics_service.h"

#include <array>
#include <string>
#include <utility>

namespace mu {

void MetricsService::register_routes(Router& router) {
  router.add(HttpMethod::kGet, "/metrics", [&registry = registry_](const Request&) {
    Response r;
    r.status = 200;
    r.body = registry.render();
    r.set_header("Content-Type", std::string(metrics::Registry::kContentType));
    r.set_header("Cache-Control", "no-store");
    return r;
  });
}

void export_server_metrics(metrics::Registry& registry,
                           std::function<std::optional<ServerCounters>()> counters) {
  registry.raw_collector([counters = std::move(counters)](metrics::Writer& w) {
    const std::optional<ServerCounters> c = counters();
    if (!c) return;
    static const std::vector<std::string> kRequestLabels = {"route", "method", "code"};
    static const std::vector<std::string> kRouteLabel = {"route"};
    static constexpr std::array<std::string_view, 8> kMethods = {
        "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "other"};
    w.family("http_requests_total",
             "HTTP responses written, by route pattern, method and status "
             "class.",
             metrics::Type::kCounter);
    for (const RouteCounters& r : c->routes) {
      for (size_t m = 0; m < r.responses.size(); ++m) {
        for (size_t k = 1; k < r.responses[m].size(); ++k) {
          if (r.responses[m][k] == 0) continue;
          w.sample("http_requests_total", kRequestLabels,
                   {r.route, std::string(kMethods[m]), std::to_string(k) + "xx"},
                   static_cast<double>(r.responses[m][k]));
        }
      }
    }
    w.family("http_request_duration_seconds",
             "Time from a request's arrival to its response being ready to send, by route pattern "
             "(event streams not included).",
             metrics::Type::kHistogram);
    for (const RouteCounters& r : c->routes) {
      if (r.latency.count == 0) continue;
      w.histogram("http_request_duration_seconds", kRouteLabel, {r.route},
                  metrics::latency_buckets(), r.latency);
    }
    w.family("http_connections_open", "Connections open now.", metrics::Type::kGauge);
    w.sample("http_connections_open", {}, {}, static_cast<double>(c->active_connections));
    w.family("http_connections_accepted_total", "Connections accepted.", metrics::Type::kCounter);
    w.sample("http_connections_accepted_total", {}, {},
             static_cast<double>(c->connections_accepted));
    w.family("http_refused_total",
             "Connections or event streams refused with 503 over a cap, and deferred work "
             "refused because the blocking pool's queue was full.",
             metrics::Type::kCounter);
    static const std::vector<std::string> kWhat = {"what"};
    w.sample("http_refused_total", kWhat, {"connection"},
             static_cast<double>(c->refused_connections));
    w.sample("http_refused_total", kWhat, {"stream"}, static_cast<double>(c->refused_streams));
    w.sample("http_refused_total", kWhat, {"deferred"}, static_cast<double>(c->deferred_rejected));
    w.family("http_timeouts_total", "Connections closed by an idle or request timeout.",
             metrics::Type::kCounter);
    w.sample("http_timeouts_total", {}, {}, static_cast<double>(c->timeouts));
    w.family("http_handler_exceptions_total", "Handlers that threw (answered 500).",
             metrics::Type::kCounter);
    w.sample("http_handler_exceptions_total", {}, {}, static_cast<double>(c->handler_exceptions));
  });
}

Status export_event_metrics(metrics::Registry& registry, const EventHub& events) {
  return registry.collector(
      "mu_sse_clients", "Event-stream (SSE) clients connected now.", metrics::Type::kGauge,
      {"kind"}, [&events] {
        const auto all = events.open_streams();
        const auto anonymous = events.open_anonymous_streams();
        return std::vector<metrics::Sample>{
            {{"anonymous"}, static_cast<double>(anonymous)},
            {{"signed_in"}, static_cast<double>(all >= anonymous ? all - anonymous : 0)}};
      });
}

void export_board_metrics(metrics::Registry& registry, const BoardCache& cache,
                          const Clock& clock) {
  registry.raw_collector([&cache, &clock](metrics::Writer& w) {
    const std::vector<BoardHealth> boards = cache.health();
    const int64_t now = clock.now_ms();
    static const std::vector<std::string> kBoard = {"board", "site"};
    w.family("mu_board_data_age_seconds",
             "Age of the board's last good data (boards never fetched are left out).",
             metrics::Type::kGauge);
    for (const BoardHealth& b : boards) {
      if (b.fetched_at_ms <= 0) continue;
      w.sample("mu_board_data_age_seconds", kBoard, {b.board, b.site},
               static_cast<double>(std::max<int64_t>(0, now - b.fetched_at_ms)) / 1000.0);
    }
    w.family("mu_board_interval_seconds",
             "The board's fetch interval (0 for a cron schedule); compare with the data age.",
             metrics::Type::kGauge);
    for (const BoardHealth& b : boards) {
      w.sample("mu_board_interval_seconds", kBoard, {b.board, b.site},
               static_cast<double>(b.every_ms) / 1000.0);
    }
    w.family("mu_board_stale",
             "1 when the board's last run failed (its last good data is "
             "still served).",
             metrics::Type::kGauge);
    for (const BoardHealth& b : boards) {
      w.sample("mu_board_stale", kBoard, {b.board, b.site}, b.stale ? 1 : 0);
    }
    w.family("mu_board_enabled", "1 when the board is fetched on its schedule.",
             metrics::Type::kGauge);
    for (const BoardHealth& b : boards) {
      w.sample("mu_board_enabled", kBoard, {b.board, b.site}, b.enabled ? 1 : 0);
    }
    w.family("mu_board_items", "Items in the board's last good data.", metrics::Type::kGauge);
    for (const BoardHealth& b : boards) {
      w.sample("mu_board_items", kBoard, {b.board, b.site}, b.items);
    }
    w.family("mu_board_success_ratio",
             "Share of the board's newest runs (up to 20) that succeeded.", metrics::Type::kGauge);
    for (const BoardHealth& b : boards) {
      if (!b.success_rate) continue;
      w.sample("mu_board_success_ratio", kBoard, {b.board, b.site}, *b.success_rate);
    }
  });
}

}  // namespace mu
