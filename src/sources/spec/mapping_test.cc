// The JSON and HTML engines of declarative sources, driven through small spec files (the way
// users write them) and canned responses.
#include "sources/spec/mapping.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "sources/spec/spec_loader.h"
#include "sources/testing/source_testing.h"

namespace mu {
namespace {

using source_testing::collect_canned;

constexpr char kHead[] = R"([site]
id = "t"
name_en = "Test"
home = "https://t.example"
region = "global"

[[boards]]
id = "t.b"
name_zh = "测试"
name_en = "Test"
kind = "rank"
homepage = "https://t.example/"

[boards.request]
url = "https://t.example/api/list?page=1"
)";

std::unique_ptr<Source> board(const std::string& parse_toml) {
  auto source = parse_spec_board(std::string(kHead) + parse_toml, "t.toml");
  EXPECT_TRUE(source.ok()) << source.status().to_string();
  if (!source.ok()) return nullptr;
  return std::move(source).value();
}

std::string extra(const Item& item, const std::string& key) {
  for (const auto& [k, v] : item.extra) {
    if (k == key) return v;
  }
  return {};
}

// ---------------------------------------------------------------- JSON

constexpr char kZhihuLike[] = R"(
[boards.parse]
type = "json"
list = "data.list"
timezone = "+08:00"

[boards.parse.fields]
key = "target.id"
title = "target.title"
url = "https://www.zhihu.com/question/{target.id}"
mobile_url = "https://m.t.example/q/{target.id}?q={target.title|url}"
summary = { path = "target.excerpt", filter = "html" }
image = ["target.thumb", "target.cover"]
hot = { path = "detail_text", filter = "popularity" }
hot_text = "detail_text"
label = { path = "label", default = "热" }
author = "target.author.name"
published_at = { path = "target.created", filter = "seconds" }

[boards.parse.extra]
answers = "target.answer_count"
tags = "target.tags"
featured = "target.featured"
)";

TEST(SpecJsonMapping, PathsTemplatesFiltersAndFallbacks) {
  auto b = board(kZhihuLike);
  ASSERT_NE(b, nullptr);
  const std::string body = R"({"data":{"list":[
    {"detail_text":"2123 万热度","label":"新","target":{"id":620001,"title":"猫为什么喜欢纸箱？",
      "excerpt":"<p>因为<b>安全感</b> &amp; 温度</p>","thumb":"https://pic.t.example/1.jpg",
      "author":{"name":"李雷"},"created":1767225600,"answer_count":"312","tags":["动物","猫"],
      "featured":true}},
    {"detail_text":"980万热度","target":{"id":"620002","title":"  第二个  问题 ","cover":"/img/2.png",
      "created":"1767225600","answer_count":12.0}},
    {"detail_text":null,"target":{"id":620003,"title":{"zh":"not a string"}}},
    {"target":{"id":18446744073709551615,"title":"Huge id","created":1e300}}
  ]}})";
  auto items = collect_canned(*b, 200, body, "application/json; charset=utf-8");
  ASSERT_TRUE(items.ok()) << items.status().to_string();
  ASSERT_EQ(items->size(), 3u);  // the object title yields no title: dropped
  const Item& a = (*items)[0];
  EXPECT_EQ(a.key, "620001");
  EXPECT_EQ(a.title, "猫为什么喜欢纸箱？");
  EXPECT_EQ(a.url, "https://www.zhihu.com/question/620001");
  EXPECT_EQ(a.mobile_url,
            "https://m.t.example/q/620001?q=%E7%8C%AB%E4%B8%BA%E4%BB%80%E4%B9%88%E5%96%9C%E6%AC%A2"
            "%E7%BA%B8%E7%AE%B1%EF%BC%9F");
  EXPECT_EQ(a.summary, "因为安全感 & 温度");
  EXPECT_EQ(a.image, "https://pic.t.example/1.jpg");
  EXPECT_EQ(a.hot, 21230000);
  EXPECT_EQ(a.hot_text, "2123 万热度");
  EXPECT_EQ(a.label, "新");
  EXPECT_EQ(a.author, "李雷");
  EXPECT_EQ(a.published_at_ms, 1767225600000);
  EXPECT_EQ(extra(a, "answers"), "312");
  EXPECT_EQ(extra(a, "tags"), "动物, 猫");
  EXPECT_EQ(extra(a, "featured"), "true");

  const Item& b2 = (*items)[1];
  EXPECT_EQ(b2.key, "620002");
  EXPECT_EQ(b2.title, "第二个 问题");
  EXPECT_EQ(b2.image, "https://t.example/img/2.png");  // relative: resolved
  EXPECT_EQ(b2.hot, 9800000);
  EXPECT_EQ(b2.label, "热");  // default
  EXPECT_EQ(b2.author, "");
  EXPECT_EQ(b2.published_at_ms, 1767225600000);  // a numeric string
  EXPECT_EQ(extra(b2, "answers"), "12");

  const Item& huge = (*items)[2];
  EXPECT_EQ(huge.key, "18446744073709551615");
  EXPECT_FALSE(huge.hot.has_value());
  EXPECT_FALSE(huge.published_at_ms.has_value());  // 1e300 s is no timestamp
}

