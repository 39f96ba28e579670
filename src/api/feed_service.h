// FeedService: boards and sites as feeds for feed readers (docs/api.md, "Feeds"):
//   GET /feeds/boards/{id}.{rss,atom,json}    one board's current items, in rank order
//   GET /feeds/sites/{site}.{rss,atom,json}   the site's boards merged, newest first seen first
//   GET /feeds/search.{rss,atom,json}?q=      the history search's newest matches (when a
//                                             HistoryStore is given)
// RSS 2.0 and Atom 1.0 come from libxml2's writer, JSON Feed 1.1 from Boost.JSON
// (api/feed_writer.h). The items are those the BoardCache rendered the board's JSON from;
// the full feed of a (board or site, format) is rendered at the first request after the
// board changed and then served from memory with its gzip and ETag, like the board JSON.
// `limit=`, `filter=` and `filterout=` (RE2 over title and summary, at most
// kMaxPatternBytes, compiled within kPatternMaxMem) render a variant per request, bounded by
// kMaxItems items. Cache-Control follows the board's schedule (feed_cache_control). A search
// feed runs the store's search on the server's blocking pool (defer_response) and is kept
// kSearchFresh per (query, board, site, limit, format), at most kSearchCacheEntries of them.
//
// Thread-safety: register_routes() before serving; handlers are safe from any thread. The
// board and site feeds never touch the store; the search feeds read it on the blocking pool.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "api/board_cache.h"
#include "api/feed_writer.h"
#include "core/clock.h"
#include "core/status.h"
#include "core/types.h"
#include "http/router.h"
#include "pipeline/render.h"
#include "store/history.h"

namespace re2 {
class RE2;
}

namespace mu {

struct FeedServiceOptions {
  // This site's origin as readers see it ("https://mu.example"): the feeds' self links.
  std::string public_url = "http://localhost:8080";
  // The search feeds' store; nullptr: no /feeds/search.* routes.
  HistoryStore* history = nullptr;
  const Clock* clock = nullptr;  // nullptr: the system clock
};

// The query of a feed route. kInvalid names the bad parameter.
struct FeedQuery {
  std::optional<size_t> limit;
  std::shared_ptr<const re2::RE2> filter;     // keep items whose title or summary matches
  std::shared_ptr<const re2::RE2> filterout;  // drop items whose title or summary matches
  std::string raw;  // the request's query string as sent: a variant's self link carries it
  bool plain() const { return !limit && !filter && !filterout; }
};
Result<FeedQuery> parse_feed_query(const Request& req);

// "public, max-age=N, stale-while-revalidate=60": N is a quarter of the shortest interval
// among `boards`, within [15 s, 300 s]; 60 s when one of them runs on a cron schedule.
std::string feed_cache_control(const std::vector<const BoardMeta*>& boards);

class FeedService {
 public:
  static constexpr size_t kMaxItems = 100;
  static constexpr size_t kMaxPatternBytes = 256;
  static constexpr int64_t kPatternMaxMem = int64_t{1} << 20;
  static constexpr size_t kDefaultSearchItems = 50;
  static constexpr std::chrono::seconds kSearchFresh{60};
  static constexpr size_t kSearchCacheEntries = 256;

  FeedService(std::vector<Site> sites, std::vector<BoardMeta> boards, const BoardCache& cache,
              FeedServiceOptions options = {});
  FeedService(const FeedService&) = delete;
  FeedService& operator=(const FeedService&) = delete;

  void register_routes(Router& router);

  Response board_feed(const Request& req) const;
  Response site_feed(const Request& req) const;
  Response search_feed(const Request& req, FeedFormat format) const;

 private:
  // The rendered full feeds of one board or site, per format, with the contents they were
  // rendered from (pointer identity: a new BoardCache render makes them stale).
  struct Slot {
    std::mutex mu;
    std::array<std::vector<std::shared_ptr<const BoardContent>>, 3> from;  // by mu
    std::array<std::shared_ptr<const RenderedBody>, 3> body;               // by mu
  };
  struct Source {
    FeedChannel channel;
    std::vector<FeedEntry> entries;  // at most kMaxItems, in feed order
    std::string cache_control;
  };

  Source board_source(const BoardContent& content, FeedFormat format) const;
  Source site_source(const Site& site,
                     const std::vector<std::shared_ptr<const BoardContent>>& contents,
                     FeedFormat format) const;
  Response serve(Slot& slot, FeedFormat format,
                 const std::vector<std::shared_ptr<const BoardContent>>& contents,
                 const FeedQuery& query, const std::function<Source()>& build) const;
  std::string self_url(std::string_view kind, std::string_view id, FeedFormat format) const;
  // `norm`: the search's parameters in one order ("q=…&board=…&site=…&limit=…").
  Source search_source(const SearchResult& result, const std::string& q, const std::string& norm,
                       const std::string& self) const;
  std::shared_ptr<const RenderedBody> cached_search(const std::string& key) const;
  void keep_search(const std::string& key, std::shared_ptr<const RenderedBody> body) const;

  struct SearchEntry {
    std::shared_ptr<const RenderedBody> body;
    MonoTime at{};
  };

  SystemClock system_clock_;
  const Clock& clock_;
  const BoardCache& cache_;
  FeedServiceOptions options_;
  std::unordered_map<std::string, Site> sites_;
  std::unordered_map<std::string, std::vector<std::string>> site_boards_;  // in catalogue order
  std::unordered_map<std::string, std::unique_ptr<Slot>> board_slots_;
  std::unordered_map<std::string, std::unique_ptr<Slot>> site_slots_;
  std::unordered_map<std::string, const BoardMeta*> board_meta_;  // into boards_
  std::vector<BoardMeta> boards_;
  mutable std::mutex search_mu_;
  mutable std::map<std::string, SearchEntry> search_cache_;  // by search_mu_
};

}  // namespace mu
