// PostgreSQL-specific behaviour of PostgresStore on a private server (PgServer): URL and
// connection errors, migrations under concurrency, concurrent writers, the fence under a
// leader change, a server that stops, dies and comes back, statement timeouts, and text
// PostgreSQL cannot hold. The Store contract itself is in store/store_conformance_test.cc.
#include "store/postgres/postgres_store.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <latch>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "store/migrations.h"
#include "store/postgres/pg_connection.h"
#include "store/postgres/testing/pg_server.h"
#include "store/store_conformance_test.h"

namespace mu {
namespace {

using namespace store_test;  // NOLINT(google-build-using-namespace): test helpers
using Steady = std::chrono::steady_clock;

// "No hang": what a call against a dead or blocked server may take at most.
constexpr auto kQuick = std::chrono::seconds(10);

// A plain libpq connection for looking under the store's hood.
class RawPg {
 public:
  explicit RawPg(const std::string& url) : conn_(PQconnectdb(url.c_str()), &PQfinish) {
    EXPECT_EQ(PQstatus(conn_.get()), CONNECTION_OK) << PQerrorMessage(conn_.get());
  }
  void exec(const std::string& sql) {
    std::unique_ptr<PGresult, decltype(&PQclear)> result(PQexec(conn_.get(), sql.c_str()),
                                                         &PQclear);
    const ExecStatusType status = PQresultStatus(result.get());
    EXPECT_TRUE(status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK)
        << sql << ": " << PQerrorMessage(conn_.get());
  }
  int64_t query_int(const std::string& sql) {
    std::unique_ptr<PGresult, decltype(&PQclear)> result(PQexec(conn_.get(), sql.c_str()),
                                                         &PQclear);
    EXPECT_EQ(PQresultStatus(result.get()), PGRES_TUPLES_OK)
        << sql << ": " << PQerrorMessage(conn_.get());
    if (PQresultStatus(result.get()) != PGRES_TUPLES_OK || PQntuples(result.get()) < 1) {
      return -1;
    }
    return std::stoll(PQgetvalue(result.get(), 0, 0));
  }

 private:
  std::unique_ptr<PGconn, decltype(&PQfinish)> conn_;
};

// A bound but not listening TCP socket on 127.0.0.1: connecting to it is refused, and
// nobody else can take the port while the object lives.
class RefusingPort {
 public:
  RefusingPort() : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address), 0);
    socklen_t length = sizeof address;
    EXPECT_EQ(::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length), 0);
    port_ = ntohs(address.sin_port);
  }
  ~RefusingPort() { ::close(fd_); }
  RefusingPort(const RefusingPort&) = delete;
  RefusingPort& operator=(const RefusingPort&) = delete;
  int port() const { return port_; }

 private:
  int fd_;
  int port_ = 0;
};

// One server for the suite; every test gets a database of its own.
class PostgresStoreTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto server = PgServer::launch();
    if (server.ok()) {
      server_ = std::move(server).value();
    } else {
      launch_error_ = server.status();
    }
  }
  static void TearDownTestSuite() { server_.reset(); }

  void SetUp() override {
    ASSERT_NE(server_, nullptr) << "starting the PostgreSQL test server: "
                                << launch_error_.to_string();
    static int databases = 0;
    auto url = server_->create_database("p" + std::to_string(++databases));
    ASSERT_TRUE(is_ok(url));
    url_ = *url;
  }

  void upgrade_in_place(int version);

  // A store on this test's database, migrated and with the catalogue when asked.
  std::unique_ptr<Store> open(PostgresStoreOptions options = {}, bool prepare = true) {
    if (options.clock == nullptr) {
      options.clock = &clock_;
    }
    auto store = open_postgres_store(url_, options);
    EXPECT_TRUE(is_ok(store));
    if (!store.ok()) {
      return nullptr;
    }
    std::unique_ptr<Store> out = std::move(store).value();
    if (prepare) {
      EXPECT_TRUE(is_ok(out->migrate()));
      EXPECT_TRUE(is_ok(out->sync_catalogue(catalogue_sites(), catalogue_boards())));
    }
    return out;
  }

  // The suite's server (SetUpTestSuite / TearDownTestSuite own its lifetime).
  static std::unique_ptr<PgServer> server_;
  static Status launch_error_;
  FakeClock clock_;
  std::string url_;
};

std::unique_ptr<PgServer> PostgresStoreTest::server_;
Status PostgresStoreTest::launch_error_;

// --- URLs and connecting -----------------------------------------------------------------

TEST_F(PostgresStoreTest, MalformedUrlsAreConfigErrors) {
  const std::string bad[] = {
      "",
      "127.0.0.1:5432/mu",
      "mysql://root@127.0.0.1/mu",
      "sqlite://var/mu.db",
      "postgresql://postgres@127.0.0.1:notaport/mu",
      "postgresql://postgres@127.0.0.1:99999/mu",
      "postgresql://postgres@127.0.0.1/mu?no_such_option=1",
  };
  for (const std::string& url : bad) {
    auto store = open_postgres_store(url);
    EXPECT_EQ(store.code(), ErrorCode::kConfig) << url << ": " << store.status().to_string();
    EXPECT_NE(store.error_message().find("postgresql://"), std::string::npos)
        << "names the expected format: " << store.error_message();
  }
  // libpq echoes a URL it cannot parse: the password is blanked out.
  auto store = open_postgres_store("postgresql://postgres:s3cret@[::1/mu");
  EXPECT_EQ(store.code(), ErrorCode::kConfig);
  EXPECT_EQ(store.error_message().find("s3cret"), std::string::npos) << store.error_message();
}

