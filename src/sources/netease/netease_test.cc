#include <gtest/gtest.h>

#include "sources/source.h"
#include "sources/testing/source_testing.h"

namespace mu {

Status register_netease_sources(SourceRegistry& registry);

namespace {

using namespace source_testing;  // NOLINT(google-build-using-namespace)

class NeteaseHot : public ::testing::Test {
 protected:
  const Source& board() {
    const Source* s = registry_.find("netease.hot");
    EXPECT_NE(s, nullptr);
    return *s;
  }
  SourceRegistry registry_ = make_registry(register_netease_sources);
};

TEST_F(NeteaseHot, ParsesFixture) {
  auto items = collect_fixture(board());
  ASSERT_TRUE(items.ok()) << items.status().to_string();
  ASSERT_EQ(items->size(), 11u);
  const Item& first = items->front();
  EXPECT_EQ(first.key, "KJ5301000001899O");
  EXPECT_EQ(first.title, "元旦假期首日全国铁路预计发送旅客1680万人次");
  EXPECT_EQ(first.url, "https://www.163.com/dy/article/KJ5301000001899O.html");
  EXPECT_EQ(first.mobile_url, "https://m.163.com/dy/article/KJ5301000001899O.html");
  EXPECT_EQ(first.hot, 23415);
  EXPECT_EQ(first.hot_text, "23415 跟帖");
  EXPECT_EQ(first.author, "央视新闻");
  EXPECT_EQ(first.published_at_ms, 1767175337000);  // 2025-12-31 18:02:17 +08:00
  expect_sane_items(*items, 10);
}

TEST_F(NeteaseHot, ErrorsAreTyped) {
  auto api = collect_canned(board(), 200, R"({"code":500,"message":"系统繁忙"})");
  EXPECT_EQ(api.code(), ErrorCode::kParse);
  EXPECT_EQ(api.error_message(), "netease.hot: API error 500: 系统繁忙");
  auto cut = collect_canned(board(), 200, R"({"code":200,"data":{"list":[{"docid":"KJ53)");
  EXPECT_EQ(cut.code(), ErrorCode::kParse);
  EXPECT_EQ(cut.error_message().rfind("netease.hot: invalid JSON at offset ", 0), 0u);
  auto waf = collect_canned(board(), 403, "<html>403 Forbidden</html>");
  EXPECT_EQ(waf.code(), ErrorCode::kBlocked);
  auto odd = collect_canned(
      board(), 200, R"({"code":200,"data":{"list":[{"docid":"A1","title":"t","ptime":"昨天"}]}})");
  ASSERT_TRUE(odd.ok());
  EXPECT_FALSE(odd->front().published_at_ms.has_value());
}

}  // namespace
}  // namespace mu
