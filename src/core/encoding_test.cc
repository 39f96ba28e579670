#include "core/encoding.h"

#include <gtest/gtest.h>

namespace mu {
namespace {

TEST(EncodingTest, Base64MatchesRfc4648VectorsWithPadding) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode("foob"), "Zm9vYg==");
  EXPECT_EQ(base64_encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64_encode("\xfb\xff"), "+/8=");
}

TEST(EncodingTest, HexAndAsciiLower) {
  EXPECT_EQ(hex_encode(std::string("\x01\xab\x00", 3)), "01ab00");
  EXPECT_EQ(ascii_lower("OpenAI 大模型 ÄB"), "openai 大模型 Äb");
  EXPECT_EQ(html_escape(R"(<a href="x">'火灾' & more</a>)"),
            "&lt;a href=&quot;x&quot;&gt;&#39;火灾&#39; &amp; more&lt;/a&gt;");
}

}  // namespace
}  // namespace mu
