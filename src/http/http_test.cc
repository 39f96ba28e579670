#include "http/http.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "http/util.h"

namespace mu {
namespace {

TEST(HttpMethodTest, NamesRoundTrip) {
  EXPECT_EQ(parse_http_method("GET"), HttpMethod::kGet);
  EXPECT_EQ(parse_http_method("DELETE"), HttpMethod::kDelete);
  EXPECT_EQ(parse_http_method("get"), HttpMethod::kOther);  // method names are case-sensitive
  EXPECT_EQ(parse_http_method("PROPFIND"), HttpMethod::kOther);
  EXPECT_EQ(http_method_name(HttpMethod::kOptions), "OPTIONS");
  EXPECT_EQ(http_reason(404), "Not Found");
  EXPECT_EQ(http_reason(799), "Unknown");
}

TEST(HeaderMapTest, LookupIgnoresCase) {
  HeaderMap h;
  h.add("Content-Type", "application/json");
  h.add("Set-Cookie", "a=1");
  h.add("set-cookie", "b=2");
  EXPECT_EQ(h.get("content-type"), "application/json");
  EXPECT_EQ(h.get("CONTENT-TYPE"), "application/json");
  EXPECT_TRUE(h.contains("SET-COOKIE"));
  EXPECT_EQ(h.get("missing"), "");
  EXPECT_EQ(h.size(), 3u);

  h.set("SET-COOKIE", "c=3");  // replaces both
  EXPECT_EQ(h.size(), 2u);
  EXPECT_EQ(h.get("Set-Cookie"), "c=3");
  h.remove("content-TYPE");
  EXPECT_FALSE(h.contains("Content-Type"));
  EXPECT_EQ(h.size(), 1u);
}

TEST(RequestTest, SetTargetDecodesPathAndQuery) {
  Request r;
  ASSERT_TRUE(
      r.set_target("/api/v1/search%20x/a+b?q=%E5%BE%AE%E5%8D%9A&n=1+2&flag&empty=&n=3").ok());
  EXPECT_EQ(r.raw_path, "/api/v1/search%20x/a+b");
  EXPECT_EQ(r.path, "/api/v1/search x/a+b");  // '+' is literal in paths
  EXPECT_EQ(r.query_string, "q=%E5%BE%AE%E5%8D%9A&n=1+2&flag&empty=&n=3");
  EXPECT_EQ(r.query("q"), "微博");
  EXPECT_EQ(r.query("n"), "1 2");  // first of repeated names; '+' is a space in queries
  EXPECT_EQ(r.query("flag"), "");
  EXPECT_EQ(r.query("empty"), "");
  EXPECT_EQ(r.query("absent"), std::nullopt);
  ASSERT_EQ(r.query_params.size(), 5u);
  EXPECT_EQ(r.query_params[4].second, "3");
}

TEST(RequestTest, SetTargetForms) {
  Request r;
  ASSERT_TRUE(r.set_target("http://example.com/a/b?x=1").ok());
  EXPECT_EQ(r.path, "/a/b");
  EXPECT_EQ(r.query("x"), "1");
  ASSERT_TRUE(r.set_target("http://example.com").ok());
  EXPECT_EQ(r.path, "/");
  ASSERT_TRUE(r.set_target("/p#frag").ok());
  EXPECT_EQ(r.path, "/p");

  EXPECT_EQ(r.set_target("*").code(), ErrorCode::kInvalid);
  EXPECT_EQ(r.set_target("relative/path").code(), ErrorCode::kInvalid);
  EXPECT_EQ(r.set_target("/bad%zz").code(), ErrorCode::kInvalid);
  EXPECT_EQ(r.set_target("/bad%4").code(), ErrorCode::kInvalid);
  EXPECT_EQ(r.set_target("/nul%00byte").code(), ErrorCode::kInvalid);
  EXPECT_EQ(r.set_target("/ok?q=%G1").code(), ErrorCode::kInvalid);
}

TEST(RequestTest, HeaderAndParamAccessors) {
  Request r;
  r.headers.add("Accept-Encoding", "gzip");
  r.path_params.emplace_back("id", "weibo.hot-search");
  EXPECT_EQ(r.header("accept-encoding"), "gzip");
  EXPECT_EQ(r.param("id"), "weibo.hot-search");
  EXPECT_EQ(r.param("other"), "");
}

TEST(UtilTest, UnsafePaths) {
  EXPECT_TRUE(http_unsafe_path("/../etc/passwd"));
  EXPECT_TRUE(http_unsafe_path("/a/.."));
  EXPECT_TRUE(http_unsafe_path("/a/./b"));
  EXPECT_TRUE(http_unsafe_path("/a\\b"));
  EXPECT_FALSE(http_unsafe_path("/a/..b/c.."));
  EXPECT_FALSE(http_unsafe_path("/"));
  EXPECT_FALSE(http_unsafe_path("/.well-known/x"));
}

TEST(ResponseTest, BodyViewForBothKinds) {
  Response owned = json_response(200, std::string("{}"));
  EXPECT_EQ(owned.body_view(), "{}");
  auto shared = std::make_shared<const std::string>("[1,2]");
  Response s = json_response(200, shared);
  EXPECT_EQ(s.body_view(), "[1,2]");
  EXPECT_EQ(s.body_view().data(), shared->data());  // no copy
  EXPECT_EQ(s.header("content-type"), "application/json");
  Response empty;
  empty.body = std::shared_ptr<const std::string>();
  EXPECT_EQ(empty.body_view(), "");
}

TEST(ResponseTest, TextResponse) {
  Response r = text_response(503, "down");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.header("Content-Type"), "text/plain; charset=utf-8");
  EXPECT_EQ(r.body_view(), "down");
}

TEST(JsonTest, ErrorBodyIsEscaped) {
  Response r = json_error(404, "not-found", "no board \"a\\b\"\n\x01 微博");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.header("Content-Type"), "application/json");
  EXPECT_EQ(r.body_view(),
            R"({"error":{"code":"not-found","message":"no board \"a\\b\"\n\u0001 微博"}})");
}

