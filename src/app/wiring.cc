#include "app/wiring.h"

#include <signal.h>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <functional>
#include <optional>
#include <thread>

#include "api/api.h"
#include "app/catalogue.h"
#include "collector/local/local_collector.h"
#include "coord/local/local_coordinator.h"
#include "core/clock.h"
#include "core/version.h"
#include "fetch/curl_transport.h"
#include "fetch/polite_transport.h"
#include "fetch/replay_transport.h"
#include "http/router.h"
#include "http/server.h"
#include "scheduler/scheduler.h"
#include "store/postgres/postgres_store.h"
#include "store/sqlite/sqlite_store.h"

namespace mu {

void setup_logging(const std::string& level) {
  auto logger = spdlog::stderr_color_mt("mu");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(level));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
}

Result<std::unique_ptr<Store>> open_store(const Config& config) {
  const std::string& url = config.storage.url;
  static constexpr std::string_view kSqlite = "sqlite://";
  if (url.rfind(kSqlite, 0) == 0) {
    std::string path = url.substr(kSqlite.size());
    if (path.empty()) return error(ErrorCode::kConfig, "storage.url: sqlite:// needs a path");
    return open_sqlite_store(path);
  }
  if (url.rfind("postgres://", 0) == 0 || url.rfind("postgresql://", 0) == 0) {
    return open_postgres_store(url);
  }
  return error(ErrorCode::kConfig, "storage.url: \"" + url +
                                       "\" is not supported (use sqlite://PATH or "
                                       "postgresql://USER@HOST:PORT/DB)");
}

namespace {

// Replayed answers that take as long as a slow site (fetch.replay_delay), for cluster tests.
class DelayedTransport final : public Transport {
 public:
  DelayedTransport(std::unique_ptr<Transport> inner, std::chrono::milliseconds delay)
      : inner_(std::move(inner)), delay_(delay) {}
  Result<HttpResponse> fetch(const HttpRequest& request) override {
    std::this_thread::sleep_for(delay_);
    return inner_->fetch(request);
  }

 private:
  std::unique_ptr<Transport> inner_;
  std::chrono::milliseconds delay_;
};

}  // namespace

Result<std::unique_ptr<Transport>> make_transport(const Config& config) {
  if (!config.fetch.replay_dir.empty()) {
    // Several fixture trees may be given, separated by ':' (e.g. built-ins and a user's).
    std::vector<std::filesystem::path> roots;
    std::string_view dirs = config.fetch.replay_dir;
    while (!dirs.empty()) {
      auto colon = dirs.find(':');
      std::string_view one = dirs.substr(0, colon);
      if (!one.empty()) roots.emplace_back(one);
      dirs = colon == std::string_view::npos ? std::string_view() : dirs.substr(colon + 1);
    }
    MU_ASSIGN_OR_RETURN(auto replay, ReplayTransport::load(roots));
    spdlog::info("replaying fixtures from {} ({} responses); no request leaves this machine",
                 config.fetch.replay_dir, replay->size());
    if (config.fetch.replay_delay.count() > 0) {
      return std::unique_ptr<Transport>(
          std::make_unique<DelayedTransport>(std::move(replay), config.fetch.replay_delay));
    }
    return std::unique_ptr<Transport>(std::move(replay));
  }
  CurlTransport::Options opts;
  if (!config.fetch.user_agent.empty()) opts.user_agent = config.fetch.user_agent;
  opts.max_host_connections = config.fetch.max_host_connections;
  opts.proxy = config.fetch.proxy;
  opts.allow_private_networks = config.fetch.allow_private_networks;
  MU_ASSIGN_OR_RETURN(auto curl, CurlTransport::create(opts));
  return std::unique_ptr<Transport>(std::move(curl));
}

namespace {

// Blocks the shutdown signals in every thread started after this call, so that the main
// thread can wait for them with sigwait().
sigset_t block_shutdown_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

}  // namespace

