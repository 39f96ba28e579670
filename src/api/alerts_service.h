// AlertsService: the HTTP side of alerts (issue 13, docs/alerts.md). A signed-in user keeps
// rules and channels; rules are evaluated where boards are committed (not here), and this
// service reads what the outbox recorded.
//
// Routes (signed in; writes need the CSRF check; Cache-Control: no-store):
//   GET    /api/v1/me/alerts/rules                 {"rules": [...]}
//   POST   /api/v1/me/alerts/rules                 rule JSON -> 201 the rule with its id
//   PUT    /api/v1/me/alerts/rules/{id}            rule JSON -> 200
//   DELETE /api/v1/me/alerts/rules/{id}            204 (its matches and deliveries go too)
//   POST   /api/v1/me/alerts/preview               rule JSON -> the current items it matches
//                                                  and, with history, recent ones that left
//                                                  their board (the last 24 h)
//   GET    /api/v1/me/alerts/channels              {"channels": [...]} (never URLs or secrets)
//   POST   /api/v1/me/alerts/channels              {"name","url","secret"?} -> 201
//   DELETE /api/v1/me/alerts/channels/{id}         204
//   POST   /api/v1/me/alerts/channels/{id}/test    sends a test message -> {"ok"} or 502
//   GET    /api/v1/me/alerts/deliveries?rule=&state=&limit=&before=   the delivery log
// Admin:
//   GET    /api/v1/admin/alerts/deliveries?state=dead|pending|sent    every user's
//   POST   /api/v1/admin/alerts/deliveries/{id}/retry                 back to pending, now
// Private feeds (a random token, not the session; only its SHA-256 is kept):
//   GET    /api/v1/me/feed-token               {"active","created_at"}
//   POST   /api/v1/me/feed-token               a new token (the old one stops working) ->
//                                              201 {"token","favorites","alerts"} (URLs)
//   DELETE /api/v1/me/feed-token               204: every private feed URL stops working
//   GET    /feeds/u/{token}/favorites.{rss,atom,json}        the user's saved items
//   GET    /feeds/u/{token}/alerts/{rule}.{rss,atom,json}    what a rule matched
// A revoked or unknown token answers 404.
// No session (the link in every message, signed with the SecretBox's MAC):
//   GET    /alerts/unsubscribe?rule=&t=   a page with a button; POST the same URL (also the
//                                         RFC 8058 one-click POST of mail clients) disables
//                                         the rule.
// Without a SecretBox (no storage.secrets_key) channels cannot be kept: their writes answer
// 503 and the list says why.
//
// Thread-safety: handlers are safe to run concurrently.
#pragma once

#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "api/accounts.h"
#include "api/board_cache.h"
#include "auth/secret_box.h"
#include "core/clock.h"
#include "core/types.h"
#include "http/http.h"
#include "http/router.h"
#include "notify/channel.h"
#include "store/alerts.h"
#include "store/history.h"

namespace mu {

// Sends one test message to a channel (blocking; run on the server's blocking pool).
using ChannelTester = std::function<Status(const ChannelSpec& channel)>;

struct AlertsOptions {
  int64_t max_rules_per_user = 50;
  int64_t max_channels_per_user = 10;
  std::string telegram_api = "https://api.telegram.org";
  std::string public_url;  // origin of the unsubscribe links
};

// The signed link that disables `rule_id` (what messages carry).
std::string unsubscribe_url(const SecretBox& box, const std::string& public_url,
                            const std::string& rule_id);

class AlertsService {
 public:
  AlertsService(const std::vector<Site>& sites, const std::vector<BoardMeta>& boards,
                AlertStore& store, AccountStore& audit, AccountsService& accounts,
                BoardCache& cache, HistoryStore* history, const SecretBox* box,
                std::string why_disabled, const Clock& clock, ChannelTester tester,
                AlertsOptions options);

  void register_routes(Router& router);

 private:
  Response list_rules(const Request& req) const;
  Response put_rule(const Request& req, bool create) const;
  Response delete_rule(const Request& req) const;
  Response preview(const Request& req) const;
  Response list_channels(const Request& req) const;
  Response create_channel(const Request& req) const;
  Response delete_channel(const Request& req) const;
  Response test_channel(const Request& req) const;
  Response deliveries(const Request& req, bool admin) const;
  Response retry(const Request& req) const;
  Response unsubscribe(const Request& req, bool confirm) const;
  Response feed_token(const Request& req) const;
  Response new_feed_token(const Request& req) const;
  Response revoke_feed_token(const Request& req) const;
  Response private_feed(const Request& req, bool alerts) const;

  std::unordered_map<std::string, std::string> board_site_;   // board id -> site id
  std::unordered_map<std::string, std::string> board_names_;  // board id -> "微博 · 热搜"
  std::unordered_map<std::string, bool> sites_;
  AlertStore& store_;
  AccountStore& audit_;
  AccountsService& accounts_;
  BoardCache& cache_;
  HistoryStore* history_;  // null: the preview shows current items only
  const SecretBox* box_;
  const std::string why_disabled_;
  const Clock& clock_;
  const ChannelTester tester_;
  const AlertsOptions options_;
};

}  // namespace mu
