// V2EX: topic lists from the public API v1 (https://www.v2ex.com/api/...):
//   api/topics/hot.json                     today's hot topics (about 10)
//   api/topics/latest.json                  the newest topics of the whole site
//   api/topics/show.json?node_name=<node>   the newest topics of one node
// Each answers a JSON array of topics: id, title, url, content, content_rendered, replies,
// created, last_touched, member{username,...}, node{name,title,...}. The API allows 120
// requests per hour per IP for everything together; when exceeded (or on other errors, e.g.
// an unknown node) it answers an object with a "message" instead of the array.
#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "sources/common/http_util.h"
#include "sources/common/json_util.h"
#include "sources/common/simple_source.h"
#include "sources/common/text.h"
#include "sources/source.h"

namespace mu {
namespace {

constexpr char kApi[] = "https://www.v2ex.com/api/topics/";

SimpleSource::RequestFn api_request(std::string url) {
  return [url = std::move(url)](const SourceContext& /*ctx*/) {
    HttpRequest request;
    request.url = url;
    request.headers = {
        {"User-Agent", std::string(kMuUserAgent)},
        {"Accept", "application/json"},
    };
    return request;
  };
}

// Parses any topic list of the API (hot, latest, a node's topics).
Result<std::vector<Item>> parse_topics(const HttpResponse& response, const BoardMeta& meta) {
  MU_ASSIGN_OR_RETURN(JsonDoc doc, JsonDoc::parse(response.body, meta.id));
  const JsonView root = doc.root();
  if (!root.is_array()) {
    std::string msg = root.string_or("message");
    return error(ErrorCode::kParse, "expected a JSON array of topics, got " +
                                        std::string(root.kind_name()) +
                                        (msg.empty() ? "" : " (message: " + msg + ")"));
  }
  std::vector<Item> items;
  items.reserve(root.size());
  for (const JsonView& topic : root.elements()) {
    if (!topic.is_object()) continue;
    Item item;
    item.key = topic.string_or("id");
    item.title = topic.string_or("title");
    item.url = trim(topic.string_or("url"));
    if (item.url.empty() && !item.key.empty()) item.url = "https://www.v2ex.com/t/" + item.key;
    if (item.url.rfind("http://", 0) == 0) item.url = "https://" + item.url.substr(7);
    item.summary = truncate_utf8(collapse_whitespace(topic.string_or("content")), 400);
    if (auto replies = topic.integer("replies")) {
      item.hot = static_cast<double>(*replies);
      item.hot_text = std::to_string(*replies) + " 条回复";
    }
    item.author = topic.string_or("member.username");
    if (auto created = topic.integer("created"); created && *created > 0) {
      item.published_at_ms = *created * 1000;
    }
    if (std::string node = topic.string_or("node.title"); !node.empty()) {
      item.extra.emplace_back("node", node);
    }
    if (std::string node_name = topic.string_or("node.name"); !node_name.empty()) {
      item.extra.emplace_back("node_name", node_name);
    }
    items.push_back(std::move(item));
  }
  if (items.empty()) return error(ErrorCode::kParse, "the topic array is empty");
  return items;
}

// The V2EX API budget: 120 requests per hour per IP for all boards. Mu's boards use
// 4 (hot) + 6 (latest) + 6 x 6 (nodes) = 46 first attempts an hour, 92 if every one retried.
constexpr char kBudgetNote[] =
    " V2EX allows 120 API requests per hour per IP for all boards together; Mu's V2EX boards "
    "use 46 an hour (hot 4, latest 6, six node boards 6 each), at most 92 with every retry. "
    "Over the limit it answers an object with a message instead of the array.";

BoardMeta v2ex_board(std::string board, std::string name_zh, std::string name_en, BoardKind kind,
                     std::chrono::minutes every, std::string homepage, std::string notes) {
  BoardMeta meta;
  meta.id = "v2ex." + board;
  meta.site = "v2ex";
  meta.name_zh = std::move(name_zh);
  meta.name_en = std::move(name_en);
  meta.kind = kind;
  meta.schedule.every = every;
  meta.schedule.jitter = std::chrono::seconds(60);
  meta.schedule.timeout = std::chrono::seconds(20);
  meta.schedule.retries = 1;
  meta.group = "cn";
  meta.homepage = std::move(homepage);
  meta.notes = std::move(notes) + kBudgetNote;
  return meta;
}

struct NodeBoard {
  const char* node;     // V2EX node name, also the board suffix
  const char* name_zh;  // the node's title
  const char* name_en;
};

}  // namespace

Status register_v2ex_sources(SourceRegistry& registry) {
  MU_RETURN_IF_ERROR(registry.add_site(Site{
      .id = "v2ex",
      .name_zh = "V2EX",
      .name_en = "V2EX",
      .home = "https://www.v2ex.com",
      .icon = "https://www.v2ex.com/static/favicon.ico",
      .color = "#333344",
      .region = "cn",
      .category = "community",
  }));

  using std::chrono::minutes;
  const std::string api = kApi;
  MU_RETURN_IF_ERROR(registry.add(std::make_unique<SimpleSource>(
      v2ex_board("hot", "最热主题", "Hot topics", BoardKind::kRank, minutes(15),
                 "https://www.v2ex.com/?tab=hot",
                 "JSON of the public API v1 api/topics/hot.json (about 10 topics, hot = "
                 "replies), every 15 minutes."),
      api_request(api + "hot.json"), parse_topics)));

  MU_RETURN_IF_ERROR(registry.add(std::make_unique<SimpleSource>(
      v2ex_board("latest", "最新主题", "Latest topics", BoardKind::kStream, minutes(10),
                 "https://www.v2ex.com/recent",
                 "JSON of the public API v1 api/topics/latest.json (the newest topics of the "
                 "whole site, newest first; hot = replies so far). A stream, every 10 minutes."),
      api_request(api + "latest.json"), parse_topics)));

  const NodeBoard nodes[] = {
      {"programmer", "程序员", "Programmer"},
      {"create", "分享创造", "Create"},
      {"share", "分享发现", "Share"},
      {"jobs", "酷工作", "Jobs"},
      {"apple", "Apple", "Apple"},
      {"qna", "问与答", "Q&A"},
  };
  for (const NodeBoard& n : nodes) {
    const std::string node = n.node;
    MU_RETURN_IF_ERROR(registry.add(std::make_unique<SimpleSource>(
        v2ex_board("node-" + node, n.name_zh, n.name_en, BoardKind::kStream, minutes(10),
                   "https://www.v2ex.com/go/" + node,
                   "JSON of the public API v1 api/topics/show.json?node_name=" + node +
                       " (the node's newest topics, newest first; hot = replies). A stream, "
                       "every 10 minutes. An unknown node answers an error object or an empty "
                       "array (both are parse errors)."),
        api_request(api + "show.json?node_name=" + node), parse_topics)));
  }
  return ok_status();
}

}  // namespace mu
