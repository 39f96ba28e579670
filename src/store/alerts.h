// AlertStore: what alerts (issue 13) keep in the store. Users' alert rules, notification
// channels and private feed tokens are documents the store does not look inside (the notify
// module owns their JSON; channel secrets are sealed before they get here). A rule's match
// of an item is recorded once — the (rule, board, item) triple is unique, whichever
// scheduler, leader term or retry records it — together with one delivery per channel of
// the rule: the durable outbox the delivery worker claims, sends and settles.
// Implementations are safe for concurrent use.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace mu {

// Kinds of UserDocument.
inline constexpr std::string_view kRuleDocument = "rule";
inline constexpr std::string_view kChannelDocument = "channel";
inline constexpr std::string_view kFeedTokenDocument = "feed_token";

// A document owned by a user. `id` is unique within its kind.
struct UserDocument {
  std::string kind;
  std::string id;
  int64_t user_id = 0;
  std::string body;  // JSON (the store does not parse it)
  int64_t updated_ms = 0;
};

// An item a rule matched, as it was when matched (the item may leave its board later).
struct AlertMatch {
  int64_t id = 0;  // assigned by record_matches
  std::string rule_id;
  int64_t user_id = 0;  // the rule's owner
  std::string board;
  std::string item_key;
  std::string title;
  std::string url;
  int rank = 0;
  std::string hot_text;  // the heat as the site shows it ("" when none)
  int64_t matched_ms = 0;
};

// A match to record with the channels it goes to and when (quiet hours and digests put
// it later than now).
struct NewMatch {
  AlertMatch match;
  std::vector<std::string> channel_ids;
  int64_t deliver_at_ms = 0;
};

// How far rule evaluation has come on a board: the fetched_at_ms of the newest snapshot whose
// items the rules have seen.
struct AlertCursor {
  std::string board;
  int64_t evaluated_ms = 0;
};

enum class DeliveryState { kPending, kSent, kDead };
std::string_view delivery_state_name(DeliveryState state);  // "pending", "sent", "dead"
std::optional<DeliveryState> parse_delivery_state(std::string_view name);

// One message of a match to one channel.
struct DeliveryRecord {
  int64_t id = 0;
  std::string channel_id;
  DeliveryState state = DeliveryState::kPending;
  int attempts = 0;     // sends tried so far
  int64_t next_ms = 0;  // pending: not before; a claim moves it to the end of the lease
  int64_t sent_ms = 0;  // sent: when
  std::string last_error;
  AlertMatch match;
};

// How a delivery ends a try.
struct DeliveryUpdate {
  int64_t id = 0;
  DeliveryState state = DeliveryState::kPending;
  int attempts = 0;
  int64_t next_ms = 0;
  int64_t sent_ms = 0;
  std::string last_error;
};

// Which deliveries deliveries() lists, newest first.
struct DeliveryQuery {
  int64_t user_id = 0;  // 0: every user's
  std::string rule_id;  // "": every rule's
  std::optional<DeliveryState> state;
  int limit = 50;
  int64_t before_id = 0;  // 0: from the newest
};

class AlertStore {
 public:
  virtual ~AlertStore() = default;

  // Inserts or replaces document (kind, id). A new document is refused with kConflict when
  // its owner already has `max_per_user` documents of that kind (0: no cap), and a
  // replacement with kNotFound when the existing one belongs to another user. Bumps the
  // kind's revision. kInvalid for an empty kind or id.
  virtual Status put_document(const UserDocument& document, int64_t max_per_user) = 0;
  // Deletes document (kind, id) of `user_id` (0: whoever owns it); false when there is
  // none. Bumps the kind's revision when it deleted one. A deleted rule's matches and
  // deliveries go with it; so do a deleted channel's deliveries.
  virtual Result<bool> delete_document(std::string_view kind, const std::string& id,
                                       int64_t user_id) = 0;
  // Documents of a kind owned by `user_id` (0: every user's), by id.
  virtual Result<std::vector<UserDocument>> documents(std::string_view kind, int64_t user_id) = 0;
  virtual Result<std::optional<UserDocument>> document(std::string_view kind,
                                                       const std::string& id) = 0;
  // A number that grows whenever a document of `kind` is put or deleted (0 before any):
  // the leader reloads its rules only when it moved.
  virtual Result<int64_t> document_revision(std::string_view kind) = 0;

  // Records the matches not recorded before (a (rule, board, item) already there is
  // skipped, with its channels) and a pending delivery per channel of each, due at
  // deliver_at_ms, and moves `cursor` forward (never back) — in one transaction. Returns how
  // many matches were new.
  virtual Result<int64_t> record_matches(const std::vector<NewMatch>& matches,
                                         const std::optional<AlertCursor>& cursor) = 0;
  // The board's cursor's evaluated_ms; 0 when its updates were never evaluated.
  virtual Result<int64_t> alert_cursor(const std::string& board) = 0;
  // Claims up to `limit` pending deliveries due at now_ms (next_ms <= now_ms), oldest
  // first: each claimed one's next_ms becomes lease_until_ms, so a worker that dies while
  // sending leaves it to be claimed again after the lease (at-least-once; the delivery id
  // is the receiver's key to drop a repeat).
  virtual Result<std::vector<DeliveryRecord>> claim_deliveries(int64_t now_ms,
                                                               int64_t lease_until_ms,
                                                               int limit) = 0;
  // Writes a try's outcome. kNotFound when the delivery is gone (its rule was deleted).
  virtual Status update_delivery(const DeliveryUpdate& update) = 0;
  virtual Result<std::vector<DeliveryRecord>> deliveries(const DeliveryQuery& query) = 0;
  // A rule's matches, newest first.
  virtual Result<std::vector<AlertMatch>> alert_matches(const std::string& rule_id, int limit) = 0;
  // Deletes matches (and their deliveries) recorded before before_ms whose deliveries are
  // all settled (sent or dead). Returns how many matches went.
  virtual Result<int64_t> prune_alerts(int64_t before_ms) = 0;
};

}  // namespace mu
