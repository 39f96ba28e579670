#include "app/time_text.h"

#include <date/tz.h>

#include <cstdio>

namespace mu {

Result<WallTime> parse_cli_time(std::string_view text, const date::time_zone* zone) {
  const std::string s(text);
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0, consumed = 0;
  char sep = 0;
  int n = std::sscanf(s.c_str(), "%4d-%2d-%2d%c%2d:%2d%n", &y, &mo, &d, &sep, &h, &mi, &consumed);
  if (n < 6 || (sep != 'T' && sep != ' ')) {
    return error(ErrorCode::kInvalid,
                 "time \"" + s + "\": expected ISO 8601 like 2026-03-08T01:00:00Z");
  }
  std::string_view rest = std::string_view(s).substr(static_cast<std::size_t>(consumed));
  if (!rest.empty() && rest.front() == ':') {
    int used = 0;
    if (std::sscanf(std::string(rest).c_str(), ":%2d%n", &sec, &used) != 1) {
      return error(ErrorCode::kInvalid, "time \"" + s + "\": bad seconds");
    }
    rest.remove_prefix(static_cast<std::size_t>(used));
  }
  const date::year_month_day ymd{date::year(y), date::month(static_cast<unsigned>(mo)),
                                 date::day(static_cast<unsigned>(d))};
  if (!ymd.ok() || h > 23 || mi > 59 || sec > 59) {
    return error(ErrorCode::kInvalid, "time \"" + s + "\": no such date or time");
  }
  const auto local = date::local_days{ymd} + std::chrono::hours(h) + std::chrono::minutes(mi) +
                     std::chrono::seconds(sec);
  if (rest == "Z" || rest == "z") {
    return WallTime(date::sys_seconds{local.time_since_epoch()});
  }
  if (rest.empty()) {
    auto info = zone->get_info(local);
    auto sys = info.result == date::local_info::nonexistent
                   ? info.first.end
                   : date::sys_seconds{local.time_since_epoch()} - info.first.offset;
    return WallTime(sys);
  }
  int oh = 0, om = 0;
  char sign = 0;
  if (std::sscanf(std::string(rest).c_str(), "%c%2d:%2d", &sign, &oh, &om) == 3 &&
      (sign == '+' || sign == '-')) {
    auto offset = std::chrono::hours(oh) + std::chrono::minutes(om);
    auto sys = date::sys_seconds{local.time_since_epoch()} - (sign == '+' ? offset : -offset);
    return WallTime(sys);
  }
  return error(ErrorCode::kInvalid, "time \"" + s + "\": unknown zone suffix \"" +
                                        std::string(rest) + "\" (use Z or +08:00)");
}

std::string format_utc(WallTime t) {
  return date::format("%Y-%m-%dT%H:%M:%SZ", date::floor<std::chrono::seconds>(t));
}

std::string format_local(WallTime t, const date::time_zone* zone) {
  date::zoned_seconds z{zone, date::floor<std::chrono::seconds>(t)};
  return date::format("%Y-%m-%d %H:%M:%S %Z", z) + " (" + std::string(zone->name()) + ")";
}

}  // namespace mu
