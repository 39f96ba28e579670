// ifeng (凤凰网): the hot news box of the home page, https://www.ifeng.com/. The page is
// rendered with its data in an inline script, `var allData = {...};`, whose "hotNews1" array
// holds the box: [{"url","title","newsTime" ("2025-12-31 17:52:10", Beijing time),
// "thumbnail","commentUrl","source"}]. Links point at news.ifeng.com/c/<id> (and other
// channels); they are absolute, sometimes protocol-relative ("//news.ifeng.com/c/...").
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

constexpr char kHomeUrl[] = "https://www.ifeng.com/";

HttpRequest home_request(const SourceContext& /*ctx*/) {
  HttpRequest request;
  request.url = kHomeUrl;
  request.headers = {
      {"User-Agent", std::string(kBrowserUserAgent)},
      {"Accept", "text/html,application/xhtml+xml"},
      {"Accept-Language", "zh-CN,zh;q=0.9"},
  };
  return request;
}

// The object literal assigned after `marker` ("var allData ="), matched brace by brace outside
// string literals; "" when absent or unterminated.
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
        ++i;
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

Result<std::vector<Item>> parse_home(const HttpResponse& response, const BoardMeta& meta) {
  std::string data = object_after(response.body, "var allData =");
  if (data.empty()) data = object_after(response.body, "var allData=");
  if (data.empty()) {
    std::string title;
    if (auto doc = HtmlDoc::parse(response.body, kHomeUrl); doc.ok()) title = doc->title();
    return error(ErrorCode::kParse,
                 "no `var allData` in the page titled \"" + truncate_utf8(title, 80) + "\"");
  }
  MU_ASSIGN_OR_RETURN(JsonDoc doc, JsonDoc::parse(data, meta.id));
  MU_ASSIGN_OR_RETURN(JsonView list, doc.root().require_array("hotNews1"));
  std::vector<Item> items;
  items.reserve(list.size());
  for (const JsonView& news : list.elements()) {
    if (!news.is_object()) continue;
    Item item;
    item.title = trim(news.string_or("title"));
    item.url = resolve_url(kHomeUrl, news.string_or("url"));
    item.key = item.url;
    item.image = resolve_url(kHomeUrl, news.string_or("thumbnail"));
    item.author = trim(news.string_or("source"));
    if (std::string t = trim(news.string_or("newsTime")); t.size() >= 16) {
      item.published_at_ms = parse_iso8601_ms(t + "+08:00");
    }
    items.push_back(std::move(item));
  }
  if (items.empty()) return error(ErrorCode::kParse, "allData.hotNews1 is empty");
  return items;
}

}  // namespace

Status register_ifeng_sources(SourceRegistry& registry) {
  MU_RETURN_IF_ERROR(registry.add_site(Site{
      .id = "ifeng",
      .name_zh = "凤凰网",
      .name_en = "ifeng",
      .home = "https://www.ifeng.com",
      .icon = "https://www.ifeng.com/favicon.ico",
      .color = "#c4161c",
      .region = "cn",
      .category = "general",
  }));

  BoardMeta hot;
  hot.id = "ifeng.hot";
  hot.site = "ifeng";
  hot.name_zh = "热点资讯";
  hot.name_en = "Hot news";
  hot.kind = BoardKind::kRank;
  hot.schedule.every = std::chrono::minutes(15);
  hot.schedule.jitter = std::chrono::seconds(60);
  hot.schedule.timeout = std::chrono::seconds(20);
  hot.schedule.retries = 1;
  hot.group = "cn";
  hot.homepage = "https://www.ifeng.com/";
  hot.notes =
      "HTML of the home page (about 300 KB); the board is the hotNews1 array of the inline "
      "`var allData = {...};` script (about 10 to 20 stories; key = URL, time = newsTime in "
      "Beijing time). No popularity numbers are given.";
  return registry.add(std::make_unique<SimpleSource>(std::move(hot), home_request, parse_home));
}

}  // namespace mu
