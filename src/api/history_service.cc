#include "api/history_service.h"

#include <date/date.h>
#include <date/tz.h>

#include <boost/json.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <exception>
#include <limits>
#include <set>

#include "api/handler_util.h"
#include "core/search_text.h"
#include "pipeline/render.h"

namespace mu {
namespace json = boost::json;

namespace {

constexpr int64_t kDayMs = int64_t{24} * 3600 * 1000;
constexpr std::string_view kShortCache = "public, max-age=30";
constexpr std::string_view kLongCache = "public, max-age=3600";
constexpr auto kTopFresh = std::chrono::seconds(60);
constexpr auto kTopPastFresh = std::chrono::seconds(600);
constexpr size_t kTopCacheEntries = 64;

Response bad(std::string_view message) { return json_error(400, "invalid", message); }

// Fixed-width decimal at text[pos, pos+width); -1 when not all digits.
int digits(std::string_view text, size_t pos, size_t width) {
  if (pos + width > text.size()) return -1;
  int value = 0;
  for (size_t i = pos; i < pos + width; ++i) {
    const char c = text[i];
    if (c < '0' || c > '9') return -1;
    value = value * 10 + (c - '0');
  }
  return value;
}

std::optional<date::year_month_day> parse_date(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  const int y = digits(text, 0, 4);
  const int m = digits(text, 5, 2);
  const int d = digits(text, 8, 2);
  if (y < 1970 || y > 2200 || m < 1 || d < 1) return std::nullopt;
  const date::year_month_day ymd{date::year{y}, date::month{static_cast<unsigned>(m)},
                                 date::day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) return std::nullopt;
  return ymd;
}

int64_t days_ms(date::year_month_day ymd) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             date::sys_days{ymd}.time_since_epoch())
      .count();
}

// ?from= / ?to=: an instant, or a date (UTC): the start of that day for from, its last
// millisecond for to.
std::optional<int64_t> parse_bound(std::string_view text, bool end_of_day) {
  if (auto ymd = parse_date(text)) {
    return days_ms(*ymd) + (end_of_day ? kDayMs - 1 : 0);
  }
  return parse_instant(text);
}

// ?limit=: kInvalid naming it when outside [1, max].
Result<int> parse_limit(const Request& req, int fallback, int max) {
  std::optional<std::string_view> text = req.query("limit");
  if (!text) return fallback;
  std::optional<int64_t> n = handler::parse_int(*text, 1, max);
  if (!n) {
    return Status(ErrorCode::kInvalid, "limit: a whole number from 1 to " + std::to_string(max));
  }
  return static_cast<int>(*n);
}

std::string weak_etag(std::string_view body) {
  uint64_t hash = 14695981039346656037ull;
  for (char c : body) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ull;
  }
  char buf[24];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(hash));
  return std::string("W/\"h") + buf + "\"";
}

Response cacheable(std::string body, std::string_view cache_control) {
  Response r = json_response(200, std::move(body));
  r.etag = weak_etag(r.body_view());
  r.set_header("Cache-Control", cache_control);
  return r;
}

Response store_error(const Status& status) {
  if (status.code() == ErrorCode::kUnavailable) {
    return json_error(503, "unavailable", "history is not reachable right now; try again");
  }
  return error_response(status);
}

json::value optional_number(const std::optional<double>& v) {
  if (!v) return nullptr;
  return *v;
}

json::object item_json(const HistoryItem& item) {
  json::object o;
  o["board"] = item.board;
  o["site"] = item.site;
  o["key"] = item.key;
  o["title"] = item.title;
  o["url"] = handler::is_http_url(item.url) ? item.url : std::string();
  o["summary"] = item.summary;
  o["first_seen"] = handler::time_or_null(item.first_seen_ms);
  o["last_seen"] = handler::time_or_null(item.last_seen_ms);
  o["best_rank"] = item.best_rank;
  o["current_rank"] = item.current_rank;
  o["peak_hot"] = optional_number(item.peak_hot);
  o["on_board_seconds"] = item.on_board_ms / 1000;
  return o;
}

