// Text helpers shared by the site parsers: whitespace clean-up that knows the Unicode
// spaces Chinese and English sites use (U+3000, NBSP, ...), UTF-8 repair and truncation,
// popularity numbers as sites print them ("2123万", "1.2亿", "12,345 stars today", "3.5k")
// and timestamps. Pure functions on values; safe for concurrent use.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/encoding.h"  // ascii_lower

namespace mu {

// Removes leading and trailing whitespace: ASCII space/tab/CR/LF/FF/VT, NBSP (U+00A0),
// the ideographic space U+3000, U+2000..U+200B, U+202F, U+205F, U+2028/U+2029 and the BOM.
std::string trim(std::string_view s);

// True when `s` holds nothing but such whitespace (or is empty).
bool is_blank(std::string_view s);

// trim() plus every inner run of such whitespace replaced by one ASCII space.
std::string collapse_whitespace(std::string_view s);

// Valid UTF-8: every invalid or truncated sequence becomes U+FFFD, NUL bytes are dropped.
std::string to_valid_utf8(std::string_view s);

// At most `max_bytes` bytes of valid UTF-8 `s`, cut on a code point boundary; "…" is
// appended (within the budget) when something was cut.
std::string truncate_utf8(std::string_view s, std::size_t max_bytes);

// The first number in `s` with its unit, as sites print popularity:
//   "2123万" / "2123 万热度" -> 21230000, "1.2亿" -> 120000000, "3.5k" -> 3500,
//   "2.1M" -> 2100000, "10w+" -> 100000, "12,345 stars today" -> 12345,
//   "532 points" -> 532. Thousands separators (',' and '，') are skipped.
// nullopt when `s` holds no number.
std::optional<double> parse_popularity(std::string_view s);

// Strict integer: optional sign and digits, surrounding whitespace allowed; nullopt on
// anything else or on overflow.
std::optional<int64_t> parse_int(std::string_view s);

// Strict decimal number ("12", "-3.5", "1e3"), surrounding whitespace allowed.
std::optional<double> parse_double(std::string_view s);

// "2023-10-18T19:33:46", "2023-10-18T19:33:46Z", "2023-10-18 19:33:46+08:00",
// "2023-10-18T19:33:46.123Z" -> Unix milliseconds. A missing offset means UTC.
std::optional<int64_t> parse_iso8601_ms(std::string_view s);

}  // namespace mu
