// PostgresStore: the Store on a PostgreSQL server (15 or newer), for deployments where
// several Mu processes share one database. Schema: the shared numbered migrations
// (store/migrations.h), applied by migrate(); statements: store/sql_statements.h, shared
// with SqliteStore; the semantics are those of SqliteStore
// (store/sqlite/sqlite_store.h): retired boards behave as unknown boards, checks run in the
// order kInvalid, kFenced, kConflict, kNotFound and nothing is written when one fails.
//
// URL: postgresql://user[:password]@host:port/database (or postgres://...; libpq's URI
// syntax, so query parameters such as ?sslmode=require are accepted). The password never
// appears in messages or logs.
//
// Thread safety: every method is safe for concurrent use, also from several processes on
// one database. Each call borrows one connection of a small pool (opened lazily, at most
// `pool_size`; callers wait when all are busy). Writers are serialized by the row lock on
// the `fence` row (commit_snapshot, record_failure), by an advisory lock (migrate,
// sync_catalogue, and upsert_user / append_audit, whose ids are MAX(id) + 1), by the
// board's row lock (put_board_override) or the user's (put_preferences); take_login_state is
// one DELETE ... RETURNING, so of concurrent takes of one state exactly one gets the row.
// Reads that need a consistent view (board_view, runs) run in a REPEATABLE READ READ ONLY
// transaction.
//
// Connections: a connection that broke (server restarted, socket reset) is discarded, the
// idle ones opened before it are replaced, and the call is run once more on a fresh
// connection when its outcome is known, i.e. for reads and for writes that failed before
// their COMMIT was sent (the server rolled them back). A COMMIT lost with the connection is
// not retried: the call returns kUnavailable and the caller decides (a retried commit of
// the same dispatch then gives kConflict if the first one did land).
//
// Errors: kUnavailable when the server cannot be reached, goes away, is shutting down or a
// statement runs past the statement timeout; kConflict for unique violations (and the
// store's own conflicts); kConfig for a malformed URL, a schema newer than this binary or
// one that is not migrated; kInvalid for malformed requests, including text PostgreSQL
// cannot hold (NUL bytes or invalid UTF-8 in ids, item fields or JSON: normalize first;
// failure messages are made storable instead); kInternal with the SQLSTATE and the
// server's message otherwise. Nothing throws.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "core/clock.h"
#include "core/status.h"
#include "store/store.h"

namespace mu {

struct PostgresStoreOptions {
  // Most connections open at once; at least 1.
  int pool_size = 4;
  // How long opening a connection may take (libpq rounds up to whole seconds, at least 2).
  // Overrides a connect_timeout given in the URL.
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(5)};
  // Server-side limit of one statement (including waits for locks); 0 disables it. Added
  // to the server settings the URL's `options` parameter gives. Migrations are not bounded.
  std::chrono::milliseconds statement_timeout{std::chrono::seconds(30)};
  // Server-side bounds that keep a stalled writer from blocking a takeover (issue 15): the
  // longest wait for a row lock (the fence row every commit takes; a new leader's
  // raise_fence waits on it), and the longest a session may sit idle inside an open
  // transaction before the server ends it and releases its locks (a leader frozen by
  // SIGSTOP or a VM pause between its lock and its COMMIT). Both are shorter than the
  // default lease (3 s) plus a renewal, so a takeover waits at most about
  // idle_in_transaction_timeout for a frozen writer. 0 disables either. Migrations lift
  // the lock timeout (they queue on an advisory lock by design).
  std::chrono::milliseconds lock_timeout{std::chrono::seconds(2)};
  std::chrono::milliseconds idle_in_transaction_timeout{std::chrono::seconds(5)};
  // Stamps schema_migrations.applied_at_ms; the system clock when null. Borrowed: must
  // outlive the store.
  const Clock* clock = nullptr;
  // false: commits write the items rows (what board views need) but no points and no search
  // entries — bench/history.sh's baseline for what history adds to a commit.
  bool record_history = true;
};

// Checks the URL (kConfig when it is not a postgresql:// URL libpq accepts) and opens the
// first connection (kUnavailable, with libpq's reason, when the server cannot be reached
// or refuses it). Does not migrate: call migrate().
Result<std::unique_ptr<Store>> open_postgres_store(const std::string& url,
                                                   const PostgresStoreOptions& options = {});

// Store calls of this process that could not reach PostgreSQL: no connection could be made,
// or the connection broke during the call (mu_postgres_connection_errors_total).
uint64_t postgres_connection_errors();

}  // namespace mu
