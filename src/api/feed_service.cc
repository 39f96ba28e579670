#include "api/feed_service.h"

#include <re2/re2.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <unordered_set>

#include "api/handler_util.h"
#include "core/search_text.h"
#include "http/util.h"

namespace mu {
namespace {

constexpr int64_t kMaxMaxAge = 300;

size_t format_index(FeedFormat f) { return static_cast<size_t>(f); }

// The text the patterns see: the title, and the summary on a line of its own.
std::string match_text(const FeedEntry& e) {
  if (e.summary.empty()) return e.title;
  return e.title + "\n" + e.summary;
}

Result<std::shared_ptr<const re2::RE2>> compile(std::string_view name, std::string_view pattern) {
  if (pattern.size() > FeedService::kMaxPatternBytes) {
    return Status(ErrorCode::kInvalid, std::string(name) + ": longer than " +
                                           std::to_string(FeedService::kMaxPatternBytes) +
                                           " bytes");
  }
  re2::RE2::Options options;
  options.set_max_mem(FeedService::kPatternMaxMem);
  options.set_log_errors(false);
  auto re =
      std::make_shared<const re2::RE2>(re2::StringPiece(pattern.data(), pattern.size()), options);
  if (!re->ok()) {
    return Status(ErrorCode::kInvalid,
                  std::string(name) + ": not a valid RE2 pattern (" + re->error() + ")");
  }
  return std::shared_ptr<const re2::RE2>(std::move(re));
}

bool matches(const re2::RE2& re, const std::string& text) {
  return re2::RE2::PartialMatch(text, re);
}

// The names a reader sees: Chinese for Chinese sites, English otherwise, the other one when
// the preferred one is missing.
bool chinese(const Site& site) { return site.region == "cn"; }
const std::string& pick(bool zh, const std::string& name_zh, const std::string& name_en) {
  if (zh) return name_zh.empty() ? name_en : name_zh;
  return name_en.empty() ? name_zh : name_en;
}
std::string language(const Site& site) { return chinese(site) ? "zh-CN" : "en"; }

std::string every_text(const BoardMeta& meta) {
  if (!meta.schedule.cron.empty()) return "on the schedule " + meta.schedule.cron;
  const int64_t s = meta.schedule.every.count();
  if (s % 3600 == 0) return "every " + std::to_string(s / 3600) + " h";
  if (s % 60 == 0) return "every " + std::to_string(s / 60) + " min";
  return "every " + std::to_string(s) + " s";
}

int ttl_minutes(const std::vector<const BoardMeta*>& boards) {
  int64_t best = 0;
  for (const BoardMeta* m : boards) {
    if (!m->schedule.cron.empty()) continue;
    const int64_t minutes = std::max<int64_t>(1, m->schedule.every.count() / 60);
    best = best == 0 ? minutes : std::min(best, minutes);
  }
  return static_cast<int>(best);
}

FeedEntry entry_of(const std::string& board, const RankedItem& r) {
  const Item& it = r.item;
  FeedEntry e;
  e.id = feed_entry_id("board/" + board, it.key);
  e.title = it.title;
  e.url = handler::is_http_url(it.url)          ? it.url
          : handler::is_http_url(it.mobile_url) ? it.mobile_url
                                                : std::string();
  e.summary = it.summary;
  e.author = it.author;
  e.published_ms = r.first_seen_ms;
  return e;
}

std::string strong_etag(std::string_view body) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(fnv1a64(body)));
  return std::string("\"f") + buf + "\"";
}

Response feed_response(FeedFormat format, const RenderedBody& body,
                       std::string_view cache_control) {
  Response r;
  r.status = 200;
  r.set_header("Content-Type", feed_content_type(format));
  r.set_header("Cache-Control", cache_control);
  r.body = body.json;
  r.gzip_body = body.gzip;
  r.etag = body.etag;
  return r;
}

// "weibo.hot-search.rss" -> ("weibo.hot-search", kRss); nullopt format for an unknown
// extension.
std::pair<std::string, std::optional<FeedFormat>> split_file(std::string_view file) {
  const size_t dot = file.rfind('.');
  if (dot == std::string_view::npos) return {std::string(file), std::nullopt};
  return {std::string(file.substr(0, dot)), parse_feed_format(file.substr(dot + 1))};
}

