#include "sources/spec/css_to_xpath.h"

#include <cstdint>
#include <optional>
#include <vector>

#include "sources/common/html.h"
#include "sources/common/text.h"

namespace mu {
namespace {

bool is_ident_char(char c) {
  const unsigned char u = static_cast<unsigned char>(c);
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || u >= 0x80;
}

// Tag and attribute names become XPath names, so they are held to ASCII NCName rules.
bool is_xml_name(std::string_view s) {
  if (s.empty()) return false;
  const char first = s[0];
  if (!((first >= 'a' && first <= 'z') || (first >= 'A' && first <= 'Z') || first == '_')) {
    return false;
  }
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
          c == '_')) {
      return false;
    }
  }
  return true;
}

// True when every character of `s` may appear in an XPath string literal: valid UTF-8 of XML
// Chars (tab, CR, LF, U+0020 and up, no surrogates, no U+FFFE/U+FFFF). libxml2 rejects the
// rest, and a NUL would cut the expression short.
bool is_xml_text(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') return false;
      ++i;
      continue;
    }
    std::size_t len = 0;
    uint32_t cp = 0;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > s.size()) return false;
    for (std::size_t k = 1; k < len; ++k) {
      const unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    const bool overlong = (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000);
    if (overlong || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) || cp == 0xFFFE ||
        cp == 0xFFFF) {
      return false;
    }
    i += len;
  }
  return true;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }

// an+b of :nth-child and friends.
struct Nth {
  int64_t a = 0;
  int64_t b = 0;
};

class Parser {
 public:
  Parser(std::string_view css, CssScope scope) : s_(css), scope_(scope) {}

  Result<std::string> run() {
    std::string out;
    while (true) {
      skip_ws();
      MU_ASSIGN_OR_RETURN(std::string one, selector());
      if (!out.empty()) out += " | ";
      out += one;
      skip_ws();
      if (at_end()) break;
      if (peek() != ',') return fail("unexpected '" + std::string(1, peek()) + "'");
      ++i_;
    }
    return out;
  }

 private:
  Status fail(const std::string& what) const {
    return error(ErrorCode::kInvalid, "CSS selector \"" + std::string(s_) + "\": " + what +
                                          " at offset " + std::to_string(i_));
  }
  bool at_end() const { return i_ >= s_.size(); }
  char peek() const { return at_end() ? '\0' : s_[i_]; }
  void skip_ws() {
    while (!at_end() && is_space(s_[i_])) ++i_;
  }

  std::string ident() {
    std::size_t start = i_;
    while (!at_end() && is_ident_char(s_[i_])) ++i_;
    return std::string(s_.substr(start, i_ - start));
  }

  // One selector of a group: compounds joined by combinators.
  Result<std::string> selector() {
    std::string out;
    char combinator = ' ';
    bool first = true;
    if (peek() == '>' || peek() == '+' || peek() == '~') {
      if (scope_ == CssScope::kDocument) {
        return fail("a selector cannot start with '" + std::string(1, peek()) + "'");
      }
      combinator = peek();
      ++i_;
      skip_ws();
    }
    while (true) {
      if (at_end() || peek() == ',') {
        if (first) return fail("empty selector");
        return fail("selector ends with a combinator");
      }
      MU_ASSIGN_OR_RETURN(std::string step, compound());
      if (first) {
        switch (combinator) {
          case '>':
            out = "./" + step;
            break;
          case '+':
            out = "./following-sibling::*[1]/self::" + step;
            break;
          case '~':
            out = "./following-sibling::" + step;
            break;
          default:
            out = (scope_ == CssScope::kDocument ? "//" : ".//") + step;
        }
        first = false;
      } else {
        switch (combinator) {
          case '>':
            out += "/" + step;
            break;
          case '+':
            out += "/following-sibling::*[1]/self::" + step;
            break;
          case '~':
            out += "/following-sibling::" + step;
            break;
          default:
            out += "//" + step;
        }
      }
      // What joins this compound to the next one?
      const std::size_t before = i_;
      skip_ws();
      if (at_end() || peek() == ',') return out;
      if (peek() == '>' || peek() == '+' || peek() == '~') {
        combinator = peek();
        ++i_;
        skip_ws();
      } else if (i_ > before) {
        combinator = ' ';
      } else {
        return fail("unexpected '" + std::string(1, peek()) + "'");
      }
    }
  }

