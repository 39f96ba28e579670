#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "sources/source.h"
#include "sources/testing/source_testing.h"

namespace mu {

Status register_douyin_sources(SourceRegistry& registry);

namespace {

using namespace source_testing;  // NOLINT(google-build-using-namespace)

constexpr char kPrimeUrl[] =
    "https://www.douyin.com/passport/general/login_guiding_strategy/?aid=6383";

class DouyinHot : public ::testing::Test {
 protected:
  const Source& board() {
    const Source* s = registry_.find("douyin.hot");
    EXPECT_NE(s, nullptr);
    return *s;
  }
  SourceRegistry registry_ = make_registry(register_douyin_sources);
};

std::string extra(const Item& item, const std::string& key) {
  for (const auto& [k, v] : item.extra) {
    if (k == key) return v;
  }
  return {};
}

TEST_F(DouyinHot, ParsesFixture) {
  auto items = collect_fixture(board());
  ASSERT_TRUE(items.ok()) << items.status().to_string();
  ASSERT_EQ(items->size(), 14u);  // trending_list is not part of the board
  const Item& first = items->front();
  EXPECT_EQ(first.key, "2348999");
  EXPECT_EQ(first.title, "新年第一缕阳光");
  EXPECT_EQ(first.url, "https://www.douyin.com/hot/2348999");
  EXPECT_EQ(first.mobile_url,
            "https://www.douyin.com/search/"
            "%E6%96%B0%E5%B9%B4%E7%AC%AC%E4%B8%80%E7%BC%95%E9%98%B3%E5%85%89");
  EXPECT_EQ(first.hot, 11827391);
  EXPECT_EQ(first.label, "热");
  EXPECT_EQ(first.published_at_ms, 1767219180000);
  EXPECT_EQ(first.image.rfind("https://p3-sign.douyinpic.com/tos-cn-i-0813/", 0), 0u);
  EXPECT_EQ(extra(first, "position"), "1");
  EXPECT_EQ(extra(first, "views"), "47309564");
  EXPECT_EQ(extra(first, "videos"), "48");
  EXPECT_EQ((*items)[1].label, "新");
  EXPECT_EQ((*items)[2].label, "");
  expect_sane_items(*items, 14);
}

TEST_F(DouyinHot, ParsesRealCaptureOf2021) {
  auto path = real_capture("douyin/hot-search.json");
  if (!path) GTEST_SKIP() << "real capture not present (../shared/fixtures/real)";
  auto items = collect_canned(board(), 200, read_file(*path), "application/json");
  ASSERT_TRUE(items.ok()) << items.status().to_string();
  ASSERT_EQ(items->size(), 50u);  // the pinned 专题 entry (no position) is skipped
  const Item& first = items->front();
  EXPECT_EQ(first.key, "212405");
  EXPECT_EQ(first.title, "王友梅是谁");
  EXPECT_EQ(first.url, "https://www.douyin.com/hot/212405");
  EXPECT_EQ(first.hot, 9104891);
  EXPECT_EQ(first.published_at_ms, 1610344007000);
  EXPECT_EQ(first.image,
            "https://p1-dy-ipv6.byteimg.com/img/tos-cn-p-0015/"
            "65905e9b3fde4ca3a63d8de3045f4af4~noop.jpeg?from=3218412987");
  EXPECT_EQ(extra(first, "views"), "17735532");
  expect_sane_items(*items, 50);
}

TEST_F(DouyinHot, ReadsTopLevelWordList) {
  auto r =
      collect_canned(board(), 200,
                     R"({"status_code":0,"word_list":[{"word":"寒潮来袭","hot_value":4876512},)"
                     R"({"word":"无热度","hot_value":0},{"word":7,"hot_value":"x"}]})");
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ(r->front().key, "寒潮来袭");
  EXPECT_EQ(r->front().url, "https://www.douyin.com/search/%E5%AF%92%E6%BD%AE%E6%9D%A5%E8%A2%AD");
}

// Sets cookies on the priming request and answers the list with scripted bodies.
class CookieTransport final : public Transport {
 public:
  explicit CookieTransport(std::vector<std::string> list_bodies)
      : list_bodies_(std::move(list_bodies)) {}
  Result<HttpResponse> fetch(const HttpRequest& request) override {
    std::lock_guard lock(mu_);
    requests_.push_back(request);
    HttpResponse response;
    response.status = 200;
    response.effective_url = request.url;
    if (request.url == kPrimeUrl) {
      ++primes_;
      response.headers = {
          {"Content-Type", "application/json"},
          {"Set-Cookie", "ttwid=1%7Cabc" + std::to_string(primes_) + "; Path=/; HttpOnly"},
          {"set-cookie", "passport_csrf_token=f00d; Path=/; Secure"},
          {"Set-Cookie", "malformed"},
      };
      response.body = R"({"data":{"show_guide":false},"status_code":0})";
      return response;
    }
    response.body = list_bodies_[std::min(lists_, list_bodies_.size() - 1)];
    ++lists_;
    return response;
  }
  std::vector<HttpRequest> requests() {
    std::lock_guard lock(mu_);
    return requests_;
  }
  std::size_t primes() {
    std::lock_guard lock(mu_);
    return primes_;
  }

