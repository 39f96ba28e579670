#include "store/postgres/postgres_store.h"

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

#include "store/migrations.h"
#include "store/postgres/pg_connection.h"
#include "store/store_codec.h"

namespace mu {
namespace {

using pg::Params;
using pg::PgConnection;
using pg::PgResult;
using pg::Transaction;

// --- SQL ------------------------------------------------------------------------------
// Fixed statements are prepared once per connection, keyed by their text. Values always
// travel as parameters ($1, $2, ...).

// Advisory lock keys (any constant 64-bit numbers, unique within the database).
constexpr int64_t kMigrateLockKey = 0x6d755f6d69677261;    // "mu_migra"
constexpr int64_t kCatalogueLockKey = 0x6d755f636174616c;  // "mu_catal"
constexpr char kAdvisoryXactLock[] = "SELECT pg_advisory_xact_lock($1::bigint)";

constexpr char kBeginSnapshotRead[] = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";

constexpr char kSelectSchemaVersion[] = "SELECT COALESCE(MAX(version), 0) FROM schema_migrations";
constexpr char kInsertSchemaVersion[] =
    "INSERT INTO schema_migrations (version, name, applied_at_ms) VALUES ($1, $2, $3)";

constexpr char kUpsertSite[] = R"sql(
INSERT INTO sites (id, name_zh, name_en, home, icon, color, region, retired)
VALUES ($1, $2, $3, $4, $5, $6, $7, 0)
ON CONFLICT (id) DO UPDATE SET
  name_zh = excluded.name_zh, name_en = excluded.name_en, home = excluded.home,
  icon = excluded.icon, color = excluded.color, region = excluded.region, retired = 0)sql";
constexpr char kSelectActiveSites[] = "SELECT id FROM sites WHERE retired = 0";
constexpr char kRetireSite[] = "UPDATE sites SET retired = 1 WHERE id = $1";

// config_version moves when anything the catalogue owns changes (or the board returns
// from retirement); runtime columns are not touched.
constexpr char kUpsertBoard[] = R"sql(
INSERT INTO boards (id, site, name_zh, name_en, kind, every_s, jitter_s, timeout_s, retries,
                    group_name, homepage, notes, needs_cookie, needs_token, retired)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 0)
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
constexpr char kRetireBoard[] = "UPDATE boards SET retired = 1 WHERE id = $1";

// The fence row lock serializes every snapshot and run writer (also across processes), so
// MAX(id) + 1 ids are unique and increase in commit order.
constexpr char kLockFence[] = "SELECT epoch FROM fence WHERE id = 1 FOR UPDATE";
constexpr char kSetFence[] = "UPDATE fence SET epoch = $1 WHERE id = 1";
constexpr char kSelectFence[] = "SELECT epoch FROM fence WHERE id = 1";
constexpr char kRaiseFence[] =
    "UPDATE fence SET epoch = GREATEST(epoch, $1) WHERE id = 1 RETURNING epoch";

constexpr char kSelectSnapshotByDispatch[] = "SELECT id FROM snapshots WHERE dispatch_id = $1";
constexpr char kSelectBoardRetired[] = "SELECT retired FROM boards WHERE id = $1";
constexpr char kLockBoard[] = "SELECT retired FROM boards WHERE id = $1 FOR NO KEY UPDATE";
constexpr char kNextSnapshotId[] = "SELECT COALESCE(MAX(id), 0) + 1 FROM snapshots";
constexpr char kInsertSnapshot[] = R"sql(
INSERT INTO snapshots (id, board, fetched_at_ms, epoch, dispatch_id, slot, item_count)
VALUES ($1, $2, $3, $4, $5, $6, $7))sql";
// Multi-row statements, completed by multi_row_values().
constexpr char kInsertSnapshotItemsHead[] = R"sql(
INSERT INTO snapshot_items (snapshot_id, rank, item_key, title, url, mobile_url, summary, image,
                            hot, hot_text, label, author, published_at_ms, extra)
VALUES )sql";
constexpr int kSnapshotItemWidth = 14;
// first_seen stays the earliest, best_rank the lowest; the rest follows the newest fetch.
constexpr char kUpsertItemsHead[] = R"sql(
INSERT INTO items (board, item_key, title, url, first_seen_ms, last_seen_ms, best_rank,
                   last_rank, times_seen)
VALUES )sql";
constexpr int kUpsertItemWidth = 8;
constexpr char kUpsertItemsTail[] = R"sql(
ON CONFLICT (board, item_key) DO UPDATE SET
  title = excluded.title, url = excluded.url,
  first_seen_ms = LEAST(items.first_seen_ms, excluded.first_seen_ms),
  last_seen_ms = GREATEST(items.last_seen_ms, excluded.last_seen_ms),
  best_rank = LEAST(items.best_rank, excluded.best_rank),
  last_rank = excluded.last_rank,
  times_seen = items.times_seen + 1)sql";
// Rows per multi-row statement: well under PostgreSQL's 65535 parameters.
constexpr size_t kRowsPerStatement = 250;

constexpr char kInsertRun[] = R"sql(
INSERT INTO runs (id, dispatch_id, attempt, board, slot, epoch, status, error_message,
                  started_ms, finished_ms, http_status, bytes, item_count, collector)
VALUES ((SELECT COALESCE(MAX(id), 0) + 1 FROM runs),
        $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13))sql";
constexpr char kBoardCommitted[] = R"sql(
UPDATE boards SET last_ok_ms = $2, last_run_ms = $2, version = $3, item_count = $4,
                  last_error_code = '', last_error = ''
WHERE id = $1)sql";
constexpr char kBoardFailed[] = R"sql(
UPDATE boards SET last_run_ms = $2, last_error_code = $3, last_error = $4
WHERE id = $1 AND last_run_ms <= $2)sql";  // a record written late never hides a newer run

// Run history: two correlated subqueries over the newest kRecentRunsWindow runs of the
// board, each reading the runs_board_id index backwards and stopping after that many rows.
#define MU_PG_RECENT_RUNS_OF_B \
  "(SELECT status FROM runs WHERE board = b.id ORDER BY id DESC LIMIT 20) recent"
static_assert(kRecentRunsWindow == 20, "keep the LIMIT of MU_PG_RECENT_RUNS_OF_B in step");
#define MU_PG_RECENT_RUN_COUNT "(SELECT COUNT(*) FROM " MU_PG_RECENT_RUNS_OF_B ")"
#define MU_PG_RECENT_OK_COUNT \
  "(SELECT COUNT(*) FROM " MU_PG_RECENT_RUNS_OF_B " WHERE recent.status = 'ok')"
#define MU_PG_BOARD_STATE_COLUMNS                                           \
  "b.id, b.enabled, b.last_ok_ms, b.last_run_ms, b.version, b.item_count, " \
  "b.last_error_code, b.last_error, " MU_PG_RECENT_RUN_COUNT ", " MU_PG_RECENT_OK_COUNT
