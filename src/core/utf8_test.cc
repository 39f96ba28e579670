#include "core/utf8.h"

#include <gtest/gtest.h>

namespace mu {
namespace {

TEST(Utf8, FindsTheFirstIllFormedByte) {
  EXPECT_EQ(find_invalid_utf8("plain ascii"), std::nullopt);
  EXPECT_EQ(find_invalid_utf8("\xE5\xBE\xAE\xE5\x8D\x9A \xF0\x9F\x94\xA5"), std::nullopt);
  EXPECT_EQ(find_invalid_utf8("ab\xFF"), 2u);
  EXPECT_EQ(find_invalid_utf8("\x80"), 0u);              // stray continuation byte
  EXPECT_EQ(find_invalid_utf8("x\xE5\xBE"), 1u);         // truncated
  EXPECT_EQ(find_invalid_utf8("\xC0\xAF"), 0u);          // overlong '/'
  EXPECT_EQ(find_invalid_utf8("\xED\xA0\x80"), 0u);      // surrogate
  EXPECT_EQ(find_invalid_utf8("\xF4\x90\x80\x80"), 0u);  // past U+10FFFF
  EXPECT_EQ(find_invalid_utf8(std::string_view("a\0b", 3)), std::nullopt);
}

TEST(Utf8, RepairsEachBadByteAsReplacementCharacter) {
  EXPECT_EQ(replace_invalid_utf8("ok \xE2\x9C\x93"), "ok \xE2\x9C\x93");
  EXPECT_EQ(replace_invalid_utf8("a\xFF\xFE"
                                 "b"),
            "a\xEF\xBF\xBD\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(replace_invalid_utf8("\xE5\xBE"), "\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(find_invalid_utf8(replace_invalid_utf8("\x80\xC0\xAF\xED\xA0\x80 z")), std::nullopt);
}

}  // namespace
}  // namespace mu
