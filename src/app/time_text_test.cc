#include "app/time_text.h"

#include <gtest/gtest.h>

#include "scheduler/cron.h"

namespace mu {
namespace {

TEST(CliTime, ParsesUtcOffsetsAndLocalTimes) {
  auto ny = find_time_zone("America/New_York");
  ASSERT_TRUE(ny.ok());
  auto utc = parse_cli_time("2026-03-08T07:00:00Z", *ny);
  ASSERT_TRUE(utc.ok());
  EXPECT_EQ(format_utc(*utc), "2026-03-08T07:00:00Z");
  EXPECT_EQ(format_utc(*parse_cli_time("2026-03-08T15:00:00+08:00", *ny)), "2026-03-08T07:00:00Z");
  EXPECT_EQ(format_utc(*parse_cli_time("2026-03-08 01:30", *ny)), "2026-03-08T06:30:00Z");
  EXPECT_EQ(format_local(*utc, *ny), "2026-03-08 03:00:00 EDT (America/New_York)");
  EXPECT_EQ(parse_cli_time("yesterday", *ny).code(), ErrorCode::kInvalid);
  EXPECT_EQ(parse_cli_time("2026-02-30T00:00:00Z", *ny).code(), ErrorCode::kInvalid);
  EXPECT_EQ(parse_cli_time("2026-03-08T07:00:00 PST", *ny).code(), ErrorCode::kInvalid);
}

}  // namespace
}  // namespace mu