constexpr int kBoardStateColumnCount = 10;

constexpr char kSelectBoardStates[] =
    "SELECT " MU_PG_BOARD_STATE_COLUMNS " FROM boards b WHERE b.retired = 0 ORDER BY b.id";
constexpr char kSelectBoardState[] =
    "SELECT " MU_PG_BOARD_STATE_COLUMNS " FROM boards b WHERE b.id = $1 AND b.retired = 0";

// board_view, query 1: the board's state joined with its two newest snapshots (newest
// first); one row with NULL snapshot columns when it has none.
constexpr char kSelectViewHead[] =
    "SELECT " MU_PG_BOARD_STATE_COLUMNS R"sql(, s.id, s.fetched_at_ms, s.epoch, s.dispatch_id
FROM boards b
LEFT JOIN snapshots s ON s.board = b.id AND s.id IN (
  SELECT id FROM snapshots WHERE board = $1 ORDER BY id DESC LIMIT 2)
WHERE b.id = $1 AND b.retired = 0
ORDER BY s.id DESC)sql";
// board_view, query 2: the newest snapshot's items with their history, then the keys of
// the previous snapshot, each in rank order.
constexpr char kSelectViewItems[] = R"sql(
SELECT si.snapshot_id, si.rank, si.item_key, si.title, si.url, si.mobile_url, si.summary,
       si.image, si.hot, si.hot_text, si.label, si.author, si.published_at_ms, si.extra,
       i.first_seen_ms, i.best_rank
FROM snapshot_items si
LEFT JOIN items i ON i.board = $1 AND i.item_key = si.item_key
WHERE si.snapshot_id = $2
UNION ALL
SELECT snapshot_id, rank, item_key, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
       NULL, NULL, NULL, NULL
FROM snapshot_items
WHERE snapshot_id = $3
ORDER BY 1 DESC, 2)sql";

constexpr char kSelectRuns[] = R"sql(
SELECT dispatch_id, board, slot, epoch, status, error_message, started_ms, finished_ms,
       http_status, bytes, item_count, attempt, collector
FROM runs WHERE board = $1 ORDER BY id DESC LIMIT $2)sql";

// Snapshots beyond the newest $1 of their board; their items go by ON DELETE CASCADE.
constexpr char kPruneSnapshots[] = R"sql(
DELETE FROM snapshots WHERE id IN (
  SELECT id FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY board ORDER BY id DESC) AS position
                  FROM snapshots) ranked
  WHERE position > $1))sql";

constexpr char kSelectOverrideVersion[] = "SELECT version FROM board_overrides WHERE board = $1";
constexpr char kUpsertOverride[] =
    "INSERT INTO board_overrides (board, version, body, updated_ms) VALUES ($1, $2, $3, $4) "
    "ON CONFLICT (board) DO UPDATE SET version = excluded.version, body = excluded.body, "
    "updated_ms = excluded.updated_ms";
constexpr char kSelectOverrides[] =
    "SELECT board, version, body, updated_ms FROM board_overrides ORDER BY board";
constexpr char kSelectOverride[] =
    "SELECT board, version, body, updated_ms FROM board_overrides WHERE board = $1";

// --- accounts ---

constexpr int64_t kUsersLockKey = 0x6d755f7573657273;  // "mu_users"
constexpr int64_t kAuditLockKey = 0x6d755f6175646974;  // "mu_audit"

#define MU_PG_USER_COLUMNS \
  "id, provider, provider_id, login, name, avatar_url, role, created_ms, last_login_ms"
// Under the users advisory lock, so MAX(id) + 1 is unique; an existing user keeps its id,
// role and created_ms.
constexpr char kUpsertUser[] = R"sql(
INSERT INTO users (id, provider, provider_id, login, name, avatar_url, role, created_ms,
                   last_login_ms)
VALUES ((SELECT COALESCE(MAX(id), 0) + 1 FROM users), $1, $2, $3, $4, $5, 'user', $6, $6)
ON CONFLICT (provider, provider_id) DO UPDATE SET
  login = excluded.login, name = excluded.name, avatar_url = excluded.avatar_url,
  last_login_ms = excluded.last_login_ms
RETURNING )sql" MU_PG_USER_COLUMNS;
constexpr char kSelectUserById[] = "SELECT " MU_PG_USER_COLUMNS " FROM users WHERE id = $1";
constexpr char kSelectUserByLogin[] = "SELECT " MU_PG_USER_COLUMNS
                                      " FROM users WHERE login = $1 "
                                      "ORDER BY last_login_ms DESC, id LIMIT 1";
constexpr char kSetRole[] = "UPDATE users SET role = $2 WHERE id = $1";
constexpr char kCountAdmins[] = "SELECT COUNT(*) FROM users WHERE role = 'admin'";
constexpr char kSelectUsers[] = "SELECT " MU_PG_USER_COLUMNS " FROM users ORDER BY id";
constexpr char kSelectUserId[] = "SELECT id FROM users WHERE id = $1";
// Makes concurrent compare-and-sets of one user's preferences take turns.
constexpr char kLockUser[] = "SELECT id FROM users WHERE id = $1 FOR NO KEY UPDATE";

constexpr char kInsertSession[] = R"sql(
INSERT INTO sessions (id, user_id, csrf_token, created_ms, last_seen_ms, expires_ms, user_agent)
VALUES ($1, $2, $3, $4, $4, $5, $6))sql";
constexpr char kSelectSession[] =
    "SELECT id, user_id, csrf_token, created_ms, last_seen_ms, expires_ms, user_agent "
    "FROM sessions WHERE id = $1";
constexpr char kDeleteExpiredSession[] = "DELETE FROM sessions WHERE id = $1 AND expires_ms <= $2";
constexpr char kTouchSession[] =
    "UPDATE sessions SET last_seen_ms = $2, expires_ms = $3 WHERE id = $1 AND expires_ms > $2";
constexpr char kDeleteSession[] = "DELETE FROM sessions WHERE id = $1";
constexpr char kDeleteUserSessions[] = "DELETE FROM sessions WHERE user_id = $1";
constexpr char kCountActiveSessions[] = "SELECT COUNT(*) FROM sessions WHERE last_seen_ms >= $1";

constexpr char kInsertFavorite[] = R"sql(
INSERT INTO favorites (user_id, board, item_key, title, url, added_ms)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (user_id, board, item_key) DO NOTHING)sql";
// Counts the user's favorites other than ($2, $3) and whether ($2, $3) is one.
constexpr char kCountFavorites[] =
    "SELECT COUNT(*) FILTER (WHERE NOT (board = $2 AND item_key = $3)), "
    "COUNT(*) FILTER (WHERE board = $2 AND item_key = $3) FROM favorites WHERE user_id = $1";
