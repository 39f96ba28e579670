// LINUX DO: the forum's top topics of the day, from Discourse's JSON view
// https://linux.do/top.json?period=daily -> {"users":[{"id","username","name",
// "avatar_template"}],"primary_groups":[],"topic_list":{"can_create_topic","per_page",
// "topics":[{"id","title","fancy_title","slug","posts_count","reply_count","created_at"
// (ISO 8601),"last_posted_at","bumped_at","excerpt","views","like_count","category_id",
// "pinned","posters":[{"extras","description" ("Original Poster, ..."),"user_id"}]}]}}.
// Topics live at https://linux.do/t/<slug>/<id>. The site sits behind Cloudflare: a
// challenge comes back as 403 (blocked) or as an HTML "Just a moment..." page with 200, which
// is reported as blocked too.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "sources/common/html.h"
#include "sources/common/http_util.h"
#include "sources/common/json_util.h"
#include "sources/common/simple_source.h"
#include "sources/common/text.h"
#include "sources/source.h"

namespace mu {
namespace {

constexpr char kTopUrl[] = "https://linux.do/top.json?period=daily";

HttpRequest top_request(const SourceContext& /*ctx*/) {
  HttpRequest request;
  request.url = kTopUrl;
  request.headers = {
      {"User-Agent", std::string(kBrowserUserAgent)},
      {"Accept", "application/json"},
  };
  return request;
}

Result<std::vector<Item>> parse_top(const HttpResponse& response, const BoardMeta& meta) {
  const std::string body = trim(response.body);
  if (!body.empty() && body[0] == '<') {
    std::string title;
    if (auto doc = HtmlDoc::parse(response.body, kTopUrl); doc.ok()) title = doc->title();
    return error(ErrorCode::kBlocked,
                 "an HTML page instead of JSON (Cloudflare challenge?), "
                 "titled \"" +
                     truncate_utf8(title, 80) + "\"");
  }
  MU_ASSIGN_OR_RETURN(JsonDoc doc, JsonDoc::parse(response.body, meta.id));
  const JsonView root = doc.root();
  if (root.get("errors").is_array()) {
    return error(ErrorCode::kParse, "API error: " + root.string_or("errors[0]", "(no message)"));
  }
  std::map<std::string, std::string> usernames;
  for (const JsonView& user : root.get("users").elements()) {
    const std::string id = user.string_or("id");
    const std::string name = trim(user.string_or("username"));
    if (!id.empty() && !name.empty()) usernames[id] = name;
  }
  MU_ASSIGN_OR_RETURN(JsonView topics, root.require_array("topic_list.topics"));
  std::vector<Item> items;
  items.reserve(topics.size());
  for (const JsonView& topic : topics.elements()) {
    if (!topic.is_object()) continue;
    Item item;
    item.key = topic.string_or("id");
    if (item.key.empty()) continue;
    item.title = trim(topic.string_or("title"));
    std::string slug = trim(topic.string_or("slug"));
    if (slug.empty()) slug = "topic";
    item.url = "https://linux.do/t/" + percent_encode(slug) + "/" + percent_encode(item.key);
    item.summary = truncate_utf8(collapse_whitespace(topic.string_or("excerpt")), 400);
    if (auto t = parse_iso8601_ms(topic.string_or("created_at"))) item.published_at_ms = t;
    if (auto likes = topic.integer("like_count"); likes && *likes >= 0) {
      item.hot = static_cast<double>(*likes);
      item.hot_text = std::to_string(*likes) + " 赞";
    }
    for (const JsonView& poster : topic.get("posters").elements()) {
      if (poster.string_or("description").find("Original Poster") == std::string::npos) continue;
      auto it = usernames.find(poster.string_or("user_id"));
      if (it != usernames.end()) item.author = it->second;
      break;
    }
    if (auto replies = topic.integer("reply_count")) {
      item.extra.emplace_back("replies", std::to_string(*replies));
    }
    if (auto views = topic.integer("views"))
      item.extra.emplace_back("views", std::to_string(*views));
    items.push_back(std::move(item));
  }
  if (items.empty()) return error(ErrorCode::kParse, "topic_list.topics is empty");
  return items;
}

}  // namespace

Status register_linuxdo_sources(SourceRegistry& registry) {
  MU_RETURN_IF_ERROR(registry.add_site(Site{
      .id = "linuxdo",
      .name_zh = "LINUX DO",
      .name_en = "LINUX DO",
      .home = "https://linux.do",
      .icon = "https://linux.do/favicon.ico",
      .color = "#f4b400",
      .region = "cn",
      .category = "community",
  }));

  BoardMeta top;
  top.id = "linuxdo.top";
  top.site = "linuxdo";
  top.name_zh = "今日热门";
  top.name_en = "Top today";
  top.kind = BoardKind::kRank;
  top.schedule.every = std::chrono::minutes(30);
  top.schedule.jitter = std::chrono::minutes(2);
  top.schedule.timeout = std::chrono::seconds(20);
  top.schedule.retries = 1;
  top.group = "cn";
  top.homepage = "https://linux.do/top?period=daily";
  top.notes =
      "Discourse JSON of /top.json?period=daily (up to 50 topics; hot = like_count; author = "
      "the topic's Original Poster from users[]). Behind Cloudflare: challenges (403, or an "
      "HTML page with 200) are blocked errors; Discourse rate-limits anonymous JSON to a few "
      "requests per minute, far above this board's use.";
  return registry.add(std::make_unique<SimpleSource>(std::move(top), top_request, parse_top));
}

}  // namespace mu