Response no_format(std::string_view file) {
  return handler::err(
      404, "not-found",
      "no feed \"" + std::string(file) + "\" (the feeds end in .rss, .atom or .json)");
}

// Keeps the entries the query's patterns let through, at most its limit (or `fallback`).
std::vector<FeedEntry> apply_query(std::vector<FeedEntry> entries, const FeedQuery& query,
                                   size_t fallback) {
  std::vector<FeedEntry> kept;
  const size_t limit = query.limit.value_or(fallback);
  for (FeedEntry& e : entries) {
    if (kept.size() == limit) break;
    if (query.filter || query.filterout) {
      const std::string text = match_text(e);
      if (query.filter && !matches(*query.filter, text)) continue;
      if (query.filterout && matches(*query.filterout, text)) continue;
    }
    kept.push_back(std::move(e));
  }
  return kept;
}

}  // namespace

Result<FeedQuery> parse_feed_query(const Request& req) {
  FeedQuery q;
  q.raw = req.query_string;
  for (const auto& [name, value] : req.query_params) {
    if (name == "limit") {
      std::optional<int64_t> n =
          handler::parse_int(value, 1, static_cast<int64_t>(FeedService::kMaxItems));
      if (!n) {
        return Status(ErrorCode::kInvalid,
                      "limit: a whole number from 1 to " + std::to_string(FeedService::kMaxItems));
      }
      q.limit = static_cast<size_t>(*n);
    } else if (name == "filter" || name == "filterout") {
      if (value.empty()) continue;
      MU_ASSIGN_OR_RETURN(auto re, compile(name, value));
      (name == "filter" ? q.filter : q.filterout) = std::move(re);
    }
    // Other parameters (cache busters, a reader's own tags) are ignored.
  }
  return q;
}

std::string feed_cache_control(const std::vector<const BoardMeta*>& boards) {
  int64_t max_age = kMaxMaxAge;
  for (const BoardMeta* m : boards) max_age = std::min(max_age, schedule_max_age_s(*m));
  return "public, max-age=" + std::to_string(max_age) + ", stale-while-revalidate=60";
}

FeedService::FeedService(std::vector<Site> sites, std::vector<BoardMeta> boards,
                         const BoardCache& cache, FeedServiceOptions options)
    : clock_(options.clock != nullptr ? *options.clock : system_clock_),
      cache_(cache),
      options_(std::move(options)),
      boards_(std::move(boards)) {
  while (!options_.public_url.empty() && options_.public_url.back() == '/') {
    options_.public_url.pop_back();
  }
  for (Site& s : sites) {
    site_slots_.emplace(s.id, std::make_unique<Slot>());
    site_boards_[s.id];
    sites_.emplace(s.id, std::move(s));
  }
  for (const BoardMeta& b : boards_) {
    board_meta_.emplace(b.id, &b);
    board_slots_.emplace(b.id, std::make_unique<Slot>());
    auto it = site_boards_.find(b.site);
    if (it != site_boards_.end()) it->second.push_back(b.id);
  }
}

void FeedService::register_routes(Router& router) {
  router.add(HttpMethod::kGet, "/feeds/boards/{file}",
             [this](const Request& req) { return board_feed(req); });
  router.add(HttpMethod::kGet, "/feeds/sites/{file}",
             [this](const Request& req) { return site_feed(req); });
  if (options_.history == nullptr) return;
  router.add(HttpMethod::kGet, "/feeds/search.rss",
             [this](const Request& req) { return search_feed(req, FeedFormat::kRss); });
  router.add(HttpMethod::kGet, "/feeds/search.atom",
             [this](const Request& req) { return search_feed(req, FeedFormat::kAtom); });
  router.add(HttpMethod::kGet, "/feeds/search.json",
             [this](const Request& req) { return search_feed(req, FeedFormat::kJson); });
}

std::string FeedService::self_url(std::string_view kind, std::string_view id,
                                  FeedFormat format) const {
  std::string out = options_.public_url;
  out += "/feeds/";
  out += kind;
  out += '/';
  out += id;
  out += '.';
  out += feed_format_name(format);
  return out;
}