TEST(JsonTest, InvalidUtf8BecomesReplacementCharacter) {
  std::string out;
  append_json_string(out,
                     "a\xff"
                     "b\xc3"
                     "c\xed\xa0\x80"
                     "d\xf0\x9f\x98\x80");
  // Lone 0xff, truncated 2-byte sequence, UTF-16 surrogate (3 bytes, each replaced), emoji.
  EXPECT_EQ(out, "\"a\\ufffdb\\ufffdc\\ufffd\\ufffd\\ufffdd\xf0\x9f\x98\x80\"");
}

TEST(JsonTest, ErrorResponseMapsCodes) {
  Response r = error_response(error(ErrorCode::kNotFound, "no such board: x"));
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body_view(), R"({"error":{"code":"not-found","message":"no such board: x"}})");
  EXPECT_EQ(http_status_for(ErrorCode::kInvalid), 400);
  EXPECT_EQ(http_status_for(ErrorCode::kTooLarge), 413);
  EXPECT_EQ(http_status_for(ErrorCode::kUnavailable), 503);
  EXPECT_EQ(http_status_for(ErrorCode::kInternal), 500);
}

}  // namespace
}  // namespace mu

namespace mu {
namespace {

TEST(PercentEncodeTest, KeepsUnreservedAndRoundTrips) {
  EXPECT_EQ(http_percent_encode("aZ09-._~"), "aZ09-._~");
  EXPECT_EQ(http_percent_encode("热 x/?#"), "%E7%83%AD%20x%2F%3F%23");
  std::string back;
  ASSERT_TRUE(http_percent_decode(http_percent_encode("跨年 a+b&c"), false, back));
  EXPECT_EQ(back, "跨年 a+b&c");
}

}  // namespace
}  // namespace mu