TEST(SpecJsonMapping, WildcardsIndexesAndRootArrays) {
  auto reddit_like = board(R"(
[boards.parse]
type = "json"
list = "data.children[*].data"
[boards.parse.fields]
title = "title"
url = "https://t.example{permalink}"
image = "preview.images[0].source.url"
hot = { path = "score", filter = "number" }
)");
  ASSERT_NE(reddit_like, nullptr);
  auto items = collect_canned(*reddit_like, 200,
                              R"({"data":{"children":[
      {"kind":"t3","data":{"title":"A","permalink":"/r/x/1/","score":10,
        "preview":{"images":[{"source":{"url":"https://i.t.example/a.jpg"}}]}}},
      {"kind":"t3","data":{"title":"B","permalink":"/r/x/2/","score":"7"}},
      {"kind":"more"}]}})");
  ASSERT_TRUE(items.ok()) << items.status().to_string();
  ASSERT_EQ(items->size(), 2u);
  EXPECT_EQ((*items)[0].url, "https://t.example/r/x/1/");
  EXPECT_EQ((*items)[0].image, "https://i.t.example/a.jpg");
  EXPECT_EQ((*items)[1].hot, 7);

  auto root = board(R"(
[boards.parse]
type = "json"
list = ""
[boards.parse.fields]
title = "[0]"
url = "https://t.example/{[1]}"
)");
  ASSERT_NE(root, nullptr);
  auto rows = collect_canned(*root, 200, R"([["first","a"],["second","b"],"junk",7])");
  ASSERT_TRUE(rows.ok()) << rows.status().to_string();
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[1].title, "second");
  EXPECT_EQ((*rows)[1].url, "https://t.example/b");
}

TEST(SpecJsonMapping, SkipIfRules) {
  auto b = board(R"(
[boards.parse]
type = "json"
list = "items"
skip_if = [
  { path = "is_ad", equals = 1 },
  { path = "pinned", equals = true },
  { path = "type", not_equals = "story" },
  { path = "deleted", exists = true },
  { path = "title", matches = '(?i)^\[sponsored\]' },
]
[boards.parse.fields]
title = "title"
url = "url"
)");
  ASSERT_NE(b, nullptr);
  auto items = collect_canned(*b, 200, R"({"items":[
    {"title":"ad","url":"https://t.example/1","type":"story","is_ad":1},
    {"title":"pinned","url":"https://t.example/2","type":"story","pinned":true},
    {"title":"poll","url":"https://t.example/3","type":"poll"},
    {"title":"gone","url":"https://t.example/4","type":"story","deleted":"2026-01-01"},
    {"title":"[Sponsored] buy","url":"https://t.example/5","type":"story"},
    {"title":"kept","url":"https://t.example/6","type":"story","is_ad":0,"pinned":false,"deleted":null}
  ]})");
  ASSERT_TRUE(items.ok()) << items.status().to_string();
  ASSERT_EQ(items->size(), 1u);
  EXPECT_EQ(items->front().title, "kept");

  auto all = collect_canned(*b, 200,
                            R"({"items":[{"title":"ad","url":"https://t.example/1","is_ad":1}]})");
  EXPECT_EQ(all.code(), ErrorCode::kParse);
  EXPECT_EQ(all.error_message(), "t.b: all 1 entries were skipped by skip_if");
}

