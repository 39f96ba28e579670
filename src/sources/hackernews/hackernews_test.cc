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

}  // namespace
}  // namespace mu
