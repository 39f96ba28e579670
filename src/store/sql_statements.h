// The SQL of both Store implementations, each statement written once. Statements use
// numbered `?N` parameters; the PostgreSQL text is derived at compile time by rewriting
// them to `$N` (the one difference in spelling), so a statement both dialects accept is
// written once with `shared()`. Where the dialects genuinely differ (row locks, LIMIT
// without a bound, SKIP LOCKED), `dialects()` keeps both versions next to each other with
// the reason. Types and functions are portable throughout: CAST(... AS BIGINT / TEXT), CASE
// instead of GREATEST/LEAST, RETURNING (SQLite 3.35 or newer), FILTER on aggregates (3.30).
// Machinery of one engine only (PostgreSQL's advisory locks and transaction modes, SQLite's
// changes()) stays in that store.
//
// Compile-time constants; safe from any thread. The texts have static storage, so SQLite's
// statement cache may keep views of them.
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

#include "store/sql_dialect.h"
#include "store/store.h"

namespace mu::sql {

// One statement in both dialects.
struct Statement {
  std::string_view sqlite;
  std::string_view postgres;

  constexpr std::string_view in(Dialect dialect) const {
    return dialect == Dialect::kSqlite ? sqlite : postgres;
  }
};

namespace detail {

// Compile error (from a constant expression) naming what is wrong with a statement.
inline void statement_error(const char*) {}

// `text` with every `?N` outside string literals spelled `$N`. Same length: the views into
// the result keep their meaning. A bare `?` is rejected (the rewrite would be ambiguous).
template <std::size_t N>
consteval std::array<char, N> postgres_text(const char (&text)[N]) {
  std::array<char, N> out{};
  bool quoted = false;
  for (std::size_t i = 0; i < N; ++i) {
    char c = text[i];
    if (c == '\'') {
      quoted = !quoted;
    } else if (c == '?' && !quoted) {
      if (i + 1 >= N || text[i + 1] < '0' || text[i + 1] > '9') {
        statement_error("SQL parameters are numbered: write ?1, ?2, ...");
      }
      c = '$';
    }
    out[i] = c;
  }
  return out;
}

template <std::size_t N>
consteval std::array<char, N> copy_text(const char (&text)[N]) {
  std::array<char, N> out{};
  for (std::size_t i = 0; i < N; ++i) out[i] = text[i];
  return out;
}

}  // namespace detail

// The storage behind a Statement: both texts, NUL-terminated.
template <std::size_t S, std::size_t P>
struct StatementText {
  std::array<char, S> sqlite_text;
  std::array<char, P> postgres_text;

  constexpr operator Statement() const {  // NOLINT(google-explicit-constructor)
    return Statement{std::string_view(sqlite_text.data(), S - 1),
                     std::string_view(postgres_text.data(), P - 1)};
  }
};

// A statement both dialects accept, written with ?N parameters.
template <std::size_t N>
consteval StatementText<N, N> shared(const char (&text)[N]) {
  return {detail::copy_text(text), detail::postgres_text(text)};
}

// A statement the dialects spell differently; both written with ?N parameters.
template <std::size_t S, std::size_t P>
consteval StatementText<S, P> dialects(const char (&sqlite)[S], const char (&postgres)[P]) {
  return {detail::copy_text(sqlite), detail::postgres_text(postgres)};
}

// A multi-row INSERT: `head` (ending in VALUES), then rows of `width` parameters each
// followed by `row_suffix` (constant columns), then `tail`. The PostgreSQL store sends many
// rows per statement (one round trip); the SQLite store one row per cached statement
// (in process, there is no round trip to save).
struct RowInsert {
  std::string_view head;
  int width = 0;
  std::string_view row_suffix;
  std::string_view tail;
};

// The text of `insert` for `rows` rows, parameters numbered 1, 2, ... in `dialect`.
std::string row_insert_sql(const RowInsert& insert, std::size_t rows, Dialect dialect);

// --- schema version ------------------------------------------------------------------

inline constexpr auto kSelectSchemaVersion =
    shared("SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
inline constexpr auto kInsertSchemaVersion =
    shared("INSERT INTO schema_migrations (version, name, applied_at_ms) VALUES (?1, ?2, ?3)");

// --- catalogue -----------------------------------------------------------------------

inline constexpr auto kUpsertSite = shared(R"sql(
INSERT INTO sites (id, name_zh, name_en, home, icon, color, region, retired)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 0)
ON CONFLICT (id) DO UPDATE SET
  name_zh = excluded.name_zh, name_en = excluded.name_en, home = excluded.home,
  icon = excluded.icon, color = excluded.color, region = excluded.region, retired = 0)sql");
inline constexpr auto kSelectActiveSites = shared("SELECT id FROM sites WHERE retired = 0");
inline constexpr auto kRetireSite = shared("UPDATE sites SET retired = 1 WHERE id = ?1");

// config_version moves when anything the catalogue owns changes (or the board returns
// from retirement); runtime columns are not touched.
inline constexpr auto kUpsertBoard = shared(R"sql(
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
  needs_cookie = excluded.needs_cookie, needs_token = excluded.needs_token, retired = 0)sql");
inline constexpr auto kSelectActiveBoards = shared("SELECT id FROM boards WHERE retired = 0");
inline constexpr auto kRetireBoard = shared("UPDATE boards SET retired = 1 WHERE id = ?1");

// --- fence ---------------------------------------------------------------------------

inline constexpr auto kSelectFence = shared("SELECT epoch FROM fence WHERE id = 1");
// The fence read of a snapshot or run writer, which serializes the writers: SQLite's
// BEGIN IMMEDIATE already holds the database's write lock (and SQLite has no row locks);
// PostgreSQL takes the fence row's lock, also across processes.
inline constexpr auto kLockFence = dialects("SELECT epoch FROM fence WHERE id = 1",
                                            "SELECT epoch FROM fence WHERE id = 1 FOR UPDATE");
// After kLockFence found the fence below ?1.
inline constexpr auto kSetFence = shared("UPDATE fence SET epoch = ?1 WHERE id = 1");
// Never lowers the fence; one idempotent statement.
inline constexpr auto kRaiseFence = shared(
    "UPDATE fence SET epoch = CASE WHEN epoch < ?1 THEN ?1 ELSE epoch END WHERE id = 1 "
    "RETURNING epoch");

// --- snapshots and runs --------------------------------------------------------------

inline constexpr auto kSelectSnapshotByDispatch =
    shared("SELECT id FROM snapshots WHERE dispatch_id = ?1");
// The attempt that committed dispatch ?1 (no row: not committed).
inline constexpr auto kSelectCommittedAttempt =
    shared("SELECT attempt FROM runs WHERE dispatch_id = ?1 AND status = 'ok' ORDER BY id LIMIT 1");
inline constexpr auto kSelectBoardRetired = shared("SELECT retired FROM boards WHERE id = ?1");
// The board read of a compare-and-set of its override document: PostgreSQL locks the row
// so that concurrent puts on one board take turns; SQLite's writer is serialized already.
inline constexpr auto kLockBoard =
    dialects("SELECT retired FROM boards WHERE id = ?1",
             "SELECT retired FROM boards WHERE id = ?1 FOR NO KEY UPDATE");
// Snapshot and run ids are MAX(id) + 1: the writers are serialized (kLockFence).
inline constexpr auto kNextSnapshotId = shared("SELECT COALESCE(MAX(id), 0) + 1 FROM snapshots");
inline constexpr auto kInsertSnapshot = shared(R"sql(
INSERT INTO snapshots (id, board, fetched_at_ms, epoch, dispatch_id, slot, item_count)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7))sql");

