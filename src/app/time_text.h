// Reading and printing times on the command line (`mu cron next`). Pure functions; safe for
// concurrent use.
#pragma once

#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/status.h"

namespace date {
class time_zone;
}

namespace mu {

// "2026-03-08T01:00:00Z", "2026-03-08T09:00:00+08:00", "2026-03-08 09:00" (local time in
// `zone`; seconds optional). kInvalid naming the text otherwise.
Result<WallTime> parse_cli_time(std::string_view text, const date::time_zone* zone);

// "2026-03-08T07:00:00Z"
std::string format_utc(WallTime t);
// "2026-03-08 03:00:00 EDT (America/New_York)"
std::string format_local(WallTime t, const date::time_zone* zone);

}  // namespace mu
