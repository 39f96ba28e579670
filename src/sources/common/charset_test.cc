#include "sources/common/charset.h"

#include <gtest/gtest.h>

#include "sources/testing/source_testing.h"

namespace mu {
namespace {

TEST(Charset, DetectsFromHeaderDeclarationAndBom) {
  EXPECT_EQ(detect_charset("text/xml; charset=GBK", "<?xml encoding=\"utf-8\"?>"), "GBK");
  EXPECT_EQ(detect_charset("", "<?xml version=\"1.0\" encoding=\"gb2312\"?><rss/>"), "gb2312");
  EXPECT_EQ(detect_charset("", "\xEF\xBB\xBF{}"), "UTF-8");
  EXPECT_EQ(detect_charset("application/json", "{}"), "UTF-8");
}

TEST(Charset, ConvertsGbkAndLatin1) {
  // "热搜榜" in GBK.
  auto gbk = to_utf8("\xC8\xC8\xCB\xD1\xB0\xF1", "GBK");
  ASSERT_TRUE(gbk.ok());
  EXPECT_EQ(*gbk, "热搜榜");
  auto latin = to_utf8(
      "Not\xED"
      "cias",
      "ISO-8859-1");
  ASSERT_TRUE(latin.ok());
  EXPECT_EQ(*latin, "Notícias");
  auto big5 = to_utf8("\xA4\xA4\xA4\xE5", "Big5");  // "中文"
  ASSERT_TRUE(big5.ok());
  EXPECT_EQ(*big5, "中文");
}

TEST(Charset, InvalidBytesBecomeReplacementAndUnknownCharsetIsAnError) {
  auto bad = to_utf8("\xC8\xC8\xFF", "GBK");
  ASSERT_TRUE(bad.ok());
  EXPECT_EQ(bad->substr(0, 3), "热");
  EXPECT_NE(bad->find("\xEF\xBF\xBD"), std::string::npos);
  EXPECT_EQ(to_utf8("abc", "no-such-charset").code(), ErrorCode::kParse);
  EXPECT_EQ(*to_utf8("\xEF\xBB\xBFok", "utf-8"), "ok");
}

TEST(Charset, RealGb2312FeedDecodes) {
  auto path = source_testing::real_capture("feeds/qq-news-gb2312.xml");
  if (!path) GTEST_SKIP() << "shared fixtures not present";
  auto utf8 = body_as_utf8("", source_testing::read_file(*path));
  ASSERT_TRUE(utf8.ok());
  EXPECT_NE(utf8->find("新闻"), std::string::npos);
  EXPECT_EQ(utf8->find("\xEF\xBF\xBD"), std::string::npos) << "no undecodable bytes";
}

}  // namespace
}  // namespace mu
