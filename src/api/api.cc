#include "api/api.h"

#include <spdlog/spdlog.h>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <optional>

#include "api/handler_util.h"
#include "api/source_health.h"
#include "pipeline/render.h"

namespace mu {
namespace {
namespace json = boost::json;

constexpr std::string_view kBoardCacheControl = "public, max-age=15, stale-while-revalidate=60";

// A plain decimal in [1, kMaxRunsLimit]; nullopt for anything else ("", "-1", "5x", "1e3").
std::optional<int> parse_runs_limit(std::string_view text) {
  if (text.empty() || text.size() > 4) {
    return std::nullopt;
  }
  int value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') {
      return std::nullopt;
    }
    value = value * 10 + (c - '0');
  }
  if (value < 1 || value > ApiService::kMaxRunsLimit) {
    return std::nullopt;
  }
  return value;
}

json::value iso_or_null(int64_t unix_ms) {
  if (unix_ms <= 0) {
    return nullptr;
  }
  return json::value(iso8601_utc(unix_ms));
}

// {"board": ..., "runs": [...], "success_rate": ...}; see docs/api.md.
std::string render_runs(const std::string& board, const std::vector<RunRecord>& runs) {
  json::array list;
  list.reserve(runs.size());
  int ok = 0;
  for (const RunRecord& run : runs) {
    const bool succeeded = run.status == "ok";
    if (succeeded) {
      ++ok;
    }
    json::object o;
    o["dispatch_id"] = run.dispatch_id;
    o["slot"] = iso_or_null(run.slot * 1000);
    o["epoch"] = run.epoch;
    o["attempt"] = run.stats.attempt;
    o["status"] = succeeded ? "ok" : "error";
    if (!succeeded) {
      o["error_code"] = run.status;
      if (!run.error_message.empty()) {
        o["error"] = run.error_message;
      }
    }
    o["started_at"] = iso_or_null(run.stats.started_ms);
    o["finished_at"] = iso_or_null(run.stats.finished_ms);
    o["duration_ms"] = std::max<int64_t>(run.stats.finished_ms - run.stats.started_ms, 0);
    o["http_status"] = run.stats.http_status;
    o["bytes"] = run.stats.bytes;
    o["item_count"] = run.stats.item_count;
    o["collector"] = run.stats.collector;
    list.push_back(std::move(o));
  }
  json::object root;
  root["board"] = board;
  root["runs"] = std::move(list);
  BoardState window;
  window.recent_runs = static_cast<int>(runs.size());
  window.recent_ok = ok;
  if (auto rate = success_rate(window)) {
    root["success_rate"] = *rate;
  } else {
    root["success_rate"] = nullptr;
  }
  return json::serialize(root);
}

// data of a board-updated event: {"board":"weibo.hot-search","version":123}.
std::string board_updated_json(const BoardUpdated& e) {
  std::string out = R"({"board":)";
  append_json_string(out, e.board);
  out += R"(,"version":)";
  out += std::to_string(e.version);
  out += '}';
  return out;
}

// data of a board-checked event: the board's new version, times and success rate, e.g.
// {"board":"weibo.hot-search","version":124,"fetched_at":"2026-12-06T03:10:00.000Z",
//  "last_run_at":"…","due_by":"…","success_rate":1}.
std::string board_checked_json(const std::string& board, const BoardRefresh& r) {
  json::object o;
  o["board"] = board;
  o["version"] = r.version;
  o["fetched_at"] = handler::time_or_null(r.fetched_at_ms);
  o["last_run_at"] = handler::time_or_null(r.last_run_at_ms);
  o["due_by"] = handler::time_or_null(r.due_by_ms);
  if (r.success_rate) {
    o["success_rate"] = *r.success_rate;
  } else {
    o["success_rate"] = nullptr;
  }
  return json::serialize(o);
}

// "a,b,c" -> {"a","b","c"} (empty parts dropped).
std::vector<std::string> split_list(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    const size_t comma = text.find(',');
    std::string_view part = text.substr(0, comma);
    if (!part.empty()) out.emplace_back(part);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return out;
}

// A plain decimal in [lo, hi]; nullopt otherwise.
std::optional<size_t> parse_count(std::string_view text, size_t lo, size_t hi) {
  if (text.empty() || text.size() > 9) return std::nullopt;
  size_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<size_t>(c - '0');
  }
  if (value < lo || value > hi) return std::nullopt;
  return value;
}

}  // namespace

