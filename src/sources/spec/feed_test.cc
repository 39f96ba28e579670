#include "sources/spec/feed.h"

#include <gtest/gtest.h>

#include <string>

#include "sources/common/simple_source.h"
#include "sources/testing/source_testing.h"

namespace mu {
namespace {

using source_testing::read_file;
using source_testing::real_capture;

std::string extra(const Item& item, const std::string& key) {
  for (const auto& [k, v] : item.extra) {
    if (k == key) return v;
  }
  return {};
}

// ---------------------------------------------------------------- real captures

TEST(SpecFeed, RealGb2312QqNewsFeedGivesChineseTitles) {
  auto path = real_capture("feeds/qq-news-gb2312.xml");
  if (!path) GTEST_SKIP() << "real capture not present (../shared/fixtures/real)";
  // No charset in the Content-Type: the XML declaration (gb2312) decides.
  auto items = parse_feed(read_file(*path), "text/xml", "http://news.qq.com/newsgn/rss_newsgn.xml",
                          FeedOptions{.default_offset_minutes = 480});
  ASSERT_TRUE(items.ok()) << items.status().to_string();
  ASSERT_EQ(items->size(), 20u);
  const Item& first = items->front();
  EXPECT_EQ(first.title, "习近平为何如此强调崇尚英雄？");
  EXPECT_EQ(first.url, "http://news.qq.com/a/20180918/009846.htm");
  EXPECT_EQ(first.key, "http://news.qq.com/a/20180918/009846.htm");  // no guid: the link
  EXPECT_EQ(first.author, "www.qq.com");
  EXPECT_EQ(first.published_at_ms, 1537252690000);  // "2018-09-18 14:38:10" at +08:00
  EXPECT_EQ(first.summary.rfind("编者按：历史是人民书写的", 0), 0u) << first.summary;
  EXPECT_EQ((*items)[1].title, "习近平谈抗战：牢记历史是要以史为鉴、面向未来");
  EXPECT_EQ((*items)[2].title, "最高法：适时出台防卫过当的认定标准 鼓励正当防卫");
  EXPECT_EQ(items->back().title, "全国心理卫生学术大会 我国心理健康服务供需失衡严重");
  EXPECT_EQ(items->back().summary, "");  // <description></description>
  // A Content-Type charset overrides the declaration; a wrong one garbles, not crashes.
  auto forced = parse_feed(read_file(*path), "text/xml; charset=gbk", "");
  ASSERT_TRUE(forced.ok());
  EXPECT_EQ(forced->front().title, "习近平为何如此强调崇尚英雄？");
}

TEST(SpecFeed, RealIso88591FeedBurnerFeed) {
  auto path = real_capture("feeds/jn-iso-8859-1.rss");
  if (!path) GTEST_SKIP() << "real capture not present (../shared/fixtures/real)";
  auto items = parse_feed(read_file(*path), "", "http://feeds.jn.pt/JN-ULTIMAS");
  ASSERT_TRUE(items.ok()) << items.status().to_string();
  ASSERT_EQ(items->size(), 40u);
  const Item& first = items->front();
  EXPECT_EQ(first.title, "Mãe de utente é a nova presidente da Raríssimas");
  // feedburner:origLink replaces the tracking redirect.
  EXPECT_EQ(first.url,
            "https://www.jn.pt/nacional/interior/sonia-laig-e-a-nova-presidente-da-rarissimas-"
            "9021600.html");
  EXPECT_EQ(first.published_at_ms, 1514987220000);  // pubDate with a line break inside
  EXPECT_EQ(first.summary.rfind("Sónia Laygue, profissional na área", 0), 0u) << first.summary;
  EXPECT_EQ(first.image, "");  // the 1x1 FeedBurner pixel is not an image
  EXPECT_EQ(extra(first, "category"), "Nacional");
  EXPECT_EQ((*items)[1].title, "Reações dos partidos ao veto de Marcelo");
  EXPECT_EQ((*items)[1].summary, "");  // only the tracking pixel
}

TEST(SpecFeed, RealLatin1FeedWithoutXmlDeclaration) {
  auto path = real_capture("feeds/uol-noticias-latin1-no-declaration.rss");
  if (!path) GTEST_SKIP() << "real capture not present (../shared/fixtures/real)";
  // Undeclared and not valid UTF-8: read as Windows-1252 / Latin-1.
  auto items = parse_feed(read_file(*path), "application/rss+xml",
                          "http://rss.uol.com.br/feed/noticias.xml");
  ASSERT_TRUE(items.ok()) << items.status().to_string();
  ASSERT_EQ(items->size(), 15u);
  const Item& first = items->front();
  EXPECT_EQ(first.title,
            "Ibope: Bolsonaro perde de Haddad, Ciro e Alckmin em simulações de 2º turno");
  EXPECT_EQ(first.url,
            "https://noticias.uol.com.br/politica/eleicoes/2018/noticias/2018/09/24/"
            "ibope-bolsonaro-perde-de-haddad-ciro-e-alckmin-em-simulacoes-de-2-turno.htm");
  EXPECT_EQ(first.published_at_ms, 1537828960000);  // "Seg, 24 Set 2018 19:42:40 -0300"
  EXPECT_EQ(first.image,
            "https://conteudo.imguol.com.br/c/noticias/5f/2018/09/17/"
            "presidenciaveis-1537211917356_142x100.jpg");
  EXPECT_EQ(first.summary.rfind("Líder na pesquisa Ibope de intenção de voto", 0), 0u)
      << first.summary;
  for (const Item& item : *items) {
    EXPECT_TRUE(item.published_at_ms.has_value()) << item.title;
  }
}

TEST(SpecFeed, RealAtomEntryWithOnlyAnIdIsDropped) {
  auto path = real_capture("feeds/github-releases-missing-fields.atom");
  if (!path) GTEST_SKIP() << "real capture not present (../shared/fixtures/real)";
  auto items =
      parse_feed(read_file(*path), "application/atom+xml", "https://github.com/x/y/releases.atom");
  EXPECT_EQ(items.code(), ErrorCode::kParse);
  EXPECT_EQ(items.error_message(), "feed has 1 entry, none with a title or a link");
}

// ---------------------------------------------------------------- formats and quirks

TEST(SpecFeed, AtomWithXmlBaseHtmlTitlesAndEnclosures) {
  const std::string atom = R"(<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:media="http://search.yahoo.com/mrss/" xml:base="https://blog.example.com/">
  <title>Example</title>
  <entry>
    <title type="html">Tom &amp;amp; Jerry &lt;b&gt;return&lt;/b&gt;</title>
    <link rel="self" href="/feed/1"/>
    <link rel="alternate" type="text/html" href="posts/1.html"/>
    <link rel="enclosure" type="image/png" href="/img/1.png"/>
    <id>urn:uuid:1</id>
    <updated>2026-01-01T08:00:00+08:00</updated>
    <author><name> Ada  Lovelace </name></author>
    <content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>Hello <b>world</b></p></div></content>
  </entry>
  <entry xml:base="https://other.example.org/dir/">
    <title>Second</title>
    <link href="two.html"/>
    <id>urn:uuid:2</id>
    <published>2026-01-01T00:00:00Z</published>
    <summary>Plain &amp; simple</summary>
    <media:thumbnail url="thumb.jpg"/>
  </entry>
</feed>)";
  auto items = parse_feed(atom, "application/atom+xml", "https://blog.example.com/atom.xml");
  ASSERT_TRUE(items.ok()) << items.status().to_string();
  ASSERT_EQ(items->size(), 2u);
  const Item& a = (*items)[0];
  EXPECT_EQ(a.title, "Tom & Jerry return");
  EXPECT_EQ(a.url, "https://blog.example.com/posts/1.html");
  EXPECT_EQ(a.key, "urn:uuid:1");
  EXPECT_EQ(a.image, "https://blog.example.com/img/1.png");
  EXPECT_EQ(a.author, "Ada Lovelace");
  EXPECT_EQ(a.summary, "Hello world");
  EXPECT_EQ(a.published_at_ms, 1767225600000);
  const Item& b = (*items)[1];
  EXPECT_EQ(b.url, "https://other.example.org/dir/two.html");
  EXPECT_EQ(b.image, "https://other.example.org/dir/thumb.jpg");
  EXPECT_EQ(b.summary, "Plain & simple");
  EXPECT_EQ(b.published_at_ms, 1767225600000);
}

TEST(SpecFeed, Rss1RdfWithDublinCore) {
  const std::string rdf = R"(<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:slash="http://purl.org/rss/1.0/modules/slash/">
  <channel rdf:about="https://news.example.org/"><title>N</title><link>https://news.example.org/</link></channel>
  <item rdf:about="https://news.example.org/a?x=1&amp;y=2">
    <title>First</title>
    <link>https://news.example.org/a?x=1&amp;y=2</link>
    <dc:creator>editor</dc:creator>
    <dc:date>2025-12-31T22:00:00+00:00</dc:date>
    <dc:subject>science</dc:subject>
    <slash:comments>12</slash:comments>
  </item>
</rdf:RDF>)";
  auto items = parse_feed(rdf, "", "");
  ASSERT_TRUE(items.ok()) << items.status().to_string();
  ASSERT_EQ(items->size(), 1u);
  EXPECT_EQ(items->front().key, "https://news.example.org/a?x=1&y=2");
  EXPECT_EQ(items->front().url, "https://news.example.org/a?x=1&y=2");
  EXPECT_EQ(items->front().author, "editor");
  EXPECT_EQ(items->front().published_at_ms, 1767218400000);
  EXPECT_EQ(extra(items->front(), "comments"), "12");
  EXPECT_EQ(extra(items->front(), "category"), "science");
}

