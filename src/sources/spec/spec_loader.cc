#include "sources/spec/spec_loader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <toml++/toml.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <initializer_list>
#include <map>
#include <sstream>

#include "core/config.h"
#include "core/utf8.h"
#include "sources/common/charset.h"
#include "sources/common/html.h"
#include "sources/common/http_util.h"
#include "sources/common/text.h"
#include "sources/spec/builtin_specs.h"
#include "sources/spec/css_to_xpath.h"
#include "sources/spec/dates.h"
#include "sources/spec/spec_source.h"

namespace mu {
namespace {

using Keys = std::initializer_list<std::string_view>;

std::string join(const std::string& where, std::string_view key) {
  return where.empty() ? std::string(key) : where + "." + std::string(key);
}

std::string list_keys(Keys keys) {
  std::string out;
  for (std::string_view k : keys) {
    if (!out.empty()) out += ", ";
    out += k;
  }
  return out;
}

std::string type_name(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a float";
    case toml::node_type::boolean:
      return "a boolean";
    default:
      return "a date/time";
  }
}

// Collects the errors of one file; every message is "<file>: <key>: <problem>".
class Checker {
 public:
  explicit Checker(std::string file) : file_(std::move(file)) {}

  void fail(const std::string& where, const std::string& what) {
    errors_.push_back(error(ErrorCode::kConfig, file_ + ": " + where + ": " + what));
  }
  std::size_t error_count() const { return errors_.size(); }
  std::vector<Status>& errors() { return errors_; }
  const std::string& file() const { return file_; }

  // Reports keys of `t` that are not in `allowed`.
  void check_keys(const toml::table& t, const std::string& where, Keys allowed) {
    for (const auto& [key, node] : t) {
      (void)node;
      const std::string_view k = key.str();
      if (std::find(allowed.begin(), allowed.end(), k) == allowed.end()) {
        fail(join(where, k), "unknown key (allowed: " + list_keys(allowed) + ")");
      }
    }
  }

  std::optional<std::string> string(const toml::table& t, const std::string& where,
                                    std::string_view key, bool required) {
    const toml::node* node = t.get(key);
    if (node == nullptr) {
      if (required) fail(join(where, key), "required key is missing");
      return std::nullopt;
    }
    if (!node->is_string()) {
      fail(join(where, key), "expected a string, got " + type_name(*node));
      return std::nullopt;
    }
    return node->value<std::string>();
  }

  // A string, or an array of strings (alternatives). Empty when absent or wrong.
  std::vector<std::string> strings(const toml::table& t, const std::string& where,
                                   std::string_view key) {
    std::vector<std::string> out;
    const toml::node* node = t.get(key);
    if (node == nullptr) return out;
    if (node->is_string()) {
      out.push_back(*node->value<std::string>());
      return out;
    }
    const toml::array* arr = node->as_array();
    if (arr == nullptr || arr->empty()) {
      fail(join(where, key), "expected a string or a non-empty array of strings");
      return {};
    }
    for (const toml::node& el : *arr) {
      if (!el.is_string()) {
        fail(join(where, key), "expected a string or a non-empty array of strings");
        return {};
      }
      out.push_back(*el.value<std::string>());
    }
    return out;
  }

  std::optional<bool> boolean(const toml::table& t, const std::string& where,
                              std::string_view key) {
    const toml::node* node = t.get(key);
    if (node == nullptr) return std::nullopt;
    if (!node->is_boolean()) {
      fail(join(where, key), "expected true or false, got " + type_name(*node));
      return std::nullopt;
    }
    return node->value<bool>();
  }

  std::optional<int64_t> integer(const toml::table& t, const std::string& where,
                                 std::string_view key, int64_t lo, int64_t hi) {
    const toml::node* node = t.get(key);
    if (node == nullptr) return std::nullopt;
    if (!node->is_integer()) {
      fail(join(where, key), "expected an integer, got " + type_name(*node));
      return std::nullopt;
    }
    const int64_t v = *node->value<int64_t>();
    if (v < lo || v > hi) {
      fail(join(where, key), "must be between " + std::to_string(lo) + " and " +
                                 std::to_string(hi) + ", got " + std::to_string(v));
      return std::nullopt;
    }
    return v;
  }

  const toml::table* table(const toml::table& t, const std::string& where, std::string_view key,
                           bool required) {
    const toml::node* node = t.get(key);
    if (node == nullptr) {
      if (required) fail(join(where, key), "required table is missing");
      return nullptr;
    }
    const toml::table* out = node->as_table();
    if (out == nullptr) fail(join(where, key), "expected a table, got " + type_name(*node));
    return out;
  }