// Row: snapshot_id, rank, item_key, title, url, mobile_url, summary, image, hot, hot_text,
// label, author, published_at_ms, extra.
inline constexpr RowInsert kInsertSnapshotItems{
    R"sql(
INSERT INTO snapshot_items (snapshot_id, rank, item_key, title, url, mobile_url, summary, image,
                            hot, hot_text, label, author, published_at_ms, extra)
VALUES )sql",
    14, "", ""};
inline constexpr auto kInsertRun = shared(R"sql(
INSERT INTO runs (id, dispatch_id, attempt, board, slot, epoch, status, error_message,
                  started_ms, finished_ms, http_status, bytes, item_count, collector)
VALUES ((SELECT COALESCE(MAX(id), 0) + 1 FROM runs),
        ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13))sql");
inline constexpr auto kBoardCommitted = shared(R"sql(
UPDATE boards SET last_ok_ms = ?2, last_run_ms = ?2, version = ?3, item_count = ?4,
                  last_error_code = '', last_error = ''
WHERE id = ?1)sql");
// A record written late never hides a newer run.
inline constexpr auto kBoardFailed = shared(R"sql(
UPDATE boards SET last_run_ms = ?2, last_error_code = ?3, last_error = ?4
WHERE id = ?1 AND last_run_ms <= ?2)sql");

// --- board state and view ------------------------------------------------------------

// Run history: two correlated subqueries over the newest kRecentRunsWindow runs of the
// board. Each walks the runs_board_id index backwards and stops after that many rows, so
// the cost per board is bounded however long the runs table grows (no scan, no N+1
// queries).
#define MU_SQL_RECENT_RUNS_OF_B \
  "(SELECT status FROM runs WHERE board = b.id ORDER BY id DESC LIMIT 20) recent"
static_assert(kRecentRunsWindow == 20, "keep the LIMIT of MU_SQL_RECENT_RUNS_OF_B in step");
#define MU_SQL_BOARD_STATE_COLUMNS                                                  \
  "b.id, b.enabled, b.last_ok_ms, b.last_run_ms, b.version, b.item_count, "         \
  "b.last_error_code, b.last_error, (SELECT COUNT(*) FROM " MU_SQL_RECENT_RUNS_OF_B \
  "), "                                                                             \
  "(SELECT COUNT(*) FROM " MU_SQL_RECENT_RUNS_OF_B " WHERE recent.status = 'ok')"
// Columns of MU_SQL_BOARD_STATE_COLUMNS; the board view's snapshot columns follow them.
inline constexpr int kBoardStateColumnCount = 10;

inline constexpr auto kSelectBoardStates =
    shared("SELECT " MU_SQL_BOARD_STATE_COLUMNS " FROM boards b WHERE b.retired = 0 ORDER BY b.id");
inline constexpr auto kSelectBoardState =
    shared("SELECT " MU_SQL_BOARD_STATE_COLUMNS " FROM boards b WHERE b.id = ?1 AND b.retired = 0");

// board_view, query 1: the board's state joined with its two newest snapshots (newest
// first); one row with NULL snapshot columns when it has none.
inline constexpr auto kSelectViewHead =
    shared("SELECT " MU_SQL_BOARD_STATE_COLUMNS R"sql(, s.id, s.fetched_at_ms, s.epoch,
       s.dispatch_id
FROM boards b
LEFT JOIN snapshots s ON s.board = b.id AND s.id IN (
  SELECT id FROM snapshots WHERE board = ?1 ORDER BY id DESC LIMIT 2)
WHERE b.id = ?1 AND b.retired = 0
ORDER BY s.id DESC)sql");
#undef MU_SQL_BOARD_STATE_COLUMNS
#undef MU_SQL_RECENT_RUNS_OF_B
// board_view, query 2: the newest snapshot's items with their history, then the keys of
// the previous snapshot, each in rank order.
inline constexpr auto kSelectViewItems = shared(R"sql(
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
ORDER BY 1 DESC, 2)sql");

inline constexpr auto kSelectRuns = shared(R"sql(
SELECT dispatch_id, board, slot, epoch, status, error_message, started_ms, finished_ms,
       http_status, bytes, item_count, attempt, collector
FROM runs WHERE board = ?1 ORDER BY id DESC LIMIT ?2)sql");

// Snapshots beyond the newest ?1 of their board; their items go with them (ON DELETE
// CASCADE; the SQLite connections enable foreign keys).
inline constexpr auto kPruneSnapshots = shared(R"sql(
DELETE FROM snapshots WHERE id IN (
  SELECT id FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY board ORDER BY id DESC) AS position
                  FROM snapshots) ranked
  WHERE position > ?1))sql");

// run_tallies: ?1 since, ?2 the bucket length (on runs_finished).
inline constexpr auto kSelectRunTallies = shared(
    "SELECT board, (finished_ms - ?1) / ?2 AS bucket, COUNT(*), SUM(CASE WHEN status = "
    "'ok' THEN 1 ELSE 0 END) FROM runs WHERE finished_ms >= ?1 GROUP BY board, bucket "
    "ORDER BY board, bucket");

// prune_runs: per board, ?1 the cutoff: the first run that finished at or after it (?3, past
// every id, when none did) and the kRecentRunsWindow-th newest run (?2 = the window - 1; 0
// when the board has fewer). Runs below both ids go. Each subquery walks runs_board_id from
// one end, so a call reads about what it deletes.
inline constexpr auto kSelectRunsPruneBounds = shared(
    "SELECT b.id, COALESCE((SELECT k.id FROM runs k WHERE k.board = b.id AND k.finished_ms >= "
    "CAST(?1 AS BIGINT) ORDER BY k.id LIMIT 1), CAST(?3 AS BIGINT)), COALESCE((SELECT k.id "
    "FROM runs k WHERE k.board = b.id ORDER BY k.id DESC LIMIT 1 OFFSET CAST(?2 AS BIGINT)), 0) "
    "FROM boards b");
