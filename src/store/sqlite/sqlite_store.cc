#include "store/sqlite/sqlite_store.h"

#include <boost/json.hpp>

#include <algorithm>
#include <exception>
#include <filesystem>
#include <string_view>
#include <system_error>
#include <unordered_set>
#include <utility>

#include "store/migrations.h"
#include "store/sqlite/sqlite_connection.h"
#include "store/store_codec.h"

namespace mu {
namespace {

using sqlite::SqliteConnection;
using sqlite::Statement;
using sqlite::Transaction;

constexpr std::string_view kMemoryPath = ":memory:";

// --- SQL ------------------------------------------------------------------------------
// Statements are cached per connection, keyed by these literals.

constexpr char kSelectSchemaVersion[] = "SELECT COALESCE(MAX(version), 0) FROM schema_migrations";
constexpr char kInsertSchemaVersion[] =
    "INSERT INTO schema_migrations (version, name, applied_at_ms) VALUES (?1, ?2, ?3)";

constexpr char kUpsertSite[] = R"sql(
INSERT INTO sites (id, name_zh, name_en, home, icon, color, region, retired)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 0)
ON CONFLICT (id) DO UPDATE SET
  name_zh = excluded.name_zh, name_en = excluded.name_en, home = excluded.home,
  icon = excluded.icon, color = excluded.color, region = excluded.region, retired = 0)sql";
constexpr char kSelectActiveSites[] = "SELECT id FROM sites WHERE retired = 0";
constexpr char kRetireSite[] = "UPDATE sites SET retired = 1 WHERE id = ?1";

// config_version moves when anything the catalogue owns changes (or the board returns
// from retirement); runtime columns are not touched.
constexpr char kUpsertBoard[] = R"sql(
INSERT INTO boards (id, site, name_zh, name_en, kind, every_s, jitter_s, timeout_s, retries,
                    group_name, homepage, notes, needs_cookie, needs_token, retired)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, 0)
ON CONFLICT (id) DO UPDATE SET
  config_version = boards.config_version + CASE WHEN
      boards.retired <> 0 OR boards.site <> excluded.site OR boards.name_zh <> excluded.name_zh
      OR boards.name_en <> excluded.name_en OR boards.kind <> excluded.kind
      OR boards.every_s <> excluded.every_s OR boards.jitter_s <> excluded.jitter_s
      OR boards.timeout_s <> excluded.timeout_s OR boards.retries <> excluded.retries
      OR boards.group_name <> excluded.group_name OR boards.homepage <> excluded.homepage
      OR boards.notes <> excluded.notes OR boards.needs_cookie <> excluded.needs_cookie
      OR boards.needs_token <> excluded.needs_token
    THEN 1 ELSE 0 END,
  site = excluded.site, name_zh = excluded.name_zh, name_en = excluded.name_en,
  kind = excluded.kind, every_s = excluded.every_s, jitter_s = excluded.jitter_s,
  timeout_s = excluded.timeout_s, retries = excluded.retries,
  group_name = excluded.group_name, homepage = excluded.homepage, notes = excluded.notes,
  needs_cookie = excluded.needs_cookie, needs_token = excluded.needs_token, retired = 0)sql";
constexpr char kSelectActiveBoards[] = "SELECT id FROM boards WHERE retired = 0";
constexpr char kRetireBoard[] = "UPDATE boards SET retired = 1 WHERE id = ?1";

constexpr char kSelectFence[] = "SELECT epoch FROM fence WHERE id = 1";
constexpr char kSelectOverrideVersion[] =
    "SELECT COALESCE((SELECT version FROM board_overrides WHERE board = ?1), 0)";
constexpr char kUpsertOverride[] =
    "INSERT INTO board_overrides (board, version, body, updated_ms) VALUES (?1, ?2, ?3, ?4) "
    "ON CONFLICT (board) DO UPDATE SET version = excluded.version, body = excluded.body, "
    "updated_ms = excluded.updated_ms";
constexpr char kSelectOverrides[] =
    "SELECT board, version, body, updated_ms FROM board_overrides ORDER BY board";
constexpr char kSelectOverride[] =
    "SELECT board, version, body, updated_ms FROM board_overrides WHERE board = ?1";
constexpr char kRaiseFence[] = "UPDATE fence SET epoch = ?1 WHERE id = 1 AND epoch < ?1";
constexpr char kSelectSnapshotByDispatch[] = "SELECT id FROM snapshots WHERE dispatch_id = ?1";
constexpr char kSelectBoardRetired[] = "SELECT retired FROM boards WHERE id = ?1";
constexpr char kNextSnapshotId[] = "SELECT COALESCE(MAX(id), 0) + 1 FROM snapshots";
constexpr char kInsertSnapshot[] = R"sql(
INSERT INTO snapshots (id, board, fetched_at_ms, epoch, dispatch_id, slot, item_count)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7))sql";
constexpr char kInsertSnapshotItem[] = R"sql(
INSERT INTO snapshot_items (snapshot_id, rank, item_key, title, url, mobile_url, summary, image,
                            hot, hot_text, label, author, published_at_ms, extra)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14))sql";
// first_seen stays the earliest, best_rank the lowest; the rest follows the newest fetch.
constexpr char kUpsertItem[] = R"sql(
INSERT INTO items (board, item_key, title, url, first_seen_ms, last_seen_ms, best_rank,
                   last_rank, times_seen)
VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6, ?6, 1)
ON CONFLICT (board, item_key) DO UPDATE SET
  title = excluded.title, url = excluded.url,
  first_seen_ms = CASE WHEN excluded.first_seen_ms < items.first_seen_ms
                       THEN excluded.first_seen_ms ELSE items.first_seen_ms END,
  last_seen_ms = CASE WHEN excluded.last_seen_ms > items.last_seen_ms
                      THEN excluded.last_seen_ms ELSE items.last_seen_ms END,
  best_rank = CASE WHEN excluded.best_rank < items.best_rank
                   THEN excluded.best_rank ELSE items.best_rank END,
  last_rank = excluded.last_rank,
  times_seen = items.times_seen + 1)sql";
constexpr char kInsertRun[] = R"sql(
INSERT INTO runs (id, dispatch_id, attempt, board, slot, epoch, status, error_message,
                  started_ms, finished_ms, http_status, bytes, item_count, collector)
VALUES ((SELECT COALESCE(MAX(id), 0) + 1 FROM runs),
        ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13))sql";
constexpr char kBoardCommitted[] = R"sql(
UPDATE boards SET last_ok_ms = ?2, last_run_ms = ?2, version = ?3, item_count = ?4,
                  last_error_code = '', last_error = ''
WHERE id = ?1)sql";
constexpr char kBoardFailed[] = R"sql(
UPDATE boards SET last_run_ms = ?2, last_error_code = ?3, last_error = ?4
WHERE id = ?1 AND last_run_ms <= ?2)sql";  // a record written late never hides a newer run

// Run history: two correlated subqueries over the newest kRecentRunsWindow runs of the
// board. Each walks the runs_board_id index backwards and stops after that many rows, so
// the cost per board is bounded however long the runs table grows (no scan, no N+1
// queries).
#define MU_RECENT_RUNS_OF_B \
  "(SELECT status FROM runs WHERE board = b.id ORDER BY id DESC LIMIT 20) recent"
static_assert(kRecentRunsWindow == 20, "keep the LIMIT of MU_RECENT_RUNS_OF_B in step");
#define MU_RECENT_RUN_COUNT "(SELECT COUNT(*) FROM " MU_RECENT_RUNS_OF_B ")"
#define MU_RECENT_OK_COUNT \
  "(SELECT COUNT(*) FROM " MU_RECENT_RUNS_OF_B " WHERE recent.status = 'ok')"

#define MU_BOARD_STATE_COLUMNS                                              \
  "b.id, b.enabled, b.last_ok_ms, b.last_run_ms, b.version, b.item_count, " \
  "b.last_error_code, b.last_error, " MU_RECENT_RUN_COUNT ", " MU_RECENT_OK_COUNT
constexpr int kBoardStateColumnCount = 10;

constexpr char kSelectBoardStates[] =
    "SELECT " MU_BOARD_STATE_COLUMNS " FROM boards b WHERE b.retired = 0 ORDER BY b.id";
