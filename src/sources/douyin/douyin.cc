// Douyin (抖音): the hot search list (抖音热榜).
// Current web API: https://www.douyin.com/aweme/v1/web/hot/search/list/?device_platform=webapp
// &aid=6383&channel=channel_pc_web&detail_list=1, answering {"status_code":0,"data":{
// "word_list":[...],"trending_list":[...],"active_time":"2026-01-01 08:00:00",...},
// "extra":{"now":...}}. The older app API (aweme/v1/hot/search/list/, the 2021 capture) has
// the same envelope; the iesdouyin billboard put word_list at the top level. A word_list entry
// has word, hot_value, position, sentence_id, label (1 新, 3 热, 4 爆, ...), event_time (Unix
// seconds), view_count, video_count, word_cover{uri,url_list[]} and group_id; a pinned topic
// (专题) comes without position and hot_value and is skipped. trending_list (实时上升热点) is a
// separate, unranked list and is not read.
// Without cookies the web API answers an empty body or status_code != 0, so unless a
// douyin.cookie secret is configured the source first asks
// https://www.douyin.com/passport/general/login_guiding_strategy/?aid=6383 for anonymous
// cookies (ttwid, ...), sends what it set and keeps them for a few hours.
#include <chrono>
#include <memory>
#include <mutex>
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

constexpr char kCookieUrl[] =
    "https://www.douyin.com/passport/general/login_guiding_strategy/?aid=6383";
constexpr char kHotListUrl[] =
    "https://www.douyin.com/aweme/v1/web/hot/search/list/"
    "?device_platform=webapp&aid=6383&channel=channel_pc_web&detail_list=1";

Headers browser_headers(std::string accept) {
  return {
      {"User-Agent", std::string(kBrowserUserAgent)},
      {"Accept", std::move(accept)},
      {"Referer", "https://www.douyin.com/hot"},
  };
}

// "ttwid=1%7Cabc; Path=/; HttpOnly" x N -> "ttwid=1%7Cabc; ..." (name=value pairs only).
std::string cookies_from(const HttpResponse& response) {
  std::string jar;
  for (const auto& [name, value] : response.headers) {
    if (ascii_lower(name) != "set-cookie") continue;
    std::string pair = trim(std::string_view(value).substr(0, value.find(';')));
    if (pair.empty() || pair.find('=') == std::string::npos) continue;
    if (!jar.empty()) jar += "; ";
    jar += pair;
  }
  return jar;
}

std::string label_name(int64_t label) {
  switch (label) {
    case 1:
      return "新";
    case 3:
      return "热";
    case 4:
      return "爆";
    case 5:
      return "首发";
    case 7:
      return "同城";
    case 8:
      return "独家";
    case 9:
      return "挑战";
    case 10:
      return "当事人";
    case 16:
      return "辟谣";
    case 17:
      return "热议";
    case 20:
      return "解读";
    default:
      return {};
  }
}

Result<std::vector<Item>> parse_hot_list(const HttpResponse& response, const BoardMeta& meta) {
  MU_ASSIGN_OR_RETURN(JsonDoc doc, JsonDoc::parse(response.body, meta.id));
  const JsonView root = doc.root();
  if (!root.is_object()) {
    return error(ErrorCode::kParse, "expected a JSON object, got " + std::string(root.kind_name()));
  }
  if (auto code = root.integer("status_code"); code && *code != 0) {
    const std::string msg = trim(root.string_or("status_msg"));
    return error(ErrorCode::kBlocked, "API refused the request (status_code " +
                                          std::to_string(*code) +
                                          (msg.empty() ? std::string() : ": " + msg) +
                                          "); the anonymous cookies may be stale");
  }
  JsonView list = root.get("data.word_list");
  if (!list.is_array()) list = root.get("word_list");
  if (!list.is_array()) {
    return error(ErrorCode::kParse, "data.word_list: expected array, got " +
                                        std::string(root.get("data.word_list").kind_name()));
  }
  std::vector<Item> items;
  items.reserve(list.size());
  for (const JsonView& entry : list.elements()) {
    const std::string word = trim(entry.string_or("word"));
    if (word.empty()) continue;
    const auto hot_value = entry.integer("hot_value");
    const auto position = entry.integer("position");
    if (!position && (!hot_value || *hot_value <= 0)) continue;  // pinned topic, not ranked
    Item item;
    const std::string sentence_id = trim(entry.string_or("sentence_id"));
    const std::string search_url = "https://www.douyin.com/search/" + percent_encode(word);
    item.key = sentence_id.empty() ? word : sentence_id;
    item.title = word;
    item.url = sentence_id.empty() ? search_url : "https://www.douyin.com/hot/" + sentence_id;
    item.mobile_url = search_url;
    if (hot_value && *hot_value > 0) {
      item.hot = static_cast<double>(*hot_value);
      item.hot_text = std::to_string(*hot_value);
    }
    if (auto label = entry.integer("label")) item.label = label_name(*label);
    item.image = trim(entry.string_or("word_cover.url_list[0]"));
    if (auto event_time = entry.integer("event_time"); event_time && *event_time > 0) {
      item.published_at_ms = *event_time * 1000;
    }
    if (position) item.extra.emplace_back("position", std::to_string(*position));
    if (auto views = entry.integer("view_count"); views && *views > 0) {
      item.extra.emplace_back("views", std::to_string(*views));
    }
    if (auto videos = entry.integer("video_count"); videos && *videos > 0) {
      item.extra.emplace_back("videos", std::to_string(*videos));
    }
    items.push_back(std::move(item));
  }
  if (items.empty()) return error(ErrorCode::kParse, "word_list holds no ranked entries");
  return items;
}