int run_serve(const Config& config, const std::function<Result<Config>()>& reload) {
  sigset_t signals = block_shutdown_signals();
  SystemClock clock;

  Catalogue catalogue;
  if (Status s = build_catalogue(config, catalogue); !s.ok()) {
    spdlog::error("{}", s.to_string());
    return 2;
  }
  for (const auto& e : catalogue.spec_errors) {
    spdlog::error("sources: skipped a broken spec: {}", e.to_string());
  }
  auto store = open_store(config);
  if (!store.ok()) {
    spdlog::error("storage: {}", store.status().to_string());
    return 1;
  }
  if (Status s = (*store)->migrate(); !s.ok()) {
    spdlog::error("storage: migrate: {}", s.to_string());
    return 1;
  }
  if (Status s = (*store)->sync_catalogue(catalogue.sites, catalogue.boards); !s.ok()) {
    spdlog::error("storage: {}", s.to_string());
    return 1;
  }
  auto transport = make_transport(config);
  if (!transport.ok()) {
    spdlog::error("fetch: {}", transport.status().to_string());
    return 2;
  }

  // Real fetches keep a minimum gap between requests to one host, shared by all its boards;
  // replayed fixtures need no politeness.
  SystemSleeper sleeper;
  PolitenessOptions politeness;
  politeness.default_gap = config.fetch.host_gap;
  std::optional<PoliteTransport> polite;
  Transport* fetcher = transport->get();
  if (config.fetch.replay_dir.empty()) {
    polite.emplace(**transport, clock, sleeper, politeness);
    fetcher = &*polite;
  }

  LocalCoordinator coordinator;
  LocalCollector::Options collector_opts;
  collector_opts.secrets = config.secrets;
  LocalCollector collector(catalogue.registry, *fetcher, clock, collector_opts);

  ApiService api(catalogue.sites, catalogue.boards, **store, coordinator);
  if (Status s = api.start(); !s.ok()) spdlog::warn("api: {}", s.to_string());
  Router router;
  api.register_routes(router);
  if (!router.status().ok()) {
    spdlog::error("routes: {}", router.status().to_string());
    return 1;
  }

  Server::Options server_opts;
  server_opts.listen = config.server.listen;
  server_opts.threads = config.server.threads;
  server_opts.static_dir = config.server.static_dir;
  server_opts.middleware.cors_origins = config.server.cors_origins;
  server_opts.body_limit = config.server.max_body_bytes;
  Server server(server_opts, std::move(router));
  if (Status s = server.start(); !s.ok()) {
    spdlog::error("server: {}", s.to_string());
    return 1;
  }

  Scheduler::Options sched_opts;
  sched_opts.workers = config.scheduler.workers;
  sched_opts.retry_base = config.scheduler.retry_base;
  sched_opts.keep_snapshots = config.storage.keep_snapshots;
  Scheduler scheduler(catalogue.boards, collector, **store, coordinator, clock, sched_opts);
  for (const auto& id : catalogue.disabled) {
    for (const auto& b : catalogue.boards) {
      if (b.id == id) scheduler.update_board(b, false);
    }
  }
  if (Status s = scheduler.load_state(); !s.ok()) spdlog::warn("scheduler: {}", s.to_string());
  if (config.scheduler.enabled) scheduler.start();

  std::string host = config.server.listen.substr(0, config.server.listen.rfind(':'));
  if (host.empty() || host == "0.0.0.0") host = "localhost";
  spdlog::info("Mu {} serving {} boards on {} sites at http://{}:{}/ (storage {})", kVersion,
               catalogue.boards.size(), catalogue.sites.size(), host, server.port(),
               config.storage.url);

  int sig = 0;
  int64_t config_version = 0;  // boards start at version 0; every reload is newer
  for (;;) {
    sigwait(&signals, &sig);
    if (sig != SIGHUP) break;
    // Reload: schedules and enabled flags of the running boards change live through the
    // scheduler's single entry point. New sources (sources.d) need a restart.
    auto fresh = reload();
    Catalogue next;
    Status built = fresh.ok() ? build_catalogue(*fresh, next) : fresh.status();
    if (!built.ok()) {
      spdlog::error("SIGHUP: {}; keeping the running configuration", built.to_string());
      continue;
    }
    ++config_version;
    int applied = 0;
    for (const auto& b : next.boards) {
      if (catalogue.registry.find(b.id) == nullptr) {
        spdlog::warn("SIGHUP: new board {} needs a restart", b.id);
        continue;
      }
      BoardChange change;
      change.board = b.id;
      change.version = config_version;
      change.meta = b;
      change.enabled = next.disabled.count(b.id) == 0;
      if (Status s = scheduler.apply_change(change); !s.ok()) {
        spdlog::warn("SIGHUP: {}: {}", b.id, s.to_string());
      } else {
        ++applied;
      }
    }
    spdlog::info("SIGHUP: configuration reloaded, {} boards applied", applied);
  }
  spdlog::info("received {}, shutting down", sig == SIGINT ? "SIGINT" : "SIGTERM");
  // Reverse order of start: stop taking requests, finish running fetches, then release.
  server.stop();
  scheduler.stop();
  api.stop();
  spdlog::info("stopped cleanly");
  return 0;
}

}  // namespace mu
