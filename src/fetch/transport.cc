#include "fetch/transport.h"

#include <algorithm>
#include <cctype>

namespace mu {

std::string_view find_header(const Headers& headers, std::string_view name) {
  for (const auto& [k, v] : headers) {
    if (k.size() == name.size() && std::equal(k.begin(), k.end(), name.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) ==
                 std::tolower(static_cast<unsigned char>(b));
        })) {
      return v;
    }
  }
  return {};
}

std::string redact_url(std::string_view url) {
  url = url.substr(0, url.find_first_of("?#"));
  std::string out;
  const std::size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) {
    out = std::string(url);
  } else {
    const std::size_t auth_start = scheme_end + 3;
    const std::size_t auth_end = std::min(url.find('/', auth_start), url.size());
    const std::size_t at = url.substr(auth_start, auth_end - auth_start).rfind('@');
    out = at == std::string_view::npos ? std::string(url)
                                       : std::string(url.substr(0, auth_start)) +
                                             std::string(url.substr(auth_start + at + 1));
  }
  constexpr std::size_t kMax = 256;
  if (out.size() > kMax) {
    out.resize(kMax);
    out += "...";
  }
  return out;
}

Status check_http_status(const HttpResponse& response) {
  const int s = response.status;
  if (s >= 200 && s < 300) return ok_status();
  std::string msg = "HTTP " + std::to_string(s);
  if (!response.effective_url.empty()) msg += " from " + redact_url(response.effective_url);
  if (s == 403 || s == 412 || s == 418) {
    return error(ErrorCode::kBlocked, msg).with_http(s);
  }
  return error(ErrorCode::kHttp, msg)
      .with_http(s, parse_retry_after(response.header("Retry-After")));
}

std::chrono::milliseconds parse_retry_after(std::string_view value) {
  // Only the delay-seconds form; an HTTP-date is rare from the sites Mu reads and is
  // treated as absent (the scheduler's own backoff applies).
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  if (value.empty() || value.size() > 9) return std::chrono::milliseconds(0);
  int64_t seconds = 0;
  for (char c : value) {
    if (c < '0' || c > '9') return std::chrono::milliseconds(0);
    seconds = seconds * 10 + (c - '0');
  }
  return std::chrono::seconds(seconds);
}

}  // namespace mu
