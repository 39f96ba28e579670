#include <gtest/gtest.h>

#include "sources/source.h"
#include "sources/testing/source_testing.h"

namespace mu {

Status register_tencent_sources(SourceRegistry& registry);

namespace {

using namespace source_testing;  // NOLINT(google-build-using-namespace)

class TencentHot : public ::testing::Test {
 protected:
  const Source& board() {
    const Source* s = registry_.find("tencent.hot");
    EXPECT_NE(s, nullptr);
    return *s;
  }
  SourceRegistry registry_ = make_registry(register_tencent_sources);
};

TEST_F(TencentHot, ParsesFixture) {
  auto items = collect_fixture(board());
  ASSERT_TRUE(items.ok()) << items.status().to_string();
  ASSERT_EQ(items->size(), 11u);  // the header card is skipped
  const Item& first = items->front();
  EXPECT_EQ(first.key, "20260101A002KA00");
  EXPECT_EQ(first.title, "新年首日，多地举行升国旗仪式");
  EXPECT_EQ(first.url, "https://news.qq.com/rain/a/20260101A002KA00");
  EXPECT_EQ(first.mobile_url, "https://view.inews.qq.com/a/20260101A002KA00");
  EXPECT_EQ(first.hot, 4862135);
  EXPECT_EQ(first.hot_text, "4862135 热度");
  EXPECT_EQ(first.author, "央视新闻");
  EXPECT_EQ(first.published_at_ms, 1767225002000);
  EXPECT_EQ(first.summary.rfind("1月1日清晨", 0), 0u);
  for (const Item& item : *items) EXPECT_NE(item.title, "腾讯新闻热点榜");
  expect_sane_items(*items, 10);
}

TEST_F(TencentHot, ErrorsAreTyped) {
  auto api = collect_canned(board(), 200, R"({"ret":-2,"errmsg":"invalid params"})");
  EXPECT_EQ(api.code(), ErrorCode::kParse);
  EXPECT_EQ(api.error_message(), "tencent.hot: API error -2: invalid params");
  auto cut = collect_canned(board(), 200, R"({"ret":0,"idlist":[{"newslist":[{"id":"2026)");
  EXPECT_EQ(cut.code(), ErrorCode::kParse);
  auto shape = collect_canned(board(), 200, R"({"ret":0,"idlist":[]})");
  EXPECT_EQ(shape.code(), ErrorCode::kParse);
  EXPECT_EQ(shape.error_message(), "tencent.hot: idlist[0].newslist: missing");
  auto header_only = collect_canned(
      board(), 200, R"({"ret":0,"idlist":[{"newslist":[{"id":"H","title":"腾讯新闻热点榜"}]}]})");
  EXPECT_EQ(header_only.code(), ErrorCode::kParse);
}

}  // namespace
}  // namespace mu
