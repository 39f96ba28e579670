#include "coord/redis/testing/redis_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "coord/redis/redis_client.h"

namespace mu::redis {
namespace {

// A port the kernel considers free right now (another process could still take it before the
// server binds it; start() then reports the server's log).
int pick_free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  int port = 0;
  socklen_t len = sizeof(addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

std::string make_temp_dir() {
  const char* tmp = std::getenv("TMPDIR");
  std::string tmpl = fmt::format("{}/mu-redis-XXXXXX", tmp != nullptr && *tmp ? tmp : "/tmp");
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (::mkdtemp(buf.data()) == nullptr) return {};
  return std::string(buf.data());
}

bool executable(const std::string& path) { return ::access(path.c_str(), X_OK) == 0; }

}  // namespace

RedisServer::RedisServer() : RedisServer(Options{}) {}

RedisServer::RedisServer(Options options) : options_(std::move(options)) {
  port_ = pick_free_port();
  dir_ = make_temp_dir();
  if (!dir_.empty()) log_path_ = dir_ + "/redis.log";
}

RedisServer::~RedisServer() {
  if (running()) kill();
  if (!dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
}

std::optional<std::string> RedisServer::find_binary() {
  if (const char* env = std::getenv("MU_REDIS_SERVER"); env != nullptr && *env) {
    if (executable(env)) return std::string(env);
  }
  if (const char* path = std::getenv("PATH"); path != nullptr) {
    std::stringstream dirs(path);
    std::string dir;
    while (std::getline(dirs, dir, ':')) {
      if (dir.empty()) continue;
      std::string candidate = dir + "/redis-server";
      if (executable(candidate)) return candidate;
    }
  }
  if (executable("/usr/bin/redis-server")) return std::string("/usr/bin/redis-server");
  return std::nullopt;
}

std::string RedisServer::address() const { return fmt::format("127.0.0.1:{}", port_); }

std::string RedisServer::url() const { return fmt::format("redis://127.0.0.1:{}", port_); }

std::string RedisServer::log_tail() const {
  std::ifstream in(log_path_);
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  std::string out;
  for (size_t i = lines.size() > 15 ? lines.size() - 15 : 0; i < lines.size(); ++i) {
    out += "\n  " + lines[i];
  }
  return out.empty() ? " (empty log)" : out;
}

Status RedisServer::start() {
  if (running()) return ok_status();
  auto binary = find_binary();
  if (!binary) {
    return error(ErrorCode::kConfig,
                 "redis-server not found ($MU_REDIS_SERVER, PATH, /usr/bin): install the Debian "
                 "package redis-server (apt-get install redis-server)");
  }
  if (dir_.empty()) return error(ErrorCode::kInternal, "redis test server: mkdtemp failed");
  // A fresh port picked by the constructor can be taken by someone else before the server
  // binds it; the first start tries a few. Restarts keep the port (that is the point).
  const int attempts = started_once_ ? 1 : 3;
  Status st;
  for (int i = 0; i < attempts; ++i) {
    if (i > 0) port_ = pick_free_port();
    st = spawn(*binary);
    if (st.ok()) st = wait_ready();
    if (st.ok()) {
      started_once_ = true;
      return st;
    }
    if (running()) kill();
  }
  return st;
}

Status RedisServer::spawn(const std::string& binary) {
  if (port_ <= 0) return error(ErrorCode::kInternal, "redis test server: no free port");
  std::vector<std::string> args = {binary,
                                   "--port",
                                   std::to_string(port_),
                                   "--bind",
                                   "127.0.0.1",
                                   "--save",
                                   "",
                                   "--appendonly",
                                   "no",
                                   "--daemonize",
                                   "no",
                                   "--dir",
                                   dir_,
                                   "--logfile",
                                   ""};
  args.insert(args.end(), options_.extra_args.begin(), options_.extra_args.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  const int log_fd = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    return error(ErrorCode::kInternal, fmt::format("redis test server: cannot open {}", log_path_));
  }
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(log_fd);
    return error(ErrorCode::kInternal, "redis test server: fork failed");
  }
  if (pid == 0) {
    // Child: only async-signal-safe calls until exec.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    ::dup2(log_fd, STDOUT_FILENO);
    ::dup2(log_fd, STDERR_FILENO);
    ::close_range(3, ~0U, 0);  // no inherited client sockets that would keep connections open
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(log_fd);
  pid_ = pid;
  paused_ = false;
  return ok_status();
}

Status RedisServer::wait_ready() {
  RedisEndpoint endpoint;
  endpoint.host = "127.0.0.1";
  endpoint.port = port_;
  const auto deadline = std::chrono::steady_clock::now() + options_.ready_timeout;
  std::string last = "no answer";
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return error(ErrorCode::kUnavailable,
                   fmt::format("redis-server on port {} exited at start:{}", port_, log_tail()));
    }
    auto conn = RedisConnection::open(endpoint, Millis(200), Millis(1000));
    if (conn.ok()) {
      auto reply = (*conn)->call({"PING"});
      // NOAUTH: up, but requires a password (--requirepass among extra_args).
      if (reply.ok() && (reply->str == "PONG" || reply->error_prefix() == "NOAUTH")) {
        return ok_status();
      }
      last = reply.ok() ? reply->debug_string() : reply.error_message();
    } else {
      last = conn.error_message();
    }
    // Polling a child process that is starting up; not waiting for time to pass.
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return error(ErrorCode::kUnavailable,
               fmt::format("redis-server on port {} not ready within {} ms ({}):{}", port_,
                           options_.ready_timeout.count(), last, log_tail()));
}

void RedisServer::reap(std::chrono::milliseconds patience) {
  if (pid_ <= 0) return;
  const auto deadline = std::chrono::steady_clock::now() + patience;
  for (;;) {
    int status = 0;
    const pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_ || (r < 0 && errno != EINTR)) break;
    if (std::chrono::steady_clock::now() >= deadline) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  pid_ = -1;
  paused_ = false;
}

Status RedisServer::stop() {
  if (!running()) return ok_status();
  if (paused_) ::kill(pid_, SIGCONT);
  if (::kill(pid_, SIGTERM) != 0) {
    return error(ErrorCode::kInternal, fmt::format("redis test server: SIGTERM failed"));
  }
  reap(std::chrono::milliseconds(5000));
  return ok_status();
}

void RedisServer::kill() {
  if (!running()) return;
  ::kill(pid_, SIGKILL);
  reap(std::chrono::milliseconds(5000));
}

Status RedisServer::pause() {
  if (!running()) return error(ErrorCode::kInvalid, "redis test server: not running");
  if (::kill(pid_, SIGSTOP) != 0) return error(ErrorCode::kInternal, "SIGSTOP failed");
  paused_ = true;
  return ok_status();
}

Status RedisServer::resume() {
  if (!running()) return error(ErrorCode::kInvalid, "redis test server: not running");
  if (::kill(pid_, SIGCONT) != 0) return error(ErrorCode::kInternal, "SIGCONT failed");
  paused_ = false;
  return ok_status();
}

}  // namespace mu::redis
