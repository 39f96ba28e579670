#include "coord/redis/redis_client.h"

#include <atomic>

#include <hiredis/hiredis.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/time.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace mu::redis {
namespace {

struct ReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

RedisValue to_value(const redisReply& r) {
  switch (r.type) {
    case REDIS_REPLY_STRING:
      return RedisValue::of_string(std::string(r.str, r.len));
    case REDIS_REPLY_STATUS:
      return RedisValue::of_status(std::string(r.str, r.len));
    case REDIS_REPLY_ERROR:
      return RedisValue::of_error(std::string(r.str, r.len));
    case REDIS_REPLY_INTEGER:
      return RedisValue::of_integer(r.integer);
    case REDIS_REPLY_ARRAY: {
      std::vector<RedisValue> elements;
      elements.reserve(r.elements);
      for (size_t i = 0; i < r.elements; ++i) elements.push_back(to_value(*r.element[i]));
      return RedisValue::of_array(std::move(elements));
    }
    default:
      return RedisValue::nil();
  }
}

timeval to_timeval(Millis ms) {
  const int64_t total = std::max<int64_t>(ms.count(), 1);
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(total / 1000);
  tv.tv_usec = static_cast<suseconds_t>((total % 1000) * 1000);
  return tv;
}

std::string lower_first(std::string s) {
  if (!s.empty()) s[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[0])));
  return s;
}

// hiredis writes with write(2): a peer that has gone away raises SIGPIPE, which would kill
// the process. Blocks SIGPIPE on this thread for the guard's lifetime and swallows a SIGPIPE
// raised meanwhile (unless one was already pending before).
class SigpipeGuard {
 public:
  SigpipeGuard() {
    sigemptyset(&pipe_set_);
    sigaddset(&pipe_set_, SIGPIPE);
    sigset_t pending;
    sigemptyset(&pending);
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
    pthread_sigmask(SIG_BLOCK, &pipe_set_, &old_);
  }
  ~SigpipeGuard() {
    if (!was_pending_) {
      sigset_t pending;
      sigemptyset(&pending);
      sigpending(&pending);
      if (sigismember(&pending, SIGPIPE) == 1) {
        timespec zero{};
        sigtimedwait(&pipe_set_, nullptr, &zero);
      }
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  SigpipeGuard(const SigpipeGuard&) = delete;
  SigpipeGuard& operator=(const SigpipeGuard&) = delete;

 private:
  sigset_t pipe_set_;
  sigset_t old_;
  bool was_pending_ = false;
};

// argv/argvlen arrays for hiredis, pointing into `args`.
struct Argv {
  explicit Argv(RedisArgs args) {
    ptrs.reserve(args.size());
    lens.reserve(args.size());
    for (std::string_view a : args) {
      ptrs.push_back(a.data());
      lens.push_back(a.size());
    }
  }
  int argc() const { return static_cast<int>(ptrs.size()); }
  std::vector<const char*> ptrs;
  std::vector<size_t> lens;
};

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out.push_back(s[i]);
      continue;
    }
    if (i + 2 >= s.size()) return std::nullopt;
    const int hi = hex_value(s[i + 1]);
    const int lo = hex_value(s[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

std::optional<int> parse_int(std::string_view s, int min, int max) {
  int v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty() || v < min || v > max) {
    return std::nullopt;
  }
  return v;
}

bool contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

}  // namespace

// --- RedisEndpoint ---

std::string RedisEndpoint::address() const {
  if (host.find(':') != std::string::npos) return fmt::format("[{}]:{}", host, port);
  return fmt::format("{}:{}", host, port);
}

Result<RedisEndpoint> parse_redis_url(std::string_view url) {
  constexpr std::string_view kScheme = "redis://";
  // Never echo the URL back: it may hold a password.
  auto bad = [](std::string_view why) {
    return error(ErrorCode::kConfig,
                 fmt::format("redis url: {} (expected redis://[:password@]host[:port][/db])", why));
  };
  if (url.substr(0, kScheme.size()) != kScheme) {
    if (url.substr(0, 9) == "rediss://") return bad("TLS (rediss://) is not supported");
    return bad("must start with redis://");
  }
  std::string_view rest = url.substr(kScheme.size());
  RedisEndpoint ep;

  // Path: /db
  if (size_t slash = rest.find('/'); slash != std::string_view::npos) {
    std::string_view db = rest.substr(slash + 1);
    rest = rest.substr(0, slash);
    if (!db.empty()) {
      auto n = parse_int(db, 0, 1'000'000);
      if (!n) return bad("the database must be a number");
      ep.db = *n;
    }
  }
  if (rest.find_first_of("?#") != std::string_view::npos)
    return bad("query strings are not supported");

  // Userinfo: [user]:password@
  if (size_t at = rest.rfind('@'); at != std::string_view::npos) {
    std::string_view userinfo = rest.substr(0, at);
    rest = rest.substr(at + 1);
    size_t colon = userinfo.find(':');
    if (colon == std::string_view::npos) return bad("a password needs a colon before it");
    auto user = percent_decode(userinfo.substr(0, colon));
    auto password = percent_decode(userinfo.substr(colon + 1));
    if (!user || !password) return bad("bad percent-encoding in the credentials");
    ep.user = std::move(*user);
    ep.password = std::move(*password);
    if (ep.password.empty()) return bad("empty password");
  }

  // Host and port.
  std::string_view port;
  if (!rest.empty() && rest.front() == '[') {
    size_t close = rest.find(']');
    if (close == std::string_view::npos) return bad("unterminated [IPv6] host");
    ep.host = std::string(rest.substr(1, close - 1));
    std::string_view after = rest.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return bad("unexpected text after the host");
      port = after.substr(1);
      if (port.empty()) return bad("empty port");
    }
  } else {
    size_t colon = rest.rfind(':');
    ep.host = std::string(rest.substr(0, colon));
    if (colon != std::string_view::npos) {
      port = rest.substr(colon + 1);
      if (port.empty()) return bad("empty port");
    }
  }
  if (ep.host.empty()) return bad("missing host");
  if (!port.empty()) {
    auto p = parse_int(port, 1, 65535);
    if (!p) return bad("the port must be a number from 1 to 65535");
    ep.port = *p;
  }
  return ep;
}

