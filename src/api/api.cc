#include "api/api.h"

#include <spdlog/spdlog.h>

namespace mu {
namespace {
constexpr std::string_view kBoardCacheControl = "public, max-age=15, stale-while-revalidate=60";
}  // namespace

ApiService::ApiService(std::vector<Site> sites, std::vector<BoardMeta> boards, Store& store,
                       Coordinator& coordinator)
    : store_(store),
      coordinator_(coordinator),
      cache_(std::move(sites), std::move(boards), store) {}

ApiService::~ApiService() { stop(); }

Status ApiService::start() {
  subscription_ = coordinator_.subscribe([this](const BoardUpdated& e) {
    Status s = cache_.refresh(e.board);
    if (!s.ok()) spdlog::warn("api: keeping the previous body of {}: {}", e.board, s.to_string());
  });
  Status s = cache_.refresh_all();
  started_ = true;
  return s;
}

void ApiService::stop() { subscription_.reset(); }

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
  return json_response(200, std::string(R"({"status":"ready"})"));
}

void ApiService::register_routes(Router& router) {
  router.add(HttpMethod::kGet, "/healthz",
             [](const Request&) { return json_response(200, std::string(R"({"status":"ok"})")); });
  router.add(HttpMethod::kGet, "/readyz", [this](const Request&) { return readyz(); });
  router.add(HttpMethod::kGet, "/api/v1/sites", [this](const Request&) {
    return serve_rendered(cache_.sites(), "public, max-age=300");
  });
  router.add(HttpMethod::kGet, "/api/v1/boards", [this](const Request&) {
    return serve_rendered(cache_.catalogue(), kBoardCacheControl);
  });
  router.add(HttpMethod::kGet, "/api/v1/boards/{id}", [this](const Request& req) {
    std::string id(req.param("id"));
    if (!cache_.known(id)) return json_error(404, "not-found", "no board \"" + id + "\"");
    return serve_rendered(cache_.board(id), kBoardCacheControl);
  });
}

}  // namespace mu
