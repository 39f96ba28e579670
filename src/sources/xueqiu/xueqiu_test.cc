#include <gtest/gtest.h>

#include <functional>
#include <mutex>

#include "sources/source.h"
#include "sources/testing/source_testing.h"

namespace mu {

Status register_xueqiu_sources(SourceRegistry& registry);

namespace {

using namespace source_testing;  // NOLINT(google-build-using-namespace)

constexpr char kApi[] =
    "https://stock.xueqiu.com/v5/stock/hot_stock/list.json?size=30&_type=10&type=10";
constexpr char kOkBody[] =
    R"({"data":{"items":[{"code":"SH600519","name":"贵州茅台","value":100,"percent":1.5,)"
    R"("current":1468.02,"exchange":"SH","ad":0}]},"error_code":0})";
constexpr char kStaleBody[] =
    R"({"error_description":"遇到错误，请刷新页面或者重新登录帐号后再试",)"
    R"("error_uri":"/v5/stock/hot_stock/list.json","error_data":null,"error_code":"400016"})";

// Plays the site: the home page hands out a numbered token; the API accepts only the tokens
// listed in `valid_tokens`.
class FakeXueqiu final : public Transport {
 public:
  Result<HttpResponse> fetch(const HttpRequest& request) override {
    std::lock_guard lock(mu_);
    requests.push_back(request);
    HttpResponse r;
    r.effective_url = request.url;
    if (request.url == "https://xueqiu.com/") {
      ++home_calls;
      r.status = 200;
      r.body = "<html><body>雪球</body></html>";
      r.headers = {{"Set-Cookie", "acw_tc=2760827c17671686; path=/; HttpOnly; Max-Age=1800"},
                   {"Set-Cookie", "xq_a_token=tok" + std::to_string(home_calls) +
                                      "; domain=.xueqiu.com; path=/; expires=" + token_expires +
                                      "; HttpOnly"}};
      return r;
    }
    ++api_calls;
    const std::string cookie(find_header(request.headers, "Cookie"));
    bool ok = false;
    for (const std::string& t : valid_tokens) {
      if (cookie.find("xq_a_token=" + t) != std::string::npos) ok = true;
    }
    r.status = ok ? 200 : 400;
    r.body = ok ? kOkBody : kStaleBody;
    return r;
  }

  std::vector<std::string> valid_tokens = {"tok1"};
  std::string token_expires = "Sat, 17 Jan 2026 08:00:00 GMT";  // 16 days after the FakeClock
  int home_calls = 0;
  int api_calls = 0;
  std::vector<HttpRequest> requests;

