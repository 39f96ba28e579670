#include <gtest/gtest.h>

#include "sources/source.h"
#include "sources/testing/source_testing.h"

namespace mu {

Status register_toutiao_sources(SourceRegistry& registry);

namespace {

using namespace source_testing;  // NOLINT(google-build-using-namespace)

class ToutiaoHot : public ::testing::Test {
 protected:
  const Source& board() {
    const Source* s = registry_.find("toutiao.hot");
    EXPECT_NE(s, nullptr);
    return *s;
  }
  SourceRegistry registry_ = make_registry(register_toutiao_sources);
};

std::string extra(const Item& item, const std::string& key) {
  for (const auto& [k, v] : item.extra) {
    if (k == key) return v;
  }
  return {};
}

TEST_F(ToutiaoHot, ParsesFixture) {
  auto items = collect_fixture(board());
  ASSERT_TRUE(items.ok()) << items.status().to_string();
  ASSERT_EQ(items->size(), 12u);  // the pinned fixed_top_data headline is not included
  const Item& first = items->front();
  EXPECT_EQ(first.key, "7589000615448810179");
  EXPECT_EQ(first.title, "新年首日全国铁路预计发送旅客1500万人次");
  EXPECT_EQ(first.url, "https://www.toutiao.com/trending/7589000615448810179/");
  EXPECT_EQ(first.hot, 39876512);
  EXPECT_EQ(first.hot_text, "39876512");
  EXPECT_EQ(first.label, "热");
  EXPECT_EQ(first.image.rfind("https://p3-sign.toutiaoimg.com/tos-cn-i-qvj2lq49k0/", 0), 0u);
  EXPECT_EQ(extra(first, "query"), "新年首日全国铁路");
  EXPECT_EQ(extra(first, "categories"), "society");
  EXPECT_EQ((*items)[1].label, "新");
  EXPECT_EQ((*items)[2].label, "");
  EXPECT_EQ((*items)[4].label, "辟谣");
  EXPECT_EQ(extra((*items)[1], "categories"), "politics,law");
  for (const Item& item : *items) EXPECT_NE(item.title, "新年贺词全文");
  expect_sane_items(*items, 12);
}

TEST_F(ToutiaoHot, ReadsNumericClusterIdAndSkipsBadEntries) {
  auto r = collect_canned(
      board(), 200,
      R"({"status":"success","data":[{"ClusterId":7590000000000000001,"Title":"无字符串ID",)"
      R"("HotValue":"1e400","Url":"https://www.toutiao.com/trending/7590000000000000001/?rank=1"},)"
      R"({"Title":"没有链接"},"junk"]})");
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ(r->front().key, "7590000000000000001");
  EXPECT_EQ(r->front().url, "https://www.toutiao.com/trending/7590000000000000001/");
  EXPECT_FALSE(r->front().hot.has_value());
}

TEST_F(ToutiaoHot, ErrorsAreTyped) {
  auto truncated = collect_canned(board(), 200, R"({"data":[{"ClusterIdStr":"75)");
  EXPECT_EQ(truncated.code(), ErrorCode::kParse);
  EXPECT_EQ(truncated.error_message().rfind("toutiao.hot: invalid JSON at offset ", 0), 0u)
      << truncated.error_message();
  auto failed = collect_canned(board(), 200, R"({"status":"error","message":"访问过于频繁"})");
  EXPECT_EQ(failed.code(), ErrorCode::kParse);
  EXPECT_EQ(failed.error_message(), "toutiao.hot: API answered status \"error\": 访问过于频繁");
  auto wall = collect_canned(board(), 403, "<html><title>验证码</title></html>");
  EXPECT_EQ(wall.code(), ErrorCode::kBlocked);
}

}  // namespace
}  // namespace mu
