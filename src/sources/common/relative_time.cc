#include "sources/common/relative_time.h"

#include <array>
#include <chrono>
#include <string>
#include <utility>

#include "sources/common/text.h"

namespace mu {
namespace {

constexpr int64_t kSecondMs = 1000;
constexpr int64_t kMinuteMs = 60 * kSecondMs;
constexpr int64_t kHourMs = 60 * kMinuteMs;
constexpr int64_t kDayMs = 24 * kHourMs;
constexpr int64_t kWeekMs = 7 * kDayMs;
constexpr int64_t kMonthMs = 30 * kDayMs;
constexpr int64_t kYearMs = 365 * kDayMs;
constexpr int64_t kMaxCount = 1'000'000;
// A bare time of day further than this in the future is read as yesterday's.
constexpr int64_t kFutureSlackMs = 10 * kMinuteMs;

int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  if (a % b != 0 && ((a < 0) != (b < 0))) --q;
  return q;
}

bool is_ascii_digit(char c) { return c >= '0' && c <= '9'; }
bool is_ascii_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// "Now" as the parser needs it: UTC milliseconds and the zone's offset.
struct Now {
  int64_t utc_ms = 0;
  int64_t offset_ms = 0;

  int64_t local_ms() const { return utc_ms + offset_ms; }
  // Days since 1970-01-01 of the local calendar date.
  int64_t local_day() const { return floor_div(local_ms(), kDayMs); }
  // UTC milliseconds of a local wall time on local day `day`.
  int64_t at(int64_t day, int h, int m, int s) const {
    return day * kDayMs + h * kHourMs + m * kMinuteMs + s * kSecondMs - offset_ms;
  }
};

std::optional<int64_t> civil_day(int64_t y, int64_t m, int64_t d) {
  if (y < 1900 || y > 9999 || m < 1 || m > 12 || d < 1 || d > 31) return std::nullopt;
  const std::chrono::year_month_day ymd{std::chrono::year(static_cast<int>(y)),
                                        std::chrono::month(static_cast<unsigned>(m)),
                                        std::chrono::day(static_cast<unsigned>(d))};
  if (!ymd.ok()) return std::nullopt;
  return std::chrono::sys_days(ymd).time_since_epoch().count();
}

int local_year(int64_t day) {
  const std::chrono::year_month_day ymd{std::chrono::sys_days(std::chrono::days(day))};
  return static_cast<int>(ymd.year());
}

// A read position in the normalized text.
class Cursor {
 public:
  explicit Cursor(std::string_view s) : s_(s) {}

  bool done() const { return i_ >= s_.size(); }
  void skip_spaces() {
    while (i_ < s_.size() && s_[i_] == ' ') ++i_;
  }
  // Consumes `lit` when the text continues with it.
  bool eat(std::string_view lit) {
    if (s_.substr(i_).starts_with(lit)) {
      i_ += lit.size();
      return true;
    }
    return false;
  }
  // Consumes an English word `w` only when no letter follows it ("m" must not eat "min").
  bool eat_word(std::string_view w) {
    if (!s_.substr(i_).starts_with(w)) return false;
    const std::size_t end = i_ + w.size();
    if (end < s_.size() && is_ascii_alpha(s_[end])) return false;
    i_ = end;
    return true;
  }
  // 1..max_digits ASCII digits; false (nothing consumed) when none or too many.
  bool number(int64_t& out, std::size_t max_digits) {
    std::size_t j = i_;
    int64_t v = 0;
    while (j < s_.size() && is_ascii_digit(s_[j])) {
      if (j - i_ >= max_digits) return false;
      v = v * 10 + (s_[j] - '0');
      ++j;
    }
    if (j == i_) return false;
    out = v;
    i_ = j;
    return true;
  }
  // Exactly `digits` digits.
  bool fixed_number(int64_t& out, std::size_t digits) {
    const std::size_t start = i_;
    if (!number(out, digits)) return false;
    if (i_ - start != digits) {
      i_ = start;
      return false;
    }
    return true;
  }

