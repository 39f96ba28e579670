#include <gtest/gtest.h>

#include "sources/source.h"
#include "sources/testing/source_testing.h"

namespace mu {

Status register_douban_sources(SourceRegistry& registry);

namespace {

using namespace source_testing;  // NOLINT(google-build-using-namespace)

class DoubanTest : public ::testing::Test {
 protected:
  const Source& board(const char* id) {
    const Source* s = registry_.find(id);
    EXPECT_NE(s, nullptr) << id;
    return *s;
  }
  SourceRegistry registry_ = make_registry(register_douban_sources);
};

std::string extra(const Item& item, const std::string& key) {
  for (const auto& [k, v] : item.extra) {
    if (k == key) return v;
  }
  return {};
}

TEST_F(DoubanTest, MovieParsesFixture) {
  auto items = collect_fixture(board("douban.movie"));
  ASSERT_TRUE(items.ok()) << items.status().to_string();
  ASSERT_EQ(items->size(), 12u);
  const Item& first = items->front();
  EXPECT_EQ(first.key, "37081029");
  EXPECT_EQ(first.title, "阿凡达：火与烬");
  EXPECT_EQ(first.url, "https://movie.douban.com/subject/37081029/");
  EXPECT_EQ(first.mobile_url, "https://m.douban.com/movie/subject/37081029/");
  EXPECT_FALSE(first.hot.has_value());  // Douban gives no popularity number
  EXPECT_EQ(first.hot_text, "7.9分");
  EXPECT_EQ(first.image,
            "https://img8.doubanio.com/view/photo/m_ratio_poster/public/p2912976084.jpg");
  EXPECT_EQ(first.summary, "2025 / 美国 / 科幻 冒险 / 詹姆斯·卡梅隆 / 萨姆·沃辛顿 佐伊·索尔达娜");
  EXPECT_EQ(extra(first, "rating"), "7.9");
  EXPECT_EQ(extra(first, "votes"), "186543");
  EXPECT_EQ(extra(first, "year"), "2025");
  const Item& unreleased = (*items)[5];
  EXPECT_EQ(unreleased.title, "流浪地球3");
  EXPECT_EQ(unreleased.hot_text, "尚未上映");
  EXPECT_EQ(extra(unreleased, "rating"), "");
  expect_sane_items(*items, 12);
}

TEST_F(DoubanTest, MovieRefusalIsBlocked) {
  auto r = collect_canned(
      board("douban.movie"), 200,
      R"({"msg":"invalid_request_1287","code":1287,"request":"GET /rexxar/api/v2/subject_collection/movie_real_time_hotest/items"})");
  EXPECT_EQ(r.code(), ErrorCode::kBlocked);
  EXPECT_EQ(r.error_message(),
            "douban.movie: rexxar refused the request (code 1287: invalid_request_1287); it wants "
            "an m.douban.com Referer");
  auto http = collect_canned(board("douban.movie"), 400, R"({"msg":"invalid_request_1287"})");
  EXPECT_EQ(http.code(), ErrorCode::kHttp);
}

TEST_F(DoubanTest, MovieTruncatedAndOddInput) {
  auto truncated =
      collect_canned(board("douban.movie"), 200, R"({"subject_collection_items":[{"id":"3)");
  EXPECT_EQ(truncated.code(), ErrorCode::kParse);
  EXPECT_EQ(truncated.error_message().rfind("douban.movie: invalid JSON at offset ", 0), 0u)
      << truncated.error_message();
  auto odd = collect_canned(
      board("douban.movie"), 200,
      R"({"subject_collection_items":[{"id":123,"title":"数字ID",)"
      R"("rating":{"value":"NaN"}},{"id":"","title":"无ID"},)"
      R"({"id":"9","title":"书","type":"book","url":"https://book.douban.com/subject/9/",)"
      R"("rating":{"value":11}}]})");
  ASSERT_TRUE(odd.ok()) << odd.status().to_string();
  ASSERT_EQ(odd->size(), 2u);
  EXPECT_EQ((*odd)[0].url, "https://movie.douban.com/subject/123/");
  EXPECT_EQ((*odd)[1].url, "https://book.douban.com/subject/9/");
  EXPECT_EQ((*odd)[1].hot_text, "");
  EXPECT_EQ(collect_canned(board("douban.movie"), 200, R"({"subject_collection_items":{}})").code(),
            ErrorCode::kParse);
}

TEST_F(DoubanTest, GroupParsesFixture) {
  auto items = collect_fixture(board("douban.group"));
  ASSERT_TRUE(items.ok()) << items.status().to_string();
  ASSERT_EQ(items->size(), 12u);
  const Item& first = items->front();
  EXPECT_EQ(first.key, "318393485");
  EXPECT_EQ(first.title, "新年第一天，晒晒你们的早餐");
  EXPECT_EQ(first.url, "https://www.douban.com/group/topic/318393485/?_spm_id=MTkxNzc0MTc");
  EXPECT_EQ(first.mobile_url, "https://m.douban.com/group/topic/318393485/");
  EXPECT_EQ(first.hot, 597);
  EXPECT_EQ(first.hot_text, "597 喜欢");
  EXPECT_EQ(first.published_at_ms, 1767207516000);  // 2026-01-01 02:58:36 Beijing time
  EXPECT_EQ(first.image, "https://img7.doubanio.com/view/group_topic/sqxs/public/p784372703.webp");
  EXPECT_EQ(first.summary.rfind("这是我今天的早餐", 0), 0u);
  EXPECT_EQ(extra(first, "group"), "我们的早餐");
  EXPECT_EQ((*items)[2].image, "");  // a topic without a picture
  expect_sane_items(*items, 12);
}

TEST_F(DoubanTest, GroupIpCheckAndLoginAreBlocked) {
  auto check = collect_canned(
      board("douban.group"), 200,
      "<html><head><title>豆瓣</title></head><body><p>检测到有异常请求从你的 IP 发出，请"
      "<a href=\"https://sec.douban.com/a?c=5f3a\">登录</a>使用豆瓣。</p></body></html>",
      "text/html; charset=utf-8");
  EXPECT_EQ(check.code(), ErrorCode::kBlocked);
  EXPECT_EQ(check.error_message(),
            "douban.group: Douban's IP check page (sec.douban.com: 异常请求)");
  auto login = collect_canned(board("douban.group"), 200,
                              "<html><head><title>登录豆瓣</title></head><body></body></html>",
                              "text/html; charset=utf-8");
  EXPECT_EQ(login.code(), ErrorCode::kBlocked);
  auto other = collect_canned(board("douban.group"), 200,
                              "<html><head><title>豆瓣小组</title></head><body></body></html>",
                              "text/html; charset=utf-8");
  EXPECT_EQ(other.code(), ErrorCode::kParse);
  EXPECT_EQ(other.error_message(),
            "douban.group: no topics (div.channel-item) in the page titled \"豆瓣小组\"");
  EXPECT_EQ(collect_canned(board("douban.group"), 403, "<html>403 Forbidden</html>").code(),
            ErrorCode::kBlocked);
}

}  // namespace
}  // namespace mu
