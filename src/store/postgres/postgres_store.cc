#include "store/postgres/postgres_store.h"

#include <atomic>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/json.hpp>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <mutex>
#include <optional>
#include <string_view>
#include <type_traits>
#include <unordered_set>
#include <utility>
#include <vector>

#include "core/search_text.h"
#include "store/history_math.h"
#include "store/migrations.h"
#include "store/postgres/pg_connection.h"
#include "store/sql_rows.h"
#include "store/sql_statements.h"
#include "store/store_checks.h"
#include "store/store_codec.h"

namespace mu {
namespace {

using pg::Params;
using pg::PgConnection;
using pg::PgResult;
using pg::Transaction;

// --- SQL ------------------------------------------------------------------------------
// The statements are store/sql_statements.h, shared with SqliteStore; below only what is
// PostgreSQL's own. Fixed statements are prepared once per connection, keyed by their
// text. Values always travel as parameters ($1, $2, ...).

// Advisory lock keys (any constant 64-bit numbers, unique within the database): migrate,
// sync_catalogue, and the accounts writers whose ids are MAX(id) + 1.
constexpr int64_t kMigrateLockKey = 0x6d755f6d69677261;    // "mu_migra"
constexpr int64_t kCatalogueLockKey = 0x6d755f636174616c;  // "mu_catal"
constexpr int64_t kUsersLockKey = 0x6d755f7573657273;      // "mu_users"
constexpr int64_t kAuditLockKey = 0x6d755f6175646974;      // "mu_audit"
constexpr int64_t kAlertsLockKey = 0x6d755f616c657274;     // "mu_alert"
constexpr char kAdvisoryXactLock[] = "SELECT pg_advisory_xact_lock($1::bigint)";

constexpr char kBeginSnapshotRead[] = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";

// Rows per multi-row statement (sql::RowInsert): well under PostgreSQL's 65535 parameters.
constexpr size_t kRowsPerStatement = 250;

// --- helpers --------------------------------------------------------------------------

Status invalid(std::string message) { return error(ErrorCode::kInvalid, std::move(message)); }

Status unknown_board(const std::string& board) {
  return error(ErrorCode::kNotFound, "unknown board '" + pg::make_storable_text(board) + "'");
}

// kInvalid unless PostgreSQL text can hold `value`.
Status check_text(std::string_view value, std::string_view what) {
  if (pg::is_storable_text(value)) {
    return ok_status();
  }
  return invalid(std::string(what) +
                 " has a NUL byte or invalid UTF-8, which PostgreSQL text cannot hold");
}

// A commit's items, checked and with `extra` encoded, ready to bind.
struct PreparedItem {
  const Item* item = nullptr;
  std::optional<std::string> extra;
};

// Keys were checked by check_commit; here the text PostgreSQL must be able to hold.
Result<std::vector<PreparedItem>> prepare_items(const std::vector<Item>& items) {
  std::vector<PreparedItem> out;
  out.reserve(items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    const Item& item = items[i];
    const std::string at = "item at rank " + std::to_string(i + 1);
    const std::pair<std::string_view, const std::string*> fields[] = {
        {"key", &item.key},           {"title", &item.title},
        {"url", &item.url},           {"mobile_url", &item.mobile_url},
        {"summary", &item.summary},   {"image", &item.image},
        {"hot_text", &item.hot_text}, {"label", &item.label},
        {"author", &item.author}};
    for (const auto& [field, value] : fields) {
      MU_RETURN_IF_ERROR(check_text(*value, at + " " + std::string(field)));
    }
    for (const auto& [name, value] : item.extra) {
      MU_RETURN_IF_ERROR(check_text(name, at + " extra name"));
      MU_RETURN_IF_ERROR(check_text(value, at + " extra value"));
    }
    MU_ASSIGN_OR_RETURN(std::optional<std::string> extra, extra_to_json(item.extra));
    out.push_back(PreparedItem{&item, std::move(extra)});
  }
  return out;
}

// Runs a shared statement (store/sql_statements.h) in its PostgreSQL spelling.
Result<PgResult> run_query(PgConnection& db, const sql::Statement& statement,
                           const Params& params = {}) {
  return db.query(statement.postgres, params);
}

// The same, planned for these parameter values each time (an unnamed statement): for
// searches, whose best plan depends on how common the words are. A cached generic plan
// walks the id index for every query, which for a rare word reads every row.
Result<PgResult> run_custom_planned(PgConnection& db, const sql::Statement& statement,
                                    const Params& params) {
  return db.query_uncached(std::string(statement.postgres), params);
}

// The integer in the first column of the statement's first row.
Result<int64_t> query_int(PgConnection& db, const sql::Statement& statement,
                          const Params& params = {}) {
  MU_ASSIGN_OR_RETURN(PgResult result, run_query(db, statement, params));
  if (result.rows() < 1) {
    return error(ErrorCode::kInternal,
                 "postgres: no row from `" + std::string(statement.postgres) + "`");
  }
  return result.int64(0, 0);
}

// One row of a result, as the shared decoders (store/sql_rows.h) read it.
class Row {
 public:
  Row(const PgResult& result, int row) : result_(result), row_(row) {}
  int64_t int64(int column) const { return result_.int64(row_, column); }
  std::string text(int column) const { return std::string(result_.text(row_, column)); }
  bool is_null(int column) const { return result_.is_null(row_, column); }
  std::optional<int64_t> optional_int64(int column) const {
    return result_.optional_int64(row_, column);
  }
  std::optional<double> optional_double(int column) const {
    return result_.optional_double(row_, column);
  }

 private:
  const PgResult& result_;
  int row_;
};

// Every row of `result`, decoded by `decode(Row)`.
template <typename Decode>
auto all_rows(const PgResult& result, Decode&& decode) {
  std::vector<decltype(decode(Row(result, 0)))> out;
  out.reserve(static_cast<size_t>(result.rows()));
  for (int row = 0; row < result.rows(); ++row) {
    out.push_back(decode(Row(result, row)));
  }
  return out;
}

// Takes the fence row lock (serializing every snapshot and run writer); kFenced when
// `epoch` is below the fence, otherwise raises the fence to `epoch`.
Status check_and_raise_fence(PgConnection& db, int64_t epoch) {
  MU_ASSIGN_OR_RETURN(int64_t fence, query_int(db, sql::kLockFence));
  if (epoch < fence) {
    return error(ErrorCode::kFenced, "epoch " + std::to_string(epoch) +
                                         " is below the store's fence epoch " +
                                         std::to_string(fence));
  }
  if (epoch > fence) {
    MU_RETURN_IF_ERROR(run_query(db, sql::kSetFence, Params().add_int(epoch)).status());
  }
  return ok_status();
}

// kConflict when `dispatch_id` already has a snapshot.
Status check_not_committed(PgConnection& db, const std::string& dispatch_id) {
  MU_ASSIGN_OR_RETURN(PgResult result, run_query(db, sql::kSelectSnapshotByDispatch,
                                                 Params().add_text(dispatch_id)));
  if (result.rows() > 0) {
    return error(ErrorCode::kConflict, "dispatch '" + dispatch_id +
                                           "' was already committed as snapshot " +
                                           std::to_string(result.int64(0, 0)));
  }
  return ok_status();
}

// kNotFound unless `board` exists and is not retired. `statement` selects the retired flag
// (and may lock the row).
Status check_board_active(PgConnection& db, const std::string& board,
                          const sql::Statement& statement = sql::kSelectBoardRetired) {
  MU_ASSIGN_OR_RETURN(PgResult result, run_query(db, statement, Params().add_text(board)));
  if (result.rows() == 0 || result.int64(0, 0) != 0) {
    return unknown_board(board);
  }
  return ok_status();
}

Status insert_run(PgConnection& db, const std::string& dispatch_id, const std::string& board,
                  int64_t slot, int64_t epoch, std::string_view status,
                  std::string_view error_message, const RunStats& stats) {
  Params params;
  params.add_text(dispatch_id)
      .add_int(stats.attempt)
      .add_text(board)
      .add_int(slot)
      .add_int(epoch)
      .add_text(status)
      .add_text(error_message)
      .add_int(stats.started_ms)
      .add_int(stats.finished_ms)
      .add_int(stats.http_status)
      .add_int(stats.bytes)
      .add_int(stats.item_count)
      .add_text(stats.collector);
  return run_query(db, sql::kInsertRun, params).status();
}

Status insert_items(PgConnection& db, int64_t snapshot_id, const std::vector<PreparedItem>& items) {
  for (size_t start = 0; start < items.size(); start += kRowsPerStatement) {
    const size_t count = std::min(kRowsPerStatement, items.size() - start);
    Params rows;
    for (size_t i = start; i < start + count; ++i) {
      const Item& item = *items[i].item;
      const auto rank = static_cast<int64_t>(i + 1);
      rows.add_int(snapshot_id)
          .add_int(rank)
          .add_text(item.key)
          .add_text(item.title)
          .add_text(item.url)
          .add_text(item.mobile_url)
          .add_text(item.summary)
          .add_text(item.image)
          .add_optional_double(item.hot)
          .add_text(item.hot_text)
          .add_text(item.label)
          .add_text(item.author)
          .add_optional_int(item.published_at_ms);
      if (items[i].extra) {
        rows.add_text(*items[i].extra);
      } else {
        rows.add_null();
      }
    }
    MU_RETURN_IF_ERROR(
        db.query_uncached(
              sql::row_insert_sql(sql::kInsertSnapshotItems, count, sql::Dialect::kPostgres), rows)
            .status());
  }
  return ok_status();
}

// The rows plan_commit needs, in one round trip: the board's current items and the rows of
// the commit's keys.
Result<std::vector<history::StoredItem>> stored_items(PgConnection& db, const std::string& board,
                                                      const std::vector<Item>& items) {
  Params params;
  params.add_text(board);
  PgResult result(nullptr);
  if (items.empty()) {
    MU_ASSIGN_OR_RETURN(result, run_query(db, sql::kSelectCurrentItems, params));
  } else {
    std::string text(sql::kSelectKnownItemsHead);
    for (size_t i = 0; i < items.size(); ++i) {
      text += i == 0 ? "$" : ", $";
      text += std::to_string(i + 2);
      params.add_text(items[i].key);
    }
    text += "))";
    MU_ASSIGN_OR_RETURN(result, db.query_uncached(text, params));
  }
  return all_rows(result, [](const Row& row) { return sql::stored_item_from(row); });
}

// The history half of a commit (store/history.h): rows and their search entries in
// multi-row upserts, points in multi-row inserts, exits one statement each.
Status write_history(PgConnection& db, const std::string& board, const std::vector<Item>& items,
                     int64_t now_ms, bool record) {
  MU_ASSIGN_OR_RETURN(std::vector<history::StoredItem> stored, stored_items(db, board, items));
  const history::CommitPlan plan = history::plan_commit(stored, items, now_ms);
  int64_t next_id = 0;
  std::vector<int64_t> ids(plan.items.size());
  for (size_t i = 0; i < plan.items.size(); ++i) {
    ids[i] = plan.items[i].id;
    if (ids[i] == 0) {
      if (next_id == 0) {
        MU_ASSIGN_OR_RETURN(next_id, query_int(db, sql::kNextItemId));
      }
      ids[i] = next_id++;
    }
  }
  Params points;
  size_t point_rows = 0;
  auto flush_points = [&]() -> Status {
    if (point_rows == 0) {
      return ok_status();
    }
    MU_RETURN_IF_ERROR(db.query_uncached(sql::row_insert_sql(sql::kInsertItemPoints, point_rows,
                                                             sql::Dialect::kPostgres),
                                         points)
                           .status());
    points = Params();
    point_rows = 0;
    return ok_status();
  };
  auto add_point = [&](int64_t id, int64_t rank, const std::optional<double>& hot) -> Status {
    points.add_int(id).add_int(now_ms).add_int(rank).add_optional_double(hot);
    if (++point_rows == kRowsPerStatement) {
      return flush_points();
    }
    return ok_status();
  };
  for (size_t start = 0; start < plan.items.size(); start += kRowsPerStatement) {
    const size_t count = std::min(kRowsPerStatement, plan.items.size() - start);
    Params rows;
    for (size_t i = start; i < start + count; ++i) {
      const history::ItemWrite& write = plan.items[i];
      const Item& item = items[write.index];
      const auto rank = static_cast<int64_t>(write.index + 1);
      rows.add_int(ids[i])
          .add_text(board)
          .add_text(item.key)
          .add_text(item.title)
          .add_text(item.url)
          .add_text(item.summary)
          .add_int(now_ms)
          .add_int(now_ms)
          .add_int(rank)
          .add_int(rank)
          .add_int(rank)
          .add_optional_double(write.cur_hot)
          .add_optional_double(item.hot)
          .add_int(write.on_board_delta_ms)
          .add_int(search::title_key(item.title))
          .add_int(search::url_key(item.url));
      if (!record || write.index_action == history::ItemWrite::Index::kNone) {
        rows.add_null();
      } else {
        rows.add_text(search::tsvector_literal(item.title, item.summary));
      }
    }
    MU_RETURN_IF_ERROR(db.query_uncached(sql::row_insert_sql(sql::kUpsertHistoryItemsPostgres,
                                                             count, sql::Dialect::kPostgres),
                                         rows)
                           .status());
  }
  for (size_t i = 0; i < plan.items.size(); ++i) {
    if (record && plan.items[i].write_point) {
      const Item& item = items[plan.items[i].index];
      MU_RETURN_IF_ERROR(
          add_point(ids[i], static_cast<int64_t>(plan.items[i].index + 1), item.hot));
    }
  }
  for (const history::ItemExit& exit : plan.exits) {
    MU_RETURN_IF_ERROR(
        run_query(db, sql::kExitItem, Params().add_int(exit.id).add_int(exit.on_board_delta_ms))
            .status());
    if (record) {
      MU_RETURN_IF_ERROR(add_point(exit.id, 0, std::nullopt));
    }
  }
  return flush_points();
}

// Rows indexed per transaction by migrate() after 0007 (the rows that predate it).
constexpr int64_t kIndexBatch = 1000;
// Items dropped per compact_history call.
constexpr int64_t kDropBatch = 5000;

// Indexes up to kIndexBatch rows with indexed = 0 (story keys and search entry); returns
// how many it indexed.
Result<int64_t> index_batch(PgConnection& db) {
  MU_ASSIGN_OR_RETURN(PgResult pending,
                      run_query(db, sql::kSelectUnindexedItems, Params().add_int(kIndexBatch)));
  for (int row = 0; row < pending.rows(); ++row) {
    const std::string_view title = pending.text(row, 1);
    const std::string_view summary = pending.text(row, 2);
    Params params;
    params.add_int(pending.int64(row, 0))
        .add_int(search::title_key(title))
        .add_int(search::url_key(pending.text(row, 3)))
        .add_text(search::tsvector_literal(title, summary));
    MU_RETURN_IF_ERROR(run_query(db, sql::kSetItemIndexed, params).status());
  }
  return static_cast<int64_t>(pending.rows());
}

// Ids present in the table's `retired = 0` rows but not in `keep`.
Result<std::vector<std::string>> active_ids_not_in(PgConnection& db,
                                                   const sql::Statement& statement,
                                                   const std::unordered_set<std::string>& keep) {
  MU_ASSIGN_OR_RETURN(PgResult result, run_query(db, statement));
  std::vector<std::string> out;
  for (int row = 0; row < result.rows(); ++row) {
    std::string id(result.text(row, 0));
    if (!keep.contains(id)) {
      out.push_back(std::move(id));
    }
  }
  return out;
}

Status retire(PgConnection& db, const sql::Statement& statement,
              const std::vector<std::string>& ids) {
  for (const std::string& id : ids) {
    MU_RETURN_IF_ERROR(run_query(db, statement, Params().add_text(id)).status());
  }
  return ok_status();
}

Status status_of(const Status& status) { return status; }
template <typename T>
Status status_of(const Result<T>& result) {
  return result.status();
}

// ---------------------------------------------------------------------------------------

class PostgresStore final : public Store {
 public:
  PostgresStore(pg::ConnectionConfig config, const PostgresStoreOptions& options,
                std::unique_ptr<PgConnection> first);
  ~PostgresStore() override = default;

