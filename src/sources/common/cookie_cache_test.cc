#include "sources/common/cookie_cache.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace mu {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

int64_t unix_s(WallTime t) {
  return std::chrono::duration_cast<seconds>(t.time_since_epoch()).count();
}

// Answers every request with the given status and headers; counts the requests.
class HeaderTransport final : public Transport {
 public:
  HeaderTransport(int status, Headers headers) : status_(status), headers_(std::move(headers)) {}
  Result<HttpResponse> fetch(const HttpRequest& request) override {
    ++calls;
    HttpResponse r;
    r.status = status_;
    r.headers = headers_;
    r.body = "<html><body>home</body></html>";
    r.effective_url = request.url;
    return r;
  }
  std::atomic<int> calls{0};

 private:
  int status_;
  Headers headers_;
};

HttpRequest home_page() {
  HttpRequest r;
  r.url = "https://example.com/?q=secret";
  return r;
}

TEST(ParseCookieDate, ServerFormats) {
  // 784111777 is 1994-11-06 08:49:37 UTC, the example date of RFC 9110.
  for (const char* s : {"Sun, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT",
                        "Sun, 06-Nov-1994 08:49:37 GMT", "Sun Nov  6 08:49:37 1994",
                        "sun, 6 nov 1994 8:49:37 gmt"}) {
    SCOPED_TRACE(s);
    auto t = parse_cookie_date(s);
    ASSERT_TRUE(t.has_value());
    EXPECT_EQ(unix_s(*t), 784111777);
  }
  auto y2k = parse_cookie_date("Sat, 17-Jan-26 08:00:00 GMT");  // two-digit year below 70
  ASSERT_TRUE(y2k.has_value());
  EXPECT_EQ(unix_s(*y2k), 1768636800);
}

