#include "core/config.h"

#include <arpa/inet.h>
#include <toml++/toml.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <limits>

extern char** environ;  // NOLINT: POSIX

namespace mu {
namespace {

using std::chrono::milliseconds;

// A setting in both forms it can arrive in: a TOML node or an environment string.
struct Input {
  const toml::node* node = nullptr;
  const std::string* text = nullptr;
  std::string where;  // "mu.toml: server.threads" or "MU_SERVER_THREADS"
};

Status bad(const Input& in, const std::string& what) {
  return error(ErrorCode::kConfig, in.where + ": " + what);
}

Result<std::string> as_string(const Input& in) {
  if (in.text != nullptr) return *in.text;
  if (auto v = in.node->value<std::string>()) return *v;
  return bad(in, "expected a string");
}

Result<int64_t> as_int(const Input& in, int64_t lo, int64_t hi) {
  int64_t v = 0;
  if (in.text != nullptr) {
    char* end = nullptr;
    errno = 0;
    long long parsed = std::strtoll(in.text->c_str(), &end, 10);
    if (in.text->empty() || *end != '\0' || errno != 0) return bad(in, "expected an integer");
    v = parsed;
  } else if (auto n = in.node->value<int64_t>(); n && in.node->is_integer()) {
    v = *n;
  } else {
    return bad(in, "expected an integer");
  }
  if (v < lo || v > hi) {
    return bad(in, "must be between " + std::to_string(lo) + " and " + std::to_string(hi) +
                       ", got " + std::to_string(v));
  }
  return v;
}

Result<bool> as_bool(const Input& in) {
  if (in.text != nullptr) {
    if (*in.text == "true" || *in.text == "1") return true;
    if (*in.text == "false" || *in.text == "0") return false;
    return bad(in, "expected true or false, got \"" + *in.text + "\"");
  }
  if (auto b = in.node->value<bool>(); b && in.node->is_boolean()) return *b;
  return bad(in, "expected true or false");
}

Result<std::vector<std::string>> as_list(const Input& in) {
  std::vector<std::string> out;
  if (in.text != nullptr) {  // comma-separated in the environment
    std::string cur;
    for (char c : *in.text + ",") {
      if (c == ',') {
        if (!cur.empty()) out.push_back(cur);
        cur.clear();
      } else if (c != ' ') {
        cur.push_back(c);
      }
    }
    return out;
  }
  const toml::array* arr = in.node->as_array();
  if (arr == nullptr) return bad(in, "expected an array of strings");
  for (const auto& el : *arr) {
    auto s = el.value<std::string>();
    if (!s) return bad(in, "expected an array of strings");
    out.push_back(*s);
  }
  return out;
}

// The largest unit that divides `d` exactly: "500ms", "30s", "10m", "1h", "7d".
std::string format_duration(milliseconds d) {
  const int64_t ms = d.count();
  struct Unit {
    int64_t ms;
    const char* name;
  };
  static constexpr Unit kUnits[] = {
      {86'400'000, "d"}, {3'600'000, "h"}, {60'000, "m"}, {1000, "s"}};
  if (ms != 0) {
    for (const Unit& u : kUnits) {
      if (ms % u.ms == 0) return std::to_string(ms / u.ms) + u.name;
    }
  }
  return std::to_string(ms) + "ms";
}

// The same for sizes: "1KiB", "8MiB", "1GiB", else bytes.
std::string format_size(std::size_t n) {
  static constexpr std::pair<std::size_t, const char*> kUnits[] = {
      {std::size_t{1} << 30, "GiB"}, {std::size_t{1} << 20, "MiB"}, {std::size_t{1} << 10, "KiB"}};
  if (n != 0) {
    for (const auto& [unit, name] : kUnits) {
      if (n % unit == 0) return std::to_string(n / unit) + name;
    }
  }
  return std::to_string(n);
}

Result<milliseconds> as_duration(const Input& in, milliseconds lo, milliseconds hi) {
  MU_ASSIGN_OR_RETURN(std::string s, as_string(in));
  auto d = parse_duration(s);
  if (!d.ok()) return bad(in, d.error_message());
  if (*d < lo || *d > hi) {
    return bad(in, "must be between " + format_duration(lo) + " and " + format_duration(hi) +
                       ", got \"" + s + "\"");
  }
  return *d;
}

Result<std::size_t> as_size(const Input& in, std::size_t lo, std::size_t hi) {
  MU_ASSIGN_OR_RETURN(std::string s, as_string(in));
  auto n = parse_size(s);
  if (!n.ok() || *n < lo || *n > hi) {
    return bad(in, "must be between " + format_size(lo) + " and " + format_size(hi) + ", got \"" +
                       s + "\"" + (n.ok() ? "" : " (" + n.error_message() + ")"));
  }
  return *n;
}

Status check_address(const Input& in, const std::string& text, ListenHost host) {
  if (Status s = check_listen_address(text, host); !s.ok()) return bad(in, s.message());
  return ok_status();
}

// Request bodies and response bodies: at least 1 KiB (an error page), at most 1 GiB.
constexpr std::size_t kMinBody = std::size_t{1} << 10;
constexpr std::size_t kMaxBody = std::size_t{1} << 30;

using Setter = std::function<Status(const Input&, Config&)>;

struct KeySpec {
  const char* key;
  Setter set;
};

template <typename F>
Setter make(F f) {
  return Setter(std::move(f));
}

std::vector<KeySpec> key_specs() {
  std::vector<KeySpec> k;
  k.push_back({"server.listen", make([](const Input& in, Config& c) -> Status {
                 MU_ASSIGN_OR_RETURN(c.server.listen, as_string(in));
                 return check_address(in, c.server.listen, ListenHost::kIpAddress);
               })});
  k.push_back({"server.threads", make([](const Input& in, Config& c) -> Status {
                 MU_ASSIGN_OR_RETURN(int64_t v, as_int(in, 1, 64));
                 c.server.threads = static_cast<int>(v);
                 return ok_status();
               })});
  k.push_back({"server.static_dir", make([](const Input& in, Config& c) -> Status {
                 MU_ASSIGN_OR_RETURN(c.server.static_dir, as_string(in));
                 return ok_status();
               })});
  k.push_back({"server.cors_origins", make([](const Input& in, Config& c) -> Status {
                 MU_ASSIGN_OR_RETURN(c.server.cors_origins, as_list(in));
                 for (const auto& o : c.server.cors_origins) {
                   if (o.rfind("http://", 0) != 0 && o.rfind("https://", 0) != 0) {
                     return bad(in, "origin \"" + o + "\" must start with http:// or https://");
                   }
                 }
                 return ok_status();
               })});
  k.push_back({"server.max_body", make([](const Input& in, Config& c) -> Status {
                 MU_ASSIGN_OR_RETURN(c.server.max_body_bytes, as_size(in, kMinBody, kMaxBody));
                 return ok_status();
               })});
  k.push_back({"server.max_connections", make([](const Input& in, Config& c) -> Status {
                 MU_ASSIGN_OR_RETURN(int64_t v, as_int(in, 0, 10'000'000));
                 c.server.max_connections = static_cast<std::size_t>(v);
                 return ok_status();
               })});
  k.push_back({"server.max_connections_per_ip", make([](const Input& in, Config& c) -> Status {
                 MU_ASSIGN_OR_RETURN(int64_t v, as_int(in, 0, 10'000'000));
                 c.server.max_connections_per_ip = static_cast<std::size_t>(v);
                 return ok_status();
               })});
  k.push_back({"server.idle_timeout", make([](const Input& in, Config& c) -> Status {
                 MU_ASSIGN_OR_RETURN(c.server.idle_timeout,
                                     as_duration(in, milliseconds(100), milliseconds(3'600'000)));
                 return ok_status();
               })});
  k.push_back({"server.sse_max_age", make([](const Input& in, Config& c) -> Status {
                 MU_ASSIGN_OR_RETURN(c.server.sse_max_age,
                                     as_duration(in, milliseconds(0), milliseconds(86'400'000)));
                 if (c.server.sse_max_age.count() > 0 &&
                     c.server.sse_max_age < milliseconds(1000)) {
                   return bad(in, "must be 0s (no limit) or at least 1s");
                 }
                 return ok_status();
               })});
  k.push_back({"storage.url", make([](const Input& in, Config& c) -> Status {
                 MU_ASSIGN_OR_RETURN(c.storage.url, as_string(in));
                 if (c.storage.url.rfind("sqlite://", 0) != 0 &&
                     c.storage.url.rfind("postgres://", 0) != 0 &&
                     c.storage.url.rfind("postgresql://", 0) != 0) {
                   return bad(in, "expected sqlite://PATH or postgres://...");
                 }
                 return ok_status();
               })});
  k.push_back({"storage.keep_snapshots", make([](const Input& in, Config& c) -> Status {
                 MU_ASSIGN_OR_RETURN(int64_t v, as_int(in, 2, 1'000'000));
                 c.storage.keep_snapshots = static_cast<int>(v);
                 return ok_status();
               })});
  k.push_back({"storage.keep_runs_days", make([](const Input& in, Config& c) -> Status {
                 MU_ASSIGN_OR_RETURN(int64_t v, as_int(in, 0, 36'500));
                 c.storage.keep_runs_days = static_cast<int>(v);
                 return ok_status();
               })});
  k.push_back({"history.full_days", make([](const Input& in, Config& c) -> Status {
                 MU_ASSIGN_OR_RETURN(int64_t v, as_int(in, 1, 36'500));
                 c.history.full_days = static_cast<int>(v);
                 return ok_status();
               })});
  k.push_back({"history.keep_days", make([](const Input& in, Config& c) -> Status {
                 MU_ASSIGN_OR_RETURN(int64_t v, as_int(in, 0, 36'500));
                 c.history.keep_days = static_cast<int>(v);
                 return ok_status();
               })});
  k.push_back({"history.time_zone", make([](const Input& in, Config& c) -> Status {
                 MU_ASSIGN_OR_RETURN(c.history.time_zone, as_string(in));
                 if (c.history.time_zone.empty() || c.history.time_zone.size() > 64) {
                   return bad(in, "expected an IANA time zone name such as Asia/Shanghai");
                 }
                 return ok_status();
               })});
  k.push_back({"coordination.url", make([](const Input& in, Config& c) -> Status {
                 MU_ASSIGN_OR_RETURN(c.coordination.url, as_string(in));
                 if (c.coordination.url != "local" &&
                     c.coordination.url.rfind("redis://", 0) != 0) {
                   return bad(in, "expected \"local\" or redis://HOST:PORT");
                 }
                 return ok_status();
               })});
  k.push_back({"coordination.prefix", make([](const Input& in, Config& c) -> Status {
                 MU_ASSIGN_OR_RETURN(c.coordination.prefix, as_string(in));
                 if (c.coordination.prefix.empty() ||
                     c.coordination.prefix.find_first_of("{}: ") != std::string::npos) {
                   return bad(in, "expected a non-empty name without braces, colons or spaces");
                 }
                 return ok_status();
               })});
  k.push_back({"coordination.lease_ttl", make([](const Input& in, Config& c) -> Status {
                 MU_ASSIGN_OR_RETURN(c.coordination.lease_ttl,
                                     as_duration(in, milliseconds(300), milliseconds(600'000)));
                 return ok_status();
               })});
  k.push_back({"coordination.renew_every", make([](const Input& in, Config& c) -> Status {
                 MU_ASSIGN_OR_RETURN(c.coordination.renew_every,
                                     as_duration(in, milliseconds(50), milliseconds(300'000)));
                 return ok_status();
               })});
  k.push_back({"coordination.renew_deadline", make([](const Input& in, Config& c) -> Status {
                 MU_ASSIGN_OR_RETURN(c.coordination.renew_deadline,
                                     as_duration(in, milliseconds(100), milliseconds(600'000)));
                 return ok_status();
               })});
  k.push_back({"coordination.retry_every", make([](const Input& in, Config& c) -> Status {
                 MU_ASSIGN_OR_RETURN(c.coordination.retry_every,
                                     as_duration(in, milliseconds(10), milliseconds(60'000)));
                 return ok_status();
               })});
  k.push_back({"scheduler.listen", make([](const Input& in, Config& c) -> Status {
                 MU_ASSIGN_OR_RETURN(c.scheduler.listen, as_string(in));
                 return check_address(in, c.scheduler.listen, ListenHost::kHostName);
               })});
  k.push_back({"scheduler.reconcile_every", make([](const Input& in, Config& c) -> Status {
                 MU_ASSIGN_OR_RETURN(c.scheduler.reconcile_every,
                                     as_duration(in, milliseconds(100), milliseconds(86'400'000)));
                 return ok_status();
               })});
  k.push_back({"collector.listen", make([](const Input& in, Config& c) -> Status {
                 MU_ASSIGN_OR_RETURN(c.collector.listen, as_string(in));
                 return check_address(in, c.collector.listen, ListenHost::kHostName);
               })});
  k.push_back({"collector.advertise", make([](const Input& in, Config& c) -> Status {
                 MU_ASSIGN_OR_RETURN(c.collector.advertise, as_string(in));
                 if (c.collector.advertise.empty()) return ok_status();
                 return check_address(in, c.collector.advertise, ListenHost::kHostName);
               })});
  k.push_back({"collector.groups", make([](const Input& in, Config& c) -> Status {
                 MU_ASSIGN_OR_RETURN(c.collector.groups, as_list(in));
                 if (c.collector.groups.empty()) return bad(in, "expected at least one group");
                 return ok_status();
               })});
  k.push_back({"collector.capacity", make([](const Input& in, Config& c) -> Status {
                 MU_ASSIGN_OR_RETURN(int64_t v, as_int(in, 1, 1024));
                 c.collector.capacity = static_cast<int>(v);
                 return ok_status();
               })});
  k.push_back({"collector.heartbeat", make([](const Input& in, Config& c) -> Status {
                 MU_ASSIGN_OR_RETURN(c.collector.heartbeat,
                                     as_duration(in, milliseconds(50), milliseconds(60'000)));
                 return ok_status();
               })});
  k.push_back({"collector.dead_after", make([](const Input& in, Config& c) -> Status {
                 MU_ASSIGN_OR_RETURN(c.collector.dead_after,
                                     as_duration(in, milliseconds(150), milliseconds(600'000)));
                 return ok_status();
               })});
  k.push_back({"scheduler.enabled", make([](const Input& in, Config& c) -> Status {
                 MU_ASSIGN_OR_RETURN(c.scheduler.enabled, as_bool(in));
                 return ok_status();
               })});
  k.push_back({"scheduler.workers", make([](const Input& in, Config& c) -> Status {
                 MU_ASSIGN_OR_RETURN(int64_t v, as_int(in, 1, 256));
                 c.scheduler.workers = static_cast<int>(v);
                 return ok_status();
               })});
  k.push_back({"scheduler.retry_base", make([](const Input& in, Config& c) -> Status {
                 MU_ASSIGN_OR_RETURN(c.scheduler.retry_base,
                                     as_duration(in, milliseconds(10), milliseconds(3'600'000)));
                 return ok_status();
               })});
  k.push_back({"fetch.user_agent", make([](const Input& in, Config& c) -> Status {
                 MU_ASSIGN_OR_RETURN(c.fetch.user_agent, as_string(in));
                 return ok_status();
               })});
  k.push_back({"fetch.max_host_connections", make([](const Input& in, Config& c) -> Status {
                 MU_ASSIGN_OR_RETURN(int64_t v, as_int(in, 1, 64));
                 c.fetch.max_host_connections = static_cast<int>(v);
                 return ok_status();
               })});
  k.push_back({"fetch.proxy", make([](const Input& in, Config& c) -> Status {
                 MU_ASSIGN_OR_RETURN(c.fetch.proxy, as_string(in));
                 return ok_status();
               })});
  k.push_back({"fetch.allow_private_networks", make([](const Input& in, Config& c) -> Status {
                 MU_ASSIGN_OR_RETURN(c.fetch.allow_private_networks, as_bool(in));
                 return ok_status();
               })});
  k.push_back({"fetch.max_body", make([](const Input& in, Config& c) -> Status {
                 MU_ASSIGN_OR_RETURN(c.fetch.max_body_bytes, as_size(in, kMinBody, kMaxBody));
                 return ok_status();
               })});
  k.push_back({"fetch.host_gap", make([](const Input& in, Config& c) -> Status {
                 MU_ASSIGN_OR_RETURN(c.fetch.host_gap,
                                     as_duration(in, milliseconds(0), milliseconds(60'000)));
                 return ok_status();
               })});
  k.push_back({"fetch.replay_dir", make([](const Input& in, Config& c) -> Status {
                 MU_ASSIGN_OR_RETURN(c.fetch.replay_dir, as_string(in));
                 return ok_status();
               })});
  k.push_back({"fetch.replay_delay", make([](const Input& in, Config& c) -> Status {
                 MU_ASSIGN_OR_RETURN(c.fetch.replay_delay,
                                     as_duration(in, milliseconds(0), milliseconds(60'000)));
                 return ok_status();
               })});
  auto url_key = [](std::string Config::Auth::*field) {
    return make([field](const Input& in, Config& c) -> Status {
      MU_ASSIGN_OR_RETURN(std::string v, as_string(in));
      if (!v.empty() && v.rfind("http://", 0) != 0 && v.rfind("https://", 0) != 0) {
        return bad(in, "\"" + v + "\" must start with http:// or https://");
      }
      while (!v.empty() && v.back() == '/') v.pop_back();
      c.auth.*field = v;
      return ok_status();
    });
  };
  k.push_back({"auth.public_url", url_key(&Config::Auth::public_url)});
  k.push_back({"auth.github_authorize_url", url_key(&Config::Auth::github_authorize_url)});
  k.push_back({"auth.github_token_url", url_key(&Config::Auth::github_token_url)});
  k.push_back({"auth.github_api_url", url_key(&Config::Auth::github_api_url)});
  k.push_back({"auth.admins", make([](const Input& in, Config& c) -> Status {
                 MU_ASSIGN_OR_RETURN(c.auth.admins, as_list(in));
                 return ok_status();
               })});
  k.push_back({"auth.session_ttl", make([](const Input& in, Config& c) -> Status {
                 MU_ASSIGN_OR_RETURN(milliseconds v,
                                     as_duration(in, milliseconds(60'000),
                                                 milliseconds(int64_t{365} * 24 * 3600 * 1000)));
                 c.auth.session_ttl = std::chrono::duration_cast<std::chrono::seconds>(v);
                 return ok_status();
               })});
  k.push_back({"auth.local_admin_link", make([](const Input& in, Config& c) -> Status {
                 MU_ASSIGN_OR_RETURN(c.auth.local_admin_link, as_bool(in));
                 return ok_status();
               })});
  k.push_back({"auth.local_admin_link_ttl", make([](const Input& in, Config& c) -> Status {
                 MU_ASSIGN_OR_RETURN(milliseconds v,
                                     as_duration(in, milliseconds(60'000),
                                                 milliseconds(int64_t{7} * 24 * 3600 * 1000)));
                 c.auth.local_admin_link_ttl = std::chrono::duration_cast<std::chrono::seconds>(v);
                 return ok_status();
               })});
  auto count_key = [](int64_t Config::Auth::*field, int64_t lo, int64_t hi) {
    return make([field, lo, hi](const Input& in, Config& c) -> Status {
      MU_ASSIGN_OR_RETURN(c.auth.*field, as_int(in, lo, hi));
      return ok_status();
    });
  };
  k.push_back({"auth.pending_logins_per_client",
               count_key(&Config::Auth::pending_logins_per_client, 1, 1'000'000)});
  k.push_back(
      {"auth.pending_logins_max", count_key(&Config::Auth::pending_logins_max, 1, 100'000'000)});
  k.push_back({"auth.max_favorites", count_key(&Config::Auth::max_favorites, 0, 100'000'000)});
  k.push_back({"auth.write_rate", count_key(&Config::Auth::write_rate, 1, 1'000'000)});
  k.push_back({"auth.write_burst", count_key(&Config::Auth::write_burst, 1, 1'000'000)});
  k.push_back({"auth.github_client_id", make([](const Input& in, Config& c) -> Status {
                 MU_ASSIGN_OR_RETURN(c.auth.github_client_id, as_string(in));
                 return ok_status();
               })});
  k.push_back({"auth.github_client_secret", make([](const Input& in, Config& c) -> Status {
                 MU_ASSIGN_OR_RETURN(c.auth.github_client_secret, as_string(in));
                 return ok_status();
               })});
  k.push_back({"server.trusted_proxies", make([](const Input& in, Config& c) -> Status {
                 MU_ASSIGN_OR_RETURN(c.server.trusted_proxies, as_list(in));
                 for (const auto& p : c.server.trusted_proxies) {
                   const auto ok =
                       p.find_first_not_of("0123456789abcdefABCDEF.:/") == std::string::npos &&
                       !p.empty();
                   if (!ok) return bad(in, "\"" + p + "\" is not an address or address/prefix");
                 }
                 return ok_status();
               })});
  k.push_back({"storage.secrets_key", make([](const Input& in, Config& c) -> Status {
                 MU_ASSIGN_OR_RETURN(c.storage.secrets_key, as_string(in));
                 return ok_status();
               })});
  k.push_back({"quota.enabled", make([](const Input& in, Config& c) -> Status {
                 MU_ASSIGN_OR_RETURN(c.quota.enabled, as_bool(in));
                 return ok_status();
               })});
  k.push_back({"quota.mcp_requires_key", make([](const Input& in, Config& c) -> Status {
                 MU_ASSIGN_OR_RETURN(c.quota.mcp_requires_key, as_bool(in));
                 return ok_status();
               })});
  auto quota_key = [](int64_t Config::Quota::*field, int64_t lo, int64_t hi) {
    return make([field, lo, hi](const Input& in, Config& c) -> Status {
      MU_ASSIGN_OR_RETURN(c.quota.*field, as_int(in, lo, hi));
      return ok_status();
    });
  };
  k.push_back({"quota.anonymous_per_minute",
               quota_key(&Config::Quota::anonymous_per_minute, 1, 100'000'000)});
  k.push_back(
      {"quota.anonymous_burst", quota_key(&Config::Quota::anonymous_burst, 1, 100'000'000)});
  k.push_back({"quota.key_per_minute", quota_key(&Config::Quota::key_per_minute, 1, 100'000'000)});
  k.push_back({"quota.key_burst", quota_key(&Config::Quota::key_burst, 1, 100'000'000)});
  k.push_back(
      {"quota.max_keys_per_user", quota_key(&Config::Quota::max_keys_per_user, 0, 1'000'000)});
  k.push_back({"notify.enabled", make([](const Input& in, Config& c) -> Status {
                 MU_ASSIGN_OR_RETURN(c.notify.enabled, as_bool(in));
                 return ok_status();
               })});
  k.push_back({"notify.allow_private_networks", make([](const Input& in, Config& c) -> Status {
                 MU_ASSIGN_OR_RETURN(c.notify.allow_private_networks, as_bool(in));
                 return ok_status();
               })});
  k.push_back({"notify.telegram_api", make([](const Input& in, Config& c) -> Status {
                 MU_ASSIGN_OR_RETURN(c.notify.telegram_api, as_string(in));
                 if (!c.notify.telegram_api.starts_with("https://") &&
                     !c.notify.telegram_api.starts_with("http://")) {
                   return bad(in, "expected an http(s) URL");
                 }
                 while (c.notify.telegram_api.ends_with('/')) c.notify.telegram_api.pop_back();
                 return ok_status();
               })});
  k.push_back({"notify.smtp_ca_file", make([](const Input& in, Config& c) -> Status {
                 MU_ASSIGN_OR_RETURN(c.notify.smtp_ca_file, as_string(in));
                 return ok_status();
               })});
  auto notify_key = [](int64_t Config::Notify::*field, int64_t lo, int64_t hi) {
    return make([field, lo, hi](const Input& in, Config& c) -> Status {
      MU_ASSIGN_OR_RETURN(c.notify.*field, as_int(in, lo, hi));
      return ok_status();
    });
  };
  k.push_back({"notify.workers", notify_key(&Config::Notify::workers, 1, 64)});
  k.push_back({"notify.per_channel_per_minute",
               notify_key(&Config::Notify::per_channel_per_minute, 1, 10'000)});
  k.push_back({"notify.max_attempts", notify_key(&Config::Notify::max_attempts, 1, 100)});
  k.push_back(
      {"notify.max_rules_per_user", notify_key(&Config::Notify::max_rules_per_user, 0, 100'000)});
  k.push_back({"notify.max_channels_per_user",
               notify_key(&Config::Notify::max_channels_per_user, 0, 1'000)});
  k.push_back({"notify.keep_days", notify_key(&Config::Notify::keep_days, 1, 3650)});
  k.push_back({"metrics.enabled", make([](const Input& in, Config& c) -> Status {
                 MU_ASSIGN_OR_RETURN(c.metrics.enabled, as_bool(in));
                 return ok_status();
               })});
  k.push_back({"metrics.listen", make([](const Input& in, Config& c) -> Status {
                 MU_ASSIGN_OR_RETURN(c.metrics.listen, as_string(in));
                 if (c.metrics.listen.empty()) return ok_status();
                 return check_address(in, c.metrics.listen, ListenHost::kIpAddress);
               })});
  k.push_back({"api.schedulers", make([](const Input& in, Config& c) -> Status {
                 MU_ASSIGN_OR_RETURN(c.api.schedulers, as_list(in));
                 for (const auto& a : c.api.schedulers) {
                   MU_RETURN_IF_ERROR(check_address(in, a, ListenHost::kHostName));
                 }
                 return ok_status();
               })});
  k.push_back({"sources.dir", make([](const Input& in, Config& c) -> Status {
                 MU_ASSIGN_OR_RETURN(c.sources.dir, as_string(in));
                 return ok_status();
               })});
  k.push_back({"log.level", make([](const Input& in, Config& c) -> Status {
                 MU_ASSIGN_OR_RETURN(c.log.level, as_string(in));
                 static const char* kLevels[] = {"trace", "debug", "info", "warn", "error", "off"};
                 for (const char* l : kLevels) {
                   if (c.log.level == l) return ok_status();
                 }
                 return bad(in, "expected one of trace, debug, info, warn, error, off");
               })});
  return k;
}

std::string env_name(const std::string& key) {
  std::string out = "MU_";
  for (char c : key) out.push_back(c == '.' ? '_' : static_cast<char>(std::toupper(c)));
  return out;
}

// Optimal string alignment distance (insertions, deletions, substitutions, transpositions
// of neighbours).
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

// One warning per MU_* variable of `env` that is neither a key, a secret nor a known
// non-config variable, with the closest key when it is at most two edits away.
std::vector<std::string> unknown_variable_warnings(const std::vector<KeySpec>& specs,
                                                   const std::map<std::string, std::string>& env) {
  std::vector<std::string> known;
  known.reserve(specs.size());
  for (const auto& s : specs) known.push_back(env_name(s.key));
  std::vector<std::string> out;
  for (const auto& [name, value] : env) {
    if (name.rfind("MU_", 0) != 0 || name.rfind("MU_SECRETS_", 0) == 0) continue;
    if (std::find(known.begin(), known.end(), name) != known.end()) continue;
    const auto& others = non_config_mu_variables();
    if (std::any_of(others.begin(), others.end(), [&name = name](std::string_view v) {
          return v.ends_with('_') ? name.starts_with(v) : name == v;
        })) {
      continue;
    }
    std::string warning = name + ": unknown variable, ignored";
    std::size_t best = 3;
    std::string suggestion;
    for (const auto& k : known) {
      const std::size_t d = edit_distance(name, k);
      if (d < best) {
        best = d;
        suggestion = k;
      }
    }
    if (!suggestion.empty()) warning += " (did you mean " + suggestion + "?)";
    out.push_back(std::move(warning));
  }
  return out;
}

Status apply_board(const std::string& file, const std::string& id, const toml::table& t,
                   const ScheduleValidator& validator, Config& cfg) {
  BoardOverride o;
  const std::string prefix = file + ": boards.\"" + id + "\".";
  for (const auto& [k, node] : t) {
    std::string key(k.str());
    Input in{&node, nullptr, prefix + key};
    if (key == "enabled") {
      MU_ASSIGN_OR_RETURN(bool v, as_bool(in));
      o.enabled = v;
    } else if (key == "every") {
      MU_ASSIGN_OR_RETURN(auto d,
                          as_duration(in, std::chrono::seconds(10), std::chrono::hours(24 * 7)));
      o.every = std::chrono::duration_cast<std::chrono::seconds>(d);
    } else if (key == "timeout") {
      MU_ASSIGN_OR_RETURN(auto d,
                          as_duration(in, std::chrono::seconds(1), std::chrono::minutes(10)));
      o.timeout = std::chrono::duration_cast<std::chrono::seconds>(d);
    } else if (key == "retries") {
      MU_ASSIGN_OR_RETURN(int64_t v, as_int(in, 0, 10));
      o.retries = static_cast<int>(v);
    } else if (key == "group") {
      MU_ASSIGN_OR_RETURN(std::string v, as_string(in));
      o.group = v;
    } else if (key == "cron") {
      MU_ASSIGN_OR_RETURN(std::string v, as_string(in));
      if (v.find_first_not_of(' ') == std::string::npos) {
        return bad(in, "empty cron expression (remove the key to use `every`)");
      }
      if (validator.cron) {
        if (Status s = validator.cron(v); !s.ok()) return bad(in, s.message());
      }
      o.cron = v;
    } else if (key == "tz") {
      MU_ASSIGN_OR_RETURN(std::string v, as_string(in));
      if (v.empty()) return bad(in, "empty time zone (use an IANA name such as Asia/Shanghai)");
      if (validator.tz) {
        if (Status s = validator.tz(v); !s.ok()) return bad(in, s.message());
      }
      o.tz = v;
    } else if (key == "misfire") {
      MU_ASSIGN_OR_RETURN(std::string v, as_string(in));
      o.misfire = parse_misfire_policy(v);
      if (!o.misfire) {
        return bad(in, "expected \"fire-once\", \"skip\" or \"catch-up\", got \"" + v + "\"");
      }
    } else if (key == "catch_up") {
      MU_ASSIGN_OR_RETURN(auto d, as_duration(in, std::chrono::seconds(1), std::chrono::hours(24)));
      o.catch_up = std::chrono::duration_cast<std::chrono::seconds>(d);
    } else if (key == "overlap") {
      MU_ASSIGN_OR_RETURN(std::string v, as_string(in));
      o.overlap = parse_overlap_policy(v);
      if (!o.overlap) return bad(in, "expected \"skip\" or \"queue-one\", got \"" + v + "\"");
    } else {
      return error(ErrorCode::kConfig, in.where +
                                           ": unknown key (expected enabled, every, cron, tz, "
                                           "misfire, catch_up, overlap, timeout, retries, group)");
    }
  }
  if (o.every && o.cron) {
    return error(ErrorCode::kConfig,
                 file + ": boards.\"" + id + "\": every and cron exclude each other; set only one");
  }
  cfg.boards[id] = o;
  return ok_status();
}

}  // namespace

Result<milliseconds> parse_duration(const std::string& text) {
  if (text.empty()) return error(ErrorCode::kConfig, "empty duration");
  milliseconds total{0};
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t start = i;
    while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) != 0)) ++i;
    if (start == i) break;
    if (i - start > 9) return error(ErrorCode::kConfig, "duration \"" + text + "\" is too large");
    int64_t n = std::stoll(text.substr(start, i - start));
    std::size_t us = i;
    while (i < text.size() && (std::isalpha(static_cast<unsigned char>(text[i])) != 0)) ++i;
    std::string unit = text.substr(us, i - us);
    int64_t unit_ms = 0;
    if (unit == "ms") {
      unit_ms = 1;
    } else if (unit == "s") {
      unit_ms = 1000;
    } else if (unit == "m") {
      unit_ms = 60'000;
    } else if (unit == "h") {
      unit_ms = 3'600'000;
    } else if (unit == "d") {
      unit_ms = 86'400'000;
    } else {
      return error(ErrorCode::kConfig,
                   "duration \"" + text + "\": expected a number with a unit ms, s, m, h or d");
    }
    int64_t part = 0;
    int64_t sum = 0;
    if (__builtin_mul_overflow(n, unit_ms, &part) ||
        __builtin_add_overflow(total.count(), part, &sum)) {
      return error(ErrorCode::kConfig, "duration \"" + text + "\" is too large");
    }
    total = milliseconds(sum);
  }
  if (i != text.size()) {
    return error(ErrorCode::kConfig,
                 "duration \"" + text + "\": expected forms like 30s, 10m, 1h30m, 500ms");
  }
  return total;
}

Result<std::size_t> parse_size(const std::string& text) {
  std::size_t i = 0;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) != 0)) ++i;
  if (i == 0)
    return error(ErrorCode::kConfig, "size \"" + text + "\": expected 8MiB, 512KiB, 1048576");
  if (i > 15) return error(ErrorCode::kConfig, "size \"" + text + "\" is too large");
  std::size_t n = std::stoull(text.substr(0, i));
  std::string unit = text.substr(i);
  std::size_t mult = 0;
  if (unit.empty() || unit == "B")
    mult = 1;
  else if (unit == "KiB")
    mult = 1024;
  else if (unit == "MiB")
    mult = 1024 * 1024;
  else if (unit == "GiB")
    mult = 1024ull * 1024 * 1024;
  else if (unit == "KB" || unit == "kB")
    mult = 1000;
  else if (unit == "MB")
    mult = 1000 * 1000;
  else if (unit == "GB")
    mult = 1000ull * 1000 * 1000;
  else
    return error(ErrorCode::kConfig, "size \"" + text + "\": unknown unit \"" + unit + "\"");
  std::size_t bytes = 0;
  if (__builtin_mul_overflow(n, mult, &bytes)) {
    return error(ErrorCode::kConfig, "size \"" + text + "\" is too large");
  }
  return bytes;
}

Status check_listen_address(std::string_view text, ListenHost host_rule) {
  auto bad_address = [&](const std::string& why) {
    return error(ErrorCode::kConfig, "\"" + std::string(text) + "\": " + why);
  };
  std::string_view host;
  std::string_view port;
  bool bracketed = false;
  if (text.starts_with("[")) {
    const std::size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return bad_address("expected [IPV6]:PORT such as [::1]:8080");
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
    bracketed = true;
  } else {
    const std::size_t colon = text.rfind(':');
    if (colon == std::string_view::npos)
      return bad_address("expected HOST:PORT such as 127.0.0.1:8080");
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) {
      return bad_address("put an IPv6 address in brackets: [::1]:8080");
    }
  }
  unsigned long value = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec == std::errc::invalid_argument || end != port.data() + port.size()) {
    return bad_address("port \"" + std::string(port) + "\" is not a number");
  }
  if (ec == std::errc::result_out_of_range || value < 1 || value > 65535) {
    return bad_address("port must be between 1 and 65535, got " + std::string(port));
  }
  const std::string h(host);
  std::array<unsigned char, 16> bytes{};
  if (bracketed) {
    if (inet_pton(AF_INET6, h.c_str(), bytes.data()) != 1) {
      return bad_address("\"" + h + "\" is not an IPv6 address");
    }
    return ok_status();
  }
  if (h.empty() || h == "localhost" || inet_pton(AF_INET, h.c_str(), bytes.data()) == 1) {
    return ok_status();
  }
  const bool numeric = h.find_first_not_of("0123456789.") == std::string::npos;
  if (host_rule == ListenHost::kIpAddress || numeric) {
    return bad_address("\"" + h + "\" is not an IP address" +
                       (numeric ? "" : " (use an IPv4 address, [IPv6], localhost or :PORT)"));
  }
  // A DNS name: labels of letters, digits, '-' and '_', separated by dots.
  const bool name_ok =
      h.size() <= 253 && h.front() != '.' && h.back() != '.' && h.find("..") == std::string::npos &&
      std::all_of(h.begin(), h.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_' || c == '.';
      });
  if (!name_ok) return bad_address("\"" + h + "\" is not a host name or IP address");
  return ok_status();
}

const std::vector<std::string_view>& non_config_mu_variables() {
  static const std::vector<std::string_view> kNames = {
      "MU_BIN",                 // the mu binary, for tests/ and web/e2e
      "MU_SOURCE_DIR",          // repository root, for unit tests reading fixtures
      "MU_REDIS_SERVER",        // redis-server binary of the Redis tests
      "MU_ROBUSTNESS_BIG_MIB",  // tests/source_robustness_test.cc
      "MU_API",                 // web/ dev server target
      "MU_CLUSTER_",            // scripts/cluster and tests/cluster (MU_CLUSTER_DIR, ...)
  };
  return kNames;
}

std::map<std::string, std::string> mu_environment() {
  std::map<std::string, std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string kv(*e);
    if (kv.rfind("MU_", 0) != 0) continue;
    auto eq = kv.find('=');
    if (eq == std::string::npos) continue;
    env[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  return env;
}

std::string_view misfire_policy_name(MisfirePolicy policy) {
  switch (policy) {
    case MisfirePolicy::kFireOnce:
      return "fire-once";
    case MisfirePolicy::kSkip:
      return "skip";
    case MisfirePolicy::kCatchUp:
      return "catch-up";
  }
  return "fire-once";
}

std::optional<MisfirePolicy> parse_misfire_policy(std::string_view name) {
  for (MisfirePolicy p :
       {MisfirePolicy::kFireOnce, MisfirePolicy::kSkip, MisfirePolicy::kCatchUp}) {
    if (name == misfire_policy_name(p)) return p;
  }
  return std::nullopt;
}

std::string_view overlap_policy_name(OverlapPolicy policy) {
  return policy == OverlapPolicy::kQueueOne ? "queue-one" : "skip";
}

std::optional<OverlapPolicy> parse_overlap_policy(std::string_view name) {
  for (OverlapPolicy p : {OverlapPolicy::kSkip, OverlapPolicy::kQueueOne}) {
    if (name == overlap_policy_name(p)) return p;
  }
  return std::nullopt;
}

Result<Config> load_config(const std::string& path, const std::map<std::string, std::string>& env) {
  return load_config(path, env, ScheduleValidator{});
}

Result<Config> load_config(const std::string& path, const std::map<std::string, std::string>& env,
                           const ScheduleValidator& validator) {
  Config cfg;
  const auto specs = key_specs();
  if (!path.empty()) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) {
      return error(ErrorCode::kConfig, path + ": no such config file");
    }
    toml::table root;
    try {
      root = toml::parse_file(path);
    } catch (const toml::parse_error& e) {
      const auto& where = e.source().begin;
      return error(ErrorCode::kConfig, path + ":" + std::to_string(where.line) + ":" +
                                           std::to_string(where.column) + ": " +
                                           std::string(e.description()));
    }
    cfg.source = path;
    for (const auto& [sk, snode] : root) {
      std::string section(sk.str());
      const toml::table* st = snode.as_table();
      if (st == nullptr) {
        return error(ErrorCode::kConfig,
                     path + ": " + section + ": expected a [" + section + "] table");
      }
      if (section == "boards") {
        for (const auto& [bk, bnode] : *st) {
          const toml::table* bt = bnode.as_table();
          std::string id(bk.str());
          if (bt == nullptr) {
            return error(ErrorCode::kConfig, path + ": boards.\"" + id + "\": expected a table");
          }
          MU_RETURN_IF_ERROR(apply_board(path, id, *bt, validator, cfg));
        }
        continue;
      }
      if (section == "secrets") {
        for (const auto& [k, node] : *st) {
          auto v = node.value<std::string>();
          if (!v) {
            return error(ErrorCode::kConfig,
                         path + ": secrets." + std::string(k.str()) + ": expected a string");
          }
          cfg.secrets[std::string(k.str())] = *v;
        }
        continue;
      }
      for (const auto& [k, node] : *st) {
        std::string key = section + "." + std::string(k.str());
        const KeySpec* spec = nullptr;
        for (const auto& s : specs) {
          if (key == s.key) spec = &s;
        }
        if (spec == nullptr) {
          return error(ErrorCode::kConfig, path + ": unknown key \"" + key + "\"");
        }
        MU_RETURN_IF_ERROR(spec->set(Input{&node, nullptr, path + ": " + key}, cfg));
      }
    }
  }
  for (const auto& s : specs) {
    auto it = env.find(env_name(s.key));
    if (it == env.end()) continue;
    MU_RETURN_IF_ERROR(s.set(Input{nullptr, &it->second, it->first}, cfg));
  }
  for (const auto& [name, value] : env) {
    static constexpr std::string_view kSecret = "MU_SECRETS_";
    if (name.rfind(kSecret, 0) != 0) continue;
    std::string key;
    for (std::size_t i = kSecret.size(); i < name.size(); ++i) {
      if (name[i] == '_' && i + 1 < name.size() && name[i + 1] == '_') {
        key.push_back('.');
        ++i;
      } else {
        key.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(name[i]))));
      }
    }
    cfg.secrets[key] = value;
  }
  cfg.warnings = unknown_variable_warnings(specs, env);
  // Lease timing only works in this order: renew often, give up before the lease expires.
  const auto& co = cfg.coordination;
  if (!(co.renew_every < co.renew_deadline && co.renew_deadline < co.lease_ttl)) {
    return error(ErrorCode::kConfig,
                 cfg.source + ": coordination: need renew_every < renew_deadline < lease_ttl");
  }
  return cfg;
}

}  // namespace mu