constexpr char kDeleteFavorite[] =
    "DELETE FROM favorites WHERE user_id = $1 AND board = $2 AND item_key = $3";
constexpr char kSelectFavorites[] = R"sql(
SELECT user_id, board, item_key, title, url, added_ms FROM favorites
WHERE user_id = $1 AND LOWER(title) LIKE $2::text ESCAPE '\' AND ($3::text = '' OR board = $3::text)
ORDER BY added_ms DESC, board, item_key LIMIT $4::bigint OFFSET $5::bigint)sql";
constexpr char kSelectFavoriteKeys[] =
    "SELECT item_key FROM favorites WHERE user_id = $1 AND board = $2 ORDER BY item_key";

constexpr char kSelectPreferencesVersion[] = "SELECT version FROM preferences WHERE user_id = $1";
constexpr char kUpsertPreferences[] =
    "INSERT INTO preferences (user_id, version, body, updated_ms) VALUES ($1, $2, $3, $4) "
    "ON CONFLICT (user_id) DO UPDATE SET version = excluded.version, body = excluded.body, "
    "updated_ms = excluded.updated_ms";
constexpr char kSelectPreferences[] =
    "SELECT user_id, version, body, updated_ms FROM preferences WHERE user_id = $1";

// Under the audit advisory lock, so MAX(id) + 1 is unique and ids grow in commit order.
constexpr char kInsertAudit[] = R"sql(
INSERT INTO audit_log (id, at_ms, actor, action, target, detail)
VALUES ((SELECT COALESCE(MAX(id), 0) + 1 FROM audit_log), $1, $2, $3, $4, $5)
RETURNING id)sql";
constexpr char kSelectAudit[] =
    "SELECT id, at_ms, actor, action, target, detail FROM audit_log "
    "WHERE ($2::bigint <= 0 OR id < $2::bigint) ORDER BY id DESC LIMIT $1::bigint";

constexpr char kInsertLoginState[] =
    "INSERT INTO login_states (state_hash, code_verifier, return_to, expires_ms, client) "
    "VALUES ($1, $2, $3, $4, $5)";
// The caps of LoginStateLimits: every row of the client (or of the table) but the newest
// $3 ($2) others and the new row $2 ($1) goes. SKIP LOCKED as in the purge.
constexpr char kEvictClientLoginStates[] =
    "DELETE FROM login_states WHERE state_hash IN (SELECT state_hash FROM login_states "
    "WHERE client = $1 AND state_hash <> $2 ORDER BY expires_ms DESC "
    "LIMIT ALL OFFSET $3::bigint FOR UPDATE SKIP LOCKED)";
constexpr char kEvictLoginStates[] =
    "DELETE FROM login_states WHERE state_hash IN (SELECT state_hash FROM login_states "
    "WHERE state_hash <> $1 ORDER BY expires_ms DESC "
    "LIMIT ALL OFFSET $2::bigint FOR UPDATE SKIP LOCKED)";
constexpr char kCountLoginStates[] = "SELECT COUNT(*) FROM login_states";
// At most 500 expired rows per call, so one call's work stays bounded even after a flood of
// sign-ins nobody finished (each put adds one row and purges up to 500). SKIP LOCKED: rows
// another transaction is deleting are left to it, so purges never wait on each other (nor
// deadlock with a concurrent take).
constexpr char kPurgeLoginStates[] =
    "DELETE FROM login_states WHERE state_hash IN (SELECT state_hash FROM login_states "
    "WHERE expires_ms <= $1 ORDER BY expires_ms LIMIT 500 FOR UPDATE SKIP LOCKED)";
// Of two concurrent deletes of one row, the second waits for the first and then finds it
// gone (READ COMMITTED re-checks the row): exactly one gets it back.
constexpr char kTakeLoginState[] =
    "DELETE FROM login_states WHERE state_hash = $1 "
    "RETURNING state_hash, code_verifier, return_to, expires_ms";

constexpr char kUpsertPresence[] =
    "INSERT INTO presence (instance, readers, updated_ms) VALUES ($1, $2, $3) "
    "ON CONFLICT (instance) DO UPDATE SET readers = excluded.readers, "
    "updated_ms = excluded.updated_ms";
// SUM over BIGINT is NUMERIC in PostgreSQL: cast back so the column reads as an integer.
constexpr char kCountPresence[] =
    "SELECT COALESCE(SUM(readers), 0)::bigint FROM presence WHERE updated_ms >= $1";

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

// " ($1, ..., $w<suffix>), (...)" for `rows` rows of `width` parameters each.
std::string multi_row_values(std::string_view head, size_t rows, int width,
                             std::string_view row_suffix, std::string_view tail) {
  std::string sql(head);
  sql.reserve(head.size() + tail.size() + rows * static_cast<size_t>(width) * 6);
  int next = 1;
  for (size_t row = 0; row < rows; ++row) {
    sql += row == 0 ? "(" : ", (";
    for (int column = 0; column < width; ++column) {
      if (column > 0) {
        sql += ", ";
      }
      sql += '$';
      sql += std::to_string(next++);
    }
    sql += row_suffix;
    sql += ')';
  }
  sql += tail;
  return sql;
}

// A commit's items, checked and with `extra` encoded, ready to bind.
struct PreparedItem {
  const Item* item = nullptr;
  std::optional<std::string> extra;
};

