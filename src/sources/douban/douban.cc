// Douban (豆瓣): two boards.
//  - movie: the real-time hot movies (实时热门电影) from the mobile site's rexxar API,
//    https://m.douban.com/rexxar/api/v2/subject_collection/movie_real_time_hotest/items
//    ?start=0&count=20&items_only=1&for_mobile=1, answering {"count":20,"start":0,"total":20,
//    "subject_collection_items":[{"id":"36154853","title":"...","type":"movie","url":...,
//    "uri":"douban://douban.com/movie/36154853","rating":{"count":123456,"max":10,
//    "star_count":4.0,"value":8.1},"null_rating_reason":"","card_subtitle":"2025 / 中国大陆 /
//    剧情 / 导演 / 主演","description":"...","pic":{"large":...,"normal":...},"year":"2025",
//    ...}]}. rexxar refuses requests without an m.douban.com Referer ({"msg":
//    "invalid_request_1287","code":1287,...}, usually with HTTP 400).
//  - group: the hot topics of the group explore page (小组讨论精选),
//    https://www.douban.com/group/explore (HTML). Each topic is
//      <div class="channel-item"><div class="likes">123<br>喜欢</div><div class="bd">
//      <h3><a href="https://www.douban.com/group/topic/312345678/">title</a></h3>
//      <div class="block"><div class="pic"><div class="pic-wrap"><img src="..."></div></div>
//      <p>excerpt</p></div><div class="source">来自 <span class="from"><a href=".../group/x/">
//      group</a></span><span class="pubtime">2026-01-01 07:32:10</span></div></div></div>
//    Douban answers crawlers it dislikes with a 403 or a sec.douban.com check page
//    ("检测到有异常请求从你的 IP 发出"), reported as blocked.
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sources/common/html.h"
#include "sources/common/http_util.h"
#include "sources/common/json_util.h"
#include "sources/common/simple_source.h"
#include "sources/common/text.h"
#include "sources/source.h"

