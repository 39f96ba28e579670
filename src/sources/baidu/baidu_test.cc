#include <gtest/gtest.h>

#include "sources/source.h"
#include "sources/testing/source_testing.h"

namespace mu {

Status register_baidu_sources(SourceRegistry& registry);

namespace {

using namespace source_testing;  // NOLINT(google-build-using-namespace)

class BaiduTest : public ::testing::Test {
 protected:
  const Source& board(const char* id) {
    const Source* s = registry_.find(id);
    EXPECT_NE(s, nullptr) << id;
    return *s;
  }
  SourceRegistry registry_ = make_registry(register_baidu_sources);
};

std::string extra(const Item& item, const std::string& key) {
  for (const auto& [k, v] : item.extra) {
    if (k == key) return v;
  }
  return {};
}

TEST_F(BaiduTest, RealtimeParsesFixture) {
  auto items = collect_fixture(board("baidu.realtime"));
  ASSERT_TRUE(items.ok()) << items.status().to_string();
  ASSERT_EQ(items->size(), 15u);  // the pinned topContent entry is not included
  const Item& first = items->front();
  EXPECT_EQ(first.key, "新年第一天多地迎来客流高峰");
  EXPECT_EQ(first.title, "新年第一天多地迎来客流高峰");
  EXPECT_EQ(
      first.url,
      "https://www.baidu.com/s?wd=%E6%96%B0%E5%B9%B4%E7%AC%AC%E4%B8%80%E5%A4%A9%E5%A4%9A%E5%9C%B0"
      "%E8%BF%8E%E6%9D%A5%E5%AE%A2%E6%B5%81%E9%AB%98%E5%B3%B0");
  EXPECT_EQ(first.mobile_url, first.url + "&sa=fyb_news&rsv_dl=fyb_news");
  EXPECT_EQ(first.hot, 7902315);
  EXPECT_EQ(first.hot_text, "7902315");
  EXPECT_EQ(first.label, "热");
  EXPECT_EQ(extra(first, "hot_change"), "up");
  EXPECT_EQ(first.summary.rfind("1月1日，元旦假期首日", 0), 0u);
  EXPECT_EQ(first.image.rfind("https://fyb-2.cdn.bcebos.com/hotboard_image/", 0), 0u);
  EXPECT_EQ((*items)[1].label, "新");
  EXPECT_EQ((*items)[2].label, "");
  for (const Item& item : *items) EXPECT_NE(item.title, "新年贺词里的温暖瞬间");
  expect_sane_items(*items, 15);
}

TEST_F(BaiduTest, RealtimeParsesRealCapture) {
  auto path = real_capture("baidu/realtime.json");
  if (!path) GTEST_SKIP() << "real capture not present (../shared/fixtures/real)";
  auto items = collect_canned(board("baidu.realtime"), 200, read_file(*path), "application/json");
  ASSERT_TRUE(items.ok()) << items.status().to_string();
  ASSERT_EQ(items->size(), 50u);
  const Item& first = items->front();
  EXPECT_EQ(first.title, "今晚油价将调整");
  EXPECT_EQ(
      first.url,
      "https://www.baidu.com/s?wd=%E4%BB%8A%E6%99%9A%E6%B2%B9%E4%BB%B7%E5%B0%86%E8%B0%83%E6%95%B4");
  EXPECT_EQ(first.hot, 7808391);
  EXPECT_EQ(first.label, "新");
  EXPECT_EQ((*items)[1].title, "“10万亿元级”大市场或要来了");
  EXPECT_EQ((*items)[1].label, "热");
  expect_sane_items(*items, 50);
}

TEST_F(BaiduTest, NovelParsesFixture) {
  auto items = collect_fixture(board("baidu.novel"));
  ASSERT_TRUE(items.ok()) << items.status().to_string();
  ASSERT_EQ(items->size(), 12u);
  const Item& first = items->front();
  EXPECT_EQ(first.title, "斗破苍穹");
  EXPECT_EQ(first.url,
            "https://www.baidu.com/s?wd=%E6%96%97%E7%A0%B4%E8%8B%8D%E7%A9%B9%20%E5%B0%8F%E8%AF%B4");
  EXPECT_EQ(first.hot, 198765);
  EXPECT_EQ(first.author, "天蚕土豆");
  EXPECT_EQ(extra(first, "category"), "玄幻");
  expect_sane_items(*items, 12);
}

TEST_F(BaiduTest, MovieParsesFixture) {
  auto items = collect_fixture(board("baidu.movie"));
  ASSERT_TRUE(items.ok()) << items.status().to_string();
  ASSERT_EQ(items->size(), 11u);
  const Item& first = items->front();
  EXPECT_EQ(first.title, "阿凡达：火与烬");
  EXPECT_EQ(
      first.url,
      "https://www.baidu.com/s?wd=%E9%98%BF%E5%87%A1%E8%BE%BE%EF%BC%9A%E7%81%AB%E4%B8%8E%E7%83%AC"
      "%20%E7%94%B5%E5%BD%B1");
  EXPECT_EQ(first.hot, 176543);
  EXPECT_EQ(extra(first, "category"), "科幻 / 动作 / 冒险");
  EXPECT_EQ(extra(first, "actors"), "萨姆·沃辛顿 / 佐伊·索尔达娜");
  expect_sane_items(*items, 11);
}

TEST_F(BaiduTest, TeleplayParsesFixture) {
  auto items = collect_fixture(board("baidu.teleplay"));
  ASSERT_TRUE(items.ok()) << items.status().to_string();
  ASSERT_EQ(items->size(), 11u);
  const Item& first = items->front();
  EXPECT_EQ(first.title, "繁花");
  EXPECT_EQ(first.url,
            "https://www.baidu.com/s?wd=%E7%B9%81%E8%8A%B1%20%E7%94%B5%E8%A7%86%E5%89%A7");
  EXPECT_EQ(first.hot, 187654);
  EXPECT_EQ(extra(first, "actors"), "胡歌 / 马伊琍 / 唐嫣");
  expect_sane_items(*items, 11);
}

TEST_F(BaiduTest, ReadsTheNestedWiseShape) {
  auto r = collect_canned(
      board("baidu.realtime"), 200,
      R"({"success":true,"data":{"cards":[{"component":"hotList","content":[{"content":[)"
      R"({"word":"寒潮来袭","hotScore":"4876512","hotTag":"3","url":"https://m.baidu.com/s?word=x"},)"
      R"({"word":"春运开售","hotScore":"bad"},)"
      R"({"word":"","query":""}]}]}]}})");
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].url, "https://m.baidu.com/s?word=x");
  EXPECT_EQ((*r)[0].hot, 4876512);
  EXPECT_EQ((*r)[1].url, "https://www.baidu.com/s?wd=%E6%98%A5%E8%BF%90%E5%BC%80%E5%94%AE");
  EXPECT_FALSE((*r)[1].hot.has_value());
}

