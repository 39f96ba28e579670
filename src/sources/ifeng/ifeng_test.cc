#include <gtest/gtest.h>

#include "sources/source.h"
#include "sources/testing/source_testing.h"

namespace mu {

Status register_ifeng_sources(SourceRegistry& registry);

namespace {

using namespace source_testing;  // NOLINT(google-build-using-namespace)

class IfengHot : public ::testing::Test {
 protected:
  const Source& board() {
    const Source* s = registry_.find("ifeng.hot");
    EXPECT_NE(s, nullptr);
    return *s;
  }
  SourceRegistry registry_ = make_registry(register_ifeng_sources);
};

TEST_F(IfengHot, ParsesFixture) {
  auto items = collect_fixture(board());
  ASSERT_TRUE(items.ok()) << items.status().to_string();
  ASSERT_EQ(items->size(), 12u);  // hotNews1 only
  const Item& first = items->front();
  EXPECT_EQ(first.key, "https://news.ifeng.com/c/8pkY9pF34Qy");
  EXPECT_EQ(first.title, "新年第一天，这些新规正式施行");
  EXPECT_EQ(first.url, "https://news.ifeng.com/c/8pkY9pF34Qy");
  EXPECT_EQ(first.author, "凤凰网资讯");
  EXPECT_EQ(first.published_at_ms, 1767222765000);  // 2026-01-01 07:12:45 +08:00
  EXPECT_FALSE(first.hot.has_value());
  EXPECT_EQ((*items)[3].url, "https://news.ifeng.com/c/8pA7YeEEBY3");  // was "//news.ifeng..."
  for (const Item& item : *items) EXPECT_NE(item.title, "财经要闻：年末资金面平稳");
  expect_sane_items(*items, 10);
}

TEST_F(IfengHot, PageWithoutDataIsParseError) {
  auto r = collect_canned(board(), 200,
                          "<html><head><title>访问验证</title></head><body>请稍候</body></html>",
                          "text/html");
  EXPECT_EQ(r.code(), ErrorCode::kParse);
  EXPECT_EQ(r.error_message(), "ifeng.hot: no `var allData` in the page titled \"访问验证\"");
}

TEST_F(IfengHot, TruncatedOrMistypedData) {
  auto cut = collect_canned(board(), 200, R"(<script>var allData = {"hotNews1":[{"url":"https:)");
  EXPECT_EQ(cut.code(), ErrorCode::kParse);
  auto wrong = collect_canned(board(), 200, R"(<script>var allData = {"hotNews1":{}};</script>)");
  EXPECT_EQ(wrong.code(), ErrorCode::kParse);
  EXPECT_EQ(wrong.error_message(), "ifeng.hot: hotNews1: expected array, got object");
  auto js =
      collect_canned(board(), 200,
                     R"js(<script>var allData = {"hotNews1":[{"url":"javascript:void(0)",)js"
                     R"("title":"x"},{"url":"/c/8pRel","title":"相对链接","newsTime":"刚刚"}]};)"
                     R"(</script>)");
  ASSERT_TRUE(js.ok()) << js.status().to_string();
  ASSERT_EQ(js->size(), 1u);
  EXPECT_EQ(js->front().url, "https://www.ifeng.com/c/8pRel");
  EXPECT_FALSE(js->front().published_at_ms.has_value());
}

}  // namespace
}  // namespace mu