constexpr char kSelectBoardState[] =
    "SELECT " MU_BOARD_STATE_COLUMNS " FROM boards b WHERE b.id = ?1 AND b.retired = 0";

// board_view, query 1: the board's state joined with its two newest snapshots (newest
// first); one row with NULL snapshot columns when it has none.
constexpr char kSelectViewHead[] =
    "SELECT " MU_BOARD_STATE_COLUMNS R"sql(, s.id, s.fetched_at_ms, s.epoch, s.dispatch_id
FROM boards b
LEFT JOIN snapshots s ON s.board = b.id AND s.id IN (
  SELECT id FROM snapshots WHERE board = ?1 ORDER BY id DESC LIMIT 2)
WHERE b.id = ?1 AND b.retired = 0
ORDER BY s.id DESC)sql";
// board_view, query 2: the newest snapshot's items with their history, then the keys of
// the previous snapshot, each in rank order.
constexpr char kSelectViewItems[] = R"sql(
SELECT si.snapshot_id, si.rank, si.item_key, si.title, si.url, si.mobile_url, si.summary,
       si.image, si.hot, si.hot_text, si.label, si.author, si.published_at_ms, si.extra,
       i.first_seen_ms, i.best_rank
FROM snapshot_items si
LEFT JOIN items i ON i.board = ?1 AND i.item_key = si.item_key
WHERE si.snapshot_id = ?2
UNION ALL
SELECT snapshot_id, rank, item_key, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
       NULL, NULL, NULL, NULL
FROM snapshot_items
WHERE snapshot_id = ?3
ORDER BY 1 DESC, 2)sql";

constexpr char kSelectRuns[] = R"sql(
SELECT dispatch_id, board, slot, epoch, status, error_message, started_ms, finished_ms,
       http_status, bytes, item_count, attempt, collector
FROM runs WHERE board = ?1 ORDER BY id DESC LIMIT ?2)sql";

// Snapshots beyond the newest ?1 of their board.
#define MU_PRUNABLE_SNAPSHOTS                                                     \
  "SELECT id FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY board ORDER BY id " \
  "DESC) AS position FROM snapshots) ranked WHERE position > ?1"
constexpr char kPruneSnapshotItems[] =
    "DELETE FROM snapshot_items WHERE snapshot_id IN (" MU_PRUNABLE_SNAPSHOTS ")";
constexpr char kPruneSnapshots[] = "DELETE FROM snapshots WHERE id IN (" MU_PRUNABLE_SNAPSHOTS ")";
constexpr char kChanges[] = "SELECT changes()";

// --- helpers --------------------------------------------------------------------------

Status invalid(std::string message) { return error(ErrorCode::kInvalid, std::move(message)); }

Status unknown_board(const std::string& board) {
  return error(ErrorCode::kNotFound, "unknown board '" + board + "'");
}

Status validate_items(const std::vector<Item>& items) {
  std::unordered_set<std::string_view> keys;
  keys.reserve(items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    const std::string& key = items[i].key;
    if (key.empty()) {
      return invalid("item at rank " + std::to_string(i + 1) + " has no key");
    }
    if (!keys.insert(key).second) {
      return invalid("duplicate item key '" + key + "' at rank " + std::to_string(i + 1));
    }
  }
  return ok_status();
}

// Reads a single-row, single-integer query.
Result<int64_t> query_int(SqliteConnection& db, std::string_view sql) {
  MU_ASSIGN_OR_RETURN(Statement stmt, db.prepare(sql));
  MU_ASSIGN_OR_RETURN(bool row, stmt.step());
  if (!row) {
    return error(ErrorCode::kInternal, "no row from `" + std::string(sql) + "`");
  }
  return stmt.column_int(0);
}

BoardState read_board_state(const Statement& stmt) {
  BoardState state;
  state.board = stmt.column_text(0);
  state.enabled = stmt.column_int(1) != 0;
  state.fetched_at_ms = stmt.column_int(2);
  state.last_run_at_ms = stmt.column_int(3);
  state.version = stmt.column_int(4);
  state.item_count = static_cast<int>(stmt.column_int(5));
  state.last_error_code = stmt.column_text(6);
  state.last_error = stmt.column_text(7);
  state.stale = !state.last_error_code.empty();
  state.recent_runs = static_cast<int>(stmt.column_int(8));
  state.recent_ok = static_cast<int>(stmt.column_int(9));
  return state;
}

// kFenced when `epoch` is below the fence; otherwise raises the fence to `epoch`.
Status check_and_raise_fence(SqliteConnection& db, int64_t epoch) {
  MU_ASSIGN_OR_RETURN(int64_t fence, query_int(db, kSelectFence));
  if (epoch < fence) {
    return error(ErrorCode::kFenced, "epoch " + std::to_string(epoch) +
                                         " is below the store's fence epoch " +
                                         std::to_string(fence));
  }
  if (epoch > fence) {
    MU_ASSIGN_OR_RETURN(Statement raise, db.prepare(kRaiseFence));
    MU_RETURN_IF_ERROR(raise.bind_int(1, epoch).run());
  }
  return ok_status();
}

// kConflict when `dispatch_id` already has a snapshot.
Status check_not_committed(SqliteConnection& db, const std::string& dispatch_id) {
  MU_ASSIGN_OR_RETURN(Statement stmt, db.prepare(kSelectSnapshotByDispatch));
  stmt.bind_text(1, dispatch_id);
  MU_ASSIGN_OR_RETURN(bool row, stmt.step());
  if (row) {
    return error(ErrorCode::kConflict, "dispatch '" + dispatch_id +
                                           "' was already committed as snapshot " +
                                           std::to_string(stmt.column_int(0)));
  }
  return ok_status();
}

// kNotFound unless `board` exists and is not retired.
Status check_board_active(SqliteConnection& db, const std::string& board) {
  MU_ASSIGN_OR_RETURN(Statement stmt, db.prepare(kSelectBoardRetired));
  stmt.bind_text(1, board);
  MU_ASSIGN_OR_RETURN(bool row, stmt.step());
  if (!row || stmt.column_int(0) != 0) {
    return unknown_board(board);
  }
  return ok_status();
}

