// Redis client for coord/redis: a thin RAII layer over synchronous hiredis contexts.
//
// - RedisEndpoint / parse_redis_url: `redis://[[user]:password@]host[:port][/db]`. Only
//   RedisEndpoint::address() ("host:port") ever appears in messages and logs, never the
//   password.
// - RedisValue: a reply as a plain value (nil, integer, string, array, status, error).
// - RedisConnection: one hiredis context (connect with timeout, AUTH, SELECT, per-call
//   timeouts). Not thread-safe; used by one thread at a time (the pub/sub subscriber owns
//   one, RedisClient guards its one with a mutex).
// - RedisClient: a RedisConnection behind a mutex with lazy reconnection: a connection that
//   broke (I/O error, timeout, server closed it) is dropped and the next call reconnects; a
//   failed connect starts an exponential backoff (50 ms doubling to 2 s by default) during
//   which calls fail fast with kUnavailable instead of trying again. A call never sleeps and
//   never takes longer than connect timeout + call timeout (plus waiting for the mutex).
//   Safe for concurrent use.
// - LuaScript: a script run with EVALSHA, loading it (or falling back to EVAL) when the server
//   does not know it (a fresh or restarted Redis). Safe for concurrent use.
//
// Errors: connection problems and timeouts are kUnavailable ("redis 127.0.0.1:6390:
// connection refused"); a wrong password or database is kConfig; Redis error replies are
// kInvalid (the request was malformed or hit the wrong type), kUnavailable (LOADING, BUSY,
// MASTERDOWN, TRYAGAIN, CLUSTERDOWN, READONLY) or kInternal (anything else, e.g. NOSCRIPT).
// All commands are sent with redisCommandArgv-style argument vectors: values are binary safe
// and never formatted into a command string.
#pragma once

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/status.h"

struct redisContext;

namespace mu::redis {

struct RedisEndpoint {
  std::string host;
  int port = 6379;
  int db = 0;
  std::string user;      // empty: AUTH with the password only
  std::string password;  // empty: no AUTH

  // "host:port" ("[::1]:6379" for IPv6): what messages and logs show.
  std::string address() const;
};

// Parses `redis://[[user]:password@]host[:port][/db]`; user and password may be
// percent-encoded. kConfig for anything else (including rediss://, which needs TLS).
Result<RedisEndpoint> parse_redis_url(std::string_view url);

struct RedisValue {
  enum class Type { kNil, kInteger, kString, kArray, kStatus, kError };

  Type type = Type::kNil;
  int64_t integer = 0;
  std::string str;  // kString, kStatus ("OK") and kError ("NOSCRIPT No matching script")
  std::vector<RedisValue> elements;  // kArray

  static RedisValue nil() { return {}; }
  static RedisValue of_integer(int64_t v) { return {Type::kInteger, v, {}, {}}; }
  static RedisValue of_string(std::string s) { return {Type::kString, 0, std::move(s), {}}; }
  static RedisValue of_status(std::string s) { return {Type::kStatus, 0, std::move(s), {}}; }
  static RedisValue of_error(std::string s) { return {Type::kError, 0, std::move(s), {}}; }
  static RedisValue of_array(std::vector<RedisValue> e) {
    return {Type::kArray, 0, {}, std::move(e)};
  }

  bool is_nil() const { return type == Type::kNil; }
  bool is_integer() const { return type == Type::kInteger; }
  bool is_string() const { return type == Type::kString; }
  bool is_array() const { return type == Type::kArray; }
  bool is_status() const { return type == Type::kStatus; }
  bool is_error() const { return type == Type::kError; }

  // For error replies: the first word ("NOSCRIPT", "NOGROUP", "ERR", "WRONGTYPE"); else "".
  std::string_view error_prefix() const;
  // Compact text for messages and test failures: nil, (integer) 3, "abc", [a, b], ERR ...
  std::string debug_string() const;
};

// The Status for an error reply `error` from the server at `address` (see the header comment
// for the categories). The message is "redis <address>: <error>".
Status reply_error_status(std::string_view address, std::string_view error);

// Arguments of one command; std::string and string literals convert implicitly.
using RedisArgs = std::span<const std::string_view>;

// One hiredis connection. Not thread-safe.
class RedisConnection {
 public:
  // Connects within `connect_timeout`, then AUTHs and SELECTs as `endpoint` says, each within
  // `command_timeout`, which stays the default timeout of call().
  static Result<std::unique_ptr<RedisConnection>> open(const RedisEndpoint& endpoint,
                                                       Millis connect_timeout,
                                                       Millis command_timeout);
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // Sends one command and waits up to `timeout` (0: the command timeout) for its reply. An
  // error reply is returned as a value (type kError). I/O errors and timeouts return
  // kUnavailable and leave the connection broken().
  Result<RedisValue> call(RedisArgs args, Millis timeout = Millis(0));
  Result<RedisValue> call(std::initializer_list<std::string_view> args,
                          Millis timeout = Millis(0)) {
    return call(RedisArgs(args.begin(), args.size()), timeout);
  }

