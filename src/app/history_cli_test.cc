#include "app/history_cli.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <string>
#include <vector>

#include "api/history_testing.h"
#include "core/clock.h"

namespace mu {
namespace {

class HistoryCliTest : public ::testing::Test {
 protected:
  HistoryCliTest() {
    clock.set_wall(WallTime(std::chrono::milliseconds(1'765'000'000'000)));
    Site weibo;
    weibo.id = "weibo";
    BoardMeta hot;
    hot.id = "weibo.hot-search";
    hot.site = "weibo";
    HistoryServiceOptions options;
    options.clock = &clock;
    service = std::make_unique<HistoryService>(std::vector<Site>{weibo},
                                               std::vector<BoardMeta>{hot}, store, options);
  }

  FakeClock clock;
  FakeHistoryStore store;
  std::unique_ptr<HistoryService> service;
};

TEST_F(HistoryCliTest, SearchPrintsTheTotalAndEachHitWhenFirstSeen) {
  store.search_result.hits = {make_item(7, "weibo.hot-search", "跨年晚会节目单")};
  store.search_result.total = 1;
  SearchCliArgs args;
  args.query = "跨年";
  args.board = "weibo.hot-search";
  auto out = history_cli_search(*service, args);
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  EXPECT_EQ(store.last_search.board, "weibo.hot-search");
  EXPECT_FALSE(store.last_search.facets);
  // make_item(7): first seen 1'764'000'000'007 ms = 2025-11-24 16:00 UTC.
  EXPECT_EQ(*out,
            "1 matching items for \"跨年\" (first seen, newest first)\n"
            "  2025-11-24 16:00Z  weibo.hot-search  best #7  跨年晚会节目单\n"
            "      https://example.com/7\n");
}

TEST_F(HistoryCliTest, SearchMarksATotalThatIsALowerBound) {
  store.search_result.total = kSearchCountLimit;
  store.search_result.total_exact = false;
  SearchCliArgs args;
  args.query = "的";
  auto out = history_cli_search(*service, args);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->rfind("5000+ matching items", 0), 0u) << *out;

  args.json = true;
  out = history_cli_search(*service, args);
  ASSERT_TRUE(out.ok());
  const boost::json::value body = boost::json::parse(*out);
  EXPECT_FALSE(body.at("total_exact").as_bool());
}

TEST_F(HistoryCliTest, SearchReportsBadArgumentsLikeTheApi) {
  SearchCliArgs args;
  args.query = "a";
  args.board = "nope";
  auto out = history_cli_search(*service, args);
  EXPECT_EQ(out.code(), ErrorCode::kInvalid);
  EXPECT_NE(out.status().message().find("board"), std::string::npos);
  EXPECT_EQ(store.calls, 0);
}

}  // namespace
}  // namespace mu
