// The store: Mu's durable state, behind four interfaces split by concern so that a
// consumer depends only on what it uses:
//   BoardStore    the catalogue, snapshots, per-item history, runs and the fence (the
//                 scheduler writes, the API reads);
//   OverrideStore the operator's versioned board override documents;
//   AccountStore  users, sessions, favorites, preferences, the audit log, presence and
//                 sign-ins in progress;
//   HistoryStore  search, item timelines, past boards and retention (store/history.h).
// Store is all four plus migrate(); app/ opens one (store/sqlite embedded, store/postgres
// shared) and hands out the narrow references. Every method is safe for concurrent use.
// Errors: kUnavailable when the database cannot be reached, kFenced / kConflict from
// commit_snapshot, kNotFound for unknown boards and users, kInvalid for malformed arguments
// (empty ids, an unknown role, negative limits).
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/status.h"
#include "core/types.h"
#include "store/alerts.h"
#include "store/history.h"

namespace mu {

// How many of a board's newest runs BoardState::recent_runs / recent_ok look at.
inline constexpr int kRecentRunsWindow = 20;
// Runs deleted per board by one BoardStore::prune_runs call.
inline constexpr int64_t kPruneRunsBatch = 10'000;

// Outcome facts about one fetch, recorded for every run (success or not).
struct RunStats {
  int64_t started_ms = 0;
  int64_t finished_ms = 0;
  int http_status = 0;
  int64_t bytes = 0;
  int item_count = 0;
  int attempt = 1;
  std::string collector;  // who fetched it ("local" when embedded)
};

struct CommitRequest {
  std::string board;
  int64_t epoch = 0;
  std::string dispatch_id;  // "<board>@<slot unix seconds>"
  int64_t slot = 0;         // unix seconds of the nominal slot
  std::vector<Item> items;  // normalized, deduplicated, in rank order
  RunStats stats;
};

struct FailureRecord {
  std::string board;
  int64_t epoch = 0;
  std::string dispatch_id;
  int64_t slot = 0;
  Status error;  // the typed error of the failed run
  RunStats stats;
};

// A row of the runs table.
struct RunRecord {
  std::string dispatch_id;
  std::string board;
  int64_t slot = 0;
  int64_t epoch = 0;
  std::string status;  // "ok" or an error code name
  std::string error_message;
  RunStats stats;
};

// How a board's runs went in one time bucket (BoardStore::run_tallies).
struct RunTally {
  std::string board;
  int64_t bucket = 0;  // (finished_ms - since_ms) / bucket_ms
  int64_t runs = 0;
  int64_t ok = 0;
};

// The operator's changes to one board (schedule, enabled flag, collector group), kept as
// one JSON document (scheduler/board_change_json.h defines it; the store does not look
// inside). `version` starts at 1 and grows by one with every put.
struct BoardOverrideRecord {
  std::string board;
  int64_t version = 0;
  std::string json;
  int64_t updated_ms = 0;
};

// --- accounts ---

inline constexpr std::string_view kRoleUser = "user";
inline constexpr std::string_view kRoleAdmin = "admin";

// A signed-in person, identified by (provider, provider_id); `id` is Mu's own id (1, 2,
// ... in creation order). login / name / avatar_url are refreshed at every sign-in.
struct User {
  int64_t id = 0;
  std::string provider;     // "github", ...
  std::string provider_id;  // the provider's stable user id
  std::string login;
  std::string name;
  std::string avatar_url;
  std::string role;  // kRoleUser or kRoleAdmin
  int64_t created_ms = 0;
  int64_t last_login_ms = 0;
};

// The local admin (the one-time link of `mu serve`) is the user ("local", "admin") with the
// login "local-admin". The login is reserved: a provider account may carry the same login,
// but it never stands for the local admin (roles are changed by id, `mu admin` resolves the
// bare name to the local admin only, and auth.admins never promotes a provider account
// with it).
inline constexpr std::string_view kLocalProvider = "local";
inline constexpr std::string_view kLocalAdminProviderId = "admin";
inline constexpr std::string_view kLocalAdminLogin = "local-admin";

// How logs, the audit log and the CLI name a user unambiguously: "octocat (github:583231)".
inline std::string describe_user(const User& user) {
  return user.login + " (" + user.provider + ":" + user.provider_id + ")";
}

// A browser session. `id_hash` is the SHA-256 hex of the session token (the token is never
// stored); `csrf_token` is the token the session's mutating requests must echo.
struct Session {
  std::string id_hash;
  int64_t user_id = 0;
  std::string csrf_token;
  int64_t created_ms = 0;
  int64_t last_seen_ms = 0;
  int64_t expires_ms = 0;  // the session is dead from this instant on
  std::string user_agent;
};

// An API key: a program's way in (issue 16). The secret ("mu_" + 40 random characters) is
// shown once when the key is made; the store keeps only its SHA-256 hex (`secret_hash`)
// and the first characters (`prefix`) so people can tell their keys apart. `id` is a
// random public name chosen by the caller. Limits of 0 mean "the configured default".
struct ApiKeyRecord {
  std::string id;
  int64_t user_id = 0;
  std::string name;
  std::string secret_hash;
  std::string prefix;
  int64_t created_ms = 0;
  int64_t last_used_ms = 0;  // 0: never used
  int64_t requests = 0;      // requests counted so far (flushed in batches)
  int64_t revoked_ms = 0;    // 0: live
  int64_t per_minute = 0;    // sustained requests per minute; 0: the default
  int64_t burst = 0;         // requests at once after being idle; 0: the default
};

// Requests of one key counted since the last flush (add_api_key_usage).
struct ApiKeyUsage {
  std::string id;
  int64_t requests = 0;
  int64_t last_used_ms = 0;
};

// A credential the admin console keeps for fetching (store/migrations/0010): `sealed` is
// the value encrypted by the caller (the store never sees it in clear).
struct CredentialRecord {
  std::string name;  // "zhihu.cookie", "weibo.hot.proxy", ...
  std::string sealed;
  int64_t updated_ms = 0;
  std::string updated_by;  // login of the admin who set it
};

// An item a user starred. Title and url are copied when it is added, so the favorite
// survives the item leaving its board.
struct Favorite {
  int64_t user_id = 0;
  std::string board;
  std::string item_key;
  std::string title;
  std::string url;
  int64_t added_ms = 0;
};

// Which of a user's favorites favorites() returns.
struct FavoriteQuery {
  std::string text;   // case-insensitive (ASCII at least) substring of the title; "" = all
  std::string board;  // only this board; "" = every board
  int limit = 50;     // at most this many (>= 0)
  int offset = 0;     // after skipping this many (>= 0)
};

// A user's preferences: one JSON document the store does not look inside. `version`
// starts at 1 and grows by one with every put.
struct PreferencesRecord {
  int64_t user_id = 0;
  int64_t version = 0;
  std::string body;
  int64_t updated_ms = 0;
};

// A sign-in in progress (the OAuth "state" of "sign in with GitHub"), shared by every API
// instance so that the callback may reach another instance than the one that started it.
// `state_hash` is the SHA-256 hex of the state (the state itself is never stored).
struct LoginStateRecord {
  std::string state_hash;
  std::string code_verifier;  // PKCE verifier for the token exchange
  std::string return_to;      // local path to go to afterwards
  int64_t expires_ms = 0;     // dead from this instant on
};

// The code_verifier of a LoginStateRecord that is not an OAuth sign-in but a one-time local
// admin link made by `mu admin link` (app/admin_cli.h): GET /auth/local?token=T takes the
// record keyed by SHA-256(T) and signs the browser in as the local admin.
inline constexpr std::string_view kLocalAdminLinkVerifier = "mu-local-admin-link";

// Who started a sign-in and how many pending sign-ins put_login_state keeps: at most
// `per_client` rows of `client` and `total` rows in all (0 = no such cap). When a new row
// would exceed a cap, the rows expiring first (the oldest) are evicted; the new row stays.
struct LoginStateLimits {
  std::string client;  // e.g. the IP address the sign-in came from; "" for unknown
  int64_t per_client = 0;
  int64_t total = 0;
};

// put_login_state deletes rows that expired this long before the new row expires: a login
// state lives minutes (auth/oauth_state.h), so such rows are dead whatever the clock.
inline constexpr int64_t kLoginStatePurgeHorizonMs = int64_t{24} * 3600 * 1000;
// The rows put_login_state(..., expires_ms) purges are those with an expiry at or before this.
inline constexpr int64_t login_state_purge_before(int64_t expires_ms) {
  return expires_ms < std::numeric_limits<int64_t>::min() + kLoginStatePurgeHorizonMs
             ? std::numeric_limits<int64_t>::min()
             : expires_ms - kLoginStatePurgeHorizonMs;
}

// One administrative action. `id` is assigned by append_audit (1, 2, ...).
struct AuditRecord {
  int64_t id = 0;
  int64_t at_ms = 0;
  std::string actor;   // login of who acted; "" for the system
  std::string action;  // e.g. "set_role", "board.disable"; never empty
  std::string target;  // what it acted on (a login, a board id, ...)
  std::string detail;  // JSON document; "" is stored as "{}"
};

// What the API renders for one board: the latest snapshot, the keys of the snapshot
// before it (for rank changes and "new" marks) and per-item history.
struct BoardView {
  Snapshot snapshot;
  bool has_previous = false;
  std::vector<std::string> previous_keys;                // in rank order
  std::unordered_map<std::string, ItemHistory> history;  // for the snapshot's keys
  BoardState state;
};

// Boards: the catalogue, fenced snapshot and failure writes, what the API renders, runs and
// the fence itself.
class BoardStore {
 public:
  virtual ~BoardStore() = default;