namespace mu {
namespace {

constexpr char kMovieUrl[] =
    "https://m.douban.com/rexxar/api/v2/subject_collection/movie_real_time_hotest/items"
    "?start=0&count=20&items_only=1&for_mobile=1";
constexpr char kGroupUrl[] = "https://www.douban.com/group/explore";
constexpr char kCookieSecret[] = "douban.cookie";

void add_cookie(const SourceContext& ctx, HttpRequest& request) {
  if (const std::string* cookie = find_secret(ctx, kCookieSecret)) {
    request.headers.emplace_back("Cookie", *cookie);
  }
}

// ------------------------------------------------------------------ movie

HttpRequest movie_request(const SourceContext& ctx) {
  HttpRequest request;
  request.url = kMovieUrl;
  request.headers = {
      {"User-Agent", std::string(kBrowserUserAgent)},
      {"Accept", "application/json, text/plain, */*"},
      {"Referer", "https://m.douban.com/subject_collection/movie_real_time_hotest"},
  };
  add_cookie(ctx, request);
  return request;
}

std::string rating_text(double value) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%.1f", value);
  return buf;
}

Result<std::vector<Item>> parse_movie(const HttpResponse& response, const BoardMeta& meta) {
  MU_ASSIGN_OR_RETURN(JsonDoc doc, JsonDoc::parse(response.body, meta.id));
  const JsonView root = doc.root();
  if (!root.is_object()) {
    return error(ErrorCode::kParse, "expected a JSON object, got " + std::string(root.kind_name()));
  }
  const JsonView list = root.get("subject_collection_items");
  if (!list.is_array()) {
    if (std::string msg = trim(root.string_or("msg")); !msg.empty()) {
      const std::string code = root.string_or("code");
      return error(ErrorCode::kBlocked, "rexxar refused the request (" +
                                            (code.empty() ? std::string() : "code " + code + ": ") +
                                            msg + "); it wants an m.douban.com Referer");
    }
    return error(ErrorCode::kParse,
                 "subject_collection_items: expected array, got " + std::string(list.kind_name()));
  }
  std::vector<Item> items;
  items.reserve(list.size());
  for (const JsonView& subject : list.elements()) {
    const std::string id = trim(subject.string_or("id"));
    if (id.empty()) continue;
    Item item;
    item.key = id;
    item.title = subject.string_or("title");
    const std::string type = trim(subject.string_or("type", "movie"));
    if (type == "movie" || type == "tv") {
      item.url = "https://movie.douban.com/subject/" + id + "/";
      item.mobile_url = "https://m.douban.com/" + type + "/subject/" + id + "/";
    } else {
      item.url = trim(subject.string_or("url"));
    }
    std::string summary = subject.string_or("description");
    if (is_blank(summary)) summary = subject.string_or("card_subtitle");
    item.summary = truncate_utf8(collapse_whitespace(summary), 400);
    for (const char* path : {"pic.normal", "pic.large", "cover.url", "cover_url"}) {
      item.image = trim(subject.string_or(path));
      if (!item.image.empty()) break;
    }
    const auto rating = subject.number("rating.value");
    if (rating && *rating > 0 && *rating <= 10) {
      item.hot_text = rating_text(*rating) + "分";
      item.extra.emplace_back("rating", rating_text(*rating));
      if (auto votes = subject.integer("rating.count"); votes && *votes > 0) {
        item.extra.emplace_back("votes", std::to_string(*votes));
      }
    } else {
      item.hot_text = trim(subject.string_or("null_rating_reason"));
    }
    if (std::string subtitle = trim(subject.string_or("card_subtitle")); !subtitle.empty()) {
      item.extra.emplace_back("subtitle", subtitle);
    }
    if (std::string year = trim(subject.string_or("year")); !year.empty()) {
      item.extra.emplace_back("year", year);
    }
    items.push_back(std::move(item));
  }
  if (items.empty()) return error(ErrorCode::kParse, "subject_collection_items is empty");
  return items;
}

// ------------------------------------------------------------------ group

HttpRequest group_request(const SourceContext& ctx) {
  HttpRequest request;
  request.url = kGroupUrl;
  request.headers = {
      {"User-Agent", std::string(kBrowserUserAgent)},
      {"Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"},
      {"Accept-Language", "zh-CN,zh;q=0.9"},
      {"Referer", "https://www.douban.com/group/"},
  };
  add_cookie(ctx, request);
  return request;
}

std::string cls(std::string_view name) { return "[" + xpath_has_class(name) + "]"; }

// ".../group/topic/312345678/" -> "312345678"; "" when the link is not a topic.
std::string topic_id(const std::string& url) {
  constexpr std::string_view kMarker = "/group/topic/";
  const std::size_t at = url.find(kMarker);
  if (at == std::string::npos) return {};
  std::string id;
  for (std::size_t i = at + kMarker.size(); i < url.size() && url[i] >= '0' && url[i] <= '9'; ++i) {
    id.push_back(url[i]);
  }
  return id;
}

Result<std::vector<Item>> parse_group(const HttpResponse& response, const BoardMeta& /*meta*/) {
  const std::string base =
      response.effective_url.empty() ? std::string(kGroupUrl) : response.effective_url;
  if (base.find("sec.douban.com") != std::string::npos ||
      response.body.find("异常请求") != std::string::npos) {
    return error(ErrorCode::kBlocked, "Douban's IP check page (sec.douban.com: 异常请求)");
  }
  MU_ASSIGN_OR_RETURN(HtmlDoc doc,
                      HtmlDoc::parse(response.body, base,
                                     charset_from_content_type(response.header("Content-Type"))));
  const std::vector<HtmlNode> rows = doc.select("//div" + cls("channel-item"));
  if (rows.empty()) {
    const std::string title = doc.title();
    if (title.find("登录") != std::string::npos) {
      return error(ErrorCode::kBlocked,
                   "redirected to the login page \"" + truncate_utf8(title, 80) + "\"");
    }
    return error(ErrorCode::kParse, "no topics (div.channel-item) in the page titled \"" +
                                        truncate_utf8(title, 80) + "\"");
  }
  std::vector<Item> items;
  items.reserve(rows.size());
  for (const HtmlNode& row : rows) {
    const HtmlNode link = doc.first(".//h3//a[@href]", row);
    if (!link) continue;
    Item item;
    item.title = link.text();
    item.url = doc.resolve_url(link.attr("href"));
    const std::string id = topic_id(item.url);
    item.key = id.empty() ? item.url : id;
    if (!id.empty()) item.mobile_url = "https://m.douban.com/group/topic/" + id + "/";
    item.summary = truncate_utf8(doc.first_text(".//div" + cls("block") + "//p", row), 400);
    item.image = doc.resolve_url(doc.first(".//div" + cls("pic-wrap") + "//img", row).attr("src"));
    if (std::string likes = doc.first_text(".//div" + cls("likes"), row); !likes.empty()) {
      if (auto n = parse_popularity(likes)) {
        item.hot = *n;
        item.hot_text = std::to_string(static_cast<int64_t>(*n)) + " 喜欢";
      }
    }
    const HtmlNode group = doc.first(".//span" + cls("from") + "//a", row);
    if (group) {
      item.extra.emplace_back("group", group.text());
      item.extra.emplace_back("group_url", doc.resolve_url(group.attr("href")));
    }
    // Shown in Beijing time without an offset.
    const std::string pubtime = doc.first_text(".//span" + cls("pubtime"), row);
    if (!pubtime.empty()) item.published_at_ms = parse_iso8601_ms(pubtime + "+08:00");
    items.push_back(std::move(item));
  }
  if (items.empty()) return error(ErrorCode::kParse, "div.channel-item rows without an h3 link");
  return items;
}

}  // namespace

