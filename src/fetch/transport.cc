#include "fetch/transport.h"

#include <algorithm>
#include <cctype>

namespace mu {

std::string_view find_header(const Headers& headers, std::string_view name) {
  for (const auto& [k, v] : headers) {
    if (k.size() == name.size() &&
        std::equal(k.begin(), k.end(), name.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) ==
                 std::tolower(static_cast<unsigned char>(b));
        })) {
      return v;
    }
  }
  return {};
}

Status check_http_status(const HttpResponse& response) {
  const int s = response.status;
  if (s >= 200 && s < 300) return ok_status();
  std::string msg = "HTTP " + std::to_string(s);
  if (!response.effective_url.empty()) msg += " from " + response.effective_url;
  if (s == 403 || s == 412 || s == 418) {
    return error(ErrorCode::kBlocked, msg);
  }
  return error(ErrorCode::kHttp, msg);
}

}  // namespace mu
