// CSDN: the blog hot ranking (全站综合热榜), GET
// https://blog.csdn.net/phoenix/web/blog/hot-rank?page=0&pageSize=25 -> {"code":200,
// "message":"success","traceId","data":[{"hotRankScore" ("32758"),"pcHotRankScore" ("3.3w"),
// "loginUserIsFollow","nickName","avatarUrl","userName","articleTitle","articleDetailUrl",
// "commentCount","favorCount","viewCount","hotComment","picList":[...],"isNew","productId",
// "productType","recommendType","period"}]}. productId is the article id.
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

constexpr char kHotUrl[] = "https://blog.csdn.net/phoenix/web/blog/hot-rank?page=0&pageSize=25";

HttpRequest hot_request(const SourceContext& /*ctx*/) {
  HttpRequest request;
  request.url = kHotUrl;
  request.headers = {
      {"User-Agent", std::string(kBrowserUserAgent)},
      {"Accept", "application/json, text/plain, */*"},
      {"Referer", "https://blog.csdn.net/rank/list"},
  };
  return request;
}

Result<std::vector<Item>> parse_hot(const HttpResponse& response, const BoardMeta& meta) {
  MU_ASSIGN_OR_RETURN(JsonDoc doc, JsonDoc::parse(response.body, meta.id));
  const JsonView root = doc.root();
  if (auto code = root.integer("code"); code && *code != 200) {
    return error(ErrorCode::kParse, "API error " + std::to_string(*code) + ": " +
                                        root.string_or("message", "(no message)"));
  }
  MU_ASSIGN_OR_RETURN(JsonView list, root.require_array("data"));
  std::vector<Item> items;
  items.reserve(list.size());
  for (const JsonView& article : list.elements()) {
    if (!article.is_object()) continue;
    Item item;
    item.key = trim(article.string_or("productId"));
    item.title = trim(article.string_or("articleTitle"));
    item.url = trim(article.string_or("articleDetailUrl"));
    if (item.url.rfind("http://", 0) == 0) item.url = "https://" + item.url.substr(7);
    item.author = trim(article.string_or("nickName"));
    item.image = trim(article.string_or("picList[0]"));
    if (auto score = article.number("hotRankScore"); score && *score >= 0) item.hot = *score;
    item.hot_text = trim(article.string_or("pcHotRankScore"));
    if (!item.hot && !item.hot_text.empty()) item.hot = parse_popularity(item.hot_text);
    for (const char* field : {"viewCount", "commentCount", "favorCount"}) {
      if (auto n = article.integer(field)) item.extra.emplace_back(field, std::to_string(*n));
    }
    items.push_back(std::move(item));
  }
  if (items.empty()) return error(ErrorCode::kParse, "data holds no articles");
  return items;
}

}  // namespace

Status register_csdn_sources(SourceRegistry& registry) {
  MU_RETURN_IF_ERROR(registry.add_site(Site{
      .id = "csdn",
      .name_zh = "CSDN",
      .name_en = "CSDN",
      .home = "https://www.csdn.net",
      .icon = "https://www.csdn.net/favicon.ico",
      .color = "#fc5531",
      .region = "cn",
      .category = "tech",
  }));

  BoardMeta hot;
  hot.id = "csdn.hot";
  hot.site = "csdn";
  hot.name_zh = "博客热榜";
  hot.name_en = "Blog hot ranking";
  hot.kind = BoardKind::kRank;
  hot.schedule.every = std::chrono::minutes(30);
  hot.schedule.jitter = std::chrono::minutes(2);
  hot.schedule.timeout = std::chrono::seconds(20);
  hot.schedule.retries = 1;
  hot.group = "cn";
  hot.homepage = "https://blog.csdn.net/rank/list";
  hot.notes =
      "JSON of blog.csdn.net/phoenix/web/blog/hot-rank (page 0, 25 articles; key = productId, "
      "hot = hotRankScore, hot_text = pcHotRankScore such as \"3.3w\"). The ranking is "
      "recomputed about hourly; every 30 minutes is plenty.";
  return registry.add(std::make_unique<SimpleSource>(std::move(hot), hot_request, parse_hot));
}

}  // namespace mu
