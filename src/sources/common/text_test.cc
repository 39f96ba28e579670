#include "sources/common/text.h"

#include <gtest/gtest.h>

namespace mu {
namespace {

TEST(Text, TrimRemovesAsciiAndUnicodeSpaces) {
  EXPECT_EQ(trim("  hello \t\n"), "hello");
  EXPECT_EQ(trim("\xE3\x80\x80热搜\xE3\x80\x80"), "热搜");       // U+3000
  EXPECT_EQ(trim("\xC2\xA0 532 points\xC2\xA0"), "532 points");  // NBSP
  EXPECT_EQ(trim("\xEF\xBB\xBFtitle"), "title");                 // BOM
  EXPECT_EQ(trim(" \xE3\x80\x80 "), "");
  EXPECT_EQ(trim("a\xE3\x80\x80"
                 "b"),
            "a\xE3\x80\x80"
            "b");  // inner spaces stay
  EXPECT_EQ(trim(""), "");
}

TEST(Text, CollapseWhitespaceJoinsRunsIntoOneSpace) {
  EXPECT_EQ(collapse_whitespace("\n   warpdotdev /\n      warp  "), "warpdotdev / warp");
  EXPECT_EQ(collapse_whitespace("知乎\xE3\x80\x80\xE3\x80\x80热榜"), "知乎 热榜");
  EXPECT_EQ(collapse_whitespace("42\xC2\xA0"
                                "comments"),
            "42 comments");
  EXPECT_EQ(collapse_whitespace("zero\xE2\x80\x8Bwidth"), "zerowidth");
  EXPECT_TRUE(is_blank(" \r\n\xE3\x80\x80"));
  EXPECT_FALSE(is_blank(" x "));
}

TEST(Text, ToValidUtf8ReplacesBrokenSequences) {
  EXPECT_EQ(to_valid_utf8("微博"), "微博");
  EXPECT_EQ(to_valid_utf8("a\xFF"
                          "b"),
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(to_valid_utf8("\xE5\xBE"), "\xEF\xBF\xBD");      // truncated 3-byte sequence
  EXPECT_EQ(to_valid_utf8("\xC0\xAF"), "\xEF\xBF\xBD");      // overlong '/': one error, one U+FFFD
  EXPECT_EQ(to_valid_utf8("\xED\xA0\x80"), "\xEF\xBF\xBD");  // UTF-16 surrogate
  EXPECT_EQ(to_valid_utf8(std::string("a\0b", 3)), "ab");
}

TEST(Text, TruncateUtf8CutsOnCodePointBoundaries) {
  EXPECT_EQ(truncate_utf8("short", 10), "short");
  const std::string cut = truncate_utf8("热搜榜热搜榜", 10);  // 18 bytes
  EXPECT_LE(cut.size(), 10u);
  EXPECT_EQ(cut, "热搜\xE2\x80\xA6");
  EXPECT_EQ(to_valid_utf8(cut), cut);
}

TEST(Text, ParsePopularityUnderstandsSiteFormats) {
  EXPECT_EQ(parse_popularity("2123万"), 21230000);
  EXPECT_EQ(parse_popularity("2123 万热度"), 21230000);
  EXPECT_EQ(parse_popularity("1.2亿"), 120000000);
  EXPECT_EQ(parse_popularity("12,345 stars today"), 12345);
  EXPECT_EQ(parse_popularity("532 points"), 532);
  EXPECT_EQ(parse_popularity("3.5k"), 3500);
  EXPECT_EQ(parse_popularity("3.5K views"), 3500);
  EXPECT_EQ(parse_popularity("2.1M"), 2100000);
  EXPECT_EQ(parse_popularity("10w+"), 100000);
  EXPECT_EQ(parse_popularity("热度 88"), 88);
  EXPECT_EQ(parse_popularity("1,136,119"), 1136119);
  EXPECT_EQ(parse_popularity("12 minutes ago"), 12);  // 'm' followed by a letter is no unit
  EXPECT_EQ(parse_popularity("1 comment"), 1);
  EXPECT_EQ(parse_popularity("1.5百万"), 1500000);
  EXPECT_FALSE(parse_popularity("discuss").has_value());
  EXPECT_FALSE(parse_popularity("").has_value());
}

TEST(Text, StrictNumbers) {
  EXPECT_EQ(parse_int(" 42 "), 42);
  EXPECT_EQ(parse_int("-7"), -7);
  EXPECT_FALSE(parse_int("42x").has_value());
  EXPECT_FALSE(parse_int("99999999999999999999").has_value());
  EXPECT_EQ(parse_double("3.25"), 3.25);
  EXPECT_EQ(parse_double("1e3"), 1000);
  EXPECT_FALSE(parse_double("nan").has_value());
  EXPECT_FALSE(parse_double("").has_value());
}

TEST(Text, ParseIso8601) {
  EXPECT_EQ(parse_iso8601_ms("1970-01-01T00:00:00"), 0);
  EXPECT_EQ(parse_iso8601_ms("2026-01-01T00:00:00Z"), 1767225600000);
  EXPECT_EQ(parse_iso8601_ms("2026-01-01 08:00:00+08:00"), 1767225600000);
  EXPECT_EQ(parse_iso8601_ms("2026-01-01T00:00:00.250Z"), 1767225600250);
  EXPECT_EQ(parse_iso8601_ms("2023-10-18T19:33:46"), 1697657626000);
  EXPECT_FALSE(parse_iso8601_ms("2026-02-30T00:00:00").has_value());
  EXPECT_FALSE(parse_iso8601_ms("yesterday").has_value());
}

}  // namespace
}  // namespace mu
