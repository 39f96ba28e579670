// Character sets: turning bodies in GBK, GB18030, Big5, Shift_JIS, ISO-8859-1, ... into
// UTF-8 before parsing (JSON and feeds; HtmlDoc handles HTML pages itself). Uses glibc's
// iconv. Pure functions; safe for concurrent use (each call opens its own converter).
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace mu {

// The body's charset: the Content-Type header's charset parameter, else an XML
// declaration's encoding (`<?xml version="1.0" encoding="gb2312"?>`), else a BOM, else
// "UTF-8". Names are returned as given (lower/upper case preserved), "UTF-8" for a BOM.
std::string detect_charset(std::string_view content_type, std::string_view body);

// Converts `body` from `charset` to UTF-8. GB2312 and GBK are read as GB18030 (a superset),
// "latin1"/ISO-8859-1 as Windows-1252 (what servers mean in practice). UTF-8 input is
// returned unchanged (a BOM is stripped). Invalid sequences become U+FFFD. kParse for an
// unknown charset name.
Result<std::string> to_utf8(std::string_view body, std::string_view charset);

// Convenience: detect_charset + to_utf8.
Result<std::string> body_as_utf8(std::string_view content_type, std::string_view body);

}  // namespace mu