FeedService::Source FeedService::board_source(const BoardContent& c, FeedFormat format) const {
  const bool zh = chinese(c.site);
  const std::string& board_name = pick(zh, c.meta.name_zh, c.meta.name_en);
  const std::string& site_name = pick(zh, c.site.name_zh, c.site.name_en);
  Source s;
  s.channel.id = feed_entry_id("board", c.meta.id);
  s.channel.title = site_name + " · " + board_name;
  s.channel.description = site_name + " " + board_name + ": the list as Mu fetched it, " +
                          every_text(c.meta) + " (items in rank order)";
  s.channel.home_url = handler::is_http_url(c.meta.homepage) ? c.meta.homepage : c.site.home;
  s.channel.self_url = self_url("boards", c.meta.id, format);
  s.channel.language = language(c.site);
  s.channel.updated_ms = c.state.fetched_at_ms;
  s.channel.ttl_minutes = ttl_minutes({&c.meta});
  s.cache_control = feed_cache_control({&c.meta});
  const size_t n = std::min(c.items.size(), kMaxItems);
  s.entries.reserve(n);
  for (size_t i = 0; i < n; ++i) s.entries.push_back(entry_of(c.meta.id, c.items[i]));
  return s;
}

FeedService::Source FeedService::site_source(
    const Site& site, const std::vector<std::shared_ptr<const BoardContent>>& contents,
    FeedFormat format) const {
  const bool zh = chinese(site);
  const std::string& site_name = pick(zh, site.name_zh, site.name_en);
  Source s;
  s.channel.id = feed_entry_id("site", site.id);
  s.channel.title = site_name;
  s.channel.description = site_name + ": every list of the site as Mu fetched it, newest first";
  s.channel.home_url = site.home;
  s.channel.self_url = self_url("sites", site.id, format);
  s.channel.language = language(site);
  std::vector<const BoardMeta*> metas;
  struct Candidate {
    FeedEntry entry;
    size_t board = 0;  // position in the site's boards
    int rank = 0;
  };
  std::vector<Candidate> all;
  for (size_t b = 0; b < contents.size(); ++b) {
    const BoardContent& c = *contents[b];
    metas.push_back(&c.meta);
    s.channel.updated_ms = std::max(s.channel.updated_ms, c.state.fetched_at_ms);
    const std::string& board_name = pick(zh, c.meta.name_zh, c.meta.name_en);
    for (const RankedItem& r : c.items) {
      Candidate cand{entry_of(c.meta.id, r), b, r.rank};
      cand.entry.category = board_name;
      all.push_back(std::move(cand));
    }
  }
  // Newest first seen first; ties in the site's board order, then by rank.
  std::stable_sort(all.begin(), all.end(), [](const Candidate& a, const Candidate& b) {
    if (a.entry.published_ms != b.entry.published_ms) {
      return a.entry.published_ms > b.entry.published_ms;
    }
    if (a.board != b.board) return a.board < b.board;
    return a.rank < b.rank;
  });
  // A story on two boards of the site is listed once (its first place above).
  std::unordered_set<std::string> seen;
  for (Candidate& c : all) {
    if (s.entries.size() == kMaxItems) break;
    if (!c.entry.url.empty() && !seen.insert(c.entry.url).second) continue;
    s.entries.push_back(std::move(c.entry));
  }
  s.channel.ttl_minutes = ttl_minutes(metas);
  s.cache_control = feed_cache_control(metas);
  return s;
}