  // Makes the sites and boards tables match the catalogue (insert or update metadata;
  // keeps runtime fields such as enabled flags and history).
  virtual Status sync_catalogue(const std::vector<Site>& sites,
                                const std::vector<BoardMeta>& boards) = 0;

  // In one transaction: rejects with kFenced when `epoch` is below the highest epoch the
  // store has seen, with kConflict when `dispatch_id` was already committed; otherwise
  // stores the snapshot, updates per-item history, records the run as ok and clears the
  // board's error. Returns the new snapshot id (the board's version).
  virtual Result<int64_t> commit_snapshot(const CommitRequest& request) = 0;

  // Records a failed run and marks the board stale with the error. The last good snapshot
  // is untouched. Fenced like commit_snapshot. kConflict when the dispatch was committed by
  // this attempt or an earlier one; when a later attempt committed it (the failure was kept
  // through a store outage and written after the retry), only the run is recorded.
  virtual Status record_failure(const FailureRecord& failure) = 0;

  // The latest snapshot of `board` with ranks compared to the previous one; nullopt when
  // the board has never been fetched.
  virtual Result<std::optional<BoardView>> board_view(const std::string& board) = 0;

  // Freshness and run history (recent_runs / recent_ok over the newest kRecentRunsWindow
  // runs) of every board, in one round trip; board_view() fills BoardView::state alike.
  virtual Result<std::vector<BoardState>> board_states() = 0;
  virtual Result<BoardState> board_state(const std::string& board) = 0;