Status insert_run(SqliteConnection& db, const std::string& dispatch_id, const std::string& board,
                  int64_t slot, int64_t epoch, std::string_view status,
                  std::string_view error_message, const RunStats& stats) {
  MU_ASSIGN_OR_RETURN(Statement stmt, db.prepare(kInsertRun));
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
Result<std::vector<std::string>> active_ids_not_in(SqliteConnection& db, std::string_view sql,
                                                   const std::unordered_set<std::string>& keep) {
  std::vector<std::string> out;
  MU_ASSIGN_OR_RETURN(Statement stmt, db.prepare(sql));
  while (true) {
    MU_ASSIGN_OR_RETURN(bool row, stmt.step());
    if (!row) {
      break;
    }
    std::string id = stmt.column_text(0);
    if (!keep.contains(id)) {
      out.push_back(std::move(id));
    }
  }
  return out;
}

Status retire(SqliteConnection& db, std::string_view sql, const std::vector<std::string>& ids) {
  for (const std::string& id : ids) {
    MU_ASSIGN_OR_RETURN(Statement stmt, db.prepare(sql));
    MU_RETURN_IF_ERROR(stmt.bind_text(1, id).run());
  }
  return ok_status();
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

// ---------------------------------------------------------------------------------------
// Writes

Status SqliteStore::migrate() {
  const int latest = latest_schema_version();
  auto newer_than_binary = [&](int64_t current) {
    return error(ErrorCode::kConfig, "sqlite " + path_ + ": the database schema is at version " +
                                         std::to_string(current) +
                                         ", newer than this binary knows (" +
                                         std::to_string(latest) + "); upgrade mu");
  };
  auto apply = [&](SqliteConnection& db) -> Status {
    MU_RETURN_IF_ERROR(
        db.exec(std::string(kSchemaMigrationsTableSql), "creating schema_migrations"));
    MU_ASSIGN_OR_RETURN(int64_t current, query_int(db, kSelectSchemaVersion));
    if (current > latest) {
      return newer_than_binary(current);
    }
    for (const Migration& migration : embedded_migrations()) {
      if (current >= migration.version) {
        continue;
      }
      Transaction txn(db);
      MU_RETURN_IF_ERROR(txn.begin(/*immediate=*/true));
      // Read again under the write lock: another process may have migrated meanwhile.
      MU_ASSIGN_OR_RETURN(current, query_int(db, kSelectSchemaVersion));
      if (current > latest) {
        return newer_than_binary(current);
      }
      if (current >= migration.version) {
        continue;
      }
      MU_RETURN_IF_ERROR(
          db.exec(std::string(migration.sql), "applying " + std::string(migration.name)));
      MU_ASSIGN_OR_RETURN(Statement record, db.prepare(kInsertSchemaVersion));
      record.bind_int(1, migration.version).bind_text(2, migration.name).bind_int(3, now_ms());
      MU_RETURN_IF_ERROR(record.run());
      MU_RETURN_IF_ERROR(txn.commit());
      current = migration.version;
    }
    return ok_status();
  };
  std::lock_guard lock(write_mu_);
  return apply(*writer_).with_context("migrate");
}

Status SqliteStore::sync_catalogue(const std::vector<Site>& sites,
                                   const std::vector<BoardMeta>& boards) {
  std::unordered_set<std::string> site_ids;
  for (const Site& site : sites) {
    if (site.id.empty()) {
      return invalid("sync_catalogue: a site has an empty id");
    }
    if (!site_ids.insert(site.id).second) {
      return invalid("sync_catalogue: duplicate site '" + site.id + "'");
    }
  }
  std::unordered_set<std::string> board_ids;
  for (const BoardMeta& board : boards) {
    if (board.id.empty()) {
      return invalid("sync_catalogue: a board has an empty id");
    }
    if (!board_ids.insert(board.id).second) {
      return invalid("sync_catalogue: duplicate board '" + board.id + "'");
    }
    if (!site_ids.contains(board.site)) {
      return invalid("sync_catalogue: board '" + board.id + "' names unknown site '" + board.site +
                     "'");
    }
  }

  auto apply = [&](SqliteConnection& db) -> Status {
    Transaction txn(db);
    MU_RETURN_IF_ERROR(txn.begin(/*immediate=*/true));
    for (const Site& site : sites) {
      MU_ASSIGN_OR_RETURN(Statement stmt, db.prepare(kUpsertSite));
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
      MU_ASSIGN_OR_RETURN(Statement stmt, db.prepare(kUpsertBoard));
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
    MU_ASSIGN_OR_RETURN(auto gone_boards, active_ids_not_in(db, kSelectActiveBoards, board_ids));
    MU_RETURN_IF_ERROR(retire(db, kRetireBoard, gone_boards));
    MU_ASSIGN_OR_RETURN(auto gone_sites, active_ids_not_in(db, kSelectActiveSites, site_ids));
    MU_RETURN_IF_ERROR(retire(db, kRetireSite, gone_sites));
    return txn.commit();
  };
  std::lock_guard lock(write_mu_);
  return apply(*writer_).with_context("sync_catalogue");
}

Result<int64_t> SqliteStore::commit_snapshot(const CommitRequest& request) {
  const std::string context = "commit_snapshot " + request.dispatch_id;
  if (request.board.empty()) {
    return invalid(context + ": empty board");
  }
  if (request.dispatch_id.empty()) {
    return invalid("commit_snapshot: empty dispatch id");
  }
  MU_RETURN_IF_ERROR(validate_items(request.items).with_context(context));

  auto apply = [&](SqliteConnection& db) -> Result<int64_t> {
    Transaction txn(db);
    MU_RETURN_IF_ERROR(txn.begin(/*immediate=*/true));
    MU_RETURN_IF_ERROR(check_and_raise_fence(db, request.epoch));
    MU_RETURN_IF_ERROR(check_not_committed(db, request.dispatch_id));
    MU_RETURN_IF_ERROR(check_board_active(db, request.board));

    const int64_t fetched_at_ms = request.stats.finished_ms;
    const auto item_count = static_cast<int64_t>(request.items.size());
    MU_ASSIGN_OR_RETURN(int64_t snapshot_id, query_int(db, kNextSnapshotId));
    {
      MU_ASSIGN_OR_RETURN(Statement stmt, db.prepare(kInsertSnapshot));
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
        MU_ASSIGN_OR_RETURN(Statement stmt, db.prepare(kInsertSnapshotItem));
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
      MU_ASSIGN_OR_RETURN(Statement history, db.prepare(kUpsertItem));
      history.bind_text(1, request.board)
          .bind_text(2, item.key)
          .bind_text(3, item.title)
          .bind_text(4, item.url)
          .bind_int(5, fetched_at_ms)
          .bind_int(6, rank);
      MU_RETURN_IF_ERROR(history.run());
    }
    MU_RETURN_IF_ERROR(insert_run(db, request.dispatch_id, request.board, request.slot,
                                  request.epoch, "ok", "", request.stats));
    {
      MU_ASSIGN_OR_RETURN(Statement stmt, db.prepare(kBoardCommitted));
      stmt.bind_text(1, request.board)
          .bind_int(2, fetched_at_ms)
          .bind_int(3, snapshot_id)
          .bind_int(4, item_count);
      MU_RETURN_IF_ERROR(stmt.run());
    }
    MU_RETURN_IF_ERROR(txn.commit());
    return snapshot_id;
  };
  std::lock_guard lock(write_mu_);
  auto result = apply(*writer_);
  if (!result.ok()) {
    return result.status().with_context(context);
  }
  return result;
}

Status SqliteStore::record_failure(const FailureRecord& failure) {
  const std::string context = "record_failure " + failure.dispatch_id;
  if (failure.board.empty()) {
    return invalid(context + ": empty board");
  }
  if (failure.dispatch_id.empty()) {
    return invalid("record_failure: empty dispatch id");
  }
  if (failure.error.ok()) {
    return invalid(context + ": the error is ok");
  }

  const std::string_view code = error_code_name(failure.error.code());
  auto apply = [&](SqliteConnection& db) -> Status {
    Transaction txn(db);
    MU_RETURN_IF_ERROR(txn.begin(/*immediate=*/true));
    MU_RETURN_IF_ERROR(check_and_raise_fence(db, failure.epoch));
    MU_RETURN_IF_ERROR(check_not_committed(db, failure.dispatch_id));
    MU_RETURN_IF_ERROR(check_board_active(db, failure.board));
    MU_RETURN_IF_ERROR(insert_run(db, failure.dispatch_id, failure.board, failure.slot,
                                  failure.epoch, code, failure.error.message(), failure.stats));
    {
      MU_ASSIGN_OR_RETURN(Statement stmt, db.prepare(kBoardFailed));
      stmt.bind_text(1, failure.board)
          .bind_int(2, failure.stats.finished_ms)
          .bind_text(3, code)
          .bind_text(4, failure.error.message());
      MU_RETURN_IF_ERROR(stmt.run());
    }
    return txn.commit();
  };
  std::lock_guard lock(write_mu_);
  return apply(*writer_).with_context(context);
}

Result<int64_t> SqliteStore::prune_snapshots(int keep_per_board) {
  const int64_t keep = std::max(keep_per_board, 1);
  auto apply = [&](SqliteConnection& db) -> Result<int64_t> {
    Transaction txn(db);
    MU_RETURN_IF_ERROR(txn.begin(/*immediate=*/true));
    {
      MU_ASSIGN_OR_RETURN(Statement stmt, db.prepare(kPruneSnapshotItems));
      MU_RETURN_IF_ERROR(stmt.bind_int(1, keep).run());
    }
    {
      MU_ASSIGN_OR_RETURN(Statement stmt, db.prepare(kPruneSnapshots));
      MU_RETURN_IF_ERROR(stmt.bind_int(1, keep).run());
    }
    MU_ASSIGN_OR_RETURN(int64_t deleted, query_int(db, kChanges));
    MU_RETURN_IF_ERROR(txn.commit());
    return deleted;
  };
  std::lock_guard lock(write_mu_);
  auto result = apply(*writer_);
  if (!result.ok()) {
    return result.status().with_context("prune_snapshots");
  }
  return result;
}

// ---------------------------------------------------------------------------------------
// Reads

Result<std::optional<BoardView>> SqliteStore::board_view(const std::string& board) {
  auto read = [&](SqliteConnection& db) -> Result<std::optional<BoardView>> {
    Transaction txn(db);
    MU_RETURN_IF_ERROR(txn.begin(/*immediate=*/false));
    BoardView view;
    int64_t previous_id = 0;
    {
      MU_ASSIGN_OR_RETURN(Statement head, db.prepare(kSelectViewHead));
      head.bind_text(1, board);
      MU_ASSIGN_OR_RETURN(bool row, head.step());
      if (!row) {
        return unknown_board(board);
      }
      view.state = read_board_state(head);
      constexpr int s = kBoardStateColumnCount;
      if (head.column_is_null(s)) {
        return std::optional<BoardView>();
      }
      view.snapshot.id = head.column_int(s);
      view.snapshot.board = board;
      view.snapshot.fetched_at_ms = head.column_int(s + 1);
      view.snapshot.epoch = head.column_int(s + 2);
      view.snapshot.dispatch_id = head.column_text(s + 3);
      MU_ASSIGN_OR_RETURN(row, head.step());
      if (row) {
        view.has_previous = true;
        previous_id = head.column_int(s);
      }
    }
    {
      MU_ASSIGN_OR_RETURN(Statement items, db.prepare(kSelectViewItems));
      items.bind_text(1, board).bind_int(2, view.snapshot.id).bind_int(3, previous_id);
      view.snapshot.items.reserve(static_cast<size_t>(std::max(view.state.item_count, 0)));
      while (true) {
        MU_ASSIGN_OR_RETURN(bool row, items.step());
        if (!row) {
          break;
        }
        if (items.column_int(0) != view.snapshot.id) {
          view.previous_keys.push_back(items.column_text(2));
          continue;
        }
        Item& item = view.snapshot.items.emplace_back();
        item.key = items.column_text(2);
        item.title = items.column_text(3);
        item.url = items.column_text(4);
        item.mobile_url = items.column_text(5);
        item.summary = items.column_text(6);
        item.image = items.column_text(7);
        item.hot = items.column_optional_double(8);
        item.hot_text = items.column_text(9);
        item.label = items.column_text(10);
        item.author = items.column_text(11);
        item.published_at_ms = items.column_optional_int(12);
        MU_ASSIGN_OR_RETURN(item.extra, extra_from_json(items.column_text(13)));
        if (!items.column_is_null(14)) {
          view.history[item.key] =
              ItemHistory{items.column_int(14), static_cast<int>(items.column_int(15))};
        }
      }
    }
    MU_RETURN_IF_ERROR(txn.commit());
    return std::optional<BoardView>(std::move(view));
  };
  MU_ASSIGN_OR_RETURN(ReadLease lease, acquire_reader());
  auto result = read(lease.conn());
  if (!result.ok()) {
    return result.status().with_context("board_view " + board);
  }
  return result;
}

Result<std::vector<BoardState>> SqliteStore::board_states() {
  auto read = [&](SqliteConnection& db) -> Result<std::vector<BoardState>> {
    std::vector<BoardState> out;
    MU_ASSIGN_OR_RETURN(Statement stmt, db.prepare(kSelectBoardStates));
    while (true) {
      MU_ASSIGN_OR_RETURN(bool row, stmt.step());
      if (!row) {
        break;
      }
      out.push_back(read_board_state(stmt));
    }
    return out;
  };
  MU_ASSIGN_OR_RETURN(ReadLease lease, acquire_reader());
  auto result = read(lease.conn());
  if (!result.ok()) {
    return result.status().with_context("board_states");
  }
  return result;
}

Result<BoardState> SqliteStore::board_state(const std::string& board) {
  auto read = [&](SqliteConnection& db) -> Result<BoardState> {
    MU_ASSIGN_OR_RETURN(Statement stmt, db.prepare(kSelectBoardState));
    stmt.bind_text(1, board);
    MU_ASSIGN_OR_RETURN(bool row, stmt.step());
    if (!row) {
      return unknown_board(board);
    }
    return read_board_state(stmt);
  };
  MU_ASSIGN_OR_RETURN(ReadLease lease, acquire_reader());
  auto result = read(lease.conn());
  if (!result.ok()) {
    return result.status().with_context("board_state");
  }
  return result;
}

Result<std::vector<RunRecord>> SqliteStore::runs(const std::string& board, int limit) {
  if (limit < 0) {
    return invalid("runs: negative limit " + std::to_string(limit));
  }
  auto read = [&](SqliteConnection& db) -> Result<std::vector<RunRecord>> {
    Transaction txn(db);
    MU_RETURN_IF_ERROR(txn.begin(/*immediate=*/false));
    MU_RETURN_IF_ERROR(check_board_active(db, board));
    std::vector<RunRecord> out;
    {
      MU_ASSIGN_OR_RETURN(Statement stmt, db.prepare(kSelectRuns));
      stmt.bind_text(1, board).bind_int(2, limit);
      while (true) {
        MU_ASSIGN_OR_RETURN(bool row, stmt.step());
        if (!row) {
          break;
        }
        RunRecord& run = out.emplace_back();
        run.dispatch_id = stmt.column_text(0);
        run.board = stmt.column_text(1);
        run.slot = stmt.column_int(2);
        run.epoch = stmt.column_int(3);
        run.status = stmt.column_text(4);
        run.error_message = stmt.column_text(5);
        run.stats.started_ms = stmt.column_int(6);
        run.stats.finished_ms = stmt.column_int(7);
        run.stats.http_status = static_cast<int>(stmt.column_int(8));
        run.stats.bytes = stmt.column_int(9);
        run.stats.item_count = static_cast<int>(stmt.column_int(10));
        run.stats.attempt = static_cast<int>(stmt.column_int(11));
        run.stats.collector = stmt.column_text(12);
      }
    }
    MU_RETURN_IF_ERROR(txn.commit());
    return out;
  };
  MU_ASSIGN_OR_RETURN(ReadLease lease, acquire_reader());
  auto result = read(lease.conn());
  if (!result.ok()) {
    return result.status().with_context("runs " + board);
  }
  return result;
}

Result<int64_t> SqliteStore::fence_epoch() {
  MU_ASSIGN_OR_RETURN(ReadLease lease, acquire_reader());
  auto result = query_int(lease.conn(), kSelectFence);
  if (!result.ok()) {
    return result.status().with_context("fence_epoch");
  }
  return result;
}

Result<int64_t> SqliteStore::raise_fence(int64_t epoch) {
  auto apply = [&](SqliteConnection& db) -> Result<int64_t> {
    Transaction txn(db);
    MU_RETURN_IF_ERROR(txn.begin(/*immediate=*/true));
    {
      MU_ASSIGN_OR_RETURN(Statement stmt, db.prepare(kRaiseFence));
      MU_RETURN_IF_ERROR(stmt.bind_int(1, epoch).run());
    }
    MU_ASSIGN_OR_RETURN(int64_t fence, query_int(db, kSelectFence));
    MU_RETURN_IF_ERROR(txn.commit());
    return fence;
  };
  std::lock_guard lock(write_mu_);
  auto result = apply(*writer_);
  if (!result.ok()) {
    return result.status().with_context("raise_fence");
  }
  return result;
}

Result<int64_t> SqliteStore::put_board_override(const std::string& board, int64_t expected_version,
                                                const std::string& json, int64_t now_ms) {
  auto apply = [&](SqliteConnection& db) -> Result<int64_t> {
    Transaction txn(db);
    MU_RETURN_IF_ERROR(txn.begin(/*immediate=*/true));
    MU_RETURN_IF_ERROR(check_board_active(db, board));
    int64_t current = 0;
    {
      MU_ASSIGN_OR_RETURN(Statement stmt, db.prepare(kSelectOverrideVersion));
      stmt.bind_text(1, board);
      MU_ASSIGN_OR_RETURN(bool row, stmt.step());
      if (row) current = stmt.column_int(0);
    }
    if (current != expected_version) {
      return Status(ErrorCode::kConflict, "board override of " + board + " is at version " +
                                              std::to_string(current) + ", not " +
                                              std::to_string(expected_version));
    }
    {
      MU_ASSIGN_OR_RETURN(Statement stmt, db.prepare(kUpsertOverride));
      stmt.bind_text(1, board).bind_int(2, current + 1).bind_text(3, json).bind_int(4, now_ms);
      MU_RETURN_IF_ERROR(stmt.run());
    }
    MU_RETURN_IF_ERROR(txn.commit());
    return current + 1;
  };
  std::lock_guard lock(write_mu_);
  auto result = apply(*writer_);
  if (!result.ok()) {
    return result.status().with_context("put_board_override " + board);
  }
  return result;
}

Result<std::vector<BoardOverrideRecord>> SqliteStore::board_overrides() {
  auto read = [&](SqliteConnection& db) -> Result<std::vector<BoardOverrideRecord>> {
    std::vector<BoardOverrideRecord> out;
    MU_ASSIGN_OR_RETURN(Statement stmt, db.prepare(kSelectOverrides));
    while (true) {
      MU_ASSIGN_OR_RETURN(bool row, stmt.step());
      if (!row) break;
      BoardOverrideRecord& r = out.emplace_back();
      r.board = stmt.column_text(0);
      r.version = stmt.column_int(1);
      r.json = stmt.column_text(2);
      r.updated_ms = stmt.column_int(3);
    }
    return out;
  };
  MU_ASSIGN_OR_RETURN(ReadLease lease, acquire_reader());
  auto result = read(lease.conn());
  if (!result.ok()) {
    return result.status().with_context("board_overrides");
  }
  return result;
}

Result<std::optional<BoardOverrideRecord>> SqliteStore::board_override(const std::string& board) {
  auto read = [&](SqliteConnection& db) -> Result<std::optional<BoardOverrideRecord>> {
    MU_ASSIGN_OR_RETURN(Statement stmt, db.prepare(kSelectOverride));
    stmt.bind_text(1, board);
    MU_ASSIGN_OR_RETURN(bool row, stmt.step());
    if (!row) {
      return std::optional<BoardOverrideRecord>();
    }
    return std::optional<BoardOverrideRecord>(BoardOverrideRecord{
        stmt.column_text(0), stmt.column_int(1), stmt.column_text(2), stmt.column_int(3)});
  };
  MU_ASSIGN_OR_RETURN(ReadLease lease, acquire_reader());
  auto result = read(lease.conn());
  if (!result.ok()) {
    return result.status().with_context("board_override " + board);
  }
  return result;
}

// ---------------------------------------------------------------------------------------
// Accounts

namespace {

#define MU_USER_COLUMNS \
  "id, provider, provider_id, login, name, avatar_url, role, created_ms, last_login_ms"
// A new user gets MAX(id) + 1 (the writer is serialized); an existing one keeps its id,
// role and created_ms.
constexpr char kUpsertUser[] = R"sql(
INSERT INTO users (id, provider, provider_id, login, name, avatar_url, role, created_ms,
                   last_login_ms)
VALUES ((SELECT COALESCE(MAX(id), 0) + 1 FROM users), ?1, ?2, ?3, ?4, ?5, 'user', ?6, ?6)
ON CONFLICT (provider, provider_id) DO UPDATE SET
  login = excluded.login, name = excluded.name, avatar_url = excluded.avatar_url,
  last_login_ms = excluded.last_login_ms)sql";
constexpr char kSelectUserByKey[] =
    "SELECT " MU_USER_COLUMNS " FROM users WHERE provider = ?1 AND provider_id = ?2";
constexpr char kSelectUserById[] = "SELECT " MU_USER_COLUMNS " FROM users WHERE id = ?1";
constexpr char kSelectUserByLogin[] = "SELECT " MU_USER_COLUMNS
                                      " FROM users WHERE login = ?1 "
                                      "ORDER BY last_login_ms DESC, id LIMIT 1";
constexpr char kSetRole[] = "UPDATE users SET role = ?2 WHERE id = ?1";
constexpr char kCountAdmins[] = "SELECT COUNT(*) FROM users WHERE role = 'admin'";
constexpr char kSelectUsers[] = "SELECT " MU_USER_COLUMNS " FROM users ORDER BY id";
constexpr char kCountUser[] = "SELECT COUNT(*) FROM users WHERE id = ?1";

constexpr char kInsertSession[] = R"sql(
INSERT INTO sessions (id, user_id, csrf_token, created_ms, last_seen_ms, expires_ms, user_agent)
VALUES (?1, ?2, ?3, ?4, ?4, ?5, ?6))sql";
constexpr char kSelectSession[] =
    "SELECT id, user_id, csrf_token, created_ms, last_seen_ms, expires_ms, user_agent "
    "FROM sessions WHERE id = ?1";
constexpr char kDeleteExpiredSession[] = "DELETE FROM sessions WHERE id = ?1 AND expires_ms <= ?2";
constexpr char kTouchSession[] =
    "UPDATE sessions SET last_seen_ms = ?2, expires_ms = ?3 WHERE id = ?1 AND expires_ms > ?2";
constexpr char kDeleteSession[] = "DELETE FROM sessions WHERE id = ?1";
constexpr char kDeleteUserSessions[] = "DELETE FROM sessions WHERE user_id = ?1";
constexpr char kCountActiveSessions[] = "SELECT COUNT(*) FROM sessions WHERE last_seen_ms >= ?1";

constexpr char kInsertFavorite[] = R"sql(
INSERT INTO favorites (user_id, board, item_key, title, url, added_ms)
VALUES (?1, ?2, ?3, ?4, ?5, ?6)
ON CONFLICT (user_id, board, item_key) DO NOTHING)sql";
constexpr char kCountFavorites[] = "SELECT COUNT(*) FROM favorites WHERE user_id = ?1";
constexpr char kHasFavorite[] =
    "SELECT COUNT(*) FROM favorites WHERE user_id = ?1 AND board = ?2 AND item_key = ?3";
constexpr char kDeleteFavorite[] =
    "DELETE FROM favorites WHERE user_id = ?1 AND board = ?2 AND item_key = ?3";
constexpr char kSelectFavorites[] = R"sql(
SELECT user_id, board, item_key, title, url, added_ms FROM favorites
WHERE user_id = ?1 AND LOWER(title) LIKE ?2 ESCAPE '\' AND (?3 = '' OR board = ?3)
ORDER BY added_ms DESC, board, item_key LIMIT ?4 OFFSET ?5)sql";
constexpr char kSelectFavoriteKeys[] =
    "SELECT item_key FROM favorites WHERE user_id = ?1 AND board = ?2 ORDER BY item_key";

