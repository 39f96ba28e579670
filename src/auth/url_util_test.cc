#include "auth/url_util.h"

#include <gtest/gtest.h>

namespace mu {
namespace {

TEST(UrlUtilTest, EncodesEverythingOutsideUnreserved) {
  EXPECT_EQ(url_encode_component("AZaz09-._~"), "AZaz09-._~");
  EXPECT_EQ(url_encode_component("a b&c=d/e?f#g+h%"), "a%20b%26c%3Dd%2Fe%3Ff%23g%2Bh%25");
  EXPECT_EQ(url_encode_component("read:user"), "read%3Auser");
  EXPECT_EQ(url_encode_component("\xc3\xa9"), "%C3%A9");
}

TEST(UrlUtilTest, FormRoundTrips) {
  const FormFields fields = {{"a", "1"}, {"b c", "x&y=z"}, {"empty", ""}, {"u", "\xe4\xb8\xad"}};
  const std::string encoded = form_encode(fields);
  EXPECT_EQ(encoded, "a=1&b%20c=x%26y%3Dz&empty=&u=%E4%B8%AD");
  EXPECT_EQ(parse_form(encoded), fields);
}

TEST(UrlUtilTest, ParseFormHandlesPlusBadEscapesAndDuplicates) {
  const FormFields f = parse_form("a=x+y&&b=%zz&c&a=second&d=%4");
  ASSERT_EQ(f.size(), 5u);
  EXPECT_EQ(f[0], (std::pair<std::string, std::string>{"a", "x y"}));
  EXPECT_EQ(f[1].second, "%zz");
  EXPECT_EQ(f[2], (std::pair<std::string, std::string>{"c", ""}));
  EXPECT_EQ(f[4].second, "%4");
  EXPECT_EQ(form_value(f, "a"), "x y");  // first wins
  EXPECT_FALSE(form_value(f, "zz").has_value());
}

}  // namespace
}  // namespace mu
