// CLS (财联社, Cailian Press): two boards from the web APIs of www.cls.cn. Every request carries
// the web client's parameters (appName=CailianpressWeb, os=web, sv=7.7.5) and a `sign` over
// them (see cls_sign.h); without a valid sign the API answers an error object.
//  - cls.telegraph: GET /nodeapi/updateTelegraphList?appName=...&rn=20&sv=...&sign=... ->
//    {"error":0,"data":{"roll_data":[{"id","title","brief","content","ctime" (Unix s),
//    "level","reading_num","shareurl","is_ad","subjects":[{"subject_name"}]}],
//    "update_num"}}. Telegraphs often have no title: the headline is the 【...】 lead of the
//    content, else the brief.
//  - cls.hot: GET /v2/article/hot/list?appName=...&sv=...&sign=... -> {"errno":0,"data":[{"id",
//    "title","brief","ctime","reading_num","shareurl"}]} (articles by reads over 24 h).
// Errors come back as {"errno"|"error": <non-zero>, "msg": "..."} with HTTP 200.
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "sources/cls/cls_sign.h"
#include "sources/common/http_util.h"
#include "sources/common/json_util.h"
#include "sources/common/simple_source.h"
#include "sources/common/text.h"
#include "sources/source.h"

namespace mu {
namespace {

constexpr char kBase[] = "https://www.cls.cn";

QueryParams web_params() {
  return {{"appName", "CailianpressWeb"}, {"os", "web"}, {"sv", "7.7.5"}};
}

std::string telegraph_url() {
  QueryParams params = web_params();
  params.emplace_back("rn", "20");
  return std::string(kBase) + "/nodeapi/updateTelegraphList?" + cls_signed_query(params);
}

std::string hot_url() {
  return std::string(kBase) + "/v2/article/hot/list?" + cls_signed_query(web_params());
}

HttpRequest make_request(std::string url, std::string referer) {
  HttpRequest request;
  request.url = std::move(url);
  request.headers = {
      {"User-Agent", std::string(kBrowserUserAgent)},
      {"Accept", "application/json, text/plain, */*"},
      {"Referer", std::move(referer)},
  };
  return request;
}

// A non-zero "errno"/"error"/"code" with its "msg" as an error; ok when the answer has none.
Status api_error(const JsonView& root) {
  for (const char* field : {"errno", "error", "code"}) {
    const JsonView v = root.get(field);
    if (!v.exists() || v.is_null()) continue;
    auto code = v.integer("");
    if (code && *code == 0) continue;
    const std::string msg = root.string_or("msg", root.string_or("message", "(no message)"));
    return error(ErrorCode::kParse, "API error " + root.string_or(field, "?") + ": " + msg);
  }
  return ok_status();
}

// "【央行开展1000亿元逆回购操作】财联社1月1日电，..." -> "央行开展1000亿元逆回购操作".
std::string bracket_headline(const std::string& text) {
  const std::string open = "【";
  const std::string close = "】";
  const std::string t = trim(text);
  if (t.rfind(open, 0) != 0) return {};
  const std::size_t end = t.find(close, open.size());
  if (end == std::string::npos) return {};
  return trim(std::string_view(t).substr(open.size(), end - open.size()));
}

std::string detail_url(const std::string& id) { return std::string(kBase) + "/detail/" + id; }

Result<std::vector<Item>> parse_telegraph(const HttpResponse& response, const BoardMeta& meta) {
  MU_ASSIGN_OR_RETURN(JsonDoc doc, JsonDoc::parse(response.body, meta.id));
  const JsonView root = doc.root();
  MU_RETURN_IF_ERROR(api_error(root));
  MU_ASSIGN_OR_RETURN(JsonView rolls, root.require_array("data.roll_data"));
  std::vector<Item> items;
  items.reserve(rolls.size());
  for (const JsonView& roll : rolls.elements()) {
    if (!roll.is_object() || roll.bool_or("is_ad", false)) continue;
    Item item;
    item.key = roll.string_or("id");
    if (item.key.empty()) continue;
    const std::string content = collapse_whitespace(roll.string_or("content"));
    const std::string brief = collapse_whitespace(roll.string_or("brief"));
    item.title = trim(roll.string_or("title"));
    if (item.title.empty()) item.title = bracket_headline(content);
    if (item.title.empty()) item.title = truncate_utf8(brief.empty() ? content : brief, 150);
    item.summary = truncate_utf8(content.empty() ? brief : content, 600);
    item.url = detail_url(item.key);
    item.mobile_url = trim(roll.string_or("shareurl"));
    if (auto ctime = roll.integer("ctime"); ctime && *ctime > 0) {
      item.published_at_ms = *ctime * 1000;
    }
    if (auto reads = roll.integer("reading_num"); reads && *reads >= 0) {
      item.hot = static_cast<double>(*reads);
      item.hot_text = std::to_string(*reads) + " 阅读";
    }
    if (std::string level = roll.string_or("level"); level == "A" || level == "B") {
      item.label = "重要";
      item.extra.emplace_back("level", level);
    }
    std::string subjects;
    for (const JsonView& subject : roll.get("subjects").elements()) {
      const std::string name = trim(subject.string_or("subject_name"));
      if (name.empty()) continue;
      if (!subjects.empty()) subjects += "、";
      subjects += name;
    }
    if (!subjects.empty()) item.extra.emplace_back("subjects", subjects);
    items.push_back(std::move(item));
  }
  if (items.empty()) return error(ErrorCode::kParse, "data.roll_data holds no telegraphs");
  // A stream lists the newest first; the API already does, but do not rely on it.
  std::stable_sort(items.begin(), items.end(), [](const Item& a, const Item& b) {
    return a.published_at_ms.value_or(0) > b.published_at_ms.value_or(0);
  });
  return items;
}

Result<std::vector<Item>> parse_hot(const HttpResponse& response, const BoardMeta& meta) {
  MU_ASSIGN_OR_RETURN(JsonDoc doc, JsonDoc::parse(response.body, meta.id));
  const JsonView root = doc.root();
  MU_RETURN_IF_ERROR(api_error(root));
  MU_ASSIGN_OR_RETURN(JsonView articles, root.require_array("data"));
  std::vector<Item> items;
  items.reserve(articles.size());
  for (const JsonView& article : articles.elements()) {
    if (!article.is_object()) continue;
    Item item;
    item.key = article.string_or("id");
    if (item.key.empty()) continue;
    item.title = trim(article.string_or("title"));
    const std::string brief = collapse_whitespace(article.string_or("brief"));
    if (item.title.empty()) item.title = truncate_utf8(brief, 150);
    item.summary = truncate_utf8(brief, 600);
    item.url = detail_url(item.key);
    item.mobile_url = trim(article.string_or("shareurl"));
    if (auto ctime = article.integer("ctime"); ctime && *ctime > 0) {
      item.published_at_ms = *ctime * 1000;
    }
    if (auto reads = article.integer("reading_num"); reads && *reads >= 0) {
      item.hot = static_cast<double>(*reads);
      item.hot_text = std::to_string(*reads) + " 阅读";
    }
    items.push_back(std::move(item));
  }
  if (items.empty()) return error(ErrorCode::kParse, "data holds no articles");
  return items;
}

}  // namespace

Status register_cls_sources(SourceRegistry& registry) {
  MU_RETURN_IF_ERROR(registry.add_site(Site{
      .id = "cls",
      .name_zh = "财联社",
      .name_en = "Cailian Press",
      .home = "https://www.cls.cn",
      .icon = "https://www.cls.cn/favicon.ico",
      .color = "#e5383b",
      .region = "cn",
      .category = "finance",
  }));

  BoardMeta telegraph;
  telegraph.id = "cls.telegraph";
  telegraph.site = "cls";
  telegraph.name_zh = "电报";
  telegraph.name_en = "Telegraph";
  telegraph.kind = BoardKind::kStream;
  telegraph.schedule.every = std::chrono::minutes(5);
  telegraph.schedule.jitter = std::chrono::seconds(30);
  telegraph.schedule.timeout = std::chrono::seconds(15);
  telegraph.schedule.retries = 1;
  telegraph.group = "cn";
  telegraph.homepage = "https://www.cls.cn/telegraph";
  telegraph.notes =
      "JSON of /nodeapi/updateTelegraphList (latest 20 flashes, newest first; key = id, time = "
      "ctime). Needs the web client's parameters plus sign = md5(sha1(sorted query)); a bad "
      "sign answers an error object with HTTP 200. Many flashes have no title: the 【】 lead of "
      "the content is used. Ads (is_ad) are skipped. Busy in trading hours; every 5 minutes "
      "misses nothing since each answer spans 20 flashes.";
  MU_RETURN_IF_ERROR(registry.add(std::make_unique<SimpleSource>(
      std::move(telegraph),
      [](const SourceContext&) {
        return make_request(telegraph_url(), "https://www.cls.cn/telegraph");
      },
      parse_telegraph)));

  BoardMeta hot;
  hot.id = "cls.hot";
  hot.site = "cls";
  hot.name_zh = "热门文章";
  hot.name_en = "Hot articles";
  hot.kind = BoardKind::kRank;
  hot.schedule.every = std::chrono::minutes(15);
  hot.schedule.jitter = std::chrono::seconds(60);
  hot.schedule.timeout = std::chrono::seconds(15);
  hot.schedule.retries = 1;
  hot.group = "cn";
  hot.homepage = "https://www.cls.cn/";
  hot.notes =
      "JSON of /v2/article/hot/list (the home page's hot-article ranking, hot = reading_num). "
      "Signed like the telegraph board (sign = md5(sha1(sorted query))). Changes slowly; every "
      "15 minutes is plenty.";
  return registry.add(std::make_unique<SimpleSource>(
      std::move(hot), [](const SourceContext&) { return make_request(hot_url(), kBase); },
      parse_hot));
}

}  // namespace mu
