#include <gtest/gtest.h>

#include "sources/source.h"
#include "sources/testing/source_testing.h"

namespace mu {

Status register_36kr_sources(SourceRegistry& registry);

namespace {

using namespace source_testing;  // NOLINT(google-build-using-namespace)

class Kr36Boards : public ::testing::Test {
 protected:
  const Source& board(const char* id) {
    const Source* s = registry_.find(id);
    EXPECT_NE(s, nullptr) << id;
    return *s;
  }
  SourceRegistry registry_ = make_registry(register_36kr_sources);
};

std::string extra(const Item& item, const std::string& key) {
  for (const auto& [k, v] : item.extra) {
    if (k == key) return v;
  }
  return {};
}

TEST_F(Kr36Boards, NewsflashesParseFixture) {
  auto items = collect_fixture(board("36kr.newsflashes"));
  ASSERT_TRUE(items.ok()) << items.status().to_string();
  ASSERT_EQ(items->size(), 12u);
  const Item& first = items->front();
  EXPECT_EQ(first.key, "3106215847260160");
  EXPECT_EQ(first.title, "小米汽车：2025年全年交付量超过40万辆");
  EXPECT_EQ(first.url, "https://www.36kr.com/newsflashes/3106215847260160");
  EXPECT_EQ(first.mobile_url, "https://m.36kr.com/newsflashes/3106215847260160");
  EXPECT_EQ(first.published_at_ms, 1767176520000);
  EXPECT_EQ(first.summary.rfind("36氪获悉，小米汽车官方微博宣布", 0), 0u);
  EXPECT_FALSE(first.hot.has_value());
  for (std::size_t i = 1; i < items->size(); ++i) {
    EXPECT_GT((*items)[i - 1].published_at_ms, (*items)[i].published_at_ms) << i;
  }
  expect_sane_items(*items, 10);
}

TEST_F(Kr36Boards, HotParsesFixture) {
  auto items = collect_fixture(board("36kr.hot"));
  ASSERT_TRUE(items.ok()) << items.status().to_string();
  ASSERT_EQ(items->size(), 11u);
  const Item& first = items->front();
  EXPECT_EQ(first.key, "3105998274163713");
  EXPECT_EQ(first.title, "2025年中国新能源车市场复盘：谁在狂飙，谁掉了队");
  EXPECT_EQ(first.url, "https://www.36kr.com/p/3105998274163713");
  EXPECT_EQ(first.hot, 186000);
  EXPECT_EQ(first.hot_text, "18.6万热度");
  EXPECT_EQ(first.author, "汽车产经");
  EXPECT_EQ(first.published_at_ms, 1767139200000);
  EXPECT_EQ(extra(first, "comments"), "153");
  expect_sane_items(*items, 10);
}

TEST_F(Kr36Boards, HotPostsTheMobileBodyWithTheClockTimestamp) {
  CannedTransport transport(
      200,
      R"({"code":0,"data":{"hotRankList":[{"itemId":1,"templateMaterial":{"widgetTitle":"t"}}]}})");
  FakeClock clock;
  SourceContext ctx{transport, clock};
  ASSERT_TRUE(board("36kr.hot").collect(ctx).ok());
  ASSERT_EQ(transport.requests().size(), 1u);
  const HttpRequest sent = transport.requests()[0];
  EXPECT_EQ(sent.method, "POST");
  EXPECT_EQ(
      sent.body,
      R"({"partner_id":"wap","param":{"siteId":1,"platformId":2},"timestamp":1767225600000})");
  EXPECT_EQ(find_header(sent.headers, "Content-Type"), "application/json; charset=utf-8");
}

TEST_F(Kr36Boards, VerificationPageIsParseError) {
  auto r = collect_canned(board("36kr.newsflashes"), 200,
                          "<html><head><title>请完成安全验证</title></head><body>"
                          "<div id=\"captcha\"></div></body></html>",
                          "text/html");
  EXPECT_EQ(r.code(), ErrorCode::kParse);
  EXPECT_EQ(r.error_message(),
            "36kr.newsflashes: no window.initialState in the page titled \"请完成安全验证\"");
}

TEST_F(Kr36Boards, TruncatedStateIsParseError) {
  auto r = collect_canned(board("36kr.newsflashes"), 200,
                          "<script>window.initialState={\"newsflashCatalogData\":{\"data\":{");
  EXPECT_EQ(r.code(), ErrorCode::kParse);
  auto wrong =
      collect_canned(board("36kr.newsflashes"), 200,
                     "<script>window.initialState={\"newsflashCatalogData\":null}</script>");
  EXPECT_EQ(wrong.code(), ErrorCode::kParse);
  EXPECT_NE(wrong.error_message().find("itemList: missing"), std::string::npos)
      << wrong.error_message();
}

TEST_F(Kr36Boards, HotApiErrorAndTruncation) {
  auto r = collect_canned(board("36kr.hot"), 200, R"({"code":40001,"msg":"参数错误"})");
  EXPECT_EQ(r.code(), ErrorCode::kParse);
  EXPECT_EQ(r.error_message(), "36kr.hot: API error 40001: 参数错误");
  auto cut = collect_canned(board("36kr.hot"), 200, R"({"code":0,"data":{"hotRankList":[{"it)");
  EXPECT_EQ(cut.code(), ErrorCode::kParse);
}

}  // namespace
}  // namespace mu
