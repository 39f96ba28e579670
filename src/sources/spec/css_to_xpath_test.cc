#include "sources/spec/css_to_xpath.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sources/common/html.h"

namespace mu {
namespace {

std::string has_class(const char* cls) { return xpath_has_class(cls); }

struct Case {
  const char* css;
  std::string xpath;
};

TEST(SpecCssToXpath, TranslatesSupportedSyntax) {
  const std::vector<Case> cases = {
      {"div", "//div"},
      {"*", "//*"},
      {"DIV", "//div"},
      {"#main", "//*[@id='main']"},
      {"div#main", "//div[@id='main']"},
      {".titleline", "//*[" + has_class("titleline") + "]"},
      {"tr.athing.submission",
       "//tr[" + has_class("athing") + "][" + has_class("submission") + "]"},
      {"a[href]", "//a[@href]"},
      {"a[href='x y']", "//a[@href='x y']"},
      {"a[href=item]", "//a[@href='item']"},
      {"a[href^=\"https:\"]", "//a[starts-with(@href, 'https:')]"},
      {"a[href*='item?id=']", "//a[contains(@href, 'item?id=')]"},
      {"img[src$='.png']",
       "//img[substring(@src, string-length(@src) - string-length('.png') + 1) = '.png']"},
      {"p[class~=lead]", "//p[contains(concat(' ', normalize-space(@class), ' '), ' lead ')]"},
      {"html[lang|=zh]", "//html[@lang='zh' or starts-with(@lang, 'zh-')]"},
      {"a[title=\"it's\"]", "//a[@title=\"it's\"]"},
      {"ul li", "//ul//li"},
      {"ul   >   li", "//ul/li"},
      {"ul>li>a", "//ul/li/a"},
      {"h2 + p", "//h2/following-sibling::*[1]/self::p"},
      {"h2 ~ p", "//h2/following-sibling::p"},
      {"li:first-child", "//li[not(preceding-sibling::*)]"},
      {"li:last-child", "//li[not(following-sibling::*)]"},
      {"li:only-child", "//li[not(preceding-sibling::*) and not(following-sibling::*)]"},
      {"li:nth-child(3)", "//li[(count(preceding-sibling::*) + 1) = 3]"},
      {"li:nth-child(2n+1)",
       "//li[(count(preceding-sibling::*) + 1) >= 1 and ((count(preceding-sibling::*) + 1) - 1) "
       "mod 2 = 0]"},
      {"li:nth-child(odd)",
       "//li[(count(preceding-sibling::*) + 1) >= 1 and ((count(preceding-sibling::*) + 1) - 1) "
       "mod 2 = 0]"},
      {"li:nth-child(-n+3)",
       "//li[(count(preceding-sibling::*) + 1) <= 3 and ((count(preceding-sibling::*) + 1) - 3) "
       "mod 1 = 0]"},
      {"p:first-of-type", "//p[not(preceding-sibling::p)]"},
      {"a:not(.ad)", "//a[not(self::*[" + has_class("ad") + "])]"},
      {"h1, h2", "//h1 | //h2"},
      {".\xe6\xa0\x87\xe9\xa2\x98", "//*[" + has_class("\xe6\xa0\x87\xe9\xa2\x98") + "]"},
      {"div.list-block > a.item",
       "//div[" + has_class("list-block") + "]/a[" + has_class("item") + "]"},
  };
  for (const Case& c : cases) {
    auto x = css_to_xpath(c.css);
    ASSERT_TRUE(x.ok()) << c.css << ": " << x.error_message();
    EXPECT_EQ(*x, c.xpath) << c.css;
  }
}

TEST(SpecCssToXpath, RelativeScopeStartsBelowTheContext) {
  EXPECT_EQ(*css_to_xpath("h2 a", CssScope::kRelative), ".//h2//a");
  EXPECT_EQ(*css_to_xpath("> a", CssScope::kRelative), "./a");
  EXPECT_EQ(*css_to_xpath("+ tr td", CssScope::kRelative),
            "./following-sibling::*[1]/self::tr//td");
  EXPECT_EQ(*css_to_xpath("a, span", CssScope::kRelative), ".//a | .//span");
}

TEST(SpecCssToXpath, RejectsUnsupportedSyntaxClearly) {
  struct Bad {
    const char* css;
    const char* message;
  };
  const std::vector<Bad> bad = {
      {"a:hover", "CSS selector \"a:hover\": unsupported pseudo-class \":hover\" at offset 2"},
      {"p::before", "CSS selector \"p::before\": pseudo-elements are not supported at offset 2"},
      {"", "CSS selector is empty"},
      {"  ", "CSS selector is empty"},
      {"div >", "CSS selector \"div >\": selector ends with a combinator at offset 5"},
      {"> a", "CSS selector \"> a\": a selector cannot start with '>' at offset 0"},
      {"a[href", "CSS selector \"a[href\": unknown attribute operator at offset 6"},
      {"a[href=]", "CSS selector \"a[href=]\": attribute value missing at offset 7"},
      {"a[href='x]", "CSS selector \"a[href='x]\": unterminated string at offset 8"},
      {"a[href=x i]",
       "CSS selector \"a[href=x i]\": attribute flags are not supported at offset 9"},
      {".", "CSS selector \".\": '.' without a class name at offset 1"},
      {"#", "CSS selector \"#\": '#' without an id at offset 1"},
      {"svg|rect", "CSS selector \"svg|rect\": namespaces are not supported at offset 3"},
      {"a,", "CSS selector \"a,\": empty selector at offset 2"},
      {"li:nth-child(x)", "CSS selector \"li:nth-child(x)\": bad :nth-child argument at offset 13"},
      {"a\\:b", "CSS selector \"a\\:b\": escapes are not supported at offset 1"},
      {"a !b", "CSS selector \"a !b\": unexpected '!' at offset 2"},
      {"2col", "CSS selector \"2col\": \"2col\" is not a tag name at offset 0"},
      {"\xe6\xa0\x87\xe9\xa2\x98",
       "CSS selector \"\xe6\xa0\x87\xe9\xa2\x98\": \"\xe6\xa0\x87\xe9\xa2\x98\" is not a tag name "
       "at offset 0"},
      {"a[-x]", "CSS selector \"a[-x]\": \"-x\" is not an attribute name at offset 2"},
  };
  for (const Bad& b : bad) {
    auto x = css_to_xpath(b.css);
    EXPECT_EQ(x.code(), ErrorCode::kInvalid) << b.css;
    if (!x.ok()) {
      EXPECT_EQ(x.error_message(), b.message) << b.css;
    }
  }
}

// Found by mu_fuzz_css_to_xpath: a NUL inside a quoted value cut the XPath handed to libxml2
// (a C string) short, so an accepted selector produced a malformed expression.
TEST(SpecCssToXpath, NulInAttributeValueIsRejected) {
  auto x = css_to_xpath(std::string("a[title='\0\0\0\0s']", 16));
  EXPECT_EQ(x.code(), ErrorCode::kInvalid);
  EXPECT_EQ(x.error_message(), "CSS selector contains a control character or invalid UTF-8");
  EXPECT_TRUE(css_to_xpath("ul\n>\tli").ok());  // whitespace controls are fine
}

// Found by mu_fuzz_css_to_xpath: a form feed (CSS whitespace, but no XML character) or bytes
// that are not UTF-8 inside a quoted value made libxml2 reject the translated XPath.
TEST(SpecCssToXpath, NonXmlCharactersInValuesAreRejected) {
  EXPECT_EQ(css_to_xpath("a[href^='x\x0cy']").code(), ErrorCode::kInvalid);
  EXPECT_EQ(css_to_xpath("a[title='\xff\xfe']").code(), ErrorCode::kInvalid);
  EXPECT_EQ(css_to_xpath("a[title='\xed\xa0\x80']").code(), ErrorCode::kInvalid);  // surrogate
  EXPECT_EQ(css_to_xpath("a[title='\xef\xbf\xbe']").code(), ErrorCode::kInvalid);  // U+FFFE
  EXPECT_TRUE(css_to_xpath("a[title='\xe7\x83\xad']").ok());                       // 热
}

TEST(SpecCssToXpath, TranslationsSelectWhatCssSelects) {
  const char* page = R"html(<html><body>
<ul id="list">
  <li class="a">1</li><li class="b ad">2</li><li class="a">3</li><li>4</li><li class="a">5</li>
</ul>
<h2>Title</h2><p>first</p><p>second</p>
<div class="box"><a href="https://x.example/a.png">x</a><span><a href="/rel">y</a></span></div>
</body></html>)html";
  auto doc = HtmlDoc::parse(page, "https://example.com/");
  ASSERT_TRUE(doc.ok());
  auto count = [&](const char* css) -> std::size_t {
    auto x = css_to_xpath(css);
    EXPECT_TRUE(x.ok()) << css;
    if (!x.ok()) return 999;
    auto nodes = doc->try_select(*x);
    EXPECT_TRUE(nodes.ok()) << css << " -> " << *x << ": " << nodes.error_message();
    return nodes.ok() ? nodes->size() : 999;
  };
  EXPECT_EQ(count("#list > li"), 5u);
  EXPECT_EQ(count("li.a"), 3u);
  EXPECT_EQ(count("li:nth-child(odd)"), 3u);
  EXPECT_EQ(count("li:nth-child(even)"), 2u);
  EXPECT_EQ(count("li:nth-child(-n+2)"), 2u);
  EXPECT_EQ(count("li:nth-last-child(1)"), 1u);
  EXPECT_EQ(count("li:first-child"), 1u);
  EXPECT_EQ(count("li:not(.ad)"), 4u);
  EXPECT_EQ(count("h2 + p"), 1u);
  EXPECT_EQ(count("h2 ~ p"), 2u);
  EXPECT_EQ(count("div.box a"), 2u);
  EXPECT_EQ(count("div.box > a"), 1u);
  EXPECT_EQ(count("a[href$='.png']"), 1u);
  EXPECT_EQ(count("a[href^='/']"), 1u);
  EXPECT_EQ(count("h2, p"), 3u);
}

TEST(SpecCssToXpath, QuotesBecomeValidLiterals) {
  EXPECT_EQ(xpath_literal("plain"), "'plain'");
  EXPECT_EQ(xpath_literal("it's"), "\"it's\"");
  EXPECT_EQ(xpath_literal("say \"it's\""), "concat('say \"it', \"'\", 's\"')");
  auto doc = HtmlDoc::parse(R"(<p title="say &quot;it's&quot;">x</p>)", "");
  ASSERT_TRUE(doc.ok());
  auto x = css_to_xpath(R"(p[title='say "it)");
  EXPECT_FALSE(x.ok());  // unterminated: the quote closes nothing
  auto nodes = doc->try_select("//p[@title=" + xpath_literal("say \"it's\"") + "]");
  ASSERT_TRUE(nodes.ok());
  EXPECT_EQ(nodes->size(), 1u);
}

}  // namespace
}  // namespace mu