// ?1 board, ?2 the id below which its runs go, ?3 at most this many.
inline constexpr auto kDeleteRunsBelow = shared(
    "DELETE FROM runs WHERE id IN (SELECT id FROM runs WHERE board = ?1 AND id < "
    "CAST(?2 AS BIGINT) ORDER BY id LIMIT CAST(?3 AS BIGINT))");

// --- board overrides -----------------------------------------------------------------

inline constexpr auto kSelectOverrideVersion =
    shared("SELECT version FROM board_overrides WHERE board = ?1");
inline constexpr auto kUpsertOverride = shared(
    "INSERT INTO board_overrides (board, version, body, updated_ms) VALUES (?1, ?2, ?3, ?4) "
    "ON CONFLICT (board) DO UPDATE SET version = excluded.version, body = excluded.body, "
    "updated_ms = excluded.updated_ms");
inline constexpr auto kSelectOverrides =
    shared("SELECT board, version, body, updated_ms FROM board_overrides ORDER BY board");
inline constexpr auto kSelectOverride =
    shared("SELECT board, version, body, updated_ms FROM board_overrides WHERE board = ?1");

// --- credentials ---------------------------------------------------------------------

inline constexpr auto kUpsertCredential = shared(
    "INSERT INTO credentials (name, sealed, updated_ms, updated_by) VALUES (?1, ?2, ?3, ?4) "
    "ON CONFLICT (name) DO UPDATE SET sealed = excluded.sealed, updated_ms = "
    "excluded.updated_ms, updated_by = excluded.updated_by");
inline constexpr auto kDeleteCredential = shared("DELETE FROM credentials WHERE name = ?1");
inline constexpr auto kSelectCredentials =
    shared("SELECT name, sealed, updated_ms, updated_by FROM credentials ORDER BY name");

// --- users ---------------------------------------------------------------------------

#define MU_SQL_USER_COLUMNS \
  "id, provider, provider_id, login, name, avatar_url, role, created_ms, last_login_ms"
// A new user gets MAX(id) + 1 (the SQLite writer is serialized; PostgreSQL takes an
// advisory lock first); an existing one keeps its id, role and created_ms.
inline constexpr auto kUpsertUser = shared(R"sql(
INSERT INTO users (id, provider, provider_id, login, name, avatar_url, role, created_ms,
                   last_login_ms)
VALUES ((SELECT COALESCE(MAX(id), 0) + 1 FROM users), ?1, ?2, ?3, ?4, ?5, 'user', ?6, ?6)
ON CONFLICT (provider, provider_id) DO UPDATE SET
  login = excluded.login, name = excluded.name, avatar_url = excluded.avatar_url,
  last_login_ms = excluded.last_login_ms
RETURNING )sql" MU_SQL_USER_COLUMNS);
inline constexpr auto kSelectUserById =
    shared("SELECT " MU_SQL_USER_COLUMNS " FROM users WHERE id = ?1");
inline constexpr auto kSelectUserByLogin =
    shared("SELECT " MU_SQL_USER_COLUMNS
           " FROM users WHERE login = ?1 ORDER BY last_login_ms DESC, id LIMIT 1");
inline constexpr auto kSelectUsers =
    shared("SELECT " MU_SQL_USER_COLUMNS " FROM users ORDER BY id");
#undef MU_SQL_USER_COLUMNS
inline constexpr auto kSetRole = shared("UPDATE users SET role = ?2 WHERE id = ?1");
inline constexpr auto kCountAdmins = shared("SELECT COUNT(*) FROM users WHERE role = 'admin'");
inline constexpr auto kSelectUserId = shared("SELECT id FROM users WHERE id = ?1");
// The user read of a write that must take turns per user (a capped favorite add, a
// compare-and-set of preferences): PostgreSQL locks the row; SQLite's writer is serialized.
inline constexpr auto kLockUser = dialects("SELECT id FROM users WHERE id = ?1",
                                           "SELECT id FROM users WHERE id = ?1 FOR NO KEY UPDATE");

// --- sessions ------------------------------------------------------------------------

inline constexpr auto kInsertSession = shared(R"sql(
INSERT INTO sessions (id, user_id, csrf_token, created_ms, last_seen_ms, expires_ms, user_agent)
VALUES (?1, ?2, ?3, ?4, ?4, ?5, ?6))sql");
inline constexpr auto kSelectSession = shared(
    "SELECT id, user_id, csrf_token, created_ms, last_seen_ms, expires_ms, user_agent "
    "FROM sessions WHERE id = ?1");
inline constexpr auto kDeleteExpiredSession =
    shared("DELETE FROM sessions WHERE id = ?1 AND expires_ms <= ?2");
inline constexpr auto kTouchSession = shared(
    "UPDATE sessions SET last_seen_ms = ?2, expires_ms = ?3 WHERE id = ?1 AND expires_ms > ?2");
inline constexpr auto kDeleteSession = shared("DELETE FROM sessions WHERE id = ?1");
inline constexpr auto kDeleteUserSessions = shared("DELETE FROM sessions WHERE user_id = ?1");
inline constexpr auto kCountActiveSessions =
    shared("SELECT COUNT(*) FROM sessions WHERE last_seen_ms >= ?1");

// --- favorites -----------------------------------------------------------------------

inline constexpr auto kInsertFavorite = shared(R"sql(
INSERT INTO favorites (user_id, board, item_key, title, url, added_ms)
VALUES (?1, ?2, ?3, ?4, ?5, ?6)
ON CONFLICT (user_id, board, item_key) DO NOTHING)sql");
// Counts the user's favorites other than (?2, ?3) and whether (?2, ?3) is one.
inline constexpr auto kCountFavorites = shared(
    "SELECT COUNT(*) FILTER (WHERE NOT (board = ?2 AND item_key = ?3)), "
    "COUNT(*) FILTER (WHERE board = ?2 AND item_key = ?3) FROM favorites WHERE user_id = ?1");
inline constexpr auto kDeleteFavorite =
    shared("DELETE FROM favorites WHERE user_id = ?1 AND board = ?2 AND item_key = ?3");
// The CASTs give PostgreSQL the parameters' types (a parameter compared with a literal has
// none); SQLite reads them as no-ops.
inline constexpr auto kSelectFavorites = shared(R"sql(
SELECT user_id, board, item_key, title, url, added_ms FROM favorites
WHERE user_id = ?1 AND LOWER(title) LIKE CAST(?2 AS TEXT) ESCAPE '\'
  AND (CAST(?3 AS TEXT) = '' OR board = CAST(?3 AS TEXT))
ORDER BY added_ms DESC, board, item_key LIMIT CAST(?4 AS BIGINT) OFFSET CAST(?5 AS BIGINT))sql");
inline constexpr auto kSelectFavoriteKeys =
    shared("SELECT item_key FROM favorites WHERE user_id = ?1 AND board = ?2 ORDER BY item_key");