 private:
  std::string_view s_;
  std::size_t i_ = 0;
};

struct ClockTime {
  int h = 0, m = 0, s = 0;
};

// "HH:MM" or "HH:MM:SS" (hours may have one digit).
std::optional<ClockTime> read_clock(Cursor& c) {
  int64_t h = 0, m = 0, s = 0;
  if (!c.number(h, 2) || !c.eat(":") || !c.fixed_number(m, 2)) return std::nullopt;
  if (c.eat(":") && !c.fixed_number(s, 2)) return std::nullopt;
  if (h > 23 || m > 59 || s > 59) return std::nullopt;
  return ClockTime{static_cast<int>(h), static_cast<int>(m), static_cast<int>(s)};
}

// An optional " HH:MM[:SS]" (English may say "at HH:MM") that must end the text.
// Sets `has_time` when a time was present. False when anything else follows.
bool read_optional_clock_to_end(Cursor& c, ClockTime& t, bool& has_time) {
  c.skip_spaces();
  has_time = false;
  if (c.done()) return true;
  if (c.eat_word("at")) c.skip_spaces();
  auto clock = read_clock(c);
  if (!clock) return false;
  c.skip_spaces();
  if (!c.done()) return false;
  t = *clock;
  has_time = true;
  return true;
}

std::optional<int64_t> minus(const Now& now, int64_t count, int64_t unit_ms, bool half) {
  if (count < 0 || count > kMaxCount) return std::nullopt;
  const int64_t span = half ? unit_ms / 2 : count * unit_ms;
  return now.utc_ms - span;
}

// ------------------------------------------------------------------ forms

std::optional<int64_t> parse_now_words(std::string_view s, const Now& now) {
  static constexpr std::array<std::string_view, 8> kNow = {
      "刚刚",        "刚才",         "just now",    "now",
      "moments ago", "a moment ago", "seconds ago", "a few seconds ago"};
  for (std::string_view w : kNow) {
    if (s == w) return now.utc_ms;
  }
  return std::nullopt;
}

// "3分钟前", "半小时前", "两个小时前".
std::optional<int64_t> parse_chinese_ago(std::string_view s, const Now& now) {
  Cursor c(s);
  int64_t count = 0;
  bool half = false;
  if (!c.number(count, 9)) {
    static constexpr std::array<std::pair<std::string_view, int>, 11> kNumerals = {{
        {"一", 1},
        {"二", 2},
        {"两", 2},
        {"三", 3},
        {"四", 4},
        {"五", 5},
        {"六", 6},
        {"七", 7},
        {"八", 8},
        {"九", 9},
        {"十", 10},
    }};
    bool found = false;
    if (c.eat("半")) {
      half = true;
      found = true;
    }
    for (const auto& [word, value] : kNumerals) {
      if (found) break;
      if (c.eat(word)) {
        count = value;
        found = true;
      }
    }
    if (!found) return std::nullopt;
  }
  c.skip_spaces();
  static constexpr std::array<std::pair<std::string_view, int64_t>, 16> kUnits = {{
      {"秒钟", kSecondMs},
      {"秒", kSecondMs},
      {"分钟", kMinuteMs},
      {"分", kMinuteMs},
      {"个小时", kHourMs},
      {"小时", kHourMs},
      {"个钟头", kHourMs},
      {"钟头", kHourMs},
      {"天", kDayMs},
      {"日", kDayMs},
      {"个星期", kWeekMs},
      {"星期", kWeekMs},
      {"周", kWeekMs},
      {"个月", kMonthMs},
      {"月", kMonthMs},
      {"年", kYearMs},
  }};
  int64_t unit = 0;
  for (const auto& [word, ms] : kUnits) {
    if (c.eat(word)) {
      unit = ms;
      break;
    }
  }
  if (unit == 0) return std::nullopt;
  c.skip_spaces();
  if (!c.eat("以前") && !c.eat("前")) return std::nullopt;
  c.skip_spaces();
  if (!c.done()) return std::nullopt;
  return minus(now, count, unit, half);
}

// "3 minutes ago", "an hour ago", "2h ago".
std::optional<int64_t> parse_english_ago(std::string_view s, const Now& now) {
  Cursor c(s);
  int64_t count = 0;
  if (!c.number(count, 9)) {
    if (c.eat_word("an") || c.eat_word("a") || c.eat_word("one")) {
      count = 1;
    } else {
      return std::nullopt;
    }
  }
  c.skip_spaces();
  static constexpr std::array<std::pair<std::string_view, int64_t>, 29> kUnits = {{
      {"seconds", kSecondMs}, {"second", kSecondMs},  {"secs", kSecondMs},   {"sec", kSecondMs},
      {"s", kSecondMs},       {"minutes", kMinuteMs}, {"minute", kMinuteMs}, {"mins", kMinuteMs},
      {"min", kMinuteMs},     {"m", kMinuteMs},       {"hours", kHourMs},    {"hour", kHourMs},
      {"hrs", kHourMs},       {"hr", kHourMs},        {"h", kHourMs},        {"days", kDayMs},
      {"day", kDayMs},        {"d", kDayMs},          {"weeks", kWeekMs},    {"week", kWeekMs},
      {"w", kWeekMs},         {"months", kMonthMs},   {"month", kMonthMs},   {"mo", kMonthMs},
      {"years", kYearMs},     {"year", kYearMs},      {"yrs", kYearMs},      {"yr", kYearMs},
      {"y", kYearMs},
  }};
  int64_t unit = 0;
  for (const auto& [word, ms] : kUnits) {
    if (c.eat_word(word)) {
      unit = ms;
      break;
    }
  }
  if (unit == 0) return std::nullopt;
  c.skip_spaces();
  if (!c.eat_word("ago")) return std::nullopt;
  c.skip_spaces();
  if (!c.done()) return std::nullopt;
  return minus(now, count, unit, false);
}

// "今天 08:30", "昨天 12:30", "前天", "yesterday at 12:30".
std::optional<int64_t> parse_named_day(std::string_view s, const Now& now) {
  Cursor c(s);
  int back = 0;
  if (c.eat("今天") || c.eat_word("today")) {
    back = 0;
  } else if (c.eat("昨天") || c.eat_word("yesterday")) {
    back = 1;
  } else if (c.eat("前天")) {
    back = 2;
  } else {
    return std::nullopt;
  }
  ClockTime t;
  bool has_time = false;
  if (!read_optional_clock_to_end(c, t, has_time)) return std::nullopt;
  if (!has_time) return now.utc_ms - back * kDayMs;
  return now.at(now.local_day() - back, t.h, t.m, t.s);
}

// "2025-12-25 08:30[:15]", "2025/12/25", "2025年12月25日 08:30".
std::optional<int64_t> parse_full_date(std::string_view s, const Now& now) {
  Cursor c(s);
  int64_t y = 0, m = 0, d = 0;
  if (!c.fixed_number(y, 4)) return std::nullopt;
  bool chinese = false;
  char sep = 0;
  if (c.eat("年")) {
    chinese = true;
  } else if (c.eat("-")) {
    sep = '-';
  } else if (c.eat("/")) {
    sep = '/';
  } else if (c.eat(".")) {
    sep = '.';
  } else {
    return std::nullopt;
  }
  if (!c.number(m, 2)) return std::nullopt;
  if (chinese ? !c.eat("月") : !c.eat(std::string_view(&sep, 1))) return std::nullopt;
  if (!c.number(d, 2)) return std::nullopt;
  if (chinese && !c.eat("日")) c.eat("号");
  auto day = civil_day(y, m, d);
  if (!day) return std::nullopt;
  if (!chinese) c.eat("t");  // ISO "2025-12-25T08:30" without a zone
  ClockTime t;
  bool has_time = false;
  if (!read_optional_clock_to_end(c, t, has_time)) return std::nullopt;
  return now.at(*day, t.h, t.m, t.s);
}

// "12-25 08:30", "12月25日": the most recent such date that is not after tomorrow.
std::optional<int64_t> parse_month_day(std::string_view s, const Now& now) {
  Cursor c(s);
  int64_t m = 0, d = 0;
  if (!c.number(m, 2)) return std::nullopt;
  bool chinese = false;
  if (c.eat("月")) {
    chinese = true;
  } else if (!c.eat("-")) {
    return std::nullopt;
  }
  if (!c.number(d, 2)) return std::nullopt;
  if (chinese && !c.eat("日")) c.eat("号");
  ClockTime t;
  bool has_time = false;
  if (!read_optional_clock_to_end(c, t, has_time)) return std::nullopt;
  // The latest of next year's, this year's and last year's date that is not after
  // tomorrow (on Dec 31, "01-01" is tomorrow; on Jan 1, "12-25" was last week).
  const int64_t today = now.local_day();
  const int year = local_year(today);
  for (int y : {year + 1, year, year - 1}) {
    const std::optional<int64_t> day = civil_day(y, m, d);
    if (day && *day <= today + 1) return now.at(*day, t.h, t.m, t.s);
  }
  return std::nullopt;
}

// "08:30": today, or yesterday when that would be well in the future.
std::optional<int64_t> parse_time_of_day(std::string_view s, const Now& now) {
  Cursor c(s);
  auto t = read_clock(c);
  c.skip_spaces();
  if (!t || !c.done()) return std::nullopt;
  int64_t at = now.at(now.local_day(), t->h, t->m, t->s);
  if (at > now.utc_ms + kFutureSlackMs) at -= kDayMs;
  return at;
}

// Parses "+08:00", "-0530", "+8" (after an optional "utc"/"gmt" prefix) into minutes.
std::optional<int> parse_offset(std::string_view s) {
  if (s.size() < 2 || (s[0] != '+' && s[0] != '-')) return std::nullopt;
  const int sign = s[0] == '-' ? -1 : 1;
  std::string digits;
  for (std::size_t i = 1; i < s.size(); ++i) {
    if (is_ascii_digit(s[i])) {
      digits.push_back(s[i]);
    } else if (s[i] != ':' || i != 3) {  // only "+HH:MM" may hold a colon
      return std::nullopt;
    }
  }
  int h = 0, m = 0;
  if (digits.size() <= 2) {
    h = std::stoi(digits);
  } else if (digits.size() == 4) {
    h = std::stoi(digits.substr(0, 2));
    m = std::stoi(digits.substr(2));
  } else {
    return std::nullopt;
  }
  if (h > 14 || m > 59) return std::nullopt;
  return sign * (h * 60 + m);
}

}  // namespace

