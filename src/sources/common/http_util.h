// HTTP helpers for sources: fetch with the checks every board needs (status, empty body,
// board id in the error), URL predicates and encoding, and a browser User-Agent for sites
// that turn away unknown clients. Stateless; safe for concurrent use.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"
#include "fetch/transport.h"
#include "sources/source.h"

namespace mu {

// A current desktop Chrome on Windows, for sites that block unknown agents.
inline constexpr std::string_view kBrowserUserAgent =
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36";

// Mu's own agent, for sites that welcome honest bots (Hacker News, V2EX's API).
inline constexpr std::string_view kMuUserAgent = "Mu/0.1 (hot-list aggregator)";

// Fetches `request` through ctx.transport and requires a usable answer: transport errors
// pass through, 401 is kBlocked (a login wall), other non-2xx statuses map through
// check_http_status (403/412/418 -> kBlocked, the rest -> kHttp), and an empty or
// whitespace-only body is kParse. Every error message starts with "<board_id>: ".
Result<HttpResponse> fetch_ok(const SourceContext& ctx, const HttpRequest& request,
                              std::string_view board_id);

// True for an absolute http:// or https:// URL with a host and no whitespace or control
// characters (scheme compared case-insensitively).
bool is_http_url(std::string_view url);

// RFC 3986 percent-encoding of every byte except the unreserved A-Z a-z 0-9 - . _ ~
// (UTF-8 text is encoded byte by byte: "#热搜#" -> "%23%E7%83%AD%E6%90%9C%23").
std::string percent_encode(std::string_view s);

// The secret named `key` from ctx.secrets ("zhihu.cookie"), or nullptr.
const std::string* find_secret(const SourceContext& ctx, std::string_view key);

}  // namespace mu