  // Most recent runs of a board, newest first; at most `limit`.
  virtual Result<std::vector<RunRecord>> runs(const std::string& board, int limit) = 0;

  // Deletes snapshots beyond the newest `keep_per_board` of each board.
  virtual Result<int64_t> prune_snapshots(int keep_per_board) = 0;

  // Runs and good runs per board in buckets of `bucket_ms` of the runs that finished at or
  // after `since_ms` (source health: success over a day and a week, the trend). kInvalid
  // unless bucket_ms > 0.
  virtual Result<std::vector<RunTally>> run_tallies(int64_t since_ms, int64_t bucket_ms) = 0;

  // Deletes the runs that finished before `before_ms`, keeping the newest kRecentRunsWindow
  // of each board whatever their age, at most kPruneRunsBatch per board a call (the first
  // call on a long-kept table leaves the rest to the next ones). Returns how many went.
  virtual Result<int64_t> prune_runs(int64_t before_ms) = 0;

  // The highest epoch seen by the store.
  virtual Result<int64_t> fence_epoch() = 0;

  // Raises the fence to `epoch` (never lowers it): a new leader calls it on takeover so
  // that late commits of the old term are rejected as kFenced from then on. Returns the
  // fence after the call.
  virtual Result<int64_t> raise_fence(int64_t epoch) = 0;
};

// The operator's live changes to boards: one versioned JSON document per board, written
// with compare-and-set so that concurrent writers (several schedulers, the admin API) merge
// instead of overwriting each other.
class OverrideStore {
 public:
  virtual ~OverrideStore() = default;

  // Compare-and-set of a board's override document: writes `json` as version
  // `expected_version + 1` when the stored version is `expected_version` (0: none stored
  // yet), else kConflict (read again, merge, retry). kNotFound for an unknown board.
  // Returns the new version.
  virtual Result<int64_t> put_board_override(const std::string& board, int64_t expected_version,
                                             const std::string& json, int64_t now_ms) = 0;
  // Every board's override document, by board id.
  virtual Result<std::vector<BoardOverrideRecord>> board_overrides() = 0;
  // The override document of one board (a primary-key lookup); nullopt when it has none,
  // also for a board the store does not know.
  virtual Result<std::optional<BoardOverrideRecord>> board_override(const std::string& board) = 0;

