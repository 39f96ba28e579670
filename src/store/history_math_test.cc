#include "store/history_math.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace mu::history {
namespace {

Item item(const std::string& key, std::optional<double> hot = std::nullopt,
          const std::string& title = "") {
  Item out;
  out.key = key;
  out.title = title.empty() ? "Title " + key : title;
  out.hot = hot;
  return out;
}

StoredItem stored(int64_t id, const std::string& key, int rank, std::optional<double> hot,
                  int64_t last_seen_ms) {
  StoredItem row;
  row.id = id;
  row.key = key;
  row.cur_rank = rank;
  row.cur_hot = hot;
  row.last_seen_ms = last_seen_ms;
  row.title = "Title " + key;
  row.indexed = true;
  return row;
}

TEST(PointDueTest, RankOrHeatPresenceChangesOrHeatMovesByTheStep) {
  EXPECT_FALSE(point_due(3, 100.0, 3, 101.0));  // 1 %
  EXPECT_TRUE(point_due(3, 100.0, 3, 102.0));   // 2 %
  EXPECT_TRUE(point_due(3, 100.0, 3, 97.0));
  EXPECT_TRUE(point_due(3, 100.0, 2, 100.0));
  EXPECT_TRUE(point_due(3, std::nullopt, 3, 5.0));
  EXPECT_TRUE(point_due(3, 5.0, 3, std::nullopt));
  EXPECT_FALSE(point_due(3, std::nullopt, 3, std::nullopt));
  EXPECT_FALSE(point_due(3, 0.0, 3, 0.0));  // no change is never a point
  EXPECT_TRUE(point_due(3, 0.0, 3, 1.0));
}

TEST(PlanCommitTest, NewStayingReturningAndLeavingItems) {
  const std::vector<StoredItem> rows = {
      stored(1, "stay", 1, 100.0, 1000), stored(2, "move", 2, 50.0, 1000),
      stored(3, "gone", 3, std::nullopt, 1000), stored(4, "back", 0, 7.0, 500)};
  const std::vector<Item> items = {item("stay", 101.0), item("new", 9.0), item("move", 50.0),
                                   item("back", 8.0)};
  const CommitPlan plan = plan_commit(rows, items, 4000);
  ASSERT_EQ(plan.items.size(), 4u);
  // stays at rank 1 with 1 % more heat: no point, the last point's heat is kept
  EXPECT_EQ(plan.items[0].id, 1);
  EXPECT_FALSE(plan.items[0].write_point);
  EXPECT_EQ(plan.items[0].cur_hot, 100.0);
  EXPECT_EQ(plan.items[0].on_board_delta_ms, 3000);
  EXPECT_EQ(plan.items[0].index_action, ItemWrite::Index::kNone);
  // new
  EXPECT_EQ(plan.items[1].id, 0);
  EXPECT_TRUE(plan.items[1].write_point);
  EXPECT_EQ(plan.items[1].index_action, ItemWrite::Index::kInsert);
  EXPECT_EQ(plan.items[1].on_board_delta_ms, 0);
  // moved from 2 to 3
  EXPECT_TRUE(plan.items[2].write_point);
  EXPECT_EQ(plan.items[2].cur_hot, 50.0);
  // comes back: a point, no time added for while it was away
  EXPECT_EQ(plan.items[3].id, 4);
  EXPECT_TRUE(plan.items[3].write_point);
  EXPECT_EQ(plan.items[3].on_board_delta_ms, 0);
  ASSERT_EQ(plan.exits.size(), 1u);
  EXPECT_EQ(plan.exits[0].id, 3);
  EXPECT_EQ(plan.exits[0].on_board_delta_ms, 3000);
}

TEST(PlanCommitTest, ChangedTextReplacesTheSearchEntryAndUnindexedRowsAreIndexed) {
  StoredItem renamed = stored(1, "a", 1, std::nullopt, 0);
  renamed.title = "old title";
  StoredItem unindexed = stored(2, "b", 0, std::nullopt, 0);
  unindexed.indexed = false;
  const CommitPlan plan =
      plan_commit({renamed, unindexed}, {item("a", std::nullopt, "new title"), item("b")}, 10);
  EXPECT_EQ(plan.items[0].index_action, ItemWrite::Index::kReplace);
  EXPECT_EQ(plan.items[0].old_title, "old title");
  EXPECT_EQ(plan.items[1].index_action, ItemWrite::Index::kInsert);
}

HistoryItem history_item(int64_t id, int current_rank, int64_t last_seen_ms) {
  HistoryItem out;
  out.id = id;
  out.current_rank = current_rank;
  out.last_seen_ms = last_seen_ms;
  return out;
}

TEST(WindowEntryTest, StatesLastUntilTheNextPointAndAreClippedToTheWindow) {
  // entered before the window at rank 5, rank 2 at 150, left at 300; window [100, 1000)
  const auto entry = window_entry(
      history_item(1, 0, 290), {{50, 5, 10.0}, {150, 2, 30.0}, {300, 0, std::nullopt}}, 100, 1000);
  ASSERT_TRUE(entry.has_value());
  EXPECT_EQ(entry->on_board_ms, 200);
  EXPECT_EQ(entry->peak_rank, 2);
  EXPECT_EQ(entry->peak_hot, 30.0);
  EXPECT_EQ(entry->entered_ms, 100);
  EXPECT_EQ(entry->left_ms, 300);
}

TEST(WindowEntryTest, TheLastRankedStateLastsToTheEndOfTheWindow) {
  const std::vector<HistoryPoint> points = {{200, 3, std::nullopt}};
  EXPECT_EQ(window_entry(history_item(1, 3, 400), points, 100, 1000)->on_board_ms, 800);
  // Not current: its exit lies after the window.
  EXPECT_EQ(window_entry(history_item(1, 0, 400), points, 100, 1000)->on_board_ms, 800);
}

TEST(WindowEntryTest, OffTheBoardWithinTheWindowGivesNothing) {
  EXPECT_FALSE(window_entry(history_item(1, 0, 60), {{50, 1, std::nullopt}, {90, 0, std::nullopt}},
                            100, 1000)
                   .has_value());
  EXPECT_FALSE(
      window_entry(history_item(1, 3, 2000), {{1000, 1, std::nullopt}}, 100, 1000).has_value());
}

TEST(WindowEntryTest, LeavingAndComingBackAddsBothStretches) {
  const auto entry = window_entry(
      history_item(1, 4, 900),
      {{100, 9, std::nullopt}, {200, 0, std::nullopt}, {500, 4, std::nullopt}}, 0, 1000);
  ASSERT_TRUE(entry.has_value());
  EXPECT_EQ(entry->on_board_ms, 100 + 500);
  EXPECT_EQ(entry->entered_ms, 100);
  EXPECT_EQ(entry->left_ms, 1000);
  EXPECT_EQ(entry->peak_rank, 4);
}

TEST(RankWindowEntriesTest, MostTimeFirstThenPeakRankThenIdAndLimit) {
  std::vector<DayEntry> entries(4);
  entries[0].item.id = 1, entries[0].on_board_ms = 10, entries[0].peak_rank = 1;
  entries[1].item.id = 2, entries[1].on_board_ms = 30, entries[1].peak_rank = 5;
  entries[2].item.id = 3, entries[2].on_board_ms = 30, entries[2].peak_rank = 2;
  entries[3].item.id = 4, entries[3].on_board_ms = 30, entries[3].peak_rank = 2;
  rank_window_entries(entries, 3);
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0].item.id, 3);
  EXPECT_EQ(entries[1].item.id, 4);
  EXPECT_EQ(entries[2].item.id, 2);
}

