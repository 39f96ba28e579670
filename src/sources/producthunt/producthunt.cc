// Product Hunt: today's launches, https://www.producthunt.com/. Two ways in:
//
// * With a developer token (secret "producthunt.token", from
//   https://www.producthunt.com/v2/oauth/applications): the GraphQL API v2,
//   POST https://api.producthunt.com/v2/api/graphql with "Authorization: Bearer <token>" and
//   {"query": "...posts(featured: true, order: RANKING, postedAfter: $after, first: 30)...",
//    "variables": {"after": "<midnight in Los Angeles>"}}. The answer is
//   {"data":{"posts":{"edges":[{"node":{"id","name","tagline","slug","url","website",
//   "votesCount","commentsCount","createdAt","featuredAt","thumbnail":{"url"},
//   "topics":{"edges":[{"node":{"name"}}]}}}]}}}, or {"errors":[{"message"}]} for a bad
//   query; a bad token is HTTP 401 {"error":"invalid_oauth_token",...}.
// * Without a token: the public Atom feed https://www.producthunt.com/feed (50 featured
//   posts, newest first, no votes). Each <entry> has <id>tag:www.producthunt.com,2005:Post/N
//   </id>, <published>, <updated>, <link rel="alternate" href="https://www.producthunt.com/
//   products/..."/>, <title>, <content type="html"> (escaped HTML: the tagline in the first
//   <p>, then "Discussion" and "Link" anchors) and <author><name>.
// Keys are Product Hunt post ids in both cases, so switching paths keeps item history.
#include <libxml/parser.h>
#include <libxml/tree.h>

#include <chrono>
#include <climits>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sources/common/html.h"
#include "sources/common/http_util.h"
#include "sources/common/json_util.h"
#include "sources/common/simple_source.h"
#include "sources/common/text.h"
#include "sources/source.h"

namespace mu {
namespace {

constexpr char kApiUrl[] = "https://api.producthunt.com/v2/api/graphql";
constexpr char kFeedUrl[] = "https://www.producthunt.com/feed";
constexpr char kTokenSecret[] = "producthunt.token";

// ------------------------------------------------------------ Los Angeles day

// Product Hunt's day starts at midnight in Los Angeles: UTC-8, or UTC-7 from the second
// Sunday of March 02:00 local to the first Sunday of November 02:00 local (US rules since
// 2007).
int64_t pacific_offset_s(int64_t utc_s) {
  using namespace std::chrono;  // NOLINT(google-build-using-namespace)
  const year_month_day ymd{floor<days>(sys_seconds(seconds(utc_s)))};
  const year y = ymd.year();
  const sys_days dst_start{y / March / Sunday[2]};
  const sys_days dst_end{y / November / Sunday[1]};
  const int64_t start_s = duration_cast<seconds>(dst_start.time_since_epoch()).count() + 10 * 3600;
  const int64_t end_s = duration_cast<seconds>(dst_end.time_since_epoch()).count() + 9 * 3600;
  return (utc_s >= start_s && utc_s < end_s) ? -7 * 3600 : -8 * 3600;
}

int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  if (a % b != 0 && ((a < 0) != (b < 0))) --q;
  return q;
}

// Midnight of the current Los Angeles day, as "2026-01-01T00:00:00-08:00".
std::string pacific_day_start(int64_t now_ms) {
  const int64_t now_s = floor_div(now_ms, 1000);
  const int64_t local_s = now_s + pacific_offset_s(now_s);
  const int64_t local_midnight = floor_div(local_s, 86400) * 86400;
  // The offset at midnight itself (it differs from now's on the days the clocks change).
  const int64_t offset = pacific_offset_s(local_midnight + 8 * 3600);
  using namespace std::chrono;  // NOLINT(google-build-using-namespace)
  const year_month_day ymd{sys_days(days(floor_div(local_midnight, 86400)))};
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT00:00:00-%02d:00", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(-offset / 3600));
  return buf;
}

// --------------------------------------------------------------- GraphQL API

constexpr char kQuery[] =
    "query TodayPosts($after: DateTime!) { posts(featured: true, order: RANKING, "
    "postedAfter: $after, first: 30) { edges { node { id name tagline slug url website "
    "votesCount commentsCount createdAt featuredAt thumbnail { url } "
    "topics(first: 3) { edges { node { name } } } } } } }";

HttpRequest api_request(const std::string& token, const Clock& clock) {
  HttpRequest request;
  request.method = "POST";
  request.url = kApiUrl;
  request.headers = {
      {"User-Agent", std::string(kMuUserAgent)},
      {"Accept", "application/json"},
      {"Content-Type", "application/json"},
      {"Authorization", "Bearer " + token},
  };
  // The query has no quotes or backslashes, and the date is digits and punctuation, so the
  // JSON needs no escaping.
  request.body = std::string(R"({"query":")") + kQuery + R"(","variables":{"after":")" +
                 pacific_day_start(clock.now_ms()) + R"("}})";
  return request;
}

