#include "app/wiring.h"

#include <signal.h>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <tuple>

#include "api/admin.h"
#include "api/alerts_service.h"
#include "api/api.h"
#include "api/credentials.h"
#include "api/feed_service.h"
#include "api/home_page.h"
#include "api/metrics_service.h"
#include "api/schedule_follower.h"
#include "api/stats.h"
#include "api/store_login_states.h"
#include "app/alerts_runtime.h"
#include "app/catalogue.h"
#include "app/credential_vault.h"
#include "app/source_workbench.h"
#include "collector/local/local_collector.h"
#include "coord/local/local_coordinator.h"
#include "coord/local/local_rate_limiter.h"
#include "coord/redis/redis_client.h"
#include "core/clock.h"
#include "core/version.h"
#include "fetch/curl_transport.h"
#include "fetch/polite_transport.h"
#include "fetch/replay_transport.h"
#include "http/router.h"
#include "http/server.h"
#include "scheduler/local_control.h"
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

void export_api_metrics(metrics::Registry& registry, ApiService& api, const Clock& clock,
                        const std::atomic<const Server*>& server) {
  export_board_metrics(registry, api.cache(), clock);
  if (Status s = export_event_metrics(registry, api.events()); !s.ok()) {
    spdlog::warn("metrics: {}", s.to_string());
  }
  export_server_metrics(registry, [&server]() -> std::optional<ServerCounters> {
    const Server* s = server.load();
    if (s == nullptr) return std::nullopt;
    return s->counters();
  });
}

Result<std::unique_ptr<Server>> serve_metrics(const Config& config, metrics::Registry& registry,
                                              Router* router) {
  if (!config.metrics.enabled) return std::unique_ptr<Server>();
  MetricsService service(registry);  // its route refers to the registry only
  if (config.metrics.listen.empty()) {
    if (router != nullptr) service.register_routes(*router);
    return std::unique_ptr<Server>();
  }
  Router routes;
  service.register_routes(routes);
  Server::Options opts;
  opts.listen = config.metrics.listen;
  opts.threads = 1;
  auto server = std::make_unique<Server>(opts, std::move(routes));
  if (Status s = server->start(); !s.ok()) return s.with_context("metrics.listen");
  spdlog::info("metrics at http://{}/metrics", config.metrics.listen);
  return server;
}

void export_connection_metrics(metrics::Registry& registry) {
  for (const auto& [name, help, read] :
       {std::tuple<const char*, const char*, uint64_t (*)()>{
            "mu_redis_connection_errors_total",
            "Redis calls of this process that found no usable connection or broke theirs.",
            &redis::redis_connection_errors},
        std::tuple<const char*, const char*, uint64_t (*)()>{
            "mu_postgres_connection_errors_total",
            "Store calls of this process that could not connect to PostgreSQL or lost the "
            "connection.",
            &postgres_connection_errors}}) {
    Status s = registry.collector(name, help, metrics::Type::kCounter, {}, [read = read] {
      return std::vector<metrics::Sample>{{{}, static_cast<double>(read())}};
    });
    if (!s.ok()) spdlog::warn("metrics: {}", s.to_string());
  }
}

QuotaOptions quota_options(const Config& config) {
  QuotaOptions o;
  o.enabled = config.quota.enabled;
  o.anonymous = RateLimit{config.quota.anonymous_per_minute, config.quota.anonymous_burst};
  o.key_default = RateLimit{config.quota.key_per_minute, config.quota.key_burst};
  o.max_keys_per_user = config.quota.max_keys_per_user;
  o.mcp_requires_key = config.quota.mcp_requires_key;
  return o;
}

void export_quota_metrics(metrics::Registry& registry, const QuotaService& quota) {
  Status s = registry.collector(
      "mu_api_quota_requests_total",
      "API requests by quota outcome: admitted, refused (429), invalid_key (401).",
      metrics::Type::kCounter, {"outcome"}, [&quota] {
        const QuotaCounters c = quota.counters();
        return std::vector<metrics::Sample>{{{"admitted"}, static_cast<double>(c.admitted)},
                                            {{"refused"}, static_cast<double>(c.refused)},
                                            {{"invalid_key"}, static_cast<double>(c.invalid_keys)}};
      });
  if (!s.ok()) spdlog::warn("metrics: {}", s.to_string());
}

