// CronExpr: cron schedules in an IANA time zone. Five fields (minute hour day-of-month month
// day-of-week) or six (a leading seconds field); `*`, ranges `a-b`, steps `*/n` and `a-b/n`,
// lists `a,b`, month names JAN-DEC, day names SUN-SAT (0 or 7 = Sunday), `?` as `*` in the
// day fields, and the macros @yearly @annually @monthly @weekly @daily @midnight @hourly.
// When both day fields are restricted a day matches either (classic cron semantics).
//
// Daylight-saving rules: a local time that does not exist (spring forward) fires once at
// the end of the gap (e.g. 02:30 → 03:00 in America/New_York); a local time that occurs
// twice (fall back) fires once, at its first occurrence.
//
// Immutable after parse(); safe for concurrent use.
#pragma once

#include <bitset>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/config.h"
#include "core/status.h"

namespace date {
class time_zone;
}

namespace mu {

// Looks up an IANA zone ("Asia/Shanghai", "UTC"); kConfig naming it when unknown.
Result<const date::time_zone*> find_time_zone(std::string_view name);

// The cron and time zone checks load_config() cannot do from core/:
// `load_config(path, env, schedule_validator())`.
ScheduleValidator schedule_validator();

class CronExpr {
 public:
  // kConfig with a message naming the field and the problem.
  static Result<CronExpr> parse(std::string_view text);

  // The first fire time strictly after `after`, in `zone`. nullopt when the expression can
  // never fire again (e.g. "0 0 30 2 *": February 30th) — checked over 8 years.
  std::optional<WallTime> next(WallTime after, const date::time_zone* zone) const;

  const std::string& text() const { return text_; }

 private:
  std::string text_;
  std::bitset<60> seconds_;
  std::bitset<60> minutes_;
  std::bitset<24> hours_;
  std::bitset<32> days_;     // 1..31
  std::bitset<13> months_;   // 1..12
  std::bitset<7> weekdays_;  // 0 = Sunday
  bool days_restricted_ = false;
  bool weekdays_restricted_ = false;

  bool day_matches(int day, int weekday) const;
};

}  // namespace mu