Result<std::vector<PreparedItem>> prepare_items(const std::vector<Item>& items) {
  std::vector<PreparedItem> out;
  out.reserve(items.size());
  std::unordered_set<std::string_view> keys;
  keys.reserve(items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    const Item& item = items[i];
    const std::string at = "item at rank " + std::to_string(i + 1);
    if (item.key.empty()) {
      return invalid(at + " has no key");
    }
    if (!keys.insert(item.key).second) {
      return invalid("duplicate item key '" + pg::make_storable_text(item.key) + "' at rank " +
                     std::to_string(i + 1));
    }
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

Result<int64_t> query_int(PgConnection& db, std::string_view sql, const Params& params = {}) {
  MU_ASSIGN_OR_RETURN(PgResult result, db.query(sql, params));
  if (result.rows() < 1) {
    return error(ErrorCode::kInternal, "postgres: no row from `" + std::string(sql) + "`");
  }
  return result.int64(0, 0);
}

BoardState read_board_state(const PgResult& result, int row) {
  BoardState state;
  state.board = std::string(result.text(row, 0));
  state.enabled = result.int64(row, 1) != 0;
  state.fetched_at_ms = result.int64(row, 2);
  state.last_run_at_ms = result.int64(row, 3);
  state.version = result.int64(row, 4);
  state.item_count = static_cast<int>(result.int64(row, 5));
  state.last_error_code = std::string(result.text(row, 6));
  state.last_error = std::string(result.text(row, 7));
  state.stale = !state.last_error_code.empty();
  state.recent_runs = static_cast<int>(result.int64(row, 8));
  state.recent_ok = static_cast<int>(result.int64(row, 9));
  return state;
}

// Takes the fence row lock (serializing every snapshot and run writer); kFenced when
// `epoch` is below the fence, otherwise raises the fence to `epoch`.
Status check_and_raise_fence(PgConnection& db, int64_t epoch) {
  MU_ASSIGN_OR_RETURN(int64_t fence, query_int(db, kLockFence));
  if (epoch < fence) {
    return error(ErrorCode::kFenced, "epoch " + std::to_string(epoch) +
                                         " is below the store's fence epoch " +
                                         std::to_string(fence));
  }
  if (epoch > fence) {
    MU_RETURN_IF_ERROR(db.query(kSetFence, Params().add_int(epoch)).status());
  }
  return ok_status();
}

// kConflict when `dispatch_id` already has a snapshot.
Status check_not_committed(PgConnection& db, const std::string& dispatch_id) {
  MU_ASSIGN_OR_RETURN(PgResult result,
                      db.query(kSelectSnapshotByDispatch, Params().add_text(dispatch_id)));
  if (result.rows() > 0) {
    return error(ErrorCode::kConflict, "dispatch '" + dispatch_id +
                                           "' was already committed as snapshot " +
                                           std::to_string(result.int64(0, 0)));
  }
  return ok_status();
}

// kNotFound unless `board` exists and is not retired. `sql` selects the retired flag.
Status check_board_active(PgConnection& db, const std::string& board,
                          std::string_view sql = kSelectBoardRetired) {
  MU_ASSIGN_OR_RETURN(PgResult result, db.query(sql, Params().add_text(board)));
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
  return db.query(kInsertRun, params).status();
}

Status insert_items(PgConnection& db, const std::string& board, int64_t snapshot_id,
                    int64_t fetched_at_ms, const std::vector<PreparedItem>& items) {
  for (size_t start = 0; start < items.size(); start += kRowsPerStatement) {
    const size_t count = std::min(kRowsPerStatement, items.size() - start);
    Params rows;
    Params history;
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
      history.add_text(board)
          .add_text(item.key)
          .add_text(item.title)
          .add_text(item.url)
          .add_int(fetched_at_ms)
          .add_int(fetched_at_ms)
          .add_int(rank)
          .add_int(rank);
    }
    MU_RETURN_IF_ERROR(
        db.query_uncached(
              multi_row_values(kInsertSnapshotItemsHead, count, kSnapshotItemWidth, "", ""), rows)
            .status());
    MU_RETURN_IF_ERROR(db.query_uncached(multi_row_values(kUpsertItemsHead, count, kUpsertItemWidth,
                                                          ", 1", kUpsertItemsTail),
                                         history)
                           .status());
  }
  return ok_status();
}

// Ids present in the table's `retired = 0` rows but not in `keep`.
Result<std::vector<std::string>> active_ids_not_in(PgConnection& db, std::string_view sql,
                                                   const std::unordered_set<std::string>& keep) {
  MU_ASSIGN_OR_RETURN(PgResult result, db.query(sql));
  std::vector<std::string> out;
  for (int row = 0; row < result.rows(); ++row) {
    std::string id(result.text(row, 0));
    if (!keep.contains(id)) {
      out.push_back(std::move(id));
    }
  }
  return out;
}

Status retire(PgConnection& db, std::string_view sql, const std::vector<std::string>& ids) {
  for (const std::string& id : ids) {
    MU_RETURN_IF_ERROR(db.query(sql, Params().add_text(id)).status());
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
  Status put_presence(const std::string& instance, int64_t readers, int64_t now_ms) override;
  Result<int64_t> count_presence(int64_t since_ms) override;

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
      clock_(options.clock != nullptr ? options.clock : own_clock_.get()) {
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

template <typename Op>
auto PostgresStore::run(const std::string& context, Op&& op)
    -> decltype(op(std::declval<PgConnection&>())) {
  using Out = decltype(op(std::declval<PgConnection&>()));
  for (int attempt = 1;; ++attempt) {
    auto lease = acquire();
    if (!lease.ok()) {
      return Out(lease.status().with_context(context));
    }
    PgConnection& conn = lease->conn();
    conn.begin_attempt();
    Out result = op(conn);
    if (result.ok()) {
      return result;
    }
    const Status status = status_of(result);
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
    MU_ASSIGN_OR_RETURN(int64_t current, query_int(db, kSelectSchemaVersion));
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
    MU_RETURN_IF_ERROR(
        db.exec(std::string(migration.sql), "applying " + std::string(migration.name)));
    MU_RETURN_IF_ERROR(db.query(kInsertSchemaVersion, Params()
                                                          .add_int(migration.version)
                                                          .add_text(migration.name)
                                                          .add_int(clock_->now_ms()))
                           .status());
    MU_RETURN_IF_ERROR(txn.commit());
    spdlog::info("postgres {}: applied migration {}", config_.description, migration.name);
    return true;
  };
  while (true) {
    MU_ASSIGN_OR_RETURN(bool more, run("migrate", step));
    if (!more) {
      return ok_status();
    }
  }
}

Status PostgresStore::sync_catalogue(const std::vector<Site>& sites,
                                     const std::vector<BoardMeta>& boards) {
  std::unordered_set<std::string> site_ids;
  for (const Site& site : sites) {
    if (site.id.empty()) {
      return invalid("sync_catalogue: a site has an empty id");
    }
    if (!site_ids.insert(site.id).second) {
      return invalid("sync_catalogue: duplicate site '" + pg::make_storable_text(site.id) + "'");
    }
    for (const std::string* text : {&site.id, &site.name_zh, &site.name_en, &site.home, &site.icon,
                                    &site.color, &site.region}) {
      MU_RETURN_IF_ERROR(
          check_text(*text, "sync_catalogue: site '" + pg::make_storable_text(site.id) + "'"));
    }
  }
  std::unordered_set<std::string> board_ids;
  for (const BoardMeta& board : boards) {
    if (board.id.empty()) {
      return invalid("sync_catalogue: a board has an empty id");
    }
    if (!board_ids.insert(board.id).second) {
      return invalid("sync_catalogue: duplicate board '" + pg::make_storable_text(board.id) + "'");
    }
    if (!site_ids.contains(board.site)) {
      return invalid("sync_catalogue: board '" + pg::make_storable_text(board.id) +
                     "' names unknown site '" + pg::make_storable_text(board.site) + "'");
    }
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
      MU_RETURN_IF_ERROR(db.query(kUpsertSite, params).status());
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
      MU_RETURN_IF_ERROR(db.query(kUpsertBoard, params).status());
    }
    MU_ASSIGN_OR_RETURN(auto gone_boards, active_ids_not_in(db, kSelectActiveBoards, board_ids));
    MU_RETURN_IF_ERROR(retire(db, kRetireBoard, gone_boards));
    MU_ASSIGN_OR_RETURN(auto gone_sites, active_ids_not_in(db, kSelectActiveSites, site_ids));
    MU_RETURN_IF_ERROR(retire(db, kRetireSite, gone_sites));
    return txn.commit();
  });
}

Result<int64_t> PostgresStore::commit_snapshot(const CommitRequest& request) {
  const std::string context = "commit_snapshot " + pg::make_storable_text(request.dispatch_id);
  if (request.board.empty()) {
    return invalid(context + ": empty board");
  }
  if (request.dispatch_id.empty()) {
    return invalid("commit_snapshot: empty dispatch id");
  }
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
    MU_ASSIGN_OR_RETURN(int64_t snapshot_id, query_int(db, kNextSnapshotId));
    {
      Params params;
      params.add_int(snapshot_id)
          .add_text(request.board)
          .add_int(fetched_at_ms)
          .add_int(request.epoch)
          .add_text(request.dispatch_id)
          .add_int(request.slot)
          .add_int(item_count);
      MU_RETURN_IF_ERROR(db.query(kInsertSnapshot, params).status());
    }
    MU_RETURN_IF_ERROR(insert_items(db, request.board, snapshot_id, fetched_at_ms, items));
    MU_RETURN_IF_ERROR(insert_run(db, request.dispatch_id, request.board, request.slot,
                                  request.epoch, "ok", "", request.stats));
    {
      Params params;
      params.add_text(request.board)
          .add_int(fetched_at_ms)
          .add_int(snapshot_id)
          .add_int(item_count);
      MU_RETURN_IF_ERROR(db.query(kBoardCommitted, params).status());
    }
    MU_RETURN_IF_ERROR(txn.commit());
    return snapshot_id;
  });
}