  // Credentials for fetching (cookies, proxies), sealed by the caller. put_credential
  // inserts or replaces; kInvalid for an empty name or sealed value.
  virtual Status put_credential(const CredentialRecord& credential) = 0;
  // Whether there was one.
  virtual Result<bool> delete_credential(const std::string& name) = 0;
  // Every credential, by name.
  virtual Result<std::vector<CredentialRecord>> credentials() = 0;
};

// Accounts: who signed in (users, sessions, sign-ins in progress), what they keep
// (favorites, preferences), what admins did (the audit log) and who is online (presence).
class AccountStore {
 public:
  virtual ~AccountStore() = default;

  // --- users ---
  // Creates the user of (provider, provider_id) with role kRoleUser and created_ms =
  // last_login_ms = now_ms, or updates login, name, avatar_url and last_login_ms of the
  // existing one (role and created_ms are kept). Returns the stored user. kInvalid when
  // provider, provider_id or login is empty.
  virtual Result<User> upsert_user(const std::string& provider, const std::string& provider_id,
                                   const std::string& login, const std::string& name,
                                   const std::string& avatar_url, int64_t now_ms) = 0;
  // nullopt when there is no such user.
  virtual Result<std::optional<User>> user_by_id(int64_t id) = 0;
  // Logins are the providers' and may repeat across providers (or after a rename): the
  // user with that login who signed in last (then the lowest id). nullopt when none.
  virtual Result<std::optional<User>> user_by_login(const std::string& login) = 0;
  // Sets the role of the user with Mu id `user_id` (logins are not unique, so roles are
  // never changed by login). kInvalid for a role other than kRoleUser / kRoleAdmin,
  // kNotFound when there is no such user.
  virtual Status set_role(int64_t user_id, const std::string& role) = 0;
  virtual Result<int64_t> count_admins() = 0;
  // Every user, by id.
  virtual Result<std::vector<User>> list_users() = 0;

  // --- sessions ---
  // kInvalid for an empty id_hash or csrf_token; kNotFound for an unknown user; kConflict
  // when a session with that id exists.
  virtual Status create_session(const std::string& id_hash, int64_t user_id,
                                const std::string& csrf_token, int64_t now_ms, int64_t expires_ms,
                                const std::string& user_agent) = 0;
  // The live session; nullopt when there is none or it expired (expires_ms <= now_ms), in
  // which case its row is deleted.
  virtual Result<std::optional<Session>> session(const std::string& id_hash, int64_t now_ms) = 0;
  // Sliding expiry: sets last_seen_ms = now_ms and expires_ms = new_expires_ms of a live
  // session. kNotFound when there is none or it expired.
  virtual Status touch_session(const std::string& id_hash, int64_t now_ms,
                               int64_t new_expires_ms) = 0;
  // Idempotent: ok when there is no such session.
  virtual Status delete_session(const std::string& id_hash) = 0;
  // Deletes every session of the user; returns how many.
  virtual Result<int64_t> delete_user_sessions(int64_t user_id) = 0;
  // Sessions seen at or after since_ms (the "online now" counter).
  virtual Result<int64_t> count_active_sessions(int64_t since_ms) = 0;

  // --- favorites ---
  // Idempotent: returns true when the favorite was added, false when it was there already
  // (its title, url and added_ms are then kept). kInvalid for an empty board or item key
  // or a negative cap, kNotFound for an unknown user, kTooLarge when the favorite is new and
  // the user has `max_per_user` favorites already (0 = no cap; checked in the same
  // transaction as the insert, so concurrent adds cannot pass it).
  virtual Result<bool> add_favorite(const Favorite& favorite, int64_t max_per_user) = 0;
  // Returns whether there was such a favorite.
  virtual Result<bool> remove_favorite(int64_t user_id, const std::string& board,
                                       const std::string& item_key) = 0;
  // Newest first (then by board and item key). kInvalid for a negative limit or offset.
  virtual Result<std::vector<Favorite>> favorites(int64_t user_id, const FavoriteQuery& query) = 0;
  // The item keys the user starred on `board`, sorted.
  virtual Result<std::vector<std::string>> favorite_keys(int64_t user_id,
                                                         const std::string& board) = 0;

