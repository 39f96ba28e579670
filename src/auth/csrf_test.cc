#include "auth/csrf.h"

#include <gtest/gtest.h>

namespace mu {
namespace {

const std::string kSelf = "https://mu.example";
const std::vector<std::string> kAllowed = {"https://admin.mu.example", "http://localhost:5173"};
const std::string kToken = "csrf-token-0123456789abcdefghijklmnopqrstu";

Status check(std::string_view method, std::string_view origin, std::string_view referer,
             std::string_view header_token, std::string_view session_token = kToken) {
  return check_csrf(method, origin, referer, header_token, session_token, kAllowed, kSelf);
}

TEST(CsrfTest, SafeMethodsAlwaysPass) {
  for (const char* m : {"GET", "HEAD", "OPTIONS"}) {
    EXPECT_TRUE(check(m, "https://evil.example", "", "").ok()) << m;
    EXPECT_TRUE(check(m, "", "", "").ok()) << m;
  }
}

TEST(CsrfTest, MutatingMethodsWithoutProofFail) {
  for (const char* m : {"POST", "PUT", "PATCH", "DELETE", "post", "get", "TRACE"}) {
    const Status s = check(m, "", "", "");
    EXPECT_EQ(s.code(), ErrorCode::kInvalid) << m;
  }
}

TEST(CsrfTest, MatchingTokenPassesFromAnyOrigin) {
  EXPECT_TRUE(check("POST", "", "", kToken).ok());
  EXPECT_TRUE(check("DELETE", "https://evil.example", "", kToken).ok());
}

TEST(CsrfTest, WrongOrEmptyTokenDoesNotPass) {
  EXPECT_FALSE(check("POST", "", "", kToken + "x").ok());
  EXPECT_FALSE(check("POST", "", "", kToken.substr(1)).ok());
  EXPECT_FALSE(check("POST", "https://evil.example", "", "wrong").ok());
  // No session token: an empty header must not "equal" it.
  EXPECT_FALSE(check("POST", "", "", "", "").ok());
  EXPECT_FALSE(check("POST", "https://evil.example", "", "", "").ok());
}

TEST(CsrfTest, SameOriginOrAllowlistedOriginPasses) {
  EXPECT_TRUE(check("POST", "https://mu.example", "", "").ok());
  EXPECT_TRUE(check("POST", "HTTPS://MU.example:443", "", "").ok());
  EXPECT_TRUE(check("POST", "https://admin.mu.example", "", "").ok());
  EXPECT_TRUE(check("PUT", "http://localhost:5173", "", "").ok());
}

TEST(CsrfTest, ForeignOriginsFail) {
  EXPECT_FALSE(check("POST", "https://evil.example", "", "").ok());
  EXPECT_FALSE(check("POST", "http://mu.example", "", "").ok());        // scheme differs
  EXPECT_FALSE(check("POST", "https://mu.example:8443", "", "").ok());  // port differs
  EXPECT_FALSE(check("POST", "https://mu.example.evil.com", "", "").ok());
  EXPECT_FALSE(check("POST", "https://evilmu.example", "", "").ok());
  EXPECT_FALSE(check("POST", "http://localhost:5174", "", "").ok());
  EXPECT_FALSE(check("POST", "null", "", "").ok());
  EXPECT_FALSE(check("POST", "null", "https://mu.example/page", "").ok());  // Origin wins
  EXPECT_FALSE(check("POST", "https://evil.example", "https://mu.example/", "").ok());
}

TEST(CsrfTest, RefererIsUsedOnlyWhenOriginIsAbsent) {
  EXPECT_TRUE(check("POST", "", "https://mu.example/boards?x=1", "").ok());
  EXPECT_TRUE(check("POST", "", "https://admin.mu.example", "").ok());
  EXPECT_FALSE(check("POST", "", "https://evil.example/https://mu.example/", "").ok());
  EXPECT_FALSE(check("POST", "", "https://mu.example@evil.example/", "").ok());
  EXPECT_FALSE(check("POST", "", "https://mu.example.evil.example/", "").ok());
  EXPECT_FALSE(check("POST", "", "/relative/path", "").ok());
  EXPECT_FALSE(check("POST", "", "javascript:alert(1)", "").ok());
}

TEST(CsrfTest, EmptySelfOriginMatchesNothing) {
  EXPECT_FALSE(check_csrf("POST", "", "", "", "", {}, "").ok());
  EXPECT_FALSE(check_csrf("POST", "https://x.example", "", "", "", {}, "").ok());
}

TEST(CsrfTest, NormalizeOrigin) {
  EXPECT_EQ(normalize_origin("HTTPS://Example.COM:443/a?b#c"), "https://example.com");
  EXPECT_EQ(normalize_origin("http://example.com:80"), "http://example.com");
  EXPECT_EQ(normalize_origin("http://example.com:8080/"), "http://example.com:8080");
  EXPECT_EQ(normalize_origin("https://example.com:80"), "https://example.com:80");
  EXPECT_EQ(normalize_origin("http://[::1]:8080"), "http://[::1]:8080");
  EXPECT_FALSE(normalize_origin("ftp://example.com").has_value());
  EXPECT_FALSE(normalize_origin("https://").has_value());
  EXPECT_FALSE(normalize_origin("https://user:pw@example.com").has_value());
  EXPECT_FALSE(normalize_origin("https://exa mple.com").has_value());
  EXPECT_FALSE(normalize_origin("null").has_value());
}

}  // namespace
}  // namespace mu