TEST_F(PostgresStoreTest, UnreachableServerIsUnavailableQuicklyWithoutThePassword) {
  RefusingPort refusing;
  const auto start = Steady::now();
  auto store = open_postgres_store(
      "postgresql://postgres:s3cret@127.0.0.1:" + std::to_string(refusing.port()) + "/mu");
  EXPECT_LT(Steady::now() - start, kQuick);
  EXPECT_EQ(store.code(), ErrorCode::kUnavailable);
  EXPECT_NE(store.error_message().find(std::to_string(refusing.port())), std::string::npos)
      << store.error_message();
  EXPECT_EQ(store.error_message().find("s3cret"), std::string::npos) << store.error_message();
}

TEST_F(PostgresStoreTest, UnknownDatabaseIsUnavailableNamingIt) {
  auto store = open_postgres_store(server_->url_for("no_such_db"));
  EXPECT_EQ(store.code(), ErrorCode::kUnavailable);
  EXPECT_NE(store.error_message().find("no_such_db"), std::string::npos) << store.error_message();
}

TEST_F(PostgresStoreTest, PostgresSchemeAliasWorks) {
  std::string url = url_;
  url.replace(0, std::string("postgresql").size(), "postgres");
  ASSERT_TRUE(url.starts_with("postgres://"));
  auto store = open_postgres_store(url + "?sslmode=disable");
  ASSERT_TRUE(is_ok(store));
  EXPECT_TRUE(is_ok((*store)->migrate()));
}

// Server settings in the URL's `options` survive the store's own (statement_timeout).
TEST_F(PostgresStoreTest, ServerSettingsFromTheUrlAreKept) {
  auto store = open_postgres_store(url_ + "?options=-c%20search_path%3Dnowhere");
  ASSERT_TRUE(is_ok(store));
  const Status status = (*store)->migrate();  // no schema to create the tables in
  EXPECT_EQ(status.code(), ErrorCode::kConfig) << status.to_string();
  auto plain = open_postgres_store(url_);
  ASSERT_TRUE(is_ok(plain));
  EXPECT_TRUE(is_ok((*plain)->migrate()));
}

// --- migrations --------------------------------------------------------------------------

TEST_F(PostgresStoreTest, MigrateRecordsEachVersionOnceWithTheClock) {
  auto store = open({}, /*prepare=*/false);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(is_ok(store->migrate()));
  const int64_t first_ms = clock_.now_ms();
  clock_.advance(std::chrono::hours(1));
  ASSERT_TRUE(is_ok(store->migrate()));

  RawPg raw(url_);
  const int64_t latest = latest_schema_version();
  EXPECT_EQ(raw.query_int("SELECT MAX(version) FROM schema_migrations"), latest);
  EXPECT_EQ(raw.query_int("SELECT COUNT(*) FROM schema_migrations"), latest);
  EXPECT_EQ(raw.query_int("SELECT MIN(applied_at_ms) FROM schema_migrations"), first_ms);
  EXPECT_EQ(raw.query_int("SELECT MAX(applied_at_ms) FROM schema_migrations"), first_ms);
  EXPECT_EQ(raw.query_int("SELECT COUNT(*) FROM fence"), 1);
}

// Several processes starting at once (here: stores with their own connections) migrate
// one fresh database; the advisory lock makes each migration run exactly once.
TEST_F(PostgresStoreTest, ConcurrentMigrationsApplyEachVersionOnce) {
  constexpr int kStores = 4;
  std::vector<std::unique_ptr<Store>> stores;
  for (int i = 0; i < kStores; ++i) {
    stores.push_back(open({}, /*prepare=*/false));
    ASSERT_NE(stores.back(), nullptr);
  }
  std::latch start(kStores);
  std::vector<Status> results(kStores);
  std::vector<std::thread> threads;
  for (int i = 0; i < kStores; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      results[static_cast<size_t>(i)] = stores[static_cast<size_t>(i)]->migrate();
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  for (const Status& status : results) {
    EXPECT_TRUE(is_ok(status));
  }
  RawPg raw(url_);
  EXPECT_EQ(raw.query_int("SELECT COUNT(*) FROM schema_migrations"), latest_schema_version());
  EXPECT_EQ(raw.query_int("SELECT COUNT(*) FROM fence"), 1);
}

// Schema 5 (before 0006_login_state_limits) with a sign-in in progress, upgraded in place:
// the row survives (client ''), and the caps work on the upgraded table.
TEST_F(PostgresStoreTest, UpgradesSchemaFiveInPlaceKeepingLoginStates) {
  auto store = open({}, /*prepare=*/false);
  ASSERT_NE(store, nullptr);
  RawPg raw(url_);
  raw.exec(std::string(kSchemaMigrationsTableSql));
  for (const Migration& m : embedded_migrations()) {
    if (m.version > 5) break;
    raw.exec(std::string(m.sql));
    raw.exec("INSERT INTO schema_migrations (version, name, applied_at_ms) VALUES (" +
             std::to_string(m.version) + ", '" + std::string(m.name) + "', 0)");
  }
  raw.exec(
      "INSERT INTO login_states (state_hash, code_verifier, return_to, expires_ms) "
      "VALUES ('old', 'v', '/x', 10000)");
  ASSERT_TRUE(is_ok(store->migrate()));
  EXPECT_EQ(raw.query_int("SELECT MAX(version) FROM schema_migrations"), latest_schema_version());
  EXPECT_EQ(raw.query_int("SELECT COUNT(*) FROM login_states WHERE client = ''"), 1);
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(is_ok(store->put_login_state("n" + std::to_string(i), "v", "/", 20'000 + i,
                                             LoginStateLimits{"10.0.0.1", 2, 0})));
  }
  EXPECT_EQ(raw.query_int("SELECT COUNT(*) FROM login_states"), 3);
  auto old = store->take_login_state("old", 0);
  ASSERT_TRUE(is_ok(old));
  ASSERT_TRUE(old->has_value());
  EXPECT_EQ((*old)->return_to, "/x");
}

