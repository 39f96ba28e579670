#include "api/mcp_service.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <string>

namespace mu {
namespace {
namespace json = boost::json;

class McpServiceTest : public ::testing::Test {
 protected:
  McpServiceTest() {
    // Stand-ins for the public routes the tools call: they echo what reached them.
    api.add(HttpMethod::kGet, "/api/v1/boards/{id}", [](const Request& req) {
      if (req.param("id") == "nope") return json_error(404, "not-found", "no board \"nope\"");
      json::array items;
      for (int i = 1; i <= 60; ++i) items.push_back(json::object{{"rank", i}});
      return json_response(
          200, json::serialize(json::object{{"id", req.param("id")}, {"items", std::move(items)}}));
    });
    api.add(HttpMethod::kGet, "/api/v1/search", [](const Request& req) {
      json::object echo;
      for (const auto& [name, value] : req.query_params) echo[name] = value;
      return json_response(200, json::serialize(echo));
    });
    api.add(HttpMethod::kGet, "/api/v1/items/{board}/{key}", [](const Request& req) {
      return json_response(200, json::serialize(json::object{{"board", req.param("board")},
                                                             {"key", req.param("key")}}));
    });
    McpOptions options;
    options.server_version = "9.9.9";
    options.allowed_origins = {"https://app.example"};
    service = std::make_unique<McpService>(api, options);
    service->register_routes(router);
  }

  Response post(const std::string& body,
                std::vector<std::pair<std::string, std::string>> headers = {}) {
    Request req;
    req.method = HttpMethod::kPost;
    req.method_token = "POST";
    EXPECT_TRUE(req.set_target("/mcp").ok());
    req.headers.set("Host", "mu.example:8080");
    for (const auto& [name, value] : headers) req.headers.set(name, value);
    req.body = body;
    return router.handle(req);
  }

  json::value call(const std::string& method, json::value params = json::object{}) {
    Response r = post(json::serialize(json::object{
        {"jsonrpc", "2.0"}, {"id", 7}, {"method", method}, {"params", std::move(params)}}));
    EXPECT_EQ(r.status, 200) << r.body_view();
    EXPECT_EQ(r.header("Content-Type"), "application/json");
    json::value v = json::parse(r.body_view());
    EXPECT_EQ(v.at("jsonrpc").as_string(), "2.0");
    EXPECT_EQ(v.at("id").as_int64(), 7);
    return v;
  }

  json::value tool(const std::string& name, json::object arguments) {
    return call("tools/call", json::object{{"name", name}, {"arguments", std::move(arguments)}})
        .at("result");
  }

