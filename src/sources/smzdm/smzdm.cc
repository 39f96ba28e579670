// SMZDM (什么值得买): today's hot articles of the community (好文排行), GET
// https://post.smzdm.com/rank/json_more/?unit=1 -> {"error_code":0,"error_msg":"","data":[{
// "article_id","title","content" (an excerpt),"pic_url","nickname","collection_count",
// "comment_count","love_count","time_sort" (Unix time),"jump_link"}]}. unit=1 is the daily
// list (7 and 30 are weekly and monthly). A failure answers a non-zero error_code.
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

constexpr char kHotUrl[] = "https://post.smzdm.com/rank/json_more/?unit=1";

HttpRequest hot_request(const SourceContext& /*ctx*/) {
  HttpRequest request;
  request.url = kHotUrl;
  request.headers = {
      {"User-Agent", std::string(kBrowserUserAgent)},
      {"Accept", "application/json, text/javascript, */*; q=0.01"},
      {"X-Requested-With", "XMLHttpRequest"},
      {"Referer", "https://post.smzdm.com/hot_1/"},
  };
  return request;
}

Result<std::vector<Item>> parse_hot(const HttpResponse& response, const BoardMeta& meta) {
  MU_ASSIGN_OR_RETURN(JsonDoc doc, JsonDoc::parse(response.body, meta.id));
  const JsonView root = doc.root();
  if (auto code = root.integer("error_code"); code && *code != 0) {
    return error(ErrorCode::kParse, "API error " + std::to_string(*code) + ": " +
                                        root.string_or("error_msg", "(no message)"));
  }
  MU_ASSIGN_OR_RETURN(JsonView list, root.require_array("data"));
  std::vector<Item> items;
  items.reserve(list.size());
  for (const JsonView& article : list.elements()) {
    if (!article.is_object()) continue;
    Item item;
    item.key = trim(article.string_or("article_id"));
    item.title = trim(article.string_or("title"));
    item.url = trim(article.string_or("jump_link"));
    if (item.url.empty() && !item.key.empty()) {
      item.url = "https://post.smzdm.com/p/" + percent_encode(item.key) + "/";
    }
    item.summary = truncate_utf8(collapse_whitespace(article.string_or("content")), 400);
    item.image = trim(article.string_or("pic_url"));
    item.author = trim(article.string_or("nickname"));
    if (auto collects = article.integer("collection_count"); collects && *collects >= 0) {
      item.hot = static_cast<double>(*collects);
      item.hot_text = std::to_string(*collects) + " 收藏";
    }
    if (auto comments = article.integer("comment_count")) {
      item.extra.emplace_back("comments", std::to_string(*comments));
    }
    if (auto t = article.integer("time_sort"); t && *t > 0) {
      // Seconds on the site; accept milliseconds too.
      item.published_at_ms = *t > 100'000'000'000 ? *t : *t * 1000;
    }
    items.push_back(std::move(item));
  }
  if (items.empty()) return error(ErrorCode::kParse, "data holds no articles");
  return items;
}

}  // namespace

Status register_smzdm_sources(SourceRegistry& registry) {
  MU_RETURN_IF_ERROR(registry.add_site(Site{
      .id = "smzdm",
      .name_zh = "什么值得买",
      .name_en = "SMZDM",
      .home = "https://www.smzdm.com",
      .icon = "https://www.smzdm.com/favicon.ico",
      .color = "#e62828",
      .region = "cn",
      .category = "life",
  }));

  BoardMeta hot;
  hot.id = "smzdm.hot";
  hot.site = "smzdm";
  hot.name_zh = "今日热门";
  hot.name_en = "Today's hot";
  hot.kind = BoardKind::kRank;
  hot.schedule.every = std::chrono::minutes(20);
  hot.schedule.jitter = std::chrono::seconds(90);
  hot.schedule.timeout = std::chrono::seconds(15);
  hot.schedule.retries = 1;
  hot.group = "cn";
  hot.homepage = "https://post.smzdm.com/hot_1/";
  hot.notes =
      "JSON of post.smzdm.com/rank/json_more/?unit=1 (the community's daily article ranking, "
      "about 20 entries; hot = collection_count). The site rate-limits bursts with a JS "
      "challenge page; one request per 20 minutes stays well clear.";
  return registry.add(std::make_unique<SimpleSource>(std::move(hot), hot_request, parse_hot));
}

}  // namespace mu
