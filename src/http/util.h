// Small text helpers used inside src/http (header names, percent-decoding, path checks).
// They are not part of the module's interface (hence the http_ prefix rather than a
// nested namespace). Pure functions; safe for concurrent use.
#pragma once

#include <string>
#include <string_view>

namespace mu {

inline char http_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

inline bool http_iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (http_lower(a[i]) != http_lower(b[i])) return false;
  }
  return true;
}

// True when `needle` occurs in `haystack`, ignoring ASCII case.
bool http_icontains(std::string_view haystack, std::string_view needle);

inline std::string_view http_trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Decodes %XX escapes (and '+' as space when `plus_as_space`) into `out`, replacing its
// contents. False on a malformed escape or an encoded NUL byte.
bool http_percent_decode(std::string_view in, bool plus_as_space, std::string& out);

// Percent-encodes every byte outside the RFC 3986 unreserved set (A-Z a-z 0-9 - . _ ~),
// UTF-8 byte by byte ("热 x" -> "%E7%83%AD%20x").
std::string http_percent_encode(std::string_view in);

// True when a decoded path has a "." or ".." segment, a backslash or a NUL byte: paths
// that the server refuses before routing.
bool http_unsafe_path(std::string_view decoded_path);

}  // namespace mu
