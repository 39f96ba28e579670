// Tencent News (腾讯新闻): the hot ranking of news.qq.com, GET
// https://r.inews.qq.com/gw/event/hot_ranking_list?page_size=50 -> {"ret":0,"idlist":[{
// "newslist":[<a header card: the list's own title, no hotEvent>, {"id","title","abstract",
// "source","timestamp" (Unix s),"time","url" (view.inews.qq.com page),"thumbnails":[...],
// "miniProShareImage","hotEvent":{"id","hotScore","ranking"}}, ...]}]}. Only entries with a
// hotEvent are ranked news. A failed call answers a non-zero "ret" with "errmsg".
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

constexpr char kHotUrl[] = "https://r.inews.qq.com/gw/event/hot_ranking_list?page_size=50";

HttpRequest hot_request(const SourceContext& /*ctx*/) {
  HttpRequest request;
  request.url = kHotUrl;
  request.headers = {
      {"User-Agent", std::string(kBrowserUserAgent)},
      {"Accept", "application/json, text/plain, */*"},
      {"Referer", "https://news.qq.com/"},
  };
  return request;
}

Result<std::vector<Item>> parse_hot(const HttpResponse& response, const BoardMeta& meta) {
  MU_ASSIGN_OR_RETURN(JsonDoc doc, JsonDoc::parse(response.body, meta.id));
  const JsonView root = doc.root();
  if (auto ret = root.integer("ret"); ret && *ret != 0) {
    return error(ErrorCode::kParse, "API error " + std::to_string(*ret) + ": " +
                                        root.string_or("errmsg", "(no message)"));
  }
  MU_ASSIGN_OR_RETURN(JsonView list, root.require_array("idlist[0].newslist"));
  std::vector<Item> items;
  items.reserve(list.size());
  for (const JsonView& news : list.elements()) {
    if (!news.is_object() || !news.get("hotEvent").is_object()) continue;  // the header card
    Item item;
    item.key = trim(news.string_or("id"));
    if (item.key.empty()) continue;
    item.title = trim(news.string_or("title"));
    item.url = "https://news.qq.com/rain/a/" + percent_encode(item.key);
    item.mobile_url = trim(news.string_or("url"));
    item.summary = truncate_utf8(collapse_whitespace(news.string_or("abstract")), 600);
    item.author = trim(news.string_or("source"));
    item.image = trim(news.string_or("miniProShareImage"));
    if (item.image.empty()) item.image = trim(news.string_or("thumbnails[0]"));
    if (auto score = news.number("hotEvent.hotScore"); score && *score >= 0) {
      item.hot = *score;
      item.hot_text = news.string_or("hotEvent.hotScore") + " 热度";
    }
    if (auto t = news.integer("timestamp"); t && *t > 0) item.published_at_ms = *t * 1000;
    items.push_back(std::move(item));
  }
  if (items.empty()) return error(ErrorCode::kParse, "idlist[0].newslist holds no ranked news");
  return items;
}

}  // namespace

Status register_tencent_sources(SourceRegistry& registry) {
  MU_RETURN_IF_ERROR(registry.add_site(Site{
      .id = "tencent",
      .name_zh = "腾讯新闻",
      .name_en = "Tencent News",
      .home = "https://news.qq.com",
      .icon = "https://news.qq.com/favicon.ico",
      .color = "#0052d9",
      .region = "cn",
      .category = "general",
  }));

  BoardMeta hot;
  hot.id = "tencent.hot";
  hot.site = "tencent";
  hot.name_zh = "热点榜";
  hot.name_en = "Hot ranking";
  hot.kind = BoardKind::kRank;
  hot.schedule.every = std::chrono::minutes(10);
  hot.schedule.jitter = std::chrono::seconds(60);
  hot.schedule.timeout = std::chrono::seconds(15);
  hot.schedule.retries = 1;
  hot.group = "cn";
  hot.homepage = "https://news.qq.com/";
  hot.notes =
      "JSON of r.inews.qq.com/gw/event/hot_ranking_list?page_size=50 (the news.qq.com hot "
      "ranking; the first newslist entry is a header card without hotEvent and is skipped; "
      "hot = hotEvent.hotScore).";
  return registry.add(std::make_unique<SimpleSource>(std::move(hot), hot_request, parse_hot));
}

}  // namespace mu
