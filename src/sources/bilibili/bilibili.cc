// Bilibili (哔哩哔哩): three boards from the web API.
//  - popular: https://api.bilibili.com/x/web-interface/popular?ps=50&pn=1 (no signature).
//  - ranking: https://api.bilibili.com/x/web-interface/ranking/v2?rid=0&type=all&web_location=
//    333.934 plus WBI signature parameters wts and w_rid (see wbi.h; keys from the nav API,
//    cached for a day).
//    Both answer {"code":0,"message":"0","ttl":1,"data":{"list":[video...]}} where a video has
//    aid, bvid, title, pic, desc, pubdate, duration, tname, owner{mid,name,face},
//    stat{view,danmaku,reply,favorite,coin,share,like,...}, short_link_v2 and, on popular,
//    rcmd_reason{content}. Risk control answers code -352 (or -412/-403, or an HTTP 412), a
//    rejected WBI signature code -403 or data.v_voucher without a list.
//  - hot-search: https://s.search.bilibili.com/main/hotword?limit=30 answers
//    {"code":0,"list":[{keyword,show_name,pos,word_type,icon,hot_id,heat_score,...}]} at the top
//    level; the app/square variants put the same entries under data.list or data.trending.list.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "sources/bilibili/wbi.h"
#include "sources/common/http_util.h"
#include "sources/common/json_util.h"
#include "sources/common/simple_source.h"
#include "sources/common/text.h"
#include "sources/source.h"