TEST(ParseCookieDate, FarFutureAndFarPastAreClampedNotOverflowed) {
  auto never = parse_cookie_date("Fri, 31 Dec 9999 23:59:59 GMT");
  ASSERT_TRUE(never.has_value());
  EXPECT_GT(unix_s(*never), int64_t{7'000'000'000});  // beyond the year 2100
  auto past = parse_cookie_date("Mon, 01 Jan 1601 00:00:00 GMT");
  ASSERT_TRUE(past.has_value());
  EXPECT_LT(unix_s(*past), 0);

  // Such a cookie lives until the cache's maximum TTL.
  FakeClock clock;
  CookieCache cache(CookieCache::Options{.max_ttl = hours(6), .refresh_margin = seconds(0)});
  HttpResponse r;
  r.headers = {{"Set-Cookie", "tok=v; expires=Fri, 31 Dec 9999 23:59:59 GMT"}};
  ASSERT_TRUE(cache.store_from_response("k", r, {"tok"}, clock).ok());
  clock.advance(hours(5) + minutes(59));
  EXPECT_TRUE(cache.get("k", clock).has_value());
  clock.advance(minutes(1));
  EXPECT_FALSE(cache.get("k", clock).has_value());
}

TEST(ParseCookieDate, RejectsGarbage) {
  for (const char* s : {"", "tomorrow", "Sun, 06 Nov 1994", "31 Feb 2026 00:00:00",
                        "Sun, 06 Nov 1994 24:00:00 GMT", "06 Nov 1500 08:49:37", "99999999999"}) {
    SCOPED_TRACE(s);
    EXPECT_FALSE(parse_cookie_date(s).has_value());
  }
}

TEST(ParseSetCookie, NameValueAndAttributes) {
  auto c = parse_set_cookie(
      "xq_a_token=5f1ea1b2c3; path=/; Expires=Sat, 17 Jan 2026 08:00:00 GMT; domain=.xueqiu.com; "
      "HttpOnly; Max-Age=1209600");
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->name, "xq_a_token");
  EXPECT_EQ(c->value, "5f1ea1b2c3");
  EXPECT_EQ(c->max_age_s, 1209600);
  ASSERT_TRUE(c->expires.has_value());
  EXPECT_EQ(unix_s(*c->expires), 1768636800);

  auto plain = parse_set_cookie(" u = 261767225600 ");
  ASSERT_TRUE(plain.has_value());
  EXPECT_EQ(plain->name, "u");
  EXPECT_EQ(plain->value, "261767225600");
  EXPECT_FALSE(plain->max_age_s.has_value());
  EXPECT_FALSE(plain->expires.has_value());

  auto bad_attrs = parse_set_cookie("a=b==c; max-age=soon; expires=later");
  ASSERT_TRUE(bad_attrs.has_value());
  EXPECT_EQ(bad_attrs->value, "b==c");
  EXPECT_FALSE(bad_attrs->max_age_s.has_value());
  EXPECT_FALSE(bad_attrs->expires.has_value());

  auto huge = parse_set_cookie("a=1; Max-Age=999999999999999999999999");
  ASSERT_TRUE(huge.has_value());
  EXPECT_GT(*huge->max_age_s, int64_t{1} << 40);

  EXPECT_FALSE(parse_set_cookie("novalue; path=/").has_value());
  EXPECT_FALSE(parse_set_cookie("=x").has_value());
  EXPECT_FALSE(parse_set_cookie("").has_value());
}

TEST(CookieCache, MaxAgeDecidesExpiryMinusTheMargin) {
  FakeClock clock;
  CookieCache cache;
  HttpResponse r;
  r.effective_url = "https://xueqiu.com/";
  r.headers = {{"Set-Cookie", "acw_tc=2760827; path=/; HttpOnly; Max-Age=1800"},
               {"set-cookie", "xq_a_token=abc123; path=/; Max-Age=3600"},
               {"Content-Type", "text/html"}};
  auto header = cache.store_from_response("xueqiu", r, {"xq_a_token"}, clock);
  ASSERT_TRUE(header.ok()) << header.status().to_string();
  EXPECT_EQ(*header, "acw_tc=2760827; xq_a_token=abc123");  // every cookie, in order set
  EXPECT_EQ(cache.get("xueqiu", clock), "acw_tc=2760827; xq_a_token=abc123");
  clock.advance(minutes(58) + seconds(59));  // 3600 s - 60 s margin not yet reached
  EXPECT_TRUE(cache.get("xueqiu", clock).has_value());
  clock.advance(seconds(1));
  EXPECT_FALSE(cache.get("xueqiu", clock).has_value());
}

TEST(CookieCache, ExpiresIsReadAgainstTheWallClock) {
  FakeClock clock;  // 2026-01-01 00:00:00 UTC
  CookieCache cache;
  HttpResponse r;
  r.headers = {{"Set-Cookie", "tok=v; Expires=Thu, 01 Jan 2026 02:00:00 GMT"}};
  ASSERT_TRUE(cache.store_from_response("site", r, {"tok"}, clock).ok());
  clock.advance(hours(1) + minutes(58));
  EXPECT_TRUE(cache.get("site", clock).has_value());
  clock.advance(minutes(1));
  EXPECT_FALSE(cache.get("site", clock).has_value());
}

TEST(CookieCache, WallClockStepDoesNotExpireOrReviveEntries) {
  FakeClock clock;
  CookieCache cache;
  cache.put("site", "a=1", minutes(10), clock);
  clock.set_wall(clock.now() + hours(48));  // NTP step forward
  EXPECT_EQ(cache.get("site", clock), "a=1");
  clock.advance(minutes(9));
  EXPECT_FALSE(cache.get("site", clock).has_value());
}

TEST(CookieCache, SessionCookiesUseTheDefaultTtlAndLongOnesAreCapped) {
  FakeClock clock;
  CookieCache cache(CookieCache::Options{
      .default_ttl = minutes(20), .max_ttl = hours(2), .refresh_margin = seconds(0)});
  HttpResponse session;
  session.headers = {{"Set-Cookie", "s=1"}};
  ASSERT_TRUE(cache.store_from_response("a", session, {"s"}, clock).ok());
  HttpResponse forever;
  forever.headers = {{"Set-Cookie", "f=1; Max-Age=315360000"}};  // ten years
  ASSERT_TRUE(cache.store_from_response("b", forever, {"f"}, clock).ok());
  clock.advance(minutes(19));
  EXPECT_TRUE(cache.get("a", clock).has_value());
  clock.advance(minutes(1));
  EXPECT_FALSE(cache.get("a", clock).has_value());
  clock.advance(hours(1) + minutes(39));
  EXPECT_TRUE(cache.get("b", clock).has_value());
  clock.advance(minutes(1));
  EXPECT_FALSE(cache.get("b", clock).has_value());
}

TEST(CookieCache, EarliestWantedCookieWins) {
  FakeClock clock;
  CookieCache cache(CookieCache::Options{.refresh_margin = seconds(0)});
  HttpResponse r;
  r.headers = {{"Set-Cookie", "a=1; Max-Age=7200"},
               {"Set-Cookie", "b=2; Max-Age=600"},
               {"Set-Cookie", "c=3; Max-Age=60"}};  // not wanted: does not shorten the entry
  ASSERT_TRUE(cache.store_from_response("k", r, {"a", "b"}, clock).ok());
  clock.advance(seconds(599));
  EXPECT_EQ(cache.get("k", clock), "a=1; b=2; c=3");
  clock.advance(seconds(1));
  EXPECT_FALSE(cache.get("k", clock).has_value());
}

TEST(CookieCache, MissingOrDeletedCookieIsBlockedWithoutValues) {
  FakeClock clock;
  CookieCache cache;
  HttpResponse r;
  r.effective_url = "https://xueqiu.com/?token=zzz";
  r.headers = {{"Set-Cookie", "xq_a_token=deleted; Max-Age=0"},
               {"Set-Cookie", "acw_tc=topsecretvalue; Max-Age=1800"},
               {"Set-Cookie", "old=gone; Expires=Thu, 01 Jan 1970 00:00:00 GMT"}};
  auto header = cache.store_from_response("xueqiu", r, {"xq_a_token", "u"}, clock);
  ASSERT_FALSE(header.ok());
  EXPECT_EQ(header.code(), ErrorCode::kBlocked);
  EXPECT_EQ(header.error_message(),
            "https://xueqiu.com/ set no xq_a_token, u cookie (3 cookies set)");
  EXPECT_EQ(header.error_message().find("topsecretvalue"), std::string::npos);
  EXPECT_FALSE(cache.get("xueqiu", clock).has_value());
}

TEST(CookieCache, LastSetCookieForANameWins) {
  FakeClock clock;
  CookieCache cache;
  HttpResponse r;
  r.headers = {{"Set-Cookie", "t=first; Max-Age=3600"}, {"Set-Cookie", "t=second; Max-Age=3600"}};
  auto header = cache.store_from_response("k", r, {"t"}, clock);
  ASSERT_TRUE(header.ok());
  EXPECT_EQ(*header, "t=second");
}

TEST(CookieCache, GetOrFetchCachesAndRefetchesAfterExpiryOrInvalidate) {
  FakeClock clock;
  CookieCache cache;
  HeaderTransport transport(200, {{"Set-Cookie", "xq_a_token=abc; Max-Age=600; path=/"}});
  SourceContext ctx{transport, clock};
  auto first = cache.get_or_fetch(ctx, "xueqiu", home_page(), {"xq_a_token"}, "xueqiu.hot");
  ASSERT_TRUE(first.ok()) << first.status().to_string();
  EXPECT_EQ(first->header, "xq_a_token=abc");
  EXPECT_FALSE(first->from_cache);
  auto second = cache.get_or_fetch(ctx, "xueqiu", home_page(), {"xq_a_token"}, "xueqiu.hot");
  ASSERT_TRUE(second.ok());
  EXPECT_TRUE(second->from_cache);
  EXPECT_EQ(transport.calls, 1);

  clock.advance(minutes(9));  // 600 s - 60 s margin
  auto third = cache.get_or_fetch(ctx, "xueqiu", home_page(), {"xq_a_token"}, "xueqiu.hot");
  ASSERT_TRUE(third.ok());
  EXPECT_FALSE(third->from_cache);
  EXPECT_EQ(transport.calls, 2);

  cache.invalidate("xueqiu");
  ASSERT_TRUE(cache.get_or_fetch(ctx, "xueqiu", home_page(), {"xq_a_token"}, "xueqiu.hot").ok());
  EXPECT_EQ(transport.calls, 3);
  // Another key is another entry.
  EXPECT_FALSE(cache.get("other", clock).has_value());
}

TEST(CookieCache, GetOrFetchNamesTheBoardAndMapsHttpErrors) {
  FakeClock clock;
  CookieCache cache;
  HeaderTransport no_cookie(200, {{"Content-Type", "text/html"}});
  SourceContext ctx{no_cookie, clock};
  auto r = cache.get_or_fetch(ctx, "xueqiu", home_page(), {"xq_a_token"}, "xueqiu.hot");
  EXPECT_EQ(r.code(), ErrorCode::kBlocked);
  EXPECT_EQ(r.status().message(),
            "xueqiu.hot: https://example.com/ set no xq_a_token cookie (0 cookies set)");

  HeaderTransport waf(403, {{"Set-Cookie", "xq_a_token=abc"}});
  SourceContext waf_ctx{waf, clock};
  auto blocked = cache.get_or_fetch(waf_ctx, "xueqiu", home_page(), {"xq_a_token"}, "xueqiu.hot");
  EXPECT_EQ(blocked.code(), ErrorCode::kBlocked);
  EXPECT_EQ(blocked.status().message().rfind("xueqiu.hot: ", 0), 0u);
  EXPECT_FALSE(cache.get("xueqiu", clock).has_value());
}

TEST(CookieCache, ConcurrentUseIsSafe) {
  FakeClock clock;
  CookieCache cache;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 500; ++i) {
        const std::string key = "site" + std::to_string(i % 3);
        if ((i + t) % 4 == 0) cache.invalidate(key);
        cache.put(key, "v=" + std::to_string(i), minutes(5), clock);
        auto got = cache.get(key, clock);
        if (got) {
          EXPECT_EQ(got->rfind("v=", 0), 0u);
        }
      }
    });
  }
  for (auto& th : threads) th.join();
}

}  // namespace
}  // namespace mu
