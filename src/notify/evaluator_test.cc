// Rules run on committed updates of a real (in-memory SQLite) store: once per rule and item,
// channels' deliveries due now, after quiet hours or at the digest.
#include "notify/evaluator.h"

#include <gtest/gtest.h>

#include <future>

#include "store/sqlite/sqlite_store.h"
#include "store/store_conformance_test.h"

namespace mu {
namespace {

using store_test::make_commit;
using store_test::make_item;

constexpr int64_t kHour = 3'600'000;

int64_t at_utc(int hour, int minute) {  // 2026-01-01 hh:mm UTC, in ms
  return int64_t{1'767'225'600'000} + hour * kHour + minute * 60'000;
}

AlertRule rule_with(const std::string& body) {
  auto r = parse_rule(body);
  EXPECT_TRUE(r.ok()) << body;
  return r.ok() ? *r : AlertRule{};
}

TEST(DeliveryTimeTest, ImmediateDigestsAndQuietHoursInTheRulesZone) {
  const int64_t now = at_utc(10, 17);  // 18:17 in Shanghai
  EXPECT_EQ(delivery_time(rule_with("{}"), now), now);
  EXPECT_EQ(delivery_time(rule_with(R"({"digest":"hourly"})"), now), at_utc(11, 0));
  // Daily at 09:00 Shanghai = 01:00 UTC the next day.
  EXPECT_EQ(
      delivery_time(rule_with(R"({"digest":"daily","digest_hour":9,"tz":"Asia/Shanghai"})"), now),
      at_utc(25, 0));
  // Quiet 18:00–08:30 in Shanghai: wait until 08:30 local (00:30 UTC the next day).
  EXPECT_EQ(delivery_time(
                rule_with(R"({"quiet":{"from":"18:00","to":"08:30"},"tz":"Asia/Shanghai"})"), now),
            at_utc(24, 30));
  // Outside the quiet hours: now.
  EXPECT_EQ(delivery_time(
                rule_with(R"({"quiet":{"from":"23:00","to":"07:00"},"tz":"Asia/Shanghai"})"), now),
            now);
}

class EvaluatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = open_sqlite_store(":memory:");
    ASSERT_TRUE(s.ok());
    store_ = std::move(*s);
    ASSERT_TRUE(store_->migrate().ok());
    ASSERT_TRUE(
        store_->sync_catalogue(store_test::catalogue_sites(), store_test::catalogue_boards()).ok());
    auto u = store_->upsert_user("github", "1", "alice", "", "", 0);
    ASSERT_TRUE(u.ok());
    user_ = u->id;
  }

  void put_rule(const std::string& id, const std::string& body) {
    ASSERT_TRUE(store_->put_document({"rule", id, user_, body, 0}, 0).ok());
  }

  void commit(int64_t slot, std::vector<std::pair<std::string, std::string>> items) {
    std::vector<Item> list;
    for (auto& [key, title] : items) {
      Item i = make_item(key);
      i.title = title;
      list.push_back(std::move(i));
    }
    ASSERT_TRUE(
        store_->commit_snapshot(make_commit("weibo.hot-search", slot, std::move(list))).ok());
  }

  AlertEvaluator evaluator() {
    return AlertEvaluator(
        *store_, *store_, [](const std::string&) { return std::string("weibo"); }, clock_,
        [this] { ++woken_; });
  }

  FakeClock clock_;
  std::unique_ptr<Store> store_;
  int64_t user_ = 0;
  int woken_ = 0;
};

