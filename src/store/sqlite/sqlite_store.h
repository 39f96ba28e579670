// SqliteStore: the embedded Store on one SQLite file (or ":memory:" for tests), used by
// `mu serve`. Schema: the shared numbered migrations (store/migrations.h), applied by
// migrate(); statements: store/sql_statements.h, shared with PostgresStore.
//
// Thread safety: every method is safe for concurrent use and runs in one transaction.
// Writes go through one writer connection behind a mutex and run in BEGIN IMMEDIATE
// transactions, which also serializes them with other processes on the same file. Reads
// use a small pool of query-only connections, each in a read transaction, so readers see a
// consistent snapshot and neither block nor are blocked by the writer (WAL). A ":memory:"
// database has a single connection, so there reads share the writer's mutex.
//
// Catalogue: boards and sites that disappear from the catalogue are *retired*, not
// deleted: their snapshots, runs and history stay, and they come back as they were if the
// catalogue lists them again. A retired board behaves as an unknown board (kNotFound) for
// every per-board method and is left out of board_states().
//
// Errors: kUnavailable when the file cannot be opened, created, read or written (busy past
// the timeout, I/O error, disk full, corrupt, read-only); kConfig for a schema that is
// newer than this binary or not migrated; kInvalid for malformed requests; kInternal for
// unexpected library failures. Nothing throws.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "core/status.h"
#include "store/store.h"

namespace mu {

namespace sqlite {
class SqliteConnection;
}

struct SqliteStoreOptions {
  // Pool size for readers (file databases only); at least 1.
  int max_readers = 4;
  // How long a statement waits for another process's lock before giving kUnavailable.
  int busy_timeout_ms = 5000;
  // Stamps schema_migrations.applied_at_ms; the system clock when null. Borrowed: must
  // outlive the store.
  const Clock* clock = nullptr;
  // false: commits write the items rows (what board views need) but no points and no search
  // entries — bench/history.sh's baseline for what history adds to a commit.
  bool record_history = true;
};

// Opens (creating it and its parent directories if needed) the database at `path`;
// ":memory:" gives a private in-memory database. Does not migrate: call migrate().
// kUnavailable with the path and the reason when the file cannot be opened or created.
Result<std::unique_ptr<Store>> open_sqlite_store(const std::string& path);
Result<std::unique_ptr<Store>> open_sqlite_store(const std::string& path,
                                                 const SqliteStoreOptions& options);

class SqliteStore final : public Store {
 public:
  ~SqliteStore() override;

  // Applies pending migrations, each in its own transaction. kConfig when the database
  // has a schema version newer than latest_schema_version().
  Status migrate() override;

  // Upserts sites and boards (metadata and schedule; config_version is bumped when they
  // change), retires the ones no longer listed. Keeps enabled flags and runtime state.
  // kInvalid for empty or duplicate ids and for boards naming a site not in `sites`.
  Status sync_catalogue(const std::vector<Site>& sites,
                        const std::vector<BoardMeta>& boards) override;

  // The snapshot's time is request.stats.finished_ms; items get ranks 1..n in the given
  // order. Checks, in this order: kInvalid (empty board or dispatch id, empty or
  // duplicate item keys), kFenced, kConflict (dispatch already has a snapshot), kNotFound
  // (unknown or retired board). Nothing is written when any check fails; a fence raised
  // by a rejected request is rolled back with it.
  Result<int64_t> commit_snapshot(const CommitRequest& request) override;

  // Like commit_snapshot's checks; also kInvalid for an ok `error` and kConflict when the
  // dispatch already has a snapshot (its slot succeeded: a late failure must not mark the
  // board stale).
  Status record_failure(const FailureRecord& failure) override;

  // Two queries in one read transaction. kNotFound for an unknown board.
  Result<std::optional<BoardView>> board_view(const std::string& board) override;

