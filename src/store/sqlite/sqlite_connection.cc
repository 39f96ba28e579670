#include "store/sqlite/sqlite_connection.h"

#include <sqlite3.h>

#include <string>
#include <utility>

namespace mu::sqlite {
namespace {

constexpr std::string_view kMemoryPath = ":memory:";

// The start of a statement for error messages ("INSERT INTO snapshots (id, board...").
std::string_view sql_head(std::string_view sql) {
  constexpr size_t kMax = 48;
  while (!sql.empty() && (sql.front() == ' ' || sql.front() == '\n')) {
    sql.remove_prefix(1);
  }
  return sql.substr(0, kMax);
}

}  // namespace

ErrorCode error_code_for(int sqlite_rc) {
  switch (sqlite_rc) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
      return ErrorCode::kConflict;
    default:
      break;
  }
  switch (sqlite_rc & 0xff) {
    case SQLITE_OK:
    case SQLITE_ROW:
    case SQLITE_DONE:
      return ErrorCode::kOk;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
    case SQLITE_READONLY:
    case SQLITE_PROTOCOL:
    case SQLITE_PERM:
    case SQLITE_AUTH:
    case SQLITE_NOLFS:
      return ErrorCode::kUnavailable;
    default:
      return ErrorCode::kInternal;
  }
}

// ---------------------------------------------------------------------------------------
// Statement

Statement::Statement(SqliteConnection& conn, sqlite3_stmt* stmt, std::string_view sql)
    : conn_(&conn), stmt_(stmt), sql_(sql) {}

Statement::Statement(Statement&& other) noexcept
    : conn_(other.conn_),
      stmt_(std::exchange(other.stmt_, nullptr)),
      sql_(other.sql_),
      bind_rc_(other.bind_rc_),
      bind_index_(other.bind_index_) {}

Statement::~Statement() {
  if (stmt_ == nullptr) {
    return;
  }
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

void Statement::note_bind(int rc, int index) {
  if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) {
    bind_rc_ = rc;
    bind_index_ = index;
  }
}

Statement& Statement::bind_int(int index, int64_t value) {
  note_bind(sqlite3_bind_int64(stmt_, index, value), index);
  return *this;
}

Statement& Statement::bind_double(int index, double value) {
  note_bind(sqlite3_bind_double(stmt_, index, value), index);
  return *this;
}

Statement& Statement::bind_text(int index, std::string_view value) {
  // A null data pointer would bind SQL NULL; an empty view must bind ''.
  const char* data = value.data() != nullptr ? value.data() : "";
  note_bind(sqlite3_bind_text64(stmt_, index, data, value.size(), SQLITE_TRANSIENT, SQLITE_UTF8),
            index);
  return *this;
}

Statement& Statement::bind_null(int index) {
  note_bind(sqlite3_bind_null(stmt_, index), index);
  return *this;
}

Statement& Statement::bind_optional_int(int index, const std::optional<int64_t>& value) {
  return value ? bind_int(index, *value) : bind_null(index);
}

Statement& Statement::bind_optional_double(int index, const std::optional<double>& value) {
  return value ? bind_double(index, *value) : bind_null(index);
}

Result<bool> Statement::step() {
  if (bind_rc_ != SQLITE_OK) {
    return conn_->error_status(bind_rc_, "binding parameter " + std::to_string(bind_index_) +
                                             " of `" + std::string(sql_head(sql_)) + "`");
  }
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) {
    return true;
  }
  if (rc == SQLITE_DONE) {
    return false;
  }
  return conn_->error_status(rc, "`" + std::string(sql_head(sql_)) + "`");
}

Status Statement::run() {
  while (true) {
    MU_ASSIGN_OR_RETURN(bool row, step());
    if (!row) {
      return ok_status();
    }
  }
}

int64_t Statement::column_int(int index) const { return sqlite3_column_int64(stmt_, index); }

double Statement::column_double(int index) const { return sqlite3_column_double(stmt_, index); }

std::string Statement::column_text(int index) const {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, index));
  if (text == nullptr) {
    return {};
  }
  return std::string(text, static_cast<size_t>(sqlite3_column_bytes(stmt_, index)));
}

bool Statement::column_is_null(int index) const {
  return sqlite3_column_type(stmt_, index) == SQLITE_NULL;
}

std::optional<int64_t> Statement::column_optional_int(int index) const {
  if (column_is_null(index)) {
    return std::nullopt;
  }
  return column_int(index);
}

std::optional<double> Statement::column_optional_double(int index) const {
  if (column_is_null(index)) {
    return std::nullopt;
  }
  return column_double(index);
}

// ---------------------------------------------------------------------------------------
// SqliteConnection

void SqliteConnection::DbCloser::operator()(sqlite3* db) const { sqlite3_close_v2(db); }

void SqliteConnection::StmtFinalizer::operator()(sqlite3_stmt* stmt) const {
  sqlite3_finalize(stmt);
}

Result<std::unique_ptr<SqliteConnection>> SqliteConnection::open(const std::string& path,
                                                                 const ConnectionOptions& options) {
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
  if (!options.read_only) {
    flags |= SQLITE_OPEN_CREATE;
  }
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  DbPtr db(raw);  // sqlite3_open_v2 may allocate a handle even when it fails
  if (rc != SQLITE_OK) {
    std::string message = "sqlite " + path + ": cannot open database: ";
    message += db ? sqlite3_errmsg(db.get()) : sqlite3_errstr(rc);
    return error(ErrorCode::kUnavailable, std::move(message));
  }
  sqlite3_extended_result_codes(db.get(), 1);
  if (!options.read_only && sqlite3_db_readonly(db.get(), "main") == 1) {
    return error(ErrorCode::kUnavailable,
                 "sqlite " + path + ": cannot open database: the file is read-only");
  }
  auto conn = std::make_unique<SqliteConnection>(Key(), path, db.release());
  MU_RETURN_IF_ERROR(conn->apply_pragmas(options));
  return conn;
}

