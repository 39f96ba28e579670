// Wallstreetcn (华尔街见闻): two boards from the public API at api-one.wallstcn.com.
//  - wallstreetcn.lives: GET /apiv1/content/lives?channel=global-channel&limit=30 ->
//    {"code":20000,"message":"OK","data":{"items":[{"id","title","content","content_text",
//    "content_short","display_time" (Unix s),"uri","channels","author":{...}}],
//    "next_cursor"}}. Most flashes have an empty title: the 【...】 lead of content_text, else
//    the text itself, stands in.
//  - wallstreetcn.hot: GET /apiv1/content/articles/hot?period=all -> {"code":20000,"data":
//    {"day_items":[{"id","title","uri","display_time","pageviews","image"}],"week_items":[...]}}
//    (the day list is the board).
// Errors come back as {"code":<not 20000>,"message":"..."}.
#include <algorithm>
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

constexpr char kLivesUrl[] =
    "https://api-one.wallstcn.com/apiv1/content/lives?channel=global-channel&limit=30";
constexpr char kHotUrl[] = "https://api-one.wallstcn.com/apiv1/content/articles/hot?period=all";

HttpRequest api_request(const char* url) {
  HttpRequest request;
  request.url = url;
  request.headers = {
      {"User-Agent", std::string(kBrowserUserAgent)},
      {"Accept", "application/json, text/plain, */*"},
      {"Origin", "https://wallstreetcn.com"},
      {"Referer", "https://wallstreetcn.com/"},
  };
  return request;
}

Status api_status(const JsonView& root) {
  auto code = root.integer("code");
  if (code && *code != 20000) {
    return error(ErrorCode::kParse, "API error " + std::to_string(*code) + ": " +
                                        root.string_or("message", "(no message)"));
  }
  return ok_status();
}

std::string bracket_headline(const std::string& text) {
  const std::string open = "【";
  const std::string close = "】";
  if (text.rfind(open, 0) != 0) return {};
  const std::size_t end = text.find(close, open.size());
  if (end == std::string::npos) return {};
  return trim(std::string_view(text).substr(open.size(), end - open.size()));
}

std::string item_url(const JsonView& v, const std::string& id, const char* kind) {
  std::string uri = trim(v.string_or("uri"));
  if (is_http_url(uri)) return uri;
  return "https://wallstreetcn.com/" + std::string(kind) + "/" + id;
}

Result<std::vector<Item>> parse_lives(const HttpResponse& response, const BoardMeta& meta) {
  MU_ASSIGN_OR_RETURN(JsonDoc doc, JsonDoc::parse(response.body, meta.id));
  const JsonView root = doc.root();
  MU_RETURN_IF_ERROR(api_status(root));
  MU_ASSIGN_OR_RETURN(JsonView lives, root.require_array("data.items"));
  std::vector<Item> items;
  items.reserve(lives.size());
  for (const JsonView& live : lives.elements()) {
    if (!live.is_object()) continue;
    Item item;
    item.key = live.string_or("id");
    if (item.key.empty()) continue;
    const std::string text = collapse_whitespace(live.string_or("content_text"));
    item.title = trim(live.string_or("title"));
    if (item.title.empty()) item.title = bracket_headline(text);
    if (item.title.empty()) item.title = truncate_utf8(text, 150);
    item.summary = truncate_utf8(text, 600);
    item.url = item_url(live, item.key, "livenews");
    if (auto t = live.integer("display_time"); t && *t > 0) item.published_at_ms = *t * 1000;
    items.push_back(std::move(item));
  }
  if (items.empty()) return error(ErrorCode::kParse, "data.items holds no flashes");
  std::stable_sort(items.begin(), items.end(), [](const Item& a, const Item& b) {
    return a.published_at_ms.value_or(0) > b.published_at_ms.value_or(0);
  });
  return items;
}

Result<std::vector<Item>> parse_hot(const HttpResponse& response, const BoardMeta& meta) {
  MU_ASSIGN_OR_RETURN(JsonDoc doc, JsonDoc::parse(response.body, meta.id));
  const JsonView root = doc.root();
  MU_RETURN_IF_ERROR(api_status(root));
  MU_ASSIGN_OR_RETURN(JsonView articles, root.require_array("data.day_items"));
  std::vector<Item> items;
  items.reserve(articles.size());
  for (const JsonView& article : articles.elements()) {
    if (!article.is_object()) continue;
    Item item;
    item.key = article.string_or("id");
    if (item.key.empty()) continue;
    item.title = trim(article.string_or("title"));
    item.url = item_url(article, item.key, "articles");
    item.image = trim(article.string_or("image.uri"));
    if (auto views = article.integer("pageviews"); views && *views >= 0) {
      item.hot = static_cast<double>(*views);
      item.hot_text = std::to_string(*views) + " 阅读";
    }
    if (auto t = article.integer("display_time"); t && *t > 0) item.published_at_ms = *t * 1000;
    items.push_back(std::move(item));
  }
  if (items.empty()) return error(ErrorCode::kParse, "data.day_items holds no articles");
  return items;
}

}  // namespace

Status register_wallstreetcn_sources(SourceRegistry& registry) {
  MU_RETURN_IF_ERROR(registry.add_site(Site{
      .id = "wallstreetcn",
      .name_zh = "华尔街见闻",
      .name_en = "Wallstreetcn",
      .home = "https://wallstreetcn.com",
      .icon = "https://wallstreetcn.com/favicon.ico",
      .color = "#1478f0",
      .region = "cn",
      .category = "finance",
  }));

  BoardMeta lives;
  lives.id = "wallstreetcn.lives";
  lives.site = "wallstreetcn";
  lives.name_zh = "7×24 快讯";
  lives.name_en = "Live news";
  lives.kind = BoardKind::kStream;
  lives.schedule.every = std::chrono::minutes(5);
  lives.schedule.jitter = std::chrono::seconds(30);
  lives.schedule.timeout = std::chrono::seconds(15);
  lives.schedule.retries = 1;
  lives.group = "cn";
  lives.homepage = "https://wallstreetcn.com/live/global";
  lives.notes =
      "JSON of api-one.wallstcn.com/apiv1/content/lives, global channel, 30 newest flashes "
      "(key = id, time = display_time). Untitled flashes take the 【】 lead of content_text or "
      "the text itself. Busy around market hours; 30 per answer at 5 minutes misses nothing.";
  MU_RETURN_IF_ERROR(registry.add(std::make_unique<SimpleSource>(
      std::move(lives), [](const SourceContext&) { return api_request(kLivesUrl); }, parse_lives)));

  BoardMeta hot;
  hot.id = "wallstreetcn.hot";
  hot.site = "wallstreetcn";
  hot.name_zh = "最热文章";
  hot.name_en = "Hot articles";
  hot.kind = BoardKind::kRank;
  hot.schedule.every = std::chrono::minutes(15);
  hot.schedule.jitter = std::chrono::seconds(60);
  hot.schedule.timeout = std::chrono::seconds(15);
  hot.schedule.retries = 1;
  hot.group = "cn";
  hot.homepage = "https://wallstreetcn.com/";
  hot.notes =
      "JSON of api-one.wallstcn.com/apiv1/content/articles/hot?period=all; the board is "
      "day_items (the day's most read articles, hot = pageviews); week_items is ignored.";
  return registry.add(std::make_unique<SimpleSource>(
      std::move(hot), [](const SourceContext&) { return api_request(kHotUrl); }, parse_hot));
}

}  // namespace mu
