// Timestamps as feeds and web APIs print them, for declarative sources. Pure functions;
// safe for concurrent use.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace mu {

// Parses a date-time into Unix milliseconds. Accepted forms:
//   RFC 822 / 1123 / 850: "Wed, 03 Jan 2018 13:47:00 GMT", "3 Jan 18 13:47 +0100",
//     "Sunday, 06-Nov-94 08:49:37 GMT"; day and month names in English, Portuguese,
//     Spanish, French, German and Italian ("Seg, 24 Set 2018 19:42:40 -0300"); zones as
//     +hhmm, +hh:mm, GMT/UT/UTC/Z, the US zone names and a few others;
//   ISO 8601 and near forms: "2026-01-01T08:00:00Z", "2026-01-01T08:00:00.123+08:00",
//     "2018-09-18 14:38:10", "2018/09/18 14:38", "2026-01-01".
// A time without a zone is read at `default_offset_minutes` east of UTC (0: UTC). nullopt
// when `s` is not such a date or a field is out of range.
std::optional<int64_t> parse_date_ms(std::string_view s, int default_offset_minutes = 0);

// "+08:00", "+0800", "-03", "Z", "UTC" -> minutes east of UTC; nullopt otherwise.
std::optional<int> parse_utc_offset(std::string_view s);

}  // namespace mu