// --- preferences ---------------------------------------------------------------------

inline constexpr auto kSelectPreferencesVersion =
    shared("SELECT version FROM preferences WHERE user_id = ?1");
inline constexpr auto kUpsertPreferences = shared(
    "INSERT INTO preferences (user_id, version, body, updated_ms) VALUES (?1, ?2, ?3, ?4) "
    "ON CONFLICT (user_id) DO UPDATE SET version = excluded.version, body = excluded.body, "
    "updated_ms = excluded.updated_ms");
inline constexpr auto kSelectPreferences =
    shared("SELECT user_id, version, body, updated_ms FROM preferences WHERE user_id = ?1");

// --- API keys ------------------------------------------------------------------------

#define MU_SQL_API_KEY_COLUMNS                                                               \
  "id, user_id, name, secret_hash, prefix, created_ms, last_used_ms, requests, revoked_ms, " \
  "per_minute, burst"
inline constexpr auto kInsertApiKey = shared("INSERT INTO api_keys (" MU_SQL_API_KEY_COLUMNS
                                             ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, 0, 0, ?7, ?8)");
inline constexpr auto kCountLiveApiKeys =
    shared("SELECT COUNT(*) FROM api_keys WHERE user_id = ?1 AND revoked_ms = 0");
inline constexpr auto kSelectApiKeyConflict =
    shared("SELECT COUNT(*) FROM api_keys WHERE id = ?1 OR secret_hash = ?2");
inline constexpr auto kSelectApiKeys =
    shared("SELECT " MU_SQL_API_KEY_COLUMNS
           " FROM api_keys WHERE CAST(?1 AS BIGINT) = 0 OR "
           "user_id = CAST(?1 AS BIGINT) ORDER BY created_ms DESC, id");
inline constexpr auto kSelectApiKeyByHash =
    shared("SELECT " MU_SQL_API_KEY_COLUMNS " FROM api_keys WHERE secret_hash = ?1");
#undef MU_SQL_API_KEY_COLUMNS
inline constexpr auto kRevokeApiKey = shared(
    "UPDATE api_keys SET revoked_ms = ?3 WHERE id = ?1 AND revoked_ms = 0 AND "
    "(CAST(?2 AS BIGINT) = 0 OR user_id = CAST(?2 AS BIGINT))");
inline constexpr auto kSetApiKeyLimits =
    shared("UPDATE api_keys SET per_minute = ?2, burst = ?3 WHERE id = ?1");
inline constexpr auto kAddApiKeyUsage = shared(
    "UPDATE api_keys SET requests = requests + ?2, last_used_ms = CASE WHEN last_used_ms > ?3 "
    "THEN last_used_ms ELSE ?3 END WHERE id = ?1");

// --- audit log -----------------------------------------------------------------------

// MAX(id) + 1 like users: ids are unique and grow in commit order.
inline constexpr auto kInsertAudit = shared(R"sql(
INSERT INTO audit_log (id, at_ms, actor, action, target, detail)
VALUES ((SELECT COALESCE(MAX(id), 0) + 1 FROM audit_log), ?1, ?2, ?3, ?4, ?5)
RETURNING id)sql");
inline constexpr auto kSelectAudit = shared(
    "SELECT id, at_ms, actor, action, target, detail FROM audit_log "
    "WHERE (CAST(?2 AS BIGINT) <= 0 OR id < CAST(?2 AS BIGINT)) ORDER BY id DESC "
    "LIMIT CAST(?1 AS BIGINT)");

// --- sign-ins in progress ------------------------------------------------------------

inline constexpr auto kInsertLoginState = shared(
    "INSERT INTO login_states (state_hash, code_verifier, return_to, expires_ms, client) "
    "VALUES (?1, ?2, ?3, ?4, ?5)");
// The caps of LoginStateLimits: every row of the client (or of the table) but the newest
// ?3 (?2) others and the new row ?2 (?1) goes. "No limit" is LIMIT -1 in SQLite and LIMIT
// ALL in PostgreSQL, which also skips rows another transaction is deleting (SKIP LOCKED),
// so evictions and purges never wait on each other nor deadlock with a take; SQLite's
// writer is serialized, so nothing is ever locked there.
inline constexpr auto kEvictClientLoginStates = dialects(
    "DELETE FROM login_states WHERE state_hash IN (SELECT state_hash FROM login_states "
    "WHERE client = ?1 AND state_hash <> ?2 ORDER BY expires_ms DESC LIMIT -1 OFFSET ?3)",
    "DELETE FROM login_states WHERE state_hash IN (SELECT state_hash FROM login_states "
    "WHERE client = ?1 AND state_hash <> ?2 ORDER BY expires_ms DESC "
    "LIMIT ALL OFFSET CAST(?3 AS BIGINT) FOR UPDATE SKIP LOCKED)");
inline constexpr auto kEvictLoginStates = dialects(
    "DELETE FROM login_states WHERE state_hash IN (SELECT state_hash FROM login_states "
    "WHERE state_hash <> ?1 ORDER BY expires_ms DESC LIMIT -1 OFFSET ?2)",
    "DELETE FROM login_states WHERE state_hash IN (SELECT state_hash FROM login_states "
    "WHERE state_hash <> ?1 ORDER BY expires_ms DESC "
    "LIMIT ALL OFFSET CAST(?2 AS BIGINT) FOR UPDATE SKIP LOCKED)");
inline constexpr auto kCountLoginStates = shared("SELECT COUNT(*) FROM login_states");
// At most 500 expired rows per call, so one call's work stays bounded even after a flood
// of sign-ins nobody finished (each put adds one row and purges up to 500). SKIP LOCKED in
// PostgreSQL as in the evictions.
inline constexpr auto kPurgeLoginStates = dialects(
    "DELETE FROM login_states WHERE state_hash IN (SELECT state_hash FROM login_states "
    "WHERE expires_ms <= ?1 ORDER BY expires_ms LIMIT 500)",
    "DELETE FROM login_states WHERE state_hash IN (SELECT state_hash FROM login_states "
    "WHERE expires_ms <= ?1 ORDER BY expires_ms LIMIT 500 FOR UPDATE SKIP LOCKED)");
