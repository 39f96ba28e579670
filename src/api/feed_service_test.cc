#include "api/feed_service.h"

#include <gtest/gtest.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include <boost/json/parse.hpp>

#include <memory>

#include "api/api.h"
#include "coord/local/local_coordinator.h"
#include "http/middleware.h"
#include "store/sqlite/sqlite_store.h"

namespace mu {
namespace {
namespace json = boost::json;

constexpr std::string_view kBoard = "weibo.hot-search";
constexpr std::string_view kOther = "weibo.entertainment";

// A parsed XML feed queried with XPath (namespaces: atom, and a = Atom as default).
class Xml {
 public:
  explicit Xml(std::string_view text) {
    doc_ = xmlReadMemory(text.data(), static_cast<int>(text.size()), "feed.xml", nullptr,
                         XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (doc_ != nullptr) {
      ctx_ = xmlXPathNewContext(doc_);
      xmlXPathRegisterNs(ctx_, reinterpret_cast<const xmlChar*>("atom"),
                         reinterpret_cast<const xmlChar*>("http://www.w3.org/2005/Atom"));
    }
  }
  ~Xml() {
    if (ctx_ != nullptr) xmlXPathFreeContext(ctx_);
    if (doc_ != nullptr) xmlFreeDoc(doc_);
  }
  Xml(const Xml&) = delete;
  Xml& operator=(const Xml&) = delete;

  bool ok() const { return doc_ != nullptr; }
  // The text of every node `expr` selects.
  std::vector<std::string> all(const std::string& expr) const {
    std::vector<std::string> out;
    if (ctx_ == nullptr) return out;
    xmlXPathObject* obj =
        xmlXPathEvalExpression(reinterpret_cast<const xmlChar*>(expr.c_str()), ctx_);
    if (obj == nullptr) return out;
    if (obj->nodesetval != nullptr) {
      for (int i = 0; i < obj->nodesetval->nodeNr; ++i) {
        xmlChar* text = xmlNodeGetContent(obj->nodesetval->nodeTab[i]);
        out.emplace_back(text != nullptr ? reinterpret_cast<const char*>(text) : "");
        xmlFree(text);
      }
    }
    xmlXPathFreeObject(obj);
    return out;
  }
  std::string one(const std::string& expr) const {
    auto v = all(expr);
    return v.size() == 1 ? v[0] : "<" + std::to_string(v.size()) + " nodes>";
  }

 private:
  xmlDoc* doc_ = nullptr;
  xmlXPathContext* ctx_ = nullptr;
};

struct TestItem {
  std::string key;
  std::string title;
  std::string url;
  std::string summary;
};

class FeedServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = open_sqlite_store(":memory:");
    ASSERT_TRUE(s.ok()) << s.status().to_string();
    store_ = std::move(s).value();
    ASSERT_TRUE(store_->migrate().ok());
    site_ = Site{"weibo", "微博", "Weibo", "https://weibo.com", "", "#e6162d", "cn"};
    BoardMeta hot;
    hot.id = kBoard;
    hot.site = "weibo";
    hot.name_zh = "热搜榜";
    hot.homepage = "https://s.weibo.com/top/summary";
    BoardMeta ent = hot;
    ent.id = kOther;
    ent.name_zh = "文娱榜";
    ent.schedule.every = std::chrono::seconds(30);
    boards_ = {hot, ent};
    ASSERT_TRUE(store_->sync_catalogue({site_}, boards_).ok());
    ApiOptions o;
    o.cache.catalogue_interval = Millis(0);
    api_ = std::make_unique<ApiService>(std::vector<Site>{site_}, boards_, *store_, coord_, o);
    ASSERT_TRUE(api_->start().ok());
    FeedServiceOptions fo;
    fo.public_url = "https://mu.test/";
    fo.history = store_.get();
    fo.clock = &clock_;
    feeds_ = std::make_unique<FeedService>(std::vector<Site>{site_}, boards_, api_->cache(), fo);
    feeds_->register_routes(router_);
  }

  Response get(const std::string& target, std::string_view if_none_match = {}) {
    Request req;
    EXPECT_TRUE(req.set_target(target).ok()) << target;
    if (!if_none_match.empty()) req.headers.set("If-None-Match", if_none_match);
    return router_.handle(req);
  }

