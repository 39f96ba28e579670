#include "http/middleware.h"

#include <charconv>
#include <chrono>
#include <utility>

#include "core/compress.h"
#include "http/util.h"

namespace mu {
namespace {

// Header fields that the server owns; whatever a handler puts there is dropped.
bool server_owned_header(std::string_view name) {
  return http_iequals(name, "Content-Length") || http_iequals(name, "Transfer-Encoding") ||
         http_iequals(name, "Connection") || http_iequals(name, "Keep-Alive") ||
         http_iequals(name, "Date") || http_iequals(name, "Server") || http_iequals(name, "Vary") ||
         http_iequals(name, "ETag");
}

bool is_token_char(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
      return true;
    default:
      return false;
  }
}

// A field a handler may send: a token name and a value without CR, LF or NUL (which would
// let a value smuggle extra header lines into the response).
bool valid_field(std::string_view name, std::string_view value) {
  if (name.empty()) return false;
  for (char c : name) {
    if (!is_token_char(c)) return false;
  }
  return value.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

// Strips W/ and returns the quoted opaque-tag.
std::string_view opaque_tag(std::string_view etag) {
  if (etag.starts_with("W/")) etag.remove_prefix(2);
  return etag;
}

bool origin_allowed(std::string_view origin, const MiddlewareOptions& options) {
  if (origin.empty()) return false;
  for (const std::string& allowed : options.cors_origins) {
    if (allowed == origin) return true;
  }
  return false;
}

// Adds the comma-separated tokens of `list` to `vary`, skipping ones already present.
void merge_vary(std::string& vary, std::string_view list) {
  std::size_t start = 0;
  while (start < list.size()) {
    std::size_t end = list.find(',', start);
    if (end == std::string_view::npos) end = list.size();
    const std::string_view token = http_trim(list.substr(start, end - start));
    start = end + 1;
    if (token.empty()) continue;
    bool present = false;
    std::size_t p = 0;
    while (p < vary.size() && !present) {
      std::size_t e = vary.find(',', p);
      if (e == std::string::npos) e = vary.size();
      present = http_iequals(http_trim(std::string_view(vary).substr(p, e - p)), token);
      p = e + 1;
    }
    if (present) continue;
    if (!vary.empty()) vary += ", ";
    vary += token;
  }
}

void append_field(std::string& head, std::string_view name, std::string_view value) {
  head += name;
  head += ": ";
  head += value;
  head += "\r\n";
}

void append_number(std::string& head, uint64_t n) {
  char buf[24];
  const auto res = std::to_chars(buf, buf + sizeof buf, n);
  head.append(buf, res.ptr);
}

}  // namespace

bool etag_matches(std::string_view if_none_match, std::string_view etag) {
  const std::string_view want = opaque_tag(etag);
  if (want.empty()) return false;
  std::string_view s = if_none_match;
  if (http_trim(s) == "*") return true;
  while (true) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == ',')) {
      s.remove_prefix(1);
    }
    if (s.empty()) return false;
    if (s.starts_with("W/")) s.remove_prefix(2);
    if (s.empty() || s.front() != '"') return false;  // malformed list
    const std::size_t close = s.find('"', 1);
    if (close == std::string_view::npos) return false;
    if (s.substr(0, close + 1) == want) return true;
    s.remove_prefix(close + 1);
  }
}

bool accepts_gzip(std::string_view accept_encoding) {
  std::optional<bool> gzip;
  std::optional<bool> star;
  std::size_t start = 0;
  while (start < accept_encoding.size()) {
    std::size_t end = accept_encoding.find(',', start);
    if (end == std::string_view::npos) end = accept_encoding.size();
    std::string_view item = accept_encoding.substr(start, end - start);
    start = end + 1;
    const std::size_t semi = item.find(';');
    const std::string_view coding = http_trim(item.substr(0, semi));
    // q > 0 unless a q parameter has only zero digits ("q=0", "q=0.000").
    bool positive = true;
    if (semi != std::string_view::npos) {
      std::string_view params = item.substr(semi + 1);
      while (!params.empty()) {
        const std::size_t next = params.find(';');
        const std::string_view param = http_trim(params.substr(0, next));
        params = next == std::string_view::npos ? std::string_view() : params.substr(next + 1);
        if (param.size() < 2 || http_lower(param[0]) != 'q') continue;
        std::string_view value = http_trim(param.substr(1));
        if (value.empty() || value.front() != '=') continue;
        value = http_trim(value.substr(1));
        positive = false;
        for (char c : value) {
          if (c >= '1' && c <= '9') positive = true;
        }
      }
    }
    if (http_iequals(coding, "gzip") || http_iequals(coding, "x-gzip")) {
      gzip = gzip.value_or(false) || positive;
    } else if (coding == "*") {
      star = star.value_or(false) || positive;
    }
  }
  if (gzip) return *gzip;
  return star.value_or(false);
}