namespace mu {
namespace {

constexpr char kPopularUrl[] = "https://api.bilibili.com/x/web-interface/popular?ps=50&pn=1";
constexpr char kRankingUrl[] = "https://api.bilibili.com/x/web-interface/ranking/v2";
constexpr char kHotSearchUrl[] = "https://s.search.bilibili.com/main/hotword?limit=30";
constexpr char kCookieSecret[] = "bilibili.cookie";

Headers api_headers(const SourceContext& ctx, std::string referer) {
  Headers headers = {
      {"User-Agent", std::string(kBrowserUserAgent)},
      {"Accept", "application/json, text/plain, */*"},
      {"Referer", std::move(referer)},
      {"Origin", "https://www.bilibili.com"},
  };
  if (const std::string* cookie = find_secret(ctx, kCookieSecret)) {
    headers.emplace_back("Cookie", *cookie);
  }
  return headers;
}

// "http://i2.hdslb.com/x.jpg" and "//i2.hdslb.com/x.jpg" -> "https://i2.hdslb.com/x.jpg".
std::string https_url(std::string url) {
  url = trim(url);
  if (url.rfind("//", 0) == 0) return "https:" + url;
  if (url.rfind("http://", 0) == 0) return "https://" + url.substr(7);
  return url;
}

// 2465053 -> "246.5万", 123456789 -> "1.2亿", 9876 -> "9876".
std::string format_count(int64_t n) {
  char buf[32];
  if (n >= 100'000'000) {
    std::snprintf(buf, sizeof buf, "%.1f亿", static_cast<double>(n) / 1e8);
  } else if (n >= 10'000) {
    std::snprintf(buf, sizeof buf, "%.1f万", static_cast<double>(n) / 1e4);
  } else {
    std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(n));
  }
  return buf;
}

// The API's own status: code 0 is success; risk control and login walls are kBlocked.
Status check_code(const JsonView& root) {
  const auto code = root.integer("code");
  if (!code || *code == 0) return ok_status();
  const std::string msg = trim(root.string_or("message", root.string_or("msg")));
  const std::string what = "code " + std::to_string(*code) + (msg.empty() ? "" : ": " + msg);
  if (*code == -352 || *code == -412 || *code == -403 || *code == -401) {
    return error(ErrorCode::kBlocked, "risk control (" + what + ")");
  }
  if (*code == -101) return error(ErrorCode::kBlocked, "login required (" + what + ")");
  return error(ErrorCode::kParse, "API answered " + what);
}

Result<JsonDoc> parse_object(const HttpResponse& response, std::string_view label) {
  MU_ASSIGN_OR_RETURN(JsonDoc doc, JsonDoc::parse(response.body, label));
  if (!doc.root().is_object()) {
    return error(ErrorCode::kParse,
                 "expected a JSON object, got " + std::string(doc.root().kind_name()));
  }
  return doc;
}

void add_stat(Item& item, const JsonView& video, std::string_view field, std::string_view key) {
  if (auto n = video.integer("stat." + std::string(field)); n && *n >= 0) {
    item.extra.emplace_back(std::string(key), std::to_string(*n));
  }
}

// Videos of popular and ranking/v2 (the same object shape).
std::vector<Item> parse_videos(const JsonView& list) {
  std::vector<Item> items;
  items.reserve(list.size());
  for (const JsonView& video : list.elements()) {
    if (!video.is_object()) continue;
    Item item;
    const std::string bvid = trim(video.string_or("bvid"));
    const std::string aid = trim(video.string_or("aid"));
    if (!bvid.empty()) {
      item.key = bvid;
      item.url = "https://www.bilibili.com/video/" + bvid;
      item.mobile_url = "https://m.bilibili.com/video/" + bvid;
    } else if (!aid.empty()) {
      item.key = "av" + aid;
      item.url = "https://www.bilibili.com/video/av" + aid;
      item.mobile_url = "https://m.bilibili.com/video/av" + aid;
    } else {
      continue;
    }
    item.title = video.string_or("title");
    const std::string desc = trim(video.string_or("desc"));
    if (desc != "-") item.summary = truncate_utf8(collapse_whitespace(desc), 400);
    item.image = https_url(video.string_or("pic"));
    item.author = video.string_or("owner.name");
    if (auto views = video.integer("stat.view"); views && *views >= 0) {
      item.hot = static_cast<double>(*views);
      item.hot_text = format_count(*views) + "播放";
    }
    if (auto pubdate = video.integer("pubdate"); pubdate && *pubdate > 0) {
      item.published_at_ms = *pubdate * 1000;
    }
    item.label = trim(video.string_or("rcmd_reason.content"));
    if (std::string tname = trim(video.string_or("tname")); !tname.empty()) {
      item.extra.emplace_back("category", tname);
    }
    add_stat(item, video, "like", "likes");
    add_stat(item, video, "coin", "coins");
    add_stat(item, video, "danmaku", "danmaku");
    add_stat(item, video, "reply", "replies");
    if (auto duration = video.integer("duration"); duration && *duration > 0) {
      item.extra.emplace_back("duration_s", std::to_string(*duration));
    }
    if (auto score = video.integer("score"); score && *score > 0) {
      item.extra.emplace_back("score", std::to_string(*score));
    }
    items.push_back(std::move(item));
  }
  return items;
}

// ------------------------------------------------------------------ popular

HttpRequest popular_request(const SourceContext& ctx) {
  HttpRequest request;
  request.url = kPopularUrl;
  request.headers = api_headers(ctx, "https://www.bilibili.com/v/popular/all");
  return request;
}

Result<std::vector<Item>> parse_popular(const HttpResponse& response, const BoardMeta& meta) {
  MU_ASSIGN_OR_RETURN(JsonDoc doc, parse_object(response, meta.id));
  const JsonView root = doc.root();
  MU_RETURN_IF_ERROR(check_code(root));
  MU_ASSIGN_OR_RETURN(JsonView list, root.require_array("data.list"));
  std::vector<Item> items = parse_videos(list);
  if (items.empty()) return error(ErrorCode::kParse, "data.list holds no videos");
  return items;
}

// ------------------------------------------------------------------ ranking

Result<std::vector<Item>> parse_ranking(const HttpResponse& response, const BoardMeta& meta) {
  MU_ASSIGN_OR_RETURN(JsonDoc doc, parse_object(response, meta.id));
  const JsonView root = doc.root();
  MU_RETURN_IF_ERROR(check_code(root));
  if (!root.get("data.list").exists()) {
    if (std::string voucher = root.string_or("data.v_voucher"); !voucher.empty()) {
      return error(ErrorCode::kBlocked,
                   "WBI signature rejected (data.v_voucher " + truncate_utf8(voucher, 40) + ")");
    }
  }
  MU_ASSIGN_OR_RETURN(JsonView list, root.require_array("data.list"));
  std::vector<Item> items = parse_videos(list);
  if (items.empty()) return error(ErrorCode::kParse, "data.list holds no videos");
  return items;
}

Status with_board(const Status& st, const std::string& board_id) {
  if (st.message().rfind(board_id + ": ", 0) == 0) return st;
  return st.with_context(board_id);
}

// The WBI-signed ranking: nav keys (cached for a day), a signed request, and one retry with
// fresh keys when the API rejects a signature made with cached ones.
class RankingSource final : public Source {
 public:
  explicit RankingSource(BoardMeta meta) : meta_(std::move(meta)) {}

