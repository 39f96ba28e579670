// 36Kr (36氪): two boards.
//  - 36kr.newsflashes: the HTML page https://www.36kr.com/newsflashes. It is rendered on the
//    server with its data in <script>window.initialState={...}</script>; the flashes sit at
//    newsflashCatalogData.data.newsflashList.data.itemList[], each {"itemId","templateType",
//    "templateMaterial":{"itemId","widgetTitle","widgetContent","publishTime" (Unix ms),
//    "sourceUrlRoute"},"route"}.
//  - 36kr.hot: POST https://gateway.36kr.com/api/mis/nav/home/nav/rank/hot with the JSON body
//    {"partner_id":"wap","param":{"siteId":1,"platformId":2},"timestamp":<Unix ms>} ->
//    {"code":0,"data":{"hotRankList":[{"itemId","itemType","templateMaterial":{"itemId",
//    "widgetTitle","widgetImage","authorName","publishTime","statRead","statCollect",
//    "statComment","statPraise","statFormat"},"route"}]}}. Errors: {"code":<non-zero>,"msg"}.
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "sources/common/html.h"
#include "sources/common/http_util.h"
#include "sources/common/json_util.h"
#include "sources/common/simple_source.h"
#include "sources/common/text.h"
#include "sources/source.h"

namespace mu {
namespace {

constexpr char kNewsflashesUrl[] = "https://www.36kr.com/newsflashes";
constexpr char kHotUrl[] = "https://gateway.36kr.com/api/mis/nav/home/nav/rank/hot";

// The JavaScript object literal that follows `marker` in `text` ("window.initialState="),
// found by matching braces outside string literals; "" when there is none or it never closes.
std::string object_after(std::string_view text, std::string_view marker) {
  std::size_t pos = text.find(marker);
  if (pos == std::string_view::npos) return {};
  pos = text.find_first_not_of(" \t\r\n", pos + marker.size());
  if (pos == std::string_view::npos || text[pos] != '{') return {};
  int depth = 0;
  char quote = 0;
  for (std::size_t i = pos; i < text.size(); ++i) {
    const char c = text[i];
    if (quote != 0) {
      if (c == '\\') {
        ++i;  // skip the escaped character
      } else if (c == quote) {
        quote = 0;
      }
      continue;
    }
    if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '{') {
      ++depth;
    } else if (c == '}') {
      if (--depth == 0) return std::string(text.substr(pos, i - pos + 1));
    }
  }
  return {};
}

HttpRequest newsflashes_request(const SourceContext& /*ctx*/) {
  HttpRequest request;
  request.url = kNewsflashesUrl;
  request.headers = {
      {"User-Agent", std::string(kBrowserUserAgent)},
      {"Accept", "text/html,application/xhtml+xml"},
      {"Accept-Language", "zh-CN,zh;q=0.9"},
  };
  return request;
}

Result<std::vector<Item>> parse_newsflashes(const HttpResponse& response, const BoardMeta& meta) {
  const std::string state = object_after(response.body, "window.initialState=");
  if (state.empty()) {
    std::string title;
    if (auto doc = HtmlDoc::parse(response.body, kNewsflashesUrl); doc.ok()) title = doc->title();
    return error(ErrorCode::kParse,
                 "no window.initialState in the page titled \"" + truncate_utf8(title, 80) + "\"");
  }
  MU_ASSIGN_OR_RETURN(JsonDoc doc, JsonDoc::parse(state, meta.id));
  MU_ASSIGN_OR_RETURN(JsonView list, doc.root().require_array(
                                         "newsflashCatalogData.data.newsflashList.data.itemList"));
  std::vector<Item> items;
  items.reserve(list.size());
  for (const JsonView& entry : list.elements()) {
    const JsonView m = entry.get("templateMaterial");
    if (!m.is_object()) continue;
    Item item;
    item.key = m.string_or("itemId", entry.string_or("itemId"));
    if (item.key.empty()) continue;
    item.title = trim(m.string_or("widgetTitle"));
    item.summary = truncate_utf8(collapse_whitespace(m.string_or("widgetContent")), 600);
    item.url = "https://www.36kr.com/newsflashes/" + item.key;
    item.mobile_url = "https://m.36kr.com/newsflashes/" + item.key;
    if (auto ms = m.integer("publishTime"); ms && *ms > 0) item.published_at_ms = *ms;
    items.push_back(std::move(item));
  }
  if (items.empty()) return error(ErrorCode::kParse, "the newsflash itemList is empty");
  std::stable_sort(items.begin(), items.end(), [](const Item& a, const Item& b) {
    return a.published_at_ms.value_or(0) > b.published_at_ms.value_or(0);
  });
  return items;
}

HttpRequest hot_request(const SourceContext& ctx) {
  HttpRequest request;
  request.method = "POST";
  request.url = kHotUrl;
  request.headers = {
      {"User-Agent", std::string(kBrowserUserAgent)},
      {"Accept", "application/json, text/plain, */*"},
      {"Content-Type", "application/json; charset=utf-8"},
      {"Origin", "https://m.36kr.com"},
      {"Referer", "https://m.36kr.com/hot-list-m"},
  };
  request.body = R"({"partner_id":"wap","param":{"siteId":1,"platformId":2},"timestamp":)" +
                 std::to_string(ctx.clock.now_ms()) + "}";
  return request;
}

Result<std::vector<Item>> parse_hot(const HttpResponse& response, const BoardMeta& meta) {
  MU_ASSIGN_OR_RETURN(JsonDoc doc, JsonDoc::parse(response.body, meta.id));
  const JsonView root = doc.root();
  if (auto code = root.integer("code"); code && *code != 0) {
    return error(ErrorCode::kParse, "API error " + std::to_string(*code) + ": " +
                                        root.string_or("msg", "(no message)"));
  }
  MU_ASSIGN_OR_RETURN(JsonView list, root.require_array("data.hotRankList"));
  std::vector<Item> items;
  items.reserve(list.size());
  for (const JsonView& entry : list.elements()) {
    const JsonView m = entry.get("templateMaterial");
    if (!m.is_object()) continue;
    Item item;
    item.key = entry.string_or("itemId", m.string_or("itemId"));
    if (item.key.empty()) continue;
    item.title = trim(m.string_or("widgetTitle"));
    item.url = "https://www.36kr.com/p/" + item.key;
    item.mobile_url = "https://m.36kr.com/p/" + item.key;
    item.image = trim(m.string_or("widgetImage"));
    item.author = trim(m.string_or("authorName"));
    item.hot_text = trim(m.string_or("statFormat"));
    if (auto reads = m.number("statRead"); reads && *reads >= 0) {
      item.hot = *reads;
    } else if (!item.hot_text.empty()) {
      item.hot = parse_popularity(item.hot_text);
    }
    if (auto ms = m.integer("publishTime"); ms && *ms > 0) item.published_at_ms = *ms;
    if (auto comments = m.integer("statComment")) {
      item.extra.emplace_back("comments", std::to_string(*comments));
    }
    if (auto collects = m.integer("statCollect")) {
      item.extra.emplace_back("collects", std::to_string(*collects));
    }
    items.push_back(std::move(item));
  }
  if (items.empty()) return error(ErrorCode::kParse, "data.hotRankList is empty");
  return items;
}

}  // namespace

