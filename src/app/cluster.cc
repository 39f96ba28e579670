#include "app/cluster.h"

#include <signal.h>
#include <unistd.h>

#include <spdlog/spdlog.h>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <iostream>
#include <mutex>
#include <optional>
#include <thread>

#include "api/admin.h"
#include "api/api.h"
#include "api/credentials.h"
#include "api/feed_service.h"
#include "api/home_page.h"
#include "api/metrics_service.h"
#include "api/stats.h"
#include "api/store_login_states.h"
#include "app/alerts_runtime.h"
#include "app/catalogue.h"
#include "app/credential_vault.h"
#include "app/periodic.h"
#include "app/wiring.h"
#include "collector/local/local_collector.h"
#include "collector/remote/routing_collector.h"
#include "coord/local/local_rate_limiter.h"
#include "coord/redis/redis_coord.h"
#include "coord/redis/redis_rate_limiter.h"
#include "core/clock.h"
#include "core/version.h"
#include "fetch/polite_transport.h"
#include "http/router.h"
#include "http/server.h"
#include "rpc/cluster_scheduler_control.h"
#include "rpc/collector_client.h"
#include "rpc/collector_server.h"
#include "rpc/scheduler_server.h"
#include "scheduler/board_change_json.h"
#include "scheduler/leader_role.h"
#include "scheduler/scheduler.h"

namespace mu {

namespace json = boost::json;
using std::chrono::milliseconds;

std::string default_instance_id(const std::string& role) {
  char host[256] = {};
  if (::gethostname(host, sizeof(host) - 1) != 0) std::snprintf(host, sizeof(host), "host");
  return std::string(host) + "-" + role + "-" + std::to_string(::getpid());
}

namespace {

// Waits for SIGINT or SIGTERM (SIGHUP is ignored by the distributed roles: they take
// schedule changes through the queue).
int wait_for_shutdown(sigset_t& signals) {
  int sig = 0;
  do {
    sigwait(&signals, &sig);
  } while (sig == SIGHUP);
  spdlog::info("received {}, shutting down", sig == SIGINT ? "SIGINT" : "SIGTERM");
  return sig;
}

// Opens the store, retrying while the database is unreachable (a role started before its
// database waits for it instead of exiting), then migrates and syncs the catalogue.
Result<std::unique_ptr<Store>> open_ready_store(const Config& config, const Catalogue& catalogue,
                                                sigset_t& signals) {
  milliseconds backoff(200);
  for (int attempt = 1;; ++attempt) {
    auto store = open_store(config);
    Status s = store.ok() ? (*store)->migrate() : store.status();
    if (s.ok()) s = (*store)->sync_catalogue(catalogue.sites, catalogue.boards);
    if (s.ok()) return store;
    if (s.code() != ErrorCode::kUnavailable && s.code() != ErrorCode::kConflict &&
        s.code() != ErrorCode::kInternal) {
      return s;
    }
    spdlog::warn("storage: {} (attempt {}; retrying in {} ms)", s.to_string(), attempt,
                 backoff.count());
    // Wait for the backoff or a shutdown signal, whichever comes first.
    timespec ts{static_cast<time_t>(backoff.count() / 1000),
                static_cast<long>((backoff.count() % 1000) * 1'000'000)};
    siginfo_t info;
    const int sig = sigtimedwait(&signals, &info, &ts);
    if (sig == SIGINT || sig == SIGTERM) return error(ErrorCode::kUnavailable, "interrupted");
    backoff = std::min(backoff * 2, milliseconds(5000));
  }
}

RedisOptions redis_options(const Config& config) {
  RedisOptions o;
  o.url = config.coordination.url;
  o.prefix = config.coordination.prefix;
  return o;
}

Status need_redis(const Config& config) {
  if (config.coordination.url.rfind("redis://", 0) != 0) {
    return error(ErrorCode::kConfig,
                 "coordination.url: the distributed roles need redis://HOST:PORT (got \"" +
                     config.coordination.url + "\")");
  }
  return ok_status();
}

// The coordinator of an API instance: events only.
class BusCoordinator final : public Coordinator {
 public:
  explicit BusCoordinator(EventBus& bus) : bus_(bus) {}
  int64_t leader_epoch() const override { return 0; }
  Status publish(const BoardUpdated& event) override { return bus_.publish(event); }
  std::unique_ptr<Subscription> subscribe(
      std::function<void(const BoardUpdated&)> callback) override {
    return bus_.subscribe(std::move(callback), nullptr);
  }
  std::unique_ptr<Subscription> subscribe(std::function<void(const BoardUpdated&)> callback,
                                          std::function<void()> on_resync) override {
    return bus_.subscribe(std::move(callback), std::move(on_resync));
  }

