#include "pipeline/rank.h"

#include <gtest/gtest.h>

namespace mu {
namespace {

std::vector<Item> items_with_keys(std::initializer_list<const char*> keys) {
  std::vector<Item> out;
  for (const char* k : keys) {
    Item it;
    it.key = k;
    it.title = k;
    it.url = std::string("https://a.com/") + k;
    out.push_back(it);
  }
  return out;
}

TEST(RankItems, FirstSnapshotMarksNothingNew) {
  auto ranked = rank_items(items_with_keys({"a", "b"}), false, {}, {}, 1000);
  ASSERT_EQ(ranked.size(), 2u);
  EXPECT_EQ(ranked[0].rank, 1);
  EXPECT_EQ(ranked[1].rank, 2);
  EXPECT_FALSE(ranked[0].is_new);
  EXPECT_FALSE(ranked[0].prev_rank);
  EXPECT_EQ(ranked[1].first_seen_ms, 1000);
  EXPECT_EQ(ranked[1].best_rank, 2);
}

TEST(RankItems, ComparesWithPreviousSnapshot) {
  std::unordered_map<std::string, ItemHistory> history = {{"c", {500, 1}}, {"a", {700, 3}}};
  auto ranked = rank_items(items_with_keys({"c", "a", "d"}), true, {"a", "b", "c"}, history, 1000);
  ASSERT_EQ(ranked.size(), 3u);
  EXPECT_EQ(ranked[0].item.key, "c");
  EXPECT_EQ(*ranked[0].prev_rank, 3);  // moved up two places
  EXPECT_EQ(ranked[0].first_seen_ms, 500);
  EXPECT_EQ(ranked[0].best_rank, 1);
  EXPECT_EQ(*ranked[1].prev_rank, 1);  // moved down one
  EXPECT_EQ(ranked[1].best_rank, 2);   // history said 3, now 2
  EXPECT_TRUE(ranked[2].is_new);
  EXPECT_FALSE(ranked[2].prev_rank);
  EXPECT_EQ(ranked[2].first_seen_ms, 1000);
}

}  // namespace
}  // namespace mu