Result<CatalogueQuery> parse_catalogue_query(const Request& req) {
  CatalogueQuery q;
  for (const auto& [name, value] : req.query_params) {
    if (name == "site") {
      q.sites = split_list(value);
    } else if (name == "kind") {
      q.kind = parse_board_kind(value);
      if (!q.kind) return error(ErrorCode::kInvalid, "kind must be rank or stream");
    } else if (name == "q") {
      if (value.size() > ApiService::kMaxQueryBytes) {
        return error(ErrorCode::kInvalid,
                     "q is longer than " + std::to_string(ApiService::kMaxQueryBytes) + " bytes");
      }
      q.text = value;
    } else if (name == "ids") {
      q.ids = split_list(value);
      if (q.ids.size() > ApiService::kMaxCatalogueLimit) {
        return error(
            ErrorCode::kInvalid,
            "ids lists more than " + std::to_string(ApiService::kMaxCatalogueLimit) + " boards");
      }
    } else if (name == "limit") {
      auto n = parse_count(value, 1, ApiService::kMaxCatalogueLimit);
      if (!n) {
        return error(ErrorCode::kInvalid, "limit must be a whole number from 1 to " +
                                              std::to_string(ApiService::kMaxCatalogueLimit));
      }
      q.limit = *n;
    } else if (name == "offset") {
      auto n = parse_count(value, 0, 100'000'000);
      if (!n) return error(ErrorCode::kInvalid, "offset must be a whole number from 0");
      q.offset = *n;
    }
    // Other parameters (cache busters and the like) are ignored.
  }
  return q;
}

ApiService::ApiService(std::vector<Site> sites, std::vector<BoardMeta> boards, BoardStore& store,
                       Coordinator& coordinator, ApiOptions options)
    : clock_(options.clock != nullptr ? *options.clock : system_clock_),
      store_(store),
      coordinator_(coordinator),
      cache_(std::move(sites), std::move(boards), store,
             options.clock != nullptr ? *options.clock : system_clock_, options.cache),
      events_(std::move(options.events)) {}

ApiService::~ApiService() { stop(); }

Status ApiService::start() {
  subscription_ = coordinator_.subscribe(
      [this](const BoardUpdated& e) {
        Result<BoardRefresh> r = cache_.refresh(e.board);
        if (!r.ok()) {
          spdlog::warn("api: keeping the previous body of {}: {}", e.board, r.status().to_string());
          return;
        }
        // Only now: a client that refetches on this event must get the new body. A run
        // that fetched what the board already shows moves only its times: clients get them
        // in the event and need not refetch.
        if (r->shown_changed) {
          events_.publish("board-updated", board_updated_json(e));
        } else {
          events_.publish("board-checked", board_checked_json(e.board, *r));
        }
      },
      [this] {
        // Events may have been lost while the subscription was down: reload what changed
        // meanwhile, and tell the SSE clients to refetch what they show.
        Status s = cache_.refresh_changed().status();
        if (!s.ok()) spdlog::warn("api: resync after reconnect: {}", s.to_string());
        events_.publish("resync", R"({"reason":"reconnect"})");
      });
  Status s = cache_.refresh_all();
  started_ = true;
  return s;
}

Status ApiService::resync() {
  auto changed = cache_.refresh_changed();
  if (!changed.ok()) return changed.status();
  for (const auto& id : *changed) {
    events_.publish("board-updated", board_updated_json(BoardUpdated{id, 0}));
  }
  return ok_status();
}

void ApiService::announce_board_changed(const std::string& board) {
  events_.publish("board-updated", board_updated_json(BoardUpdated{board, 0}));
}

void ApiService::stop() {
  subscription_.reset();
  events_.close_all();
}

Response ApiService::serve_rendered(const std::shared_ptr<const RenderedBody>& body,
                                    std::string_view cache_control) const {
  if (!body) return json_error(503, "unavailable", "not rendered yet; try again shortly");
  Response r = json_response(200, body->json);
  r.gzip_body = body->gzip;
  r.etag = body->etag;
  r.set_header("Cache-Control", cache_control);
  return r;
}

Response ApiService::readyz() const {
  if (!started_) return json_error(503, "unavailable", "starting");
  auto fence = store_.fence_epoch();
  if (!fence.ok()) return json_error(503, "unavailable", "store: " + fence.error_message());
  // Started with the store down: the boards it could not read have no body yet (the
  // resync renders them); until then this instance would answer 503 for them.
  const size_t rendered = cache_.rendered();
  if (rendered < cache_.size()) {
    return json_error(503, "unavailable",
                      "rendered " + std::to_string(rendered) + " of " +
                          std::to_string(cache_.size()) + " boards");
  }
  return json_response(200, std::string(R"({"status":"ready"})"));
}

