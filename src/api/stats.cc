#include "api/stats.h"

#include <boost/json.hpp>

#include <algorithm>

namespace mu {
namespace json = boost::json;

StatsService::StatsService(std::size_t sites, std::size_t boards, std::string version,
                           AccountStore& store, EventHub& events, const Clock& clock,
                           StatsOptions options)
    : sites_(sites),
      boards_(boards),
      version_(std::move(version)),
      store_(store),
      events_(events),
      clock_(clock),
      options_(std::move(options)) {}

void StatsService::register_routes(Router& router) {
  router.add(HttpMethod::kGet, "/api/v1/stats", [this](const Request&) {
    auto body = stats_json();
    if (!body.ok()) {
      Response r = error_response(body.status());
      r.set_header("Cache-Control", "no-store");
      return r;
    }
    Response r = json_response(200, std::move(body).value());
    r.set_header("Cache-Control", "public, max-age=10");
    return r;
  });
}

Status StatsService::report() {
  const int64_t now = clock_.now_ms();
  const int64_t window_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(options_.window).count();
  std::size_t peak = 0;
  {
    std::lock_guard lock(mu_);
    samples_.emplace_back(now, events_.take_anonymous_peak());
    while (!samples_.empty() && samples_.front().first < now - window_ms) samples_.pop_front();
    for (const auto& [at, n] : samples_) peak = std::max(peak, n);
  }
  return store_.put_presence(options_.instance, static_cast<int64_t>(peak), now);
}

Result<std::string> StatsService::stats_json() {
  const int64_t now = clock_.now_ms();
  const int64_t cache_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(options_.cache_for).count();
  {
    std::lock_guard lock(mu_);
    if (!cached_.empty() && now - cached_at_ms_ < cache_ms && now >= cached_at_ms_) return cached_;
  }
  const int64_t since =
      now - std::chrono::duration_cast<std::chrono::milliseconds>(options_.window).count();
  MU_ASSIGN_OR_RETURN(int64_t sessions, store_.count_active_sessions(since));
  MU_ASSIGN_OR_RETURN(int64_t readers, store_.count_presence(since));
  json::object online{{"total", sessions + readers},
                      {"sessions", sessions},
                      {"readers", readers},
                      {"window_s", options_.window.count()}};
  std::string body = json::serialize(json::object{{"sites", sites_},
                                                  {"boards", boards_},
                                                  {"online", std::move(online)},
                                                  {"version", version_}});
  std::lock_guard lock(mu_);
  cached_ = body;
  cached_at_ms_ = now;
  return body;
}

}  // namespace mu
