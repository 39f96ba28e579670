// Nowcoder (牛客网): the hot-search list shown on the PC site, GET
// https://gw-c.nowcoder.com/api/sparta/hot-search/top-hot-pc?size=20&t= ->
// {"success":true,"code":0,"msg":"OK","data":{"result":[{"id","uuid","title","type",
// "hotValue","rankChange"}]}}. type 74 is a feed post (https://www.nowcoder.com/feed/main/
// detail/<uuid>); type 0 and the rest are discussion posts (https://www.nowcoder.com/discuss/
// <id>). The web client appends a "_=<ms>" cache buster; Mu leaves it out (the answer is the
// same and the URL stays fixed). Errors: "success":false with a non-zero code and "msg".
#include <memory>
#include <string>
#include <vector>

#include "sources/common/http_util.h"
#include "sources/common/json_util.h"
#include "sources/common/simple_source.h"
#include "sources/common/text.h"
#include "sources/source.h"

namespace mu {
namespace {

constexpr char kHotUrl[] = "https://gw-c.nowcoder.com/api/sparta/hot-search/top-hot-pc?size=20&t=";

HttpRequest hot_request(const SourceContext& /*ctx*/) {
  HttpRequest request;
  request.url = kHotUrl;
  request.headers = {
      {"User-Agent", std::string(kBrowserUserAgent)},
      {"Accept", "application/json, text/plain, */*"},
      {"Origin", "https://www.nowcoder.com"},
      {"Referer", "https://www.nowcoder.com/"},
  };
  return request;
}

Result<std::vector<Item>> parse_hot(const HttpResponse& response, const BoardMeta& meta) {
  MU_ASSIGN_OR_RETURN(JsonDoc doc, JsonDoc::parse(response.body, meta.id));
  const JsonView root = doc.root();
  const auto code = root.integer("code");
  if (!root.bool_or("success", true) || (code && *code != 0)) {
    return error(ErrorCode::kParse, "API error " + root.string_or("code", "?") + ": " +
                                        root.string_or("msg", "(no message)"));
  }
  MU_ASSIGN_OR_RETURN(JsonView list, root.require_array("data.result"));
  std::vector<Item> items;
  items.reserve(list.size());
  for (const JsonView& post : list.elements()) {
    if (!post.is_object()) continue;
    Item item;
    item.title = trim(post.string_or("title"));
    const std::string id = trim(post.string_or("id"));
    const std::string uuid = trim(post.string_or("uuid"));
    if (post.integer("type") == 74 && !uuid.empty()) {
      item.key = uuid;
      item.url = "https://www.nowcoder.com/feed/main/detail/" + percent_encode(uuid);
    } else if (!id.empty()) {
      item.key = id;
      item.url = "https://www.nowcoder.com/discuss/" + percent_encode(id);
    } else {
      continue;
    }
    if (auto hot = post.number("hotValue"); hot && *hot >= 0) {
      item.hot = *hot;
      item.hot_text = post.string_or("hotValue") + " 热度";
    }
    items.push_back(std::move(item));
  }
  if (items.empty()) return error(ErrorCode::kParse, "data.result holds no posts");
  return items;
}

}  // namespace

Status register_nowcoder_sources(SourceRegistry& registry) {
  MU_RETURN_IF_ERROR(registry.add_site(Site{
      .id = "nowcoder",
      .name_zh = "牛客网",
      .name_en = "Nowcoder",
      .home = "https://www.nowcoder.com",
      .icon = "https://www.nowcoder.com/favicon.ico",
      .color = "#25bb9b",
      .region = "cn",
      .category = "tech",
  }));

  BoardMeta hot;
  hot.id = "nowcoder.hot";
  hot.site = "nowcoder";
  hot.name_zh = "热搜榜";
  hot.name_en = "Hot posts";
  hot.kind = BoardKind::kRank;
  hot.schedule.every = std::chrono::minutes(20);
  hot.schedule.jitter = std::chrono::seconds(90);
  hot.schedule.timeout = std::chrono::seconds(15);
  hot.schedule.retries = 1;
  hot.group = "cn";
  hot.homepage = "https://www.nowcoder.com/";
  hot.notes =
      "JSON of gw-c.nowcoder.com/api/sparta/hot-search/top-hot-pc (20 posts; type 74 = feed "
      "post keyed by uuid, others = discussion keyed by id; hot = hotValue). Job-hunting "
      "topics; the list moves slowly outside campus-recruiting season.";
  return registry.add(std::make_unique<SimpleSource>(std::move(hot), hot_request, parse_hot));
}

}  // namespace mu