constexpr char kSelectPreferencesVersion[] =
    "SELECT COALESCE((SELECT version FROM preferences WHERE user_id = ?1), 0)";
constexpr char kUpsertPreferences[] =
    "INSERT INTO preferences (user_id, version, body, updated_ms) VALUES (?1, ?2, ?3, ?4) "
    "ON CONFLICT (user_id) DO UPDATE SET version = excluded.version, body = excluded.body, "
    "updated_ms = excluded.updated_ms";
constexpr char kSelectPreferences[] =
    "SELECT user_id, version, body, updated_ms FROM preferences WHERE user_id = ?1";

constexpr char kNextAuditId[] = "SELECT COALESCE(MAX(id), 0) + 1 FROM audit_log";
constexpr char kInsertAudit[] =
    "INSERT INTO audit_log (id, at_ms, actor, action, target, detail) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
constexpr char kSelectAudit[] =
    "SELECT id, at_ms, actor, action, target, detail FROM audit_log "
    "WHERE (?2 <= 0 OR id < ?2) ORDER BY id DESC LIMIT ?1";

constexpr char kInsertLoginState[] =
    "INSERT INTO login_states (state_hash, code_verifier, return_to, expires_ms, client) "
    "VALUES (?1, ?2, ?3, ?4, ?5)";