// A database at schema `version` (6: the release before history; 7: the first with it)
// holding snapshots and items, upgraded in place: nothing lost, history and search work.
void PostgresStoreTest::upgrade_in_place(int version) {
  auto store = open({}, /*prepare=*/false);
  ASSERT_NE(store, nullptr);
  RawPg raw(url_);
  raw.exec(std::string(kSchemaMigrationsTableSql));
  for (const Migration& m : embedded_migrations()) {
    if (m.version > version) break;
    if (m.version == 7) raw.exec(kSchemaSixRowsSql);  // rows of release 6
    raw.exec(migration_sql(m, sql::Dialect::kPostgres));
    raw.exec("INSERT INTO schema_migrations (version, name, applied_at_ms) VALUES (" +
             std::to_string(m.version) + ", '" + std::string(m.name) + "', 0)");
  }
  if (version < 7) raw.exec(kSchemaSixRowsSql);
  ASSERT_TRUE(is_ok(store->migrate()));
  EXPECT_EQ(raw.query_int("SELECT COUNT(*) FROM pg_indexes WHERE indexname = 'items_seen'"), 0);
  EXPECT_EQ(raw.query_int("SELECT MAX(version) FROM schema_migrations"), latest_schema_version());
  EXPECT_EQ(raw.query_int("SELECT COUNT(*) FROM items WHERE indexed = 1 AND search IS NOT NULL"),
            3);
  EXPECT_EQ(raw.query_int("SELECT COUNT(*) FROM snapshot_items"), 4);
  expect_schema_six_upgraded(*store);
  EXPECT_EQ(raw.query_int("SELECT COUNT(*) FROM items"), 4);
}

TEST_F(PostgresStoreTest, UpgradesSchemaSixInPlaceWithHistory) { upgrade_in_place(6); }
TEST_F(PostgresStoreTest, UpgradesSchemaSevenInPlace) { upgrade_in_place(7); }
TEST_F(PostgresStoreTest, UpgradesSchemaEightInPlace) { upgrade_in_place(8); }
TEST_F(PostgresStoreTest, UpgradesSchemaTenInPlace) { upgrade_in_place(10); }

TEST_F(PostgresStoreTest, NewerSchemaIsRefused) {
  auto store = open();
  ASSERT_NE(store, nullptr);
  RawPg raw(url_);
  raw.exec("INSERT INTO schema_migrations (version, name, applied_at_ms) VALUES (" +
           std::to_string(latest_schema_version() + 1) + ", '9999_future.sql', 0)");
  const Status status = store->migrate();
  EXPECT_EQ(status.code(), ErrorCode::kConfig);
  EXPECT_NE(status.message().find(std::to_string(latest_schema_version() + 1)), std::string::npos)
      << status.message();
}

TEST_F(PostgresStoreTest, UnmigratedDatabaseSaysSo) {
  auto store = open({}, /*prepare=*/false);
  ASSERT_NE(store, nullptr);
  auto states = store->board_states();
  EXPECT_EQ(states.code(), ErrorCode::kConfig);
  EXPECT_NE(states.error_message().find("migrate"), std::string::npos) << states.error_message();
  EXPECT_EQ(store->commit_snapshot(make_commit("hn.top", kSlot0, {})).code(), ErrorCode::kConfig);
}

// --- concurrent writers ------------------------------------------------------------------

TEST_F(PostgresStoreTest, ConcurrentCommitsOfDistinctDispatchesAllLandWithUniqueVersions) {
  auto store = open();
  ASSERT_NE(store, nullptr);
  constexpr int kThreads = 8;  // twice the pool
  constexpr int kPerThread = 15;
  const std::vector<std::string> boards = {"hn.top", "hn.new", "weibo.hot-search"};
  std::latch start(kThreads);
  std::atomic<int> failures{0};
  std::vector<std::vector<int64_t>> ids(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      start.arrive_and_wait();
      for (int i = 0; i < kPerThread; ++i) {
        const std::string& board = boards[static_cast<size_t>(i + t) % boards.size()];
        const int64_t slot = kSlot0 + (t * kPerThread + i) * kMinute;
        auto id = store->commit_snapshot(
            make_commit(board, slot, make_items({"k" + std::to_string(i % 7), "shared"})));
        if (id.ok()) {
          ids[static_cast<size_t>(t)].push_back(*id);
        } else {
          ADD_FAILURE() << id.status().to_string();
          ++failures;
        }
        auto view = store->board_view(board);  // readers alongside the writers
        if (!view.ok() || !view->has_value()) {
          ++failures;
        }
      }
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(failures.load(), 0);
  std::set<int64_t> versions;
  for (const std::vector<int64_t>& per_thread : ids) {
    EXPECT_TRUE(std::is_sorted(per_thread.begin(), per_thread.end()));
    versions.insert(per_thread.begin(), per_thread.end());
  }
  EXPECT_EQ(versions.size(), static_cast<size_t>(kThreads * kPerThread));
  size_t runs = 0;
  for (const std::string& board : boards) {
    auto list = store->runs(board, 1000);
    ASSERT_TRUE(is_ok(list));
    runs += list->size();
  }
  EXPECT_EQ(runs, static_cast<size_t>(kThreads * kPerThread));
  RawPg raw(url_);
  EXPECT_EQ(raw.query_int("SELECT times_seen FROM items WHERE item_key = 'shared' AND board = "
                          "'hn.top'"),
            raw.query_int("SELECT COUNT(*) FROM snapshots WHERE board = 'hn.top'"));
}

// The same dispatch committed at once by several threads and by a second store (another
// process): exactly one wins, the rest get kConflict, nothing else.
TEST_F(PostgresStoreTest, ConcurrentCommitsOfTheSameDispatchLandExactlyOnce) {
  auto store = open();
  ASSERT_NE(store, nullptr);
  auto other = open({}, /*prepare=*/false);
  ASSERT_NE(other, nullptr);
  constexpr int kThreads = 6;
  constexpr int kRounds = 8;
  for (int round = 0; round < kRounds; ++round) {
    const int64_t slot = kSlot0 + round * kTenMinutes;
    std::latch start(kThreads);
    std::atomic<int> ok{0};
    std::atomic<int> conflicts{0};
    std::atomic<int> other_errors{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        const CommitRequest request =
            make_commit("hn.top", slot, make_items({"from-" + std::to_string(t)}));
        Store& target = t % 2 == 0 ? *store : *other;
        start.arrive_and_wait();
        auto id = target.commit_snapshot(request);
        if (id.ok()) {
          ++ok;
        } else if (id.code() == ErrorCode::kConflict) {
          ++conflicts;
        } else {
          ADD_FAILURE() << id.status().to_string();
          ++other_errors;
        }
      });
    }
    for (std::thread& thread : threads) {
      thread.join();
    }
    EXPECT_EQ(ok.load(), 1) << "round " << round;
    EXPECT_EQ(conflicts.load(), kThreads - 1) << "round " << round;
    EXPECT_EQ(other_errors.load(), 0) << "round " << round;
  }
  auto runs = store->runs("hn.top", 100);
  ASSERT_TRUE(is_ok(runs));
  EXPECT_EQ(runs->size(), static_cast<size_t>(kRounds));
}

