#include <gtest/gtest.h>

#include "sources/source.h"
#include "sources/testing/source_testing.h"

namespace mu {

Status register_juejin_sources(SourceRegistry& registry);

namespace {

using namespace source_testing;  // NOLINT(google-build-using-namespace)

class JuejinHot : public ::testing::Test {
 protected:
  const Source& board() {
    const Source* s = registry_.find("juejin.hot");
    EXPECT_NE(s, nullptr);
    return *s;
  }
  SourceRegistry registry_ = make_registry(register_juejin_sources);
};

std::string extra(const Item& item, const std::string& key) {
  for (const auto& [k, v] : item.extra) {
    if (k == key) return v;
  }
  return {};
}

TEST_F(JuejinHot, ParsesFixture) {
  auto items = collect_fixture(board());
  ASSERT_TRUE(items.ok()) << items.status().to_string();
  ASSERT_EQ(items->size(), 11u);
  const Item& first = items->front();
  EXPECT_EQ(first.key, "7454123456789012345");
  EXPECT_EQ(first.title, "2025 年终总结：从前端到全栈，我的转型之路");
  EXPECT_EQ(first.url, "https://juejin.cn/post/7454123456789012345");
  EXPECT_EQ(first.hot, 15873);
  EXPECT_EQ(first.hot_text, "15873 热度");
  EXPECT_EQ(first.author, "前端老猫");
  EXPECT_EQ(first.published_at_ms, 1767060000000);
  EXPECT_EQ(extra(first, "view"), "12034");
  EXPECT_EQ(extra(first, "comment_count"), "87");
  expect_sane_items(*items, 10);
}

TEST_F(JuejinHot, ErrorsAreTyped) {
  auto api = collect_canned(board(), 200, R"({"err_no":2,"err_msg":"参数错误","data":null})");
  EXPECT_EQ(api.code(), ErrorCode::kParse);
  EXPECT_EQ(api.error_message(), "juejin.hot: API error 2: 参数错误");
  auto cut = collect_canned(board(), 200, R"({"err_no":0,"data":[{"content":{"content_id":"74)");
  EXPECT_EQ(cut.code(), ErrorCode::kParse);
  EXPECT_EQ(cut.error_message().rfind("juejin.hot: invalid JSON at offset ", 0), 0u);
  auto huge = collect_canned(
      board(), 200,
      R"({"err_no":0,"data":[{"content":{"content_id":"1","title":"大数","ctime":"99999999999999999999"},)"
      R"("content_counter":{"hot_rank":1e400}}]})");
  // 1e400 overflows a double: Boost.JSON rejects it, which is a parse error, not a crash.
  EXPECT_FALSE(huge.ok() && huge->front().published_at_ms.has_value());
}

}  // namespace
}  // namespace mu
