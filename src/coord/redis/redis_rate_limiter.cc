#include "coord/redis/redis_rate_limiter.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <string_view>

namespace mu {
namespace {

// KEYS[1]: the bucket. ARGV: per_minute, burst, tokens wanted, tokens given back (the unused
// rest of this instance's expired lease). Returns {granted, whole tokens left, ms until
// full, ms until the next token}.
constexpr std::string_view kTakeScript = R"lua(
local rate = tonumber(ARGV[1]) / 60000
local burst = tonumber(ARGV[2])
local want = tonumber(ARGV[3])
local back = tonumber(ARGV[4])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local v = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(v[1])
local at = tonumber(v[2])
if tokens == nil or at == nil then
  tokens = burst
  at = now
end
if now > at then
  tokens = tokens + (now - at) * rate
  at = now
end
tokens = tokens + back
if tokens > burst then tokens = burst end
local granted = math.min(want, math.floor(tokens))
if granted < 0 then granted = 0 end
tokens = tokens - granted
local full_ms = math.ceil((burst - tokens) / rate)
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(at))
redis.call('PEXPIRE', KEYS[1], full_ms + 1000)
local wait_ms = 0
if tokens < 1 then wait_ms = math.max(1, math.ceil((1 - tokens) / rate)) end
return {granted, math.floor(tokens), full_ms, wait_ms}
)lua";

}  // namespace

RedisRateLimiter::RedisRateLimiter(redis::RedisClient& client, RateLimiter& fallback,
                                   const Clock& clock, Options options)
    : client_(client),
      fallback_(fallback),
      clock_(clock),
      options_(std::move(options)),
      script_(std::string(kTakeScript)) {}

RateDecision RedisRateLimiter::take(std::string_view bucket, const RateLimit& raw) {
  const RateLimit limit{std::max<int64_t>(raw.per_minute, 1), std::max<int64_t>(raw.burst, 1)};
  const MonoTime now = clock_.mono();
  const std::string name(bucket);
  int64_t unused = 0;  // an expired lease's tokens, given back with this call
  {
    std::lock_guard lock(mu_);
    auto it = leases_.find(name);
    if (it != leases_.end()) {
      Lease& lease = it->second;
      if (lease.tokens > 0 && lease.expires > now) {
        --lease.tokens;
        RateDecision d;
        d.allowed = true;
        d.remaining = lease.shared_remaining + lease.tokens;
        d.reset_ms = lease.reset_ms;
        return d;
      }
      unused = lease.tokens;
      leases_.erase(it);
    }
  }

  // A tenth of a burst, at most kMaxLease: one round trip per that many requests.
  const int64_t want = std::clamp<int64_t>(
      static_cast<int64_t>(std::floor(static_cast<double>(limit.burst) * options_.lease_fraction)),
      1, kMaxLease);
  const std::string key = redis::hash_tagged_key(options_.prefix, "rl:" + name);
  const std::string per_minute = std::to_string(limit.per_minute);
  const std::string burst = std::to_string(limit.burst);
  const std::string wanted = std::to_string(want);
  const std::string back = std::to_string(unused);
  const std::string_view keys[] = {key};
  const std::string_view args[] = {per_minute, burst, wanted, back};
  auto reply = client_.eval(script_, redis::RedisArgs(keys), redis::RedisArgs(args));
  const bool shaped = reply.ok() && reply->is_array() && reply->elements.size() == 4 &&
                      std::all_of(reply->elements.begin(), reply->elements.end(),
                                  [](const redis::RedisValue& e) { return e.is_integer(); });
  if (!shaped) {
    errors_.fetch_add(1, std::memory_order_relaxed);
    if (!failing_.exchange(true)) {
      spdlog::warn("rate limits: Redis failed ({}); each instance now limits on its own",
                   reply.ok() ? reply->debug_string() : reply.status().to_string());
    }
    return fallback_.take(bucket, limit);
  }
  if (failing_.exchange(false)) spdlog::info("rate limits: Redis is back; limits are shared again");
  const int64_t granted = reply->elements[0].integer;
  const int64_t left = reply->elements[1].integer;
  RateDecision d;
  d.reset_ms = reply->elements[2].integer;
  if (granted <= 0) {
    d.retry_after_ms = std::max<int64_t>(reply->elements[3].integer, 1);
    d.remaining = 0;
    return d;
  }
  d.allowed = true;
  d.remaining = left + granted - 1;
  if (granted > 1) {
    std::lock_guard lock(mu_);
    if (leases_.size() >= options_.max_leases) {
      std::erase_if(leases_, [&](const auto& kv) { return kv.second.expires <= now; });
      if (leases_.size() >= options_.max_leases) leases_.clear();
    }
    Lease& lease = leases_[name];
    lease.tokens += granted - 1;
    lease.expires = now + options_.lease_ttl;
    lease.shared_remaining = left;
    lease.reset_ms = d.reset_ms;
  }
  return d;
}

}  // namespace mu