json::array facets_json(const std::vector<FacetCount>& facets) {
  json::array a;
  for (const FacetCount& f : facets) {
    a.push_back(json::object{{"id", f.value}, {"count", f.count}});
  }
  return a;
}

std::string cursor_text(SearchOrder order, const HistoryItem& last) {
  if (order == SearchOrder::kBestRank) {
    return "r." + std::to_string(last.best_rank) + "." + std::to_string(last.last_seen_ms) + "." +
           std::to_string(last.id);
  }
  return "n." + std::to_string(last.id);
}

Result<SearchCursor> parse_cursor(std::string_view text, SearchOrder order) {
  const Status forged(ErrorCode::kInvalid,
                      "cursor: not a cursor of this search (use next_cursor as given)");
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    const size_t dot = text.find('.', start);
    parts.push_back(text.substr(start, dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  const bool rank = order == SearchOrder::kBestRank;
  if (parts.size() != (rank ? 4u : 2u) || parts[0] != (rank ? "r" : "n")) return forged;
  std::vector<int64_t> numbers;
  for (size_t i = 1; i < parts.size(); ++i) {
    std::optional<int64_t> n = handler::parse_int(parts[i], 0, std::numeric_limits<int64_t>::max());
    if (!n) return forged;
    numbers.push_back(*n);
  }
  SearchCursor cursor;
  if (rank) {
    cursor.rank = numbers[0];
    cursor.seen_ms = numbers[1];
    cursor.id = numbers[2];
  } else {
    cursor.id = numbers[0];
  }
  return cursor;
}

const date::time_zone* find_zone(std::string_view tz) {
  if (tz.empty() || tz.size() > 64) return nullptr;
  try {
    return date::locate_zone(std::string(tz));
  } catch (const std::exception&) {
    return nullptr;
  }
}

double appearance_score(const DayEntry& e) {
  const double rank_points = std::max(0, 51 - e.peak_rank) / 50.0;
  const double hours = std::min(24.0, static_cast<double>(e.on_board_ms) / 3'600'000.0);
  return rank_points * (1.0 + std::log2(1.0 + hours));
}

}  // namespace

std::optional<int64_t> parse_instant(std::string_view text) {
  // YYYY-MM-DDTHH:MM[:SS[.f+]](Z|+HH:MM|-HH:MM)
  if (text.size() < 17 || text.size() > 40) return std::nullopt;
  auto ymd = parse_date(text.substr(0, 10));
  if (!ymd || (text[10] != 'T' && text[10] != 't' && text[10] != ' ') || text[13] != ':') {
    return std::nullopt;
  }
  const int hh = digits(text, 11, 2);
  const int mm = digits(text, 14, 2);
  if (hh < 0 || hh > 23 || mm < 0 || mm > 59) return std::nullopt;
  size_t pos = 16;
  int ss = 0;
  int64_t millis = 0;
  if (pos < text.size() && text[pos] == ':') {
    ss = digits(text, pos + 1, 2);
    if (ss < 0 || ss > 59) return std::nullopt;
    pos += 3;
    if (pos < text.size() && text[pos] == '.') {
      ++pos;
      const size_t frac_start = pos;
      int64_t scale = 100;
      while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
        millis += (text[pos] - '0') * scale;
        scale /= 10;
        ++pos;
      }
      if (pos == frac_start || pos - frac_start > 9) return std::nullopt;
    }
  }
  int64_t offset_min = 0;
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    const int oh = digits(text, pos + 1, 2);
    if (pos + 3 >= text.size() || text[pos + 3] != ':') return std::nullopt;
    const int om = digits(text, pos + 4, 2);
    if (oh < 0 || oh > 18 || om < 0 || om > 59) return std::nullopt;
    offset_min = (oh * 60 + om) * (text[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != text.size()) return std::nullopt;
  return days_ms(*ymd) + ((int64_t{hh} * 60 + mm) * 60 + ss) * 1000 + millis - offset_min * 60'000;
}

Result<DayWindow> day_window(std::string_view date_text, std::string_view tz) {
  auto ymd = parse_date(date_text);
  if (!ymd) return Status(ErrorCode::kInvalid, "date: a day as YYYY-MM-DD");
  const date::time_zone* zone = find_zone(tz);
  if (zone == nullptr) {
    return Status(ErrorCode::kInvalid,
                  "tz: not a known time zone (an IANA name such as "
                  "Asia/Shanghai or UTC)");
  }
  const date::local_days day{*ymd};
  auto start = zone->to_sys(day, date::choose::earliest);
  auto end = zone->to_sys(day + date::days{1}, date::choose::earliest);
  DayWindow w;
  w.date = std::string(date_text);
  w.tz = std::string(tz);
  w.start_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(start.time_since_epoch()).count();
  w.end_ms = std::chrono::duration_cast<std::chrono::milliseconds>(end.time_since_epoch()).count();
  return w;
}

std::string date_in_zone(int64_t unix_ms, std::string_view tz) {
  const date::time_zone* zone = find_zone(tz);
  const date::sys_time<std::chrono::milliseconds> t{std::chrono::milliseconds(unix_ms)};
  const auto local = zone != nullptr
                         ? zone->to_local(t)
                         : date::local_time<std::chrono::milliseconds>(t.time_since_epoch());
  return date::format("%F", date::floor<date::days>(local));
}

std::vector<TopStory> rank_top_stories(const std::vector<DayEntry>& entries, size_t limit) {
  std::vector<TopStory> stories;
  std::unordered_map<int64_t, size_t> by_title;
  std::unordered_map<int64_t, size_t> by_url;
  for (const DayEntry& e : entries) {
    if (e.peak_rank < 1) continue;
    const double score = appearance_score(e);
    size_t index = stories.size();
    if (auto it = by_title.find(e.item.title_key); e.item.title_key != 0 && it != by_title.end()) {
      index = it->second;
    } else if (auto u = by_url.find(e.item.url_key); e.item.url_key != 0 && u != by_url.end()) {
      index = u->second;
    }
    if (index == stories.size()) stories.emplace_back();
    if (e.item.title_key != 0) by_title.emplace(e.item.title_key, index);
    if (e.item.url_key != 0) by_url.emplace(e.item.url_key, index);
    std::vector<TopAppearance>& apps = stories[index].appearances;
    // The best appearance per board.
    auto same_board = std::find_if(apps.begin(), apps.end(), [&](const TopAppearance& a) {
      return a.entry.item.board == e.item.board;
    });
    if (same_board == apps.end()) {
      apps.push_back(TopAppearance{e, score});
    } else if (score > same_board->score) {
      *same_board = TopAppearance{e, score};
    }
  }
  for (TopStory& story : stories) {
    std::sort(story.appearances.begin(), story.appearances.end(),
              [](const TopAppearance& a, const TopAppearance& b) {
                return a.score != b.score ? a.score > b.score
                                          : a.entry.item.board < b.entry.item.board;
              });
    std::set<std::string> sites;
    double sum = 0;
    for (const TopAppearance& a : story.appearances) {
      sites.insert(a.entry.item.site);
      sum += a.score;
    }
    story.site_count = static_cast<int>(sites.size());
    story.score = sum * (1.0 + 0.5 * (story.site_count - 1));
    story.title = story.appearances.front().entry.item.title;
    story.url = story.appearances.front().entry.item.url;
  }
  std::sort(stories.begin(), stories.end(), [](const TopStory& a, const TopStory& b) {
    return a.score != b.score ? a.score > b.score : a.title < b.title;
  });
  if (stories.size() > limit) stories.resize(limit);
  return stories;
}

HistoryService::HistoryService(std::vector<Site> sites, std::vector<BoardMeta> boards,
                               HistoryStore& store, HistoryServiceOptions options)
    : clock_(options.clock != nullptr ? *options.clock : system_clock_),
      store_(store),
      options_(std::move(options)) {
  for (const Site& site : sites) sites_[site.id] = true;
  for (const BoardMeta& board : boards) site_of_board_[board.id] = board.site;
}

int64_t HistoryService::now_ms() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock_.now().time_since_epoch())
      .count();
}

