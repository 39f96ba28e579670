#include <gtest/gtest.h>

#include "sources/source.h"
#include "sources/testing/source_testing.h"

namespace mu {

Status register_wallstreetcn_sources(SourceRegistry& registry);

namespace {

using namespace source_testing;  // NOLINT(google-build-using-namespace)

class WallstreetcnBoards : public ::testing::Test {
 protected:
  const Source& board(const char* id) {
    const Source* s = registry_.find(id);
    EXPECT_NE(s, nullptr) << id;
    return *s;
  }
  SourceRegistry registry_ = make_registry(register_wallstreetcn_sources);
};

TEST_F(WallstreetcnBoards, LivesParseFixture) {
  auto items = collect_fixture(board("wallstreetcn.lives"));
  ASSERT_TRUE(items.ok()) << items.status().to_string();
  ASSERT_EQ(items->size(), 12u);
  const Item& first = items->front();
  EXPECT_EQ(first.key, "3013872");
  EXPECT_EQ(first.title, "美股三大指数开盘涨跌不一");
  EXPECT_EQ(first.url, "https://wallstreetcn.com/livenews/3013872");
  EXPECT_EQ(first.published_at_ms, 1767176210000);
  EXPECT_FALSE(first.hot.has_value());
  // Untitled and without a 【】 lead: the text is the title.
  EXPECT_EQ((*items)[1].title, "美国上周初请失业金人数为21.9万人，预期22.3万人，前值22.4万人。");
  EXPECT_EQ((*items)[2].title, "欧洲主要股指收盘集体上涨");
  for (std::size_t i = 1; i < items->size(); ++i) {
    EXPECT_GT((*items)[i - 1].published_at_ms, (*items)[i].published_at_ms) << i;
  }
  expect_sane_items(*items, 10);
}

TEST_F(WallstreetcnBoards, HotParsesFixture) {
  auto items = collect_fixture(board("wallstreetcn.hot"));
  ASSERT_TRUE(items.ok()) << items.status().to_string();
  ASSERT_EQ(items->size(), 10u);  // day_items only
  const Item& first = items->front();
  EXPECT_EQ(first.key, "3761482");
  EXPECT_EQ(first.title, "2026年全球市场展望：降息周期的下半场");
  EXPECT_EQ(first.url, "https://wallstreetcn.com/articles/3761482");
  EXPECT_EQ(first.hot, 215631);
  EXPECT_EQ(first.published_at_ms, 1767142800000);
  EXPECT_EQ(first.image, "https://wpimg-wscn.awtmt.com/39654a-cover.jpg");
  expect_sane_items(*items, 10);
}

TEST_F(WallstreetcnBoards, ApiErrorIsParseError) {
  auto r = collect_canned(board("wallstreetcn.lives"), 200,
                          R"({"code":60301,"message":"channel not found","data":null})");
  EXPECT_EQ(r.code(), ErrorCode::kParse);
  EXPECT_EQ(r.error_message(), "wallstreetcn.lives: API error 60301: channel not found");
}

TEST_F(WallstreetcnBoards, TruncatedAndMistypedBodies) {
  auto cut = collect_canned(board("wallstreetcn.hot"), 200, R"({"code":20000,"data":{"day_it)");
  EXPECT_EQ(cut.code(), ErrorCode::kParse);
  EXPECT_EQ(cut.error_message().rfind("wallstreetcn.hot: invalid JSON at offset ", 0), 0u);
  auto odd =
      collect_canned(board("wallstreetcn.lives"), 200,
                     R"({"code":20000,"data":{"items":[{"id":7,"content_text":"  只有正文  ",)"
                     R"("uri":"javascript:x","display_time":"later"},{"title":"no id"}]}})");
  ASSERT_TRUE(odd.ok()) << odd.status().to_string();
  ASSERT_EQ(odd->size(), 1u);
  EXPECT_EQ(odd->front().title, "只有正文");
  EXPECT_EQ(odd->front().url, "https://wallstreetcn.com/livenews/7");  // rebuilt from the id
  EXPECT_FALSE(odd->front().published_at_ms.has_value());
}

}  // namespace
}  // namespace mu
