// NetEase News (网易新闻): the hot list of the mobile site, GET
// https://m.163.com/fe/api/hot/news/flow -> {"code":200,"message":"成功","data":{"list":[{
// "docid","title","source","imgsrc","ptime" ("2025-12-31 18:02:17", Beijing time),
// "replyCount","skipType"}]}}. Articles live at https://www.163.com/dy/article/<docid>.html
// (mobile: m.163.com/dy/article/<docid>.html).
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

constexpr char kHotUrl[] = "https://m.163.com/fe/api/hot/news/flow";

HttpRequest hot_request(const SourceContext& /*ctx*/) {
  HttpRequest request;
  request.url = kHotUrl;
  request.headers = {
      {"User-Agent", std::string(kBrowserUserAgent)},
      {"Accept", "application/json, text/plain, */*"},
      {"Referer", "https://m.163.com/hot"},
  };
  return request;
}

// "2025-12-31 18:02:17" in Beijing time -> Unix ms.
std::optional<int64_t> beijing_time_ms(const std::string& text) {
  const std::string t = trim(text);
  if (t.size() < 16) return std::nullopt;
  return parse_iso8601_ms(t + "+08:00");
}

Result<std::vector<Item>> parse_hot(const HttpResponse& response, const BoardMeta& meta) {
  MU_ASSIGN_OR_RETURN(JsonDoc doc, JsonDoc::parse(response.body, meta.id));
  const JsonView root = doc.root();
  if (auto code = root.integer("code"); code && *code != 200 && *code != 0) {
    return error(ErrorCode::kParse, "API error " + std::to_string(*code) + ": " +
                                        root.string_or("message", "(no message)"));
  }
  MU_ASSIGN_OR_RETURN(JsonView list, root.require_array("data.list"));
  std::vector<Item> items;
  items.reserve(list.size());
  for (const JsonView& news : list.elements()) {
    if (!news.is_object()) continue;
    Item item;
    item.key = trim(news.string_or("docid"));
    if (item.key.empty()) continue;
    item.title = trim(news.string_or("title"));
    item.url = "https://www.163.com/dy/article/" + percent_encode(item.key) + ".html";
    item.mobile_url = "https://m.163.com/dy/article/" + percent_encode(item.key) + ".html";
    item.image = trim(news.string_or("imgsrc"));
    item.author = trim(news.string_or("source"));
    item.published_at_ms = beijing_time_ms(news.string_or("ptime"));
    if (auto replies = news.integer("replyCount"); replies && *replies >= 0) {
      item.hot = static_cast<double>(*replies);
      item.hot_text = std::to_string(*replies) + " 跟帖";
    }
    items.push_back(std::move(item));
  }
  if (items.empty()) return error(ErrorCode::kParse, "data.list holds no news");
  return items;
}

}  // namespace

Status register_netease_sources(SourceRegistry& registry) {
  MU_RETURN_IF_ERROR(registry.add_site(Site{
      .id = "netease",
      .name_zh = "网易新闻",
      .name_en = "NetEase News",
      .home = "https://news.163.com",
      .icon = "https://www.163.com/favicon.ico",
      .color = "#e60012",
      .region = "cn",
      .category = "general",
  }));

  BoardMeta hot;
  hot.id = "netease.hot";
  hot.site = "netease";
  hot.name_zh = "热点榜";
  hot.name_en = "Hot news";
  hot.kind = BoardKind::kRank;
  hot.schedule.every = std::chrono::minutes(10);
  hot.schedule.jitter = std::chrono::seconds(60);
  hot.schedule.timeout = std::chrono::seconds(15);
  hot.schedule.retries = 1;
  hot.group = "cn";
  hot.homepage = "https://m.163.com/hot";
  hot.notes =
      "JSON of m.163.com/fe/api/hot/news/flow (the mobile site's hot list; key = docid, "
      "hot = replyCount when given). ptime is Beijing time without an offset.";
  return registry.add(std::make_unique<SimpleSource>(std::move(hot), hot_request, parse_hot));
}

}  // namespace mu