std::string with_thousands(int64_t n) {
  std::string digits = std::to_string(n < 0 ? -n : n);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return n < 0 ? "-" + out : out;
}

// "https://www.producthunt.com/posts/x?utm_campaign=..." -> without the query (it names the
// API application).
std::string strip_query(std::string url) {
  if (std::size_t q = url.find_first_of("?#"); q != std::string::npos) url.resize(q);
  return url;
}

Result<std::vector<Item>> parse_api(const HttpResponse& response) {
  MU_ASSIGN_OR_RETURN(JsonDoc doc, JsonDoc::parse(response.body, "GraphQL answer"));
  const JsonView root = doc.root();
  if (!root.is_object()) {
    return error(ErrorCode::kParse,
                 "expected a GraphQL JSON object, got " + std::string(root.kind_name()));
  }
  if (const JsonView errors = root.get("errors"); errors.is_array() && errors.size() > 0) {
    std::string msg = errors.at(0).string_or("message", "no message");
    return error(ErrorCode::kParse, "GraphQL error: " + truncate_utf8(msg, 200));
  }
  if (std::string oauth = root.string_or("error"); !oauth.empty()) {
    return error(ErrorCode::kBlocked, "API error \"" + truncate_utf8(oauth, 80) +
                                          "\" (check the producthunt.token secret)");
  }
  MU_ASSIGN_OR_RETURN(JsonView edges, root.require_array("data.posts.edges"));
  std::vector<Item> items;
  items.reserve(edges.size());
  for (const JsonView& edge : edges.elements()) {
    const JsonView node = edge.get("node");
    if (!node.is_object()) continue;
    Item item;
    item.key = node.string_or("id");
    item.title = node.string_or("name");
    if (std::string slug = trim(node.string_or("slug")); !slug.empty()) {
      item.url = "https://www.producthunt.com/posts/" + percent_encode(slug);
    } else {
      item.url = strip_query(trim(node.string_or("url")));
    }
    item.summary = truncate_utf8(node.string_or("tagline"), 400);
    if (auto votes = node.integer("votesCount"); votes && *votes >= 0) {
      item.hot = static_cast<double>(*votes);
      item.hot_text = with_thousands(*votes) + (*votes == 1 ? " vote" : " votes");
    }
    item.image = node.string_or("thumbnail.url");
    std::string when = node.string_or("featuredAt");
    if (when.empty()) when = node.string_or("createdAt");
    item.published_at_ms = parse_iso8601_ms(when);
    if (auto comments = node.integer("commentsCount"); comments && *comments >= 0) {
      item.extra.emplace_back("comments", std::to_string(*comments));
    }
    std::string topics;
    for (const JsonView& t : node.get("topics.edges").elements()) {
      std::string name = t.string_or("node.name");
      if (name.empty()) continue;
      if (!topics.empty()) topics += ", ";
      topics += name;
    }
    if (!topics.empty()) item.extra.emplace_back("topics", topics);
    if (std::string website = strip_query(trim(node.string_or("website"))); !website.empty()) {
      item.extra.emplace_back("website", website);
    }
    items.push_back(std::move(item));
  }
  if (items.empty()) {
    return error(ErrorCode::kParse, "data.posts.edges holds no posts (nothing launched yet?)");
  }
  return items;
}

// ----------------------------------------------------------------- Atom feed

HttpRequest feed_request() {
  HttpRequest request;
  request.url = kFeedUrl;
  request.headers = {
      {"User-Agent", std::string(kMuUserAgent)},
      {"Accept", "application/atom+xml, application/xml;q=0.9, */*;q=0.5"},
  };
  return request;
}

void ensure_libxml_initialized() {
  static const bool initialized = [] {
    xmlInitParser();
    return true;
  }();
  (void)initialized;
}

constexpr auto kIgnoreStructuredError = [](void* /*user_data*/, auto /*error*/) {};

