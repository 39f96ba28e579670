// Toutiao (今日头条): the hot board of the PC site,
// https://www.toutiao.com/hot-event/hot-board/?origin=toutiao_pc. The answer is
// {"data":[{"ClusterId":7590...,"ClusterIdStr":"7590...","ClusterType":2,"Title":"...",
// "Label":"hot"|"new"|"refuteRumors"|"","LabelDesc":"...","HotValue":"12345678","Url":
// "https://www.toutiao.com/trending/7590.../?rank=1&log_from=...","QueryWord":"...",
// "Image":{"uri":...,"url":...,"url_list":[{"url":...}],...},"InterestCategory":["society"],
// "LabelUrl":...,"Schema":"sslocal://..."},...],"fixed_top_data":[{"Id":...,"Title":...,
// "Url":...}],"fixed_top_style":"","impr_id":"...","status":"success"}.
// fixed_top_data is the pinned headline, not part of the ranking, and is skipped.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sources/common/http_util.h"
#include "sources/common/json_util.h"
#include "sources/common/simple_source.h"
#include "sources/common/text.h"
#include "sources/source.h"

namespace mu {
namespace {

constexpr char kHotBoardUrl[] = "https://www.toutiao.com/hot-event/hot-board/?origin=toutiao_pc";

HttpRequest hot_request(const SourceContext& /*ctx*/) {
  HttpRequest request;
  request.url = kHotBoardUrl;
  request.headers = {
      {"User-Agent", std::string(kBrowserUserAgent)},
      {"Accept", "application/json, text/plain, */*"},
      {"Referer", "https://www.toutiao.com/"},
  };
  return request;
}

std::string label_text(std::string_view label, const std::string& desc) {
  if (label == "hot") return "热";
  if (label == "new") return "新";
  if (label == "refuteRumors") return "辟谣";
  if (label == "interpretation") return "解读";
  if (label == "exclusive") return "独家";
  if (label == "live") return "直播";
  if (desc == "热门事件") return "热";
  if (desc == "新事件上榜") return "新";
  return desc;
}

// The trending page without the tracking parameters the API appends.
std::string trending_url(const std::string& cluster_id, const std::string& api_url) {
  if (!cluster_id.empty()) return "https://www.toutiao.com/trending/" + cluster_id + "/";
  return api_url;
}

Result<std::vector<Item>> parse_hot(const HttpResponse& response, const BoardMeta& meta) {
  MU_ASSIGN_OR_RETURN(JsonDoc doc, JsonDoc::parse(response.body, meta.id));
  const JsonView root = doc.root();
  if (!root.is_object()) {
    return error(ErrorCode::kParse, "expected a JSON object, got " + std::string(root.kind_name()));
  }
  if (std::string status = trim(root.string_or("status")); !status.empty() && status != "success") {
    const std::string msg = trim(root.string_or("message", root.string_or("msg")));
    return error(ErrorCode::kParse,
                 "API answered status \"" + status + "\"" + (msg.empty() ? "" : ": " + msg));
  }
  MU_ASSIGN_OR_RETURN(JsonView list, root.require_array("data"));
  std::vector<Item> items;
  items.reserve(list.size());
  for (const JsonView& entry : list.elements()) {
    if (!entry.is_object()) continue;
    Item item;
    std::string id = trim(entry.string_or("ClusterIdStr"));
    if (id.empty()) id = trim(entry.string_or("ClusterId"));
    item.key = id;
    item.title = entry.string_or("Title");
    item.url = trim(trending_url(id, trim(entry.string_or("Url"))));
    if (auto hot = entry.number("HotValue"); hot && *hot > 0 && *hot < 1e15) {
      item.hot = *hot;
      item.hot_text = trim(entry.string_or("HotValue"));
    }
    item.label = label_text(trim(entry.string_or("Label")), trim(entry.string_or("LabelDesc")));
    item.image = trim(entry.string_or("Image.url"));
    if (item.image.empty()) item.image = trim(entry.string_or("Image.url_list[0].url"));
    if (std::string query = trim(entry.string_or("QueryWord"));
        !query.empty() && query != item.title) {
      item.extra.emplace_back("query", query);
    }
    std::string categories;
    for (const JsonView& c : entry.get("InterestCategory").elements()) {
      const std::string name = trim(c.string_or(""));
      if (name.empty()) continue;
      if (!categories.empty()) categories += ",";
      categories += name;
    }
    if (!categories.empty()) item.extra.emplace_back("categories", categories);
    items.push_back(std::move(item));
  }
  if (items.empty()) return error(ErrorCode::kParse, "data holds no hot events");
  return items;
}

}  // namespace

Status register_toutiao_sources(SourceRegistry& registry) {
  MU_RETURN_IF_ERROR(registry.add_site(Site{
      .id = "toutiao",
      .name_zh = "今日头条",
      .name_en = "Toutiao",
      .home = "https://www.toutiao.com",
      .icon = "https://www.toutiao.com/favicon.ico",
      .color = "#f04142",
      .region = "cn",
      .category = "general",
  }));

  BoardMeta hot;
  hot.id = "toutiao.hot";
  hot.site = "toutiao";
  hot.name_zh = "头条热榜";
  hot.name_en = "Hot board";
  hot.kind = BoardKind::kRank;
  hot.schedule.every = std::chrono::minutes(10);
  hot.schedule.jitter = std::chrono::seconds(60);
  hot.schedule.timeout = std::chrono::seconds(15);
  hot.schedule.retries = 1;
  hot.group = "cn";
  hot.homepage = "https://www.toutiao.com/";
  hot.notes =
      "JSON of www.toutiao.com/hot-event/hot-board/?origin=toutiao_pc (50 events, hot = "
      "HotValue, label from Label: hot 热, new 新, refuteRumors 辟谣, ...). Links are the "
      "trending pages www.toutiao.com/trending/<ClusterIdStr>/ without the tracking "
      "parameters of Url. The pinned headline (fixed_top_data) is skipped. No cookie or "
      "signature needed; browser User-Agent and a toutiao.com Referer.";
  return registry.add(std::make_unique<SimpleSource>(std::move(hot), hot_request, parse_hot));
}

}  // namespace mu
