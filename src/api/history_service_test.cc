#include "api/history_service.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <cmath>
#include <string>
#include <vector>

#include "api/history_testing.h"
#include "http/router.h"

namespace mu {
namespace {
namespace json = boost::json;

class HistoryServiceTest : public ::testing::Test {
 protected:
  HistoryServiceTest() {
    clock.set_wall(WallTime(std::chrono::milliseconds(1'765'000'000'000)));  // 2025-12-06 05:46 UTC
    Site weibo;
    weibo.id = "weibo";
    Site zhihu;
    zhihu.id = "zhihu";
    BoardMeta hot;
    hot.id = "weibo.hot-search";
    hot.site = "weibo";
    BoardMeta zh;
    zh.id = "zhihu.hot";
    zh.site = "zhihu";
    HistoryServiceOptions options;
    options.clock = &clock;
    service = std::make_unique<HistoryService>(std::vector<Site>{weibo, zhihu},
                                               std::vector<BoardMeta>{hot, zh}, store, options);
    service->register_routes(router);
  }

  Response get(const std::string& target) {
    Request req;
    EXPECT_TRUE(req.set_target(target).ok()) << target;
    return router.handle(req);
  }

  // A 400 whose message starts with the parameter's name.
  void expect_bad(const std::string& target, const std::string& param) {
    Response r = get(target);
    EXPECT_EQ(r.status, 400) << target;
    const json::value body = json::parse(r.body_view());
    const std::string message(body.at("error").at("message").as_string());
    EXPECT_TRUE(message.starts_with(param + ":")) << target << " -> " << message;
  }