  // A compound selector as one XPath step: "tag[pred][pred]" or "*[pred]".
  Result<std::string> compound() {
    std::string tag;
    std::string preds;
    if (peek() == '*') {
      ++i_;
      tag = "*";
    } else if (is_ident_char(peek())) {
      const std::size_t at = i_;
      tag = ascii_lower(ident());
      if (!is_xml_name(tag)) {
        i_ = at;
        return fail("\"" + tag + "\" is not a tag name");
      }
    }
    if (peek() == '|') return fail("namespaces are not supported");
    bool any = !tag.empty();
    while (!at_end()) {
      const char c = peek();
      if (c == '#') {
        ++i_;
        std::string id = ident();
        if (id.empty()) return fail("'#' without an id");
        preds += "[@id=" + xpath_literal(id) + "]";
      } else if (c == '.') {
        ++i_;
        std::string cls = ident();
        if (cls.empty()) return fail("'.' without a class name");
        preds += "[" + xpath_has_class(cls) + "]";
      } else if (c == '[') {
        MU_ASSIGN_OR_RETURN(std::string p, attribute());
        preds += p;
      } else if (c == ':') {
        MU_ASSIGN_OR_RETURN(std::string p, pseudo(tag.empty() ? "*" : tag));
        preds += p;
      } else if (c == '\\') {
        return fail("escapes are not supported");
      } else {
        break;
      }
      any = true;
    }
    if (!any) {
      if (at_end()) return fail("missing selector");
      return fail("unexpected '" + std::string(1, peek()) + "'");
    }
    return (tag.empty() ? std::string("*") : tag) + preds;
  }

  Result<std::string> attribute() {
    ++i_;  // '['
    skip_ws();
    const std::size_t name_at = i_;
    std::string name = ascii_lower(ident());
    if (name.empty()) return fail("attribute selector without a name");
    if (!is_xml_name(name)) {
      i_ = name_at;
      return fail("\"" + name + "\" is not an attribute name");
    }
    if (peek() == '|' && (i_ + 1 >= s_.size() || s_[i_ + 1] != '=')) {
      return fail("namespaces are not supported");
    }
    skip_ws();
    if (peek() == ']') {
      ++i_;
      return "[@" + name + "]";
    }
    std::string op;
    if (peek() == '=') {
      op = "=";
      ++i_;
    } else if (std::string_view("^$*~|").find(peek()) != std::string_view::npos &&
               i_ + 1 < s_.size() && s_[i_ + 1] == '=') {
      op = std::string(1, peek()) + "=";
      i_ += 2;
    } else {
      return fail("unknown attribute operator");
    }
    skip_ws();
    std::string value;
    if (peek() == '"' || peek() == '\'') {
      const char quote = peek();
      ++i_;
      std::size_t end = s_.find(quote, i_);
      if (end == std::string_view::npos) return fail("unterminated string");
      value = std::string(s_.substr(i_, end - i_));
      if (value.find('\\') != std::string::npos) return fail("escapes are not supported");
      i_ = end + 1;
    } else {
      value = ident();
      if (value.empty()) return fail("attribute value missing");
    }
    skip_ws();
    if (peek() == 'i' || peek() == 's' || peek() == 'I' || peek() == 'S') {
      return fail("attribute flags are not supported");
    }
    if (peek() != ']') return fail("expected ']'");
    ++i_;
    const std::string attr = "@" + name;
    const std::string lit = xpath_literal(value);
    if (op == "=") return "[" + attr + "=" + lit + "]";
    if (op == "^=") return "[starts-with(" + attr + ", " + lit + ")]";
    if (op == "*=") return "[contains(" + attr + ", " + lit + ")]";
    if (op == "$=") {
      return "[substring(" + attr + ", string-length(" + attr + ") - string-length(" + lit +
             ") + 1) = " + lit + "]";
    }
    if (op == "~=") {
      return "[contains(concat(' ', normalize-space(" + attr + "), ' '), " +
             xpath_literal(" " + value + " ") + ")]";
    }
    // |= : exactly v or starting with "v-"
    return "[" + attr + "=" + lit + " or starts-with(" + attr + ", " + xpath_literal(value + "-") +
           ")]";
  }

