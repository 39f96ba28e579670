// HTTP types shared by the router, the server and the API handlers. Nothing here depends on
// a networking library. It has a parsed Request, a Response whose body can be shared with a
// cache, and helpers that build JSON, text and error responses.
//
// Thread-safety: these are plain values. The server hands a handler a Request that is
// read-only while the handler runs. One thread builds a Response and then gives it to the
// server. A shared body is immutable (`shared_ptr<const std::string>`), so any number of
// responses on any threads may point at the same pre-rendered body and never copy it. A
// Response's event stream is shared with its producer and is itself thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "core/status.h"

namespace mu {

enum class HttpMethod { kGet, kHead, kPost, kPut, kPatch, kDelete, kOptions, kOther };

// "GET", "HEAD", ...; "" for kOther.
std::string_view http_method_name(HttpMethod method);
// Exact, case-sensitive match of a request-method token (RFC 9110 method names are
// case-sensitive); kOther for anything else.
HttpMethod parse_http_method(std::string_view token);

// Standard reason phrase for a status code ("Not Found"); "Unknown" for unlisted codes.
std::string_view http_reason(int status);

// An ordered list of header fields. Name lookups ignore case. Values are stored as given.
class HeaderMap {
 public:
  using Field = std::pair<std::string, std::string>;

  // Value of the first field called `name`, or "" when there is none.
  std::string_view get(std::string_view name) const;
  bool contains(std::string_view name) const;
  // Replaces every field called `name` with a single field.
  void set(std::string_view name, std::string_view value);
  // Appends a field. Use this for headers that may repeat.
  void add(std::string_view name, std::string_view value);
  void remove(std::string_view name);
  void clear() { fields_.clear(); }

  bool empty() const { return fields_.empty(); }
  std::size_t size() const { return fields_.size(); }
  std::vector<Field>::const_iterator begin() const { return fields_.begin(); }
  std::vector<Field>::const_iterator end() const { return fields_.end(); }

 private:
  std::vector<Field> fields_;
};

// One parsed request. The server builds it. The router fills `path_params` before it calls
// the handler.
struct Request {
  HttpMethod method = HttpMethod::kGet;
  std::string method_token = "GET";  // as received, e.g. "PROPFIND" when method is kOther
  int version = 11;                  // 10 for HTTP/1.0, 11 for HTTP/1.1
  std::string target = "/";          // raw request-target: "/api/v1/search?q=%E5%BE%AE"
  std::string raw_path = "/";        // target without the query, still percent-encoded
  std::string path = "/";            // raw_path percent-decoded ("+" stays "+")
  std::string query_string;          // raw text after '?', "" when there is none
  std::vector<std::pair<std::string, std::string>> query_params;  // decoded, in order
  std::vector<std::pair<std::string, std::string>> path_params;   // {name} -> decoded value
  HeaderMap headers;
  std::string body;
  std::string remote_address;  // IP address of the peer: "127.0.0.1", "::1"
  // The client's address: remote_address, or what a trusted proxy's X-Forwarded-For says
  // (http/client_address.h). Set by the server; "" elsewhere (client() falls back).
  std::string client_address;
  // Index of the matched route's pattern in Router::patterns() (set by the router; -1:
  // no route matched), so that metrics name the route, not the path.
  int route = -1;

  // Sets target, raw_path, path, query_string and query_params from a request-target.
  // Accepts origin-form ("/p?q") and absolute-form ("http://h/p?q"). Returns kInvalid for
  // other forms, bad percent-encoding, or an encoded NUL byte.
  Status set_target(std::string_view request_target);

