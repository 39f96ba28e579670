// HistoryService: the routes over everything Mu has kept (store/history.h):
//   GET /api/v1/search                 full-text search with highlights, facets, cursors
//   GET /api/v1/items/{board}/{key}    one item's timeline and the same story elsewhere
//   GET /api/v1/boards/{id}/history    the board at an instant (?at=) or over a day (?date=)
//   GET /api/v1/top                    the day's top stories across sites (榜中榜)
// Parameters are checked on the io thread (a 400 names the bad one); the store work runs on
// the server's blocking pool (defer_response). Answers carry an ETag (304 on a match) and a
// Cache-Control that is longer for the past than for the present. The day's top is kept for
// a short while per (date, zone, limit) since every board contributes to it.
//
// Thread-safety: register_routes() before serving; handlers are safe from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "core/clock.h"
#include "core/status.h"
#include "core/types.h"
#include "http/router.h"
#include "store/history.h"

namespace mu {

// A day in a time zone as a window of UTC milliseconds [start, end).
struct DayWindow {
  std::string date;  // "2026-12-06"
  std::string tz;    // "Asia/Shanghai"
  int64_t start_ms = 0;
  int64_t end_ms = 0;
};

// "2026-12-06T08:30:00Z", "2026-12-06T16:30:00.250+08:00" (seconds and fraction optional)
// -> unix ms; nullopt for anything else (no time zone designator, out-of-range fields).
std::optional<int64_t> parse_instant(std::string_view text);
// "YYYY-MM-DD" in `tz` (an IANA zone name) -> its window; kInvalid naming `date` or `tz`.
// The window is 23 or 25 hours on the days daylight saving time changes.
Result<DayWindow> day_window(std::string_view date, std::string_view tz);
// The date of the instant `unix_ms` in `tz` (which must be valid).
std::string date_in_zone(int64_t unix_ms, std::string_view tz);

// One story of the day's top: appearances of the same story (same title key or URL key)
// on boards of kind rank, and its score:
//   appearance = rank_points × (1 + log2(1 + hours)),
//     rank_points = max(0, 51 − peak_rank) / 50  (rank 1 → 1, rank 50 → 0.02),
//     hours = time on the board that day in hours (≤ 24);
//   story = (sum of its appearances, the best one per board) × (1 + 0.5 × (sites − 1)).
struct TopAppearance {
  DayEntry entry;
  double score = 0;
};
struct TopStory {
  std::string title;  // of its best appearance
  std::string url;
  double score = 0;
  int site_count = 0;
  std::vector<TopAppearance> appearances;  // best first
};
// Scores and groups the day's entries; the best `limit` stories, best first.
std::vector<TopStory> rank_top_stories(const std::vector<DayEntry>& entries, size_t limit);

struct HistoryServiceOptions {
  const Clock* clock = nullptr;              // nullptr: the system clock
  std::string default_tz = "Asia/Shanghai";  // ?tz= when absent
};

class HistoryService {
 public:
  static constexpr int kDefaultSearchLimit = 20;
  static constexpr int kMaxSearchLimit = 100;
  static constexpr int kDefaultDayLimit = 100;
  static constexpr int kMaxDayLimit = 500;
  static constexpr int kDefaultTopLimit = 50;
  static constexpr int kMaxTopLimit = 200;
  static constexpr int kRelatedLimit = 20;
  static constexpr size_t kMaxKeyBytes = 1024;

  HistoryService(std::vector<Site> sites, std::vector<BoardMeta> boards, HistoryStore& store,
                 HistoryServiceOptions options = {});

  void register_routes(Router& router);

  Response search(const Request& req) const;
  Response item(const Request& req) const;
  Response board_history(const Request& req) const;
  Response top(const Request& req) const;

 private:
  struct TopKey {
    std::string date, tz;
    int limit = 0;
    bool operator<(const TopKey& o) const {
      return std::tie(date, tz, limit) < std::tie(o.date, o.tz, o.limit);
    }
  };
  struct TopEntry {
    std::string body;
    MonoTime at{};
  };

  int64_t now_ms() const;

  SystemClock system_clock_;
  const Clock& clock_;
  HistoryStore& store_;
  HistoryServiceOptions options_;
  std::unordered_map<std::string, std::string> site_of_board_;  // board id -> site id
  std::unordered_map<std::string, bool> sites_;
  mutable std::mutex top_mu_;
  mutable std::map<TopKey, TopEntry> top_cache_;  // by top_mu_
};

}  // namespace mu