void HistoryService::register_routes(Router& router) {
  router.add(HttpMethod::kGet, "/api/v1/search", [this](const Request& r) { return search(r); });
  router.add(HttpMethod::kGet, "/api/v1/items/{board}/{key}",
             [this](const Request& r) { return item(r); });
  router.add(HttpMethod::kGet, "/api/v1/boards/{id}/history",
             [this](const Request& r) { return board_history(r); });
  router.add(HttpMethod::kGet, "/api/v1/top", [this](const Request& r) { return top(r); });
}

Response HistoryService::search(const Request& req) const {
  auto query = search::parse_query(req.query("q").value_or(""));
  if (!query.ok()) return bad(query.error_message());
  SearchRequest request;
  request.query = std::move(*query);
  if (auto board = req.query("board"); board && !board->empty()) {
    if (!site_of_board_.contains(std::string(*board))) {
      return bad("board: no board \"" + std::string(*board) + "\"");
    }
    request.board = std::string(*board);
  }
  if (auto site = req.query("site"); site && !site->empty()) {
    if (!sites_.contains(std::string(*site))) {
      return bad("site: no site \"" + std::string(*site) + "\"");
    }
    request.site = std::string(*site);
  }
  if (auto from = req.query("from"); from && !from->empty()) {
    request.from_ms = parse_bound(*from, false);
    if (!request.from_ms) return bad("from: a time (2026-12-06T08:00:00Z) or a date (2026-12-06)");
  }
  if (auto to = req.query("to"); to && !to->empty()) {
    request.to_ms = parse_bound(*to, true);
    if (!request.to_ms) return bad("to: a time (2026-12-06T08:00:00Z) or a date (2026-12-06)");
  }
  if (request.from_ms && request.to_ms && *request.from_ms > *request.to_ms) {
    return bad("from: later than to");
  }
  const std::string sort(req.query("sort").value_or("newest"));
  if (sort == "rank") {
    request.order = SearchOrder::kBestRank;
  } else if (sort != "newest") {
    return bad("sort: newest or rank");
  }
  auto limit = parse_limit(req, kDefaultSearchLimit, kMaxSearchLimit);
  if (!limit.ok()) return bad(limit.error_message());
  request.limit = *limit;
  if (auto cursor = req.query("cursor"); cursor && !cursor->empty()) {
    if (cursor->size() > 80) return bad("cursor: not a cursor of this search");
    auto parsed = parse_cursor(*cursor, request.order);
    if (!parsed.ok()) return bad(parsed.error_message());
    request.after = *parsed;
  }
  const std::string facets(req.query("facets").value_or("1"));
  if (facets != "0" && facets != "1") return bad("facets: 0 or 1");
  request.facets = facets == "1";
  const std::string q(req.query("q").value_or(""));

  return defer_response([this, request = std::move(request), q, sort]() -> Response {
    auto result = store_.search(request);
    if (!result.ok()) return store_error(result.status());
    json::object body;
    body["query"] = q;
    body["sort"] = sort;
    body["total"] = result->total;
    body["total_exact"] = result->total_exact;
    json::array items;
    for (const HistoryItem& hit : result->hits) {
      json::object o = item_json(hit);
      json::array marks;
      for (const auto& [begin, end] : search::highlights(hit.title, request.query)) {
        marks.push_back(json::array{begin, end});
      }
      o["highlights"] = std::move(marks);
      items.push_back(std::move(o));
    }
    body["items"] = std::move(items);
    if (result->more && !result->hits.empty()) {
      body["next_cursor"] = cursor_text(request.order, result->hits.back());
    } else {
      body["next_cursor"] = nullptr;
    }
    if (request.facets) {
      body["facets"] = json::object{{"sites", facets_json(result->sites)},
                                    {"boards", facets_json(result->boards)}};
    }
    return cacheable(json::serialize(body), kShortCache);
  });
}