// --- RedisValue ---

std::string_view RedisValue::error_prefix() const {
  if (type != Type::kError) return {};
  std::string_view s = str;
  return s.substr(0, s.find(' '));
}

std::string RedisValue::debug_string() const {
  switch (type) {
    case Type::kNil:
      return "nil";
    case Type::kInteger:
      return fmt::format("(integer) {}", integer);
    case Type::kString:
      return fmt::format("\"{}\"", str);
    case Type::kStatus:
      return str;
    case Type::kError:
      return fmt::format("(error) {}", str);
    case Type::kArray: {
      std::string out = "[";
      for (size_t i = 0; i < elements.size(); ++i) {
        if (i > 0) out += ", ";
        out += elements[i].debug_string();
      }
      return out + "]";
    }
  }
  return "?";
}

Status reply_error_status(std::string_view address, std::string_view err) {
  const std::string_view prefix = err.substr(0, err.find(' '));
  const std::string message = fmt::format("redis {}: {}", address, err);
  static constexpr std::array<std::string_view, 7> kUnavailable = {
      "LOADING", "BUSY", "MASTERDOWN", "TRYAGAIN", "CLUSTERDOWN", "READONLY", "MISCONF"};
  if (std::find(kUnavailable.begin(), kUnavailable.end(), prefix) != kUnavailable.end()) {
    return error(ErrorCode::kUnavailable, message);
  }
  if (prefix == "NOAUTH" || prefix == "WRONGPASS" || prefix == "NOPERM") {
    return error(ErrorCode::kConfig, message);
  }
  std::string lower(err);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (prefix == "WRONGTYPE" ||
      (prefix == "ERR" &&
       (contains(lower, "syntax error") || contains(lower, "wrong number of arguments") ||
        contains(lower, "not an integer") || contains(lower, "out of range") ||
        contains(lower, "invalid")))) {
    return error(ErrorCode::kInvalid, message);
  }
  return error(ErrorCode::kInternal, message);
}