  FakeClock clock;
  FakeHistoryStore store;
  Router router;
  std::unique_ptr<HistoryService> service;
};

TEST(HistoryParamsTest, InstantsNeedAZone) {
  EXPECT_EQ(parse_instant("2026-12-06T08:30:00Z"), 1'796'545'800'000);
  EXPECT_EQ(parse_instant("2026-12-06T16:30:00+08:00"), 1'796'545'800'000);
  EXPECT_EQ(parse_instant("2026-12-06T08:30Z"), 1'796'545'800'000);
  EXPECT_EQ(parse_instant("2026-12-06T08:30:00.25Z"), 1'796'545'800'250);
  EXPECT_EQ(parse_instant("2026-12-06T03:30:00-05:00"), 1'796'545'800'000);
  for (const char* bad : {"2026-12-06T08:30:00", "2026-12-06", "2026-13-06T08:30:00Z",
                          "2026-02-30T08:30:00Z", "2026-12-06T24:00:00Z", "2026-12-06T08:30:00ZZ",
                          "2026-12-06T08:30:00+8", "yesterday", "", "2026-12-06T08:30:00.Z"}) {
    EXPECT_FALSE(parse_instant(bad).has_value()) << bad;
  }
}

TEST(HistoryParamsTest, DayWindowsFollowTheZone) {
  auto shanghai = day_window("2026-12-06", "Asia/Shanghai");
  ASSERT_TRUE(shanghai.ok());
  EXPECT_EQ(shanghai->start_ms, *parse_instant("2026-12-05T16:00:00Z"));
  EXPECT_EQ(shanghai->end_ms, *parse_instant("2026-12-06T16:00:00Z"));
  // The day New York moves its clocks forward has 23 hours.
  auto spring = day_window("2026-03-08", "America/New_York");
  ASSERT_TRUE(spring.ok());
  EXPECT_EQ(spring->end_ms - spring->start_ms, int64_t{23} * 3600 * 1000);
  EXPECT_FALSE(day_window("2026-12-32", "UTC").ok());
  EXPECT_FALSE(day_window("2026-12-06", "Mars/Olympus").ok());
  EXPECT_FALSE(day_window("2026-12-06", "").ok());
  EXPECT_EQ(date_in_zone(*parse_instant("2026-12-05T17:00:00Z"), "Asia/Shanghai"), "2026-12-06");
  EXPECT_EQ(date_in_zone(*parse_instant("2026-12-05T17:00:00Z"), "UTC"), "2026-12-05");
}

TEST(HistoryTopTest, StoriesGroupByTitleOrUrlAndScoreAsDocumented) {
  DayEntry a;  // weibo #1 for 3 hours
  a.item = make_item(1, "weibo.hot-search", "某地发生火灾 消防已到场");
  a.peak_rank = 1;
  a.on_board_ms = 3 * 3'600'000;
  DayEntry b;  // the same title on zhihu, #11 for 1 hour
  b.item = make_item(2, "zhihu.hot", "某地发生火灾，消防已到场");
  b.peak_rank = 11;
  b.on_board_ms = 3'600'000;
  DayEntry c;  // another story, #2 for 24 hours, one site
  c.item = make_item(3, "weibo.hot-search", "跨年晚会节目单公布");
  c.peak_rank = 2;
  c.on_board_ms = 24 * 3'600'000;
  DayEntry d = c;  // the same URL as c on zhihu with another title
  d.item = make_item(4, "zhihu.hot", "节目单来了");
  d.item.url = c.item.url;
  d.item.url_key = c.item.url_key;
  d.peak_rank = 60;  // below rank 50: no points
  d.on_board_ms = 3'600'000;

  const auto stories = rank_top_stories({a, b, c, d}, 10);
  ASSERT_EQ(stories.size(), 2u);
  const double fire = (1.0 * (1 + std::log2(4.0)) + 0.8 * (1 + std::log2(2.0))) * 1.5;
  const double gala = (49.0 / 50 * (1 + std::log2(25.0)) + 0.0) * 1.5;
  EXPECT_EQ(stories[0].title, gala > fire ? c.item.title : a.item.title);
  const TopStory& fire_story = stories[0].title == a.item.title ? stories[0] : stories[1];
  const TopStory& gala_story = stories[0].title == a.item.title ? stories[1] : stories[0];
  EXPECT_NEAR(fire_story.score, fire, 1e-9);
  EXPECT_NEAR(gala_story.score, gala, 1e-9);
  EXPECT_EQ(fire_story.site_count, 2);
  ASSERT_EQ(fire_story.appearances.size(), 2u);
  EXPECT_EQ(fire_story.appearances[0].entry.item.board, "weibo.hot-search");
  EXPECT_EQ(gala_story.appearances.size(), 2u);
  EXPECT_EQ(rank_top_stories({a, b, c, d}, 1).size(), 1u);
}

TEST_F(HistoryServiceTest, SearchRejectsBadParametersNamingThem) {
  expect_bad("/api/v1/search", "q");
  expect_bad("/api/v1/search?q=", "q");
  expect_bad("/api/v1/search?q=" + std::string(300, 'a'), "q");
  expect_bad("/api/v1/search?q=%22%22*", "q");
  expect_bad("/api/v1/search?q=a&board=nope", "board");
  expect_bad("/api/v1/search?q=a&site=nope", "site");
  expect_bad("/api/v1/search?q=a&from=yesterday", "from");
  expect_bad("/api/v1/search?q=a&to=2026-02-30", "to");
  expect_bad("/api/v1/search?q=a&from=2026-12-06&to=2026-12-05", "from");
  expect_bad("/api/v1/search?q=a&sort=hot", "sort");
  expect_bad("/api/v1/search?q=a&limit=0", "limit");
  expect_bad("/api/v1/search?q=a&limit=101", "limit");
  expect_bad("/api/v1/search?q=a&limit=1e3", "limit");
  expect_bad("/api/v1/search?q=a&cursor=n", "cursor");
  expect_bad("/api/v1/search?q=a&cursor=n.1.2", "cursor");  // a cursor of an older release
  expect_bad("/api/v1/search?q=a&cursor=n.x", "cursor");
  expect_bad("/api/v1/search?q=a&cursor=r.1.2.3", "cursor");  // made for sort=rank
  expect_bad("/api/v1/search?q=a&cursor=n.-1", "cursor");
  expect_bad("/api/v1/search?q=a&facets=yes", "facets");
  EXPECT_EQ(store.calls, 0);
}

TEST_F(HistoryServiceTest, SearchPassesTheRequestAndRendersHitsWithHighlightsAndACursor) {
  store.search_result.hits = {make_item(7, "weibo.hot-search", "跨年晚会：Café 与跨年"),
                              make_item(5, "zhihu.hot", "为什么跨年")};
  store.search_result.hits[1].url = "javascript:alert(1)";
  store.search_result.more = true;
  store.search_result.total = 9;
  store.search_result.total_exact = false;
  store.search_result.sites = {{"weibo", 6}, {"zhihu", 3}};
  Response r =
      get("/api/v1/search?q=%E8%B7%A8%E5%B9%B4%20CAFE&site=weibo&from=2025-12-01&to=2025-12-06"
          "T12:00:00Z&limit=2");
  ASSERT_EQ(r.status, 200) << r.body_view();
  EXPECT_FALSE(r.etag.empty());
  EXPECT_EQ(r.header("Cache-Control"), "public, max-age=30");
  EXPECT_EQ(store.last_search.site, "weibo");
  EXPECT_EQ(store.last_search.limit, 2);
  EXPECT_EQ(store.last_search.query.terms.size(), 2u);
  EXPECT_EQ(store.last_search.from_ms, *parse_instant("2025-12-01T00:00:00Z"));
  EXPECT_EQ(store.last_search.to_ms, *parse_instant("2025-12-06T12:00:00Z"));
  EXPECT_EQ(store.last_search.order, SearchOrder::kNewest);
  const json::value body = json::parse(r.body_view());
  EXPECT_EQ(body.at("total").as_int64(), 9);
  EXPECT_FALSE(body.at("total_exact").as_bool());
  const json::array& items = body.at("items").as_array();
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(json::serialize(items[0].at("highlights")), "[[0,2],[5,9],[11,13]]");
  EXPECT_EQ(items[1].at("url").as_string(), "");  // only http(s) links go out
  EXPECT_EQ(body.at("facets").at("sites").at(0).at("id").as_string(), "weibo");
  const std::string cursor(body.at("next_cursor").as_string());

  // The next page continues after the last hit.
  ASSERT_EQ(get("/api/v1/search?q=%E8%B7%A8%E5%B9%B4&cursor=" + cursor).status, 200);
  ASSERT_TRUE(store.last_search.after.has_value());
  EXPECT_EQ(store.last_search.after->id, 5);
  EXPECT_EQ(cursor, "n.5");  // newest first is the id order: the id is the whole cursor

  // sort=rank has its own cursors.
  ASSERT_EQ(get("/api/v1/search?q=a&sort=rank&cursor=r.3.4.5&facets=0").status, 200);
  EXPECT_EQ(store.last_search.order, SearchOrder::kBestRank);
  EXPECT_EQ(store.last_search.after->rank, 3);
  EXPECT_FALSE(store.last_search.facets);
  EXPECT_FALSE(
      json::parse(get("/api/v1/search?q=a&facets=0").body_view()).as_object().contains("facets"));
}

TEST_F(HistoryServiceTest, StoreOutagesAre503) {
  store.status = Status(ErrorCode::kUnavailable, "database is down");
  EXPECT_EQ(get("/api/v1/search?q=a").status, 503);
  EXPECT_EQ(get("/api/v1/items/weibo.hot-search/k1").status, 503);
  EXPECT_EQ(get("/api/v1/boards/weibo.hot-search/history?at=2025-12-06T00:00:00Z").status, 503);
  EXPECT_EQ(get("/api/v1/top?date=2025-12-05").status, 503);
}

TEST_F(HistoryServiceTest, ItemTimelineRendersPointsAndRelated) {
  EXPECT_EQ(get("/api/v1/items/nope/k1").status, 404);
  expect_bad("/api/v1/items/weibo.hot-search/" + std::string(1100, 'k'), "key");
  EXPECT_EQ(get("/api/v1/items/weibo.hot-search/k1").status, 404);  // never listed

  ItemTimeline t;
  t.item = make_item(1, "weibo.hot-search", "某地发生火灾");
  t.points = {{1'764'000'000'000, 3, 100.0},
              {1'764'000'600'000, 1, std::nullopt},
              {1'764'001'200'000, 0, std::nullopt}};
  t.related = {make_item(2, "zhihu.hot", "某地发生火灾")};
  store.timeline = t;
  Response r = get("/api/v1/items/weibo.hot-search/a%2Fb%20c");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(store.last_key, "a/b c");
  EXPECT_EQ(store.last_limit, HistoryService::kRelatedLimit);
  const json::value body = json::parse(r.body_view());
  EXPECT_EQ(body.at("item").at("title").as_string(), "某地发生火灾");
  const json::array& points = body.at("points").as_array();
  ASSERT_EQ(points.size(), 3u);
  EXPECT_EQ(points[0].at("rank").as_int64(), 3);
  EXPECT_EQ(points[0].at("hot").as_double(), 100.0);
  EXPECT_TRUE(points[1].at("hot").is_null());
  EXPECT_EQ(points[2].at("rank").as_int64(), 0);
  EXPECT_EQ(body.at("related").at(0).at("board").as_string(), "zhihu.hot");
}

TEST_F(HistoryServiceTest, BoardHistoryAtAnInstantOrOverADay) {
  EXPECT_EQ(get("/api/v1/boards/nope/history?at=2025-12-06T00:00:00Z").status, 404);
  expect_bad("/api/v1/boards/weibo.hot-search/history", "at");
  expect_bad("/api/v1/boards/weibo.hot-search/history?at=2025-12-06T00:00:00Z&date=2025-12-06",
             "at");
  expect_bad("/api/v1/boards/weibo.hot-search/history?at=2025-12-06", "at");
  expect_bad("/api/v1/boards/weibo.hot-search/history?date=06-12-2025", "date");
  expect_bad("/api/v1/boards/weibo.hot-search/history?date=2025-12-06&tz=Nowhere/City", "tz");
  expect_bad("/api/v1/boards/weibo.hot-search/history?date=2025-12-06&limit=501", "limit");
  EXPECT_EQ(store.calls, 0);

  // Nothing kept that early.
  EXPECT_EQ(get("/api/v1/boards/weibo.hot-search/history?at=2020-01-01T00:00:00Z").status, 404);
  BoardAt past;
  past.as_of_ms = 1'764'000'000'000;
  BoardAtEntry e;
  e.item = make_item(1, "weibo.hot-search", "跨年晚会");
  e.rank = 2;
  e.hot = 42.0;
  past.items = {e};
  store.at = past;
  Response r = get("/api/v1/boards/weibo.hot-search/history?at=2025-11-24T16:00:00%2B08:00");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(store.last_at, *parse_instant("2025-11-24T08:00:00Z"));
  EXPECT_EQ(r.header("Cache-Control"), "public, max-age=3600");  // the past does not change
  const json::value body = json::parse(r.body_view());
  EXPECT_EQ(body.at("as_of").as_string(), "2025-11-24T16:00:00.000Z");
  EXPECT_EQ(body.at("items").at(0).at("rank").as_int64(), 2);

  DayEntry d;
  d.item = make_item(3, "weibo.hot-search", "某地发生火灾");
  d.peak_rank = 1;
  d.on_board_ms = 5'400'000;
  d.entered_ms = *parse_instant("2025-12-05T17:00:00Z");
  d.left_ms = *parse_instant("2025-12-05T18:30:00Z");
  store.entries = {d};
  r = get("/api/v1/boards/weibo.hot-search/history?date=2025-12-06&limit=7");
  ASSERT_EQ(r.status, 200);
  // The default zone is Asia/Shanghai; the day is in progress, so it is asked up to now.
  EXPECT_EQ(store.last_window.first, *parse_instant("2025-12-05T16:00:00Z"));
  EXPECT_EQ(store.last_window.second, 1'765'000'000'000);
  EXPECT_EQ(store.last_limit, 7);
  EXPECT_EQ(r.header("Cache-Control"), "public, max-age=30");  // today may still change
  const json::value day = json::parse(r.body_view());
  EXPECT_EQ(day.at("tz").as_string(), "Asia/Shanghai");
  EXPECT_EQ(day.at("to").as_string(), "2025-12-06T16:00:00.000Z");
  // A past day is asked whole.
  ASSERT_EQ(get("/api/v1/boards/weibo.hot-search/history?date=2025-12-04&tz=UTC").status, 200);
  EXPECT_EQ(store.last_window.second, *parse_instant("2025-12-05T00:00:00Z"));
  EXPECT_EQ(day.at("items").at(0).at("day_seconds").as_int64(), 5400);
  EXPECT_EQ(day.at("items").at(0).at("peak_rank").as_int64(), 1);
}

TEST_F(HistoryServiceTest, TopIsKeptForAMinuteAndAsksEveryRankBoard) {
  expect_bad("/api/v1/top?tz=Nowhere/City", "tz");
  expect_bad("/api/v1/top?date=yesterday", "date");
  expect_bad("/api/v1/top?limit=500", "limit");
  DayEntry a;
  a.item = make_item(1, "weibo.hot-search", "某地发生火灾 消防已到场");
  a.peak_rank = 1;
  a.on_board_ms = 3'600'000;
  store.entries = {a};
  Response r = get("/api/v1/top?tz=UTC");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(store.last_board, "");
  EXPECT_EQ(store.last_window.first, *parse_instant("2025-12-06T00:00:00Z"));  // today in UTC
  const json::value body = json::parse(r.body_view());
  EXPECT_EQ(body.at("date").as_string(), "2025-12-06");
  EXPECT_EQ(body.at("items").at(0).at("site_count").as_int64(), 1);
  EXPECT_NEAR(body.at("items").at(0).at("score").as_double(), 2.0, 1e-9);
  const int calls = store.calls;
  EXPECT_EQ(get("/api/v1/top?tz=UTC").body_view(), r.body_view());
  EXPECT_EQ(store.calls, calls);  // from the cache
  clock.advance(std::chrono::seconds(61));
  get("/api/v1/top?tz=UTC");
  EXPECT_EQ(store.calls, calls + 1);
}

}  // namespace
}  // namespace mu
