// Row decoders shared by the Store implementations: each turns one result row of a
// statement in store/sql_statements.h into its record, so both stores read the same columns
// the same way and a column list changes in one place with its decoder. `Row` is the
// store's adapter over one row of its driver's result, with
//   int64_t int64(int column) const;        // NULL reads as 0
//   std::string text(int column) const;     // NULL reads as ""
//   bool is_null(int column) const;
//   std::optional<int64_t> optional_int64(int column) const;
//   std::optional<double> optional_double(int column) const;
// Columns are 0-based. Pure functions; safe from any thread.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>

#include "core/status.h"
#include "core/types.h"
#include "store/history_math.h"
#include "store/sql_statements.h"
#include "store/store.h"
#include "store/store_codec.h"

namespace mu::sql {

// The board state columns at the start of kSelectBoardStates, kSelectBoardState and
// kSelectViewHead.
template <typename Row>
BoardState board_state_from(const Row& row) {
  BoardState state;
  state.board = row.text(0);
  state.enabled = row.int64(1) != 0;
  state.fetched_at_ms = row.int64(2);
  state.last_run_at_ms = row.int64(3);
  state.version = row.int64(4);
  state.item_count = static_cast<int>(row.int64(5));
  state.last_error_code = row.text(6);
  state.last_error = row.text(7);
  state.stale = !state.last_error_code.empty();
  state.recent_runs = static_cast<int>(row.int64(8));
  state.recent_ok = static_cast<int>(row.int64(9));
  return state;
}

// The snapshot columns of a kSelectViewHead row (after the board state): the snapshot
// without its items; nullopt when they are NULL (the board has no snapshot).
template <typename Row>
std::optional<Snapshot> view_snapshot_from(const Row& row, const std::string& board) {
  constexpr int s = kBoardStateColumnCount;
  if (row.is_null(s)) {
    return std::nullopt;
  }
  Snapshot snapshot;
  snapshot.id = row.int64(s);
  snapshot.board = board;
  snapshot.fetched_at_ms = row.int64(s + 1);
  snapshot.epoch = row.int64(s + 2);
  snapshot.dispatch_id = row.text(s + 3);
  return snapshot;
}

// A row of kSelectViewItems: an item of the view's snapshot with its history, or a key of
// the previous snapshot. kInternal for a stored `extra` that does not decode.
template <typename Row>
Status add_view_row(const Row& row, BoardView& view) {
  if (row.int64(0) != view.snapshot.id) {
    view.previous_keys.push_back(row.text(2));
    return ok_status();
  }
  Item& item = view.snapshot.items.emplace_back();
  item.key = row.text(2);
  item.title = row.text(3);
  item.url = row.text(4);
  item.mobile_url = row.text(5);
  item.summary = row.text(6);
  item.image = row.text(7);
  item.hot = row.optional_double(8);
  item.hot_text = row.text(9);
  item.label = row.text(10);
  item.author = row.text(11);
  item.published_at_ms = row.optional_int64(12);
  MU_ASSIGN_OR_RETURN(item.extra, extra_from_json(row.text(13)));
  if (!row.is_null(14)) {
    view.history[item.key] = ItemHistory{row.int64(14), static_cast<int>(row.int64(15))};
  }
  return ok_status();
}

// A row of kSelectRuns.
template <typename Row>
RunRecord run_from(const Row& row) {
  RunRecord run;
  run.dispatch_id = row.text(0);
  run.board = row.text(1);
  run.slot = row.int64(2);
  run.epoch = row.int64(3);
  run.status = row.text(4);
  run.error_message = row.text(5);
  run.stats.started_ms = row.int64(6);
  run.stats.finished_ms = row.int64(7);
  run.stats.http_status = static_cast<int>(row.int64(8));
  run.stats.bytes = row.int64(9);
  run.stats.item_count = static_cast<int>(row.int64(10));
  run.stats.attempt = static_cast<int>(row.int64(11));
  run.stats.collector = row.text(12);
  return run;
}

// A row of kSelectRunTallies.
template <typename Row>
RunTally run_tally_from(const Row& row) {
  return RunTally{row.text(0), row.int64(1), row.int64(2), row.int64(3)};
}

// A row of kSelectRunsPruneBounds: the board and the id below which its runs go; nullopt
// when none of its runs may go (fewer than the window, or none older than the cutoff).
struct RunsPruneBound {
  std::string board;
  int64_t below = 0;
};
template <typename Row>
std::optional<RunsPruneBound> runs_prune_bound_from(const Row& row) {
  const int64_t below = std::min(row.int64(1), row.int64(2));
  if (below <= 0) return std::nullopt;
  return RunsPruneBound{row.text(0), below};
}

// A row of kSearchScan.
template <typename Row>
history::SearchScanRow search_scan_row_from(const Row& row) {
  return history::SearchScanRow{row.int64(0), row.text(1), row.text(2)};
}

// A row of kSelectOverrides / kSelectOverride.
template <typename Row>
BoardOverrideRecord override_from(const Row& row) {
  return BoardOverrideRecord{row.text(0), row.int64(1), row.text(2), row.int64(3)};
}

// A row of the user statements (kUpsertUser's RETURNING, kSelectUser*).
template <typename Row>
User user_from(const Row& row) {
  User user;
  user.id = row.int64(0);
  user.provider = row.text(1);
  user.provider_id = row.text(2);
  user.login = row.text(3);
  user.name = row.text(4);
  user.avatar_url = row.text(5);
  user.role = row.text(6);
  user.created_ms = row.int64(7);
  user.last_login_ms = row.int64(8);
  return user;
}

// A row of kSelectSession.
template <typename Row>
Session session_from(const Row& row) {
  Session session;
  session.id_hash = row.text(0);
  session.user_id = row.int64(1);
  session.csrf_token = row.text(2);
  session.created_ms = row.int64(3);
  session.last_seen_ms = row.int64(4);
  session.expires_ms = row.int64(5);
  session.user_agent = row.text(6);
  return session;
}

// A row of kSelectApiKeys / kSelectApiKeyByHash.
template <typename Row>
ApiKeyRecord api_key_from(const Row& row) {
  ApiKeyRecord key;
  key.id = row.text(0);
  key.user_id = row.int64(1);
  key.name = row.text(2);
  key.secret_hash = row.text(3);
  key.prefix = row.text(4);
  key.created_ms = row.int64(5);
  key.last_used_ms = row.int64(6);
  key.requests = row.int64(7);
  key.revoked_ms = row.int64(8);
  key.per_minute = row.int64(9);
  key.burst = row.int64(10);
  return key;
}

// A row of kSelectCredentials.
template <typename Row>
CredentialRecord credential_from(const Row& row) {
  return CredentialRecord{row.text(0), row.text(1), row.int64(2), row.text(3)};
}

// A row of kSelectFavorites.
template <typename Row>
Favorite favorite_from(const Row& row) {
  return Favorite{row.int64(0), row.text(1), row.text(2), row.text(3), row.text(4), row.int64(5)};
}

// A row of kSelectPreferences.
template <typename Row>
PreferencesRecord preferences_from(const Row& row) {
  return PreferencesRecord{row.int64(0), row.int64(1), row.text(2), row.int64(3)};
}

// A row of kSelectAudit.
template <typename Row>
AuditRecord audit_from(const Row& row) {
  return AuditRecord{row.int64(0), row.int64(1), row.text(2),
                     row.text(3),  row.text(4),  row.text(5)};
}

// A row of kTakeLoginState's RETURNING.
template <typename Row>
LoginStateRecord login_state_from(const Row& row) {
  return LoginStateRecord{row.text(0), row.text(1), row.text(2), row.int64(3)};
}

// A row of kSelectCurrentItems / kSelectStoredItem / kSelectKnownItemsHead.
template <typename Row>
history::StoredItem stored_item_from(const Row& row) {
  history::StoredItem item;
  item.id = row.int64(0);
  item.key = row.text(1);
  item.cur_rank = static_cast<int>(row.int64(2));
  item.cur_hot = row.optional_double(3);
  item.last_seen_ms = row.int64(4);
  item.title = row.text(5);
  item.summary = row.text(6);
  item.indexed = row.int64(7) != 0;
  return item;
}

// The MU_SQL_HISTORY_ITEM_COLUMNS of a row, from column `first` on (kHistoryItemColumnCount
// columns).
template <typename Row>
HistoryItem history_item_from(const Row& row, int first = 0) {
  HistoryItem item;
  item.id = row.int64(first);
  item.board = row.text(first + 1);
  item.site = row.text(first + 2);
  item.key = row.text(first + 3);
  item.title = row.text(first + 4);
  item.url = row.text(first + 5);
  item.summary = row.text(first + 6);
  item.first_seen_ms = row.int64(first + 7);
  item.last_seen_ms = row.int64(first + 8);
  item.best_rank = static_cast<int>(row.int64(first + 9));
  item.current_rank = static_cast<int>(row.int64(first + 10));
  item.peak_hot = row.optional_double(first + 11);
  item.on_board_ms = row.int64(first + 12);
  item.title_key = row.int64(first + 13);
  item.url_key = row.int64(first + 14);
  return item;
}

// A point: at_ms, rank, hot from column `first` on.
template <typename Row>
HistoryPoint history_point_from(const Row& row, int first = 0) {
  return HistoryPoint{row.int64(first), static_cast<int>(row.int64(first + 1)),
                      row.optional_double(first + 2)};
}

// A row of kSelectDocuments / kSelectDocument.
template <typename Row>
UserDocument document_from(const Row& row) {
  return UserDocument{row.text(0), row.text(1), row.int64(2), row.text(3), row.int64(4)};
}

// A row of kSelectRuleMatches, or the match columns of a delivery row from `first`.
template <typename Row>
AlertMatch alert_match_from(const Row& row, int first = 0) {
  AlertMatch m;
  m.id = row.int64(first);
  m.rule_id = row.text(first + 1);
  m.user_id = row.int64(first + 2);
  m.board = row.text(first + 3);
  m.item_key = row.text(first + 4);
  m.title = row.text(first + 5);
  m.url = row.text(first + 6);
  m.rank = static_cast<int>(row.int64(first + 7));
  m.hot_text = row.text(first + 8);
  m.matched_ms = row.int64(first + 9);
  return m;
}

// A row of kSelectDelivery / kSelectDeliveries.
template <typename Row>
DeliveryRecord delivery_from(const Row& row) {
  DeliveryRecord d;
  d.id = row.int64(0);
  d.channel_id = row.text(1);
  d.state = parse_delivery_state(row.text(2)).value_or(DeliveryState::kPending);
  d.attempts = static_cast<int>(row.int64(3));
  d.next_ms = row.int64(4);
  d.sent_ms = row.int64(5);
  d.last_error = row.text(6);
  d.match = alert_match_from(row, 7);
  return d;
}

}  // namespace mu::sql
