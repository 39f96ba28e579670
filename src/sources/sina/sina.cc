// Sina News (新浪新闻): the news app's hot ranking (新浪热榜), GET
// https://newsapp.sina.cn/api/hotlist?newsId=HB-1-snhs%2Ftop_news_list-all ->
// {"status":0,"data":{"hotList":[{"info":{"title","hotValue" ("248.6万"),"showTag" ("热",
// "新", "沸", ...),"pic"},"base":{"base":{"uniqueId","url","routeUri"}}}]}}.
// A failed call answers a non-zero "status" with a "msg".
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

constexpr char kHotUrl[] =
    "https://newsapp.sina.cn/api/hotlist?newsId=HB-1-snhs%2Ftop_news_list-all";

HttpRequest hot_request(const SourceContext& /*ctx*/) {
  HttpRequest request;
  request.url = kHotUrl;
  request.headers = {
      {"User-Agent", std::string(kBrowserUserAgent)},
      {"Accept", "application/json, text/plain, */*"},
      {"Referer", "https://sinanews.sina.cn/"},
  };
  return request;
}

Result<std::vector<Item>> parse_hot(const HttpResponse& response, const BoardMeta& meta) {
  MU_ASSIGN_OR_RETURN(JsonDoc doc, JsonDoc::parse(response.body, meta.id));
  const JsonView root = doc.root();
  if (auto status = root.integer("status"); status && *status != 0) {
    return error(ErrorCode::kParse, "API error " + std::to_string(*status) + ": " +
                                        root.string_or("msg", "(no message)"));
  }
  MU_ASSIGN_OR_RETURN(JsonView list, root.require_array("data.hotList"));
  std::vector<Item> items;
  items.reserve(list.size());
  for (const JsonView& entry : list.elements()) {
    if (!entry.is_object()) continue;
    const JsonView base = entry.get("base.base");
    Item item;
    item.key = trim(base.string_or("uniqueId"));
    item.title = trim(entry.string_or("info.title"));
    item.url = trim(base.string_or("url"));
    if (item.url.rfind("http://", 0) == 0) item.url = "https://" + item.url.substr(7);
    item.image = trim(entry.string_or("info.pic"));
    item.hot_text = trim(entry.string_or("info.hotValue"));
    if (!item.hot_text.empty()) item.hot = parse_popularity(item.hot_text);
    item.label = trim(entry.string_or("info.showTag"));
    items.push_back(std::move(item));
  }
  if (items.empty()) return error(ErrorCode::kParse, "data.hotList is empty");
  return items;
}

}  // namespace

Status register_sina_sources(SourceRegistry& registry) {
  MU_RETURN_IF_ERROR(registry.add_site(Site{
      .id = "sina",
      .name_zh = "新浪新闻",
      .name_en = "Sina News",
      .home = "https://news.sina.com.cn",
      .icon = "https://www.sina.com.cn/favicon.ico",
      .color = "#e71d36",
      .region = "cn",
      .category = "general",
  }));

  BoardMeta hot;
  hot.id = "sina.hot";
  hot.site = "sina";
  hot.name_zh = "新浪热榜";
  hot.name_en = "Hot list";
  hot.kind = BoardKind::kRank;
  hot.schedule.every = std::chrono::minutes(10);
  hot.schedule.jitter = std::chrono::seconds(60);
  hot.schedule.timeout = std::chrono::seconds(15);
  hot.schedule.retries = 1;
  hot.group = "cn";
  hot.homepage = "https://sinanews.sina.cn/h5/top_news_list.d.html";
  hot.notes =
      "JSON of newsapp.sina.cn/api/hotlist (newsId HB-1-snhs/top_news_list-all, the app's "
      "overall hot list, about 50 entries; hot = hotValue such as \"248.6万\", label = showTag). "
      "Entries without a uniqueId are keyed by URL. Other lists exist (-hotcmnt, -ent, ...).";
  return registry.add(std::make_unique<SimpleSource>(std::move(hot), hot_request, parse_hot));
}

}  // namespace mu
