#include "sources/common/text.h"

#include <charconv>
#include <chrono>
#include <cmath>
#include <system_error>

namespace mu {
namespace {

enum class SpaceKind { kNone, kSpace, kInvisible };

struct SpaceHit {
  SpaceKind kind = SpaceKind::kNone;
  std::size_t len = 0;
};

unsigned char byte_at(std::string_view s, std::size_t i) {
  return i < s.size() ? static_cast<unsigned char>(s[i]) : 0;
}

// Classifies the code point starting at s[i] as whitespace, invisible filler or neither.
SpaceHit space_at(std::string_view s, std::size_t i) {
  const unsigned char c = byte_at(s, i);
  switch (c) {
    case ' ':
    case '\t':
    case '\n':
    case '\r':
    case '\f':
    case '\v':
      return {SpaceKind::kSpace, 1};
    default:
      break;
  }
  if (c == 0xC2 && byte_at(s, i + 1) == 0xA0) return {SpaceKind::kSpace, 2};  // NBSP
  if (c == 0xE3 && byte_at(s, i + 1) == 0x80 && byte_at(s, i + 2) == 0x80) {
    return {SpaceKind::kSpace, 3};  // U+3000 ideographic space
  }
  if (c == 0xE2) {
    const unsigned char c1 = byte_at(s, i + 1);
    const unsigned char c2 = byte_at(s, i + 2);
    if (c1 == 0x80) {
      if (c2 >= 0x80 && c2 <= 0x8A) return {SpaceKind::kSpace, 3};  // U+2000..U+200A
      if (c2 == 0x8B) return {SpaceKind::kInvisible, 3};            // U+200B zero width
      if (c2 == 0xA8 || c2 == 0xA9 || c2 == 0xAF) return {SpaceKind::kSpace, 3};
    } else if (c1 == 0x81 && c2 == 0x9F) {
      return {SpaceKind::kSpace, 3};  // U+205F
    }
  }
  if (c == 0xEF && byte_at(s, i + 1) == 0xBB && byte_at(s, i + 2) == 0xBF) {
    return {SpaceKind::kInvisible, 3};  // U+FEFF byte order mark
  }
  return {};
}

bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
bool is_alpha(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

std::string_view trim_ascii(std::string_view s) {
  while (!s.empty() && space_at(s, 0).len == 1) s.remove_prefix(1);
  while (!s.empty() && space_at(s, s.size() - 1).len == 1) s.remove_suffix(1);
  return s;
}

bool starts_with_at(std::string_view s, std::size_t i, std::string_view prefix) {
  return s.size() >= i + prefix.size() && s.compare(i, prefix.size(), prefix) == 0;
}

// Days since 1970-01-01 of a proleptic Gregorian date; nullopt for dates like Feb 30.
std::optional<int64_t> days_from_civil(int y, unsigned m, unsigned d) {
  const std::chrono::year_month_day ymd{std::chrono::year{y}, std::chrono::month{m},
                                        std::chrono::day{d}};
  if (!ymd.ok()) return std::nullopt;
  return std::chrono::sys_days(ymd).time_since_epoch().count();
}

}  // namespace

std::string trim(std::string_view s) {
  std::size_t begin = 0;
  while (begin < s.size()) {
    SpaceHit hit = space_at(s, begin);
    if (hit.kind == SpaceKind::kNone) break;
    begin += hit.len;
  }
  // Scan forward so multi-byte spaces at the end are recognised from their first byte.
  std::size_t end = begin;
  std::size_t i = begin;
  while (i < s.size()) {
    SpaceHit hit = space_at(s, i);
    if (hit.kind == SpaceKind::kNone) {
      ++i;
      end = i;
    } else {
      i += hit.len;
    }
  }
  return std::string(s.substr(begin, end - begin));
}

bool is_blank(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    SpaceHit hit = space_at(s, i);
    if (hit.kind == SpaceKind::kNone) return false;
    i += hit.len;
  }
  return true;
}

std::string collapse_whitespace(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  bool pending_space = false;
  std::size_t i = 0;
  while (i < s.size()) {
    SpaceHit hit = space_at(s, i);
    if (hit.kind == SpaceKind::kSpace) {
      pending_space = !out.empty();
      i += hit.len;
      continue;
    }
    if (hit.kind == SpaceKind::kInvisible) {
      i += hit.len;
      continue;
    }
    if (pending_space) {
      out.push_back(' ');
      pending_space = false;
    }
    out.push_back(s[i]);
    ++i;
  }
  return out;
}

std::string to_valid_utf8(std::string_view s) {
  static constexpr std::string_view kReplacement = "\xEF\xBF\xBD";
  std::string out;
  out.reserve(s.size());
  std::size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = byte_at(s, i);
    if (c == 0) {
      ++i;
      continue;
    }
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
      ++i;
      continue;
    }
    std::size_t len = 0;
    uint32_t cp = 0;
    uint32_t min = 0;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
      cp = c & 0x1F;
      min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      cp = c & 0x0F;
      min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      cp = c & 0x07;
      min = 0x10000;
    }
    bool ok = len > 0 && i + len <= s.size();
    for (std::size_t k = 1; ok && k < len; ++k) {
      const unsigned char cc = byte_at(s, i + k);
      if ((cc & 0xC0) != 0x80) {
        ok = false;
      } else {
        cp = (cp << 6) | (cc & 0x3F);
      }
    }
    if (ok && (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))) ok = false;
    if (ok) {
      out.append(s.substr(i, len));
      i += len;
    } else {
      out.append(kReplacement);
      ++i;
      // Skip the continuation bytes of the broken sequence so one error gives one U+FFFD.
      while (i < s.size() && (byte_at(s, i) & 0xC0) == 0x80) ++i;
    }
  }
  return out;
}