  Status migrate() override;
  Status sync_catalogue(const std::vector<Site>& sites,
                        const std::vector<BoardMeta>& boards) override;
  Result<int64_t> commit_snapshot(const CommitRequest& request) override;
  Status record_failure(const FailureRecord& failure) override;
  Result<std::optional<BoardView>> board_view(const std::string& board) override;
  Result<std::vector<BoardState>> board_states() override;
  Result<BoardState> board_state(const std::string& board) override;
  Result<std::vector<RunRecord>> runs(const std::string& board, int limit) override;
  Result<int64_t> prune_snapshots(int keep_per_board) override;
  Result<int64_t> prune_runs(int64_t before_ms) override;
  Result<std::vector<RunTally>> run_tallies(int64_t since_ms, int64_t bucket_ms) override;
  Result<int64_t> fence_epoch() override;
  Result<int64_t> raise_fence(int64_t epoch) override;
  Result<int64_t> put_board_override(const std::string& board, int64_t expected_version,
                                     const std::string& json, int64_t now_ms) override;
  Result<std::vector<BoardOverrideRecord>> board_overrides() override;
  Result<std::optional<BoardOverrideRecord>> board_override(const std::string& board) override;

  Result<User> upsert_user(const std::string& provider, const std::string& provider_id,
                           const std::string& login, const std::string& name,
                           const std::string& avatar_url, int64_t now_ms) override;
  Result<std::optional<User>> user_by_id(int64_t id) override;
  Result<std::optional<User>> user_by_login(const std::string& login) override;
  Status set_role(int64_t user_id, const std::string& role) override;
  Result<int64_t> count_admins() override;
  Result<std::vector<User>> list_users() override;
  Status create_session(const std::string& id_hash, int64_t user_id, const std::string& csrf_token,
                        int64_t now_ms, int64_t expires_ms, const std::string& user_agent) override;
  Result<std::optional<Session>> session(const std::string& id_hash, int64_t now_ms) override;
  Status touch_session(const std::string& id_hash, int64_t now_ms, int64_t new_expires_ms) override;
  Status delete_session(const std::string& id_hash) override;
  Result<int64_t> delete_user_sessions(int64_t user_id) override;
  Result<int64_t> count_active_sessions(int64_t since_ms) override;
  Result<bool> add_favorite(const Favorite& favorite, int64_t max_per_user) override;
  Result<bool> remove_favorite(int64_t user_id, const std::string& board,
                               const std::string& item_key) override;
  Result<std::vector<Favorite>> favorites(int64_t user_id, const FavoriteQuery& query) override;
  Result<std::vector<std::string>> favorite_keys(int64_t user_id,
                                                 const std::string& board) override;
  Result<int64_t> put_preferences(int64_t user_id, int64_t expected_version,
                                  const std::string& body, int64_t now_ms) override;
  Result<std::optional<PreferencesRecord>> preferences(int64_t user_id) override;
  Result<int64_t> append_audit(const AuditRecord& record) override;
  Result<std::vector<AuditRecord>> audit_log(int limit, int64_t before_id) override;
  Status put_login_state(const std::string& state_hash, const std::string& code_verifier,
                         const std::string& return_to, int64_t expires_ms,
                         const LoginStateLimits& limits) override;
  Result<int64_t> count_login_states() override;
  Result<std::optional<LoginStateRecord>> take_login_state(const std::string& state_hash,
                                                           int64_t now_ms) override;
  Status put_credential(const CredentialRecord& credential) override;
  Result<bool> delete_credential(const std::string& name) override;
  Result<std::vector<CredentialRecord>> credentials() override;
  Status create_api_key(const ApiKeyRecord& key, int64_t max_per_user) override;
  Result<std::vector<ApiKeyRecord>> api_keys(int64_t user_id) override;
  Result<std::optional<ApiKeyRecord>> api_key_by_hash(const std::string& secret_hash) override;
  Result<bool> revoke_api_key(const std::string& id, int64_t user_id, int64_t now_ms) override;
  Status set_api_key_limits(const std::string& id, int64_t per_minute, int64_t burst) override;
  Status add_api_key_usage(const std::vector<ApiKeyUsage>& usage) override;
  Status put_presence(const std::string& instance, int64_t readers, int64_t now_ms) override;
  Result<int64_t> count_presence(int64_t since_ms) override;

  Status put_document(const UserDocument& document, int64_t max_per_user) override;
  Result<bool> delete_document(std::string_view kind, const std::string& id,
                               int64_t user_id) override;
  Result<std::vector<UserDocument>> documents(std::string_view kind, int64_t user_id) override;
  Result<std::optional<UserDocument>> document(std::string_view kind,
                                               const std::string& id) override;
  Result<int64_t> document_revision(std::string_view kind) override;
  Result<int64_t> record_matches(const std::vector<NewMatch>& matches,
                                 const std::optional<AlertCursor>& cursor) override;
  Result<int64_t> alert_cursor(const std::string& board) override;
  Result<std::vector<DeliveryRecord>> claim_deliveries(int64_t now_ms, int64_t lease_until_ms,
                                                       int limit) override;
  Status update_delivery(const DeliveryUpdate& update) override;
  Result<std::vector<DeliveryRecord>> deliveries(const DeliveryQuery& query) override;
  Result<std::vector<AlertMatch>> alert_matches(const std::string& rule_id, int limit) override;
  Result<int64_t> prune_alerts(int64_t before_ms) override;

  Result<SearchResult> search(const SearchRequest& request) override;
  Result<std::optional<ItemTimeline>> item_timeline(const std::string& board,
                                                    const std::string& key,
                                                    int related_limit) override;
  Result<std::optional<BoardAt>> board_at(const std::string& board, int64_t at_ms) override;
  Result<std::vector<DayEntry>> window_entries(const std::string& board, int64_t start_ms,
                                               int64_t end_ms, int limit) override;
  Result<int64_t> compact_history(int64_t hourly_before_ms, int64_t drop_before_ms) override;

 private:
  // A pooled connection borrowed for one call; goes back to the pool (or is closed when it
  // broke, is mid-transaction or predates a detected failure) on destruction.
  class Lease {
   public:
    Lease(PostgresStore* store, std::unique_ptr<PgConnection> conn, uint64_t generation)
        : store_(store), conn_(std::move(conn)), generation_(generation) {}
    Lease(Lease&& other) noexcept = default;
    Lease& operator=(Lease&&) = delete;
    ~Lease() {
      if (conn_) {
        store_->release(std::move(conn_), generation_);
      }
    }
    PgConnection& conn() { return *conn_; }

   private:
    PostgresStore* store_;
    std::unique_ptr<PgConnection> conn_;
    uint64_t generation_;
  };
  struct Idle {
    std::unique_ptr<PgConnection> conn;
    uint64_t generation = 0;
  };

  Result<Lease> acquire();
  void release(std::unique_ptr<PgConnection> conn, uint64_t generation);
  // Closes the idle connections and marks every open one as not to be pooled again: after
  // one connection broke, the others most likely did too.
  void invalidate_connections();

  // Runs `op` on a pooled connection; once more on a fresh connection when the first one
  // broke and the outcome is known (see the header). Errors get `context` prepended.
  template <typename Op>
  auto run(const std::string& context, Op&& op) -> decltype(op(std::declval<PgConnection&>()));

  const pg::ConnectionConfig config_;
  const int pool_size_;
  std::unique_ptr<Clock> own_clock_;  // when the options name no clock
  const Clock* clock_;
  const bool record_history_;  // PostgresStoreOptions::record_history

