// Weibo (微博): the real-time hot search list from the web app's side panel,
// https://weibo.com/ajax/side/hotSearch. The JSON is {"ok":1,"data":{"realtime":[...],
// "hotgov":{...}}}; each realtime entry has word, note, num, realpos, label_name /
// icon_desc (新/热/爆/沸), topic_flag, word_scheme and, for promoted entries, is_ad.
// Without a session the endpoint sometimes answers {"ok":-100,"url":".../login..."}.
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

constexpr char kHotSearchUrl[] = "https://weibo.com/ajax/side/hotSearch";

HttpRequest hot_search_request(const SourceContext& ctx) {
  HttpRequest request;
  request.url = kHotSearchUrl;
  request.headers = {
      {"User-Agent", std::string(kBrowserUserAgent)},
      {"Accept", "application/json, text/plain, */*"},
      {"Referer", "https://weibo.com/"},
      {"X-Requested-With", "XMLHttpRequest"},
  };
  if (const std::string* cookie = find_secret(ctx, "weibo.cookie")) {
    request.headers.emplace_back("Cookie", *cookie);
  }
  return request;
}

std::string search_url(const std::string& word) {
  return "https://s.weibo.com/weibo?q=" + percent_encode("#" + word + "#");
}

std::string mobile_search_url(const std::string& word) {
  return "https://m.weibo.cn/search?containerid=" + percent_encode("100103type=1&q=#" + word + "#");
}

Result<std::vector<Item>> parse_hot_search(const HttpResponse& response, const BoardMeta& meta) {
  MU_ASSIGN_OR_RETURN(JsonDoc doc, JsonDoc::parse(response.body, meta.id));
  const JsonView root = doc.root();
  if (!root.is_object()) {
    return error(ErrorCode::kParse, "expected a JSON object, got " + std::string(root.kind_name()));
  }
  if (auto ok = root.integer("ok"); ok && *ok != 1) {
    const std::string msg = root.string_or("msg", root.string_or("message"));
    if (*ok == -100) {
      return error(ErrorCode::kBlocked,
                   "login required (ok=-100" + (msg.empty() ? std::string() : ", " + msg) + ")");
    }
    return error(ErrorCode::kParse,
                 "API answered ok=" + std::to_string(*ok) + (msg.empty() ? "" : ": " + msg));
  }
  MU_ASSIGN_OR_RETURN(JsonView realtime, root.require_array("data.realtime"));

  std::vector<Item> items;
  items.reserve(realtime.size());
  for (const JsonView& entry : realtime.elements()) {
    if (entry.bool_or("is_ad", false)) continue;  // promoted slot, not a hot topic
    const std::string word = trim(entry.string_or("word"));
    if (word.empty()) continue;
    Item item;
    item.key = word;
    item.title = trim(entry.string_or("note", word));
    if (item.title.empty()) item.title = word;
    item.url = search_url(word);
    item.mobile_url = mobile_search_url(word);
    if (auto num = entry.integer("num"); num && *num > 0) {
      item.hot = static_cast<double>(*num);
      item.hot_text = std::to_string(*num);
    }
    item.label = trim(entry.string_or("icon_desc"));
    if (item.label.empty()) item.label = trim(entry.string_or("label_name"));
    if (item.label.empty()) item.label = trim(entry.string_or("small_icon_desc"));
    if (auto onboard = entry.integer("onboard_time"); onboard && *onboard > 0) {
      item.published_at_ms = *onboard * 1000;
    }
    if (auto pos = entry.integer("realpos"))
      item.extra.emplace_back("realpos", std::to_string(*pos));
    if (std::string category = trim(entry.string_or("category")); !category.empty()) {
      item.extra.emplace_back("category", category);
    }
    if (entry.bool_or("topic_flag", false)) item.extra.emplace_back("topic", "1");
    items.push_back(std::move(item));
  }
  if (items.empty()) return error(ErrorCode::kParse, "data.realtime holds no hot topics");
  return items;
}

}  // namespace

Status register_weibo_sources(SourceRegistry& registry) {
  MU_RETURN_IF_ERROR(registry.add_site(Site{
      .id = "weibo",
      .name_zh = "微博",
      .name_en = "Weibo",
      .home = "https://weibo.com",
      .icon = "https://weibo.com/favicon.ico",
      .color = "#e6162d",
      .region = "cn",
      .category = "general",
  }));

  BoardMeta hot;
  hot.id = "weibo.hot-search";
  hot.site = "weibo";
  hot.name_zh = "热搜榜";
  hot.name_en = "Hot search";
  hot.kind = BoardKind::kRank;
  hot.schedule.every = std::chrono::minutes(5);
  hot.schedule.jitter = std::chrono::seconds(30);
  hot.schedule.timeout = std::chrono::seconds(15);
  hot.schedule.retries = 1;
  hot.group = "cn";
  hot.homepage = "https://s.weibo.com/top/summary";
  hot.notes =
      "JSON of weibo.com/ajax/side/hotSearch (the web app's side panel), ~50 entries. "
      "Promoted entries (is_ad) are skipped; the pinned government topic (data.hotgov) is "
      "not part of the list. Without a session Weibo may answer ok=-100 (login wall, "
      "reported as blocked); an optional secret weibo.cookie is sent when configured. "
      "The list refreshes about every minute; 5 minutes keeps the request rate low.";
  return registry.add(
      std::make_unique<SimpleSource>(std::move(hot), hot_search_request, parse_hot_search));
}

}  // namespace mu
