#include "sources/common/charset.h"

#include <iconv.h>

#include <cerrno>
#include <memory>

#include "sources/common/html.h"
#include "sources/common/text.h"

namespace mu {
namespace {

struct IconvCloser {
  void operator()(void* cd) const { iconv_close(static_cast<iconv_t>(cd)); }
};

std::string canonical(std::string_view name) {
  std::string n = ascii_lower(trim(name));
  if (n == "gb2312" || n == "gbk" || n == "x-gbk" || n == "cp936" || n == "gb_2312-80") {
    return "GB18030";
  }
  if (n == "latin1" || n == "iso-8859-1" || n == "iso8859-1" || n == "us-ascii" || n == "ascii") {
    return "WINDOWS-1252";
  }
  if (n == "utf8") return "UTF-8";
  return n;
}

bool is_utf8_name(std::string_view canon) { return canon == "utf-8" || canon == "UTF-8"; }

}  // namespace

std::string detect_charset(std::string_view content_type, std::string_view body) {
  std::string from_header = charset_from_content_type(content_type);
  if (!from_header.empty()) return from_header;
  if (body.substr(0, 3) == "\xEF\xBB\xBF") return "UTF-8";
  if (body.substr(0, 5) == "<?xml") {
    std::string_view decl = body.substr(0, body.find("?>"));
    auto pos = decl.find("encoding");
    if (pos != std::string_view::npos) {
      auto q = decl.find_first_of("\"'", pos);
      if (q != std::string_view::npos) {
        auto end = decl.find(decl[q], q + 1);
        if (end != std::string_view::npos) return std::string(decl.substr(q + 1, end - q - 1));
      }
    }
  }
  return "UTF-8";
}

Result<std::string> to_utf8(std::string_view body, std::string_view charset) {
  const std::string canon = canonical(charset);
  if (is_utf8_name(canon)) {
    if (body.substr(0, 3) == "\xEF\xBB\xBF") body.remove_prefix(3);
    return std::string(body);
  }
  iconv_t cd = iconv_open("UTF-8", canon.c_str());
  if (cd == reinterpret_cast<iconv_t>(-1)) {
    return error(ErrorCode::kParse, "unknown charset \"" + std::string(charset) + "\"");
  }
  std::unique_ptr<void, IconvCloser> guard(cd);
  std::string out;
  out.reserve(body.size() * 3 / 2 + 16);
  char* in = const_cast<char*>(body.data());
  size_t in_left = body.size();
  char buf[8192];
  while (in_left > 0) {
    char* o = buf;
    size_t o_left = sizeof buf;
    size_t rc = iconv(cd, &in, &in_left, &o, &o_left);
    out.append(buf, sizeof buf - o_left);
    if (rc == static_cast<size_t>(-1)) {
      if (errno == E2BIG) continue;
      // EILSEQ or EINVAL (truncated sequence at the end): emit U+FFFD, skip one byte.
      out += "\xEF\xBF\xBD";
      ++in;
      --in_left;
    }
  }
  char* o = buf;
  size_t o_left = sizeof buf;
  iconv(cd, nullptr, nullptr, &o, &o_left);  // flush shift state
  out.append(buf, sizeof buf - o_left);
  return out;
}

Result<std::string> body_as_utf8(std::string_view content_type, std::string_view body) {
  return to_utf8(body, detect_charset(content_type, body));
}

}  // namespace mu