  // Value of the first header called `name` (case-insensitive), or "" when there is none.
  std::string_view header(std::string_view name) const { return headers.get(name); }
  // client_address, or remote_address when it is not set.
  std::string_view client() const {
    return client_address.empty() ? std::string_view(remote_address) : client_address;
  }
  // Decoded value of the first query parameter called `name`. nullopt when it is absent.
  // "?a" and "?a=" both give "".
  std::optional<std::string_view> query(std::string_view name) const;
  // Value of the path parameter `name` ("id" for "/boards/{id}"), or "" when there is none.
  std::string_view param(std::string_view name) const;
};

class EventStream;  // http/event_stream.h

// The kinds of response body. The server and the middleware handle each alternative in a
// std::visit with no default case, so a new kind fails to compile until every place that
// sends a body handles it. A streaming body (Server-Sent Events) is not one of these bytes
// kinds: it is Response::stream, next to an empty `body`, so that everything that looks at
// the bytes (body_view(), gzip, ETag) sees an empty body and only the server streams.
using ResponseBody = std::variant<std::string, std::shared_ptr<const std::string>>;

struct Response {
  int status = 200;
  // Content-Type, Cache-Control, ... The server sets Content-Length, Connection, Date,
  // Server, ETag (from `etag`) and Vary (merged with any given here), and drops those
  // fields when a handler sets them. A handler sets Content-Encoding only for a body that
  // is already encoded; the server then leaves the body alone.
  HeaderMap headers;
  ResponseBody body;  // owned, or shared with a cache and never copied
  // The same body, already gzip-compressed (for example a pre-rendered board). When the
  // client accepts gzip, the server sends this instead of compressing on the fly.
  std::shared_ptr<const std::string> gzip_body;
  // Entity tag: `"v42"` or `W/"v42"`. A bare `v42` is quoted. When it is set, the server
  // sends an ETag header and answers 304 to a matching If-None-Match.
  std::string etag;
  // A streaming response (see http/event_stream.h and event_stream_response()): the server
  // sends the header block with `Transfer-Encoding: chunked` (no Content-Length, never
  // gzip) and `Connection: close`, then writes what the stream yields, a chunk per batch,
  // until the stream closes, the client goes away or the server stops; then it closes the
  // connection. `body`, `gzip_body` and `etag` stay empty. Only GET answers stream: for a
  // HEAD request the server sends the header block and closes the stream at once.
  std::shared_ptr<EventStream> stream;
  // Blocking work, such as an outbound call (the OAuth token exchange, an admin's test
  // fetch): the server runs it on its bounded pool of blocking threads, off the io threads,
  // and sends the Response it returns instead of this one (middleware applies to that one).
  // When the pool's queue is full the client gets 503 with Retry-After. Router::handle()
  // (no server: tests, tools) runs it inline. Made by defer_response().
  std::function<Response()> deferred;

  // The body bytes, whichever kind holds them.
  std::string_view body_view() const;
  std::string_view header(std::string_view name) const { return headers.get(name); }
  Response& set_header(std::string_view name, std::string_view value) {
    headers.set(name, value);
    return *this;
  }
};

inline constexpr std::string_view kJsonContentType = "application/json";
inline constexpr std::string_view kTextContentType = "text/plain; charset=utf-8";

Response json_response(int status, std::string body);
Response json_response(int status, std::shared_ptr<const std::string> body);
Response text_response(int status, std::string body,
                       std::string_view content_type = kTextContentType);
// {"error":{"code":"<code>","message":"<message>"}}. Both strings are escaped as JSON, and
// invalid UTF-8 becomes U+FFFD.
Response json_error(int status, std::string_view code, std::string_view message);
// What an admission hook (ServerOptions::admit: rate limits, quotas) decides for a request
// before it is routed: `refuse` is sent instead of routing (the middleware still applies),
// and `headers` are added to whatever response the request gets (RateLimit-*).
struct Admission {
  std::optional<Response> refuse;
  std::vector<std::pair<std::string, std::string>> headers;
};
using AdmissionHook = std::function<Admission(const Request&)>;

// A response whose real answer is `work()`, run off the io threads (see Response::deferred).
// `work` must own what it needs (capture the Request by value, not by reference).
Response defer_response(std::function<Response()> work);
// json_error with the HTTP status for `status.code()` (see http_status_for) and the code
// name from error_code_name(). Pass a non-ok Status.
Response error_response(const Status& status);
// kInvalid/kConfig 400, kNotFound 404, kConflict/kFenced 409, kTooLarge 413,
// kUnavailable 503, kTimeout 504, kNetwork/kHttp/kBlocked/kParse 502, others 500.
int http_status_for(ErrorCode code);

// Appends `text` to `out` as a quoted JSON string (control characters escaped; invalid
// UTF-8 replaced by U+FFFD).
void append_json_string(std::string& out, std::string_view text);

}  // namespace mu