  std::optional<std::chrono::seconds> duration(const toml::table& t, const std::string& where,
                                               std::string_view key) {
    auto s = string(t, where, key, false);
    if (!s) return std::nullopt;
    auto d = parse_duration(*s);
    if (!d.ok()) {
      fail(join(where, key), d.error_message());
      return std::nullopt;
    }
    return std::chrono::duration_cast<std::chrono::seconds>(*d);
  }

 private:
  std::string file_;
  std::vector<Status> errors_;
};

bool is_id_part(std::string_view s) {
  if (s.empty()) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

bool is_color(std::string_view s) {
  if (s.size() != 7 || s[0] != '#') return false;
  return std::all_of(s.begin() + 1, s.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  });
}

// ---------------------------------------------------------------- selectors

// XPath expressions are validated by running them on a tiny page at load time.
Status probe_xpath(const std::string& xpath, bool relative) {
  auto doc = HtmlDoc::parse("<html><body><div><p>probe</p></div></body></html>", "");
  if (!doc.ok()) return doc.status();
  auto probe = doc->try_select(xpath, relative ? doc->root() : HtmlNode());
  return probe.status();
}

// "css:..." or "xpath:..." -> XPath; `relative` for selectors below an item node.
std::optional<std::string> selector_xpath(Checker& c, const std::string& where,
                                          const std::string& selector, bool relative) {
  std::string xpath;
  if (selector.find('\0') != std::string::npos) {
    c.fail(where, "selector contains a NUL character");
    return std::nullopt;
  }
  if (selector.rfind("css:", 0) == 0) {
    auto x = css_to_xpath(std::string_view(selector).substr(4),
                          relative ? CssScope::kRelative : CssScope::kDocument);
    if (!x.ok()) {
      c.fail(where, x.error_message());
      return std::nullopt;
    }
    xpath = *x;
  } else if (selector.rfind("xpath:", 0) == 0) {
    xpath = trim(std::string_view(selector).substr(6));
    if (xpath.empty()) {
      c.fail(where, "empty XPath");
      return std::nullopt;
    }
  } else {
    c.fail(where,
           "expected \"css:<selector>\" or \"xpath:<expression>\", got \"" + selector + "\"");
    return std::nullopt;
  }
  if (Status probe = probe_xpath(xpath, relative); !probe.ok()) {
    c.fail(where, probe.message());
    return std::nullopt;
  }
  return xpath;
}

std::optional<Regex> regex(Checker& c, const std::string& where, const std::string& pattern) {
  if (pattern.empty()) {
    c.fail(where, "empty pattern");
    return std::nullopt;
  }
  auto re = Regex::compile(pattern);
  if (!re.ok()) {
    c.fail(where, re.error_message());
    return std::nullopt;
  }
  return std::move(re).value();
}

// ---------------------------------------------------------------- value rules

std::optional<JsonTemplate> json_path_template(Checker& c, const std::string& where,
                                               const std::string& text) {
  auto path = parse_json_path(text);
  if (!path.ok()) {
    c.fail(where, path.error_message());
    return std::nullopt;
  }
  return template_from_path(std::move(path).value());
}

std::optional<JsonTemplate> json_template(Checker& c, const std::string& where,
                                          const std::string& text) {
  auto t = parse_json_template(text);
  if (!t.ok()) {
    c.fail(where, t.error_message());
    return std::nullopt;
  }
  return std::move(t).value();
}

// A bare string: a path, or a template when it holds '{'.
std::optional<JsonTemplate> json_shorthand(Checker& c, const std::string& where,
                                           const std::string& text) {
  if (text.find('{') != std::string::npos) return json_template(c, where, text);
  return json_path_template(c, where, text);
}

// Common keys of a value table: re2, filter, default.
void value_options(Checker& c, const toml::table& t, const std::string& where, ValueRule& rule,
                   std::optional<ItemField> field) {
  if (auto re = c.string(t, where, "re2", false)) rule.re2 = regex(c, join(where, "re2"), *re);
  if (auto f = c.string(t, where, "filter", false)) {
    auto filter = parse_value_filter(*f);
    if (!filter) {
      c.fail(join(where, "filter"), "unknown filter \"" + *f +
                                        "\" (known: none, html, seconds, ms, iso, date, "
                                        "popularity, number)");
    } else if (field && !filter_fits(*filter, *field)) {
      c.fail(join(where, "filter"),
             "filter \"" + *f + "\" does not apply to " + std::string(item_field_name(*field)));
    } else {
      rule.filter = *filter;
    }
  }
  if (auto d = c.string(t, where, "default", false)) rule.fallback = *d;
}

// One field of a JSON board: "path", "template {x}", ["alt1", "alt2"] or a table.
std::optional<ValueRule> json_value(Checker& c, const toml::node& node, const std::string& where,
                                    std::optional<ItemField> field) {
  ValueRule rule;
  const std::size_t before = c.error_count();
  if (node.is_string()) {
    if (auto t = json_shorthand(c, where, *node.value<std::string>())) rule.json.push_back(*t);
  } else if (const toml::array* arr = node.as_array()) {
    if (arr->empty()) c.fail(where, "empty array of alternatives");
    for (std::size_t i = 0; i < arr->size(); ++i) {
      const toml::node& el = *arr->get(i);
      const std::string w = where + "[" + std::to_string(i) + "]";
      if (!el.is_string()) {
        c.fail(w, "expected a string (a path or a template)");
        continue;
      }
      if (auto t = json_shorthand(c, w, *el.value<std::string>())) rule.json.push_back(*t);
    }
  } else if (const toml::table* t = node.as_table()) {
    c.check_keys(*t, where, {"path", "template", "re2", "filter", "default"});
    const std::vector<std::string> paths = c.strings(*t, where, "path");
    const std::vector<std::string> templates = c.strings(*t, where, "template");
    for (const std::string& p : paths) {
      if (auto j = json_path_template(c, join(where, "path"), p)) rule.json.push_back(*j);
    }
    for (const std::string& p : templates) {
      if (auto j = json_template(c, join(where, "template"), p)) rule.json.push_back(*j);
    }
    if (paths.empty() && templates.empty() && !t->contains("default")) {
      c.fail(where, "needs \"path\", \"template\" or \"default\"");
    }
    value_options(c, *t, where, rule, field);
  } else {
    c.fail(where,
           "expected a path, a template, an array of them or a table, got " + type_name(node));
  }
  if (c.error_count() != before) return std::nullopt;
  return rule;
}

// One field of an HTML board: "css:..." / "xpath:..." (text of the first match) or a table
// { select, attr, re2, filter, default }.
std::optional<ValueRule> html_value(Checker& c, const toml::node& node, const std::string& where,
                                    std::optional<ItemField> field) {
  ValueRule rule;
  const std::size_t before = c.error_count();
  if (node.is_string()) {
    HtmlPick pick;
    if (auto x = selector_xpath(c, where, *node.value<std::string>(), true)) pick.xpath = *x;
    rule.html.push_back(std::move(pick));
  } else if (const toml::table* t = node.as_table()) {
    c.check_keys(*t, where, {"select", "attr", "re2", "filter", "default"});
    HtmlPick pick;
    if (auto s = c.string(*t, where, "select", false)) {
      if (auto x = selector_xpath(c, join(where, "select"), *s, true)) pick.xpath = *x;
    }
    if (t->contains("attr")) {
      pick.attrs = c.strings(*t, where, "attr");
      for (const std::string& a : pick.attrs) {
        if (a.empty() || a.find_first_of(" \t\"'<>=/") != std::string::npos) {
          c.fail(join(where, "attr"), "\"" + a + "\" is not an attribute name or \"text\"");
        }
      }
    }
    value_options(c, *t, where, rule, field);
    rule.html.push_back(std::move(pick));
  } else {
    c.fail(where, "expected a selector string or a table, got " + type_name(node));
  }
  if (c.error_count() != before) return std::nullopt;
  return rule;
}

using ValueParser = std::optional<ValueRule> (*)(Checker&, const toml::node&, const std::string&,
                                                 std::optional<ItemField>);

void item_rules(Checker& c, const toml::table& parse, const std::string& where, bool is_json,
                ItemRules& rules) {
  const ValueParser value = is_json ? json_value : html_value;
  const std::string fw = join(where, "fields");
  if (const toml::table* fields = c.table(parse, where, "fields", true)) {
    for (const auto& [key, node] : *fields) {
      const std::string name(key.str());
      auto field = parse_item_field(name);
      if (!field) {
        c.fail(join(fw, name),
               "unknown field (known: key, title, url, mobile_url, summary, "
               "image, hot, hot_text, label, author, published_at)");
        continue;
      }
      if (auto rule = value(c, node, join(fw, name), field)) {
        rules.fields.emplace_back(*field, std::move(*rule));
      }
    }
    for (const char* required : {"title", "url"}) {
      if (!fields->contains(required)) c.fail(join(fw, required), "required field is missing");
    }
  }
  const std::string ew = join(where, "extra");
  if (const toml::table* extra = c.table(parse, where, "extra", false)) {
    for (const auto& [key, node] : *extra) {
      const std::string name(key.str());
      const bool good_name =
          !name.empty() && name.size() <= 32 && std::all_of(name.begin(), name.end(), [](char ch) {
            return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_';
          });
      if (!good_name) {
        c.fail(join(ew, name), "extra names are 1-32 characters of [a-z0-9_]");
        continue;
      }
      if (auto rule = value(c, node, join(ew, name), std::nullopt)) {
        rules.extra.emplace_back(name, std::move(*rule));
      }
    }
  }
  // skip_if: one table or an array of tables.
  const std::string sw = join(where, "skip_if");
  if (const toml::node* skip = parse.get("skip_if")) {
    std::vector<std::pair<const toml::table*, std::string>> tables;
    if (const toml::table* one = skip->as_table()) {
      tables.emplace_back(one, sw);
    } else if (const toml::array* many = skip->as_array()) {
      for (std::size_t i = 0; i < many->size(); ++i) {
        const std::string w = sw + "[" + std::to_string(i) + "]";
        if (const toml::table* t = many->get(i)->as_table()) {
          tables.emplace_back(t, w);
        } else {
          c.fail(w, "expected a table");
        }
      }
    } else {
      c.fail(sw, "expected a table or an array of tables");
    }
    for (const auto& [t, w] : tables) {
      SkipRule rule;
      if (is_json) {
        c.check_keys(*t, w, {"path", "equals", "not_equals", "exists", "matches"});
        if (auto p = c.string(*t, w, "path", true)) {
          if (auto j = json_path_template(c, join(w, "path"), *p)) rule.value.json.push_back(*j);
          rule.text = *p;
        }
      } else {
        c.check_keys(*t, w, {"select", "attr", "equals", "not_equals", "exists", "matches"});
        HtmlPick pick;
        if (auto s = c.string(*t, w, "select", false)) {
          if (auto x = selector_xpath(c, join(w, "select"), *s, true)) pick.xpath = *x;
          rule.text = *s;
        }
        if (t->contains("attr")) pick.attrs = c.strings(*t, w, "attr");
        rule.value.html.push_back(std::move(pick));
      }
      int conditions = 0;
      for (const char* op : {"equals", "not_equals"}) {
        const toml::node* n = t->get(op);
        if (n == nullptr) continue;
        ++conditions;
        rule.op =
            std::string_view(op) == "equals" ? SkipRule::Op::kEquals : SkipRule::Op::kNotEquals;
        if (n->is_string()) {
          rule.operand = *n->value<std::string>();
        } else if (n->is_integer()) {
          rule.operand = std::to_string(*n->value<int64_t>());
        } else if (n->is_boolean()) {
          rule.operand = *n->value<bool>() ? "true" : "false";
        } else {
          c.fail(join(w, op), "expected a string, an integer or a boolean");
        }
      }
      if (auto e = c.boolean(*t, w, "exists")) {
        ++conditions;
        rule.op = *e ? SkipRule::Op::kExists : SkipRule::Op::kMissing;
      }
      if (auto m = c.string(*t, w, "matches", false)) {
        ++conditions;
        rule.op = SkipRule::Op::kMatches;
        rule.pattern = regex(c, join(w, "matches"), *m);
      }
      if (conditions != 1) {
        c.fail(w, "needs exactly one of equals, not_equals, exists, matches");
        continue;
      }
      rules.skip.push_back(std::move(rule));
    }
  }
}

// ---------------------------------------------------------------- request and parse

std::optional<SpecRequest> read_request(Checker& c, const toml::table& board,
                                        const std::string& where) {
  const std::string w = join(where, "request");
  const toml::table* t = c.table(board, where, "request", true);
  if (t == nullptr) return std::nullopt;
  const std::size_t before = c.error_count();
  c.check_keys(*t, w, {"url", "method", "headers", "body", "charset", "secret_headers"});
  SpecRequest req;
  if (auto url = c.string(*t, w, "url", true)) {
    if (!is_http_url(*url)) {
      c.fail(join(w, "url"), "expected an absolute http(s) URL, got \"" + *url + "\"");
    }
    req.url = *url;
  }
  if (auto m = c.string(*t, w, "method", false)) {
    if (*m != "GET" && *m != "POST") {
      c.fail(join(w, "method"), "expected \"GET\" or \"POST\", got \"" + *m + "\"");
    }
    req.method = *m;
  }
  for (const char* key : {"headers", "secret_headers"}) {
    const toml::table* h = c.table(*t, w, key, false);
    if (h == nullptr) continue;
    for (const auto& [name, value] : *h) {
      const std::string hn(name.str());
      const std::string hw = join(join(w, key), hn);
      const bool good = !hn.empty() && hn.find_first_of(" \t\r\n:") == std::string::npos;
      if (!good) c.fail(hw, "not a header name");
      auto v = value.value<std::string>();
      if (!value.is_string() || !v) {
        c.fail(hw, "expected a string");
        continue;
      }
      if (v->find_first_of("\r\n") != std::string::npos) c.fail(hw, "line breaks in a header");
      if (std::string_view(key) == "headers") {
        req.headers.emplace_back(hn, *v);
      } else {
        req.secret_headers.emplace_back(hn, *v);
      }
    }
  }
  if (auto b = c.string(*t, w, "body", false)) req.body = *b;
  if (auto cs = c.string(*t, w, "charset", false)) {
    if (!to_utf8("x", *cs).ok()) c.fail(join(w, "charset"), "unknown charset \"" + *cs + "\"");
    req.charset = *cs;
  }
  if (c.error_count() != before) return std::nullopt;
  return req;
}

std::optional<SpecParse> read_parse(Checker& c, const toml::table& board,
                                    const std::string& where) {
  const std::string w = join(where, "parse");
  const toml::table* t = c.table(board, where, "parse", true);
  if (t == nullptr) return std::nullopt;
  const std::size_t before = c.error_count();
  SpecParse parse;
  auto type = c.string(*t, w, "type", true);
  if (!type) return std::nullopt;
  int offset = 0;
  if (auto tz = c.string(*t, w, "timezone", false)) {
    auto o = parse_utc_offset(*tz);
    if (!o) {
      c.fail(join(w, "timezone"), "expected a UTC offset such as \"+08:00\", got \"" + *tz + "\"");
    }
    offset = o.value_or(0);
  }
  if (auto limit = c.integer(*t, w, "limit", 1, 1000))
    parse.limit = static_cast<std::size_t>(*limit);
  if (auto b = c.string(*t, w, "blocked_if", false))
    parse.blocked_if = regex(c, join(w, "blocked_if"), *b);

  if (*type == "feed") {
    parse.type = SpecParseType::kFeed;
    c.check_keys(*t, w, {"type", "limit", "timezone", "blocked_if", "content_images", "key"});
    parse.feed.default_offset_minutes = offset;
    if (auto ci = c.boolean(*t, w, "content_images")) parse.feed.content_images = *ci;
    if (auto k = c.string(*t, w, "key", false)) {
      if (*k == "link") {
        parse.feed.key_from_link = true;
      } else if (*k != "guid") {
        c.fail(join(w, "key"), "expected \"guid\" or \"link\", got \"" + *k + "\"");
      }
    }
  } else if (*type == "json") {
    parse.type = SpecParseType::kJson;
    c.check_keys(*t, w,
                 {"type", "limit", "timezone", "blocked_if", "list", "extract", "fields", "extra",
                  "skip_if"});
    if (auto list = c.string(*t, w, "list", false)) {
      auto path = parse_json_path(*list);
      if (!path.ok()) {
        c.fail(join(w, "list"), path.error_message());
      } else {
        parse.json.list = std::move(path).value();
      }
    }
    if (const toml::table* ex = c.table(*t, w, "extract", false)) {
      const std::string ew = join(w, "extract");
      c.check_keys(*ex, ew, {"re2"});
      if (auto re = c.string(*ex, ew, "re2", true)) {
        parse.json.extract = regex(c, join(ew, "re2"), *re);
      }
    }
    parse.json.items.default_offset_minutes = offset;
    item_rules(c, *t, w, true, parse.json.items);
  } else if (*type == "html") {
    parse.type = SpecParseType::kHtml;
    c.check_keys(
        *t, w, {"type", "limit", "timezone", "blocked_if", "items", "fields", "extra", "skip_if"});
    if (auto items = c.string(*t, w, "items", true)) {
      if (auto x = selector_xpath(c, join(w, "items"), *items, false)) parse.html.items_xpath = *x;
      parse.html.items_text = *items;
    }
    parse.html.items.default_offset_minutes = offset;
    item_rules(c, *t, w, false, parse.html.items);
  } else {
    c.fail(join(w, "type"), "expected \"feed\", \"json\" or \"html\", got \"" + *type + "\"");
  }
  if (c.error_count() != before) return std::nullopt;
  return parse;
}

// ---------------------------------------------------------------- site and boards

// The optional `category` of a [site] or [[boards]] entry: one of categories().
std::optional<std::string> read_category(Checker& c, const toml::table& t, const std::string& w) {
  auto v = c.string(t, w, "category", false);
  if (v && find_category(*v) == nullptr) {
    c.fail(join(w, "category"), "expected one of " + category_ids() + ", got \"" + *v + "\"");
    return std::nullopt;
  }
  return v;
}

std::optional<Site> read_site(Checker& c, const toml::table& t) {
  const std::string w = "site";
  const std::size_t before = c.error_count();
  c.check_keys(t, w, {"id", "name_zh", "name_en", "home", "icon", "color", "region", "category"});
  Site site;
  if (auto id = c.string(t, w, "id", true)) {
    if (!is_id_part(*id)) c.fail(join(w, "id"), "\"" + *id + "\" must be made of [a-z0-9-]");
    site.id = *id;
  }
  if (auto v = c.string(t, w, "name_en", true)) site.name_en = *v;
  if (auto v = c.string(t, w, "name_zh", false)) site.name_zh = *v;
  if (site.name_zh.empty()) site.name_zh = site.name_en;
  if (auto v = c.string(t, w, "home", true)) {
    if (!is_http_url(*v)) c.fail(join(w, "home"), "expected an absolute http(s) URL");
    site.home = *v;
  }
  if (auto v = c.string(t, w, "icon", false)) {
    if (!is_http_url(*v)) c.fail(join(w, "icon"), "expected an absolute http(s) URL");
    site.icon = *v;
  }
  if (site.icon.empty() && !site.home.empty()) site.icon = resolve_url(site.home, "/favicon.ico");
  site.color = "#888888";
  if (auto v = c.string(t, w, "color", false)) {
    if (!is_color(*v)) c.fail(join(w, "color"), "expected \"#rrggbb\", got \"" + *v + "\"");
    site.color = *v;
  }
  if (auto v = c.string(t, w, "region", true)) {
    if (*v != "cn" && *v != "global") {
      c.fail(join(w, "region"), "expected \"cn\" or \"global\", got \"" + *v + "\"");
    }
    site.region = *v;
  }
  if (auto v = read_category(c, t, w)) site.category = *v;
  if (c.error_count() != before) return std::nullopt;
  return site;
}

// `site` is the file's valid [site] table; `site_table` says whether the file has one at all
// (an invalid one is reported once, not again for every board).
std::unique_ptr<Source> read_board(Checker& c, const toml::table& t, const std::string& w,
                                   const std::optional<Site>& site, bool site_table) {
  const std::size_t before = c.error_count();
  c.check_keys(
      t, w,
      {"id", "site", "name_zh", "name_en", "kind", "every", "jitter", "timeout", "retries", "group",
       "homepage", "notes", "needs_cookie", "needs_token", "category", "request", "parse"});
  BoardMeta meta;
  if (auto id = c.string(t, w, "id", true)) {
    meta.id = *id;
    if (!is_valid_board_id(*id)) {
      c.fail(join(w, "id"), "\"" + *id + "\" is not \"<site>.<board>\" made of [a-z0-9-]");
    } else {
      meta.site = id->substr(0, id->find('.'));
      if (site && site->id != meta.site) {
        c.fail(join(w, "id"),
               "\"" + *id + "\" does not start with the site id \"" + site->id + ".\"");
      }
    }
  }
  if (auto s = c.string(t, w, "site", false)) {
    if (!meta.site.empty() && *s != meta.site) {
      c.fail(join(w, "site"), "\"" + *s + "\" does not match the board id \"" + meta.id + "\"");
    }
    if (!site && meta.site.empty()) meta.site = *s;
  }
  if (auto v = c.string(t, w, "name_zh", true)) meta.name_zh = *v;
  if (auto v = c.string(t, w, "name_en", true)) meta.name_en = *v;
  if (auto v = c.string(t, w, "kind", true)) {
    if (auto kind = parse_board_kind(*v)) {
      meta.kind = *kind;
    } else {
      c.fail(join(w, "kind"), "expected \"rank\" or \"stream\", got \"" + *v + "\"");
    }
  }
  meta.schedule.every = std::chrono::minutes(10);
  meta.schedule.jitter = std::chrono::seconds(30);
  meta.schedule.timeout = std::chrono::seconds(20);
  meta.schedule.retries = 1;
  if (auto d = c.duration(t, w, "every")) {
    if (*d < std::chrono::minutes(1) || *d > std::chrono::hours(24)) {
      c.fail(join(w, "every"), "must be between 1m and 24h");
    }
    meta.schedule.every = *d;
  }
  if (auto d = c.duration(t, w, "jitter")) meta.schedule.jitter = *d;
  if (auto d = c.duration(t, w, "timeout")) {
    if (*d < std::chrono::seconds(1) || *d > std::chrono::minutes(2)) {
      c.fail(join(w, "timeout"), "must be between 1s and 2m");
    }
    meta.schedule.timeout = *d;
  }
  if (meta.schedule.jitter >= meta.schedule.every) {
    c.fail(join(w, "jitter"), "must be shorter than every");
  }
  if (meta.schedule.timeout >= meta.schedule.every) {
    c.fail(join(w, "timeout"), "must be shorter than every");
  }
  if (auto r = c.integer(t, w, "retries", 0, 5)) meta.schedule.retries = static_cast<int>(*r);
  if (site) meta.group = site->region;
  if (auto g = c.string(t, w, "group", !site_table)) {
    if (*g != "cn" && *g != "global") {
      c.fail(join(w, "group"), "expected \"cn\" or \"global\", got \"" + *g + "\"");
    }
    meta.group = *g;
  }
  if (auto v = read_category(c, t, w)) meta.category = *v;
  if (auto h = c.string(t, w, "homepage", true)) {
    if (!is_http_url(*h)) c.fail(join(w, "homepage"), "expected an absolute http(s) URL");
    meta.homepage = *h;
  }
  if (auto n = c.string(t, w, "notes", false)) meta.notes = *n;
  if (auto b = c.boolean(t, w, "needs_cookie")) meta.needs_cookie = *b;
  if (auto b = c.boolean(t, w, "needs_token")) meta.needs_token = *b;
  auto request = read_request(c, t, w);
  auto parse = read_parse(c, t, w);
  if (c.error_count() != before || !request || !parse) return nullptr;
  return std::make_unique<SpecSource>(std::move(meta), std::move(*request), std::move(*parse));
}

ParsedSpec parse_table(const toml::table& root, std::string_view name) {
  ParsedSpec out;
  out.name = std::string(name);
  Checker c(out.name);
  c.check_keys(root, "", {"site", "boards"});
  if (const toml::table* site = c.table(root, "", "site", false)) out.site = read_site(c, *site);
  const bool site_failed = root.contains("site") && !out.site;
  const toml::node* boards = root.get("boards");
  const toml::array* arr = boards == nullptr ? nullptr : boards->as_array();
  if (boards == nullptr) {
    c.fail("boards", "required: at least one [[boards]] table");
  } else if (arr == nullptr || arr->empty()) {
    c.fail("boards", "expected at least one [[boards]] table");
  } else {
    std::map<std::string, std::size_t> seen;
    for (std::size_t i = 0; i < arr->size(); ++i) {
      const std::string w = "boards[" + std::to_string(i) + "]";
      const toml::table* t = arr->get(i)->as_table();
      if (t == nullptr) {
        c.fail(w, "expected a table");
        continue;
      }
      if (const toml::node* id = t->get("id"); id != nullptr && id->is_string()) {
        const std::string board_id = *id->value<std::string>();
        auto [it, fresh] = seen.emplace(board_id, i);
        if (!fresh) {
          c.fail(w + ".id", "duplicate board id \"" + board_id + "\" (also boards[" +
                                std::to_string(it->second) + "])");
          continue;
        }
      }
      if (auto source =
              read_board(c, *t, w, site_failed ? std::nullopt : out.site, root.contains("site"))) {
        out.sources.push_back(std::move(source));
      }
    }
  }
  out.errors = std::move(c.errors());
  return out;
}

}  // namespace

