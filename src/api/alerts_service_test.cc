// The alerts routes on a SQLite store with sessions made in it (accounts_testing.h): rules
// and channels owned and capped per user, secrets never answered, the preview over the
// current boards, the delivery log, the admin's dead letters, the signed unsubscribe link.
#include "api/alerts_service.h"

#include <gtest/gtest.h>

#include "api/accounts_testing.h"

namespace mu {
namespace {

using accounts_testing::AccountsFixture;
using accounts_testing::body_json;
using accounts_testing::SignedIn;

Site site(const std::string& id, const std::string& zh) {
  Site s;
  s.id = id;
  s.name_zh = zh;
  s.name_en = id;
  s.home = "https://" + id + ".example";
  s.region = "cn";
  return s;
}

BoardMeta board(const std::string& site_id, const std::string& name, const std::string& zh) {
  BoardMeta b;
  b.id = site_id + "." + name;
  b.site = site_id;
  b.name_zh = zh;
  b.name_en = name;
  b.schedule.every = std::chrono::minutes(5);
  return b;
}

class AlertsServiceTest : public AccountsFixture {
 protected:
  void SetUp() override {
    AccountsFixture::SetUp();
    sites_ = {site("weibo", "微博")};
    boards_ = {board("weibo", "hot-search", "热搜")};
    ASSERT_TRUE(store_->sync_catalogue(sites_, boards_).ok());
    commit(100, {{"a", "仓库火灾已扑灭"}, {"b", "天气转晴"}}, clock_.now_ms() - 60'000);
    cache_ = std::make_unique<BoardCache>(sites_, boards_, *store_, clock_);
    ASSERT_TRUE(cache_->refresh_all().ok());
    auto box = SecretBox::from_text(SecretBox::generate_key_text());
    ASSERT_TRUE(box.ok());
    box_ = std::make_unique<SecretBox>(*box);
    AlertsOptions options;
    options.max_rules_per_user = 3;
    options.max_channels_per_user = 2;
    options.public_url = "http://mu.test";
    service_ = std::make_unique<AlertsService>(
        sites_, boards_, *store_, *store_, *accounts_, *cache_, store_.get(), box_.get(), "",
        clock_,
        [this](const ChannelSpec& spec) {
          tested_.push_back(spec);
          return spec.kind == ChannelKind::kTelegram
                     ? error(ErrorCode::kHttp, "telegram answered HTTP 401").with_http(401)
                     : ok_status();
        },
        options);
    service_->register_routes(router_);
  }

  // A snapshot of weibo.hot-search with these (key, title) items, committed at finished_ms
  // (their item URLs are data, never fetched).
  void commit(int64_t slot, const std::vector<std::pair<std::string, std::string>>& items,
              int64_t finished_ms) {
    CommitRequest c;
    c.board = "weibo.hot-search";
    c.epoch = 1;
    c.slot = slot;
    c.dispatch_id = "weibo.hot-search@" + std::to_string(slot);
    c.stats.started_ms = c.stats.finished_ms = finished_ms;
    for (const auto& [key, title] : items) {
      Item item;
      item.key = key;
      item.title = title;
      item.url = "https://s.weibo.com/weibo?q=" + key;
      c.items.push_back(std::move(item));
    }
    ASSERT_TRUE(store_->commit_snapshot(c).ok());
  }

  Response call(HttpMethod m, const std::string& target, const SignedIn* who,
                std::string body = "") {
    Request req = request(m, target, who, std::move(body));
    Response r = router_.handle(req);
    if (r.deferred) r = r.deferred();
    return r;
  }

  std::vector<Site> sites_;
  std::vector<BoardMeta> boards_;
  std::unique_ptr<BoardCache> cache_;
  std::unique_ptr<SecretBox> box_;
  std::unique_ptr<AlertsService> service_;
  std::vector<ChannelSpec> tested_;
  Router router_;
};

TEST_F(AlertsServiceTest, RulesAreOwnedValidatedAndCapped) {
  SignedIn alice = sign_in("alice");
  SignedIn bob = sign_in("bob");
  EXPECT_EQ(call(HttpMethod::kGet, "/api/v1/me/alerts/rules", nullptr).status, 401);
  Response made = call(HttpMethod::kPost, "/api/v1/me/alerts/rules", &alice,
                       R"({"name":"火灾","keywords":["火灾"],"boards":["weibo.hot-search"]})");
  ASSERT_EQ(made.status, 201) << made.body_view();
  const std::string id(body_json(made).at("id").as_string());
  EXPECT_EQ(id.rfind("r_", 0), 0u);
  auto list = body_json(call(HttpMethod::kGet, "/api/v1/me/alerts/rules", &alice));
  ASSERT_EQ(list.at("rules").as_array().size(), 1u);
  EXPECT_EQ(list.at("rules").at(0).at("keywords").at(0), "火灾");
  EXPECT_EQ(body_json(call(HttpMethod::kGet, "/api/v1/me/alerts/rules", &bob))
                .at("rules")
                .as_array()
                .size(),
            0u);
  // bob cannot change or delete alice's rule.
  EXPECT_EQ(call(HttpMethod::kPut, "/api/v1/me/alerts/rules/" + id, &bob, "{}").status, 404);
  EXPECT_EQ(call(HttpMethod::kDelete, "/api/v1/me/alerts/rules/" + id, &bob).status, 404);
  // Bad rules say what is wrong.
  Response bad =
      call(HttpMethod::kPost, "/api/v1/me/alerts/rules", &alice, R"({"boards":["nope.board"]})");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(std::string(bad.body_view()).find("no board nope.board"), std::string::npos);
  EXPECT_EQ(
      call(HttpMethod::kPost, "/api/v1/me/alerts/rules", &alice, R"({"channels":["c_x"]})").status,
      400);
  EXPECT_EQ(call(HttpMethod::kPost, "/api/v1/me/alerts/rules", &alice, R"({"pattern":"("})").status,
            400);
  // The cap (3 in this test).
  EXPECT_EQ(call(HttpMethod::kPost, "/api/v1/me/alerts/rules", &alice, "{}").status, 201);
  EXPECT_EQ(call(HttpMethod::kPost, "/api/v1/me/alerts/rules", &alice, "{}").status, 201);
  EXPECT_EQ(call(HttpMethod::kPost, "/api/v1/me/alerts/rules", &alice, "{}").status, 409);
  // A write without the CSRF token is refused.
  Request no_csrf = request(HttpMethod::kDelete, "/api/v1/me/alerts/rules/" + id, &alice);
  no_csrf.headers.remove("X-CSRF-Token");
  EXPECT_EQ(router_.handle(no_csrf).status, 403);
  EXPECT_EQ(call(HttpMethod::kDelete, "/api/v1/me/alerts/rules/" + id, &alice).status, 204);
}

TEST_F(AlertsServiceTest, ChannelsNeverShowTheirUrlOrSecretAndCanBeTested) {
  SignedIn alice = sign_in("alice");
  Response made = call(
      HttpMethod::kPost, "/api/v1/me/alerts/channels", &alice,
      R"({"name":"群","url":"https://hooks.slack.com/services/T/B/SECRETPATH","secret":"HMACKEY"})");
  ASSERT_EQ(made.status, 201) << made.body_view();
  const std::string id(body_json(made).at("id").as_string());
  Response list = call(HttpMethod::kGet, "/api/v1/me/alerts/channels", &alice);
  const std::string text(list.body_view());
  EXPECT_EQ(text.find("SECRETPATH"), std::string::npos) << text;
  EXPECT_EQ(text.find("HMACKEY"), std::string::npos);
  EXPECT_NE(text.find("slack · hooks.slack.com"), std::string::npos);
  // Nor the store: the URL is sealed.
  auto doc = store_->document(kChannelDocument, id);
  ASSERT_TRUE(doc.ok() && doc->has_value());
  EXPECT_EQ((*doc)->body.find("SECRETPATH"), std::string::npos);

  Response tested = call(HttpMethod::kPost, "/api/v1/me/alerts/channels/" + id + "/test", &alice);
  EXPECT_EQ(tested.status, 200) << tested.body_view();
  ASSERT_EQ(tested_.size(), 1u);
  EXPECT_EQ(tested_[0].endpoint, "https://hooks.slack.com/services/T/B/SECRETPATH");
  EXPECT_EQ(tested_[0].secret, "HMACKEY");
  Response tg = call(HttpMethod::kPost, "/api/v1/me/alerts/channels", &alice,
                     R"({"url":"telegram://1:AA/42"})");
  ASSERT_EQ(tg.status, 201);
  Response failed = call(
      HttpMethod::kPost,
      "/api/v1/me/alerts/channels/" + std::string(body_json(tg).at("id").as_string()) + "/test",
      &alice);
  EXPECT_EQ(failed.status, 502);
  EXPECT_EQ(body_json(failed).at("retryable"), false);
  // Invalid URLs, the cap (2 here), another user's channel.
  Response ftp =
      call(HttpMethod::kPost, "/api/v1/me/alerts/channels", &alice, R"({"url":"ftp://x"})");
  EXPECT_EQ(ftp.status, 400);
  EXPECT_NE(std::string(ftp.body_view()).find("channel URL"), std::string::npos);
  EXPECT_EQ(call(HttpMethod::kPost, "/api/v1/me/alerts/channels", &alice,
                 R"({"url":"ntfy://ntfy.sh/mu"})")
                .status,
            409);
  SignedIn bob = sign_in("bob");
  EXPECT_EQ(call(HttpMethod::kPost, "/api/v1/me/alerts/channels/" + id + "/test", &bob).status,
            404);
  EXPECT_EQ(call(HttpMethod::kDelete, "/api/v1/me/alerts/channels/" + id, &bob).status, 404);
  EXPECT_EQ(call(HttpMethod::kDelete, "/api/v1/me/alerts/channels/" + id, &alice).status, 204);
}

TEST_F(AlertsServiceTest, PreviewShowsTheCurrentItemsARuleMatches) {
  SignedIn alice = sign_in("alice");
  auto hits = body_json(
      call(HttpMethod::kPost, "/api/v1/me/alerts/preview", &alice, R"({"keywords":["火灾"]})"));
  ASSERT_EQ(hits.at("items").as_array().size(), 1u);
  EXPECT_EQ(hits.at("items").at(0).at("title"), "仓库火灾已扑灭");
  EXPECT_EQ(hits.at("items").at(0).at("board_name"), "微博 · 热搜");
  EXPECT_EQ(hits.at("items").at(0).at("rank"), 1);
  auto none = body_json(call(HttpMethod::kPost, "/api/v1/me/alerts/preview", &alice,
                             R"({"keywords":["火灾"],"exclude":["扑灭"]})"));
  EXPECT_EQ(none.at("items").as_array().size(), 0u);
  EXPECT_EQ(call(HttpMethod::kPost, "/api/v1/me/alerts/preview", &alice, "[").status, 400);
  // Once the item has left the board it is a recent match, from the history.
  commit(200, {{"b", "天气转晴"}}, clock_.now_ms() - 1'000);
  ASSERT_TRUE(cache_->refresh_all().ok());
  auto later = body_json(
      call(HttpMethod::kPost, "/api/v1/me/alerts/preview", &alice, R"({"keywords":["火灾"]})"));
  EXPECT_EQ(later.at("items").as_array().size(), 0u);
  ASSERT_EQ(later.at("recent").as_array().size(), 1u);
  EXPECT_EQ(later.at("recent").at(0).at("title"), "仓库火灾已扑灭");
  EXPECT_EQ(later.at("recent").at(0).at("best_rank"), 1);
}

TEST_F(AlertsServiceTest, DeliveryLogDeadLettersAndRetry) {
  SignedIn alice = sign_in("alice");
  SignedIn root = sign_in("root", true);
  auto user = store_->user_by_login("alice");
  ASSERT_TRUE(user.ok() && user->has_value());
  NewMatch n;
  n.match = AlertMatch{0,
                       "r1",
                       (*user)->id,
                       "weibo.hot-search",
                       "a",
                       "仓库火灾已扑灭",
                       "https://s.weibo.com/weibo?q=a",
                       1,
                       "",
                       clock_.now_ms()};
  n.channel_ids = {"c1"};
  n.deliver_at_ms = clock_.now_ms();
  ASSERT_TRUE(store_->record_matches({n}, std::nullopt).ok());
  auto claimed = store_->claim_deliveries(clock_.now_ms(), clock_.now_ms() + 1000, 10);
  ASSERT_TRUE(claimed.ok() && claimed->size() == 1u);
  const int64_t id = (*claimed)[0].id;
  ASSERT_TRUE(store_->update_delivery({id, DeliveryState::kDead, 8, 0, 0, "http: 500"}).ok());

  auto mine = body_json(call(HttpMethod::kGet, "/api/v1/me/alerts/deliveries", &alice));
  ASSERT_EQ(mine.at("deliveries").as_array().size(), 1u);
  EXPECT_EQ(mine.at("deliveries").at(0).at("state"), "dead");
  EXPECT_EQ(mine.at("deliveries").at(0).at("item").at("title"), "仓库火灾已扑灭");
  EXPECT_EQ(call(HttpMethod::kGet, "/api/v1/me/alerts/deliveries?state=bogus", &alice).status, 400);
  // The console: admins only.
  EXPECT_EQ(call(HttpMethod::kGet, "/api/v1/admin/alerts/deliveries", &alice).status, 403);
  auto dead = body_json(call(HttpMethod::kGet, "/api/v1/admin/alerts/deliveries", &root));
  ASSERT_EQ(dead.at("deliveries").as_array().size(), 1u);
  EXPECT_EQ(call(HttpMethod::kPost,
                 "/api/v1/admin/alerts/deliveries/" + std::to_string(id) + "/retry", &alice)
                .status,
            403);
  EXPECT_EQ(call(HttpMethod::kPost,
                 "/api/v1/admin/alerts/deliveries/" + std::to_string(id) + "/retry", &root)
                .status,
            204);
  auto due = store_->claim_deliveries(clock_.now_ms(), clock_.now_ms() + 1000, 10);
  ASSERT_TRUE(due.ok());
  EXPECT_EQ(due->size(), 1u);  // pending again, due now
}

TEST_F(AlertsServiceTest, TheSignedLinkUnsubscribesWithoutASession) {
  SignedIn alice = sign_in("alice");
  Response made = call(HttpMethod::kPost, "/api/v1/me/alerts/rules", &alice,
                       R"({"name":"<b>火灾</b>","keywords":["火灾"]})");
  ASSERT_EQ(made.status, 201);
  const std::string id(body_json(made).at("id").as_string());
  const std::string link = unsubscribe_url(*box_, "http://mu.test", id);
  const std::string target = link.substr(std::string("http://mu.test").size());
  Response page = call(HttpMethod::kGet, target, nullptr);
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(std::string(page.body_view()).find("&lt;b&gt;火灾&lt;/b&gt;"), std::string::npos);
  EXPECT_EQ(std::string(page.body_view()).find("<b>火灾"), std::string::npos);
  // A forged or other rule's token does nothing.
  EXPECT_EQ(call(HttpMethod::kPost, "/alerts/unsubscribe?rule=" + id + "&t=forged", nullptr).status,
            404);
  EXPECT_EQ(call(HttpMethod::kPost, target, nullptr, "List-Unsubscribe=One-Click").status, 200);
  auto rules = body_json(call(HttpMethod::kGet, "/api/v1/me/alerts/rules", &alice));
  EXPECT_EQ(rules.at("rules").at(0).at("enabled"), false);
}

TEST_F(AlertsServiceTest, PrivateFeedsFollowARevocableToken) {
  SignedIn alice = sign_in("alice");
  auto user = store_->user_by_login("alice");
  ASSERT_TRUE(user.ok() && user->has_value());
  const int64_t uid = (*user)->id;
  EXPECT_EQ(body_json(call(HttpMethod::kGet, "/api/v1/me/feed-token", &alice)).at("active"), false);
  Response made = call(HttpMethod::kPost, "/api/v1/me/feed-token", &alice);
  ASSERT_EQ(made.status, 201);
  const std::string token(body_json(made).at("token").as_string());
  EXPECT_EQ(std::string(body_json(made).at("favorites").as_string()),
            "http://mu.test/feeds/u/" + token + "/favorites.rss");
  ASSERT_TRUE(store_
                  ->add_favorite({uid, "weibo.hot-search", "a", "仓库火灾 <已扑灭> & more",
                                  "https://s.weibo.com/weibo?q=a", clock_.now_ms()},
                                 0)
                  .ok());
  Response rss = call(HttpMethod::kGet, "/feeds/u/" + token + "/favorites.rss", nullptr);
  ASSERT_EQ(rss.status, 200) << rss.body_view();
  EXPECT_EQ(rss.header("Content-Type"), "application/rss+xml; charset=utf-8");
  EXPECT_NE(std::string(rss.body_view()).find("仓库火灾 &lt;已扑灭&gt; &amp; more"),
            std::string::npos)
      << rss.body_view();
  // A rule's feed: what it matched; another user's rule is not reachable with this token.
  Response rule = call(HttpMethod::kPost, "/api/v1/me/alerts/rules", &alice,
                       R"({"name":"火灾","keywords":["火灾"]})");
  const std::string rule_id(body_json(rule).at("id").as_string());
  NewMatch n;
  n.match = AlertMatch{0,
                       rule_id,
                       uid,
                       "weibo.hot-search",
                       "a",
                       "仓库火灾已扑灭",
                       "https://s.weibo.com/weibo?q=a",
                       1,
                       "",
                       clock_.now_ms()};
  ASSERT_TRUE(store_->record_matches({n}, std::nullopt).ok());
  Response json_feed =
      call(HttpMethod::kGet, "/feeds/u/" + token + "/alerts/" + rule_id + ".json", nullptr);
  ASSERT_EQ(json_feed.status, 200);
  auto feed = body_json(json_feed);
  EXPECT_EQ(feed.at("title"), "Mu · 火灾");
  ASSERT_EQ(feed.at("items").as_array().size(), 1u);
  EXPECT_EQ(feed.at("items").at(0).at("title"), "仓库火灾已扑灭");
  SignedIn bob = sign_in("bob");
  Response bobs = call(HttpMethod::kPost, "/api/v1/me/feed-token", &bob);
  const std::string bob_token(body_json(bobs).at("token").as_string());
  EXPECT_EQ(call(HttpMethod::kGet, "/feeds/u/" + bob_token + "/alerts/" + rule_id + ".rss", nullptr)
                .status,
            404);
  // Rotating or revoking ends the old URL at once.
  Response rotated = call(HttpMethod::kPost, "/api/v1/me/feed-token", &alice);
  ASSERT_EQ(rotated.status, 201);
  EXPECT_EQ(call(HttpMethod::kGet, "/feeds/u/" + token + "/favorites.rss", nullptr).status, 404);
  const std::string fresh(body_json(rotated).at("token").as_string());
  EXPECT_EQ(call(HttpMethod::kGet, "/feeds/u/" + fresh + "/favorites.atom", nullptr).status, 200);
  EXPECT_EQ(call(HttpMethod::kDelete, "/api/v1/me/feed-token", &alice).status, 204);
  EXPECT_EQ(call(HttpMethod::kGet, "/feeds/u/" + fresh + "/favorites.atom", nullptr).status, 404);
  EXPECT_EQ(call(HttpMethod::kGet, "/feeds/u/" + fresh + "/other.rss", nullptr).status, 404);
}

}  // namespace
}  // namespace mu