// A leader change in the middle of a stream of commits: the old leader (epoch 1) keeps
// committing while the new one raises the fence to 2 and starts committing itself. Every
// epoch-1 commit that starts after raise_fence returned is fenced, and in commit order every
// epoch-1 run precedes every epoch-2 run.
TEST_F(PostgresStoreTest, CommitsOfTwoEpochsAroundRaiseFenceNeverInterleave) {
  auto store = open();
  ASSERT_NE(store, nullptr);
  constexpr int kPerLeader = 60;
  constexpr int kOldBeforeTakeover = 5;
  std::atomic<bool> raised{false};
  std::atomic<int> old_ok{0};
  std::atomic<int> old_ok_after_raise{0};
  std::atomic<int> old_fenced{0};
  std::atomic<int> new_ok{0};
  std::atomic<int> unexpected{0};
  std::atomic<bool> old_done{false};

  std::thread old_leader([&] {
    for (int i = 0; i < kPerLeader; ++i) {
      const bool after_raise = raised.load();
      auto id = store->commit_snapshot(
          make_commit("hn.top", kSlot0 + i * kMinute, make_items({"old" + std::to_string(i)}), 1));
      if (id.ok()) {
        ++old_ok;
        if (after_raise) ++old_ok_after_raise;
      } else if (id.code() == ErrorCode::kFenced) {
        ++old_fenced;
      } else {
        ADD_FAILURE() << id.status().to_string();
        ++unexpected;
      }
    }
    old_done.store(true);
  });
  while (old_ok.load() < kOldBeforeTakeover && !old_done.load()) {
    std::this_thread::yield();  // let the old term write a little first
  }
  auto fence = store->raise_fence(2);  // the takeover
  raised.store(true);
  std::thread new_leader([&] {
    for (int i = 0; i < kPerLeader; ++i) {
      auto id = store->commit_snapshot(
          make_commit("hn.new", kSlot0 + i * kMinute, make_items({"new" + std::to_string(i)}), 2));
      if (id.ok()) {
        ++new_ok;
      } else {
        ADD_FAILURE() << id.status().to_string();  // epoch 2 is never below the fence
        ++unexpected;
      }
    }
  });
  old_leader.join();
  new_leader.join();

  ASSERT_TRUE(is_ok(fence));
  EXPECT_EQ(*fence, 2);
  EXPECT_EQ(unexpected.load(), 0);
  EXPECT_GE(old_ok.load(), kOldBeforeTakeover);
  EXPECT_EQ(old_ok_after_raise.load(), 0) << "an epoch-1 commit landed after raise_fence(2)";
  EXPECT_EQ(old_ok.load() + old_fenced.load(), kPerLeader);
  EXPECT_EQ(new_ok.load(), kPerLeader);
  auto final_fence = store->fence_epoch();
  ASSERT_TRUE(is_ok(final_fence));
  EXPECT_EQ(*final_fence, 2);

  RawPg raw(url_);
  EXPECT_EQ(raw.query_int("SELECT COUNT(*) FROM runs WHERE epoch = 1"), old_ok.load());
  EXPECT_EQ(raw.query_int("SELECT COUNT(*) FROM runs WHERE epoch = 2"), kPerLeader);
  EXPECT_LT(raw.query_int("SELECT MAX(id) FROM runs WHERE epoch = 1"),
            raw.query_int("SELECT MIN(id) FROM runs WHERE epoch = 2"));
}

