#include <gtest/gtest.h>

#include "sources/common/http_util.h"
#include "sources/source.h"
#include "sources/testing/source_testing.h"

namespace mu {

Status register_zhihu_sources(SourceRegistry& registry);

namespace {

using namespace source_testing;  // NOLINT(google-build-using-namespace)

class ZhihuHot : public ::testing::Test {
 protected:
  const Source& board() {
    const Source* s = registry_.find("zhihu.hot");
    EXPECT_NE(s, nullptr);
    return *s;
  }
  SourceRegistry registry_ = make_registry(register_zhihu_sources);
};

std::string extra(const Item& item, const std::string& key) {
  for (const auto& [k, v] : item.extra) {
    if (k == key) return v;
  }
  return {};
}

TEST_F(ZhihuHot, ParsesFixtureInCardFormat) {
  auto items = collect_fixture(board());
  ASSERT_TRUE(items.ok()) << items.status().to_string();
  ASSERT_EQ(items->size(), 30u);
  const Item& first = items->front();
  EXPECT_EQ(first.key, "2019823746519283746");
  EXPECT_EQ(first.title, "新年第一天，你给自己定下了哪些 2026 年的目标？");
  EXPECT_EQ(first.url, "https://www.zhihu.com/question/2019823746519283746");
  EXPECT_EQ(first.hot, 21230000);
  EXPECT_EQ(first.hot_text, "2123 万热度");
  EXPECT_EQ(first.label, "热");
  EXPECT_EQ(extra(first, "answers"), "1893");
  EXPECT_FALSE(first.summary.empty());
  EXPECT_EQ(first.image.rfind("https://pica.zhimg.com/", 0), 0u);
  EXPECT_EQ((*items)[5].image, "");  // an entry without a picture
  EXPECT_EQ((*items)[5].key, "325718904");
  EXPECT_EQ((*items)[6].label, "新");
  expect_sane_items(*items, 30);
}

TEST_F(ZhihuHot, ParsesRealCaptureInCardFormat) {
  auto path = real_capture("zhihu/hot-list-web.json");
  if (!path) GTEST_SKIP() << "real capture not present (../shared/fixtures/real)";
  auto items = collect_canned(board(), 200, read_file(*path), "application/json");
  ASSERT_TRUE(items.ok()) << items.status().to_string();
  EXPECT_EQ(items->size(), 30u);
  const Item& first = items->front();
  EXPECT_EQ(first.key, "2013938239111709347");
  EXPECT_EQ(first.url, "https://www.zhihu.com/question/2013938239111709347");
  EXPECT_EQ(first.hot, 7790000);
  EXPECT_EQ(first.label, "热");
  expect_sane_items(*items, 30);
}

TEST_F(ZhihuHot, ParsesRealCaptureInOldFormat) {
  auto path = real_capture("zhihu/hot-lists-total.json");
  if (!path) GTEST_SKIP() << "real capture not present (../shared/fixtures/real)";
  auto items = collect_canned(board(), 200, read_file(*path), "application/json");
  ASSERT_TRUE(items.ok()) << items.status().to_string();
  EXPECT_EQ(items->size(), 50u);
  const Item& first = items->front();
  EXPECT_EQ(first.key, "438275588");
  EXPECT_EQ(first.url, "https://www.zhihu.com/question/438275588");  // not the API URL
  EXPECT_EQ(first.hot, 46060000);
  EXPECT_EQ(first.hot_text, "4606 万热度");
  EXPECT_EQ(first.published_at_ms, 1609996409000);
  EXPECT_EQ(extra(first, "answers"), "958");
  EXPECT_EQ(first.image.rfind("https://pic1.zhimg.com/", 0), 0u);
  EXPECT_TRUE(first.title.find("大头娃娃") != std::string::npos);
  for (const Item& it : *items) EXPECT_EQ(it.url.find("api.zhihu.com"), std::string::npos);
  expect_sane_items(*items, 30);
}

TEST_F(ZhihuHot, OldFormatArticleUrlsBecomeWebUrls) {
  auto r = collect_canned(
      board(), 200,
      R"({"data":[{"card_id":"A_1","target":{"id":991,"title":"专栏文章","type":"article",)"
      R"("url":"https://api.zhihu.com/articles/991"},"detail_text":"12 万热度"}]})");
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->front().url, "https://zhuanlan.zhihu.com/p/991");
  EXPECT_EQ(r->front().key, "A_1");
  EXPECT_EQ(r->front().hot, 120000);
}

TEST_F(ZhihuHot, SendsCookieWhenConfigured) {
  CannedTransport transport(
      200,
      R"({"data":[{"target":{"title_area":{"text":"t"},"link":{"url":"https://www.zhihu.com/question/1"}}}]})");
  FakeClock clock;
  std::map<std::string, std::string> secrets{{"zhihu.cookie", "z_c0=2|1:0|abc"}};
  SourceContext ctx{transport, clock, &secrets};
  ASSERT_TRUE(board().collect(ctx).ok());
  const HttpRequest req = transport.requests().at(0);
  EXPECT_EQ(req.url, "https://www.zhihu.com/api/v3/feed/topstory/hot-lists/total?limit=50");
  EXPECT_EQ(find_header(req.headers, "Cookie"), "z_c0=2|1:0|abc");
  EXPECT_EQ(find_header(req.headers, "User-Agent"), kBrowserUserAgent);
}

TEST_F(ZhihuHot, TruncatedJsonIsParseError) {
  auto r = collect_canned(board(), 200, R"({"data":[{"type":"hot_list_feed","target":{"title_ar)");
  EXPECT_EQ(r.code(), ErrorCode::kParse);
  EXPECT_EQ(r.error_message().rfind("zhihu.hot: invalid JSON at offset ", 0), 0u)
      << r.error_message();
}

TEST_F(ZhihuHot, ApiErrorBodyIsBlocked) {
  auto r = collect_canned(
      board(), 200,
      R"({"error":{"code":10003,"message":"请求参数异常，请升级客户端后重试。","name":"ERR_PARAM"}})");
  EXPECT_EQ(r.code(), ErrorCode::kBlocked);
  EXPECT_EQ(r.error_message(), "zhihu.hot: API error 10003: 请求参数异常，请升级客户端后重试。");
  auto unauthorized =
      collect_canned(board(), 401, R"({"error":{"code":100,"message":"请先登录"}})");
  EXPECT_EQ(unauthorized.code(), ErrorCode::kBlocked);
}

TEST_F(ZhihuHot, WrongShapeIsParseError) {
  auto r = collect_canned(board(), 200, R"({"data":{"list":[]},"paging":{}})");
  EXPECT_EQ(r.code(), ErrorCode::kParse);
  EXPECT_EQ(r.error_message(), "zhihu.hot: data: expected array, got object");
}

TEST_F(ZhihuHot, Http500IsHttpError) {
  EXPECT_EQ(collect_canned(board(), 500, "Internal Server Error").code(), ErrorCode::kHttp);
}

TEST_F(ZhihuHot, NonHttpLinksAreDropped) {
  auto r = collect_canned(
      board(), 200,
      R"js({"data":[{"target":{"title_area":{"text":"坏链接"},"link":{"url":"javascript:alert(1)"}}},)js"
      R"({"target":{"title_area":{"text":"好链接"},"link":{"url":"https://www.zhihu.com/question/7"},)"
      R"js("image_area":{"url":"javascript:void(0)"}}}]})js");
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ(r->front().title, "好链接");
  EXPECT_EQ(r->front().image, "");
}

}  // namespace
}  // namespace mu