TEST(SpecJsonMapping, ExtractPullsJsonOutOfAPage) {
  auto baidu_like = board(R"(
[boards.parse]
type = "json"
extract = { re2 = '<!--s-data:(.*?)-->' }
list = "data.cards[0].content"
[boards.parse.fields]
key = "index"
title = "word"
url = "https://www.baidu.com/s?wd={word|url}"
hot = "hotScore"
)");
  ASSERT_NE(baidu_like, nullptr);
  const std::string page =
      "<!doctype html><html><head><title>百度热搜</title></head><body><div id=\"sanRoot\"></div>"
      "<!--s-data:{\"data\":{\"cards\":[{\"content\":[{\"index\":0,\"word\":\"新年快乐\","
      "\"hotScore\":\"7808198\"},{\"index\":1,\"word\":\"春运 "
      "首日\",\"hotScore\":\"7654321\"}]}]}}-->"
      "</body></html>";
  auto items = collect_canned(*baidu_like, 200, page, "text/html; charset=utf-8");
  ASSERT_TRUE(items.ok()) << items.status().to_string();
  ASSERT_EQ(items->size(), 2u);
  EXPECT_EQ((*items)[1].title, "春运 首日");
  EXPECT_EQ((*items)[1].url, "https://www.baidu.com/s?wd=%E6%98%A5%E8%BF%90%20%E9%A6%96%E6%97%A5");
  EXPECT_EQ((*items)[1].hot, 7654321);

  auto missing = collect_canned(
      *baidu_like, 200, "<html><head><title>百度安全验证</title></head><body></body></html>");
  EXPECT_EQ(missing.code(), ErrorCode::kParse);
  EXPECT_EQ(missing.error_message(),
            "t.b: extract.re2 found nothing in the page titled \"百度安全验证\"");

  auto apollo = board(R"(
[boards.parse]
type = "json"
extract = { re2 = '(?s)window\.__APOLLO_STATE__\s*=\s*(\{.*?\});\s*</script>' }
list = "feed[*]"
[boards.parse.fields]
title = "t"
url = "u"
)");
  ASSERT_NE(apollo, nullptr);
  auto state = collect_canned(
      *apollo, 200,
      "<script>\nwindow.__APOLLO_STATE__ = {\"feed\":[{\"t\":\"One\",\"u\":\"/1\"},\n"
      "{\"t\":\"Two\",\"u\":\"/2\"}]};\n</script>");
  ASSERT_TRUE(state.ok()) << state.status().to_string();
  ASSERT_EQ(state->size(), 2u);
  EXPECT_EQ((*state)[1].url, "https://t.example/2");
}

TEST(SpecJsonMapping, TimestampFilters) {
  auto b = board(R"(
[boards.parse]
type = "json"
list = "items"
timezone = "+08:00"
[boards.parse.fields]
title = "t"
url = "https://t.example/{t}"
published_at = "when"
hot_text = { path = "ms", default = "n/a" }
[boards.parse.extra]
raw = "ms"
)");
  ASSERT_NE(b, nullptr);
  auto items = collect_canned(*b, 200, R"({"items":[
    {"t":"secs","when":1767225600},
    {"t":"millis","when":1767225600000},
    {"t":"iso","when":"2026-01-01T08:00:00+08:00"},
    {"t":"naive","when":"2026-01-01 08:00:00"},
    {"t":"rfc","when":"Thu, 01 Jan 2026 00:00:00 GMT"},
    {"t":"junk","when":"soon"},
    {"t":"neg","when":-5}
  ]})");
  ASSERT_TRUE(items.ok()) << items.status().to_string();
  ASSERT_EQ(items->size(), 7u);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ((*items)[i].published_at_ms, 1767225600000) << (*items)[i].title;
  }
  EXPECT_FALSE((*items)[5].published_at_ms.has_value());
  EXPECT_FALSE((*items)[6].published_at_ms.has_value());
  EXPECT_EQ((*items)[0].hot_text, "n/a");

  auto ms = board(R"(
[boards.parse]
type = "json"
list = ""
[boards.parse.fields]
title = "t"
url = "https://t.example/{t}"
published_at = { path = "when", filter = "ms" }
)");
  ASSERT_NE(ms, nullptr);
  auto m = collect_canned(*ms, 200, R"([{"t":"a","when":"1767225600000"}])");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->front().published_at_ms, 1767225600000);
}