 private:
  std::mutex mu_;
  std::vector<std::string> list_bodies_;
  std::size_t lists_ = 0;
  std::size_t primes_ = 0;
  std::vector<HttpRequest> requests_;
};

std::string cookie_of(const HttpRequest& request) {
  for (const auto& [name, value] : request.headers) {
    if (name == "Cookie") return value;
  }
  return {};
}

TEST_F(DouyinHot, PrimesCookiesAndKeepsThem) {
  const std::string list = read_file(fixtures_dir("douyin") / "hot-search.json");
  CookieTransport transport({list, "", list});
  FakeClock clock;
  SourceContext ctx{transport, clock};

  ASSERT_TRUE(board().collect(ctx).ok());
  auto requests = transport.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].url, kPrimeUrl);
  EXPECT_EQ(cookie_of(requests[1]), "ttwid=1%7Cabc1; passport_csrf_token=f00d");

  // Cached cookies; the list comes back empty, so new cookies are fetched and it is retried.
  clock.advance(std::chrono::minutes(10));
  auto second = board().collect(ctx);
  ASSERT_TRUE(second.ok()) << second.status().to_string();
  requests = transport.requests();
  ASSERT_EQ(requests.size(), 5u);
  EXPECT_EQ(cookie_of(requests[2]), "ttwid=1%7Cabc1; passport_csrf_token=f00d");
  EXPECT_EQ(requests[3].url, kPrimeUrl);
  EXPECT_EQ(cookie_of(requests[4]), "ttwid=1%7Cabc2; passport_csrf_token=f00d");

  clock.advance(std::chrono::hours(7));  // past the cookie lifetime
  ASSERT_TRUE(board().collect(ctx).ok());
  EXPECT_EQ(transport.primes(), 3u);
}

TEST_F(DouyinHot, ConfiguredCookieSkipsPriming) {
  const std::string list = read_file(fixtures_dir("douyin") / "hot-search.json");
  CookieTransport transport({list});
  FakeClock clock;
  const std::map<std::string, std::string> secrets = {{"douyin.cookie", "ttwid=mine"}};
  SourceContext ctx{transport, clock, &secrets};
  ASSERT_TRUE(board().collect(ctx).ok());
  auto requests = transport.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(cookie_of(requests[0]), "ttwid=mine");
}

TEST_F(DouyinHot, RefusalIsBlockedAndTruncationIsParseError) {
  auto refused =
      collect_canned(board(), 200, R"({"status_code":2154,"status_msg":"请求太频繁，请稍后再试"})");
  EXPECT_EQ(refused.code(), ErrorCode::kBlocked);
  EXPECT_EQ(refused.error_message(),
            "douyin.hot: API refused the request (status_code 2154: 请求太频繁，请稍后再试); "
            "the anonymous cookies may be stale");
  auto truncated = collect_canned(board(), 200, R"({"data":{"word_list":[{"word":"新年)");
  EXPECT_EQ(truncated.code(), ErrorCode::kParse);
  EXPECT_EQ(truncated.error_message().rfind("douyin.hot: invalid JSON at offset ", 0), 0u)
      << truncated.error_message();
  auto empty = collect_canned(board(), 200, " ");
  EXPECT_EQ(empty.code(), ErrorCode::kParse);
  auto no_list = collect_canned(board(), 200, R"({"status_code":0,"data":{"word_list":null}})");
  EXPECT_EQ(no_list.code(), ErrorCode::kParse);
  EXPECT_EQ(no_list.error_message(), "douyin.hot: data.word_list: expected array, got null");
}

}  // namespace
}  // namespace mu
