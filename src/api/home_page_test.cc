#include "api/home_page.h"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

#include <string>
#include <vector>

#include "core/compress.h"
#include "store/sqlite/sqlite_store.h"

namespace mu {
namespace {
namespace json = boost::json;

const std::string kTemplate =
    "<!doctype html><html><head><title>Mu</title>\n"
    "<script type=\"application/json\" id=\"mu-first\" "
    "data-boards=\"weibo.hot-search,nope.unknown,BAD id,zhihu.hot,weibo.never\"></script>\n"
    "<script src=\"/boot.js\"></script></head><body><div id=\"app\"></div></body></html>";

class HomePageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = open_sqlite_store(":memory:");
    ASSERT_TRUE(s.ok()) << s.status().to_string();
    store_ = std::move(s).value();
    ASSERT_TRUE(store_->migrate().ok());
    sites_ = {Site{"weibo", "微博", "Weibo", "https://weibo.com", "", "#e6162d", "cn"},
              Site{"zhihu", "知乎", "Zhihu", "https://www.zhihu.com", "", "#1772f6", "cn"}};
    for (const auto& [id, site] : std::vector<std::pair<std::string, std::string>>{
             {"weibo.hot-search", "weibo"}, {"zhihu.hot", "zhihu"}, {"weibo.never", "weibo"}}) {
      BoardMeta m;
      m.id = id;
      m.site = site;
      m.name_zh = "热榜";
      boards_.push_back(m);
    }
    ASSERT_TRUE(store_->sync_catalogue(sites_, boards_).ok());
    commit("weibo.hot-search", {"</script><script>alert(1)</script>", "第二条"});
    commit("zhihu.hot", {"知乎第一条"});
    cache_ = std::make_unique<BoardCache>(sites_, boards_, *store_, clock_);
    ASSERT_TRUE(cache_->refresh_all().ok());
    file_ = std::make_shared<const std::string>(kTemplate);
  }

  void commit(const std::string& board, const std::vector<std::string>& titles) {
    CommitRequest c;
    c.board = board;
    c.epoch = 1;
    c.dispatch_id = board + "-" + std::to_string(++dispatches_);
    c.stats.finished_ms = clock_.now_ms();
    for (const auto& t : titles) {
      Item it;
      it.key = it.title = t;
      it.url = "https://example.com/" + std::to_string(c.items.size());
      c.items.push_back(it);
    }
    ASSERT_TRUE(store_->commit_snapshot(c).ok());
  }

  static Request request(std::string_view ua, std::string_view mobile_hint = "") {
    Request r;
    EXPECT_TRUE(r.set_target("/").ok());
    r.headers.set("User-Agent", std::string(ua));
    if (!mobile_hint.empty()) r.headers.set("Sec-CH-UA-Mobile", std::string(mobile_hint));
    return r;
  }

  static std::string body(const Response& r) { return std::string(r.body_view()); }

  // The JSON inside the block, and its data-boards attribute.
  static std::pair<json::value, std::string> block(const std::string& html) {
    const std::string open = "id=\"mu-first\" data-boards=\"";
    const std::size_t at = html.find(open);
    EXPECT_NE(at, std::string::npos) << html;
    const std::size_t ids_end = html.find('"', at + open.size());
    const std::string ids = html.substr(at + open.size(), ids_end - at - open.size());
    const std::size_t from = html.find('>', ids_end) + 1;
    const std::size_t to = html.find("</script>", from);
    return {json::parse(html.substr(from, to - from)), ids};
  }

  int dispatches_ = 0;
  FakeClock clock_;
  std::unique_ptr<Store> store_;
  std::vector<Site> sites_;
  std::vector<BoardMeta> boards_;
  std::unique_ptr<BoardCache> cache_;
  std::shared_ptr<const std::string> file_;
};