  // --- preferences ---
  // Compare-and-set like put_board_override: writes `body` as version expected_version + 1
  // when the stored version is expected_version (0: none stored yet), else kConflict.
  // kNotFound for an unknown user. Returns the new version.
  virtual Result<int64_t> put_preferences(int64_t user_id, int64_t expected_version,
                                          const std::string& body, int64_t now_ms) = 0;
  // nullopt when the user has stored none.
  virtual Result<std::optional<PreferencesRecord>> preferences(int64_t user_id) = 0;

  // --- API keys ---
  // Stores a new key. kInvalid for an empty id, secret_hash or prefix, negative limits or
  // cap; kNotFound for an unknown user; kConflict when the id or the hash exists;
  // kTooLarge when the user has `max_per_user` live keys already (0 = no cap; counted in
  // the same transaction as the insert).
  virtual Status create_api_key(const ApiKeyRecord& key, int64_t max_per_user) = 0;
  // The keys of `user_id` (0: of every user), revoked ones included, newest first.
  virtual Result<std::vector<ApiKeyRecord>> api_keys(int64_t user_id) = 0;
  // The key whose secret hashes to `secret_hash`, revoked or not; nullopt when none.
  virtual Result<std::optional<ApiKeyRecord>> api_key_by_hash(const std::string& secret_hash) = 0;
  // Revokes the live key `id` of `user_id` (0: of any user) at now_ms. Returns false when
  // there is no such live key.
  virtual Result<bool> revoke_api_key(const std::string& id, int64_t user_id, int64_t now_ms) = 0;
  // Sets a key's limits (0: the default). kInvalid for negative limits, kNotFound for an
  // unknown key.
  virtual Status set_api_key_limits(const std::string& id, int64_t per_minute, int64_t burst) = 0;
  // Adds each entry's requests to its key and raises last_used_ms to the entry's (keys
  // that no longer exist are skipped). kInvalid for negative counts.
  virtual Status add_api_key_usage(const std::vector<ApiKeyUsage>& usage) = 0;

  // --- audit log ---
  // Appends `record` (its id is ignored) and returns the new id. kInvalid for an empty
  // action.
  virtual Result<int64_t> append_audit(const AuditRecord& record) = 0;
  // Newest first: at most `limit` records with ids below `before_id` (0: from the newest).
  // kInvalid for a negative limit.
  virtual Result<std::vector<AuditRecord>> audit_log(int limit, int64_t before_id) = 0;

  // --- sign-ins in progress (OAuth login states) ---
  // Records a sign-in under `state_hash` for `limits.client`, then evicts the oldest rows
  // beyond limits.per_client (of that client) and limits.total (see LoginStateLimits), so a
  // flood of sign-in starts cannot grow the table past the caps. kInvalid for an empty
  // state_hash or code_verifier or a negative cap; kConflict when the hash is already
  // recorded. Also purges rows that expired kLoginStatePurgeHorizonMs or more before
  // `expires_ms` (take_login_state purges the rest; each call purges at most a few hundred
  // rows, oldest first, so its cost stays bounded).
  virtual Status put_login_state(const std::string& state_hash, const std::string& code_verifier,
                                 const std::string& return_to, int64_t expires_ms,
                                 const LoginStateLimits& limits) = 0;
  // How many sign-ins are recorded (expired ones included until purged).
  virtual Result<int64_t> count_login_states() = 0;
  // One use: atomically deletes the row and returns it, so of two concurrent callers (in
  // any processes) exactly one gets it. nullopt when there is none or it expired
  // (expires_ms <= now_ms; the row is deleted all the same). Also purges rows expired at
  // now_ms. kInvalid for an empty state_hash.
  virtual Result<std::optional<LoginStateRecord>> take_login_state(const std::string& state_hash,
                                                                   int64_t now_ms) = 0;

  // --- presence (the anonymous half of the "online now" counter) ---
  // Upserts the row of API instance `instance`: it has `readers` anonymous live readers
  // (open event streams) as of now_ms. kInvalid for an empty instance or negative readers.
  virtual Status put_presence(const std::string& instance, int64_t readers, int64_t now_ms) = 0;
  // The sum of `readers` over the instances whose row was updated at or after since_ms (0
  // when there is none): instances that stopped reporting drop out by themselves.
  virtual Result<int64_t> count_presence(int64_t since_ms) = 0;
};

// The whole store on one database: what app/ opens and wires. Consumers take the narrowest
// of the interfaces above that they use.
class Store : public BoardStore,
              public OverrideStore,
              public AccountStore,
              public HistoryStore,
              public AlertStore {
 public:
  // Applies pending numbered migrations. Idempotent.
  virtual Status migrate() = 0;
};

}  // namespace mu
