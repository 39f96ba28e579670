#include "store/sqlite/sqlite_store.h"

#include <algorithm>
#include <filesystem>
#include <string_view>
#include <system_error>
#include <unordered_set>
#include <utility>

#include "core/search_text.h"
#include "store/history_math.h"
#include "store/migrations.h"
#include "store/sql_rows.h"
#include "store/sql_statements.h"
#include "store/sqlite/sqlite_connection.h"
#include "store/store_checks.h"
#include "store/store_codec.h"

namespace mu {
namespace {

using sqlite::SqliteConnection;
using sqlite::Statement;
using sqlite::Transaction;

constexpr std::string_view kMemoryPath = ":memory:";

// SQLite's own: the rows changed by the connection's last INSERT, UPDATE or DELETE.
constexpr char kChanges[] = "SELECT changes()";

// The statements (store/sql_statements.h) are cached per connection, keyed by their text.
Result<Statement> prepare(SqliteConnection& db, const sql::Statement& statement) {
  return db.prepare(statement.sqlite);
}

// The current row of a stepped statement, as the shared decoders (store/sql_rows.h) read
// it.
class Row {
 public:
  explicit Row(const Statement& stmt) : stmt_(stmt) {}
  int64_t int64(int column) const { return stmt_.column_int(column); }
  std::string text(int column) const { return stmt_.column_text(column); }
  bool is_null(int column) const { return stmt_.column_is_null(column); }
  std::optional<int64_t> optional_int64(int column) const {
    return stmt_.column_optional_int(column);
  }
  std::optional<double> optional_double(int column) const {
    return stmt_.column_optional_double(column);
  }

 private:
  const Statement& stmt_;
};

// The row inserts, one row per statement. Built once: the statement cache keeps views of
// the texts, so they live as long as the process.
const std::string& insert_snapshot_item_sql() {
  static const std::string text =
      sql::row_insert_sql(sql::kInsertSnapshotItems, 1, sql::Dialect::kSqlite);
  return text;
}
const std::string& upsert_history_item_sql() {
  static const std::string text =
      sql::row_insert_sql(sql::kUpsertHistoryItemsSqlite, 1, sql::Dialect::kSqlite);
  return text;
}
const std::string& insert_item_point_sql() {
  static const std::string text =
      sql::row_insert_sql(sql::kInsertItemPoints, 1, sql::Dialect::kSqlite);
  return text;
}

// The search index (items_fts, contentless: rowid = items.id). Removing a row's tokens
// takes the tokens it was indexed with.
constexpr char kInsertSearchEntry[] = "INSERT INTO items_fts (rowid, tokens) VALUES (?1, ?2)";
constexpr char kDeleteSearchEntry[] =
    "INSERT INTO items_fts (items_fts, rowid, tokens) VALUES ('delete', ?1, ?2)";

// Rows indexed per transaction by migrate() after 0007 (the rows that predate it).
constexpr int64_t kIndexBatch = 1000;
// Items dropped per compact_history call.
constexpr int64_t kDropBatch = 5000;

Status status_of(const Status& status) { return status; }
template <typename T>
Status status_of(const Result<T>& result) {
  return result.status();
}

// Runs `op(db)` in a transaction that is committed when it succeeds and rolled back
// otherwise. BEGIN IMMEDIATE takes the write lock at once; BEGIN reads a snapshot from the
// first read on.
template <typename Op>
auto in_transaction(SqliteConnection& db, bool immediate, Op& op) -> decltype(op(db)) {
  using Out = decltype(op(db));
  Transaction txn(db);
  MU_RETURN_IF_ERROR(txn.begin(immediate));
  Out result = op(db);
  if (result.ok()) {
    MU_RETURN_IF_ERROR(txn.commit());
  }
  return result;
}

Status unknown_board(const std::string& board) {
  return error(ErrorCode::kNotFound, "unknown board '" + board + "'");
}

Status unknown_user(int64_t user_id) {
  return error(ErrorCode::kNotFound, "unknown user " + std::to_string(user_id));
}

// The integer in the first column of the single row `stmt` (already bound) gives; steps
// the statement to its end, so an INSERT / UPDATE ... RETURNING completes.
Result<int64_t> single_int(Statement& stmt) {
  MU_ASSIGN_OR_RETURN(bool row, stmt.step());
  if (!row) {
    return error(ErrorCode::kInternal, "no row from a statement that returns one");
  }
  const int64_t value = stmt.column_int(0);
  MU_RETURN_IF_ERROR(stmt.run());
  return value;
}

// A single-row, single-integer query without parameters.
Result<int64_t> query_int(SqliteConnection& db, std::string_view sql) {
  MU_ASSIGN_OR_RETURN(Statement stmt, db.prepare(sql));
  return single_int(stmt);
}
Result<int64_t> query_int(SqliteConnection& db, const sql::Statement& statement) {
  return query_int(db, statement.sqlite);
}
// With one integer parameter.
Result<int64_t> query_int(SqliteConnection& db, const sql::Statement& statement, int64_t param) {
  MU_ASSIGN_OR_RETURN(Statement stmt, prepare(db, statement));
  stmt.bind_int(1, param);
  return single_int(stmt);
}

Result<int64_t> changes(SqliteConnection& db) { return query_int(db, kChanges); }

// Calls `each(Row)` for every row of `stmt` (already bound).
template <typename Each>
Status for_each_row(Statement& stmt, Each&& each) {
  while (true) {
    MU_ASSIGN_OR_RETURN(bool row, stmt.step());
    if (!row) {
      return ok_status();
    }
    each(Row(stmt));
  }
}

// The single user `stmt` (already bound) selects, if any.
Result<std::optional<User>> one_user(Statement& stmt) {
  MU_ASSIGN_OR_RETURN(bool row, stmt.step());
  if (!row) {
    return std::optional<User>();
  }
  return std::optional<User>(sql::user_from(Row(stmt)));
}

// kFenced when `epoch` is below the fence; otherwise raises the fence to `epoch`.
Status check_and_raise_fence(SqliteConnection& db, int64_t epoch) {
  MU_ASSIGN_OR_RETURN(int64_t fence, query_int(db, sql::kLockFence));
  if (epoch < fence) {
    return error(ErrorCode::kFenced, "epoch " + std::to_string(epoch) +
                                         " is below the store's fence epoch " +
                                         std::to_string(fence));
  }
  if (epoch > fence) {
    MU_ASSIGN_OR_RETURN(Statement raise, prepare(db, sql::kSetFence));
    MU_RETURN_IF_ERROR(raise.bind_int(1, epoch).run());
  }
  return ok_status();
}

// kConflict when `dispatch_id` already has a snapshot.
Status check_not_committed(SqliteConnection& db, const std::string& dispatch_id) {
  MU_ASSIGN_OR_RETURN(Statement stmt, prepare(db, sql::kSelectSnapshotByDispatch));
  stmt.bind_text(1, dispatch_id);
  MU_ASSIGN_OR_RETURN(bool row, stmt.step());
  if (row) {
    return error(ErrorCode::kConflict, "dispatch '" + dispatch_id +
                                           "' was already committed as snapshot " +
                                           std::to_string(stmt.column_int(0)));
  }
  return ok_status();
}

// kNotFound unless `board` exists and is not retired. `statement` selects the retired flag.
Status check_board_active(SqliteConnection& db, const std::string& board,
                          const sql::Statement& statement = sql::kSelectBoardRetired) {
  MU_ASSIGN_OR_RETURN(Statement stmt, prepare(db, statement));
  stmt.bind_text(1, board);
  MU_ASSIGN_OR_RETURN(bool row, stmt.step());
  if (!row || stmt.column_int(0) != 0) {
    return unknown_board(board);
  }
  return ok_status();
}

// kNotFound unless the user exists. `statement` selects the user's id.
Status check_user_exists(SqliteConnection& db, int64_t user_id,
                         const sql::Statement& statement = sql::kSelectUserId) {
  MU_ASSIGN_OR_RETURN(Statement stmt, prepare(db, statement));
  stmt.bind_int(1, user_id);
  MU_ASSIGN_OR_RETURN(bool row, stmt.step());
  if (!row) {
    return unknown_user(user_id);
  }
  return ok_status();
}

Status insert_run(SqliteConnection& db, const std::string& dispatch_id, const std::string& board,
                  int64_t slot, int64_t epoch, std::string_view status,
                  std::string_view error_message, const RunStats& stats) {
  MU_ASSIGN_OR_RETURN(Statement stmt, prepare(db, sql::kInsertRun));
  stmt.bind_text(1, dispatch_id)
      .bind_int(2, stats.attempt)
      .bind_text(3, board)
      .bind_int(4, slot)
      .bind_int(5, epoch)
      .bind_text(6, status)
      .bind_text(7, error_message)
      .bind_int(8, stats.started_ms)
      .bind_int(9, stats.finished_ms)
      .bind_int(10, stats.http_status)
      .bind_int(11, stats.bytes)
      .bind_int(12, stats.item_count)
      .bind_text(13, stats.collector);
  return stmt.run();
}

// Ids present in the table's `retired = 0` rows but not in `keep`.
Result<std::vector<std::string>> active_ids_not_in(SqliteConnection& db,
                                                   const sql::Statement& statement,
                                                   const std::unordered_set<std::string>& keep) {
  std::vector<std::string> out;
  MU_ASSIGN_OR_RETURN(Statement stmt, prepare(db, statement));
  MU_RETURN_IF_ERROR(for_each_row(stmt, [&](const Row& row) {
    std::string id = row.text(0);
    if (!keep.contains(id)) {
      out.push_back(std::move(id));
    }
  }));
  return out;
}

Status retire(SqliteConnection& db, const sql::Statement& statement,
              const std::vector<std::string>& ids) {
  for (const std::string& id : ids) {
    MU_ASSIGN_OR_RETURN(Statement stmt, prepare(db, statement));
    MU_RETURN_IF_ERROR(stmt.bind_text(1, id).run());
  }
  return ok_status();
}

Status insert_search_entry(SqliteConnection& db, int64_t id, std::string_view title,
                           std::string_view summary) {
  MU_ASSIGN_OR_RETURN(Statement stmt, db.prepare(kInsertSearchEntry));
  return stmt.bind_int(1, id).bind_text(2, search::index_text(title, summary)).run();
}

Status delete_search_entry(SqliteConnection& db, int64_t id, std::string_view title,
                           std::string_view summary) {
  MU_ASSIGN_OR_RETURN(Statement stmt, db.prepare(kDeleteSearchEntry));
  return stmt.bind_int(1, id).bind_text(2, search::index_text(title, summary)).run();
}

Status insert_point(SqliteConnection& db, int64_t id, int64_t at_ms, int64_t rank,
                    const std::optional<double>& hot) {
  MU_ASSIGN_OR_RETURN(Statement stmt, db.prepare(insert_item_point_sql()));
  return stmt.bind_int(1, id)
      .bind_int(2, at_ms)
      .bind_int(3, rank)
      .bind_optional_double(4, hot)
      .run();
}

// The rows plan_commit needs: the board's current items, then each other key's row.
Result<std::vector<history::StoredItem>> stored_items(SqliteConnection& db,
                                                      const std::string& board,
                                                      const std::vector<Item>& items) {
  std::vector<history::StoredItem> out;
  std::unordered_set<std::string> current;
  {
    MU_ASSIGN_OR_RETURN(Statement stmt, prepare(db, sql::kSelectCurrentItems));
    stmt.bind_text(1, board);
    MU_RETURN_IF_ERROR(for_each_row(stmt, [&](const Row& row) {
      out.push_back(sql::stored_item_from(row));
      current.insert(out.back().key);
    }));
  }
  for (const Item& item : items) {
    if (current.contains(item.key)) {
      continue;
    }
    MU_ASSIGN_OR_RETURN(Statement stmt, prepare(db, sql::kSelectStoredItem));
    stmt.bind_text(1, board).bind_text(2, item.key);
    MU_ASSIGN_OR_RETURN(bool row, stmt.step());
    if (row) {
      out.push_back(sql::stored_item_from(Row(stmt)));
    }
  }
  return out;
}

// The history half of a commit (store/history.h): rows, points and search entries.
Status write_history(SqliteConnection& db, const std::string& board, const std::vector<Item>& items,
                     int64_t now_ms, bool record) {
  MU_ASSIGN_OR_RETURN(std::vector<history::StoredItem> stored, stored_items(db, board, items));
  const history::CommitPlan plan = history::plan_commit(stored, items, now_ms);
  int64_t next_id = 0;
  for (const history::ItemWrite& write : plan.items) {
    const Item& item = items[write.index];
    const auto rank = static_cast<int64_t>(write.index + 1);
    int64_t id = write.id;
    if (id == 0) {
      if (next_id == 0) {
        MU_ASSIGN_OR_RETURN(next_id, query_int(db, sql::kNextItemId));
      }
      id = next_id++;
    }
    if (record && write.index_action == history::ItemWrite::Index::kReplace) {
      MU_RETURN_IF_ERROR(delete_search_entry(db, id, write.old_title, write.old_summary));
    }
    {
      MU_ASSIGN_OR_RETURN(Statement stmt, db.prepare(upsert_history_item_sql()));
      stmt.bind_int(1, id)
          .bind_text(2, board)
          .bind_text(3, item.key)
          .bind_text(4, item.title)
          .bind_text(5, item.url)
          .bind_text(6, item.summary)
          .bind_int(7, now_ms)
          .bind_int(8, now_ms)
          .bind_int(9, rank)
          .bind_int(10, rank)
          .bind_int(11, rank)
          .bind_optional_double(12, write.cur_hot)
          .bind_optional_double(13, item.hot)
          .bind_int(14, write.on_board_delta_ms)
          .bind_int(15, search::title_key(item.title))
          .bind_int(16, search::url_key(item.url));
      MU_RETURN_IF_ERROR(stmt.run());
    }
    if (record && write.index_action != history::ItemWrite::Index::kNone) {
      MU_RETURN_IF_ERROR(insert_search_entry(db, id, item.title, item.summary));
    }
    if (record && write.write_point) {
      MU_RETURN_IF_ERROR(insert_point(db, id, now_ms, rank, item.hot));
    }
  }
  for (const history::ItemExit& exit : plan.exits) {
    MU_ASSIGN_OR_RETURN(Statement stmt, prepare(db, sql::kExitItem));
    MU_RETURN_IF_ERROR(stmt.bind_int(1, exit.id).bind_int(2, exit.on_board_delta_ms).run());
    if (record) {
      MU_RETURN_IF_ERROR(insert_point(db, exit.id, now_ms, 0, std::nullopt));
    }
  }
  return ok_status();
}

// Indexes up to kIndexBatch rows with indexed = 0 (story keys and search entry); returns
// how many it indexed.
Result<int64_t> index_batch(SqliteConnection& db) {
  struct Pending {
    int64_t id;
    std::string title, summary, url;
  };
  std::vector<Pending> pending;
  {
    MU_ASSIGN_OR_RETURN(Statement stmt, prepare(db, sql::kSelectUnindexedItems));
    stmt.bind_int(1, kIndexBatch);
    MU_RETURN_IF_ERROR(for_each_row(stmt, [&](const Row& row) {
      pending.push_back(Pending{row.int64(0), row.text(1), row.text(2), row.text(3)});
    }));
  }
  for (const Pending& row : pending) {
    MU_RETURN_IF_ERROR(insert_search_entry(db, row.id, row.title, row.summary));
    MU_ASSIGN_OR_RETURN(Statement stmt, prepare(db, sql::kSetItemIndexed));
    stmt.bind_int(1, row.id)
        .bind_int(2, search::title_key(row.title))
        .bind_int(3, search::url_key(row.url));
    MU_RETURN_IF_ERROR(stmt.run());
  }
  return static_cast<int64_t>(pending.size());
}

// The HistoryItem rows `stmt` (already bound) gives.
Result<std::vector<HistoryItem>> history_items(Statement& stmt) {
  std::vector<HistoryItem> out;
  MU_RETURN_IF_ERROR(
      for_each_row(stmt, [&](const Row& row) { out.push_back(sql::history_item_from(row)); }));
  return out;
}

}  // namespace

// ---------------------------------------------------------------------------------------
// Reader pool

// A connection borrowed for reading: a pooled reader (returned on destruction) or, for
// ":memory:", the writer together with the write lock.
class SqliteStore::ReadLease {
 public:
  ReadLease(SqliteStore* store, std::unique_ptr<SqliteConnection> conn)
      : store_(store), owned_(std::move(conn)), conn_(owned_.get()) {}
  ReadLease(std::unique_lock<std::mutex> lock, SqliteConnection* conn)
      : lock_(std::move(lock)), conn_(conn) {}
  ReadLease(ReadLease&&) noexcept = default;
  ReadLease& operator=(ReadLease&&) = delete;
  ~ReadLease() {
    if (owned_) {
      store_->release_reader(std::move(owned_));
    }
  }

