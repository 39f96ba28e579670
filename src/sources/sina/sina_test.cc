#include <gtest/gtest.h>

#include "sources/source.h"
#include "sources/testing/source_testing.h"

namespace mu {

Status register_sina_sources(SourceRegistry& registry);

namespace {

using namespace source_testing;  // NOLINT(google-build-using-namespace)

class SinaHot : public ::testing::Test {
 protected:
  const Source& board() {
    const Source* s = registry_.find("sina.hot");
    EXPECT_NE(s, nullptr);
    return *s;
  }
  SourceRegistry registry_ = make_registry(register_sina_sources);
};

TEST_F(SinaHot, ParsesFixture) {
  auto items = collect_fixture(board());
  ASSERT_TRUE(items.ok()) << items.status().to_string();
  ASSERT_EQ(items->size(), 12u);
  const Item& first = items->front();
  EXPECT_EQ(first.key, "inezqxy8123456-comos-news-cms");
  EXPECT_EQ(first.title, "2026年元旦假期出行高峰来临");
  EXPECT_EQ(first.url, "https://news.sina.cn/2025-12-31/detail-inezqxy8123456.d.html");
  EXPECT_EQ(first.hot, 4862000);
  EXPECT_EQ(first.hot_text, "486.2万");
  EXPECT_EQ(first.label, "沸");
  EXPECT_EQ((*items)[3].url, "https://news.sina.cn/2025-12-31/detail-inezqxy8134169.d.html");
  EXPECT_EQ((*items)[4].label, "");
  expect_sane_items(*items, 10);
}

TEST_F(SinaHot, ErrorsAreTyped) {
  auto api = collect_canned(board(), 200, R"({"status":-1,"msg":"newsId error"})");
  EXPECT_EQ(api.code(), ErrorCode::kParse);
  EXPECT_EQ(api.error_message(), "sina.hot: API error -1: newsId error");
  auto cut = collect_canned(board(), 200, R"({"status":0,"data":{"hotList":[{"info":{"ti)");
  EXPECT_EQ(cut.code(), ErrorCode::kParse);
  auto empty = collect_canned(board(), 200, R"({"status":0,"data":{"hotList":[]}})");
  EXPECT_EQ(empty.code(), ErrorCode::kParse);
  EXPECT_EQ(empty.error_message(), "sina.hot: data.hotList is empty");
  auto no_url = collect_canned(
      board(), 200, R"({"status":0,"data":{"hotList":[{"info":{"title":"x"},"base":7}]}})");
  EXPECT_EQ(no_url.code(), ErrorCode::kParse);  // nothing usable: finish_items says why
}

}  // namespace
}  // namespace mu
