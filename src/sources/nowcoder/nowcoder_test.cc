#include <gtest/gtest.h>

#include "sources/source.h"
#include "sources/testing/source_testing.h"

namespace mu {

Status register_nowcoder_sources(SourceRegistry& registry);

namespace {

using namespace source_testing;  // NOLINT(google-build-using-namespace)

class NowcoderHot : public ::testing::Test {
 protected:
  const Source& board() {
    const Source* s = registry_.find("nowcoder.hot");
    EXPECT_NE(s, nullptr);
    return *s;
  }
  SourceRegistry registry_ = make_registry(register_nowcoder_sources);
};

TEST_F(NowcoderHot, ParsesFixture) {
  auto items = collect_fixture(board());
  ASSERT_TRUE(items.ok()) << items.status().to_string();
  ASSERT_EQ(items->size(), 12u);
  const Item& first = items->front();
  EXPECT_EQ(first.key, "d8d71bd117cfd0484ed9f74b431cafd6");
  EXPECT_EQ(first.title, "26届秋招总结：投了120家，最后拿了4个offer");
  EXPECT_EQ(first.url,
            "https://www.nowcoder.com/feed/main/detail/d8d71bd117cfd0484ed9f74b431cafd6");
  EXPECT_EQ(first.hot, 98761);
  EXPECT_EQ(first.hot_text, "98761 热度");
  const Item& discuss = (*items)[1];  // type 0: a discussion post
  EXPECT_EQ(discuss.key, "581238666");
  EXPECT_EQ(discuss.url, "https://www.nowcoder.com/discuss/581238666");
  expect_sane_items(*items, 10);
}

TEST_F(NowcoderHot, ErrorsAreTyped) {
  auto api = collect_canned(board(), 200, R"({"success":false,"code":1003,"msg":"请求过于频繁"})");
  EXPECT_EQ(api.code(), ErrorCode::kParse);
  EXPECT_EQ(api.error_message(), "nowcoder.hot: API error 1003: 请求过于频繁");
  auto cut = collect_canned(board(), 200, R"({"success":true,"code":0,"data":{"result":[{"id)");
  EXPECT_EQ(cut.code(), ErrorCode::kParse);
  auto odd =
      collect_canned(board(), 200,
                     R"({"success":true,"code":0,"data":{"result":[{"type":74,"title":"no ids"},)"
                     R"({"type":74,"id":9,"title":"uuid missing"}]}})");
  ASSERT_TRUE(odd.ok()) << odd.status().to_string();
  ASSERT_EQ(odd->size(), 1u);
  EXPECT_EQ(odd->front().url, "https://www.nowcoder.com/discuss/9");
}

}  // namespace
}  // namespace mu
