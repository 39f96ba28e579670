#include "store/postgres/testing/pg_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

namespace mu {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr std::string_view kInstallHint =
    "install the Debian package `postgresql` (apt-get install postgresql)";
constexpr auto kPollInterval = std::chrono::milliseconds(50);

std::string errno_text(std::string_view what) {
  return std::string(what) + ": " + std::strerror(errno);
}

// Owns a file descriptor.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// A TCP port on 127.0.0.1 that nobody listens on right now.
Result<int> free_port() {
  Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) {
    return error(ErrorCode::kInternal, errno_text("socket"));
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    return error(ErrorCode::kInternal, errno_text("bind 127.0.0.1:0"));
  }
  socklen_t length = sizeof address;
  if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    return error(ErrorCode::kInternal, errno_text("getsockname"));
  }
  return static_cast<int>(ntohs(address.sin_port));
}

struct RunAs {
  bool switch_user = false;
  uid_t uid = 0;
  gid_t gid = 0;
};

// Starts `args` (args[0] is the program's path) with stdout and stderr appended to
// `log_path`, as `run_as` when asked. The child dies with the calling thread.
Result<pid_t> spawn(const std::vector<std::string>& args, const fs::path& log_path,
                    const RunAs& run_as) {
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (const std::string& arg : args) {
    argv.push_back(const_cast<char*>(arg.c_str()));
  }
  argv.push_back(nullptr);
  Fd log(::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
  if (log.get() < 0) {
    return error(ErrorCode::kInternal, errno_text("open " + log_path.string()));
  }
  Fd null_input(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    return error(ErrorCode::kInternal, errno_text("fork"));
  }
  if (pid == 0) {
    // The child of a possibly multi-threaded process: async-signal-safe calls only.
    if (null_input.get() >= 0) {
      ::dup2(null_input.get(), STDIN_FILENO);
    }
    ::dup2(log.get(), STDOUT_FILENO);
    ::dup2(log.get(), STDERR_FILENO);
    if (run_as.switch_user) {
      if (::setgroups(0, nullptr) != 0 || ::setgid(run_as.gid) != 0 || ::setuid(run_as.uid) != 0) {
        ::_exit(126);
      }
    }
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // after setuid, which clears it
    if (::getppid() != parent) {
      ::_exit(125);
    }
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  return pid;
}

// Waits up to `timeout` for `pid` to exit; its exit status, or nullopt when it still runs.
std::optional<int> wait_exit(pid_t pid, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (true) {
    int status = 0;
    const pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid || (done < 0 && errno == ECHILD)) {
      return done == pid ? status : -1;
    }
    if (Clock::now() >= deadline) {
      return std::nullopt;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

int version_of(const fs::path& version_dir) {
  const std::string name = version_dir.filename().string();
  int version = 0;
  for (const char c : name) {
    if (c < '0' || c > '9') {
      return version;
    }
    version = version * 10 + (c - '0');
  }
  return version;
}

std::string ping_conninfo(int port) {
  return "host=127.0.0.1 port=" + std::to_string(port) +
         " dbname=postgres user=postgres connect_timeout=2";
}

}  // namespace

Result<fs::path> find_postgres_bin_dir() {
  const fs::path root = "/usr/lib/postgresql";
  std::error_code ec;
  fs::path best;
  int best_version = -1;
  for (fs::directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
    const fs::path bin = it->path() / "bin";
    if (!fs::exists(bin / "initdb", ec) || !fs::exists(bin / "postgres", ec)) {
      continue;
    }
    const int version = version_of(it->path());
    if (version > best_version) {
      best_version = version;
      best = bin;
    }
  }
  if (best.empty()) {
    return error(ErrorCode::kUnavailable,
                 "no PostgreSQL server binaries (initdb, postgres) under " + root.string() +
                     "/<version>/bin: " + std::string(kInstallHint));
  }
  return best;
}

Result<std::unique_ptr<PgServer>> PgServer::launch(const PgServerOptions& options) {
  MU_ASSIGN_OR_RETURN(fs::path bin_dir, find_postgres_bin_dir());
  // Under /tmp, not $TMPDIR: the postgres user must reach it, and the socket path must stay
  // short.
  std::string pattern = "/tmp/mu_pg_XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) {
    return error(ErrorCode::kInternal, errno_text("mkdtemp " + pattern));
  }
  auto server = std::make_unique<PgServer>(Key(), options, std::move(bin_dir), fs::path(pattern));
  if (::geteuid() == 0) {
    // initdb and postgres refuse to run as root.
    std::vector<char> buffer(16384);
    passwd entry{};
    passwd* found = nullptr;
    if (::getpwnam_r("postgres", &entry, buffer.data(), buffer.size(), &found) != 0 ||
        found == nullptr) {
      return error(ErrorCode::kUnavailable,
                   "running as root, the PostgreSQL test server needs the `postgres` OS user, "
                   "which the `postgresql` package creates: " +
                       std::string(kInstallHint));
    }
    server->as_postgres_user_ = true;
    server->uid_ = found->pw_uid;
    server->gid_ = found->pw_gid;
    if (::chown(server->dir_.c_str(), server->uid_, server->gid_) != 0) {
      return error(ErrorCode::kInternal, errno_text("chown " + server->dir_.string()));
    }
  }
  MU_RETURN_IF_ERROR(server->init_cluster());
  MU_RETURN_IF_ERROR(server->spawn_and_wait(/*any_port=*/true));
  MU_RETURN_IF_ERROR(server->create_database(options.database).status());
  return server;
}

PgServer::PgServer(Key, const PgServerOptions& options, fs::path bin_dir, fs::path dir)
    : options_(options), bin_dir_(std::move(bin_dir)), dir_(std::move(dir)) {}

PgServer::~PgServer() {
  (void)stop();
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

std::string PgServer::url_for(const std::string& database) const {
  return "postgresql://postgres@127.0.0.1:" + std::to_string(port_) + "/" + database;
}

std::string PgServer::log_tail() const {
  std::ifstream in(dir_ / "server.log", std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  std::string all = text.str();
  constexpr size_t kTail = 1500;
  if (all.size() > kTail) {
    all = "..." + all.substr(all.size() - kTail);
  }
  return all;
}

Status PgServer::init_cluster() {
  const RunAs run_as{as_postgres_user_, uid_, gid_};
  MU_ASSIGN_OR_RETURN(pid_t pid,
                      spawn({(bin_dir_ / "initdb").string(), "-D", (dir_ / "data").string(), "-A",
                             "trust", "-E", "UTF8", "--no-locale", "-U", "postgres", "--no-sync"},
                            dir_ / "server.log", run_as));
  const std::optional<int> status = wait_exit(pid, options_.start_timeout);
  if (!status) {
    ::kill(pid, SIGKILL);
    wait_exit(pid, std::chrono::seconds(5));
    return error(ErrorCode::kUnavailable, "initdb did not finish within " +
                                              std::to_string(options_.start_timeout.count()) +
                                              " s: " + log_tail());
  }
  if (!WIFEXITED(*status) || WEXITSTATUS(*status) != 0) {
    return error(ErrorCode::kUnavailable,
                 "initdb failed (status " + std::to_string(*status) + "): " + log_tail());
  }
  return ok_status();
}

Status PgServer::spawn_and_wait(bool any_port) {
  const RunAs run_as{as_postgres_user_, uid_, gid_};
  const auto deadline = Clock::now() + options_.start_timeout;
  while (true) {
    if (any_port || port_ == 0) {
      MU_ASSIGN_OR_RETURN(port_, free_port());
    }
    MU_ASSIGN_OR_RETURN(pid_, spawn({(bin_dir_ / "postgres").string(),
                                     "-D",
                                     (dir_ / "data").string(),
                                     "-p",
                                     std::to_string(port_),
                                     "-k",
                                     dir_.string(),
                                     "-c",
                                     "listen_addresses=127.0.0.1",
                                     "-c",
                                     "fsync=off",
                                     "-c",
                                     "synchronous_commit=off",
                                     "-c",
                                     "full_page_writes=off",
                                     "-c",
                                     "shared_buffers=16MB",
                                     "-c",
                                     "max_connections=100",
                                     "-c",
                                     "logging_collector=off"},
                                    dir_ / "server.log", run_as));
    const std::string conninfo = ping_conninfo(port_);
    bool exited = false;
    while (!exited) {
      if (PQping(conninfo.c_str()) == PQPING_OK) {
        return ok_status();
      }
      if (wait_exit(pid_, std::chrono::milliseconds(0))) {
        exited = true;  // e.g. the port was taken, or a killed server's backends linger
        pid_ = -1;
      } else if (Clock::now() >= deadline) {
        (void)stop();
        return error(ErrorCode::kUnavailable,
                     "PostgreSQL did not accept connections on 127.0.0.1:" + std::to_string(port_) +
                         " within " + std::to_string(options_.start_timeout.count()) +
                         " s: " + log_tail());
      } else {
        std::this_thread::sleep_for(kPollInterval);
      }
    }
    if (Clock::now() >= deadline) {
      return error(ErrorCode::kUnavailable, "PostgreSQL exited while starting on port " +
                                                std::to_string(port_) + ": " + log_tail());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

Result<std::string> PgServer::create_database(const std::string& name) {
  const bool plain = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
  if (!plain) {
    return error(ErrorCode::kInvalid, "database name '" + name + "': use [a-z0-9_]+");
  }
  const std::string conninfo = "host=127.0.0.1 port=" + std::to_string(port_) +
                               " dbname=postgres user=postgres connect_timeout=5";
  std::unique_ptr<PGconn, decltype(&PQfinish)> conn(PQconnectdb(conninfo.c_str()), &PQfinish);
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    return error(ErrorCode::kUnavailable,
                 std::string("connecting to the test server: ") + PQerrorMessage(conn.get()));
  }
  // A name cannot be a parameter: quote it as an identifier (the name was checked above).
  std::unique_ptr<char, decltype(&PQfreemem)> quoted(
      PQescapeIdentifier(conn.get(), name.c_str(), name.size()), &PQfreemem);
  if (!quoted) {
    return error(ErrorCode::kInternal, std::string("quoting: ") + PQerrorMessage(conn.get()));
  }
  const std::string sql = "CREATE DATABASE " + std::string(quoted.get());
  std::unique_ptr<PGresult, decltype(&PQclear)> result(PQexec(conn.get(), sql.c_str()), &PQclear);
  if (PQresultStatus(result.get()) != PGRES_COMMAND_OK) {
    return error(ErrorCode::kInternal,
                 "CREATE DATABASE " + name + ": " + PQerrorMessage(conn.get()));
  }
  return url_for(name);
}

Status PgServer::stop() {
  if (pid_ <= 0) {
    return ok_status();
  }
  ::kill(pid_, SIGINT);  // fast shutdown: disconnect clients, checkpoint, exit
  if (!wait_exit(pid_, options_.start_timeout)) {
    ::kill(pid_, SIGKILL);
    wait_exit(pid_, std::chrono::seconds(10));
    pid_ = -1;
    return error(ErrorCode::kTimeout, "PostgreSQL did not shut down; killed it");
  }
  pid_ = -1;
  return ok_status();
}

Status PgServer::start() {
  if (pid_ > 0) {
    return ok_status();
  }
  return spawn_and_wait(/*any_port=*/false);
}

void PgServer::kill() {
  if (pid_ <= 0) {
    return;
  }
  ::kill(pid_, SIGKILL);
  wait_exit(pid_, std::chrono::seconds(10));
  pid_ = -1;
}

}  // namespace mu