struct ParserCtxtDeleter {
  void operator()(xmlParserCtxt* ctxt) const { xmlFreeParserCtxt(ctxt); }
};
struct DocDeleter {
  void operator()(xmlDoc* doc) const { xmlFreeDoc(doc); }
};
using XmlDocPtr = std::unique_ptr<xmlDoc, DocDeleter>;

std::string_view local_name(const xmlNode* n) {
  return n->name == nullptr ? std::string_view() : reinterpret_cast<const char*>(n->name);
}

// The first element child of `parent` named `name` (namespace ignored), or nullptr.
const xmlNode* child(const xmlNode* parent, std::string_view name) {
  for (const xmlNode* c = parent->children; c != nullptr; c = c->next) {
    if (c->type == XML_ELEMENT_NODE && local_name(c) == name) return c;
  }
  return nullptr;
}

std::string text_of(const xmlNode* n) {
  if (n == nullptr) return {};
  xmlChar* raw = xmlNodeGetContent(n);
  if (raw == nullptr) return {};
  std::string s(reinterpret_cast<const char*>(raw));
  xmlFree(raw);
  return s;
}

std::string attr_of(const xmlNode* n, const char* name) {
  xmlChar* raw = xmlGetProp(n, reinterpret_cast<const xmlChar*>(name));
  if (raw == nullptr) return {};
  std::string s(reinterpret_cast<const char*>(raw));
  xmlFree(raw);
  return s;
}

// The entry's page: <link rel="alternate" href> (a link without rel counts as alternate).
std::string entry_link(const xmlNode* entry) {
  for (const xmlNode* c = entry->children; c != nullptr; c = c->next) {
    if (c->type != XML_ELEMENT_NODE || local_name(c) != "link") continue;
    const std::string rel = attr_of(c, "rel");
    if (rel.empty() || rel == "alternate") return trim(attr_of(c, "href"));
  }
  return {};
}

// "tag:www.producthunt.com,2005:Post/1130512" -> "1130512"; other ids stay as they are.
std::string post_id(const std::string& atom_id) {
  const std::size_t slash = atom_id.rfind("Post/");
  if (slash == std::string::npos) return trim(atom_id);
  return trim(std::string_view(atom_id).substr(slash + 5));
}

// The tagline: text of the first <p> of the escaped HTML content (all its text otherwise).
std::string tagline(const std::string& content_html, const std::string& base) {
  if (is_blank(content_html)) return {};
  auto doc = HtmlDoc::parse(content_html, base, "UTF-8");
  if (!doc.ok()) return {};
  std::string p = doc->first_text("//p");
  if (p.empty()) p = doc->root().text();
  return truncate_utf8(p, 400);
}

bool looks_like_html(std::string_view body) {
  const std::string head = ascii_lower(trim(body.substr(0, 512)));
  return head.starts_with("<!doctype html") || head.starts_with("<html");
}

Result<std::vector<Item>> parse_feed(const HttpResponse& response) {
  if (looks_like_html(response.body)) {
    // Cloudflare's "Just a moment..." challenge or a login/maintenance page.
    std::string title;
    if (auto page = HtmlDoc::parse(response.body, kFeedUrl); page.ok()) title = page->title();
    return error(ErrorCode::kBlocked, "got an HTML page titled \"" + truncate_utf8(title, 80) +
                                          "\" instead of the Atom feed (anti-bot challenge?)");
  }
  if (response.body.size() > static_cast<std::size_t>(INT_MAX)) {
    return error(ErrorCode::kTooLarge, "feed over 2 GiB");
  }
  ensure_libxml_initialized();
  std::unique_ptr<xmlParserCtxt, ParserCtxtDeleter> ctxt(xmlNewParserCtxt());
  if (ctxt == nullptr) return error(ErrorCode::kInternal, "libxml2: cannot create XML parser");
  if (ctxt->sax != nullptr) {
    ctxt->sax->serror = kIgnoreStructuredError;
    ctxt->sax->warning = nullptr;
    ctxt->sax->error = nullptr;
  }
  ctxt->vctxt.error = nullptr;
  ctxt->vctxt.warning = nullptr;
  // No entity expansion (NOENT) and no network: the feed is untrusted input.
  const int options = XML_PARSE_RECOVER | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
                      XML_PARSE_NONET | XML_PARSE_NOCDATA;
  XmlDocPtr doc(xmlCtxtReadMemory(ctxt.get(), response.body.data(),
                                  static_cast<int>(response.body.size()), kFeedUrl, nullptr,
                                  options));
  const xmlNode* root = doc ? xmlDocGetRootElement(doc.get()) : nullptr;
  if (root == nullptr) return error(ErrorCode::kParse, "the feed is not XML");
  if (local_name(root) != "feed") {
    return error(ErrorCode::kParse,
                 "expected an Atom <feed>, got <" + std::string(local_name(root)) + ">");
  }
  if (ctxt->wellFormed == 0 && !trim(response.body).ends_with("</feed>")) {
    return error(ErrorCode::kParse, "the Atom feed is truncated (no closing </feed>)");
  }
  std::vector<Item> items;
  for (const xmlNode* entry = root->children; entry != nullptr; entry = entry->next) {
    if (entry->type != XML_ELEMENT_NODE || local_name(entry) != "entry") continue;
    Item item;
    item.key = post_id(text_of(child(entry, "id")));
    item.title = text_of(child(entry, "title"));
    item.url = entry_link(entry);
    item.summary = tagline(text_of(child(entry, "content")), item.url);
    if (const xmlNode* author = child(entry, "author")) {
      item.author = text_of(child(author, "name"));
    }
    std::string when = trim(text_of(child(entry, "published")));
    if (when.empty()) when = trim(text_of(child(entry, "updated")));
    item.published_at_ms = parse_iso8601_ms(when);
    items.push_back(std::move(item));
  }
  if (items.empty()) return error(ErrorCode::kParse, "the Atom feed has no <entry>");
  return items;
}

