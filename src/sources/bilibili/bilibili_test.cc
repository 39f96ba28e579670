#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "sources/bilibili/wbi.h"
#include "sources/source.h"
#include "sources/testing/source_testing.h"

namespace mu {

Status register_bilibili_sources(SourceRegistry& registry);

namespace {

using namespace source_testing;  // NOLINT(google-build-using-namespace)

std::string extra(const Item& item, const std::string& key) {
  for (const auto& [k, v] : item.extra) {
    if (k == key) return v;
  }
  return {};
}

// ------------------------------------------------------------------ WBI

TEST(BilibiliWbi, MixinKeyMatchesTheDocumentedVector) {
  // bilibili-API-collect docs/misc/sign/wbi.md: these keys give this mixin key.
  EXPECT_EQ(wbi_mixin_key("7cd084941338484aae1ad9425b84077c", "4932caff0ff746eab6f01bf08b70ac45"),
            "ea1db124af3c7062474693fa704f4ff8");
  EXPECT_EQ(wbi_mixin_key("short", "keys"), "");
}

TEST(BilibiliWbi, SignatureMatchesTheDocumentedVector) {
  // Same document: foo=114, bar=514, zab=1919810 at wts=1702204169.
  auto query = wbi_signed_query({{"foo", "114"}, {"bar", "514"}, {"zab", "1919810"}},
                                "ea1db124af3c7062474693fa704f4ff8", 1702204169);
  ASSERT_TRUE(query.ok()) << query.status().to_string();
  EXPECT_EQ(*query,
            "bar=514&foo=114&wts=1702204169&zab=1919810&w_rid=8f6f2b5b3d485fe1886cec6a0be8c5d4");
}

TEST(BilibiliWbi, EncodesValuesAndStripsReservedCharacters) {
  auto query = wbi_signed_query(
      {{"foo", "one one four"}, {"bar", "五一四"}, {"baz", "(it's)*!"}, {"wts", "1"}},
      "ea1db124af3c7062474693fa704f4ff8", 1702204169);
  ASSERT_TRUE(query.ok()) << query.status().to_string();
  EXPECT_EQ(query->rfind("bar=%E4%BA%94%E4%B8%80%E5%9B%9B&baz=its&foo=one%20one%20four&"
                         "wts=1702204169&w_rid=",
                         0),
            0u)
      << *query;
  EXPECT_EQ(query->size(), query->find("&w_rid=") + 7 + 32);
  EXPECT_EQ(wbi_signed_query({}, "too-short", 1).code(), ErrorCode::kInvalid);
}

TEST(BilibiliWbi, ReadsKeysFromNav) {
  auto keys = parse_wbi_keys(
      R"({"code":-101,"message":"账号未登录","ttl":1,"data":{"isLogin":false,"wbi_img":{)"
      R"("img_url":"https://i0.hdslb.com/bfs/wbi/7cd084941338484aae1ad9425b84077c.png",)"
      R"("sub_url":"https://i0.hdslb.com/bfs/wbi/4932caff0ff746eab6f01bf08b70ac45.png"}}})");
  ASSERT_TRUE(keys.ok()) << keys.status().to_string();
  EXPECT_EQ(keys->img_key, "7cd084941338484aae1ad9425b84077c");
  EXPECT_EQ(keys->sub_key, "4932caff0ff746eab6f01bf08b70ac45");

  auto missing = parse_wbi_keys(R"({"code":-412,"message":"请求被拦截","data":null})");
  EXPECT_EQ(missing.code(), ErrorCode::kParse);
  EXPECT_NE(missing.error_message().find("code -412"), std::string::npos);
  EXPECT_EQ(parse_wbi_keys(R"({"data":{"wbi_img":{"img_url":"x.png","sub_url":7}}})").code(),
            ErrorCode::kParse);
  EXPECT_EQ(parse_wbi_keys("{\"data\":").code(), ErrorCode::kParse);
  EXPECT_EQ(wbi_key_from_url("https://i0.hdslb.com/bfs/wbi/abc.png?x=1"), "abc");
}

// ------------------------------------------------------------------ boards

class BilibiliTest : public ::testing::Test {
 protected:
  const Source& board(const char* id) {
    const Source* s = registry_.find(id);
    EXPECT_NE(s, nullptr) << id;
    return *s;
  }
  SourceRegistry registry_ = make_registry(register_bilibili_sources);
};

TEST_F(BilibiliTest, PopularParsesFixture) {
  auto items = collect_fixture(board("bilibili.popular"));
  ASSERT_TRUE(items.ok()) << items.status().to_string();
  ASSERT_EQ(items->size(), 12u);
  const Item& first = items->front();
  EXPECT_EQ(first.key, "BV1i45ub7Qe4");
  EXPECT_EQ(first.title, "【年度盘点】2025年度最值得一看的十部国产动画");
  EXPECT_EQ(first.url, "https://www.bilibili.com/video/BV1i45ub7Qe4");
  EXPECT_EQ(first.mobile_url, "https://m.bilibili.com/video/BV1i45ub7Qe4");
  EXPECT_EQ(first.hot, 3265011);
  EXPECT_EQ(first.hot_text, "326.5万播放");
  EXPECT_EQ(first.label, "百万播放");
  EXPECT_EQ(first.author, "泛次元观察室");
  EXPECT_EQ(first.published_at_ms, 1767132000000);
  EXPECT_EQ(first.image,
            "https://i0.hdslb.com/bfs/archive/2dd272d1371c17149d439536b3216fdaeeb97572.jpg");
  EXPECT_EQ(extra(first, "category"), "综合");
  EXPECT_EQ(extra(first, "likes"), "204063");
  EXPECT_EQ(first.summary.find('\n'), std::string::npos);
  EXPECT_EQ((*items)[3].summary, "");  // "-" means no description
  expect_sane_items(*items, 12);
}

TEST_F(BilibiliTest, PopularParsesRealCapture) {
  auto path = real_capture("bilibili/popular.json");
  if (!path) GTEST_SKIP() << "real capture not present (../shared/fixtures/real)";
  auto items = collect_canned(board("bilibili.popular"), 200, read_file(*path), "application/json");
  ASSERT_TRUE(items.ok()) << items.status().to_string();
  ASSERT_EQ(items->size(), 2u);
  const Item& first = items->front();
  EXPECT_EQ(first.key, "BV1tz421i7zb");
  EXPECT_EQ(first.title, "《抬您上泰山》");
  EXPECT_EQ(first.url, "https://www.bilibili.com/video/BV1tz421i7zb");
  EXPECT_EQ(first.hot, 2465053);
  EXPECT_EQ(first.author, "赵峰山西四人行");
  EXPECT_EQ(first.label, "百万播放");
  EXPECT_EQ(first.published_at_ms, 1722060600000);
  EXPECT_EQ(first.image,
            "https://i2.hdslb.com/bfs/archive/5c3a47b7189caa84965c03b08007635a3c2e0405.jpg");
  EXPECT_EQ((*items)[1].summary, "");
  expect_sane_items(*items, 2);
}

TEST_F(BilibiliTest, PopularRiskControlIsBlocked) {
  auto r = collect_canned(
      board("bilibili.popular"), 200,
      R"({"code":-352,"message":"风控校验失败","ttl":1,"data":{"v_voucher":"voucher_f2e1"}})");
  EXPECT_EQ(r.code(), ErrorCode::kBlocked);
  EXPECT_EQ(r.error_message(), "bilibili.popular: risk control (code -352: 风控校验失败)");
  auto http = collect_canned(board("bilibili.popular"), 412, "<html>412</html>");
  EXPECT_EQ(http.code(), ErrorCode::kBlocked);
}

TEST_F(BilibiliTest, PopularTruncatedJsonIsParseError) {
  auto r = collect_canned(board("bilibili.popular"), 200,
                          R"({"code":0,"message":"0","ttl":1,"data":{"list":[{"aid":1,"tit)");
  EXPECT_EQ(r.code(), ErrorCode::kParse);
  EXPECT_EQ(r.error_message().rfind("bilibili.popular: invalid JSON at offset ", 0), 0u)
      << r.error_message();
  // Wrong types and huge numbers do not crash.
  auto odd =
      collect_canned(board("bilibili.popular"), 200,
                     R"({"code":"0","data":{"list":[7,{"bvid":["x"]},{"bvid":"BV1x","title":"t",)"
                     R"("stat":{"view":1e300},"pubdate":-5,"owner":"nobody"}]}})");
  ASSERT_TRUE(odd.ok()) << odd.status().to_string();
  ASSERT_EQ(odd->size(), 1u);
  EXPECT_FALSE(odd->front().hot.has_value());
  EXPECT_FALSE(odd->front().published_at_ms.has_value());
}

TEST_F(BilibiliTest, RankingParsesSignedFixture) {
  auto items = collect_fixture(board("bilibili.ranking"));
  ASSERT_TRUE(items.ok()) << items.status().to_string();
  ASSERT_EQ(items->size(), 11u);
  const Item& first = items->front();
  EXPECT_EQ(first.key, "BV1eH7FLpSaF");
  EXPECT_EQ(first.title, "【毕导】这个实验，我们准备了整整一年");
  EXPECT_EQ(first.url, "https://www.bilibili.com/video/BV1eH7FLpSaF");
  EXPECT_EQ(first.hot, 4120098);
  EXPECT_EQ(first.author, "毕导THU");
  EXPECT_EQ(extra(first, "category"), "科学科普");
  expect_sane_items(*items, 11);
}

// Answers by URL prefix; each prefix serves its bodies in order, repeating the last one.
class ScriptedTransport final : public Transport {
 public:
  void add(const std::string& prefix, std::string body) {
    std::lock_guard lock(mu_);
    routes_[prefix].push_back(std::move(body));
  }
  Result<HttpResponse> fetch(const HttpRequest& request) override {
    std::lock_guard lock(mu_);
    urls_.push_back(request.url);
    for (auto& [prefix, bodies] : routes_) {
      if (request.url.rfind(prefix, 0) != 0) continue;
      std::size_t& served = served_[prefix];
      HttpResponse response;
      response.status = 200;
      response.body = bodies[std::min(served, bodies.size() - 1)];
      response.effective_url = request.url;
      ++served;
      return response;
    }
    return error(ErrorCode::kNotFound, "no route for " + request.url);
  }
  int count(const std::string& prefix) {
    std::lock_guard lock(mu_);
    int n = 0;
    for (const std::string& url : urls_) n += url.rfind(prefix, 0) == 0 ? 1 : 0;
    return n;
  }
  std::vector<std::string> urls() {
    std::lock_guard lock(mu_);
    return urls_;
  }

 private:
  std::mutex mu_;
  std::map<std::string, std::vector<std::string>> routes_;
  std::map<std::string, std::size_t> served_;
  std::vector<std::string> urls_;
};

constexpr char kNav[] = "https://api.bilibili.com/x/web-interface/nav";
constexpr char kRanking[] = "https://api.bilibili.com/x/web-interface/ranking/v2?";

std::string fixture(const char* name) { return read_file(fixtures_dir("bilibili") / name); }

TEST_F(BilibiliTest, RankingCachesWbiKeysForADay) {
  ScriptedTransport transport;
  transport.add(kNav, fixture("nav.json"));
  transport.add(kRanking, fixture("ranking.json"));
  FakeClock clock;
  SourceContext ctx{transport, clock};
  const Source& ranking = board("bilibili.ranking");

  ASSERT_TRUE(ranking.collect(ctx).ok());
  clock.advance(std::chrono::hours(23));
  ASSERT_TRUE(ranking.collect(ctx).ok());
  clock.set_wall(clock.now() - std::chrono::hours(48));  // an NTP step does not expire them
  ASSERT_TRUE(ranking.collect(ctx).ok());
  EXPECT_EQ(transport.count(kNav), 1);
  EXPECT_EQ(transport.count(kRanking), 3);

  clock.advance(std::chrono::hours(2));  // 25 h after the fetch
  ASSERT_TRUE(ranking.collect(ctx).ok());
  EXPECT_EQ(transport.count(kNav), 2);

  // wts follows the (wall) clock.
  const std::string last = transport.urls().back();
  const std::string wts = "wts=" + std::to_string(clock.now_ms() / 1000) + "&w_rid=";
  EXPECT_NE(last.find(wts), std::string::npos) << last;
}

TEST_F(BilibiliTest, RankingRefetchesKeysWhenTheSignatureIsRejected) {
  ScriptedTransport transport;
  transport.add(kNav, fixture("nav.json"));
  transport.add(kRanking, fixture("ranking.json"));
  transport.add(kRanking,
                R"({"code":0,"message":"0","ttl":1,"data":{"v_voucher":"voucher_9a3f"}})");
  transport.add(kRanking, fixture("ranking.json"));
  FakeClock clock;
  SourceContext ctx{transport, clock};
  const Source& ranking = board("bilibili.ranking");

  ASSERT_TRUE(ranking.collect(ctx).ok());  // nav + ranking
  auto second = ranking.collect(ctx);      // cached keys rejected -> nav again -> ranking
  ASSERT_TRUE(second.ok()) << second.status().to_string();
  EXPECT_EQ(second->size(), 11u);
  EXPECT_EQ(transport.count(kNav), 2);
  EXPECT_EQ(transport.count(kRanking), 3);
}

TEST_F(BilibiliTest, RankingRejectedWithFreshKeysIsBlocked) {
  ScriptedTransport transport;
  transport.add(kNav, fixture("nav.json"));
  transport.add(kRanking, R"({"code":-352,"message":"-352","ttl":1})");
  FakeClock clock;
  SourceContext ctx{transport, clock};
  auto r = board("bilibili.ranking").collect(ctx);
  EXPECT_EQ(r.code(), ErrorCode::kBlocked);
  EXPECT_EQ(r.error_message(), "bilibili.ranking: risk control (code -352: -352)");
  EXPECT_EQ(transport.count(kNav), 1);  // no second try: the keys were fresh
  EXPECT_EQ(transport.count(kRanking), 1);
}

TEST_F(BilibiliTest, RankingNavWithoutKeysIsParseError) {
  ScriptedTransport transport;
  transport.add(kNav, R"({"code":-412,"message":"请求被拦截","ttl":1,"data":null})");
  FakeClock clock;
  SourceContext ctx{transport, clock};
  auto r = board("bilibili.ranking").collect(ctx);
  EXPECT_EQ(r.code(), ErrorCode::kParse);
  EXPECT_EQ(r.error_message().rfind("bilibili.ranking: WBI keys (nav): ", 0), 0u)
      << r.error_message();
}

TEST_F(BilibiliTest, HotSearchParsesFixture) {
  auto items = collect_fixture(board("bilibili.hot-search"));
  ASSERT_TRUE(items.ok()) << items.status().to_string();
  ASSERT_EQ(items->size(), 12u);
  const Item& first = items->front();
  EXPECT_EQ(first.key, "跨年晚会");
  EXPECT_EQ(first.title, "跨年晚会名场面合集");
  EXPECT_EQ(first.url,
            "https://search.bilibili.com/all?keyword=%E8%B7%A8%E5%B9%B4%E6%99%9A%E4%BC%9A");
  EXPECT_EQ(first.hot, 3898765);
  EXPECT_EQ(first.label, "热");
  EXPECT_EQ(extra(first, "hot_id"), "198046");
  EXPECT_EQ((*items)[1].label, "新");
  expect_sane_items(*items, 12);
}

TEST_F(BilibiliTest, HotSearchReadsTheAppShape) {
  auto r = collect_canned(
      board("bilibili.hot-search"), 200,
      R"({"code":0,"message":"0","ttl":1,"data":{"trackid":"1","list":[)"
      R"({"position":1,"keyword":"春运","show_name":"春运抢票攻略","word_type":4,"hot_id":1},)"
      R"({"position":2,"keyword":"广告位","show_name":"广告位","word_type":8,"is_commercial":"1"},)"
      R"({"position":3,"keyword":"","show_name":"无关键词"}]}})");
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ(r->front().title, "春运抢票攻略");
  EXPECT_FALSE(r->front().hot.has_value());
  EXPECT_EQ(collect_canned(board("bilibili.hot-search"), 200, R"({"code":0,"data":{}})").code(),
            ErrorCode::kParse);
}

}  // namespace
}  // namespace mu
