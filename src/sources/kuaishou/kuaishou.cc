// Kuaishou (快手): the hot list (快手热榜) embedded in the web home page,
// https://www.kuaishou.com/?isHome=1. The page carries its Apollo GraphQL cache in a script:
//   window.__APOLLO_STATE__={"defaultClient":{...}};(function(){...}());
// In the flattened cache the list is defaultClient["$ROOT_QUERY.visionHotRank({\"page\":
// \"home\"})"] = {"result":1,"pcursor":"","webPageArea":"...","items":[{"type":"id",
// "generated":false,"id":"VisionHotRankItem:<hash>","typename":"VisionHotRankItem"},...]} and
// each item is defaultClient["VisionHotRankItem:<hash>"] = {"rank":0,"name":"...","hotValue":
// "1023.5万","poster":"https://...","photoIds":{"type":"json","json":["3x..."]},"id":"<hash>",
// ...}. Newer builds nest references instead:
// defaultClient.ROOT_QUERY["visionHotRank({\"page\":\"home\"})"] = {"type":"id","id":"$ROOT_QUERY
// .visionHotRank(...)"} or {"__ref":...}, items holding {"__ref":"VisionHotRankItem:<hash>"}.
// Both are read. A page without the state is an anti-bot or error page.
#include <boost/json.hpp>

#include <memory>
#include <optional>
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

constexpr char kHomeUrl[] = "https://www.kuaishou.com/?isHome=1";
constexpr std::string_view kStateMarker = "window.__APOLLO_STATE__";

HttpRequest home_request(const SourceContext& ctx) {
  HttpRequest request;
  request.url = kHomeUrl;
  request.headers = {
      {"User-Agent", std::string(kBrowserUserAgent)},
      {"Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"},
      {"Accept-Language", "zh-CN,zh;q=0.9"},
      {"Referer", "https://www.kuaishou.com/"},
  };
  if (const std::string* cookie = find_secret(ctx, "kuaishou.cookie")) {
    request.headers.emplace_back("Cookie", *cookie);
  }
  return request;
}

// The JSON object starting at the first '{' at or after `from`, up to its matching '}'
// (strings and escapes respected). nullopt when it never closes.
std::optional<std::string_view> balanced_object(std::string_view text, std::size_t from) {
  const std::size_t start = text.find('{', from);
  if (start == std::string_view::npos) return std::nullopt;
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (std::size_t i = start; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{') {
      ++depth;
    } else if (c == '}') {
      if (--depth == 0) return text.substr(start, i - start + 1);
    }
  }
  return std::nullopt;
}

// Object keys of `v` (empty for anything else).
std::vector<std::string> keys_of(const JsonView& v) {
  std::vector<std::string> keys;
  const boost::json::value* raw = v.raw();
  if (raw == nullptr || !raw->is_object()) return keys;
  for (const auto& kv : raw->get_object()) keys.emplace_back(kv.key());
  return keys;
}

// A reference in the cache: {"type":"id","id":"X"}, {"__ref":"X"} or "X".
std::string ref_of(const JsonView& v) {
  if (v.is_string()) return v.string_or("");
  std::string ref = v.string_or("__ref");
  if (ref.empty() && v.string_or("type") == "id") ref = v.string_or("id");
  return ref;
}

// The hot rank object (with "items"); home page first, any visionHotRank otherwise.
JsonView find_rank(const JsonView& client) {
  JsonView fallback;
  for (const std::string& key : keys_of(client)) {
    if (key.rfind("$ROOT_QUERY.visionHotRank(", 0) != 0) continue;
    JsonView rank = client.member(key);
    if (!rank.get("items").is_array()) continue;
    if (key.find("\"home\"") != std::string::npos) return rank;
    if (!fallback.exists()) fallback = rank;
  }
  if (fallback.exists()) return fallback;
  const JsonView root_query = client.member("ROOT_QUERY");
  for (const std::string& key : keys_of(root_query)) {
    if (key.rfind("visionHotRank(", 0) != 0) continue;
    JsonView value = root_query.member(key);
    JsonView rank = value.get("items").is_array() ? value : client.member(ref_of(value));
    if (!rank.get("items").is_array()) continue;
    if (key.find("\"home\"") != std::string::npos) return rank;
    if (!fallback.exists()) fallback = rank;
  }
  return fallback;
}

