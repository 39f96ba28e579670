#include <gtest/gtest.h>

#include "sources/source.h"
#include "sources/testing/source_testing.h"

namespace mu {

Status register_linuxdo_sources(SourceRegistry& registry);

namespace {

using namespace source_testing;  // NOLINT(google-build-using-namespace)

class LinuxdoTop : public ::testing::Test {
 protected:
  const Source& board() {
    const Source* s = registry_.find("linuxdo.top");
    EXPECT_NE(s, nullptr);
    return *s;
  }
  SourceRegistry registry_ = make_registry(register_linuxdo_sources);
};

std::string extra(const Item& item, const std::string& key) {
  for (const auto& [k, v] : item.extra) {
    if (k == key) return v;
  }
  return {};
}

TEST_F(LinuxdoTop, ParsesFixture) {
  auto items = collect_fixture(board());
  ASSERT_TRUE(items.ok()) << items.status().to_string();
  ASSERT_EQ(items->size(), 11u);
  const Item& first = items->front();
  EXPECT_EQ(first.key, "338412");
  EXPECT_EQ(first.title, "2025 年终总结帖：你这一年最大的收获是什么？");
  EXPECT_EQ(first.url, "https://linux.do/t/topic/338412");
  EXPECT_EQ(first.hot, 412);
  EXPECT_EQ(first.hot_text, "412 赞");
  EXPECT_EQ(first.author, "kernel_fan");
  EXPECT_EQ(first.published_at_ms, 1767172365318);
  EXPECT_EQ(extra(first, "replies"), "385");
  EXPECT_EQ(extra(first, "views"), "18230");
  const Item& third = (*items)[2];
  EXPECT_EQ(third.url, "https://linux.do/t/cloudflare-r2-workers/336590");
  EXPECT_EQ(third.author, "ai_tinkerer");
  expect_sane_items(*items, 10);
}

TEST_F(LinuxdoTop, CloudflareChallengeIsBlocked) {
  auto page = collect_canned(board(), 200,
                             "<!DOCTYPE html><html><head><title>Just a moment...</title></head>"
                             "<body><div id=\"challenge-running\"></div></body></html>",
                             "text/html; charset=UTF-8");
  EXPECT_EQ(page.code(), ErrorCode::kBlocked);
  EXPECT_EQ(page.error_message(),
            "linuxdo.top: an HTML page instead of JSON (Cloudflare challenge?), titled \"Just a "
            "moment...\"");
  auto forbidden = collect_canned(board(), 403, "<html><title>Attention Required!</title></html>");
  EXPECT_EQ(forbidden.code(), ErrorCode::kBlocked);
}

TEST_F(LinuxdoTop, ErrorsAndTruncation) {
  auto api = collect_canned(
      board(), 200,
      R"({"errors":["您执行此操作的次数过多。请等待几秒钟后再试。"],"error_type":"rate_limit"})");
  EXPECT_EQ(api.code(), ErrorCode::kParse);
  EXPECT_EQ(api.error_message(),
            "linuxdo.top: API error: 您执行此操作的次数过多。请等待几秒钟后再试。");
  auto cut = collect_canned(board(), 200, R"({"users":[],"topic_list":{"topics":[{"id":3384)");
  EXPECT_EQ(cut.code(), ErrorCode::kParse);
  auto odd = collect_canned(board(), 200,
                            R"({"topic_list":{"topics":[{"id":1,"title":"无 slug","posters":7,)"
                            R"("created_at":"yesterday","like_count":"many"}]}})");
  ASSERT_TRUE(odd.ok()) << odd.status().to_string();
  EXPECT_EQ(odd->front().url, "https://linux.do/t/topic/1");
  EXPECT_FALSE(odd->front().published_at_ms.has_value());
  EXPECT_FALSE(odd->front().hot.has_value());
}

}  // namespace
}  // namespace mu
