#include <gtest/gtest.h>

#include "sources/source.h"
#include "sources/testing/source_testing.h"

namespace mu {

Status register_hackernews_sources(SourceRegistry& registry);

namespace {

using namespace source_testing;  // NOLINT(google-build-using-namespace)

class HackerNewsFront : public ::testing::Test {
 protected:
  const Source& board() {
    const Source* s = registry_.find("hackernews.front");
    EXPECT_NE(s, nullptr);
    return *s;
  }
  SourceRegistry registry_ = make_registry(register_hackernews_sources);
};

std::string extra(const Item& item, const std::string& key) {
  for (const auto& [k, v] : item.extra) {
    if (k == key) return v;
  }
  return {};
}

TEST_F(HackerNewsFront, ParsesFixture) {
  auto items = collect_fixture(board());
  ASSERT_TRUE(items.ok()) << items.status().to_string();
  ASSERT_EQ(items->size(), 30u);
  const Item& first = items->front();
  EXPECT_EQ(first.key, "46472310");
  EXPECT_EQ(first.title, "The year in Linux kernel development: 2025 in review");
  EXPECT_EQ(first.url, "https://lwn.net/Articles/1003412/");
  EXPECT_EQ(first.hot, 532);
  EXPECT_EQ(first.hot_text, "532 points");
  EXPECT_EQ(first.author, "chmaynard");
  EXPECT_EQ(first.published_at_ms, 1767250198000);
  EXPECT_EQ(extra(first, "comments"), "187");
  EXPECT_EQ(extra(first, "comments_url"), "https://news.ycombinator.com/item?id=46472310");
  EXPECT_EQ(extra(first, "site"), "lwn.net");
  expect_sane_items(*items, 30);
}

TEST_F(HackerNewsFront, AskHnLinksBecomeAbsolute) {
  auto items = collect_fixture(board());
  ASSERT_TRUE(items.ok()) << items.status().to_string();
  const Item& ask = (*items)[1];
  EXPECT_EQ(ask.title, "Ask HN: What are you working on this New Year's Day?");
  EXPECT_EQ(ask.url, "https://news.ycombinator.com/item?id=46473958");
  EXPECT_EQ(extra(ask, "site"), "");
  const Item& launch = (*items)[7];
  EXPECT_EQ(launch.title.rfind("Launch HN: Tidewater (YC W26)", 0), 0u) << launch.title;
  EXPECT_EQ(launch.url, "https://news.ycombinator.com/item?id=46472964");
}

TEST_F(HackerNewsFront, JobAdsHaveNoPoints) {
  auto items = collect_fixture(board());
  ASSERT_TRUE(items.ok()) << items.status().to_string();
  const Item& job = (*items)[9];
  EXPECT_EQ(job.key, "46474102");
  EXPECT_EQ(job.title, "Tessellate (YC S21) Is Hiring a Staff Rendering Engineer");
  EXPECT_FALSE(job.hot.has_value());
  EXPECT_EQ(job.author, "");
  EXPECT_TRUE(job.published_at_ms.has_value());
}

TEST_F(HackerNewsFront, SorryPageIsParseError) {
  // What HN serves to clients it throttles: no story table at all.
  auto r = collect_canned(board(), 200,
                          "<html><head><title>Sorry</title></head><body>Sorry.</body></html>");
  EXPECT_EQ(r.code(), ErrorCode::kParse);
  EXPECT_EQ(r.error_message(),
            "hackernews.front: no story rows (tr.athing) in the page titled \"Sorry\"");
  auto plain = collect_canned(board(), 200, "Sorry.");
  EXPECT_EQ(plain.code(), ErrorCode::kParse);
}

TEST_F(HackerNewsFront, Http500IsHttpError) {
  auto r = collect_canned(board(), 503, "<html><body>We're having some trouble</body></html>");
  EXPECT_EQ(r.code(), ErrorCode::kHttp);
  EXPECT_EQ(r.error_message(), "hackernews.front: HTTP 503 from https://news.ycombinator.com/");
}

TEST_F(HackerNewsFront, JavascriptUrlIsDropped) {
  const std::string page = R"html(<html><body><table>
<tr class="athing submission" id="101"><td class="title"><span class="titleline"><a href="javascript:alert(document.cookie)">Evil</a></span></td></tr>
<tr><td class="subtext"><span class="score" id="score_101">9 points</span></td></tr>
<tr class="athing submission" id="102"><td class="title"><span class="titleline"><a href="https://example.com/ok">Fine &amp; dandy</a></span></td></tr>
<tr><td class="subtext"><span class="score" id="score_102">1 point</span> by <a href="user?id=x" class="hnuser">x</a> <span class="age" title="2023-10-18T19:33:46"><a href="item?id=102">2 hours ago</a></span> | <a href="item?id=102">discuss</a></td></tr>
</table></body></html>)html";
  auto r = collect_canned(board(), 200, page, "text/html; charset=utf-8");
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ(r->front().title, "Fine & dandy");
  EXPECT_EQ(r->front().hot, 1);
  EXPECT_EQ(r->front().published_at_ms, 1697657626000);  // ISO only: read as UTC
  EXPECT_EQ(extra(r->front(), "comments"), "0");
}

// The other story lists share the front page's parser; each has its own URL and fixture.
struct PageCase {
  const char* board;
  const char* url;
  BoardKind kind;
  std::size_t count;
  const char* first_key;
  const char* first_title;
  const char* first_url;
  double first_hot;
  int64_t first_published_ms;
  const char* first_comments;
};

class HackerNewsPages : public ::testing::TestWithParam<PageCase> {
 protected:
  const Source& board() {
    const Source* s = registry_.find(GetParam().board);
    EXPECT_NE(s, nullptr) << GetParam().board;
    return *s;
  }
  SourceRegistry registry_ = make_registry(register_hackernews_sources);
};

TEST_P(HackerNewsPages, ParsesFixture) {
  const PageCase& c = GetParam();
  auto items = collect_fixture(board());
  ASSERT_TRUE(items.ok()) << items.status().to_string();
  ASSERT_EQ(items->size(), c.count);
  const Item& first = items->front();
  EXPECT_EQ(first.key, c.first_key);
  EXPECT_EQ(first.title, c.first_title);
  EXPECT_EQ(first.url, c.first_url);
  EXPECT_EQ(first.hot, c.first_hot);
  EXPECT_EQ(first.published_at_ms, c.first_published_ms);
  EXPECT_EQ(extra(first, "comments"), c.first_comments);
  EXPECT_EQ(extra(first, "comments_url"),
            std::string("https://news.ycombinator.com/item?id=") + c.first_key);
  expect_sane_items(*items, 5);
}

TEST_P(HackerNewsPages, MetadataAndRequest) {
  const PageCase& c = GetParam();
  const BoardMeta& m = board().meta();
  EXPECT_EQ(m.kind, c.kind);
  EXPECT_EQ(m.homepage, c.url);
  CannedTransport transport(200, "<html><body>Sorry.</body></html>");
  FakeClock clock;
  SourceContext ctx{transport, clock};
  EXPECT_EQ(board().collect(ctx).code(), ErrorCode::kParse);
  ASSERT_EQ(transport.requests().size(), 1u);
  EXPECT_EQ(transport.requests()[0].url, c.url);
}

// Fixture times are relative to 2026-01-01T12:00:00Z (1767268800).
INSTANTIATE_TEST_SUITE_P(
    Lists, HackerNewsPages,
    ::testing::Values(
        PageCase{"hackernews.show", "https://news.ycombinator.com/show", BoardKind::kRank, 10,
                 "46475120",
                 "Show HN: Pgdiff \u2013 schema diffs for Postgres that read like a code review",
                 "https://github.com/lindqvist/pgdiff", 214, (1767268800 - 292 * 60) * 1000LL,
                 "58"},
        PageCase{"hackernews.newest", "https://news.ycombinator.com/newest", BoardKind::kStream, 10,
                 "46477342", "Why our Kubernetes bill doubled after moving to ARM nodes",
                 "https://blog.stackwise.io/arm-nodes-cost", 1, (1767268800 - 60) * 1000LL, "0"},
        PageCase{"hackernews.ask", "https://news.ycombinator.com/ask", BoardKind::kRank, 8,
                 "46474120",
                 "Ask HN: What's a tool you started using in 2025 that you can't do without?",
                 "https://news.ycombinator.com/item?id=46474120", 412,
                 (1767268800 - 402 * 60) * 1000LL, "689"},
        PageCase{"hackernews.best", "https://news.ycombinator.com/best", BoardKind::kRank, 8,
                 "46452210", "I quit my FAANG job to repair pianos",
                 "https://www.newyorker.com/culture/the-weekend-essay/piano-repair", 1843,
                 (1767268800 - 3650 * 60) * 1000LL, "612"}),
    [](const ::testing::TestParamInfo<PageCase>& info) {
      return std::string(info.param.board).substr(11);
    });

TEST(HackerNewsNewest, IsNewestFirstWithLowScores) {
  SourceRegistry registry = make_registry(register_hackernews_sources);
  auto items = collect_fixture(*registry.find("hackernews.newest"));
  ASSERT_TRUE(items.ok()) << items.status().to_string();
  for (std::size_t i = 1; i < items->size(); ++i) {
    ASSERT_TRUE((*items)[i].published_at_ms.has_value());
    EXPECT_LE(*(*items)[i].published_at_ms, *(*items)[i - 1].published_at_ms) << i;
  }
  EXPECT_EQ((*items)[0].hot_text, "1 point");
  // A text post on /newest links to its own discussion.
  EXPECT_EQ((*items)[2].url, "https://news.ycombinator.com/item?id=46477331");
}

TEST(HackerNewsShow, TextPostsLinkToTheirDiscussion) {
  SourceRegistry registry = make_registry(register_hackernews_sources);
  auto items = collect_fixture(*registry.find("hackernews.show"));
  ASSERT_TRUE(items.ok()) << items.status().to_string();
  const Item& text_post = (*items)[6];
  EXPECT_EQ(text_post.title, "Show HN: My side project, a small Lisp that compiles to Lua");
  EXPECT_EQ(text_post.url, "https://news.ycombinator.com/item?id=46474902");
  EXPECT_EQ(extra(text_post, "site"), "");
  EXPECT_EQ(extra((*items)[8], "comments"), "0");  // "discuss"
}

TEST(HackerNewsAsk, TruncatedPageIsParseError) {
  SourceRegistry registry = make_registry(register_hackernews_sources);
  auto r = collect_canned(*registry.find("hackernews.ask"), 200,
                          "<html lang=\"en\" op=\"ask\"><head><title>Ask | Hacker News</title>"
                          "</head><body><center><table id=\"hnmain\"><tr><td>");
  EXPECT_EQ(r.code(), ErrorCode::kParse);
  EXPECT_EQ(r.error_message(),
            "hackernews.ask: no story rows (tr.athing) in the page titled \"Ask | Hacker News\"");
}

TEST(HackerNewsBoards, StayWithinAPoliteRequestRate) {
  SourceRegistry registry = make_registry(register_hackernews_sources);
  ASSERT_EQ(registry.boards().size(), 5u);
  int per_hour = 0;
  for (const Source* s : registry.boards()) {
    per_hour += static_cast<int>(std::chrono::hours(1) / s->meta().schedule.every);
  }
  EXPECT_EQ(per_hour, 28);
}

}  // namespace
}  // namespace mu
