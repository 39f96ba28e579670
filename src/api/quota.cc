#include "api/quota.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cmath>
#include <limits>
#include <vector>

#include "api/handler_util.h"
#include "auth/crypto.h"
#include "core/utf8.h"
#include "http/client_address.h"

namespace mu {
namespace json = boost::json;
using handler::err;
using handler::json_ok;

namespace {

constexpr std::string_view kKeyPrefix = "mu_";

int64_t ceil_seconds(int64_t ms) { return std::max<int64_t>((ms + 999) / 1000, 0); }

void add_rate_headers(std::vector<std::pair<std::string, std::string>>& headers,
                      const RateLimit& limit, const RateDecision& d) {
  const int64_t window_s = std::max<int64_t>(
      1, (limit.burst * 60 + limit.per_minute - 1) / std::max<int64_t>(limit.per_minute, 1));
  headers.reserve(headers.size() + 4);
  headers.emplace_back("RateLimit-Limit", std::to_string(limit.burst));
  headers.emplace_back("RateLimit-Remaining", std::to_string(std::max<int64_t>(d.remaining, 0)));
  headers.emplace_back("RateLimit-Reset", std::to_string(ceil_seconds(d.reset_ms)));
  headers.emplace_back("RateLimit-Policy",
                       std::to_string(limit.burst) + ";w=" + std::to_string(window_s));
}

Response refusal(const RateDecision& d, std::string_view who) {
  const int64_t wait_s = std::max<int64_t>(ceil_seconds(d.retry_after_ms), 1);
  Response r = err(429, "rate-limited",
                   std::string("too many requests from this ") + std::string(who) + "; retry in " +
                       std::to_string(wait_s) + " s");
  r.set_header("Retry-After", std::to_string(wait_s));
  return r;
}

Response internal(std::string_view what, const Status& s) {
  return handler::internal("quota", what, s);
}

}  // namespace

QuotaService::QuotaService(AccountStore& store, AccountsService& accounts, RateLimiter& limiter,
                           const Clock& clock, QuotaOptions options)
    : store_(store), accounts_(accounts), limiter_(limiter), clock_(clock), options_(options) {}

bool QuotaService::limited_path(std::string_view path) {
  return path.starts_with("/api/") || path.starts_with("/feeds/") || path == "/mcp";
}

std::string_view QuotaService::key_of(const Request& req) {
  std::string_view auth = req.header("Authorization");
  if (auth.size() > 7 && (auth.substr(0, 7) == "Bearer " || auth.substr(0, 7) == "bearer ")) {
    std::string_view token = auth.substr(7);
    while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
    if (token.starts_with(kKeyPrefix)) return token;
  }
  return req.header("X-API-Key");
}

Result<std::optional<ApiKeyRecord>> QuotaService::lookup(const std::string& secret, bool& cached) {
  const std::string hash = sha256_hex(secret);
  const MonoTime now = clock_.mono();
  std::optional<CachedKey> stale;
  {
    std::lock_guard lock(mu_);
    auto it = cache_.find(hash);
    if (it != cache_.end()) {
      if (now - it->second.fetched < options_.key_cache_ttl) {
        cached = true;
        return it->second.key;
      }
      stale = it->second;
    }
  }
  cached = false;
  auto found = store_.api_key_by_hash(hash);
  if (!found.ok()) {
    if (stale) {
      cached = true;
      return stale->key;  // the store is away: the last known answer stands
    }
    return found.status();
  }
  std::lock_guard lock(mu_);
  if (cache_.size() >= kMaxCachedKeys) {
    std::erase_if(cache_, [&](const auto& kv) {
      return now - kv.second.fetched >= options_.key_cache_ttl || !kv.second.key;
    });
    if (cache_.size() >= kMaxCachedKeys) cache_.clear();
  }
  cache_[hash] = CachedKey{*found, now};
  return *found;
}

void QuotaService::forget_key(const std::string& id) {
  std::lock_guard lock(mu_);
  std::erase_if(cache_, [&](const auto& kv) { return kv.second.key && kv.second.key->id == id; });
}

RateLimit QuotaService::limit_of(const ApiKeyRecord& key) const {
  return RateLimit{key.per_minute > 0 ? key.per_minute : options_.key_default.per_minute,
                   key.burst > 0 ? key.burst : options_.key_default.burst};
}

Admission QuotaService::admit(const Request& req) {
  Admission out;
  if (!options_.enabled || !limited_path(req.path)) return out;
  const std::string address = client_bucket(req.client());
  const std::string_view secret = key_of(req);
  if (!secret.empty()) {
    bool cached = false;
    auto key = lookup(std::string(secret), cached);
    if (!cached) {
      // A store lookup: paid for with an anonymous token of the address.
      const RateDecision d = limiter_.take("ip:" + address, options_.anonymous);
      if (!d.allowed) {
        refused_.fetch_add(1, std::memory_order_relaxed);
        add_rate_headers(out.headers, options_.anonymous, d);
        out.refuse = refusal(d, "address");
        return out;
      }
    }
    if (!key.ok()) {
      Response r = internal("key lookup", key.status());
      r.set_header("Retry-After", "5");
      out.refuse = std::move(r);
      return out;
    }
    if (!key->has_value() || (*key)->revoked_ms > 0) {
      invalid_keys_.fetch_add(1, std::memory_order_relaxed);
      Response r = err(401, "invalid-key",
                       key->has_value() ? "this API key was revoked"
                                        : "unknown API key (create one under Settings → API keys)");
      r.set_header("WWW-Authenticate", "Bearer error=\"invalid_token\"");
      out.refuse = std::move(r);
      return out;
    }
    const ApiKeyRecord& k = **key;
    const RateLimit limit = limit_of(k);
    const RateDecision d = limiter_.take("key:" + k.id, limit);
    add_rate_headers(out.headers, limit, d);
    if (!d.allowed) {
      refused_.fetch_add(1, std::memory_order_relaxed);
      out.refuse = refusal(d, "API key");
      return out;
    }
    admitted_.fetch_add(1, std::memory_order_relaxed);
    key_requests_.fetch_add(1, std::memory_order_relaxed);
    std::lock_guard lock(mu_);
    Usage& u = usage_[k.id];
    ++u.requests;
    u.last_used_ms = clock_.now_ms();
    return out;
  }
  if (options_.mcp_requires_key && req.path == "/mcp") {
    invalid_keys_.fetch_add(1, std::memory_order_relaxed);
    Response r = err(401, "key-required",
                     "this server's MCP endpoint needs an API key: Authorization: Bearer mu_…");
    r.set_header("WWW-Authenticate", "Bearer");
    out.refuse = std::move(r);
    return out;
  }
  const RateDecision d = limiter_.take("ip:" + address, options_.anonymous);
  add_rate_headers(out.headers, options_.anonymous, d);
  if (!d.allowed) {
    refused_.fetch_add(1, std::memory_order_relaxed);
    out.refuse = refusal(d, "address");
    return out;
  }
  admitted_.fetch_add(1, std::memory_order_relaxed);
  return out;
}

Status QuotaService::flush_usage() {
  std::vector<ApiKeyUsage> batch;
  {
    std::lock_guard lock(mu_);
    if (usage_.empty()) return ok_status();
    for (const auto& [id, u] : usage_) batch.push_back(ApiKeyUsage{id, u.requests, u.last_used_ms});
    usage_.clear();
  }
  Status s = store_.add_api_key_usage(batch);
  if (!s.ok()) {
    std::lock_guard lock(mu_);
    for (const ApiKeyUsage& b : batch) {
      Usage& u = usage_[b.id];
      u.requests += b.requests;
      u.last_used_ms = std::max(u.last_used_ms, b.last_used_ms);
    }
  }
  return s;
}

QuotaCounters QuotaService::counters() const {
  return QuotaCounters{
      admitted_.load(std::memory_order_relaxed), refused_.load(std::memory_order_relaxed),
      invalid_keys_.load(std::memory_order_relaxed), key_requests_.load(std::memory_order_relaxed)};
}

json::object QuotaService::key_json(const ApiKeyRecord& key) const {
  int64_t requests = key.requests;
  int64_t last_used = key.last_used_ms;
  {
    std::lock_guard lock(mu_);
    if (auto it = usage_.find(key.id); it != usage_.end()) {
      requests += it->second.requests;
      last_used = std::max(last_used, it->second.last_used_ms);
    }
  }
  const RateLimit limit = limit_of(key);
  return json::object{{"id", key.id},
                      {"name", key.name},
                      {"prefix", key.prefix},
                      {"created_at", handler::time_or_null(key.created_ms)},
                      {"last_used_at", handler::time_or_null(last_used)},
                      {"requests", requests},
                      {"revoked", key.revoked_ms > 0},
                      {"revoked_at", handler::time_or_null(key.revoked_ms)},
                      {"per_minute", limit.per_minute},
                      {"burst", limit.burst},
                      {"custom_limit", key.per_minute > 0 || key.burst > 0}};
}

void QuotaService::register_routes(Router& router) {
  router.add(HttpMethod::kGet, "/api/v1/me/keys",
             [this](const Request& r) { return list_mine(r); });
  router.add(HttpMethod::kPost, "/api/v1/me/keys", [this](const Request& r) { return create(r); });
  router.add(HttpMethod::kDelete, "/api/v1/me/keys/{id}",
             [this](const Request& r) { return revoke_mine(r); });
  router.add(HttpMethod::kGet, "/api/v1/admin/keys",
             [this](const Request& r) { return list_all(r); });
  router.add(HttpMethod::kPatch, "/api/v1/admin/keys/{id}",
             [this](const Request& r) { return set_limits(r); });
  router.add(HttpMethod::kDelete, "/api/v1/admin/keys/{id}",
             [this](const Request& r) { return revoke_any(r); });
}

Response QuotaService::list_mine(const Request& req) const {
  AccountsService::Authed a;
  if (auto r = accounts_.require(req, false, false, a)) return std::move(*r);
  auto keys = store_.api_keys(a.user.id);
  if (!keys.ok()) return internal("list keys", keys.status());
  json::array arr;
  for (const ApiKeyRecord& k : *keys) arr.push_back(key_json(k));
  return json_ok(
      200,
      json::object{{"keys", std::move(arr)},
                   {"default_limit", json::object{{"per_minute", options_.key_default.per_minute},
                                                  {"burst", options_.key_default.burst}}},
                   {"anonymous_limit", json::object{{"per_minute", options_.anonymous.per_minute},
                                                    {"burst", options_.anonymous.burst}}},
                   {"max_keys", options_.max_keys_per_user}});
}

Response QuotaService::create(const Request& req) {
  AccountsService::Authed a;
  if (auto r = accounts_.require(req, true, false, a)) return std::move(*r);
  auto body = handler::parse_object(req.body.empty() ? std::string_view("{}") : req.body);
  if (!body) return err(400, "invalid", "body must be a JSON object");
  std::string name = handler::string_member(*body, "name").value_or("");
  if (body->contains("name") && !(*body).at("name").is_string()) {
    return err(400, "invalid", "name must be a string");
  }
  if (name.size() > kMaxKeyNameBytes || find_invalid_utf8(name)) {
    return err(400, "invalid", "name must be UTF-8 of at most 100 bytes");
  }
  for (std::size_t i = 0; i < name.size(); ++i) {
    const auto c = static_cast<unsigned char>(name[i]);
    const bool c1 = c == 0xc2 && i + 1 < name.size() &&
                    static_cast<unsigned char>(name[i + 1]) >= 0x80 &&
                    static_cast<unsigned char>(name[i + 1]) <= 0x9f;  // U+0080..U+009F
    if (c < 0x20 || c == 0x7f || c1) {
      return err(400, "invalid", "name must not contain control characters");
    }
  }
  if (name.find_first_not_of(' ') == std::string::npos) name = "API key";
  ApiKeyRecord key;
  key.id = "k_" + random_token(9);
  const std::string secret = std::string(kKeyPrefix) + random_token(30);
  key.user_id = a.user.id;
  key.name = name;
  key.secret_hash = sha256_hex(secret);
  key.prefix = secret.substr(0, 10);
  key.created_ms = clock_.now_ms();
  Status s = store_.create_api_key(key, options_.max_keys_per_user);
  if (s.code() == ErrorCode::kTooLarge) return err(409, "too-many-keys", s.message());
  if (!s.ok()) return internal("create key", s);
  handler::audit(store_, key.created_ms, a.user.login, "api_key.create", key.id,
                 json::serialize(json::object{{"name", key.name}}));
  spdlog::info("quota: {} created API key {} ({})", a.user.login, key.id, key.prefix);
  return json_ok(201, json::object{{"key", key_json(key)}, {"secret", secret}});
}

Response QuotaService::revoke_mine(const Request& req) {
  AccountsService::Authed a;
  if (auto r = accounts_.require(req, true, false, a)) return std::move(*r);
  const std::string id(req.param("id"));
  auto revoked = store_.revoke_api_key(id, a.user.id, clock_.now_ms());
  if (!revoked.ok()) return internal("revoke key", revoked.status());
  if (!*revoked) return err(404, "not-found", "you have no live API key with that id");
  forget_key(id);
  spdlog::info("quota: {} revoked API key {}", a.user.login, id);
  return handler::empty(204);
}

Response QuotaService::list_all(const Request& req) const {
  AccountsService::Authed a;
  if (auto r = accounts_.require(req, false, true, a)) return std::move(*r);
  auto keys = store_.api_keys(0);
  if (!keys.ok()) return internal("list keys", keys.status());
  auto users = store_.list_users();
  if (!users.ok()) return internal("list users", users.status());
  std::unordered_map<int64_t, std::string> logins;
  for (const User& u : *users) logins[u.id] = u.login;
  json::array arr;
  for (const ApiKeyRecord& k : *keys) {
    json::object o = key_json(k);
    o["user_id"] = k.user_id;
    o["login"] = logins.count(k.user_id) ? logins[k.user_id] : std::string();
    arr.push_back(std::move(o));
  }
  return json_ok(200, json::object{{"keys", std::move(arr)}});
}

Response QuotaService::set_limits(const Request& req) {
  AccountsService::Authed a;
  if (auto r = accounts_.require(req, true, true, a)) return std::move(*r);
  const std::string id(req.param("id"));
  auto body = handler::parse_object(req.body);
  if (!body) return err(400, "invalid", "body must be a JSON object");
  auto number = [&](std::string_view name) -> std::optional<int64_t> {
    auto it = body->find(name);
    if (it == body->end()) return int64_t{0};
    if (!it->value().is_int64() && !it->value().is_uint64()) return std::nullopt;
    const int64_t v =
        it->value().is_int64()
            ? it->value().as_int64()
            : static_cast<int64_t>(std::min<uint64_t>(it->value().as_uint64(), 1'000'000'000));
    if (v < 0 || v > 1'000'000'000) return std::nullopt;
    return v;
  };
  const auto per_minute = number("per_minute");
  const auto burst = number("burst");
  if (!per_minute || !burst) {
    return err(400, "invalid",
               "per_minute and burst must be integers in 0..1000000000 (0: the default)");
  }
  Status s = store_.set_api_key_limits(id, *per_minute, *burst);
  if (s.code() == ErrorCode::kNotFound) return err(404, "not-found", "no API key with that id");
  if (!s.ok()) return internal("set key limits", s);
  forget_key(id);
  handler::audit(store_, clock_.now_ms(), a.user.login, "api_key.limits", id,
                 json::serialize(json::object{{"per_minute", *per_minute}, {"burst", *burst}}));
  auto keys = store_.api_keys(0);
  if (!keys.ok()) return internal("list keys", keys.status());
  for (const ApiKeyRecord& k : *keys) {
    if (k.id == id) return json_ok(200, key_json(k));
  }
  return err(404, "not-found", "no API key with that id");
}

Response QuotaService::revoke_any(const Request& req) {
  AccountsService::Authed a;
  if (auto r = accounts_.require(req, true, true, a)) return std::move(*r);
  const std::string id(req.param("id"));
  auto revoked = store_.revoke_api_key(id, 0, clock_.now_ms());
  if (!revoked.ok()) return internal("revoke key", revoked.status());
  if (!*revoked) return err(404, "not-found", "no live API key with that id");
  forget_key(id);
  handler::audit(store_, clock_.now_ms(), a.user.login, "api_key.revoke", id);
  spdlog::info("quota: {} revoked API key {}", a.user.login, id);
  return handler::empty(204);
}

}  // namespace mu