  void commit(std::string_view board, const std::vector<TestItem>& items, int64_t at_ms) {
    CommitRequest c;
    c.board = board;
    c.epoch = 1;
    c.dispatch_id = std::string(board) + "@" + std::to_string(at_ms);
    c.slot = at_ms / 1000;
    c.stats.started_ms = at_ms;
    c.stats.finished_ms = at_ms;
    for (const TestItem& t : items) {
      Item it;
      it.key = t.key;
      it.title = t.title;
      it.url = t.url;
      it.summary = t.summary;
      c.items.push_back(it);
    }
    auto v = store_->commit_snapshot(c);
    ASSERT_TRUE(v.ok()) << v.status().to_string();
    ASSERT_TRUE(api_->cache().refresh(std::string(board)).ok());
  }

  void commit_default(int64_t at_ms = 1764000000000) {
    commit(kBoard,
           {{"a", "Apple pie", "https://s.weibo.com/weibo?q=apple", "sweet"},
            {"b", "Banana split", "https://s.weibo.com/weibo?q=banana", ""},
            {"c", "Cherry tart", "https://s.weibo.com/weibo?q=cherry", "red fruit"}},
           at_ms);
  }

  FakeClock clock_;
  std::unique_ptr<Store> store_;
  LocalCoordinator coord_;
  Site site_;
  std::vector<BoardMeta> boards_;
  std::unique_ptr<ApiService> api_;
  std::unique_ptr<FeedService> feeds_;
  Router router_;
};

TEST_F(FeedServiceTest, RssHasTheChannelItemsAndSelfLink) {
  commit_default();
  Response r = get("/feeds/boards/weibo.hot-search.rss");
  ASSERT_EQ(r.status, 200) << r.body_view();
  EXPECT_EQ(r.header("Content-Type"), "application/rss+xml; charset=utf-8");
  Xml x(r.body_view());
  ASSERT_TRUE(x.ok()) << r.body_view();
  EXPECT_EQ(x.one("/rss/@version"), "2.0");
  EXPECT_EQ(x.one("/rss/channel/title"), "微博 · 热搜榜");
  EXPECT_EQ(x.one("/rss/channel/link"), "https://s.weibo.com/top/summary");
  EXPECT_FALSE(x.one("/rss/channel/description").empty());
  EXPECT_EQ(x.one("/rss/channel/language"), "zh-CN");
  EXPECT_EQ(x.one("/rss/channel/lastBuildDate"), "Mon, 24 Nov 2025 16:00:00 GMT");
  EXPECT_EQ(x.one("/rss/channel/ttl"), "10");
  EXPECT_EQ(x.one("/rss/channel/atom:link[@rel='self']/@href"),
            "https://mu.test/feeds/boards/weibo.hot-search.rss");
  EXPECT_EQ(x.one("/rss/channel/atom:link[@rel='self']/@type"), "application/rss+xml");
  EXPECT_EQ(x.all("/rss/channel/item/title"),
            (std::vector<std::string>{"Apple pie", "Banana split", "Cherry tart"}));
  EXPECT_EQ(x.one("/rss/channel/item[1]/link"), "https://s.weibo.com/weibo?q=apple");
  EXPECT_EQ(x.one("/rss/channel/item[1]/description"), "sweet");
  EXPECT_EQ(x.one("/rss/channel/item[1]/guid"), "tag:mu,2026:board/weibo.hot-search/a");
  EXPECT_EQ(x.one("/rss/channel/item[1]/guid/@isPermaLink"), "false");
  // Item dates are when Mu first saw the item.
  EXPECT_EQ(x.one("/rss/channel/item[1]/pubDate"), "Mon, 24 Nov 2025 16:00:00 GMT");
}

TEST_F(FeedServiceTest, AtomHasIdUpdatedAuthorAndSelfLink) {
  commit_default();
  Response r = get("/feeds/boards/weibo.hot-search.atom");
  ASSERT_EQ(r.status, 200) << r.body_view();
  EXPECT_EQ(r.header("Content-Type"), "application/atom+xml; charset=utf-8");
  Xml x(r.body_view());
  ASSERT_TRUE(x.ok()) << r.body_view();
  EXPECT_EQ(x.one("/atom:feed/atom:id"), "tag:mu,2026:board/weibo.hot-search");
  EXPECT_EQ(x.one("/atom:feed/@xml:lang"), "zh-CN");
  EXPECT_EQ(x.one("/atom:feed/atom:title"), "微博 · 热搜榜");
  EXPECT_EQ(x.one("/atom:feed/atom:updated"), "2025-11-24T16:00:00.000Z");
  EXPECT_EQ(x.one("/atom:feed/atom:author/atom:name"), "Mu");
  EXPECT_EQ(x.one("/atom:feed/atom:link[@rel='self']/@href"),
            "https://mu.test/feeds/boards/weibo.hot-search.atom");
  EXPECT_EQ(x.one("/atom:feed/atom:link[@rel='alternate']/@href"),
            "https://s.weibo.com/top/summary");
  EXPECT_EQ(x.all("/atom:feed/atom:entry").size(), 3u);
  EXPECT_EQ(x.one("/atom:feed/atom:entry[3]/atom:id"), "tag:mu,2026:board/weibo.hot-search/c");
  EXPECT_EQ(x.one("/atom:feed/atom:entry[3]/atom:link[@rel='alternate']/@href"),
            "https://s.weibo.com/weibo?q=cherry");
  EXPECT_EQ(x.one("/atom:feed/atom:entry[3]/atom:summary"), "red fruit");
  EXPECT_EQ(x.one("/atom:feed/atom:entry[3]/atom:published"), "2025-11-24T16:00:00.000Z");
  EXPECT_EQ(x.one("/atom:feed/atom:entry[3]/atom:updated"), "2025-11-24T16:00:00.000Z");
}

TEST_F(FeedServiceTest, JsonFeedIsVersionOneOneWithTheSameIds) {
  commit_default();
  Response r = get("/feeds/boards/weibo.hot-search.json");
  ASSERT_EQ(r.status, 200) << r.body_view();
  EXPECT_EQ(r.header("Content-Type"), "application/feed+json; charset=utf-8");
  json::value v = json::parse(r.body_view());
  EXPECT_EQ(v.at("version").as_string(), "https://jsonfeed.org/version/1.1");
  EXPECT_EQ(v.at("title").as_string(), "微博 · 热搜榜");
  EXPECT_EQ(v.at("feed_url").as_string(), "https://mu.test/feeds/boards/weibo.hot-search.json");
  EXPECT_EQ(v.at("home_page_url").as_string(), "https://s.weibo.com/top/summary");
  EXPECT_EQ(v.at("language").as_string(), "zh-CN");
  const json::array& items = v.at("items").as_array();
  ASSERT_EQ(items.size(), 3u);
  EXPECT_EQ(items[0].at("id").as_string(), "tag:mu,2026:board/weibo.hot-search/a");
  EXPECT_EQ(items[0].at("url").as_string(), "https://s.weibo.com/weibo?q=apple");
  EXPECT_EQ(items[0].at("content_text").as_string(), "sweet");
  EXPECT_EQ(items[1].at("content_text").as_string(), "Banana split");
  EXPECT_EQ(items[0].at("date_published").as_string(), "2025-11-24T16:00:00.000Z");
}

TEST_F(FeedServiceTest, GuidsAreStableAcrossRendersAndFormats) {
  commit_default();
  Xml before(get("/feeds/boards/weibo.hot-search.rss").body_view());
  // The next fetch reorders the list and adds an item: every old key keeps its guid and
  // its first-seen date.
  commit(kBoard,
         {{"n", "New", "https://s.weibo.com/weibo?q=new", ""},
          {"c", "Cherry tart", "https://s.weibo.com/weibo?q=cherry", "red fruit"},
          {"a", "Apple pie", "https://s.weibo.com/weibo?q=apple", "sweet"}},
         1764000600000);
  Xml after(get("/feeds/boards/weibo.hot-search.rss").body_view());
  EXPECT_EQ(before.one("/rss/channel/item[title='Cherry tart']/guid"),
            after.one("/rss/channel/item[title='Cherry tart']/guid"));
  EXPECT_EQ(before.one("/rss/channel/item[title='Cherry tart']/pubDate"),
            after.one("/rss/channel/item[title='Cherry tart']/pubDate"));
  EXPECT_EQ(after.one("/rss/channel/item[title='New']/pubDate"), "Mon, 24 Nov 2025 16:10:00 GMT");
  Xml atom(get("/feeds/boards/weibo.hot-search.atom").body_view());
  EXPECT_EQ(atom.all("//atom:entry/atom:id"), after.all("/rss/channel/item/guid"));
}

TEST_F(FeedServiceTest, UntrustedTitlesAreEscapedAndControlCharactersDropped) {
  const std::string nasty = std::string("<b>Tom & \"Jerry\" 'n' </b>\x01\x0b\x7f") + "\xC2\x85" +
                            "\xEF\xBF\xBE" + "]]> end\xff";
  commit(kBoard, {{"k&<>\"'", nasty, "https://x.test/?a=1&b=<2>", nasty}}, 1764000000000);
  const std::string clean = "<b>Tom & \"Jerry\" 'n' </b>]]> end\xEF\xBF\xBD";
  for (const char* ext : {"rss", "atom"}) {
    Response r = get(std::string("/feeds/boards/weibo.hot-search.") + ext);
    Xml x(r.body_view());
    ASSERT_TRUE(x.ok()) << ext << ": " << r.body_view();
    EXPECT_EQ(x.one("//item/title | //atom:entry/atom:title"), clean) << ext;
    EXPECT_EQ(x.one("//item/link | //atom:entry/atom:link/@href"), "https://x.test/?a=1&b=<2>");
    EXPECT_EQ(x.one("//item/guid | //atom:entry/atom:id"),
              "tag:mu,2026:board/weibo.hot-search/k%26%3C%3E%22%27");
  }
  Response r = get("/feeds/boards/weibo.hot-search.json");
  json::value v = json::parse(r.body_view());
  EXPECT_EQ(v.at("items").at(0).at("title").as_string(), clean);
}

TEST_F(FeedServiceTest, OnlyHttpLinksAreWritten) {
  commit(kBoard,
         {{"js", "Script", "javascript:alert(1)", ""},
          {"data", "Data", "data:text/html,<script>", ""},
          {"ok", "Fine", "https://ok.test/", ""}},
         1764000000000);
  Xml rss(get("/feeds/boards/weibo.hot-search.rss").body_view());
  EXPECT_EQ(rss.all("//item/link"), std::vector<std::string>{"https://ok.test/"});
  Xml atom(get("/feeds/boards/weibo.hot-search.atom").body_view());
  EXPECT_EQ(atom.all("//atom:entry/atom:link/@href"), std::vector<std::string>{"https://ok.test/"});
  // An Atom entry without a link carries content instead (RFC 4287 4.1.1.1).
  EXPECT_EQ(atom.one("//atom:entry[atom:title='Script']/atom:content"), "Script");
  json::value v = json::parse(get("/feeds/boards/weibo.hot-search.json").body_view());
  EXPECT_EQ(v.at("items").at(0).as_object().if_contains("url"), nullptr);
  EXPECT_EQ(v.at("items").at(2).at("url").as_string(), "https://ok.test/");
}

TEST_F(FeedServiceTest, FilterAndFilteroutMatchTitleAndSummary) {
  commit_default();
  Xml kept(get("/feeds/boards/weibo.hot-search.rss?filter=(?i)apple%7Cfruit").body_view());
  EXPECT_EQ(kept.all("//item/title"), (std::vector<std::string>{"Apple pie", "Cherry tart"}));
  // A variant's self link is the variant.
  EXPECT_EQ(kept.one("/rss/channel/atom:link[@rel='self']/@href"),
            "https://mu.test/feeds/boards/weibo.hot-search.rss?filter=(?i)apple%7Cfruit");
  Xml dropped(get("/feeds/boards/weibo.hot-search.rss?filterout=fruit").body_view());
  EXPECT_EQ(dropped.all("//item/title"), (std::vector<std::string>{"Apple pie", "Banana split"}));
  Xml both(get("/feeds/boards/weibo.hot-search.rss?filter=(?i)a&filterout=^Ban").body_view());
  EXPECT_EQ(both.all("//item/title"), (std::vector<std::string>{"Apple pie", "Cherry tart"}));
}

TEST_F(FeedServiceTest, BadPatternsAre400NamingTheParameter) {
  commit_default();
  for (const char* param : {"filter", "filterout"}) {
    Response r = get(std::string("/feeds/boards/weibo.hot-search.rss?") + param + "=(unclosed");
    EXPECT_EQ(r.status, 400) << param;
    EXPECT_EQ(r.header("Content-Type"), "application/json");
    json::value v = json::parse(r.body_view());
    EXPECT_EQ(v.at("error").at("code").as_string(), "invalid");
    EXPECT_TRUE(v.at("error").at("message").as_string().starts_with(std::string(param) + ":")) << v;
  }
  Response long_one = get("/feeds/boards/weibo.hot-search.rss?filter=" + std::string(257, 'a'));
  EXPECT_EQ(long_one.status, 400);
  EXPECT_NE(long_one.body_view().find("filter: longer than 256 bytes"), std::string::npos);
  // Within the length but too big for the memory budget: refused, not compiled.
  Response big = get("/feeds/boards/weibo.hot-search.rss?filter=((a{100}){100}){100}");
  EXPECT_EQ(big.status, 400) << big.body_view();
}

TEST_F(FeedServiceTest, LimitIsBounded) {
  commit_default();
  Xml one(get("/feeds/boards/weibo.hot-search.atom?limit=1").body_view());
  EXPECT_EQ(one.all("//atom:entry").size(), 1u);
  Xml hundred(get("/feeds/boards/weibo.hot-search.atom?limit=100").body_view());
  EXPECT_EQ(hundred.all("//atom:entry").size(), 3u);
  for (const char* bad : {"0", "101", "-1", "1x", ""}) {
    Response r = get(std::string("/feeds/boards/weibo.hot-search.json?limit=") + bad);
    EXPECT_EQ(r.status, 400) << bad;
    EXPECT_NE(r.body_view().find("limit: a whole number from 1 to 100"), std::string::npos);
  }
}

TEST_F(FeedServiceTest, ABoardOfMoreThanAHundredItemsGivesTheFirstHundred) {
  std::vector<TestItem> items;
  for (int i = 0; i < 120; ++i) {
    items.push_back({"k" + std::to_string(i), "T" + std::to_string(i), "https://x.test/", ""});
  }
  commit(kBoard, items, 1764000000000);
  Xml x(get("/feeds/boards/weibo.hot-search.rss").body_view());
  EXPECT_EQ(x.all("//item").size(), 100u);
  EXPECT_EQ(x.one("//item[100]/title"), "T99");
}

TEST_F(FeedServiceTest, RenderedOncePerUpdateWithEtagGzipAnd304) {
  commit_default();
  Response a = get("/feeds/boards/weibo.hot-search.rss");
  Response b = get("/feeds/boards/weibo.hot-search.rss");
  ASSERT_FALSE(a.etag.empty());
  ASSERT_NE(a.gzip_body, nullptr);
  const auto* body_a = std::get_if<std::shared_ptr<const std::string>>(&a.body);
  const auto* body_b = std::get_if<std::shared_ptr<const std::string>>(&b.body);
  ASSERT_NE(body_a, nullptr);
  ASSERT_NE(body_b, nullptr);
  EXPECT_EQ(body_a->get(), body_b->get());  // the same bytes, not a second rendering
  EXPECT_EQ(a.etag, b.etag);

  Request req;
  ASSERT_TRUE(req.set_target("/feeds/boards/weibo.hot-search.rss").ok());
  req.headers.set("If-None-Match", a.etag);
  std::string head;
  Response again = router_.handle(req);
  finish_response(req, again, MiddlewareOptions{}, http_date(0), true, head);
  EXPECT_EQ(again.status, 304);

  commit_default(1764000600000);  // a new fetch: lastBuildDate moves, so does the ETag
  Response c = get("/feeds/boards/weibo.hot-search.rss");
  EXPECT_NE(c.etag, a.etag);
  // Variants carry an ETag of their own.
  Response f1 = get("/feeds/boards/weibo.hot-search.rss?limit=2");
  Response f2 = get("/feeds/boards/weibo.hot-search.rss?limit=2");
  EXPECT_FALSE(f1.etag.empty());
  EXPECT_EQ(f1.etag, f2.etag);
  EXPECT_NE(f1.etag, c.etag);
}

TEST_F(FeedServiceTest, CacheControlFollowsTheSchedule) {
  commit_default();
  commit(kOther, {{"x", "X", "https://x.test/", ""}}, 1764000000000);
  // Every 10 min: a quarter of it, capped at 5 min.
  EXPECT_EQ(get("/feeds/boards/weibo.hot-search.rss").header("Cache-Control"),
            "public, max-age=150, stale-while-revalidate=60");
  // Every 30 s: never below 15 s.
  EXPECT_EQ(get("/feeds/boards/weibo.entertainment.rss").header("Cache-Control"),
            "public, max-age=15, stale-while-revalidate=60");
  // A site: its most frequent board.
  EXPECT_EQ(get("/feeds/sites/weibo.json").header("Cache-Control"),
            "public, max-age=15, stale-while-revalidate=60");
  BoardMeta cron = boards_[0];
  cron.schedule.cron = "0 * * * *";
  EXPECT_EQ(feed_cache_control({&cron}), "public, max-age=60, stale-while-revalidate=60");
}

TEST_F(FeedServiceTest, SiteFeedMergesBoardsNewestFirstSeenFirst) {
  commit_default(1764000000000);
  commit(kOther,
         {{"x", "Xylophone", "https://x.test/", ""},
          {"dup", "Apple again", "https://s.weibo.com/weibo?q=apple", ""}},
         1764000600000);
  Response r = get("/feeds/sites/weibo.rss");
  ASSERT_EQ(r.status, 200) << r.body_view();
  Xml x(r.body_view());
  ASSERT_TRUE(x.ok());
  EXPECT_EQ(x.one("/rss/channel/title"), "微博");
  EXPECT_EQ(x.one("/rss/channel/atom:link[@rel='self']/@href"),
            "https://mu.test/feeds/sites/weibo.rss");
  // The newer board's items first; the same URL is listed once.
  EXPECT_EQ(x.all("//item/title"),
            (std::vector<std::string>{"Xylophone", "Apple again", "Banana split", "Cherry tart"}));
  EXPECT_EQ(x.all("//item/category"),
            (std::vector<std::string>{"文娱榜", "文娱榜", "热搜榜", "热搜榜"}));
  EXPECT_EQ(x.one("/rss/channel/lastBuildDate"), "Mon, 24 Nov 2025 16:10:00 GMT");
  Xml filtered(get("/feeds/sites/weibo.atom?filter=^[AB]&limit=2").body_view());
  EXPECT_EQ(filtered.all("//atom:entry/atom:title"),
            (std::vector<std::string>{"Apple again", "Banana split"}));
}

TEST_F(FeedServiceTest, UnknownBoardSiteOrFormatIs404) {
  commit_default();
  EXPECT_EQ(get("/feeds/boards/nope.board.rss").status, 404);
  EXPECT_EQ(get("/feeds/sites/nope.rss").status, 404);
  for (const char* path : {"/feeds/boards/weibo.hot-search.xml", "/feeds/boards/weibo.hot-search",
                           "/feeds/sites/weibo.html", "/feeds/sites/weibo"}) {
    Response r = get(path);
    EXPECT_EQ(r.status, 404) << path;
    EXPECT_NE(r.body_view().find(".rss, .atom or .json"), std::string::npos) << r.body_view();
  }
  Response bad = get("/feeds/boards/nope.rss");
  EXPECT_NE(bad.body_view().find("no board \\\"nope\\\""), std::string::npos) << bad.body_view();
}

TEST_F(FeedServiceTest, NeverFetchedBoardIsAnEmptyValidFeed) {
  Response r = get("/feeds/boards/weibo.hot-search.atom");
  ASSERT_EQ(r.status, 200);
  Xml x(r.body_view());
  ASSERT_TRUE(x.ok());
  EXPECT_TRUE(x.all("//atom:entry").empty());
  EXPECT_EQ(x.one("/atom:feed/atom:id"), "tag:mu,2026:board/weibo.hot-search");
}

TEST_F(FeedServiceTest, SearchFeedListsTheNewestMatchesWithBoardIds) {
  commit_default(1764000000000);
  commit(kOther, {{"p", "Apple pencil", "https://x.test/pencil", ""}}, 1764000600000);
  Response r = get("/feeds/search.rss?q=apple");
  ASSERT_EQ(r.status, 200) << r.body_view();
  EXPECT_EQ(r.header("Content-Type"), "application/rss+xml; charset=utf-8");
  Xml x(r.body_view());
  ASSERT_TRUE(x.ok()) << r.body_view();
  EXPECT_EQ(x.one("/rss/channel/title"), "Mu · apple");
  EXPECT_EQ(x.one("/rss/channel/atom:link[@rel='self']/@href"),
            "https://mu.test/feeds/search.rss?q=apple");
  EXPECT_EQ(x.all("//item/title"), (std::vector<std::string>{"Apple pencil", "Apple pie"}));
  // The same ids as the board feeds, so a reader of both sees one entry.
  EXPECT_EQ(x.one("//item[2]/guid"), "tag:mu,2026:board/weibo.hot-search/a");
  EXPECT_EQ(x.one("//item[2]/category"), "微博 · 热搜榜");

  Xml atom(get("/feeds/search.atom?q=apple&board=weibo.hot-search").body_view());
  EXPECT_EQ(atom.all("//atom:entry/atom:title"), std::vector<std::string>{"Apple pie"});
  EXPECT_EQ(atom.one("/atom:feed/atom:link[@rel='self']/@href"),
            "https://mu.test/feeds/search.atom?q=apple&board=weibo.hot-search");
  json::value v = json::parse(get("/feeds/search.json?q=apple&filterout=pencil").body_view());
  EXPECT_EQ(v.at("items").as_array().size(), 1u);
  json::value one = json::parse(get("/feeds/search.json?q=apple&limit=1").body_view());
  EXPECT_EQ(one.at("items").at(0).at("title").as_string(), "Apple pencil");
}

TEST_F(FeedServiceTest, SearchFeedIsKeptAMinuteAndChecksItsParameters) {
  commit_default();
  Response a = get("/feeds/search.atom?q=cherry");
  Response b = get("/feeds/search.atom?q=cherry");
  ASSERT_EQ(a.status, 200);
  const auto* body_a = std::get_if<std::shared_ptr<const std::string>>(&a.body);
  const auto* body_b = std::get_if<std::shared_ptr<const std::string>>(&b.body);
  ASSERT_TRUE(body_a != nullptr && body_b != nullptr);
  EXPECT_EQ(body_a->get(), body_b->get());
  EXPECT_EQ(a.header("Cache-Control"), "public, max-age=60");
  EXPECT_FALSE(a.etag.empty());
  // A new match shows once the kept answer is a minute old.
  commit(kOther, {{"cc", "Cherry cola", "https://x.test/cola", ""}}, 1764000600000);
  clock_.advance(std::chrono::seconds(59));
  EXPECT_EQ(Xml(get("/feeds/search.atom?q=cherry").body_view()).all("//atom:entry").size(), 1u);
  clock_.advance(std::chrono::seconds(1));
  EXPECT_EQ(Xml(get("/feeds/search.atom?q=cherry").body_view()).all("//atom:entry").size(), 2u);
  Response none = get("/feeds/search.rss");
  EXPECT_EQ(none.status, 400);
  EXPECT_NE(none.body_view().find("\"q"), std::string::npos) << none.body_view();
  Response board = get("/feeds/search.rss?q=x&board=nope");
  EXPECT_EQ(board.status, 400);
  EXPECT_NE(board.body_view().find("board: no board"), std::string::npos);
  EXPECT_EQ(get("/feeds/search.rss?q=x&filter=(").status, 400);
  EXPECT_EQ(get("/feeds/search.rss?q=x&limit=101").status, 400);
  EXPECT_EQ(get("/feeds/search.xml?q=x").status, 404);
}

TEST(FeedWriter, XmlSafeTextKeepsTabsNewlinesAndCjk) {
  EXPECT_EQ(xml_safe_text("a\tb\nc\rd"), "a\tb\nc\rd");
  EXPECT_EQ(xml_safe_text(std::string_view("微\x00博", 7)), "微博");
  EXPECT_EQ(xml_safe_text("\xF0\x9F\x94\xA5 hot"), "\xF0\x9F\x94\xA5 hot");
  EXPECT_EQ(xml_safe_text("\xC3\xA9\xC2\x9F"), "\xC3\xA9");
}

}  // namespace
}  // namespace mu