 private:
  EventBus& bus_;
};

// The options of `mu scheduler`'s LeaderRole from the configuration.
LeaderRole::Options leader_role_options(const Config& config, const std::string& id) {
  LeaderRole::Options o;
  o.id = id;
  o.elector.ttl = config.coordination.lease_ttl;
  o.elector.renew_every = config.coordination.renew_every;
  o.elector.renew_deadline = config.coordination.renew_deadline;
  o.elector.retry_every = config.coordination.retry_every;
  o.scheduler.workers = config.scheduler.workers;
  o.scheduler.retry_base = config.scheduler.retry_base;
  o.scheduler.keep_snapshots = config.storage.keep_snapshots;
  o.scheduler.keep_runs_days = config.storage.keep_runs_days;
  o.reconcile_every = config.scheduler.reconcile_every;
  return o;
}

Status load_catalogue(const Config& config, Catalogue& catalogue) {
  MU_RETURN_IF_ERROR(build_catalogue(config, catalogue));
  for (const auto& e : catalogue.spec_errors) {
    spdlog::error("sources: skipped a broken spec: {}", e.to_string());
  }
  return ok_status();
}

int fail(const Status& s, const char* what) {
  spdlog::error("{}: {}", what, s.to_string());
  return s.code() == ErrorCode::kConfig || s.code() == ErrorCode::kInvalid ? 2 : 1;
}

}  // namespace

int run_collector(const Config& config, const std::string& id) {
  sigset_t signals = block_shutdown_signals();
  if (Status s = need_redis(config); !s.ok()) return fail(s, "collector");
  SystemClock clock;
  Catalogue catalogue;
  if (Status s = load_catalogue(config, catalogue); !s.ok()) return fail(s, "collector");
  auto transport = make_transport(config);
  if (!transport.ok()) return fail(transport.status(), "fetch");
  SystemSleeper sleeper;
  PolitenessOptions politeness;
  politeness.default_gap = config.fetch.host_gap;
  std::optional<PoliteTransport> polite;
  Transport* fetcher = transport->get();
  if (config.fetch.replay_dir.empty()) {
    polite.emplace(**transport, clock, sleeper, politeness);
    fetcher = &*polite;
  }
  LocalCollector::Options local_opts;
  local_opts.secrets = config.secrets;
  LocalCollector local(catalogue.registry, *fetcher, clock, local_opts);

  auto redis = make_redis_coordination(redis_options(config));
  if (!redis.ok()) return fail(redis.status(), "coordination");

  CollectorServer::Options server_opts;
  server_opts.id = id;
  server_opts.groups = config.collector.groups;
  server_opts.version = std::string(kVersion);
  server_opts.capacity = config.collector.capacity;
  auto server = CollectorServer::start(config.collector.listen, local, server_opts);
  if (!server.ok()) return fail(server.status(), "collector");
  metrics::Registry metrics_registry;
  metrics::export_process_metrics(metrics_registry);
  export_connection_metrics(metrics_registry);
  {
    CollectorServer* collector_server = server->get();
    const int capacity = config.collector.capacity;
    metrics_registry.raw_collector([collector_server, capacity](metrics::Writer& w) {
      w.family("mu_collector_in_flight", "Collects running now.", metrics::Type::kGauge);
      w.sample("mu_collector_in_flight", {}, {}, collector_server->in_flight());
      w.family("mu_collector_capacity", "Collects this collector runs at once.",
               metrics::Type::kGauge);
      w.sample("mu_collector_capacity", {}, {}, capacity);
    });
  }
  auto metrics_server = serve_metrics(config, metrics_registry, nullptr);
  if (!metrics_server.ok()) return fail(metrics_server.status(), "metrics");
  std::string advertise = config.collector.advertise;
  if (advertise.empty()) {
    advertise = config.collector.listen.substr(0, config.collector.listen.rfind(':')) + ":" +
                std::to_string((*server)->port());
  }

  CollectorInfo info;
  info.id = id;
  info.address = advertise;
  info.groups = config.collector.groups;
  info.version = std::string(kVersion);
  info.capacity = config.collector.capacity;
  info.started_ms = clock.now_ms();
  std::mutex mu;
  std::condition_variable cv;
  bool stopping = false;
  std::thread heartbeat([&] {
    bool was_ok = true;
    std::unique_lock lock(mu);
    while (!stopping) {
      lock.unlock();
      info.in_flight = (*server)->in_flight();
      Status s = redis->collectors->heartbeat(info, config.collector.dead_after);
      if (!s.ok() && was_ok) spdlog::warn("collector: heartbeat: {}", s.to_string());
      if (s.ok() && !was_ok) spdlog::info("collector: heartbeat restored");
      was_ok = s.ok();
      lock.lock();
      cv.wait_for(lock, config.collector.heartbeat, [&] { return stopping; });
    }
  });
  spdlog::info("Mu {} collector {} serving groups [{}] at {} (advertised {}), capacity {}",
               kVersion, id, fmt::join(config.collector.groups, ","), config.collector.listen,
               advertise, config.collector.capacity);

  wait_for_shutdown(signals);
  {
    std::lock_guard lock(mu);
    stopping = true;
  }
  cv.notify_all();
  heartbeat.join();
  // Leave the registry first so no new dispatch is routed here, then drain.
  if (Status s = redis->collectors->remove(id); !s.ok()) {
    spdlog::warn("collector: deregister: {}", s.to_string());
  }
  if (*metrics_server) (*metrics_server)->stop();
  (*server)->stop(std::chrono::seconds(10));
  spdlog::info("stopped cleanly");
  return 0;
}

int run_scheduler(const Config& config, const std::string& id) {
  sigset_t signals = block_shutdown_signals();
  if (Status s = need_redis(config); !s.ok()) return fail(s, "scheduler");
  SystemClock clock;
  Catalogue catalogue;
  if (Status s = load_catalogue(config, catalogue); !s.ok()) return fail(s, "scheduler");
  auto redis = make_redis_coordination(redis_options(config));
  if (!redis.ok()) return fail(redis.status(), "coordination");
  auto store = open_ready_store(config, catalogue, signals);
  if (!store.ok()) return fail(store.status(), "storage");

  RoutingCollector router(*redis->collectors, [](const CollectorInfo& c) {
    return std::unique_ptr<Collector>(std::make_unique<GrpcCollector>(c.address));
  });
  RedisLeaseStore& leases = *redis->leases;
  metrics::Registry metrics_registry;
  metrics::export_process_metrics(metrics_registry);
  export_connection_metrics(metrics_registry);
  LeaderRole::Options role_opts = leader_role_options(config, id);
  role_opts.scheduler.metrics = &metrics_registry;
  set_history_retention(config, **store, role_opts.scheduler);
  // The console's cookies and proxies go with each dispatch of the boards they are for.
  auto secrets_key = load_secrets_key(config.storage.secrets_key, config.storage.url);
  if (!secrets_key.ok()) return fail(secrets_key.status(), "storage");
  if (!secrets_key->box) spdlog::info("credentials: {}", secrets_key->why_missing);
  CredentialVault vault(catalogue.boards, **store, secrets_key->box.get());
  if (Status s = vault.refresh(); !s.ok()) spdlog::warn("credentials: {}", s.to_string());
  const PeriodicTask vault_refresh(std::chrono::seconds(10), [&vault] {
    if (Status s = vault.refresh(); !s.ok()) spdlog::warn("credentials: {}", s.to_string());
  });
  role_opts.scheduler.attach_credentials = [&vault](Dispatch& d) { vault.attach(d); };
  // Alerts: the leader's scheduler queues each committed board for the rules; every
  // instance's delivery worker claims due deliveries from the shared outbox (a claim is
  // atomic and leased, so any instance may send and a failover loses nothing).
  std::unique_ptr<AlertsRuntime> alerts;
  if (config.notify.enabled) {
    auto made = AlertsRuntime::create(config, **store, catalogue.sites, catalogue.boards,
                                      secrets_key->box.get(), clock);
    if (!made.ok()) return fail(made.status(), "alerts");
    alerts = std::move(*made);
    role_opts.scheduler.on_commit = [a = alerts.get()](const std::string& board) {
      a->on_commit(board);
    };
  }
  static const metrics::Buckets kRenewBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                 0.1,   0.25,   0.5,   1,    2.5};
  if (auto renew = metrics_registry.histogram("mu_lease_renew_seconds",
                                              "Time a lease renewal took (the Redis round trip).",
                                              {}, kRenewBuckets);
      renew.ok()) {
    role_opts.elector.renew_seconds = &(*renew)->get();
  }
  if (auto failed = metrics_registry.counter("mu_lease_renew_failures_total",
                                             "Lease renewals that could not reach Redis.");
      failed.ok()) {
    role_opts.elector.renew_failures = &(*failed)->get();
  }
  LeaderRole role(catalogue.boards, catalogue.disabled,
                  LeaderRole::Backends{leases, *redis->changes, *redis->events, **store, router},
                  clock, role_opts,
                  [&leases](const std::string& holder, milliseconds ttl, int64_t floor) {
                    return leases.try_acquire_above(holder, ttl, floor);
                  });
  metrics_registry.raw_collector([&role](metrics::Writer& w) {
    const int64_t epoch = role.dispatching_epoch();
    w.family("mu_scheduler_leader",
             "1 while this instance leads (holds the lease and dispatches), else 0.",
             metrics::Type::kGauge);
    w.sample("mu_scheduler_leader", {}, {}, epoch > 0 ? 1 : 0);
    w.family("mu_scheduler_epoch", "The epoch this instance leads with (0 when it does not).",
             metrics::Type::kGauge);
    w.sample("mu_scheduler_epoch", {}, {}, static_cast<double>(epoch));
    w.family("mu_scheduler_start_failures",
             "Failed start attempts of the current term (store unreachable, fence raise).",
             metrics::Type::kGauge);
    w.sample("mu_scheduler_start_failures", {}, {}, role.start_failures());
  });
  auto metrics_server = serve_metrics(config, metrics_registry, nullptr);
  if (!metrics_server.ok()) return fail(metrics_server.status(), "metrics");
  auto server = SchedulerServer::start(config.scheduler.listen, role);
  if (!server.ok()) return fail(server.status(), "scheduler");
  role.start();
  if (alerts) alerts->start();
  spdlog::info("Mu {} scheduler {} ({} boards) control at {}, storage {}", kVersion, id,
               catalogue.boards.size(), config.scheduler.listen, config.storage.url);

