#include <gtest/gtest.h>

#include "sources/common/digest.h"
#include "sources/coolapk/coolapk_token.h"
#include "sources/source.h"
#include "sources/testing/source_testing.h"

namespace mu {

Status register_coolapk_sources(SourceRegistry& registry);

namespace {

using namespace source_testing;  // NOLINT(google-build-using-namespace)

// Computed outside Mu with coreutils (and checked with Python's hashlib/base64):
//   t=1767225600; dev=0b6f1a52-7c3e-4d19-a8e2-5f94c0d3b721
//   mt=$(printf '%s' $t | md5sum | cut -d' ' -f1)        # 155af3ed...a36582dd
//   inner="token://com.coolapk.market/c67ef5943784d09750dcfbb31020f0ab?${mt}\$${dev}&com.coolapk.market"
//   m=$(printf '%s' "$inner" | base64 -w0 | md5sum | cut -d' ' -f1)
//   printf '%s%s0x%x\n' $m $dev $t
TEST(CoolapkToken, MatchesIndependentlyComputedVector) {
  EXPECT_EQ(md5_hex("1767225600"), "155af3ed10de3103cf02ae87a36582dd");
  EXPECT_EQ(base64_encode("ab"), "YWI=");
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(coolapk_app_token(1767225600, "0b6f1a52-7c3e-4d19-a8e2-5f94c0d3b721"),
            "d7932311ec7ea5e764dca6390f090dc1"
            "0b6f1a52-7c3e-4d19-a8e2-5f94c0d3b721"
            "0x6955b900");
  EXPECT_EQ(coolapk_default_device_id(), "0b5fa35c-dee0-5334-17b3-5afbd6bb78a4");
}

class CoolapkHot : public ::testing::Test {
 protected:
  const Source& board() {
    const Source* s = registry_.find("coolapk.hot");
    EXPECT_NE(s, nullptr);
    return *s;
  }
  SourceRegistry registry_ = make_registry(register_coolapk_sources);
};

std::string extra(const Item& item, const std::string& key) {
  for (const auto& [k, v] : item.extra) {
    if (k == key) return v;
  }
  return {};
}

TEST_F(CoolapkHot, ParsesFixture) {
  auto items = collect_fixture(board());
  ASSERT_TRUE(items.ok()) << items.status().to_string();
  ASSERT_EQ(items->size(), 12u);  // the carousel card is not a feed
  const Item& first = items->front();
  EXPECT_EQ(first.key, "63218847");
  EXPECT_EQ(first.title, "用了一个月的小米15 Ultra，说说真实感受");  // first line of the message
  EXPECT_EQ(first.url, "https://www.coolapk.com/feed/63218847");
  EXPECT_EQ(first.hot, 3281);
  EXPECT_EQ(first.hot_text, "3281 赞");
  EXPECT_EQ(first.author, "数码测评君");
  EXPECT_EQ(first.published_at_ms, 1767163000000);
  EXPECT_EQ(extra(first, "replies"), "1047");
  EXPECT_EQ(extra(first, "topic"), "小米15 Ultra");
  EXPECT_EQ(first.summary.find('<'), std::string::npos);
  EXPECT_EQ((*items)[1].title, "HyperOS 3 正式版推送了，你们升级了吗");  // message_title
  EXPECT_EQ((*items)[4].title.rfind("<酷安年度盘点> 2025年你最满意的一件数码产品是什么", 0), 0u);
  expect_sane_items(*items, 10);
}

TEST_F(CoolapkHot, SendsTheAppHeadersAndAFreshToken) {
  CannedTransport transport(200, R"({"data":[{"entityType":"feed","id":1,"message":"hi"}]})");
  FakeClock clock;
  SourceContext ctx{transport, clock};
  ASSERT_TRUE(board().collect(ctx).ok());
  const HttpRequest sent = transport.requests().at(0);
  EXPECT_EQ(find_header(sent.headers, "X-App-Id"), "com.coolapk.market");
  EXPECT_EQ(find_header(sent.headers, "X-App-Token"),
            coolapk_app_token(1767225600, coolapk_default_device_id()));
  EXPECT_EQ(sent.url,
            "https://api.coolapk.com/v6/page/dataList?url=%2Ffeed%2FstatList%3FcacheExpires%3D300"
            "%26statType%3Dday%26sortField%3Ddetailnum%26title%3D%E4%BB%8A%E6%97%A5%E7%83%AD%E9"
            "%97%A8&title=%E4%BB%8A%E6%97%A5%E7%83%AD%E9%97%A8&subTitle=&page=1");
}

TEST_F(CoolapkHot, RefusedTokenIsBlocked) {
  auto r =
      collect_canned(board(), 200, R"({"status":1001,"message":"请求来源异常，请更新客户端"})");
  EXPECT_EQ(r.code(), ErrorCode::kBlocked);
  EXPECT_EQ(r.error_message(),
            "coolapk.hot: API refused the request (status 1001): 请求来源异常，请更新客户端");
}

TEST_F(CoolapkHot, TruncatedAndOddBodies) {
  auto cut = collect_canned(board(), 200, R"({"data":[{"entityType":"feed","id":6321)");
  EXPECT_EQ(cut.code(), ErrorCode::kParse);
  auto odd = collect_canned(board(), 200,
                            R"({"data":[{"entityType":"feed","id":5,"message":"<br/><br />)"
                            R"(<a href=\"x\">正文</a> 在这里<unclosed"},{"entityType":"feed"},)"
                            R"({"entityType":"feed","id":6,"message":"   "}]})");
  ASSERT_TRUE(odd.ok()) << odd.status().to_string();
  ASSERT_EQ(odd->size(), 1u);
  EXPECT_EQ(odd->front().title, "正文 在这里");
}

}  // namespace
}  // namespace mu