bool is_compressible(std::string_view content_type) {
  const std::string_view type = http_trim(content_type.substr(0, content_type.find(';')));
  if (type.size() >= 5 && http_iequals(type.substr(0, 5), "text/")) return true;
  return http_icontains(type, "json") || http_icontains(type, "javascript") ||
         http_icontains(type, "xml") || http_icontains(type, "svg") ||
         http_icontains(type, "ecmascript");
}

std::string normalize_etag(std::string_view etag) {
  if (etag.empty() || etag.front() == '"' || etag.starts_with("W/\"")) return std::string(etag);
  std::string out;
  out.reserve(etag.size() + 2);
  out += '"';
  for (char c : etag) {
    if (c != '"' && static_cast<unsigned char>(c) > 0x20 && c != 0x7f) out += c;
  }
  out += '"';
  return out;
}

std::optional<Response> cors_preflight(const Request& request, const MiddlewareOptions& options) {
  if (options.cors_origins.empty() || request.method != HttpMethod::kOptions) return std::nullopt;
  const std::string_view origin = request.header("Origin");
  const std::string_view method = request.header("Access-Control-Request-Method");
  if (origin.empty() || method.empty()) return std::nullopt;
  if (!origin_allowed(origin, options)) {
    return json_error(403, "forbidden", "origin not allowed");
  }
  Response r;
  r.status = 204;
  r.headers.set("Access-Control-Allow-Methods", "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS");
  std::string_view requested = request.header("Access-Control-Request-Headers");
  std::string allowed;
  for (char c : requested) {
    if (is_token_char(c) || c == ',' || c == ' ') allowed += c;
  }
  if (!allowed.empty()) r.headers.set("Access-Control-Allow-Headers", allowed);
  r.headers.set("Access-Control-Max-Age", "600");
  r.headers.set("Vary", "Access-Control-Request-Method, Access-Control-Request-Headers");
  return r;
}

