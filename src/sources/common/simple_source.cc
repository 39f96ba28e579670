#include "sources/common/simple_source.h"

#include <chrono>
#include <string>
#include <unordered_set>

#include "sources/common/http_util.h"
#include "sources/common/text.h"

namespace mu {

Result<std::vector<Item>> SimpleSource::collect(const SourceContext& ctx) const {
  HttpRequest request = request_(ctx);
  request.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(meta_.schedule.timeout);
  MU_ASSIGN_OR_RETURN(HttpResponse response, fetch_ok(ctx, request, meta_.id));
  auto parsed = parse_(response, meta_);
  if (!parsed.ok()) {
    const Status& st = parsed.status();
    const std::string prefix = meta_.id + ": ";
    if (st.message().rfind(prefix, 0) == 0) return st;
    return st.with_context(meta_.id);
  }
  return finish_items(std::move(parsed).value(), meta_.id);
}

Result<std::vector<Item>> finish_items(std::vector<Item> items, std::string_view board_id) {
  std::vector<Item> out;
  out.reserve(items.size());
  std::unordered_set<std::string> keys;
  std::size_t bad_url = 0, no_title = 0, duplicate = 0;
  auto clean = [](std::string& s) { s = collapse_whitespace(to_valid_utf8(s)); };
  for (Item& item : items) {
    clean(item.title);
    clean(item.summary);
    clean(item.hot_text);
    clean(item.label);
    clean(item.author);
    clean(item.key);
    item.url = trim(item.url);
    item.mobile_url = trim(item.mobile_url);
    item.image = trim(item.image);
    for (auto& [k, v] : item.extra) {
      clean(k);
      clean(v);
    }
    if (!is_http_url(item.url)) {
      ++bad_url;
      continue;
    }
    if (item.title.empty()) {
      ++no_title;
      continue;
    }
    if (!item.mobile_url.empty() && !is_http_url(item.mobile_url)) item.mobile_url.clear();
    if (!item.image.empty() && !is_http_url(item.image)) item.image.clear();
    if (item.key.empty()) item.key = item.url;
    if (!keys.insert(item.key).second) {
      ++duplicate;
      continue;
    }
    out.push_back(std::move(item));
  }
  if (out.empty()) {
    return error(ErrorCode::kParse, std::string(board_id) + ": no usable items (" +
                                        std::to_string(items.size()) + " parsed; dropped " +
                                        std::to_string(bad_url) + " without an http(s) URL, " +
                                        std::to_string(no_title) + " without a title, " +
                                        std::to_string(duplicate) + " duplicate keys)");
  }
  return out;
}

}  // namespace mu