  Result<std::string> pseudo(const std::string& tag) {
    ++i_;  // ':'
    if (peek() == ':') return fail("pseudo-elements are not supported");
    const std::size_t name_at = i_;
    std::string name = ascii_lower(ident());
    if (name.empty()) return fail("':' without a pseudo-class");
    const std::string same = tag == "*" ? "*" : tag;
    if (name == "first-child") return std::string("[not(preceding-sibling::*)]");
    if (name == "last-child") return std::string("[not(following-sibling::*)]");
    if (name == "only-child") {
      return std::string("[not(preceding-sibling::*) and not(following-sibling::*)]");
    }
    if (name == "first-of-type") return "[not(preceding-sibling::" + same + ")]";
    if (name == "last-of-type") return "[not(following-sibling::" + same + ")]";
    if (name == "nth-child" || name == "nth-last-child" || name == "nth-of-type") {
      if (peek() != '(') return fail(":" + name + " needs an argument");
      ++i_;
      std::size_t close = s_.find(')', i_);
      if (close == std::string_view::npos) return fail("missing ')'");
      auto nth = parse_nth(s_.substr(i_, close - i_));
      if (!nth) return fail("bad :" + name + " argument");
      i_ = close + 1;
      const std::string axis = name == "nth-last-child" ? "following-sibling::*"
                               : name == "nth-of-type"  ? "preceding-sibling::" + same
                                                        : "preceding-sibling::*";
      return nth_predicate(*nth, "(count(" + axis + ") + 1)");
    }
    if (name == "not") {
      if (peek() != '(') return fail(":not needs an argument");
      ++i_;
      skip_ws();
      MU_ASSIGN_OR_RETURN(std::string inner, compound());
      skip_ws();
      if (peek() != ')') return fail(":not takes one compound selector");
      ++i_;
      return "[not(self::" + inner + ")]";
    }
    i_ = name_at;
    return fail("unsupported pseudo-class \":" + name + "\"");
  }

  static std::optional<Nth> parse_nth(std::string_view raw) {
    std::string s;
    for (char c : raw) {
      if (!is_space(c)) s.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c));
    }
    if (s == "odd") return Nth{2, 1};
    if (s == "even") return Nth{2, 0};
    if (s.empty() || s.size() > 24) return std::nullopt;
    auto read_int = [](std::string_view t) -> std::optional<int64_t> {
      if (t.empty()) return std::nullopt;
      return parse_int(t);
    };
    const std::size_t n = s.find('n');
    if (n == std::string::npos) {
      auto b = read_int(s);
      if (!b) return std::nullopt;
      return Nth{0, *b};
    }
    Nth out;
    std::string_view a = std::string_view(s).substr(0, n);
    if (a.empty() || a == "+") {
      out.a = 1;
    } else if (a == "-") {
      out.a = -1;
    } else {
      auto v = read_int(a);
      if (!v) return std::nullopt;
      out.a = *v;
    }
    std::string_view rest = std::string_view(s).substr(n + 1);
    if (!rest.empty()) {
      if (rest[0] != '+' && rest[0] != '-') return std::nullopt;
      auto v = read_int(rest[0] == '+' ? rest.substr(1) : rest);
      if (!v) return std::nullopt;
      out.b = *v;
    }
    if (out.a > 1'000'000 || out.a < -1'000'000 || out.b > 1'000'000 || out.b < -1'000'000) {
      return std::nullopt;
    }
    return out;
  }

  static std::string nth_predicate(const Nth& nth, const std::string& pos) {
    const std::string b = std::to_string(nth.b);
    if (nth.a == 0) return "[" + pos + " = " + b + "]";
    const std::string diff = "(" + pos + " - " + b + ")";
    if (nth.a > 0) {
      return "[" + pos + " >= " + b + " and " + diff + " mod " + std::to_string(nth.a) + " = 0]";
    }
    return "[" + pos + " <= " + b + " and " + diff + " mod " + std::to_string(-nth.a) + " = 0]";
  }

  std::string_view s_;
  CssScope scope_;
  std::size_t i_ = 0;
};

}  // namespace

std::string xpath_literal(std::string_view s) {
  if (s.find('\'') == std::string_view::npos) return "'" + std::string(s) + "'";
  if (s.find('"') == std::string_view::npos) return "\"" + std::string(s) + "\"";
  std::string out = "concat(";
  std::size_t start = 0;
  bool first = true;
  while (start <= s.size()) {
    std::size_t q = s.find('\'', start);
    std::string_view part = s.substr(start, q == std::string_view::npos ? s.npos : q - start);
    if (!part.empty()) {
      if (!first) out += ", ";
      out += "'" + std::string(part) + "'";
      first = false;
    }
    if (q == std::string_view::npos) break;
    if (!first) out += ", ";
    out += "\"'\"";
    first = false;
    start = q + 1;
  }
  out += ")";
  return out;
}

Result<std::string> css_to_xpath(std::string_view css, CssScope scope) {
  if (is_blank(css)) return error(ErrorCode::kInvalid, "CSS selector is empty");
  if (css.size() > 4096) return error(ErrorCode::kInvalid, "CSS selector over 4096 bytes");
  if (!is_xml_text(css)) {
    return error(ErrorCode::kInvalid, "CSS selector contains a control character or invalid UTF-8");
  }
  return Parser(css, scope).run();
}

}  // namespace mu
