// The one place that knows which implementation sits behind each interface: opens the
// store named by storage.url, builds the transport (libcurl, or replayed fixtures), and
// runs the roles. Called from main.cc; not thread-safe.
#pragma once

#include <signal.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "api/accounts.h"
#include "api/alerts_service.h"
#include "api/api.h"
#include "api/feed_service.h"
#include "api/history_service.h"
#include "api/mcp_service.h"
#include "api/quota.h"
#include "api/store_login_states.h"
#include "app/periodic.h"
#include "core/config.h"
#include "core/metrics.h"
#include "core/status.h"
#include "fetch/transport.h"
#include "http/router.h"
#include "http/server.h"
#include "scheduler/scheduler.h"
#include "store/store.h"

namespace mu {

Result<std::unique_ptr<Store>> open_store(const Config& config);

// A role's GET /metrics (metrics.enabled): added to `router` when metrics.listen is empty
// (and `router` is given), else served by its own HTTP server at metrics.listen, started
// here and returned (stop it before the objects the registry's collectors read). Returns
// nullptr when nothing needs a server of its own; kUnavailable when the address is taken.
// The API side's metrics (mu serve, mu api): per-board health from `api`'s cache, its SSE
// clients, and the HTTP server's per-route counts once `server` points at a started server
// (null before and after: nothing is written). All must outlive `registry`'s scrapes.
void export_api_metrics(metrics::Registry& registry, ApiService& api, const Clock& clock,
                        const std::atomic<const Server*>& server);

Result<std::unique_ptr<Server>> serve_metrics(const Config& config, metrics::Registry& registry,
                                              Router* router);

// mu_redis_connection_errors_total and mu_postgres_connection_errors_total (every role).
void export_connection_metrics(metrics::Registry& registry);
// The request quotas of the config (quota.*).
QuotaOptions quota_options(const Config& config);
// mu_api_quota_requests_total{outcome}: requests admitted, refused (429) and with an
// unknown or revoked key (401); `quota` must outlive the registry's scrapes.
void export_quota_metrics(metrics::Registry& registry, const QuotaService& quota);
// Writes the usage `quota` counted to the store every 10 s until destroyed (the caller
// flushes once more after the server stopped).
std::unique_ptr<PeriodicTask> flush_quota_usage(QuotaService& quota);

// The accounts settings of the config: GitHub OAuth (redirect URI public_url +
// /auth/github/callback), admins, cookie Secure flag (public_url is https), allowed
// origins (server.cors_origins). kConfig when a GitHub client id has no secret.
Result<AccountsOptions> accounts_options(const Config& config);
// The caps of the sign-ins in progress (auth.pending_logins_per_client / _max).
StoreLoginStates::Options login_states_options(const Config& config);
// The history routes' settings (history.time_zone); kConfig when the zone is unknown.
Result<HistoryServiceOptions> history_options(const Config& config);
// The feed routes' settings: self links under public_origin(config), search feeds on
// `history`.
FeedServiceOptions feed_options(const Config& config, HistoryStore& history);
// The MCP server's settings: the version and the allowed browser origins (server.cors_origins).
McpOptions mcp_options(const Config& config);
// History retention for a scheduler (history.full_days / keep_days) on `store`.
void set_history_retention(const Config& config, HistoryStore& store, Scheduler::Options& o);
// The transport the GitHub sign-in uses: always the network (never replayed fixtures), and
// loopback allowed (the provider's URLs come from the config, e.g. a local mock in tests).
Result<std::unique_ptr<Transport>> make_github_transport();
// The alerts routes' settings (notify.*, the origin of unsubscribe links).
AlertsOptions alerts_options(const Config& config);
// This site's origin: auth.public_url, else http://<server.listen> (0.0.0.0 -> localhost).
std::string public_origin(const Config& config);
Result<std::unique_ptr<Transport>> make_transport(const Config& config);
// Keeps `api`'s boards on their effective schedule (catalogue `boards` + the stored
// overrides; api/schedule_follower.h): polls once a second on its own thread until the
// returned task is destroyed, and announces each re-rendered board to the SSE clients.
// `mu serve` and `mu api` both run one; it must be destroyed before `api` and `store`.
std::unique_ptr<PeriodicTask> follow_schedules(const std::vector<BoardMeta>& boards, Store& store,
                                               ApiService& api);

// `mu serve`: every role in this process until SIGINT/SIGTERM. On SIGHUP it calls `reload`
// and applies the new schedules and enabled flags live. Returns the exit code.
int run_serve(const Config& config, const std::function<Result<Config>()>& reload);

void setup_logging(const std::string& level);

// Blocks SIGINT, SIGTERM and SIGHUP in the calling thread and every thread it starts after
// this call, so that the main thread can wait for them with sigwait(). Returns that set.
sigset_t block_shutdown_signals();

}  // namespace mu
