#include "store/store_checks.h"

#include <utility>

namespace mu {
namespace {

Status invalid(std::string message) { return error(ErrorCode::kInvalid, std::move(message)); }

}  // namespace

std::string quote_as_is(std::string_view text) { return std::string(text); }

Status check_run_tallies(int64_t bucket_ms) {
  if (bucket_ms <= 0) return invalid("run_tallies: bucket_ms must be positive");
  return ok_status();
}

Result<CatalogueIds> check_catalogue(const std::vector<Site>& sites,
                                     const std::vector<BoardMeta>& boards, Quote quote) {
  CatalogueIds ids;
  for (const Site& site : sites) {
    if (site.id.empty()) {
      return invalid("sync_catalogue: a site has an empty id");
    }
    if (!ids.sites.insert(site.id).second) {
      return invalid("sync_catalogue: duplicate site '" + quote(site.id) + "'");
    }
  }
  for (const BoardMeta& board : boards) {
    if (board.id.empty()) {
      return invalid("sync_catalogue: a board has an empty id");
    }
    if (!ids.boards.insert(board.id).second) {
      return invalid("sync_catalogue: duplicate board '" + quote(board.id) + "'");
    }
    if (!ids.sites.contains(board.site)) {
      return invalid("sync_catalogue: board '" + quote(board.id) + "' names unknown site '" +
                     quote(board.site) + "'");
    }
  }
  return ids;
}

Status check_commit(const CommitRequest& request, const std::string& context, Quote quote) {
  if (request.board.empty()) {
    return invalid(context + ": empty board");
  }
  if (request.dispatch_id.empty()) {
    return invalid("commit_snapshot: empty dispatch id");
  }
  std::unordered_set<std::string_view> keys;
  keys.reserve(request.items.size());
  for (size_t i = 0; i < request.items.size(); ++i) {
    const std::string& key = request.items[i].key;
    if (key.empty()) {
      return invalid(context + ": item at rank " + std::to_string(i + 1) + " has no key");
    }
    if (!keys.insert(key).second) {
      return invalid(context + ": duplicate item key '" + quote(key) + "' at rank " +
                     std::to_string(i + 1));
    }
  }
  return ok_status();
}

Status check_failure(const FailureRecord& failure, const std::string& context) {
  if (failure.board.empty()) {
    return invalid(context + ": empty board");
  }
  if (failure.dispatch_id.empty()) {
    return invalid("record_failure: empty dispatch id");
  }
  if (failure.error.ok()) {
    return invalid(context + ": the error is ok");
  }
  return ok_status();
}

Status check_limit(std::string_view call, int limit) {
  if (limit < 0) {
    return invalid(std::string(call) + ": negative limit " + std::to_string(limit));
  }
  return ok_status();
}

Status check_user_key(const std::string& provider, const std::string& provider_id,
                      const std::string& login, const std::string& context) {
  if (provider.empty() || provider_id.empty() || login.empty()) {
    return invalid(context + ": provider, provider id and login must not be empty");
  }
  return ok_status();
}

Status check_role(const std::string& role, const std::string& context, Quote quote) {
  if (role != kRoleUser && role != kRoleAdmin) {
    return invalid(context + ": unknown role '" + quote(role) + "'");
  }
  return ok_status();
}

Status check_session_ids(const std::string& id_hash, const std::string& csrf_token) {
  if (id_hash.empty() || csrf_token.empty()) {
    return invalid("create_session: empty session id or CSRF token");
  }
  return ok_status();
}

Status check_favorite(const Favorite& favorite, int64_t max_per_user) {
  if (favorite.board.empty() || favorite.item_key.empty()) {
    return invalid("add_favorite: empty board or item key");
  }
  if (max_per_user < 0) {
    return invalid("add_favorite: negative cap");
  }
  return ok_status();
}

Status check_favorite_query(const FavoriteQuery& query) {
  if (query.limit < 0 || query.offset < 0) {
    return invalid("favorites: negative limit or offset");
  }
  return ok_status();
}

Status check_audit_record(const AuditRecord& record) {
  if (record.action.empty()) {
    return invalid("append_audit: empty action");
  }
  return ok_status();
}

Status check_login_state(const std::string& state_hash, const std::string& code_verifier,
                         const LoginStateLimits& limits) {
  if (state_hash.empty() || code_verifier.empty()) {
    return invalid("put_login_state: empty state hash or code verifier");
  }
  if (limits.per_client < 0 || limits.total < 0) {
    return invalid("put_login_state: negative cap");
  }
  return ok_status();
}

Status check_state_hash(const std::string& state_hash) {
  if (state_hash.empty()) {
    return invalid("take_login_state: empty state hash");
  }
  return ok_status();
}

Status check_presence(const std::string& instance, int64_t readers) {
  if (instance.empty() || readers < 0) {
    return invalid("put_presence: empty instance or negative reader count");
  }
  return ok_status();
}

Status check_api_key(const ApiKeyRecord& key, int64_t max_per_user) {
  if (key.id.empty() || key.secret_hash.empty() || key.prefix.empty()) {
    return invalid("create_api_key: empty id, secret hash or prefix");
  }
  if (max_per_user < 0) return invalid("create_api_key: negative cap");
  return check_api_key_limits(key.per_minute, key.burst);
}

Status check_api_key_limits(int64_t per_minute, int64_t burst) {
  if (per_minute < 0 || burst < 0) return invalid("API key limits must not be negative");
  return ok_status();
}

Status check_api_key_usage(const std::vector<ApiKeyUsage>& usage) {
  for (const auto& u : usage) {
    if (u.requests < 0) return invalid("add_api_key_usage: negative request count");
  }
  return ok_status();
}

Status check_document(const UserDocument& document, int64_t max_per_user) {
  if (document.kind.empty() || document.id.empty()) {
    return invalid("put_document: empty kind or id");
  }
  if (max_per_user < 0) return invalid("put_document: negative cap");
  return ok_status();
}

Status check_new_matches(const std::vector<NewMatch>& matches) {
  for (const auto& m : matches) {
    if (m.match.rule_id.empty() || m.match.board.empty() || m.match.item_key.empty()) {
      return invalid("record_matches: a match without rule, board or item key");
    }
  }
  return ok_status();
}

Status check_delivery_update(const DeliveryUpdate& update) {
  if (update.id <= 0 || update.attempts < 0) {
    return invalid("update_delivery: bad id or attempts");
  }
  return ok_status();
}

Status check_search(const SearchRequest& request) {
  if (request.query.terms.empty()) {
    return invalid("search: the query has no terms");
  }
  if (request.limit < 1 || request.limit > 100) {
    return invalid("search: limit " + std::to_string(request.limit) + " is outside 1..100");
  }
  return ok_status();
}

Status check_related_limit(int related_limit) {
  if (related_limit < 0) {
    return invalid("item_timeline: negative related_limit " + std::to_string(related_limit));
  }
  return ok_status();
}

Status check_window(int64_t start_ms, int64_t end_ms, int limit) {
  if (start_ms >= end_ms) {
    return invalid("window_entries: the window [" + std::to_string(start_ms) + ", " +
                   std::to_string(end_ms) + ") is empty");
  }
  return check_limit("window_entries", limit);
}

}  // namespace mu