// ------------------------------------------------------------------ source

class ProductHuntToday final : public Source {
 public:
  explicit ProductHuntToday(BoardMeta meta) : meta_(std::move(meta)) {}

  const BoardMeta& meta() const override { return meta_; }

  Result<std::vector<Item>> collect(const SourceContext& ctx) const override {
    const std::string* token = find_secret(ctx, kTokenSecret);
    HttpRequest request = token != nullptr ? api_request(*token, ctx.clock) : feed_request();
    request.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(meta_.schedule.timeout);
    auto fetched = fetch_ok(ctx, request, meta_.id);
    if (!fetched.ok()) {
      if (token != nullptr && fetched.code() == ErrorCode::kBlocked) {
        return error(ErrorCode::kBlocked,
                     fetched.error_message() + " (check the producthunt.token secret)");
      }
      return fetched.status();
    }
    auto parsed = token != nullptr ? parse_api(*fetched) : parse_feed(*fetched);
    if (!parsed.ok()) return parsed.status().with_context(meta_.id);
    return finish_items(std::move(parsed).value(), meta_.id);
  }

 private:
  BoardMeta meta_;
};

}  // namespace

Status register_producthunt_sources(SourceRegistry& registry) {
  MU_RETURN_IF_ERROR(registry.add_site(Site{
      .id = "producthunt",
      .name_zh = "Product Hunt",
      .name_en = "Product Hunt",
      .home = "https://www.producthunt.com",
      .icon = "https://www.producthunt.com/favicon.ico",
      .color = "#da552f",
      .region = "global",
      .category = "tech",
  }));

  BoardMeta today;
  today.id = "producthunt.today";
  today.site = "producthunt";
  today.name_zh = "今日产品";
  today.name_en = "Today's launches";
  today.kind = BoardKind::kRank;
  today.schedule.every = std::chrono::minutes(20);
  today.schedule.jitter = std::chrono::minutes(2);
  today.schedule.timeout = std::chrono::seconds(20);
  today.schedule.retries = 1;
  today.group = "global";
  today.homepage = "https://www.producthunt.com/";
  today.needs_token = false;  // optional: the board works without one (see notes)
  today.notes =
      "Optional secret producthunt.token (a developer token from "
      "producthunt.com/v2/oauth/applications): with it, POST to the GraphQL API v2 "
      "api.producthunt.com/v2/api/graphql for today's featured posts (since midnight Los "
      "Angeles time) ordered by ranking, hot = votes, extra comments/topics/website; the "
      "API allows 6250 complexity points per 15 minutes, far above one query per 20 "
      "minutes. Without a token, the public Atom feed www.producthunt.com/feed (50 featured "
      "posts, newest first, no votes: the order is the feed's, not the leaderboard's). "
      "needs_token is false because the feed keeps the board working unconfigured. A "
      "rejected token is a blocked error (no silent fallback), and a Cloudflare challenge "
      "page instead of the feed is blocked too. Keys are post ids on both paths.";
  return registry.add(std::make_unique<ProductHuntToday>(std::move(today)));
}

}  // namespace mu