TEST_F(EvaluatorTest, NewItemsMatchOnceAndDeliveriesAreDue) {
  put_rule("fire", R"({"keywords":["火灾"],"channels":["c1","c2"]})");
  put_rule("quiet", R"({"keywords":["火灾"],"channels":["c1"],"digest":"hourly"})");
  auto e = evaluator();
  commit(100, {{"a", "北京火灾"}, {"b", "天气"}});
  EXPECT_EQ(*e.evaluate_board("weibo.hot-search"), 0);  // the first snapshot: a baseline
  commit(200, {{"c", "上海仓库火灾"}, {"a", "北京火灾"}, {"b", "天气"}});
  EXPECT_EQ(*e.evaluate_board("weibo.hot-search"), 2);  // c for both rules; a is not new
  EXPECT_EQ(woken_, 1);
  // A second evaluation of the same update (a new leader catching up) adds nothing.
  EXPECT_EQ(*e.evaluate_board("weibo.hot-search"), 0);
  EXPECT_EQ(woken_, 1);

  DeliveryQuery of_fire;
  of_fire.rule_id = "fire";
  auto fire = *store_->deliveries(of_fire);
  ASSERT_EQ(fire.size(), 2u);
  EXPECT_EQ(fire[0].match.item_key, "c");
  EXPECT_EQ(fire[0].match.title, "上海仓库火灾");
  EXPECT_EQ(fire[0].match.rank, 1);
  EXPECT_EQ(fire[0].next_ms, clock_.now_ms());
  DeliveryQuery of_quiet;
  of_quiet.rule_id = "quiet";
  auto digest = *store_->deliveries(of_quiet);
  ASSERT_EQ(digest.size(), 1u);
  EXPECT_EQ(digest[0].next_ms, delivery_time(rule_with(R"({"digest":"hourly"})"), clock_.now_ms()));
  EXPECT_GT(digest[0].next_ms, clock_.now_ms());
}

TEST_F(EvaluatorTest, RuleChangesAreSeenAndBrokenRulesSkipped) {
  auto e = evaluator();
  commit(100, {{"a", "旧闻"}});
  commit(200, {{"b", "Rust 发布"}, {"a", "旧闻"}});
  EXPECT_EQ(*e.evaluate_board("weibo.hot-search"), 0);  // no rules yet: b is seen all the same
  put_rule("broken", "{not json");
  put_rule("rust", R"({"keywords":["rust"]})");
  EXPECT_EQ(*e.evaluate_board("weibo.hot-search"), 0);  // b was seen before the rule existed
  commit(300, {{"c", "Rust 2"}, {"b", "Rust 发布"}, {"a", "旧闻"}});
  EXPECT_EQ(*e.evaluate_board("weibo.hot-search"), 1);  // the revision moved: reloaded
  EXPECT_EQ(store_->alert_matches("rust", 10)->size(), 1u);
  ASSERT_TRUE(
      store_
          ->put_document({"rule", "rust", user_, R"({"keywords":["rust"],"enabled":false})", 1}, 0)
          .ok());
  commit(400, {{"d", "Rust 3"}, {"c", "Rust 2"}});
  EXPECT_EQ(*e.evaluate_board("weibo.hot-search"), 0);  // disabled now
}

TEST_F(EvaluatorTest, UpdatesMissedByADeadProcessAreCaughtUpOnce) {
  put_rule("fire", R"({"keywords":["火灾"]})");
  auto e = evaluator();
  commit(100, {{"a", "天气"}});
  EXPECT_EQ(*e.evaluate_board("weibo.hot-search"), 0);
  // Two commits nobody evaluated (the process died after each commit): x arrived in the
  // first and is no longer new against the snapshot before the newest.
  commit(200, {{"x", "仓库火灾"}, {"a", "天气"}});
  commit(300, {{"y", "工厂火灾"}, {"x", "仓库火灾"}, {"a", "天气"}});
  EXPECT_EQ(*e.evaluate_board("weibo.hot-search"), 2);  // x and y
  EXPECT_EQ(*e.evaluate_board("weibo.hot-search"), 0);
  EXPECT_EQ(store_->alert_matches("fire", 10)->size(), 2u);
}

TEST_F(EvaluatorTest, TheQueueEvaluatesInTheBackground) {
  put_rule("all", R"({})");
  std::promise<void> recorded;
  AlertEvaluator e(
      *store_, *store_, [](const std::string&) { return std::string("weibo"); }, clock_,
      [&] { recorded.set_value(); });
  commit(100, {{"a", "A"}});
  commit(200, {{"b", "B"}, {"a", "A"}});
  e.start();
  e.on_commit("weibo.hot-search");
  e.on_commit("weibo.hot-search");  // merged while queued, or evaluated again: no new match
  // Liveness gets a generous bound; the assertions are on what was recorded.
  ASSERT_EQ(recorded.get_future().wait_for(std::chrono::seconds(30)), std::future_status::ready);
  e.stop();
  EXPECT_EQ(store_->alert_matches("all", 10)->size(), 1u);
  EXPECT_EQ(e.counters().failures, 0);
}

}  // namespace
}  // namespace mu
