#include "sources/cls/cls_sign.h"

#include <algorithm>
#include <memory>

#include "sources/common/digest.h"
#include "sources/common/http_util.h"

namespace mu {

std::string cls_sorted_query(QueryParams params) {
  std::stable_sort(params.begin(), params.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string query;
  for (const auto& [name, value] : params) {
    if (!query.empty()) query += '&';
    query += percent_encode(name);
    query += '=';
    query += percent_encode(value);
  }
  return query;
}

std::string cls_sign(std::string_view sorted_query) { return md5_hex(sha1_hex(sorted_query)); }

std::string cls_signed_query(QueryParams params) {
  std::string query = cls_sorted_query(std::move(params));
  const std::string sign = cls_sign(query);
  return query + "&sign=" + sign;
}

}  // namespace mu