Response FeedService::serve(Slot& slot, FeedFormat format,
                            const std::vector<std::shared_ptr<const BoardContent>>& contents,
                            const FeedQuery& query, const std::function<Source()>& build) const {
  const size_t f = format_index(format);
  if (query.plain()) {
    std::shared_ptr<const RenderedBody> body;
    std::string cache_control;
    {
      std::lock_guard lock(slot.mu);
      if (slot.body[f] && slot.from[f] == contents) body = slot.body[f];
    }
    if (body) {
      // The Cache-Control is cheap to derive again; the body is what costs.
      std::vector<const BoardMeta*> metas;
      metas.reserve(contents.size());
      for (const auto& c : contents) metas.push_back(&c->meta);
      return feed_response(format, *body, feed_cache_control(metas));
    }
    Source source = build();
    auto text = render_feed(format, source.channel, source.entries);
    if (!text.ok()) return handler::internal("feeds", "render", text.status());
    body = std::make_shared<const RenderedBody>(make_rendered(std::move(text).value()));
    {
      std::lock_guard lock(slot.mu);
      slot.from[f] = contents;
      slot.body[f] = body;
    }
    return feed_response(format, *body, source.cache_control);
  }
  Source source = build();
  source.channel.self_url += "?" + query.raw;
  std::vector<FeedEntry> kept = apply_query(std::move(source.entries), query, kMaxItems);
  auto text = render_feed(format, source.channel, kept);
  if (!text.ok()) return handler::internal("feeds", "render", text.status());
  RenderedBody body;
  body.etag = strong_etag(*text);
  body.json = std::make_shared<const std::string>(std::move(text).value());
  // No gzip here: the server compresses a variant on the fly when the client accepts it.
  return feed_response(format, body, source.cache_control);
}

Response FeedService::board_feed(const Request& req) const {
  const std::string_view file = req.param("file");
  auto [id, format] = split_file(file);
  auto slot = board_slots_.find(id);
  if (slot == board_slots_.end() || !cache_.known(id)) {
    if (!format) return no_format(file);
    return handler::err(404, "not-found", "no board \"" + id + "\"");
  }
  if (!format) return no_format(file);
  auto query = parse_feed_query(req);
  if (!query.ok()) return handler::err(400, "invalid", query.error_message());
  std::shared_ptr<const BoardContent> content = cache_.content(id);
  if (!content) {
    return handler::err(503, "unavailable", "not rendered yet; try again shortly");
  }
  const FeedFormat f = *format;
  return serve(*slot->second, f, {content}, *query, [&] { return board_source(*content, f); });
}

Response FeedService::site_feed(const Request& req) const {
  const std::string_view file = req.param("file");
  auto [id, format] = split_file(file);
  auto site = sites_.find(id);
  if (site == sites_.end()) {
    if (!format) return no_format(file);
    return handler::err(404, "not-found", "no site \"" + id + "\"");
  }
  if (!format) return no_format(file);
  auto query = parse_feed_query(req);
  if (!query.ok()) return handler::err(400, "invalid", query.error_message());
  std::vector<std::shared_ptr<const BoardContent>> contents;
  for (const std::string& board : site_boards_.at(id)) {
    if (auto c = cache_.content(board)) contents.push_back(std::move(c));
  }
  if (contents.empty() && !site_boards_.at(id).empty()) {
    return handler::err(503, "unavailable", "not rendered yet; try again shortly");
  }
  const FeedFormat f = *format;
  return serve(*site_slots_.at(id), f, contents, *query,
               [&] { return site_source(site->second, contents, f); });
}

FeedService::Source FeedService::search_source(const SearchResult& result, const std::string& q,
                                               const std::string& norm,
                                               const std::string& self) const {
  Source s;
  s.channel.title = "Mu · " + q;
  s.channel.description = "Items whose title or summary matches \"" + q + "\", newest seen first";
  s.channel.id = "tag:mu,2026:search?" + norm;
  s.channel.self_url = self;
  s.channel.home_url = options_.public_url + "/";
  s.cache_control = "public, max-age=" + std::to_string(kSearchFresh.count());
  for (const HistoryItem& hit : result.hits) {
    FeedEntry e;
    e.id = feed_entry_id("board/" + hit.board, hit.key);
    e.title = hit.title;
    e.url = handler::is_http_url(hit.url) ? hit.url : std::string();
    e.summary = hit.summary;
    e.published_ms = hit.first_seen_ms;
    if (auto meta = board_meta_.find(hit.board); meta != board_meta_.end()) {
      auto site = sites_.find(meta->second->site);
      const bool zh = site != sites_.end() && chinese(site->second);
      e.category = pick(zh, meta->second->name_zh, meta->second->name_en);
      if (site != sites_.end()) {
        e.category = pick(zh, site->second.name_zh, site->second.name_en) + " · " + e.category;
      }
    }
    s.channel.updated_ms = std::max(s.channel.updated_ms, hit.last_seen_ms);
    s.entries.push_back(std::move(e));
  }
  return s;
}