Status PostgresStore::record_failure(const FailureRecord& failure) {
  const std::string context = "record_failure " + pg::make_storable_text(failure.dispatch_id);
  if (failure.board.empty()) {
    return invalid(context + ": empty board");
  }
  if (failure.dispatch_id.empty()) {
    return invalid("record_failure: empty dispatch id");
  }
  if (failure.error.ok()) {
    return invalid(context + ": the error is ok");
  }
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
    MU_RETURN_IF_ERROR(check_not_committed(db, failure.dispatch_id));
    MU_RETURN_IF_ERROR(check_board_active(db, failure.board));
    MU_RETURN_IF_ERROR(insert_run(db, failure.dispatch_id, failure.board, failure.slot,
                                  failure.epoch, code, message, failure.stats));
    Params params;
    params.add_text(failure.board)
        .add_int(failure.stats.finished_ms)
        .add_text(code)
        .add_text(message);
    MU_RETURN_IF_ERROR(db.query(kBoardFailed, params).status());
    return txn.commit();
  });
}

Result<int64_t> PostgresStore::prune_snapshots(int keep_per_board) {
  const int64_t keep = std::max(keep_per_board, 1);
  return run("prune_snapshots", [&](PgConnection& db) -> Result<int64_t> {
    Transaction txn(db);
    MU_RETURN_IF_ERROR(txn.begin());
    MU_ASSIGN_OR_RETURN(PgResult deleted, db.query(kPruneSnapshots, Params().add_int(keep)));
    MU_RETURN_IF_ERROR(txn.commit());
    return deleted.affected_rows();
  });
}

Result<int64_t> PostgresStore::raise_fence(int64_t epoch) {
  // One idempotent statement: safe to run again after a lost connection.
  return run("raise_fence", [&](PgConnection& db) -> Result<int64_t> {
    return query_int(db, kRaiseFence, Params().add_int(epoch));
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
    MU_RETURN_IF_ERROR(check_board_active(db, board, kLockBoard));
    MU_ASSIGN_OR_RETURN(PgResult stored,
                        db.query(kSelectOverrideVersion, Params().add_text(board)));
    const int64_t current = stored.rows() > 0 ? stored.int64(0, 0) : 0;
    if (current != expected_version) {
      return error(ErrorCode::kConflict, "board override of " + board + " is at version " +
                                             std::to_string(current) + ", not " +
                                             std::to_string(expected_version));
    }
    Params params;
    params.add_text(board).add_int(current + 1).add_text(json).add_int(now_ms);
    MU_RETURN_IF_ERROR(db.query(kUpsertOverride, params).status());
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
      MU_ASSIGN_OR_RETURN(PgResult head, db.query(kSelectViewHead, Params().add_text(board)));
      if (head.rows() == 0) {
        return unknown_board(board);
      }
      view.state = read_board_state(head, 0);
      constexpr int s = kBoardStateColumnCount;
      if (head.is_null(0, s)) {
        MU_RETURN_IF_ERROR(txn.commit());
        return std::optional<BoardView>();
      }
      view.snapshot.id = head.int64(0, s);
      view.snapshot.board = board;
      view.snapshot.fetched_at_ms = head.int64(0, s + 1);
      view.snapshot.epoch = head.int64(0, s + 2);
      view.snapshot.dispatch_id = std::string(head.text(0, s + 3));
      if (head.rows() > 1) {
        view.has_previous = true;
        previous_id = head.int64(1, s);
      }
    }
    {
      Params params;
      params.add_text(board).add_int(view.snapshot.id).add_int(previous_id);
      MU_ASSIGN_OR_RETURN(PgResult items, db.query(kSelectViewItems, params));
      view.snapshot.items.reserve(static_cast<size_t>(std::max(view.state.item_count, 0)));
      for (int row = 0; row < items.rows(); ++row) {
        if (items.int64(row, 0) != view.snapshot.id) {
          view.previous_keys.emplace_back(items.text(row, 2));
          continue;
        }
        Item& item = view.snapshot.items.emplace_back();
        item.key = std::string(items.text(row, 2));
        item.title = std::string(items.text(row, 3));
        item.url = std::string(items.text(row, 4));
        item.mobile_url = std::string(items.text(row, 5));
        item.summary = std::string(items.text(row, 6));
        item.image = std::string(items.text(row, 7));
        item.hot = items.optional_double(row, 8);
        item.hot_text = std::string(items.text(row, 9));
        item.label = std::string(items.text(row, 10));
        item.author = std::string(items.text(row, 11));
        item.published_at_ms = items.optional_int64(row, 12);
        MU_ASSIGN_OR_RETURN(item.extra, extra_from_json(items.text(row, 13)));
        if (!items.is_null(row, 14)) {
          view.history[item.key] =
              ItemHistory{items.int64(row, 14), static_cast<int>(items.int64(row, 15))};
        }
      }
    }
    MU_RETURN_IF_ERROR(txn.commit());
    return std::optional<BoardView>(std::move(view));
  });
}

Result<std::vector<BoardState>> PostgresStore::board_states() {
  return run("board_states", [&](PgConnection& db) -> Result<std::vector<BoardState>> {
    MU_ASSIGN_OR_RETURN(PgResult result, db.query(kSelectBoardStates));
    std::vector<BoardState> out;
    out.reserve(static_cast<size_t>(result.rows()));
    for (int row = 0; row < result.rows(); ++row) {
      out.push_back(read_board_state(result, row));
    }
    return out;
  });
}

