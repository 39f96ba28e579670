// NGA (艾泽拉斯国家地理论坛): the forum-wide hot topics ("热帖"), from the reply ladder that the
// NGA app uses: POST https://ngabbs.com/nuke.php?__lib=load_topic&__act=load_topic_reply_ladder2
// &opt=1&all=1 with the form body "__output=14" -> {"result":[[{"tid","fid","subject",
// "author","authorid","postdate" (Unix s),"lastpost","lastposter","replies","tpcurl"
// ("/read.php?tid=N"),"type"}]],"time"}. NGA is a GBK site: the answer is GBK bytes, labelled
// "charset=GBK" in Content-Type. The board converts by the declared charset, and reads
// undeclared bytes that are not valid UTF-8 as GB18030 (a superset of GBK). Subjects carry
// HTML entities (&quot; &amp; ...), which are decoded. A refusal comes back as
// {"error":["(ERROR:15)访客不能直接访问"],"time":...} (a login wall: blocked).
#include <memory>
#include <string>
#include <vector>

#include "sources/common/charset.h"
#include "sources/common/html.h"
#include "sources/common/http_util.h"
#include "sources/common/json_util.h"
#include "sources/common/simple_source.h"
#include "sources/common/text.h"
#include "sources/source.h"

namespace mu {
namespace {

constexpr char kLadderUrl[] =
    "https://ngabbs.com/nuke.php?__lib=load_topic&__act=load_topic_reply_ladder2&opt=1&all=1";

HttpRequest hot_request(const SourceContext& /*ctx*/) {
  HttpRequest request;
  request.method = "POST";
  request.url = kLadderUrl;
  request.headers = {
      {"User-Agent", std::string(kBrowserUserAgent)},
      {"X-User-Agent", "NGA_skull/7.3.1(iPhone13,2;iOS 17.2.1)"},
      {"Accept", "*/*"},
      {"Content-Type", "application/x-www-form-urlencoded"},
      {"Referer", "https://ngabbs.com/"},
  };
  request.body = "__output=14";
  return request;
}

// The body as UTF-8: the declared charset wins; undeclared bytes that are not valid UTF-8
// are NGA's GBK.
Result<std::string> body_text(const HttpResponse& response) {
  const std::string declared = charset_from_content_type(response.header("Content-Type"));
  if (!declared.empty()) return to_utf8(response.body, declared);
  if (to_valid_utf8(response.body) == response.body) return response.body;
  return to_utf8(response.body, "GB18030");
}

// The entities NGA leaves in subjects.
std::string decode_entities(std::string_view s) {
  static constexpr std::pair<std::string_view, std::string_view> kEntities[] = {
      {"&quot;", "\""}, {"&#39;", "'"},  {"&lt;", "<"},
      {"&gt;", ">"},    {"&nbsp;", " "}, {"&amp;", "&"}};
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    bool matched = false;
    if (s[i] == '&') {
      for (const auto& [name, text] : kEntities) {
        if (s.substr(i, name.size()) == name) {
          out += text;
          i += name.size();
          matched = true;
          break;
        }
      }
    }
    if (!matched) out += s[i++];
  }
  return out;
}

Status nga_error(const JsonView& root) {
  const JsonView err = root.get("error");
  if (!err.exists() || err.is_null()) return ok_status();
  // {"error":["..."]}, {"error":{"0":"..."}} or {"error":"..."}
  std::string msg;
  if (err.is_array()) {
    msg = err.at(0).string_or("");
  } else if (err.is_object()) {
    msg = err.member("0").string_or("");
  } else {
    msg = err.string_or("");
  }
  if (msg.empty()) msg = "(no message)";
  const bool wall = msg.find("访客") != std::string::npos ||
                    msg.find("登录") != std::string::npos ||
                    msg.find("ERROR:15") != std::string::npos;
  return error(wall ? ErrorCode::kBlocked : ErrorCode::kParse, "NGA error: " + msg);
}

Result<std::vector<Item>> parse_hot(const HttpResponse& response, const BoardMeta& meta) {
  MU_ASSIGN_OR_RETURN(std::string text, body_text(response));
  MU_ASSIGN_OR_RETURN(JsonDoc doc, JsonDoc::parse(text, meta.id));
  const JsonView root = doc.root();
  MU_RETURN_IF_ERROR(nga_error(root));
  MU_ASSIGN_OR_RETURN(JsonView topics, root.require_array("result[0]"));
  std::vector<Item> items;
  items.reserve(topics.size());
  for (const JsonView& topic : topics.elements()) {
    if (!topic.is_object()) continue;
    Item item;
    item.key = topic.string_or("tid");
    if (item.key.empty()) continue;
    item.title = decode_entities(trim(topic.string_or("subject")));
    std::string path = trim(topic.string_or("tpcurl"));
    if (path.empty() || path[0] != '/') path = "/read.php?tid=" + percent_encode(item.key);
    item.url = resolve_url("https://bbs.nga.cn/", path);
    item.author = decode_entities(trim(topic.string_or("author")));
    if (auto replies = topic.integer("replies"); replies && *replies >= 0) {
      item.hot = static_cast<double>(*replies);
      item.hot_text = std::to_string(*replies) + " 回复";
    }
    if (auto t = topic.integer("postdate"); t && *t > 0) item.published_at_ms = *t * 1000;
    if (auto fid = topic.integer("fid")) item.extra.emplace_back("fid", std::to_string(*fid));
    items.push_back(std::move(item));
  }
  if (items.empty()) return error(ErrorCode::kParse, "result[0] holds no topics");
  return items;
}

}  // namespace

Status register_ngabbs_sources(SourceRegistry& registry) {
  MU_RETURN_IF_ERROR(registry.add_site(Site{
      .id = "ngabbs",
      .name_zh = "NGA 玩家社区",
      .name_en = "NGA",
      .home = "https://bbs.nga.cn",
      .icon = "https://bbs.nga.cn/favicon.ico",
      .color = "#591804",
      .region = "cn",
      .category = "community",
  }));

  BoardMeta hot;
  hot.id = "ngabbs.hot";
  hot.site = "ngabbs";
  hot.name_zh = "热帖";
  hot.name_en = "Hot topics";
  hot.kind = BoardKind::kRank;
  hot.schedule.every = std::chrono::minutes(15);
  hot.schedule.jitter = std::chrono::seconds(60);
  hot.schedule.timeout = std::chrono::seconds(20);
  hot.schedule.retries = 1;
  hot.group = "cn";
  hot.homepage = "https://bbs.nga.cn/";
  hot.notes =
      "JSON of POST ngabbs.com/nuke.php?__lib=load_topic&__act=load_topic_reply_ladder2 "
      "(body __output=14, the app's X-User-Agent; topics at result[0], hot = replies). GBK: "
      "converted by the Content-Type charset, undeclared non-UTF-8 bytes read as GB18030. "
      "Subjects carry HTML entities. A guest refusal (ERROR:15 访客不能直接访问) is a "
      "blocked error.";
  return registry.add(std::make_unique<SimpleSource>(std::move(hot), hot_request, parse_hot));
}

}  // namespace mu
