// The `sign` query parameter that www.cls.cn (财联社) requires on its web APIs: the request's
// parameters sorted by name and joined as a query string ("appName=CailianpressWeb&os=web&
// sv=7.7.5"), hashed with SHA-1, and the lower-case hex digest of that hashed again with MD5:
//   sign = hex(md5(hex(sha1(sorted_query))))
// The site's web client computes the same in the browser (URLSearchParams.sort(), then
// SHA-1 and MD5). Pure functions; safe for concurrent use.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mu {

using QueryParams = std::vector<std::pair<std::string, std::string>>;

// `params` sorted by name (stable: equal names keep their order), each name and value
// percent-encoded (RFC 3986 unreserved characters kept), joined with '&'.
std::string cls_sorted_query(QueryParams params);

// hex(md5(hex(sha1(sorted_query)))).
std::string cls_sign(std::string_view sorted_query);

// cls_sorted_query(params) + "&sign=" + its sign: the complete query string of a request.
std::string cls_signed_query(QueryParams params);

}  // namespace mu