// The caps of LoginStateLimits: every row of the client (or of the table) but the newest
// ?3 (?2) others and the new row ?2 (?1) goes. LIMIT -1 is SQLite's "no limit".
constexpr char kEvictClientLoginStates[] =
    "DELETE FROM login_states WHERE state_hash IN (SELECT state_hash FROM login_states "
    "WHERE client = ?1 AND state_hash <> ?2 ORDER BY expires_ms DESC LIMIT -1 OFFSET ?3)";
constexpr char kEvictLoginStates[] =
    "DELETE FROM login_states WHERE state_hash IN (SELECT state_hash FROM login_states "
    "WHERE state_hash <> ?1 ORDER BY expires_ms DESC LIMIT -1 OFFSET ?2)";
constexpr char kCountLoginStates[] = "SELECT COUNT(*) FROM login_states";
// At most this many expired rows go per call, so one call's work stays bounded even after a
// flood of sign-ins nobody finished (each put adds one row and purges up to this many).
#define MU_LOGIN_STATE_PURGE_BATCH "500"
constexpr char kPurgeLoginStates[] =
    "DELETE FROM login_states WHERE state_hash IN (SELECT state_hash FROM login_states "
    "WHERE expires_ms <= ?1 ORDER BY expires_ms LIMIT " MU_LOGIN_STATE_PURGE_BATCH ")";