  const BoardMeta& meta() const override { return meta_; }

  Result<std::vector<Item>> collect(const SourceContext& ctx) const override {
    const auto timeout =
        std::chrono::duration_cast<std::chrono::milliseconds>(meta_.schedule.timeout);
    const std::string* cookie = find_secret(ctx, kCookieSecret);
    for (int attempt = 0; attempt < 2; ++attempt) {
      MU_ASSIGN_OR_RETURN(WbiKeyCache::Lookup keys, keys_.get(ctx, meta_.id, timeout, cookie));
      const std::string mixin = wbi_mixin_key(keys.keys.img_key, keys.keys.sub_key);
      const int64_t wts = ctx.clock.now_ms() / 1000;
      auto query = wbi_signed_query({{"rid", "0"}, {"type", "all"}, {"web_location", "333.934"}},
                                    mixin, wts);
      if (!query.ok()) return with_board(query.status(), meta_.id);

      HttpRequest request;
      request.url = std::string(kRankingUrl) + "?" + *query;
      request.timeout = timeout;
      request.headers = api_headers(ctx, "https://www.bilibili.com/v/popular/rank/all");
      MU_ASSIGN_OR_RETURN(HttpResponse response, fetch_ok(ctx, request, meta_.id));
      auto parsed = parse_ranking(response, meta_);
      if (parsed.ok()) return finish_items(std::move(parsed).value(), meta_.id);
      if (parsed.code() == ErrorCode::kBlocked && !keys.fresh && attempt == 0) {
        keys_.invalidate();  // the keys may have rotated since they were cached
        continue;
      }
      return with_board(parsed.status(), meta_.id);
    }
    return error(ErrorCode::kBlocked, meta_.id + ": WBI signature rejected with fresh keys");
  }

 private:
  BoardMeta meta_;
  mutable WbiKeyCache keys_;
};

// ------------------------------------------------------------------ hot search

HttpRequest hot_search_request(const SourceContext& ctx) {
  HttpRequest request;
  request.url = kHotSearchUrl;
  request.headers = api_headers(ctx, "https://search.bilibili.com/");
  return request;
}

std::string word_type_label(int64_t word_type) {
  switch (word_type) {
    case 4:
      return "新";
    case 5:
      return "热";
    case 7:
      return "直播中";
    case 9:
      return "梗";
    case 11:
      return "话题";
    case 12:
      return "独家";
    default:
      return {};
  }
}

Result<std::vector<Item>> parse_hot_search(const HttpResponse& response, const BoardMeta& meta) {
  MU_ASSIGN_OR_RETURN(JsonDoc doc, parse_object(response, meta.id));
  const JsonView root = doc.root();
  MU_RETURN_IF_ERROR(check_code(root));
  JsonView list = root.get("list");
  if (!list.is_array()) list = root.get("data.list");
  if (!list.is_array()) list = root.get("data.trending.list");
  if (!list.is_array()) {
    return error(ErrorCode::kParse, "no hot word list (list, data.list or data.trending.list)");
  }
  std::vector<Item> items;
  items.reserve(list.size());
  for (const JsonView& entry : list.elements()) {
    if (entry.bool_or("is_commercial", false)) continue;  // a paid slot
    const std::string keyword = trim(entry.string_or("keyword"));
    if (keyword.empty()) continue;
    Item item;
    item.key = keyword;
    item.title = trim(entry.string_or("show_name"));
    if (item.title.empty()) item.title = keyword;
    item.url = "https://search.bilibili.com/all?keyword=" + percent_encode(keyword);
    item.mobile_url = "https://m.bilibili.com/search?keyword=" + percent_encode(keyword);
    if (auto heat = entry.integer("heat_score"); heat && *heat > 0) {
      item.hot = static_cast<double>(*heat);
      item.hot_text = format_count(*heat);
    }
    if (auto word_type = entry.integer("word_type")) item.label = word_type_label(*word_type);
    if (auto hot_id = entry.integer("hot_id"); hot_id && *hot_id > 0) {
      item.extra.emplace_back("hot_id", std::to_string(*hot_id));
    }
    items.push_back(std::move(item));
  }
  if (items.empty()) return error(ErrorCode::kParse, "the hot word list is empty");
  return items;
}

BoardMeta board(std::string id, std::string name_zh, std::string name_en) {
  BoardMeta m;
  m.id = std::move(id);
  m.site = "bilibili";
  m.name_zh = std::move(name_zh);
  m.name_en = std::move(name_en);
  m.kind = BoardKind::kRank;
  m.group = "cn";
  return m;
}

}  // namespace

