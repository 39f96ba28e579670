// Baidu (百度): the lists of top.baidu.com (百度热搜), read from the JSON the board page itself
// loads: https://top.baidu.com/api/board?platform=pc&tab=<realtime|novel|movie|teleplay>.
// The answer is {"success":true,"data":{"cards":[{"component":"hotList","content":[entry...],
// "topContent":[pinned entry],"typeName":"realtime","updateTime":"1780543702",...}],
// "curBoardName":"热搜榜","tabBoard":[...],...},"error":{}}. An entry has word, query, desc,
// img, hotScore (a numeric string), hotChange (up/down/same), hotTag ("0" none, "1" 新,
// "3" 热), index, url / rawUrl / appUrl (www.baidu.com/s?wd=...) and, on the novel, movie and
// teleplay tabs, show: ["作者：...", "类型：..."] or ["类型：...", "演员：..."].
// platform=wise nests the entries one level deeper (cards[0].content[0].content); both shapes
// are read. The pinned topContent entry is not part of the ranking and is skipped.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sources/common/http_util.h"
#include "sources/common/json_util.h"
#include "sources/common/simple_source.h"
#include "sources/common/text.h"
#include "sources/source.h"

namespace mu {
namespace {

constexpr char kBoardApi[] = "https://top.baidu.com/api/board?platform=pc&tab=";

std::string hot_tag_label(std::string_view tag) {
  if (tag == "1") return "新";
  if (tag == "3") return "热";
  return {};
}

// "作者：天蚕土豆" -> ("作者", "天蚕土豆"); both halves empty when there is no colon.
std::pair<std::string, std::string> split_show(const std::string& s) {
  for (std::string_view colon : {std::string_view("："), std::string_view(":")}) {
    if (std::size_t at = s.find(colon); at != std::string::npos) {
      return {trim(std::string_view(s).substr(0, at)),
              trim(std::string_view(s).substr(at + colon.size()))};
    }
  }
  return {};
}

Item parse_entry(const JsonView& entry) {
  Item item;
  item.title = trim(entry.string_or("word"));
  if (item.title.empty()) item.title = trim(entry.string_or("query"));
  item.key = item.title;
  item.url = trim(entry.string_or("rawUrl"));
  if (item.url.empty()) item.url = trim(entry.string_or("url"));
  if (item.url.empty() && !item.title.empty()) {
    const std::string query = trim(entry.string_or("query", item.title));
    item.url = "https://www.baidu.com/s?wd=" + percent_encode(query.empty() ? item.title : query);
  }
  item.mobile_url = trim(entry.string_or("appUrl"));
  item.summary = truncate_utf8(collapse_whitespace(entry.string_or("desc")), 400);
  item.image = trim(entry.string_or("img"));
  if (auto score = entry.integer("hotScore"); score && *score > 0) {
    item.hot = static_cast<double>(*score);
    item.hot_text = std::to_string(*score);
  }
  item.label = hot_tag_label(trim(entry.string_or("hotTag")));
  if (std::string change = trim(entry.string_or("hotChange")); !change.empty()) {
    item.extra.emplace_back("hot_change", change);
  }
  for (const JsonView& show : entry.get("show").elements()) {
    const std::string line = trim(show.string_or(""));
    auto [name, value] = split_show(line);
    if (value.empty()) continue;
    if (name == "作者") {
      item.author = value;
    } else if (name == "类型") {
      item.extra.emplace_back("category", value);
    } else if (name == "演员" || name == "主演") {
      item.extra.emplace_back("actors", value);
    } else if (name == "导演") {
      item.extra.emplace_back("director", value);
    } else {
      item.extra.emplace_back(name, value);
    }
  }
  return item;
}

Result<std::vector<Item>> parse_board(const HttpResponse& response, const BoardMeta& meta) {
  MU_ASSIGN_OR_RETURN(JsonDoc doc, JsonDoc::parse(response.body, meta.id));
  const JsonView root = doc.root();
  if (!root.is_object()) {
    return error(ErrorCode::kParse, "expected a JSON object, got " + std::string(root.kind_name()));
  }
  if (!root.bool_or("success", true)) {
    std::string msg = root.string_or("error.message", root.string_or("error.msg"));
    return error(ErrorCode::kParse,
                 "API answered success=false" + (msg.empty() ? std::string() : ": " + msg));
  }
  MU_ASSIGN_OR_RETURN(JsonView cards, root.require_array("data.cards"));
  std::vector<Item> items;
  for (const JsonView& card : cards.elements()) {
    for (const JsonView& entry : card.get("content").elements()) {
      if (entry.get("content").is_array()) {  // platform=wise: one more level
        for (const JsonView& inner : entry.get("content").elements()) {
          if (inner.is_object()) items.push_back(parse_entry(inner));
        }
      } else if (entry.is_object()) {
        items.push_back(parse_entry(entry));
      }
    }
  }
  if (items.empty()) return error(ErrorCode::kParse, "data.cards holds no entries");
  return items;
}

struct BoardSpec {
  const char* tab;
  const char* name_zh;
  const char* name_en;
  int every_minutes;
  const char* notes;
};

constexpr BoardSpec kBoards[] = {
    {"realtime", "热搜榜", "Hot search", 10,
     "JSON of top.baidu.com/api/board?platform=pc&tab=realtime (50 entries, hot = hotScore, "
     "label from hotTag: 1 新, 3 热). The pinned government entry (topContent) is skipped. "
     "Sent with a browser User-Agent and a top.baidu.com Referer; no cookie needed. The list "
     "moves every few minutes; 10 minutes keeps Baidu's anti-bot quiet."},
    {"novel", "小说榜", "Novels", 60,
     "JSON of top.baidu.com/api/board?platform=pc&tab=novel (about 30 books, hot = hotScore). "
     "author and category come from the entry's show lines (作者：/类型：). Changes a few times "
     "a day, so once an hour."},
    {"movie", "电影榜", "Movies", 60,
     "JSON of top.baidu.com/api/board?platform=pc&tab=movie (about 30 films, hot = hotScore). "
     "category and actors come from the show lines (类型：/演员：). Changes a few times a day, "
     "so once an hour."},
    {"teleplay", "电视剧榜", "TV series", 60,
     "JSON of top.baidu.com/api/board?platform=pc&tab=teleplay (about 30 series, hot = "
     "hotScore). category and actors come from the show lines (类型：/演员：). Changes a few "
     "times a day, so once an hour."},
};

}  // namespace

Status register_baidu_sources(SourceRegistry& registry) {
  MU_RETURN_IF_ERROR(registry.add_site(Site{
      .id = "baidu",
      .name_zh = "百度",
      .name_en = "Baidu",
      .home = "https://top.baidu.com",
      .icon = "https://www.baidu.com/favicon.ico",
      .color = "#2932e1",
      .region = "cn",
      .category = "general",
  }));

  for (const BoardSpec& spec : kBoards) {
    BoardMeta m;
    m.id = std::string("baidu.") + spec.tab;
    m.site = "baidu";
    m.name_zh = spec.name_zh;
    m.name_en = spec.name_en;
    m.kind = BoardKind::kRank;
    m.schedule.every = std::chrono::minutes(spec.every_minutes);
    m.schedule.jitter =
        spec.every_minutes >= 60 ? std::chrono::seconds(300) : std::chrono::seconds(60);
    m.schedule.timeout = std::chrono::seconds(15);
    m.schedule.retries = 1;
    m.group = "cn";
    m.homepage = std::string("https://top.baidu.com/board?tab=") + spec.tab;
    m.notes = spec.notes;
    // The novel, film and series lists are entertainment; the hot search is the site's.
    if (std::string_view(spec.tab) != "realtime") m.category = "entertainment";
    const std::string url = std::string(kBoardApi) + spec.tab;
    const std::string referer = m.homepage;
    auto request = [url, referer](const SourceContext& /*ctx*/) {
      HttpRequest r;
      r.url = url;
      r.headers = {
          {"User-Agent", std::string(kBrowserUserAgent)},
          {"Accept", "application/json, text/plain, */*"},
          {"Referer", referer},
      };
      return r;
    };
    MU_RETURN_IF_ERROR(
        registry.add(std::make_unique<SimpleSource>(std::move(m), request, parse_board)));
  }
  return ok_status();
}

}  // namespace mu
