// Juejin (稀土掘金): the article hot ranking of the 综合 category, GET
// https://api.juejin.cn/content_api/v1/content/article_rank?category_id=1&type=hot (the web
// page juejin.cn/hot/articles calls it the same way, with GET) -> {"err_no":0,
// "err_msg":"success","data":[{"content":{"content_id","item_type","title","brief",
// "category_id","tag_ids","ctime" (Unix s, as a string)},"content_counter":{"view","like",
// "collect","hot_rank","comment_count","interact_count"},"author":{"user_id","name",
// "avatar"},"author_counter":{...},"user_interact":{...}}]}. A failure answers a non-zero
// err_no with err_msg.
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
    "https://api.juejin.cn/content_api/v1/content/article_rank?category_id=1&type=hot";

HttpRequest hot_request(const SourceContext& /*ctx*/) {
  HttpRequest request;
  request.url = kHotUrl;
  request.headers = {
      {"User-Agent", std::string(kBrowserUserAgent)},
      {"Accept", "application/json, text/plain, */*"},
      {"Origin", "https://juejin.cn"},
      {"Referer", "https://juejin.cn/hot/articles"},
  };
  return request;
}

Result<std::vector<Item>> parse_hot(const HttpResponse& response, const BoardMeta& meta) {
  MU_ASSIGN_OR_RETURN(JsonDoc doc, JsonDoc::parse(response.body, meta.id));
  const JsonView root = doc.root();
  if (auto code = root.integer("err_no"); code && *code != 0) {
    return error(ErrorCode::kParse, "API error " + std::to_string(*code) + ": " +
                                        root.string_or("err_msg", "(no message)"));
  }
  MU_ASSIGN_OR_RETURN(JsonView list, root.require_array("data"));
  std::vector<Item> items;
  items.reserve(list.size());
  for (const JsonView& entry : list.elements()) {
    if (!entry.is_object()) continue;
    const JsonView content = entry.get("content");
    Item item;
    item.key = trim(content.string_or("content_id"));
    if (item.key.empty()) continue;
    item.title = trim(content.string_or("title"));
    item.summary = truncate_utf8(collapse_whitespace(content.string_or("brief")), 400);
    item.url = "https://juejin.cn/post/" + percent_encode(item.key);
    item.author = trim(entry.string_or("author.name"));
    if (auto rank = entry.number("content_counter.hot_rank"); rank && *rank >= 0) {
      item.hot = *rank;
      item.hot_text = entry.string_or("content_counter.hot_rank") + " 热度";
    }
    if (auto t = content.integer("ctime"); t && *t > 0) item.published_at_ms = *t * 1000;
    for (const char* field : {"view", "like", "collect", "comment_count"}) {
      if (auto n = entry.integer(std::string("content_counter.") + field)) {
        item.extra.emplace_back(field, std::to_string(*n));
      }
    }
    items.push_back(std::move(item));
  }
  if (items.empty()) return error(ErrorCode::kParse, "data holds no articles");
  return items;
}

}  // namespace

Status register_juejin_sources(SourceRegistry& registry) {
  MU_RETURN_IF_ERROR(registry.add_site(Site{
      .id = "juejin",
      .name_zh = "稀土掘金",
      .name_en = "Juejin",
      .home = "https://juejin.cn",
      .icon = "https://juejin.cn/favicon.ico",
      .color = "#1e80ff",
      .region = "cn",
      .category = "tech",
  }));

  BoardMeta hot;
  hot.id = "juejin.hot";
  hot.site = "juejin";
  hot.name_zh = "文章榜";
  hot.name_en = "Hot articles";
  hot.kind = BoardKind::kRank;
  hot.schedule.every = std::chrono::minutes(30);
  hot.schedule.jitter = std::chrono::minutes(2);
  hot.schedule.timeout = std::chrono::seconds(15);
  hot.schedule.retries = 1;
  hot.group = "cn";
  hot.homepage = "https://juejin.cn/hot/articles";
  hot.notes =
      "JSON of api.juejin.cn/content_api/v1/content/article_rank?category_id=1&type=hot (GET, "
      "the 综合 ranking, about 50 articles; hot = content_counter.hot_rank). The ranking is "
      "recomputed about hourly.";
  return registry.add(std::make_unique<SimpleSource>(std::move(hot), hot_request, parse_hot));
}

}  // namespace mu
