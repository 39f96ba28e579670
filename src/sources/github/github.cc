// GitHub: trending repositories of the day, all languages, https://github.com/trending
// (server-rendered HTML). Each repository is an <article class="Box-row"> with
//   <h2><a href="/owner/repo">owner / repo</a></h2>, an optional <p> description,
//   <span itemprop="programmingLanguage">, <a href="/owner/repo/stargazers">12,345</a>,
//   <a href="/owner/repo/forks">678</a> and
//   <span class="d-inline-block float-sm-right">1,234 stars today</span>.
// When nothing is trending GitHub shows a "no trending repositories" notice instead.
#include <memory>
#include <string>
#include <vector>

#include "sources/common/html.h"
#include "sources/common/http_util.h"
#include "sources/common/simple_source.h"
#include "sources/common/text.h"
#include "sources/source.h"

namespace mu {
namespace {

constexpr char kTrendingUrl[] = "https://github.com/trending";

HttpRequest trending_request(const SourceContext& /*ctx*/) {
  HttpRequest request;
  request.url = kTrendingUrl;
  request.headers = {
      {"User-Agent", std::string(kBrowserUserAgent)},
      {"Accept", "text/html,application/xhtml+xml"},
      {"Accept-Language", "en-US,en;q=0.9"},
  };
  return request;
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

Result<std::vector<Item>> parse_trending(const HttpResponse& response, const BoardMeta& /*meta*/) {
  MU_ASSIGN_OR_RETURN(HtmlDoc doc,
                      HtmlDoc::parse(response.body,
                                     response.effective_url.empty() ? std::string(kTrendingUrl)
                                                                    : response.effective_url,
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
  }));

  BoardMeta trending;
  trending.id = "github.trending";
  trending.site = "github";
  trending.name_zh = "趋势仓库";
  trending.name_en = "Trending repositories";
  trending.kind = BoardKind::kRank;
  trending.schedule.every = std::chrono::minutes(30);
  trending.schedule.jitter = std::chrono::minutes(2);
  trending.schedule.timeout = std::chrono::seconds(30);
  trending.schedule.retries = 1;
  trending.group = "global";
  trending.homepage = "https://github.com/trending";
  trending.notes =
      "HTML of github.com/trending (today, all languages; about 25 repositories, hot = stars "
      "today). The page is ~600 KB and GitHub recomputes it roughly hourly, so every 30 "
      "minutes is plenty. Unauthenticated scraping is rate limited by IP (429).";
  return registry.add(
      std::make_unique<SimpleSource>(std::move(trending), trending_request, parse_trending));
}

}  // namespace mu
