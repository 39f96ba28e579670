#include <gtest/gtest.h>

#include "sources/cls/cls_sign.h"
#include "sources/common/digest.h"
#include "sources/source.h"
#include "sources/testing/source_testing.h"

namespace mu {

Status register_cls_sources(SourceRegistry& registry);

namespace {

using namespace source_testing;  // NOLINT(google-build-using-namespace)

// The vectors below were computed outside Mu, with coreutils and with Python:
//   q='appName=CailianpressWeb&os=web&sv=7.7.5'
//   s1=$(printf '%s' "$q" | sha1sum | cut -d' ' -f1)   # f4856f39...4d13fd7d
//   printf '%s' "$s1" | md5sum                          # 9c11221a...b9957b8f
//   python3 -c "import hashlib; print(hashlib.md5(hashlib.sha1(q.encode())
//                .hexdigest().encode()).hexdigest())"    # same digest
// (the MD5 is taken over the 40 lower-case hex characters of the SHA-1, not its raw bytes).
TEST(ClsSign, MatchesIndependentlyComputedVectors) {
  EXPECT_EQ(sha1_hex("appName=CailianpressWeb&os=web&sv=7.7.5"),
            "f4856f399c5437f2a13881320b23bf794d13fd7d");
  EXPECT_EQ(cls_sign("appName=CailianpressWeb&os=web&sv=7.7.5"),
            "9c11221af4f6b47b253098a8b9957b8f");
  EXPECT_EQ(cls_sign("appName=CailianpressWeb&os=web&rn=20&sv=7.7.5"),
            "d02440e3f176bb53082363fad9a8a921");
  // Empty input: sha1("") = da39a3ee...afd80709, md5 of that hex = 0144712d...56ce6685.
  EXPECT_EQ(cls_sign(""), "0144712dd81be0c3d9724f5e56ce6685");
  EXPECT_EQ(md5_hex("abc"), "900150983cd24fb0d6963f7d28e17f72");  // RFC 1321 test suite
}

TEST(ClsSign, SortsByNameAndEncodes) {
  EXPECT_EQ(cls_sorted_query({{"sv", "7.7.5"}, {"os", "web"}, {"appName", "CailianpressWeb"}}),
            "appName=CailianpressWeb&os=web&sv=7.7.5");
  EXPECT_EQ(cls_sorted_query({{"b", "2"}, {"a", "x y"}, {"b", "1"}, {"c", "电报"}}),
            "a=x%20y&b=2&b=1&c=%E7%94%B5%E6%8A%A5");  // equal names keep their order
  EXPECT_EQ(cls_signed_query({{"sv", "7.7.5"}, {"appName", "CailianpressWeb"}, {"os", "web"}}),
            "appName=CailianpressWeb&os=web&sv=7.7.5&sign=9c11221af4f6b47b253098a8b9957b8f");
}

class ClsBoards : public ::testing::Test {
 protected:
  const Source& board(const char* id) {
    const Source* s = registry_.find(id);
    EXPECT_NE(s, nullptr) << id;
    return *s;
  }
  SourceRegistry registry_ = make_registry(register_cls_sources);
};

std::string extra(const Item& item, const std::string& key) {
  for (const auto& [k, v] : item.extra) {
    if (k == key) return v;
  }
  return {};
}

TEST_F(ClsBoards, TelegraphParsesFixture) {
  auto items = collect_fixture(board("cls.telegraph"));
  ASSERT_TRUE(items.ok()) << items.status().to_string();
  ASSERT_EQ(items->size(), 12u);  // the thirteenth entry is an ad
  const Item& first = items->front();
  EXPECT_EQ(first.key, "2245871");
  EXPECT_EQ(first.title, "沪指收涨0.41% 全年累计上涨逾12%");  // the 【】 lead of the content
  EXPECT_EQ(first.url, "https://www.cls.cn/detail/2245871");
  EXPECT_EQ(first.mobile_url,
            "https://api3.cls.cn/share/article/2245871?os=web&sv=7.7.5&app=CailianpressWeb");
  EXPECT_EQ(first.hot, 186532);
  EXPECT_EQ(first.published_at_ms, 1767170340000);
  EXPECT_EQ(first.label, "重要");
  EXPECT_EQ(extra(first, "subjects"), "A股收评");
  EXPECT_EQ(first.summary.rfind("【沪指收涨0.41%", 0), 0u);
  // No 【】 lead and no title: the brief stands in.
  EXPECT_EQ((*items)[1].title.rfind("财联社12月31日电，国家统计局公布数据显示", 0), 0u);
  EXPECT_EQ((*items)[2].title, "商务部：将于2026年1月起实施新一轮消费品以旧换新政策");
  EXPECT_EQ(extra((*items)[2], "subjects"), "消费、政策解读");
  for (const Item& item : *items) EXPECT_NE(item.title, "财联社VIP会员限时优惠");
  for (std::size_t i = 1; i < items->size(); ++i) {
    EXPECT_GE((*items)[i - 1].published_at_ms, (*items)[i].published_at_ms) << i;
  }
  expect_sane_items(*items, 10);
}

TEST_F(ClsBoards, HotParsesFixture) {
  auto items = collect_fixture(board("cls.hot"));
  ASSERT_TRUE(items.ok()) << items.status().to_string();
  ASSERT_EQ(items->size(), 10u);
  const Item& first = items->front();
  EXPECT_EQ(first.key, "2244390");
  EXPECT_EQ(first.title, "2026年A股十大投资主线：科技自立与消费复苏并进");
  EXPECT_EQ(first.url, "https://www.cls.cn/detail/2244390");
  EXPECT_EQ(first.hot, 286341);
  EXPECT_EQ(first.hot_text, "286341 阅读");
  EXPECT_EQ(first.published_at_ms, 1767150720000);
  expect_sane_items(*items, 10);
}

TEST_F(ClsBoards, RequestsCarryTheSign) {
  CannedTransport transport(200, R"({"errno":0,"data":[{"id":1,"title":"t"}]})");
  FakeClock clock;
  SourceContext ctx{transport, clock};
  ASSERT_TRUE(board("cls.hot").collect(ctx).ok());
  ASSERT_EQ(transport.requests().size(), 1u);
  EXPECT_EQ(transport.requests()[0].url,
            "https://www.cls.cn/v2/article/hot/list?appName=CailianpressWeb&os=web&sv=7.7.5"
            "&sign=9c11221af4f6b47b253098a8b9957b8f");
}

TEST_F(ClsBoards, SignErrorIsParseError) {
  auto r = collect_canned(board("cls.telegraph"), 200, R"({"errno":50001,"msg":"签名错误"})");
  EXPECT_EQ(r.code(), ErrorCode::kParse);
  EXPECT_EQ(r.error_message(), "cls.telegraph: API error 50001: 签名错误");
  auto hot =
      collect_canned(board("cls.hot"), 200, R"({"errno":"403","msg":"forbidden","data":[]})");
  EXPECT_EQ(hot.code(), ErrorCode::kParse);
}

TEST_F(ClsBoards, TruncatedOrOddBodiesAreParseErrors) {
  auto r = collect_canned(board("cls.telegraph"), 200, R"({"error":0,"data":{"roll_data":[{"id")");
  EXPECT_EQ(r.code(), ErrorCode::kParse);
  EXPECT_EQ(r.error_message().rfind("cls.telegraph: invalid JSON at offset ", 0), 0u);
  auto wrong =
      collect_canned(board("cls.telegraph"), 200, R"({"error":0,"data":{"roll_data":{}}})");
  EXPECT_EQ(wrong.code(), ErrorCode::kParse);
  EXPECT_EQ(wrong.error_message(), "cls.telegraph: data.roll_data: expected array, got object");
  auto odd = collect_canned(board("cls.hot"), 200,
                            R"({"errno":0,"data":[1,"x",{"id":null},{"id":5,"title":7,)"
                            R"("ctime":"soon","reading_num":1e300}]})");
  ASSERT_TRUE(odd.ok()) << odd.status().to_string();
  ASSERT_EQ(odd->size(), 1u);
  EXPECT_EQ(odd->front().title, "7");
  EXPECT_FALSE(odd->front().published_at_ms.has_value());
}

}  // namespace
}  // namespace mu