// "https%3A%2F%2Fp2.a.yximgs.com%2F..." -> "https://p2.a.yximgs.com/...".
std::string percent_decode_url(const std::string& s) {
  if (s.find("%3A") == std::string::npos && s.find("%3a") == std::string::npos) return s;
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

Status missing_state(std::string_view body) {
  std::string title;
  if (auto doc = HtmlDoc::parse(body, kHomeUrl); doc.ok()) title = doc->title();
  const bool wall = body.find("captcha") != std::string_view::npos ||
                    title.find("验证") != std::string::npos ||
                    title.find("安全") != std::string::npos;
  const std::string what =
      "no window.__APOLLO_STATE__ in the page titled \"" + truncate_utf8(title, 80) + "\"";
  if (wall) return error(ErrorCode::kBlocked, what + " (an anti-bot check)");
  return error(ErrorCode::kParse, what);
}

Result<std::vector<Item>> parse_home(const HttpResponse& response, const BoardMeta& /*meta*/) {
  const std::string_view body = response.body;
  const std::size_t marker = body.find(kStateMarker);
  if (marker == std::string_view::npos) return missing_state(body);
  auto state = balanced_object(body, marker + kStateMarker.size());
  if (!state) return error(ErrorCode::kParse, "window.__APOLLO_STATE__ is not a complete object");
  MU_ASSIGN_OR_RETURN(JsonDoc doc, JsonDoc::parse(*state, "__APOLLO_STATE__"));
  const JsonView client = doc.root().member("defaultClient");
  if (!client.is_object()) {
    return error(ErrorCode::kParse, "__APOLLO_STATE__.defaultClient: expected object, got " +
                                        std::string(client.kind_name()));
  }
  const JsonView rank = find_rank(client);
  if (!rank.exists()) return error(ErrorCode::kParse, "no visionHotRank in __APOLLO_STATE__");

  std::vector<Item> items;
  for (const JsonView& ref : rank.get("items").elements()) {
    const JsonView entry = ref.member("name").exists() ? ref : client.member(ref_of(ref));
    if (!entry.is_object()) continue;
    Item item;
    item.title = trim(entry.string_or("name"));
    item.key = trim(entry.string_or("id"));
    if (item.key.empty()) item.key = item.title;
    const std::string photo = trim(entry.string_or("photoIds.json[0]"));
    const std::string search =
        "https://www.kuaishou.com/search/video?searchKey=" + percent_encode(item.title);
    item.url = photo.empty() ? search : "https://www.kuaishou.com/short-video/" + photo;
    item.hot_text = trim(entry.string_or("hotValue"));
    item.hot = parse_popularity(item.hot_text);
    item.image = percent_decode_url(trim(entry.string_or("poster")));
    if (auto pos = entry.integer("rank"); pos && *pos >= 0) {
      item.extra.emplace_back("rank", std::to_string(*pos + 1));
    }
    items.push_back(std::move(item));
  }
  if (items.empty()) return error(ErrorCode::kParse, "visionHotRank.items holds no entries");
  return items;
}

}  // namespace

Status register_kuaishou_sources(SourceRegistry& registry) {
  MU_RETURN_IF_ERROR(registry.add_site(Site{
      .id = "kuaishou",
      .name_zh = "快手",
      .name_en = "Kuaishou",
      .home = "https://www.kuaishou.com",
      .icon = "https://www.kuaishou.com/favicon.ico",
      .color = "#ff4906",
      .region = "cn",
      .category = "entertainment",
  }));

  BoardMeta hot;
  hot.id = "kuaishou.hot";
  hot.site = "kuaishou";
  hot.name_zh = "热榜";
  hot.name_en = "Hot list";
  hot.kind = BoardKind::kRank;
  hot.schedule.every = std::chrono::minutes(15);
  hot.schedule.jitter = std::chrono::seconds(90);
  hot.schedule.timeout = std::chrono::seconds(20);
  hot.schedule.retries = 1;
  hot.group = "cn";
  hot.homepage = "https://www.kuaishou.com/?isHome=1";
  hot.notes =
      "HTML of www.kuaishou.com/?isHome=1; the list is read from the embedded "
      "window.__APOLLO_STATE__ (visionHotRank items, flattened or by reference; about 50 "
      "entries, hot parsed from hotValue such as \"1023.5万\"). Links go to "
      "kuaishou.com/short-video/<first photo id>, or to the search page when an entry has no "
      "video. Browser User-Agent; an optional secret kuaishou.cookie (did=...) is sent when "
      "configured, which helps when the site serves its captcha page (reported as blocked).";
  return registry.add(std::make_unique<SimpleSource>(std::move(hot), home_request, parse_home));
}

}  // namespace mu
