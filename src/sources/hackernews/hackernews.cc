// Hacker News: the front page, https://news.ycombinator.com/ (30 stories, plain HTML).
// Each story is a <tr class="athing submission" id="<item id>"> holding
//   <span class="titleline"><a href="URL">title</a><span class="sitebit">...</span></span>
// followed by a row with <td class="subtext"> holding <span class="score">N points</span>,
// <a class="hnuser">, <span class="age" title="2026-01-01T08:00:00 1767254400"> and the
// comments link <a href="item?id=N">42&nbsp;comments</a>. Ask HN / Launch HN stories link
// to the relative "item?id=N"; job ads have no score and no user.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sources/common/html.h"
#include "sources/common/http_util.h"
#include "sources/common/simple_source.h"
#include "sources/common/text.h"
#include "sources/source.h"

namespace mu {
namespace {

constexpr char kFrontUrl[] = "https://news.ycombinator.com/";

HttpRequest front_request(const SourceContext& /*ctx*/) {
  HttpRequest request;
  request.url = kFrontUrl;
  request.headers = {
      {"User-Agent", std::string(kMuUserAgent)},
      {"Accept", "text/html"},
  };
  return request;
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

Result<std::vector<Item>> parse_front(const HttpResponse& response, const BoardMeta& /*meta*/) {
  const std::string base =
      response.effective_url.empty() ? std::string(kFrontUrl) : response.effective_url;
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
  }));

  BoardMeta front;
  front.id = "hackernews.front";
  front.site = "hackernews";
  front.name_zh = "首页";
  front.name_en = "Front page";
  front.kind = BoardKind::kRank;
  front.schedule.every = std::chrono::minutes(10);
  front.schedule.jitter = std::chrono::seconds(60);
  front.schedule.timeout = std::chrono::seconds(20);
  front.schedule.retries = 1;
  front.group = "global";
  front.homepage = "https://news.ycombinator.com/";
  front.notes =
      "HTML of the front page (30 stories, hot = points). Ask/Launch HN stories link to "
      "item?id=N, made absolute. Job ads carry no points. HN asks crawlers to keep a modest "
      "rate and answers \"Sorry.\" pages when pushed; one request per 10 minutes is fine.";
  return registry.add(std::make_unique<SimpleSource>(std::move(front), front_request, parse_front));
}

}  // namespace mu