Result<BoardState> PostgresStore::board_state(const std::string& board) {
  if (!pg::is_storable_text(board)) {
    return unknown_board(board).with_context("board_state");
  }
  return run("board_state", [&](PgConnection& db) -> Result<BoardState> {
    MU_ASSIGN_OR_RETURN(PgResult result, db.query(kSelectBoardState, Params().add_text(board)));
    if (result.rows() == 0) {
      return unknown_board(board);
    }
    return read_board_state(result, 0);
  });
}

Result<std::vector<RunRecord>> PostgresStore::runs(const std::string& board, int limit) {
  if (limit < 0) {
    return invalid("runs: negative limit " + std::to_string(limit));
  }
  const std::string context = "runs " + pg::make_storable_text(board);
  if (!pg::is_storable_text(board)) {
    return unknown_board(board).with_context(context);
  }
  return run(context, [&](PgConnection& db) -> Result<std::vector<RunRecord>> {
    Transaction txn(db);
    MU_RETURN_IF_ERROR(txn.begin(kBeginSnapshotRead));
    MU_RETURN_IF_ERROR(check_board_active(db, board));
    MU_ASSIGN_OR_RETURN(PgResult result,
                        db.query(kSelectRuns, Params().add_text(board).add_int(limit)));
    std::vector<RunRecord> out;
    out.reserve(static_cast<size_t>(result.rows()));
    for (int row = 0; row < result.rows(); ++row) {
      RunRecord& run = out.emplace_back();
      run.dispatch_id = std::string(result.text(row, 0));
      run.board = std::string(result.text(row, 1));
      run.slot = result.int64(row, 2);
      run.epoch = result.int64(row, 3);
      run.status = std::string(result.text(row, 4));
      run.error_message = std::string(result.text(row, 5));
      run.stats.started_ms = result.int64(row, 6);
      run.stats.finished_ms = result.int64(row, 7);
      run.stats.http_status = static_cast<int>(result.int64(row, 8));
      run.stats.bytes = result.int64(row, 9);
      run.stats.item_count = static_cast<int>(result.int64(row, 10));
      run.stats.attempt = static_cast<int>(result.int64(row, 11));
      run.stats.collector = std::string(result.text(row, 12));
    }
    MU_RETURN_IF_ERROR(txn.commit());
    return out;
  });
}

Result<int64_t> PostgresStore::fence_epoch() {
  return run("fence_epoch",
             [&](PgConnection& db) -> Result<int64_t> { return query_int(db, kSelectFence); });
}

Result<std::vector<BoardOverrideRecord>> PostgresStore::board_overrides() {
  return run("board_overrides", [&](PgConnection& db) -> Result<std::vector<BoardOverrideRecord>> {
    MU_ASSIGN_OR_RETURN(PgResult result, db.query(kSelectOverrides));
    std::vector<BoardOverrideRecord> out;
    out.reserve(static_cast<size_t>(result.rows()));
    for (int row = 0; row < result.rows(); ++row) {
      BoardOverrideRecord& record = out.emplace_back();
      record.board = std::string(result.text(row, 0));
      record.version = result.int64(row, 1);
      record.json = std::string(result.text(row, 2));
      record.updated_ms = result.int64(row, 3);
    }
    return out;
  });
}

Result<std::optional<BoardOverrideRecord>> PostgresStore::board_override(const std::string& board) {
  if (!pg::is_storable_text(board)) {
    return std::optional<BoardOverrideRecord>();  // no board has such an id
  }
  return run("board_override " + board,
             [&](PgConnection& db) -> Result<std::optional<BoardOverrideRecord>> {
               MU_ASSIGN_OR_RETURN(PgResult result,
                                   db.query(kSelectOverride, Params().add_text(board)));
               if (result.rows() == 0) {
                 return std::optional<BoardOverrideRecord>();
               }
               return std::optional<BoardOverrideRecord>(
                   BoardOverrideRecord{std::string(result.text(0, 0)), result.int64(0, 1),
                                       std::string(result.text(0, 2)), result.int64(0, 3)});
             });
}

// ---------------------------------------------------------------------------------------
// Accounts

User read_user(const PgResult& result, int row) {
  User user;
  user.id = result.int64(row, 0);
  user.provider = std::string(result.text(row, 1));
  user.provider_id = std::string(result.text(row, 2));
  user.login = std::string(result.text(row, 3));
  user.name = std::string(result.text(row, 4));
  user.avatar_url = std::string(result.text(row, 5));
  user.role = std::string(result.text(row, 6));
  user.created_ms = result.int64(row, 7);
  user.last_login_ms = result.int64(row, 8);
  return user;
}

Status unknown_user(int64_t user_id) {
  return error(ErrorCode::kNotFound, "unknown user " + std::to_string(user_id));
}

// kNotFound unless the user exists. `sql` selects the user's id (and may lock the row).
Status check_user_exists(PgConnection& db, int64_t user_id, std::string_view sql = kSelectUserId) {
  MU_ASSIGN_OR_RETURN(PgResult result, db.query(sql, Params().add_int(user_id)));
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
  if (provider.empty() || provider_id.empty() || login.empty()) {
    return invalid(context + ": provider, provider id and login must not be empty");
  }
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
    MU_ASSIGN_OR_RETURN(PgResult result, db.query(kUpsertUser, params));
    if (result.rows() != 1) {
      return error(ErrorCode::kInternal, "the upserted user is missing");
    }
    User user = read_user(result, 0);
    MU_RETURN_IF_ERROR(txn.commit());
    return user;
  });
}

Result<std::optional<User>> PostgresStore::user_by_id(int64_t id) {
  return run("user_by_id", [&](PgConnection& db) -> Result<std::optional<User>> {
    MU_ASSIGN_OR_RETURN(PgResult result, db.query(kSelectUserById, Params().add_int(id)));
    if (result.rows() == 0) {
      return std::optional<User>();
    }
    return std::optional<User>(read_user(result, 0));
  });
}

Result<std::optional<User>> PostgresStore::user_by_login(const std::string& login) {
  if (!pg::is_storable_text(login)) {
    return std::optional<User>();  // no stored login looks like that
  }
  return run("user_by_login", [&](PgConnection& db) -> Result<std::optional<User>> {
    MU_ASSIGN_OR_RETURN(PgResult result, db.query(kSelectUserByLogin, Params().add_text(login)));
    if (result.rows() == 0) {
      return std::optional<User>();
    }
    return std::optional<User>(read_user(result, 0));
  });
}