// One use: of two concurrent deletes of one row, one gets it back (SQLite: the write lock;
// PostgreSQL: the second waits for the first and then finds the row gone).
inline constexpr auto kTakeLoginState = shared(
    "DELETE FROM login_states WHERE state_hash = ?1 "
    "RETURNING state_hash, code_verifier, return_to, expires_ms");

// --- presence ------------------------------------------------------------------------

inline constexpr auto kUpsertPresence = shared(
    "INSERT INTO presence (instance, readers, updated_ms) VALUES (?1, ?2, ?3) "
    "ON CONFLICT (instance) DO UPDATE SET readers = excluded.readers, "
    "updated_ms = excluded.updated_ms");
// PostgreSQL's SUM over BIGINT is NUMERIC: cast back so the column reads as an integer.
inline constexpr auto kCountPresence =
    shared("SELECT CAST(COALESCE(SUM(readers), 0) AS BIGINT) FROM presence WHERE updated_ms >= ?1");

// --- history (store/history.h; layout in migrations/0007_history.sql) -------------------

// The rows a commit reads before it writes: the board's current items (one statement, on
// the items_current index) and, in SQLite, each other key of the commit by its primary key
// (in process a lookup costs microseconds); PostgreSQL reads both at once with
// kSelectKnownItemsHead + the keys ($2, $3, ...) + ")" (one round trip).
#define MU_SQL_STORED_ITEM_COLUMNS \
  "id, item_key, cur_rank, cur_hot, last_seen_ms, title, summary, indexed"
inline constexpr auto kSelectCurrentItems =
    shared("SELECT " MU_SQL_STORED_ITEM_COLUMNS " FROM items WHERE board = ?1 AND cur_rank > 0");
inline constexpr auto kSelectStoredItem =
    shared("SELECT " MU_SQL_STORED_ITEM_COLUMNS " FROM items WHERE board = ?1 AND item_key = ?2");
inline constexpr std::string_view kSelectKnownItemsHead =
    "SELECT " MU_SQL_STORED_ITEM_COLUMNS
    " FROM items WHERE board = $1 AND (cur_rank > 0 OR item_key IN (";
#undef MU_SQL_STORED_ITEM_COLUMNS
// Item ids are MAX(id) + 1 like snapshot ids (the writers are serialized by kLockFence).
inline constexpr auto kNextItemId = shared("SELECT COALESCE(MAX(id), 0) + 1 FROM items");

// Row: id, board, item_key, title, url, summary, first_seen_ms, last_seen_ms, best_rank,
// last_rank, cur_rank, cur_hot, peak_hot, on_board_ms (the time to add), title_key, url_key
// (+ search, PostgreSQL: the tsvector literal, or NULL to keep the row's). The id is used
// for a new row only. first_seen stays the earliest, best_rank the lowest, peak_hot the
// highest; the rest follows the newest fetch (history_math.h plans the values).
#define MU_SQL_UPSERT_HISTORY_ITEM_HEAD                                                       \
  "\nINSERT INTO items (id, board, item_key, title, url, summary, first_seen_ms, "            \
  "last_seen_ms, best_rank, last_rank, cur_rank, cur_hot, peak_hot, on_board_ms, title_key, " \
  "url_key"
#define MU_SQL_UPSERT_HISTORY_ITEM_SET                                                    \
  "\nON CONFLICT (board, item_key) DO UPDATE SET\n"                                       \
  "  title = excluded.title, url = excluded.url, summary = excluded.summary,\n"           \
  "  first_seen_ms = CASE WHEN excluded.first_seen_ms < items.first_seen_ms\n"            \
  "                       THEN excluded.first_seen_ms ELSE items.first_seen_ms END,\n"    \
  "  last_seen_ms = CASE WHEN excluded.last_seen_ms > items.last_seen_ms\n"               \
  "                      THEN excluded.last_seen_ms ELSE items.last_seen_ms END,\n"       \
  "  best_rank = CASE WHEN excluded.best_rank < items.best_rank\n"                        \
  "                   THEN excluded.best_rank ELSE items.best_rank END,\n"                \
  "  last_rank = excluded.last_rank, times_seen = items.times_seen + 1,\n"                \
  "  cur_rank = excluded.cur_rank, cur_hot = excluded.cur_hot,\n"                         \
  "  peak_hot = CASE WHEN excluded.peak_hot IS NULL THEN items.peak_hot\n"                \
  "                  WHEN items.peak_hot IS NULL OR excluded.peak_hot > items.peak_hot\n" \
  "                  THEN excluded.peak_hot ELSE items.peak_hot END,\n"                   \
  "  on_board_ms = items.on_board_ms + excluded.on_board_ms,\n"                           \
  "  title_key = excluded.title_key, url_key = excluded.url_key, indexed = 1"
inline constexpr RowInsert kUpsertHistoryItemsSqlite{MU_SQL_UPSERT_HISTORY_ITEM_HEAD
                                                     ", times_seen, indexed)\nVALUES ",
                                                     16, ", 1, 1", MU_SQL_UPSERT_HISTORY_ITEM_SET};
inline constexpr RowInsert kUpsertHistoryItemsPostgres{
    MU_SQL_UPSERT_HISTORY_ITEM_HEAD ", search, times_seen, indexed)\nVALUES ", 17, ", 1, 1",
    MU_SQL_UPSERT_HISTORY_ITEM_SET
    ",\n  search = CASE WHEN excluded.search IS NULL THEN items.search ELSE excluded.search "
    "END"};
#undef MU_SQL_UPSERT_HISTORY_ITEM_HEAD
#undef MU_SQL_UPSERT_HISTORY_ITEM_SET

// Row: item_id, at_ms, rank, hot. Two commits of one board in the same millisecond keep
// the later point.
inline constexpr RowInsert kInsertItemPoints{
    "\nINSERT INTO item_points (item_id, at_ms, rank, hot) VALUES ", 4, "",
    "\nON CONFLICT (item_id, at_ms) DO UPDATE SET rank = excluded.rank, hot = excluded.hot"};
// An item that left the board: ?1 is the time on the board to add.
inline constexpr auto kExitItem = shared(
    "UPDATE items SET cur_rank = 0, cur_hot = NULL, on_board_ms = on_board_ms + ?2 WHERE id = ?1");

// The rows migrate() still has to index (story keys and search entry), a batch at a time.
inline constexpr auto kSelectUnindexedItems =
    shared("SELECT id, title, summary, url FROM items WHERE indexed = 0 ORDER BY id LIMIT ?1");
inline constexpr auto kSetItemIndexed = dialects(
    "UPDATE items SET title_key = ?2, url_key = ?3, indexed = 1 WHERE id = ?1",
    "UPDATE items SET title_key = ?2, url_key = ?3, indexed = 1, search = CAST(?4 AS tsvector) "
    "WHERE id = ?1");