std::string hash_tagged_key(std::string_view prefix, std::string_view name) {
  return fmt::format("{{{}}}:{}", prefix, name);
}

// --- RedisConnection ---

void RedisConnection::ContextDeleter::operator()(redisContext* c) const { redisFree(c); }

RedisConnection::RedisConnection(PassKey /*key*/, std::unique_ptr<redisContext, ContextDeleter> ctx,
                                 std::string address, Millis command_timeout)
    : ctx_(std::move(ctx)), address_(std::move(address)), command_timeout_(command_timeout) {}

RedisConnection::~RedisConnection() = default;

Result<std::unique_ptr<RedisConnection>> RedisConnection::open(const RedisEndpoint& endpoint,
                                                               Millis connect_timeout,
                                                               Millis command_timeout) {
  const std::string address = endpoint.address();
  std::unique_ptr<redisContext, ContextDeleter> ctx(
      redisConnectWithTimeout(endpoint.host.c_str(), endpoint.port, to_timeval(connect_timeout)));
  if (!ctx) {
    return error(ErrorCode::kUnavailable,
                 fmt::format("redis {}: cannot allocate a connection", address));
  }
  if (ctx->err != 0) {
    std::string why = lower_first(ctx->errstr);
    if (ctx->err == REDIS_ERR_IO &&
        (why.empty() || contains(why, "temporarily unavailable") || contains(why, "in progress"))) {
      why = fmt::format("connect timed out after {} ms", connect_timeout.count());
    }
    return error(ErrorCode::kUnavailable, fmt::format("redis {}: {}", address, why));
  }
  redisEnableKeepAlive(ctx.get());
  auto conn =
      std::make_unique<RedisConnection>(PassKey(), std::move(ctx), address, command_timeout);
  MU_RETURN_IF_ERROR(conn->set_timeout(command_timeout));

  if (!endpoint.password.empty()) {
    std::vector<std::string_view> auth = {"AUTH"};
    if (!endpoint.user.empty()) auth.push_back(endpoint.user);
    auth.push_back(endpoint.password);
    MU_ASSIGN_OR_RETURN(RedisValue reply, conn->call(RedisArgs(auth)));
    if (reply.is_error()) {
      // The server's text names neither the user nor the password.
      return error(ErrorCode::kConfig,
                   fmt::format("redis {}: authentication failed: {}", address, reply.str));
    }
  }
  if (endpoint.db != 0) {
    const std::string db = std::to_string(endpoint.db);
    MU_ASSIGN_OR_RETURN(RedisValue reply, conn->call({"SELECT", db}));
    if (reply.is_error()) {
      return error(ErrorCode::kConfig,
                   fmt::format("redis {}: cannot select database {}: {}", address, db, reply.str));
    }
  }
  return conn;
}

int RedisConnection::fd() const { return ctx_->fd; }

bool RedisConnection::broken() const { return broken_ || ctx_->err != 0; }

bool RedisConnection::stale() const {
  pollfd p{};
  p.fd = ctx_->fd;
  p.events = POLLIN;
  return ::poll(&p, 1, 0) != 0;
}

Status RedisConnection::set_timeout(Millis timeout) {
  if (timeout == socket_timeout_) return ok_status();
  if (redisSetTimeout(ctx_.get(), to_timeval(timeout)) != REDIS_OK) {
    broken_ = true;
    return error(ErrorCode::kUnavailable, fmt::format("redis {}: cannot set the socket timeout: {}",
                                                      address_, lower_first(ctx_->errstr)));
  }
  socket_timeout_ = timeout;
  return ok_status();
}

