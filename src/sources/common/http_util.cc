#include "sources/common/http_util.h"

#include "sources/common/text.h"

namespace mu {

Result<HttpResponse> fetch_ok(const SourceContext& ctx, const HttpRequest& request,
                              std::string_view board_id) {
  const std::string url = request.url;
  auto fetched = ctx.transport.fetch(request);
  if (!fetched.ok()) return fetched.status().with_context(board_id);
  HttpResponse response = std::move(fetched).value();
  if (response.effective_url.empty()) response.effective_url = url;
  if (response.status == 401) {
    return error(ErrorCode::kBlocked, std::string(board_id) + ": HTTP 401 (login required) from " +
                                          response.effective_url);
  }
  Status status = check_http_status(response);
  if (!status.ok()) return status.with_context(board_id);
  if (is_blank(response.body)) {
    return error(ErrorCode::kParse,
                 std::string(board_id) + ": empty body from " + response.effective_url);
  }
  return response;
}

bool is_http_url(std::string_view url) {
  std::size_t rest = 0;
  const std::string head = ascii_lower(url.substr(0, 8));
  if (head.rfind("https://", 0) == 0) {
    rest = 8;
  } else if (head.rfind("http://", 0) == 0) {
    rest = 7;
  } else {
    return false;
  }
  if (rest >= url.size()) return false;
  const char first_host = url[rest];
  if (first_host == '/' || first_host == '?' || first_host == '#' || first_host == ':') {
    return false;
  }
  for (char ch : url) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c == 0x7F) return false;
  }
  return true;
}

std::string percent_encode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size() * 3);
  for (char ch : s) {
    const unsigned char c = static_cast<unsigned char>(ch);
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    }
  }
  return out;
}

const std::string* find_secret(const SourceContext& ctx, std::string_view key) {
  if (ctx.secrets == nullptr) return nullptr;
  auto it = ctx.secrets->find(std::string(key));
  if (it == ctx.secrets->end() || it->second.empty()) return nullptr;
  return &it->second;
}

}  // namespace mu
