#include "http/router.h"

#include <gtest/gtest.h>

#include <string>

namespace mu {
namespace {

Request make_request(HttpMethod method, std::string_view target) {
  Request r;
  r.method = method;
  r.method_token = std::string(http_method_name(method));
  EXPECT_TRUE(r.set_target(target).ok()) << target;
  return r;
}

// A handler that answers "<name>:<param id>:<param file>".
Handler echo(std::string name) {
  return [name](const Request& r) {
    return text_response(
        200, name + ":" + std::string(r.param("id")) + ":" + std::string(r.param("file")));
  };
}

TEST(RouterTest, MatchesLiteralsAndParams) {
  Router router;
  router.add(HttpMethod::kGet, "/api/v1/boards", echo("list"))
      .add(HttpMethod::kGet, "/api/v1/boards/{id}", echo("board"))
      .add(HttpMethod::kGet, "/feeds/{file}", echo("feed"))
      .add(HttpMethod::kGet, "/", echo("root"));
  ASSERT_TRUE(router.status().ok());

  auto r = make_request(HttpMethod::kGet, "/api/v1/boards/weibo.hot-search?x=1");
  EXPECT_EQ(router.handle(r).body_view(), "board:weibo.hot-search:");
  ASSERT_EQ(r.path_params.size(), 1u);
  EXPECT_EQ(r.path_params[0].first, "id");

  r = make_request(HttpMethod::kGet, "/api/v1/boards");
  EXPECT_EQ(router.handle(r).body_view(), "list::");
  r = make_request(HttpMethod::kGet, "/feeds/hn.top.rss");
  EXPECT_EQ(router.handle(r).body_view(), "feed::hn.top.rss");
  r = make_request(HttpMethod::kGet, "/");
  EXPECT_EQ(router.handle(r).body_view(), "root::");
}

TEST(RouterTest, ParamsArePercentDecoded) {
  Router router;
  router.add(HttpMethod::kGet, "/api/v1/boards/{id}", echo("board"));
  auto r = make_request(HttpMethod::kGet, "/api/v1/boards/a%20b%2Fc%E5%BE%AE");
  EXPECT_EQ(router.handle(r).body_view(), "board:a b/c微:");
  // Literal segments compare against decoded text too.
  r = make_request(HttpMethod::kGet, "/api/v1/%62oards/x");
  EXPECT_EQ(router.handle(r).body_view(), "board:x:");
}

TEST(RouterTest, LiteralBeatsParam) {
  Router router;
  router.add(HttpMethod::kGet, "/boards/{id}", echo("param"))
      .add(HttpMethod::kGet, "/boards/search", echo("literal"))
      .add(HttpMethod::kGet, "/{a}/{id}/x", echo("deep-param"))
      .add(HttpMethod::kGet, "/boards/{id}/x", echo("deep-literal"));
  auto r = make_request(HttpMethod::kGet, "/boards/search");
  EXPECT_EQ(router.handle(r).body_view(), "literal::");
  r = make_request(HttpMethod::kGet, "/boards/other");
  EXPECT_EQ(router.handle(r).body_view(), "param:other:");
  r = make_request(HttpMethod::kGet, "/boards/q/x");
  EXPECT_EQ(router.handle(r).body_view(), "deep-literal:q:");
}

TEST(RouterTest, NotFoundIsJsonAndTryHandleDeclines) {
  Router router;
  router.add(HttpMethod::kGet, "/api/v1/boards/{id}", echo("board"));
  for (std::string_view target :
       {"/nope", "/api/v1/boards", "/api/v1/boards/", "/api/v1/boards/x/y", "/api/v1/boards//"}) {
    auto r = make_request(HttpMethod::kGet, target);
    EXPECT_FALSE(router.try_handle(r).has_value()) << target;
    Response resp = router.handle(r);
    EXPECT_EQ(resp.status, 404) << target;
    EXPECT_EQ(resp.header("Content-Type"), "application/json");
    EXPECT_TRUE(resp.body_view().starts_with(R"({"error":{"code":"not-found","message":)"))
        << resp.body_view();
  }
}

TEST(RouterTest, MethodNotAllowedListsAllow) {
  Router router;
  router.add(HttpMethod::kGet, "/things/{id}", echo("get"))
      .add(HttpMethod::kDelete, "/things/{id}", echo("delete"))
      .add(HttpMethod::kPost, "/things", echo("post"));
  auto r = make_request(HttpMethod::kPut, "/things/1");
  Response resp = router.handle(r);
  EXPECT_EQ(resp.status, 405);
  EXPECT_EQ(resp.header("Allow"), "GET, HEAD, DELETE");
  EXPECT_EQ(
      resp.body_view(),
      R"({"error":{"code":"method-not-allowed","message":"method PUT is not allowed on /things/1"}})");
  EXPECT_EQ(router.allowed_methods("/things"), "POST");
  EXPECT_EQ(router.allowed_methods("/nothing"), "");
}

TEST(RouterTest, HeadUsesGetUnlessHeadRouteExists) {
  Router router;
  router.add(HttpMethod::kGet, "/a", echo("get-a"))
      .add(HttpMethod::kGet, "/b", echo("get-b"))
      .add(HttpMethod::kHead, "/b", echo("head-b"));
  auto r = make_request(HttpMethod::kHead, "/a");
  EXPECT_EQ(router.handle(r).body_view(), "get-a::");
  r = make_request(HttpMethod::kHead, "/b");
  EXPECT_EQ(router.handle(r).body_view(), "head-b::");
}

TEST(RouterTest, AutomaticOptions) {
  Router router;
  router.add(HttpMethod::kGet, "/a", echo("get")).add(HttpMethod::kPost, "/a", echo("post"));
  auto r = make_request(HttpMethod::kOptions, "/a");
  Response resp = router.handle(r);
  EXPECT_EQ(resp.status, 204);
  EXPECT_EQ(resp.header("Allow"), "GET, HEAD, POST, OPTIONS");
}

TEST(RouterTest, BadPatternsAreReported) {
  EXPECT_EQ(Router().add(HttpMethod::kGet, "no-slash", echo("x")).status().code(),
            ErrorCode::kConfig);
  EXPECT_FALSE(Router().add(HttpMethod::kGet, "/a/{}", echo("x")).status().ok());
  EXPECT_FALSE(Router().add(HttpMethod::kGet, "/a/x{id}", echo("x")).status().ok());
  EXPECT_FALSE(Router().add(HttpMethod::kGet, "/a/{i-d}", echo("x")).status().ok());
  EXPECT_FALSE(Router().add(HttpMethod::kOther, "/a", echo("x")).status().ok());
  EXPECT_FALSE(Router().add(HttpMethod::kGet, "/a", Handler()).status().ok());
  Router dup;
  dup.add(HttpMethod::kGet, "/a/{id}", echo("x")).add(HttpMethod::kGet, "/a/{name}", echo("y"));
  EXPECT_NE(dup.status().message().find("duplicate"), std::string::npos);
  // Same pattern, different methods: fine.
  EXPECT_TRUE(Router()
                  .add(HttpMethod::kGet, "/a/{id}", echo("x"))
                  .add(HttpMethod::kPut, "/a/{id}", echo("y"))
                  .status()
                  .ok());
}

TEST(RouterTest, HandlersSeeTheRequest) {
  Router router;
  router.add(HttpMethod::kPost, "/echo", [](const Request& r) {
    return text_response(201, std::string(r.header("x-test")) + "|" + r.body + "|" +
                                  std::string(r.query("q").value_or("-")));
  });
  auto r = make_request(HttpMethod::kPost, "/echo?q=1");
  r.headers.add("X-Test", "hi");
  r.body = "payload";
  Response resp = router.handle(r);
  EXPECT_EQ(resp.status, 201);
  EXPECT_EQ(resp.body_view(), "hi|payload|1");
}

}  // namespace
}  // namespace mu