Status RedisConnection::io_error(std::string_view what, int saved_errno, Millis timeout) {
  broken_ = true;
  std::string why = lower_first(ctx_->errstr);
  ErrorCode code = ErrorCode::kUnavailable;
  if (ctx_->err == REDIS_ERR_IO && (saved_errno == EAGAIN || saved_errno == EWOULDBLOCK ||
                                    contains(why, "temporarily unavailable"))) {
    why = fmt::format("timed out after {} ms", timeout.count());
  } else if (ctx_->err == REDIS_ERR_EOF) {
    why = "the server closed the connection";
  } else if (ctx_->err == REDIS_ERR_PROTOCOL || ctx_->err == REDIS_ERR_OOM) {
    code = ErrorCode::kInternal;
  }
  return error(code, fmt::format("redis {}: {}: {}", address_, what, why));
}

Result<RedisValue> RedisConnection::call(RedisArgs args, Millis timeout) {
  if (broken()) {
    return error(ErrorCode::kUnavailable, fmt::format("redis {}: connection is broken", address_));
  }
  if (args.empty()) return error(ErrorCode::kInvalid, "redis: empty command");
  const Millis t = timeout.count() > 0 ? timeout : command_timeout_;
  MU_RETURN_IF_ERROR(set_timeout(t));
  Argv argv(args);
  SigpipeGuard guard;
  errno = 0;
  ReplyPtr reply(static_cast<redisReply*>(
      redisCommandArgv(ctx_.get(), argv.argc(), argv.ptrs.data(), argv.lens.data())));
  const int saved_errno = errno;
  if (!reply) return io_error(args.front(), saved_errno, t);
  return to_value(*reply);
}

Status RedisConnection::send(RedisArgs args) {
  if (broken()) {
    return error(ErrorCode::kUnavailable, fmt::format("redis {}: connection is broken", address_));
  }
  MU_RETURN_IF_ERROR(set_timeout(command_timeout_));
  Argv argv(args);
  if (redisAppendCommandArgv(ctx_.get(), argv.argc(), argv.ptrs.data(), argv.lens.data()) !=
      REDIS_OK) {
    return io_error(args.empty() ? "send" : args.front(), errno, command_timeout_);
  }
  SigpipeGuard guard;
  int done = 0;
  while (done == 0) {
    errno = 0;
    if (redisBufferWrite(ctx_.get(), &done) != REDIS_OK) {
      return io_error(args.empty() ? "send" : args.front(), errno, command_timeout_);
    }
  }
  return ok_status();
}

Result<std::vector<RedisValue>> RedisConnection::read_available() {
  if (broken()) {
    return error(ErrorCode::kUnavailable, fmt::format("redis {}: connection is broken", address_));
  }
  errno = 0;
  if (redisBufferRead(ctx_.get()) != REDIS_OK) return io_error("read", errno, socket_timeout_);
  std::vector<RedisValue> replies;
  for (;;) {
    void* raw = nullptr;
    if (redisGetReplyFromReader(ctx_.get(), &raw) != REDIS_OK) {
      return io_error("read", errno, socket_timeout_);
    }
    if (raw == nullptr) break;
    ReplyPtr reply(static_cast<redisReply*>(raw));
    replies.push_back(to_value(*reply));
  }
  return replies;
}

// --- RedisClient ---

RedisClient::RedisClient(RedisEndpoint endpoint, RedisClientOptions options, const Clock* clock)
    : endpoint_(std::move(endpoint)),
      options_(options),
      clock_(clock != nullptr ? *clock : system_clock_),
      address_(endpoint_.address()) {}

RedisClient::~RedisClient() = default;

Result<std::unique_ptr<RedisClient>> RedisClient::create(std::string_view url,
                                                         RedisClientOptions options,
                                                         const Clock* clock) {
  MU_ASSIGN_OR_RETURN(RedisEndpoint endpoint, parse_redis_url(url));
  return std::make_unique<RedisClient>(std::move(endpoint), options, clock);
}