Status PostgresStore::set_role(int64_t user_id, const std::string& role) {
  const std::string context = "set_role " + std::to_string(user_id);
  if (role != kRoleUser && role != kRoleAdmin) {
    return invalid(context + ": unknown role '" + pg::make_storable_text(role) + "'");
  }
  // One idempotent statement: safe to run again after a lost connection.
  return run(context, [&](PgConnection& db) -> Status {
    MU_ASSIGN_OR_RETURN(PgResult result,
                        db.query(kSetRole, Params().add_int(user_id).add_text(role)));
    return result.affected_rows() == 0
               ? error(ErrorCode::kNotFound, "no user with id " + std::to_string(user_id))
               : ok_status();
  });
}

Result<int64_t> PostgresStore::count_admins() {
  return run("count_admins",
             [&](PgConnection& db) -> Result<int64_t> { return query_int(db, kCountAdmins); });
}

Result<std::vector<User>> PostgresStore::list_users() {
  return run("list_users", [&](PgConnection& db) -> Result<std::vector<User>> {
    MU_ASSIGN_OR_RETURN(PgResult result, db.query(kSelectUsers));
    std::vector<User> out;
    out.reserve(static_cast<size_t>(result.rows()));
    for (int row = 0; row < result.rows(); ++row) {
      out.push_back(read_user(result, row));
    }
    return out;
  });
}

Status PostgresStore::create_session(const std::string& id_hash, int64_t user_id,
                                     const std::string& csrf_token, int64_t now_ms,
                                     int64_t expires_ms, const std::string& user_agent) {
  if (id_hash.empty() || csrf_token.empty()) {
    return invalid("create_session: empty session id or CSRF token");
  }
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
    MU_RETURN_IF_ERROR(db.query(kInsertSession, params).status());
    return txn.commit();
  });
}

Result<std::optional<Session>> PostgresStore::session(const std::string& id_hash, int64_t now_ms) {
  if (!pg::is_storable_text(id_hash)) {
    return std::optional<Session>();
  }
  return run("session", [&](PgConnection& db) -> Result<std::optional<Session>> {
    MU_ASSIGN_OR_RETURN(PgResult result, db.query(kSelectSession, Params().add_text(id_hash)));
    if (result.rows() == 0) {
      return std::optional<Session>();
    }
    Session session;
    session.id_hash = std::string(result.text(0, 0));
    session.user_id = result.int64(0, 1);
    session.csrf_token = std::string(result.text(0, 2));
    session.created_ms = result.int64(0, 3);
    session.last_seen_ms = result.int64(0, 4);
    session.expires_ms = result.int64(0, 5);
    session.user_agent = std::string(result.text(0, 6));
    if (session.expires_ms > now_ms) {
      return std::optional<Session>(std::move(session));
    }
    // Expired: delete it lazily (only if it still is; a concurrent touch may have won).
    MU_RETURN_IF_ERROR(
        db.query(kDeleteExpiredSession, Params().add_text(id_hash).add_int(now_ms)).status());
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
    MU_ASSIGN_OR_RETURN(PgResult result,
                        db.query(kTouchSession, Params().add_text(id_hash).add_int(now_ms).add_int(
                                                    new_expires_ms)));
    return result.affected_rows() == 0 ? not_found() : ok_status();
  });
}

Status PostgresStore::delete_session(const std::string& id_hash) {
  if (!pg::is_storable_text(id_hash)) {
    return ok_status();  // no such session
  }
  return run("delete_session", [&](PgConnection& db) -> Status {
    return db.query(kDeleteSession, Params().add_text(id_hash)).status();
  });
}

Result<int64_t> PostgresStore::delete_user_sessions(int64_t user_id) {
  return run("delete_user_sessions", [&](PgConnection& db) -> Result<int64_t> {
    MU_ASSIGN_OR_RETURN(PgResult result, db.query(kDeleteUserSessions, Params().add_int(user_id)));
    return result.affected_rows();
  });
}

Result<int64_t> PostgresStore::count_active_sessions(int64_t since_ms) {
  return run("count_active_sessions", [&](PgConnection& db) -> Result<int64_t> {
    return query_int(db, kCountActiveSessions, Params().add_int(since_ms));
  });
}

Result<bool> PostgresStore::add_favorite(const Favorite& favorite, int64_t max_per_user) {
  if (favorite.board.empty() || favorite.item_key.empty()) {
    return invalid("add_favorite: empty board or item key");
  }
  if (max_per_user < 0) return invalid("add_favorite: negative cap");
  for (const std::string* text :
       {&favorite.board, &favorite.item_key, &favorite.title, &favorite.url}) {
    MU_RETURN_IF_ERROR(check_text(*text, "add_favorite"));
  }
  return run("add_favorite", [&](PgConnection& db) -> Result<bool> {
    Transaction txn(db);
    MU_RETURN_IF_ERROR(txn.begin());
    if (max_per_user > 0) {
      // The user row lock makes concurrent adds of one user take turns, so the count holds.
      MU_RETURN_IF_ERROR(check_user_exists(db, favorite.user_id, kLockUser));
      MU_ASSIGN_OR_RETURN(PgResult counted,
                          db.query(kCountFavorites, Params()
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
    MU_ASSIGN_OR_RETURN(PgResult result, db.query(kInsertFavorite, params));
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
    MU_ASSIGN_OR_RETURN(
        PgResult result,
        db.query(kDeleteFavorite, Params().add_int(user_id).add_text(board).add_text(item_key)));
    return result.affected_rows() > 0;
  });
}

Result<std::vector<Favorite>> PostgresStore::favorites(int64_t user_id,
                                                       const FavoriteQuery& query) {
  if (query.limit < 0 || query.offset < 0) {
    return invalid("favorites: negative limit or offset");
  }
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
    MU_ASSIGN_OR_RETURN(PgResult result, db.query(kSelectFavorites, params));
    std::vector<Favorite> out;
    out.reserve(static_cast<size_t>(result.rows()));
    for (int row = 0; row < result.rows(); ++row) {
      Favorite& favorite = out.emplace_back();
      favorite.user_id = result.int64(row, 0);
      favorite.board = std::string(result.text(row, 1));
      favorite.item_key = std::string(result.text(row, 2));
      favorite.title = std::string(result.text(row, 3));
      favorite.url = std::string(result.text(row, 4));
      favorite.added_ms = result.int64(row, 5);
    }
    return out;
  });
}

Result<std::vector<std::string>> PostgresStore::favorite_keys(int64_t user_id,
                                                              const std::string& board) {
  if (!pg::is_storable_text(board)) {
    return std::vector<std::string>();
  }
  return run("favorite_keys", [&](PgConnection& db) -> Result<std::vector<std::string>> {
    MU_ASSIGN_OR_RETURN(PgResult result,
                        db.query(kSelectFavoriteKeys, Params().add_int(user_id).add_text(board)));
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
    MU_RETURN_IF_ERROR(check_user_exists(db, user_id, kLockUser));
    MU_ASSIGN_OR_RETURN(PgResult stored,
                        db.query(kSelectPreferencesVersion, Params().add_int(user_id)));
    const int64_t current = stored.rows() > 0 ? stored.int64(0, 0) : 0;
    if (current != expected_version) {
      return error(ErrorCode::kConflict, "preferences of user " + std::to_string(user_id) +
                                             " are at version " + std::to_string(current) +
                                             ", not " + std::to_string(expected_version));
    }
    Params params;
    params.add_int(user_id).add_int(current + 1).add_text(body).add_int(now_ms);
    MU_RETURN_IF_ERROR(db.query(kUpsertPreferences, params).status());
    MU_RETURN_IF_ERROR(txn.commit());
    return current + 1;
  });
}

Result<std::optional<PreferencesRecord>> PostgresStore::preferences(int64_t user_id) {
  return run("preferences", [&](PgConnection& db) -> Result<std::optional<PreferencesRecord>> {
    MU_ASSIGN_OR_RETURN(PgResult result, db.query(kSelectPreferences, Params().add_int(user_id)));
    if (result.rows() == 0) {
      return std::optional<PreferencesRecord>();
    }
    return std::optional<PreferencesRecord>(
        PreferencesRecord{result.int64(0, 0), result.int64(0, 1), std::string(result.text(0, 2)),
                          result.int64(0, 3)});
  });
}

Result<int64_t> PostgresStore::append_audit(const AuditRecord& record) {
  if (record.action.empty()) {
    return invalid("append_audit: empty action");
  }
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
    MU_ASSIGN_OR_RETURN(int64_t id, query_int(db, kInsertAudit, params));
    MU_RETURN_IF_ERROR(txn.commit());
    return id;
  });
}