std::shared_ptr<const RenderedBody> FeedService::cached_search(const std::string& key) const {
  std::lock_guard lock(search_mu_);
  auto it = search_cache_.find(key);
  if (it == search_cache_.end()) return nullptr;
  if (clock_.mono() - it->second.at >= kSearchFresh) {
    search_cache_.erase(it);
    return nullptr;
  }
  return it->second.body;
}

void FeedService::keep_search(const std::string& key,
                              std::shared_ptr<const RenderedBody> body) const {
  std::lock_guard lock(search_mu_);
  const MonoTime now = clock_.mono();
  if (search_cache_.size() >= kSearchCacheEntries) {
    std::erase_if(search_cache_,
                  [&](const auto& kv) { return now - kv.second.at >= kSearchFresh; });
  }
  if (search_cache_.size() >= kSearchCacheEntries) search_cache_.erase(search_cache_.begin());
  search_cache_[key] = SearchEntry{std::move(body), now};
}

Response FeedService::search_feed(const Request& req, FeedFormat format) const {
  const std::string q(req.query("q").value_or(""));
  auto parsed = search::parse_query(q);
  if (!parsed.ok()) return handler::err(400, "invalid", parsed.error_message());
  SearchRequest request;
  request.query = std::move(*parsed);
  request.order = SearchOrder::kNewest;
  request.facets = false;
  // What the answer depends on, in one order: the cache key and the feed's id.
  std::string norm = "q=" + http_percent_encode(q);
  if (auto board = req.query("board"); board && !board->empty()) {
    if (!board_meta_.contains(std::string(*board))) {
      return handler::err(400, "invalid", "board: no board \"" + std::string(*board) + "\"");
    }
    request.board = std::string(*board);
    norm += "&board=" + http_percent_encode(request.board);
  }
  if (auto site = req.query("site"); site && !site->empty()) {
    if (!sites_.contains(std::string(*site))) {
      return handler::err(400, "invalid", "site: no site \"" + std::string(*site) + "\"");
    }
    request.site = std::string(*site);
    norm += "&site=" + http_percent_encode(request.site);
  }
  auto query = parse_feed_query(req);
  if (!query.ok()) return handler::err(400, "invalid", query.error_message());
  const bool filtered = query->filter || query->filterout;
  // With patterns the store is asked for every match it may give, and the limit applies
  // after them, as on the board feeds.
  request.limit =
      static_cast<int>(filtered ? kMaxItems : query->limit.value_or(kDefaultSearchItems));
  if (query->limit) norm += "&limit=" + std::to_string(*query->limit);
  // A cached answer names its normalized query; a variant the query as sent.
  const std::string self = options_.public_url + "/feeds/search." +
                           std::string(feed_format_name(format)) + "?" +
                           (filtered ? req.query_string : norm);
  const std::string key =
      filtered ? std::string() : std::string(feed_format_name(format)) + "?" + norm;
  if (!filtered) {
    if (auto body = cached_search(key)) {
      return feed_response(format, *body,
                           "public, max-age=" + std::to_string(kSearchFresh.count()));
    }
  }
  HistoryStore& store = *options_.history;
  return defer_response([this, &store, request = std::move(request), q, norm, self, key, format,
                         query = std::move(query).value()]() -> Response {
    auto result = store.search(request);
    if (!result.ok()) {
      if (result.code() == ErrorCode::kUnavailable) {
        return handler::err(503, "unavailable", "history is not reachable right now; try again");
      }
      return handler::internal("feeds", "search", result.status());
    }
    Source source = search_source(*result, q, norm, self);
    std::vector<FeedEntry> kept =
        apply_query(std::move(source.entries), query, query.limit.value_or(kDefaultSearchItems));
    auto text = render_feed(format, source.channel, kept);
    if (!text.ok()) return handler::internal("feeds", "render", text.status());
    auto body = std::make_shared<const RenderedBody>(make_rendered(std::move(text).value()));
    if (!key.empty()) keep_search(key, body);
    return feed_response(format, *body, source.cache_control);
  });
}

}  // namespace mu
