// Source health: what GET /api/v1/health/boards says about each board — when its data was
// last good, how old it is against its interval, how its newest runs went, and the class of
// its last failure with a plain-language hint (blocked, needs-cookie, rate-limited, gone,
// site-error, parse, timeout, network, ...). Pure functions over BoardCache::health().
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "api/board_cache.h"
#include "store/store.h"

namespace mu {

// The class of a failed run and what an operator can do about it.
struct FailureClass {
  std::string_view id;    // "blocked", "needs-cookie", "rate-limited", "gone", ...
  std::string_view hint;  // one English sentence
};

// From the run's error code name (core/status.h) and message ("HTTP 429 from ..."), and
// whether the board's source says it needs a cookie.
FailureClass classify_failure(std::string_view code, std::string_view message, bool needs_cookie);

// A board's standing: "ok", "failing" (its last run failed but its data is within three
// intervals), "stale" (data older than three intervals, or failing with no data), "disabled",
// "never" (not fetched yet).
std::string_view board_standing(const BoardHealth& b, int64_t now_ms);

// How a board's runs went over the last week, from BoardStore::run_tallies: kTrendBuckets
// buckets of kTrendBucketMs, the last one the current (partial) bucket.
inline constexpr int64_t kTrendBucketMs = int64_t{6} * 3600 * 1000;
inline constexpr int kTrendBuckets = 28;  // a week
inline constexpr int kDayBuckets = 4;     // "the last 24 hours": the newest four buckets
struct RunCounts {
  int64_t runs = 0;
  int64_t ok = 0;
};
struct RunTrend {
  RunCounts day;                   // the newest kDayBuckets buckets
  RunCounts week;                  // every bucket
  std::vector<RunCounts> buckets;  // kTrendBuckets, oldest first
};
struct RunTrends {
  int64_t since_ms = 0;  // the start of the oldest bucket
  std::map<std::string, RunTrend, std::less<>> boards;
};
// Where the oldest bucket of the trend at `now_ms` starts (whole buckets since the epoch).
int64_t trend_since(int64_t now_ms);
// The trends from the tallies of run_tallies(trend_since(now), kTrendBucketMs); tallies
// outside the kTrendBuckets buckets are ignored.
RunTrends run_trends(int64_t since_ms, const std::vector<RunTally>& tallies);

// The JSON body of GET /api/v1/health/boards; `trends` may be null (not read yet, or the
// store is down): the fields then say null.
std::string render_health(const std::vector<BoardHealth>& boards, const RunTrends* trends,
                          int64_t now_ms);

}  // namespace mu
