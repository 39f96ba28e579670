// Argument checks both Store implementations make before they touch the database, so that
// both reject the same requests with the same kInvalid messages (store/store.h documents
// the rules). Text a caller passed in is shown in messages through `quote`: PostgresStore
// makes it storable, SqliteStore shows it as it is. Checks of what one database cannot
// hold (PostgreSQL text) stay in that store.
// Pure functions; safe from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "core/status.h"
#include "core/types.h"
#include "store/store.h"

namespace mu {

// How a message shows a caller's text.
using Quote = std::string (*)(std::string_view);
std::string quote_as_is(std::string_view text);

// The ids sync_catalogue keeps; kInvalid for an empty or repeated site or board id and for
// a board naming a site that is not listed.
struct CatalogueIds {
  std::unordered_set<std::string> sites;
  std::unordered_set<std::string> boards;
};
Result<CatalogueIds> check_catalogue(const std::vector<Site>& sites,
                                     const std::vector<BoardMeta>& boards, Quote quote);

// commit_snapshot / record_failure: kInvalid for an empty board or dispatch id, for empty or
// repeated item keys and for a failure whose error is ok. `context` names the call.
Status check_commit(const CommitRequest& request, const std::string& context, Quote quote);
Status check_failure(const FailureRecord& failure, const std::string& context);

// runs / audit_log: kInvalid for a negative limit.
Status check_limit(std::string_view call, int limit);
// run_tallies: kInvalid unless the bucket is positive.
Status check_run_tallies(int64_t bucket_ms);

// Accounts: kInvalid for the empty or malformed arguments store/store.h lists per call.
Status check_user_key(const std::string& provider, const std::string& provider_id,
                      const std::string& login, const std::string& context);
Status check_role(const std::string& role, const std::string& context, Quote quote);
Status check_session_ids(const std::string& id_hash, const std::string& csrf_token);
Status check_favorite(const Favorite& favorite, int64_t max_per_user);
Status check_favorite_query(const FavoriteQuery& query);
Status check_audit_record(const AuditRecord& record);
Status check_login_state(const std::string& state_hash, const std::string& code_verifier,
                         const LoginStateLimits& limits);
Status check_state_hash(const std::string& state_hash);
Status check_presence(const std::string& instance, int64_t readers);
Status check_api_key(const ApiKeyRecord& key, int64_t max_per_user);
Status check_api_key_limits(int64_t per_minute, int64_t burst);
Status check_api_key_usage(const std::vector<ApiKeyUsage>& usage);

// Alerts: kInvalid for a document without kind or id or a negative cap, a match without
// rule, board or item key, and a delivery update of a non-positive id or negative attempts.
Status check_document(const UserDocument& document, int64_t max_per_user);
Status check_new_matches(const std::vector<NewMatch>& matches);
Status check_delivery_update(const DeliveryUpdate& update);

// History: kInvalid for a search without terms, a limit outside 1..100, a negative
// related_limit or window limit, and an empty or reversed window.
Status check_search(const SearchRequest& request);
Status check_related_limit(int related_limit);
Status check_window(int64_t start_ms, int64_t end_ms, int limit);

}  // namespace mu
