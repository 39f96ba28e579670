// Relative and partial timestamps as Chinese and English sites print them ("刚刚",
// "3分钟前", "昨天 12:30", "12-25 08:30", "an hour ago", "yesterday"), turned into Unix
// milliseconds against an injected Clock so tests can pin "now". Pure functions; safe for
// concurrent use (the clock is only read).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "core/clock.h"

namespace mu {

// The fixed UTC offset, in minutes, of a zone name the parser understands:
//   "Asia/Shanghai" and its aliases ("Asia/Chongqing", "Asia/Harbin", "Asia/Hong_Kong",
//   "Asia/Macau", "Asia/Taipei", "PRC", "CST") -> +480 (UTC+8, no daylight saving),
//   "UTC", "Etc/UTC", "GMT", "Z" -> 0, and explicit offsets "+08:00", "-0530", "UTC+8".
// nullopt for anything else (zones with daylight saving are not supported).
std::optional<int> zone_offset_minutes(std::string_view tz);

// Parses `text` into Unix milliseconds, reading "now" from `clock`. Wall-clock forms without
// a zone are read in `tz` (see zone_offset_minutes; default Asia/Shanghai, UTC+8).
// Understood forms (surrounding and inner whitespace is free):
//   now           "刚刚", "刚才", "just now", "now", "moments ago", "seconds ago"
//   ago           "30秒前", "3分钟前", "3 分前", "2小时前", "半小时前", "两个小时前", "3天前",
//                 "2周前", "1个月前", "1年前"; "3 minutes ago", "an hour ago", "a day ago",
//                 "2 weeks ago", "5 mins ago", "3h ago", "1 year ago"
//                 (a month counts 30 days, a year 365 days)
//   named day     "今天 08:30", "昨天 12:30", "前天 08:00", "yesterday 12:30",
//                 "yesterday at 12:30", "today at 08:00" (local wall time that day);
//                 a bare "昨天" / "yesterday" is now minus 24 hours, "前天" minus 48
//   month-day     "12-25 08:30", "12-25", "12月25日 08:30", "12月25日": the most recent such
//                 date not after tomorrow (so on Jan 1, "12-25" is last December)
//   full date     "2025-12-25 08:30", "2025-12-25 08:30:15", "2025/12/25 08:30",
//                 "2025年12月25日 08:30", "2025-12-25" (midnight)
//   time of day   "08:30", "08:30:15": today, or yesterday when that is more than 10
//                 minutes in the future
// nullopt for anything else, for impossible dates or times ("02-30", "25:00"), unknown
// zones and numbers too large to mean anything (over 1,000,000 units).
std::optional<int64_t> parse_relative_time_ms(std::string_view text, const Clock& clock,
                                              std::string_view tz = "Asia/Shanghai");

}  // namespace mu