TEST(SpecJsonMapping, ErrorsNameTheBoardAndTheProblem) {
  auto b = board(R"(
[boards.parse]
type = "json"
list = "data.items"
blocked_if = '(?i)<title>[^<]*(captcha|验证)'
[boards.parse.fields]
title = "title"
url = "url"
)");
  ASSERT_NE(b, nullptr);
  auto truncated = collect_canned(*b, 200, R"({"data":{"items":[{"title":"cut)");
  EXPECT_EQ(truncated.code(), ErrorCode::kParse);
  EXPECT_EQ(truncated.error_message().rfind("t.b: invalid JSON at offset ", 0), 0u)
      << truncated.error_message();

  auto missing = collect_canned(*b, 200, R"({"code":40001,"message":"请先登录"})");
  EXPECT_EQ(missing.code(), ErrorCode::kParse);
  EXPECT_EQ(missing.error_message(),
            "t.b: data.items: expected an array, got nothing (message: 请先登录)");

  auto wrong = collect_canned(*b, 200, R"({"data":{"items":{"0":{}}}})");
  EXPECT_EQ(wrong.error_message(), "t.b: data.items: expected an array, got object");

  auto empty = collect_canned(*b, 200, R"({"data":{"items":[]}})");
  EXPECT_EQ(empty.error_message(), "t.b: data.items: empty list");

  auto html = collect_canned(*b, 200, "<html><head><title>Login</title></head></html>");
  EXPECT_EQ(html.code(), ErrorCode::kParse);
  EXPECT_EQ(html.error_message(), "t.b: expected JSON, got an HTML page titled \"Login\"");

  auto wall = collect_canned(*b, 200, "<html><head><title>安全验证</title></head></html>");
  EXPECT_EQ(wall.code(), ErrorCode::kBlocked);
  EXPECT_EQ(
      wall.error_message(),
      "t.b: the response matches blocked_if \"(?i)<title>[^<]*(captcha|验证)\" (login wall or "
      "anti-bot page)");

  auto no_urls =
      collect_canned(*b, 200, R"({"data":{"items":[{"title":"x","url":"javascript:x"}]}})");
  EXPECT_EQ(no_urls.code(), ErrorCode::kParse);
  EXPECT_EQ(no_urls.error_message().rfind("t.b: no usable items (1 parsed", 0), 0u)
      << no_urls.error_message();

  EXPECT_EQ(collect_canned(*b, 403, "forbidden").code(), ErrorCode::kBlocked);
  EXPECT_EQ(collect_canned(*b, 502, "bad gateway").code(), ErrorCode::kHttp);
}

TEST(SpecJsonMapping, PathAndTemplateSyntax) {
  EXPECT_TRUE(parse_json_path("").ok());
  EXPECT_TRUE(parse_json_path("a.b[2][*].c").ok());
  EXPECT_TRUE(parse_json_path("[*]").ok());
  EXPECT_TRUE(parse_json_path("data.hot-list.item_id").ok());
  for (const char* bad : {"a..b", "a.", ".a", "a[", "a[x]", "a[-1]", "a]b", "a[0]b", "a{b}"}) {
    auto p = parse_json_path(bad);
    EXPECT_EQ(p.code(), ErrorCode::kInvalid) << bad;
  }
  EXPECT_EQ(parse_json_path("a[x]").error_message(),
            "path \"a[x]\": index \"x\" is not a number or *");
  EXPECT_TRUE(parse_json_template("{{literal}} {a.b} {c|url}").ok());
  EXPECT_EQ(parse_json_template("x {a").error_message(), "template \"x {a\": unclosed '{'");
  EXPECT_EQ(parse_json_template("x {a|upper}").error_message(),
            "template \"x {a|upper}\": unknown modifier \"upper\" (only \"url\")");
  EXPECT_EQ(parse_json_template("{}").error_message(), "template \"{}\": empty placeholder {}");
  EXPECT_EQ(parse_json_template("a}").error_message(),
            "template \"a}\": unmatched '}' (write \"}}\" for a brace)");
}

// ---------------------------------------------------------------- HTML

constexpr char kHtmlRules[] = R"(
[boards.parse]
type = "html"
items = "css:article.Box-row"
skip_if = { select = "css:.sponsored", exists = true }

[boards.parse.fields]
key = { select = "css:h2 a", attr = "href", re2 = '^/([^?#]+)' }
title = { select = "css:h2 a", attr = "text" }
url = { select = "css:h2 a", attr = "href" }
summary = "css:p.desc"
image = { select = "css:img", attr = ["data-src", "src"] }
hot = { select = "xpath:.//span[@class='stars']", filter = "popularity" }
hot_text = "xpath:.//span[@class='stars']"
label = { select = "css:.badge", default = "新" }
published_at = { select = "css:relative-time", attr = "datetime" }

[boards.parse.extra]
language = "css:[itemprop=programmingLanguage]"
)";

