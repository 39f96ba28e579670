#include "notify/matcher.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace mu {
namespace {

Item item(const std::string& key, const std::string& title, std::optional<double> hot = {}) {
  Item i;
  i.key = key;
  i.title = title;
  i.url = "https://s.weibo.com/weibo?q=" + key;
  i.hot = hot;
  return i;
}

AlertRule rule(const std::string& id, std::vector<std::string> keywords) {
  AlertRule r;
  r.id = id;
  r.keywords = std::move(keywords);
  return r;
}

// previous: keys of the snapshot before, in rank order.
BoardUpdate update(std::vector<Item> items, const std::vector<std::string>& previous,
                   std::string board = "weibo.hot-search", std::string site = "weibo") {
  BoardUpdate u;
  u.board = std::move(board);
  u.site = std::move(site);
  u.items = std::move(items);
  u.has_previous = true;
  for (std::size_t i = 0; i < previous.size(); ++i) {
    u.previous_rank[previous[i]] = static_cast<int>(i) + 1;
  }
  return u;
}

// "rule:item-key" of every hit.
std::vector<std::string> fired(const RuleSet& set, const BoardUpdate& u) {
  std::vector<std::string> out;
  for (const RuleHit& h : set.evaluate(u))
    out.push_back(set.rule(h.rule).id + ":" + u.items[h.item].key);
  return out;
}

TEST(MatcherTest, NewItemsFireTheirKeywordsOnceAndOldOnesNever) {
  RuleSet set = RuleSet::build({rule("fire", {"火灾"}), rule("ai", {"OpenAI", "大模型"})});
  auto u = update({item("a", "北京某地发生火灾"), item("b", "openai 发布新模型"),
                   item("c", "国产大模型登顶"), item("d", "又一起火灾")},
                  {"d", "x"});
  // d was there before: not new, and it moved down (rank 1 → 4).
  EXPECT_EQ(fired(set, u), (std::vector<std::string>{"fire:a", "ai:b", "ai:c"}));
}

TEST(MatcherTest, TheFirstSnapshotOfABoardFiresNothing) {
  RuleSet set = RuleSet::build({rule("all", {})});
  auto u = update({item("a", "anything")}, {});
  u.has_previous = false;
  EXPECT_TRUE(set.evaluate(u).empty());
  u.has_previous = true;
  EXPECT_EQ(fired(set, u), (std::vector<std::string>{"all:a"}));  // no keywords: every item
}

TEST(MatcherTest, ExcludeScopeRankAndHeat) {
  AlertRule excl = rule("excl", {"火灾"});
  excl.exclude = {"演习", "DRILL"};
  AlertRule zhihu = rule("zhihu", {"火灾"});
  zhihu.sites = {"zhihu"};
  AlertRule board = rule("board", {"火灾"});
  board.boards = {"weibo.hot-search"};
  AlertRule top2 = rule("top2", {"火灾"});
  top2.max_rank = 2;
  AlertRule hot = rule("hot", {"火灾"});
  hot.min_hot = 100000;
  RuleSet set = RuleSet::build({excl, zhihu, board, top2, hot});
  auto u = update({item("a", "消防火灾演习", 500000), item("b", "仓库火灾 drill", 90000),
                   item("c", "工厂火灾", 200000)},
                  {"z"});
  EXPECT_EQ(fired(set, u), (std::vector<std::string>{"board:a", "top2:a", "hot:a", "board:b",
                                                     "top2:b", "excl:c", "board:c", "hot:c"}));
}

TEST(MatcherTest, EnteringTheTopNFiresWhenCrossingOnly) {
  AlertRule top3 = rule("top3", {});
  top3.trigger = RuleTrigger::kTop;
  top3.top_n = 3;
  RuleSet set = RuleSet::build({top3});
  // a: 5 → 1 (entered), b: 2 → 2 (was in), c: new at 3 (entered), d: 4 → 4 (outside).
  auto u = update({item("a", "A"), item("b", "B"), item("c", "C"), item("d", "D")},
                  {"x", "b", "y", "d", "a"});
  EXPECT_EQ(fired(set, u), (std::vector<std::string>{"top3:a", "top3:c"}));
}

TEST(MatcherTest, PatternsKeywordsAndCaseFolding) {
  AlertRule pat = rule("pat", {});
  pat.pattern = "^(GPT|Claude)-?\\d";
  AlertRule both = rule("both", {"rust"});
  both.pattern = "linux";
  AlertRule off = rule("off", {"gpt"});
  off.enabled = false;
  RuleSet set = RuleSet::build({pat, both, off});
  EXPECT_EQ(set.size(), 2u);
  auto u = update({item("a", "gpt-5 released"), item("b", "Rust 2.0"), item("c", "Linux 7.0"),
                   item("d", "nothing")},
                  {"z"});
  EXPECT_EQ(fired(set, u), (std::vector<std::string>{"pat:a", "both:b", "both:c"}));
}

TEST(MatcherTest, TenThousandRulesFireOnlyTheirOwnKeyword) {
  std::vector<AlertRule> rules;
  for (int i = 0; i < 10000; ++i)
    rules.push_back(rule("r" + std::to_string(i), {"话题" + std::to_string(i) + "号"}));
  RuleSet set = RuleSet::build(std::move(rules));
  std::vector<Item> items;
  for (int i = 0; i < 50; ++i)
    items.push_back(item("k" + std::to_string(i), "今日话题" + std::to_string(i * 7) + "号上榜"));
  auto u = update(std::move(items), {"z"});
  auto hits = fired(set, u);
  ASSERT_EQ(hits.size(), 50u);
  EXPECT_EQ(hits[0], "r0:k0");
  EXPECT_EQ(hits[49], "r343:k49");
}

TEST(MatcherTest, PreviewMatchesTextAndScopeWithoutTheTrigger) {
  AlertRule r = rule("r", {"火灾"});
  r.exclude = {"演习"};
  r.sites = {"weibo"};
  EXPECT_TRUE(RuleSet::matches_item(r, "weibo.hot-search", "weibo", item("a", "火灾"), 1));
  EXPECT_FALSE(RuleSet::matches_item(r, "zhihu.hot", "zhihu", item("a", "火灾"), 1));
  EXPECT_FALSE(RuleSet::matches_item(r, "weibo.hot-search", "weibo", item("a", "火灾演习"), 1));
}

}  // namespace
}  // namespace mu