TEST(TallySearchTest, CountsTotalAndFacetsFromTheGroupsWithinTheLimit) {
  const std::vector<SearchGroup> groups = {
      {"weibo.hot-search", "weibo", 5}, {"hn.top", "hn", 2}, {"hn.new", "hn", 4}};
  SearchRequest request;
  SearchResult result;
  EXPECT_FALSE(tally_search(groups, request, result));
  EXPECT_EQ(result.total, 11);
  EXPECT_TRUE(result.total_exact);
  ASSERT_EQ(result.sites.size(), 2u);
  EXPECT_EQ(result.sites[0].value, "hn");  // 6 over 5
  EXPECT_EQ(result.sites[0].count, 6);
  ASSERT_EQ(result.boards.size(), 3u);
  EXPECT_EQ(result.boards[0].value, "weibo.hot-search");
  EXPECT_EQ(result.boards[2].value, "hn.top");

  request.site = "hn";  // the facets ignore the filters, the total does not
  EXPECT_FALSE(tally_search(groups, request, result));
  EXPECT_EQ(result.total, 6);
  EXPECT_EQ(result.sites.size(), 2u);
  request.board = "hn.new";
  EXPECT_FALSE(tally_search(groups, request, result));
  EXPECT_EQ(result.total, 4);
}

