#include <gtest/gtest.h>

#include "sources/source.h"
#include "sources/testing/source_testing.h"

namespace mu {

Status register_smzdm_sources(SourceRegistry& registry);

namespace {

using namespace source_testing;  // NOLINT(google-build-using-namespace)

class SmzdmHot : public ::testing::Test {
 protected:
  const Source& board() {
    const Source* s = registry_.find("smzdm.hot");
    EXPECT_NE(s, nullptr);
    return *s;
  }
  SourceRegistry registry_ = make_registry(register_smzdm_sources);
};

TEST_F(SmzdmHot, ParsesFixture) {
  auto items = collect_fixture(board());
  ASSERT_TRUE(items.ok()) << items.status().to_string();
  ASSERT_EQ(items->size(), 11u);
  const Item& first = items->front();
  EXPECT_EQ(first.key, "113845210");
  EXPECT_EQ(first.title, "年货节囤货清单：这些零食和粮油值得提前买");
  EXPECT_EQ(first.url, "https://post.smzdm.com/p/a13845210/");
  EXPECT_EQ(first.hot, 4321);
  EXPECT_EQ(first.hot_text, "4321 收藏");
  EXPECT_EQ(first.author, "精打细算的猫");
  EXPECT_EQ(first.published_at_ms, 1767150000000);
  expect_sane_items(*items, 10);
}

TEST_F(SmzdmHot, ErrorsAreTyped) {
  auto api = collect_canned(board(), 200, R"({"error_code":1,"error_msg":"参数错误","data":[]})");
  EXPECT_EQ(api.code(), ErrorCode::kParse);
  EXPECT_EQ(api.error_message(), "smzdm.hot: API error 1: 参数错误");
  // The JS challenge page the site shows to bursts of requests.
  auto challenge = collect_canned(
      board(), 200, "<html><head><script>var arg1='3A1F';</script></head><body></body></html>",
      "text/html");
  EXPECT_EQ(challenge.code(), ErrorCode::kParse);
  EXPECT_EQ(challenge.error_message().rfind("smzdm.hot: invalid JSON at offset 0", 0), 0u)
      << challenge.error_message();
  auto odd = collect_canned(board(), 200,
                            R"({"error_code":0,"data":[{"article_id":77,"title":"无链接",)"
                            R"("time_sort":1767150000123}]})");
  ASSERT_TRUE(odd.ok()) << odd.status().to_string();
  EXPECT_EQ(odd->front().url, "https://post.smzdm.com/p/77/");
  EXPECT_EQ(odd->front().published_at_ms, 1767150000123);
}

}  // namespace
}  // namespace mu
