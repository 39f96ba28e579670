#include "api/source_health.h"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace mu {
namespace {
namespace json = boost::json;

constexpr int64_t kNow = 1'767'225'600'000;  // 2026-01-01T00:00:00Z
constexpr int64_t kMinute = 60'000;

TEST(SourceHealthTest, FailuresAreClassedFromTheirCodeAndHttpStatus) {
  struct Case {
    const char* code;
    const char* message;
    bool needs_cookie;
    const char* want;
  };
  const Case cases[] = {
      {"blocked", "HTTP 403 from https://weibo.com/ajax/side/hotSearch", false, "blocked"},
      {"blocked", "HTTP 412 from https://www.douyin.com/x", false, "blocked"},
      {"blocked", "bilibili.hot-search: code -352 (risk control)", false, "blocked"},
      {"blocked", "zhihu.hot: HTTP 401 (login required) from https://www.zhihu.com/api", false,
       "needs-cookie"},
      {"blocked", "HTTP 403 from https://www.zhihu.com/api/v3/feed", true, "needs-cookie"},
      {"config", "zhihu.hot needs secrets.\"zhihu.cookie\"", true, "needs-cookie"},
      {"config", "github.trending: missing token", false, "config"},
      {"http", "HTTP 429 from https://www.reddit.com/r/popular.json", false, "rate-limited"},
      {"http", "HTTP 404 from https://example.com/gone", false, "gone"},
      {"http", "HTTP 410 from https://example.com/gone", false, "gone"},
      {"http", "HTTP 502 from https://news.ycombinator.com/", false, "site-error"},
      {"http", "HTTP 400 from https://example.com/", false, "http"},
      {"http", "https://x: too many redirects (more than 5)", false, "http"},
      {"parse", "weibo.hot-search: no data.realtime array", false, "parse"},
      {"timeout", "timed out after 15 s", false, "timeout"},
      {"network", "could not resolve host", false, "network"},
      {"too-large", "body over 8 MiB", false, "too-large"},
      {"unavailable", "no live collector in group cn", false, "unavailable"},
      {"internal", "boom", false, "internal"},
  };
  for (const Case& c : cases) {
    const FailureClass got = classify_failure(c.code, c.message, c.needs_cookie);
    EXPECT_EQ(got.id, c.want) << c.code << ": " << c.message;
    EXPECT_FALSE(got.hint.empty());
  }
}

BoardHealth board(int64_t fetched_at_ms, bool stale = false, int64_t every_ms = 5 * kMinute) {
  BoardHealth b;
  b.board = "weibo.hot-search";
  b.site = "weibo";
  b.name_zh = "热搜榜";
  b.name_en = "Hot search";
  b.fetched_at_ms = fetched_at_ms;
  b.last_run_at_ms = fetched_at_ms > 0 ? kNow - kMinute : 0;
  b.every_ms = every_ms;
  b.stale = stale;
  b.items = 50;
  return b;
}

TEST(SourceHealthTest, StandingComparesTheDataAgeWithThreeIntervals) {
  EXPECT_EQ(board_standing(board(kNow - 2 * kMinute), kNow), "ok");
  EXPECT_EQ(board_standing(board(kNow - 2 * kMinute, /*stale=*/true), kNow), "failing");
  EXPECT_EQ(board_standing(board(kNow - 15 * kMinute), kNow), "ok");  // exactly 3 intervals
  EXPECT_EQ(board_standing(board(kNow - 16 * kMinute), kNow), "stale");
  EXPECT_EQ(board_standing(board(kNow - 600 * kMinute, false, 0), kNow), "ok");  // cron
  BoardHealth never = board(0);
  EXPECT_EQ(board_standing(never, kNow), "never");
  never.last_run_at_ms = kNow - kMinute;  // ran, never succeeded
  EXPECT_EQ(board_standing(never, kNow), "stale");
  BoardHealth off = board(kNow);
  off.enabled = false;
  EXPECT_EQ(board_standing(off, kNow), "disabled");
}

TEST(SourceHealthTest, TheBodyCarriesEachBoardAndASummary) {
  BoardHealth failing = board(kNow - 2 * kMinute, /*stale=*/true);
  failing.board = "zhihu.hot";
  failing.needs_cookie = true;
  failing.last_error_code = "blocked";
  failing.last_error = "zhihu.hot: HTTP 401 (login required) from https://www.zhihu.com/api";
  failing.success_rate = 0.25;
  const json::value doc =
      json::parse(render_health({board(kNow - 90'000), failing, board(0)}, nullptr, kNow));
  EXPECT_EQ(doc.at("generated_at").as_string(), "2026-01-01T00:00:00.000Z");
  const json::object& summary = doc.at("summary").as_object();
  EXPECT_EQ(summary.at("ok").as_int64(), 1);
  EXPECT_EQ(summary.at("failing").as_int64(), 1);
  EXPECT_EQ(summary.at("never").as_int64(), 1);
  EXPECT_EQ(summary.at("stale").as_int64(), 0);
  const json::array& boards = doc.at("boards").as_array();
  ASSERT_EQ(boards.size(), 3u);
  EXPECT_EQ(boards[0].at("status").as_string(), "ok");
  EXPECT_EQ(boards[0].at("data_age_seconds").as_int64(), 90);
  EXPECT_EQ(boards[0].at("every_seconds").as_int64(), 300);
  EXPECT_TRUE(boards[0].at("error").is_null());
  EXPECT_TRUE(boards[0].at("success_rate").is_null());
  const json::object& e = boards[1].at("error").as_object();
  EXPECT_EQ(e.at("class").as_string(), "needs-cookie");
  EXPECT_EQ(e.at("code").as_string(), "blocked");
  EXPECT_EQ(boards[1].at("success_rate").as_double(), 0.25);
  EXPECT_TRUE(boards[2].at("fetched_at").is_null());
  EXPECT_TRUE(boards[2].at("data_age_seconds").is_null());
  EXPECT_TRUE(boards[0].at("trend").is_null());  // not read yet
  EXPECT_TRUE(boards[0].at("success_rate_7d").is_null());
  EXPECT_TRUE(doc.at("trend_since").is_null());
}

TEST(SourceHealthTest, TrendBucketsEndWithTheCurrentSixHours) {
  const int64_t hour = 60 * kMinute;
  // kNow is 2026-01-01T00:00Z, a bucket boundary: the current bucket starts there.
  EXPECT_EQ(trend_since(kNow), kNow - 27 * 6 * hour);
  EXPECT_EQ(trend_since(kNow + 5 * hour), kNow - 27 * 6 * hour);
  EXPECT_EQ(trend_since(kNow + 6 * hour), kNow - 26 * 6 * hour);
}

TEST(SourceHealthTest, TrendsCountTheDayAndTheWeekPerBoard) {
  const int64_t since = trend_since(kNow);
  const RunTrends trends = run_trends(since, {{"weibo.hot-search", 0, 10, 10},
                                              {"weibo.hot-search", 20, 10, 5},
                                              {"weibo.hot-search", 24, 4, 1},  // the last day
                                              {"weibo.hot-search", 27, 4, 3},
                                              {"weibo.hot-search", 28, 9, 0},  // beyond: ignored
                                              {"zhihu.hot", 26, 2, 0}});
  ASSERT_EQ(trends.boards.size(), 2u);
  const RunTrend& w = trends.boards.at("weibo.hot-search");
  EXPECT_EQ(w.week.runs, 28);
  EXPECT_EQ(w.week.ok, 19);
  EXPECT_EQ(w.day.runs, 8);
  EXPECT_EQ(w.day.ok, 4);
  ASSERT_EQ(w.buckets.size(), static_cast<size_t>(kTrendBuckets));
  EXPECT_EQ(w.buckets[20].runs, 10);
  EXPECT_EQ(w.buckets[20].ok, 5);

  BoardHealth quiet = board(kNow);
  quiet.board = "hn.top";
  const json::value doc = json::parse(render_health({board(kNow), quiet}, &trends, kNow));
  EXPECT_EQ(doc.at("trend_bucket_hours").as_int64(), 6);
  EXPECT_EQ(doc.at("trend_since").as_string(), "2025-12-25T06:00:00.000Z");
  const json::object& a = doc.at("boards").at(0).as_object();
  EXPECT_EQ(a.at("runs_7d").as_int64(), 28);
  EXPECT_DOUBLE_EQ(a.at("success_rate_7d").as_double(), 19.0 / 28);
  EXPECT_EQ(a.at("runs_24h").as_int64(), 8);
  EXPECT_DOUBLE_EQ(a.at("success_rate_24h").as_double(), 0.5);
  EXPECT_EQ(json::serialize(a.at("trend").at(27)), "[4,3]");
  EXPECT_EQ(a.at("trend").as_array().size(), static_cast<size_t>(kTrendBuckets));
  // A board without runs this week: zeros and null rates, never a missing field.
  const json::object& b = doc.at("boards").at(1).as_object();
  EXPECT_EQ(b.at("runs_7d").as_int64(), 0);
  EXPECT_TRUE(b.at("success_rate_24h").is_null());
  EXPECT_EQ(json::serialize(b.at("trend").at(0)), "[0,0]");
}

}  // namespace
}  // namespace mu
