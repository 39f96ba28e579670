// Source health: what GET /api/v1/health/boards says about each board — when its data was
// last good, how old it is against its interval, how its newest runs went, and the class of
// its last failure with a plain-language hint (blocked, needs-cookie, rate-limited, gone,
// site-error, parse, timeout, network, ...). Pure functions over BoardCache::health().
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "api/board_cache.h"

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

// The JSON body of GET /api/v1/health/boards.
std::string render_health(const std::vector<BoardHealth>& boards, int64_t now_ms);

}  // namespace mu