Result<std::vector<AuditRecord>> PostgresStore::audit_log(int limit, int64_t before_id) {
  if (limit < 0) {
    return invalid("audit_log: negative limit " + std::to_string(limit));
  }
  return run("audit_log", [&](PgConnection& db) -> Result<std::vector<AuditRecord>> {
    MU_ASSIGN_OR_RETURN(PgResult result,
                        db.query(kSelectAudit, Params().add_int(limit).add_int(before_id)));
    std::vector<AuditRecord> out;
    out.reserve(static_cast<size_t>(result.rows()));
    for (int row = 0; row < result.rows(); ++row) {
      out.push_back(AuditRecord{result.int64(row, 0), result.int64(row, 1),
                                std::string(result.text(row, 2)), std::string(result.text(row, 3)),
                                std::string(result.text(row, 4)),
                                std::string(result.text(row, 5))});
    }
    return out;
  });
}

Status PostgresStore::put_login_state(const std::string& state_hash,
                                      const std::string& code_verifier,
                                      const std::string& return_to, int64_t expires_ms,
                                      const LoginStateLimits& limits) {
  if (state_hash.empty() || code_verifier.empty()) {
    return invalid("put_login_state: empty state hash or code verifier");
  }
  if (limits.per_client < 0 || limits.total < 0) {
    return invalid("put_login_state: negative cap");
  }
  MU_RETURN_IF_ERROR(check_text(limits.client, "put_login_state: client"));
  MU_RETURN_IF_ERROR(check_text(state_hash, "put_login_state: state hash"));
  MU_RETURN_IF_ERROR(check_text(code_verifier, "put_login_state: code verifier"));
  MU_RETURN_IF_ERROR(check_text(return_to, "put_login_state: return_to"));
  return run("put_login_state", [&](PgConnection& db) -> Status {
    // Two statements, each atomic on its own: a purge lost with the connection is harmless.
    MU_RETURN_IF_ERROR(
        db.query(kPurgeLoginStates, Params().add_int(login_state_purge_before(expires_ms)))
            .status());
    Params params;
    params.add_text(state_hash)
        .add_text(code_verifier)
        .add_text(return_to)
        .add_int(expires_ms)
        .add_text(limits.client);
    MU_RETURN_IF_ERROR(db.query(kInsertLoginState, params).status());
    // Evictions, each atomic on its own: lost with the connection, the next put catches up.
    if (limits.per_client > 0) {
      MU_RETURN_IF_ERROR(db.query(kEvictClientLoginStates, Params()
                                                               .add_text(limits.client)
                                                               .add_text(state_hash)
                                                               .add_int(limits.per_client - 1))
                             .status());
    }
    if (limits.total > 0) {
      MU_RETURN_IF_ERROR(
          db.query(kEvictLoginStates, Params().add_text(state_hash).add_int(limits.total - 1))
              .status());
    }
    return ok_status();
  });
}

Result<int64_t> PostgresStore::count_login_states() {
  return run("count_login_states",
             [&](PgConnection& db) -> Result<int64_t> { return query_int(db, kCountLoginStates); });
}

Result<std::optional<LoginStateRecord>> PostgresStore::take_login_state(
    const std::string& state_hash, int64_t now_ms) {
  if (state_hash.empty()) {
    return invalid("take_login_state: empty state hash");
  }
  if (!pg::is_storable_text(state_hash)) {
    return std::optional<LoginStateRecord>();  // never stored
  }
  // The purge first: when it fails nothing was taken. The take is one statement; when the
  // connection breaks while it runs, run() tries again, which finds nothing if the first
  // attempt did delete the row (the sign-in fails, it is never used twice).
  return run("take_login_state", [&](PgConnection& db) -> Result<std::optional<LoginStateRecord>> {
    MU_RETURN_IF_ERROR(db.query(kPurgeLoginStates, Params().add_int(now_ms)).status());
    MU_ASSIGN_OR_RETURN(PgResult result, db.query(kTakeLoginState, Params().add_text(state_hash)));
    if (result.rows() == 0) {
      return std::optional<LoginStateRecord>();
    }
    LoginStateRecord record{std::string(result.text(0, 0)), std::string(result.text(0, 1)),
                            std::string(result.text(0, 2)), result.int64(0, 3)};
    if (record.expires_ms <= now_ms) {
      return std::optional<LoginStateRecord>();  // expired: deleted, reported as absent
    }
    return std::optional<LoginStateRecord>(std::move(record));
  });
}

Status PostgresStore::put_presence(const std::string& instance, int64_t readers, int64_t now_ms) {
  if (instance.empty() || readers < 0) {
    return invalid("put_presence: empty instance or negative reader count");
  }
  MU_RETURN_IF_ERROR(check_text(instance, "put_presence: instance"));
  return run("put_presence", [&](PgConnection& db) -> Status {
    return db.query(kUpsertPresence, Params().add_text(instance).add_int(readers).add_int(now_ms))
        .status();
  });
}

Result<int64_t> PostgresStore::count_presence(int64_t since_ms) {
  return run("count_presence", [&](PgConnection& db) -> Result<int64_t> {
    return query_int(db, kCountPresence, Params().add_int(since_ms));
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

}  // namespace mu