ParsedSpec parse_spec(std::string_view toml_text, std::string_view name) {
  try {
    toml::table root = toml::parse(toml_text, name);
    return parse_table(root, name);
  } catch (const toml::parse_error& e) {
    ParsedSpec out;
    out.name = std::string(name);
    const auto& where = e.source().begin;
    out.errors.push_back(error(ErrorCode::kConfig, out.name + ":" + std::to_string(where.line) +
                                                       ":" + std::to_string(where.column) + ": " +
                                                       std::string(e.description())));
    return out;
  } catch (const std::exception& e) {
    ParsedSpec out;
    out.name = std::string(name);
    out.errors.push_back(error(ErrorCode::kConfig, out.name + ": " + e.what()));
    return out;
  }
}

Result<std::unique_ptr<Source>> parse_spec_board(std::string_view toml_text, std::string_view name,
                                                 std::string_view board_id) {
  ParsedSpec spec = parse_spec(toml_text, name);
  if (!spec.ok()) return spec.errors.front();
  for (auto& source : spec.sources) {
    if (board_id.empty() || source->meta().id == board_id) return std::move(source);
  }
  return error(ErrorCode::kNotFound,
               spec.name + ": no board \"" + std::string(board_id) + "\" in this spec");
}

Status register_spec(ParsedSpec spec, SourceRegistry& registry) {
  if (!spec.ok()) return spec.errors.front();
  if (spec.site && registry.find_site(spec.site->id) != nullptr) {
    return error(ErrorCode::kConflict,
                 spec.name + ": site: \"" + spec.site->id + "\" is already registered");
  }
  for (std::size_t i = 0; i < spec.sources.size(); ++i) {
    const BoardMeta& m = spec.sources[i]->meta();
    if (registry.find(m.id) != nullptr) {
      return error(ErrorCode::kConflict,
                   spec.name + ": board \"" + m.id + "\" is already registered");
    }
    if (!spec.site && registry.find_site(m.site) == nullptr) {
      return error(ErrorCode::kConfig, spec.name + ": board \"" + m.id + "\": site \"" + m.site +
                                           "\" is not registered (add a [site] table)");
    }
  }
  if (spec.site) {
    if (Status s = registry.add_site(*spec.site); !s.ok()) return s.with_context(spec.name);
  }
  for (auto& source : spec.sources) {
    if (Status s = registry.add(std::move(source)); !s.ok()) return s.with_context(spec.name);
  }
  return ok_status();
}

