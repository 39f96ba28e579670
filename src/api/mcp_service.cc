#include "api/mcp_service.h"

#include <boost/json.hpp>

#include <algorithm>
#include <cmath>
#include <functional>
#include <optional>
#include <string_view>

namespace mu {
namespace json = boost::json;

namespace {

// JSON-RPC 2.0 error codes.
constexpr int kParseError = -32700;
constexpr int kInvalidRequest = -32600;
constexpr int kMethodNotFound = -32601;
constexpr int kInvalidParams = -32602;

constexpr std::string_view kInstructions =
    "Mu collects the hot lists (热榜) of Chinese and international sites — Weibo, Zhihu, "
    "Baidu, Bilibili, Douyin, Hacker News, GitHub trending, V2EX and more — on per-board "
    "schedules, and keeps every item's history. Start with list_boards (or list_sites) to "
    "find board ids such as weibo.hot-search, get_board for what is on a board now, search "
    "for anything Mu has seen (Chinese words of two characters work), item_timeline for one "
    "item's rank over time, board_history for a board at a past time or over a day, and "
    "daily_top for the day's biggest stories across sites.";

std::string encode_component(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

json::object error_object(int code, std::string_view message) {
  return json::object{{"code", code}, {"message", message}};
}

json::object rpc_error(const json::value& id, int code, std::string_view message) {
  return json::object{{"jsonrpc", "2.0"}, {"id", id}, {"error", error_object(code, message)}};
}

json::object rpc_result(const json::value& id, json::value result) {
  return json::object{{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(result)}};
}

// A tool's argument as query text: strings as given, numbers in decimal; nullopt when the
// argument is absent or null. A wrong type is an error.
Result<std::optional<std::string>> argument(const json::object& args, std::string_view name,
                                            bool number) {
  const json::value* v = args.if_contains(name);
  if (v == nullptr || v->is_null()) return std::optional<std::string>();
  if (number) {
    if (v->is_int64()) return std::optional<std::string>(std::to_string(v->as_int64()));
    if (v->is_uint64()) return std::optional<std::string>(std::to_string(v->as_uint64()));
    if (v->is_double() && std::floor(v->as_double()) == v->as_double() &&
        std::abs(v->as_double()) < 1e15) {
      return std::optional<std::string>(std::to_string(static_cast<int64_t>(v->as_double())));
    }
    return Status(ErrorCode::kInvalid, std::string(name) + ": expected an integer");
  }
  if (!v->is_string()) {
    return Status(ErrorCode::kInvalid, std::string(name) + ": expected a string");
  }
  return std::optional<std::string>(std::string(v->as_string()));
}

struct Param {
  std::string name;
  bool number = false;
  bool required = false;
  bool in_path = false;  // replaces "{name}" in the path instead of a query parameter
  std::string description;
  std::vector<std::string> choices;  // enum, when the value is one of these
};

struct Tool {
  std::string name;
  std::string title;
  std::string description;
  std::string path;  // e.g. "/api/v1/boards/{board}"
  std::vector<Param> params;
  // Trims the body before it goes to the agent (e.g. a board's items to a limit).
  std::function<void(json::value&, const json::object& args, const McpOptions&)> trim;
};

const std::vector<Tool>& tools() {
  static const std::vector<Tool> kTools = {
      {"list_sites",
       "List sites",
       "Every site Mu collects (id, names in Chinese and English, region) with its board ids.",
       "/api/v1/sites",
       {},
       nullptr},
      {"list_boards",
       "List boards",
       "Boards (ranked lists and news streams) with their freshness: id, site, names, kind, "
       "schedule, fetched_at, stale. Filter by site ids, kind or a text in the names.",
       "/api/v1/boards",
       {{"site", false, false, false, "Only these sites, comma-separated (e.g. weibo,zhihu)", {}},
        {"kind",
         false,
         false,
         false,
         "rank (ordered hot lists) or stream (news flashes)",
         {"rank", "stream"}},
        {"q", false, false, false, "Text to find in board and site names", {}},
        {"limit", true, false, false, "At most this many boards (1-1000)", {}},
        {"offset", true, false, false, "Skip this many", {}}},
       nullptr},
      {"get_board",
       "Get a board",
       "What is on a board now: its items in rank order with title, url, heat, rank change "
       "and whether each is new, plus when the board was fetched.",
       "/api/v1/boards/{board}",
       {{"board", false, true, true, "Board id, e.g. weibo.hot-search or hackernews.top", {}},
        {"limit", true, false, false, "At most this many items (default 50)", {}}},
       [](json::value& body, const json::object& args, const McpOptions& options) {
         size_t limit = options.max_board_items;
         if (const json::value* l = args.if_contains("limit"); l != nullptr && l->is_int64()) {
           limit = static_cast<size_t>(std::clamp<int64_t>(l->as_int64(), 1, 500));
         }
         if (json::object* o = body.if_object()) {
           if (json::value* items = o->if_contains("items"); items && items->is_array()) {
             json::array& a = items->as_array();
             if (a.size() > limit) a.erase(a.begin() + static_cast<std::ptrdiff_t>(limit), a.end());
           }
         }
       }},
      {"search",
       "Search history",
       "Full-text search over every item Mu has ever kept, on every board. Chinese matches "
       "any substring of two or more characters (跨年, 火灾); English words match whole, "
       "case and accents folded; all words must match. Returns items with when they were "
       "seen and their best rank, facets per site and board, and next_cursor for more.",
       "/api/v1/search",
       {{"q", false, true, false, "Words to find", {}},
        {"board", false, false, false, "Only this board id", {}},
        {"site", false, false, false, "Only this site id", {}},
        {"from", false, false, false, "Seen at or after: 2026-12-06 or 2026-12-06T08:00:00Z", {}},
        {"to", false, false, false, "Seen at or before: a date or a time with a zone", {}},
        {"sort",
         false,
         false,
         false,
         "newest (default) or rank (best rank first)",
         {"newest", "rank"}},
        {"limit", true, false, false, "At most this many (1-100, default 20)", {}},
        {"cursor", false, false, false, "next_cursor of the page before", {}}},
       nullptr},
      {"item_timeline",
       "Item timeline",
       "One item's history on its board: every kept (time, rank, heat) point (rank 0: it "
       "left), first and last seen, best rank, total time on the board, and the same story on "
       "other boards.",
       "/api/v1/items/{board}/{key}",
       {{"board", false, true, true, "Board id", {}},
        {"key", false, true, true, "The item's key (from get_board or search)", {}}},
       nullptr},
      {"board_history",
       "Board history",
       "A board as it was at a past instant (give at), or every item on it during one day "
       "ranked by time on the board (give date, and tz).",
       "/api/v1/boards/{board}/history",
       {{"board", false, true, true, "Board id", {}},
        {"at", false, false, false, "An instant with a zone: 2026-12-06T08:00:00Z", {}},
        {"date", false, false, false, "A day: YYYY-MM-DD", {}},
        {"tz", false, false, false, "IANA time zone of date (default Asia/Shanghai)", {}},
        {"limit", true, false, false, "At most this many items of the day (1-500)", {}}},
       nullptr},
      {"daily_top",
       "Daily top stories",
       "The day's top stories across every site (榜中榜): each story's score from its peak "
       "rank and time on each board, times a bonus for every extra site it appeared on.",
       "/api/v1/top",
       {{"date", false, false, false, "A day: YYYY-MM-DD (default today in tz)", {}},
        {"tz", false, false, false, "IANA time zone (default Asia/Shanghai)", {}},
        {"limit", true, false, false, "At most this many stories (1-200, default 50)", {}}},
       nullptr},
      {"source_health",
       "Source health",
       "Every board's standing (ok, failing, stale, disabled, never), data age against its "
       "interval, success rate and the class of its last failure with a hint.",
       "/api/v1/health/boards",
       {},
       nullptr},
  };
  return kTools;
}

json::object tool_json(const Tool& tool) {
  json::object properties;
  json::array required;
  for (const Param& p : tool.params) {
    json::object schema{{"type", p.number ? "integer" : "string"}, {"description", p.description}};
    if (!p.choices.empty()) {
      json::array choices;
      for (const std::string& c : p.choices) choices.emplace_back(c);
      schema["enum"] = std::move(choices);
    }
    properties[p.name] = std::move(schema);
    if (p.required) required.emplace_back(p.name);
  }
  json::object input{{"type", "object"}, {"properties", std::move(properties)}};
  if (!required.empty()) input["required"] = std::move(required);
  input["additionalProperties"] = false;
  return json::object{
      {"name", tool.name},
      {"title", tool.title},
      {"description", tool.description},
      {"inputSchema", std::move(input)},
      {"annotations", json::object{{"readOnlyHint", true}, {"openWorldHint", false}}}};
}

json::object tool_error(std::string_view message) {
  return json::object{{"content", json::array{json::object{{"type", "text"}, {"text", message}}}},
                      {"isError", true}};
}

// The host part of an Origin ("https://mu.example:8443" -> "mu.example:8443").
std::string_view origin_host(std::string_view origin) {
  const size_t scheme = origin.find("://");
  return scheme == std::string_view::npos ? origin : origin.substr(scheme + 3);
}

Response json_body(int status, const json::value& v) {
  Response r = json_response(status, json::serialize(v));
  r.set_header("Cache-Control", "no-store");
  return r;
}

}  // namespace

const std::vector<std::string>& McpService::protocol_versions() {
  static const std::vector<std::string> kVersions = {"2025-11-25", "2025-06-18", "2025-03-26",
                                                     "2024-11-05"};
  return kVersions;
}

McpService::McpService(const Router& api, McpOptions options)
    : api_(api), options_(std::move(options)) {}

void McpService::register_routes(Router& router) {
  router.add(HttpMethod::kPost, "/mcp", [this](const Request& req) { return handle_post(req); });
  router.add(HttpMethod::kGet, "/mcp", [](const Request&) {
    Response r = json_error(405, "method-not-allowed",
                            "this MCP server sends no stream of its own: POST JSON-RPC messages");
    r.set_header("Allow", "POST");
    return r;
  });
  router.add(HttpMethod::kDelete, "/mcp", [](const Request&) {
    Response r = json_error(405, "method-not-allowed", "this MCP server keeps no sessions");
    r.set_header("Allow", "POST");
    return r;
  });
}

Response McpService::handle_post(const Request& req) const {
  if (std::string_view origin = req.header("Origin"); !origin.empty()) {
    const bool same_host = origin_host(origin) == req.header("Host");
    const bool allowed = std::find(options_.allowed_origins.begin(), options_.allowed_origins.end(),
                                   origin) != options_.allowed_origins.end();
    if (!same_host && !allowed) {
      return json_error(403, "forbidden", "Origin not allowed for /mcp");
    }
  }
  if (std::string_view version = req.header("MCP-Protocol-Version"); !version.empty()) {
    const auto& versions = protocol_versions();
    if (std::find(versions.begin(), versions.end(), version) == versions.end()) {
      return json_error(400, "invalid",
                        "MCP-Protocol-Version " + std::string(version) + " is not supported");
    }
  }
  json::value message;
  try {
    message = json::parse(req.body);
  } catch (const std::exception&) {
    return json_body(400, rpc_error(nullptr, kParseError, "parse error: not JSON"));
  }
  // Everything else may read the store (tools), so it runs off the io threads.
  return defer_response([this, message = std::move(message)]() -> Response {
    auto handle_one = [this](const json::value& m) -> std::optional<json::object> {
      const json::object* o = m.if_object();
      if (o == nullptr)
        return rpc_error(nullptr, kInvalidRequest, "a JSON-RPC message is an object");
      const json::value* id = o->if_contains("id");
      const json::value* method = o->if_contains("method");
      const json::value* version = o->if_contains("jsonrpc");
      if (version == nullptr || !version->is_string() || version->as_string() != "2.0") {
        // JSON-RPC 2.0 section 4: the member must be exactly "2.0".
        if (method == nullptr && (o->contains("result") || o->contains("error"))) {
          return std::nullopt;
        }
        return rpc_error(id != nullptr && (id->is_string() || id->is_int64() || id->is_uint64())
                             ? *id
                             : json::value(nullptr),
                         kInvalidRequest, "jsonrpc: must be \"2.0\"");
      }
      if (method == nullptr) {
        // A response to a request of ours (we send none) or junk: nothing to answer.
        if (o->contains("result") || o->contains("error")) return std::nullopt;
        return rpc_error(id ? *id : json::value(nullptr), kInvalidRequest, "no method");
      }
      if (!method->is_string()) {
        return rpc_error(id ? *id : json::value(nullptr), kInvalidRequest, "method: a string");
      }
      if (id == nullptr) return std::nullopt;  // a notification: accepted, no answer
      if (!id->is_string() && !id->is_int64() && !id->is_uint64()) {
        return rpc_error(nullptr, kInvalidRequest, "id: a string or an integer");
      }
      const std::string_view name = method->as_string();
      const json::value* params = o->if_contains("params");
      const json::object empty;
      const json::object& p =
          params != nullptr && params->is_object() ? params->as_object() : empty;
      if (name == "initialize") {
        std::string version = protocol_versions().front();
        if (const json::value* asked = p.if_contains("protocolVersion");
            asked != nullptr && asked->is_string()) {
          const auto& versions = protocol_versions();
          if (std::find(versions.begin(), versions.end(), asked->as_string()) != versions.end()) {
            version = std::string(asked->as_string());
          }
        }
        return rpc_result(
            *id, json::object{{"protocolVersion", version},
                              {"capabilities",
                               json::object{{"tools", json::object{{"listChanged", false}}}}},
                              {"serverInfo", json::object{{"name", "mu"},
                                                          {"title", "Mu · 热榜"},
                                                          {"version", options_.server_version}}},
                              {"instructions", kInstructions}});
      }
      if (name == "ping") return rpc_result(*id, json::object{});
      if (name == "tools/list") {
        json::array list;
        for (const Tool& t : tools()) list.push_back(tool_json(t));
        return rpc_result(*id, json::object{{"tools", std::move(list)}});
      }
      if (name == "tools/call") {
        const json::value* tool_name = p.if_contains("name");
        if (tool_name == nullptr || !tool_name->is_string()) {
          return rpc_error(*id, kInvalidParams, "params.name: the tool to call");
        }
        auto tool = std::find_if(tools().begin(), tools().end(),
                                 [&](const Tool& t) { return t.name == tool_name->as_string(); });
        if (tool == tools().end()) {
          return rpc_error(*id, kInvalidParams,
                           "unknown tool \"" + std::string(tool_name->as_string()) + "\"");
        }
        const json::value* arguments = p.if_contains("arguments");
        if (arguments != nullptr && !arguments->is_object() && !arguments->is_null()) {
          return rpc_error(*id, kInvalidParams, "params.arguments: an object");
        }
        const json::object& args =
            arguments != nullptr && arguments->is_object() ? arguments->as_object() : empty;
        for (const auto& [key, value] : args) {
          const bool known = std::any_of(tool->params.begin(), tool->params.end(),
                                         [&](const Param& q) { return q.name == key; });
          if (!known) return rpc_result(*id, tool_error("unknown argument " + std::string(key)));
        }
        std::string path = tool->path;
        std::string query;
        for (const Param& param : tool->params) {
          auto value = argument(args, param.name, param.number);
          if (!value.ok()) return rpc_result(*id, tool_error(value.error_message()));
          if (!value->has_value()) {
            if (param.required) {
              return rpc_result(*id, tool_error(param.name + ": required"));
            }
            continue;
          }
          if (param.in_path) {
            path.replace(path.find("{" + param.name + "}"), param.name.size() + 2,
                         encode_component(**value));
          } else if (!(tool->trim && param.name == "limit")) {
            query += (query.empty() ? "?" : "&") + param.name + "=" + encode_component(**value);
          }
        }
        Request call;
        if (Status s = call.set_target(path + query); !s.ok()) {
          return rpc_result(*id, tool_error(s.message()));
        }
        Response answer = api_.handle(call);
        json::value body;
        try {
          body = json::parse(answer.body_view());
        } catch (const std::exception&) {
          return rpc_result(*id, tool_error("the API gave no JSON"));
        }
        if (answer.status != 200) {
          std::string message = "error " + std::to_string(answer.status);
          if (const json::object* b = body.if_object()) {
            if (const json::value* e = b->if_contains("error"); e && e->is_object()) {
              if (const json::value* m = e->as_object().if_contains("message");
                  m && m->is_string()) {
                message += ": " + std::string(m->as_string());
              }
            }
          }
          return rpc_result(*id, tool_error(message));
        }
        if (tool->trim) tool->trim(body, args, options_);
        json::object result{{"content", json::array{json::object{{"type", "text"},
                                                                 {"text", json::serialize(body)}}}},
                            {"isError", false}};
        if (body.is_object()) result["structuredContent"] = body;
        return rpc_result(*id, std::move(result));
      }
      return rpc_error(*id, kMethodNotFound, "method not found: " + std::string(name));
    };

    if (const json::array* batch = message.if_array()) {
      if (batch->empty()) {
        return json_body(400, rpc_error(nullptr, kInvalidRequest, "an empty batch"));
      }
      json::array answers;
      for (const json::value& m : *batch) {
        if (auto a = handle_one(m)) answers.push_back(std::move(*a));
      }
      if (answers.empty()) {
        Response accepted;
        accepted.status = 202;
        return accepted;
      }
      return json_body(200, answers);
    }
    std::optional<json::object> answer = handle_one(message);
    if (!answer) {
      Response accepted;
      accepted.status = 202;
      return accepted;
    }
    // A single message the server cannot accept is an HTTP error too (Streamable HTTP:
    // "400 Bad Request" for input it cannot accept); a batch answers each message in 200.
    const json::value* err = answer->if_contains("error");
    const bool invalid = err != nullptr && err->is_object() &&
                         err->as_object().if_contains("code") != nullptr &&
                         err->as_object().at("code").is_int64() &&
                         err->as_object().at("code").as_int64() == kInvalidRequest;
    return json_body(invalid ? 400 : 200, *answer);
  });
}

}  // namespace mu
