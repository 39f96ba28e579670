#include "sources/common/html.h"

#include <gtest/gtest.h>

#include <thread>

namespace mu {
namespace {

constexpr char kPage[] = R"(<!DOCTYPE html>
<html><head><title>  Trending
  repositories </title></head>
<body>
<table>
<tr class="athing submission" id="1"><td><span class="titleline"><a href="item?id=1">Ask HN:&nbsp;Who is hiring?</a></span></td></tr>
<tr class="athing" id="2"><td><span class="titleline"><a href="https://example.com/a b">Spaced &amp; odd</a></span></td></tr>
<tr class="athingother" id="3"><td>not a story</td></tr>
</table>
<p class=" x  lead ">Hello   <b>world</b>
　全角空格　</p>
<unclosed><div>recovered
</body></html>)";

HtmlDoc parse_ok(std::string_view body, std::string_view base = "https://news.ycombinator.com/",
                 std::string_view charset = {}) {
  auto doc = HtmlDoc::parse(body, base, charset);
  EXPECT_TRUE(doc.ok()) << doc.status().to_string();
  return std::move(doc).value();
}

TEST(Html, SelectsNodesByClassAndReadsTextAndAttributes) {
  HtmlDoc doc = parse_ok(kPage);
  EXPECT_EQ(doc.title(), "Trending repositories");
  auto rows = doc.select("//tr[" + xpath_has_class("athing") + "]");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].attr("id"), "1");
  EXPECT_EQ(rows[0].name(), "tr");
  EXPECT_TRUE(rows[0].has_class("submission"));
  EXPECT_FALSE(rows[1].has_class("submission"));
  EXPECT_FALSE(rows[0].has_attr("href"));

  HtmlNode link = doc.first(".//span[" + xpath_has_class("titleline") + "]/a", rows[0]);
  ASSERT_TRUE(link);
  EXPECT_EQ(link.text(), "Ask HN: Who is hiring?");  // &nbsp; collapsed to a space
  EXPECT_EQ(doc.resolve_url(link.attr("href")), "https://news.ycombinator.com/item?id=1");
  EXPECT_EQ(doc.first_text(".//a", rows[1]), "Spaced & odd");

  EXPECT_EQ(doc.first_text("//p[" + xpath_has_class("lead") + "]"), "Hello world 全角空格");
  EXPECT_EQ(doc.first_text("//div"), "recovered");
  EXPECT_FALSE(doc.first("//article"));
  EXPECT_EQ(doc.first_text("//article"), "");
}

TEST(Html, AttributeNodesFromXPath) {
  HtmlDoc doc = parse_ok(kPage);
  auto hrefs = doc.select("//span[@class='titleline']/a/@href");
  ASSERT_EQ(hrefs.size(), 2u);
  EXPECT_EQ(hrefs[0].text(), "item?id=1");
}

TEST(Html, MalformedXPathIsInvalidNotFatal) {
  HtmlDoc doc = parse_ok(kPage);
  EXPECT_TRUE(doc.select("//tr[").empty());
  auto r = doc.try_select("//tr[");
  EXPECT_EQ(r.code(), ErrorCode::kInvalid);
  EXPECT_EQ(doc.try_select("count(//tr)").code(), ErrorCode::kInvalid);  // not a node-set
}

TEST(Html, EmptyOrElementlessBodiesAreParseErrors) {
  EXPECT_EQ(HtmlDoc::parse("", "https://x/").code(), ErrorCode::kParse);
  EXPECT_EQ(HtmlDoc::parse(" \n\t ", "https://x/").code(), ErrorCode::kParse);
}

TEST(Html, DeepPagesAreNotTruncated) {
  // libxml2 stops at depth 256 unless XML_PARSE_HUGE is given.
  std::string body = "<html><body>";
  for (int i = 0; i < 600; ++i) body += "<div>";
  body += "<span id='deep'>bottom</span>";
  for (int i = 0; i < 600; ++i) body += "</div>";
  body += "<p id='after'>after</p></body></html>";
  HtmlDoc doc = parse_ok(body);
  EXPECT_EQ(doc.first_text("//span[@id='deep']"), "bottom");
  EXPECT_EQ(doc.first_text("//p[@id='after']"), "after");
}

TEST(Html, CharsetFromHeaderMetaOrUtf8Default) {
  // No declaration at all (Hacker News sends none in the page): UTF-8 is assumed.
  HtmlDoc utf8 = parse_ok("<html><body><p>Zig – “fast” 热搜</p></body></html>");
  EXPECT_EQ(utf8.first_text("//p"), "Zig – “fast” 热搜");
  // GBK bytes of 中文 with a <meta> declaration.
  HtmlDoc gbk = parse_ok(
      "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=gbk\">"
      "</head><body><p>\xD6\xD0\xCE\xC4</p></body></html>");
  EXPECT_EQ(gbk.first_text("//p"), "中文");
  // The same bytes with the charset from the Content-Type header only.
  HtmlDoc header = parse_ok("<html><body><p>\xD6\xD0\xCE\xC4</p></body></html>", "https://x/",
                            charset_from_content_type("text/html; charset=GBK"));
  EXPECT_EQ(header.first_text("//p"), "中文");
}

TEST(Html, ResolveUrl) {
  const std::string base = "https://news.ycombinator.com/news?p=2";
  EXPECT_EQ(resolve_url(base, "item?id=46473958"), "https://news.ycombinator.com/item?id=46473958");
  EXPECT_EQ(resolve_url(base, "/newest"), "https://news.ycombinator.com/newest");
  EXPECT_EQ(resolve_url(base, "//hn.algolia.com/?q=x"), "https://hn.algolia.com/?q=x");
  EXPECT_EQ(resolve_url(base, "  https://lwn.net/Articles/1/  "), "https://lwn.net/Articles/1/");
  EXPECT_EQ(resolve_url("https://github.com/trending", "/astral-sh/ty"),
            "https://github.com/astral-sh/ty");
  EXPECT_EQ(resolve_url("https://a.example/x/y", "../z"), "https://a.example/z");
  EXPECT_EQ(resolve_url(base, "javascript:alert(1)"), "javascript:alert(1)");  // caller filters
  EXPECT_EQ(resolve_url(base, ""), "");
  EXPECT_EQ(resolve_url("", "item?id=1"), "");
  const std::string spaced = resolve_url("https://example.com/dir/", "a file|x.html");
  EXPECT_EQ(spaced, "https://example.com/dir/a%20file%7Cx.html");
}

TEST(Html, CharsetFromContentType) {
  EXPECT_EQ(charset_from_content_type("text/html; charset=utf-8"), "utf-8");
  EXPECT_EQ(charset_from_content_type("text/html;Charset=\"GB2312\"; foo=bar"), "GB2312");
  EXPECT_EQ(charset_from_content_type("application/json"), "");
}

TEST(Html, ParsesConcurrentlyOnSeveralThreads) {
  std::vector<std::thread> threads;
  std::vector<std::size_t> counts(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&counts, t] {
      for (int i = 0; i < 50; ++i) {
        auto doc = HtmlDoc::parse(kPage, "https://news.ycombinator.com/");
        if (doc.ok()) counts[t] += doc->select("//tr").size();
      }
    });
  }
  for (auto& th : threads) th.join();
  for (std::size_t c : counts) EXPECT_EQ(c, 150u);
}

}  // namespace
}  // namespace mu
