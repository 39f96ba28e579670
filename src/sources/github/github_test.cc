#include <gtest/gtest.h>

#include "sources/common/http_util.h"
#include "sources/source.h"
#include "sources/testing/source_testing.h"

namespace mu {

Status register_github_sources(SourceRegistry& registry);

namespace {

using namespace source_testing;  // NOLINT(google-build-using-namespace)

class GithubTrending : public ::testing::Test {
 protected:
  const Source& board() {
    const Source* s = registry_.find("github.trending");
    EXPECT_NE(s, nullptr);
    return *s;
  }
  SourceRegistry registry_ = make_registry(register_github_sources);
};

std::string extra(const Item& item, const std::string& key) {
  for (const auto& [k, v] : item.extra) {
    if (k == key) return v;
  }
  return {};
}

TEST_F(GithubTrending, ParsesFixture) {
  auto items = collect_fixture(board());
  ASSERT_TRUE(items.ok()) << items.status().to_string();
  ASSERT_EQ(items->size(), 25u);
  const Item& first = items->front();
  EXPECT_EQ(first.key, "astral-sh/ty");
  EXPECT_EQ(first.title, "astral-sh/ty");
  EXPECT_EQ(first.url, "https://github.com/astral-sh/ty");
  EXPECT_EQ(first.hot, 1873);
  EXPECT_EQ(first.hot_text, "1,873 stars today");
  EXPECT_EQ(first.author, "astral-sh");
  EXPECT_EQ(first.summary,
            "An extremely fast Python type checker and language server, written in Rust.");
  EXPECT_EQ(extra(first, "language"), "Rust");
  EXPECT_EQ(extra(first, "stars"), "18452");
  EXPECT_EQ(extra(first, "forks"), "512");
  expect_sane_items(*items, 15);

  const Item& no_description = (*items)[9];
  EXPECT_EQ(no_description.key, "nalgeon/sqlean-rs");
  EXPECT_EQ(no_description.summary, "");
  const Item& no_language = (*items)[18];
  EXPECT_EQ(no_language.key, "sindresorhus/awesome");
  EXPECT_EQ(extra(no_language, "language"), "");
  EXPECT_EQ(no_language.hot, 274);
}

TEST_F(GithubTrending, ParsesRealCapture) {
  auto path = real_capture("github/trending.html");
  if (!path) GTEST_SKIP() << "real capture not present (../shared/fixtures/real)";
  auto items = collect_canned(board(), 200, read_file(*path), "text/html; charset=utf-8");
  ASSERT_TRUE(items.ok()) << items.status().to_string();
  EXPECT_EQ(items->size(), 16u);
  const Item& first = items->front();
  EXPECT_EQ(first.key, "warpdotdev/warp");
  EXPECT_EQ(first.url, "https://github.com/warpdotdev/warp");
  EXPECT_EQ(first.hot, 15633);  // the capture is the weekly page: "15,633 stars this week"
  EXPECT_EQ(first.hot_text, "15,633 stars this week");
  EXPECT_EQ(extra(first, "stars"), "55730");
  EXPECT_EQ(extra(first, "language"), "Rust");
  EXPECT_EQ(items->back().key, "nautechsystems/nautilus_trader");
  expect_sane_items(*items, 15);
}

TEST_F(GithubTrending, SendsBrowserUserAgent) {
  CannedTransport transport(200, "<html></html>");
  FakeClock clock;
  SourceContext ctx{transport, clock};
  (void)board().collect(ctx);
  ASSERT_EQ(transport.requests().size(), 1u);
  EXPECT_EQ(transport.requests()[0].url, "https://github.com/trending");
  EXPECT_EQ(find_header(transport.requests()[0].headers, "User-Agent"), kBrowserUserAgent);
}

TEST_F(GithubTrending, PageWithoutRowsIsParseError) {
  auto r = collect_canned(board(), 200,
                          "<!DOCTYPE html><html><head><title>Whoa there!</title></head><body>"
                          "<p>You have exceeded a secondary rate limit.</p></body></html>");
  EXPECT_EQ(r.code(), ErrorCode::kParse);
  EXPECT_EQ(r.error_message(),
            "github.trending: no repository rows (article.Box-row) in the page titled \"Whoa "
            "there!\"");
}

TEST_F(GithubTrending, Http500IsHttpError) {
  auto r = collect_canned(board(), 500, "<html><body>Unicorn!</body></html>");
  EXPECT_EQ(r.code(), ErrorCode::kHttp);
  EXPECT_EQ(collect_canned(board(), 429, "<html>slow down</html>").code(), ErrorCode::kHttp);
}

TEST_F(GithubTrending, RowsWithoutARepositoryLinkAreSkipped) {
  const std::string page = R"html(<html><body>
<article class="Box-row"><h2 class="h3 lh-condensed"><a href="javascript:alert(1)">evil / repo</a></h2></article>
<article class="Box-row"><h2 class="h3 lh-condensed"><a href="/a/b/c">too / deep</a></h2></article>
<article class="Box-row"><h2 class="h3 lh-condensed"><a href="/octo/cat?tab=readme">octo / cat</a></h2>
  <span class="d-inline-block float-sm-right">1 star today</span></article>
</body></html>)html";
  auto r = collect_canned(board(), 200, page);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ(r->front().key, "octo/cat");
  EXPECT_EQ(r->front().hot, 1);
}

}  // namespace
}  // namespace mu