std::optional<int> zone_offset_minutes(std::string_view tz) {
  const std::string z = ascii_lower(trim(tz));
  static constexpr std::array<std::string_view, 8> kChina = {
      "asia/shanghai", "asia/chongqing", "asia/harbin", "asia/hong_kong",
      "asia/macau",    "asia/taipei",    "prc",         "cst"};
  for (std::string_view name : kChina) {
    if (z == name) return 8 * 60;
  }
  if (z == "utc" || z == "etc/utc" || z == "gmt" || z == "z" || z == "etc/gmt") return 0;
  std::string_view rest = z;
  if (rest.starts_with("utc") || rest.starts_with("gmt")) rest.remove_prefix(3);
  return parse_offset(rest);
}

std::optional<int64_t> parse_relative_time_ms(std::string_view text, const Clock& clock,
                                              std::string_view tz) {
  const std::optional<int> offset_min = zone_offset_minutes(tz);
  if (!offset_min) return std::nullopt;
  if (text.size() > 256) return std::nullopt;
  const std::string cleaned = ascii_lower(collapse_whitespace(to_valid_utf8(text)));
  // Some Chinese sites print the full-width colon in times ("昨天 12：30").
  constexpr std::string_view kWideColon = "：";
  std::string s;
  s.reserve(cleaned.size());
  for (std::size_t i = 0; i < cleaned.size();) {
    if (std::string_view(cleaned).substr(i).starts_with(kWideColon)) {
      s.push_back(':');
      i += kWideColon.size();
    } else {
      s.push_back(cleaned[i++]);
    }
  }
  if (s.empty()) return std::nullopt;

  Now now;
  now.utc_ms = clock.now_ms();
  now.offset_ms = static_cast<int64_t>(*offset_min) * kMinuteMs;

  using Form = std::optional<int64_t> (*)(std::string_view, const Now&);
  static constexpr std::array<Form, 7> kForms = {
      parse_now_words, parse_chinese_ago, parse_english_ago, parse_named_day,
      parse_full_date, parse_month_day,   parse_time_of_day,
  };
  for (Form form : kForms) {
    if (auto ms = form(s, now)) return ms;
  }
  return std::nullopt;
}

}  // namespace mu