// Issue 15: a writer frozen between taking the fence row lock and COMMIT (SIGSTOP, a VM
// pause) used to block the new leader's raise_fence for the whole statement timeout (30 s),
// over and over. Now the wait for the lock is bounded (lock_timeout: kUnavailable, retried
// by the term), and the server ends the frozen session once it sat idle in its transaction
// for idle_in_transaction_timeout, which releases the lock: the takeover then lands, and
// the frozen writer's transaction never commits.
TEST_F(PostgresStoreTest, AFrozenWriterHoldingTheFenceLockDoesNotBlockTakeover) {
  PostgresStoreOptions options;
  options.lock_timeout = std::chrono::milliseconds(300);
  options.idle_in_transaction_timeout = std::chrono::milliseconds(1500);
  auto store = open(options);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(is_ok(store->raise_fence(1)));
  // The frozen old leader: its own session with the store's settings, inside a commit.
  RawPg frozen(url_);
  frozen.exec("SET idle_in_transaction_session_timeout = 1500");
  frozen.exec("BEGIN");
  frozen.exec("SELECT epoch FROM fence WHERE id = 1 FOR UPDATE");
  frozen.exec("UPDATE boards SET last_error = 'from the frozen leader' WHERE id = 'hn.top'");

  const auto start = Steady::now();
  auto blocked = store->raise_fence(2);
  EXPECT_EQ(blocked.code(), ErrorCode::kUnavailable) << blocked.status().to_string();
  EXPECT_LT(Steady::now() - start, kQuick) << "raise_fence waited for the frozen writer";

  // Liveness with a generous bound: the server ends the idle transaction, the lock goes.
  Result<int64_t> raised = error(ErrorCode::kUnavailable, "not tried");
  for (int i = 0; i < 300 && !raised.ok(); ++i) {
    raised = store->raise_fence(2);
    if (!raised.ok()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(is_ok(raised));
  EXPECT_EQ(*raised, 2);
  EXPECT_TRUE(is_ok(store->commit_snapshot(make_commit("hn.top", kSlot0, make_items({"a"}), 2))));
  RawPg check(url_);
  EXPECT_EQ(
      check.query_int("SELECT COUNT(*) FROM boards WHERE last_error = 'from the frozen leader'"),
      0);
}

TEST_F(PostgresStoreTest, APoolOfOneServesManyThreads) {
  PostgresStoreOptions options;
  options.pool_size = 1;
  auto store = open(options);
  ASSERT_NE(store, nullptr);
  constexpr int kThreads = 4;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        if (!store->commit_snapshot(make_commit("hn.top", kSlot0 + (t * 10 + i) * kMinute, {}))
                 .ok() ||
            !store->board_states().ok() || !store->fence_epoch().ok()) {
          ++failures;
        }
      }
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(store->runs("hn.top", 100).value_or({}).size(), static_cast<size_t>(kThreads * 10));
}

// --- the server goes away ----------------------------------------------------------------

// Calls against a stopped server fail fast with kUnavailable; once it is back the same
// store object reconnects by itself and the committed data is all there.
TEST_F(PostgresStoreTest, StoppedServerIsUnavailableQuicklyThenTheSameStoreReconnects) {
  auto own = PgServer::launch();
  ASSERT_TRUE(is_ok(own));
  PgServer& server = **own;
  PostgresStoreOptions options;
  options.clock = &clock_;
  auto opened = open_postgres_store(server.url(), options);
  ASSERT_TRUE(is_ok(opened));
  std::unique_ptr<Store> store = std::move(opened).value();
  ASSERT_TRUE(is_ok(store->migrate()));
  ASSERT_TRUE(is_ok(store->sync_catalogue(catalogue_sites(), catalogue_boards())));
  // Fill the pool with idle connections that will go stale.
  std::vector<std::thread> warm;
  for (int t = 0; t < 4; ++t) {
    warm.emplace_back([&] { EXPECT_TRUE(is_ok(store->board_states())); });
  }
  for (std::thread& thread : warm) {
    thread.join();
  }
  auto id = store->commit_snapshot(make_commit("hn.top", kSlot0, make_items({"a", "b"}), 3));
  ASSERT_TRUE(is_ok(id));

  const uint64_t errors_before = postgres_connection_errors();
  ASSERT_TRUE(is_ok(server.stop()));
  const auto start = Steady::now();
  EXPECT_EQ(store->board_view("hn.top").code(), ErrorCode::kUnavailable);
  EXPECT_GT(postgres_connection_errors(), errors_before);  // mu_postgres_connection_errors_total
  EXPECT_EQ(store->board_states().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(store->runs("hn.top", 5).code(), ErrorCode::kUnavailable);
  EXPECT_EQ(store->fence_epoch().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(store->raise_fence(4).code(), ErrorCode::kUnavailable);
  auto lost = store->commit_snapshot(make_commit("hn.top", kSlot0 + 60, make_items({"c"}), 3));
  EXPECT_EQ(lost.code(), ErrorCode::kUnavailable);
  EXPECT_NE(lost.error_message().find("commit_snapshot"), std::string::npos)
      << lost.error_message();
  EXPECT_EQ(store
                ->record_failure(
                    make_failure("hn.top", kSlot0 + 60, error(ErrorCode::kNetwork, "reset"), 3))
                .code(),
            ErrorCode::kUnavailable);
  EXPECT_EQ(store->migrate().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(store->put_board_override("hn.top", 0, "{}", 1).code(), ErrorCode::kUnavailable);
  EXPECT_EQ(store->upsert_user("github", "1", "alice", "", "", 1).code(), ErrorCode::kUnavailable);
  EXPECT_EQ(store->session("s", 1).code(), ErrorCode::kUnavailable);
  EXPECT_EQ(store->touch_session("s", 1, 2).code(), ErrorCode::kUnavailable);
  EXPECT_EQ(store->add_favorite(Favorite{1, "hn.top", "a", "", "", 1}, 0).code(),
            ErrorCode::kUnavailable);
  EXPECT_EQ(store->put_preferences(1, 0, "{}", 1).code(), ErrorCode::kUnavailable);
  EXPECT_EQ(store->append_audit(AuditRecord{0, 1, "alice", "x", "", ""}).code(),
            ErrorCode::kUnavailable);
  EXPECT_EQ(store->audit_log(10, 0).code(), ErrorCode::kUnavailable);
  EXPECT_LT(Steady::now() - start, kQuick);
  EXPECT_TRUE(is_retryable(store->board_states().status()));

  ASSERT_TRUE(is_ok(server.start()));
  auto view = store->board_view("hn.top");
  ASSERT_TRUE(is_ok(view));
  ASSERT_TRUE(view->has_value());
  EXPECT_EQ((*view)->snapshot.id, *id);
  EXPECT_EQ(keys_of((*view)->snapshot.items), (std::vector<std::string>{"a", "b"}));
  auto fence = store->fence_epoch();
  ASSERT_TRUE(is_ok(fence));
  EXPECT_EQ(*fence, 3);
  // The commit that failed while the server was down can be made now.
  auto again = store->commit_snapshot(make_commit("hn.top", kSlot0 + 60, make_items({"c"}), 3));
  ASSERT_TRUE(is_ok(again));
  EXPECT_GT(*again, *id);
  auto runs = store->runs("hn.top", 10);
  ASSERT_TRUE(is_ok(runs));
  EXPECT_EQ(runs->size(), 2u);
}

// A server restarted between two calls: the stale pooled connection is replaced and the
// call succeeds without the caller seeing an error.
TEST_F(PostgresStoreTest, RestartBetweenCallsIsInvisible) {
  auto own = PgServer::launch();
  ASSERT_TRUE(is_ok(own));
  PgServer& server = **own;
  auto opened = open_postgres_store(server.url());
  ASSERT_TRUE(is_ok(opened));
  std::unique_ptr<Store> store = std::move(opened).value();
  ASSERT_TRUE(is_ok(store->migrate()));
  ASSERT_TRUE(is_ok(store->sync_catalogue(catalogue_sites(), catalogue_boards())));

  ASSERT_TRUE(is_ok(server.stop()));
  ASSERT_TRUE(is_ok(server.start()));
  EXPECT_TRUE(is_ok(store->board_states()));  // a read: retried on a fresh connection
  ASSERT_TRUE(is_ok(server.stop()));
  ASSERT_TRUE(is_ok(server.start()));
  // A write that broke before its COMMIT was rolled back by the server: retried too.
  EXPECT_TRUE(is_ok(store->commit_snapshot(make_commit("hn.top", kSlot0, make_items({"a"}), 1))));
  EXPECT_EQ(store->runs("hn.top", 10).value_or({}).size(), 1u);
}

TEST_F(PostgresStoreTest, KilledServerComesBackWithCheckpointedData) {
  auto own = PgServer::launch();
  ASSERT_TRUE(is_ok(own));
  PgServer& server = **own;
  auto opened = open_postgres_store(server.url());
  ASSERT_TRUE(is_ok(opened));
  std::unique_ptr<Store> store = std::move(opened).value();
  ASSERT_TRUE(is_ok(store->migrate()));
  ASSERT_TRUE(is_ok(store->sync_catalogue(catalogue_sites(), catalogue_boards())));
  auto id = store->commit_snapshot(make_commit("hn.new", kSlot0, make_items({"x"}), 2));
  ASSERT_TRUE(is_ok(id));
  // The fixture runs with synchronous_commit=off: flush before pulling the plug.
  RawPg(server.url()).exec("CHECKPOINT");

  server.kill();
  const auto start = Steady::now();
  EXPECT_EQ(store->board_states().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(store->commit_snapshot(make_commit("hn.new", kSlot0 + 60, {}, 2)).code(),
            ErrorCode::kUnavailable);
  EXPECT_LT(Steady::now() - start, kQuick);

  ASSERT_TRUE(is_ok(server.start()));
  auto view = store->board_view("hn.new");
  ASSERT_TRUE(is_ok(view));
  ASSERT_TRUE(view->has_value());
  EXPECT_EQ((*view)->snapshot.id, *id);
  EXPECT_TRUE(is_ok(store->commit_snapshot(make_commit("hn.new", kSlot0 + 60, {}, 2))));
}

// A writer stuck behind a lock held elsewhere gives up at the statement timeout with
// kUnavailable instead of hanging; readers are not blocked meanwhile.
TEST_F(PostgresStoreTest, StatementTimeoutEndsAWaitForALock) {
  PostgresStoreOptions options;
  options.statement_timeout = std::chrono::milliseconds(300);
  auto store = open(options);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(is_ok(store->commit_snapshot(make_commit("hn.top", kSlot0, make_items({"a"})))));

  RawPg other_process(url_);
  other_process.exec("BEGIN");
  other_process.exec("SELECT epoch FROM fence WHERE id = 1 FOR UPDATE");
  const auto start = Steady::now();
  auto blocked = store->commit_snapshot(make_commit("hn.top", kSlot0 + 60, make_items({"b"})));
  EXPECT_LT(Steady::now() - start, kQuick);
  EXPECT_EQ(blocked.code(), ErrorCode::kUnavailable);
  EXPECT_NE(blocked.error_message().find("timeout"), std::string::npos) << blocked.error_message();
  EXPECT_EQ(store->raise_fence(5).code(), ErrorCode::kUnavailable);

  auto view = store->board_view("hn.top");  // readers do not wait for the writer
  ASSERT_TRUE(is_ok(view));
  ASSERT_TRUE(view->has_value());
  EXPECT_EQ(keys_of((*view)->snapshot.items), (std::vector<std::string>{"a"}));

  other_process.exec("ROLLBACK");
  EXPECT_TRUE(is_ok(store->commit_snapshot(make_commit("hn.top", kSlot0 + 60, make_items({"b"})))));
}

// The connection dies with a transaction open, right before its COMMIT: the client cannot
// tell whether the server applied it, so the commit reports kUnavailable and marks the
// outcome unknown (PostgresStore then does not run the call again).
TEST_F(PostgresStoreTest, ACommitLostWithTheConnectionHasAnUnknownOutcome) {
  auto config = pg::parse_postgres_url(url_);
  ASSERT_TRUE(is_ok(config));
  auto conn = pg::PgConnection::connect(*config);
  ASSERT_TRUE(is_ok(conn));
  pg::PgConnection& db = **conn;
  auto pid = db.query("SELECT pg_backend_pid()");
  ASSERT_TRUE(is_ok(pid));
  const int64_t backend = pid->int64(0, 0);

  db.begin_attempt();
  pg::Transaction txn(db);
  ASSERT_TRUE(is_ok(txn.begin()));
  ASSERT_TRUE(is_ok(db.exec("CREATE TABLE lost (x INTEGER)", "create")));
  // Waits (up to 10 s) until the backend is gone.
  EXPECT_EQ(RawPg(url_).query_int("SELECT pg_terminate_backend(" + std::to_string(backend) +
                                  ", 10000)::int"),
            1);
  const Status status = txn.commit();
  EXPECT_EQ(status.code(), ErrorCode::kUnavailable) << status.to_string();
  EXPECT_NE(status.message().find("may or may not"), std::string::npos) << status.message();
  EXPECT_TRUE(db.broken());
  EXPECT_TRUE(db.outcome_unknown());
  EXPECT_FALSE(db.idle());
  EXPECT_EQ(RawPg(url_).query_int("SELECT COUNT(*) FROM pg_tables WHERE tablename = 'lost'"), 0);
}

// --- text --------------------------------------------------------------------------------

TEST_F(PostgresStoreTest, AccountsTextPostgresCannotHoldIsInvalidOrAbsent) {
  auto store = open();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->upsert_user("github", "1", "bad\xff", "", "", 1).code(), ErrorCode::kInvalid);
  EXPECT_EQ(store->upsert_user("github", std::string("1\0", 2), "a", "", "", 1).code(),
            ErrorCode::kInvalid);
  auto users = store->list_users();
  ASSERT_TRUE(is_ok(users));
  EXPECT_TRUE(users->empty());
  auto nobody = store->user_by_login("bad\xff");
  ASSERT_TRUE(is_ok(nobody));
  EXPECT_FALSE(nobody->has_value());
  auto no_session = store->session("\xff", 1);
  ASSERT_TRUE(is_ok(no_session));
  EXPECT_FALSE(no_session->has_value());

  auto user = store->upsert_user("github", "1", "alice", "", "", 1);
  ASSERT_TRUE(is_ok(user));
  EXPECT_EQ(store->add_favorite(Favorite{user->id, "hn.top", "a", "t\xc0\xaf", "", 1}, 0).code(),
            ErrorCode::kInvalid);
  EXPECT_EQ(store->put_preferences(user->id, 0, "{\"x\":\"\xed\xa0\x80\"}", 1).code(),
            ErrorCode::kInvalid);
  EXPECT_EQ(store->append_audit(AuditRecord{0, 1, "alice", "x", "\xff", ""}).code(),
            ErrorCode::kInvalid);
  // A user agent is a header from anywhere: stored as close as PostgreSQL allows.
  ASSERT_TRUE(is_ok(store->create_session("s", user->id, "c", 1, 100, "ua\xff")));
  auto session = store->session("s", 2);
  ASSERT_TRUE(is_ok(session));
  ASSERT_TRUE(session->has_value());
  EXPECT_EQ((*session)->user_agent, "ua\xEF\xBF\xBD");
}

// Users and audit records written at once by several threads and a second store (another
// process) all land, with distinct ids.
TEST_F(PostgresStoreTest, ConcurrentUserAndAuditWritesGetDistinctIds) {
  auto store = open();
  ASSERT_NE(store, nullptr);
  auto other = open();
  ASSERT_NE(other, nullptr);
  constexpr int kThreads = 6;
  constexpr int kPerThread = 10;
  std::latch start(kThreads);
  std::mutex mu;
  std::set<int64_t> user_ids;
  std::set<int64_t> audit_ids;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      Store& target = t % 2 == 0 ? *store : *other;
      start.arrive_and_wait();
      for (int i = 0; i < kPerThread; ++i) {
        const std::string key = std::to_string(t) + "-" + std::to_string(i);
        auto user = target.upsert_user("github", key, "u" + key, "", "", 1);
        auto audit = target.append_audit(AuditRecord{0, 1, "u" + key, "login", "", ""});
        ASSERT_TRUE(is_ok(user));
        ASSERT_TRUE(is_ok(audit));
        std::lock_guard lock(mu);
        user_ids.insert(user->id);
        audit_ids.insert(*audit);
      }
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  constexpr auto kTotal = static_cast<size_t>(kThreads * kPerThread);
  EXPECT_EQ(user_ids.size(), kTotal);
  EXPECT_EQ(audit_ids.size(), kTotal);
  EXPECT_EQ(*user_ids.rbegin(), static_cast<int64_t>(kTotal));
  EXPECT_EQ(*audit_ids.rbegin(), static_cast<int64_t>(kTotal));
}

TEST_F(PostgresStoreTest, TextPostgresCannotHoldIsInvalidAndWritesNothing) {
  auto store = open();
  ASSERT_NE(store, nullptr);
  std::vector<Item> nul = make_items({"a"});
  nul[0].title = std::string("nul\0inside", 10);
  auto result = store->commit_snapshot(make_commit("hn.top", kSlot0, nul));
  EXPECT_EQ(result.code(), ErrorCode::kInvalid);
  EXPECT_NE(result.error_message().find("title"), std::string::npos) << result.error_message();

  std::vector<Item> bad_utf8 = make_items({"a"});
  bad_utf8[0].extra = {{"raw", "\xff\xfe not utf-8"}};
  EXPECT_EQ(store->commit_snapshot(make_commit("hn.top", kSlot0, bad_utf8)).code(),
            ErrorCode::kInvalid);
  EXPECT_EQ(store->commit_snapshot(make_commit("hn.top", kSlot0, make_items({"\xc0\xaf"}))).code(),
            ErrorCode::kInvalid);  // an overlong '/'
  EXPECT_EQ(store->put_board_override("hn.top", 0, "{\"x\":\"\xed\xa0\x80\"}", 1).code(),
            ErrorCode::kInvalid);  // a UTF-16 surrogate
  EXPECT_EQ(store->board_state("hn.\xff").code(), ErrorCode::kNotFound);
  EXPECT_EQ(store->runs("hn.top", 10).value_or({}).size(), 0u);
  EXPECT_EQ(store->fence_epoch().value_or(-1), 0);

  // A failure message is a diagnostic: stored as close as PostgreSQL allows.
  ASSERT_TRUE(is_ok(store->record_failure(make_failure(
      "hn.top", kSlot0, error(ErrorCode::kParse, std::string("bad \xff byte\0 here", 16))))));
  auto runs = store->runs("hn.top", 10);
  ASSERT_TRUE(is_ok(runs));
  ASSERT_EQ(runs->size(), 1u);
  EXPECT_EQ(runs->front().error_message, "bad \xEF\xBF\xBD byte here");
}

// More items than one multi-row statement carries.
TEST_F(PostgresStoreTest, LargeSnapshotsRoundTripInRankOrder) {
  auto store = open();
  ASSERT_NE(store, nullptr);
  std::vector<std::string> keys;
  for (int i = 0; i < 1203; ++i) {
    keys.push_back("key-" + std::to_string(i));
  }
  std::vector<Item> items = make_items(keys);
  items[700].hot = 1.5;
  items[700].extra = {{"n", "700"}};
  ASSERT_TRUE(is_ok(store->commit_snapshot(make_commit("hn.top", kSlot0, items))));
  std::reverse(items.begin(), items.end());
  const CommitRequest second = make_commit("hn.top", kSlot0 + 60, items);
  ASSERT_TRUE(is_ok(store->commit_snapshot(second)));

  auto view = store->board_view("hn.top");
  ASSERT_TRUE(is_ok(view));
  ASSERT_TRUE(view->has_value());
  const BoardView& v = **view;
  EXPECT_EQ(v.snapshot.items, items);
  EXPECT_EQ(v.previous_keys, keys);
  ASSERT_EQ(v.history.size(), keys.size());
  EXPECT_EQ(v.history.at("key-0").best_rank, 1);      // first fetch
  EXPECT_EQ(v.history.at("key-1202").best_rank, 1);   // second fetch
  EXPECT_EQ(v.history.at("key-700").best_rank, 503);  // min(701, 503)
  EXPECT_EQ(v.state.item_count, static_cast<int>(keys.size()));
}

// --- pieces ------------------------------------------------------------------------------

TEST(PgConnectionTest, SqlStatesMapToErrorCodes) {
  EXPECT_EQ(pg::error_code_for_sqlstate("23505"), ErrorCode::kConflict);
  EXPECT_EQ(pg::error_code_for_sqlstate("08006"), ErrorCode::kUnavailable);
  EXPECT_EQ(pg::error_code_for_sqlstate("57P01"), ErrorCode::kUnavailable);
  EXPECT_EQ(pg::error_code_for_sqlstate("57014"), ErrorCode::kUnavailable);
  EXPECT_EQ(pg::error_code_for_sqlstate("53300"), ErrorCode::kUnavailable);
  EXPECT_EQ(pg::error_code_for_sqlstate("40P01"), ErrorCode::kUnavailable);
  EXPECT_EQ(pg::error_code_for_sqlstate("42P01"), ErrorCode::kConfig);
  EXPECT_EQ(pg::error_code_for_sqlstate("22021"), ErrorCode::kInvalid);
  EXPECT_EQ(pg::error_code_for_sqlstate("23503"), ErrorCode::kInternal);
  EXPECT_EQ(pg::error_code_for_sqlstate("XX000"), ErrorCode::kInternal);
  EXPECT_EQ(pg::error_code_for_sqlstate(""), ErrorCode::kInternal);
}

TEST(PgConnectionTest, StorableTextIsValidUtf8WithoutNul) {
  EXPECT_TRUE(pg::is_storable_text(""));
  EXPECT_TRUE(pg::is_storable_text("plain \t\x01 text"));
  EXPECT_TRUE(pg::is_storable_text("热搜 🔥 \xf4\x8f\xbf\xbf"));  // up to U+10FFFF
  EXPECT_FALSE(pg::is_storable_text(std::string("a\0b", 3)));
  EXPECT_FALSE(pg::is_storable_text("\xff"));
  EXPECT_FALSE(pg::is_storable_text("\xc0\xaf"));          // overlong
  EXPECT_FALSE(pg::is_storable_text("\xe0\x80\xaf"));      // overlong
  EXPECT_FALSE(pg::is_storable_text("\xed\xa0\x80"));      // surrogate
  EXPECT_FALSE(pg::is_storable_text("\xf4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(pg::is_storable_text("\xe7\x83"));          // truncated
  EXPECT_EQ(pg::make_storable_text(std::string("a\0b\xffz\xe7\x83", 7)),
            "ab\xEF\xBF\xBDz\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(pg::make_storable_text("热搜"), "热搜");
}

TEST(PgServerTest, FindsTheServerBinariesOrNamesThePackage) {
  auto bin = find_postgres_bin_dir();
  ASSERT_TRUE(is_ok(bin)) << "the PostgreSQL tests need the server binaries";
  EXPECT_TRUE(std::filesystem::exists(*bin / "initdb"));
  EXPECT_TRUE(std::filesystem::exists(*bin / "postgres"));
}

}  // namespace
}  // namespace mu