std::string_view finish_response(const Request& request, Response& response,
                                 const MiddlewareOptions& options, std::string_view date,
                                 bool keep_alive, std::string& head) {
  std::string vary;
  for (const auto& [name, value] : response.headers) {
    if (http_iequals(name, "Vary")) merge_vary(vary, value);
  }
  if (response.etag.empty()) {
    response.etag = normalize_etag(response.headers.get("ETag"));
  } else if (response.etag.front() != '"' && !response.etag.starts_with("W/\"")) {
    response.etag = normalize_etag(response.etag);
  }

  const int status = response.status;
  const bool bodiless_status = status < 200 || status == 204 || status == 304;
  const bool handler_coded = response.headers.contains("Content-Encoding");
  const std::string_view content_type = response.headers.get("Content-Type");
  const bool html = http_icontains(content_type.substr(0, content_type.find(';')), "text/html");
  const bool compressible = !bodiless_status && !handler_coded &&
                            (response.gzip_body != nullptr || is_compressible(content_type));
  const std::size_t identity_size = response.body_view().size();
  const bool gzip_ok = compressible && accepts_gzip(request.header("Accept-Encoding")) &&
                       (response.gzip_body != nullptr || identity_size >= options.gzip_min_size);
  if (compressible) merge_vary(vary, "Accept-Encoding");

  bool gzipped = false;
  const bool conditional =
      !response.etag.empty() && status == 200 &&
      (request.method == HttpMethod::kGet || request.method == HttpMethod::kHead) &&
      etag_matches(request.header("If-None-Match"), response.etag);
  if (conditional) {
    response.status = 304;
    response.body = std::string();
    response.gzip_body.reset();
    response.headers.remove("Content-Type");  // `content_type` dangles from here on
    if (gzip_ok && !response.etag.starts_with("W/")) response.etag.insert(0, "W/");
  } else if (gzip_ok) {
    if (response.gzip_body) {
      response.body = response.gzip_body;
      gzipped = true;
    } else {
      std::string compressed = gzip_compress(response.body_view(), options.gzip_level);
      if (!compressed.empty() && compressed.size() < identity_size) {
        response.body = std::move(compressed);
        gzipped = true;
      }
    }
    // Each coding is its own representation: the gzip one carries a weak tag, which still
    // matches the identity tag under the weak comparison that If-None-Match uses.
    if (gzipped && !response.etag.empty() && !response.etag.starts_with("W/")) {
      response.etag.insert(0, "W/");
    }
  }

  const bool cors = !options.cors_origins.empty();
  const std::string_view origin = request.header("Origin");
  const bool cors_allowed = cors && origin_allowed(origin, options);
  if (cors) merge_vary(vary, "Origin");

  head.clear();
  head += "HTTP/1.1 ";
  append_number(head, static_cast<uint64_t>(response.status));
  head += ' ';
  head += http_reason(response.status);
  head += "\r\n";
  append_field(head, "Date", date);
  append_field(head, "Server", "mu");
  for (const auto& [name, value] : response.headers) {
    if (server_owned_header(name) || !valid_field(name, value)) continue;
    append_field(head, name, value);
  }
  if (!response.etag.empty() && valid_field("ETag", response.etag)) {
    append_field(head, "ETag", response.etag);
  }
  if (gzipped) append_field(head, "Content-Encoding", "gzip");
  if (!vary.empty() && valid_field("Vary", vary)) append_field(head, "Vary", vary);
  if (cors_allowed) {
    append_field(head, "Access-Control-Allow-Origin", origin);
    append_field(head, "Access-Control-Allow-Credentials", "true");
    // Scripts of other origins may read the quota headers (api/quota.h), as same-origin ones do.
    append_field(head, "Access-Control-Expose-Headers",
                 "RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, RateLimit-Policy, "
                 "Retry-After, ETag");
  }
  if (!response.headers.contains("X-Content-Type-Options")) {
    append_field(head, "X-Content-Type-Options", "nosniff");
  }
  if (!response.headers.contains("Referrer-Policy")) {
    append_field(head, "Referrer-Policy", "strict-origin-when-cross-origin");
  }
  if (!response.headers.contains("X-Frame-Options")) {
    append_field(head, "X-Frame-Options", "DENY");
  }
  if (html && !options.content_security_policy.empty() &&
      !response.headers.contains("Content-Security-Policy")) {
    append_field(head, "Content-Security-Policy", options.content_security_policy);
  }
  const std::string_view body = response.body_view();
  const bool no_length = response.status < 200 || response.status == 204 || response.status == 304;
  if (!no_length) {
    head += "Content-Length: ";
    append_number(head, body.size());
    head += "\r\n";
  }
  if (!keep_alive) {
    append_field(head, "Connection", "close");
  } else if (request.version == 10) {
    append_field(head, "Connection", "keep-alive");
  }
  head += "\r\n";
  if (no_length || request.method == HttpMethod::kHead) return {};
  return body;
}

std::string http_date(int64_t unix_seconds) {
  using namespace std::chrono;
  static constexpr std::string_view kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr std::string_view kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const sys_seconds t{seconds(unix_seconds)};
  const sys_days day = floor<days>(t);
  const year_month_day ymd(day);
  const hh_mm_ss hms(t - day);
  const weekday wd(day);
  char buf[64];
  const int y = static_cast<int>(ymd.year());
  const unsigned m = static_cast<unsigned>(ymd.month());
  const unsigned d = static_cast<unsigned>(ymd.day());
  auto two = [&](char* p, unsigned v) {
    p[0] = static_cast<char>('0' + v / 10);
    p[1] = static_cast<char>('0' + v % 10);
  };
  std::string out;
  out.reserve(29);
  out += kDays[wd.c_encoding()];
  out += ", ";
  two(buf, d);
  out.append(buf, 2);
  out += ' ';
  out += kMonths[m - 1];
  out += ' ';
  const auto res = std::to_chars(buf, buf + sizeof buf, y);
  out.append(buf, res.ptr);
  out += ' ';
  two(buf, static_cast<unsigned>(hms.hours().count()));
  out.append(buf, 2);
  out += ':';
  two(buf, static_cast<unsigned>(hms.minutes().count()));
  out.append(buf, 2);
  out += ':';
  two(buf, static_cast<unsigned>(hms.seconds().count()));
  out.append(buf, 2);
  out += " GMT";
  return out;
}

}  // namespace mu
