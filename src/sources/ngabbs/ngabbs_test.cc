#include <gtest/gtest.h>

#include "sources/source.h"
#include "sources/testing/source_testing.h"

namespace mu {

Status register_ngabbs_sources(SourceRegistry& registry);

namespace {

using namespace source_testing;  // NOLINT(google-build-using-namespace)

class NgabbsHot : public ::testing::Test {
 protected:
  const Source& board() {
    const Source* s = registry_.find("ngabbs.hot");
    EXPECT_NE(s, nullptr);
    return *s;
  }
  SourceRegistry registry_ = make_registry(register_ngabbs_sources);
};

TEST_F(NgabbsHot, ParsesGbkFixture) {
  const std::string raw = read_file(fixtures_dir("ngabbs") / "hot.json");
  // The fixture really is GBK: "讨论" is CC D6 C2 DB there, not UTF-8.
  ASSERT_NE(raw.find("\xCC\xD6\xC2\xDB"), std::string::npos);
  ASSERT_EQ(raw.find("讨论"), std::string::npos);

  auto items = collect_fixture(board());
  ASSERT_TRUE(items.ok()) << items.status().to_string();
  ASSERT_EQ(items->size(), 12u);
  const Item& first = items->front();
  EXPECT_EQ(first.key, "45678901");
  EXPECT_EQ(first.title, "[讨论] 2025年你玩得最久的一款游戏是什么？");
  EXPECT_EQ(first.url, "https://bbs.nga.cn/read.php?tid=45678901");
  EXPECT_EQ(first.hot, 2318);
  EXPECT_EQ(first.hot_text, "2318 回复");
  EXPECT_EQ(first.author, "艾泽拉斯的风");
  EXPECT_EQ(first.published_at_ms, 1767190000000);
  EXPECT_EQ((*items)[1].title, "[原神] 6.3版本前瞻直播汇总，新角色技能一览");
  EXPECT_EQ((*items)[4].title, "[闲聊] 大家年终奖都发了吗？晒晒\"年终奖\"");  // &quot; decoded
  EXPECT_EQ((*items)[9].title, "[崩坏：星穹铁道] 新年限定活动攻略与奖励汇总");
  expect_sane_items(*items, 10);
}

TEST_F(NgabbsHot, UndeclaredGbkIsDetectedAndUtf8PassesThrough) {
  const std::string gbk = read_file(fixtures_dir("ngabbs") / "hot.json");
  auto undeclared = collect_canned(board(), 200, gbk, "application/json");
  ASSERT_TRUE(undeclared.ok()) << undeclared.status().to_string();
  EXPECT_EQ(undeclared->front().title, "[讨论] 2025年你玩得最久的一款游戏是什么？");

  auto utf8 = collect_canned(board(), 200,
                             R"({"result":[[{"tid":1,"subject":"[讨论] 统一码","replies":3}]]})");
  ASSERT_TRUE(utf8.ok()) << utf8.status().to_string();
  EXPECT_EQ(utf8->front().title, "[讨论] 统一码");
  EXPECT_EQ(utf8->front().url, "https://bbs.nga.cn/read.php?tid=1");
}

TEST_F(NgabbsHot, GuestRefusalIsBlocked) {
  // "(ERROR:15)访客不能直接访问" in GBK, as NGA sends it.
  const std::string body =
      "{\"error\":[\"(ERROR:15)\xB7\xC3\xBF\xCD\xB2\xBB\xC4\xDC\xD6\xB1\xBD\xD3\xB7\xC3\xCE\xCA\"],"
      "\"time\":1767225600}";
  auto r = collect_canned(board(), 200, body, "text/html; charset=GBK");
  EXPECT_EQ(r.code(), ErrorCode::kBlocked);
  EXPECT_EQ(r.error_message(), "ngabbs.hot: NGA error: (ERROR:15)访客不能直接访问");
  auto other = collect_canned(board(), 200, R"({"error":{"0":"参数错误"}})");
  EXPECT_EQ(other.code(), ErrorCode::kParse);
  EXPECT_EQ(other.error_message(), "ngabbs.hot: NGA error: 参数错误");
}

TEST_F(NgabbsHot, TruncatedAndOddBodies) {
  auto cut = collect_canned(board(), 200, "{\"result\":[[{\"tid\":4567", "text/html; charset=GBK");
  EXPECT_EQ(cut.code(), ErrorCode::kParse);
  EXPECT_EQ(cut.error_message().rfind("ngabbs.hot: invalid JSON at offset ", 0), 0u);
  auto charset = collect_canned(board(), 200, "{}", "text/html; charset=x-no-such-charset");
  EXPECT_EQ(charset.code(), ErrorCode::kParse);
  auto odd =
      collect_canned(board(), 200,
                     R"js({"result":[[{"tid":9,"subject":"x","tpcurl":"javascript:alert(1)"},)js"
                     R"({"subject":"no tid"},"junk"]]})");
  ASSERT_TRUE(odd.ok()) << odd.status().to_string();
  ASSERT_EQ(odd->size(), 1u);
  EXPECT_EQ(odd->front().url, "https://bbs.nga.cn/read.php?tid=9");
}

}  // namespace
}  // namespace mu
