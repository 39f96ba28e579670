#include "auth/crypto.h"

#include <gtest/gtest.h>

#include <set>

namespace mu {
namespace {

bool is_base64url(const std::string& s) {
  for (char c : s) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

TEST(CryptoTest, RandomTokenHasBase64urlShapeWithoutPadding) {
  const std::string t = random_token();
  EXPECT_EQ(t.size(), 43u);  // 32 bytes -> ceil(256 / 6)
  EXPECT_TRUE(is_base64url(t)) << t;
  EXPECT_EQ(random_token(16).size(), 22u);
  EXPECT_EQ(random_token(3).size(), 4u);
  EXPECT_EQ(random_token(0).size(), 2u);  // clamped to one byte
}

TEST(CryptoTest, RandomTokensDoNotRepeat) {
  std::set<std::string> seen;
  for (int i = 0; i < 2000; ++i) seen.insert(random_token());
  EXPECT_EQ(seen.size(), 2000u);
}

TEST(CryptoTest, Base64urlMatchesRfc4648VectorsWithoutPadding) {
  EXPECT_EQ(base64url_encode(""), "");
  EXPECT_EQ(base64url_encode("f"), "Zg");
  EXPECT_EQ(base64url_encode("fo"), "Zm8");
  EXPECT_EQ(base64url_encode("foo"), "Zm9v");
  EXPECT_EQ(base64url_encode("foob"), "Zm9vYg");
  EXPECT_EQ(base64url_encode("fooba"), "Zm9vYmE");
  EXPECT_EQ(base64url_encode("foobar"), "Zm9vYmFy");
  // The two characters that differ from standard base64 ('+' and '/').
  EXPECT_EQ(base64url_encode(std::string("\xfb\xff\xbf", 3)), "-_-_");
}

TEST(CryptoTest, Sha256MatchesFipsVectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_bytes("abc").size(), 32u);
  EXPECT_EQ(static_cast<unsigned char>(sha256_bytes("abc")[0]), 0xbau);
}

TEST(CryptoTest, ConstantTimeEquals) {
  EXPECT_TRUE(constant_time_equals("", ""));
  EXPECT_TRUE(constant_time_equals("secret-token", "secret-token"));
  EXPECT_FALSE(constant_time_equals("secret-token", "secret-tokeN"));
  EXPECT_FALSE(constant_time_equals("Secret-token", "secret-token"));
  EXPECT_FALSE(constant_time_equals("secret", "secret-token"));
  EXPECT_FALSE(constant_time_equals("", "x"));
  EXPECT_FALSE(constant_time_equals(std::string("a\0b", 3), std::string("a\0c", 3)));
}

}  // namespace
}  // namespace mu

namespace mu {
namespace {

TEST(CryptoTest, HmacSha256MatchesRfc4231) {
  // RFC 4231 test case 2.
  EXPECT_EQ(hmac_sha256_hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(hmac_sha256("Jefe", "what do ya want for nothing?").size(), 32u);
}

}  // namespace
}  // namespace mu
