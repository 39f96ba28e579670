#include "pipeline/render.h"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

#include <chrono>

#include "core/compress.h"

namespace mu {
namespace {
namespace json = boost::json;

TEST(Iso8601, FormatsUtcWithMillis) {
  EXPECT_EQ(iso8601_utc(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(iso8601_utc(1709164800123), "2024-02-29T00:00:00.123Z");
}

TEST(RenderBoard, ProducesJsonGzipAndStableEtag) {
  Site site{"weibo", "微博", "Weibo", "https://weibo.com", "", "#e6162d", "cn"};
  BoardMeta meta;
  meta.id = "weibo.hot-search";
  meta.site = "weibo";
  meta.name_zh = "热搜榜";
  meta.name_en = "Hot search";
  BoardState st;
  st.board = meta.id;
  st.version = 7;
  st.fetched_at_ms = 1764000000000;
  RankedItem a;
  a.rank = 1;
  a.item.key = "k1";
  a.item.title = "标题 \"quoted\" <b>";
  a.item.url = "https://s.weibo.com/weibo?q=%23k1%23";
  a.item.hot = 2123000;
  a.item.label = "热";
  a.prev_rank = 3;
  RankedItem b = a;
  b.rank = 2;
  b.item.key = "k2";
  b.prev_rank.reset();
  b.is_new = true;

  RenderedBody r1 = render_board(site, meta, st, {a, b});
  RenderedBody r2 = render_board(site, meta, st, {a, b});
  EXPECT_EQ(r1.etag, r2.etag);
  EXPECT_EQ(*r1.json, *r2.json);
  auto unzipped = gzip_decompress(*r1.gzip);
  ASSERT_TRUE(unzipped.ok());
  EXPECT_EQ(*unzipped, *r1.json);

  json::value v = json::parse(*r1.json);
  EXPECT_EQ(v.at("id").as_string(), "weibo.hot-search");
  EXPECT_EQ(v.at("version").as_int64(), 7);
  EXPECT_EQ(v.at("site").at("name").as_string(), "微博");
  const auto& items = v.at("items").as_array();
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].at("title").as_string(), "标题 \"quoted\" <b>");
  EXPECT_EQ(items[0].at("rank_change").as_int64(), 2);
  EXPECT_TRUE(items[1].at("rank_change").is_null());
  EXPECT_TRUE(items[1].at("new").as_bool());
  EXPECT_EQ(v.at("fetched_at").as_string(), "2025-11-24T16:00:00.000Z");

  st.version = 8;
  EXPECT_NE(render_board(site, meta, st, {a, b}).etag, r1.etag);
}

TEST(RenderCatalogue, ShowsFreshnessAndErrors) {
  BoardMeta m1;
  m1.id = "a.one";
  m1.site = "a";
  BoardMeta m2;
  m2.id = "a.two";
  m2.site = "a";
  BoardState s1;
  s1.board = "a.one";
  s1.fetched_at_ms = 1000000;
  s1.stale = true;
  s1.last_error_code = "parse";
  s1.last_error = "missing data.realtime";
  auto r = render_catalogue({m1, m2}, {s1});
  json::value v = json::parse(*r.json);
  const auto& boards = v.at("boards").as_array();
  ASSERT_EQ(boards.size(), 2u);
  EXPECT_EQ(boards[0].at("fetched_at").as_string(), "1970-01-01T00:16:40.000Z");
  EXPECT_TRUE(boards[0].at("stale").as_bool());
  EXPECT_EQ(boards[0].at("error").at("code").as_string(), "parse");
  EXPECT_TRUE(boards[1].at("fetched_at").is_null());
  EXPECT_TRUE(boards[1].at("error").is_null());
}

TEST(SuccessRate, ShareOfOkRunsRoundedOrNullWithoutRuns) {
  BoardState st;
  EXPECT_FALSE(success_rate(st).has_value());
  st.recent_runs = 20;
  st.recent_ok = 19;
  EXPECT_DOUBLE_EQ(*success_rate(st), 0.95);
  st.recent_runs = 3;
  st.recent_ok = 2;
  EXPECT_DOUBLE_EQ(*success_rate(st), 0.667);
  st.recent_ok = 0;
  EXPECT_DOUBLE_EQ(*success_rate(st), 0.0);
  st.recent_ok = 3;
  EXPECT_DOUBLE_EQ(*success_rate(st), 1.0);
}

TEST(DueBy, FetchedAtPlusTwoIntervalsPlusTimeout) {
  BoardMeta meta;
  meta.schedule.every = std::chrono::minutes(5);
  meta.schedule.timeout = std::chrono::seconds(20);
  BoardState st;
  EXPECT_EQ(due_by_ms(meta, st), 0);  // never fetched
  st.fetched_at_ms = 1764000000000;
  EXPECT_EQ(due_by_ms(meta, st), 1764000000000 + 2 * 300'000 + 20'000);
  st.enabled = false;  // a disabled board is never due
  EXPECT_EQ(due_by_ms(meta, st), 0);
  st.enabled = true;
  meta.schedule.cron = "0 8 * * *";  // cron gaps vary: no fixed grace
  EXPECT_EQ(due_by_ms(meta, st), 0);
}

// Run history and due_by are in the catalogue and in the board body; both are fixed facts,
// so the rendered bytes do not change while time passes.
TEST(RenderCatalogue, RunHistoryAndDueBy) {
  BoardMeta fresh;
  fresh.id = "a.fresh";
  fresh.site = "a";
  fresh.schedule.every = std::chrono::minutes(5);
  fresh.schedule.timeout = std::chrono::seconds(20);
  BoardMeta never = fresh;
  never.id = "a.never";
  BoardMeta failing = fresh;
  failing.id = "a.failing";
  BoardState s1;
  s1.board = "a.fresh";
  s1.fetched_at_ms = 1764000000000;  // 2025-11-24T16:00:00Z
  s1.recent_runs = 20;
  s1.recent_ok = 19;
  BoardState s3;
  s3.board = "a.failing";
  s3.recent_runs = 4;
  s3.recent_ok = 0;
  s3.stale = true;
  s3.last_error_code = "blocked";
  auto r = render_catalogue({fresh, never, failing}, {s1, s3});
  json::value v = json::parse(*r.json);
  const auto& boards = v.at("boards").as_array();
  ASSERT_EQ(boards.size(), 3u);
  EXPECT_EQ(boards[0].at("recent_runs").as_int64(), 20);
  EXPECT_EQ(boards[0].at("recent_ok").as_int64(), 19);
  EXPECT_DOUBLE_EQ(boards[0].at("success_rate").as_double(), 0.95);
  EXPECT_EQ(boards[0].at("due_by").as_string(), "2025-11-24T16:10:20.000Z");
  EXPECT_FALSE(boards[0].as_object().contains("overdue"));
  EXPECT_EQ(boards[1].at("recent_runs").as_int64(), 0);
  EXPECT_TRUE(boards[1].at("success_rate").is_null());
  EXPECT_TRUE(boards[1].at("due_by").is_null());
  EXPECT_DOUBLE_EQ(boards[2].at("success_rate").as_double(), 0.0);
  EXPECT_TRUE(boards[2].at("due_by").is_null());  // never fetched successfully
  EXPECT_EQ(*render_catalogue({fresh, never, failing}, {s1, s3}).json, *r.json);
}

TEST(RenderBoard, CarriesRunHistoryAndDueBy) {
  Site site{"hn", "Hacker News", "Hacker News", "https://news.ycombinator.com", "", "", "global"};
  BoardMeta meta;
  meta.id = "hn.top";
  meta.site = "hn";
  meta.schedule.every = std::chrono::minutes(10);
  meta.schedule.timeout = std::chrono::seconds(30);
  BoardState st;
  st.board = meta.id;
  st.fetched_at_ms = 1764000000000;
  st.recent_runs = 8;
  st.recent_ok = 6;
  json::value v = json::parse(*render_board(site, meta, st, {}).json);
  EXPECT_EQ(v.at("recent_runs").as_int64(), 8);
  EXPECT_EQ(v.at("recent_ok").as_int64(), 6);
  EXPECT_DOUBLE_EQ(v.at("success_rate").as_double(), 0.75);
  EXPECT_EQ(v.at("due_by").as_string(), "2025-11-24T16:20:30.000Z");
  EXPECT_FALSE(v.as_object().contains("overdue"));

  BoardState never;
  never.board = meta.id;
  json::value empty = json::parse(*render_board(site, meta, never, {}).json);
  EXPECT_TRUE(empty.at("success_rate").is_null());
  EXPECT_EQ(empty.at("recent_runs").as_int64(), 0);
  EXPECT_TRUE(empty.at("due_by").is_null());
}

}  // namespace
}  // namespace mu