  Router api;
  Router router;
  std::unique_ptr<McpService> service;
};

TEST_F(McpServiceTest, InitializeNegotiatesTheProtocolVersion) {
  json::value v = call("initialize", json::object{{"protocolVersion", "2025-06-18"},
                                                  {"capabilities", json::object{}},
                                                  {"clientInfo", json::object{{"name", "t"}}}});
  const json::object& result = v.at("result").as_object();
  EXPECT_EQ(result.at("protocolVersion").as_string(), "2025-06-18");
  EXPECT_TRUE(result.at("capabilities").at("tools").is_object());
  EXPECT_EQ(result.at("serverInfo").at("name").as_string(), "mu");
  EXPECT_EQ(result.at("serverInfo").at("version").as_string(), "9.9.9");
  EXPECT_FALSE(result.at("instructions").as_string().empty());
  // A version the server does not speak: it answers with its newest.
  v = call("initialize", json::object{{"protocolVersion", "1999-01-01"}});
  EXPECT_EQ(v.at("result").at("protocolVersion").as_string(),
            McpService::protocol_versions().front());
  EXPECT_TRUE(call("ping").at("result").as_object().empty());
}

TEST_F(McpServiceTest, NotificationsAndResponsesAreAcceptedWithoutABody) {
  Response r = post(R"({"jsonrpc":"2.0","method":"notifications/initialized"})");
  EXPECT_EQ(r.status, 202);
  EXPECT_TRUE(r.body_view().empty());
  EXPECT_EQ(post(R"({"jsonrpc":"2.0","id":3,"result":{}})").status, 202);
}

TEST_F(McpServiceTest, ToolsAreListedWithInputSchemas) {
  const json::value answer = call("tools/list");
  const json::array& list = answer.at("result").at("tools").as_array();
  std::vector<std::string> names;
  for (const json::value& t : list) {
    names.emplace_back(t.at("name").as_string());
    EXPECT_EQ(t.at("inputSchema").at("type").as_string(), "object");
    EXPECT_FALSE(t.at("description").as_string().empty());
    EXPECT_TRUE(t.at("annotations").at("readOnlyHint").as_bool());
  }
  EXPECT_EQ(names, (std::vector<std::string>{"list_sites", "list_boards", "get_board", "search",
                                             "item_timeline", "board_history", "daily_top",
                                             "source_health"}));
  const json::value& search = list[3];
  EXPECT_EQ(json::serialize(search.at("inputSchema").at("required")), R"(["q"])");
  EXPECT_EQ(search.at("inputSchema").at("properties").at("limit").at("type").as_string(),
            "integer");
}

TEST_F(McpServiceTest, ToolCallsRunTheApiRoutes) {
  json::value result = tool("search", json::object{{"q", "跨年 & 火灾"}, {"limit", 5}});
  EXPECT_FALSE(result.at("isError").as_bool());
  EXPECT_EQ(result.at("structuredContent").at("q").as_string(), "跨年 & 火灾");
  EXPECT_EQ(result.at("structuredContent").at("limit").as_string(), "5");
  const std::string text(result.at("content").at(0).at("text").as_string());
  EXPECT_EQ(json::parse(text), result.at("structuredContent"));

  // Path parameters are encoded whole: a key with '/' and '?' reaches the route intact.
  result = tool("item_timeline", json::object{{"board", "weibo.hot-search"}, {"key", "a/b?c"}});
  EXPECT_EQ(result.at("structuredContent").at("key").as_string(), "a/b?c");

  // get_board trims the items to its limit (50 by default).
  result = tool("get_board", json::object{{"board", "weibo.hot-search"}});
  EXPECT_EQ(result.at("structuredContent").at("items").as_array().size(), 50u);
  result = tool("get_board", json::object{{"board", "weibo.hot-search"}, {"limit", 3}});
  EXPECT_EQ(result.at("structuredContent").at("items").as_array().size(), 3u);
}

TEST_F(McpServiceTest, ToolErrorsAreResultsWithIsError) {
  json::value result = tool("get_board", json::object{{"board", "nope"}});
  EXPECT_TRUE(result.at("isError").as_bool());
  EXPECT_NE(result.at("content").at(0).at("text").as_string().find("no board"), std::string::npos);
  EXPECT_TRUE(tool("search", json::object{}).at("isError").as_bool());          // q required
  EXPECT_TRUE(tool("search", json::object{{"q", 5}}).at("isError").as_bool());  // not a string
  EXPECT_TRUE(tool("search", json::object{{"q", "a"}, {"limit", "x"}}).at("isError").as_bool());
  EXPECT_TRUE(tool("search", json::object{{"q", "a"}, {"nope", 1}}).at("isError").as_bool());
  json::value v = call("tools/call", json::object{{"name", "drop_tables"}});
  EXPECT_EQ(v.at("error").at("code").as_int64(), -32602);
  v = call("resources/list");
  EXPECT_EQ(v.at("error").at("code").as_int64(), -32601);
}

TEST_F(McpServiceTest, BadMessagesAndHeadersAreRefused) {
  Response r = post("{not json");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(json::parse(r.body_view()).at("error").at("code").as_int64(), -32700);
  r = post(R"({"jsonrpc":"2.0","id":1,"method":"ping"})", {{"MCP-Protocol-Version", "1.0"}});
  EXPECT_EQ(r.status, 400);
  r = post(R"({"jsonrpc":"2.0","id":1,"method":"ping"})", {{"Origin", "https://evil.example"}});
  EXPECT_EQ(r.status, 403);
  r = post(R"({"jsonrpc":"2.0","id":1,"method":"ping"})", {{"Origin", "http://mu.example:8080"}});
  EXPECT_EQ(r.status, 200);
  r = post(R"({"jsonrpc":"2.0","id":1,"method":"ping"})", {{"Origin", "https://app.example"}});
  EXPECT_EQ(r.status, 200);
  r = post(R"([{"jsonrpc":"2.0","id":1,"method":"ping"},)"
           R"({"jsonrpc":"2.0","method":"notifications/initialized"},)"
           R"({"jsonrpc":"2.0","id":2,"method":"nope"}])");
  ASSERT_EQ(r.status, 200);
  const json::array answers = json::parse(r.body_view()).as_array();
  ASSERT_EQ(answers.size(), 2u);
  EXPECT_EQ(answers[1].at("error").at("code").as_int64(), -32601);
  r = post(R"({"jsonrpc":"2.0","id":{"x":1},"method":"ping"})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(json::parse(r.body_view()).at("error").at("code").as_int64(), -32600);
  for (const char* wrong :
       {R"({"id":4,"method":"ping"})", R"({"jsonrpc":"1.0","id":4,"method":"ping"})"}) {
    r = post(wrong);
    EXPECT_EQ(r.status, 400) << wrong;
    EXPECT_EQ(json::parse(r.body_view()).at("error").at("code").as_int64(), -32600) << wrong;
    EXPECT_EQ(json::parse(r.body_view()).at("id").as_int64(), 4) << wrong;
  }

  Request get;
  ASSERT_TRUE(get.set_target("/mcp").ok());
  r = router.handle(get);
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.header("Allow"), "POST");
}

}  // namespace
}  // namespace mu