TEST(SpecFeed, JsonFeed) {
  const std::string json = R"({"version":"https://jsonfeed.org/version/1.1","title":"J",
    "home_page_url":"https://j.example.com/","items":[
    {"id":"1","url":"/p/1","title":"One &amp; only","content_html":"<p>Body <img src=\"/i.png\"></p>",
     "date_published":"2026-01-01T00:00:00Z","authors":[{"name":"Kim"}],"tags":["x"]},
    {"id":2,"external_url":"https://elsewhere.example.net/2","content_text":"Untitled note that is long enough"},
    {"id":"3"}]})";
  auto items = parse_feed(json, "application/feed+json", "https://j.example.com/feed.json");
  ASSERT_TRUE(items.ok()) << items.status().to_string();
  ASSERT_EQ(items->size(), 2u);  // the third has neither title nor link
  EXPECT_EQ((*items)[0].title, "One & only");
  EXPECT_EQ((*items)[0].url, "https://j.example.com/p/1");
  EXPECT_EQ((*items)[0].summary, "Body");
  EXPECT_EQ((*items)[0].image, "https://j.example.com/i.png");
  EXPECT_EQ((*items)[0].author, "Kim");
  EXPECT_EQ((*items)[0].published_at_ms, 1767225600000);
  EXPECT_EQ((*items)[1].key, "2");
  EXPECT_EQ((*items)[1].title, "Untitled note that is long enough");  // from the text
  EXPECT_EQ(parse_feed(R"({"title":"not a feed"})", "", "").code(), ErrorCode::kParse);
}

