#include "auth/pkce.h"

#include <gtest/gtest.h>

#include "auth/crypto.h"

namespace mu {
namespace {

// RFC 7636 Appendix B, as published: the verifier, the SHA-256 octets it lists, and the
// challenge. (The task brief quoted "...K1zRaFhx7gKCOqQL-M"; that is not the RFC's value and
// not the S256 of this verifier.)
TEST(PkceTest, MatchesRfc7636AppendixBVector) {
  const std::string verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
  const unsigned char octets[] = {19, 211, 30,  150, 26,  26,  216, 236, 47,  22,  177,
                                  12, 76,  152, 46,  8,   118, 168, 120, 173, 109, 241,
                                  68, 86,  110, 225, 137, 74,  203, 112, 249, 195};
  EXPECT_EQ(sha256_bytes(verifier), std::string(reinterpret_cast<const char*>(octets), 32));
  EXPECT_EQ(pkce_challenge(verifier), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
  EXPECT_TRUE(is_valid_pkce_verifier(verifier));
}

TEST(PkceTest, MakePkceGivesAValidFreshPair) {
  const PkcePair a = make_pkce();
  const PkcePair b = make_pkce();
  EXPECT_EQ(a.method, "S256");
  EXPECT_EQ(a.verifier.size(), 43u);
  EXPECT_TRUE(is_valid_pkce_verifier(a.verifier));
  EXPECT_EQ(a.challenge, pkce_challenge(a.verifier));
  EXPECT_EQ(a.challenge.size(), 43u);
  EXPECT_NE(a.verifier, b.verifier);
  EXPECT_NE(a.challenge, a.verifier);
}

TEST(PkceTest, VerifierValidation) {
  EXPECT_TRUE(is_valid_pkce_verifier(std::string(43, 'a')));
  EXPECT_TRUE(is_valid_pkce_verifier(std::string(128, '~')));
  EXPECT_TRUE(is_valid_pkce_verifier("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"));
  EXPECT_FALSE(is_valid_pkce_verifier(std::string(42, 'a')));
  EXPECT_FALSE(is_valid_pkce_verifier(std::string(129, 'a')));
  EXPECT_FALSE(is_valid_pkce_verifier(std::string(42, 'a') + "+"));
  EXPECT_FALSE(is_valid_pkce_verifier(std::string(42, 'a') + "/"));
  EXPECT_FALSE(is_valid_pkce_verifier(std::string(42, 'a') + " "));
  EXPECT_FALSE(is_valid_pkce_verifier(""));
}

}  // namespace
}  // namespace mu