 private:
  std::mutex mu_;
};

class XueqiuHotStocks : public ::testing::Test {
 protected:
  const Source& board() {
    const Source* s = registry_.find("xueqiu.hot-stocks");
    EXPECT_NE(s, nullptr);
    return *s;
  }
  SourceRegistry registry_ = make_registry(register_xueqiu_sources);
};

std::string extra(const Item& item, const std::string& key) {
  for (const auto& [k, v] : item.extra) {
    if (k == key) return v;
  }
  return {};
}

TEST_F(XueqiuHotStocks, ParsesFixture) {
  auto items = collect_fixture(board());
  ASSERT_TRUE(items.ok()) << items.status().to_string();
  ASSERT_EQ(items->size(), 18u);  // the ad entry is skipped
  const Item& first = items->front();
  EXPECT_EQ(first.key, "SH600519");
  EXPECT_EQ(first.title, "贵州茅台");
  EXPECT_EQ(first.url, "https://xueqiu.com/S/SH600519");
  EXPECT_EQ(first.hot, 53210);
  EXPECT_EQ(first.hot_text, "+0.83%");
  EXPECT_EQ(extra(first, "exchange"), "SH");
  EXPECT_EQ(extra(first, "price"), "1468.02");
  const Item& second = (*items)[1];
  EXPECT_EQ(second.title, "英伟达");
  EXPECT_EQ(second.hot_text, "-1.26%");
  EXPECT_EQ(extra(second, "rank_change"), "3");
  EXPECT_EQ((*items)[3].url, "https://xueqiu.com/S/00700");
  for (const Item& item : *items) EXPECT_NE(item.key, "XQ_AD_2026");
  expect_sane_items(*items, 10);
}

TEST_F(XueqiuHotStocks, FetchesTheVisitorCookieOnceAndSendsIt) {
  FakeXueqiu site;
  FakeClock clock;
  SourceContext ctx{site, clock};
  auto first = board().collect(ctx);
  ASSERT_TRUE(first.ok()) << first.status().to_string();
  EXPECT_EQ(first->front().title, "贵州茅台");
  ASSERT_EQ(site.requests.size(), 2u);
  EXPECT_EQ(site.requests[0].url, "https://xueqiu.com/");
  EXPECT_EQ(site.requests[1].url, kApi);
  EXPECT_EQ(find_header(site.requests[1].headers, "Cookie"),
            "acw_tc=2760827c17671686; xq_a_token=tok1");

  clock.advance(std::chrono::hours(3));
  ASSERT_TRUE(board().collect(ctx).ok());
  EXPECT_EQ(site.home_calls, 1);  // served from the cache
  EXPECT_EQ(site.api_calls, 2);

  clock.advance(std::chrono::hours(10));  // past the 12 h cap: fetched again
  site.valid_tokens = {"tok2"};
  ASSERT_TRUE(board().collect(ctx).ok());
  EXPECT_EQ(site.home_calls, 2);
}

TEST_F(XueqiuHotStocks, StaleCookieIsRefreshedOnce) {
  FakeXueqiu site;
  FakeClock clock;
  SourceContext ctx{site, clock};
  ASSERT_TRUE(board().collect(ctx).ok());
  site.valid_tokens = {"tok2"};  // the site revoked tok1 early
  auto again = board().collect(ctx);
  ASSERT_TRUE(again.ok()) << again.status().to_string();
  EXPECT_EQ(site.home_calls, 2);
  EXPECT_EQ(site.api_calls, 3);  // ok, rejected with the cached cookie, ok with the new one

  site.valid_tokens = {};  // every token rejected: one refresh, then a clear error
  auto blocked = board().collect(ctx);
  EXPECT_EQ(blocked.code(), ErrorCode::kBlocked);
  EXPECT_EQ(blocked.error_message(),
            "xueqiu.hot-stocks: HTTP 400 from https://stock.xueqiu.com/v5/stock/hot_stock/"
            "list.json (API error 400016: 遇到错误，请刷新页面或者重新登录帐号后再试)");
  EXPECT_EQ(site.home_calls, 3);
  EXPECT_EQ(site.api_calls, 5);
  EXPECT_EQ(blocked.error_message().find("tok3"), std::string::npos);  // no cookie values
  EXPECT_EQ(blocked.error_message().find("acw_tc"), std::string::npos);
}

TEST_F(XueqiuHotStocks, FreshCookieRejectionIsNotRetried) {
  FakeXueqiu site;
  site.valid_tokens = {};
  FakeClock clock;
  SourceContext ctx{site, clock};
  auto r = board().collect(ctx);
  EXPECT_EQ(r.code(), ErrorCode::kBlocked);
  EXPECT_EQ(site.home_calls, 1);
  EXPECT_EQ(site.api_calls, 1);
}

TEST_F(XueqiuHotStocks, ExpiredTokenFromTheSiteCountsAsMissing) {
  FakeXueqiu site;
  site.token_expires = "Thu, 01 Jan 2015 00:00:00 GMT";
  FakeClock clock;
  SourceContext ctx{site, clock};
  auto r = board().collect(ctx);
  EXPECT_EQ(r.code(), ErrorCode::kBlocked);
  EXPECT_EQ(r.error_message(),
            "xueqiu.hot-stocks: HTTP 400 from https://stock.xueqiu.com/v5/stock/hot_stock/"
            "list.json (API error 400016: 遇到错误，请刷新页面或者重新登录帐号后再试); visitor "
            "cookie: xueqiu.hot-stocks: https://xueqiu.com/ set no xq_a_token cookie (2 "
            "cookies set)");
}

TEST_F(XueqiuHotStocks, ConfiguredCookieSkipsTheHomePage) {
  FakeXueqiu site;
  site.valid_tokens = {"mine"};
  FakeClock clock;
  std::map<std::string, std::string> secrets = {{"xueqiu.cookie", "xq_a_token=mine"}};
  SourceContext ctx{site, clock, &secrets};
  ASSERT_TRUE(board().collect(ctx).ok());
  EXPECT_EQ(site.home_calls, 0);
}

TEST_F(XueqiuHotStocks, ErrorBodiesAndTruncation) {
  // What the API says to a client without the cookie.
  auto stale = collect_canned(board(), 400, kStaleBody, "application/json");
  EXPECT_EQ(stale.code(), ErrorCode::kBlocked);
  auto truncated = collect_canned(board(), 200, R"({"data":{"items":[{"code":"SH6)");
  EXPECT_EQ(truncated.code(), ErrorCode::kParse);
  EXPECT_EQ(truncated.error_message().rfind("xueqiu.hot-stocks: invalid JSON at offset ", 0), 0u)
      << truncated.error_message();
  auto empty = collect_canned(board(), 200, R"({"data":{"items":[]},"error_code":0})");
  EXPECT_EQ(empty.code(), ErrorCode::kParse);
  auto odd = collect_canned(board(), 200,
                            R"({"data":{"items":[{"code":600519,"name":"茅台","percent":"x",)"
                            R"("value":"hot"},{"name":"no code"}]}})");
  ASSERT_TRUE(odd.ok()) << odd.status().to_string();
  ASSERT_EQ(odd->size(), 1u);
  EXPECT_EQ(odd->front().url, "https://xueqiu.com/S/600519");
  EXPECT_FALSE(odd->front().hot.has_value());
  auto server = collect_canned(board(), 502, "<html>Bad Gateway</html>");
  EXPECT_EQ(server.code(), ErrorCode::kHttp);
}

}  // namespace
}  // namespace mu
