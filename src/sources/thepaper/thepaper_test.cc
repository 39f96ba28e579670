#include <gtest/gtest.h>

#include "sources/source.h"
#include "sources/testing/source_testing.h"

namespace mu {

Status register_thepaper_sources(SourceRegistry& registry);

namespace {

using namespace source_testing;  // NOLINT(google-build-using-namespace)

class ThepaperHot : public ::testing::Test {
 protected:
  const Source& board() {
    const Source* s = registry_.find("thepaper.hot");
    EXPECT_NE(s, nullptr);
    return *s;
  }
  SourceRegistry registry_ = make_registry(register_thepaper_sources);
};

std::string extra(const Item& item, const std::string& key) {
  for (const auto& [k, v] : item.extra) {
    if (k == key) return v;
  }
  return {};
}

TEST_F(ThepaperHot, ParsesFixture) {
  auto items = collect_fixture(board());
  ASSERT_TRUE(items.ok()) << items.status().to_string();
  ASSERT_EQ(items->size(), 12u);
  const Item& first = items->front();
  EXPECT_EQ(first.key, "31935813");
  EXPECT_EQ(first.title, "新年首日，多地文旅消费迎来“开门红”");
  EXPECT_EQ(first.url, "https://www.thepaper.cn/newsDetail_forward_31935813");
  EXPECT_EQ(first.mobile_url, "https://m.thepaper.cn/newsDetail_forward_31935813");
  EXPECT_EQ(first.hot, 3651);
  EXPECT_EQ(first.hot_text, "3651 赞");
  EXPECT_EQ(first.published_at_ms, 1767213240000);
  EXPECT_EQ(first.image, "https://imagecloud.thepaper.cn/thepaper/image/325/428/400.jpg");
  EXPECT_EQ(extra(first, "channel"), "财经上下游");
  EXPECT_EQ(extra(first, "comments"), "2310");
  expect_sane_items(*items, 12);
}

TEST_F(ThepaperHot, SkipsEntriesWithoutAnId) {
  auto r = collect_canned(board(), 200,
                          R"({"code":200,"data":{"hotNews":[{"name":"无编号"},)"
                          R"({"contId":31900001,"name":"数字编号","praiseTimes":"-"},[]]}})");
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ(r->front().url, "https://www.thepaper.cn/newsDetail_forward_31900001");
  EXPECT_FALSE(r->front().hot.has_value());
}

TEST_F(ThepaperHot, ErrorsAreTyped) {
  auto truncated = collect_canned(board(), 200, R"({"code":200,"data":{"hotNews":[{"contId":"3)");
  EXPECT_EQ(truncated.code(), ErrorCode::kParse);
  EXPECT_EQ(truncated.error_message().rfind("thepaper.hot: invalid JSON at offset ", 0), 0u)
      << truncated.error_message();
  auto failed = collect_canned(board(), 200, R"({"code":500,"desc":"系统繁忙","data":null})");
  EXPECT_EQ(failed.code(), ErrorCode::kParse);
  EXPECT_EQ(failed.error_message(), "thepaper.hot: API answered code 500: 系统繁忙");
  auto empty = collect_canned(board(), 200, R"({"code":200,"data":{"hotNews":[]}})");
  EXPECT_EQ(empty.code(), ErrorCode::kParse);
  EXPECT_EQ(empty.error_message(), "thepaper.hot: data.hotNews holds no articles");
}

}  // namespace
}  // namespace mu