// HistoryItem columns (sql_rows.h history_item_from) of items i joined with boards b.
#define MU_SQL_HISTORY_ITEM_COLUMNS                                                   \
  "i.id, i.board, b.site, i.item_key, i.title, i.url, i.summary, i.first_seen_ms, "   \
  "i.last_seen_ms, i.best_rank, i.cur_rank, i.peak_hot, i.on_board_ms, i.title_key, " \
  "i.url_key"
inline constexpr int kHistoryItemColumnCount = 15;

inline constexpr auto kSelectHistoryItem =
    shared("SELECT " MU_SQL_HISTORY_ITEM_COLUMNS
           " FROM items i JOIN boards b ON b.id = i.board WHERE i.board = ?1 AND i.item_key = ?2");
inline constexpr auto kSelectItemPoints =
    shared("SELECT at_ms, rank, hot FROM item_points WHERE item_id = ?1 ORDER BY at_ms");
// The same story on other boards: ?2 title key, ?3 URL key (0 matches nothing).
inline constexpr auto kSelectRelatedItems = shared("SELECT " MU_SQL_HISTORY_ITEM_COLUMNS R"sql(
FROM items i JOIN boards b ON b.id = i.board
WHERE i.board <> ?1 AND ((i.title_key = ?2 AND i.title_key <> 0)
                         OR (i.url_key = ?3 AND i.url_key <> 0))
ORDER BY i.last_seen_ms DESC, i.id DESC LIMIT ?4)sql");

// board_at: the board's items that may be on it at ?2, each with its latest point at or
// before ?2 (a primary-key seek). An item on the board at ?2 was listed by the board's last
// commit at or before ?2, so it was last seen at or after that commit, and so at or after
// the newest last_seen_ms at or before ?2 of any item (the bound the subquery reads off the
// items_board_seen index).
inline constexpr auto kSelectBoardAt =
    shared("SELECT " MU_SQL_HISTORY_ITEM_COLUMNS R"sql(, p.at_ms, p.rank, p.hot
FROM items i
JOIN boards b ON b.id = i.board
JOIN item_points p ON p.item_id = i.id
 AND p.at_ms = (SELECT MAX(q.at_ms) FROM item_points q WHERE q.item_id = i.id AND q.at_ms <= ?2)
WHERE i.board = ?1 AND i.first_seen_ms <= ?2
  AND i.last_seen_ms >= COALESCE(
    (SELECT MAX(o.last_seen_ms) FROM items o WHERE o.board = ?1 AND o.last_seen_ms <= ?2), 0)
ORDER BY p.rank, i.id)sql");

// window_entries: the items on the board (?1) or on every active board of kind 'rank'
// whose [first seen, last seen] overlaps [?2, ?3), and those on the board now; then their
// points from the last one at or before ?2 to ?3.
#define MU_SQL_WINDOW_ITEMS_OF(BOARD_FILTER)                                           \
  "SELECT i.id FROM items i JOIN boards b ON b.id = i.board WHERE " BOARD_FILTER       \
  " AND i.last_seen_ms >= ?2 AND i.first_seen_ms < ?3 UNION SELECT i.id FROM items i " \
  "JOIN boards b ON b.id = i.board WHERE " BOARD_FILTER                                \
  " AND i.cur_rank > 0 AND "                                                           \
  "i.first_seen_ms < ?3"
#define MU_SQL_ONE_BOARD "i.board = ?1"
#define MU_SQL_RANK_BOARDS "b.kind = 'rank' AND b.retired = 0 AND CAST(?1 AS TEXT) = ''"
#define MU_SQL_WINDOW_ITEMS(BOARD_FILTER)                                                 \
  "SELECT " MU_SQL_HISTORY_ITEM_COLUMNS                                                   \
  " FROM items i JOIN boards b ON b.id = i.board WHERE i.id IN (" MU_SQL_WINDOW_ITEMS_OF( \
      BOARD_FILTER) ") ORDER BY i.id"
#define MU_SQL_WINDOW_POINTS(BOARD_FILTER) \
  "SELECT p.item_id, p.at_ms, p.rank, p.hot FROM item_points p WHERE p.item_id IN " \
  "("       \
  MU_SQL_WINDOW_ITEMS_OF(BOARD_FILTER)                                                      \
  ") AND p.at_ms < ?3 AND p.at_ms >= COALESCE((SELECT MAX(q.at_ms) FROM item_points q "     \
  "WHERE q.item_id = p.item_id AND q.at_ms <= ?2), ?2) ORDER BY p.item_id, p.at_ms"
inline constexpr auto kSelectWindowItemsOfBoard = shared(MU_SQL_WINDOW_ITEMS(MU_SQL_ONE_BOARD));
inline constexpr auto kSelectWindowPointsOfBoard = shared(MU_SQL_WINDOW_POINTS(MU_SQL_ONE_BOARD));
inline constexpr auto kSelectWindowItemsOfAll = shared(MU_SQL_WINDOW_ITEMS(MU_SQL_RANK_BOARDS));
inline constexpr auto kSelectWindowPointsOfAll = shared(MU_SQL_WINDOW_POINTS(MU_SQL_RANK_BOARDS));
#undef MU_SQL_WINDOW_ITEMS_OF
#undef MU_SQL_ONE_BOARD
#undef MU_SQL_RANK_BOARDS
#undef MU_SQL_WINDOW_ITEMS
#undef MU_SQL_WINDOW_POINTS

// search: ?1 the query (core/search_text.h: FTS5 MATCH text / tsquery literal), ?2 board and
// ?3 site ('' = any), ?4 from and ?5 to (seen within), then the cursor and the limit. The
// CASTs give PostgreSQL the parameters' types. Newest first is the id order (ids grow with
// first seen), which SQLite's FTS5 yields as it reads the index (items_fts.rowid is the
// id), so a page stops after its hits instead of sorting every match.
#define MU_SQL_SEARCH_SQLITE                                                               \
  "FROM items_fts JOIN items i ON i.id = items_fts.rowid JOIN boards b ON b.id = i.board " \
  "WHERE items_fts MATCH ?1"
#define MU_SQL_SEARCH_POSTGRES \
  "FROM items i JOIN boards b ON b.id = i.board WHERE i.search @@ CAST(?1 AS tsquery)"
#define MU_SQL_SEARCH_RANGE(FROM, TO) \
  " AND i.last_seen_ms >= CAST(" FROM " AS BIGINT) AND i.first_seen_ms <= CAST(" TO " AS BIGINT)"
#define MU_SQL_SEARCH_FILTERS                                  \
  " AND (CAST(?2 AS TEXT) = '' OR i.board = CAST(?2 AS TEXT))" \
  " AND (CAST(?3 AS TEXT) = '' OR b.site = CAST(?3 AS TEXT))" MU_SQL_SEARCH_RANGE("?4", "?5")