TEST_F(BaiduTest, TruncatedAndFailedAnswersAreParseErrors) {
  auto truncated =
      collect_canned(board("baidu.realtime"), 200, R"({"success":true,"data":{"cards":[{"comp)");
  EXPECT_EQ(truncated.code(), ErrorCode::kParse);
  EXPECT_EQ(truncated.error_message().rfind("baidu.realtime: invalid JSON at offset ", 0), 0u)
      << truncated.error_message();
  auto failed = collect_canned(board("baidu.novel"), 200,
                               R"({"success":false,"error":{"code":2,"message":"参数错误"}})");
  EXPECT_EQ(failed.code(), ErrorCode::kParse);
  EXPECT_EQ(failed.error_message(), "baidu.novel: API answered success=false: 参数错误");
  auto empty = collect_canned(board("baidu.movie"), 200, R"({"success":true,"data":{"cards":[]}})");
  EXPECT_EQ(empty.code(), ErrorCode::kParse);
  EXPECT_EQ(collect_canned(board("baidu.movie"), 200, "[1,2]").code(), ErrorCode::kParse);
}

TEST_F(BaiduTest, AntiBotStatusIsBlocked) {
  auto r = collect_canned(board("baidu.realtime"), 403, "<html>安全验证</html>");
  EXPECT_EQ(r.code(), ErrorCode::kBlocked);
}

}  // namespace
}  // namespace mu