Response HistoryService::item(const Request& req) const {
  std::string board(req.param("board"));
  std::string key(req.param("key"));
  if (!site_of_board_.contains(board)) {
    return json_error(404, "not-found", "no board \"" + board + "\"");
  }
  if (key.size() > kMaxKeyBytes) {
    return bad("key: longer than " + std::to_string(kMaxKeyBytes) + " bytes");
  }
  return defer_response([this, board = std::move(board), key = std::move(key)]() -> Response {
    auto timeline = store_.item_timeline(board, key, kRelatedLimit);
    if (!timeline.ok()) return store_error(timeline.status());
    if (!timeline->has_value()) {
      return json_error(404, "not-found", "board \"" + board + "\" never listed this item");
    }
    const ItemTimeline& t = **timeline;
    json::object body;
    body["item"] = item_json(t.item);
    json::array points;
    for (const HistoryPoint& p : t.points) {
      points.push_back(json::object{{"at", handler::time_or_null(p.at_ms)},
                                    {"rank", p.rank},
                                    {"hot", optional_number(p.hot)}});
    }
    body["points"] = std::move(points);
    json::array related;
    for (const HistoryItem& r : t.related) related.push_back(item_json(r));
    body["related"] = std::move(related);
    return cacheable(json::serialize(body), kShortCache);
  });
}