Status register_36kr_sources(SourceRegistry& registry) {
  MU_RETURN_IF_ERROR(registry.add_site(Site{
      .id = "36kr",
      .name_zh = "36氪",
      .name_en = "36Kr",
      .home = "https://www.36kr.com",
      .icon = "https://www.36kr.com/favicon.ico",
      .color = "#0078ff",
      .region = "cn",
      .category = "tech",
  }));

  BoardMeta flashes;
  flashes.id = "36kr.newsflashes";
  flashes.site = "36kr";
  flashes.name_zh = "快讯";
  flashes.name_en = "Newsflashes";
  flashes.kind = BoardKind::kStream;
  flashes.schedule.every = std::chrono::minutes(5);
  flashes.schedule.jitter = std::chrono::seconds(30);
  flashes.schedule.timeout = std::chrono::seconds(20);
  flashes.schedule.retries = 1;
  flashes.group = "cn";
  flashes.homepage = "https://www.36kr.com/newsflashes";
  flashes.notes =
      "HTML of /newsflashes; the items are read from the embedded window.initialState JSON "
      "(newsflashCatalogData.data.newsflashList.data.itemList, about 20 flashes; key = itemId, "
      "time = publishTime in ms). A page without initialState (a verification page) is a parse "
      "error naming the page title.";
  MU_RETURN_IF_ERROR(registry.add(
      std::make_unique<SimpleSource>(std::move(flashes), newsflashes_request, parse_newsflashes)));

  BoardMeta hot;
  hot.id = "36kr.hot";
  hot.site = "36kr";
  hot.name_zh = "人气榜";
  hot.name_en = "Popular";
  hot.kind = BoardKind::kRank;
  hot.schedule.every = std::chrono::minutes(15);
  hot.schedule.jitter = std::chrono::seconds(60);
  hot.schedule.timeout = std::chrono::seconds(20);
  hot.schedule.retries = 1;
  hot.group = "cn";
  hot.homepage = "https://m.36kr.com/hot-list-m";
  hot.notes =
      "JSON of POST gateway.36kr.com/api/mis/nav/home/nav/rank/hot with the mobile site's "
      "body (partner_id wap, siteId 1, platformId 2, timestamp in ms); hot = statRead, "
      "hot_text = statFormat. The ranking is recomputed a few times an hour.";
  return registry.add(std::make_unique<SimpleSource>(std::move(hot), hot_request, parse_hot));
}

}  // namespace mu
