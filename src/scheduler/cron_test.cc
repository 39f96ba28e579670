#include "scheduler/cron.h"

#include <date/date.h>
#include <date/tz.h>
#include <gtest/gtest.h>

#include <cstdio>

namespace mu {
namespace {

// "2026-03-08T07:00:00Z" <-> WallTime.
WallTime at(const std::string& iso) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  EXPECT_EQ(std::sscanf(iso.c_str(), "%d-%d-%dT%d:%d:%dZ", &y, &mo, &d, &h, &mi, &s), 6) << iso;
  date::sys_days day = date::year(y) / mo / d;
  return WallTime(day + std::chrono::hours(h) + std::chrono::minutes(mi) + std::chrono::seconds(s));
}

std::string iso(WallTime t) {
  return date::format("%Y-%m-%dT%H:%M:%SZ", date::floor<std::chrono::seconds>(t));
}

std::vector<std::string> fires(const std::string& expr, const std::string& zone,
                               const std::string& from, int count) {
  auto c = CronExpr::parse(expr);
  EXPECT_TRUE(c.ok()) << c.status().to_string();
  auto z = find_time_zone(zone);
  EXPECT_TRUE(z.ok());
  std::vector<std::string> out;
  WallTime t = at(from);
  for (int i = 0; i < count; ++i) {
    auto n = c->next(t, *z);
    if (!n) break;
    out.push_back(iso(*n));
    t = *n;
  }
  return out;
}

using V = std::vector<std::string>;

TEST(Cron, StepsRangesListsAndNames) {
  EXPECT_EQ(fires("*/20 * * * *", "UTC", "2026-01-01T00:00:00Z", 3),
            (V{"2026-01-01T00:20:00Z", "2026-01-01T00:40:00Z", "2026-01-01T01:00:00Z"}));
  // 2026-01-02 is a Friday; the next weekdays at 09:30 Shanghai time (01:30 UTC).
  EXPECT_EQ(fires("30 9 * * MON-FRI", "Asia/Shanghai", "2026-01-02T02:00:00Z", 2),
            (V{"2026-01-05T01:30:00Z", "2026-01-06T01:30:00Z"}));
  EXPECT_EQ(fires("0 8,20 * jan,FEB *", "UTC", "2026-01-31T12:00:00Z", 3),
            (V{"2026-01-31T20:00:00Z", "2026-02-01T08:00:00Z", "2026-02-01T20:00:00Z"}));
  EXPECT_EQ(fires("5/20 10-11 * * *", "UTC", "2026-01-01T00:00:00Z", 4),
            (V{"2026-01-01T10:05:00Z", "2026-01-01T10:25:00Z", "2026-01-01T10:45:00Z",
               "2026-01-01T11:05:00Z"}));
  EXPECT_EQ(fires("*/10 * * * * *", "UTC", "2026-01-01T00:00:05Z", 2),
            (V{"2026-01-01T00:00:10Z", "2026-01-01T00:00:20Z"}));
}

TEST(Cron, Macros) {
  EXPECT_EQ(fires("@hourly", "UTC", "2026-01-01T00:30:00Z", 1), (V{"2026-01-01T01:00:00Z"}));
  EXPECT_EQ(fires("@daily", "Asia/Shanghai", "2026-01-01T00:30:00Z", 1),
            (V{"2026-01-01T16:00:00Z"}));
  EXPECT_EQ(fires("@weekly", "UTC", "2026-01-01T00:00:00Z", 1), (V{"2026-01-04T00:00:00Z"}));
  EXPECT_EQ(fires("@monthly", "UTC", "2026-01-15T00:00:00Z", 1), (V{"2026-02-01T00:00:00Z"}));
  EXPECT_EQ(fires("@yearly", "UTC", "2026-01-15T00:00:00Z", 1), (V{"2027-01-01T00:00:00Z"}));
}

TEST(Cron, LeapDayAndImpossibleDates) {
  EXPECT_EQ(fires("0 12 29 2 *", "UTC", "2026-01-01T00:00:00Z", 2),
            (V{"2028-02-29T12:00:00Z", "2032-02-29T12:00:00Z"}));
  EXPECT_TRUE(fires("0 0 30 2 *", "UTC", "2026-01-01T00:00:00Z", 1).empty());
}

TEST(Cron, DayOfMonthWithDayOfWeekMatchesEither) {
  // The 13th, or any Friday: 2026-02-06 (Fri), 2026-02-13 (Fri, also the 13th), 2026-02-20.
  EXPECT_EQ(fires("0 0 13 * FRI", "UTC", "2026-02-01T00:00:00Z", 3),
            (V{"2026-02-06T00:00:00Z", "2026-02-13T00:00:00Z", "2026-02-20T00:00:00Z"}));
  // Sunday as 0 and as 7.
  EXPECT_EQ(fires("0 0 * * 7", "UTC", "2026-01-01T00:00:00Z", 1),
            fires("0 0 * * 0", "UTC", "2026-01-01T00:00:00Z", 1));
}

TEST(Cron, NewYorkSpringForwardFiresOnceAtTheGapEnd) {
  // 2026-03-08 02:00 EST -> 03:00 EDT. 02:30 does not exist that day.
  EXPECT_EQ(fires("30 2 * * *", "America/New_York", "2026-03-07T12:00:00Z", 2),
            (V{"2026-03-08T07:00:00Z", "2026-03-09T06:30:00Z"}));
  // Every 30 minutes: 01:30 EST, then the gap collapses to 03:00 EDT, then 03:30 EDT.
  EXPECT_EQ(fires("*/30 * * * *", "America/New_York", "2026-03-08T06:15:00Z", 3),
            (V{"2026-03-08T06:30:00Z", "2026-03-08T07:00:00Z", "2026-03-08T07:30:00Z"}));
}

TEST(Cron, NewYorkFallBackFiresOnceAtTheFirstOccurrence) {
  // 2026-11-01 02:00 EDT -> 01:00 EST: 01:30 happens twice; it fires at the first (EDT).
  EXPECT_EQ(fires("30 1 * * *", "America/New_York", "2026-10-31T12:00:00Z", 2),
            (V{"2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z"}));
  // Hourly jobs do not fire twice in the repeated hour.
  EXPECT_EQ(fires("0 * * * *", "America/New_York", "2026-11-01T04:30:00Z", 3),
            (V{"2026-11-01T05:00:00Z", "2026-11-01T07:00:00Z", "2026-11-01T08:00:00Z"}));
}

TEST(Cron, LondonDstBothWays) {
  // 2026-03-29 01:00 GMT -> 02:00 BST; 2026-10-25 02:00 BST -> 01:00 GMT.
  EXPECT_EQ(fires("30 1 * * *", "Europe/London", "2026-03-28T12:00:00Z", 2),
            (V{"2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z"}));
  EXPECT_EQ(fires("30 1 * * *", "Europe/London", "2026-10-24T12:00:00Z", 2),
            (V{"2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"}));
}

TEST(Cron, InvalidExpressionsGiveClearErrors) {
  struct Case {
    const char* expr;
    const char* message;
  };
  for (const Case& c : {
           Case{"61 * * * *", "minute: 61 is outside 0-59"},
           Case{"* * *", "expected 5 fields"},
           Case{"@often", "unknown macro"},
           Case{"5-1 * * * *", "goes backwards"},
           Case{"*/0 * * * *", "bad step"},
           Case{"* * * FOO *", "month: \"FOO\" is not a number or a name"},
           Case{"* * 0 * *", "day-of-month: 0 is outside 1-31"},
           Case{"* 24 * * *", "hour: 24 is outside 0-23"},
           Case{"* * * * 8", "day-of-week: 8 is outside 0-7"},
           Case{"1,,2 * * * *", "minute: empty value"},
       }) {
    auto r = CronExpr::parse(c.expr);
    ASSERT_FALSE(r.ok()) << c.expr;
    EXPECT_EQ(r.code(), ErrorCode::kConfig);
    EXPECT_NE(r.error_message().find(c.message), std::string::npos)
        << c.expr << " -> " << r.error_message();
  }
  EXPECT_EQ(find_time_zone("Mars/Olympus").code(), ErrorCode::kConfig);
}

}  // namespace
}  // namespace mu