  SqliteConnection& conn() { return *conn_; }

 private:
  SqliteStore* store_ = nullptr;
  std::unique_ptr<SqliteConnection> owned_;
  std::unique_lock<std::mutex> lock_;
  SqliteConnection* conn_ = nullptr;
};

Result<SqliteStore::ReadLease> SqliteStore::acquire_reader() {
  if (in_memory_) {
    return ReadLease(std::unique_lock(write_mu_), writer_.get());
  }
  std::unique_lock lock(pool_mu_);
  pool_cv_.wait(lock,
                [&] { return !idle_readers_.empty() || open_readers_ < options_.max_readers; });
  if (!idle_readers_.empty()) {
    std::unique_ptr<SqliteConnection> conn = std::move(idle_readers_.back());
    idle_readers_.pop_back();
    return ReadLease(this, std::move(conn));
  }
  ++open_readers_;
  lock.unlock();  // opening touches the file: not under the pool lock
  sqlite::ConnectionOptions reader_options;
  reader_options.read_only = true;
  reader_options.busy_timeout_ms = options_.busy_timeout_ms;
  auto conn = SqliteConnection::open(path_, reader_options);
  if (!conn.ok()) {
    lock.lock();
    --open_readers_;
    pool_cv_.notify_one();
    return conn.status();
  }
  return ReadLease(this, std::move(conn).value());
}

void SqliteStore::release_reader(std::unique_ptr<SqliteConnection> conn) {
  {
    std::lock_guard lock(pool_mu_);
    idle_readers_.push_back(std::move(conn));
  }
  pool_cv_.notify_one();
}

// ---------------------------------------------------------------------------------------
// Construction

Result<std::unique_ptr<Store>> open_sqlite_store(const std::string& path) {
  return open_sqlite_store(path, SqliteStoreOptions{});
}

Result<std::unique_ptr<Store>> open_sqlite_store(const std::string& path,
                                                 const SqliteStoreOptions& options) {
  if (path.empty()) {
    return error(ErrorCode::kConfig, "sqlite: empty database path");
  }
  if (path != kMemoryPath) {
    const std::filesystem::path parent = std::filesystem::path(path).parent_path();
    if (!parent.empty()) {
      std::error_code ec;
      std::filesystem::create_directories(parent, ec);
      if (ec) {
        return error(ErrorCode::kUnavailable, "sqlite " + path + ": cannot create directory " +
                                                  parent.string() + ": " + ec.message());
      }
    }
  }
  sqlite::ConnectionOptions writer_options;
  writer_options.busy_timeout_ms = options.busy_timeout_ms;
  MU_ASSIGN_OR_RETURN(std::unique_ptr<SqliteConnection> writer,
                      SqliteConnection::open(path, writer_options));
  return std::unique_ptr<Store>(std::make_unique<SqliteStore>(path, std::move(writer), options));
}

SqliteStore::SqliteStore(std::string path, std::unique_ptr<SqliteConnection> writer,
                         const SqliteStoreOptions& options)
    : path_(std::move(path)),
      options_{std::max(options.max_readers, 1), options.busy_timeout_ms, options.clock},
      in_memory_(path_ == kMemoryPath),
      own_clock_(options.clock == nullptr ? std::make_unique<SystemClock>() : nullptr),
      clock_(options.clock != nullptr ? options.clock : own_clock_.get()),
      writer_(std::move(writer)) {
  // release_reader() runs in a destructor: it must not allocate.
  idle_readers_.reserve(static_cast<size_t>(options_.max_readers));
}

SqliteStore::~SqliteStore() = default;

int64_t SqliteStore::now_ms() const { return clock_->now_ms(); }

// Every call runs in one transaction: writes on the writer under its mutex (BEGIN
// IMMEDIATE), reads on a leased reader (BEGIN: a consistent snapshot). Errors get `context`.
template <typename Op>
auto SqliteStore::write(const std::string& context, Op&& op)
    -> decltype(op(std::declval<SqliteConnection&>())) {
  using Out = decltype(op(std::declval<SqliteConnection&>()));
  std::lock_guard lock(write_mu_);
  Out result = in_transaction(*writer_, /*immediate=*/true, op);
  if (!result.ok()) {
    return Out(status_of(result).with_context(context));
  }
  return result;
}

template <typename Op>
auto SqliteStore::read(const std::string& context, Op&& op)
    -> decltype(op(std::declval<SqliteConnection&>())) {
  using Out = decltype(op(std::declval<SqliteConnection&>()));
  auto lease = acquire_reader();
  if (!lease.ok()) {
    return Out(lease.status().with_context(context));
  }
  Out result = in_transaction(lease->conn(), /*immediate=*/false, op);
  if (!result.ok()) {
    return Out(status_of(result).with_context(context));
  }
  return result;
}

// ---------------------------------------------------------------------------------------
// Boards

Status SqliteStore::migrate() {
  const int latest = latest_schema_version();
  // One migration per transaction; the version is read again under the write lock, so
  // processes migrating one file at once apply every migration exactly once.
  auto step = [&](SqliteConnection& db) -> Result<bool> {  // true: another step may be due
    MU_RETURN_IF_ERROR(
        db.exec(std::string(kSchemaMigrationsTableSql), "creating schema_migrations"));
    MU_ASSIGN_OR_RETURN(int64_t current, query_int(db, sql::kSelectSchemaVersion));
    if (current > latest) {
      return error(ErrorCode::kConfig, "sqlite " + path_ + ": the database schema is at version " +
                                           std::to_string(current) +
                                           ", newer than this binary knows (" +
                                           std::to_string(latest) + "); upgrade mu");
    }
    if (current == latest) {
      return false;
    }
    const Migration& migration = embedded_migrations()[static_cast<size_t>(current)];
    MU_RETURN_IF_ERROR(db.exec(migration_sql(migration, sql::Dialect::kSqlite),
                               "applying " + std::string(migration.name)));
    MU_ASSIGN_OR_RETURN(Statement record, prepare(db, sql::kInsertSchemaVersion));
    record.bind_int(1, migration.version).bind_text(2, migration.name).bind_int(3, now_ms());
    MU_RETURN_IF_ERROR(record.run());
    return true;
  };
  while (true) {
    MU_ASSIGN_OR_RETURN(bool more, write("migrate", step));
    if (!more) {
      break;
    }
  }
  // Rows that predate 0007 get their story keys and search entries (tokenized in C++), a
  // batch per transaction so that commits are not held up for long.
  while (true) {
    MU_ASSIGN_OR_RETURN(int64_t indexed, write("migrate: indexing items", index_batch));
    if (indexed < kIndexBatch) {
      return ok_status();
    }
  }
}

Status SqliteStore::sync_catalogue(const std::vector<Site>& sites,
                                   const std::vector<BoardMeta>& boards) {
  MU_ASSIGN_OR_RETURN(CatalogueIds ids, check_catalogue(sites, boards, quote_as_is));
  return write("sync_catalogue", [&](SqliteConnection& db) -> Status {
    for (const Site& site : sites) {
      MU_ASSIGN_OR_RETURN(Statement stmt, prepare(db, sql::kUpsertSite));
      stmt.bind_text(1, site.id)
          .bind_text(2, site.name_zh)
          .bind_text(3, site.name_en)
          .bind_text(4, site.home)
          .bind_text(5, site.icon)
          .bind_text(6, site.color)
          .bind_text(7, site.region);
      MU_RETURN_IF_ERROR(stmt.run());
    }
    for (const BoardMeta& board : boards) {
      MU_ASSIGN_OR_RETURN(Statement stmt, prepare(db, sql::kUpsertBoard));
      stmt.bind_text(1, board.id)
          .bind_text(2, board.site)
          .bind_text(3, board.name_zh)
          .bind_text(4, board.name_en)
          .bind_text(5, board_kind_name(board.kind))
          .bind_int(6, board.schedule.every.count())
          .bind_int(7, board.schedule.jitter.count())
          .bind_int(8, board.schedule.timeout.count())
          .bind_int(9, board.schedule.retries)
          .bind_text(10, board.group)
          .bind_text(11, board.homepage)
          .bind_text(12, board.notes)
          .bind_int(13, board.needs_cookie ? 1 : 0)
          .bind_int(14, board.needs_token ? 1 : 0);
      MU_RETURN_IF_ERROR(stmt.run());
    }
    MU_ASSIGN_OR_RETURN(auto gone_boards,
                        active_ids_not_in(db, sql::kSelectActiveBoards, ids.boards));
    MU_RETURN_IF_ERROR(retire(db, sql::kRetireBoard, gone_boards));
    MU_ASSIGN_OR_RETURN(auto gone_sites, active_ids_not_in(db, sql::kSelectActiveSites, ids.sites));
    return retire(db, sql::kRetireSite, gone_sites);
  });
}

Result<int64_t> SqliteStore::commit_snapshot(const CommitRequest& request) {
  const std::string context = "commit_snapshot " + request.dispatch_id;
  MU_RETURN_IF_ERROR(check_commit(request, context, quote_as_is));

  return write(context, [&](SqliteConnection& db) -> Result<int64_t> {
    MU_RETURN_IF_ERROR(check_and_raise_fence(db, request.epoch));
    MU_RETURN_IF_ERROR(check_not_committed(db, request.dispatch_id));
    MU_RETURN_IF_ERROR(check_board_active(db, request.board));

    const int64_t fetched_at_ms = request.stats.finished_ms;
    const auto item_count = static_cast<int64_t>(request.items.size());
    MU_ASSIGN_OR_RETURN(int64_t snapshot_id, query_int(db, sql::kNextSnapshotId));
    {
      MU_ASSIGN_OR_RETURN(Statement stmt, prepare(db, sql::kInsertSnapshot));
      stmt.bind_int(1, snapshot_id)
          .bind_text(2, request.board)
          .bind_int(3, fetched_at_ms)
          .bind_int(4, request.epoch)
          .bind_text(5, request.dispatch_id)
          .bind_int(6, request.slot)
          .bind_int(7, item_count);
      MU_RETURN_IF_ERROR(stmt.run());
    }
    for (size_t i = 0; i < request.items.size(); ++i) {
      const Item& item = request.items[i];
      const auto rank = static_cast<int64_t>(i + 1);
      MU_ASSIGN_OR_RETURN(std::optional<std::string> extra, extra_to_json(item.extra));
      {
        MU_ASSIGN_OR_RETURN(Statement stmt, db.prepare(insert_snapshot_item_sql()));
        stmt.bind_int(1, snapshot_id)
            .bind_int(2, rank)
            .bind_text(3, item.key)
            .bind_text(4, item.title)
            .bind_text(5, item.url)
            .bind_text(6, item.mobile_url)
            .bind_text(7, item.summary)
            .bind_text(8, item.image)
            .bind_optional_double(9, item.hot)
            .bind_text(10, item.hot_text)
            .bind_text(11, item.label)
            .bind_text(12, item.author)
            .bind_optional_int(13, item.published_at_ms);
        if (extra) {
          stmt.bind_text(14, *extra);
        } else {
          stmt.bind_null(14);
        }
        MU_RETURN_IF_ERROR(stmt.run());
      }
    }
    MU_RETURN_IF_ERROR(
        write_history(db, request.board, request.items, fetched_at_ms, options_.record_history));
    MU_RETURN_IF_ERROR(insert_run(db, request.dispatch_id, request.board, request.slot,
                                  request.epoch, "ok", "", request.stats));
    MU_ASSIGN_OR_RETURN(Statement stmt, prepare(db, sql::kBoardCommitted));
    stmt.bind_text(1, request.board)
        .bind_int(2, fetched_at_ms)
        .bind_int(3, snapshot_id)
        .bind_int(4, item_count);
    MU_RETURN_IF_ERROR(stmt.run());
    return snapshot_id;
  });
}

// For record_failure: false when the failure's dispatch is not committed; true when it was
// committed by a later attempt (the failure was kept through an outage and written after
// the retry committed: its run belongs in the history, the board's state is the commit's);
// kConflict when it was committed by this attempt or an earlier one.
namespace {
Result<bool> failed_before_commit(SqliteConnection& db, const FailureRecord& failure) {
  MU_ASSIGN_OR_RETURN(Statement stmt, prepare(db, sql::kSelectCommittedAttempt));
  stmt.bind_text(1, failure.dispatch_id);
  MU_ASSIGN_OR_RETURN(bool row, stmt.step());
  if (!row) return false;
  const int64_t attempt = stmt.column_int(0);
  if (failure.stats.attempt < attempt) return true;
  return error(ErrorCode::kConflict, "dispatch '" + failure.dispatch_id +
                                         "' was already committed (attempt " +
                                         std::to_string(attempt) + ")");
}
}  // namespace

Status SqliteStore::record_failure(const FailureRecord& failure) {
  const std::string context = "record_failure " + failure.dispatch_id;
  MU_RETURN_IF_ERROR(check_failure(failure, context));

  const std::string_view code = error_code_name(failure.error.code());
  return write(context, [&](SqliteConnection& db) -> Status {
    MU_RETURN_IF_ERROR(check_and_raise_fence(db, failure.epoch));
    MU_ASSIGN_OR_RETURN(const bool earlier, failed_before_commit(db, failure));
    MU_RETURN_IF_ERROR(check_board_active(db, failure.board));
    MU_RETURN_IF_ERROR(insert_run(db, failure.dispatch_id, failure.board, failure.slot,
                                  failure.epoch, code, failure.error.message(), failure.stats));
    if (earlier) return ok_status();
    MU_ASSIGN_OR_RETURN(Statement stmt, prepare(db, sql::kBoardFailed));
    stmt.bind_text(1, failure.board)
        .bind_int(2, failure.stats.finished_ms)
        .bind_text(3, code)
        .bind_text(4, failure.error.message());
    return stmt.run();
  });
}

Result<int64_t> SqliteStore::prune_snapshots(int keep_per_board) {
  const int64_t keep = std::max(keep_per_board, 1);
  return write("prune_snapshots", [&](SqliteConnection& db) -> Result<int64_t> {
    MU_ASSIGN_OR_RETURN(Statement stmt, prepare(db, sql::kPruneSnapshots));
    MU_RETURN_IF_ERROR(stmt.bind_int(1, keep).run());
    return changes(db);  // the snapshots; changes() leaves out the cascaded item rows
  });
}

Result<std::vector<RunTally>> SqliteStore::run_tallies(int64_t since_ms, int64_t bucket_ms) {
  MU_RETURN_IF_ERROR(check_run_tallies(bucket_ms));
  return read("run_tallies", [&](SqliteConnection& db) -> Result<std::vector<RunTally>> {
    MU_ASSIGN_OR_RETURN(Statement stmt, prepare(db, sql::kSelectRunTallies));
    stmt.bind_int(1, since_ms).bind_int(2, bucket_ms);
    std::vector<RunTally> out;
    MU_RETURN_IF_ERROR(
        for_each_row(stmt, [&](const Row& row) { out.push_back(sql::run_tally_from(row)); }));
    return out;
  });
}

Result<int64_t> SqliteStore::prune_runs(int64_t before_ms) {
  using Bounds = std::vector<sql::RunsPruneBound>;
  MU_ASSIGN_OR_RETURN(
      Bounds bounds, read("prune_runs", [&](SqliteConnection& db) -> Result<Bounds> {
        MU_ASSIGN_OR_RETURN(Statement stmt, prepare(db, sql::kSelectRunsPruneBounds));
        stmt.bind_int(1, before_ms)
            .bind_int(2, kRecentRunsWindow - 1)
            .bind_int(3, std::numeric_limits<int64_t>::max());
        Bounds out;
        MU_RETURN_IF_ERROR(for_each_row(stmt, [&](const Row& row) {
          if (auto bound = sql::runs_prune_bound_from(row)) out.push_back(*bound);
        }));
        return out;
      }));
  int64_t deleted = 0;
  for (const sql::RunsPruneBound& bound : bounds) {  // a write each: commits go on between
    MU_ASSIGN_OR_RETURN(
        int64_t n, write("prune_runs " + bound.board, [&](SqliteConnection& db) -> Result<int64_t> {
          MU_ASSIGN_OR_RETURN(Statement stmt, prepare(db, sql::kDeleteRunsBelow));
          MU_RETURN_IF_ERROR(stmt.bind_text(1, bound.board)
                                 .bind_int(2, bound.below)
                                 .bind_int(3, kPruneRunsBatch)
                                 .run());
          return changes(db);
        }));
    deleted += n;
  }
  return deleted;
}

Result<std::optional<BoardView>> SqliteStore::board_view(const std::string& board) {
  return read("board_view " + board, [&](SqliteConnection& db) -> Result<std::optional<BoardView>> {
    BoardView view;
    int64_t previous_id = 0;
    {
      MU_ASSIGN_OR_RETURN(Statement head, prepare(db, sql::kSelectViewHead));
      head.bind_text(1, board);
      MU_ASSIGN_OR_RETURN(bool row, head.step());
      if (!row) {
        return unknown_board(board);
      }
      view.state = sql::board_state_from(Row(head));
      std::optional<Snapshot> snapshot = sql::view_snapshot_from(Row(head), board);
      if (!snapshot) {
        return std::optional<BoardView>();
      }
      view.snapshot = *std::move(snapshot);
      MU_ASSIGN_OR_RETURN(row, head.step());
      if (row) {
        view.has_previous = true;
        previous_id = head.column_int(sql::kBoardStateColumnCount);
      }
    }
    MU_ASSIGN_OR_RETURN(Statement items, prepare(db, sql::kSelectViewItems));
    items.bind_text(1, board).bind_int(2, view.snapshot.id).bind_int(3, previous_id);
    view.snapshot.items.reserve(static_cast<size_t>(std::max(view.state.item_count, 0)));
    while (true) {
      MU_ASSIGN_OR_RETURN(bool row, items.step());
      if (!row) {
        break;
      }
      MU_RETURN_IF_ERROR(sql::add_view_row(Row(items), view));
    }
    return std::optional<BoardView>(std::move(view));
  });
}

Result<std::vector<BoardState>> SqliteStore::board_states() {
  return read("board_states", [&](SqliteConnection& db) -> Result<std::vector<BoardState>> {
    std::vector<BoardState> out;
    MU_ASSIGN_OR_RETURN(Statement stmt, prepare(db, sql::kSelectBoardStates));
    MU_RETURN_IF_ERROR(
        for_each_row(stmt, [&](const Row& row) { out.push_back(sql::board_state_from(row)); }));
    return out;
  });
}

Result<BoardState> SqliteStore::board_state(const std::string& board) {
  return read("board_state", [&](SqliteConnection& db) -> Result<BoardState> {
    MU_ASSIGN_OR_RETURN(Statement stmt, prepare(db, sql::kSelectBoardState));
    stmt.bind_text(1, board);
    MU_ASSIGN_OR_RETURN(bool row, stmt.step());
    if (!row) {
      return unknown_board(board);
    }
    return sql::board_state_from(Row(stmt));
  });
}

Result<std::vector<RunRecord>> SqliteStore::runs(const std::string& board, int limit) {
  MU_RETURN_IF_ERROR(check_limit("runs", limit));
  return read("runs " + board, [&](SqliteConnection& db) -> Result<std::vector<RunRecord>> {
    MU_RETURN_IF_ERROR(check_board_active(db, board));
    std::vector<RunRecord> out;
    MU_ASSIGN_OR_RETURN(Statement stmt, prepare(db, sql::kSelectRuns));
    stmt.bind_text(1, board).bind_int(2, limit);
    MU_RETURN_IF_ERROR(
        for_each_row(stmt, [&](const Row& row) { out.push_back(sql::run_from(row)); }));
    return out;
  });
}

Result<int64_t> SqliteStore::fence_epoch() {
  return read("fence_epoch",
              [&](SqliteConnection& db) { return query_int(db, sql::kSelectFence); });
}

Result<int64_t> SqliteStore::raise_fence(int64_t epoch) {
  return write("raise_fence",
               [&](SqliteConnection& db) { return query_int(db, sql::kRaiseFence, epoch); });
}

// ---------------------------------------------------------------------------------------
// Board overrides

Result<int64_t> SqliteStore::put_board_override(const std::string& board, int64_t expected_version,
                                                const std::string& json, int64_t now_ms) {
  return write("put_board_override " + board, [&](SqliteConnection& db) -> Result<int64_t> {
    MU_RETURN_IF_ERROR(check_board_active(db, board, sql::kLockBoard));
    int64_t current = 0;
    {
      MU_ASSIGN_OR_RETURN(Statement stmt, prepare(db, sql::kSelectOverrideVersion));
      stmt.bind_text(1, board);
      MU_ASSIGN_OR_RETURN(bool row, stmt.step());
      if (row) current = stmt.column_int(0);
    }
    if (current != expected_version) {
      return error(ErrorCode::kConflict, "board override of " + board + " is at version " +
                                             std::to_string(current) + ", not " +
                                             std::to_string(expected_version));
    }
    MU_ASSIGN_OR_RETURN(Statement stmt, prepare(db, sql::kUpsertOverride));
    stmt.bind_text(1, board).bind_int(2, current + 1).bind_text(3, json).bind_int(4, now_ms);
    MU_RETURN_IF_ERROR(stmt.run());
    return current + 1;
  });
}

Result<std::vector<BoardOverrideRecord>> SqliteStore::board_overrides() {
  return read(
      "board_overrides", [&](SqliteConnection& db) -> Result<std::vector<BoardOverrideRecord>> {
        std::vector<BoardOverrideRecord> out;
        MU_ASSIGN_OR_RETURN(Statement stmt, prepare(db, sql::kSelectOverrides));
        MU_RETURN_IF_ERROR(
            for_each_row(stmt, [&](const Row& row) { out.push_back(sql::override_from(row)); }));
        return out;
      });
}

Result<std::optional<BoardOverrideRecord>> SqliteStore::board_override(const std::string& board) {
  return read("board_override " + board,
              [&](SqliteConnection& db) -> Result<std::optional<BoardOverrideRecord>> {
                MU_ASSIGN_OR_RETURN(Statement stmt, prepare(db, sql::kSelectOverride));
                stmt.bind_text(1, board);
                MU_ASSIGN_OR_RETURN(bool row, stmt.step());
                if (!row) {
                  return std::optional<BoardOverrideRecord>();
                }
                return std::optional<BoardOverrideRecord>(sql::override_from(Row(stmt)));
              });
}

// ---------------------------------------------------------------------------------------
// Accounts

Result<User> SqliteStore::upsert_user(const std::string& provider, const std::string& provider_id,
                                      const std::string& login, const std::string& name,
                                      const std::string& avatar_url, int64_t now_ms) {
  const std::string context = "upsert_user " + provider + ":" + provider_id;
  MU_RETURN_IF_ERROR(check_user_key(provider, provider_id, login, context));
  return write(context, [&](SqliteConnection& db) -> Result<User> {
    MU_ASSIGN_OR_RETURN(Statement stmt, prepare(db, sql::kUpsertUser));
    stmt.bind_text(1, provider)
        .bind_text(2, provider_id)
        .bind_text(3, login)
        .bind_text(4, name)
        .bind_text(5, avatar_url)
        .bind_int(6, now_ms);
    MU_ASSIGN_OR_RETURN(std::optional<User> user, one_user(stmt));
    if (!user) {
      return error(ErrorCode::kInternal, "the upserted user is missing");
    }
    MU_RETURN_IF_ERROR(stmt.run());  // RETURNING: step to the end
    return *std::move(user);
  });
}

Result<std::optional<User>> SqliteStore::user_by_id(int64_t id) {
  return read("user_by_id", [&](SqliteConnection& db) -> Result<std::optional<User>> {
    MU_ASSIGN_OR_RETURN(Statement stmt, prepare(db, sql::kSelectUserById));
    stmt.bind_int(1, id);
    return one_user(stmt);
  });
}

Result<std::optional<User>> SqliteStore::user_by_login(const std::string& login) {
  return read("user_by_login", [&](SqliteConnection& db) -> Result<std::optional<User>> {
    MU_ASSIGN_OR_RETURN(Statement stmt, prepare(db, sql::kSelectUserByLogin));
    stmt.bind_text(1, login);
    return one_user(stmt);
  });
}

Status SqliteStore::set_role(int64_t user_id, const std::string& role) {
  const std::string context = "set_role " + std::to_string(user_id);
  MU_RETURN_IF_ERROR(check_role(role, context, quote_as_is));
  return write(context, [&](SqliteConnection& db) -> Status {
    {
      MU_ASSIGN_OR_RETURN(Statement stmt, prepare(db, sql::kSetRole));
      MU_RETURN_IF_ERROR(stmt.bind_int(1, user_id).bind_text(2, role).run());
    }
    MU_ASSIGN_OR_RETURN(int64_t changed, changes(db));
    if (changed == 0) {
      return error(ErrorCode::kNotFound, "no user with id " + std::to_string(user_id));
    }
    return ok_status();
  });
}

Result<int64_t> SqliteStore::count_admins() {
  return read("count_admins",
              [&](SqliteConnection& db) { return query_int(db, sql::kCountAdmins); });
}

Result<std::vector<User>> SqliteStore::list_users() {
  return read("list_users", [&](SqliteConnection& db) -> Result<std::vector<User>> {
    MU_ASSIGN_OR_RETURN(Statement stmt, prepare(db, sql::kSelectUsers));
    std::vector<User> out;
    MU_RETURN_IF_ERROR(
        for_each_row(stmt, [&](const Row& row) { out.push_back(sql::user_from(row)); }));
    return out;
  });
}

Status SqliteStore::create_session(const std::string& id_hash, int64_t user_id,
                                   const std::string& csrf_token, int64_t now_ms,
                                   int64_t expires_ms, const std::string& user_agent) {
  MU_RETURN_IF_ERROR(check_session_ids(id_hash, csrf_token));
  return write("create_session", [&](SqliteConnection& db) -> Status {
    MU_RETURN_IF_ERROR(check_user_exists(db, user_id));
    MU_ASSIGN_OR_RETURN(Statement stmt, prepare(db, sql::kInsertSession));
    stmt.bind_text(1, id_hash)
        .bind_int(2, user_id)
        .bind_text(3, csrf_token)
        .bind_int(4, now_ms)
        .bind_int(5, expires_ms)
        .bind_text(6, user_agent);
    return stmt.run();
  });
}

Result<std::optional<Session>> SqliteStore::session(const std::string& id_hash, int64_t now_ms) {
  auto found = read("session", [&](SqliteConnection& db) -> Result<std::optional<Session>> {
    MU_ASSIGN_OR_RETURN(Statement stmt, prepare(db, sql::kSelectSession));
    stmt.bind_text(1, id_hash);
    MU_ASSIGN_OR_RETURN(bool row, stmt.step());
    if (!row) {
      return std::optional<Session>();
    }
    return std::optional<Session>(sql::session_from(Row(stmt)));
  });
  if (!found.ok() || !found->has_value() || (*found)->expires_ms > now_ms) {
    return found;
  }
  // Expired: delete it lazily (only if it is still expired; a touch may have won).
  MU_RETURN_IF_ERROR(write("session", [&](SqliteConnection& db) -> Status {
    MU_ASSIGN_OR_RETURN(Statement stmt, prepare(db, sql::kDeleteExpiredSession));
    return stmt.bind_text(1, id_hash).bind_int(2, now_ms).run();
  }));
  return std::optional<Session>();
}

Status SqliteStore::touch_session(const std::string& id_hash, int64_t now_ms,
                                  int64_t new_expires_ms) {
  return write("touch_session", [&](SqliteConnection& db) -> Status {
    {
      MU_ASSIGN_OR_RETURN(Statement stmt, prepare(db, sql::kTouchSession));
      MU_RETURN_IF_ERROR(
          stmt.bind_text(1, id_hash).bind_int(2, now_ms).bind_int(3, new_expires_ms).run());
    }
    MU_ASSIGN_OR_RETURN(int64_t changed, changes(db));
    if (changed == 0) {
      return error(ErrorCode::kNotFound, "no live session with that id");
    }
    return ok_status();
  });
}

Status SqliteStore::delete_session(const std::string& id_hash) {
  return write("delete_session", [&](SqliteConnection& db) -> Status {
    MU_ASSIGN_OR_RETURN(Statement stmt, prepare(db, sql::kDeleteSession));
    return stmt.bind_text(1, id_hash).run();
  });
}

Result<int64_t> SqliteStore::delete_user_sessions(int64_t user_id) {
  return write("delete_user_sessions", [&](SqliteConnection& db) -> Result<int64_t> {
    {
      MU_ASSIGN_OR_RETURN(Statement stmt, prepare(db, sql::kDeleteUserSessions));
      MU_RETURN_IF_ERROR(stmt.bind_int(1, user_id).run());
    }
    return changes(db);
  });
}

Result<int64_t> SqliteStore::count_active_sessions(int64_t since_ms) {
  return read("count_active_sessions", [&](SqliteConnection& db) {
    return query_int(db, sql::kCountActiveSessions, since_ms);
  });
}

Result<bool> SqliteStore::add_favorite(const Favorite& favorite, int64_t max_per_user) {
  MU_RETURN_IF_ERROR(check_favorite(favorite, max_per_user));
  return write("add_favorite", [&](SqliteConnection& db) -> Result<bool> {
    if (max_per_user > 0) {
      MU_RETURN_IF_ERROR(check_user_exists(db, favorite.user_id, sql::kLockUser));
      MU_ASSIGN_OR_RETURN(Statement stmt, prepare(db, sql::kCountFavorites));
      stmt.bind_int(1, favorite.user_id)
          .bind_text(2, favorite.board)
          .bind_text(3, favorite.item_key);
      MU_ASSIGN_OR_RETURN(bool row, stmt.step());
      if (row && stmt.column_int(1) == 0 && stmt.column_int(0) >= max_per_user) {
        return favorites_full(max_per_user);
      }
    } else {
      MU_RETURN_IF_ERROR(check_user_exists(db, favorite.user_id));
    }
    {
      MU_ASSIGN_OR_RETURN(Statement stmt, prepare(db, sql::kInsertFavorite));
      stmt.bind_int(1, favorite.user_id)
          .bind_text(2, favorite.board)
          .bind_text(3, favorite.item_key)
          .bind_text(4, favorite.title)
          .bind_text(5, favorite.url)
          .bind_int(6, favorite.added_ms);
      MU_RETURN_IF_ERROR(stmt.run());
    }
    MU_ASSIGN_OR_RETURN(int64_t added, changes(db));
    return added > 0;
  });
}

Result<bool> SqliteStore::remove_favorite(int64_t user_id, const std::string& board,
                                          const std::string& item_key) {
  return write("remove_favorite", [&](SqliteConnection& db) -> Result<bool> {
    {
      MU_ASSIGN_OR_RETURN(Statement stmt, prepare(db, sql::kDeleteFavorite));
      MU_RETURN_IF_ERROR(
          stmt.bind_int(1, user_id).bind_text(2, board).bind_text(3, item_key).run());
    }
    MU_ASSIGN_OR_RETURN(int64_t removed, changes(db));
    return removed > 0;
  });
}

Result<std::vector<Favorite>> SqliteStore::favorites(int64_t user_id, const FavoriteQuery& query) {
  MU_RETURN_IF_ERROR(check_favorite_query(query));
  const std::string pattern = like_pattern(query.text);
  return read("favorites", [&](SqliteConnection& db) -> Result<std::vector<Favorite>> {
    MU_ASSIGN_OR_RETURN(Statement stmt, prepare(db, sql::kSelectFavorites));
    stmt.bind_int(1, user_id)
        .bind_text(2, pattern)
        .bind_text(3, query.board)
        .bind_int(4, query.limit)
        .bind_int(5, query.offset);
    std::vector<Favorite> out;
    MU_RETURN_IF_ERROR(
        for_each_row(stmt, [&](const Row& row) { out.push_back(sql::favorite_from(row)); }));
    return out;
  });
}

Result<std::vector<std::string>> SqliteStore::favorite_keys(int64_t user_id,
                                                            const std::string& board) {
  return read("favorite_keys", [&](SqliteConnection& db) -> Result<std::vector<std::string>> {
    MU_ASSIGN_OR_RETURN(Statement stmt, prepare(db, sql::kSelectFavoriteKeys));
    stmt.bind_int(1, user_id).bind_text(2, board);
    std::vector<std::string> out;
    MU_RETURN_IF_ERROR(for_each_row(stmt, [&](const Row& row) { out.push_back(row.text(0)); }));
    return out;
  });
}

Result<int64_t> SqliteStore::put_preferences(int64_t user_id, int64_t expected_version,
                                             const std::string& body, int64_t now_ms) {
  return write("put_preferences", [&](SqliteConnection& db) -> Result<int64_t> {
    MU_RETURN_IF_ERROR(check_user_exists(db, user_id, sql::kLockUser));
    int64_t current = 0;
    {
      MU_ASSIGN_OR_RETURN(Statement stmt, prepare(db, sql::kSelectPreferencesVersion));
      stmt.bind_int(1, user_id);
      MU_ASSIGN_OR_RETURN(bool row, stmt.step());
      if (row) current = stmt.column_int(0);
    }
    if (current != expected_version) {
      return error(ErrorCode::kConflict, "preferences of user " + std::to_string(user_id) +
                                             " are at version " + std::to_string(current) +
                                             ", not " + std::to_string(expected_version));
    }
    MU_ASSIGN_OR_RETURN(Statement stmt, prepare(db, sql::kUpsertPreferences));
    stmt.bind_int(1, user_id).bind_int(2, current + 1).bind_text(3, body).bind_int(4, now_ms);
    MU_RETURN_IF_ERROR(stmt.run());
    return current + 1;
  });
}

Result<std::optional<PreferencesRecord>> SqliteStore::preferences(int64_t user_id) {
  return read("preferences", [&](SqliteConnection& db) -> Result<std::optional<PreferencesRecord>> {
    MU_ASSIGN_OR_RETURN(Statement stmt, prepare(db, sql::kSelectPreferences));
    stmt.bind_int(1, user_id);
    MU_ASSIGN_OR_RETURN(bool row, stmt.step());
    if (!row) {
      return std::optional<PreferencesRecord>();
    }
    return std::optional<PreferencesRecord>(sql::preferences_from(Row(stmt)));
  });
}

Result<int64_t> SqliteStore::append_audit(const AuditRecord& record) {
  MU_RETURN_IF_ERROR(check_audit_record(record));
  return write("append_audit", [&](SqliteConnection& db) -> Result<int64_t> {
    MU_ASSIGN_OR_RETURN(Statement stmt, prepare(db, sql::kInsertAudit));
    stmt.bind_int(1, record.at_ms)
        .bind_text(2, record.actor)
        .bind_text(3, record.action)
        .bind_text(4, record.target)
        .bind_text(5, record.detail.empty() ? std::string_view("{}") : record.detail);
    return single_int(stmt);
  });
}

Result<std::vector<AuditRecord>> SqliteStore::audit_log(int limit, int64_t before_id) {
  MU_RETURN_IF_ERROR(check_limit("audit_log", limit));
  return read("audit_log", [&](SqliteConnection& db) -> Result<std::vector<AuditRecord>> {
    MU_ASSIGN_OR_RETURN(Statement stmt, prepare(db, sql::kSelectAudit));
    stmt.bind_int(1, limit).bind_int(2, before_id);
    std::vector<AuditRecord> out;
    MU_RETURN_IF_ERROR(
        for_each_row(stmt, [&](const Row& row) { out.push_back(sql::audit_from(row)); }));
    return out;
  });
}

Status SqliteStore::put_login_state(const std::string& state_hash, const std::string& code_verifier,
                                    const std::string& return_to, int64_t expires_ms,
                                    const LoginStateLimits& limits) {
  MU_RETURN_IF_ERROR(check_login_state(state_hash, code_verifier, limits));
  return write("put_login_state", [&](SqliteConnection& db) -> Status {
    {
      MU_ASSIGN_OR_RETURN(Statement stmt, prepare(db, sql::kPurgeLoginStates));
      MU_RETURN_IF_ERROR(stmt.bind_int(1, login_state_purge_before(expires_ms)).run());
    }
    {
      MU_ASSIGN_OR_RETURN(Statement stmt, prepare(db, sql::kInsertLoginState));
      stmt.bind_text(1, state_hash)
          .bind_text(2, code_verifier)
          .bind_text(3, return_to)
          .bind_int(4, expires_ms)
          .bind_text(5, limits.client);
      MU_RETURN_IF_ERROR(stmt.run());
    }
    if (limits.per_client > 0) {
      MU_ASSIGN_OR_RETURN(Statement stmt, prepare(db, sql::kEvictClientLoginStates));
      MU_RETURN_IF_ERROR(stmt.bind_text(1, limits.client)
                             .bind_text(2, state_hash)
                             .bind_int(3, limits.per_client - 1)
                             .run());
    }
    if (limits.total > 0) {
      MU_ASSIGN_OR_RETURN(Statement stmt, prepare(db, sql::kEvictLoginStates));
      MU_RETURN_IF_ERROR(stmt.bind_text(1, state_hash).bind_int(2, limits.total - 1).run());
    }
    return ok_status();
  });
}

Result<std::optional<LoginStateRecord>> SqliteStore::take_login_state(const std::string& state_hash,
                                                                      int64_t now_ms) {
  MU_RETURN_IF_ERROR(check_state_hash(state_hash));
  // The DELETE takes the row under the write lock, so a concurrent take (another thread or
  // process) finds it gone.
  return write("take_login_state",
               [&](SqliteConnection& db) -> Result<std::optional<LoginStateRecord>> {
                 std::optional<LoginStateRecord> taken;
                 {
                   MU_ASSIGN_OR_RETURN(Statement stmt, prepare(db, sql::kTakeLoginState));
                   stmt.bind_text(1, state_hash);
                   MU_ASSIGN_OR_RETURN(bool row, stmt.step());
                   if (row) {
                     taken = sql::login_state_from(Row(stmt));
                     MU_RETURN_IF_ERROR(stmt.run());  // to the end: at most one row
                   }
                 }
                 MU_ASSIGN_OR_RETURN(Statement stmt, prepare(db, sql::kPurgeLoginStates));
                 MU_RETURN_IF_ERROR(stmt.bind_int(1, now_ms).run());
                 if (taken && taken->expires_ms <= now_ms) {
                   taken.reset();  // expired: deleted, reported as absent
                 }
                 return taken;
               });
}

Result<int64_t> SqliteStore::count_login_states() {
  return read("count_login_states",
              [&](SqliteConnection& db) { return query_int(db, sql::kCountLoginStates); });
}

Status SqliteStore::put_credential(const CredentialRecord& c) {
  if (c.name.empty() || c.sealed.empty()) {
    return error(ErrorCode::kInvalid, "put_credential: empty name or value");
  }
  return write("put_credential", [&](SqliteConnection& db) -> Status {
    MU_ASSIGN_OR_RETURN(Statement stmt, prepare(db, sql::kUpsertCredential));
    return stmt.bind_text(1, c.name)
        .bind_text(2, c.sealed)
        .bind_int(3, c.updated_ms)
        .bind_text(4, c.updated_by)
        .run();
  });
}

Result<bool> SqliteStore::delete_credential(const std::string& name) {
  return write("delete_credential", [&](SqliteConnection& db) -> Result<bool> {
    {
      MU_ASSIGN_OR_RETURN(Statement stmt, prepare(db, sql::kDeleteCredential));
      MU_RETURN_IF_ERROR(stmt.bind_text(1, name).run());
    }
    MU_ASSIGN_OR_RETURN(int64_t changed, changes(db));
    return changed > 0;
  });
}

Result<std::vector<CredentialRecord>> SqliteStore::credentials() {
  return read("credentials", [&](SqliteConnection& db) -> Result<std::vector<CredentialRecord>> {
    MU_ASSIGN_OR_RETURN(Statement stmt, prepare(db, sql::kSelectCredentials));
    std::vector<CredentialRecord> out;
    MU_RETURN_IF_ERROR(
        for_each_row(stmt, [&](const Row& row) { out.push_back(sql::credential_from(row)); }));
    return out;
  });
}

Status SqliteStore::create_api_key(const ApiKeyRecord& key, int64_t max_per_user) {
  MU_RETURN_IF_ERROR(check_api_key(key, max_per_user));
  return write("create_api_key", [&](SqliteConnection& db) -> Status {
    MU_RETURN_IF_ERROR(check_user_exists(db, key.user_id, sql::kLockUser));
    {
      MU_ASSIGN_OR_RETURN(Statement stmt, prepare(db, sql::kSelectApiKeyConflict));
      stmt.bind_text(1, key.id).bind_text(2, key.secret_hash);
      MU_ASSIGN_OR_RETURN(bool row, stmt.step());
      if (row && stmt.column_int(0) > 0) {
        return error(ErrorCode::kConflict, "create_api_key: a key with that id or secret exists");
      }
    }
    if (max_per_user > 0) {
      MU_ASSIGN_OR_RETURN(int64_t live, query_int(db, sql::kCountLiveApiKeys, key.user_id));
      if (live >= max_per_user) return api_keys_full(max_per_user);
    }
    MU_ASSIGN_OR_RETURN(Statement stmt, prepare(db, sql::kInsertApiKey));
    stmt.bind_text(1, key.id)
        .bind_int(2, key.user_id)
        .bind_text(3, key.name)
        .bind_text(4, key.secret_hash)
        .bind_text(5, key.prefix)
        .bind_int(6, key.created_ms)
        .bind_int(7, key.per_minute)
        .bind_int(8, key.burst);
    return stmt.run();
  });
}

Result<std::vector<ApiKeyRecord>> SqliteStore::api_keys(int64_t user_id) {
  return read("api_keys", [&](SqliteConnection& db) -> Result<std::vector<ApiKeyRecord>> {
    MU_ASSIGN_OR_RETURN(Statement stmt, prepare(db, sql::kSelectApiKeys));
    stmt.bind_int(1, user_id);
    std::vector<ApiKeyRecord> out;
    MU_RETURN_IF_ERROR(
        for_each_row(stmt, [&](const Row& row) { out.push_back(sql::api_key_from(row)); }));
    return out;
  });
}

Result<std::optional<ApiKeyRecord>> SqliteStore::api_key_by_hash(const std::string& secret_hash) {
  return read("api_key_by_hash", [&](SqliteConnection& db) -> Result<std::optional<ApiKeyRecord>> {
    MU_ASSIGN_OR_RETURN(Statement stmt, prepare(db, sql::kSelectApiKeyByHash));
    stmt.bind_text(1, secret_hash);
    MU_ASSIGN_OR_RETURN(bool row, stmt.step());
    if (!row) return std::optional<ApiKeyRecord>();
    return std::optional<ApiKeyRecord>(sql::api_key_from(Row(stmt)));
  });
}

Result<bool> SqliteStore::revoke_api_key(const std::string& id, int64_t user_id, int64_t now_ms) {
  return write("revoke_api_key", [&](SqliteConnection& db) -> Result<bool> {
    {
      MU_ASSIGN_OR_RETURN(Statement stmt, prepare(db, sql::kRevokeApiKey));
      MU_RETURN_IF_ERROR(stmt.bind_text(1, id).bind_int(2, user_id).bind_int(3, now_ms).run());
    }
    MU_ASSIGN_OR_RETURN(int64_t changed, changes(db));
    return changed > 0;
  });
}

Status SqliteStore::set_api_key_limits(const std::string& id, int64_t per_minute, int64_t burst) {
  MU_RETURN_IF_ERROR(check_api_key_limits(per_minute, burst));
  return write("set_api_key_limits", [&](SqliteConnection& db) -> Status {
    {
      MU_ASSIGN_OR_RETURN(Statement stmt, prepare(db, sql::kSetApiKeyLimits));
      MU_RETURN_IF_ERROR(stmt.bind_text(1, id).bind_int(2, per_minute).bind_int(3, burst).run());
    }
    MU_ASSIGN_OR_RETURN(int64_t changed, changes(db));
    if (changed == 0) return error(ErrorCode::kNotFound, "set_api_key_limits: no such key");
    return ok_status();
  });
}

Status SqliteStore::add_api_key_usage(const std::vector<ApiKeyUsage>& usage) {
  MU_RETURN_IF_ERROR(check_api_key_usage(usage));
  if (usage.empty()) return ok_status();
  return write("add_api_key_usage", [&](SqliteConnection& db) -> Status {
    for (const auto& u : usage) {
      MU_ASSIGN_OR_RETURN(Statement stmt, prepare(db, sql::kAddApiKeyUsage));
      MU_RETURN_IF_ERROR(
          stmt.bind_text(1, u.id).bind_int(2, u.requests).bind_int(3, u.last_used_ms).run());
    }
    return ok_status();
  });
}

Status SqliteStore::put_presence(const std::string& instance, int64_t readers, int64_t now_ms) {
  MU_RETURN_IF_ERROR(check_presence(instance, readers));
  return write("put_presence", [&](SqliteConnection& db) -> Status {
    MU_ASSIGN_OR_RETURN(Statement stmt, prepare(db, sql::kUpsertPresence));
    return stmt.bind_text(1, instance).bind_int(2, readers).bind_int(3, now_ms).run();
  });
}

Result<int64_t> SqliteStore::count_presence(int64_t since_ms) {
  return read("count_presence",
              [&](SqliteConnection& db) { return query_int(db, sql::kCountPresence, since_ms); });
}

// ---------------------------------------------------------------------------------------
// History

Result<SearchResult> SqliteStore::search(const SearchRequest& request) {
  MU_RETURN_IF_ERROR(check_search(request));
  const std::string match = search::fts5_match(request.query);
  const history::SearchBounds bounds = history::search_bounds(request);
  return read("search", [&](SqliteConnection& db) -> Result<SearchResult> {
    SearchResult result;
    const bool best = request.order == SearchOrder::kBestRank;
    std::vector<history::SearchScanRow> scan;
    {
      MU_ASSIGN_OR_RETURN(Statement stmt, prepare(db, sql::kSearchScan));
      stmt.bind_text(1, match)
          .bind_int(2, bounds.from_ms)
          .bind_int(3, bounds.to_ms)
          .bind_int(4, kSearchCountLimit + 1);
      MU_RETURN_IF_ERROR(for_each_row(
          stmt, [&](const Row& row) { scan.push_back(sql::search_scan_row_from(row)); }));
    }
    const std::optional<std::vector<int64_t>> page =
        best ? std::nullopt : history::page_from_scan(scan, request, bounds);
    if (page) {
      MU_ASSIGN_OR_RETURN(Statement stmt, prepare(db, sql::kSelectHistoryItemsByIds));
      stmt.bind_text(1, history::id_list(*page, /*postgres=*/false));
      MU_ASSIGN_OR_RETURN(result.hits, history_items(stmt));
    } else {
      MU_ASSIGN_OR_RETURN(Statement stmt, prepare(db, best ? sql::Statement(sql::kSearchBest)
                                                           : sql::Statement(sql::kSearchNewest)));
      stmt.bind_text(1, match)
          .bind_text(2, request.board)
          .bind_text(3, request.site)
          .bind_int(4, bounds.from_ms)
          .bind_int(5, bounds.to_ms);
      if (best) {
        stmt.bind_int(6, bounds.cursor_rank)
            .bind_int(7, bounds.cursor_seen_ms)
            .bind_int(8, bounds.cursor_id)
            .bind_int(9, request.limit + 1);
      } else {
        stmt.bind_int(6, bounds.cursor_id).bind_int(7, request.limit + 1);
      }
      MU_ASSIGN_OR_RETURN(result.hits, history_items(stmt));
    }
    if (result.hits.size() > static_cast<size_t>(request.limit)) {
      result.more = true;
      result.hits.resize(static_cast<size_t>(request.limit));
    }
    const std::vector<history::SearchGroup> groups = history::search_groups(scan);
    if (history::tally_search(groups, request, result)) {
      MU_ASSIGN_OR_RETURN(Statement stmt, prepare(db, sql::kSearchCount));
      stmt.bind_text(1, match)
          .bind_text(2, request.board)
          .bind_text(3, request.site)
          .bind_int(4, bounds.from_ms)
          .bind_int(5, bounds.to_ms)
          .bind_int(6, kSearchCountLimit + 1);
      MU_ASSIGN_OR_RETURN(const int64_t count, single_int(stmt));
      history::set_counted_total(count, result);
    }
    if (!request.facets) {
      result.sites.clear();
      result.boards.clear();
    }
    return result;
  });
}

Result<std::optional<ItemTimeline>> SqliteStore::item_timeline(const std::string& board,
                                                               const std::string& key,
                                                               int related_limit) {
  MU_RETURN_IF_ERROR(check_related_limit(related_limit));
  return read("item_timeline " + board,
              [&](SqliteConnection& db) -> Result<std::optional<ItemTimeline>> {
                ItemTimeline timeline;
                {
                  MU_ASSIGN_OR_RETURN(Statement stmt, prepare(db, sql::kSelectHistoryItem));
                  stmt.bind_text(1, board).bind_text(2, key);
                  MU_ASSIGN_OR_RETURN(bool row, stmt.step());
                  if (!row) {
                    return std::optional<ItemTimeline>();
                  }
                  timeline.item = sql::history_item_from(Row(stmt));
                }
                {
                  MU_ASSIGN_OR_RETURN(Statement stmt, prepare(db, sql::kSelectItemPoints));
                  stmt.bind_int(1, timeline.item.id);
                  MU_RETURN_IF_ERROR(for_each_row(stmt, [&](const Row& row) {
                    timeline.points.push_back(sql::history_point_from(row));
                  }));
                }
                if (related_limit > 0) {
                  MU_ASSIGN_OR_RETURN(Statement stmt, prepare(db, sql::kSelectRelatedItems));
                  stmt.bind_text(1, board)
                      .bind_int(2, timeline.item.title_key)
                      .bind_int(3, timeline.item.url_key)
                      .bind_int(4, related_limit);
                  MU_ASSIGN_OR_RETURN(timeline.related, history_items(stmt));
                }
                return std::optional<ItemTimeline>(std::move(timeline));
              });
}

Result<std::optional<BoardAt>> SqliteStore::board_at(const std::string& board, int64_t at_ms) {
  return read("board_at " + board, [&](SqliteConnection& db) -> Result<std::optional<BoardAt>> {
    MU_ASSIGN_OR_RETURN(Statement stmt, prepare(db, sql::kSelectBoardAt));
    stmt.bind_text(1, board).bind_int(2, at_ms);
    std::optional<BoardAt> out;
    MU_RETURN_IF_ERROR(for_each_row(stmt, [&](const Row& row) {
      history::add_board_at_row(out, sql::history_item_from(row),
                                sql::history_point_from(row, sql::kHistoryItemColumnCount));
    }));
    return out;
  });
}

Result<std::vector<DayEntry>> SqliteStore::window_entries(const std::string& board,
                                                          int64_t start_ms, int64_t end_ms,
                                                          int limit) {
  MU_RETURN_IF_ERROR(check_window(start_ms, end_ms, limit));
  return read(
      "window_entries " + board, [&](SqliteConnection& db) -> Result<std::vector<DayEntry>> {
        const bool all = board.empty();
        std::vector<HistoryItem> items;
        {
          MU_ASSIGN_OR_RETURN(Statement stmt,
                              prepare(db, all ? sql::Statement(sql::kSelectWindowItemsOfAll)
                                              : sql::Statement(sql::kSelectWindowItemsOfBoard)));
          stmt.bind_text(1, board).bind_int(2, start_ms).bind_int(3, end_ms);
          MU_ASSIGN_OR_RETURN(items, history_items(stmt));
        }
        history::WindowPoints points;
        {
          MU_ASSIGN_OR_RETURN(Statement stmt,
                              prepare(db, all ? sql::Statement(sql::kSelectWindowPointsOfAll)
                                              : sql::Statement(sql::kSelectWindowPointsOfBoard)));
          stmt.bind_text(1, board).bind_int(2, start_ms).bind_int(3, end_ms);
          MU_RETURN_IF_ERROR(for_each_row(stmt, [&](const Row& row) {
            points[row.int64(0)].push_back(sql::history_point_from(row, 1));
          }));
        }
        return history::window_entries(items, points, start_ms, end_ms, limit);
      });
}

Result<int64_t> SqliteStore::compact_history(int64_t hourly_before_ms, int64_t drop_before_ms) {
  const history::ThinRange range = history::thin_range(hourly_before_ms);
  return write("compact_history", [&](SqliteConnection& db) -> Result<int64_t> {
    int64_t deleted = 0;
    {
      MU_ASSIGN_OR_RETURN(Statement stmt, prepare(db, sql::kThinItemPoints));
      MU_RETURN_IF_ERROR(stmt.bind_int(1, range.begin_ms).bind_int(2, range.end_ms).run());
      MU_ASSIGN_OR_RETURN(int64_t thinned, changes(db));
      deleted += thinned;
    }
    if (drop_before_ms <= 0) {
      return deleted;
    }
    struct Dropped {
      int64_t id;
      std::string title, summary;
      bool indexed;
    };
    std::vector<Dropped> dropped;
    {
      MU_ASSIGN_OR_RETURN(Statement stmt, prepare(db, sql::kSelectDroppedItems));
      stmt.bind_int(1, drop_before_ms).bind_int(2, kDropBatch);
      MU_RETURN_IF_ERROR(for_each_row(stmt, [&](const Row& row) {
        dropped.push_back(Dropped{row.int64(0), row.text(1), row.text(2), row.int64(3) != 0});
      }));
    }
    for (const Dropped& item : dropped) {
      if (item.indexed) {
        MU_RETURN_IF_ERROR(delete_search_entry(db, item.id, item.title, item.summary));
      }
      {
        MU_ASSIGN_OR_RETURN(Statement stmt, prepare(db, sql::kDeleteItemPoints));
        MU_RETURN_IF_ERROR(stmt.bind_int(1, item.id).run());
        MU_ASSIGN_OR_RETURN(int64_t points, changes(db));
        deleted += points;
      }
      MU_ASSIGN_OR_RETURN(Statement stmt, prepare(db, sql::kDeleteItem));
      MU_RETURN_IF_ERROR(stmt.bind_int(1, item.id).run());
    }
    return deleted;
  });
}

// --- alerts -------------------------------------------------------------------------------

Status SqliteStore::put_document(const UserDocument& d, int64_t max_per_user) {
  MU_RETURN_IF_ERROR(check_document(d, max_per_user));
  return write("put_document", [&](SqliteConnection& db) -> Status {
    MU_RETURN_IF_ERROR(check_user_exists(db, d.user_id));
    {
      MU_ASSIGN_OR_RETURN(Statement owner, prepare(db, sql::kSelectDocumentOwner));
      owner.bind_text(1, d.kind).bind_text(2, d.id);
      MU_ASSIGN_OR_RETURN(bool exists, owner.step());
      if (exists && owner.column_int(0) != d.user_id) {
        return error(ErrorCode::kNotFound, "no " + d.kind + " '" + d.id + "' of this user");
      }
      if (!exists && max_per_user > 0) {
        MU_ASSIGN_OR_RETURN(Statement count, prepare(db, sql::kCountUserDocuments));
        count.bind_text(1, d.kind).bind_int(2, d.user_id);
        MU_ASSIGN_OR_RETURN(int64_t n, single_int(count));
        if (n >= max_per_user) {
          return error(ErrorCode::kConflict, "at most " + std::to_string(max_per_user) + " " +
                                                 d.kind + " documents per user");
        }
      }
    }
    MU_ASSIGN_OR_RETURN(Statement put, prepare(db, sql::kUpsertDocument));
    MU_RETURN_IF_ERROR(put.bind_text(1, d.kind)
                           .bind_text(2, d.id)
                           .bind_int(3, d.user_id)
                           .bind_text(4, d.body)
                           .bind_int(5, d.updated_ms)
                           .run());
    MU_ASSIGN_OR_RETURN(Statement bump, prepare(db, sql::kBumpDocumentRevision));
    return bump.bind_text(1, d.kind).run();
  });
}

Result<bool> SqliteStore::delete_document(std::string_view kind, const std::string& id,
                                          int64_t user_id) {
  return write("delete_document", [&](SqliteConnection& db) -> Result<bool> {
    {
      MU_ASSIGN_OR_RETURN(Statement del, prepare(db, sql::kDeleteDocument));
      MU_RETURN_IF_ERROR(del.bind_text(1, kind).bind_text(2, id).bind_int(3, user_id).run());
    }
    MU_ASSIGN_OR_RETURN(int64_t changed, changes(db));
    if (changed == 0) return false;
    std::optional<sql::Statement> follow;
    if (kind == kRuleDocument) follow = sql::kDeleteRuleMatches;
    if (kind == kChannelDocument) follow = sql::kDeleteChannelDeliveries;
    if (follow) {
      MU_ASSIGN_OR_RETURN(Statement stmt, prepare(db, *follow));
      MU_RETURN_IF_ERROR(stmt.bind_text(1, id).run());
    }
    MU_ASSIGN_OR_RETURN(Statement bump, prepare(db, sql::kBumpDocumentRevision));
    MU_RETURN_IF_ERROR(bump.bind_text(1, kind).run());
    return true;
  });
}

Result<std::vector<UserDocument>> SqliteStore::documents(std::string_view kind, int64_t user_id) {
  return read("documents", [&](SqliteConnection& db) -> Result<std::vector<UserDocument>> {
    MU_ASSIGN_OR_RETURN(Statement stmt, prepare(db, sql::kSelectDocuments));
    stmt.bind_text(1, kind).bind_int(2, user_id);
    std::vector<UserDocument> out;
    MU_RETURN_IF_ERROR(
        for_each_row(stmt, [&](const Row& row) { out.push_back(sql::document_from(row)); }));
    return out;
  });
}

Result<std::optional<UserDocument>> SqliteStore::document(std::string_view kind,
                                                          const std::string& id) {
  return read("document", [&](SqliteConnection& db) -> Result<std::optional<UserDocument>> {
    MU_ASSIGN_OR_RETURN(Statement stmt, prepare(db, sql::kSelectDocument));
    stmt.bind_text(1, kind).bind_text(2, id);
    MU_ASSIGN_OR_RETURN(bool row, stmt.step());
    if (!row) return std::optional<UserDocument>();
    return std::optional<UserDocument>(sql::document_from(Row(stmt)));
  });
}

Result<int64_t> SqliteStore::document_revision(std::string_view kind) {
  return read("document_revision", [&](SqliteConnection& db) -> Result<int64_t> {
    MU_ASSIGN_OR_RETURN(Statement stmt, prepare(db, sql::kSelectDocumentRevision));
    stmt.bind_text(1, kind);
    return single_int(stmt);
  });
}

Result<int64_t> SqliteStore::record_matches(const std::vector<NewMatch>& matches,
                                            const std::optional<AlertCursor>& cursor) {
  MU_RETURN_IF_ERROR(check_new_matches(matches));
  if (matches.empty() && !cursor) return int64_t{0};
  return write("record_matches", [&](SqliteConnection& db) -> Result<int64_t> {
    if (cursor) {
      MU_ASSIGN_OR_RETURN(Statement move, prepare(db, sql::kUpsertAlertCursor));
      MU_RETURN_IF_ERROR(move.bind_text(1, cursor->board).bind_int(2, cursor->evaluated_ms).run());
    }
    int64_t added = 0;
    for (const NewMatch& n : matches) {
      const AlertMatch& m = n.match;
      MU_ASSIGN_OR_RETURN(Statement insert, prepare(db, sql::kInsertMatch));
      insert.bind_text(1, m.rule_id)
          .bind_int(2, m.user_id)
          .bind_text(3, m.board)
          .bind_text(4, m.item_key)
          .bind_text(5, m.title)
          .bind_text(6, m.url)
          .bind_int(7, m.rank)
          .bind_text(8, m.hot_text)
          .bind_int(9, m.matched_ms);
      MU_ASSIGN_OR_RETURN(bool row, insert.step());
      if (!row) continue;  // recorded before
      const int64_t match_id = insert.column_int(0);
      MU_RETURN_IF_ERROR(insert.run());
      ++added;
      for (const std::string& channel : n.channel_ids) {
        MU_ASSIGN_OR_RETURN(Statement delivery, prepare(db, sql::kInsertDelivery));
        MU_RETURN_IF_ERROR(delivery.bind_int(1, match_id)
                               .bind_text(2, channel)
                               .bind_int(3, n.deliver_at_ms)
                               .run());
      }
    }
    return added;
  });
}

Result<int64_t> SqliteStore::alert_cursor(const std::string& board) {
  return read("alert_cursor", [&](SqliteConnection& db) -> Result<int64_t> {
    MU_ASSIGN_OR_RETURN(Statement stmt, prepare(db, sql::kSelectAlertCursor));
    stmt.bind_text(1, board);
    return single_int(stmt);
  });
}

Result<std::vector<DeliveryRecord>> SqliteStore::claim_deliveries(int64_t now_ms,
                                                                  int64_t lease_until_ms,
                                                                  int limit) {
  MU_RETURN_IF_ERROR(check_limit("claim_deliveries", limit));
  return write("claim_deliveries",
               [&](SqliteConnection& db) -> Result<std::vector<DeliveryRecord>> {
                 std::vector<int64_t> ids;
                 {
                   MU_ASSIGN_OR_RETURN(Statement claim, prepare(db, sql::kClaimDeliveries));
                   claim.bind_int(1, now_ms).bind_int(2, lease_until_ms).bind_int(3, limit);
                   MU_RETURN_IF_ERROR(
                       for_each_row(claim, [&](const Row& row) { ids.push_back(row.int64(0)); }));
                 }
                 std::sort(ids.begin(), ids.end());
                 std::vector<DeliveryRecord> out;
                 out.reserve(ids.size());
                 for (int64_t id : ids) {
                   MU_ASSIGN_OR_RETURN(Statement stmt, prepare(db, sql::kSelectDelivery));
                   stmt.bind_int(1, id);
                   MU_ASSIGN_OR_RETURN(bool row, stmt.step());
                   if (row) out.push_back(sql::delivery_from(Row(stmt)));
                 }
                 return out;
               });
}

Status SqliteStore::update_delivery(const DeliveryUpdate& u) {
  MU_RETURN_IF_ERROR(check_delivery_update(u));
  return write("update_delivery", [&](SqliteConnection& db) -> Status {
    {
      MU_ASSIGN_OR_RETURN(Statement stmt, prepare(db, sql::kUpdateDelivery));
      MU_RETURN_IF_ERROR(stmt.bind_int(1, u.id)
                             .bind_text(2, delivery_state_name(u.state))
                             .bind_int(3, u.attempts)
                             .bind_int(4, u.next_ms)
                             .bind_int(5, u.sent_ms)
                             .bind_text(6, u.last_error)
                             .run());
    }
    MU_ASSIGN_OR_RETURN(int64_t changed, changes(db));
    if (changed == 0) {
      return error(ErrorCode::kNotFound, "no delivery " + std::to_string(u.id));
    }
    return ok_status();
  });
}

Result<std::vector<DeliveryRecord>> SqliteStore::deliveries(const DeliveryQuery& q) {
  MU_RETURN_IF_ERROR(check_limit("deliveries", q.limit));
  return read("deliveries", [&](SqliteConnection& db) -> Result<std::vector<DeliveryRecord>> {
    MU_ASSIGN_OR_RETURN(Statement stmt, prepare(db, sql::kSelectDeliveries));
    stmt.bind_int(1, q.user_id)
        .bind_text(2, q.rule_id)
        .bind_text(3, q.state ? delivery_state_name(*q.state) : std::string_view())
        .bind_int(4, q.before_id)
        .bind_int(5, q.limit);
    std::vector<DeliveryRecord> out;
    MU_RETURN_IF_ERROR(
        for_each_row(stmt, [&](const Row& row) { out.push_back(sql::delivery_from(row)); }));
    return out;
  });
}

Result<std::vector<AlertMatch>> SqliteStore::alert_matches(const std::string& rule_id, int limit) {
  MU_RETURN_IF_ERROR(check_limit("alert_matches", limit));
  return read("alert_matches", [&](SqliteConnection& db) -> Result<std::vector<AlertMatch>> {
    MU_ASSIGN_OR_RETURN(Statement stmt, prepare(db, sql::kSelectRuleMatches));
    stmt.bind_text(1, rule_id).bind_int(2, limit);
    std::vector<AlertMatch> out;
    MU_RETURN_IF_ERROR(
        for_each_row(stmt, [&](const Row& row) { out.push_back(sql::alert_match_from(row)); }));
    return out;
  });
}

Result<int64_t> SqliteStore::prune_alerts(int64_t before_ms) {
  return write("prune_alerts", [&](SqliteConnection& db) -> Result<int64_t> {
    {
      MU_ASSIGN_OR_RETURN(Statement stmt, prepare(db, sql::kPruneMatches));
      MU_RETURN_IF_ERROR(stmt.bind_int(1, before_ms).run());
    }
    return changes(db);
  });
}

}  // namespace mu
