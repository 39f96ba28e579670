// PgServer: a private PostgreSQL server for tests. It runs the newest server found under
// /usr/lib/postgresql/<version>/bin (Debian package `postgresql`): initdb into a fresh
// temporary directory (trust authentication, UTF8, no locale), then `postgres` listening on
// 127.0.0.1 on a free TCP port with its unix socket in that directory and durability turned
// off for speed (fsync, synchronous_commit, full_page_writes). As root, initdb and postgres
// run as the `postgres` OS user (they refuse root). A database (`mu` by default) is created.
//
//   auto server = PgServer::launch();          // kUnavailable naming `postgresql` if absent
//   open_postgres_store(server.value()->url());  // postgresql://postgres@127.0.0.1:PORT/mu
//
// stop() / start() shut the server down and bring it back on the same port with the same
// data (for reconnect tests); kill() SIGKILLs it. The destructor stops it and removes the
// directory. The server also dies with the test process (parent-death signal).
//
// Thread safety: not thread-safe; drive one PgServer from one thread (clients of the server
// may be used from any thread).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

#include "core/status.h"

namespace mu {

struct PgServerOptions {
  std::string database = "mu";  // created at launch
  // How long to wait for initdb and for the server to accept connections.
  std::chrono::seconds start_timeout{30};
};

// The newest /usr/lib/postgresql/<version>/bin that holds initdb and postgres; kUnavailable
// naming the `postgresql` package when there is none.
Result<std::filesystem::path> find_postgres_bin_dir();

class PgServer {
 public:
  // Creates the cluster, starts the server and creates the database.
  static Result<std::unique_ptr<PgServer>> launch(const PgServerOptions& options = {});

  ~PgServer();
  PgServer(const PgServer&) = delete;
  PgServer& operator=(const PgServer&) = delete;

  // postgresql://postgres@127.0.0.1:PORT/<database>
  std::string url() const { return url_for(options_.database); }
  std::string url_for(const std::string& database) const;
  int port() const { return port_; }
  const std::filesystem::path& dir() const { return dir_; }

  // Creates another database (lower-case letters, digits and '_') and returns its URL.
  Result<std::string> create_database(const std::string& name);

  // Fast shutdown (SIGINT, clients are disconnected); waits for the server to exit.
  Status stop();
  // Starts the stopped (or killed) server again on the same port; waits until it accepts
  // connections.
  Status start();
  // SIGKILL, no shutdown; the next start() recovers from the WAL.
  void kill();
  bool running() const { return pid_ > 0; }

  struct Key {  // only launch() constructs a server
   private:
    friend class PgServer;
    Key() = default;
  };
  PgServer(Key, const PgServerOptions& options, std::filesystem::path bin_dir,
           std::filesystem::path dir);

 private:
  Status init_cluster();
  // Spawns `postgres` and waits until it answers. `any_port`: on a failed bind try other
  // free ports (first start only; restarts keep the port).
  Status spawn_and_wait(bool any_port);
  std::string log_tail() const;

  PgServerOptions options_;
  std::filesystem::path bin_dir_;
  std::filesystem::path dir_;  // data/ , the unix socket, server.log
  int port_ = 0;
  pid_t pid_ = -1;  // the postmaster, -1 when not running
  bool as_postgres_user_ = false;
  uid_t uid_ = 0;
  gid_t gid_ = 0;
};

}  // namespace mu