constexpr char kTakeLoginState[] =
    "DELETE FROM login_states WHERE state_hash = ?1 "
    "RETURNING state_hash, code_verifier, return_to, expires_ms";

constexpr char kUpsertPresence[] =
    "INSERT INTO presence (instance, readers, updated_ms) VALUES (?1, ?2, ?3) "
    "ON CONFLICT (instance) DO UPDATE SET readers = excluded.readers, "
    "updated_ms = excluded.updated_ms";
constexpr char kCountPresence[] =
    "SELECT COALESCE(SUM(readers), 0) FROM presence WHERE updated_ms >= ?1";

Status status_of(const Status& status) { return status; }
template <typename T>
Status status_of(const Result<T>& result) {
  return result.status();
}

User read_user(const Statement& stmt) {
  User user;
  user.id = stmt.column_int(0);
  user.provider = stmt.column_text(1);
  user.provider_id = stmt.column_text(2);
  user.login = stmt.column_text(3);
  user.name = stmt.column_text(4);
  user.avatar_url = stmt.column_text(5);
  user.role = stmt.column_text(6);
  user.created_ms = stmt.column_int(7);
  user.last_login_ms = stmt.column_int(8);
  return user;
}

// The single user `stmt` (already bound) selects, if any.
Result<std::optional<User>> one_user(Statement& stmt) {
  MU_ASSIGN_OR_RETURN(bool row, stmt.step());
  if (!row) {
    return std::optional<User>();
  }
  return std::optional<User>(read_user(stmt));
}

Status unknown_user(int64_t user_id) {
  return error(ErrorCode::kNotFound, "unknown user " + std::to_string(user_id));
}

// kNotFound unless the user exists.
Status check_user_exists(SqliteConnection& db, int64_t user_id) {
  MU_ASSIGN_OR_RETURN(Statement stmt, db.prepare(kCountUser));
  stmt.bind_int(1, user_id);
  MU_ASSIGN_OR_RETURN(bool row, stmt.step());
  if (!row || stmt.column_int(0) == 0) {
    return unknown_user(user_id);
  }
  return ok_status();
}

Result<int64_t> changes(SqliteConnection& db) { return query_int(db, kChanges); }

}  // namespace

template <typename Op>
auto SqliteStore::write(const std::string& context, Op&& op)
    -> decltype(op(std::declval<SqliteConnection&>())) {
  using Out = decltype(op(std::declval<SqliteConnection&>()));
  std::lock_guard lock(write_mu_);
  Out result = op(*writer_);
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
  Out result = op(lease->conn());
  if (!result.ok()) {
    return Out(status_of(result).with_context(context));
  }
  return result;
}

Result<User> SqliteStore::upsert_user(const std::string& provider, const std::string& provider_id,
                                      const std::string& login, const std::string& name,
                                      const std::string& avatar_url, int64_t now_ms) {
  const std::string context = "upsert_user " + provider + ":" + provider_id;
  if (provider.empty() || provider_id.empty() || login.empty()) {
    return invalid(context + ": provider, provider id and login must not be empty");
  }
  return write(context, [&](SqliteConnection& db) -> Result<User> {
    Transaction txn(db);
    MU_RETURN_IF_ERROR(txn.begin(/*immediate=*/true));
    {
      MU_ASSIGN_OR_RETURN(Statement stmt, db.prepare(kUpsertUser));
      stmt.bind_text(1, provider)
          .bind_text(2, provider_id)
          .bind_text(3, login)
          .bind_text(4, name)
          .bind_text(5, avatar_url)
          .bind_int(6, now_ms);
      MU_RETURN_IF_ERROR(stmt.run());
    }
    std::optional<User> user;
    {
      MU_ASSIGN_OR_RETURN(Statement stmt, db.prepare(kSelectUserByKey));
      stmt.bind_text(1, provider).bind_text(2, provider_id);
      MU_ASSIGN_OR_RETURN(user, one_user(stmt));
    }
    if (!user) {
      return error(ErrorCode::kInternal, "the upserted user is missing");
    }
    MU_RETURN_IF_ERROR(txn.commit());
    return *std::move(user);
  });
}

Result<std::optional<User>> SqliteStore::user_by_id(int64_t id) {
  return read("user_by_id", [&](SqliteConnection& db) -> Result<std::optional<User>> {
    MU_ASSIGN_OR_RETURN(Statement stmt, db.prepare(kSelectUserById));
    stmt.bind_int(1, id);
    return one_user(stmt);
  });
}

Result<std::optional<User>> SqliteStore::user_by_login(const std::string& login) {
  return read("user_by_login", [&](SqliteConnection& db) -> Result<std::optional<User>> {
    MU_ASSIGN_OR_RETURN(Statement stmt, db.prepare(kSelectUserByLogin));
    stmt.bind_text(1, login);
    return one_user(stmt);
  });
}

Status SqliteStore::set_role(int64_t user_id, const std::string& role) {
  const std::string context = "set_role " + std::to_string(user_id);
  if (role != kRoleUser && role != kRoleAdmin) {
    return invalid(context + ": unknown role '" + role + "'");
  }
  return write(context, [&](SqliteConnection& db) -> Status {
    Transaction txn(db);
    MU_RETURN_IF_ERROR(txn.begin(/*immediate=*/true));
    {
      MU_ASSIGN_OR_RETURN(Statement stmt, db.prepare(kSetRole));
      MU_RETURN_IF_ERROR(stmt.bind_int(1, user_id).bind_text(2, role).run());
    }
    MU_ASSIGN_OR_RETURN(int64_t changed, changes(db));
    if (changed == 0) {
      return error(ErrorCode::kNotFound, "no user with id " + std::to_string(user_id));
    }
    return txn.commit();
  });
}

Result<int64_t> SqliteStore::count_admins() {
  return read("count_admins",
              [&](SqliteConnection& db) -> Result<int64_t> { return query_int(db, kCountAdmins); });
}

Result<std::vector<User>> SqliteStore::list_users() {
  return read("list_users", [&](SqliteConnection& db) -> Result<std::vector<User>> {
    MU_ASSIGN_OR_RETURN(Statement stmt, db.prepare(kSelectUsers));
    std::vector<User> out;
    while (true) {
      MU_ASSIGN_OR_RETURN(bool row, stmt.step());
      if (!row) break;
      out.push_back(read_user(stmt));
    }
    return out;
  });
}

Status SqliteStore::create_session(const std::string& id_hash, int64_t user_id,
                                   const std::string& csrf_token, int64_t now_ms,
                                   int64_t expires_ms, const std::string& user_agent) {
  if (id_hash.empty() || csrf_token.empty()) {
    return invalid("create_session: empty session id or CSRF token");
  }
  return write("create_session", [&](SqliteConnection& db) -> Status {
    Transaction txn(db);
    MU_RETURN_IF_ERROR(txn.begin(/*immediate=*/true));
    MU_RETURN_IF_ERROR(check_user_exists(db, user_id));
    {
      MU_ASSIGN_OR_RETURN(Statement stmt, db.prepare(kInsertSession));
      stmt.bind_text(1, id_hash)
          .bind_int(2, user_id)
          .bind_text(3, csrf_token)
          .bind_int(4, now_ms)
          .bind_int(5, expires_ms)
          .bind_text(6, user_agent);
      MU_RETURN_IF_ERROR(stmt.run());
    }
    return txn.commit();
  });
}

