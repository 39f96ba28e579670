// GitHub: trending repositories, https://github.com/trending (server-rendered HTML), for
// all languages over a day (the default), a week (?since=weekly) and a month
// (?since=monthly), and per language over a day: https://github.com/trending/<slug>?since=daily
// with GitHub's language slugs (python, rust, go, typescript, c%2B%2B for C++, java).
// Every variant has the same markup; each repository is an <article class="Box-row"> with
//   <h2><a href="/owner/repo">owner / repo</a></h2>, an optional <p> description,
//   <span itemprop="programmingLanguage">, <a href="/owner/repo/stargazers">12,345</a>,
//   <a href="/owner/repo/forks">678</a> and
//   <span class="d-inline-block float-sm-right">1,234 stars today</span> ("stars this week",
//   "stars this month" on the longer ranges).
// When nothing is trending GitHub shows a "no trending repositories" notice instead.
#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sources/common/html.h"
#include "sources/common/http_util.h"
#include "sources/common/simple_source.h"
#include "sources/common/text.h"
#include "sources/source.h"

namespace mu {
namespace {

constexpr char kTrendingUrl[] = "https://github.com/trending";

SimpleSource::RequestFn trending_request(std::string url) {
  return [url = std::move(url)](const SourceContext& /*ctx*/) {
    HttpRequest request;
    request.url = url;
    request.headers = {
        {"User-Agent", std::string(kBrowserUserAgent)},
        {"Accept", "text/html,application/xhtml+xml"},
        {"Accept-Language", "en-US,en;q=0.9"},
    };
    return request;
  };
}

// "/owner/repo" (maybe with a query or trailing slash) -> "owner/repo"; "" otherwise.
std::string repo_path(std::string_view href) {
  std::string path = trim(href);
  if (std::size_t q = path.find_first_of("?#"); q != std::string::npos) path.resize(q);
  if (path.rfind("https://github.com", 0) == 0) path = path.substr(18);
  while (!path.empty() && path.front() == '/') path.erase(path.begin());
  while (!path.empty() && path.back() == '/') path.pop_back();
  const std::size_t slash = path.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == path.size() ||
      path.find('/', slash + 1) != std::string::npos) {
    return {};
  }
  return path;
}

Result<std::vector<Item>> parse_trending(const HttpResponse& response, const BoardMeta& meta) {
  MU_ASSIGN_OR_RETURN(
      HtmlDoc doc,
      HtmlDoc::parse(response.body,
                     response.effective_url.empty() ? meta.homepage : response.effective_url,
                     charset_from_content_type(response.header("Content-Type"))));
  const std::vector<HtmlNode> rows = doc.select("//article[" + xpath_has_class("Box-row") + "]");
  if (rows.empty()) {
    return error(ErrorCode::kParse, "no repository rows (article.Box-row) in the page titled \"" +
                                        truncate_utf8(doc.title(), 80) + "\"");
  }
  std::vector<Item> items;
  items.reserve(rows.size());
  for (const HtmlNode& row : rows) {
    const HtmlNode link = doc.first(".//h2//a[@href]", row);
    const std::string repo = repo_path(link.attr("href"));
    if (repo.empty()) continue;
    Item item;
    item.key = repo;
    item.title = repo;
    item.url = "https://github.com/" + repo;
    item.author = repo.substr(0, repo.find('/'));
    item.summary = doc.first_text(".//p", row);

    std::string gained = doc.first_text(".//span[" + xpath_has_class("float-sm-right") + "]", row);
    if (gained.find("star") == std::string::npos) {
      gained = doc.first_text(".//span[contains(., ' star') and not(.//span)][last()]", row);
    }
    if (!gained.empty()) {
      item.hot = parse_popularity(gained);
      item.hot_text = gained;
    }
    if (std::string lang = doc.first_text(".//span[@itemprop='programmingLanguage']", row);
        !lang.empty()) {
      item.extra.emplace_back("language", lang);
    }
    if (auto stars =
            parse_popularity(doc.first_text(".//a[contains(@href, '/stargazers')]", row))) {
      item.extra.emplace_back("stars", std::to_string(static_cast<int64_t>(*stars)));
    }
    if (auto forks = parse_popularity(doc.first_text(
            ".//a[contains(@href, '/forks') or contains(@href, '/network/members')]", row))) {
      item.extra.emplace_back("forks", std::to_string(static_cast<int64_t>(*forks)));
    }
    items.push_back(std::move(item));
  }
  if (items.empty()) {
    return error(ErrorCode::kParse, "article.Box-row rows without an h2 repository link");
  }
  return items;
}

// One trending variant: a date range and an optional language.
struct TrendingBoard {
  const char* board;    // "trending-weekly"
  const char* name_zh;  // "本周趋势"
  const char* name_en;  // "Trending this week"
  const char* url;      // the page fetched, also the homepage
  std::chrono::minutes every;
  const char* notes;
};

constexpr char kCommonNotes[] =
    " Same HTML and parser as github.trending (article.Box-row; hot = the stars gained over "
    "the range). GitHub recomputes trending roughly hourly and rate limits unauthenticated "
    "page loads by IP (429), so longer ranges and language pages are fetched hourly.";

Status add_trending(SourceRegistry& registry, const TrendingBoard& b) {
  BoardMeta meta;
  meta.id = std::string("github.") + b.board;
  meta.site = "github";
  meta.name_zh = b.name_zh;
  meta.name_en = b.name_en;
  meta.kind = BoardKind::kRank;
  meta.schedule.every = b.every;
  meta.schedule.jitter =
      b.every >= std::chrono::minutes(60) ? std::chrono::minutes(5) : std::chrono::minutes(2);
  meta.schedule.timeout = std::chrono::seconds(30);
  meta.schedule.retries = 1;
  meta.group = "global";
  meta.homepage = b.url;
  meta.notes = b.notes;
  return registry.add(
      std::make_unique<SimpleSource>(std::move(meta), trending_request(b.url), parse_trending));
}

}  // namespace

