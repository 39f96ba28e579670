#include <gtest/gtest.h>

#include "sources/source.h"
#include "sources/testing/source_testing.h"

namespace mu {

Status register_tieba_sources(SourceRegistry& registry);

namespace {

using namespace source_testing;  // NOLINT(google-build-using-namespace)

class TiebaTopics : public ::testing::Test {
 protected:
  const Source& board() {
    const Source* s = registry_.find("tieba.topics");
    EXPECT_NE(s, nullptr);
    return *s;
  }
  SourceRegistry registry_ = make_registry(register_tieba_sources);
};

std::string extra(const Item& item, const std::string& key) {
  for (const auto& [k, v] : item.extra) {
    if (k == key) return v;
  }
  return {};
}

TEST_F(TiebaTopics, ParsesFixture) {
  auto items = collect_fixture(board());
  ASSERT_TRUE(items.ok()) << items.status().to_string();
  ASSERT_EQ(items->size(), 12u);
  const Item& first = items->front();
  EXPECT_EQ(first.key, "133274");
  EXPECT_EQ(first.title, "跨年夜你是怎么度过的");
  EXPECT_EQ(
      first.url,
      "https://tieba.baidu.com/hottopic/browse/hottopic?topic_id=133274&topic_name="
      "%E8%B7%A8%E5%B9%B4%E5%A4%9C%E4%BD%A0%E6%98%AF%E6%80%8E%E4%B9%88%E5%BA%A6%E8%BF%87%E7%9A%84");
  EXPECT_EQ(first.hot, 1987654);
  EXPECT_EQ(first.hot_text, "1987654 讨论");
  EXPECT_EQ(first.published_at_ms, 1767110405000);
  EXPECT_EQ(first.summary, "新的一年已经到来，跨年夜你是和谁一起度过的？在吧里聊聊你的跨年故事。");
  EXPECT_EQ(
      first.image,
      "https://tiebapic.baidu.com/forum/pic/item/efbe015b48151b7e6744bac1a842dce741ef7b74.jpg");
  EXPECT_EQ(extra(first, "tag"), "1");
  EXPECT_EQ(extra((*items)[5], "video"), "1");
  expect_sane_items(*items, 12);
}

TEST_F(TiebaTopics, BuildsTheUrlWhenMissing) {
  auto r = collect_canned(board(), 200,
                          R"({"errno":0,"data":{"bang_topic":{"topic_list":[)"
                          R"({"topic_id":"42","topic_name":"年夜饭","discuss_num":"oops"},)"
                          R"({"topic_name":"无编号无链接"},null]}}})");
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ(r->front().url,
            "https://tieba.baidu.com/hottopic/browse/"
            "hottopic?topic_id=42&topic_name=%E5%B9%B4%E5%A4%9C%E9%A5%AD");
  EXPECT_FALSE(r->front().hot.has_value());
}

TEST_F(TiebaTopics, ErrorsAreTyped) {
  auto truncated = collect_canned(board(), 200, R"({"errno":0,"data":{"bang_topic":{"topic_li)");
  EXPECT_EQ(truncated.code(), ErrorCode::kParse);
  EXPECT_EQ(truncated.error_message().rfind("tieba.topics: invalid JSON at offset ", 0), 0u)
      << truncated.error_message();
  auto refused = collect_canned(board(), 200, R"({"errno":110003,"errmsg":"请求过于频繁"})");
  EXPECT_EQ(refused.code(), ErrorCode::kParse);
  EXPECT_EQ(refused.error_message(), "tieba.topics: API answered errno 110003: 请求过于频繁");
  auto missing = collect_canned(board(), 200, R"({"errno":0,"data":{}})");
  EXPECT_EQ(missing.code(), ErrorCode::kParse);
  EXPECT_EQ(missing.error_message(), "tieba.topics: data.bang_topic.topic_list: missing");
}

}  // namespace
}  // namespace mu