std::string truncate_utf8(std::string_view s, std::size_t max_bytes) {
  if (s.size() <= max_bytes) return std::string(s);
  static constexpr std::string_view kEllipsis = "\xE2\x80\xA6";
  const bool room_for_ellipsis = max_bytes >= kEllipsis.size();
  std::size_t cut = room_for_ellipsis ? max_bytes - kEllipsis.size() : max_bytes;
  while (cut > 0 && (byte_at(s, cut) & 0xC0) == 0x80) --cut;
  std::string out(s.substr(0, cut));
  while (!out.empty() && space_at(out, out.size() - 1).len == 1) out.pop_back();
  if (room_for_ellipsis) out.append(kEllipsis);
  return out;
}

std::optional<double> parse_popularity(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size() && !is_digit(byte_at(s, i))) ++i;
  if (i == s.size()) return std::nullopt;

  std::string digits;
  bool seen_dot = false;
  while (i < s.size()) {
    const unsigned char c = byte_at(s, i);
    if (is_digit(c)) {
      digits.push_back(static_cast<char>(c));
      ++i;
    } else if (c == ',' && is_digit(byte_at(s, i + 1))) {
      ++i;
    } else if (starts_with_at(s, i, "\xEF\xBC\x8C") && is_digit(byte_at(s, i + 3))) {
      i += 3;  // full-width comma
    } else if (c == '.' && !seen_dot && is_digit(byte_at(s, i + 1))) {
      seen_dot = true;
      digits.push_back('.');
      ++i;
    } else {
      break;
    }
  }
  double value = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc() || end != digits.data() + digits.size()) return std::nullopt;

  // Unit after optional spaces.
  while (i < s.size()) {
    SpaceHit hit = space_at(s, i);
    if (hit.kind == SpaceKind::kNone) break;
    i += hit.len;
  }
  double scale = 1;
  if (starts_with_at(s, i, "\xE7\x99\xBE\xE4\xB8\x87")) {  // 百万
    scale = 1e6;
  } else if (starts_with_at(s, i, "\xE4\xB8\x87")) {  // 万
    scale = 1e4;
  } else if (starts_with_at(s, i, "\xE4\xBA\xBF")) {  // 亿
    scale = 1e8;
  } else if (starts_with_at(s, i, "\xE5\x8D\x83")) {  // 千
    scale = 1e3;
  } else if (i < s.size() && !is_alpha(byte_at(s, i + 1))) {
    switch (byte_at(s, i)) {
      case 'k':
      case 'K':
        scale = 1e3;
        break;
      case 'w':
      case 'W':
        scale = 1e4;
        break;
      case 'm':
      case 'M':
        scale = 1e6;
        break;
      case 'b':
      case 'B':
        scale = 1e9;
        break;
      default:
        break;
    }
  }
  return std::round(value * scale * 1000.0) / 1000.0;
}

std::optional<int64_t> parse_int(std::string_view s) {
  s = trim_ascii(s);
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  if (s.empty()) return std::nullopt;
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<double> parse_double(std::string_view s) {
  s = trim_ascii(s);
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  if (s.empty()) return std::nullopt;
  double v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

std::optional<int64_t> parse_iso8601_ms(std::string_view s) {
  s = trim_ascii(s);
  std::size_t i = 0;
  auto read_num = [&](std::size_t width, int& out) {
    if (i + width > s.size()) return false;
    int v = 0;
    for (std::size_t k = 0; k < width; ++k) {
      const unsigned char c = byte_at(s, i + k);
      if (!is_digit(c)) return false;
      v = v * 10 + (c - '0');
    }
    out = v;
    i += width;
    return true;
  };
  auto expect = [&](char c) {
    if (i < s.size() && s[i] == c) {
      ++i;
      return true;
    }
    return false;
  };
  int year = 0, mon = 0, day = 0, hour = 0, min = 0, sec = 0, millis = 0;
  if (!read_num(4, year) || !expect('-') || !read_num(2, mon) || !expect('-') ||
      !read_num(2, day)) {
    return std::nullopt;
  }
  if (mon < 1 || mon > 12 || day < 1 || day > 31) return std::nullopt;
  if (i < s.size() && (s[i] == 'T' || s[i] == 't' || s[i] == ' ')) {
    ++i;
    if (!read_num(2, hour) || !expect(':') || !read_num(2, min)) return std::nullopt;
    if (expect(':') && !read_num(2, sec)) return std::nullopt;
    if (i < s.size() && (s[i] == '.' || s[i] == ',')) {
      ++i;
      int scale = 100;
      while (i < s.size() && is_digit(byte_at(s, i))) {
        millis += (s[i] - '0') * scale;
        scale /= 10;
        ++i;
      }
    }
  }
  if (hour > 23 || min > 59 || sec > 60) return std::nullopt;
  int64_t offset_min = 0;
  if (i < s.size()) {
    if (s[i] == 'Z' || s[i] == 'z') {
      ++i;
    } else if (s[i] == '+' || s[i] == '-') {
      const int sign = s[i] == '-' ? -1 : 1;
      ++i;
      int oh = 0, om = 0;
      if (!read_num(2, oh)) return std::nullopt;
      expect(':');
      if (i < s.size() && !read_num(2, om)) return std::nullopt;
      offset_min = static_cast<int64_t>(sign) * (oh * 60 + om);
    }
  }
  if (i != s.size()) return std::nullopt;
  const auto days = days_from_civil(year, static_cast<unsigned>(mon), static_cast<unsigned>(day));
  if (!days) return std::nullopt;
  const int64_t secs =
      *days * 86400 + int64_t{hour} * 3600 + int64_t{min} * 60 + sec - offset_min * 60;
  return secs * 1000 + millis;
}

}  // namespace mu
