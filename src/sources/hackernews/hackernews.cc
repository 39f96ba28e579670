// Hacker News: story lists as plain HTML, one board per page: the front page
// https://news.ycombinator.com/ (30 stories), /show (Show HN), /newest (every new
// submission, a stream), /ask (Ask HN) and /best (highest-voted recent stories).
// All pages share one structure: each story is a <tr class="athing submission" id="<item id>">
// holding
//   <span class="titleline"><a href="URL">title</a><span class="sitebit">...</span></span>
// followed by a row with <td class="subtext"> holding <span class="score">N points</span>,
// <a class="hnuser">, <span class="age" title="2026-01-01T08:00:00 1767254400"> and the
// comments link <a href="item?id=N">42&nbsp;comments</a> ("discuss" when there are none).
// Ask HN / Launch HN and other text posts link to the relative "item?id=N"; job ads have no
// score and no user.
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sources/common/html.h"
#include "sources/common/http_util.h"
#include "sources/common/simple_source.h"
#include "sources/common/text.h"
#include "sources/source.h"

namespace mu {
namespace {

constexpr char kFrontUrl[] = "https://news.ycombinator.com/";

SimpleSource::RequestFn page_request(std::string url) {
  return [url = std::move(url)](const SourceContext& /*ctx*/) {
    HttpRequest request;
    request.url = url;
    request.headers = {
        {"User-Agent", std::string(kMuUserAgent)},
        {"Accept", "text/html"},
    };
    return request;
  };
}

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// The age span's title: "2026-01-01T08:00:00 1767254400" (ISO time, then Unix seconds) on
// the current site, just the ISO time (UTC) on older pages.
std::optional<int64_t> parse_age_title(const std::string& title) {
  const std::string t = trim(title);
  if (std::size_t space = t.rfind(' '); space != std::string::npos) {
    const std::string_view unix_part = std::string_view(t).substr(space + 1);
    if (all_digits(unix_part)) {
      if (auto secs = parse_int(unix_part)) return *secs * 1000;
    }
    return parse_iso8601_ms(std::string_view(t).substr(0, space));
  }
  return parse_iso8601_ms(t);
}

// Parses any story list page (front, show, newest, ask, best).
Result<std::vector<Item>> parse_stories(const HttpResponse& response, const BoardMeta& meta) {
  const std::string base = response.effective_url.empty() ? meta.homepage : response.effective_url;
  MU_ASSIGN_OR_RETURN(HtmlDoc doc,
                      HtmlDoc::parse(response.body, base,
                                     charset_from_content_type(response.header("Content-Type"))));
  const std::string titleline = ".//span[" + xpath_has_class("titleline") + "]/a[1]";
  const std::vector<HtmlNode> rows = doc.select("//tr[" + xpath_has_class("athing") + "]");
  if (rows.empty()) {
    return error(ErrorCode::kParse, "no story rows (tr.athing) in the page titled \"" +
                                        truncate_utf8(doc.title(), 80) + "\"");
  }
  std::vector<Item> items;
  items.reserve(rows.size());
  for (const HtmlNode& row : rows) {
    const HtmlNode link = doc.first(titleline, row);
    if (!link) continue;  // a comment row or something else that is not a story
    Item item;
    item.title = link.text();
    item.url = doc.resolve_url(link.attr("href"));
    std::string id = trim(row.attr("id"));

    const HtmlNode sub = doc.first("following-sibling::tr[1]", row);
    if (sub) {
      const std::string score = doc.first_text(".//span[" + xpath_has_class("score") + "]", sub);
      if (!score.empty()) {
        item.hot = parse_popularity(score);
        item.hot_text = score;
      }
      item.author = doc.first_text(".//a[" + xpath_has_class("hnuser") + "]", sub);
      const HtmlNode age = doc.first(".//span[" + xpath_has_class("age") + "]", sub);
      if (age) item.published_at_ms = parse_age_title(age.attr("title"));
      // The last item?id= link is the comments link ("42 comments", "1 comment", "discuss").
      const std::vector<HtmlNode> item_links =
          doc.select(".//a[starts-with(@href, 'item?id=')]", sub);
      if (!item_links.empty()) {
        const HtmlNode& last = item_links.back();
        if (id.empty()) id = last.attr("href").substr(8);
        const std::string text = last.text();
        if (text.find("comment") != std::string::npos) {
          if (auto n = parse_popularity(text)) {
            item.extra.emplace_back("comments", std::to_string(static_cast<int64_t>(*n)));
          }
        } else if (text == "discuss") {
          item.extra.emplace_back("comments", "0");
        }
      }
    }
    if (!all_digits(id)) continue;
    item.key = id;
    item.extra.emplace_back("comments_url", "https://news.ycombinator.com/item?id=" + id);
    if (std::string site = doc.first_text(".//span[" + xpath_has_class("sitestr") + "]", row);
        !site.empty()) {
      item.extra.emplace_back("site", site);
    }
    items.push_back(std::move(item));
  }
  if (items.empty()) {
    return error(ErrorCode::kParse, "tr.athing rows without a span.titleline link");
  }
  return items;
}

struct StoryPage {
  const char* board;    // "show"
  const char* name_zh;  // "Show HN"
  const char* name_en;  // "Show HN"
  const char* url;      // fetched page, also the homepage
  BoardKind kind;
  std::chrono::minutes every;
  const char* notes;
};

Status add_page(SourceRegistry& registry, const StoryPage& p) {
  BoardMeta meta;
  meta.id = std::string("hackernews.") + p.board;
  meta.site = "hackernews";
  meta.name_zh = p.name_zh;
  meta.name_en = p.name_en;
  meta.kind = p.kind;
  meta.schedule.every = p.every;
  meta.schedule.jitter = std::chrono::seconds(60);
  meta.schedule.timeout = std::chrono::seconds(20);
  meta.schedule.retries = 1;
  meta.group = "global";
  meta.homepage = p.url;
  meta.notes = p.notes;
  return registry.add(
      std::make_unique<SimpleSource>(std::move(meta), page_request(p.url), parse_stories));
}

}  // namespace

Status register_hackernews_sources(SourceRegistry& registry) {
  MU_RETURN_IF_ERROR(registry.add_site(Site{
      .id = "hackernews",
      .name_zh = "Hacker News",
      .name_en = "Hacker News",
      .home = "https://news.ycombinator.com",
      .icon = "https://news.ycombinator.com/favicon.ico",
      .color = "#ff6600",
      .region = "global",
      .category = "tech",
  }));

  using std::chrono::minutes;
  // HN asks crawlers to keep a modest rate and answers "Sorry." pages when pushed. All five
  // boards together make 6 + 4 + 12 + 4 + 2 = 28 requests an hour.
  const StoryPage pages[] = {
      {"front", "首页", "Front page", kFrontUrl, BoardKind::kRank, minutes(10),
       "HTML of the front page (30 stories, hot = points). Ask/Launch HN stories link to "
       "item?id=N, made absolute. Job ads carry no points. HN asks crawlers to keep a modest "
       "rate and answers \"Sorry.\" pages when pushed; one request per 10 minutes is fine."},
      {"show", "Show HN", "Show HN", "https://news.ycombinator.com/show", BoardKind::kRank,
       minutes(15),
       "HTML of /show (30 Show HN posts ranked like the front page, hot = points); same "
       "markup and parser as the front page. Text-only posts link to item?id=N, made "
       "absolute. Fetched every 15 minutes to stay polite."},
      {"newest", "最新", "Newest", "https://news.ycombinator.com/newest", BoardKind::kStream,
       minutes(5),
       "HTML of /newest (the 30 latest submissions, newest first; hot = points, mostly 1-5). "
       "A stream: each fetch adds what is new. HN gets a few submissions a minute, so every "
       "5 minutes sees them all without paging (the page links ?next=<id> for more)."},
      {"ask", "Ask HN", "Ask HN", "https://news.ycombinator.com/ask", BoardKind::kRank, minutes(15),
       "HTML of /ask (30 Ask HN / Tell HN text posts, hot = points, extra.comments = "
       "comments). Every item links to its own discussion item?id=N, made absolute."},
      {"best", "最佳", "Best", "https://news.ycombinator.com/best", BoardKind::kRank, minutes(30),
       "HTML of /best (the highest-voted stories of the last few days, hot = points). It "
       "changes slowly, so every 30 minutes is enough."},
  };
  for (const StoryPage& p : pages) MU_RETURN_IF_ERROR(add_page(registry, p));
  return ok_status();
}

}  // namespace mu
