#include <gtest/gtest.h>

#include "sources/source.h"
#include "sources/testing/source_testing.h"

namespace mu {

Status register_csdn_sources(SourceRegistry& registry);

namespace {

using namespace source_testing;  // NOLINT(google-build-using-namespace)

class CsdnHot : public ::testing::Test {
 protected:
  const Source& board() {
    const Source* s = registry_.find("csdn.hot");
    EXPECT_NE(s, nullptr);
    return *s;
  }
  SourceRegistry registry_ = make_registry(register_csdn_sources);
};

std::string extra(const Item& item, const std::string& key) {
  for (const auto& [k, v] : item.extra) {
    if (k == key) return v;
  }
  return {};
}

TEST_F(CsdnHot, ParsesFixture) {
  auto items = collect_fixture(board());
  ASSERT_TRUE(items.ok()) << items.status().to_string();
  ASSERT_EQ(items->size(), 11u);
  const Item& first = items->front();
  EXPECT_EQ(first.key, "144812345");
  EXPECT_EQ(first.title, "2025年度总结：从外包到大厂，我这一年的成长与反思");
  EXPECT_EQ(first.url, "https://blog.csdn.net/zhang_coder/article/details/144812345");
  EXPECT_EQ(first.hot, 32758);
  EXPECT_EQ(first.hot_text, "3.3w");
  EXPECT_EQ(first.author, "码农小张");
  EXPECT_EQ(extra(first, "viewCount"), "28541");
  EXPECT_EQ(extra(first, "commentCount"), "236");
  EXPECT_TRUE((*items)[1].image.empty());
  expect_sane_items(*items, 10);
}

TEST_F(CsdnHot, ErrorsAreTyped) {
  auto api = collect_canned(board(), 200, R"({"code":400,"message":"请求参数错误","data":null})");
  EXPECT_EQ(api.code(), ErrorCode::kParse);
  EXPECT_EQ(api.error_message(), "csdn.hot: API error 400: 请求参数错误");
  auto cut = collect_canned(board(), 200, R"({"code":200,"data":[{"articleTitle":"深入)");
  EXPECT_EQ(cut.code(), ErrorCode::kParse);
  auto waf =
      collect_canned(board(), 521, "<html><script>document.cookie='__jsl_clearance'</script>");
  EXPECT_EQ(waf.code(), ErrorCode::kHttp);
  auto odd = collect_canned(
      board(), 200,
      R"({"code":200,"data":[{"articleTitle":"x","articleDetailUrl":"http://blog.csdn.net/a/article/details/1","hotRankScore":"n/a","pcHotRankScore":"1.2w"}]})");
  ASSERT_TRUE(odd.ok()) << odd.status().to_string();
  EXPECT_EQ(odd->front().url, "https://blog.csdn.net/a/article/details/1");
  EXPECT_EQ(odd->front().hot, 12000);
  EXPECT_EQ(odd->front().key, "https://blog.csdn.net/a/article/details/1");
}

}  // namespace
}  // namespace mu