namespace {

const char* file_type_name(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISCHR(mode) || S_ISBLK(mode)) return "a device";
  return "not a regular file";
}

// Closes a POSIX file descriptor.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

}  // namespace

Result<std::string> read_spec_file(const std::filesystem::path& path) {
  const std::string name = path.filename().string();
  auto broken = [&](const std::string& why) {
    return error(ErrorCode::kConfig, name + ": " + why);
  };
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    const int err = errno;
    struct stat link {};
    if (::lstat(path.c_str(), &link) == 0 && S_ISLNK(link.st_mode)) {
      return broken("a symbolic link to a file that does not exist");
    }
    return broken(std::string("cannot read: ") + std::strerror(err));
  }
  // Checked before opening: opening a FIFO for reading blocks until a writer appears.
  if (!S_ISREG(st.st_mode)) {
    return broken(std::string(file_type_name(st.st_mode)) + ", not a spec file");
  }
  const std::string too_large =
      "larger than the " + std::to_string(kMaxSpecFileBytes >> 20) + " MiB limit for spec files";
  if (static_cast<uint64_t>(st.st_size) > kMaxSpecFileBytes) {
    return broken(too_large + " (" + std::to_string(st.st_size) + " bytes)");
  }
  // O_NONBLOCK: should the entry have been replaced by a FIFO since stat(), open still
  // returns at once, and fstat below refuses it.
  Fd fd(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY));
  if (fd.get() < 0) return broken(std::string("cannot read: ") + std::strerror(errno));
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return broken(std::string(file_type_name(st.st_mode)) + ", not a spec file");
  }
  std::string text;
  char buf[16384];
  while (true) {
    const ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return broken(std::string("cannot read: ") + std::strerror(errno));
    if (n == 0) break;
    text.append(buf, static_cast<std::size_t>(n));
    if (text.size() > kMaxSpecFileBytes) return broken(too_large);  // it grew since fstat
  }
  if (auto at = find_invalid_utf8(text)) {
    return broken("not valid UTF-8 (first bad byte at offset " + std::to_string(*at) +
                  "); spec files are UTF-8 text");
  }
  return text;
}

