#include "sources/spec/dates.h"

#include <array>
#include <string>
#include <vector>

#include "sources/common/text.h"

namespace mu {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha_byte(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || static_cast<unsigned char>(c) >= 0x80;
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
int64_t days_from_civil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

struct Fields {
  int64_t year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, millis = 0;
  std::optional<int> offset_minutes;
};

std::optional<int64_t> to_ms(const Fields& f, int default_offset) {
  if (f.year < 1900 || f.year > 9999 || f.month < 1 || f.month > 12 || f.day < 1 || f.day > 31) {
    return std::nullopt;
  }
  if (f.hour < 0 || f.hour > 24 || f.minute < 0 || f.minute > 59 || f.second < 0 || f.second > 60) {
    return std::nullopt;
  }
  const int64_t days = days_from_civil(f.year, f.month, f.day);
  const int64_t secs = days * 86400 + f.hour * 3600 + f.minute * 60 + f.second;
  const int offset = f.offset_minutes.value_or(default_offset);
  return (secs - static_cast<int64_t>(offset) * 60) * 1000 + f.millis;
}

// Reads up to `max` digits at s[i]; advances i. nullopt when there is no digit.
std::optional<int64_t> read_number(std::string_view s, std::size_t& i, std::size_t max) {
  std::size_t start = i;
  int64_t v = 0;
  while (i < s.size() && is_digit(s[i]) && i - start < max) {
    v = v * 10 + (s[i] - '0');
    ++i;
  }
  if (i == start) return std::nullopt;
  return v;
}

// Month from a name or abbreviation in English, Portuguese, Spanish, French, German, Italian.
std::optional<int> month_from_name(std::string_view raw) {
  const std::string n = ascii_lower(raw);
  struct Entry {
    const char* prefix;
    int month;
  };
  // Longer prefixes first where languages collide (juin/juil before jun/jul).
  static constexpr std::array<Entry, 40> kMonths{{
      {"juin", 6},
      {"juil", 7},
      {"jan", 1},
      {"ene", 1},
      {"gen", 1},
      {"feb", 2},
      {"fev", 2},
      {"f\xc3\xa9v", 2},
      {"mar", 3},
      {"m\xc3\xa4r", 3},
      {"mrz", 3},
      {"apr", 4},
      {"abr", 4},
      {"avr", 4},
      {"may", 5},
      {"mai", 5},
      {"mag", 5},
      {"mei", 5},
      {"jun", 6},
      {"giu", 6},
      {"jul", 7},
      {"lug", 7},
      {"aug", 8},
      {"ago", 8},
      {"ao\xc3\xbb", 8},
      {"aou", 8},
      {"sep", 9},
      {"set", 9},
      {"oct", 10},
      {"out", 10},
      {"okt", 10},
      {"ott", 10},
      {"nov", 11},
      {"dec", 12},
      {"dic", 12},
      {"dez", 12},
      {"d\xc3\xa9"
       "c",
       12},
      {"sept", 9},
      {"june", 6},
      {"july", 7},
  }};
  for (const Entry& e : kMonths) {
    const std::string_view p(e.prefix);
    if (n.size() >= p.size() && n.compare(0, p.size(), p) == 0) return e.month;
  }
  return std::nullopt;
}

std::optional<int> zone_from_name(std::string_view raw) {
  const std::string z = ascii_lower(raw);
  struct Entry {
    const char* name;
    int minutes;
  };
  static constexpr std::array<Entry, 22> kZones{{
      {"gmt", 0},    {"ut", 0},     {"utc", 0},    {"z", 0},      {"est", -300}, {"edt", -240},
      {"cst", -360}, {"cdt", -300}, {"mst", -420}, {"mdt", -360}, {"pst", -480}, {"pdt", -420},
      {"bst", 60},   {"cet", 60},   {"cest", 120}, {"eet", 120},  {"eest", 180}, {"msk", 180},
      {"jst", 540},  {"kst", 540},  {"hkt", 480},  {"sgt", 480},
  }};
  for (const Entry& e : kZones) {
    if (z == e.name) return e.minutes;
  }
  return std::nullopt;
}

// "+0800", "+08:00", "+08", "-0300" at s[i]; advances i on success.
std::optional<int> read_numeric_zone(std::string_view s, std::size_t& i) {
  if (i >= s.size() || (s[i] != '+' && s[i] != '-')) return std::nullopt;
  const int sign = s[i] == '-' ? -1 : 1;
  std::size_t j = i + 1;
  std::size_t start = j;
  auto hh = read_number(s, j, 2);
  if (!hh || j - start != 2) return std::nullopt;
  int64_t mm = 0;
  if (j < s.size() && s[j] == ':') ++j;
  std::size_t mstart = j;
  if (auto m = read_number(s, j, 2)) {
    if (j - mstart != 2) return std::nullopt;
    mm = *m;
  }
  if (*hh > 18 || mm > 59) return std::nullopt;
  i = j;
  return sign * static_cast<int>(*hh * 60 + mm);
}

void skip_spaces(std::string_view s, std::size_t& i) {
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
}

// "HH:MM[:SS[.fff]]" at s[i].
bool read_time(std::string_view s, std::size_t& i, Fields& f) {
  auto h = read_number(s, i, 2);
  if (!h || i >= s.size() || s[i] != ':') return false;
  ++i;
  auto m = read_number(s, i, 2);
  if (!m) return false;
  f.hour = *h;
  f.minute = *m;
  if (i < s.size() && s[i] == ':') {
    ++i;
    auto sec = read_number(s, i, 2);
    if (!sec) return false;
    f.second = *sec;
    if (i < s.size() && (s[i] == '.' || s[i] == ',')) {
      ++i;
      std::size_t start = i;
      auto frac = read_number(s, i, 9);
      if (!frac) return false;
      int64_t ms = *frac;
      std::size_t digits = i - start;
      while (digits < 3) {
        ms *= 10;
        ++digits;
      }
      while (digits > 3) {
        ms /= 10;
        --digits;
      }
      f.millis = ms;
    }
  }
  return true;
}

// A zone after the time: numeric, "Z", or a name; anything unknown leaves it unset.
void read_zone(std::string_view s, std::size_t& i, Fields& f) {
  skip_spaces(s, i);
  if (i >= s.size()) return;
  if (auto z = read_numeric_zone(s, i)) {
    f.offset_minutes = *z;
    return;
  }
  std::size_t start = i;
  while (i < s.size() && is_alpha_byte(s[i])) ++i;
  if (i == start) return;
  if (auto z = zone_from_name(s.substr(start, i - start))) {
    f.offset_minutes = *z;
    // "GMT+8", "UTC-03:00"
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
      std::size_t j = i;
      if (auto extra = read_numeric_zone(s, j)) {
        f.offset_minutes = *z + *extra;
        i = j;
      } else {
        const int sign = s[i] == '-' ? -1 : 1;
        ++j;
        if (auto hours = read_number(s, j, 2); hours && *hours <= 14) {
          f.offset_minutes = *z + sign * static_cast<int>(*hours) * 60;
          i = j;
        }
      }
    }
  }
}

// ISO 8601 and relatives: "2026-01-01T08:00:00Z", "2018-09-18 14:38:10", "2018/09/18".
std::optional<int64_t> parse_iso_like(std::string_view s, int default_offset) {
  std::size_t i = 0;
  Fields f;
  auto y = read_number(s, i, 4);
  if (!y || i != 4 || i >= s.size() || (s[i] != '-' && s[i] != '/' && s[i] != '.')) {
    return std::nullopt;
  }
  const char sep = s[i++];
  auto mo = read_number(s, i, 2);
  if (!mo || i >= s.size() || s[i] != sep) return std::nullopt;
  ++i;
  auto d = read_number(s, i, 2);
  if (!d) return std::nullopt;
  f.year = *y;
  f.month = *mo;
  f.day = *d;
  if (i < s.size() && (s[i] == 'T' || s[i] == 't' || s[i] == ' ')) {
    ++i;
    skip_spaces(s, i);
    if (!read_time(s, i, f)) return std::nullopt;
    read_zone(s, i, f);
  } else if (i < s.size()) {
    return std::nullopt;
  }
  skip_spaces(s, i);
  if (i < s.size() && s[i] != '(') return std::nullopt;  // trailing junk, "(CST)" is fine
  return to_ms(f, default_offset);
}

// RFC 822 and relatives: "[Day,] DD Mon YYYY HH:MM[:SS] [zone]", also "DD-Mon-YY".
std::optional<int64_t> parse_rfc822_like(std::string_view s, int default_offset) {
  std::string norm(s);
  for (char& c : norm) {
    if (c == ',' || c == '\t' || c == '\r' || c == '\n') c = ' ';
  }
  // Tokens split on spaces; "06-Nov-94" is split on '-' as well.
  std::vector<std::string> tokens;
  std::size_t pos = 0;
  while (pos < norm.size()) {
    while (pos < norm.size() && norm[pos] == ' ') ++pos;
    std::size_t end = pos;
    while (end < norm.size() && norm[end] != ' ') ++end;
    if (end > pos) tokens.push_back(norm.substr(pos, end - pos));
    pos = end;
  }
  std::vector<std::string> parts;
  for (std::size_t t = 0; t < tokens.size(); ++t) {
    const std::string& tok = tokens[t];
    const bool has_alpha =
        tok.find_first_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") !=
        std::string::npos;
    const bool looks_dmy =
        tok.find('-') != std::string::npos && has_alpha && tok[0] >= '0' && tok[0] <= '9';
    if (looks_dmy) {
      std::size_t a = 0;
      while (a <= tok.size()) {
        std::size_t b = tok.find('-', a);
        if (b == std::string::npos) b = tok.size();
        if (b > a) parts.push_back(tok.substr(a, b - a));
        a = b + 1;
      }
    } else {
      parts.push_back(tok);
    }
  }
  // Tries "DD Mon YYYY [time [zone]]" (or "Mon DD YYYY ...") from parts[k].
  auto parse_from = [&](std::size_t k) -> std::optional<int64_t> {
    Fields f;
    if (k + 3 > parts.size()) return std::nullopt;
    std::size_t i = 0;
    std::string_view tok = parts[k];
    auto day = read_number(tok, i, 2);
    std::optional<int> month;
    if (day && i == tok.size()) {
      month = month_from_name(parts[k + 1]);
    } else if (auto m = month_from_name(parts[k])) {  // "Jan 03 2018": month first
      month = m;
      i = 0;
      tok = parts[k + 1];
      day = read_number(tok, i, 2);
      if (!day || i != tok.size()) return std::nullopt;
    } else {
      return std::nullopt;
    }
    if (!month) return std::nullopt;
    f.day = *day;
    f.month = *month;
    i = 0;
    tok = parts[k + 2];
    auto year = read_number(tok, i, 4);
    if (!year || i != tok.size()) return std::nullopt;
    if (i <= 2) *year += *year < 50 ? 2000 : 1900;
    f.year = *year;
    std::size_t next = k + 3;
    if (next < parts.size() && parts[next].find(':') != std::string::npos) {
      std::size_t ti = 0;
      if (!read_time(parts[next], ti, f) || ti != parts[next].size()) return std::nullopt;
      ++next;
      if (next < parts.size()) {
        std::size_t zi = 0;
        read_zone(parts[next], zi, f);
      }
    }
    return to_ms(f, default_offset);
  };
  // A leading day name ("Wed", "Seg", "Sunday") is skipped; Spanish "Mar" (martes) looks
  // like a month, so a failed attempt moves one word on.
  for (std::size_t k = 0; k < parts.size() && k < 3; ++k) {
    if (auto v = parse_from(k)) return v;
    if (parts[k].empty() || !is_alpha_byte(parts[k][0])) break;
  }
  return std::nullopt;
}

}  // namespace

std::optional<int64_t> parse_date_ms(std::string_view raw, int default_offset_minutes) {
  const std::string s = collapse_whitespace(raw);
  if (s.empty() || s.size() > 128) return std::nullopt;
  if (s.size() >= 5 && is_digit(s[0]) && is_digit(s[1]) && is_digit(s[2]) && is_digit(s[3])) {
    if (auto v = parse_iso_like(s, default_offset_minutes)) return v;
  }
  return parse_rfc822_like(s, default_offset_minutes);
}

std::optional<int> parse_utc_offset(std::string_view raw) {
  const std::string s = trim(raw);
  if (s.empty()) return std::nullopt;
  std::size_t i = 0;
  if (auto z = read_numeric_zone(s, i); z && i == s.size()) return z;
  if (auto z = zone_from_name(s); z && (s == "Z" || s == "z" || *z == 0)) return z;
  return std::nullopt;
}

}  // namespace mu
