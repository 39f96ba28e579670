// Coolapk (酷安): today's hot feeds from the Android app's API,
//   GET https://api.coolapk.com/v6/page/dataList?url=<encoded "/feed/statList?cacheExpires=300
//       &statType=day&sortField=detailnum&title=今日热门">&title=今日热门&subTitle=&page=1
// with the app's headers (X-App-Id, X-App-Version, X-Api-Version, X-App-Code, X-Sdk-Int, ...)
// and an X-App-Token computed from the request time and a device id (coolapk_token.h).
// The website has no hot list of its own (www.coolapk.com only links to the app), so the app
// API is the only source. Answer: {"data":[{"entityType":"feed","id","uid","username",
// "message" (HTML: links, emoji tags, <br />),"message_title","ttitle","tpic","pic",
// "shareUrl","likenum","replynum","forwardnum","dateline" (Unix s),"device_title"}]};
// other entity types (cards, ads) are skipped. A refused token answers {"status":<code>,
// "message":"..."} without data.
#include <memory>
#include <string>
#include <vector>

#include "sources/common/http_util.h"
#include "sources/common/json_util.h"
#include "sources/common/simple_source.h"
#include "sources/common/text.h"
#include "sources/coolapk/coolapk_token.h"
#include "sources/source.h"

namespace mu {
namespace {

std::string hot_url() {
  const std::string title = "今日热门";
  const std::string inner =
      "/feed/statList?cacheExpires=300&statType=day&sortField=detailnum&title=" + title;
  return "https://api.coolapk.com/v6/page/dataList?url=" + percent_encode(inner) +
         "&title=" + percent_encode(title) + "&subTitle=&page=1";
}

HttpRequest hot_request(const SourceContext& ctx) {
  const std::string* configured = find_secret(ctx, "coolapk.device_id");
  const std::string device = configured != nullptr ? *configured : coolapk_default_device_id();
  const int64_t now_s = ctx.clock.now_ms() / 1000;
  HttpRequest request;
  request.url = hot_url();
  request.headers = {
      {"User-Agent",
       "Dalvik/2.1.0 (Linux; U; Android 10; Mi 10 Build/QKQ1.191117.002) (#Build; Xiaomi; Mi 10; "
       "QKQ1.191117.002; 10) +CoolMarket/11.0-2101202"},
      {"X-Requested-With", "XMLHttpRequest"},
      {"X-Sdk-Int", "29"},
      {"X-Sdk-Locale", "zh-CN"},
      {"X-App-Id", "com.coolapk.market"},
      {"X-App-Token", coolapk_app_token(now_s, device)},
      {"X-App-Version", "11.0"},
      {"X-App-Code", "2101202"},
      {"X-Api-Version", "11"},
      {"X-Dark-Mode", "0"},
  };
  return request;
}

// Text of an HTML fragment: tags removed, <br> as a line break, the common entities decoded.
std::string html_fragment_text(std::string_view html) {
  std::string out;
  out.reserve(html.size());
  for (std::size_t i = 0; i < html.size();) {
    const char c = html[i];
    if (c == '<') {
      const std::size_t end = html.find('>', i);
      if (end == std::string_view::npos) break;  // an unterminated tag: drop the rest
      const std::string tag = ascii_lower(html.substr(i + 1, std::min<std::size_t>(3, end - i)));
      if (tag.rfind("br", 0) == 0) out += '\n';
      i = end + 1;
      continue;
    }
    if (c == '&') {
      static constexpr std::pair<std::string_view, std::string_view> kEntities[] = {
          {"&amp;", "&"},   {"&lt;", "<"},  {"&gt;", ">"},
          {"&quot;", "\""}, {"&#39;", "'"}, {"&nbsp;", " "}};
      bool matched = false;
      for (const auto& [name, text] : kEntities) {
        if (html.substr(i, name.size()) == name) {
          out += text;
          i += name.size();
          matched = true;
          break;
        }
      }
      if (matched) continue;
    }
    out += c;
    ++i;
  }
  return out;
}

// The first non-blank line of `text`, whitespace collapsed.
std::string first_line(const std::string& text) {
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = collapse_whitespace(std::string_view(text).substr(start, end - start));
    if (!line.empty()) return line;
    start = end + 1;
  }
  return {};
}

Result<std::vector<Item>> parse_hot(const HttpResponse& response, const BoardMeta& meta) {
  MU_ASSIGN_OR_RETURN(JsonDoc doc, JsonDoc::parse(response.body, meta.id));
  const JsonView root = doc.root();
  if (!root.get("data").is_array() && root.get("message").exists()) {
    return error(ErrorCode::kBlocked, "API refused the request (status " +
                                          root.string_or("status", "?") +
                                          "): " + root.string_or("message"));
  }
  MU_ASSIGN_OR_RETURN(JsonView feeds, root.require_array("data"));
  std::vector<Item> items;
  items.reserve(feeds.size());
  for (const JsonView& feed : feeds.elements()) {
    if (!feed.is_object() || feed.string_or("entityType") != "feed") continue;
    Item item;
    item.key = feed.string_or("id");
    if (item.key.empty()) continue;
    const std::string text = html_fragment_text(feed.string_or("message"));
    item.title = collapse_whitespace(feed.string_or("message_title"));
    if (item.title.empty()) item.title = truncate_utf8(first_line(text), 120);
    item.summary = truncate_utf8(collapse_whitespace(text), 600);
    item.url = "https://www.coolapk.com/feed/" + percent_encode(item.key);
    item.author = trim(feed.string_or("username"));
    item.image = trim(feed.string_or("pic"));
    if (auto likes = feed.integer("likenum"); likes && *likes >= 0) {
      item.hot = static_cast<double>(*likes);
      item.hot_text = std::to_string(*likes) + " 赞";
    }
    if (auto replies = feed.integer("replynum")) {
      item.extra.emplace_back("replies", std::to_string(*replies));
    }
    if (std::string topic = trim(feed.string_or("ttitle")); !topic.empty()) {
      item.extra.emplace_back("topic", topic);
    }
    if (auto t = feed.integer("dateline"); t && *t > 0) item.published_at_ms = *t * 1000;
    items.push_back(std::move(item));
  }
  if (items.empty()) return error(ErrorCode::kParse, "data holds no feeds");
  return items;
}

}  // namespace

