// Zhihu (知乎): the hot list, https://www.zhihu.com/api/v3/feed/topstory/hot-lists/total.
// The answer is {"data":[{"type":"hot_list_feed","card_id":"Q_<id>","target":{...},...}]}
// in one of two shapes, both supported:
//  - card format (2023-): target.title_area.text, target.excerpt_area.text,
//    target.metrics_area.text ("2123 万热度"), target.link.url (www URL),
//    target.image_area.url, card_label.type ("hot"/"new"), feed_specific.answer_count;
//  - old format: target.title, target.excerpt, target.url as an API URL
//    (https://api.zhihu.com/questions/<id>), detail_text ("4606 万热度"), target.created,
//    target.answer_count, children[0].thumbnail, debut.
// Errors come back as {"error":{"code":...,"message":...}}, usually with HTTP 401/403.
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

constexpr char kHotListUrl[] =
    "https://www.zhihu.com/api/v3/feed/topstory/hot-lists/total?limit=50";

HttpRequest hot_list_request(const SourceContext& ctx) {
  HttpRequest request;
  request.url = kHotListUrl;
  request.headers = {
      {"User-Agent", std::string(kBrowserUserAgent)},
      {"Accept", "application/json, text/plain, */*"},
      {"Referer", "https://www.zhihu.com/hot"},
  };
  if (const std::string* cookie = find_secret(ctx, "zhihu.cookie")) {
    request.headers.emplace_back("Cookie", *cookie);
  }
  return request;
}

// The digits right after `marker` in `s` ("" when absent).
std::string digits_after(std::string_view s, std::string_view marker) {
  std::size_t pos = s.find(marker);
  if (pos == std::string_view::npos) return {};
  pos += marker.size();
  std::size_t end = pos;
  while (end < s.size() && s[end] >= '0' && s[end] <= '9') ++end;
  return std::string(s.substr(pos, end - pos));
}

// API URLs of the old format point at the API; readers need the web page.
//   https://api.zhihu.com/questions/123        -> https://www.zhihu.com/question/123
//   https://www.zhihu.com/api/v4/questions/123 -> https://www.zhihu.com/question/123
//   https://api.zhihu.com/articles/456         -> https://zhuanlan.zhihu.com/p/456
std::string web_url(const std::string& url) {
  const bool api = url.find("://api.zhihu.com/") != std::string::npos ||
                   url.find("zhihu.com/api/") != std::string::npos;
  if (!api) return url;
  if (std::string id = digits_after(url, "/questions/"); !id.empty()) {
    return "https://www.zhihu.com/question/" + id;
  }
  if (std::string id = digits_after(url, "/articles/"); !id.empty()) {
    return "https://zhuanlan.zhihu.com/p/" + id;
  }
  return url;
}

std::string label_for(std::string_view card_label_type) {
  if (card_label_type == "hot") return "热";
  if (card_label_type == "new") return "新";
  if (card_label_type == "recommend") return "荐";
  if (card_label_type == "boom") return "爆";
  return {};
}

Result<std::vector<Item>> parse_hot_list(const HttpResponse& response, const BoardMeta& meta) {
  MU_ASSIGN_OR_RETURN(JsonDoc doc, JsonDoc::parse(response.body, meta.id));
  const JsonView root = doc.root();
  if (root.get("error").is_object()) {
    const JsonView err = root.get("error");
    return error(ErrorCode::kBlocked, "API error " + err.string_or("code", "?") + ": " +
                                          err.string_or("message", "(no message)"));
  }
  MU_ASSIGN_OR_RETURN(JsonView data, root.require_array("data"));

  std::vector<Item> items;
  items.reserve(data.size());
  for (const JsonView& entry : data.elements()) {
    const JsonView target = entry.get("target");
    if (!target.is_object()) continue;
    Item item;
    const bool card_format = target.get("title_area").is_object();
    if (card_format) {
      item.title = trim(target.string_or("title_area.text"));
      item.summary = target.string_or("excerpt_area.text");
      item.hot_text = trim(target.string_or("metrics_area.text"));
      item.url = web_url(trim(target.string_or("link.url")));
      item.image = trim(target.string_or("image_area.url"));
      if (auto answers = entry.integer("feed_specific.answer_count")) {
        item.extra.emplace_back("answers", std::to_string(*answers));
      }
    } else {
      item.title = trim(target.string_or("title"));
      item.summary = target.string_or("excerpt");
      item.hot_text = trim(entry.string_or("detail_text"));
      item.url = web_url(trim(target.string_or("url")));
      for (const JsonView& child : entry.get("children").elements()) {
        item.image = trim(child.string_or("thumbnail"));
        if (!item.image.empty()) break;
      }
      if (auto created = target.integer("created"); created && *created > 0) {
        item.published_at_ms = *created * 1000;
      }
      if (auto answers = target.integer("answer_count")) {
        item.extra.emplace_back("answers", std::to_string(*answers));
      }
    }
    item.summary = truncate_utf8(collapse_whitespace(item.summary), 600);
    if (!item.hot_text.empty()) item.hot = parse_popularity(item.hot_text);
    item.label = label_for(entry.string_or("card_label.type"));
    if (item.label.empty() && entry.bool_or("debut", false)) item.label = "新";

    // Key: the question id when there is one, else the card id, else the URL.
    item.key = digits_after(item.url, "/question/");
    if (item.key.empty()) {
      std::string card = entry.string_or("card_id");
      if (card.rfind("Q_", 0) == 0) card = card.substr(2);
      item.key = card.empty() ? target.string_or("id") : card;
    }
    if (std::string type = target.string_or("type"); !type.empty()) {
      item.extra.emplace_back("type", type);
    }
    items.push_back(std::move(item));
  }
  if (items.empty()) return error(ErrorCode::kParse, "data holds no hot-list entries");
  return items;
}

}  // namespace

Status register_zhihu_sources(SourceRegistry& registry) {
  MU_RETURN_IF_ERROR(registry.add_site(Site{
      .id = "zhihu",
      .name_zh = "知乎",
      .name_en = "Zhihu",
      .home = "https://www.zhihu.com",
      .icon = "https://static.zhihu.com/heifetz/favicon.ico",
      .color = "#1772f6",
      .region = "cn",
      .category = "general",
  }));

  BoardMeta hot;
  hot.id = "zhihu.hot";
  hot.site = "zhihu";
  hot.name_zh = "热榜";
  hot.name_en = "Hot list";
  hot.kind = BoardKind::kRank;
  hot.schedule.every = std::chrono::minutes(10);
  hot.schedule.jitter = std::chrono::seconds(60);
  hot.schedule.timeout = std::chrono::seconds(15);
  hot.schedule.retries = 1;
  hot.group = "cn";
  hot.homepage = "https://www.zhihu.com/hot";
  hot.notes =
      "JSON of api/v3/feed/topstory/hot-lists/total?limit=50 (30-50 entries). Both the card "
      "format (title_area/excerpt_area/metrics_area/link) and the older format (title, "
      "detail_text, api.zhihu.com question URLs) are parsed. Zhihu may answer 401/403 "
      "{\"error\":...} to clients without a session (reported as blocked); an optional secret "
      "zhihu.cookie is sent when configured. The list is recomputed every few minutes.";
  return registry.add(
      std::make_unique<SimpleSource>(std::move(hot), hot_list_request, parse_hot_list));
}

}  // namespace mu