TEST(TallySearchTest, PastTheLimitTheTotalIsALowerBoundOrNeedsItsOwnCount) {
  const std::vector<SearchGroup> groups = {{"a.x", "a", kSearchCountLimit - 3},
                                           {"b.y", "b", 4}};  // the limit + 1 rows were read
  SearchRequest request;
  SearchResult result;
  EXPECT_FALSE(tally_search(groups, request, result));
  EXPECT_EQ(result.total, kSearchCountLimit);
  EXPECT_FALSE(result.total_exact);
  request.board = "b.y";
  EXPECT_TRUE(tally_search(groups, request, result));  // 4 among the newest says little

  std::vector<SearchGroup> many;
  for (int i = 0; i < 60; ++i) many.push_back({"s" + std::to_string(i) + ".b", "s", i + 1});
  SearchRequest plain;
  EXPECT_FALSE(tally_search(many, plain, result));
  EXPECT_EQ(result.boards.size(), kMaxFacets);
  EXPECT_EQ(result.boards[0].value, "s59.b");
  ASSERT_EQ(result.sites.size(), 1u);
  EXPECT_EQ(result.sites[0].count, 60 * 61 / 2);
}

TEST(PageFromScanTest, TheNewestMatchesAfterTheCursorThatPassTheFilters) {
  const std::vector<SearchScanRow> scan = {
      {9, "a.x", "a"}, {8, "b.y", "b"}, {7, "a.x", "a"}, {5, "a.z", "a"}, {2, "b.y", "b"}};
  SearchRequest request;
  request.limit = 2;
  EXPECT_EQ(page_from_scan(scan, request, search_bounds(request)),
            (std::vector<int64_t>{9, 8, 7}));  // limit + 1: another page follows
  request.after = SearchCursor{0, 0, 8};
  EXPECT_EQ(page_from_scan(scan, request, search_bounds(request)), (std::vector<int64_t>{7, 5, 2}));
  request.site = "b";
  EXPECT_EQ(page_from_scan(scan, request, search_bounds(request)), (std::vector<int64_t>{2}));
  request.after.reset();
  request.board = "b.y";
  EXPECT_EQ(page_from_scan(scan, request, search_bounds(request)),
            (std::vector<int64_t>{8, 2}));  // the scan holds every match: the last page
  const std::vector<SearchGroup> groups = search_groups(scan);
  ASSERT_EQ(groups.size(), 3u);
  EXPECT_EQ(groups[0].board, "a.x");
  EXPECT_EQ(groups[0].count, 2);
  EXPECT_EQ(groups[1].board, "a.z");
  EXPECT_EQ(groups[2].site, "b");
  EXPECT_EQ(id_list({3, 2}, false), "[3,2]");
  EXPECT_EQ(id_list({3, 2}, true), "{3,2}");
  EXPECT_EQ(id_list({}, true), "{}");
}

TEST(PageFromScanTest, AScanCutShortLeavesAnUnfilledPageToTheStore) {
  std::vector<SearchScanRow> scan;
  for (int64_t id = kSearchCountLimit + 1; id >= 1; --id) {
    scan.push_back({id + 100, id % 2 == 0 ? "a.x" : "b.y", id % 2 == 0 ? "a" : "b"});
  }
  SearchRequest request;
  request.limit = 20;
  EXPECT_EQ(page_from_scan(scan, request, search_bounds(request))->size(), 21u);
  request.board = "c.none";  // nothing among the newest: older matches may still have it
  EXPECT_FALSE(page_from_scan(scan, request, search_bounds(request)).has_value());
  request.board.clear();
  request.after = SearchCursor{0, 0, 50};  // a cursor past the scan
  EXPECT_FALSE(page_from_scan(scan, request, search_bounds(request)).has_value());
}

}  // namespace
}  // namespace mu::history