Result<std::optional<Session>> SqliteStore::session(const std::string& id_hash, int64_t now_ms) {
  auto found = read("session", [&](SqliteConnection& db) -> Result<std::optional<Session>> {
    MU_ASSIGN_OR_RETURN(Statement stmt, db.prepare(kSelectSession));
    stmt.bind_text(1, id_hash);
    MU_ASSIGN_OR_RETURN(bool row, stmt.step());
    if (!row) {
      return std::optional<Session>();
    }
    Session session;
    session.id_hash = stmt.column_text(0);
    session.user_id = stmt.column_int(1);
    session.csrf_token = stmt.column_text(2);
    session.created_ms = stmt.column_int(3);
    session.last_seen_ms = stmt.column_int(4);
    session.expires_ms = stmt.column_int(5);
    session.user_agent = stmt.column_text(6);
    return std::optional<Session>(std::move(session));
  });
  if (!found.ok() || !found->has_value() || (*found)->expires_ms > now_ms) {
    return found;
  }
  // Expired: delete it lazily (only if it is still expired; a touch may have won).
  MU_RETURN_IF_ERROR(write("session", [&](SqliteConnection& db) -> Status {
    MU_ASSIGN_OR_RETURN(Statement stmt, db.prepare(kDeleteExpiredSession));
    return stmt.bind_text(1, id_hash).bind_int(2, now_ms).run();
  }));
  return std::optional<Session>();
}

Status SqliteStore::touch_session(const std::string& id_hash, int64_t now_ms,
                                  int64_t new_expires_ms) {
  return write("touch_session", [&](SqliteConnection& db) -> Status {
    Transaction txn(db);
    MU_RETURN_IF_ERROR(txn.begin(/*immediate=*/true));
    {
      MU_ASSIGN_OR_RETURN(Statement stmt, db.prepare(kTouchSession));
      MU_RETURN_IF_ERROR(
          stmt.bind_text(1, id_hash).bind_int(2, now_ms).bind_int(3, new_expires_ms).run());
    }
    MU_ASSIGN_OR_RETURN(int64_t changed, changes(db));
    if (changed == 0) {
      return error(ErrorCode::kNotFound, "no live session with that id");
    }
    return txn.commit();
  });
}

Status SqliteStore::delete_session(const std::string& id_hash) {
  return write("delete_session", [&](SqliteConnection& db) -> Status {
    MU_ASSIGN_OR_RETURN(Statement stmt, db.prepare(kDeleteSession));
    return stmt.bind_text(1, id_hash).run();
  });
}

Result<int64_t> SqliteStore::delete_user_sessions(int64_t user_id) {
  return write("delete_user_sessions", [&](SqliteConnection& db) -> Result<int64_t> {
    Transaction txn(db);
    MU_RETURN_IF_ERROR(txn.begin(/*immediate=*/true));
    {
      MU_ASSIGN_OR_RETURN(Statement stmt, db.prepare(kDeleteUserSessions));
      MU_RETURN_IF_ERROR(stmt.bind_int(1, user_id).run());
    }
    MU_ASSIGN_OR_RETURN(int64_t deleted, changes(db));
    MU_RETURN_IF_ERROR(txn.commit());
    return deleted;
  });
}

Result<int64_t> SqliteStore::count_active_sessions(int64_t since_ms) {
  return read("count_active_sessions", [&](SqliteConnection& db) -> Result<int64_t> {
    MU_ASSIGN_OR_RETURN(Statement stmt, db.prepare(kCountActiveSessions));
    stmt.bind_int(1, since_ms);
    MU_ASSIGN_OR_RETURN(bool row, stmt.step());
    return row ? stmt.column_int(0) : int64_t{0};
  });
}

Result<bool> SqliteStore::add_favorite(const Favorite& favorite, int64_t max_per_user) {
  if (favorite.board.empty() || favorite.item_key.empty()) {
    return invalid("add_favorite: empty board or item key");
  }
  if (max_per_user < 0) return invalid("add_favorite: negative cap");
  return write("add_favorite", [&](SqliteConnection& db) -> Result<bool> {
    Transaction txn(db);
    MU_RETURN_IF_ERROR(txn.begin(/*immediate=*/true));
    MU_RETURN_IF_ERROR(check_user_exists(db, favorite.user_id));
    if (max_per_user > 0) {
      int64_t count = 0;
      int64_t known = 0;
      {
        MU_ASSIGN_OR_RETURN(Statement stmt, db.prepare(kCountFavorites));
        stmt.bind_int(1, favorite.user_id);
        MU_ASSIGN_OR_RETURN(bool row, stmt.step());
        if (row) count = stmt.column_int(0);
      }
      {
        MU_ASSIGN_OR_RETURN(Statement stmt, db.prepare(kHasFavorite));
        stmt.bind_int(1, favorite.user_id)
            .bind_text(2, favorite.board)
            .bind_text(3, favorite.item_key);
        MU_ASSIGN_OR_RETURN(bool row, stmt.step());
        if (row) known = stmt.column_int(0);
      }
      if (known == 0 && count >= max_per_user) return favorites_full(max_per_user);
    }
    {
      MU_ASSIGN_OR_RETURN(Statement stmt, db.prepare(kInsertFavorite));
      stmt.bind_int(1, favorite.user_id)
          .bind_text(2, favorite.board)
          .bind_text(3, favorite.item_key)
          .bind_text(4, favorite.title)
          .bind_text(5, favorite.url)
          .bind_int(6, favorite.added_ms);
      MU_RETURN_IF_ERROR(stmt.run());
    }
    MU_ASSIGN_OR_RETURN(int64_t added, changes(db));
    MU_RETURN_IF_ERROR(txn.commit());
    return added > 0;
  });
}

Result<bool> SqliteStore::remove_favorite(int64_t user_id, const std::string& board,
                                          const std::string& item_key) {
  return write("remove_favorite", [&](SqliteConnection& db) -> Result<bool> {
    Transaction txn(db);
    MU_RETURN_IF_ERROR(txn.begin(/*immediate=*/true));
    {
      MU_ASSIGN_OR_RETURN(Statement stmt, db.prepare(kDeleteFavorite));
      MU_RETURN_IF_ERROR(
          stmt.bind_int(1, user_id).bind_text(2, board).bind_text(3, item_key).run());
    }
    MU_ASSIGN_OR_RETURN(int64_t removed, changes(db));
    MU_RETURN_IF_ERROR(txn.commit());
    return removed > 0;
  });
}

Result<std::vector<Favorite>> SqliteStore::favorites(int64_t user_id, const FavoriteQuery& query) {
  if (query.limit < 0 || query.offset < 0) {
    return invalid("favorites: negative limit or offset");
  }
  const std::string pattern = like_pattern(query.text);
  return read("favorites", [&](SqliteConnection& db) -> Result<std::vector<Favorite>> {
    MU_ASSIGN_OR_RETURN(Statement stmt, db.prepare(kSelectFavorites));
    stmt.bind_int(1, user_id)
        .bind_text(2, pattern)
        .bind_text(3, query.board)
        .bind_int(4, query.limit)
        .bind_int(5, query.offset);
    std::vector<Favorite> out;
    while (true) {
      MU_ASSIGN_OR_RETURN(bool row, stmt.step());
      if (!row) break;
      Favorite& favorite = out.emplace_back();
      favorite.user_id = stmt.column_int(0);
      favorite.board = stmt.column_text(1);
      favorite.item_key = stmt.column_text(2);
      favorite.title = stmt.column_text(3);
      favorite.url = stmt.column_text(4);
      favorite.added_ms = stmt.column_int(5);
    }
    return out;
  });
}

Result<std::vector<std::string>> SqliteStore::favorite_keys(int64_t user_id,
                                                            const std::string& board) {
  return read("favorite_keys", [&](SqliteConnection& db) -> Result<std::vector<std::string>> {
    MU_ASSIGN_OR_RETURN(Statement stmt, db.prepare(kSelectFavoriteKeys));
    stmt.bind_int(1, user_id).bind_text(2, board);
    std::vector<std::string> out;
    while (true) {
      MU_ASSIGN_OR_RETURN(bool row, stmt.step());
      if (!row) break;
      out.push_back(stmt.column_text(0));
    }
    return out;
  });
}