  std::mutex pool_mu_;
  std::condition_variable pool_cv_;
  std::vector<Idle> idle_;   // by pool_mu_
  int open_ = 0;             // by pool_mu_: leased + idle
  uint64_t generation_ = 0;  // by pool_mu_
};

PostgresStore::PostgresStore(pg::ConnectionConfig config, const PostgresStoreOptions& options,
                             std::unique_ptr<PgConnection> first)
    : config_(std::move(config)),
      pool_size_(std::max(options.pool_size, 1)),
      own_clock_(options.clock == nullptr ? std::make_unique<SystemClock>() : nullptr),
      clock_(options.clock != nullptr ? options.clock : own_clock_.get()),
      record_history_(options.record_history) {
  // release() runs in destructors: keep it from allocating.
  idle_.reserve(static_cast<size_t>(pool_size_));
  idle_.push_back(Idle{std::move(first), generation_});
  open_ = 1;
}

Result<PostgresStore::Lease> PostgresStore::acquire() {
  std::vector<std::unique_ptr<PgConnection>> stale;  // closed after the lock is released
  uint64_t generation = 0;
  {
    std::unique_lock lock(pool_mu_);
    pool_cv_.wait(lock, [&] { return !idle_.empty() || open_ < pool_size_; });
    while (!idle_.empty()) {
      Idle entry = std::move(idle_.back());
      idle_.pop_back();
      if (entry.generation == generation_ && !entry.conn->broken()) {
        return Lease(this, std::move(entry.conn), entry.generation);
      }
      stale.push_back(std::move(entry.conn));
      --open_;
    }
    ++open_;
    generation = generation_;
  }
  stale.clear();
  auto conn = PgConnection::connect(config_);  // not under the lock: it may take a while
  if (!conn.ok()) {
    {
      std::lock_guard lock(pool_mu_);
      --open_;
    }
    pool_cv_.notify_one();
    return conn.status();
  }
  return Lease(this, std::move(conn).value(), generation);
}

void PostgresStore::release(std::unique_ptr<PgConnection> conn, uint64_t generation) {
  const bool reusable = conn->idle();
  std::unique_ptr<PgConnection> discard;
  {
    std::lock_guard lock(pool_mu_);
    if (reusable && generation == generation_) {
      idle_.push_back(Idle{std::move(conn), generation});
    } else {
      discard = std::move(conn);
      --open_;
    }
  }
  pool_cv_.notify_one();
}

void PostgresStore::invalidate_connections() {
  std::vector<Idle> closing;
  {
    std::lock_guard lock(pool_mu_);
    ++generation_;
    open_ -= static_cast<int>(idle_.size());
    closing.reserve(idle_.size());
    for (Idle& entry : idle_) {
      closing.push_back(std::move(entry));
    }
    idle_.clear();
  }
  pool_cv_.notify_all();
}

namespace {
std::atomic<uint64_t> g_connection_errors{0};
}  // namespace

template <typename Op>
auto PostgresStore::run(const std::string& context, Op&& op)
    -> decltype(op(std::declval<PgConnection&>())) {
  using Out = decltype(op(std::declval<PgConnection&>()));
  for (int attempt = 1;; ++attempt) {
    auto lease = acquire();
    if (!lease.ok()) {
      g_connection_errors.fetch_add(1, std::memory_order_relaxed);
      return Out(lease.status().with_context(context));
    }
    PgConnection& conn = lease->conn();
    conn.begin_attempt();
    Out result = op(conn);
    if (result.ok()) {
      return result;
    }
    const Status status = status_of(result);
    if (conn.broken()) g_connection_errors.fetch_add(1, std::memory_order_relaxed);
    if (attempt == 1 && conn.broken() && !conn.outcome_unknown()) {
      spdlog::warn("postgres {}: {}: connection lost ({}); reconnecting and trying once more",
                   config_.description, context, status.message());
      invalidate_connections();
      continue;  // the lease closes the broken connection
    }
    return Out(status.with_context(context));
  }
}

// ---------------------------------------------------------------------------------------
// Writes

Status PostgresStore::migrate() {
  const int latest = latest_schema_version();
  // One transaction per migration, each under the migration advisory lock, so processes
  // migrating at once apply every migration exactly once.
  auto step = [&](PgConnection& db) -> Result<bool> {  // true: another step may be due
    Transaction txn(db);
    MU_RETURN_IF_ERROR(txn.begin());
    // Another process may be migrating: wait for it (the lock timeout is for row locks of
    // the running system, not for this queue).
    MU_RETURN_IF_ERROR(db.exec("SET LOCAL lock_timeout = 0", "lifting the lock timeout"));
    MU_RETURN_IF_ERROR(db.query(kAdvisoryXactLock, Params().add_int(kMigrateLockKey)).status());
    MU_RETURN_IF_ERROR(
        db.exec(std::string(kSchemaMigrationsTableSql), "creating schema_migrations"));
    MU_ASSIGN_OR_RETURN(int64_t current, query_int(db, sql::kSelectSchemaVersion));
    if (current > latest) {
      return error(ErrorCode::kConfig,
                   "postgres " + config_.description + ": the database schema is at version " +
                       std::to_string(current) + ", newer than this binary knows (" +
                       std::to_string(latest) + "); upgrade mu");
    }
    if (current == latest) {
      MU_RETURN_IF_ERROR(txn.commit());
      return false;
    }
    const Migration& migration = embedded_migrations()[static_cast<size_t>(current)];
    // A migration may rewrite big tables: not bounded by the per-statement timeout.
    MU_RETURN_IF_ERROR(db.exec("SET LOCAL statement_timeout = 0", "lifting the timeout"));
    MU_RETURN_IF_ERROR(db.exec(migration_sql(migration, sql::Dialect::kPostgres),
                               "applying " + std::string(migration.name)));
    MU_RETURN_IF_ERROR(
        run_query(
            db, sql::kInsertSchemaVersion,
            Params().add_int(migration.version).add_text(migration.name).add_int(clock_->now_ms()))
            .status());
    MU_RETURN_IF_ERROR(txn.commit());
    spdlog::info("postgres {}: applied migration {}", config_.description, migration.name);
    return true;
  };
  while (true) {
    MU_ASSIGN_OR_RETURN(bool more, run("migrate", step));
    if (!more) {
      break;
    }
  }
  // Rows that predate 0007 get their story keys and search entries (tokenized in C++), a
  // batch per transaction. Concurrent migrators may index the same rows: same values.
  while (true) {
    MU_ASSIGN_OR_RETURN(int64_t indexed,
                        run("migrate: indexing items", [&](PgConnection& db) -> Result<int64_t> {
                          Transaction txn(db);
                          MU_RETURN_IF_ERROR(txn.begin());
                          MU_ASSIGN_OR_RETURN(int64_t count, index_batch(db));
                          MU_RETURN_IF_ERROR(txn.commit());
                          return count;
                        }));
    if (indexed < kIndexBatch) {
      return ok_status();
    }
  }
}

Status PostgresStore::sync_catalogue(const std::vector<Site>& sites,
                                     const std::vector<BoardMeta>& boards) {
  MU_ASSIGN_OR_RETURN(CatalogueIds ids, check_catalogue(sites, boards, pg::make_storable_text));
  for (const Site& site : sites) {
    for (const std::string* text : {&site.id, &site.name_zh, &site.name_en, &site.home, &site.icon,
                                    &site.color, &site.region}) {
      MU_RETURN_IF_ERROR(
          check_text(*text, "sync_catalogue: site '" + pg::make_storable_text(site.id) + "'"));
    }
  }
  for (const BoardMeta& board : boards) {
    for (const std::string* text :
         {&board.id, &board.name_zh, &board.name_en, &board.group, &board.homepage, &board.notes}) {
      MU_RETURN_IF_ERROR(
          check_text(*text, "sync_catalogue: board '" + pg::make_storable_text(board.id) + "'"));
    }
  }

  return run("sync_catalogue", [&](PgConnection& db) -> Status {
    Transaction txn(db);
    MU_RETURN_IF_ERROR(txn.begin());
    // Concurrent syncs would lock the same rows in different orders: one at a time.
    MU_RETURN_IF_ERROR(db.query(kAdvisoryXactLock, Params().add_int(kCatalogueLockKey)).status());
    for (const Site& site : sites) {
      Params params;
      params.add_text(site.id)
          .add_text(site.name_zh)
          .add_text(site.name_en)
          .add_text(site.home)
          .add_text(site.icon)
          .add_text(site.color)
          .add_text(site.region);
      MU_RETURN_IF_ERROR(run_query(db, sql::kUpsertSite, params).status());
    }
    for (const BoardMeta& board : boards) {
      Params params;
      params.add_text(board.id)
          .add_text(board.site)
          .add_text(board.name_zh)
          .add_text(board.name_en)
          .add_text(board_kind_name(board.kind))
          .add_int(board.schedule.every.count())
          .add_int(board.schedule.jitter.count())
          .add_int(board.schedule.timeout.count())
          .add_int(board.schedule.retries)
          .add_text(board.group)
          .add_text(board.homepage)
          .add_text(board.notes)
          .add_int(board.needs_cookie ? 1 : 0)
          .add_int(board.needs_token ? 1 : 0);
      MU_RETURN_IF_ERROR(run_query(db, sql::kUpsertBoard, params).status());
    }
    MU_ASSIGN_OR_RETURN(auto gone_boards,
                        active_ids_not_in(db, sql::kSelectActiveBoards, ids.boards));
    MU_RETURN_IF_ERROR(retire(db, sql::kRetireBoard, gone_boards));
    MU_ASSIGN_OR_RETURN(auto gone_sites, active_ids_not_in(db, sql::kSelectActiveSites, ids.sites));
    MU_RETURN_IF_ERROR(retire(db, sql::kRetireSite, gone_sites));
    return txn.commit();
  });
}

Result<int64_t> PostgresStore::commit_snapshot(const CommitRequest& request) {
  const std::string context = "commit_snapshot " + pg::make_storable_text(request.dispatch_id);
  MU_RETURN_IF_ERROR(check_commit(request, context, pg::make_storable_text));
  MU_RETURN_IF_ERROR(check_text(request.board, context + ": board"));
  MU_RETURN_IF_ERROR(check_text(request.dispatch_id, context + ": dispatch id"));
  MU_RETURN_IF_ERROR(check_text(request.stats.collector, context + ": collector"));
  auto prepared = prepare_items(request.items);
  if (!prepared.ok()) {
    return prepared.status().with_context(context);
  }
  const std::vector<PreparedItem>& items = *prepared;

  return run(context, [&](PgConnection& db) -> Result<int64_t> {
    Transaction txn(db);
    MU_RETURN_IF_ERROR(txn.begin());
    MU_RETURN_IF_ERROR(check_and_raise_fence(db, request.epoch));
    MU_RETURN_IF_ERROR(check_not_committed(db, request.dispatch_id));
    MU_RETURN_IF_ERROR(check_board_active(db, request.board));

    const int64_t fetched_at_ms = request.stats.finished_ms;
    const auto item_count = static_cast<int64_t>(items.size());
    MU_ASSIGN_OR_RETURN(int64_t snapshot_id, query_int(db, sql::kNextSnapshotId));
    {
      Params params;
      params.add_int(snapshot_id)
          .add_text(request.board)
          .add_int(fetched_at_ms)
          .add_int(request.epoch)
          .add_text(request.dispatch_id)
          .add_int(request.slot)
          .add_int(item_count);
      MU_RETURN_IF_ERROR(run_query(db, sql::kInsertSnapshot, params).status());
    }
    MU_RETURN_IF_ERROR(insert_items(db, snapshot_id, items));
    MU_RETURN_IF_ERROR(
        write_history(db, request.board, request.items, fetched_at_ms, record_history_));
    MU_RETURN_IF_ERROR(insert_run(db, request.dispatch_id, request.board, request.slot,
                                  request.epoch, "ok", "", request.stats));
    {
      Params params;
      params.add_text(request.board)
          .add_int(fetched_at_ms)
          .add_int(snapshot_id)
          .add_int(item_count);
      MU_RETURN_IF_ERROR(run_query(db, sql::kBoardCommitted, params).status());
    }
    MU_RETURN_IF_ERROR(txn.commit());
    return snapshot_id;
  });
}

// For record_failure: false when the failure's dispatch is not committed; true when it was
// committed by a later attempt (the failure was kept through an outage and written after
// the retry committed: its run belongs in the history, the board's state is the commit's);
// kConflict when it was committed by this attempt or an earlier one.
namespace {
Result<bool> failed_before_commit(PgConnection& db, const FailureRecord& failure) {
  MU_ASSIGN_OR_RETURN(PgResult result, run_query(db, sql::kSelectCommittedAttempt,
                                                 Params().add_text(failure.dispatch_id)));
  if (result.rows() == 0) return false;
  const int64_t attempt = result.int64(0, 0);
  if (failure.stats.attempt < attempt) return true;
  return error(ErrorCode::kConflict, "dispatch '" + failure.dispatch_id +
                                         "' was already committed (attempt " +
                                         std::to_string(attempt) + ")");
}
}  // namespace

Status PostgresStore::record_failure(const FailureRecord& failure) {
  const std::string context = "record_failure " + pg::make_storable_text(failure.dispatch_id);
  MU_RETURN_IF_ERROR(check_failure(failure, context));
  MU_RETURN_IF_ERROR(check_text(failure.board, context + ": board"));
  MU_RETURN_IF_ERROR(check_text(failure.dispatch_id, context + ": dispatch id"));
  MU_RETURN_IF_ERROR(check_text(failure.stats.collector, context + ": collector"));
  // A diagnostic from anywhere (e.g. a response body): stored as close as it can be.
  const std::string message = pg::make_storable_text(failure.error.message());
  const std::string_view code = error_code_name(failure.error.code());

  return run(context, [&](PgConnection& db) -> Status {
    Transaction txn(db);
    MU_RETURN_IF_ERROR(txn.begin());
    MU_RETURN_IF_ERROR(check_and_raise_fence(db, failure.epoch));
    MU_ASSIGN_OR_RETURN(const bool earlier, failed_before_commit(db, failure));
    MU_RETURN_IF_ERROR(check_board_active(db, failure.board));
    MU_RETURN_IF_ERROR(insert_run(db, failure.dispatch_id, failure.board, failure.slot,
                                  failure.epoch, code, message, failure.stats));
    if (earlier) return txn.commit();
    Params params;
    params.add_text(failure.board)
        .add_int(failure.stats.finished_ms)
        .add_text(code)
        .add_text(message);
    MU_RETURN_IF_ERROR(run_query(db, sql::kBoardFailed, params).status());
    return txn.commit();
  });
}

Result<int64_t> PostgresStore::prune_snapshots(int keep_per_board) {
  const int64_t keep = std::max(keep_per_board, 1);
  return run("prune_snapshots", [&](PgConnection& db) -> Result<int64_t> {
    Transaction txn(db);
    MU_RETURN_IF_ERROR(txn.begin());
    MU_ASSIGN_OR_RETURN(PgResult deleted,
                        run_query(db, sql::kPruneSnapshots, Params().add_int(keep)));
    MU_RETURN_IF_ERROR(txn.commit());
    return deleted.affected_rows();
  });
}

Result<std::vector<RunTally>> PostgresStore::run_tallies(int64_t since_ms, int64_t bucket_ms) {
  MU_RETURN_IF_ERROR(check_run_tallies(bucket_ms));
  return run("run_tallies", [&](PgConnection& db) -> Result<std::vector<RunTally>> {
    MU_ASSIGN_OR_RETURN(PgResult rows, run_query(db, sql::kSelectRunTallies,
                                                 Params().add_int(since_ms).add_int(bucket_ms)));
    return all_rows(rows, [](const Row& row) { return sql::run_tally_from(row); });
  });
}

Result<int64_t> PostgresStore::prune_runs(int64_t before_ms) {
  using Bounds = std::vector<sql::RunsPruneBound>;
  MU_ASSIGN_OR_RETURN(Bounds bounds, run("prune_runs", [&](PgConnection& db) -> Result<Bounds> {
                        MU_ASSIGN_OR_RETURN(
                            PgResult rows,
                            run_query(db, sql::kSelectRunsPruneBounds,
                                      Params()
                                          .add_int(before_ms)
                                          .add_int(kRecentRunsWindow - 1)
                                          .add_int(std::numeric_limits<int64_t>::max())));
                        Bounds out;
                        for (int row = 0; row < rows.rows(); ++row) {
                          if (auto bound = sql::runs_prune_bound_from(Row(rows, row)))
                            out.push_back(*bound);
                        }
                        return out;
                      }));
  int64_t deleted = 0;
  for (const sql::RunsPruneBound& bound : bounds) {  // one statement each: commits go on
    MU_ASSIGN_OR_RETURN(
        int64_t n, run("prune_runs " + bound.board, [&](PgConnection& db) -> Result<int64_t> {
          MU_ASSIGN_OR_RETURN(
              PgResult done,
              run_query(
                  db, sql::kDeleteRunsBelow,
                  Params().add_text(bound.board).add_int(bound.below).add_int(kPruneRunsBatch)));
          return done.affected_rows();
        }));
    deleted += n;
  }
  return deleted;
}

Result<int64_t> PostgresStore::raise_fence(int64_t epoch) {
  // One idempotent statement: safe to run again after a lost connection.
  return run("raise_fence", [&](PgConnection& db) -> Result<int64_t> {
    return query_int(db, sql::kRaiseFence, Params().add_int(epoch));
  });
}

Result<int64_t> PostgresStore::put_board_override(const std::string& board,
                                                  int64_t expected_version, const std::string& json,
                                                  int64_t now_ms) {
  const std::string context = "put_board_override " + pg::make_storable_text(board);
  if (!pg::is_storable_text(board)) {
    return unknown_board(board).with_context(context);
  }
  MU_RETURN_IF_ERROR(check_text(json, context + ": document"));
  return run(context, [&](PgConnection& db) -> Result<int64_t> {
    Transaction txn(db);
    MU_RETURN_IF_ERROR(txn.begin());
    // The board's row lock makes concurrent puts on one board take turns.
    MU_RETURN_IF_ERROR(check_board_active(db, board, sql::kLockBoard));
    MU_ASSIGN_OR_RETURN(PgResult stored,
                        run_query(db, sql::kSelectOverrideVersion, Params().add_text(board)));
    const int64_t current = stored.rows() > 0 ? stored.int64(0, 0) : 0;
    if (current != expected_version) {
      return error(ErrorCode::kConflict, "board override of " + board + " is at version " +
                                             std::to_string(current) + ", not " +
                                             std::to_string(expected_version));
    }
    Params params;
    params.add_text(board).add_int(current + 1).add_text(json).add_int(now_ms);
    MU_RETURN_IF_ERROR(run_query(db, sql::kUpsertOverride, params).status());
    MU_RETURN_IF_ERROR(txn.commit());
    return current + 1;
  });
}

// ---------------------------------------------------------------------------------------
// Reads

Result<std::optional<BoardView>> PostgresStore::board_view(const std::string& board) {
  const std::string context = "board_view " + pg::make_storable_text(board);
  if (!pg::is_storable_text(board)) {
    return unknown_board(board).with_context(context);
  }
  return run(context, [&](PgConnection& db) -> Result<std::optional<BoardView>> {
    Transaction txn(db);
    MU_RETURN_IF_ERROR(txn.begin(kBeginSnapshotRead));
    BoardView view;
    int64_t previous_id = 0;
    {
      MU_ASSIGN_OR_RETURN(PgResult head,
                          run_query(db, sql::kSelectViewHead, Params().add_text(board)));
      if (head.rows() == 0) {
        return unknown_board(board);
      }
      view.state = sql::board_state_from(Row(head, 0));
      std::optional<Snapshot> snapshot = sql::view_snapshot_from(Row(head, 0), board);
      if (!snapshot) {
        MU_RETURN_IF_ERROR(txn.commit());
        return std::optional<BoardView>();
      }
      view.snapshot = *std::move(snapshot);
      if (head.rows() > 1) {
        view.has_previous = true;
        previous_id = head.int64(1, sql::kBoardStateColumnCount);
      }
    }
    {
      Params params;
      params.add_text(board).add_int(view.snapshot.id).add_int(previous_id);
      MU_ASSIGN_OR_RETURN(PgResult items, run_query(db, sql::kSelectViewItems, params));
      view.snapshot.items.reserve(static_cast<size_t>(std::max(view.state.item_count, 0)));
      for (int row = 0; row < items.rows(); ++row) {
        MU_RETURN_IF_ERROR(sql::add_view_row(Row(items, row), view));
      }
    }
    MU_RETURN_IF_ERROR(txn.commit());
    return std::optional<BoardView>(std::move(view));
  });
}

Result<std::vector<BoardState>> PostgresStore::board_states() {
  return run("board_states", [&](PgConnection& db) -> Result<std::vector<BoardState>> {
    MU_ASSIGN_OR_RETURN(PgResult result, run_query(db, sql::kSelectBoardStates));
    return all_rows(result, [](const Row& row) { return sql::board_state_from(row); });
  });
}

Result<BoardState> PostgresStore::board_state(const std::string& board) {
  if (!pg::is_storable_text(board)) {
    return unknown_board(board).with_context("board_state");
  }
  return run("board_state", [&](PgConnection& db) -> Result<BoardState> {
    MU_ASSIGN_OR_RETURN(PgResult result,
                        run_query(db, sql::kSelectBoardState, Params().add_text(board)));
    if (result.rows() == 0) {
      return unknown_board(board);
    }
    return sql::board_state_from(Row(result, 0));
  });
}

Result<std::vector<RunRecord>> PostgresStore::runs(const std::string& board, int limit) {
  MU_RETURN_IF_ERROR(check_limit("runs", limit));
  const std::string context = "runs " + pg::make_storable_text(board);
  if (!pg::is_storable_text(board)) {
    return unknown_board(board).with_context(context);
  }
  return run(context, [&](PgConnection& db) -> Result<std::vector<RunRecord>> {
    Transaction txn(db);
    MU_RETURN_IF_ERROR(txn.begin(kBeginSnapshotRead));
    MU_RETURN_IF_ERROR(check_board_active(db, board));
    MU_ASSIGN_OR_RETURN(PgResult result,
                        run_query(db, sql::kSelectRuns, Params().add_text(board).add_int(limit)));
    std::vector<RunRecord> out =
        all_rows(result, [](const Row& row) { return sql::run_from(row); });
    MU_RETURN_IF_ERROR(txn.commit());
    return out;
  });
}

Result<int64_t> PostgresStore::fence_epoch() {
  return run("fence_epoch",
             [&](PgConnection& db) -> Result<int64_t> { return query_int(db, sql::kSelectFence); });
}

Result<std::vector<BoardOverrideRecord>> PostgresStore::board_overrides() {
  return run("board_overrides", [&](PgConnection& db) -> Result<std::vector<BoardOverrideRecord>> {
    MU_ASSIGN_OR_RETURN(PgResult result, run_query(db, sql::kSelectOverrides));
    return all_rows(result, [](const Row& row) { return sql::override_from(row); });
  });
}

Result<std::optional<BoardOverrideRecord>> PostgresStore::board_override(const std::string& board) {
  if (!pg::is_storable_text(board)) {
    return std::optional<BoardOverrideRecord>();  // no board has such an id
  }
  return run("board_override " + board,
             [&](PgConnection& db) -> Result<std::optional<BoardOverrideRecord>> {
               MU_ASSIGN_OR_RETURN(PgResult result,
                                   run_query(db, sql::kSelectOverride, Params().add_text(board)));
               if (result.rows() == 0) {
                 return std::optional<BoardOverrideRecord>();
               }
               return std::optional<BoardOverrideRecord>(sql::override_from(Row(result, 0)));
             });
}

// ---------------------------------------------------------------------------------------
// Accounts

Status unknown_user(int64_t user_id) {
  return error(ErrorCode::kNotFound, "unknown user " + std::to_string(user_id));
}

// kNotFound unless the user exists. `statement` selects the user's id (and may lock the row).
Status check_user_exists(PgConnection& db, int64_t user_id,
                         const sql::Statement& statement = sql::kSelectUserId) {
  MU_ASSIGN_OR_RETURN(PgResult result, run_query(db, statement, Params().add_int(user_id)));
  if (result.rows() == 0) {
    return unknown_user(user_id);
  }
  return ok_status();
}

Result<User> PostgresStore::upsert_user(const std::string& provider, const std::string& provider_id,
                                        const std::string& login, const std::string& name,
                                        const std::string& avatar_url, int64_t now_ms) {
  const std::string context =
      "upsert_user " + pg::make_storable_text(provider) + ":" + pg::make_storable_text(provider_id);
  MU_RETURN_IF_ERROR(check_user_key(provider, provider_id, login, context));
  for (const std::string* text : {&provider, &provider_id, &login, &name, &avatar_url}) {
    MU_RETURN_IF_ERROR(check_text(*text, context));
  }
  return run(context, [&](PgConnection& db) -> Result<User> {
    Transaction txn(db);
    MU_RETURN_IF_ERROR(txn.begin());
    MU_RETURN_IF_ERROR(db.query(kAdvisoryXactLock, Params().add_int(kUsersLockKey)).status());
    Params params;
    params.add_text(provider)
        .add_text(provider_id)
        .add_text(login)
        .add_text(name)
        .add_text(avatar_url)
        .add_int(now_ms);
    MU_ASSIGN_OR_RETURN(PgResult result, run_query(db, sql::kUpsertUser, params));
    if (result.rows() != 1) {
      return error(ErrorCode::kInternal, "the upserted user is missing");
    }
    User user = sql::user_from(Row(result, 0));
    MU_RETURN_IF_ERROR(txn.commit());
    return user;
  });
}

Result<std::optional<User>> PostgresStore::user_by_id(int64_t id) {
  return run("user_by_id", [&](PgConnection& db) -> Result<std::optional<User>> {
    MU_ASSIGN_OR_RETURN(PgResult result, run_query(db, sql::kSelectUserById, Params().add_int(id)));
    if (result.rows() == 0) {
      return std::optional<User>();
    }
    return std::optional<User>(sql::user_from(Row(result, 0)));
  });
}

Result<std::optional<User>> PostgresStore::user_by_login(const std::string& login) {
  if (!pg::is_storable_text(login)) {
    return std::optional<User>();  // no stored login looks like that
  }
  return run("user_by_login", [&](PgConnection& db) -> Result<std::optional<User>> {
    MU_ASSIGN_OR_RETURN(PgResult result,
                        run_query(db, sql::kSelectUserByLogin, Params().add_text(login)));
    if (result.rows() == 0) {
      return std::optional<User>();
    }
    return std::optional<User>(sql::user_from(Row(result, 0)));
  });
}

Status PostgresStore::set_role(int64_t user_id, const std::string& role) {
  const std::string context = "set_role " + std::to_string(user_id);
  MU_RETURN_IF_ERROR(check_role(role, context, pg::make_storable_text));
  // One idempotent statement: safe to run again after a lost connection.
  return run(context, [&](PgConnection& db) -> Status {
    MU_ASSIGN_OR_RETURN(PgResult result,
                        run_query(db, sql::kSetRole, Params().add_int(user_id).add_text(role)));
    return result.affected_rows() == 0
               ? error(ErrorCode::kNotFound, "no user with id " + std::to_string(user_id))
               : ok_status();
  });
}

Result<int64_t> PostgresStore::count_admins() {
  return run("count_admins",
             [&](PgConnection& db) -> Result<int64_t> { return query_int(db, sql::kCountAdmins); });
}

Result<std::vector<User>> PostgresStore::list_users() {
  return run("list_users", [&](PgConnection& db) -> Result<std::vector<User>> {
    MU_ASSIGN_OR_RETURN(PgResult result, run_query(db, sql::kSelectUsers));
    return all_rows(result, [](const Row& row) { return sql::user_from(row); });
  });
}

Status PostgresStore::create_session(const std::string& id_hash, int64_t user_id,
                                     const std::string& csrf_token, int64_t now_ms,
                                     int64_t expires_ms, const std::string& user_agent) {
  MU_RETURN_IF_ERROR(check_session_ids(id_hash, csrf_token));
  MU_RETURN_IF_ERROR(check_text(id_hash, "create_session: session id"));
  MU_RETURN_IF_ERROR(check_text(csrf_token, "create_session: CSRF token"));
  // A header from anywhere: stored as close as it can be.
  const std::string agent = pg::make_storable_text(user_agent);
  return run("create_session", [&](PgConnection& db) -> Status {
    Transaction txn(db);
    MU_RETURN_IF_ERROR(txn.begin());
    MU_RETURN_IF_ERROR(check_user_exists(db, user_id));
    Params params;
    params.add_text(id_hash)
        .add_int(user_id)
        .add_text(csrf_token)
        .add_int(now_ms)
        .add_int(expires_ms)
        .add_text(agent);
    MU_RETURN_IF_ERROR(run_query(db, sql::kInsertSession, params).status());
    return txn.commit();
  });
}

Result<std::optional<Session>> PostgresStore::session(const std::string& id_hash, int64_t now_ms) {
  if (!pg::is_storable_text(id_hash)) {
    return std::optional<Session>();
  }
  return run("session", [&](PgConnection& db) -> Result<std::optional<Session>> {
    MU_ASSIGN_OR_RETURN(PgResult result,
                        run_query(db, sql::kSelectSession, Params().add_text(id_hash)));
    if (result.rows() == 0) {
      return std::optional<Session>();
    }
    Session session = sql::session_from(Row(result, 0));
    if (session.expires_ms > now_ms) {
      return std::optional<Session>(std::move(session));
    }
    // Expired: delete it lazily (only if it still is; a concurrent touch may have won).
    MU_RETURN_IF_ERROR(
        run_query(db, sql::kDeleteExpiredSession, Params().add_text(id_hash).add_int(now_ms))
            .status());
    return std::optional<Session>();
  });
}

Status PostgresStore::touch_session(const std::string& id_hash, int64_t now_ms,
                                    int64_t new_expires_ms) {
  auto not_found = [] { return error(ErrorCode::kNotFound, "no live session with that id"); };
  if (!pg::is_storable_text(id_hash)) {
    return not_found().with_context("touch_session");
  }
  return run("touch_session", [&](PgConnection& db) -> Status {
    MU_ASSIGN_OR_RETURN(
        PgResult result,
        run_query(db, sql::kTouchSession,
                  Params().add_text(id_hash).add_int(now_ms).add_int(new_expires_ms)));
    return result.affected_rows() == 0 ? not_found() : ok_status();
  });
}

Status PostgresStore::delete_session(const std::string& id_hash) {
  if (!pg::is_storable_text(id_hash)) {
    return ok_status();  // no such session
  }
  return run("delete_session", [&](PgConnection& db) -> Status {
    return run_query(db, sql::kDeleteSession, Params().add_text(id_hash)).status();
  });
}

Result<int64_t> PostgresStore::delete_user_sessions(int64_t user_id) {
  return run("delete_user_sessions", [&](PgConnection& db) -> Result<int64_t> {
    MU_ASSIGN_OR_RETURN(PgResult result,
                        run_query(db, sql::kDeleteUserSessions, Params().add_int(user_id)));
    return result.affected_rows();
  });
}

Result<int64_t> PostgresStore::count_active_sessions(int64_t since_ms) {
  return run("count_active_sessions", [&](PgConnection& db) -> Result<int64_t> {
    return query_int(db, sql::kCountActiveSessions, Params().add_int(since_ms));
  });
}

Result<bool> PostgresStore::add_favorite(const Favorite& favorite, int64_t max_per_user) {
  MU_RETURN_IF_ERROR(check_favorite(favorite, max_per_user));
  for (const std::string* text :
       {&favorite.board, &favorite.item_key, &favorite.title, &favorite.url}) {
    MU_RETURN_IF_ERROR(check_text(*text, "add_favorite"));
  }
  return run("add_favorite", [&](PgConnection& db) -> Result<bool> {
    Transaction txn(db);
    MU_RETURN_IF_ERROR(txn.begin());
    if (max_per_user > 0) {
      // The user row lock makes concurrent adds of one user take turns, so the count holds.
      MU_RETURN_IF_ERROR(check_user_exists(db, favorite.user_id, sql::kLockUser));
      MU_ASSIGN_OR_RETURN(PgResult counted, run_query(db, sql::kCountFavorites,
                                                      Params()
                                                          .add_int(favorite.user_id)
                                                          .add_text(favorite.board)
                                                          .add_text(favorite.item_key)));
      if (counted.int64(0, 1) == 0 && counted.int64(0, 0) >= max_per_user) {
        return favorites_full(max_per_user);
      }
    } else {
      MU_RETURN_IF_ERROR(check_user_exists(db, favorite.user_id));
    }
    Params params;
    params.add_int(favorite.user_id)
        .add_text(favorite.board)
        .add_text(favorite.item_key)
        .add_text(favorite.title)
        .add_text(favorite.url)
        .add_int(favorite.added_ms);
    MU_ASSIGN_OR_RETURN(PgResult result, run_query(db, sql::kInsertFavorite, params));
    MU_RETURN_IF_ERROR(txn.commit());
    return result.affected_rows() > 0;
  });
}

Result<bool> PostgresStore::remove_favorite(int64_t user_id, const std::string& board,
                                            const std::string& item_key) {
  if (!pg::is_storable_text(board) || !pg::is_storable_text(item_key)) {
    return false;  // no such favorite
  }
  return run("remove_favorite", [&](PgConnection& db) -> Result<bool> {
    MU_ASSIGN_OR_RETURN(PgResult result,
                        run_query(db, sql::kDeleteFavorite,
                                  Params().add_int(user_id).add_text(board).add_text(item_key)));
    return result.affected_rows() > 0;
  });
}

Result<std::vector<Favorite>> PostgresStore::favorites(int64_t user_id,
                                                       const FavoriteQuery& query) {
  MU_RETURN_IF_ERROR(check_favorite_query(query));
  MU_RETURN_IF_ERROR(check_text(query.text, "favorites: query"));
  MU_RETURN_IF_ERROR(check_text(query.board, "favorites: board"));
  const std::string pattern = like_pattern(query.text);
  return run("favorites", [&](PgConnection& db) -> Result<std::vector<Favorite>> {
    Params params;
    params.add_int(user_id)
        .add_text(pattern)
        .add_text(query.board)
        .add_int(query.limit)
        .add_int(query.offset);
    MU_ASSIGN_OR_RETURN(PgResult result, run_query(db, sql::kSelectFavorites, params));
    return all_rows(result, [](const Row& row) { return sql::favorite_from(row); });
  });
}

Result<std::vector<std::string>> PostgresStore::favorite_keys(int64_t user_id,
                                                              const std::string& board) {
  if (!pg::is_storable_text(board)) {
    return std::vector<std::string>();
  }
  return run("favorite_keys", [&](PgConnection& db) -> Result<std::vector<std::string>> {
    MU_ASSIGN_OR_RETURN(PgResult result, run_query(db, sql::kSelectFavoriteKeys,
                                                   Params().add_int(user_id).add_text(board)));
    std::vector<std::string> out;
    out.reserve(static_cast<size_t>(result.rows()));
    for (int row = 0; row < result.rows(); ++row) {
      out.emplace_back(result.text(row, 0));
    }
    return out;
  });
}

Result<int64_t> PostgresStore::put_preferences(int64_t user_id, int64_t expected_version,
                                               const std::string& body, int64_t now_ms) {
  MU_RETURN_IF_ERROR(check_text(body, "put_preferences: document"));
  return run("put_preferences", [&](PgConnection& db) -> Result<int64_t> {
    Transaction txn(db);
    MU_RETURN_IF_ERROR(txn.begin());
    // The user's row lock makes concurrent puts of one user take turns.
    MU_RETURN_IF_ERROR(check_user_exists(db, user_id, sql::kLockUser));
    MU_ASSIGN_OR_RETURN(PgResult stored,
                        run_query(db, sql::kSelectPreferencesVersion, Params().add_int(user_id)));
    const int64_t current = stored.rows() > 0 ? stored.int64(0, 0) : 0;
    if (current != expected_version) {
      return error(ErrorCode::kConflict, "preferences of user " + std::to_string(user_id) +
                                             " are at version " + std::to_string(current) +
                                             ", not " + std::to_string(expected_version));
    }
    Params params;
    params.add_int(user_id).add_int(current + 1).add_text(body).add_int(now_ms);
    MU_RETURN_IF_ERROR(run_query(db, sql::kUpsertPreferences, params).status());
    MU_RETURN_IF_ERROR(txn.commit());
    return current + 1;
  });
}

Result<std::optional<PreferencesRecord>> PostgresStore::preferences(int64_t user_id) {
  return run("preferences", [&](PgConnection& db) -> Result<std::optional<PreferencesRecord>> {
    MU_ASSIGN_OR_RETURN(PgResult result,
                        run_query(db, sql::kSelectPreferences, Params().add_int(user_id)));
    if (result.rows() == 0) {
      return std::optional<PreferencesRecord>();
    }
    return std::optional<PreferencesRecord>(sql::preferences_from(Row(result, 0)));
  });
}

Result<int64_t> PostgresStore::append_audit(const AuditRecord& record) {
  MU_RETURN_IF_ERROR(check_audit_record(record));
  for (const std::string* text : {&record.actor, &record.action, &record.target, &record.detail}) {
    MU_RETURN_IF_ERROR(check_text(*text, "append_audit"));
  }
  return run("append_audit", [&](PgConnection& db) -> Result<int64_t> {
    Transaction txn(db);
    MU_RETURN_IF_ERROR(txn.begin());
    MU_RETURN_IF_ERROR(db.query(kAdvisoryXactLock, Params().add_int(kAuditLockKey)).status());
    Params params;
    params.add_int(record.at_ms)
        .add_text(record.actor)
        .add_text(record.action)
        .add_text(record.target)
        .add_text(record.detail.empty() ? std::string_view("{}") : record.detail);
    MU_ASSIGN_OR_RETURN(int64_t id, query_int(db, sql::kInsertAudit, params));
    MU_RETURN_IF_ERROR(txn.commit());
    return id;
  });
}

Result<std::vector<AuditRecord>> PostgresStore::audit_log(int limit, int64_t before_id) {
  MU_RETURN_IF_ERROR(check_limit("audit_log", limit));
  return run("audit_log", [&](PgConnection& db) -> Result<std::vector<AuditRecord>> {
    MU_ASSIGN_OR_RETURN(PgResult result, run_query(db, sql::kSelectAudit,
                                                   Params().add_int(limit).add_int(before_id)));
    return all_rows(result, [](const Row& row) { return sql::audit_from(row); });
  });
}

Status PostgresStore::put_login_state(const std::string& state_hash,
                                      const std::string& code_verifier,
                                      const std::string& return_to, int64_t expires_ms,
                                      const LoginStateLimits& limits) {
  MU_RETURN_IF_ERROR(check_login_state(state_hash, code_verifier, limits));
  MU_RETURN_IF_ERROR(check_text(limits.client, "put_login_state: client"));
  MU_RETURN_IF_ERROR(check_text(state_hash, "put_login_state: state hash"));
  MU_RETURN_IF_ERROR(check_text(code_verifier, "put_login_state: code verifier"));
  MU_RETURN_IF_ERROR(check_text(return_to, "put_login_state: return_to"));
  return run("put_login_state", [&](PgConnection& db) -> Status {
    // Two statements, each atomic on its own: a purge lost with the connection is harmless.
    MU_RETURN_IF_ERROR(run_query(db, sql::kPurgeLoginStates,
                                 Params().add_int(login_state_purge_before(expires_ms)))
                           .status());
    Params params;
    params.add_text(state_hash)
        .add_text(code_verifier)
        .add_text(return_to)
        .add_int(expires_ms)
        .add_text(limits.client);
    MU_RETURN_IF_ERROR(run_query(db, sql::kInsertLoginState, params).status());
    // Evictions, each atomic on its own: lost with the connection, the next put catches up.
    if (limits.per_client > 0) {
      MU_RETURN_IF_ERROR(
          run_query(
              db, sql::kEvictClientLoginStates,
              Params().add_text(limits.client).add_text(state_hash).add_int(limits.per_client - 1))
              .status());
    }
    if (limits.total > 0) {
      MU_RETURN_IF_ERROR(run_query(db, sql::kEvictLoginStates,
                                   Params().add_text(state_hash).add_int(limits.total - 1))
                             .status());
    }
    return ok_status();
  });
}

Result<int64_t> PostgresStore::count_login_states() {
  return run("count_login_states", [&](PgConnection& db) -> Result<int64_t> {
    return query_int(db, sql::kCountLoginStates);
  });
}

Result<std::optional<LoginStateRecord>> PostgresStore::take_login_state(
    const std::string& state_hash, int64_t now_ms) {
  MU_RETURN_IF_ERROR(check_state_hash(state_hash));
  if (!pg::is_storable_text(state_hash)) {
    return std::optional<LoginStateRecord>();  // never stored
  }
  // The purge first: when it fails nothing was taken. The take is one statement; when the
  // connection breaks while it runs, run() tries again, which finds nothing if the first
  // attempt did delete the row (the sign-in fails, it is never used twice).
  return run("take_login_state", [&](PgConnection& db) -> Result<std::optional<LoginStateRecord>> {
    MU_RETURN_IF_ERROR(run_query(db, sql::kPurgeLoginStates, Params().add_int(now_ms)).status());
    MU_ASSIGN_OR_RETURN(PgResult result,
                        run_query(db, sql::kTakeLoginState, Params().add_text(state_hash)));
    if (result.rows() == 0) {
      return std::optional<LoginStateRecord>();
    }
    LoginStateRecord record = sql::login_state_from(Row(result, 0));
    if (record.expires_ms <= now_ms) {
      return std::optional<LoginStateRecord>();  // expired: deleted, reported as absent
    }
    return std::optional<LoginStateRecord>(std::move(record));
  });
}

Status PostgresStore::put_credential(const CredentialRecord& c) {
  if (c.name.empty() || c.sealed.empty()) {
    return error(ErrorCode::kInvalid, "put_credential: empty name or value");
  }
  for (const std::string* text : {&c.name, &c.sealed, &c.updated_by}) {
    MU_RETURN_IF_ERROR(check_text(*text, "put_credential"));
  }
  return run("put_credential", [&](PgConnection& db) -> Status {
    return run_query(db, sql::kUpsertCredential,
                     Params()
                         .add_text(c.name)
                         .add_text(c.sealed)
                         .add_int(c.updated_ms)
                         .add_text(c.updated_by))
        .status();
  });
}

Result<bool> PostgresStore::delete_credential(const std::string& name) {
  if (!pg::is_storable_text(name)) return false;
  return run("delete_credential", [&](PgConnection& db) -> Result<bool> {
    MU_ASSIGN_OR_RETURN(PgResult result,
                        run_query(db, sql::kDeleteCredential, Params().add_text(name)));
    return result.affected_rows() > 0;
  });
}

Result<std::vector<CredentialRecord>> PostgresStore::credentials() {
  return run("credentials", [&](PgConnection& db) -> Result<std::vector<CredentialRecord>> {
    MU_ASSIGN_OR_RETURN(PgResult result, run_query(db, sql::kSelectCredentials));
    return all_rows(result, [](const Row& row) { return sql::credential_from(row); });
  });
}

Status PostgresStore::create_api_key(const ApiKeyRecord& key, int64_t max_per_user) {
  MU_RETURN_IF_ERROR(check_api_key(key, max_per_user));
  for (const std::string* text : {&key.id, &key.name, &key.secret_hash, &key.prefix}) {
    MU_RETURN_IF_ERROR(check_text(*text, "create_api_key"));
  }
  return run("create_api_key", [&](PgConnection& db) -> Status {
    Transaction txn(db);
    MU_RETURN_IF_ERROR(txn.begin());
    // The user row lock makes concurrent creations of one user take turns, so the cap holds.
    MU_RETURN_IF_ERROR(check_user_exists(db, key.user_id, sql::kLockUser));
    MU_ASSIGN_OR_RETURN(int64_t clashes,
                        query_int(db, sql::kSelectApiKeyConflict,
                                  Params().add_text(key.id).add_text(key.secret_hash)));
    if (clashes > 0) {
      return error(ErrorCode::kConflict, "create_api_key: a key with that id or secret exists");
    }
    if (max_per_user > 0) {
      MU_ASSIGN_OR_RETURN(int64_t live,
                          query_int(db, sql::kCountLiveApiKeys, Params().add_int(key.user_id)));
      if (live >= max_per_user) return api_keys_full(max_per_user);
    }
    Params params;
    params.add_text(key.id)
        .add_int(key.user_id)
        .add_text(key.name)
        .add_text(key.secret_hash)
        .add_text(key.prefix)
        .add_int(key.created_ms)
        .add_int(key.per_minute)
        .add_int(key.burst);
    MU_RETURN_IF_ERROR(run_query(db, sql::kInsertApiKey, params).status());
    return txn.commit();
  });
}

Result<std::vector<ApiKeyRecord>> PostgresStore::api_keys(int64_t user_id) {
  return run("api_keys", [&](PgConnection& db) -> Result<std::vector<ApiKeyRecord>> {
    MU_ASSIGN_OR_RETURN(PgResult result,
                        run_query(db, sql::kSelectApiKeys, Params().add_int(user_id)));
    return all_rows(result, [](const Row& row) { return sql::api_key_from(row); });
  });
}

Result<std::optional<ApiKeyRecord>> PostgresStore::api_key_by_hash(const std::string& secret_hash) {
  if (!pg::is_storable_text(secret_hash)) return std::optional<ApiKeyRecord>();
  return run("api_key_by_hash", [&](PgConnection& db) -> Result<std::optional<ApiKeyRecord>> {
    MU_ASSIGN_OR_RETURN(PgResult result,
                        run_query(db, sql::kSelectApiKeyByHash, Params().add_text(secret_hash)));
    if (result.rows() == 0) return std::optional<ApiKeyRecord>();
    return std::optional<ApiKeyRecord>(sql::api_key_from(Row(result, 0)));
  });
}

Result<bool> PostgresStore::revoke_api_key(const std::string& id, int64_t user_id, int64_t now_ms) {
  if (!pg::is_storable_text(id)) return false;
  return run("revoke_api_key", [&](PgConnection& db) -> Result<bool> {
    MU_ASSIGN_OR_RETURN(
        PgResult result,
        run_query(db, sql::kRevokeApiKey, Params().add_text(id).add_int(user_id).add_int(now_ms)));
    return result.affected_rows() > 0;
  });
}

Status PostgresStore::set_api_key_limits(const std::string& id, int64_t per_minute, int64_t burst) {
  MU_RETURN_IF_ERROR(check_api_key_limits(per_minute, burst));
  if (!pg::is_storable_text(id))
    return error(ErrorCode::kNotFound, "set_api_key_limits: no such key");
  return run("set_api_key_limits", [&](PgConnection& db) -> Status {
    MU_ASSIGN_OR_RETURN(PgResult result,
                        run_query(db, sql::kSetApiKeyLimits,
                                  Params().add_text(id).add_int(per_minute).add_int(burst)));
    return result.affected_rows() == 0
               ? error(ErrorCode::kNotFound, "set_api_key_limits: no such key")
               : ok_status();
  });
}

Status PostgresStore::add_api_key_usage(const std::vector<ApiKeyUsage>& usage) {
  MU_RETURN_IF_ERROR(check_api_key_usage(usage));
  if (usage.empty()) return ok_status();
  return run("add_api_key_usage", [&](PgConnection& db) -> Status {
    Transaction txn(db);
    MU_RETURN_IF_ERROR(txn.begin());
    for (const auto& u : usage) {
      if (!pg::is_storable_text(u.id)) continue;
      MU_RETURN_IF_ERROR(
          run_query(db, sql::kAddApiKeyUsage,
                    Params().add_text(u.id).add_int(u.requests).add_int(u.last_used_ms))
              .status());
    }
    return txn.commit();
  });
}

Status PostgresStore::put_presence(const std::string& instance, int64_t readers, int64_t now_ms) {
  MU_RETURN_IF_ERROR(check_presence(instance, readers));
  MU_RETURN_IF_ERROR(check_text(instance, "put_presence: instance"));
  return run("put_presence", [&](PgConnection& db) -> Status {
    return run_query(db, sql::kUpsertPresence,
                     Params().add_text(instance).add_int(readers).add_int(now_ms))
        .status();
  });
}

Result<int64_t> PostgresStore::count_presence(int64_t since_ms) {
  return run("count_presence", [&](PgConnection& db) -> Result<int64_t> {
    return query_int(db, sql::kCountPresence, Params().add_int(since_ms));
  });
}

// ---------------------------------------------------------------------------------------
// History

Result<SearchResult> PostgresStore::search(const SearchRequest& request) {
  MU_RETURN_IF_ERROR(check_search(request));
  if (!pg::is_storable_text(request.board) || !pg::is_storable_text(request.site)) {
    return invalid("search: board and site must be UTF-8 without NUL bytes");
  }
  const std::string query = search::tsquery_literal(request.query);
  const history::SearchBounds bounds = history::search_bounds(request);
  return run("search", [&](PgConnection& db) -> Result<SearchResult> {
    Transaction txn(db);
    MU_RETURN_IF_ERROR(txn.begin(kBeginSnapshotRead));
    SearchResult result;
    const bool best = request.order == SearchOrder::kBestRank;
    Params filters;
    filters.add_text(query)
        .add_text(request.board)
        .add_text(request.site)
        .add_int(bounds.from_ms)
        .add_int(bounds.to_ms);
    Params range;
    range.add_text(query)
        .add_int(bounds.from_ms)
        .add_int(bounds.to_ms)
        .add_int(kSearchCountLimit + 1);
    MU_ASSIGN_OR_RETURN(PgResult scan_rows, run_custom_planned(db, sql::kSearchScan, range));
    const std::vector<history::SearchScanRow> scan =
        all_rows(scan_rows, [](const Row& row) { return sql::search_scan_row_from(row); });
    const std::optional<std::vector<int64_t>> page =
        best ? std::nullopt : history::page_from_scan(scan, request, bounds);
    if (page) {
      MU_ASSIGN_OR_RETURN(PgResult hits,
                          run_query(db, sql::kSelectHistoryItemsByIds,
                                    Params().add_text(history::id_list(*page, /*postgres=*/true))));
      result.hits = all_rows(hits, [](const Row& row) { return sql::history_item_from(row); });
    } else {
      Params params = filters;
      if (best) {
        params.add_int(bounds.cursor_rank).add_int(bounds.cursor_seen_ms);
      }
      params.add_int(bounds.cursor_id).add_int(request.limit + 1);
      MU_ASSIGN_OR_RETURN(
          PgResult hits,
          run_custom_planned(
              db, best ? sql::Statement(sql::kSearchBest) : sql::Statement(sql::kSearchNewest),
              params));
      result.hits = all_rows(hits, [](const Row& row) { return sql::history_item_from(row); });
    }
    if (result.hits.size() > static_cast<size_t>(request.limit)) {
      result.more = true;
      result.hits.resize(static_cast<size_t>(request.limit));
    }
    const std::vector<history::SearchGroup> groups = history::search_groups(scan);
    if (history::tally_search(groups, request, result)) {
      Params params = filters;
      params.add_int(kSearchCountLimit + 1);
      MU_ASSIGN_OR_RETURN(PgResult counted, run_custom_planned(db, sql::kSearchCount, params));
      history::set_counted_total(counted.rows() > 0 ? counted.int64(0, 0) : 0, result);
    }
    if (!request.facets) {
      result.sites.clear();
      result.boards.clear();
    }
    MU_RETURN_IF_ERROR(txn.commit());
    return result;
  });
}

Result<std::optional<ItemTimeline>> PostgresStore::item_timeline(const std::string& board,
                                                                 const std::string& key,
                                                                 int related_limit) {
  MU_RETURN_IF_ERROR(check_related_limit(related_limit));
  if (!pg::is_storable_text(board) || !pg::is_storable_text(key)) {
    return std::optional<ItemTimeline>();  // no item has such a board or key
  }
  return run(
      "item_timeline " + board, [&](PgConnection& db) -> Result<std::optional<ItemTimeline>> {
        Transaction txn(db);
        MU_RETURN_IF_ERROR(txn.begin(kBeginSnapshotRead));
        ItemTimeline timeline;
        {
          MU_ASSIGN_OR_RETURN(PgResult rows, run_query(db, sql::kSelectHistoryItem,
                                                       Params().add_text(board).add_text(key)));
          if (rows.rows() == 0) {
            MU_RETURN_IF_ERROR(txn.commit());
            return std::optional<ItemTimeline>();
          }
          timeline.item = sql::history_item_from(Row(rows, 0));
        }
        {
          MU_ASSIGN_OR_RETURN(PgResult rows, run_query(db, sql::kSelectItemPoints,
                                                       Params().add_int(timeline.item.id)));
          timeline.points =
              all_rows(rows, [](const Row& row) { return sql::history_point_from(row); });
        }
        if (related_limit > 0) {
          Params params;
          params.add_text(board)
              .add_int(timeline.item.title_key)
              .add_int(timeline.item.url_key)
              .add_int(related_limit);
          MU_ASSIGN_OR_RETURN(PgResult rows, run_query(db, sql::kSelectRelatedItems, params));
          timeline.related =
              all_rows(rows, [](const Row& row) { return sql::history_item_from(row); });
        }
        MU_RETURN_IF_ERROR(txn.commit());
        return std::optional<ItemTimeline>(std::move(timeline));
      });
}

Result<std::optional<BoardAt>> PostgresStore::board_at(const std::string& board, int64_t at_ms) {
  if (!pg::is_storable_text(board)) {
    return std::optional<BoardAt>();
  }
  return run("board_at " + board, [&](PgConnection& db) -> Result<std::optional<BoardAt>> {
    MU_ASSIGN_OR_RETURN(
        PgResult rows, run_query(db, sql::kSelectBoardAt, Params().add_text(board).add_int(at_ms)));
    std::optional<BoardAt> out;
    for (int row = 0; row < rows.rows(); ++row) {
      history::add_board_at_row(
          out, sql::history_item_from(Row(rows, row)),
          sql::history_point_from(Row(rows, row), sql::kHistoryItemColumnCount));
    }
    return out;
  });
}

Result<std::vector<DayEntry>> PostgresStore::window_entries(const std::string& board,
                                                            int64_t start_ms, int64_t end_ms,
                                                            int limit) {
  MU_RETURN_IF_ERROR(check_window(start_ms, end_ms, limit));
  if (!pg::is_storable_text(board)) {
    return std::vector<DayEntry>();
  }
  return run("window_entries " + board, [&](PgConnection& db) -> Result<std::vector<DayEntry>> {
    Transaction txn(db);
    MU_RETURN_IF_ERROR(txn.begin(kBeginSnapshotRead));
    const bool all = board.empty();
    Params params;
    params.add_text(board).add_int(start_ms).add_int(end_ms);
    MU_ASSIGN_OR_RETURN(PgResult item_rows,
                        run_query(db,
                                  all ? sql::Statement(sql::kSelectWindowItemsOfAll)
                                      : sql::Statement(sql::kSelectWindowItemsOfBoard),
                                  params));
    const std::vector<HistoryItem> items =
        all_rows(item_rows, [](const Row& row) { return sql::history_item_from(row); });
    MU_ASSIGN_OR_RETURN(PgResult point_rows,
                        run_query(db,
                                  all ? sql::Statement(sql::kSelectWindowPointsOfAll)
                                      : sql::Statement(sql::kSelectWindowPointsOfBoard),
                                  params));
    history::WindowPoints points;
    for (int row = 0; row < point_rows.rows(); ++row) {
      points[point_rows.int64(row, 0)].push_back(sql::history_point_from(Row(point_rows, row), 1));
    }
    MU_RETURN_IF_ERROR(txn.commit());
    return history::window_entries(items, points, start_ms, end_ms, limit);
  });
}

Result<int64_t> PostgresStore::compact_history(int64_t hourly_before_ms, int64_t drop_before_ms) {
  const history::ThinRange range = history::thin_range(hourly_before_ms);
  return run("compact_history", [&](PgConnection& db) -> Result<int64_t> {
    Transaction txn(db);
    MU_RETURN_IF_ERROR(txn.begin());
    // The write lock of commits: points are not thinned under a commit's feet.
    MU_RETURN_IF_ERROR(run_query(db, sql::kLockFence).status());
    int64_t deleted = 0;
    {
      MU_ASSIGN_OR_RETURN(PgResult thinned,
                          run_query(db, sql::kThinItemPoints,
                                    Params().add_int(range.begin_ms).add_int(range.end_ms)));
      deleted += thinned.affected_rows();
    }
    if (drop_before_ms > 0) {
      MU_ASSIGN_OR_RETURN(PgResult dropped,
                          run_query(db, sql::kSelectDroppedItems,
                                    Params().add_int(drop_before_ms).add_int(kDropBatch)));
      for (int row = 0; row < dropped.rows(); ++row) {
        const int64_t id = dropped.int64(row, 0);
        MU_ASSIGN_OR_RETURN(PgResult points,
                            run_query(db, sql::kDeleteItemPoints, Params().add_int(id)));
        deleted += points.affected_rows();
        MU_RETURN_IF_ERROR(run_query(db, sql::kDeleteItem, Params().add_int(id)).status());
      }
    }
    MU_RETURN_IF_ERROR(txn.commit());
    return deleted;
  });
}

}  // namespace

// ---------------------------------------------------------------------------------------

Result<std::unique_ptr<Store>> open_postgres_store(const std::string& url,
                                                   const PostgresStoreOptions& options) {
  MU_ASSIGN_OR_RETURN(pg::ConnectionConfig config, pg::parse_postgres_url(url));
  const auto connect_s = std::max<int64_t>(
      2, (options.connect_timeout.count() + 999) / 1000);  // libpq: whole seconds, >= 2
  config.params.emplace_back("connect_timeout", std::to_string(connect_s));
  config.params.emplace_back("application_name", "mu");
  config.params.emplace_back("client_encoding", "UTF8");
  // Notice a peer that vanished without closing the socket (no RST) within about a minute.
  config.params.emplace_back("keepalives", "1");
  config.params.emplace_back("keepalives_idle", "30");
  config.params.emplace_back("keepalives_interval", "10");
  config.params.emplace_back("keepalives_count", "3");
  std::string server_options = config.url_options;  // the URL's settings stay
  if (options.statement_timeout.count() > 0) {
    server_options += (server_options.empty() ? "" : " ") + std::string("-c statement_timeout=") +
                      std::to_string(options.statement_timeout.count());
  }
  auto add_setting = [&](const char* name, std::chrono::milliseconds value) {
    if (value.count() <= 0) return;
    server_options += (server_options.empty() ? "" : " ") + std::string("-c ") + name + "=" +
                      std::to_string(value.count());
  };
  add_setting("lock_timeout", options.lock_timeout);
  add_setting("idle_in_transaction_session_timeout", options.idle_in_transaction_timeout);
  if (!server_options.empty()) {
    config.params.emplace_back("options", server_options);
  }
  MU_ASSIGN_OR_RETURN(std::unique_ptr<PgConnection> first, PgConnection::connect(config));
  spdlog::info("postgres store: connected to {} (pool of {})", config.description,
               std::max(options.pool_size, 1));
  return std::unique_ptr<Store>(
      std::make_unique<PostgresStore>(std::move(config), options, std::move(first)));
}

uint64_t postgres_connection_errors() {
  return g_connection_errors.load(std::memory_order_relaxed);
}

// --- alerts: writes take the alerts advisory lock (serializing MAX(id) + 1 and the caps) ---

Status PostgresStore::put_document(const UserDocument& d, int64_t max_per_user) {
  MU_RETURN_IF_ERROR(check_document(d, max_per_user));
  for (const std::string* text : {&d.kind, &d.id, &d.body}) {
    MU_RETURN_IF_ERROR(check_text(*text, "put_document"));
  }
  return run("put_document", [&](PgConnection& db) -> Status {
    Transaction txn(db);
    MU_RETURN_IF_ERROR(txn.begin());
    MU_RETURN_IF_ERROR(db.query(kAdvisoryXactLock, Params().add_int(kAlertsLockKey)).status());
    MU_RETURN_IF_ERROR(check_user_exists(db, d.user_id));
    MU_ASSIGN_OR_RETURN(PgResult owner, run_query(db, sql::kSelectDocumentOwner,
                                                  Params().add_text(d.kind).add_text(d.id)));
    if (owner.rows() > 0 && owner.int64(0, 0) != d.user_id) {
      return error(ErrorCode::kNotFound, "no " + d.kind + " '" + d.id + "' of this user");
    }
    if (owner.rows() == 0 && max_per_user > 0) {
      MU_ASSIGN_OR_RETURN(int64_t n, query_int(db, sql::kCountUserDocuments,
                                               Params().add_text(d.kind).add_int(d.user_id)));
      if (n >= max_per_user) {
        return error(ErrorCode::kConflict, "at most " + std::to_string(max_per_user) + " " +
                                               d.kind + " documents per user");
      }
    }
    MU_RETURN_IF_ERROR(
        run_query(
            db, sql::kUpsertDocument,
            Params().add_text(d.kind).add_text(d.id).add_int(d.user_id).add_text(d.body).add_int(
                d.updated_ms))
            .status());
    MU_RETURN_IF_ERROR(
        run_query(db, sql::kBumpDocumentRevision, Params().add_text(d.kind)).status());
    return txn.commit();
  });
}

Result<bool> PostgresStore::delete_document(std::string_view kind, const std::string& id,
                                            int64_t user_id) {
  if (!pg::is_storable_text(kind) || !pg::is_storable_text(id)) return false;
  return run("delete_document", [&](PgConnection& db) -> Result<bool> {
    Transaction txn(db);
    MU_RETURN_IF_ERROR(txn.begin());
    MU_RETURN_IF_ERROR(db.query(kAdvisoryXactLock, Params().add_int(kAlertsLockKey)).status());
    MU_ASSIGN_OR_RETURN(
        PgResult deleted,
        run_query(db, sql::kDeleteDocument, Params().add_text(kind).add_text(id).add_int(user_id)));
    if (deleted.affected_rows() == 0) return false;
    std::optional<sql::Statement> follow;
    if (kind == kRuleDocument) follow = sql::kDeleteRuleMatches;
    if (kind == kChannelDocument) follow = sql::kDeleteChannelDeliveries;
    if (follow) {
      MU_RETURN_IF_ERROR(run_query(db, *follow, Params().add_text(id)).status());
    }
    MU_RETURN_IF_ERROR(run_query(db, sql::kBumpDocumentRevision, Params().add_text(kind)).status());
    MU_RETURN_IF_ERROR(txn.commit());
    return true;
  });
}

Result<std::vector<UserDocument>> PostgresStore::documents(std::string_view kind, int64_t user_id) {
  if (!pg::is_storable_text(kind)) return std::vector<UserDocument>();
  return run("documents", [&](PgConnection& db) -> Result<std::vector<UserDocument>> {
    MU_ASSIGN_OR_RETURN(PgResult result, run_query(db, sql::kSelectDocuments,
                                                   Params().add_text(kind).add_int(user_id)));
    return all_rows(result, [](const Row& row) { return sql::document_from(row); });
  });
}

Result<std::optional<UserDocument>> PostgresStore::document(std::string_view kind,
                                                            const std::string& id) {
  if (!pg::is_storable_text(kind) || !pg::is_storable_text(id)) {
    return std::optional<UserDocument>();
  }
  return run("document", [&](PgConnection& db) -> Result<std::optional<UserDocument>> {
    MU_ASSIGN_OR_RETURN(PgResult result,
                        run_query(db, sql::kSelectDocument, Params().add_text(kind).add_text(id)));
    if (result.rows() == 0) return std::optional<UserDocument>();
    return std::optional<UserDocument>(sql::document_from(Row(result, 0)));
  });
}

Result<int64_t> PostgresStore::document_revision(std::string_view kind) {
  if (!pg::is_storable_text(kind)) return int64_t{0};
  return run("document_revision", [&](PgConnection& db) -> Result<int64_t> {
    return query_int(db, sql::kSelectDocumentRevision, Params().add_text(kind));
  });
}

Result<int64_t> PostgresStore::record_matches(const std::vector<NewMatch>& matches,
                                              const std::optional<AlertCursor>& cursor) {
  MU_RETURN_IF_ERROR(check_new_matches(matches));
  if (cursor) MU_RETURN_IF_ERROR(check_text(cursor->board, "record_matches"));
  for (const NewMatch& n : matches) {
    const AlertMatch& m = n.match;
    for (const std::string* text :
         {&m.rule_id, &m.board, &m.item_key, &m.title, &m.url, &m.hot_text}) {
      MU_RETURN_IF_ERROR(check_text(*text, "record_matches"));
    }
    for (const std::string& channel : n.channel_ids) {
      MU_RETURN_IF_ERROR(check_text(channel, "record_matches"));
    }
  }
  if (matches.empty() && !cursor) return int64_t{0};
  return run("record_matches", [&](PgConnection& db) -> Result<int64_t> {
    Transaction txn(db);
    MU_RETURN_IF_ERROR(txn.begin());
    MU_RETURN_IF_ERROR(db.query(kAdvisoryXactLock, Params().add_int(kAlertsLockKey)).status());
    if (cursor) {
      MU_RETURN_IF_ERROR(run_query(db, sql::kUpsertAlertCursor,
                                   Params().add_text(cursor->board).add_int(cursor->evaluated_ms))
                             .status());
    }
    int64_t added = 0;
    for (const NewMatch& n : matches) {
      const AlertMatch& m = n.match;
      MU_ASSIGN_OR_RETURN(PgResult inserted, run_query(db, sql::kInsertMatch,
                                                       Params()
                                                           .add_text(m.rule_id)
                                                           .add_int(m.user_id)
                                                           .add_text(m.board)
                                                           .add_text(m.item_key)
                                                           .add_text(m.title)
                                                           .add_text(m.url)
                                                           .add_int(m.rank)
                                                           .add_text(m.hot_text)
                                                           .add_int(m.matched_ms)));
      if (inserted.rows() == 0) continue;  // recorded before
      const int64_t match_id = inserted.int64(0, 0);
      ++added;
      for (const std::string& channel : n.channel_ids) {
        MU_RETURN_IF_ERROR(
            run_query(db, sql::kInsertDelivery,
                      Params().add_int(match_id).add_text(channel).add_int(n.deliver_at_ms))
                .status());
      }
    }
    MU_RETURN_IF_ERROR(txn.commit());
    return added;
  });
}

Result<int64_t> PostgresStore::alert_cursor(const std::string& board) {
  if (!pg::is_storable_text(board)) return int64_t{0};
  return run("alert_cursor", [&](PgConnection& db) -> Result<int64_t> {
    return query_int(db, sql::kSelectAlertCursor, Params().add_text(board));
  });
}

Result<std::vector<DeliveryRecord>> PostgresStore::claim_deliveries(int64_t now_ms,
                                                                    int64_t lease_until_ms,
                                                                    int limit) {
  MU_RETURN_IF_ERROR(check_limit("claim_deliveries", limit));
  return run("claim_deliveries", [&](PgConnection& db) -> Result<std::vector<DeliveryRecord>> {
    Transaction txn(db);
    MU_RETURN_IF_ERROR(txn.begin());
    MU_ASSIGN_OR_RETURN(PgResult claimed,
                        run_query(db, sql::kClaimDeliveries,
                                  Params().add_int(now_ms).add_int(lease_until_ms).add_int(limit)));
    std::vector<int64_t> ids;
    for (int row = 0; row < claimed.rows(); ++row) ids.push_back(claimed.int64(row, 0));
    std::sort(ids.begin(), ids.end());
    std::vector<DeliveryRecord> out;
    out.reserve(ids.size());
    for (int64_t id : ids) {
      MU_ASSIGN_OR_RETURN(PgResult one, run_query(db, sql::kSelectDelivery, Params().add_int(id)));
      if (one.rows() > 0) out.push_back(sql::delivery_from(Row(one, 0)));
    }
    MU_RETURN_IF_ERROR(txn.commit());
    return out;
  });
}

Status PostgresStore::update_delivery(const DeliveryUpdate& u) {
  MU_RETURN_IF_ERROR(check_delivery_update(u));
  MU_RETURN_IF_ERROR(check_text(u.last_error, "update_delivery"));
  return run("update_delivery", [&](PgConnection& db) -> Status {
    MU_ASSIGN_OR_RETURN(PgResult result, run_query(db, sql::kUpdateDelivery,
                                                   Params()
                                                       .add_int(u.id)
                                                       .add_text(delivery_state_name(u.state))
                                                       .add_int(u.attempts)
                                                       .add_int(u.next_ms)
                                                       .add_int(u.sent_ms)
                                                       .add_text(u.last_error)));
    if (result.affected_rows() == 0) {
      return error(ErrorCode::kNotFound, "no delivery " + std::to_string(u.id));
    }
    return ok_status();
  });
}

Result<std::vector<DeliveryRecord>> PostgresStore::deliveries(const DeliveryQuery& q) {
  MU_RETURN_IF_ERROR(check_limit("deliveries", q.limit));
  if (!pg::is_storable_text(q.rule_id)) return std::vector<DeliveryRecord>();
  return run("deliveries", [&](PgConnection& db) -> Result<std::vector<DeliveryRecord>> {
    MU_ASSIGN_OR_RETURN(
        PgResult result,
        run_query(db, sql::kSelectDeliveries,
                  Params()
                      .add_int(q.user_id)
                      .add_text(q.rule_id)
                      .add_text(q.state ? delivery_state_name(*q.state) : std::string_view())
                      .add_int(q.before_id)
                      .add_int(q.limit)));
    return all_rows(result, [](const Row& row) { return sql::delivery_from(row); });
  });
}

Result<std::vector<AlertMatch>> PostgresStore::alert_matches(const std::string& rule_id,
                                                             int limit) {
  MU_RETURN_IF_ERROR(check_limit("alert_matches", limit));
  if (!pg::is_storable_text(rule_id)) return std::vector<AlertMatch>();
  return run("alert_matches", [&](PgConnection& db) -> Result<std::vector<AlertMatch>> {
    MU_ASSIGN_OR_RETURN(PgResult result, run_query(db, sql::kSelectRuleMatches,
                                                   Params().add_text(rule_id).add_int(limit)));
    return all_rows(result, [](const Row& row) { return sql::alert_match_from(row); });
  });
}

Result<int64_t> PostgresStore::prune_alerts(int64_t before_ms) {
  return run("prune_alerts", [&](PgConnection& db) -> Result<int64_t> {
    MU_ASSIGN_OR_RETURN(PgResult result,
                        run_query(db, sql::kPruneMatches, Params().add_int(before_ms)));
    return result.affected_rows();
  });
}

}  // namespace mu