Status register_github_sources(SourceRegistry& registry) {
  MU_RETURN_IF_ERROR(registry.add_site(Site{
      .id = "github",
      .name_zh = "GitHub",
      .name_en = "GitHub",
      .home = "https://github.com",
      .icon = "https://github.githubassets.com/favicons/favicon.svg",
      .color = "#24292f",
      .region = "global",
      .category = "tech",
  }));

  using std::chrono::minutes;
  const std::string daily_notes =
      "HTML of github.com/trending (today, all languages; about 25 repositories, hot = stars "
      "today). The page is ~600 KB and GitHub recomputes it roughly hourly, so every 30 "
      "minutes is plenty. Unauthenticated scraping is rate limited by IP (429).";
  const std::string weekly_notes =
      "HTML of github.com/trending?since=weekly (all languages, about 25 repositories, hot = "
      "stars this week)." +
      std::string(kCommonNotes);
  const std::string monthly_notes =
      "HTML of github.com/trending?since=monthly (all languages, about 25 repositories, hot = "
      "stars this month)." +
      std::string(kCommonNotes);
  auto lang_notes = [](std::string_view slug, std::string_view label) {
    return "HTML of github.com/trending/" + std::string(slug) + "?since=daily (" +
           std::string(label) + " only, today; up to 25 repositories, hot = stars today)." +
           kCommonNotes;
  };
  const std::string python_notes = lang_notes("python", "Python");
  const std::string rust_notes = lang_notes("rust", "Rust");
  const std::string go_notes = lang_notes("go", "Go");
  const std::string typescript_notes = lang_notes("typescript", "TypeScript");
  const std::string cpp_notes =
      lang_notes("c%2B%2B", "C++") + " The C++ slug is \"c++\" percent-encoded.";
  const std::string java_notes = lang_notes("java", "Java");

  const TrendingBoard boards[] = {
      {"trending", "趋势仓库", "Trending repositories", kTrendingUrl, minutes(30),
       daily_notes.c_str()},
      {"trending-weekly", "本周趋势仓库", "Trending this week",
       "https://github.com/trending?since=weekly", minutes(60), weekly_notes.c_str()},
      {"trending-monthly", "本月趋势仓库", "Trending this month",
       "https://github.com/trending?since=monthly", minutes(60), monthly_notes.c_str()},
      {"lang-python", "Python 趋势", "Trending Python",
       "https://github.com/trending/python?since=daily", minutes(60), python_notes.c_str()},
      {"lang-rust", "Rust 趋势", "Trending Rust", "https://github.com/trending/rust?since=daily",
       minutes(60), rust_notes.c_str()},
      {"lang-go", "Go 趋势", "Trending Go", "https://github.com/trending/go?since=daily",
       minutes(60), go_notes.c_str()},
      {"lang-typescript", "TypeScript 趋势", "Trending TypeScript",
       "https://github.com/trending/typescript?since=daily", minutes(60), typescript_notes.c_str()},
      {"lang-cpp", "C++ 趋势", "Trending C++", "https://github.com/trending/c%2B%2B?since=daily",
       minutes(60), cpp_notes.c_str()},
      {"lang-java", "Java 趋势", "Trending Java", "https://github.com/trending/java?since=daily",
       minutes(60), java_notes.c_str()},
  };
  for (const TrendingBoard& b : boards) MU_RETURN_IF_ERROR(add_trending(registry, b));
  return ok_status();
}

}  // namespace mu