  wait_for_shutdown(signals);
  if (*metrics_server) (*metrics_server)->stop();
  role.stop();
  if (alerts) alerts->stop();
  (*server)->stop(std::chrono::seconds(2));
  spdlog::info("stopped cleanly");
  return 0;
}

int run_api(const Config& config) {
  sigset_t signals = block_shutdown_signals();
  if (Status s = need_redis(config); !s.ok()) return fail(s, "api");
  Catalogue catalogue;
  if (Status s = load_catalogue(config, catalogue); !s.ok()) return fail(s, "api");
  auto redis = make_redis_coordination(redis_options(config));
  if (!redis.ok()) return fail(redis.status(), "coordination");
  auto store = open_ready_store(config, catalogue, signals);
  if (!store.ok()) return fail(store.status(), "storage");

  auto auth = accounts_options(config);
  if (!auth.ok()) return fail(auth.status(), "auth");
  auto github_transport = make_github_transport();
  if (!github_transport.ok()) return fail(github_transport.status(), "auth");
  SystemClock clock;
  BusCoordinator coordinator(*redis->events);
  metrics::Registry metrics_registry;
  metrics::export_process_metrics(metrics_registry);
  export_connection_metrics(metrics_registry);
  ApiOptions api_opts;
  api_opts.cache.disabled = {catalogue.disabled.begin(), catalogue.disabled.end()};
  ApiService api(catalogue.sites, catalogue.boards, **store, coordinator, api_opts);
  if (Status s = api.start(); !s.ok()) spdlog::warn("api: {}", s.to_string());
  std::atomic<const Server*> http_server{nullptr};
  export_api_metrics(metrics_registry, api, clock, http_server);
  // Live schedule changes from the console or `mu ctl` reach this instance's pages.
  const auto following = follow_schedules(catalogue.boards, **store, api);
  // Sign-ins in progress live in the shared store: the GitHub callback may reach another
  // API instance than the one that started the sign-in (no sticky sessions needed).
  StoreLoginStates login_states(**store, clock, login_states_options(config));
  AccountsService accounts(**store, login_states, **github_transport, clock, *auth);
  ClusterSchedulerControl control(config.api.schedulers);
  AdminOptions admin_opts;
  admin_opts.mode = "cluster";
  CollectorRegistry& registry = *redis->collectors;
  // No source editor here: a spec saved on an API host would not reach the collectors.
  AdminService admin(
      catalogue.boards, catalogue.disabled, **store, accounts, control,
      [&registry] { return registry.alive(); }, nullptr, clock, admin_opts);
  StatsOptions stats_opts;
  stats_opts.instance = default_instance_id("api");
  StatsService stats(catalogue.sites.size(), catalogue.boards.size(), std::string(kVersion),
                     **store, api.events(), clock, stats_opts);
  auto history_opts = history_options(config);
  if (!history_opts.ok()) return fail(history_opts.status(), "history");
  HistoryService history(catalogue.sites, catalogue.boards, **store, *history_opts);
  FeedService feeds(catalogue.sites, catalogue.boards, api.cache(), feed_options(config, **store));
  // Request quotas shared by every API instance: buckets in Redis, spent in leases (a client
  // of its own with short timeouts, so a slow Redis costs a request at most ~50 ms and then
  // the per-instance fallback answers until it is back).
  redis::RedisClientOptions limiter_client_opts;
  limiter_client_opts.connect_timeout = std::chrono::milliseconds(100);
  limiter_client_opts.command_timeout = std::chrono::milliseconds(50);
  auto limiter_client = redis::RedisClient::create(config.coordination.url, limiter_client_opts);
  if (!limiter_client.ok()) return fail(limiter_client.status(), "coordination");
  LocalRateLimiter local_limiter(clock);
  RedisRateLimiter::Options limiter_opts;
  limiter_opts.prefix = config.coordination.prefix;
  RedisRateLimiter rate_limiter(**limiter_client, local_limiter, clock, limiter_opts);
  QuotaService quota(**store, accounts, rate_limiter, clock, quota_options(config));
  export_quota_metrics(metrics_registry, quota);
  // The console's cookies and proxies: sealed here, opened by the leader for its dispatches.
  auto secrets_key = load_secrets_key(config.storage.secrets_key, config.storage.url);
  if (!secrets_key.ok()) return fail(secrets_key.status(), "storage");
  CredentialVault vault(catalogue.boards, **store, secrets_key->box.get());
  // "Test now" runs on a live collector of the board's group, like the leader's dispatches,
  // at the store's fence epoch (collectors refuse dispatches of older terms).
  RoutingCollector test_collectors(*redis->collectors, [](const CollectorInfo& c) {
    return std::unique_ptr<Collector>(std::make_unique<GrpcCollector>(c.address));
  });
  Store& store_ref = **store;
  CredentialsService credentials(
      catalogue.sites, catalogue.boards, **store, **store, accounts, secrets_key->box.get(),
      secrets_key->why_missing, clock, {},
      make_board_tester(test_collectors, vault, catalogue.boards, clock, [&store_ref] {
        auto epoch = store_ref.fence_epoch();
        return epoch.ok() ? *epoch : int64_t{0};
      }));
  if (Status s = metrics_registry.collector(
          "mu_quota_redis_errors_total",
          "Rate-limit decisions this instance made alone because Redis failed.",
          metrics::Type::kCounter, {},
          [&rate_limiter] {
            return std::vector<metrics::Sample>{{{}, static_cast<double>(rate_limiter.errors())}};
          });
      !s.ok()) {
    spdlog::warn("metrics: {}", s.to_string());
  }
  auto channel_tests = ChannelTestSender::create(config, clock);
  if (!channel_tests.ok()) return fail(channel_tests.status(), "alerts");
  AlertsService alert_routes(catalogue.sites, catalogue.boards, **store, **store, accounts,
                             api.cache(), &**store, secrets_key->box.get(),
                             secrets_key->why_missing, clock, (*channel_tests)->tester(),
                             alerts_options(config));
  Router router;
  api.register_routes(router);
  quota.register_routes(router);
  credentials.register_routes(router);
  alert_routes.register_routes(router);
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
  auto metrics_server = serve_metrics(config, metrics_registry, &router);
  if (!metrics_server.ok()) return fail(metrics_server.status(), "metrics");
  if (!router.status().ok()) return fail(router.status(), "routes");
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
  if (Status s = server.start(); !s.ok()) return fail(s, "server");
  http_server.store(&server);

  // Pub/sub is lossy even without a reconnect (a scheduler that could not publish): a slow
  // periodic resync bounds how stale an instance can be.
  std::mutex mu;
  std::condition_variable cv;
  bool stopping = false;
  std::thread resync([&] {
    std::unique_lock lock(mu);
    while (!cv.wait_for(lock, std::chrono::seconds(30), [&] { return stopping; })) {
      lock.unlock();
      if (Status s = api.resync(); !s.ok()) {
        spdlog::warn("api: periodic resync: {}", s.to_string());
      }
      // This instance's anonymous readers, for the cluster-wide online count.
      if (Status s = stats.report(); !s.ok()) spdlog::warn("api: presence: {}", s.to_string());
      lock.lock();
    }
  });
  spdlog::info("Mu {} api at http://{}/ (storage {}, events {})", kVersion,
               config.server.listen.substr(0, config.server.listen.rfind(':')) + ":" +
                   std::to_string(server.port()),
               config.storage.url, config.coordination.url);

  wait_for_shutdown(signals);
  {
    std::lock_guard lock(mu);
    stopping = true;
  }
  cv.notify_all();
  resync.join();
  if (*metrics_server) (*metrics_server)->stop();
  server.stop();
  http_server.store(nullptr);
  (void)quota.flush_usage();
  api.stop();
  // This instance's readers are gone: do not count them for the rest of the window.
  (void)(*store)->put_presence(stats_opts.instance, 0, clock.now_ms());
  spdlog::info("stopped cleanly");
  return 0;
}