// Newest first; the cursor ?6 id (INT64_MAX for the first page); ?7 limit.
#define MU_SQL_SEARCH_NEWEST(ID) \
  " AND " ID " < CAST(?6 AS BIGINT) ORDER BY " ID " DESC LIMIT CAST(?7 AS BIGINT)"
// Best rank first; the cursor ?6 rank (0 for the first page), ?7 seen, ?8 id; ?9 limit.
#define MU_SQL_SEARCH_BEST                                                              \
  " AND (i.best_rank > CAST(?6 AS BIGINT) OR (i.best_rank = CAST(?6 AS BIGINT) AND "    \
  "(i.last_seen_ms < CAST(?7 AS BIGINT) OR (i.last_seen_ms = CAST(?7 AS BIGINT) AND "   \
  "i.id < CAST(?8 AS BIGINT))))) ORDER BY i.best_rank, i.last_seen_ms DESC, i.id DESC " \
  "LIMIT CAST(?9 AS BIGINT)"
inline constexpr auto kSearchNewest =
    dialects("SELECT " MU_SQL_HISTORY_ITEM_COLUMNS
             " " MU_SQL_SEARCH_SQLITE MU_SQL_SEARCH_FILTERS MU_SQL_SEARCH_NEWEST("items_fts.rowid"),
             "SELECT " MU_SQL_HISTORY_ITEM_COLUMNS
             " " MU_SQL_SEARCH_POSTGRES MU_SQL_SEARCH_FILTERS MU_SQL_SEARCH_NEWEST("i.id"));
inline constexpr auto kSearchBest =
    dialects("SELECT " MU_SQL_HISTORY_ITEM_COLUMNS
             " " MU_SQL_SEARCH_SQLITE MU_SQL_SEARCH_FILTERS MU_SQL_SEARCH_BEST,
             "SELECT " MU_SQL_HISTORY_ITEM_COLUMNS
             " " MU_SQL_SEARCH_POSTGRES MU_SQL_SEARCH_FILTERS MU_SQL_SEARCH_BEST);
// The matches of every filter, counted up to ?6 (history::kSearchCountLimit + 1).
inline constexpr auto kSearchCount = dialects(
    "SELECT COUNT(*) FROM (SELECT 1 " MU_SQL_SEARCH_SQLITE MU_SQL_SEARCH_FILTERS " LIMIT ?6) m",
    "SELECT COUNT(*) FROM (SELECT 1 " MU_SQL_SEARCH_POSTGRES MU_SQL_SEARCH_FILTERS
    " LIMIT CAST(?6 AS BIGINT)) m");
// The newest ?4 (history::kSearchCountLimit + 1) matches of the query and the date range
// (?2 from, ?3 to): id, board and site, newest first. One read of the index gives the total,
// the facets and, most of the time, the page (history::page_from_scan): a one-character
// query's prefix merge is the cost, so it is paid once.
#define MU_SQL_SEARCH_SCAN(MATCHES, ID)                        \
  "SELECT i.id, i.board, b.site " MATCHES MU_SQL_SEARCH_RANGE( \
      "?2", "?3") " ORDER BY " ID " DESC LIMIT CAST(?4 AS BIGINT)"
inline constexpr auto kSearchScan =
    dialects(MU_SQL_SEARCH_SCAN(MU_SQL_SEARCH_SQLITE, "items_fts.rowid"),
             MU_SQL_SEARCH_SCAN(MU_SQL_SEARCH_POSTGRES, "i.id"));
#undef MU_SQL_SEARCH_SCAN
// The rows of a page by id (?1: a JSON array for SQLite, an array literal for PostgreSQL),
// newest first.
inline constexpr auto kSelectHistoryItemsByIds =
    dialects("SELECT " MU_SQL_HISTORY_ITEM_COLUMNS
             " FROM items i JOIN boards b ON b.id = i.board WHERE i.id IN (SELECT value FROM "
             "json_each(?1)) ORDER BY i.id DESC",
             "SELECT " MU_SQL_HISTORY_ITEM_COLUMNS
             " FROM items i JOIN boards b ON b.id = i.board WHERE i.id = ANY(CAST(?1 AS "
             "BIGINT[])) ORDER BY i.id DESC");
#undef MU_SQL_SEARCH_BEST
#undef MU_SQL_SEARCH_NEWEST
#undef MU_SQL_SEARCH_FILTERS
#undef MU_SQL_SEARCH_RANGE
#undef MU_SQL_SEARCH_POSTGRES
#undef MU_SQL_SEARCH_SQLITE

// compact_history, thinning ([?1, ?2), whole hours): of the ranked points of the items seen
// in the range, every one that has an earlier ranked point in its hour and follows a ranked
// point goes; the first of each hour, entries (after an exit) and exits (rank 0) stay.
// Driven by the items seen in the range, board by board on items_board_seen, so a call
// reads that range only.
inline constexpr auto kThinItemPoints = shared(R"sql(
DELETE FROM item_points
WHERE item_id IN (SELECT id FROM items WHERE board IN (SELECT id FROM boards)
                    AND last_seen_ms >= ?1 AND first_seen_ms < ?2)
  AND at_ms >= ?1 AND at_ms < ?2 AND rank > 0
  AND EXISTS (SELECT 1 FROM item_points q
              WHERE q.item_id = item_points.item_id AND q.rank > 0
                AND q.at_ms >= item_points.at_ms - item_points.at_ms % 3600000
                AND q.at_ms < item_points.at_ms)
  AND (SELECT q.rank FROM item_points q
       WHERE q.item_id = item_points.item_id AND q.at_ms < item_points.at_ms
       ORDER BY q.at_ms DESC LIMIT 1) > 0)sql");
// Dropping: at most ?2 items last seen before ?1 and not on their board now, board by board
// on items_board_seen (the next call takes the rest).
inline constexpr auto kSelectDroppedItems = shared(
    "SELECT id, title, summary, indexed FROM items WHERE board IN (SELECT id FROM boards) "
    "AND last_seen_ms < ?1 AND cur_rank = 0 LIMIT ?2");
inline constexpr auto kDeleteItemPoints = shared("DELETE FROM item_points WHERE item_id = ?1");
inline constexpr auto kDeleteItem = shared("DELETE FROM items WHERE id = ?1");
#undef MU_SQL_HISTORY_ITEM_COLUMNS

// --- alerts: users' documents, matches and the delivery outbox (store/alerts.h) ----------

inline constexpr auto kSelectDocumentOwner =
    shared("SELECT user_id FROM user_documents WHERE kind = ?1 AND id = ?2");
