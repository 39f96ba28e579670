// The Paper (澎湃新闻): the hot news list of the home page's right sidebar (澎湃热榜),
// https://cache.thepaper.cn/contentapi/wwwIndex/rightSidebar. The answer is {"code":200,
// "data":{"hotNews":[{"contId":"31876543","name":"...","pic":"https://imagecloud.thepaper.cn/
// ...","praiseTimes":"1234","interactionNum":"567","pubTime":"3小时前","pubTimeLong":
// 1767190000000,"nodeInfo":{"nodeId":25950,"name":"时事",...},"contType":0,...}],
// "editorHandpicked":[...],"hotTopic":[...],...},"desc":"success","time":...}.
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

constexpr char kSidebarUrl[] = "https://cache.thepaper.cn/contentapi/wwwIndex/rightSidebar";

HttpRequest hot_request(const SourceContext& /*ctx*/) {
  HttpRequest request;
  request.url = kSidebarUrl;
  request.headers = {
      {"User-Agent", std::string(kBrowserUserAgent)},
      {"Accept", "application/json, text/plain, */*"},
      {"Referer", "https://www.thepaper.cn/"},
  };
  return request;
}

Result<std::vector<Item>> parse_hot(const HttpResponse& response, const BoardMeta& meta) {
  MU_ASSIGN_OR_RETURN(JsonDoc doc, JsonDoc::parse(response.body, meta.id));
  const JsonView root = doc.root();
  if (!root.is_object()) {
    return error(ErrorCode::kParse, "expected a JSON object, got " + std::string(root.kind_name()));
  }
  if (auto code = root.integer("code"); code && *code != 200 && *code != 0) {
    const std::string desc = trim(root.string_or("desc", root.string_or("message")));
    return error(ErrorCode::kParse,
                 "API answered code " + std::to_string(*code) + (desc.empty() ? "" : ": " + desc));
  }
  MU_ASSIGN_OR_RETURN(JsonView list, root.require_array("data.hotNews"));
  std::vector<Item> items;
  items.reserve(list.size());
  for (const JsonView& news : list.elements()) {
    if (!news.is_object()) continue;
    const std::string id = trim(news.string_or("contId"));
    if (id.empty()) continue;
    Item item;
    item.key = id;
    item.title = news.string_or("name");
    item.url = "https://www.thepaper.cn/newsDetail_forward_" + id;
    item.mobile_url = "https://m.thepaper.cn/newsDetail_forward_" + id;
    item.image = trim(news.string_or("pic"));
    if (auto praise = news.integer("praiseTimes"); praise && *praise >= 0) {
      item.hot = static_cast<double>(*praise);
      item.hot_text = std::to_string(*praise) + " 赞";
    }
    if (auto published = news.integer("pubTimeLong"); published && *published > 0) {
      item.published_at_ms = *published;
    }
    if (std::string node = trim(news.string_or("nodeInfo.name")); !node.empty()) {
      item.extra.emplace_back("channel", node);
    }
    if (auto comments = news.integer("interactionNum"); comments && *comments >= 0) {
      item.extra.emplace_back("comments", std::to_string(*comments));
    }
    items.push_back(std::move(item));
  }
  if (items.empty()) return error(ErrorCode::kParse, "data.hotNews holds no articles");
  return items;
}

}  // namespace

Status register_thepaper_sources(SourceRegistry& registry) {
  MU_RETURN_IF_ERROR(registry.add_site(Site{
      .id = "thepaper",
      .name_zh = "澎湃新闻",
      .name_en = "The Paper",
      .home = "https://www.thepaper.cn",
      .icon = "https://www.thepaper.cn/favicon.ico",
      .color = "#00a5eb",
      .region = "cn",
      .category = "general",
  }));

  BoardMeta hot;
  hot.id = "thepaper.hot";
  hot.site = "thepaper";
  hot.name_zh = "澎湃热榜";
  hot.name_en = "Hot news";
  hot.kind = BoardKind::kRank;
  hot.schedule.every = std::chrono::minutes(15);
  hot.schedule.jitter = std::chrono::seconds(90);
  hot.schedule.timeout = std::chrono::seconds(15);
  hot.schedule.retries = 1;
  hot.group = "cn";
  hot.homepage = "https://www.thepaper.cn/";
  hot.notes =
      "JSON of cache.thepaper.cn/contentapi/wwwIndex/rightSidebar (data.hotNews, the home "
      "page's 热榜, about 20 articles; hot = praiseTimes, comments = interactionNum, time from "
      "pubTimeLong in ms). Served from a CDN cache; no cookie or signature needed. Sent "
      "with a browser User-Agent and a thepaper.cn Referer.";
  return registry.add(std::make_unique<SimpleSource>(std::move(hot), hot_request, parse_hot));
}

}  // namespace mu