  // Non-retired boards ordered by id. One statement: the run history of each board comes
  // from correlated subqueries bounded by kRecentRunsWindow on the runs_board_id index.
  Result<std::vector<BoardState>> board_states() override;
  Result<BoardState> board_state(const std::string& board) override;

  // Newest first (by insertion order); at most `limit` (kInvalid when negative).
  Result<std::vector<RunRecord>> runs(const std::string& board, int limit) override;

  // Keeps the newest max(keep_per_board, 1) snapshots of each board (the latest is never
  // deleted) and returns how many snapshots were deleted; their item rows go with them.
  Result<int64_t> prune_snapshots(int keep_per_board) override;
  Result<int64_t> prune_runs(int64_t before_ms) override;
  Result<std::vector<RunTally>> run_tallies(int64_t since_ms, int64_t bucket_ms) override;

  Result<int64_t> fence_epoch() override;
  Result<int64_t> raise_fence(int64_t epoch) override;
  Result<int64_t> put_board_override(const std::string& board, int64_t expected_version,
                                     const std::string& json, int64_t now_ms) override;
  Result<std::vector<BoardOverrideRecord>> board_overrides() override;
  Result<std::optional<BoardOverrideRecord>> board_override(const std::string& board) override;

  // Accounts (store/store.h). Writes go through the writer like the rest; session()
  // reads on a reader and deletes an expired row through the writer.
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
  // Login states: both calls write (BEGIN IMMEDIATE on the writer); take_login_state is a
  // DELETE ... RETURNING (SQLite 3.35 or newer), which the write lock makes one-use across
  // threads and processes alike.
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

  // History (store/history.h). Reads run on a reader in one read transaction; search uses
  // the FTS5 table items_fts. compact_history writes like a commit (BEGIN IMMEDIATE).
  Result<SearchResult> search(const SearchRequest& request) override;
  Result<std::optional<ItemTimeline>> item_timeline(const std::string& board,
                                                    const std::string& key,
                                                    int related_limit) override;
  Result<std::optional<BoardAt>> board_at(const std::string& board, int64_t at_ms) override;
  Result<std::vector<DayEntry>> window_entries(const std::string& board, int64_t start_ms,
                                               int64_t end_ms, int limit) override;
  Result<int64_t> compact_history(int64_t hourly_before_ms, int64_t drop_before_ms) override;

  // Alerts (store/alerts.h): every write takes the write lock (BEGIN IMMEDIATE), which
  // serializes the MAX(id) + 1 of matches and deliveries and the per-user caps.
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

  const std::string& path() const { return path_; }

  // Use open_sqlite_store(); public only for std::make_unique.
  SqliteStore(std::string path, std::unique_ptr<sqlite::SqliteConnection> writer,
              const SqliteStoreOptions& options);

 private:
  class ReadLease;

  Result<ReadLease> acquire_reader();
  void release_reader(std::unique_ptr<sqlite::SqliteConnection> conn);
  int64_t now_ms() const;
  // Runs `op` in a transaction on the writer (under its mutex, BEGIN IMMEDIATE) or on a
  // leased reader (BEGIN), committed when `op` succeeds; errors get `context`.
  template <typename Op>
  auto write(const std::string& context, Op&& op)
      -> decltype(op(std::declval<sqlite::SqliteConnection&>()));
  template <typename Op>
  auto read(const std::string& context, Op&& op)
      -> decltype(op(std::declval<sqlite::SqliteConnection&>()));

  const std::string path_;
  const SqliteStoreOptions options_;
  const bool in_memory_;
  std::unique_ptr<Clock> own_clock_;  // when options_.clock is null
  const Clock* clock_;

  std::mutex write_mu_;
  std::unique_ptr<sqlite::SqliteConnection> writer_;  // guarded by write_mu_

  std::mutex pool_mu_;
  std::condition_variable pool_cv_;
  std::vector<std::unique_ptr<sqlite::SqliteConnection>> idle_readers_;  // by pool_mu_
  int open_readers_ = 0;                                                 // by pool_mu_
};

}  // namespace mu
