// Small byte-level text helpers shared by every module: ASCII case folding, base64 (RFC 4648
// section 4, with '=' padding: MIME bodies, signatures of chat bots and site APIs),
// lower-case hex and HTML escaping. Pure functions; safe from any thread.
#pragma once

#include <string>
#include <string_view>

namespace mu {

// ASCII letters lower-cased; every other byte (UTF-8 included) unchanged.
std::string ascii_lower(std::string_view s);

// RFC 4648 section 4 base64 with '=' padding.
std::string base64_encode(std::string_view data);

// Lower-case hex of raw bytes ("\x01\xab" -> "01ab").
std::string hex_encode(std::string_view bytes);

// Text for HTML content and double- or single-quoted attribute values: & < > " ' escaped.
std::string html_escape(std::string_view text);

}  // namespace mu
