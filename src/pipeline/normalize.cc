#include "pipeline/normalize.h"

#include <boost/url/parse.hpp>

#include <cstdint>
#include <unordered_set>

namespace mu {
namespace {

// Decodes one UTF-8 code point at s[i]; returns its length or 0 when invalid.
std::size_t utf8_length(std::string_view s, std::size_t i, uint32_t* cp) {
  const auto c = static_cast<unsigned char>(s[i]);
  std::size_t len = 0;
  uint32_t v = 0;
  if (c < 0x80) {
    *cp = c;
    return 1;
  } else if ((c & 0xE0) == 0xC0) {
    len = 2;
    v = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    len = 3;
    v = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    len = 4;
    v = c & 0x07;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  for (std::size_t k = 1; k < len; ++k) {
    const auto cc = static_cast<unsigned char>(s[i + k]);
    if ((cc & 0xC0) != 0x80) return 0;
    v = (v << 6) | (cc & 0x3F);
  }
  // Reject overlong forms, surrogates and out-of-range values.
  if ((len == 2 && v < 0x80) || (len == 3 && v < 0x800) || (len == 4 && v < 0x10000) ||
      (v >= 0xD800 && v <= 0xDFFF) || v > 0x10FFFF) {
    return 0;
  }
  *cp = v;
  return len;
}

bool is_space_cp(uint32_t cp) {
  return cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || cp == '\f' || cp == '\v' ||
         cp == 0xA0 || cp == 0x3000 || cp == 0x2028 || cp == 0x2029 || cp == 0xFEFF ||
         (cp >= 0x2000 && cp <= 0x200B);
}

bool is_control_cp(uint32_t cp) { return cp < 0x20 || (cp >= 0x7F && cp < 0xA0); }

std::string lower_ascii(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

}  // namespace

std::string clean_text(std::string_view text, std::size_t max_bytes) {
  std::string out;
  out.reserve(std::min(text.size(), max_bytes));
  bool pending_space = false;
  for (std::size_t i = 0; i < text.size();) {
    uint32_t cp = 0;
    std::size_t len = utf8_length(text, i, &cp);
    std::string_view piece;
    static constexpr std::string_view kReplacement = "\xEF\xBF\xBD";
    if (len == 0) {
      piece = kReplacement;
      len = 1;
    } else if (is_space_cp(cp)) {
      pending_space = !out.empty();
      i += len;
      continue;
    } else if (is_control_cp(cp)) {
      i += len;
      continue;
    } else {
      piece = text.substr(i, len);
    }
    std::size_t need = piece.size() + (pending_space ? 1 : 0);
    if (out.size() + need > max_bytes) break;
    if (pending_space) out.push_back(' ');
    pending_space = false;
    out.append(piece);
    i += len;
  }
  return out;
}

std::optional<std::string> sanitize_url(std::string_view raw) {
  std::string_view url = raw;
  while (!url.empty() && (url.front() == ' ' || url.front() == '\t')) url.remove_prefix(1);
  while (!url.empty() && (url.back() == ' ' || url.back() == '\t')) url.remove_suffix(1);
  if (url.empty() || url.size() > 4096) return std::nullopt;
  std::string s;
  if (url.substr(0, 2) == "//") s = "https:";
  s.reserve(url.size() + 16);
  static constexpr char kHex[] = "0123456789ABCDEF";
  bool in_fragment = false;
  for (char ch : url) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7F) return std::nullopt;  // control characters: refuse outright
    const bool extra_hash = c == '#' && in_fragment;
    if (c == '#') in_fragment = true;
    if (extra_hash || c == ' ' || c >= 0x80 || c == '"' || c == '<' || c == '>' || c == '`' ||
        c == '{' || c == '}' || c == '|' || c == '\\' || c == '^') {
      s.push_back('%');
      s.push_back(kHex[c >> 4]);
      s.push_back(kHex[c & 0xF]);
    } else {
      s.push_back(ch);
    }
  }
  auto colon = s.find(':');
  if (colon == std::string::npos) return std::nullopt;
  std::string scheme = lower_ascii(std::string_view(s).substr(0, colon));
  if (scheme != "http" && scheme != "https") return std::nullopt;
  s.replace(0, colon, scheme);
  auto parsed = boost::urls::parse_uri(s);
  if (!parsed) return std::nullopt;
  if (!parsed->has_authority() || parsed->encoded_host().empty()) return std::nullopt;
  if (parsed->has_userinfo()) return std::nullopt;  // "https://bank.com@evil.example/" tricks
  return s;
}

std::vector<Item> normalize_items(std::vector<Item> items, NormalizeReport* report,
                                  const NormalizeOptions& options) {
  NormalizeReport local;
  NormalizeReport& r = report != nullptr ? *report : local;
  std::vector<Item> out;
  out.reserve(items.size());
  std::unordered_set<std::string> seen;
  for (auto& it : items) {
    it.title = clean_text(it.title, options.max_title_bytes);
    if (it.title.empty()) {
      ++r.dropped_no_title;
      continue;
    }
    auto url = sanitize_url(it.url);
    if (!url) {
      ++r.dropped_bad_url;
      continue;
    }
    it.url = std::move(*url);
    it.mobile_url = sanitize_url(it.mobile_url).value_or("");
    it.image = sanitize_url(it.image).value_or("");
    it.summary = clean_text(it.summary, options.max_summary_bytes);
    it.hot_text = clean_text(it.hot_text, 64);
    it.label = clean_text(it.label, 32);
    it.author = clean_text(it.author, 128);
    it.key = clean_text(it.key, 512);
    if (it.key.empty()) it.key = it.url;
    for (auto& [k, v] : it.extra) {
      k = clean_text(k, 64);
      v = clean_text(v, 512);
    }
    if (!seen.insert(it.key).second) {
      ++r.dropped_duplicate;
      continue;
    }
    if (out.size() >= options.max_items) {
      ++r.dropped_over_limit;
      continue;
    }
    out.push_back(std::move(it));
  }
  return out;
}

}  // namespace mu
