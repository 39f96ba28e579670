#include "http/http.h"

#include <array>

#include "core/utf8.h"
#include "http/util.h"

namespace mu {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

bool http_icontains(std::string_view haystack, std::string_view needle) {
  if (needle.empty()) return true;
  if (haystack.size() < needle.size()) return false;
  for (std::size_t i = 0; i + needle.size() <= haystack.size(); ++i) {
    if (http_iequals(haystack.substr(i, needle.size()), needle)) return true;
  }
  return false;
}

std::string http_percent_encode(std::string_view in) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(in.size());
  for (char ch : in) {
    const auto c = static_cast<unsigned char>(ch);
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    }
  }
  return out;
}

bool http_percent_decode(std::string_view in, bool plus_as_space, std::string& out) {
  out.clear();
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return false;
      const int hi = hex_value(in[i + 1]);
      const int lo = hex_value(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      const char decoded = static_cast<char>(hi * 16 + lo);
      if (decoded == '\0') return false;
      out.push_back(decoded);
      i += 2;
    } else if (c == '+' && plus_as_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return true;
}

bool http_unsafe_path(std::string_view path) {
  if (path.find('\0') != std::string_view::npos) return true;
  if (path.find('\\') != std::string_view::npos) return true;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    const std::string_view segment = path.substr(start, end - start);
    if (segment == "." || segment == "..") return true;
    start = end + 1;
  }
  return false;
}

std::string_view http_method_name(HttpMethod method) {
  switch (method) {
    case HttpMethod::kGet:
      return "GET";
    case HttpMethod::kHead:
      return "HEAD";
    case HttpMethod::kPost:
      return "POST";
    case HttpMethod::kPut:
      return "PUT";
    case HttpMethod::kPatch:
      return "PATCH";
    case HttpMethod::kDelete:
      return "DELETE";
    case HttpMethod::kOptions:
      return "OPTIONS";
    case HttpMethod::kOther:
      return "";
  }
  return "";
}

HttpMethod parse_http_method(std::string_view token) {
  static constexpr std::array kKnown = {
      HttpMethod::kGet,   HttpMethod::kHead,   HttpMethod::kPost,   HttpMethod::kPut,
      HttpMethod::kPatch, HttpMethod::kDelete, HttpMethod::kOptions};
  for (HttpMethod m : kKnown) {
    if (http_method_name(m) == token) return m;
  }
  return HttpMethod::kOther;
}

std::string_view http_reason(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 101:
      return "Switching Protocols";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 206:
      return "Partial Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 303:
      return "See Other";
    case 304:
      return "Not Modified";
    case 307:
      return "Temporary Redirect";
    case 308:
      return "Permanent Redirect";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 406:
      return "Not Acceptable";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 411:
      return "Length Required";
    case 412:
      return "Precondition Failed";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 415:
      return "Unsupported Media Type";
    case 417:
      return "Expectation Failed";
    case 422:
      return "Unprocessable Content";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Unknown";
  }
}

// --- HeaderMap ---

std::string_view HeaderMap::get(std::string_view name) const {
  for (const auto& [n, v] : fields_) {
    if (http_iequals(n, name)) return v;
  }
  return {};
}

bool HeaderMap::contains(std::string_view name) const {
  for (const auto& field : fields_) {
    if (http_iequals(field.first, name)) return true;
  }
  return false;
}

void HeaderMap::set(std::string_view name, std::string_view value) {
  bool replaced = false;
  for (auto it = fields_.begin(); it != fields_.end();) {
    if (!http_iequals(it->first, name)) {
      ++it;
    } else if (!replaced) {
      it->second.assign(value);
      replaced = true;
      ++it;
    } else {
      it = fields_.erase(it);
    }
  }
  if (!replaced) add(name, value);
}

void HeaderMap::add(std::string_view name, std::string_view value) {
  fields_.emplace_back(std::string(name), std::string(value));
}

void HeaderMap::remove(std::string_view name) {
  std::erase_if(fields_, [&](const Field& f) { return http_iequals(f.first, name); });
}

// --- Request ---

