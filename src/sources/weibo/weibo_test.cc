#include <gtest/gtest.h>

#include "sources/common/http_util.h"
#include "sources/source.h"
#include "sources/testing/source_testing.h"

namespace mu {

Status register_weibo_sources(SourceRegistry& registry);

namespace {

using namespace source_testing;  // NOLINT(google-build-using-namespace)

class WeiboHotSearch : public ::testing::Test {
 protected:
  const Source& board() {
    const Source* s = registry_.find("weibo.hot-search");
    EXPECT_NE(s, nullptr);
    return *s;
  }
  SourceRegistry registry_ = make_registry(register_weibo_sources);
};

TEST_F(WeiboHotSearch, ParsesFixture) {
  auto items = collect_fixture(board());
  ASSERT_TRUE(items.ok()) << items.status().to_string();
  ASSERT_EQ(items->size(), 50u);  // 51 entries, one of them an ad
  const Item& first = items->front();
  EXPECT_EQ(first.key, "元旦快乐");
  EXPECT_EQ(first.title, "元旦快乐");
  EXPECT_EQ(first.url, "https://s.weibo.com/weibo?q=%23%E5%85%83%E6%97%A6%E5%BF%AB%E4%B9%90%23");
  EXPECT_EQ(
      first.mobile_url,
      "https://m.weibo.cn/search?containerid=100103type%3D1%26q%3D%23%E5%85%83%E6%97%A6%E5%BF%"
      "AB%E4%B9%90%23");
  EXPECT_EQ(first.hot, 1286542);
  EXPECT_EQ(first.hot_text, "1286542");
  EXPECT_EQ(first.label, "");
  expect_sane_items(*items, 30);

  EXPECT_EQ((*items)[2].title, "跨年晚会收视率出炉");
  EXPECT_EQ((*items)[2].label, "热");
  EXPECT_EQ((*items)[3].label, "新");  // the ad between them is gone
  for (const Item& it : *items) {
    EXPECT_NE(it.title, "新年焕新季好物直降") << "ad leaked into the list";
  }
  EXPECT_EQ((*items)[8].label, "爆");
  EXPECT_EQ((*items)[15].label, "沸");
}

TEST_F(WeiboHotSearch, ParsesRealCapture) {
  auto path = real_capture("weibo/hot-search.json");
  if (!path) GTEST_SKIP() << "real capture not present (../shared/fixtures/real)";
  auto items = collect_canned(board(), 200, read_file(*path), "application/json");
  ASSERT_TRUE(items.ok()) << items.status().to_string();
  EXPECT_EQ(items->size(), 50u);
  EXPECT_EQ(items->front().title, "NBA总决赛");
  EXPECT_EQ(items->front().hot, 1136119);
  EXPECT_EQ((*items)[2].label, "新");
  expect_sane_items(*items, 30);
}

TEST_F(WeiboHotSearch, SendsBrowserLikeRequest) {
  CannedTransport transport(200, R"({"ok":1,"data":{"realtime":[{"word":"a","num":1}]}})");
  FakeClock clock;
  std::map<std::string, std::string> secrets{{"weibo.cookie", "SUB=abc"}};
  SourceContext ctx{transport, clock, &secrets};
  ASSERT_TRUE(board().collect(ctx).ok());
  const std::vector<HttpRequest> requests = transport.requests();
  ASSERT_EQ(requests.size(), 1u);
  const HttpRequest& req = requests[0];
  EXPECT_EQ(req.url, "https://weibo.com/ajax/side/hotSearch");
  EXPECT_EQ(find_header(req.headers, "User-Agent"), kBrowserUserAgent);
  EXPECT_EQ(find_header(req.headers, "Referer"), "https://weibo.com/");
  EXPECT_EQ(find_header(req.headers, "Cookie"), "SUB=abc");
}

TEST_F(WeiboHotSearch, TruncatedJsonIsParseError) {
  auto r =
      collect_canned(board(), 200, R"({"ok":1,"data":{"realtime":[{"word":"元旦快乐","num":12)");
  EXPECT_EQ(r.code(), ErrorCode::kParse);
  EXPECT_EQ(r.error_message().rfind("weibo.hot-search: invalid JSON at offset ", 0), 0u)
      << r.error_message();
}

TEST_F(WeiboHotSearch, LoginWallIsBlocked) {
  auto r = collect_canned(
      board(), 200,
      R"({"ok":-100,"url":"https://weibo.com/login.php?url=https%3A%2F%2Fweibo.com%2F"})");
  EXPECT_EQ(r.code(), ErrorCode::kBlocked);
  EXPECT_EQ(r.error_message(), "weibo.hot-search: login required (ok=-100)");
}

TEST_F(WeiboHotSearch, WrongShapeIsParseErrorNamingThePath) {
  auto r = collect_canned(board(), 200, R"({"ok":1,"data":{}})");
  EXPECT_EQ(r.code(), ErrorCode::kParse);
  EXPECT_EQ(r.error_message(), "weibo.hot-search: data.realtime: missing");
  auto arr = collect_canned(board(), 200, R"([1,2,3])");
  EXPECT_EQ(arr.code(), ErrorCode::kParse);
  EXPECT_EQ(arr.error_message(), "weibo.hot-search: expected a JSON object, got array");
  auto empty = collect_canned(board(), 200, R"({"ok":1,"data":{"realtime":[]}})");
  EXPECT_EQ(empty.code(), ErrorCode::kParse);
}

TEST_F(WeiboHotSearch, Http500IsHttpError) {
  auto r = collect_canned(board(), 500, "<html><body>502 Bad Gateway</body></html>");
  EXPECT_EQ(r.code(), ErrorCode::kHttp);
  EXPECT_EQ(r.error_message(),
            "weibo.hot-search: HTTP 500 from https://weibo.com/ajax/side/hotSearch");
}

TEST_F(WeiboHotSearch, WordsAreEncodedIntoSearchUrls) {
  // Words are user text: whatever they hold, the URL stays a plain https search link.
  auto r = collect_canned(
      board(), 200,
      R"({"ok":1,"data":{"realtime":[{"word":"javascript:alert(1) & <b>","num":"88"},)"
      R"({"word":"","num":5},{"note":"no word"}]}})");
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ(r->front().url,
            "https://s.weibo.com/weibo?q=%23javascript%3Aalert%281%29%20%26%20%3Cb%3E%23");
  EXPECT_EQ(r->front().hot, 88);  // numbers sent as strings are accepted
}

TEST_F(WeiboHotSearch, Metadata) {
  const BoardMeta& m = board().meta();
  EXPECT_EQ(m.kind, BoardKind::kRank);
  EXPECT_EQ(m.group, "cn");
  EXPECT_EQ(m.schedule.every, std::chrono::minutes(5));
  const Site* site = registry_.find_site("weibo");
  ASSERT_NE(site, nullptr);
  EXPECT_EQ(site->name_zh, "微博");
  EXPECT_EQ(site->region, "cn");
}

}  // namespace
}  // namespace mu