// Anonymous cookies from login_guiding_strategy, kept for kCookieTtl (monotonic clock).
// Thread-safe; the priming request runs outside the lock.
class CookieJar {
 public:
  static constexpr std::chrono::hours kCookieTtl{6};

  // The cached cookies, or new ones (`fresh`). "" when the site set none.
  std::string get(const SourceContext& ctx, std::chrono::milliseconds timeout, bool& fresh) {
    const MonoTime now = ctx.clock.mono();
    {
      std::lock_guard lock(mu_);
      if (!cookie_.empty() && now >= fetched_at_ && now - fetched_at_ < kCookieTtl) {
        fresh = false;
        return cookie_;
      }
    }
    fresh = true;
    HttpRequest prime;
    prime.url = kCookieUrl;
    prime.timeout = timeout;
    prime.headers = browser_headers("application/json, text/plain, */*");
    // Best effort: without the cookies the list request may still work, and its error says
    // more than this one would.
    auto primed = ctx.transport.fetch(prime);
    if (!primed.ok()) return {};
    std::string cookie = cookies_from(*primed);
    std::lock_guard lock(mu_);
    cookie_ = cookie;
    fetched_at_ = now;
    return cookie;
  }

  void invalidate() {
    std::lock_guard lock(mu_);
    cookie_.clear();
  }

 private:
  std::mutex mu_;
  std::string cookie_;
  MonoTime fetched_at_{};
};

// Cookies (configured, cached or primed), then the list; with cached cookies, an empty or
// refused answer is retried once with new ones.
class HotSource final : public Source {
 public:
  explicit HotSource(BoardMeta meta) : meta_(std::move(meta)) {}

  const BoardMeta& meta() const override { return meta_; }

  Result<std::vector<Item>> collect(const SourceContext& ctx) const override {
    const auto timeout =
        std::chrono::duration_cast<std::chrono::milliseconds>(meta_.schedule.timeout);
    const std::string* configured = find_secret(ctx, "douyin.cookie");
    for (int attempt = 0;; ++attempt) {
      bool fresh = true;
      const std::string cookie =
          configured != nullptr ? *configured : jar_.get(ctx, timeout, fresh);
      auto items = fetch_list(ctx, cookie, timeout);
      const bool refused = items.code() == ErrorCode::kBlocked || items.code() == ErrorCode::kParse;
      if (items.ok() || !refused || fresh || attempt > 0) return items;
      jar_.invalidate();
    }
  }

 private:
  Result<std::vector<Item>> fetch_list(const SourceContext& ctx, const std::string& cookie,
                                       std::chrono::milliseconds timeout) const {
    HttpRequest request;
    request.url = kHotListUrl;
    request.timeout = timeout;
    request.headers = browser_headers("application/json, text/plain, */*");
    if (!cookie.empty()) request.headers.emplace_back("Cookie", cookie);
    MU_ASSIGN_OR_RETURN(HttpResponse response, fetch_ok(ctx, request, meta_.id));
    auto parsed = parse_hot_list(response, meta_);
    if (!parsed.ok()) {
      const Status& st = parsed.status();
      if (st.message().rfind(meta_.id + ": ", 0) == 0) return st;
      return st.with_context(meta_.id);
    }
    return finish_items(std::move(parsed).value(), meta_.id);
  }

  BoardMeta meta_;
  mutable CookieJar jar_;
};

}  // namespace

Status register_douyin_sources(SourceRegistry& registry) {
  MU_RETURN_IF_ERROR(registry.add_site(Site{
      .id = "douyin",
      .name_zh = "抖音",
      .name_en = "Douyin",
      .home = "https://www.douyin.com",
      .icon = "https://www.douyin.com/favicon.ico",
      .color = "#fe2c55",
      .region = "cn",
      .category = "general",
  }));

  BoardMeta hot;
  hot.id = "douyin.hot";
  hot.site = "douyin";
  hot.name_zh = "热榜";
  hot.name_en = "Hot search";
  hot.kind = BoardKind::kRank;
  hot.schedule.every = std::chrono::minutes(10);
  hot.schedule.jitter = std::chrono::seconds(60);
  hot.schedule.timeout = std::chrono::seconds(20);
  hot.schedule.retries = 1;
  hot.group = "cn";
  hot.homepage = "https://www.douyin.com/hot";
  hot.notes =
      "JSON of www.douyin.com/aweme/v1/web/hot/search/list/ (about 50 words, hot = hot_value, "
      "label from label: 1 新, 3 热, 4 爆, ...); the 2021 app API shape and a top-level "
      "word_list are read too. The pinned topic without position is skipped, trending_list is "
      "not read. Anonymous requests need the cookies (ttwid) that passport/general/"
      "login_guiding_strategy sets: fetched first, kept for 6 h and fetched again once when "
      "the list comes back empty or refused; a configured secret douyin.cookie replaces them. "
      "Browser User-Agent and a douyin.com/hot Referer. "
      "status_code != 0 is reported as blocked.";
  hot.needs_cookie = true;
  return registry.add(std::make_unique<HotSource>(std::move(hot)));
}

}  // namespace mu