TEST_F(HomePageTest, WritesTheListedBoardsAsTheApiAnswersThem) {
  HomePage home(*cache_, clock_);
  auto r = home.page(request("Mozilla/5.0 (X11; Linux x86_64)"), file_);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->headers.get("Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(r->headers.get("Cache-Control"), "no-cache");
  EXPECT_FALSE(r->etag.empty());
  const std::string html = body(*r);
  // The rest of the page is untouched.
  EXPECT_EQ(html.rfind("<!doctype html><html><head><title>Mu</title>\n", 0), 0u);
  EXPECT_NE(html.find("<script src=\"/boot.js\"></script></head><body><div id=\"app\"></div>"),
            std::string::npos);
  auto [data, ids] = block(html);
  // Unknown and malformed ids are skipped; a never-fetched board is written as the API shows it.
  EXPECT_EQ(ids, "weibo.hot-search,zhihu.hot,weibo.never");
  const json::array& bodies = data.at("bodies").as_array();
  ASSERT_EQ(bodies.size(), 3u);
  for (std::size_t i = 0; i < bodies.size(); ++i) {
    const std::string id(bodies[i].at("id").as_string());
    EXPECT_EQ(json::parse(*cache_->board(id)->json), bodies[i]) << id;
  }
  EXPECT_EQ(json::parse(*cache_->sites()->json), data.at("sites"));
  EXPECT_EQ(json::parse(*cache_->catalogue()->json), data.at("boards"));
  EXPECT_EQ(data.at("generated_at").as_string(), iso8601_utc(clock_.now_ms()));
  // The gzip variant is the same page.
  ASSERT_TRUE(r->gzip_body);
  auto unzipped = gzip_decompress(*r->gzip_body);
  ASSERT_TRUE(unzipped.ok());
  EXPECT_EQ(*unzipped, html);
}

TEST_F(HomePageTest, NoScrapedTitleCanCloseTheScriptElement) {
  HomePage home(*cache_, clock_);
  auto r = home.page(request("Mozilla/5.0"), file_);
  ASSERT_TRUE(r.has_value());
  const std::string html = body(*r);
  const std::size_t from = html.find("id=\"mu-first\"");
  const std::size_t to = html.find("</script>", from);
  const std::string inside = html.substr(from, to - from);
  EXPECT_EQ(inside.find("<"), std::string::npos);
  // The title still reads as it was once parsed.
  auto [data, ids] = block(html);
  EXPECT_EQ(data.at("bodies").at(0).at("items").at(0).at("title").as_string(),
            "</script><script>alert(1)</script>");
  EXPECT_EQ(HomePage::script_safe("{\"t\":\"a<b<!--\"}"), "{\"t\":\"a\\u003cb\\u003c!--\"}");
}

TEST_F(HomePageTest, PhonesGetTheFirstScreensOnly) {
  HomePage home(*cache_, clock_, HomePageOptions{.phone_boards = 1});
  auto hinted = home.page(request("Mozilla/5.0 (Linux; Android 11) Mobile Safari", "?1"), file_);
  ASSERT_TRUE(hinted.has_value());
  EXPECT_EQ(block(body(*hinted)).second, "weibo.hot-search");
  EXPECT_EQ(hinted->headers.get("Vary"), "Sec-CH-UA-Mobile, User-Agent");
  // No client hints (Firefox, Safari): the User-Agent decides.
  auto iphone = home.page(request("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) Mobile/15E148"), file_);
  EXPECT_EQ(block(body(*iphone)).second, "weibo.hot-search");
  // The hint wins over the User-Agent (a desktop browser with "Mobi" in its string).
  auto desktop = home.page(request("Mozilla/5.0 Mobile", "?0"), file_);
  EXPECT_EQ(block(body(*desktop)).second, "weibo.hot-search,zhihu.hot,weibo.never");
  EXPECT_TRUE(HomePage::is_phone(request("x", "?1")));
  EXPECT_FALSE(HomePage::is_phone(request("Mozilla/5.0 (Windows NT 10.0; Win64; x64)")));
}

TEST_F(HomePageTest, ComposedOnceThenAgainWhenABoardChangesOrItIsOld) {
  HomePage home(*cache_, clock_, HomePageOptions{.max_age = std::chrono::seconds(10)});
  auto first = home.page(request("Mozilla/5.0"), file_);
  auto again = home.page(request("Mozilla/5.0"), file_);
  ASSERT_TRUE(first && again);
  // Served from memory: the very same bytes.
  EXPECT_EQ(std::get<std::shared_ptr<const std::string>>(first->body),
            std::get<std::shared_ptr<const std::string>>(again->body));
  EXPECT_EQ(first->etag, again->etag);

  commit("zhihu.hot", {"知乎新的第一条"});
  ASSERT_TRUE(cache_->refresh("zhihu.hot").ok());
  auto changed = home.page(request("Mozilla/5.0"), file_);
  EXPECT_NE(changed->etag, first->etag);
  EXPECT_NE(body(*changed).find("知乎新的第一条"), std::string::npos);

  // Nothing changed but time: composed again after max_age, with a new generated_at.
  clock_.advance(std::chrono::seconds(11));
  auto later = home.page(request("Mozilla/5.0"), file_);
  EXPECT_EQ(block(body(*later)).first.at("generated_at").as_string(), iso8601_utc(clock_.now_ms()));
  EXPECT_NE(later->etag, changed->etag);
}

TEST_F(HomePageTest, AfterTheListedBoardsTheDefaultOrderByCategory) {
  // zhihu is a tech site: its board comes after every general one, whatever the catalogue says.
  sites_[1].category = "tech";
  std::vector<BoardMeta> boards = {boards_[1], boards_[0], boards_[2]};  // zhihu.hot first
  BoardCache cache(sites_, boards, *store_, clock_);
  ASSERT_TRUE(cache.refresh_all().ok());
  EXPECT_EQ(cache.home_order(),
            (std::vector<std::string>{"weibo.hot-search", "weibo.never", "zhihu.hot"}));
  HomePage home(cache, clock_);
  auto listed = std::make_shared<const std::string>(
      "<script type=\"application/json\" id=\"mu-first\" data-boards=\"zhihu.hot\"></script>");
  EXPECT_EQ(block(body(*home.page(request("Mozilla/5.0"), listed))).second,
            "zhihu.hot,weibo.hot-search,weibo.never");
  // A board switched off is not on the home page: not written either.
  BoardMeta never = boards_[2];
  ASSERT_TRUE(cache.set_meta(never, false).ok());
  EXPECT_FALSE(cache.enabled("weibo.never"));
  EXPECT_EQ(block(body(*home.page(request("Mozilla/5.0"), listed))).second,
            "zhihu.hot,weibo.hot-search");
}

TEST_F(HomePageTest, PagesWithoutAnEmptyBlockAndLargeCataloguesAreLeftAlone) {
  HomePage home(*cache_, clock_);
  auto plain = std::make_shared<const std::string>("<!doctype html><title>old build</title>");
  EXPECT_FALSE(home.page(request("Mozilla/5.0"), plain).has_value());
  auto filled = std::make_shared<const std::string>(
      "<script type=\"application/json\" id=\"mu-first\" data-boards=\"zhihu.hot\">{}</script>");
  EXPECT_FALSE(home.page(request("Mozilla/5.0"), filled).has_value());
  EXPECT_FALSE(home.page(request("Mozilla/5.0"), nullptr).has_value());
  HomePage large(*cache_, clock_, HomePageOptions{.max_catalogue = 2});
  EXPECT_FALSE(large.page(request("Mozilla/5.0"), file_).has_value());
}

}  // namespace
}  // namespace mu
