#include "api/alerts_service.h"

#include <spdlog/spdlog.h>

#include <boost/json.hpp>
#include <set>

#include "api/feed_writer.h"
#include "api/handler_util.h"
#include "auth/crypto.h"
#include "auth/url_util.h"
#include "core/encoding.h"
#include "core/search_text.h"
#include "notify/channel_store.h"
#include "notify/matcher.h"
#include "notify/rule.h"

namespace mu {
namespace {

namespace json = boost::json;
using handler::err;
using handler::json_ok;

constexpr int kPreviewLimit = 50;
constexpr std::size_t kMaxChannelName = 100;

Response html_page(int status, const std::string& title, const std::string& body) {
  Response r = text_response(status,
                             "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
                             "<meta name=\"viewport\" content=\"width=device-width\"><title>" +
                                 html_escape(title) +
                                 "</title></head><body style=\"font-family:sans-serif;"
                                 "max-width:32rem;margin:3rem auto;padding:0 1rem\">" +
                                 body + "</body></html>",
                             "text/html; charset=utf-8");
  r.set_header("Cache-Control", "no-store");
  r.set_header("Referrer-Policy", "no-referrer");
  return r;
}

std::string unsubscribe_data(const std::string& rule_id) { return "unsubscribe:" + rule_id; }

json::value rule_json(const std::string& id, const AlertRule& rule, int64_t updated_ms) {
  json::value v = json::parse(rule_to_json(rule));
  json::object& o = v.as_object();
  o["id"] = id;
  o["updated_at"] = handler::time_or_null(updated_ms);
  return v;
}

json::value delivery_json(const DeliveryRecord& d) {
  const AlertMatch& m = d.match;
  return json::object{
      {"id", d.id},
      {"rule_id", m.rule_id},
      {"channel_id", d.channel_id},
      {"state", delivery_state_name(d.state)},
      {"attempts", d.attempts},
      {"next_at", d.state == DeliveryState::kPending ? handler::time_or_null(d.next_ms)
                                                     : json::value(nullptr)},
      {"sent_at", handler::time_or_null(d.sent_ms)},
      {"last_error", d.last_error},
      {"matched_at", handler::time_or_null(m.matched_ms)},
      {"item", json::object{{"board", m.board},
                            {"key", m.item_key},
                            {"title", m.title},
                            {"url", m.url},
                            {"rank", m.rank},
                            {"hot", m.hot_text}}}};
}

// Deletes every private-feed token of `user` (there is at most one, but a race of two
// creations may leave two).
Status revoke_feed_tokens(AlertStore& store, int64_t user) {
  MU_ASSIGN_OR_RETURN(std::vector<UserDocument> tokens, store.documents(kFeedTokenDocument, user));
  for (const UserDocument& d : tokens) {
    MU_RETURN_IF_ERROR(store.delete_document(kFeedTokenDocument, d.id, user).status());
  }
  return ok_status();
}

}  // namespace

std::string unsubscribe_url(const SecretBox& box, const std::string& public_url,
                            const std::string& rule_id) {
  return public_url + "/alerts/unsubscribe?rule=" + url_encode_component(rule_id) +
         "&t=" + box.mac(unsubscribe_data(rule_id));
}

AlertsService::AlertsService(const std::vector<Site>& sites, const std::vector<BoardMeta>& boards,
                             AlertStore& store, AccountStore& audit, AccountsService& accounts,
                             BoardCache& cache, HistoryStore* history, const SecretBox* box,
                             std::string why_disabled, const Clock& clock, ChannelTester tester,
                             AlertsOptions options)
    : store_(store),
      audit_(audit),
      accounts_(accounts),
      cache_(cache),
      history_(history),
      box_(box),
      why_disabled_(std::move(why_disabled)),
      clock_(clock),
      tester_(std::move(tester)),
      options_(std::move(options)) {
  std::unordered_map<std::string, std::string> site_names;
  for (const Site& s : sites) {
    sites_[s.id] = true;
    site_names[s.id] = s.name_zh.empty() ? s.id : s.name_zh;
  }
  for (const BoardMeta& b : boards) {
    board_site_[b.id] = b.site;
    board_names_[b.id] = site_names[b.site] + " · " + (b.name_zh.empty() ? b.id : b.name_zh);
  }
}

void AlertsService::register_routes(Router& router) {
  router.add(HttpMethod::kGet, "/api/v1/me/alerts/rules",
             [this](const Request& r) { return list_rules(r); });
  router.add(HttpMethod::kPost, "/api/v1/me/alerts/rules",
             [this](const Request& r) { return put_rule(r, true); });
  router.add(HttpMethod::kPut, "/api/v1/me/alerts/rules/{id}",
             [this](const Request& r) { return put_rule(r, false); });
  router.add(HttpMethod::kDelete, "/api/v1/me/alerts/rules/{id}",
             [this](const Request& r) { return delete_rule(r); });
  router.add(HttpMethod::kPost, "/api/v1/me/alerts/preview",
             [this](const Request& r) { return defer_response([this, r] { return preview(r); }); });
  router.add(HttpMethod::kGet, "/api/v1/me/alerts/channels",
             [this](const Request& r) { return list_channels(r); });
  router.add(HttpMethod::kPost, "/api/v1/me/alerts/channels",
             [this](const Request& r) { return create_channel(r); });
  router.add(HttpMethod::kDelete, "/api/v1/me/alerts/channels/{id}",
             [this](const Request& r) { return delete_channel(r); });
  router.add(HttpMethod::kPost, "/api/v1/me/alerts/channels/{id}/test", [this](const Request& r) {
    return defer_response([this, r] { return test_channel(r); });
  });
  router.add(HttpMethod::kGet, "/api/v1/me/alerts/deliveries",
             [this](const Request& r) { return deliveries(r, false); });
  router.add(HttpMethod::kGet, "/api/v1/admin/alerts/deliveries",
             [this](const Request& r) { return deliveries(r, true); });
  router.add(HttpMethod::kPost, "/api/v1/admin/alerts/deliveries/{id}/retry",
             [this](const Request& r) { return retry(r); });
  router.add(HttpMethod::kGet, "/api/v1/me/feed-token",
             [this](const Request& r) { return feed_token(r); });
  router.add(HttpMethod::kPost, "/api/v1/me/feed-token",
             [this](const Request& r) { return new_feed_token(r); });
  router.add(HttpMethod::kDelete, "/api/v1/me/feed-token",
             [this](const Request& r) { return revoke_feed_token(r); });
  router.add(HttpMethod::kGet, "/feeds/u/{token}/{file}",
             [this](const Request& r) { return private_feed(r, false); });
  router.add(HttpMethod::kGet, "/feeds/u/{token}/alerts/{file}",
             [this](const Request& r) { return private_feed(r, true); });
  router.add(HttpMethod::kGet, "/alerts/unsubscribe",
             [this](const Request& r) { return unsubscribe(r, false); });
  router.add(HttpMethod::kPost, "/alerts/unsubscribe",
             [this](const Request& r) { return unsubscribe(r, true); });
}

Response AlertsService::list_rules(const Request& req) const {
  AccountsService::Authed a;
  if (auto r = accounts_.require(req, false, false, a)) return std::move(*r);
  auto docs = store_.documents(kRuleDocument, a.user.id);
  if (!docs.ok()) return handler::internal("alerts", "rules", docs.status());
  json::array rules;
  for (const UserDocument& d : *docs) {
    auto rule = parse_rule(d.body);
    if (!rule.ok()) continue;  // written by a newer release; not shown rather than mangled
    rules.push_back(rule_json(d.id, *rule, d.updated_ms));
  }
  return json_ok(
      200, json::object{{"rules", std::move(rules)}, {"max_rules", options_.max_rules_per_user}});
}

Response AlertsService::put_rule(const Request& req, bool create) const {
  AccountsService::Authed a;
  if (auto r = accounts_.require(req, true, false, a)) return std::move(*r);
  auto rule = parse_rule(req.body);
  if (!rule.ok()) return err(400, "invalid", rule.status().message());
  for (const std::string& b : rule->boards) {
    if (!board_site_.contains(b)) return err(400, "invalid", "rule.boards: no board " + b);
  }
  for (const std::string& s : rule->sites) {
    if (!sites_.contains(s)) return err(400, "invalid", "rule.sites: no site " + s);
  }
  if (!rule->channels.empty()) {
    auto mine = store_.documents(kChannelDocument, a.user.id);
    if (!mine.ok()) return handler::internal("alerts", "channels", mine.status());
    for (const std::string& c : rule->channels) {
      bool found = false;
      for (const UserDocument& d : *mine) found = found || d.id == c;
      if (!found) return err(400, "invalid", "rule.channels: no channel " + c + " of yours");
    }
  }
  std::string id = create ? "r_" + random_token(9) : std::string(req.param("id"));
  if (!create) {
    auto existing = store_.document(kRuleDocument, id);
    if (!existing.ok()) return handler::internal("alerts", "rule", existing.status());
    if (!*existing || (*existing)->user_id != a.user.id) {
      return err(404, "not-found", "no rule " + id);
    }
  }
  const int64_t now = clock_.now_ms();
  Status s =
      store_.put_document({std::string(kRuleDocument), id, a.user.id, rule_to_json(*rule), now},
                          options_.max_rules_per_user);
  if (s.code() == ErrorCode::kConflict) {
    return err(409, "quota-exceeded",
               "at most " + std::to_string(options_.max_rules_per_user) + " rules per user");
  }
  if (s.code() == ErrorCode::kNotFound) return err(404, "not-found", "no rule " + id);
  if (!s.ok()) return handler::internal("alerts", "put rule", s);
  return json_ok(create ? 201 : 200, rule_json(id, *rule, now));
}

Response AlertsService::delete_rule(const Request& req) const {
  AccountsService::Authed a;
  if (auto r = accounts_.require(req, true, false, a)) return std::move(*r);
  const std::string id(req.param("id"));
  auto gone = store_.delete_document(kRuleDocument, id, a.user.id);
  if (!gone.ok()) return handler::internal("alerts", "delete rule", gone.status());
  if (!*gone) return err(404, "not-found", "no rule " + id);
  return handler::empty(204);
}

Response AlertsService::preview(const Request& req) const {
  AccountsService::Authed a;
  if (auto r = accounts_.require(req, true, false, a)) return std::move(*r);
  auto rule = parse_rule(req.body);
  if (!rule.ok()) return err(400, "invalid", rule.status().message());
  json::array items;
  int total = 0;
  for (const auto& [board, site] : board_site_) {
    auto content = cache_.content(board);
    if (!content) continue;
    for (const RankedItem& ri : content->items) {
      if (!RuleSet::matches_item(*rule, board, site, ri.item, ri.rank)) continue;
      ++total;
      if (static_cast<int>(items.size()) >= kPreviewLimit) continue;
      auto name = board_names_.find(board);
      items.push_back(
          json::object{{"board", board},
                       {"board_name", name == board_names_.end() ? board : name->second},
                       {"rank", ri.rank},
                       {"title", ri.item.title},
                       {"url", ri.item.url},
                       {"hot", ri.item.hot_text},
                       {"is_new", ri.is_new}});
    }
  }
  // Recent: what the keywords found in the last day's history that is off its board now
  // (what is on a board was listed above), checked against the whole rule.
  json::array recent;
  if (history_ != nullptr) {
    std::set<std::pair<std::string, std::string>> seen;
    const int64_t since = clock_.now_ms() - 24 * 3'600'000;
    for (std::size_t k = 0; k < rule->keywords.size() && k < 5 && recent.size() < 20; ++k) {
      auto query = search::parse_query(rule->keywords[k]);
      if (!query.ok()) continue;
      SearchRequest request;
      request.query = std::move(*query);
      request.from_ms = since;
      request.limit = 50;
      request.facets = false;
      auto found = history_->search(request);
      if (!found.ok()) return handler::internal("alerts", "preview", found.status());
      for (const HistoryItem& h : found->hits) {
        if (h.current_rank != 0 || recent.size() >= 20) continue;
        Item item;
        item.key = h.key;
        item.title = h.title;
        item.url = h.url;
        item.hot = h.peak_hot;
        if (!RuleSet::matches_item(*rule, h.board, h.site, item, h.best_rank)) continue;
        if (!seen.insert({h.board, h.key}).second) continue;
        auto name = board_names_.find(h.board);
        recent.push_back(
            json::object{{"board", h.board},
                         {"board_name", name == board_names_.end() ? h.board : name->second},
                         {"best_rank", h.best_rank},
                         {"title", h.title},
                         {"url", h.url},
                         {"last_seen_at", handler::time_or_null(h.last_seen_ms)}});
      }
    }
  }
  return json_ok(
      200,
      json::object{{"items", std::move(items)}, {"total", total}, {"recent", std::move(recent)}});
}

Response AlertsService::list_channels(const Request& req) const {
  AccountsService::Authed a;
  if (auto r = accounts_.require(req, false, false, a)) return std::move(*r);
  auto docs = store_.documents(kChannelDocument, a.user.id);
  if (!docs.ok()) return handler::internal("alerts", "channels", docs.status());
  json::array channels;
  for (const UserDocument& d : *docs) {
    auto c = parse_channel_document(d);
    if (!c.ok()) continue;
    channels.push_back(json::object{{"id", c->id},
                                    {"name", c->name},
                                    {"kind", c->kind},
                                    {"description", c->description},
                                    {"created_at", handler::time_or_null(c->created_ms)}});
  }
  return json_ok(200, json::object{{"enabled", box_ != nullptr},
                                   {"reason", box_ != nullptr ? std::string() : why_disabled_},
                                   {"channels", std::move(channels)},
                                   {"max_channels", options_.max_channels_per_user}});
}

Response AlertsService::create_channel(const Request& req) const {
  AccountsService::Authed a;
  if (auto r = accounts_.require(req, true, false, a)) return std::move(*r);
  if (box_ == nullptr) return err(503, "unavailable", why_disabled_);
  auto body = handler::parse_object(req.body);
  if (!body) return err(400, "invalid", "body must be a JSON object {\"name\",\"url\",\"secret\"}");
  auto url = handler::string_member(*body, "url");
  if (!url) return err(400, "invalid", "url must be a string");
  std::string name = handler::string_member(*body, "name").value_or("");
  std::string secret = handler::string_member(*body, "secret").value_or("");
  if (name.size() > kMaxChannelName) return err(400, "invalid", "name: at most 100 bytes");
  for (char c : name) {
    if (static_cast<unsigned char>(c) < 0x20) return err(400, "invalid", "name: control character");
  }
  if (secret.size() > 512) return err(400, "invalid", "secret: at most 512 bytes");
  const std::string id = "c_" + random_token(9);
  auto doc = channel_document(*box_, id, a.user.id, name, *url, secret, clock_.now_ms(),
                              options_.telegram_api);
  if (!doc.ok()) return err(400, "invalid", doc.status().message());
  Status s = store_.put_document(*doc, options_.max_channels_per_user);
  if (s.code() == ErrorCode::kConflict) {
    return err(409, "quota-exceeded",
               "at most " + std::to_string(options_.max_channels_per_user) + " channels per user");
  }
  if (!s.ok()) return handler::internal("alerts", "put channel", s);
  auto stored = parse_channel_document(*doc);
  spdlog::info("alerts: {} added channel {} ({})", a.user.login, id, stored->description);
  return json_ok(201, json::object{{"id", id},
                                   {"name", name},
                                   {"kind", stored->kind},
                                   {"description", stored->description},
                                   {"created_at", handler::time_or_null(doc->updated_ms)}});
}

Response AlertsService::delete_channel(const Request& req) const {
  AccountsService::Authed a;
  if (auto r = accounts_.require(req, true, false, a)) return std::move(*r);
  const std::string id(req.param("id"));
  auto gone = store_.delete_document(kChannelDocument, id, a.user.id);
  if (!gone.ok()) return handler::internal("alerts", "delete channel", gone.status());
  if (!*gone) return err(404, "not-found", "no channel " + id);
  return handler::empty(204);
}

Response AlertsService::test_channel(const Request& req) const {
  AccountsService::Authed a;
  if (auto r = accounts_.require(req, true, false, a)) return std::move(*r);
  if (box_ == nullptr) return err(503, "unavailable", why_disabled_);
  const std::string id(req.param("id"));
  auto doc = store_.document(kChannelDocument, id);
  if (!doc.ok()) return handler::internal("alerts", "channel", doc.status());
  if (!*doc || (*doc)->user_id != a.user.id) return err(404, "not-found", "no channel " + id);
  auto stored = parse_channel_document(**doc);
  if (!stored.ok()) return handler::internal("alerts", "channel", stored.status());
  auto spec = open_channel(*box_, *stored, options_.telegram_api);
  if (!spec.ok()) return err(500, "internal", "the channel cannot be opened");
  if (!tester_) return err(503, "unavailable", "this instance cannot send messages");
  const Status sent = tester_(*spec);
  if (!sent.ok()) {
    return json_ok(502, json::object{{"ok", false},
                                     {"error", std::string(error_code_name(sent.code()))},
                                     {"message", sent.message()},
                                     {"retryable", is_retryable(sent)}});
  }
  return json_ok(200, json::object{{"ok", true}, {"description", stored->description}});
}

Response AlertsService::deliveries(const Request& req, bool admin) const {
  AccountsService::Authed a;
  if (auto r = accounts_.require(req, false, admin, a)) return std::move(*r);
  DeliveryQuery q;
  q.user_id = admin ? 0 : a.user.id;
  q.rule_id = std::string(req.query("rule").value_or(""));
  if (auto state = req.query("state"); state && !state->empty()) {
    q.state = parse_delivery_state(*state);
    if (!q.state) return err(400, "invalid", "state is pending, sent or dead");
  } else if (admin) {
    q.state = DeliveryState::kDead;
  }
  if (auto limit = req.query("limit")) {
    auto n = handler::parse_int(*limit, 1, 200);
    if (!n) return err(400, "invalid", "limit is 1…200");
    q.limit = static_cast<int>(*n);
  }
  if (auto before = req.query("before")) {
    auto n = handler::parse_int(*before, 1, INT64_MAX);
    if (!n) return err(400, "invalid", "before is a delivery id");
    q.before_id = *n;
  }
  auto list = store_.deliveries(q);
  if (!list.ok()) return handler::internal("alerts", "deliveries", list.status());
  json::array out;
  for (const DeliveryRecord& d : *list) {
    json::value v = delivery_json(d);
    if (admin) v.as_object()["user_id"] = d.match.user_id;
    out.push_back(std::move(v));
  }
  return json_ok(200, json::object{{"deliveries", std::move(out)}});
}

Response AlertsService::retry(const Request& req) const {
  AccountsService::Authed a;
  if (auto r = accounts_.require(req, true, true, a)) return std::move(*r);
  auto id = handler::parse_int(req.param("id"), 1, INT64_MAX);
  if (!id) return err(404, "not-found", "no such delivery");
  Status s = store_.update_delivery(
      {*id, DeliveryState::kPending, 0, clock_.now_ms(), 0, "retried by " + a.user.login});
  if (s.code() == ErrorCode::kNotFound) return err(404, "not-found", "no such delivery");
  if (!s.ok()) return handler::internal("alerts", "retry", s);
  handler::audit(audit_, clock_.now_ms(), a.user.login, "alert.retry", std::to_string(*id));
  return handler::empty(204);
}

Response AlertsService::unsubscribe(const Request& req, bool confirm) const {
  const std::string rule_id(req.query("rule").value_or(""));
  const std::string token(req.query("t").value_or(""));
  if (box_ == nullptr || rule_id.empty() ||
      !constant_time_equals(token, box_->mac(unsubscribe_data(rule_id)))) {
    return html_page(404, "Mu", "<p>This unsubscribe link is not valid. 退订链接无效。</p>");
  }
  auto doc = store_.document(kRuleDocument, rule_id);
  if (!doc.ok()) return handler::internal("alerts", "unsubscribe", doc.status());
  if (!*doc) return html_page(200, "Mu", "<p>This alert no longer exists. 此提醒已不存在。</p>");
  auto rule = parse_rule((*doc)->body);
  if (!rule.ok()) return handler::internal("alerts", "unsubscribe", rule.status());
  const std::string name = html_escape(rule->name.empty() ? rule_id : rule->name);
  if (!confirm) {
    return html_page(200, "Mu · unsubscribe",
                     "<h1>Mu</h1><p>Stop the alert “" + name +
                         "”? 停止此提醒？</p>"
                         "<form method=\"post\"><button type=\"submit\">Unsubscribe · 退订"
                         "</button></form>");
  }
  if (rule->enabled) {
    rule->enabled = false;
    Status s = store_.put_document({std::string(kRuleDocument), rule_id, (*doc)->user_id,
                                    rule_to_json(*rule), clock_.now_ms()},
                                   0);
    if (!s.ok()) return handler::internal("alerts", "unsubscribe", s);
    spdlog::info("alerts: rule {} disabled from its unsubscribe link", rule_id);
  }
  return html_page(200, "Mu · unsubscribed",
                   "<h1>Mu</h1><p>The alert “" + name +
                       "” is off. 已退订。 Turn it on again on the alerts page.</p>");
}

Response AlertsService::feed_token(const Request& req) const {
  AccountsService::Authed a;
  if (auto r = accounts_.require(req, false, false, a)) return std::move(*r);
  auto docs = store_.documents(kFeedTokenDocument, a.user.id);
  if (!docs.ok()) return handler::internal("alerts", "feed token", docs.status());
  const bool active = !docs->empty();
  return json_ok(
      200, json::object{{"active", active},
                        {"created_at", active ? handler::time_or_null(docs->front().updated_ms)
                                              : json::value(nullptr)}});
}

Response AlertsService::new_feed_token(const Request& req) const {
  AccountsService::Authed a;
  if (auto r = accounts_.require(req, true, false, a)) return std::move(*r);
  if (Status s = revoke_feed_tokens(store_, a.user.id); !s.ok()) {
    return handler::internal("alerts", "feed token", s);
  }
  const std::string token = random_token(24);
  Status s = store_.put_document(
      {std::string(kFeedTokenDocument), sha256_hex(token), a.user.id, "{}", clock_.now_ms()}, 0);
  if (!s.ok()) return handler::internal("alerts", "feed token", s);
  const std::string base = options_.public_url + "/feeds/u/" + token;
  return json_ok(201, json::object{{"token", token},
                                   {"favorites", base + "/favorites.rss"},
                                   {"alerts", base + "/alerts/"}});
}

Response AlertsService::revoke_feed_token(const Request& req) const {
  AccountsService::Authed a;
  if (auto r = accounts_.require(req, true, false, a)) return std::move(*r);
  if (Status s = revoke_feed_tokens(store_, a.user.id); !s.ok()) {
    return handler::internal("alerts", "feed token", s);
  }
  return handler::empty(204);
}

Response AlertsService::private_feed(const Request& req, bool alerts) const {
  const std::string token(req.param("token"));
  const std::string file(req.param("file"));
  const auto dot = file.rfind('.');
  auto format = dot == std::string::npos ? std::nullopt : parse_feed_format(file.substr(dot + 1));
  const std::string name = dot == std::string::npos ? file : file.substr(0, dot);
  if (!format || (!alerts && name != "favorites") || token.size() > 64) {
    return err(404, "not-found", "no such feed");
  }
  auto owner = store_.document(kFeedTokenDocument, sha256_hex(token));
  if (!owner.ok()) return handler::internal("alerts", "feed", owner.status());
  if (!*owner) return err(404, "not-found", "no such feed (the token was revoked or never made)");
  const int64_t user = (*owner)->user_id;
  FeedChannel channel;
  channel.self_url = options_.public_url + "/feeds/u/" + token + (alerts ? "/alerts/" : "/") + file;
  channel.home_url = options_.public_url + (alerts ? "/alerts" : "/favorites");
  channel.language = "zh-CN";
  channel.updated_ms = clock_.now_ms();
  std::vector<FeedEntry> entries;
  if (alerts) {
    auto rule_doc = store_.document(kRuleDocument, name);
    if (!rule_doc.ok()) return handler::internal("alerts", "feed", rule_doc.status());
    if (!*rule_doc || (*rule_doc)->user_id != user) return err(404, "not-found", "no such feed");
    auto rule = parse_rule((*rule_doc)->body);
    const std::string rule_name = rule.ok() && !rule->name.empty() ? rule->name : name;
    channel.id = "tag:mu,2026:alerts/" + name;
    channel.title = "Mu · " + rule_name;
    channel.description = "Items the alert \"" + rule_name + "\" matched";
    auto matches = store_.alert_matches(name, 100);
    if (!matches.ok()) return handler::internal("alerts", "feed", matches.status());
    for (const AlertMatch& m : *matches) {
      auto board_name = board_names_.find(m.board);
      entries.push_back(
          FeedEntry{feed_entry_id("board/" + m.board, m.item_key), m.title, m.url, m.hot_text, "",
                    board_name == board_names_.end() ? m.board : board_name->second, m.matched_ms});
    }
  } else {
    channel.id = "tag:mu,2026:favorites/" + std::to_string(user);
    channel.title = "Mu · favorites";
    channel.description = "Items saved on Mu";
    FavoriteQuery q;
    q.limit = 100;
    auto favorites = audit_.favorites(user, q);
    if (!favorites.ok()) return handler::internal("alerts", "feed", favorites.status());
    for (const Favorite& f : *favorites) {
      auto board_name = board_names_.find(f.board);
      entries.push_back(
          FeedEntry{feed_entry_id("board/" + f.board, f.item_key), f.title, f.url, "", "",
                    board_name == board_names_.end() ? f.board : board_name->second, f.added_ms});
    }
  }
  auto body = render_feed(*format, channel, entries);
  if (!body.ok()) return handler::internal("alerts", "feed", body.status());
  Response r = text_response(200, std::move(*body), feed_content_type(*format));
  r.set_header("Cache-Control", "private, max-age=60");
  r.set_header("Referrer-Policy", "no-referrer");
  r.set_header("X-Robots-Tag", "noindex");
  return r;
}

}  // namespace mu