Status register_douban_sources(SourceRegistry& registry) {
  MU_RETURN_IF_ERROR(registry.add_site(Site{
      .id = "douban",
      .name_zh = "豆瓣",
      .name_en = "Douban",
      .home = "https://www.douban.com",
      .icon = "https://www.douban.com/favicon.ico",
      .color = "#007722",
      .region = "cn",
      .category = "entertainment",
  }));

  BoardMeta movie;
  movie.id = "douban.movie";
  movie.site = "douban";
  movie.name_zh = "实时热门电影";
  movie.name_en = "Trending movies";
  movie.kind = BoardKind::kRank;
  movie.schedule.every = std::chrono::minutes(30);
  movie.schedule.jitter = std::chrono::minutes(2);
  movie.schedule.timeout = std::chrono::seconds(15);
  movie.schedule.retries = 1;
  movie.group = "cn";
  movie.homepage = "https://m.douban.com/subject_collection/movie_real_time_hotest";
  movie.notes =
      "JSON of m.douban.com/rexxar/api/v2/subject_collection/movie_real_time_hotest/items "
      "(20 films in Douban's order; no popularity number, so hot is empty and hot_text shows "
      "the rating, or why there is none such as 尚未上映). rexxar needs the m.douban.com "
      "Referer that is sent (without it: code 1287, reported as blocked). Optional secret "
      "douban.cookie (bid=...). Changes slowly; Douban throttles eager clients, so every 30 "
      "minutes.";
  MU_RETURN_IF_ERROR(
      registry.add(std::make_unique<SimpleSource>(std::move(movie), movie_request, parse_movie)));

  BoardMeta group;
  group.id = "douban.group";
  group.category = "community";
  group.site = "douban";
  group.name_zh = "小组热门话题";
  group.name_en = "Group hot topics";
  group.kind = BoardKind::kRank;
  group.schedule.every = std::chrono::minutes(30);
  group.schedule.jitter = std::chrono::minutes(2);
  group.schedule.timeout = std::chrono::seconds(20);
  group.schedule.retries = 1;
  group.group = "cn";
  group.homepage = "https://www.douban.com/group/explore";
  group.notes =
      "HTML of www.douban.com/group/explore (讨论精选, 30 topics per page; hot = likes, "
      "group name and link in extra, pubtime read as Beijing time). Browser User-Agent and a "
      "douban Referer; optional secret douban.cookie. Douban answers aggressive clients with "
      "403 or its sec.douban.com IP check page (reported as blocked), so every 30 minutes.";
  return registry.add(std::make_unique<SimpleSource>(std::move(group), group_request, parse_group));
}

}  // namespace mu