const char kTrendingLike[] = R"html(<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Trending repositories</title></head><body>
<main>
<article class="Box-row">
  <h2 class="h3"><a href="/rust-lang/rust?ref=trending">rust-lang /
     rust</a></h2>
  <p class="desc">Empowering everyone to build &amp; ship reliable software.</p>
  <img data-src="//avatars.example.com/u/5430905" src="/spacer.gif">
  <span itemprop="programmingLanguage">Rust</span>
  <span class="stars">1,234 stars today</span>
  <relative-time datetime="2026-01-01T08:00:00Z">Jan 1</relative-time>
</article>
<article class="Box-row">
  <h2><a href="https://elsewhere.example.org/x">Elsewhere</a></h2>
  <span class="badge">热</span>
</article>
<article class="Box-row"><span class="sponsored">ad</span><h2><a href="/ads/buy">Buy now</a></h2></article>
<article class="Box-row"><h2><a href="javascript:void(0)">Script</a></h2></article>
</main></body></html>)html";

TEST(SpecHtmlMapping, SelectsFieldsResolvesLinksAndSkips) {
  auto b = board(kHtmlRules);
  ASSERT_NE(b, nullptr);
  auto items = collect_canned(*b, 200, kTrendingLike, "text/html; charset=utf-8");
  ASSERT_TRUE(items.ok()) << items.status().to_string();
  ASSERT_EQ(items->size(), 2u);  // the sponsored row is skipped, the javascript: one dropped
  const Item& a = (*items)[0];
  EXPECT_EQ(a.key, "rust-lang/rust");
  EXPECT_EQ(a.title, "rust-lang / rust");
  EXPECT_EQ(a.url, "https://t.example/rust-lang/rust?ref=trending");
  EXPECT_EQ(a.summary, "Empowering everyone to build & ship reliable software.");
  EXPECT_EQ(a.image, "https://avatars.example.com/u/5430905");
  EXPECT_EQ(a.hot, 1234);
  EXPECT_EQ(a.hot_text, "1,234 stars today");
  EXPECT_EQ(a.label, "新");
  EXPECT_EQ(a.published_at_ms, 1767254400000);
  EXPECT_EQ(extra(a, "language"), "Rust");
  const Item& b2 = (*items)[1];
  EXPECT_EQ(b2.key, "https://elsewhere.example.org/x");  // no re2 match: falls back to the url
  EXPECT_EQ(b2.label, "热");
  EXPECT_EQ(b2.image, "");
}

TEST(SpecHtmlMapping, XPathItemsCharsetAndErrors) {
  auto b = board(R"(
[boards.parse]
type = "html"
items = "xpath://table[@id='list']//tr[td]"
[boards.parse.fields]
title = "xpath:./td[2]"
url = { select = "css:td a", attr = "href" }
hot = { select = "xpath:./td[3]", filter = "number" }
)");
  ASSERT_NE(b, nullptr);
  // GBK bytes: "新闻" and "热点"; the Content-Type says so.
  const std::string page =
      "<html><head><title>\xC1\xD0\xB1\xED</title></head><body><table id=\"list\">"
      "<tr><th>#</th><th>t</th></tr>"
      "<tr><td><a href=\"/n/1\">1</a></td><td>\xD0\xC2\xCE\xC5</td><td>12</td></tr>"
      "<tr><td><a href=\"/n/2\">2</a></td><td>\xC8\xC8\xB5\xE3</td><td>x</td></tr>"
      "</table></body></html>";
  auto items = collect_canned(*b, 200, page, "text/html; charset=GBK");
  ASSERT_TRUE(items.ok()) << items.status().to_string();
  ASSERT_EQ(items->size(), 2u);
  EXPECT_EQ((*items)[0].title, "新闻");
  EXPECT_EQ((*items)[0].url, "https://t.example/n/1");
  EXPECT_EQ((*items)[0].hot, 12);
  EXPECT_EQ((*items)[1].title, "热点");
  EXPECT_FALSE((*items)[1].hot.has_value());

  auto login = collect_canned(*b, 200,
                              "<html><head><title>登录 - 请先登录</title></head><body><form>"
                              "</form></body></html>",
                              "text/html; charset=utf-8");
  EXPECT_EQ(login.code(), ErrorCode::kParse);
  EXPECT_EQ(login.error_message(),
            "t.b: nothing matches items \"xpath://table[@id='list']//tr[td]\" in the page titled "
            "\"登录 - 请先登录\"");
  EXPECT_EQ(collect_canned(*b, 200, "   ").code(), ErrorCode::kParse);  // fetch_ok: empty body
}

}  // namespace
}  // namespace mu
