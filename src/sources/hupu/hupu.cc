// Hupu (虎扑): the hot threads of 步行街 (the off-topic forum), https://bbs.hupu.com/all-gambia
// (plain server-rendered HTML). Each thread is
//   <div class="list-item-wrap"><div class="list-item">
//     <div class="t-info"><a href="/627384951.html" class="false">
//       <span class="t-title">title</span></a>
//       <span class="t-lights">85亮</span><span class="t-replies">1204回复</span></div>
//     <div class="t-label"><a href="/bxj">步行街主干道</a></div></div></div>
// inside <div class="text-list-model">. Topic pages (e.g. /topic-daily-hot) use the older list
//   <li class="bbs-sl-web-post-body"><div class="post-title"><a href="/6273.html"
//   class="p-title">title</a></div><div class="post-datum">102 / 32408</div>
//   <div class="post-auth"><a>author</a></div><div class="post-time">09-04 17:52</div></li>
// which is read too. bbs.hupu.com sits behind an Aliyun WAF that answers bursts with a slider
// page (marked aliyun_waf), reported as blocked.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sources/common/html.h"
#include "sources/common/http_util.h"
#include "sources/common/simple_source.h"
#include "sources/common/text.h"
#include "sources/source.h"

namespace mu {
namespace {

constexpr char kHotUrl[] = "https://bbs.hupu.com/all-gambia";

HttpRequest hot_request(const SourceContext& /*ctx*/) {
  HttpRequest request;
  request.url = kHotUrl;
  request.headers = {
      {"User-Agent", std::string(kBrowserUserAgent)},
      {"Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"},
      {"Accept-Language", "zh-CN,zh;q=0.9"},
      {"Referer", "https://bbs.hupu.com/"},
  };
  return request;
}

std::string cls(std::string_view name) { return "[" + xpath_has_class(name) + "]"; }

// "/627384951.html" or "https://bbs.hupu.com/627384951.html" -> "627384951"; "" otherwise.
std::string thread_id(const std::string& href) {
  std::string_view s = href;
  if (std::size_t q = s.find_first_of("?#"); q != std::string_view::npos) s = s.substr(0, q);
  if (s.size() < 6 || s.substr(s.size() - 5) != ".html") return {};
  s.remove_suffix(5);
  std::size_t slash = s.rfind('/');
  if (slash != std::string_view::npos) s = s.substr(slash + 1);
  if (s.empty() || s.size() > 18) return {};
  for (char c : s) {
    if (c < '0' || c > '9') return {};
  }
  return std::string(s);
}

void set_link(Item& item, const HtmlDoc& doc, const std::string& href) {
  item.url = doc.resolve_url(href);
  const std::string id = thread_id(href);
  item.key = id.empty() ? item.url : id;
  if (!id.empty()) item.mobile_url = "https://m.hupu.com/bbs/" + id + ".html";
}

void set_replies(Item& item, const std::string& text) {
  if (text.empty()) return;
  item.hot = parse_popularity(text);
  item.hot_text = text;
}

std::vector<Item> parse_list_items(const HtmlDoc& doc) {
  std::vector<Item> items;
  for (const HtmlNode& row :
       doc.select("//div" + cls("text-list-model") + "//div" + cls("list-item"))) {
    const HtmlNode link = doc.first(".//div" + cls("t-info") + "//a[@href][1]", row);
    if (!link) continue;
    Item item;
    item.title = doc.first_text(".//span" + cls("t-title"), link);
    if (item.title.empty()) item.title = link.text();
    set_link(item, doc, link.attr("href"));
    set_replies(item, doc.first_text(".//span" + cls("t-replies"), row));
    if (std::string lights = doc.first_text(".//span" + cls("t-lights"), row); !lights.empty()) {
      if (auto n = parse_popularity(lights)) {
        item.extra.emplace_back("lights", std::to_string(static_cast<int64_t>(*n)));
      }
    }
    if (std::string section = doc.first_text(".//div" + cls("t-label") + "//a", row);
        !section.empty()) {
      item.extra.emplace_back("section", section);
    }
    items.push_back(std::move(item));
  }
  return items;
}

std::vector<Item> parse_post_bodies(const HtmlDoc& doc) {
  std::vector<Item> items;
  for (const HtmlNode& row : doc.select("//li" + cls("bbs-sl-web-post-body"))) {
    const HtmlNode link = doc.first(".//a" + cls("p-title"), row);
    if (!link) continue;
    Item item;
    item.title = link.text();
    set_link(item, doc, link.attr("href"));
    // "102 / 32408": replies / views.
    const std::string datum = doc.first_text(".//div" + cls("post-datum"), row);
    const std::size_t slash = datum.find('/');
    set_replies(item, trim(std::string_view(datum).substr(0, slash)));
    if (slash != std::string::npos) {
      if (auto views = parse_popularity(std::string_view(datum).substr(slash + 1))) {
        item.extra.emplace_back("views", std::to_string(static_cast<int64_t>(*views)));
      }
    }
    item.author = doc.first_text(".//div" + cls("post-auth") + "//a", row);
    items.push_back(std::move(item));
  }
  return items;
}

Result<std::vector<Item>> parse_hot(const HttpResponse& response, const BoardMeta& /*meta*/) {
  if (response.body.find("aliyun_waf") != std::string::npos) {
    return error(ErrorCode::kBlocked, "the Aliyun WAF answered its slider check (aliyun_waf)");
  }
  const std::string base =
      response.effective_url.empty() ? std::string(kHotUrl) : response.effective_url;
  MU_ASSIGN_OR_RETURN(HtmlDoc doc,
                      HtmlDoc::parse(response.body, base,
                                     charset_from_content_type(response.header("Content-Type"))));
  std::vector<Item> items = parse_list_items(doc);
  if (items.empty()) items = parse_post_bodies(doc);
  if (items.empty()) {
    return error(ErrorCode::kParse,
                 "no threads (div.list-item or li.bbs-sl-web-post-body) in the page titled \"" +
                     truncate_utf8(doc.title(), 80) + "\"");
  }
  return items;
}

}  // namespace

Status register_hupu_sources(SourceRegistry& registry) {
  MU_RETURN_IF_ERROR(registry.add_site(Site{
      .id = "hupu",
      .name_zh = "虎扑",
      .name_en = "Hupu",
      .home = "https://bbs.hupu.com",
      .icon = "https://bbs.hupu.com/favicon.ico",
      .color = "#c60100",
      .region = "cn",
      .category = "community",
  }));

  BoardMeta hot;
  hot.id = "hupu.hot";
  hot.site = "hupu";
  hot.name_zh = "步行街热帖";
  hot.name_en = "Buxingjie hot threads";
  hot.kind = BoardKind::kRank;
  hot.schedule.every = std::chrono::minutes(15);
  hot.schedule.jitter = std::chrono::seconds(90);
  hot.schedule.timeout = std::chrono::seconds(20);
  hot.schedule.retries = 1;
  hot.group = "cn";
  hot.homepage = "https://bbs.hupu.com/all-gambia";
  hot.notes =
      "HTML of bbs.hupu.com/all-gambia (步行街 24-hour hot threads, div.text-list-model "
      "list items; hot = replies, lights and section in extra). The older "
      "li.bbs-sl-web-post-body list of topic pages is read too. The PC site only serves the "
      "full page to desktop User-Agents and sits behind an Aliyun WAF that answers bursts with "
      "a slider page (aliyun_waf, reported as blocked; it clears after 10-15 minutes), so one "
      "request per 15 minutes.";
  return registry.add(std::make_unique<SimpleSource>(std::move(hot), hot_request, parse_hot));
}

}  // namespace mu
