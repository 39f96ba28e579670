#include "sources/common/relative_time.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <iterator>
#include <string>

#include "sources/common/text.h"

namespace mu {
namespace {

constexpr int64_t kMinute = 60'000;
constexpr int64_t kHour = 60 * kMinute;
constexpr int64_t kDay = 24 * kHour;

// Expected values come from the independent ISO 8601 parser in text.h.
int64_t iso(const char* s) {
  auto ms = parse_iso8601_ms(s);
  EXPECT_TRUE(ms.has_value()) << s;
  return ms.value_or(0);
}

FakeClock clock_at(const char* iso_time) { return FakeClock(from_unix_ms(iso(iso_time))); }

// FakeClock's default start: 2026-01-01T00:00:00Z, which is 08:00 in Shanghai.
class RelativeTime : public ::testing::Test {
 protected:
  std::optional<int64_t> parse(std::string_view text, std::string_view tz = "Asia/Shanghai") {
    return parse_relative_time_ms(text, clock_, tz);
  }
  int64_t now() const { return clock_.now_ms(); }
  FakeClock clock_;
};

TEST_F(RelativeTime, JustNow) {
  EXPECT_EQ(parse("刚刚"), now());
  EXPECT_EQ(parse("刚才"), now());
  EXPECT_EQ(parse("just now"), now());
  EXPECT_EQ(parse("  Just \u00a0 NOW "), now());
  EXPECT_EQ(parse("now"), now());
  EXPECT_EQ(parse("a few seconds ago"), now());
}

TEST_F(RelativeTime, ChineseAgo) {
  EXPECT_EQ(parse("30秒前"), now() - 30'000);
  EXPECT_EQ(parse("3分钟前"), now() - 3 * kMinute);
  EXPECT_EQ(parse("3 分钟前"), now() - 3 * kMinute);
  EXPECT_EQ(parse("5分前"), now() - 5 * kMinute);
  EXPECT_EQ(parse("2小时前"), now() - 2 * kHour);
  EXPECT_EQ(parse("2个小时前"), now() - 2 * kHour);
  EXPECT_EQ(parse("两个小时前"), now() - 2 * kHour);
  EXPECT_EQ(parse("一小时前"), now() - kHour);
  EXPECT_EQ(parse("半小时前"), now() - 30 * kMinute);
  EXPECT_EQ(parse("3天前"), now() - 3 * kDay);
  EXPECT_EQ(parse("3 天以前"), now() - 3 * kDay);
  EXPECT_EQ(parse("2周前"), now() - 14 * kDay);
  EXPECT_EQ(parse("1个月前"), now() - 30 * kDay);
  EXPECT_EQ(parse("1年前"), now() - 365 * kDay);
  EXPECT_EQ(parse("\u3000 3分钟前 \u3000"), now() - 3 * kMinute);  // ideographic spaces
}

TEST_F(RelativeTime, EnglishAgo) {
  EXPECT_EQ(parse("3 minutes ago"), now() - 3 * kMinute);
  EXPECT_EQ(parse("1 minute ago"), now() - kMinute);
  EXPECT_EQ(parse("a minute ago"), now() - kMinute);
  EXPECT_EQ(parse("an hour ago"), now() - kHour);
  EXPECT_EQ(parse("An Hour Ago"), now() - kHour);
  EXPECT_EQ(parse("5 hours ago"), now() - 5 * kHour);
  EXPECT_EQ(parse("5 mins ago"), now() - 5 * kMinute);
  EXPECT_EQ(parse("3h ago"), now() - 3 * kHour);
  EXPECT_EQ(parse("10m ago"), now() - 10 * kMinute);
  EXPECT_EQ(parse("45 seconds ago"), now() - 45'000);
  EXPECT_EQ(parse("a day ago"), now() - kDay);
  EXPECT_EQ(parse("2 days ago"), now() - 2 * kDay);
  EXPECT_EQ(parse("2 weeks ago"), now() - 14 * kDay);
  EXPECT_EQ(parse("3 months ago"), now() - 90 * kDay);
  EXPECT_EQ(parse("a year ago"), now() - 365 * kDay);
}

TEST_F(RelativeTime, NamedDays) {
  // Now is 2026-01-01 08:00 in Shanghai.
  EXPECT_EQ(parse("昨天 12:30"), iso("2025-12-31T12:30:00+08:00"));
  EXPECT_EQ(parse("昨天12:30"), iso("2025-12-31T12:30:00+08:00"));
  EXPECT_EQ(parse("昨天 12：30"), iso("2025-12-31T12:30:00+08:00"));
  EXPECT_EQ(parse("昨天 12:30:45"), iso("2025-12-31T12:30:45+08:00"));
  EXPECT_EQ(parse("前天 08:00"), iso("2025-12-30T08:00:00+08:00"));
  EXPECT_EQ(parse("今天 07:15"), iso("2026-01-01T07:15:00+08:00"));
  EXPECT_EQ(parse("yesterday 12:30"), iso("2025-12-31T12:30:00+08:00"));
  EXPECT_EQ(parse("Yesterday at 9:05"), iso("2025-12-31T09:05:00+08:00"));
  EXPECT_EQ(parse("today at 06:00"), iso("2026-01-01T06:00:00+08:00"));
  // Without a time: a day (two days) before now.
  EXPECT_EQ(parse("yesterday"), now() - kDay);
  EXPECT_EQ(parse("昨天"), now() - kDay);
  EXPECT_EQ(parse("前天"), now() - 2 * kDay);
  EXPECT_EQ(parse("今天"), now());
}

TEST_F(RelativeTime, MonthDayTakesTheMostRecentYear) {
  // On 2026-01-01, "12-25" is last Christmas, "01-01" today, "01-02" tomorrow (site clocks
  // run ahead sometimes) and "01-03" a year ago.
  EXPECT_EQ(parse("12-25 08:30"), iso("2025-12-25T08:30:00+08:00"));
  EXPECT_EQ(parse("12月25日 08:30"), iso("2025-12-25T08:30:00+08:00"));
  EXPECT_EQ(parse("12-25"), iso("2025-12-25T00:00:00+08:00"));
  EXPECT_EQ(parse("1-1 07:00"), iso("2026-01-01T07:00:00+08:00"));
  EXPECT_EQ(parse("01-02 09:00"), iso("2026-01-02T09:00:00+08:00"));
  EXPECT_EQ(parse("01-03 09:00"), iso("2025-01-03T09:00:00+08:00"));
  // Feb 29 needs a leap year: none in 2026/2025; in 2029 it is 2028's.
  EXPECT_EQ(parse("02-29 10:00"), std::nullopt);
  FakeClock later = clock_at("2029-01-10T00:00:00Z");
  EXPECT_EQ(parse_relative_time_ms("02-29 10:00", later), iso("2028-02-29T10:00:00+08:00"));
}

TEST_F(RelativeTime, FullDates) {
  EXPECT_EQ(parse("2025-12-25 08:30"), iso("2025-12-25T08:30:00+08:00"));
  EXPECT_EQ(parse("2025-12-25 08:30:15"), iso("2025-12-25T08:30:15+08:00"));
  EXPECT_EQ(parse("2025-12-25T08:30"), iso("2025-12-25T08:30:00+08:00"));
  EXPECT_EQ(parse("2025/12/25 08:30"), iso("2025-12-25T08:30:00+08:00"));
  EXPECT_EQ(parse("2025.1.5 8:30"), iso("2025-01-05T08:30:00+08:00"));
  EXPECT_EQ(parse("2025年12月25日 08:30"), iso("2025-12-25T08:30:00+08:00"));
  EXPECT_EQ(parse("2025年12月25日"), iso("2025-12-25T00:00:00+08:00"));
  EXPECT_EQ(parse("2025-12-25"), iso("2025-12-25T00:00:00+08:00"));
  EXPECT_EQ(parse("2024-02-29 12:00"), iso("2024-02-29T12:00:00+08:00"));
}

TEST_F(RelativeTime, TimeOfDayAloneIsTodayUnlessWellInTheFuture) {
  EXPECT_EQ(parse("07:30"), iso("2026-01-01T07:30:00+08:00"));
  EXPECT_EQ(parse("08:05"), iso("2026-01-01T08:05:00+08:00"));  // a little clock skew
  EXPECT_EQ(parse("23:00"), iso("2025-12-31T23:00:00+08:00"));
}

TEST_F(RelativeTime, UtcZone) {
  // Now is 2026-01-01 00:00 UTC.
  EXPECT_EQ(parse("2025-12-25 08:30", "UTC"), iso("2025-12-25T08:30:00Z"));
  EXPECT_EQ(parse("昨天 12:30", "UTC"), iso("2025-12-31T12:30:00Z"));
  EXPECT_EQ(parse("12-31 23:59", "UTC"), iso("2025-12-31T23:59:00Z"));
  // Relative spans do not depend on the zone.
  EXPECT_EQ(parse("3分钟前", "UTC"), now() - 3 * kMinute);
  EXPECT_EQ(parse("2025-12-25 08:30", "+05:30"), iso("2025-12-25T08:30:00+05:30"));
}

TEST(RelativeTimeMidnight, JustAfterMidnightInShanghai) {
  // 2026-01-01 00:05 in Shanghai is still 2025-12-31 16:05 in UTC.
  FakeClock clock = clock_at("2025-12-31T16:05:00Z");
  auto parse = [&](std::string_view s, std::string_view tz = "Asia/Shanghai") {
    return parse_relative_time_ms(s, clock, tz);
  };
  EXPECT_EQ(parse("昨天 23:50"), iso("2025-12-31T23:50:00+08:00"));
  EXPECT_EQ(parse("前天 23:59"), iso("2025-12-30T23:59:00+08:00"));
  EXPECT_EQ(parse("今天 00:01"), iso("2026-01-01T00:01:00+08:00"));
  EXPECT_EQ(parse("23:58"), iso("2025-12-31T23:58:00+08:00"));  // yesterday evening
  EXPECT_EQ(parse("00:04"), iso("2026-01-01T00:04:00+08:00"));
  EXPECT_EQ(parse("12-31 23:59"), iso("2025-12-31T23:59:00+08:00"));
  EXPECT_EQ(parse("01-01 00:03"), iso("2026-01-01T00:03:00+08:00"));
  EXPECT_EQ(parse("10分钟前"), iso("2025-12-31T15:55:00Z"));
  // The same instant read in UTC is still New Year's Eve afternoon.
  EXPECT_EQ(parse("昨天 23:50", "UTC"), iso("2025-12-30T23:50:00Z"));
  EXPECT_EQ(parse("今天 00:01", "UTC"), iso("2025-12-31T00:01:00Z"));
  EXPECT_EQ(parse("01-01 00:03", "UTC"), iso("2026-01-01T00:03:00Z"));  // tomorrow in UTC
}

TEST(RelativeTimeMidnight, JustBeforeMidnightInShanghai) {
  FakeClock clock = clock_at("2025-12-31T15:59:59Z");  // 23:59:59 in Shanghai
  EXPECT_EQ(parse_relative_time_ms("今天 00:00", clock), iso("2025-12-31T00:00:00+08:00"));
  EXPECT_EQ(parse_relative_time_ms("昨天 00:00", clock), iso("2025-12-30T00:00:00+08:00"));
  EXPECT_EQ(parse_relative_time_ms("23:59", clock), iso("2025-12-31T23:59:00+08:00"));
  EXPECT_EQ(parse_relative_time_ms("00:00", clock), iso("2025-12-31T00:00:00+08:00"));
  clock.advance(std::chrono::seconds(2));  // now 00:00:01 on Jan 1
  EXPECT_EQ(parse_relative_time_ms("今天 00:00", clock), iso("2026-01-01T00:00:00+08:00"));
  EXPECT_EQ(parse_relative_time_ms("昨天 23:59", clock), iso("2025-12-31T23:59:00+08:00"));
}

TEST(RelativeTimeZone, KnownNamesAndOffsets) {
  EXPECT_EQ(zone_offset_minutes("Asia/Shanghai"), 480);
  EXPECT_EQ(zone_offset_minutes("asia/hong_kong"), 480);
  EXPECT_EQ(zone_offset_minutes("UTC"), 0);
  EXPECT_EQ(zone_offset_minutes("GMT"), 0);
  EXPECT_EQ(zone_offset_minutes("+08:00"), 480);
  EXPECT_EQ(zone_offset_minutes("-0500"), -300);
  EXPECT_EQ(zone_offset_minutes("+05:30"), 330);
  EXPECT_EQ(zone_offset_minutes("UTC+8"), 480);
  EXPECT_EQ(zone_offset_minutes("America/New_York"), std::nullopt);
  EXPECT_EQ(zone_offset_minutes(""), std::nullopt);
  EXPECT_EQ(zone_offset_minutes("+25:00"), std::nullopt);
  FakeClock clock;
  EXPECT_EQ(parse_relative_time_ms("3分钟前", clock, "Europe/Berlin"), std::nullopt);
}

TEST_F(RelativeTime, RejectsWhatItDoesNotUnderstand) {
  for (const char* bad : {"",
                          "   ",
                          "昨天下午",
                          "3分钟后",
                          "in 3 minutes",
                          "3 fortnights ago",
                          "12-32",
                          "02-30 08:00",
                          "13-01",
                          "25:00",
                          "12:60",
                          "2025-13-01",
                          "2025-12-25 24:00",
                          "1899-01-01",
                          "昨天 12:30 左右",
                          "abc",
                          "几分钟前",
                          "-3 minutes ago",
                          "3 minutes",
                          "2025-12-25 08:30+08:00"}) {
    EXPECT_EQ(parse(bad), std::nullopt) << bad;
  }
}

TEST_F(RelativeTime, HugeOrHostileInputIsRejectedWithoutOverflow) {
  EXPECT_EQ(parse("1000000分钟前"), now() - 1'000'000 * kMinute);
  EXPECT_EQ(parse("1000001分钟前"), std::nullopt);
  EXPECT_EQ(parse("999999999 years ago"), std::nullopt);
  EXPECT_EQ(parse("123456789012345678901234567890 days ago"), std::nullopt);
  EXPECT_EQ(parse("99999-12-25 08:30"), std::nullopt);
  EXPECT_EQ(parse(std::string(10'000, '9')), std::nullopt);
  EXPECT_EQ(parse("\xff\xfe\xe5\x88"), std::nullopt);  // invalid UTF-8
  constexpr char kWithNul[] = "3\0分钟前";
  EXPECT_EQ(parse(std::string(kWithNul, sizeof(kWithNul) - 1)), now() - 3 * kMinute);
}

TEST_F(RelativeTime, RandomTokenSoupNeverCrashesAndStaysNearNow) {
  // Deterministic soup of the tokens the parser knows, in random orders.
  const char* tokens[] = {"刚刚", "3",  "分钟", "前",   "昨天", "前天",  " ",    ":", "12", "-",
                          "月",   "日", "年",   "2025", "ago",  "an",    "hour", "s", "0",  "99",
                          "：",   "半", "个",   "小时", "\xff", "today", "at",   "/", "t",  "+"};
  uint32_t seed = 12345;
  auto next = [&seed] {
    seed = seed * 1103515245u + 12345u;
    return (seed >> 16) & 0x7fff;
  };
  for (int i = 0; i < 20000; ++i) {
    std::string text;
    const int n = 1 + static_cast<int>(next() % 6);
    for (int k = 0; k < n; ++k) text += tokens[next() % std::size(tokens)];
    auto ms = parse(text);
    if (ms) {
      // Anything understood is a plausible time: within 10,000 years before and a day after.
      EXPECT_LE(*ms, now() + 2 * kDay) << text;
      EXPECT_GE(*ms, now() - 10'000LL * 365 * kDay) << text;
    }
  }
}

}  // namespace
}  // namespace mu