std::unique_ptr<PeriodicTask> flush_quota_usage(QuotaService& quota) {
  return std::make_unique<PeriodicTask>(std::chrono::seconds(10), [&quota] {
    if (Status s = quota.flush_usage(); !s.ok()) {
      spdlog::warn("quota: API key usage not saved yet: {}", s.to_string());
    }
  });
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

AlertsOptions alerts_options(const Config& config) {
  AlertsOptions o;
  o.max_rules_per_user = config.notify.max_rules_per_user;
  o.max_channels_per_user = config.notify.max_channels_per_user;
  o.telegram_api = config.notify.telegram_api;
  o.public_url = public_origin(config);
  return o;
}

std::string public_origin(const Config& config) {
  if (!config.auth.public_url.empty()) return config.auth.public_url;
  const std::string& listen = config.server.listen;
  const auto colon = listen.rfind(':');
  std::string host = colon == std::string::npos ? listen : listen.substr(0, colon);
  const std::string port = colon == std::string::npos ? "" : listen.substr(colon);
  if (host.empty() || host == "0.0.0.0" || host == "[::]") host = "localhost";
  return "http://" + host + port;
}

FeedServiceOptions feed_options(const Config& config, HistoryStore& history) {
  FeedServiceOptions o;
  o.public_url = public_origin(config);
  o.history = &history;
  return o;
}

Result<AccountsOptions> accounts_options(const Config& config) {
  const auto& a = config.auth;
  if (!a.github_client_id.empty() && a.github_client_secret.empty()) {
    return error(ErrorCode::kConfig,
                 "auth.github_client_id is set but auth.github_client_secret is not (set "
                 "MU_AUTH_GITHUB_CLIENT_SECRET)");
  }
  AccountsOptions o;
  const std::string origin = public_origin(config);
  o.github.client_id = a.github_client_id;
  o.github.client_secret = a.github_client_secret;
  o.github.authorize_url = a.github_authorize_url;
  o.github.token_url = a.github_token_url;
  o.github.api_url = a.github_api_url;
  o.github.redirect_uri = origin + "/auth/github/callback";
  o.admins = a.admins;
  o.secure_cookies = origin.rfind("https://", 0) == 0;
  o.allowed_origins = config.server.cors_origins;
  o.self_origin = origin;
  o.session_ttl = a.session_ttl;
  o.local_admin_link_ttl = a.local_admin_link_ttl;
  o.max_favorites = a.max_favorites;
  o.write_rate.per_second = static_cast<double>(a.write_rate);
  o.write_rate.burst = static_cast<double>(a.write_burst);
  return o;
}

StoreLoginStates::Options login_states_options(const Config& config) {
  StoreLoginStates::Options o;
  o.max_per_client = config.auth.pending_logins_per_client;
  o.max_total = config.auth.pending_logins_max;
  return o;
}

Result<HistoryServiceOptions> history_options(const Config& config) {
  if (!day_window("2026-01-01", config.history.time_zone).ok()) {
    return Status(ErrorCode::kConfig, "history.time_zone: \"" + config.history.time_zone +
                                          "\" is not a known time zone (an IANA name such as "
                                          "Asia/Shanghai or UTC)");
  }
  HistoryServiceOptions o;
  o.default_tz = config.history.time_zone;
  return o;
}

McpOptions mcp_options(const Config& config) {
  McpOptions o;
  o.server_version = std::string(kVersion);
  o.allowed_origins = config.server.cors_origins;
  return o;
}

void set_history_retention(const Config& config, HistoryStore& store, Scheduler::Options& o) {
  o.history = &store;
  o.history_full_days = config.history.full_days;
  o.history_keep_days = config.history.keep_days;
}

Result<std::unique_ptr<Transport>> make_github_transport() {
  CurlTransport::Options opts;
  opts.allow_private_networks = true;
  MU_ASSIGN_OR_RETURN(auto curl, CurlTransport::create(opts));
  return std::unique_ptr<Transport>(std::move(curl));
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

sigset_t block_shutdown_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

std::unique_ptr<PeriodicTask> follow_schedules(const std::vector<BoardMeta>& boards, Store& store,
                                               ApiService& api) {
  auto follower = std::make_shared<ScheduleFollower>(boards, store, api.cache());
  return std::make_unique<PeriodicTask>(
      std::chrono::seconds(1), [follower, &api, failing = false]() mutable {
        auto changed = follower->poll();
        if (!changed.ok()) {
          // Once per outage, not once a second.
          if (!failing) spdlog::warn("api: schedule overrides: {}", changed.status().to_string());
          failing = true;
          return;
        }
        failing = false;
        for (const auto& id : *changed) api.announce_board_changed(id);
      });
}

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

  // What GET /metrics reports; the collectors below read the objects made after it.
  metrics::Registry registry;
  metrics::export_process_metrics(registry);
  export_connection_metrics(registry);

  Scheduler::Options sched_opts;
  sched_opts.workers = config.scheduler.workers;
  sched_opts.retry_base = config.scheduler.retry_base;
  sched_opts.keep_snapshots = config.storage.keep_snapshots;
  sched_opts.keep_runs_days = config.storage.keep_runs_days;
  set_history_retention(config, **store, sched_opts);
  sched_opts.metrics = &registry;
  // The console's cookies and proxies, sealed in the store, opened here for the fetches.
  auto secrets_key = load_secrets_key(config.storage.secrets_key, config.storage.url);
  if (!secrets_key.ok()) {
    spdlog::error("{}", secrets_key.status().to_string());
    return 2;
  }
  CredentialVault vault(catalogue.boards, **store, secrets_key->box.get());
  if (Status s = vault.refresh(); !s.ok()) spdlog::warn("credentials: {}", s.to_string());
  const PeriodicTask vault_refresh(std::chrono::seconds(10), [&vault] {
    if (Status s = vault.refresh(); !s.ok()) spdlog::warn("credentials: {}", s.to_string());
  });
  sched_opts.attach_credentials = [&vault](Dispatch& d) { vault.attach(d); };
  // Alerts: rules run on each committed update, deliveries go out from the store's outbox.
  std::unique_ptr<AlertsRuntime> alerts;
  if (config.notify.enabled) {
    auto made = AlertsRuntime::create(config, **store, catalogue.sites, catalogue.boards,
                                      secrets_key->box.get(), clock);
    if (!made.ok()) {
      spdlog::error("alerts: {}", made.status().to_string());
      return 2;
    }
    alerts = std::move(*made);
    sched_opts.on_commit = [a = alerts.get()](const std::string& board) { a->on_commit(board); };
  }
  auto channel_tests = ChannelTestSender::create(config, clock);
  if (!channel_tests.ok()) {
    spdlog::error("alerts: {}", channel_tests.status().to_string());
    return 2;
  }
  Scheduler scheduler(catalogue.boards, collector, **store, coordinator, clock, sched_opts);
  export_scheduler_metrics(registry, [&scheduler]() -> const Scheduler* { return &scheduler; });
  for (const auto& id : catalogue.disabled) {
    for (const auto& b : catalogue.boards) {
      if (b.id == id) scheduler.update_board(b, false);
    }
  }
  // Schedule changes made in the admin console are stored; they win over the config file.
  LocalSchedulerControl control(scheduler, **store, clock);
  if (auto applied = control.reconcile(); !applied.ok()) {
    spdlog::warn("scheduler: stored overrides: {}", applied.status().to_string());
  } else if (*applied > 0) {
    spdlog::info("scheduler: {} board overrides from the admin console applied", *applied);
  }
  if (Status s = scheduler.load_state(); !s.ok()) spdlog::warn("scheduler: {}", s.to_string());

  auto auth = accounts_options(config);
  if (!auth.ok()) {
    spdlog::error("{}", auth.status().to_string());
    return 2;
  }
  auto history_opts = history_options(config);
  if (!history_opts.ok()) {
    spdlog::error("{}", history_opts.status().to_string());
    return 2;
  }
  auto github_transport = make_github_transport();
  if (!github_transport.ok()) {
    spdlog::error("auth: {}", github_transport.status().to_string());
    return 2;
  }
  ApiOptions api_opts;
  api_opts.cache.disabled = {catalogue.disabled.begin(), catalogue.disabled.end()};
  ApiService api(catalogue.sites, catalogue.boards, **store, coordinator, api_opts);
  if (Status s = api.start(); !s.ok()) spdlog::warn("api: {}", s.to_string());
  std::atomic<const Server*> http_server{nullptr};
  export_api_metrics(registry, api, clock, http_server);
  // Live schedule changes from the console or `mu ctl` reach this instance's pages.
  const auto following = follow_schedules(catalogue.boards, **store, api);
  // Sign-ins in progress live in the store, like everything a restart must not lose.
  StoreLoginStates login_states(**store, clock, login_states_options(config));
  AccountsService accounts(**store, login_states, **github_transport, clock, *auth);
  BuiltinIds builtins;
  {
    Catalogue builtin;
    if (Status s = build_builtin_catalogue(builtin); s.ok()) {
      builtins = builtin_ids(builtin.registry);
    } else {
      spdlog::warn("sources: {}", s.to_string());
    }
  }
  FileSourceWorkbench workbench(config.sources.dir, *fetcher, clock, &config.secrets,
                                std::move(builtins));
  std::set<std::string> groups;
  for (const auto& b : catalogue.boards) groups.insert(b.group);
  AdminService admin(
      catalogue.boards, catalogue.disabled, **store, accounts, control,
      [&scheduler, &sched_opts, &clock, groups, started_ms = clock.now_ms()] {
        CollectorInfo local;
        local.id = "local";
        local.address = "in-process";
        local.started_ms = started_ms;
        local.heartbeat_ms = clock.now_ms();  // in-process: alive whenever it answers
        local.groups.assign(groups.begin(), groups.end());
        local.version = std::string(kVersion);
        local.capacity = sched_opts.workers;
        for (const auto& b : scheduler.snapshot().boards) {
          if (!b.in_flight.empty()) ++local.in_flight;
        }
        return Result<std::vector<CollectorInfo>>(std::vector<CollectorInfo>{local});
      },
      &workbench, clock);
  StatsOptions stats_opts;
  stats_opts.instance = "serve";
  StatsService stats(catalogue.sites.size(), catalogue.boards.size(), std::string(kVersion),
                     **store, api.events(), clock, stats_opts);
  HistoryService history(catalogue.sites, catalogue.boards, **store, *history_opts);
  FeedService feeds(catalogue.sites, catalogue.boards, api.cache(), feed_options(config, **store));
  // Request quotas: token buckets in this process (one process serves every request).
  LocalRateLimiter rate_limiter(clock);
  QuotaService quota(**store, accounts, rate_limiter, clock, quota_options(config));
  export_quota_metrics(registry, quota);
  CredentialsService credentials(
      catalogue.sites, catalogue.boards, **store, **store, accounts, secrets_key->box.get(),
      secrets_key->why_missing, clock, [&vault] { (void)vault.refresh(); },
      make_board_tester(collector, vault, catalogue.boards, clock, {}));
  AlertsService alert_routes(catalogue.sites, catalogue.boards, **store, **store, accounts,
                             api.cache(), &**store, secrets_key->box.get(),
                             secrets_key->why_missing, clock, (*channel_tests)->tester(),
                             alerts_options(config));
  Router router;
  api.register_routes(router);
  quota.register_routes(router);
  alert_routes.register_routes(router);
  credentials.register_routes(router);
  history.register_routes(router);
  feeds.register_routes(router);
  accounts.register_routes(router);
  admin.register_routes(router);
  stats.register_routes(router);
  // POST /mcp: the public read routes as tools for AI agents (docs/mcp.md). The tools call
  // them through a router of their own (`router` itself moves into the server).
  Router public_routes;
  api.register_routes(public_routes);
  history.register_routes(public_routes);
  McpService mcp(public_routes, mcp_options(config));
  mcp.register_routes(router);
  auto metrics_server = serve_metrics(config, registry, &router);
  if (!metrics_server.ok()) {
    spdlog::error("{}", metrics_server.status().to_string());
    return 1;
  }
  if (!router.status().ok()) {
    spdlog::error("routes: {}", router.status().to_string());
    return 1;
  }

  Server::Options server_opts;
  server_opts.listen = config.server.listen;
  server_opts.threads = config.server.threads;
  server_opts.static_dir = config.server.static_dir;
  // The home page carries its first answers (api/home_page.h).
  HomePage home_page(api.cache(), clock);
  server_opts.index_page = [&home_page](const Request& r,
                                        const std::shared_ptr<const std::string>& file) {
    return home_page.page(r, file);
  };
  server_opts.middleware.cors_origins = config.server.cors_origins;
  server_opts.body_limit = config.server.max_body_bytes;
  server_opts.max_connections = config.server.max_connections;
  server_opts.max_connections_per_ip = config.server.max_connections_per_ip;
  server_opts.idle_timeout = config.server.idle_timeout;
  server_opts.stream_max_age = config.server.sse_max_age;
  server_opts.trusted_proxies = config.server.trusted_proxies;
  server_opts.admit = [&quota](const Request& r) { return quota.admit(r); };
  Server server(server_opts, std::move(router));
  const auto usage_flush = flush_quota_usage(quota);
  if (Status s = server.start(); !s.ok()) {
    spdlog::error("server: {}", s.to_string());
    return 1;
  }
  http_server.store(&server);
  if (config.scheduler.enabled) scheduler.start();
  if (alerts) alerts->start();

  std::string host = config.server.listen.substr(0, config.server.listen.rfind(':'));
  if (host.empty() || host == "0.0.0.0") host = "localhost";
  spdlog::info("Mu {} serving {} boards on {} sites at http://{}:{}/ (storage {})", kVersion,
               catalogue.boards.size(), catalogue.sites.size(), host, server.port(),
               config.storage.url);
  if (config.auth.local_admin_link) {
    auto admins = (*store)->count_admins();
    if (admins.ok() && *admins == 0) {
      // Printed, not logged: the link is a credential until it is used.
      const std::string token = accounts.arm_local_admin_link();
      std::printf(
          "\nNo admin yet. Open this one-time link to sign in as the local admin:\n"
          "  http://%s:%d/auth/local?token=%s\n\n",
          host.c_str(), static_cast<int>(server.port()), token.c_str());
      std::fflush(stdout);
    }
  }

  // This instance's anonymous readers for the online count (5-minute peak, every 30 s).
  std::mutex report_mu;
  std::condition_variable report_cv;
  bool stopping = false;
  std::thread reporter([&] {
    std::unique_lock lock(report_mu);
    do {
      lock.unlock();
      if (Status s = stats.report(); !s.ok()) spdlog::warn("stats: {}", s.to_string());
      lock.lock();
    } while (!report_cv.wait_for(lock, std::chrono::seconds(30), [&] { return stopping; }));
  });

  int sig = 0;
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
    int applied = 0;
    for (const auto& b : next.boards) {
      if (catalogue.registry.find(b.id) == nullptr) {
        spdlog::warn("SIGHUP: new board {} needs a restart", b.id);
        continue;
      }
      if (Status s = control.reload_board(b, next.disabled.count(b.id) == 0); !s.ok()) {
        spdlog::warn("SIGHUP: {}: {}", b.id, s.to_string());
      } else {
        ++applied;
      }
    }
    std::vector<BoardMeta> running_boards;
    for (const auto& b : next.boards) {
      if (catalogue.registry.find(b.id) != nullptr) running_boards.push_back(b);
    }
    admin.set_catalogue(std::move(running_boards), next.disabled);
    spdlog::info("SIGHUP: configuration reloaded, {} boards applied", applied);
  }
  spdlog::info("received {}, shutting down", sig == SIGINT ? "SIGINT" : "SIGTERM");
  // Reverse order of start: stop taking requests, finish running fetches, then release.
  {
    std::lock_guard lock(report_mu);
    stopping = true;
  }
  report_cv.notify_all();
  reporter.join();
  if (*metrics_server) (*metrics_server)->stop();
  server.stop();
  http_server.store(nullptr);
  (void)quota.flush_usage();  // the last counts; a failure was logged by the periodic flush
  scheduler.stop();
  if (alerts) alerts->stop();
  api.stop();
  spdlog::info("stopped cleanly");
  return 0;
}

}  // namespace mu