TEST(SpecFeed, RssQuirks) {
  const std::string rss =
      R"(<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel>
<item><title><![CDATA[AT&amp;T &lt;3 <b>bold</b>]]></title><link> /relative/1 </link>
  <author>news@example.com (Jane Doe)</author><pubDate>Thu, 01 Jan 2026 08:00:00 +0800</pubDate>
  <enclosure url="https://cdn.example.com/a.mp3" type="audio/mpeg" length="1"/>
  <enclosure url="https://cdn.example.com/a.jpg" type="image/jpeg" length="1"/></item>
<item><description>No title here, only a description that becomes the title</description>
  <guid>https://example.com/2</guid></item>
<item><title>Media group</title><link>https://example.com/3</link>
  <media:group><media:content url="https://cdn.example.com/v.mp4" medium="video"/>
  <media:content url="https://cdn.example.com/3.jpg" medium="image"/></media:group></item>
<item><title>Undefined entity&nbsp;inside</title><link>https://example.com/4</link></item>
<item><link>javascript:alert(1)</link><title>kept here, dropped by finish_items</title></item>
</channel></rss>)";
  auto items = parse_feed(rss, "", "https://example.com/feed/");
  ASSERT_TRUE(items.ok()) << items.status().to_string();
  ASSERT_EQ(items->size(), 5u);
  EXPECT_EQ((*items)[0].title, "AT&T <3 bold");
  EXPECT_EQ((*items)[0].url, "https://example.com/relative/1");
  EXPECT_EQ((*items)[0].author, "Jane Doe");
  EXPECT_EQ((*items)[0].image, "https://cdn.example.com/a.jpg");
  EXPECT_EQ((*items)[0].published_at_ms, 1767225600000);
  EXPECT_EQ((*items)[1].title, "No title here, only a description that becomes the title");
  EXPECT_EQ((*items)[1].url, "https://example.com/2");  // guid is a permalink
  EXPECT_EQ((*items)[2].image, "https://cdn.example.com/3.jpg");
  EXPECT_EQ((*items)[3].url, "https://example.com/4");
  auto finished = finish_items(std::move(items).value(), "test.feed");
  ASSERT_TRUE(finished.ok());
  EXPECT_EQ(finished->size(), 4u);
}

