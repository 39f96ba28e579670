// Thin RAII layer over the SQLite C API used by SqliteStore: an owned connection with a
// cache of prepared statements, a borrowed statement that resets itself, and a transaction
// guard that rolls back unless committed. SQLite result codes become mu::Status here
// (kUnavailable for busy/locked/I/O/full/corrupt/not-a-database/read-only files, kConflict
// for UNIQUE / PRIMARY KEY violations, kInternal otherwise), with messages naming the database
// file. Not thread-safe: a SqliteConnection and everything borrowed from it are used by one thread
// at a time (SqliteStore guards each connection with a lock).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace mu::sqlite {

// Maps a (possibly extended) SQLite result code to Mu's error category.
ErrorCode error_code_for(int sqlite_rc);

struct ConnectionOptions {
  bool read_only = false;  // sets PRAGMA query_only: a reader of the pool
  bool wal = true;         // switch the file to WAL (ignored for ":memory:")
  int busy_timeout_ms = 5000;
};

class SqliteConnection;

// A cached prepared statement borrowed for one use: bind, step, read columns. Resets the
// statement and clears its bindings when destroyed. Bind errors are reported by step().
class Statement {
 public:
  Statement(SqliteConnection& conn, sqlite3_stmt* stmt, std::string_view sql);
  ~Statement();
  Statement(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  Statement& operator=(Statement&&) = delete;

  // Parameters are 1-based. Text is copied (SQLITE_TRANSIENT), an empty view binds ''.
  Statement& bind_int(int index, int64_t value);
  Statement& bind_double(int index, double value);
  Statement& bind_text(int index, std::string_view value);
  Statement& bind_null(int index);
  Statement& bind_optional_int(int index, const std::optional<int64_t>& value);
  Statement& bind_optional_double(int index, const std::optional<double>& value);

  // True when a row is available, false when the statement is done.
  Result<bool> step();
  // Steps to completion, for statements that return no rows.
  Status run();

  // Columns are 0-based. NULL reads as 0 / "" / nullopt.
  int64_t column_int(int index) const;
  double column_double(int index) const;
  std::string column_text(int index) const;
  bool column_is_null(int index) const;
  std::optional<int64_t> column_optional_int(int index) const;
  std::optional<double> column_optional_double(int index) const;

 private:
  void note_bind(int rc, int index);

  SqliteConnection* conn_;
  sqlite3_stmt* stmt_;  // null after a move
  std::string_view sql_;
  int bind_rc_ = 0;
  int bind_index_ = 0;
};

class SqliteConnection {
 public:
  // Opens (creating if needed) the database at `path` (":memory:" for a private in-memory
  // database) and applies the connection pragmas: WAL, synchronous=NORMAL,
  // foreign_keys=ON, busy_timeout. kUnavailable when the file cannot be opened or created,
  // is read-only or is not a database.
  static Result<std::unique_ptr<SqliteConnection>> open(const std::string& path,
                                                        const ConnectionOptions& options);

  struct Key {  // only open() can construct a connection
   private:
    friend class SqliteConnection;
    Key() = default;
  };
  SqliteConnection(Key, std::string path, sqlite3* db);
  ~SqliteConnection();
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  // A cached statement for `sql`. `sql` must outlive the connection (use literals): it is
  // the cache key. Statements are prepared once with SQLITE_PREPARE_PERSISTENT. A missing
  // table gives kConfig ("the schema is not migrated").
  Result<Statement> prepare(std::string_view sql);

  // Runs one or more statements without caching (pragmas, migrations).
  Status exec(const std::string& sql, std::string_view context);

  // A Status for the connection's last error, or for `rc` when given.
  Status error_status(int rc, std::string_view context) const;

  bool in_transaction() const;
  const std::string& path() const { return path_; }
  sqlite3* handle() const { return db_.get(); }

 private:
  struct DbCloser {
    void operator()(sqlite3* db) const;
  };
  struct StmtFinalizer {
    void operator()(sqlite3_stmt* stmt) const;
  };
  using DbPtr = std::unique_ptr<sqlite3, DbCloser>;
  using StmtPtr = std::unique_ptr<sqlite3_stmt, StmtFinalizer>;

  Status apply_pragmas(const ConnectionOptions& options);

  std::string path_;
  DbPtr db_;  // declared before the cache: statements are finalized first
  std::unordered_map<std::string_view, StmtPtr> cache_;
};

// Rolls the transaction back on destruction unless commit() succeeded.
class Transaction {
 public:
  explicit Transaction(SqliteConnection& conn) : conn_(conn) {}
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  // BEGIN IMMEDIATE (takes the write lock now) or BEGIN (a read snapshot from the first
  // read on).
  Status begin(bool immediate);
  Status commit();

 private:
  SqliteConnection& conn_;
  bool active_ = false;
};

}  // namespace mu::sqlite