Result<std::vector<SpecFileEntry>> read_spec_dir(const std::filesystem::path& dir) {
  std::vector<SpecFileEntry> entries;
  std::error_code ec;
  if (!std::filesystem::exists(dir, ec)) {
    if (ec && ec != std::errc::no_such_file_or_directory) {
      return error(ErrorCode::kConfig, dir.string() + ": cannot look at: " + ec.message());
    }
    return entries;
  }
  if (!std::filesystem::is_directory(dir, ec)) {
    return error(ErrorCode::kConfig, dir.string() + ": not a directory");
  }
  std::filesystem::directory_iterator it(dir, ec);
  for (; !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    const auto& p = it->path();
    if (p.extension() != ".toml") continue;
    SpecFileEntry& entry = entries.emplace_back();
    entry.name = p.filename().string();
    auto text = read_spec_file(p);
    if (text.ok()) {
      entry.text = std::move(text).value();
    } else {
      entry.error = text.status();
    }
  }
  if (ec) return error(ErrorCode::kConfig, dir.string() + ": cannot list: " + ec.message());
  std::sort(entries.begin(), entries.end(),
            [](const SpecFileEntry& a, const SpecFileEntry& b) { return a.name < b.name; });
  return entries;
}

Status load_spec_dir(const std::filesystem::path& dir, SourceRegistry& registry,
                     std::vector<Status>& errors) {
  MU_ASSIGN_OR_RETURN(std::vector<SpecFileEntry> entries, read_spec_dir(dir));
  for (auto& entry : entries) {
    if (!entry.error.ok()) {
      errors.push_back(entry.error);
      continue;
    }
    ParsedSpec spec = parse_spec(entry.text, entry.name);
    if (!spec.ok()) {
      Status first = spec.errors.front();
      if (spec.errors.size() > 1) {
        first = error(ErrorCode::kConfig, first.message() + " (and " +
                                              std::to_string(spec.errors.size() - 1) +
                                              " more problems)");
      }
      errors.push_back(first);
      continue;
    }
    if (Status s = register_spec(std::move(spec), registry); !s.ok()) {
      errors.push_back(error(ErrorCode::kConfig, s.message()));
    }
  }
  return ok_status();
}

Status register_builtin_specs(SourceRegistry& registry) {
  for (const BuiltinSpecFile& file : builtin_spec_files()) {
    ParsedSpec spec = parse_spec(file.text, file.name);
    if (!spec.ok()) return spec.errors.front();
    MU_RETURN_IF_ERROR(register_spec(std::move(spec), registry));
  }
  return ok_status();
}

}  // namespace mu