namespace {

json::value run_json(const RunRecord& r) {
  json::object o;
  o["dispatch_id"] = r.dispatch_id;
  o["board"] = r.board;
  o["slot"] = r.slot;
  o["epoch"] = r.epoch;
  o["status"] = r.status;
  if (!r.error_message.empty()) o["error"] = r.error_message;
  o["attempt"] = r.stats.attempt;
  o["items"] = r.stats.item_count;
  o["collector"] = r.stats.collector;
  o["finished_ms"] = r.stats.finished_ms;
  return o;
}

}  // namespace

int run_ctl(const std::string& scheduler, const std::vector<std::string>& args) {
  auto usage = [] {
    std::fprintf(stderr,
                 "usage: mu ctl --scheduler HOST:PORT status | run BOARD | runs BOARD [N] | "
                 "update BOARD key=value...\n  update keys: %s\n",
                 board_change_keys().c_str());
    return 2;
  };
  if (args.empty()) return usage();
  SchedulerClient client(scheduler, std::chrono::seconds(10));
  auto report = [](const Status& s) {
    std::fprintf(stderr, "mu ctl: %s\n", s.to_string().c_str());
    return s.code() == ErrorCode::kInvalid || s.code() == ErrorCode::kNotFound ? 2 : 1;
  };
  const std::string& cmd = args[0];
  if (cmd == "status") {
    auto st = client.status();
    if (!st.ok()) return report(st.status());
    json::object o;
    o["instance"] = st->instance;
    o["leader"] = st->leader;
    o["leader_instance"] = st->leader_instance;
    o["epoch"] = st->epoch;
    o["queue_depth"] = st->queue_depth;
    o["last_reconcile_ms"] = st->last_reconcile_ms;
    json::array boards;
    for (const auto& b : st->boards) {
      json::object bo;
      bo["board"] = b.board;
      bo["enabled"] = b.enabled;
      bo["version"] = b.version;
      if (b.next_due_s) bo["next_due_s"] = *b.next_due_s;
      if (!b.in_flight.empty()) bo["in_flight"] = b.in_flight;
      boards.push_back(std::move(bo));
    }
    o["boards"] = std::move(boards);
    std::cout << json::serialize(o) << "\n";
    return 0;
  }
  if (cmd == "run" && args.size() == 2) {
    auto id = client.trigger_now(args[1]);
    if (!id.ok()) return report(id.status());
    std::cout << json::serialize(json::object{{"dispatch", *id}}) << "\n";
    return 0;
  }
  if (cmd == "runs" && (args.size() == 2 || args.size() == 3)) {
    int limit = 20;
    if (args.size() == 3) limit = std::atoi(args[2].c_str());
    auto runs = client.list_runs(args[1], limit);
    if (!runs.ok()) return report(runs.status());
    json::array arr;
    for (const auto& r : *runs) arr.push_back(run_json(r));
    std::cout << json::serialize(arr) << "\n";
    return 0;
  }
  if (cmd == "update" && args.size() >= 3) {
    auto change = board_change_from_args(args[1], {args.begin() + 2, args.end()});
    if (!change.ok()) return report(change.status());
    auto version = client.update_schedule(*change);
    if (!version.ok()) return report(version.status());
    std::cout << json::serialize(json::object{{"board", args[1]}, {"version", *version}}) << "\n";
    return 0;
  }
  return usage();
}

}  // namespace mu
