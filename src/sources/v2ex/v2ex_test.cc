#include <gtest/gtest.h>

#include "sources/source.h"
#include "sources/testing/source_testing.h"

namespace mu {

Status register_v2ex_sources(SourceRegistry& registry);

namespace {

using namespace source_testing;  // NOLINT(google-build-using-namespace)

class V2exHot : public ::testing::Test {
 protected:
  const Source& board() {
    const Source* s = registry_.find("v2ex.hot");
    EXPECT_NE(s, nullptr);
    return *s;
  }
  SourceRegistry registry_ = make_registry(register_v2ex_sources);
};

std::string extra(const Item& item, const std::string& key) {
  for (const auto& [k, v] : item.extra) {
    if (k == key) return v;
  }
  return {};
}

TEST_F(V2exHot, ParsesFixture) {
  auto items = collect_fixture(board());
  ASSERT_TRUE(items.ok()) << items.status().to_string();
  ASSERT_EQ(items->size(), 12u);
  const Item& first = items->front();
  EXPECT_EQ(first.key, "1183402");
  EXPECT_EQ(first.title, "2025 年终总结：裸辞半年后，我终于找到了想做的事");
  EXPECT_EQ(first.url, "https://www.v2ex.com/t/1183402");
  EXPECT_EQ(first.hot, 318);
  EXPECT_EQ(first.hot_text, "318 条回复");
  EXPECT_EQ(first.author, "drifter42");
  EXPECT_EQ(first.published_at_ms, 1767139260000);
  EXPECT_EQ(extra(first, "node"), "职场话题");
  EXPECT_EQ(extra(first, "node_name"), "career");
  EXPECT_EQ(first.summary.find('\n'), std::string::npos);  // whitespace collapsed
  EXPECT_EQ(first.summary.rfind("今天是 2025 年最后一天", 0), 0u);
  expect_sane_items(*items, 10);
}

TEST_F(V2exHot, ParsesRealCapture) {
  auto path = real_capture("v2ex/hot.json");
  if (!path) GTEST_SKIP() << "real capture not present (../shared/fixtures/real)";
  auto items = collect_canned(board(), 200, read_file(*path), "application/json");
  ASSERT_TRUE(items.ok()) << items.status().to_string();
  EXPECT_EQ(items->size(), 10u);
  const Item& first = items->front();
  EXPECT_EQ(first.key, "742058");
  EXPECT_EQ(first.title, "老哥们都是几点出门上班的？我目前 7 点 50");
  EXPECT_EQ(first.url, "https://www.v2ex.com/t/742058");
  EXPECT_EQ(first.hot, 257);
  EXPECT_EQ(first.author, "yiqunz");
  EXPECT_EQ(extra(first, "node"), "问与答");
  expect_sane_items(*items, 10);
}

TEST_F(V2exHot, TruncatedJsonIsParseError) {
  auto r = collect_canned(board(), 200, R"([{"id":1183402,"title":"2025 年终总)");
  EXPECT_EQ(r.code(), ErrorCode::kParse);
  EXPECT_EQ(r.error_message().rfind("v2ex.hot: invalid JSON at offset ", 0), 0u)
      << r.error_message();
}

TEST_F(V2exHot, ObjectInsteadOfArrayIsParseError) {
  auto r = collect_canned(board(), 200, R"({"status":"error","message":"Rate Limit Exceeded"})");
  EXPECT_EQ(r.code(), ErrorCode::kParse);
  EXPECT_EQ(r.error_message(),
            "v2ex.hot: expected a JSON array of topics, got object (message: Rate Limit Exceeded)");
  EXPECT_EQ(collect_canned(board(), 200, "[]").code(), ErrorCode::kParse);
}

TEST_F(V2exHot, Http500IsHttpError) {
  auto r = collect_canned(board(), 500, "<html>500</html>");
  EXPECT_EQ(r.code(), ErrorCode::kHttp);
  EXPECT_EQ(r.error_message(), "v2ex.hot: HTTP 500 from https://www.v2ex.com/api/topics/hot.json");
}

TEST_F(V2exHot, JavascriptUrlIsDropped) {
  auto r = collect_canned(board(), 200,
                          R"js([{"id":1,"title":"evil","url":"javascript:alert(1)","replies":3},)js"
                          R"({"id":2,"title":"no url","replies":"7"},)"
                          R"({"id":3,"title":"plain http","url":"http://www.v2ex.com/t/3"}])");
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].url, "https://www.v2ex.com/t/2");  // built from the id
  EXPECT_EQ((*r)[0].hot, 7);
  EXPECT_EQ((*r)[1].url, "https://www.v2ex.com/t/3");  // upgraded to https
}

TEST_F(V2exHot, RespectsTheApiRateLimit) {
  const BoardMeta& m = board().meta();
  // 120 requests per hour per IP for all of V2EX; a hot board must use a small share.
  EXPECT_LE(std::chrono::hours(1) / m.schedule.every * (1 + m.schedule.retries), 12);
}

}  // namespace
}  // namespace mu
