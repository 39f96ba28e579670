// Baidu Tieba (百度贴吧): the hot topic list (贴吧热议榜),
// https://tieba.baidu.com/hottopic/browse/topicList. The answer is {"errno":0,"errmsg":"success",
// "data":{"bang_head_pic":"...","bang_topic":{"module_title":"贴吧热议榜","topic_list":[
// {"topic_id":12345,"topic_name":"...","topic_desc":"...","abstract":"...","topic_pic":"...",
// "tag":0|1|2,"discuss_num":123456,"idx_num":1,"create_time":1767200000,"content_num":...,
// "topic_avatar":"...","is_video_topic":"0","topic_url":"http://tieba.baidu.com/hottopic/
// browse/hottopic?topic_id=12345&amp;topic_name=...","topic_default_avatar":"..."}]},
// "manual_topic":{...},"sug_topic":{...},"timestamp":...}}. topic_url arrives HTML-escaped
// ("&amp;") and on http; both are repaired.
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

constexpr char kTopicListUrl[] = "https://tieba.baidu.com/hottopic/browse/topicList";

HttpRequest topics_request(const SourceContext& /*ctx*/) {
  HttpRequest request;
  request.url = kTopicListUrl;
  request.headers = {
      {"User-Agent", std::string(kBrowserUserAgent)},
      {"Accept", "application/json, text/plain, */*"},
      {"Referer", "https://tieba.baidu.com/hottopic/browse/hottopic"},
  };
  return request;
}

std::string repair_url(std::string url) {
  url = trim(url);
  for (std::size_t at = url.find("&amp;"); at != std::string::npos; at = url.find("&amp;", at)) {
    url.replace(at, 5, "&");
    ++at;
  }
  if (url.rfind("http://", 0) == 0) url = "https://" + url.substr(7);
  if (url.rfind("//", 0) == 0) url = "https:" + url;
  return url;
}

Result<std::vector<Item>> parse_topics(const HttpResponse& response, const BoardMeta& meta) {
  MU_ASSIGN_OR_RETURN(JsonDoc doc, JsonDoc::parse(response.body, meta.id));
  const JsonView root = doc.root();
  if (!root.is_object()) {
    return error(ErrorCode::kParse, "expected a JSON object, got " + std::string(root.kind_name()));
  }
  if (auto errno_value = root.integer("errno"); errno_value && *errno_value != 0) {
    const std::string msg = trim(root.string_or("errmsg"));
    return error(ErrorCode::kParse, "API answered errno " + std::to_string(*errno_value) +
                                        (msg.empty() ? "" : ": " + msg));
  }
  MU_ASSIGN_OR_RETURN(JsonView list, root.require_array("data.bang_topic.topic_list"));
  std::vector<Item> items;
  items.reserve(list.size());
  for (const JsonView& topic : list.elements()) {
    if (!topic.is_object()) continue;
    Item item;
    item.key = trim(topic.string_or("topic_id"));
    item.title = topic.string_or("topic_name");
    item.url = repair_url(topic.string_or("topic_url"));
    if (item.url.empty() && !item.key.empty()) {
      item.url = "https://tieba.baidu.com/hottopic/browse/hottopic?topic_id=" + item.key +
                 "&topic_name=" + percent_encode(trim(item.title));
    }
    std::string summary = topic.string_or("abstract");
    if (is_blank(summary)) summary = topic.string_or("topic_desc");
    item.summary = truncate_utf8(collapse_whitespace(summary), 400);
    item.image = repair_url(topic.string_or("topic_pic"));
    if (auto discuss = topic.integer("discuss_num"); discuss && *discuss > 0) {
      item.hot = static_cast<double>(*discuss);
      item.hot_text = std::to_string(*discuss) + " 讨论";
    }
    if (auto created = topic.integer("create_time"); created && *created > 0) {
      item.published_at_ms = *created * 1000;
    }
    if (auto tag = topic.integer("tag"); tag && *tag > 0) {
      item.extra.emplace_back("tag", std::to_string(*tag));
    }
    if (topic.bool_or("is_video_topic", false)) item.extra.emplace_back("video", "1");
    items.push_back(std::move(item));
  }
  if (items.empty()) return error(ErrorCode::kParse, "data.bang_topic.topic_list is empty");
  return items;
}

}  // namespace

Status register_tieba_sources(SourceRegistry& registry) {
  MU_RETURN_IF_ERROR(registry.add_site(Site{
      .id = "tieba",
      .name_zh = "百度贴吧",
      .name_en = "Baidu Tieba",
      .home = "https://tieba.baidu.com",
      .icon = "https://tieba.baidu.com/favicon.ico",
      .color = "#3385ff",
      .region = "cn",
      .category = "community",
  }));

  BoardMeta topics;
  topics.id = "tieba.topics";
  topics.site = "tieba";
  topics.name_zh = "热议榜";
  topics.name_en = "Hot topics";
  topics.kind = BoardKind::kRank;
  topics.schedule.every = std::chrono::minutes(15);
  topics.schedule.jitter = std::chrono::seconds(90);
  topics.schedule.timeout = std::chrono::seconds(15);
  topics.schedule.retries = 1;
  topics.group = "cn";
  topics.homepage = "https://tieba.baidu.com/hottopic/browse/hottopic";
  topics.notes =
      "JSON of tieba.baidu.com/hottopic/browse/topicList (data.bang_topic.topic_list, about 30 "
      "topics, hot = discuss_num). topic_url comes HTML-escaped (&amp;) and on http: repaired "
      "to https. The undocumented tag marker is kept raw in extra. No cookie needed; "
      "browser User-Agent and a tieba Referer.";
  return registry.add(
      std::make_unique<SimpleSource>(std::move(topics), topics_request, parse_topics));
}

}  // namespace mu
