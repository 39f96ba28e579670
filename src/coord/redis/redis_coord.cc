#include "coord/redis/redis_coord.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cmath>
#include <exception>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <boost/json.hpp>

namespace mu {
namespace {

namespace json = boost::json;
using redis::LuaScript;
using redis::RedisArgs;
using redis::RedisClient;
using redis::RedisValue;

// --- Lua scripts ---

// KEYS: leader, epoch. ARGV: holder, ttl ms, floor. Returns the new epoch, or nil when held.
constexpr const char* kAcquireLua = R"lua(
if redis.call('EXISTS', KEYS[1]) == 1 then return false end
local floor = tonumber(ARGV[3])
local current = tonumber(redis.call('GET', KEYS[2]) or '0') or 0
if current < floor then redis.call('SET', KEYS[2], ARGV[3]) end
local epoch = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], ARGV[1] .. '|' .. string.format('%d', epoch), 'PX', ARGV[2])
return epoch
)lua";

// KEYS: leader. ARGV: "holder|epoch", ttl ms. Returns 1 when extended.
constexpr const char* kRenewLua = R"lua(
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
)lua";

// KEYS: leader. ARGV: "holder|epoch". Returns 1 when deleted.
constexpr const char* kReleaseLua = R"lua(
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
)lua";

// KEYS: leader. Returns nil, or {"holder|epoch", pttl}.
constexpr const char* kLeaderLua = R"lua(
local v = redis.call('GET', KEYS[1])
if not v then return false end
return {v, redis.call('PTTL', KEYS[1])}
)lua";

// KEYS: collectors hash, due zset. ARGV: id, json, ttl ms. Returns Redis TIME in ms (the
// heartbeat time; TIME is exact below 2^53 ms as a Lua number).
constexpr const char* kHeartbeatLua = R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], string.format('%.0f', now + tonumber(ARGV[3])), ARGV[1])
return string.format('%.0f', now)
)lua";

// KEYS: collectors hash, due zset. ARGV: id.
constexpr const char* kRemoveLua = R"lua(
redis.call('ZREM', KEYS[2], ARGV[1])
return redis.call('HDEL', KEYS[1], ARGV[1])
)lua";

