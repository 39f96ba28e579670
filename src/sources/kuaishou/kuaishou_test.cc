#include <gtest/gtest.h>

#include "sources/source.h"
#include "sources/testing/source_testing.h"

namespace mu {

Status register_kuaishou_sources(SourceRegistry& registry);

namespace {

using namespace source_testing;  // NOLINT(google-build-using-namespace)

class KuaishouHot : public ::testing::Test {
 protected:
  const Source& board() {
    const Source* s = registry_.find("kuaishou.hot");
    EXPECT_NE(s, nullptr);
    return *s;
  }
  SourceRegistry registry_ = make_registry(register_kuaishou_sources);
};

std::string extra(const Item& item, const std::string& key) {
  for (const auto& [k, v] : item.extra) {
    if (k == key) return v;
  }
  return {};
}

TEST_F(KuaishouHot, ParsesFixture) {
  auto items = collect_fixture(board());
  ASSERT_TRUE(items.ok()) << items.status().to_string();
  ASSERT_EQ(items->size(), 12u);
  const Item& first = items->front();
  EXPECT_EQ(first.key, "ca75c98c070e44a58131d962bf403345");
  EXPECT_EQ(first.title, "新年第一天的日出有多美");
  EXPECT_EQ(first.url, "https://www.kuaishou.com/short-video/3xn93ytybmjjm4e");
  EXPECT_EQ(first.hot, 15236000);
  EXPECT_EQ(first.hot_text, "1523.6万");
  EXPECT_EQ(first.image.rfind("https://p1.a.yximgs.com/upic/2025/12/31/14/", 0), 0u);
  EXPECT_EQ(extra(first, "rank"), "1");
  // A URL-encoded poster is decoded.
  EXPECT_EQ((*items)[2].image.rfind("https://p1.a.yximgs.com/upic/2025/12/31/12/", 0), 0u);
  // An entry without a video links to the search page.
  EXPECT_EQ((*items)[10].url,
            "https://www.kuaishou.com/search/video?searchKey="
            "%E5%8D%9A%E7%89%A9%E9%A6%86%E9%87%8C%E7%9A%84%E6%96%B0%E5%B9%B4%E5%BD%A9%E8%9B%8B");
  expect_sane_items(*items, 12);
}

TEST_F(KuaishouHot, ReadsReferencesThroughRootQuery) {
  const std::string page =
      R"j(<html><head><title>快手</title></head><body><script>window.__APOLLO_STATE__ = {)j"
      R"j("defaultClient":{"ROOT_QUERY":{"visionHotRank({\"page\":\"home\"})":)j"
      R"j({"__ref":"VisionHotRankResult:home"}},"VisionHotRankResult:home":{"items":[)j"
      R"j({"__ref":"VisionHotRankItem:a1"},{"__ref":"VisionHotRankItem:missing"},)j"
      R"j({"__ref":"VisionHotRankItem:b2"}]},)j"
      R"j("VisionHotRankItem:a1":{"rank":0,"name":"寒潮来袭 \"}{\" 多地降雪","hotValue":"987.6万",)j"
      R"j("photoIds":{"type":"json","json":["3xabc"]},"id":"a1"},)j"
      R"j("VisionHotRankItem:b2":{"rank":1,"name":"春运开售","hotValue":12345,"id":"b2"}}};)j"
      R"j((function(){}());</script></body></html>)j";
  auto r = collect_canned(board(), 200, page, "text/html; charset=utf-8");
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].title, "寒潮来袭 \"}{\" 多地降雪");  // braces inside strings are skipped
  EXPECT_EQ((*r)[0].url, "https://www.kuaishou.com/short-video/3xabc");
  EXPECT_EQ((*r)[0].hot, 9876000);
  EXPECT_EQ((*r)[1].hot, 12345);
  EXPECT_EQ((*r)[1].url,
            "https://www.kuaishou.com/search/video?searchKey=%E6%98%A5%E8%BF%90%E5%BC%80%E5%94%AE");
}

TEST_F(KuaishouHot, CaptchaPageIsBlocked) {
  auto r = collect_canned(board(), 200,
                          "<html><head><title>安全验证</title></head><body><div "
                          "id=\"captcha-container\"></div></body></html>",
                          "text/html; charset=utf-8");
  EXPECT_EQ(r.code(), ErrorCode::kBlocked);
  EXPECT_EQ(r.error_message(),
            "kuaishou.hot: no window.__APOLLO_STATE__ in the page titled \"安全验证\" (an anti-bot "
            "check)");
}

TEST_F(KuaishouHot, BrokenStateIsParseError) {
  auto truncated = collect_canned(
      board(), 200, R"(<script>window.__APOLLO_STATE__={"defaultClient":{"ROOT_QUERY":{)");
  EXPECT_EQ(truncated.code(), ErrorCode::kParse);
  EXPECT_EQ(truncated.error_message(),
            "kuaishou.hot: window.__APOLLO_STATE__ is not a complete object");
  auto invalid =
      collect_canned(board(), 200, R"(<script>window.__APOLLO_STATE__={"a":01};</script>)");
  EXPECT_EQ(invalid.code(), ErrorCode::kParse);
  EXPECT_EQ(invalid.error_message().rfind("kuaishou.hot: __APOLLO_STATE__: invalid JSON", 0), 0u)
      << invalid.error_message();
  auto no_rank = collect_canned(
      board(), 200,
      R"(<script>window.__APOLLO_STATE__={"defaultClient":{"ROOT_QUERY":{}}};</script>)");
  EXPECT_EQ(no_rank.code(), ErrorCode::kParse);
  EXPECT_EQ(no_rank.error_message(), "kuaishou.hot: no visionHotRank in __APOLLO_STATE__");
  auto plain = collect_canned(board(), 200, "<html><head><title>快手</title></head></html>");
  EXPECT_EQ(plain.code(), ErrorCode::kParse);
}

}  // namespace
}  // namespace mu