void ApiService::register_routes(Router& router) {
  router.add(HttpMethod::kGet, "/healthz",
             [](const Request&) { return json_response(200, std::string(R"({"status":"ok"})")); });
  router.add(HttpMethod::kGet, "/readyz", [this](const Request&) { return readyz(); });
  router.add(HttpMethod::kGet, "/api/v1/sites", [this](const Request&) {
    return serve_rendered(cache_.sites(), "public, max-age=300");
  });
  router.add(HttpMethod::kGet, "/api/v1/boards",
             [this](const Request& req) { return boards(req); });
  router.add(HttpMethod::kGet, "/api/v1/boards/{id}", [this](const Request& req) {
    std::string id(req.param("id"));
    if (!cache_.known(id)) return json_error(404, "not-found", "no board \"" + id + "\"");
    const auto body = cache_.board(id);
    return serve_rendered(
        body, body && !body->cache_control.empty() ? body->cache_control : kBoardCacheControl);
  });
  router.add(HttpMethod::kGet, "/api/v1/health/boards",
             [this](const Request&) { return health(); });
  router.add(HttpMethod::kGet, "/api/v1/boards/{id}/runs",
             [this](const Request& req) { return runs(req); });
  router.add(HttpMethod::kGet, "/api/v1/events", [this](const Request& req) {
    // A reader with a session cookie is counted online through the session (not checked
    // here: a forged cookie only hides the reader from the anonymous count).
    const bool signed_in = req.header("Cookie").find("mu_session=") != std::string_view::npos;
    auto stream = events_.subscribe(signed_in);
    if (!stream.ok()) {
      spdlog::debug("api: refusing an event stream: {}", stream.status().to_string());
      Response r = json_error(503, "unavailable", stream.error_message());
      r.set_header("Retry-After", "30");
      r.set_header("Cache-Control", "no-store");
      return r;
    }
    return event_stream_response(std::move(stream).value());
  });
}

Response ApiService::health() const {
  {
    std::lock_guard lock(health_mu_);
    const MonoTime now = clock_.mono();
    const bool trends_due = !trends_tried_ || now - trends_at_ >= kTrendsEvery;
    if (!trends_due) {
      if (!health_ || now - health_at_ >= kHealthEvery) {
        health_ = std::make_shared<const RenderedBody>(
            make_rendered(render_health(cache_.health(), trends_.get(), clock_.now_ms())));
        health_at_ = now;
      }
      return serve_rendered(health_, "public, max-age=5");
    }
  }
  // The week's tallies are due: read them off the io threads, then render.
  return defer_response([this]() -> Response {
    const int64_t now_ms = clock_.now_ms();
    const int64_t since = trend_since(now_ms);
    auto tallies = store_.run_tallies(since, kTrendBucketMs);
    std::lock_guard lock(health_mu_);
    const MonoTime now = clock_.mono();
    trends_tried_ = true;
    if (tallies.ok()) {
      trends_ = std::make_shared<const RunTrends>(run_trends(since, *tallies));
      trends_at_ = now;
    } else {
      spdlog::warn("api: run tallies for source health: {}", tallies.status().to_string());
      trends_at_ = now - kTrendsEvery + kTrendsRetry;  // keep what was read, retry soon
    }
    health_ = std::make_shared<const RenderedBody>(
        make_rendered(render_health(cache_.health(), trends_.get(), now_ms)));
    health_at_ = now;
    return serve_rendered(health_, "public, max-age=5");
  });
}

Response ApiService::boards(const Request& req) const {
  if (req.query_params.empty()) return serve_rendered(cache_.catalogue(), kBoardCacheControl);
  auto query = parse_catalogue_query(req);
  if (!query.ok()) return json_error(400, "invalid", query.error_message());
  auto body = std::make_shared<const RenderedBody>(cache_.query_catalogue(*query));
  return serve_rendered(body, kBoardCacheControl);
}

Response ApiService::runs(const Request& req) const {
  std::string id(req.param("id"));
  if (!cache_.known(id)) {
    return json_error(404, "not-found", "no board \"" + id + "\"");
  }
  int limit = kDefaultRunsLimit;
  if (std::optional<std::string_view> text = req.query("limit")) {
    std::optional<int> parsed = parse_runs_limit(*text);
    if (!parsed) {
      return json_error(400, "invalid",
                        "limit must be a whole number from 1 to " + std::to_string(kMaxRunsLimit));
    }
    limit = *parsed;
  }
  auto records = store_.runs(id, limit);
  if (!records.ok()) {
    if (records.code() == ErrorCode::kNotFound) {
      return json_error(404, "not-found", "no board \"" + id + "\"");
    }
    spdlog::warn("api: runs of {}: {}", id, records.status().to_string());
    return error_response(records.status());
  }
  Response r = json_response(200, render_runs(id, *records));
  r.set_header("Cache-Control", "no-store");
  return r;
}

}  // namespace mu