// KEYS: collectors hash, due zset. Drops entries past their deadline; returns a flat array
// id, json, deadline, id, json, deadline, ... of the live ones.
constexpr const char* kAliveLua = R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit = '(' .. string.format('%.0f', now)
local dead = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', limit)
for _, id in ipairs(dead) do redis.call('HDEL', KEYS[1], id) end
if #dead > 0 then redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', limit) end
local live = redis.call('ZRANGE', KEYS[2], 0, -1, 'WITHSCORES')
local out = {}
for i = 1, #live, 2 do
  local doc = redis.call('HGET', KEYS[1], live[i])
  if doc then
    out[#out + 1] = live[i]
    out[#out + 1] = doc
    out[#out + 1] = live[i + 1]
  else
    redis.call('ZREM', KEYS[2], live[i])
  end
end
return out
)lua";

// KEYS: stream. ARGV: group, consumer, min idle ms, max. Returns {{id, {field, value, ...},
// deliveries}, ...}.
constexpr const char* kClaimLua = R"lua(
local out = {}
local cursor = '0-0'
local max = tonumber(ARGV[4])
repeat
  local r = redis.call('XAUTOCLAIM', KEYS[1], ARGV[1], ARGV[2], ARGV[3], cursor, 'COUNT',
                       max - #out)
  cursor = r[1]
  for _, e in ipairs(r[2]) do
    local p = redis.call('XPENDING', KEYS[1], ARGV[1], e[1], e[1], 1)
    local n = 1
    if p[1] then n = p[1][4] end
    out[#out + 1] = {e[1], e[2], n}
  end
until cursor == '0-0' or #out >= max
return out
)lua";

// KEYS: stream. ARGV: group, id. Returns the number of entries deleted.
constexpr const char* kAckLua = R"lua(
redis.pcall('XACK', KEYS[1], ARGV[1], ARGV[2])
return redis.call('XDEL', KEYS[1], ARGV[2])
)lua";

// --- helpers ---

Status unexpected(const RedisClient& client, std::string_view what, const RedisValue& v) {
  return error(ErrorCode::kInternal, fmt::format("redis {}: unexpected reply to {}: {}",
                                                 client.address(), what, v.debug_string()));
}

// Runs a script; error replies become a Status.
Result<RedisValue> run(RedisClient& client, const LuaScript& script,
                       std::initializer_list<std::string_view> keys,
                       std::initializer_list<std::string_view> args) {
  MU_ASSIGN_OR_RETURN(RedisValue v, client.eval(script, RedisArgs(keys.begin(), keys.size()),
                                                RedisArgs(args.begin(), args.size())));
  if (v.is_error()) return redis::reply_error_status(client.address(), v.str);
  return v;
}

std::optional<int64_t> to_int64(std::string_view s) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

// A sorted-set score ("1767225600123", or "1.7672256001230000e+12" style) as an integer.
std::optional<int64_t> score_to_int64(std::string_view s) {
  if (auto v = to_int64(s)) return v;
  double d = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
  if (ec != std::errc() || end != s.data() + s.size() || !std::isfinite(d)) return std::nullopt;
  return static_cast<int64_t>(std::llround(d));
}

Status check_ttl(std::chrono::milliseconds ttl) {
  if (ttl.count() < 1) {
    return error(ErrorCode::kInvalid,
                 fmt::format("ttl must be at least 1 ms, got {} ms", ttl.count()));
  }
  return ok_status();
}

std::string lease_value(const std::string& holder, int64_t epoch) {
  return fmt::format("{}|{}", holder, epoch);
}

bool is_nogroup(const Result<RedisValue>& r) {
  if (!r.ok()) return false;
  if (!r->is_error()) return false;
  return r->error_prefix() == "NOGROUP" || r->str.find("NOGROUP") != std::string::npos;
}

// "<ms>-<seq>" as XADD assigns them.
bool is_stream_id(std::string_view id) {
  const size_t dash = id.find('-');
  if (dash == std::string_view::npos) return false;
  return to_int64(id.substr(0, dash)).value_or(-1) >= 0 &&
         to_int64(id.substr(dash + 1)).value_or(-1) >= 0;
}

// Stream entry [id, [field, value, ...]] (fields nil for a deleted entry) as a QueueEntry.
std::optional<QueueEntry> to_entry(const RedisValue& v, int deliveries) {
  if (!v.is_array() || v.elements.size() < 2 || !v.elements[0].is_string()) return std::nullopt;
  QueueEntry e;
  e.id = v.elements[0].str;
  e.deliveries = deliveries;
  const RedisValue& fields = v.elements[1];
  if (!fields.is_array()) return std::nullopt;
  for (size_t i = 0; i + 1 < fields.elements.size(); i += 2) {
    if (fields.elements[i].str == "p") e.payload = fields.elements[i + 1].str;
  }
  return e;
}

std::string collector_json(const CollectorInfo& info, std::chrono::milliseconds ttl) {
  json::array groups;
  for (const auto& g : info.groups) groups.emplace_back(g);
  json::object o;
  o["id"] = info.id;
  o["address"] = info.address;
  o["groups"] = std::move(groups);
  o["version"] = info.version;
  o["in_flight"] = info.in_flight;
  o["capacity"] = info.capacity;
  o["started_ms"] = info.started_ms;
  o["ttl_ms"] = ttl.count();
  return json::serialize(o);
}

std::optional<CollectorInfo> parse_collector(std::string_view id, std::string_view text,
                                             int64_t deadline_ms) {
  std::error_code ec;
  json::value doc = json::parse(text, ec);
  if (ec || !doc.is_object()) return std::nullopt;
  const json::object& o = doc.get_object();
  auto str = [&](std::string_view k) -> std::string {
    auto it = o.find(k);
    if (it == o.end() || !it->value().is_string()) return {};
    return std::string(it->value().get_string());
  };
  auto num = [&](std::string_view k) -> int64_t {
    auto it = o.find(k);
    if (it == o.end()) return 0;
    if (auto p = it->value().if_int64()) return *p;
    if (auto p = it->value().if_uint64()) return static_cast<int64_t>(*p);
    return 0;
  };
  CollectorInfo info;
  info.id = std::string(id);
  info.address = str("address");
  info.version = str("version");
  if (auto it = o.find("groups"); it != o.end() && it->value().is_array()) {
    for (const auto& g : it->value().get_array()) {
      if (g.is_string()) info.groups.emplace_back(g.get_string());
    }
  }
  info.in_flight = static_cast<int>(num("in_flight"));
  info.capacity = static_cast<int>(num("capacity"));
  info.started_ms = num("started_ms");
  info.heartbeat_ms = deadline_ms - num("ttl_ms");
  return info;
}

Status check_prefix(std::string_view prefix) {
  if (prefix.empty() || prefix.find_first_of("{}") != std::string_view::npos) {
    return error(
        ErrorCode::kConfig,
        fmt::format("redis key prefix '{}' must be non-empty without '{{' or '}}'", prefix));
  }
  return ok_status();
}

// Owned file descriptor.
class UniqueFd {
 public:
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() {
    if (fd_ >= 0) ::close(fd_);
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

constexpr std::chrono::milliseconds kSubscriberPingEvery{1000};
constexpr std::chrono::milliseconds kSubscriberBackoffInitial{50};
constexpr std::chrono::milliseconds kSubscriberBackoffMax{2000};

// What a subscription thread needs; shared so a detached thread (a Subscription destroyed
// from its own callback) keeps it alive.
struct SubscriberState {
  redis::RedisEndpoint endpoint;
  std::chrono::milliseconds connect_timeout;
  std::chrono::milliseconds command_timeout;
  std::string channel;
  std::function<void(const BoardUpdated&)> on_event;
  std::function<void()> on_resync;
  SystemClock clock;
  std::atomic<bool> stopping{false};
  UniqueFd wake{::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)};

  void stop() {
    stopping.store(true);
    const uint64_t one = 1;
    if (wake.get() >= 0) {
      [[maybe_unused]] ssize_t n = ::write(wake.get(), &one, sizeof(one));
    }
  }

  // Waits up to `d` (or until stop()); true when stopping.
  bool wait(std::chrono::milliseconds d) {
    if (stopping.load()) return true;
    pollfd p{};
    p.fd = wake.get();
    p.events = POLLIN;
    ::poll(&p, 1, static_cast<int>(std::max<int64_t>(d.count(), 0)));
    return stopping.load();
  }

  template <typename F>
  void guarded(const char* what, F&& f) {
    try {
      f();
    } catch (const std::exception& e) {
      spdlog::error("redis events {}: {} callback threw: {}", endpoint.address(), what, e.what());
    } catch (...) {
      spdlog::error("redis events {}: {} callback threw", endpoint.address(), what);
    }
  }

  // Handles one pub/sub reply; true when it confirmed the subscription.
  bool handle(const RedisValue& v) {
    if (!v.is_array() || v.elements.empty()) return false;
    std::string kind = v.elements[0].str;
    std::transform(kind.begin(), kind.end(), kind.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (kind == "subscribe") {
      guarded("on_resync", [&] { on_resync(); });
      return true;
    }
    if (kind == "message" && v.elements.size() >= 3) {
      if (auto event = RedisEventBus::decode(v.elements[2].str)) {
        guarded("on_event", [&] { on_event(*event); });
      } else {
        spdlog::warn("redis events {}: ignoring malformed message on {}", endpoint.address(),
                     channel);
      }
    }
    return false;
  }

  // Listens on a connection that has sent SUBSCRIBE until it is lost (the Status says why)
  // or stop() (ok). Sets `subscribed` once the server confirmed.
  Status listen(redis::RedisConnection& conn, bool& subscribed) {
    const MonoTime connected = clock.mono();
    MonoTime last_heard = connected;
    // A PING awaiting its answer was sent at ping_at (a plain flag + time point: GCC 12 at -O2
    // warns falsely about std::optional<time_point> here).
    bool ping_sent = false;
    MonoTime ping_at = connected;
    for (;;) {
      const MonoTime now = clock.mono();
      MonoTime next;
      if (!subscribed) {
        next = connected + command_timeout;
      } else if (ping_sent) {
        next = ping_at + command_timeout;
      } else {
        next = last_heard + kSubscriberPingEvery;
      }
      const auto wait_ms =
          std::max<int64_t>(std::chrono::ceil<std::chrono::milliseconds>(next - now).count(), 0);
      pollfd fds[2] = {};
      fds[0].fd = conn.fd();
      fds[0].events = POLLIN;
      fds[1].fd = wake.get();
      fds[1].events = POLLIN;
      ::poll(fds, 2, static_cast<int>(wait_ms) + 1);
      if (stopping.load()) return ok_status();
      if (fds[0].revents != 0) {
        MU_ASSIGN_OR_RETURN(std::vector<RedisValue> replies, conn.read_available());
        last_heard = clock.mono();
        ping_sent = false;
        for (const RedisValue& r : replies) {
          if (handle(r)) subscribed = true;
          if (stopping.load()) return ok_status();
        }
        continue;
      }
      const MonoTime after = clock.mono();
      if (!subscribed && after - connected >= command_timeout) {
        return error(ErrorCode::kUnavailable,
                     fmt::format("redis {}: SUBSCRIBE timed out after {} ms", endpoint.address(),
                                 command_timeout.count()));
      }
      if (ping_sent && after - ping_at >= command_timeout) {
        return error(ErrorCode::kUnavailable,
                     fmt::format("redis {}: no answer to PING within {} ms", endpoint.address(),
                                 command_timeout.count()));
      }
      if (subscribed && !ping_sent && after - last_heard >= kSubscriberPingEvery) {
        MU_RETURN_IF_ERROR(conn.send({"PING"}));
        ping_sent = true;
        ping_at = after;
      }
    }
  }

  void run() {
    std::chrono::milliseconds backoff{0};
    bool down = false;  // logged the outage already
    while (!stopping.load()) {
      if (backoff.count() > 0 && wait(backoff)) return;
      bool subscribed = false;
      auto conn = redis::RedisConnection::open(endpoint, connect_timeout, command_timeout);
      Status st = conn.ok() ? conn.value()->send({"SUBSCRIBE", channel}) : conn.status();
      if (st.ok()) st = listen(*conn.value(), subscribed);
      if (stopping.load()) return;
      if (subscribed) {
        backoff = std::chrono::milliseconds(0);
        down = false;
      }
      if (!down) {
        spdlog::warn("redis events: {}; resubscribing with backoff", st.message());
        down = true;
      }
      backoff = backoff.count() == 0 ? kSubscriberBackoffInitial
                                     : std::min(backoff * 2, kSubscriberBackoffMax);
    }
  }
};

class RedisSubscription final : public Subscription {
 public:
  explicit RedisSubscription(std::shared_ptr<SubscriberState> state) : state_(std::move(state)) {
    thread_ = std::thread([s = state_] { s->run(); });
  }
  ~RedisSubscription() override {
    state_->stop();
    if (thread_.get_id() == std::this_thread::get_id()) {
      thread_.detach();  // destroyed from its own callback: the thread ends on return
    } else {
      thread_.join();
    }
  }
  RedisSubscription(const RedisSubscription&) = delete;
  RedisSubscription& operator=(const RedisSubscription&) = delete;

 private:
  std::shared_ptr<SubscriberState> state_;
  std::thread thread_;
};

}  // namespace

// --- RedisLeaseStore ---

RedisLeaseStore::RedisLeaseStore(std::shared_ptr<RedisClient> client, std::string prefix)
    : client_(std::move(client)),
      leader_key_(redis::hash_tagged_key(prefix, "leader")),
      epoch_key_(redis::hash_tagged_key(prefix, "epoch")),
      acquire_(kAcquireLua),
      renew_(kRenewLua),
      release_(kReleaseLua),
      leader_(kLeaderLua) {}

Result<std::optional<int64_t>> RedisLeaseStore::try_acquire(const std::string& holder,
                                                            std::chrono::milliseconds ttl) {
  return try_acquire_above(holder, ttl, 0);
}

Result<std::optional<int64_t>> RedisLeaseStore::try_acquire_above(const std::string& holder,
                                                                  std::chrono::milliseconds ttl,
                                                                  int64_t floor) {
  if (holder.empty()) return error(ErrorCode::kInvalid, "lease holder must not be empty");
  MU_RETURN_IF_ERROR(check_ttl(ttl));
  if (floor < 0) return error(ErrorCode::kInvalid, "epoch floor must not be negative");
  const std::string ttl_ms = std::to_string(ttl.count());
  const std::string floor_s = std::to_string(floor);
  MU_ASSIGN_OR_RETURN(
      RedisValue v, run(*client_, acquire_, {leader_key_, epoch_key_}, {holder, ttl_ms, floor_s}));
  if (v.is_nil()) return std::optional<int64_t>();
  if (!v.is_integer()) return unexpected(*client_, "lease acquire", v);
  return std::optional<int64_t>(v.integer);
}

Result<bool> RedisLeaseStore::renew(const std::string& holder, int64_t epoch,
                                    std::chrono::milliseconds ttl) {
  MU_RETURN_IF_ERROR(check_ttl(ttl));
  const std::string ttl_ms = std::to_string(ttl.count());
  MU_ASSIGN_OR_RETURN(RedisValue v,
                      run(*client_, renew_, {leader_key_}, {lease_value(holder, epoch), ttl_ms}));
  if (!v.is_integer()) return unexpected(*client_, "lease renew", v);
  return v.integer == 1;
}

Status RedisLeaseStore::release(const std::string& holder, int64_t epoch) {
  MU_ASSIGN_OR_RETURN(RedisValue v,
                      run(*client_, release_, {leader_key_}, {lease_value(holder, epoch)}));
  if (!v.is_integer()) return unexpected(*client_, "lease release", v);
  return ok_status();
}

Result<std::optional<LeaderInfo>> RedisLeaseStore::leader() {
  MU_ASSIGN_OR_RETURN(RedisValue v, run(*client_, leader_, {leader_key_}, {}));
  if (v.is_nil()) return std::optional<LeaderInfo>();
  if (!v.is_array() || v.elements.size() != 2 || !v.elements[0].is_string() ||
      !v.elements[1].is_integer()) {
    return unexpected(*client_, "lease read", v);
  }
  const std::string& value = v.elements[0].str;
  const size_t bar = value.rfind('|');
  std::optional<int64_t> epoch;
  if (bar != std::string::npos) epoch = to_int64(std::string_view(value).substr(bar + 1));
  if (!epoch) return unexpected(*client_, "lease read", v);
  LeaderInfo info;
  info.holder = value.substr(0, bar);
  info.epoch = *epoch;
  info.ttl_left = std::chrono::milliseconds(std::max<int64_t>(v.elements[1].integer, 0));
  return std::optional<LeaderInfo>(std::move(info));
}

Result<int64_t> RedisLeaseStore::current_epoch() {
  MU_ASSIGN_OR_RETURN(RedisValue v, client_->command({"GET", epoch_key_}));
  if (v.is_nil()) return int64_t{0};
  auto n = v.is_string() ? to_int64(v.str) : std::nullopt;
  if (!n) return unexpected(*client_, "GET epoch", v);
  return *n;
}

// --- RedisCollectorRegistry ---

RedisCollectorRegistry::RedisCollectorRegistry(std::shared_ptr<RedisClient> client,
                                               std::string prefix)
    : client_(std::move(client)),
      hash_key_(redis::hash_tagged_key(prefix, "collectors")),
      due_key_(redis::hash_tagged_key(prefix, "collectors:due")),
      heartbeat_(kHeartbeatLua),
      remove_(kRemoveLua),
      alive_(kAliveLua) {}

Status RedisCollectorRegistry::heartbeat(const CollectorInfo& info, std::chrono::milliseconds ttl) {
  if (info.id.empty()) return error(ErrorCode::kInvalid, "collector id must not be empty");
  MU_RETURN_IF_ERROR(check_ttl(ttl));
  const std::string doc = collector_json(info, ttl);
  const std::string ttl_ms = std::to_string(ttl.count());
  return run(*client_, heartbeat_, {hash_key_, due_key_}, {info.id, doc, ttl_ms}).status();
}

Status RedisCollectorRegistry::remove(const std::string& id) {
  return run(*client_, remove_, {hash_key_, due_key_}, {id}).status();
}

Result<std::vector<CollectorInfo>> RedisCollectorRegistry::alive() {
  MU_ASSIGN_OR_RETURN(RedisValue v, run(*client_, alive_, {hash_key_, due_key_}, {}));
  if (!v.is_array() || v.elements.size() % 3 != 0) return unexpected(*client_, "alive", v);
  std::vector<CollectorInfo> out;
  for (size_t i = 0; i < v.elements.size(); i += 3) {
    const std::string& id = v.elements[i].str;
    auto deadline = score_to_int64(v.elements[i + 2].str);
    std::optional<CollectorInfo> info;
    if (deadline) info = parse_collector(id, v.elements[i + 1].str, *deadline);
    if (!info) {
      spdlog::warn("redis {}: skipping malformed collector entry '{}'", client_->address(), id);
      continue;
    }
    out.push_back(std::move(*info));
  }
  std::sort(out.begin(), out.end(),
            [](const CollectorInfo& a, const CollectorInfo& b) { return a.id < b.id; });
  return out;
}

// --- RedisChangeQueue ---

RedisChangeQueue::RedisChangeQueue(std::shared_ptr<RedisClient> client, std::string prefix)
    : client_(std::move(client)),
      reader_(std::make_unique<RedisClient>(client_->endpoint(), client_->options())),
      key_(redis::hash_tagged_key(prefix, "changes")),
      claim_(kClaimLua),
      ack_(kAckLua) {}

Status RedisChangeQueue::create_group(RedisClient& client) {
  MU_ASSIGN_OR_RETURN(RedisValue v,
                      client.call({"XGROUP", "CREATE", key_, kGroup, "0", "MKSTREAM"}));
  if (v.is_error() && v.error_prefix() != "BUSYGROUP") {
    return redis::reply_error_status(client.address(), v.str);
  }
  if (!v.is_error())
    spdlog::info("redis {}: created consumer group {} on {}", client.address(), kGroup, key_);
  return ok_status();
}

Result<std::string> RedisChangeQueue::add(const std::string& payload) {
  const std::string maxlen = std::to_string(kMaxLen);
  MU_ASSIGN_OR_RETURN(RedisValue v,
                      client_->command({"XADD", key_, "MAXLEN", "~", maxlen, "*", "p", payload}));
  if (!v.is_string()) return unexpected(*client_, "XADD", v);
  return v.str;
}

Result<std::vector<QueueEntry>> RedisChangeQueue::read(const std::string& consumer, int max,
                                                       std::chrono::milliseconds block) {
  if (consumer.empty()) return error(ErrorCode::kInvalid, "consumer must not be empty");
  if (max < 1) return error(ErrorCode::kInvalid, "max must be at least 1");
  const std::string count = std::to_string(max);
  const std::string block_ms = std::to_string(std::max<int64_t>(block.count(), 0));
  std::vector<std::string_view> args = {"XREADGROUP", "GROUP", kGroup, consumer, "COUNT", count};
  if (block.count() > 0) {
    args.push_back("BLOCK");
    args.push_back(block_ms);
  }
  args.push_back("STREAMS");
  args.push_back(key_);
  args.push_back(">");
  const auto extra = std::max(block, std::chrono::milliseconds(0));
  auto reply = reader_->call(RedisArgs(args), extra);
  if (is_nogroup(reply)) {
    MU_RETURN_IF_ERROR(create_group(*reader_));
    reply = reader_->call(RedisArgs(args), extra);
  }
  MU_ASSIGN_OR_RETURN(RedisValue v, std::move(reply));
  if (v.is_error()) return redis::reply_error_status(reader_->address(), v.str);
  std::vector<QueueEntry> out;
  if (v.is_nil()) return out;
  if (!v.is_array()) return unexpected(*reader_, "XREADGROUP", v);
  for (const RedisValue& stream : v.elements) {
    if (!stream.is_array() || stream.elements.size() != 2 || !stream.elements[1].is_array()) {
      return unexpected(*reader_, "XREADGROUP", v);
    }
    for (const RedisValue& e : stream.elements[1].elements) {
      if (auto entry = to_entry(e, 1)) out.push_back(std::move(*entry));
    }
  }
  return out;
}

Result<std::vector<QueueEntry>> RedisChangeQueue::claim(const std::string& consumer,
                                                        std::chrono::milliseconds min_idle,
                                                        int max) {
  if (consumer.empty()) return error(ErrorCode::kInvalid, "consumer must not be empty");
  if (max < 1) return error(ErrorCode::kInvalid, "max must be at least 1");
  const std::string idle = std::to_string(std::max<int64_t>(min_idle.count(), 0));
  const std::string count = std::to_string(max);
  const std::string_view keys[] = {key_};
  const std::string_view args[] = {kGroup, consumer, idle, count};
  auto reply = client_->eval(claim_, keys, args);
  if (is_nogroup(reply)) {
    MU_RETURN_IF_ERROR(create_group(*client_));
    reply = client_->eval(claim_, keys, args);
  }
  MU_ASSIGN_OR_RETURN(RedisValue v, std::move(reply));
  if (v.is_error()) return redis::reply_error_status(client_->address(), v.str);
  if (!v.is_array()) return unexpected(*client_, "claim", v);
  std::vector<QueueEntry> out;
  for (const RedisValue& e : v.elements) {
    if (!e.is_array() || e.elements.size() != 3) return unexpected(*client_, "claim", v);
    const int deliveries = e.elements[2].is_integer() ? static_cast<int>(e.elements[2].integer) : 1;
    if (auto entry = to_entry(e, deliveries)) out.push_back(std::move(*entry));
  }
  return out;
}

Status RedisChangeQueue::ack(const std::string& id) {
  if (!is_stream_id(id)) {
    return error(ErrorCode::kInvalid, fmt::format("'{}' is not a queue entry id", id));
  }
  return run(*client_, ack_, {key_}, {kGroup, id}).status();
}

Result<int64_t> RedisChangeQueue::depth() {
  MU_ASSIGN_OR_RETURN(RedisValue v, client_->command({"XLEN", key_}));
  if (!v.is_integer()) return unexpected(*client_, "XLEN", v);
  return v.integer;
}

// --- RedisEventBus ---

RedisEventBus::RedisEventBus(std::shared_ptr<RedisClient> client, std::string prefix)
    : client_(std::move(client)), channel_(redis::hash_tagged_key(prefix, "events")) {}

std::string RedisEventBus::encode(const BoardUpdated& event) {
  return fmt::format("{}\t{}", event.board, event.version);
}

std::optional<BoardUpdated> RedisEventBus::decode(std::string_view message) {
  const size_t tab = message.rfind('\t');
  if (tab == std::string_view::npos || tab == 0) return std::nullopt;
  auto version = to_int64(message.substr(tab + 1));
  if (!version) return std::nullopt;
  return BoardUpdated{std::string(message.substr(0, tab)), *version};
}

Status RedisEventBus::publish(const BoardUpdated& event) {
  const std::string message = encode(event);
  MU_ASSIGN_OR_RETURN(RedisValue v, client_->command({"PUBLISH", channel_, message}));
  if (!v.is_integer()) return unexpected(*client_, "PUBLISH", v);
  return ok_status();
}

std::unique_ptr<Subscription> RedisEventBus::subscribe(
    std::function<void(const BoardUpdated&)> on_event, std::function<void()> on_resync) {
  auto state = std::make_shared<SubscriberState>();
  state->endpoint = client_->endpoint();
  state->connect_timeout = client_->options().connect_timeout;
  state->command_timeout = client_->options().command_timeout;
  state->channel = channel_;
  state->on_event = on_event ? std::move(on_event) : [](const BoardUpdated&) {};
  state->on_resync = on_resync ? std::move(on_resync) : [] {};
  return std::make_unique<RedisSubscription>(std::move(state));
}

// --- factory ---

Result<RedisCoordination> make_redis_coordination(const RedisOptions& options) {
  MU_RETURN_IF_ERROR(check_prefix(options.prefix));
  redis::RedisClientOptions client_options;
  client_options.connect_timeout = options.connect_timeout;
  client_options.command_timeout = options.command_timeout;
  MU_ASSIGN_OR_RETURN(std::unique_ptr<RedisClient> client,
                      RedisClient::create(options.url, client_options));
  RedisCoordination c;
  c.client = std::move(client);
  c.leases = std::make_unique<RedisLeaseStore>(c.client, options.prefix);
  c.collectors = std::make_unique<RedisCollectorRegistry>(c.client, options.prefix);
  c.changes = std::make_unique<RedisChangeQueue>(c.client, options.prefix);
  c.events = std::make_unique<RedisEventBus>(c.client, options.prefix);
  return c;
}

}  // namespace mu