Status register_coolapk_sources(SourceRegistry& registry) {
  MU_RETURN_IF_ERROR(registry.add_site(Site{
      .id = "coolapk",
      .name_zh = "酷安",
      .name_en = "Coolapk",
      .home = "https://www.coolapk.com",
      .icon = "https://www.coolapk.com/favicon.ico",
      .color = "#11b566",
      .region = "cn",
      .category = "tech",
  }));

  BoardMeta hot;
  hot.id = "coolapk.hot";
  hot.site = "coolapk";
  hot.name_zh = "今日热门";
  hot.name_en = "Today's hot";
  hot.kind = BoardKind::kRank;
  hot.schedule.every = std::chrono::minutes(20);
  hot.schedule.jitter = std::chrono::seconds(90);
  hot.schedule.timeout = std::chrono::seconds(20);
  hot.schedule.retries = 1;
  hot.group = "cn";
  hot.homepage = "https://www.coolapk.com/";
  hot.notes =
      "JSON of the app API api.coolapk.com/v6/page/dataList (feed/statList, statType=day, "
      "sortField=detailnum). Needs the app headers and an X-App-Token computed per request "
      "(md5 of a base64 string built from the time and a device id; see coolapk_token.h); "
      "secret coolapk.device_id replaces Mu's fixed device id. The web site has no hot list. "
      "The server caches the list for 300 s. A refused token is a blocked error.";
  hot.needs_token = true;
  return registry.add(std::make_unique<SimpleSource>(std::move(hot), hot_request, parse_hot));
}

}  // namespace mu
