#include "api/handler_util.h"

#include <spdlog/spdlog.h>
#include <boost/json.hpp>

#include <utility>

#include "core/utf8.h"
#include "pipeline/render.h"

namespace mu::handler {
namespace json = boost::json;

Response no_store(Response r) {
  r.set_header("Cache-Control", "no-store");
  return r;
}

Response err(int status, std::string_view code, std::string_view message) {
  return no_store(json_error(status, code, message));
}

Response json_ok(int status, const json::value& v) {
  // Boost.JSON copies string bytes as they are; text read from disk or the network may not
  // be UTF-8. Ill-formed bytes can only sit inside strings, so replacing them keeps the
  // document valid JSON and makes it valid UTF-8.
  std::string body = json::serialize(v);
  if (find_invalid_utf8(body)) body = replace_invalid_utf8(body);
  return no_store(json_response(status, std::move(body)));
}

Response empty(int status) {
  Response r;
  r.status = status;
  return no_store(std::move(r));
}

Response redirect(std::string_view location) {
  Response r;
  r.status = 302;
  r.set_header("Location", location);
  return no_store(std::move(r));
}

Response internal(std::string_view component, std::string_view what, const Status& s) {
  spdlog::warn("{}: {}: {}", component, what, s.to_string());
  return no_store(error_response(s));
}

std::optional<int64_t> parse_int(std::string_view text, int64_t lo, int64_t hi) {
  if (text.empty() || text.size() > 18) return std::nullopt;
  int64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  if (v < lo || v > hi) return std::nullopt;
  return v;
}

std::optional<json::object> parse_object(std::string_view body) {
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec || !v.is_object()) return std::nullopt;
  return std::move(v.as_object());
}

std::optional<std::string> string_member(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (!v || !v->is_string()) return std::nullopt;
  return std::string(v->as_string());
}

bool is_http_url(std::string_view url) {
  auto starts = [&](std::string_view prefix) {
    if (url.size() <= prefix.size()) return false;
    for (std::size_t i = 0; i < prefix.size(); ++i) {
      char c = url[i];
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      if (c != prefix[i]) return false;
    }
    return true;
  };
  for (char c : url) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return false;
  }
  return starts("http://") || starts("https://");
}

json::value time_or_null(int64_t unix_ms) {
  if (unix_ms <= 0) return nullptr;
  return json::value(iso8601_utc(unix_ms));
}

void audit(AccountStore& store, int64_t at_ms, std::string actor, std::string action,
           std::string target, std::string detail) {
  AuditRecord record;
  record.at_ms = at_ms;
  record.actor = std::move(actor);
  record.action = std::move(action);
  record.target = std::move(target);
  record.detail = std::move(detail);
  if (auto appended = store.append_audit(record); !appended.ok()) {
    spdlog::warn("audit: {} {} by {} not recorded: {}", record.action, record.target, record.actor,
                 appended.status().to_string());
  }
}

}  // namespace mu::handler
