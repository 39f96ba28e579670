#include "sources/spec/dates.h"

#include <gtest/gtest.h>

namespace mu {
namespace {

TEST(SpecDates, Rfc822AndVariants) {
  EXPECT_EQ(parse_date_ms("Wed, 03 Jan 2018 13:47:00 GMT"), 1514987220000);
  EXPECT_EQ(parse_date_ms("Wed, 03 Jan 2018 13:47:00 GMT\r\n      "), 1514987220000);
  EXPECT_EQ(parse_date_ms("3 Jan 2018 13:47 +0000"), 1514987220000);
  EXPECT_EQ(parse_date_ms("Wed, 03 Jan 18 14:47:00 +0100"), 1514987220000);
  EXPECT_EQ(parse_date_ms("Wed, 03 Jan 2018 08:47:00 EST"), 1514987220000);
  EXPECT_EQ(parse_date_ms("Wed, 03 Jan 2018 21:47:00 +08:00"), 1514987220000);
  EXPECT_EQ(parse_date_ms("Sunday, 06-Nov-94 08:49:37 GMT"), 784111777000);
  EXPECT_EQ(parse_date_ms("Jan 03 2018 13:47:00 GMT"), 1514987220000);
  EXPECT_EQ(parse_date_ms("Wed, 03 Jan 2018"), 1514937600000);  // date only: midnight
}

TEST(SpecDates, ForeignDayAndMonthNames) {
  // Portuguese (UOL): Seg = Monday, Set = September.
  EXPECT_EQ(parse_date_ms("Seg, 24 Set 2018 19:42:40 -0300"), 1537828960000);
  // Spanish "Mar" (martes) looks like a month but is a day name here.
  EXPECT_EQ(parse_date_ms("Mar, 24 Sep 2018 19:42:40 -0300"), 1537828960000);
  EXPECT_EQ(parse_date_ms("lun., 24 sept. 2018 19:42:40 -0300"), 1537828960000);
  EXPECT_EQ(parse_date_ms("Mo, 24 Okt 2018 00:00:00 GMT"), parse_date_ms("2018-10-24T00:00:00Z"));
  EXPECT_EQ(parse_date_ms("24 d\xc3\xa9"
                          "c 2018 00:00:00 GMT"),
            parse_date_ms("2018-12-24"));
  EXPECT_EQ(parse_date_ms("24 juin 2018 00:00 GMT"), parse_date_ms("2018-06-24"));
  EXPECT_EQ(parse_date_ms("24 juil 2018 00:00 GMT"), parse_date_ms("2018-07-24"));
}

TEST(SpecDates, IsoAndNearForms) {
  EXPECT_EQ(parse_date_ms("2025-12-31T09:14:52.000-06:00"), 1767194092000);
  EXPECT_EQ(parse_date_ms("2025-12-31T15:14:52Z"), 1767194092000);
  EXPECT_EQ(parse_date_ms("2025-12-31T15:14:52.5Z"), 1767194092500);
  EXPECT_EQ(parse_date_ms("2025-12-31T21:14:52+0600"), 1767194092000);
  EXPECT_EQ(parse_date_ms("2025-12-31 15:14"), 1767194040000);
  EXPECT_EQ(parse_date_ms("2025/12/31 15:14:52"), 1767194092000);
  EXPECT_EQ(parse_date_ms("2026-01-01"), 1767225600000);
  EXPECT_EQ(parse_date_ms("2026-01-01 08:00:00 (CST)", 480), 1767225600000);
}

TEST(SpecDates, NaiveTimesUseTheDefaultOffset) {
  EXPECT_EQ(parse_date_ms("2018-09-18 14:38:10"), 1537281490000);        // UTC
  EXPECT_EQ(parse_date_ms("2018-09-18 14:38:10", 480), 1537252690000);   // Beijing
  EXPECT_EQ(parse_date_ms("2018-09-18 14:38:10Z", 480), 1537281490000);  // explicit wins
  EXPECT_EQ(parse_date_ms("Tue, 18 Sep 2018 14:38:10", 480), 1537252690000);
}

TEST(SpecDates, RejectsNonDates) {
  for (const char* s : {"", "   ", "yesterday", "3 hours ago", "2018-13-01", "2018-02-30x",
                        "2018-01-01T25:00:00Z", "32 Jan 2018", "12/31/2025", "1767225600",
                        "Wed, 03 Foo 2018 13:47:00 GMT", "99999-01-01"}) {
    EXPECT_FALSE(parse_date_ms(s).has_value()) << s;
  }
}

TEST(SpecDates, UtcOffsets) {
  EXPECT_EQ(parse_utc_offset("+08:00"), 480);
  EXPECT_EQ(parse_utc_offset("+0800"), 480);
  EXPECT_EQ(parse_utc_offset("-03"), -180);
  EXPECT_EQ(parse_utc_offset("-05:30"), -330);
  EXPECT_EQ(parse_utc_offset("Z"), 0);
  EXPECT_EQ(parse_utc_offset("UTC"), 0);
  EXPECT_FALSE(parse_utc_offset("Asia/Shanghai").has_value());
  EXPECT_FALSE(parse_utc_offset("+8").has_value());
  EXPECT_FALSE(parse_utc_offset("+25:00").has_value());
  EXPECT_FALSE(parse_utc_offset("").has_value());
}

}  // namespace
}  // namespace mu
