#include "sources/common/http_util.h"

#include <gtest/gtest.h>

#include "core/clock.h"
#include "sources/common/simple_source.h"
#include "sources/testing/source_testing.h"

namespace mu {
namespace {

using source_testing::CannedTransport;

class FailingTransport final : public Transport {
 public:
  Result<HttpResponse> fetch(const HttpRequest&) override {
    return error(ErrorCode::kTimeout, "deadline of 20000 ms passed");
  }
};

Result<HttpResponse> fetch_with(int status, std::string body) {
  CannedTransport transport(status, std::move(body));
  FakeClock clock;
  SourceContext ctx{transport, clock};
  HttpRequest request;
  request.url = "https://example.com/list";
  return fetch_ok(ctx, request, "example.list");
}

TEST(FetchOk, PassesGoodResponses) {
  auto r = fetch_with(200, "{\"ok\":1}");
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->body, "{\"ok\":1}");
  EXPECT_EQ(r->effective_url, "https://example.com/list");
}

TEST(FetchOk, MapsStatusesAndNamesTheBoard) {
  auto r500 = fetch_with(500, "oops");
  EXPECT_EQ(r500.code(), ErrorCode::kHttp);
  EXPECT_EQ(r500.error_message(), "example.list: HTTP 500 from https://example.com/list");
  EXPECT_EQ(fetch_with(429, "slow down").code(), ErrorCode::kHttp);
  EXPECT_EQ(fetch_with(403, "captcha").code(), ErrorCode::kBlocked);
  EXPECT_EQ(fetch_with(412, "").code(), ErrorCode::kBlocked);
  auto r401 = fetch_with(401, "{\"error\":{}}");
  EXPECT_EQ(r401.code(), ErrorCode::kBlocked);
  EXPECT_NE(r401.error_message().find("login required"), std::string::npos);
}

TEST(FetchOk, RejectsEmptyBodies) {
  auto r = fetch_with(200, " \r\n");
  EXPECT_EQ(r.code(), ErrorCode::kParse);
  EXPECT_EQ(r.error_message(), "example.list: empty body from https://example.com/list");
}

TEST(FetchOk, TransportErrorsKeepTheirCategory) {
  FailingTransport transport;
  FakeClock clock;
  SourceContext ctx{transport, clock};
  HttpRequest request;
  request.url = "https://example.com/";
  auto r = fetch_ok(ctx, request, "example.list");
  EXPECT_EQ(r.code(), ErrorCode::kTimeout);
  EXPECT_EQ(r.error_message(), "example.list: deadline of 20000 ms passed");
}

TEST(HttpUtil, IsHttpUrl) {
  EXPECT_TRUE(is_http_url("https://weibo.com/"));
  EXPECT_TRUE(is_http_url("HTTP://example.com"));
  EXPECT_FALSE(is_http_url("javascript:alert(1)"));
  EXPECT_FALSE(is_http_url("JavaScript://example.com/%0Aalert(1)"));
  EXPECT_FALSE(is_http_url("ftp://example.com/"));
  EXPECT_FALSE(is_http_url("item?id=1"));
  EXPECT_FALSE(is_http_url("https://"));
  EXPECT_FALSE(is_http_url("https:///path"));
  EXPECT_FALSE(is_http_url("https://exa mple.com/"));
  EXPECT_FALSE(is_http_url("https://example.com/\n"));
  EXPECT_FALSE(is_http_url(""));
}

TEST(HttpUtil, PercentEncode) {
  EXPECT_EQ(percent_encode("#元旦#"), "%23%E5%85%83%E6%97%A6%23");
  EXPECT_EQ(percent_encode("a b&c=d/e~f.g-h_i"), "a%20b%26c%3Dd%2Fe~f.g-h_i");
}

TEST(HttpUtil, FindSecret) {
  CannedTransport transport(200, "x");
  FakeClock clock;
  std::map<std::string, std::string> secrets{{"zhihu.cookie", "z_c0=abc"}, {"empty", ""}};
  SourceContext with{transport, clock, &secrets};
  SourceContext without{transport, clock};
  ASSERT_NE(find_secret(with, "zhihu.cookie"), nullptr);
  EXPECT_EQ(*find_secret(with, "zhihu.cookie"), "z_c0=abc");
  EXPECT_EQ(find_secret(with, "empty"), nullptr);
  EXPECT_EQ(find_secret(with, "weibo.cookie"), nullptr);
  EXPECT_EQ(find_secret(without, "zhihu.cookie"), nullptr);
}

Item make_item(std::string key, std::string title, std::string url) {
  Item item;
  item.key = std::move(key);
  item.title = std::move(title);
  item.url = std::move(url);
  return item;
}

TEST(FinishItems, DropsUnsafeAndIncompleteItems) {
  std::vector<Item> items;
  items.push_back(make_item("1", "  Good\xE3\x80\x80 title ", " https://example.com/1 "));
  items.push_back(make_item("2", "Script", "javascript:alert(document.cookie)"));
  items.push_back(make_item("3", "Data", "data:text/html,<script>x</script>"));
  items.push_back(make_item("4", "   ", "https://example.com/4"));
  items.push_back(make_item("1", "Duplicate key", "https://example.com/dup"));
  items.push_back(make_item("", "No key", "https://example.com/nokey"));
  Item with_bad_media = make_item("5", "Bad media", "https://example.com/5");
  with_bad_media.image = "javascript:void(0)";
  with_bad_media.mobile_url = "vbscript:x";
  items.push_back(with_bad_media);

  auto r = finish_items(std::move(items), "example.list");
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ((*r)[0].title, "Good title");
  EXPECT_EQ((*r)[0].url, "https://example.com/1");
  EXPECT_EQ((*r)[1].key, "https://example.com/nokey");
  EXPECT_EQ((*r)[2].image, "");
  EXPECT_EQ((*r)[2].mobile_url, "");
}

TEST(FinishItems, NothingLeftIsAParseError) {
  std::vector<Item> items;
  items.push_back(make_item("1", "Only", "javascript:alert(1)"));
  auto r = finish_items(std::move(items), "example.list");
  EXPECT_EQ(r.code(), ErrorCode::kParse);
  EXPECT_EQ(r.error_message().rfind("example.list: no usable items", 0), 0u) << r.error_message();
}

TEST(SimpleSource, PrefixesParserErrorsOnceAndUsesScheduleTimeout) {
  BoardMeta meta;
  meta.id = "example.list";
  meta.site = "example";
  meta.schedule.timeout = std::chrono::seconds(7);
  SimpleSource plain(
      meta,
      [](const SourceContext&) {
        HttpRequest r;
        r.url = "https://example.com/list";
        return r;
      },
      [](const HttpResponse&, const BoardMeta&) -> Result<std::vector<Item>> {
        return error(ErrorCode::kParse, "data: missing");
      });
  SimpleSource prefixed(
      meta, [](const SourceContext&) { return HttpRequest{.url = "https://example.com/list"}; },
      [](const HttpResponse&, const BoardMeta& m) -> Result<std::vector<Item>> {
        return error(ErrorCode::kParse, m.id + ": invalid JSON at offset 0: syntax error");
      });
  CannedTransport transport(200, "{}");
  FakeClock clock;
  SourceContext ctx{transport, clock};
  auto a = plain.collect(ctx);
  EXPECT_EQ(a.error_message(), "example.list: data: missing");
  auto b = prefixed.collect(ctx);
  EXPECT_EQ(b.error_message(), "example.list: invalid JSON at offset 0: syntax error");
  ASSERT_EQ(transport.requests().size(), 2u);
  EXPECT_EQ(transport.requests()[0].timeout, std::chrono::seconds(7));
}

}  // namespace
}  // namespace mu