TEST(SpecFeed, CharsetOverrideAndContentImagesOption) {
  // GBK bytes for "新闻" with a lying declaration; the override wins.
  const std::string gbk_title = "\xD0\xC2\xCE\xC5";
  const std::string rss =
      "<?xml version=\"1.0\" encoding=\"utf-8\"?><rss><channel><item><title>" + gbk_title +
      "</title><link>https://e.example/1</link><description>&lt;img "
      "src=\"https://e.example/i.png\"&gt;</description></item></channel></rss>";
  auto items = parse_feed(rss, "", "", FeedOptions{.charset = "gbk"});
  ASSERT_TRUE(items.ok()) << items.status().to_string();
  EXPECT_EQ(items->front().title, "新闻");
  EXPECT_EQ(items->front().image, "https://e.example/i.png");
  auto no_images = parse_feed(rss, "", "", FeedOptions{.charset = "gbk", .content_images = false});
  ASSERT_TRUE(no_images.ok());
  EXPECT_EQ(no_images->front().image, "");
  EXPECT_EQ(parse_feed(rss, "", "", FeedOptions{.charset = "klingon"}).code(), ErrorCode::kParse);
}

TEST(SpecFeed, ErrorsAreParseErrorsWithClearMessages) {
  auto truncated = parse_feed(
      "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><item><title>Cut off</title>"
      "<link>https://e.example/1</link></item><item><title>Sec",
      "", "");
  EXPECT_EQ(truncated.code(), ErrorCode::kParse);
  EXPECT_EQ(truncated.error_message(), "truncated feed: no closing </rss> tag");

  auto html = parse_feed(
      "<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>Checking your "
      "browser</body></html>",
      "text/html", "");
  EXPECT_EQ(html.code(), ErrorCode::kParse);
  EXPECT_EQ(html.error_message(),
            "expected an RSS, Atom or JSON feed, got an HTML page titled \"Just a moment...\"");

  auto other = parse_feed("<?xml version=\"1.0\"?><opml><body/></opml>", "", "");
  EXPECT_EQ(other.error_message(), "expected an RSS, Atom or JSON feed, got XML root <opml>");

  auto empty = parse_feed("<rss><channel><title>t</title></channel></rss>", "", "");
  EXPECT_EQ(empty.error_message(), "feed has 0 items");

  EXPECT_EQ(parse_feed("", "", "").error_message(), "empty feed body");
  EXPECT_EQ(parse_feed("plain text", "", "").code(), ErrorCode::kParse);
  EXPECT_EQ(parse_feed("{\"version\":", "", "").code(), ErrorCode::kParse);
}

TEST(SpecFeed, HostileInputDoesNotCrash) {
  // Deep nesting, an entity bomb attempt and binary junk: errors or items, never a crash.
  std::string deep = "<rss><channel>";
  for (int i = 0; i < 5000; ++i) deep += "<item>";
  (void)parse_feed(deep, "", "");
  const std::string bomb = R"(<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa">
<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
<!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;"><!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">]>
<rss><channel><item><title>&e;</title><link>https://e.example/</link></item></channel></rss>)";
  (void)parse_feed(bomb, "", "");
  std::string junk;
  for (int i = 0; i < 4096; ++i) junk.push_back(static_cast<char>((i * 131) & 0xFF));
  (void)parse_feed("<rss>" + junk, "", "");
  (void)parse_feed(std::string("<rss>\0</rss>", 12), "", "");
  SUCCEED();
}

}  // namespace
}  // namespace mu