SqliteConnection::SqliteConnection(Key, std::string path, sqlite3* db)
    : path_(std::move(path)), db_(db) {}

Status SqliteConnection::apply_pragmas(const ConnectionOptions& options) {
  sqlite3_busy_timeout(db_.get(), options.busy_timeout_ms);
  // Reading the schema also proves that the file is a database.
  MU_RETURN_IF_ERROR(exec("SELECT count(*) FROM sqlite_master", "reading the schema"));
  if (options.wal && !options.read_only && path_ != kMemoryPath) {
    MU_ASSIGN_OR_RETURN(Statement mode, prepare("PRAGMA journal_mode=WAL"));
    MU_ASSIGN_OR_RETURN(bool row, mode.step());
    const std::string got = row ? mode.column_text(0) : std::string();
    if (got != "wal") {
      return error(ErrorCode::kUnavailable,
                   "sqlite " + path_ + ": cannot switch to WAL journal mode (got '" + got + "')");
    }
  }
  MU_RETURN_IF_ERROR(exec("PRAGMA synchronous=NORMAL", "setting synchronous"));
  MU_RETURN_IF_ERROR(exec("PRAGMA foreign_keys=ON", "enabling foreign keys"));
  if (options.read_only) {
    MU_RETURN_IF_ERROR(exec("PRAGMA query_only=ON", "setting query_only"));
    // Readers map the file (its first 1 GiB): searches and archives touch thousands of
    // pages, and a mapped page costs no copy and no system call (measured: a 10,000-match
    // search 17 ms instead of 40-130 ms through the 2 MB page cache). The pages belong to
    // the OS page cache, shared and reclaimable, not to the process's heap.
    MU_RETURN_IF_ERROR(exec("PRAGMA mmap_size=1073741824", "mapping the database"));
  }
  return ok_status();
}

SqliteConnection::~SqliteConnection() {
  cache_.clear();  // finalize every statement before the handle closes
}

Result<Statement> SqliteConnection::prepare(std::string_view sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    sqlite3_stmt* raw = nullptr;
    const int rc = sqlite3_prepare_v3(db_.get(), sql.data(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
    StmtPtr stmt(raw);
    if (rc != SQLITE_OK) {
      Status status = error_status(rc, "preparing `" + std::string(sql_head(sql)) + "`");
      if (status.message().find("no such table") != std::string::npos) {
        return error(ErrorCode::kConfig,
                     status.message() + " (the schema is not migrated: run `mu migrate`)");
      }
      return status;
    }
    if (!stmt) {
      return error(ErrorCode::kInternal, "sqlite: empty statement");
    }
    it = cache_.emplace(sql, std::move(stmt)).first;
  }
  return Statement(*this, it->second.get(), sql);
}

Status SqliteConnection::exec(const std::string& sql, std::string_view context) {
  char* message = nullptr;
  const int rc = sqlite3_exec(db_.get(), sql.c_str(), nullptr, nullptr, &message);
  std::string text = message != nullptr ? message : "";
  sqlite3_free(message);
  if (rc == SQLITE_OK) {
    return ok_status();
  }
  if (text.empty()) {
    text = sqlite3_errstr(rc);
  }
  return error(error_code_for(rc), "sqlite " + path_ + ": " + std::string(context) + ": " + text +
                                       " (code " + std::to_string(rc) + ")");
}

Status SqliteConnection::error_status(int rc, std::string_view context) const {
  if (rc == SQLITE_OK) {
    rc = sqlite3_extended_errcode(db_.get());
  }
  std::string text =
      sqlite3_errcode(db_.get()) != SQLITE_OK ? sqlite3_errmsg(db_.get()) : sqlite3_errstr(rc);
  ErrorCode code = error_code_for(rc);
  if (code == ErrorCode::kOk) {
    code = ErrorCode::kInternal;
  }
  return error(code, "sqlite " + path_ + ": " + std::string(context) + ": " + text + " (code " +
                         std::to_string(rc) + ")");
}

bool SqliteConnection::in_transaction() const { return sqlite3_get_autocommit(db_.get()) == 0; }

// ---------------------------------------------------------------------------------------
// Transaction

Status Transaction::begin(bool immediate) {
  MU_ASSIGN_OR_RETURN(Statement stmt, conn_.prepare(immediate ? "BEGIN IMMEDIATE" : "BEGIN"));
  MU_RETURN_IF_ERROR(stmt.run());
  active_ = true;
  return ok_status();
}

Status Transaction::commit() {
  MU_ASSIGN_OR_RETURN(Statement stmt, conn_.prepare("COMMIT"));
  MU_RETURN_IF_ERROR(stmt.run());
  active_ = false;
  return ok_status();
}

Transaction::~Transaction() {
  if (!active_ || !conn_.in_transaction()) {
    return;
  }
  try {
    auto stmt = conn_.prepare("ROLLBACK");
    if (stmt.ok()) {
      (void)stmt->run();
    }
  } catch (...) {
    // Out of memory: the connection rolls the transaction back when it closes.
  }
}

}  // namespace mu::sqlite
