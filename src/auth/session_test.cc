#include "auth/session.h"

#include <gtest/gtest.h>

#include "auth/crypto.h"

namespace mu {
namespace {

using std::chrono::seconds;

TEST(SessionCookieTest, ExactSetCookieStrings) {
  EXPECT_EQ(session_cookie("abc_DEF-123", seconds(2592000), true),
            "mu_session=abc_DEF-123; Path=/; HttpOnly; SameSite=Lax; Max-Age=2592000; Secure");
  EXPECT_EQ(session_cookie("abc", seconds(60), false),
            "mu_session=abc; Path=/; HttpOnly; SameSite=Lax; Max-Age=60");
  EXPECT_EQ(session_cookie("abc", seconds(-5), false),
            "mu_session=abc; Path=/; HttpOnly; SameSite=Lax; Max-Age=0");
  EXPECT_EQ(clear_session_cookie(true),
            "mu_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0; Secure");
  EXPECT_EQ(clear_session_cookie(false), "mu_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0");
}

TEST(SessionCookieTest, TokensThatCouldInjectAttributesAreNotWritten) {
  EXPECT_EQ(session_cookie("x; Domain=evil.com", seconds(60), true), clear_session_cookie(true));
  EXPECT_EQ(session_cookie("x\r\nSet-Cookie: a=b", seconds(60), false),
            clear_session_cookie(false));
  EXPECT_EQ(session_cookie("", seconds(60), false), clear_session_cookie(false));
}

TEST(SessionCookieTest, NewTokensRoundTripThroughTheCookie) {
  const std::string token = new_session_token();
  EXPECT_EQ(token.size(), 43u);
  EXPECT_NE(token, new_session_token());
  const std::string set_cookie = session_cookie(token, seconds(60), true);
  const std::string pair = set_cookie.substr(0, set_cookie.find(';'));
  EXPECT_EQ(parse_cookie(pair, "mu_session"), token);
}

TEST(SessionCookieTest, SessionIdIsTheSha256OfTheToken) {
  EXPECT_EQ(session_id_of("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const std::string token = new_session_token();
  EXPECT_EQ(session_id_of(token), sha256_hex(token));
  EXPECT_EQ(session_id_of(token).find(token), std::string::npos);
}

TEST(ParseCookieTest, FindsTheNamedCookie) {
  EXPECT_EQ(parse_cookie("mu_session=abc", "mu_session"), "abc");
  EXPECT_EQ(parse_cookie("a=1; mu_session=abc; b=2", "mu_session"), "abc");
  EXPECT_EQ(parse_cookie("a=1;mu_session=abc;b=2", "mu_session"), "abc");
  EXPECT_EQ(parse_cookie("  a=1 ;\t mu_session = abc  ; b=2", "mu_session"), "abc");
  EXPECT_EQ(parse_cookie("mu_session=\"abc\"", "mu_session"), "abc");
  EXPECT_EQ(parse_cookie("mu_session=a=b", "mu_session"), "a=b");
  EXPECT_EQ(parse_cookie("mu_session=", "mu_session"), "");
}

TEST(ParseCookieTest, DuplicatesTakeTheFirst) {
  EXPECT_EQ(parse_cookie("mu_session=first; mu_session=second", "mu_session"), "first");
}

TEST(ParseCookieTest, AbsentOrLookalikeNames) {
  EXPECT_FALSE(parse_cookie("", "mu_session").has_value());
  EXPECT_FALSE(parse_cookie("a=1; b=2", "mu_session").has_value());
  EXPECT_FALSE(parse_cookie("xmu_session=1; mu_session_x=2", "mu_session").has_value());
  EXPECT_FALSE(parse_cookie("MU_SESSION=1", "mu_session").has_value());
  EXPECT_FALSE(parse_cookie("mu_session; other=1", "mu_session").has_value());
  EXPECT_FALSE(parse_cookie("a=1", "").has_value());
  EXPECT_EQ(parse_cookie("garbage;; ;mu_session=ok", "mu_session"), "ok");
}

}  // namespace
}  // namespace mu
