#include "pipeline/normalize.h"

#include <gtest/gtest.h>

namespace mu {
namespace {

Item make(std::string key, std::string title, std::string url) {
  Item it;
  it.key = std::move(key);
  it.title = std::move(title);
  it.url = std::move(url);
  return it;
}

TEST(CleanText, CollapsesAsciiAndCjkWhitespace) {
  EXPECT_EQ(clean_text("  \t 央视 \u3000 新闻\n\n联播\u00a0 "), "央视 新闻 联播");
  EXPECT_EQ(clean_text("a\x01\x02"
                       "b"),
            "ab");
  EXPECT_EQ(clean_text(""), "");
}

TEST(CleanText, ReplacesInvalidUtf8AndCutsOnCharacterBoundary) {
  EXPECT_EQ(clean_text("ok\xff!"), "ok\xEF\xBF\xBD!");
  EXPECT_EQ(clean_text("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");  // overlong '/'
  // "热搜榜" is 9 bytes; a 7-byte cap keeps two whole characters.
  EXPECT_EQ(clean_text("热搜榜", 7), "热搜");
}

TEST(SanitizeUrl, KeepsOnlyAbsoluteHttpLinks) {
  EXPECT_EQ(sanitize_url("https://s.weibo.com/weibo?q=%23a%23").value_or(""),
            "https://s.weibo.com/weibo?q=%23a%23");
  EXPECT_EQ(sanitize_url("HTTP://Example.com/x").value_or(""), "http://Example.com/x");
  EXPECT_EQ(sanitize_url("//news.ycombinator.com/item?id=1").value_or(""),
            "https://news.ycombinator.com/item?id=1");
  EXPECT_FALSE(sanitize_url("javascript:alert(1)"));
  EXPECT_FALSE(sanitize_url("JaVaScRiPt:alert(1)"));
  EXPECT_FALSE(sanitize_url("data:text/html,<script>"));
  EXPECT_FALSE(sanitize_url("mailto:a@b.c"));
  EXPECT_FALSE(sanitize_url("/relative/path"));
  EXPECT_FALSE(sanitize_url("item?id=3"));
  EXPECT_FALSE(sanitize_url("https://"));
  EXPECT_FALSE(sanitize_url("https://bank.example@evil.example/"));
  EXPECT_FALSE(sanitize_url("https://a.com/\nx"));
  EXPECT_FALSE(sanitize_url(""));
}

TEST(SanitizeUrl, PercentEncodesSpacesAndNonAscii) {
  EXPECT_EQ(sanitize_url("https://s.weibo.com/weibo?q=#热搜 榜#").value_or(""),
            "https://s.weibo.com/weibo?q=#%E7%83%AD%E6%90%9C%20%E6%A6%9C%23");
  EXPECT_EQ(sanitize_url("https://a.com/<b>").value_or(""), "https://a.com/%3Cb%3E");
}

TEST(Normalize, DropsBadItemsAndDuplicatesAndDerivesKeys) {
  std::vector<Item> in = {
      make("1", "  First  ", "https://a.com/1"),
      make("2", "Evil", "javascript:alert(document.cookie)"),
      make("3", "   ", "https://a.com/3"),
      make("1", "Duplicate key", "https://a.com/dup"),
      make("", "No key", "https://a.com/nokey"),
  };
  in[0].image = "javascript:x";
  in[0].mobile_url = "https://m.a.com/1";
  NormalizeReport report;
  auto out = normalize_items(in, &report);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].title, "First");
  EXPECT_EQ(out[0].image, "");
  EXPECT_EQ(out[0].mobile_url, "https://m.a.com/1");
  EXPECT_EQ(out[1].key, "https://a.com/nokey");
  EXPECT_EQ(report.dropped_bad_url, 1);
  EXPECT_EQ(report.dropped_no_title, 1);
  EXPECT_EQ(report.dropped_duplicate, 1);
  EXPECT_EQ(report.dropped(), 3);
}

TEST(Normalize, CapsTheNumberOfItems) {
  std::vector<Item> in;
  for (int i = 0; i < 10; ++i) {
    in.push_back(
        make(std::to_string(i), "t" + std::to_string(i), "https://a.com/" + std::to_string(i)));
  }
  NormalizeReport report;
  NormalizeOptions opts;
  opts.max_items = 4;
  auto out = normalize_items(in, &report, opts);
  EXPECT_EQ(out.size(), 4u);
  EXPECT_EQ(report.dropped_over_limit, 6);
}

}  // namespace
}  // namespace mu
