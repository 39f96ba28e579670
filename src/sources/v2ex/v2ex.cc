// V2EX: today's hot topics from the public API v1, https://www.v2ex.com/api/topics/hot.json.
// The answer is a JSON array of topics: id, title, url, content, content_rendered, replies,
// created, last_touched, member{username,...}, node{name,title,...}. The API allows 120
// requests per hour per IP; when exceeded (or on other errors) it answers an object with a
// "message" instead of the array.
#include <memory>
#include <string>
#include <vector>

#include "sources/common/http_util.h"
#include "sources/common/json_util.h"
#include "sources/common/simple_source.h"
#include "sources/common/text.h"
#include "sources/source.h"

namespace mu {
namespace {

constexpr char kHotUrl[] = "https://www.v2ex.com/api/topics/hot.json";

HttpRequest hot_request(const SourceContext& /*ctx*/) {
  HttpRequest request;
  request.url = kHotUrl;
  request.headers = {
      {"User-Agent", std::string(kMuUserAgent)},
      {"Accept", "application/json"},
  };
  return request;
}

Result<std::vector<Item>> parse_hot(const HttpResponse& response, const BoardMeta& meta) {
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
  }));

  BoardMeta hot;
  hot.id = "v2ex.hot";
  hot.site = "v2ex";
  hot.name_zh = "最热主题";
  hot.name_en = "Hot topics";
  hot.kind = BoardKind::kRank;
  hot.schedule.every = std::chrono::minutes(15);
  hot.schedule.jitter = std::chrono::seconds(60);
  hot.schedule.timeout = std::chrono::seconds(20);
  hot.schedule.retries = 1;
  hot.group = "cn";
  hot.homepage = "https://www.v2ex.com/?tab=hot";
  hot.notes =
      "JSON of the public API v1 api/topics/hot.json (about 10 topics, hot = replies). "
      "V2EX allows 120 API requests per hour per IP for all boards together; this board "
      "uses 4. Over the limit it answers an object with a message instead of the array.";
  return registry.add(std::make_unique<SimpleSource>(std::move(hot), hot_request, parse_hot));
}

}  // namespace mu
