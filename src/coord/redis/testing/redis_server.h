// RedisServer: a private `redis-server` child process for integration tests, listening on
// 127.0.0.1 on a free port with no persistence (`--save "" --appendonly no`) and its working
// directory in a fresh temporary folder. stop()/kill() and start() again reuse the same port,
// so clients see a restart that lost every key, script and consumer group; pause()/resume()
// (SIGSTOP/SIGCONT) make it hang while still accepting connections.
//
// The binary is $MU_REDIS_SERVER, else `redis-server` from PATH, else /usr/bin/redis-server;
// when none exists start() fails with a message naming the Debian package `redis-server`
// (tests must fail, not skip). The child gets SIGKILL when the thread that started it exits,
// and the destructor kills it and removes the folder. Not thread-safe: drive one RedisServer
// from one thread (clients on other threads are fine).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"

namespace mu::redis {

class RedisServer {
 public:
  struct Options {
    std::vector<std::string> extra_args;  // e.g. {"--requirepass", "secret"}
    std::chrono::milliseconds ready_timeout{20000};
  };

  // Picks the port and creates the folder; does not start the server.
  RedisServer();
  explicit RedisServer(Options options);
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  // Starts the server and waits until it answers PING. kConfig when the binary is missing,
  // kUnavailable when it exited or did not answer in time (the message has its log's tail).
  // ok when it is already running.
  Status start();
  // SIGTERM (SIGCONT first when paused), waiting for the exit; SIGKILL after 5 s.
  Status stop();
  // SIGKILL, waiting for the exit.
  void kill();
  // SIGSTOP / SIGCONT.
  Status pause();
  Status resume();

  bool running() const { return pid_ > 0; }
  int port() const { return port_; }
  std::string address() const;  // "127.0.0.1:<port>"
  std::string url() const;      // "redis://127.0.0.1:<port>"
  const std::string& log_path() const { return log_path_; }

  // The binary start() would run, or nullopt.
  static std::optional<std::string> find_binary();

 private:
  Status spawn(const std::string& binary);
  Status wait_ready();
  void reap(std::chrono::milliseconds patience);
  std::string log_tail() const;

  Options options_;
  int port_ = 0;
  std::string dir_;
  std::string log_path_;
  pid_t pid_ = -1;
  bool paused_ = false;
  bool started_once_ = false;
};

}  // namespace mu::redis
