#include <gtest/gtest.h>

#include <set>

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

// Every other trending board: same parser, its own URL and fixture.
struct TrendingCase {
  const char* board;
  const char* url;
  std::size_t count;
  const char* first_key;
  double first_hot;
  const char* first_hot_text;
  const char* first_language;
};

class GithubTrendingBoards : public ::testing::TestWithParam<TrendingCase> {
 protected:
  SourceRegistry registry_ = make_registry(register_github_sources);
};

TEST_P(GithubTrendingBoards, ParsesFixture) {
  const TrendingCase& c = GetParam();
  const Source* board = registry_.find(c.board);
  ASSERT_NE(board, nullptr) << c.board;
  auto items = collect_fixture(*board);
  ASSERT_TRUE(items.ok()) << items.status().to_string();
  ASSERT_EQ(items->size(), c.count);
  const Item& first = items->front();
  EXPECT_EQ(first.key, c.first_key);
  EXPECT_EQ(first.title, c.first_key);
  EXPECT_EQ(first.url, std::string("https://github.com/") + c.first_key);
  EXPECT_EQ(first.hot, c.first_hot);
  EXPECT_EQ(first.hot_text, c.first_hot_text);
  EXPECT_EQ(extra(first, "language"), c.first_language);
  expect_sane_items(*items, 5);
}

TEST_P(GithubTrendingBoards, RequestsItsOwnUrl) {
  const TrendingCase& c = GetParam();
  const Source* board = registry_.find(c.board);
  ASSERT_NE(board, nullptr) << c.board;
  CannedTransport transport(200, "<html><title>x</title></html>");
  FakeClock clock;
  SourceContext ctx{transport, clock};
  EXPECT_EQ(board->collect(ctx).code(), ErrorCode::kParse);
  ASSERT_EQ(transport.requests().size(), 1u);
  EXPECT_EQ(transport.requests()[0].url, c.url);
  EXPECT_EQ(board->meta().homepage, c.url);
  EXPECT_EQ(find_header(transport.requests()[0].headers, "User-Agent"), kBrowserUserAgent);
}

INSTANTIATE_TEST_SUITE_P(
    Ranges, GithubTrendingBoards,
    ::testing::Values(
        TrendingCase{"github.trending-weekly", "https://github.com/trending?since=weekly", 12,
                     "sst/opencode", 6842, "6,842 stars this week", "TypeScript"},
        TrendingCase{"github.trending-monthly", "https://github.com/trending?since=monthly", 9,
                     "anthropics/claude-cookbooks", 9415, "9,415 stars this month",
                     "Jupyter Notebook"},
        TrendingCase{"github.lang-python", "https://github.com/trending/python?since=daily", 8,
                     "microsoft/markitdown", 611, "611 stars today", "Python"},
        TrendingCase{"github.lang-rust", "https://github.com/trending/rust?since=daily", 7,
                     "astral-sh/ty", 733, "733 stars today", "Rust"},
        TrendingCase{"github.lang-go", "https://github.com/trending/go?since=daily", 6,
                     "ollama/ollama", 254, "254 stars today", "Go"},
        TrendingCase{"github.lang-typescript", "https://github.com/trending/typescript?since=daily",
                     7, "sst/opencode", 981, "981 stars today", "TypeScript"},
        TrendingCase{"github.lang-cpp", "https://github.com/trending/c%2B%2B?since=daily", 6,
                     "ggml-org/llama.cpp", 176, "176 stars today", "C++"},
        TrendingCase{"github.lang-java", "https://github.com/trending/java?since=daily", 6,
                     "spring-projects/spring-boot", 58, "58 stars today", "Java"}),
    [](const ::testing::TestParamInfo<TrendingCase>& info) {
      std::string name = std::string(info.param.board).substr(7);
      for (char& ch : name) {
        if (ch == '-') ch = '_';
      }
      return name;
    });

TEST(GithubTrendingBoardsMeta, NineBoardsWithDistinctUrlsAndHourlyLongRanges) {
  SourceRegistry registry = make_registry(register_github_sources);
  ASSERT_EQ(registry.boards().size(), 9u);
  std::set<std::string> homepages;
  for (const Source* s : registry.boards()) {
    const BoardMeta& m = s->meta();
    SCOPED_TRACE(m.id);
    EXPECT_TRUE(homepages.insert(m.homepage).second);
    EXPECT_EQ(m.kind, BoardKind::kRank);
    EXPECT_GE(m.schedule.every, std::chrono::minutes(30));
    EXPECT_LE(m.schedule.every, std::chrono::minutes(60));
    if (m.id != "github.trending") {
      EXPECT_EQ(m.schedule.every, std::chrono::minutes(60));
    }
  }
  // Requests per hour across GitHub boards (first attempts): 2 + 8 * 1.
  int per_hour = 0;
  for (const Source* s : registry.boards()) {
    per_hour += static_cast<int>(std::chrono::hours(1) / s->meta().schedule.every);
  }
  EXPECT_EQ(per_hour, 10);
}

TEST(GithubTrendingBoardsMeta, PythonFixtureKeepsARowWithoutDescription) {
  SourceRegistry registry = make_registry(register_github_sources);
  auto items = collect_fixture(*registry.find("github.lang-python"));
  ASSERT_TRUE(items.ok()) << items.status().to_string();
  ASSERT_GE(items->size(), 5u);
  EXPECT_EQ((*items)[4].key, "astral-sh/uv-python-demos");
  EXPECT_EQ((*items)[4].summary, "");
  EXPECT_EQ(extra((*items)[4], "stars"), "1203");
}

TEST(GithubTrendingBoardsMeta, WeeklyBoardParsesRealWeeklyCapture) {
  auto path = real_capture("github/trending.html");
  if (!path) GTEST_SKIP() << "real capture not present (../shared/fixtures/real)";
  SourceRegistry registry = make_registry(register_github_sources);
  auto items = collect_canned(*registry.find("github.trending-weekly"), 200, read_file(*path),
                              "text/html; charset=utf-8");
  ASSERT_TRUE(items.ok()) << items.status().to_string();
  EXPECT_EQ(items->size(), 16u);
  EXPECT_EQ(items->front().key, "warpdotdev/warp");
  EXPECT_EQ(items->front().hot_text, "15,633 stars this week");
}

TEST(GithubTrendingBoardsMeta, LanguagePageWithoutRowsIsParseError) {
  SourceRegistry registry = make_registry(register_github_sources);
  auto r = collect_canned(*registry.find("github.lang-go"), 200,
                          "<html><head><title>Trending Go repositories on GitHub today</title>"
                          "</head><body><div class=\"blankslate\"><h3>It looks like we don’t "
                          "have any trending repositories for Go.</h3></div></body></html>");
  EXPECT_EQ(r.code(), ErrorCode::kParse);
  EXPECT_EQ(r.error_message(),
            "github.lang-go: no repository rows (article.Box-row) in the page titled \"Trending "
            "Go repositories on GitHub today\"");
  auto truncated = collect_canned(*registry.find("github.trending-monthly"), 200,
                                  "<!DOCTYPE html><html><head><title>Trending");
  EXPECT_EQ(truncated.code(), ErrorCode::kParse);
}

}  // namespace
}  // namespace mu
