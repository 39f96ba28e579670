#include "core/compress.h"

#include <gtest/gtest.h>

namespace mu {
namespace {

TEST(Gzip, RoundTripsChineseText) {
  std::string text;
  for (int i = 0; i < 200; ++i) text += "微博热搜 第" + std::to_string(i) + " 条 hot list\n";
  std::string z = gzip_compress(text);
  ASSERT_GE(z.size(), 10u);
  EXPECT_EQ(static_cast<unsigned char>(z[0]), 0x1f);  // gzip magic
  EXPECT_EQ(static_cast<unsigned char>(z[1]), 0x8b);
  EXPECT_LT(z.size(), text.size() / 4);
  auto back = gzip_decompress(z);
  ASSERT_TRUE(back.ok()) << back.status().to_string();
  EXPECT_EQ(*back, text);
}

TEST(Gzip, RejectsTruncatedAndOversizedStreams) {
  std::string z = gzip_compress(std::string(100000, 'a'));
  auto truncated = gzip_decompress(z.substr(0, z.size() / 2));
  EXPECT_EQ(truncated.code(), ErrorCode::kParse);
  auto capped = gzip_decompress(z, 1000);
  EXPECT_EQ(capped.code(), ErrorCode::kTooLarge);
  EXPECT_EQ(gzip_decompress("not gzip at all").code(), ErrorCode::kParse);
}

}  // namespace
}  // namespace mu