Response HistoryService::board_history(const Request& req) const {
  std::string board(req.param("id"));
  if (!site_of_board_.contains(board)) {
    return json_error(404, "not-found", "no board \"" + board + "\"");
  }
  auto at = req.query("at");
  auto day = req.query("date");
  if (at && day) return bad("at: give either at or date, not both");
  if (!at && !day) return bad("at: give at (a time) or date (YYYY-MM-DD)");
  const int64_t now = now_ms();
  if (at) {
    std::optional<int64_t> instant = parse_instant(*at);
    if (!instant) return bad("at: a time with a zone, such as 2026-12-06T08:00:00Z");
    return defer_response([this, board = std::move(board), at_ms = *instant, now]() -> Response {
      auto past = store_.board_at(board, at_ms);
      if (!past.ok()) return store_error(past.status());
      if (!past->has_value()) {
        return json_error(404, "not-found",
                          "nothing of board \"" + board + "\" is kept at or before that time");
      }
      json::object body;
      body["board"] = board;
      body["at"] = handler::time_or_null(at_ms);
      body["as_of"] = handler::time_or_null((*past)->as_of_ms);
      json::array items;
      for (const BoardAtEntry& e : (*past)->items) {
        json::object o = item_json(e.item);
        o["rank"] = e.rank;
        o["hot"] = optional_number(e.hot);
        items.push_back(std::move(o));
      }
      body["items"] = std::move(items);
      return cacheable(json::serialize(body), at_ms < now - 3'600'000 ? kLongCache : kShortCache);
    });
  }
  const std::string tz(req.query("tz").value_or(options_.default_tz));
  auto window = day_window(*day, tz);
  if (!window.ok()) return bad(window.error_message());
  auto limit = parse_limit(req, kDefaultDayLimit, kMaxDayLimit);
  if (!limit.ok()) return bad(limit.error_message());
  return defer_response(
      [this, board = std::move(board), w = *window, limit = *limit, now]() -> Response {
        // A day in progress counts time on the board up to now, not to its end.
        auto entries = store_.window_entries(board, w.start_ms,
                                             std::max(w.start_ms, std::min(w.end_ms, now)), limit);
        if (!entries.ok()) return store_error(entries.status());
        json::object body;
        body["board"] = board;
        body["date"] = w.date;
        body["tz"] = w.tz;
        body["from"] = handler::time_or_null(w.start_ms);
        body["to"] = handler::time_or_null(w.end_ms);
        json::array items;
        for (const DayEntry& e : *entries) {
          json::object o = item_json(e.item);
          o["peak_rank"] = e.peak_rank;
          o["day_peak_hot"] = optional_number(e.peak_hot);
          o["day_seconds"] = e.on_board_ms / 1000;
          o["entered"] = handler::time_or_null(e.entered_ms);
          o["left"] = handler::time_or_null(e.left_ms);
          items.push_back(std::move(o));
        }
        body["items"] = std::move(items);
        return cacheable(json::serialize(body), w.end_ms < now ? kLongCache : kShortCache);
      });
}