inline constexpr auto kCountUserDocuments =
    shared("SELECT COUNT(*) FROM user_documents WHERE kind = ?1 AND user_id = CAST(?2 AS BIGINT)");
inline constexpr auto kUpsertDocument = shared(
    "INSERT INTO user_documents (kind, id, user_id, body, updated_ms) VALUES (?1, ?2, ?3, ?4, "
    "?5) ON CONFLICT (kind, id) DO UPDATE SET body = excluded.body, "
    "updated_ms = excluded.updated_ms");
inline constexpr auto kBumpDocumentRevision = shared(
    "INSERT INTO document_revisions (kind, revision) VALUES (?1, 1) ON CONFLICT (kind) "
    "DO UPDATE SET revision = document_revisions.revision + 1");
inline constexpr auto kSelectDocumentRevision =
    shared("SELECT COALESCE(MAX(revision), 0) FROM document_revisions WHERE kind = ?1");
inline constexpr auto kDeleteDocument = shared(
    "DELETE FROM user_documents WHERE kind = ?1 AND id = ?2 AND "
    "(CAST(?3 AS BIGINT) = 0 OR user_id = CAST(?3 AS BIGINT))");
// Row: kind, id, user_id, body, updated_ms.
inline constexpr auto kSelectDocuments = shared(
    "SELECT kind, id, user_id, body, updated_ms FROM user_documents WHERE kind = ?1 AND "
    "(CAST(?2 AS BIGINT) = 0 OR user_id = CAST(?2 AS BIGINT)) ORDER BY id");
inline constexpr auto kSelectDocument = shared(
    "SELECT kind, id, user_id, body, updated_ms FROM user_documents WHERE kind = ?1 AND "
    "id = ?2");
// What goes with a deleted rule or channel.
inline constexpr auto kDeleteRuleMatches = shared("DELETE FROM alert_matches WHERE rule_id = ?1");
inline constexpr auto kDeleteChannelDeliveries =
    shared("DELETE FROM alert_deliveries WHERE channel_id = ?1");

inline constexpr auto kUpsertAlertCursor = shared(
    "INSERT INTO alert_cursors (board, evaluated_ms) VALUES (?1, ?2) ON CONFLICT (board) DO "
    "UPDATE SET evaluated_ms = CASE WHEN excluded.evaluated_ms > alert_cursors.evaluated_ms "
    "THEN excluded.evaluated_ms ELSE alert_cursors.evaluated_ms END");
inline constexpr auto kSelectAlertCursor =
    shared("SELECT COALESCE(MAX(evaluated_ms), 0) FROM alert_cursors WHERE board = ?1");

// Match and delivery ids are MAX(id) + 1: the writers are serialized (SQLite's write lock,
// PostgreSQL's alerts advisory lock). A match already recorded returns no row.
inline constexpr auto kInsertMatch = shared(R"sql(
INSERT INTO alert_matches (id, rule_id, user_id, board, item_key, title, url, rank, hot_text,
                           matched_ms)
VALUES ((SELECT COALESCE(MAX(id), 0) + 1 FROM alert_matches), ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
ON CONFLICT (rule_id, board, item_key) DO NOTHING
RETURNING id)sql");
inline constexpr auto kInsertDelivery = shared(R"sql(
INSERT INTO alert_deliveries (id, match_id, channel_id, state, attempts, next_ms)
VALUES ((SELECT COALESCE(MAX(id), 0) + 1 FROM alert_deliveries), ?1, ?2, 'pending', 0, ?3)
ON CONFLICT (match_id, channel_id) DO NOTHING)sql");
// Claims: due rows move to the end of their lease. PostgreSQL skips rows another claimer
// holds; SQLite's writers are serialized anyway.
inline constexpr auto kClaimDeliveries = dialects(R"sql(
UPDATE alert_deliveries SET next_ms = ?2 WHERE id IN (
  SELECT id FROM alert_deliveries WHERE state = 'pending' AND next_ms <= ?1
  ORDER BY next_ms, id LIMIT ?3)
RETURNING id)sql",
                                                  R"sql(
UPDATE alert_deliveries SET next_ms = ?2 WHERE id IN (
  SELECT id FROM alert_deliveries WHERE state = 'pending' AND next_ms <= ?1
  ORDER BY next_ms, id LIMIT ?3 FOR UPDATE SKIP LOCKED)
RETURNING id)sql");
inline constexpr auto kUpdateDelivery = shared(
    "UPDATE alert_deliveries SET state = ?2, attempts = ?3, next_ms = ?4, sent_ms = ?5, "
    "last_error = ?6 WHERE id = ?1");
#define MU_SQL_DELIVERY_COLUMNS                                                         \
  "d.id, d.channel_id, d.state, d.attempts, d.next_ms, d.sent_ms, d.last_error, m.id, " \
  "m.rule_id, m.user_id, m.board, m.item_key, m.title, m.url, m.rank, m.hot_text, "     \
  "m.matched_ms FROM alert_deliveries d JOIN alert_matches m ON m.id = d.match_id "
// Row: see delivery_from (store/sql_rows.h).
inline constexpr auto kSelectDelivery = shared("SELECT " MU_SQL_DELIVERY_COLUMNS "WHERE d.id = ?1");
inline constexpr auto kSelectDeliveries =
    shared("SELECT " MU_SQL_DELIVERY_COLUMNS
           "WHERE (CAST(?1 AS BIGINT) = 0 OR m.user_id = CAST(?1 AS BIGINT)) AND "
           "(CAST(?2 AS TEXT) = '' OR m.rule_id = CAST(?2 AS TEXT)) AND "
           "(CAST(?3 AS TEXT) = '' OR d.state = CAST(?3 AS TEXT)) AND "
           "(CAST(?4 AS BIGINT) <= 0 OR d.id < CAST(?4 AS BIGINT)) "
           "ORDER BY d.id DESC LIMIT CAST(?5 AS BIGINT)");
#undef MU_SQL_DELIVERY_COLUMNS
// Row: id, rule_id, user_id, board, item_key, title, url, rank, hot_text, matched_ms.
inline constexpr auto kSelectRuleMatches = shared(
    "SELECT id, rule_id, user_id, board, item_key, title, url, rank, hot_text, matched_ms "
    "FROM alert_matches WHERE rule_id = ?1 ORDER BY id DESC LIMIT CAST(?2 AS BIGINT)");
inline constexpr auto kPruneMatches = shared(
    "DELETE FROM alert_matches WHERE matched_ms < ?1 AND NOT EXISTS (SELECT 1 FROM "
    "alert_deliveries d WHERE d.match_id = alert_matches.id AND d.state = 'pending')");

}  // namespace mu::sql