  // Sends one command without waiting for its reply (pub/sub).
  Status send(RedisArgs args);
  Status send(std::initializer_list<std::string_view> args) {
    return send(RedisArgs(args.begin(), args.size()));
  }
  // Reads once from the socket (call it when fd() is readable) and returns every complete
  // reply received so far, possibly none. kUnavailable when the server closed the connection.
  Result<std::vector<RedisValue>> read_available();

  // The socket, for poll().
  int fd() const;
  // An I/O error or timeout happened; the connection cannot be used any more.
  bool broken() const;
  // True when the socket is readable although no reply is expected: the server closed the
  // connection (restart, idle timeout) or sent something unexpected. Checked before reusing
  // an idle connection so that a command is never sent on a connection that is already gone.
  bool stale() const;
  const std::string& address() const { return address_; }

 private:
  struct ContextDeleter {
    void operator()(redisContext* c) const;
  };
  struct PassKey {
    explicit PassKey() = default;
  };

 public:
  // Use open().
  RedisConnection(PassKey key, std::unique_ptr<redisContext, ContextDeleter> ctx,
                  std::string address, Millis command_timeout);

 private:
  Status io_error(std::string_view what, int saved_errno, Millis timeout);
  Status set_timeout(Millis timeout);

  std::unique_ptr<redisContext, ContextDeleter> ctx_;
  std::string address_;
  Millis command_timeout_;
  Millis socket_timeout_{0};  // what the socket is set to now
  bool broken_ = false;
};

struct RedisClientOptions {
  Millis connect_timeout{500};
  Millis command_timeout{500};
  Millis backoff_initial{50};  // wait after the first failed connect
  Millis backoff_max{2000};    // the wait doubles up to this cap
};

class LuaScript;

// A RedisConnection behind a mutex, reconnecting lazily with backoff. Safe for concurrent use
// (calls are serialized).
class RedisClient {
 public:
  // `clock` (not owned; null: the system clock) times the reconnect backoff.
  RedisClient(RedisEndpoint endpoint, RedisClientOptions options, const Clock* clock = nullptr);
  // Parses `url` (kConfig when malformed). Does not connect: the first call does.
  static Result<std::unique_ptr<RedisClient>> create(std::string_view url,
                                                     RedisClientOptions options = {},
                                                     const Clock* clock = nullptr);
  ~RedisClient();
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  // One command; error replies come back as values (type kError). `extra_timeout` is added to
  // the command timeout (for blocking commands such as XREADGROUP ... BLOCK).
  Result<RedisValue> call(RedisArgs args, Millis extra_timeout = Millis(0));
  Result<RedisValue> call(std::initializer_list<std::string_view> args,
                          Millis extra_timeout = Millis(0)) {
    return call(RedisArgs(args.begin(), args.size()), extra_timeout);
  }
  // Like call(), with error replies turned into a Status (reply_error_status).
  Result<RedisValue> command(RedisArgs args, Millis extra_timeout = Millis(0));
  Result<RedisValue> command(std::initializer_list<std::string_view> args,
                             Millis extra_timeout = Millis(0)) {
    return command(RedisArgs(args.begin(), args.size()), extra_timeout);
  }
  // Runs `script` with EVALSHA (SCRIPT LOAD on first use, EVAL when the server answers
  // NOSCRIPT). Error replies are returned as values, like call().
  Result<RedisValue> eval(const LuaScript& script, RedisArgs keys, RedisArgs args);

  const RedisEndpoint& endpoint() const { return endpoint_; }
  const RedisClientOptions& options() const { return options_; }
  // "host:port", for messages.
  const std::string& address() const { return address_; }

 private:
  // Returns the live connection, connecting when needed; requires mu_.
  Result<RedisConnection*> connection_locked();

  RedisEndpoint endpoint_;
  RedisClientOptions options_;
  SystemClock system_clock_;
  const Clock& clock_;
  std::string address_;

  std::mutex mu_;
  std::unique_ptr<RedisConnection> conn_;  // by mu_; null: not connected
  Millis backoff_{0};                      // by mu_; 0: no failed connect since the last success
  MonoTime retry_at_{};                    // by mu_; no connect attempt before this
  std::string last_error_;                 // by mu_; why the last connect failed
};

// A Lua script identified by its SHA1 (learnt from SCRIPT LOAD). Safe for concurrent use.
class LuaScript {
 public:
  explicit LuaScript(std::string source) : source_(std::move(source)) {}
  const std::string& source() const { return source_; }

 private:
  friend class RedisClient;
  std::string sha() const;
  void set_sha(std::string sha) const;

  std::string source_;
  mutable std::mutex mu_;
  mutable std::string sha_;  // by mu_; empty until loaded once
};

// Calls of every RedisClient of this process that found no usable connection (refused,
// timed out, broken, or in the reconnect backoff) or broke theirs
// (mu_redis_connection_errors_total).
uint64_t redis_connection_errors();

// Builds "{prefix}:name": every key of one prefix hashes to the same Redis Cluster slot.
std::string hash_tagged_key(std::string_view prefix, std::string_view name);

}  // namespace mu::redis
