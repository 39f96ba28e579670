// Config: Mu's configuration model, read from one TOML file (mu.toml) with every key
// overridable from the environment (`server.listen` <- MU_SERVER_LISTEN). Validated on
// load: unknown keys and bad values are rejected with a message naming the key. A loaded
// Config is a plain value; safe to copy between threads.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/types.h"

namespace mu {

// Per-board overrides: [boards."weibo.hot-search"]. `every` and `cron` exclude each other;
// setting one replaces the board's built-in schedule of the other kind.
struct BoardOverride {
  std::optional<bool> enabled;
  std::optional<std::chrono::seconds> every;
  std::optional<std::chrono::seconds> timeout;
  std::optional<int> retries;
  std::optional<std::string> group;
  std::optional<std::string> cron;       // "*/5 * * * *", 6 fields with seconds, or @hourly ...
  std::optional<std::string> tz;         // IANA zone of the cron expression
  std::optional<MisfirePolicy> misfire;  // "fire-once" | "skip" | "catch-up"
  std::optional<std::chrono::seconds> catch_up;  // window of skip / catch-up
  std::optional<OverlapPolicy> overlap;          // "skip" | "queue-one"
};

// Checks core cannot do itself because cron syntax and the time zone database live in
// scheduler/ (see schedule_validator() in scheduler/cron.h). Each returns ok or a kConfig
// error; load_config prefixes the message with the file and key. An empty function skips
// that check.
struct ScheduleValidator {
  std::function<Status(const std::string& cron)> cron;
  std::function<Status(const std::string& tz)> tz;
};

// Names as written in the config and shown by the API: "fire-once", "skip", "catch-up";
// "skip", "queue-one".
std::string_view misfire_policy_name(MisfirePolicy policy);
std::optional<MisfirePolicy> parse_misfire_policy(std::string_view name);
std::string_view overlap_policy_name(OverlapPolicy policy);
std::optional<OverlapPolicy> parse_overlap_policy(std::string_view name);

struct Config {
  struct Server {
    std::string listen = "127.0.0.1:8080";
    int threads = 2;
    std::string static_dir = "web/dist";
    std::vector<std::string> cors_origins;
    std::size_t max_body_bytes = 1u << 20;
    // Connection caps; 0 derives them from the file descriptor limit (http/limits.h).
    std::size_t max_connections = 0;
    std::size_t max_connections_per_ip = 0;
    std::chrono::milliseconds idle_timeout{60'000};      // keep-alive connection without a request
    std::chrono::milliseconds sse_max_age{30 * 60'000};  // event streams end after; 0: never
    // Reverse proxies whose X-Forwarded-For names the client (addresses or CIDR ranges).
    std::vector<std::string> trusted_proxies;
  } server;

  // Request quotas of the API (api/quota.h): per client address without a key, per key.
  struct Quota {
    bool enabled = true;
    int64_t anonymous_per_minute = 600;
    int64_t anonymous_burst = 300;
    int64_t key_per_minute = 3000;
    int64_t key_burst = 600;
    int64_t max_keys_per_user = 10;
    bool mcp_requires_key = false;  // POST /mcp only with an API key
  } quota;

  // Alerts (docs/alerts.md): the rule evaluator and the delivery worker run where boards are
  // committed (`mu serve`, the scheduler leader).
  struct Notify {
    bool enabled = true;
    bool allow_private_networks = false;  // channels on loopback / private addresses
    std::string telegram_api = "https://api.telegram.org";
    std::string smtp_ca_file;  // extra CA bundle for SMTP servers
    int64_t workers = 4;       // concurrent sends
    int64_t per_channel_per_minute = 20;
    int64_t max_attempts = 8;
    int64_t max_rules_per_user = 50;
    int64_t max_channels_per_user = 10;
    int64_t keep_days = 30;  // settled matches and deliveries are pruned after
  } notify;

  struct Storage {
    std::string url = "sqlite://var/mu.db";
    int keep_snapshots = 50;  // per board (history keeps the past; these serve retries, diffs)
    int keep_runs_days = 30;  // runs older than this are deleted (20 per board stay); 0: kept
    // Seals the console's cookies and proxies in the store (auth/secret_box.h); "": for SQLite
    // a key file next to the database, else none (the console cannot keep credentials).
    std::string secrets_key;
  } storage;

  // What the store keeps of every board's past (store/history.h).
  struct History {
    int full_days = 7;  // points younger than this are kept as written; older ones hourly
    int keep_days = 0;  // points and items older than this are deleted; 0: kept forever
    std::string time_zone = "Asia/Shanghai";  // the day of ?date= when ?tz= is absent
  } history;

  struct Coordination {
    std::string url = "local";  // "local" (one process) or redis://[:password@]HOST:PORT[/db]
    std::string prefix = "mu";  // Redis keys are {prefix}:...
    std::chrono::milliseconds lease_ttl{3000};
    std::chrono::milliseconds renew_every{1000};
    std::chrono::milliseconds renew_deadline{2500};  // < lease_ttl
    std::chrono::milliseconds retry_every{200};
  } coordination;

  struct Scheduler {
    bool enabled = true;
    int workers = 4;
    std::chrono::milliseconds retry_base{2000};
    std::string listen = "127.0.0.1:7400";  // gRPC control service of `mu scheduler`
    std::chrono::milliseconds reconcile_every{30000};
  } scheduler;

  // `mu collector`: where its gRPC service listens and what it announces.
  struct Collector {
    std::string listen = "127.0.0.1:7500";
    std::string advertise;  // host:port schedulers dial; empty: `listen`
    std::vector<std::string> groups = {"cn", "global"};
    int capacity = 8;  // dispatches run at once; more are refused as busy
    std::chrono::milliseconds heartbeat{1000};
    std::chrono::milliseconds dead_after{3000};
  } collector;

  struct Fetch {
    std::string user_agent;  // empty: Mu's default
    int max_host_connections = 4;
    std::string proxy;
    bool allow_private_networks = false;
    std::size_t max_body_bytes = 8u << 20;
    std::chrono::milliseconds host_gap{1000};  // minimum gap between requests to one host
    std::string replay_dir;  // non-empty: answer every fetch from fixtures (demo, tests)
    // With replay_dir: answer each fetch only after this long, so that cluster tests have
    // dispatches in flight when they kill or pause a process.
    std::chrono::milliseconds replay_delay{0};
  } fetch;

  struct Log {
    std::string level = "info";
  } log;

  struct Sources {
    std::string dir = "sources.d";  // user-written declarative sources (*.toml); may be absent
  } sources;

  struct Auth {
    // This site's origin as browsers see it ("https://mu.example"); the OAuth callback is
    // public_url + "/auth/github/callback". "": http://<server.listen>. Cookies get
    // "Secure" when it is https.
    std::string public_url;
    std::vector<std::string> admins;  // GitHub logins that are admins when they sign in
    std::chrono::seconds session_ttl{std::chrono::hours(24 * 30)};
    // `mu serve` prints a one-time admin sign-in link when no admin exists.
    bool local_admin_link = true;
    // The link works this long, and only while no admin exists.
    std::chrono::seconds local_admin_link_ttl{std::chrono::hours(1)};
    // Sign-ins in progress kept per client IP and in all (the oldest beyond are evicted).
    int64_t pending_logins_per_client = 50;
    int64_t pending_logins_max = 10'000;
    // Per-user quotas: favorites kept (0 = no cap), writes per second and burst.
    int64_t max_favorites = 1'000;
    int64_t write_rate = 10;
    int64_t write_burst = 50;
    std::string github_client_id;      // "": GitHub sign-in is off
    std::string github_client_secret;  // prefer MU_AUTH_GITHUB_CLIENT_SECRET; never logged
    std::string github_authorize_url = "https://github.com/login/oauth/authorize";
    std::string github_token_url = "https://github.com/login/oauth/access_token";
    std::string github_api_url = "https://api.github.com";
  } auth;

  struct Api {
    // `mu api`: gRPC addresses of the scheduler instances the admin console talks to.
    std::vector<std::string> schedulers;
  } api;

  struct Metrics {
    bool enabled = true;  // GET /metrics (Prometheus text format)
    // "" serves /metrics on server.listen (mu serve, mu api); an address serves it there
    // instead, on its own small HTTP server (the only way for mu scheduler and collector).
    std::string listen;
  } metrics;

  std::map<std::string, std::string> secrets;  // [secrets] "zhihu.cookie" = "..."
  std::map<std::string, BoardOverride> boards;

  // Where the config came from, for `mu config check`.
  std::string source = "defaults";
  // Problems that do not stop loading, one line each ("MU_SERVER_LISEN: unknown variable,
  // ignored (did you mean MU_SERVER_LISTEN?)"): printed by `mu config check`, logged at start.
  std::vector<std::string> warnings;
};

// Loads `path` (may be empty: defaults only; a missing explicit file is an error), then
// applies MU_* variables from `env` (pass the process environment). kConfig errors name
// the file, key and problem.
Result<Config> load_config(const std::string& path, const std::map<std::string, std::string>& env);
// The same, also checking each board's `cron` and `tz` with `validator`: the form the app
// uses (`load_config(path, env, schedule_validator())`). Without it those two keys are only
// checked for being non-empty strings.
Result<Config> load_config(const std::string& path, const std::map<std::string, std::string>& env,
                           const ScheduleValidator& validator);

// The process environment as a map (only MU_* variables).
std::map<std::string, std::string> mu_environment();

// MU_* variables that are not configuration keys but are read elsewhere (tests, scripts,
// the web tooling): load_config does not warn about them. Exact names, or prefixes ending
// in '_' (MU_CLUSTER_ for scripts/cluster).
const std::vector<std::string_view>& non_config_mu_variables();

// "90s", "10m", "1h30m", "500ms", "2d" -> duration. kConfig on anything else, including a
// total that does not fit (checked arithmetic, never wraps).
Result<std::chrono::milliseconds> parse_duration(const std::string& text);
// "8MiB", "512KiB", "1GB", "1048576" -> bytes. kConfig on anything else, including a value
// that does not fit in size_t (checked arithmetic, never wraps).
Result<std::size_t> parse_size(const std::string& text);

// What the host part of a listen or dial address may be.
enum class ListenHost {
  kIpAddress,  // an IPv4 or bracketed IPv6 literal, "localhost", or empty (every interface)
  kHostName,   // the same, or a DNS name (gRPC listen and dial addresses)
};
// Checks "HOST:PORT", "[IPV6]:PORT" or ":PORT" with a decimal port 1-65535; kConfig naming
// what is wrong ("port must be between 1 and 65535, got 99999"). The one check of listen
// addresses: config keys and --listen / --advertise flags use it alike.
Status check_listen_address(std::string_view text, ListenHost host);

}  // namespace mu
