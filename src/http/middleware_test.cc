#include "http/middleware.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "core/compress.h"

namespace mu {
namespace {

constexpr std::string_view kDate = "Sun, 06 Nov 1994 08:49:37 GMT";

Request get(std::string_view target = "/") {
  Request r;
  EXPECT_TRUE(r.set_target(target).ok());
  return r;
}

std::string big_json(std::size_t n) {
  std::string s = "[";
  while (s.size() < n) s += R"({"title":"hello world","hot":12345},)";
  s.back() = ']';
  return s;
}

bool has_line(const std::string& head, std::string_view line) {
  return head.find(std::string(line) + "\r\n") != std::string::npos;
}

TEST(EtagTest, Matching) {
  EXPECT_TRUE(etag_matches(R"("v1")", R"("v1")"));
  EXPECT_TRUE(etag_matches(R"(W/"v1")", R"("v1")"));
  EXPECT_TRUE(etag_matches(R"("v1")", R"(W/"v1")"));
  EXPECT_TRUE(etag_matches(R"("a", W/"b" ,"v1")", R"("v1")"));
  EXPECT_TRUE(etag_matches(R"("a,b", "v1")", R"("v1")"));  // commas inside a tag
  EXPECT_TRUE(etag_matches(" * ", R"("v1")"));
  EXPECT_FALSE(etag_matches(R"("v2")", R"("v1")"));
  EXPECT_FALSE(etag_matches(R"("v1)", R"("v1")"));
  EXPECT_FALSE(etag_matches("v1", R"("v1")"));
  EXPECT_FALSE(etag_matches("", R"("v1")"));
  EXPECT_FALSE(etag_matches(R"("v1")", ""));
}

TEST(EtagTest, Normalize) {
  EXPECT_EQ(normalize_etag("v42"), R"("v42")");
  EXPECT_EQ(normalize_etag(R"("v42")"), R"("v42")");
  EXPECT_EQ(normalize_etag(R"(W/"v42")"), R"(W/"v42")");
  EXPECT_EQ(normalize_etag("a b\r\n"), R"("ab")");
  EXPECT_EQ(normalize_etag(""), "");
}

TEST(AcceptEncodingTest, ParsesQValues) {
  EXPECT_TRUE(accepts_gzip("gzip"));
  EXPECT_TRUE(accepts_gzip("gzip, deflate, br"));
  EXPECT_TRUE(accepts_gzip("br;q=1.0, GZIP;Q=0.5"));
  EXPECT_TRUE(accepts_gzip("x-gzip"));
  EXPECT_TRUE(accepts_gzip("*"));
  EXPECT_TRUE(accepts_gzip("gzip;q=0.001"));
  EXPECT_FALSE(accepts_gzip("gzip;q=0"));
  EXPECT_FALSE(accepts_gzip("gzip; q=0.000"));
  EXPECT_FALSE(accepts_gzip("deflate, gzip;q=0, *"));
  EXPECT_FALSE(accepts_gzip("*;q=0"));
  EXPECT_FALSE(accepts_gzip("identity"));
  EXPECT_FALSE(accepts_gzip("br"));
  EXPECT_FALSE(accepts_gzip(""));
}

TEST(CompressibleTest, Types) {
  EXPECT_TRUE(is_compressible("application/json"));
  EXPECT_TRUE(is_compressible("text/html; charset=utf-8"));
  EXPECT_TRUE(is_compressible("text/javascript"));
  EXPECT_TRUE(is_compressible("image/svg+xml"));
  EXPECT_TRUE(is_compressible("application/rss+xml"));
  EXPECT_TRUE(is_compressible("application/manifest+json"));
  EXPECT_FALSE(is_compressible("image/png"));
  EXPECT_FALSE(is_compressible("font/woff2"));
  EXPECT_FALSE(is_compressible(""));
}

TEST(HttpDateTest, Format) {
  EXPECT_EQ(http_date(784111777), kDate);
  EXPECT_EQ(http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
  EXPECT_EQ(http_date(1767225600), "Thu, 01 Jan 2026 00:00:00 GMT");
}

TEST(FinishTest, BasicHeaderBlock) {
  Request req = get();
  Response resp = json_response(200, std::string(R"({"ok":true})"));
  std::string head;
  MiddlewareOptions opts;
  std::string_view body = finish_response(req, resp, opts, kDate, true, head);
  EXPECT_EQ(body, R"({"ok":true})");
  EXPECT_TRUE(head.starts_with("HTTP/1.1 200 OK\r\n"));
  EXPECT_TRUE(head.ends_with("\r\n\r\n"));
  EXPECT_TRUE(has_line(head, "Date: Sun, 06 Nov 1994 08:49:37 GMT"));
  EXPECT_TRUE(has_line(head, "Server: mu"));
  EXPECT_TRUE(has_line(head, "Content-Type: application/json"));
  EXPECT_TRUE(has_line(head, "Content-Length: 11"));
  EXPECT_TRUE(has_line(head, "X-Content-Type-Options: nosniff"));
  EXPECT_TRUE(has_line(head, "Referrer-Policy: strict-origin-when-cross-origin"));
  EXPECT_TRUE(has_line(head, "X-Frame-Options: DENY"));
  EXPECT_TRUE(has_line(head, "Vary: Accept-Encoding"));                // JSON is compressible
  EXPECT_EQ(head.find("Content-Security-Policy"), std::string::npos);  // not HTML
  EXPECT_EQ(head.find("Connection:"), std::string::npos);  // HTTP/1.1 keep-alive default
}

TEST(FinishTest, ConnectionHeaders) {
  Request req = get();
  std::string head;
  Response resp = text_response(200, "x");
  finish_response(req, resp, {}, kDate, false, head);
  EXPECT_TRUE(has_line(head, "Connection: close"));
  req.version = 10;
  resp = text_response(200, "x");
  finish_response(req, resp, {}, kDate, true, head);
  EXPECT_TRUE(has_line(head, "Connection: keep-alive"));
}

TEST(FinishTest, HandlerCannotOverrideFramingOrInjectHeaders) {
  Request req = get();
  Response resp = text_response(200, "abc");
  resp.headers.add("Content-Length", "999");
  resp.headers.add("Connection", "close");
  resp.headers.add("X-Evil", "a\r\nSet-Cookie: pwned=1");
  resp.headers.add("Bad Name", "x");
  resp.headers.add("X-Frame-Options", "SAMEORIGIN");
  std::string head;
  finish_response(req, resp, {}, kDate, true, head);
  EXPECT_TRUE(has_line(head, "Content-Length: 3"));
  EXPECT_EQ(head.find("999"), std::string::npos);
  EXPECT_EQ(head.find("Connection"), std::string::npos);
  EXPECT_EQ(head.find("pwned"), std::string::npos);
  EXPECT_EQ(head.find("Bad Name"), std::string::npos);
  EXPECT_TRUE(has_line(head, "X-Frame-Options: SAMEORIGIN"));  // a handler's choice wins
  EXPECT_EQ(head.find("X-Frame-Options: DENY"), std::string::npos);
}

TEST(FinishTest, CspOnlyOnHtml) {
  Request req = get();
  Response resp = text_response(200, "<!doctype html>", "text/html; charset=utf-8");
  std::string head;
  finish_response(req, resp, {}, kDate, true, head);
  EXPECT_TRUE(
      has_line(head, "Content-Security-Policy: " + std::string(kDefaultContentSecurityPolicy)));
}

TEST(FinishTest, EtagGives304) {
  Request req = get();
  req.headers.add("If-None-Match", R"("x", W/"v7")");
  Response resp = json_response(200, std::string("{}"));
  resp.etag = "v7";
  resp.headers.set("Cache-Control", "no-cache");
  std::string head;
  std::string_view body = finish_response(req, resp, {}, kDate, true, head);
  EXPECT_EQ(resp.status, 304);
  EXPECT_TRUE(body.empty());
  EXPECT_TRUE(head.starts_with("HTTP/1.1 304 Not Modified\r\n"));
  EXPECT_TRUE(has_line(head, R"(ETag: "v7")"));
  EXPECT_TRUE(has_line(head, "Cache-Control: no-cache"));
  EXPECT_EQ(head.find("Content-Length"), std::string::npos);
  EXPECT_EQ(head.find("\r\nContent-Type:"), std::string::npos);

  // Mismatch: full answer with the tag.
  req.headers.set("If-None-Match", R"("v6")");
  resp = json_response(200, std::string("{}"));
  resp.etag = R"("v7")";
  body = finish_response(req, resp, {}, kDate, true, head);
  EXPECT_EQ(resp.status, 200);
  EXPECT_EQ(body, "{}");
  EXPECT_TRUE(has_line(head, R"(ETag: "v7")"));

  // Only successful GET/HEAD answers become 304.
  Request post = get();
  post.method = HttpMethod::kPost;
  post.headers.add("If-None-Match", R"("v7")");
  resp = json_response(200, std::string("{}"));
  resp.etag = "v7";
  finish_response(post, resp, {}, kDate, true, head);
  EXPECT_EQ(resp.status, 200);
  Response missing = json_error(404, "not-found", "x");
  missing.etag = "v7";
  finish_response(req, missing, {}, kDate, true, head);
  EXPECT_EQ(missing.status, 404);
}

TEST(FinishTest, PrecomputedGzipIsSentWithoutCopy) {
  const std::string json = big_json(4000);
  auto plain = std::make_shared<const std::string>(json);
  auto gz = std::make_shared<const std::string>(gzip_compress(json));
  Request req = get();
  req.headers.add("Accept-Encoding", "gzip, br");
  Response resp = json_response(200, plain);
  resp.gzip_body = gz;
  resp.etag = "v1";
  std::string head;
  std::string_view body = finish_response(req, resp, {}, kDate, true, head);
  EXPECT_EQ(body.data(), gz->data());
  EXPECT_EQ(body.size(), gz->size());
  EXPECT_TRUE(has_line(head, "Content-Encoding: gzip"));
  EXPECT_TRUE(has_line(head, "Content-Length: " + std::to_string(gz->size())));
  EXPECT_TRUE(has_line(head, R"(ETag: W/"v1")"));  // the gzip representation is weak
  EXPECT_TRUE(has_line(head, "Vary: Accept-Encoding"));

  // Without Accept-Encoding: the identity body, also not copied.
  Request plain_req = get();
  resp = json_response(200, plain);
  resp.gzip_body = gz;
  body = finish_response(plain_req, resp, {}, kDate, true, head);
  EXPECT_EQ(body.data(), plain->data());
  EXPECT_EQ(head.find("Content-Encoding"), std::string::npos);
  EXPECT_TRUE(has_line(head, "Vary: Accept-Encoding"));
}

TEST(FinishTest, GzipOnTheFlyForCompressibleBodies) {
  const std::string json = big_json(5000);
  Request req = get();
  req.headers.add("Accept-Encoding", "gzip");
  Response resp = json_response(200, json);
  std::string head;
  std::string_view body = finish_response(req, resp, {}, kDate, true, head);
  EXPECT_TRUE(has_line(head, "Content-Encoding: gzip"));
  auto inflated = gzip_decompress(body);
  ASSERT_TRUE(inflated.ok());
  EXPECT_EQ(*inflated, json);

  // Small bodies, incompressible types and gzip;q=0 stay identity.
  resp = json_response(200, std::string("{}"));
  body = finish_response(req, resp, {}, kDate, true, head);
  EXPECT_EQ(body, "{}");
  EXPECT_EQ(head.find("Content-Encoding"), std::string::npos);

  resp = text_response(200, std::string(5000, 'x'), "image/png");
  finish_response(req, resp, {}, kDate, true, head);
  EXPECT_EQ(head.find("Content-Encoding"), std::string::npos);
  EXPECT_EQ(head.find("Vary"), std::string::npos);

  Request refuse = get();
  refuse.headers.add("Accept-Encoding", "gzip;q=0");
  resp = json_response(200, json);
  body = finish_response(refuse, resp, {}, kDate, true, head);
  EXPECT_EQ(body, json);
  EXPECT_EQ(head.find("Content-Encoding"), std::string::npos);
}

TEST(FinishTest, HeadKeepsLengthDropsBody) {
  Request req = get();
  req.method = HttpMethod::kHead;
  Response resp = text_response(200, "hello");
  std::string head;
  std::string_view body = finish_response(req, resp, {}, kDate, true, head);
  EXPECT_TRUE(body.empty());
  EXPECT_TRUE(has_line(head, "Content-Length: 5"));
}

TEST(FinishTest, NoContentHasNoLength) {
  Request req = get();
  Response resp;
  resp.status = 204;
  std::string head;
  finish_response(req, resp, {}, kDate, true, head);
  EXPECT_EQ(head.find("Content-Length"), std::string::npos);
}

TEST(FinishTest, VaryIsMerged) {
  Request req = get();
  Response resp = json_response(200, std::string("{}"));
  resp.headers.add("Vary", "Cookie, accept-encoding");
  MiddlewareOptions opts;
  opts.cors_origins = {"https://app.example"};
  std::string head;
  finish_response(req, resp, opts, kDate, true, head);
  EXPECT_TRUE(has_line(head, "Vary: Cookie, accept-encoding, Origin"));
}

TEST(CorsTest, AllowedOriginIsEchoed) {
  MiddlewareOptions opts;
  opts.cors_origins = {"https://app.example", "http://localhost:5173"};
  Request req = get();
  req.headers.add("Origin", "http://localhost:5173");
  Response resp = text_response(200, "x");
  std::string head;
  finish_response(req, resp, opts, kDate, true, head);
  EXPECT_TRUE(has_line(head, "Access-Control-Allow-Origin: http://localhost:5173"));
  EXPECT_TRUE(has_line(head, "Access-Control-Allow-Credentials: true"));
  EXPECT_TRUE(has_line(head,
                       "Access-Control-Expose-Headers: RateLimit-Limit, RateLimit-Remaining, "
                       "RateLimit-Reset, RateLimit-Policy, Retry-After, ETag"));
  EXPECT_TRUE(has_line(head, "Vary: Accept-Encoding, Origin"));

  req.headers.set("Origin", "https://evil.example");
  resp = text_response(200, "x");
  finish_response(req, resp, opts, kDate, true, head);
  EXPECT_EQ(head.find("Access-Control-Allow-Origin"), std::string::npos);
  EXPECT_TRUE(has_line(head, "Vary: Accept-Encoding, Origin"));
}

TEST(CorsTest, Preflight) {
  MiddlewareOptions opts;
  opts.cors_origins = {"https://app.example"};
  Request req = get("/api/v1/me/favorites");
  req.method = HttpMethod::kOptions;
  req.headers.add("Origin", "https://app.example");
  req.headers.add("Access-Control-Request-Method", "PUT");
  req.headers.add("Access-Control-Request-Headers", "content-type, x-csrf-token\r\n");
  auto pre = cors_preflight(req, opts);
  ASSERT_TRUE(pre.has_value());
  EXPECT_EQ(pre->status, 204);
  EXPECT_NE(pre->header("Access-Control-Allow-Methods").find("PUT"), std::string::npos);
  EXPECT_EQ(pre->header("Access-Control-Allow-Headers"), "content-type, x-csrf-token");
  EXPECT_EQ(pre->header("Access-Control-Max-Age"), "600");

  req.headers.set("Origin", "https://evil.example");
  pre = cors_preflight(req, opts);
  ASSERT_TRUE(pre.has_value());
  EXPECT_EQ(pre->status, 403);

  // Not a preflight: no Access-Control-Request-Method, or CORS off.
  Request plain = get();
  plain.method = HttpMethod::kOptions;
  plain.headers.add("Origin", "https://app.example");
  EXPECT_FALSE(cors_preflight(plain, opts).has_value());
  EXPECT_FALSE(cors_preflight(req, MiddlewareOptions{}).has_value());
}

}  // namespace
}  // namespace mu
