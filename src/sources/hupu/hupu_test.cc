#include <gtest/gtest.h>

#include "sources/source.h"
#include "sources/testing/source_testing.h"

namespace mu {

Status register_hupu_sources(SourceRegistry& registry);

namespace {

using namespace source_testing;  // NOLINT(google-build-using-namespace)

class HupuHot : public ::testing::Test {
 protected:
  const Source& board() {
    const Source* s = registry_.find("hupu.hot");
    EXPECT_NE(s, nullptr);
    return *s;
  }
  SourceRegistry registry_ = make_registry(register_hupu_sources);
};

std::string extra(const Item& item, const std::string& key) {
  for (const auto& [k, v] : item.extra) {
    if (k == key) return v;
  }
  return {};
}

TEST_F(HupuHot, ParsesFixture) {
  auto items = collect_fixture(board());
  ASSERT_TRUE(items.ok()) << items.status().to_string();
  ASSERT_EQ(items->size(), 14u);
  const Item& first = items->front();
  EXPECT_EQ(first.key, "632539479");
  EXPECT_EQ(first.title, "跨年夜在外滩挤了三个小时，值不值？");
  EXPECT_EQ(first.url, "https://bbs.hupu.com/632539479.html");
  EXPECT_EQ(first.mobile_url, "https://m.hupu.com/bbs/632539479.html");
  EXPECT_EQ(first.hot, 2739);
  EXPECT_EQ(first.hot_text, "2739回复");
  EXPECT_EQ(extra(first, "lights"), "263");
  EXPECT_EQ(extra(first, "section"), "步行街主干道");
  EXPECT_EQ((*items)[1].hot, 13000);
  EXPECT_EQ((*items)[1].hot_text, "1.3万回复");
  EXPECT_EQ((*items)[2].title, "女朋友说元旦不出门，在家给我做了一桌菜");
  expect_sane_items(*items, 14);
}

TEST_F(HupuHot, ReadsTheTopicPageList) {
  const std::string page = R"html(<html><head><title>每日热帖</title></head><body><ul>
<li class="bbs-sl-web-post-body"><div class="bbs-sl-web-post-layout">
<div class="post-title"><a href="/642228101.html" class="p-title">湖人险胜勇士 &amp; 詹姆斯压哨三分</a></div>
<div class="post-datum">1.2万 / 50.5万</div>
<div class="post-auth"><a href="https://my.hupu.com/208223136791539">紫金老球迷</a></div>
<div class="post-time">09-04 17:52</div></div></li>
<li class="bbs-sl-web-post-body"><div class="post-title"><a href="javascript:void(0)" class="p-title">坏链接</a></div></li>
</ul></body></html>)html";
  auto r = collect_canned(board(), 200, page, "text/html; charset=utf-8");
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  ASSERT_EQ(r->size(), 1u);
  const Item& item = r->front();
  EXPECT_EQ(item.key, "642228101");
  EXPECT_EQ(item.title, "湖人险胜勇士 & 詹姆斯压哨三分");
  EXPECT_EQ(item.hot, 12000);
  EXPECT_EQ(item.author, "紫金老球迷");
  EXPECT_EQ(extra(item, "views"), "505000");
}

TEST_F(HupuHot, WafSliderIsBlocked) {
  auto r = collect_canned(board(), 200,
                          "<html><head><title>滑动验证页面</title></head><body><div "
                          "id=\"aliyun_waf_aa\"></div><script src=\"/aliyun_waf/slide.js\">"
                          "</script></body></html>",
                          "text/html");
  EXPECT_EQ(r.code(), ErrorCode::kBlocked);
  EXPECT_EQ(r.error_message(), "hupu.hot: the Aliyun WAF answered its slider check (aliyun_waf)");
}

TEST_F(HupuHot, PageWithoutThreadsIsParseError) {
  auto r = collect_canned(
      board(), 200, "<html><head><title>404 - 虎扑</title></head><body>页面不存在</body></html>",
      "text/html; charset=utf-8");
  EXPECT_EQ(r.code(), ErrorCode::kParse);
  EXPECT_EQ(r.error_message(),
            "hupu.hot: no threads (div.list-item or li.bbs-sl-web-post-body) in the page titled "
            "\"404 - 虎扑\"");
  EXPECT_EQ(collect_canned(board(), 200, "<html><body><div class=\"text-list-model\">").code(),
            ErrorCode::kParse);
}

}  // namespace
}  // namespace mu