Status Request::set_target(std::string_view request_target) {
  target.assign(request_target);
  std::string_view t = request_target;
  bool absolute_form = false;
  if (t.starts_with("http://") || t.starts_with("https://")) {
    absolute_form = true;
    const std::size_t rest = t.find_first_of("/?#", t.find("://") + 3);
    t = rest == std::string_view::npos ? std::string_view() : t.substr(rest);
  }
  if (const std::size_t hash = t.find('#'); hash != std::string_view::npos) t = t.substr(0, hash);
  const std::size_t q = t.find('?');
  std::string_view p = t.substr(0, q);
  const std::string_view raw_query = q == std::string_view::npos ? "" : t.substr(q + 1);
  if (p.empty() && absolute_form) p = "/";
  if (p.empty() || p.front() != '/') {
    return error(ErrorCode::kInvalid, "request-target must be an absolute path");
  }
  raw_path.assign(p);
  if (!http_percent_decode(p, /*plus_as_space=*/false, path)) {
    return error(ErrorCode::kInvalid, "bad percent-encoding in the path");
  }
  query_string.assign(raw_query);
  query_params.clear();
  std::size_t start = 0;
  while (start < raw_query.size()) {
    std::size_t end = raw_query.find('&', start);
    if (end == std::string_view::npos) end = raw_query.size();
    const std::string_view pair = raw_query.substr(start, end - start);
    start = end + 1;
    if (pair.empty()) continue;
    const std::size_t eq = pair.find('=');
    const std::string_view value = eq == std::string_view::npos ? "" : pair.substr(eq + 1);
    auto& [n, v] = query_params.emplace_back();
    if (!http_percent_decode(pair.substr(0, eq), /*plus_as_space=*/true, n) ||
        !http_percent_decode(value, /*plus_as_space=*/true, v)) {
      return error(ErrorCode::kInvalid, "bad percent-encoding in the query");
    }
  }
  return ok_status();
}

std::optional<std::string_view> Request::query(std::string_view name) const {
  for (const auto& [n, v] : query_params) {
    if (n == name) return std::string_view(v);
  }
  return std::nullopt;
}

std::string_view Request::param(std::string_view name) const {
  for (const auto& [n, v] : path_params) {
    if (n == name) return v;
  }
  return {};
}

// --- Response ---

std::string_view Response::body_view() const {
  struct Visitor {
    std::string_view operator()(const std::string& s) const { return s; }
    std::string_view operator()(const std::shared_ptr<const std::string>& s) const {
      return s ? std::string_view(*s) : std::string_view();
    }
  };
  return std::visit(Visitor{}, body);
}

Response json_response(int status, std::string body) {
  Response r;
  r.status = status;
  r.headers.set("Content-Type", kJsonContentType);
  r.body = std::move(body);
  return r;
}

Response json_response(int status, std::shared_ptr<const std::string> body) {
  Response r;
  r.status = status;
  r.headers.set("Content-Type", kJsonContentType);
  r.body = std::move(body);
  return r;
}

Response text_response(int status, std::string body, std::string_view content_type) {
  Response r;
  r.status = status;
  r.headers.set("Content-Type", content_type);
  r.body = std::move(body);
  return r;
}

void append_json_string(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      const std::size_t len = utf8_sequence_length(text.substr(i));
      if (len == 0) {
        out += "\\ufffd";
        ++i;
      } else {
        out.append(text.substr(i, len));
        i += len;
      }
      continue;
    }
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out.push_back(kHex[c >> 4]);
          out.push_back(kHex[c & 0xF]);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
    ++i;
  }
  out.push_back('"');
}

Response defer_response(std::function<Response()> work) {
  Response r;
  r.deferred = std::move(work);
  return r;
}

Response json_error(int status, std::string_view code, std::string_view message) {
  std::string body;
  body.reserve(40 + code.size() + message.size());
  body += R"({"error":{"code":)";
  append_json_string(body, code);
  body += R"(,"message":)";
  append_json_string(body, message);
  body += "}}";
  return json_response(status, std::move(body));
}

int http_status_for(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalid:
    case ErrorCode::kConfig:
      return 400;
    case ErrorCode::kNotFound:
      return 404;
    case ErrorCode::kConflict:
    case ErrorCode::kFenced:
      return 409;
    case ErrorCode::kTooLarge:
      return 413;
    case ErrorCode::kUnavailable:
      return 503;
    case ErrorCode::kTimeout:
      return 504;
    case ErrorCode::kNetwork:
    case ErrorCode::kHttp:
    case ErrorCode::kBlocked:
    case ErrorCode::kParse:
      return 502;
    case ErrorCode::kOk:
    case ErrorCode::kInternal:
      return 500;
  }
  return 500;
}

Response error_response(const Status& status) {
  return json_error(http_status_for(status.code()), error_code_name(status.code()),
                    status.message());
}

}  // namespace mu
