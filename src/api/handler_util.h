// Small helpers shared by the account, admin and stats handlers: JSON answers that are
// never cached, request-body parsing and query-number parsing. Pure functions.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"
#include "http/http.h"
#include "store/store.h"

namespace mu::handler {

// Adds Cache-Control: no-store.
Response no_store(Response r);
// {"error":{"code","message"}} with `status`, not cached.
Response err(int status, std::string_view code, std::string_view message);
// `v` serialized with `status`, not cached. Always valid UTF-8: ill-formed bytes in its
// strings become U+FFFD.
Response json_ok(int status, const boost::json::value& v);
// A body-less answer, not cached.
Response empty(int status);
// 302 to `location`, not cached.
Response redirect(std::string_view location);
// Logs "<component>: <what>: <status>" and answers with the status's HTTP code.
Response internal(std::string_view component, std::string_view what, const Status& s);

// A plain decimal in [lo, hi]; nullopt otherwise (signs, spaces, overflow).
std::optional<int64_t> parse_int(std::string_view text, int64_t lo, int64_t hi);
// The body as a JSON object; nullopt when it is not one.
std::optional<boost::json::object> parse_object(std::string_view body);
// The string member `key`; nullopt when absent or not a string.
std::optional<std::string> string_member(const boost::json::object& o, std::string_view key);
// True for an absolute http(s) URL without spaces or control characters.
bool is_http_url(std::string_view url);

// Appends an admin action to the audit log after it was done; a store failure is logged
// (the action stands, so the answer does not turn into an error that invites a retry).
void audit(AccountStore& store, int64_t at_ms, std::string actor, std::string action,
           std::string target, std::string detail = "");

// An ISO 8601 UTC time ("2026-12-06T03:40:00.000Z") for unix milliseconds > 0, else null:
// how bodies write an optional time.
boost::json::value time_or_null(int64_t unix_ms);

}  // namespace mu::handler