Result<int64_t> SqliteStore::put_preferences(int64_t user_id, int64_t expected_version,
                                             const std::string& body, int64_t now_ms) {
  return write("put_preferences", [&](SqliteConnection& db) -> Result<int64_t> {
    Transaction txn(db);
    MU_RETURN_IF_ERROR(txn.begin(/*immediate=*/true));
    MU_RETURN_IF_ERROR(check_user_exists(db, user_id));
    int64_t current = 0;
    {
      MU_ASSIGN_OR_RETURN(Statement stmt, db.prepare(kSelectPreferencesVersion));
      stmt.bind_int(1, user_id);
      MU_ASSIGN_OR_RETURN(bool row, stmt.step());
      if (row) current = stmt.column_int(0);
    }
    if (current != expected_version) {
      return error(ErrorCode::kConflict, "preferences of user " + std::to_string(user_id) +
                                             " are at version " + std::to_string(current) +
                                             ", not " + std::to_string(expected_version));
    }
    {
      MU_ASSIGN_OR_RETURN(Statement stmt, db.prepare(kUpsertPreferences));
      stmt.bind_int(1, user_id).bind_int(2, current + 1).bind_text(3, body).bind_int(4, now_ms);
      MU_RETURN_IF_ERROR(stmt.run());
    }
    MU_RETURN_IF_ERROR(txn.commit());
    return current + 1;
  });
}

Result<std::optional<PreferencesRecord>> SqliteStore::preferences(int64_t user_id) {
  return read("preferences", [&](SqliteConnection& db) -> Result<std::optional<PreferencesRecord>> {
    MU_ASSIGN_OR_RETURN(Statement stmt, db.prepare(kSelectPreferences));
    stmt.bind_int(1, user_id);
    MU_ASSIGN_OR_RETURN(bool row, stmt.step());
    if (!row) {
      return std::optional<PreferencesRecord>();
    }
    return std::optional<PreferencesRecord>(PreferencesRecord{
        stmt.column_int(0), stmt.column_int(1), stmt.column_text(2), stmt.column_int(3)});
  });
}

Result<int64_t> SqliteStore::append_audit(const AuditRecord& record) {
  if (record.action.empty()) {
    return invalid("append_audit: empty action");
  }
  return write("append_audit", [&](SqliteConnection& db) -> Result<int64_t> {
    Transaction txn(db);
    MU_RETURN_IF_ERROR(txn.begin(/*immediate=*/true));
    MU_ASSIGN_OR_RETURN(int64_t id, query_int(db, kNextAuditId));
    {
      MU_ASSIGN_OR_RETURN(Statement stmt, db.prepare(kInsertAudit));
      stmt.bind_int(1, id)
          .bind_int(2, record.at_ms)
          .bind_text(3, record.actor)
          .bind_text(4, record.action)
          .bind_text(5, record.target)
          .bind_text(6, record.detail.empty() ? std::string_view("{}") : record.detail);
      MU_RETURN_IF_ERROR(stmt.run());
    }
    MU_RETURN_IF_ERROR(txn.commit());
    return id;
  });
}

Result<std::vector<AuditRecord>> SqliteStore::audit_log(int limit, int64_t before_id) {
  if (limit < 0) {
    return invalid("audit_log: negative limit " + std::to_string(limit));
  }
  return read("audit_log", [&](SqliteConnection& db) -> Result<std::vector<AuditRecord>> {
    MU_ASSIGN_OR_RETURN(Statement stmt, db.prepare(kSelectAudit));
    stmt.bind_int(1, limit).bind_int(2, before_id);
    std::vector<AuditRecord> out;
    while (true) {
      MU_ASSIGN_OR_RETURN(bool row, stmt.step());
      if (!row) break;
      out.push_back(AuditRecord{stmt.column_int(0), stmt.column_int(1), stmt.column_text(2),
                                stmt.column_text(3), stmt.column_text(4), stmt.column_text(5)});
    }
    return out;
  });
}

Status SqliteStore::put_login_state(const std::string& state_hash, const std::string& code_verifier,
                                    const std::string& return_to, int64_t expires_ms,
                                    const LoginStateLimits& limits) {
  if (state_hash.empty() || code_verifier.empty()) {
    return invalid("put_login_state: empty state hash or code verifier");
  }
  if (limits.per_client < 0 || limits.total < 0) {
    return invalid("put_login_state: negative cap");
  }
  return write("put_login_state", [&](SqliteConnection& db) -> Status {
    Transaction txn(db);
    MU_RETURN_IF_ERROR(txn.begin(/*immediate=*/true));
    {
      MU_ASSIGN_OR_RETURN(Statement stmt, db.prepare(kPurgeLoginStates));
      MU_RETURN_IF_ERROR(stmt.bind_int(1, login_state_purge_before(expires_ms)).run());
    }
    {
      MU_ASSIGN_OR_RETURN(Statement stmt, db.prepare(kInsertLoginState));
      stmt.bind_text(1, state_hash)
          .bind_text(2, code_verifier)
          .bind_text(3, return_to)
          .bind_int(4, expires_ms)
          .bind_text(5, limits.client);
      MU_RETURN_IF_ERROR(stmt.run());
    }
    if (limits.per_client > 0) {
      MU_ASSIGN_OR_RETURN(Statement stmt, db.prepare(kEvictClientLoginStates));
      MU_RETURN_IF_ERROR(stmt.bind_text(1, limits.client)
                             .bind_text(2, state_hash)
                             .bind_int(3, limits.per_client - 1)
                             .run());
    }
    if (limits.total > 0) {
      MU_ASSIGN_OR_RETURN(Statement stmt, db.prepare(kEvictLoginStates));
      MU_RETURN_IF_ERROR(stmt.bind_text(1, state_hash).bind_int(2, limits.total - 1).run());
    }
    return txn.commit();
  });
}

Result<std::optional<LoginStateRecord>> SqliteStore::take_login_state(const std::string& state_hash,
                                                                      int64_t now_ms) {
  if (state_hash.empty()) {
    return invalid("take_login_state: empty state hash");
  }
  // The DELETE takes the row under the write lock, so a concurrent take (another thread or
  // process) finds it gone.
  auto take = [&](SqliteConnection& db) -> Result<std::optional<LoginStateRecord>> {
    Transaction txn(db);
    MU_RETURN_IF_ERROR(txn.begin(/*immediate=*/true));
    std::optional<LoginStateRecord> taken;
    {
      MU_ASSIGN_OR_RETURN(Statement stmt, db.prepare(kTakeLoginState));
      stmt.bind_text(1, state_hash);
      MU_ASSIGN_OR_RETURN(bool row, stmt.step());
      if (row) {
        taken = LoginStateRecord{stmt.column_text(0), stmt.column_text(1), stmt.column_text(2),
                                 stmt.column_int(3)};
        MU_RETURN_IF_ERROR(stmt.run());  // to the end: at most one row
      }
    }
    {
      MU_ASSIGN_OR_RETURN(Statement stmt, db.prepare(kPurgeLoginStates));
      MU_RETURN_IF_ERROR(stmt.bind_int(1, now_ms).run());
    }
    MU_RETURN_IF_ERROR(txn.commit());
    if (taken && taken->expires_ms <= now_ms) {
      taken.reset();  // expired: deleted, reported as absent
    }
    return taken;
  };
  return write("take_login_state", take);
}

Result<int64_t> SqliteStore::count_login_states() {
  return read("count_login_states", [&](SqliteConnection& db) -> Result<int64_t> {
    return query_int(db, kCountLoginStates);
  });
}

Status SqliteStore::put_presence(const std::string& instance, int64_t readers, int64_t now_ms) {
  if (instance.empty() || readers < 0) {
    return invalid("put_presence: empty instance or negative reader count");
  }
  return write("put_presence", [&](SqliteConnection& db) -> Status {
    MU_ASSIGN_OR_RETURN(Statement stmt, db.prepare(kUpsertPresence));
    return stmt.bind_text(1, instance).bind_int(2, readers).bind_int(3, now_ms).run();
  });
}

Result<int64_t> SqliteStore::count_presence(int64_t since_ms) {
  return read("count_presence", [&](SqliteConnection& db) -> Result<int64_t> {
    MU_ASSIGN_OR_RETURN(Statement stmt, db.prepare(kCountPresence));
    stmt.bind_int(1, since_ms);
    MU_ASSIGN_OR_RETURN(bool row, stmt.step());
    return row ? stmt.column_int(0) : int64_t{0};
  });
}

}  // namespace mu