Status register_bilibili_sources(SourceRegistry& registry) {
  MU_RETURN_IF_ERROR(registry.add_site(Site{
      .id = "bilibili",
      .name_zh = "哔哩哔哩",
      .name_en = "Bilibili",
      .home = "https://www.bilibili.com",
      .icon = "https://www.bilibili.com/favicon.ico",
      .color = "#fb7299",
      .region = "cn",
      .category = "entertainment",
  }));

  BoardMeta popular = board("bilibili.popular", "综合热门", "Popular videos");
  popular.schedule.every = std::chrono::minutes(15);
  popular.schedule.jitter = std::chrono::seconds(60);
  popular.schedule.timeout = std::chrono::seconds(15);
  popular.schedule.retries = 1;
  popular.homepage = "https://www.bilibili.com/v/popular/all";
  popular.notes =
      "JSON of api.bilibili.com/x/web-interface/popular?ps=50&pn=1 (first 50 videos, hot = "
      "views, label = rcmd_reason). No signature needed. Sent with a browser User-Agent and "
      "a bilibili.com Referer; anonymous clients from some networks get code -352 (risk "
      "control, reported as blocked), so an optional secret bilibili.cookie (e.g. buvid3=...) "
      "is sent when configured.";
  MU_RETURN_IF_ERROR(registry.add(
      std::make_unique<SimpleSource>(std::move(popular), popular_request, parse_popular)));

  BoardMeta ranking = board("bilibili.ranking", "排行榜", "Ranking");
  ranking.schedule.every = std::chrono::minutes(30);
  ranking.schedule.jitter = std::chrono::minutes(2);
  ranking.schedule.timeout = std::chrono::seconds(20);
  ranking.schedule.retries = 1;
  ranking.homepage = "https://www.bilibili.com/v/popular/rank/all";
  ranking.notes =
      "JSON of api.bilibili.com/x/web-interface/ranking/v2?rid=0&type=all (top 100 of all "
      "sections, hot = views), WBI-signed: img_key/sub_key come from x/web-interface/nav "
      "(data.wbi_img), are cached for 24 h and refetched once when the API rejects a "
      "signature (code -352/-403 or data.v_voucher). Two requests when the keys are fetched, "
      "one otherwise. The ranking is recomputed a few times a day, so 30 minutes is plenty. "
      "Optional secret bilibili.cookie.";
  MU_RETURN_IF_ERROR(registry.add(std::make_unique<RankingSource>(std::move(ranking))));

  BoardMeta hot = board("bilibili.hot-search", "热搜", "Hot search");
  hot.schedule.every = std::chrono::minutes(10);
  hot.schedule.jitter = std::chrono::seconds(60);
  hot.schedule.timeout = std::chrono::seconds(15);
  hot.schedule.retries = 1;
  hot.homepage = "https://search.bilibili.com/";
  hot.notes =
      "JSON of s.search.bilibili.com/main/hotword?limit=30 (the search box's trending words, "
      "list at the top level; data.list / data.trending.list of the app and square variants "
      "are read too). hot = heat_score when present; label from word_type (4 新, 5 热, 7 直播中, "
      "9 梗, 11 话题, 12 独家); commercial entries are skipped. Links go to the search page.";
  return registry.add(
      std::make_unique<SimpleSource>(std::move(hot), hot_search_request, parse_hot_search));
}

}  // namespace mu