Response HistoryService::top(const Request& req) const {
  const std::string tz(req.query("tz").value_or(options_.default_tz));
  if (find_zone(tz) == nullptr) {
    return bad("tz: not a known time zone (an IANA name such as Asia/Shanghai or UTC)");
  }
  const int64_t now = now_ms();
  const std::string day(req.query("date").value_or(date_in_zone(now, tz)));
  auto window = day_window(day, tz);
  if (!window.ok()) return bad(window.error_message());
  auto limit = parse_limit(req, kDefaultTopLimit, kMaxTopLimit);
  if (!limit.ok()) return bad(limit.error_message());
  const bool past = window->end_ms < now;
  const std::string_view cache_control = past ? kLongCache : kShortCache;
  TopKey key{window->date, window->tz, *limit};
  {
    std::lock_guard lock(top_mu_);
    auto it = top_cache_.find(key);
    if (it != top_cache_.end() &&
        clock_.mono() - it->second.at < (past ? kTopPastFresh : kTopFresh)) {
      return cacheable(it->second.body, cache_control);
    }
  }
  return defer_response([this, w = *window, key, cache_control, now]() -> Response {
    // Every appearance may matter to a story's score, so the store is asked for plenty; a
    // day in progress counts time on the board up to now.
    constexpr int kEntries = 20'000;
    auto entries = store_.window_entries("", w.start_ms,
                                         std::max(w.start_ms, std::min(w.end_ms, now)), kEntries);
    if (!entries.ok()) return store_error(entries.status());
    json::object body;
    body["date"] = w.date;
    body["tz"] = w.tz;
    body["from"] = handler::time_or_null(w.start_ms);
    body["to"] = handler::time_or_null(w.end_ms);
    body["score"] =
        "story = sum over its boards of rank_points × (1 + log2(1 + hours on the board that "
        "day)), rank_points = max(0, 51 − peak rank) / 50; times (1 + 0.5 × (sites − 1))";
    json::array items;
    for (const TopStory& story : rank_top_stories(*entries, static_cast<size_t>(key.limit))) {
      json::array apps;
      for (const TopAppearance& a : story.appearances) {
        apps.push_back(json::object{{"board", a.entry.item.board},
                                    {"site", a.entry.item.site},
                                    {"key", a.entry.item.key},
                                    {"title", a.entry.item.title},
                                    {"peak_rank", a.entry.peak_rank},
                                    {"day_seconds", a.entry.on_board_ms / 1000},
                                    {"score", std::round(a.score * 1000) / 1000}});
      }
      items.push_back(json::object{{"title", story.title},
                                   {"url", handler::is_http_url(story.url) ? story.url : ""},
                                   {"score", std::round(story.score * 1000) / 1000},
                                   {"site_count", story.site_count},
                                   {"appearances", std::move(apps)}});
    }
    body["items"] = std::move(items);
    std::string text = json::serialize(body);
    {
      std::lock_guard lock(top_mu_);
      if (top_cache_.size() >= kTopCacheEntries) {
        auto oldest = std::min_element(
            top_cache_.begin(), top_cache_.end(),
            [](const auto& a, const auto& b) { return a.second.at < b.second.at; });
        top_cache_.erase(oldest);
      }
      top_cache_[key] = TopEntry{text, clock_.mono()};
    }
    return cacheable(std::move(text), cache_control);
  });
}

}  // namespace mu