Result<RedisConnection*> RedisClient::connection_locked() {
  if (conn_ && (conn_->broken() || conn_->stale())) conn_.reset();
  if (conn_) return conn_.get();
  if (backoff_.count() > 0) {
    const MonoTime now = clock_.mono();
    if (now < retry_at_) {
      const auto wait = std::chrono::ceil<Millis>(retry_at_ - now);
      return error(ErrorCode::kUnavailable,
                   fmt::format("{} (next attempt in {} ms)", last_error_, wait.count()));
    }
  }
  auto opened =
      RedisConnection::open(endpoint_, options_.connect_timeout, options_.command_timeout);
  if (!opened.ok()) {
    if (backoff_.count() == 0)
      spdlog::warn("{}; reconnecting with backoff", opened.error_message());
    backoff_ = backoff_.count() == 0 ? options_.backoff_initial
                                     : std::min(backoff_ * 2, options_.backoff_max);
    retry_at_ = clock_.mono() + backoff_;
    last_error_ = opened.error_message();
    return opened.status();
  }
  if (backoff_.count() > 0) spdlog::info("redis {}: connected again", address_);
  backoff_ = Millis(0);
  conn_ = std::move(opened).value();
  return conn_.get();
}

namespace {
std::atomic<uint64_t> g_connection_errors{0};
}  // namespace

uint64_t redis_connection_errors() { return g_connection_errors.load(std::memory_order_relaxed); }

Result<RedisValue> RedisClient::call(RedisArgs args, Millis extra_timeout) {
  std::lock_guard lock(mu_);
  auto conn = connection_locked();
  if (!conn.ok()) {
    g_connection_errors.fetch_add(1, std::memory_order_relaxed);
    return conn.status();
  }
  auto reply = (*conn)->call(args, options_.command_timeout + extra_timeout);
  if ((*conn)->broken()) {
    g_connection_errors.fetch_add(1, std::memory_order_relaxed);
    conn_.reset();  // the next call reconnects at once
  }
  return reply;
}

Result<RedisValue> RedisClient::command(RedisArgs args, Millis extra_timeout) {
  MU_ASSIGN_OR_RETURN(RedisValue reply, call(args, extra_timeout));
  if (reply.is_error()) return reply_error_status(address_, reply.str);
  return reply;
}

Result<RedisValue> RedisClient::eval(const LuaScript& script, RedisArgs keys, RedisArgs args) {
  std::string sha = script.sha();
  if (sha.empty()) {
    MU_ASSIGN_OR_RETURN(RedisValue loaded, command({"SCRIPT", "LOAD", script.source()}));
    if (!loaded.is_string()) {
      return error(ErrorCode::kInternal, fmt::format("redis {}: SCRIPT LOAD answered {}", address_,
                                                     loaded.debug_string()));
    }
    sha = loaded.str;
    script.set_sha(sha);
  }
  const std::string numkeys = std::to_string(keys.size());
  std::vector<std::string_view> argv = {"EVALSHA", sha, numkeys};
  argv.insert(argv.end(), keys.begin(), keys.end());
  argv.insert(argv.end(), args.begin(), args.end());
  auto reply = call(RedisArgs(argv));
  if (reply.ok() && reply->is_error() && reply->error_prefix() == "NOSCRIPT") {
    // A fresh or restarted server: EVAL runs the script and caches it again.
    argv[0] = "EVAL";
    argv[1] = script.source();
    reply = call(RedisArgs(argv));
  }
  return reply;
}

// --- LuaScript ---

std::string LuaScript::sha() const {
  std::lock_guard lock(mu_);
  return sha_;
}

void LuaScript::set_sha(std::string sha) const {
  std::lock_guard lock(mu_);
  sha_ = std::move(sha);
}

}  // namespace mu::redis
