#include "sources/spec/mapping.h"

#include <array>
#include <cmath>

#include "sources/common/html.h"
#include "sources/common/text.h"
#include "sources/spec/dates.h"
#include "sources/spec/html_text.h"

namespace mu {
namespace {

constexpr std::size_t kSummaryBytes = 400;

struct FieldName {
  ItemField field;
  const char* name;
};
constexpr std::array<FieldName, 11> kFieldNames{{
    {ItemField::kKey, "key"},
    {ItemField::kTitle, "title"},
    {ItemField::kUrl, "url"},
    {ItemField::kMobileUrl, "mobile_url"},
    {ItemField::kSummary, "summary"},
    {ItemField::kImage, "image"},
    {ItemField::kHot, "hot"},
    {ItemField::kHotText, "hot_text"},
    {ItemField::kLabel, "label"},
    {ItemField::kAuthor, "author"},
    {ItemField::kPublishedAt, "published_at"},
}};

struct FilterName {
  ValueFilter filter;
  const char* name;
};
constexpr std::array<FilterName, 8> kFilterNames{{
    {ValueFilter::kNone, "none"},
    {ValueFilter::kHtml, "html"},
    {ValueFilter::kSeconds, "seconds"},
    {ValueFilter::kMillis, "ms"},
    {ValueFilter::kIso, "iso"},
    {ValueFilter::kDate, "date"},
    {ValueFilter::kPopularity, "popularity"},
    {ValueFilter::kNumber, "number"},
}};

bool is_time_filter(ValueFilter f) {
  return f == ValueFilter::kSeconds || f == ValueFilter::kMillis || f == ValueFilter::kIso ||
         f == ValueFilter::kDate;
}

std::optional<int64_t> unix_value_ms(std::string_view s, bool seconds) {
  std::optional<double> v = parse_double(s);
  if (!v || !std::isfinite(*v) || *v <= 0) return std::nullopt;
  const double ms = seconds ? *v * 1000.0 : *v;
  if (ms >= 1e15) return std::nullopt;  // past year 33000: not a timestamp
  return static_cast<int64_t>(ms);
}

std::optional<int64_t> to_time_ms(ValueFilter filter, const std::string& value, int offset) {
  const std::string v = trim(value);
  if (v.empty()) return std::nullopt;
  switch (filter) {
    case ValueFilter::kSeconds:
      return unix_value_ms(v, true);
    case ValueFilter::kMillis:
      return unix_value_ms(v, false);
    case ValueFilter::kIso:
      return parse_date_ms(v, offset);
    default: {
      if (auto d = parse_double(v)) {
        // Unix time: seconds up to year 5138, milliseconds beyond.
        return unix_value_ms(v, std::fabs(*d) < 1e11);
      }
      return parse_date_ms(v, offset);
    }
  }
}

std::optional<double> to_number(ValueFilter filter, const std::string& value) {
  std::optional<double> v =
      filter == ValueFilter::kNumber ? parse_double(trim(value)) : parse_popularity(value);
  if (!v || !std::isfinite(*v)) return std::nullopt;
  return v;
}

// A link value made absolute. Words that cannot be a link ("self", "default", "nsfw": what
// Reddit puts in thumbnail) are dropped instead of being resolved into nonsense.
std::string link_value(std::string_view base_url, const std::string& value) {
  const std::string v = trim(value);
  if (v.empty()) return {};
  if (v.find_first_of("/.:") == std::string::npos) return {};
  return resolve_url(base_url, v);
}

std::string text_value(ValueFilter filter, const std::string& value) {
  if (filter == ValueFilter::kHtml) return html_to_text(value);
  return collapse_whitespace(value);
}

}  // namespace

std::optional<ItemField> parse_item_field(std::string_view name) {
  for (const auto& f : kFieldNames) {
    if (name == f.name) return f.field;
  }
  return std::nullopt;
}

std::string_view item_field_name(ItemField field) {
  for (const auto& f : kFieldNames) {
    if (f.field == field) return f.name;
  }
  return "?";
}

std::optional<ValueFilter> parse_value_filter(std::string_view name) {
  for (const auto& f : kFilterNames) {
    if (name == f.name) return f.filter;
  }
  return std::nullopt;
}

bool filter_fits(ValueFilter filter, ItemField field) {
  if (filter == ValueFilter::kNone) return true;
  if (field == ItemField::kPublishedAt) return is_time_filter(filter);
  if (field == ItemField::kHot) {
    return filter == ValueFilter::kPopularity || filter == ValueFilter::kNumber;
  }
  if (field == ItemField::kUrl || field == ItemField::kMobileUrl || field == ItemField::kImage ||
      field == ItemField::kKey) {
    return false;
  }
  return filter == ValueFilter::kHtml;
}

// ---------------------------------------------------------------- paths and templates

bool JsonPath::has_wildcard() const {
  for (const auto& s : steps) {
    if (s.kind == JsonPathStep::Kind::kAll) return true;
  }
  return false;
}

Result<JsonPath> parse_json_path(std::string_view text) {
  JsonPath path;
  path.text = std::string(text);
  auto bad = [&](const std::string& why) {
    return error(ErrorCode::kInvalid, "path \"" + std::string(text) + "\": " + why);
  };
  if (text.size() > 512) return bad("longer than 512 characters");
  std::size_t i = 0;
  bool expect_name = true;  // at the start or after '.'
  while (i < text.size()) {
    const char c = text[i];
    if (c == '[') {
      const std::size_t close = text.find(']', i);
      if (close == std::string_view::npos) return bad("missing ']'");
      const std::string_view inner = text.substr(i + 1, close - i - 1);
      JsonPathStep step;
      if (inner == "*") {
        step.kind = JsonPathStep::Kind::kAll;
      } else {
        auto index = parse_int(inner);
        if (!index || *index < 0 || inner.empty() ||
            inner.find_first_not_of("0123456789") != std::string_view::npos) {
          return bad("index \"" + std::string(inner) + "\" is not a number or *");
        }
        step.kind = JsonPathStep::Kind::kIndex;
        step.index = static_cast<std::size_t>(*index);
      }
      path.steps.push_back(step);
      i = close + 1;
      expect_name = false;
      if (i < text.size() && text[i] != '.' && text[i] != '[') return bad("expected '.' or '['");
      if (i < text.size() && text[i] == '.') {
        ++i;
        expect_name = true;
        if (i == text.size()) return bad("ends with '.'");
      }
      continue;
    }
    if (!expect_name) return bad("expected '.' or '['");
    std::size_t end = i;
    while (end < text.size() && text[end] != '.' && text[end] != '[') {
      if (text[end] == ']' || text[end] == '{' || text[end] == '}' || text[end] == '|') {
        return bad("unexpected '" + std::string(1, text[end]) + "'");
      }
      ++end;
    }
    if (end == i) return bad("empty step");
    JsonPathStep step;
    step.name = std::string(text.substr(i, end - i));
    path.steps.push_back(std::move(step));
    i = end;
    expect_name = false;
    if (i < text.size() && text[i] == '.') {
      ++i;
      expect_name = true;
      if (i == text.size()) return bad("ends with '.'");
    }
  }
  return path;
}

Result<JsonTemplate> parse_json_template(std::string_view text) {
  JsonTemplate t;
  t.text = std::string(text);
  auto bad = [&](const std::string& why) {
    return error(ErrorCode::kInvalid, "template \"" + std::string(text) + "\": " + why);
  };
  std::string literal;
  std::size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (c == '{' && i + 1 < text.size() && text[i + 1] == '{') {
      literal.push_back('{');
      i += 2;
      continue;
    }
    if (c == '}' && i + 1 < text.size() && text[i + 1] == '}') {
      literal.push_back('}');
      i += 2;
      continue;
    }
    if (c == '}') return bad("unmatched '}' (write \"}}\" for a brace)");
    if (c != '{') {
      literal.push_back(c);
      ++i;
      continue;
    }
    const std::size_t close = text.find('}', i + 1);
    if (close == std::string_view::npos) return bad("unclosed '{'");
    std::string_view inner = text.substr(i + 1, close - i - 1);
    TemplatePart part;
    part.literal = std::move(literal);
    literal.clear();
    if (std::size_t bar = inner.find('|'); bar != std::string_view::npos) {
      const std::string_view modifier = inner.substr(bar + 1);
      if (modifier != "url") {
        return bad("unknown modifier \"" + std::string(modifier) + "\" (only \"url\")");
      }
      part.url_encode = true;
      inner = inner.substr(0, bar);
    }
    if (inner.empty()) return bad("empty placeholder {}");
    auto path = parse_json_path(inner);
    if (!path.ok()) return bad(path.error_message());
    part.path = std::move(path).value();
    t.parts.push_back(std::move(part));
    i = close + 1;
  }
  if (!literal.empty() || t.parts.empty()) {
    TemplatePart tail;
    tail.literal = std::move(literal);
    t.parts.push_back(std::move(tail));
  }
  return t;
}

JsonTemplate template_from_path(JsonPath path) {
  JsonTemplate t;
  t.text = "{" + path.text + "}";
  TemplatePart part;
  part.path = std::move(path);
  t.parts.push_back(std::move(part));
  return t;
}

// ---------------------------------------------------------------- values and items

std::string finish_value(const ValueRule& rule, std::string value) {
  if (rule.re2 && !value.empty()) value = rule.re2->extract(value).value_or(std::string());
  if (is_blank(value)) value = rule.fallback;
  return value;
}

bool skip_matches(const SkipRule& rule, const std::string& value) {
  const std::string v = trim(value);
  switch (rule.op) {
    case SkipRule::Op::kEquals:
      return v == rule.operand;
    case SkipRule::Op::kNotEquals:
      return v != rule.operand;
    case SkipRule::Op::kExists:
      return !v.empty();
    case SkipRule::Op::kMissing:
      return v.empty();
    case SkipRule::Op::kMatches:
      return rule.pattern && rule.pattern->matches(v);
  }
  return false;
}

Item build_item(const ItemRules& rules, const std::vector<std::string>& raw,
                const std::vector<std::string>& raw_extra, std::string_view base_url) {
  Item item;
  for (std::size_t i = 0; i < rules.fields.size() && i < raw.size(); ++i) {
    const auto& [field, rule] = rules.fields[i];
    const std::string& v = raw[i];
    switch (field) {
      case ItemField::kKey:
        item.key = collapse_whitespace(v);
        break;
      case ItemField::kTitle:
        item.title = text_value(rule.filter, v);
        break;
      case ItemField::kUrl:
        item.url = link_value(base_url, v);
        break;
      case ItemField::kMobileUrl:
        item.mobile_url = link_value(base_url, v);
        break;
      case ItemField::kImage:
        item.image = link_value(base_url, v);
        break;
      case ItemField::kSummary:
        item.summary = truncate_utf8(text_value(rule.filter, v), kSummaryBytes);
        break;
      case ItemField::kHot:
        item.hot = to_number(rule.filter, v);
        break;
      case ItemField::kHotText:
        item.hot_text = text_value(rule.filter, v);
        break;
      case ItemField::kLabel:
        item.label = text_value(rule.filter, v);
        break;
      case ItemField::kAuthor:
        item.author = text_value(rule.filter, v);
        break;
      case ItemField::kPublishedAt:
        item.published_at_ms = to_time_ms(rule.filter, v, rules.default_offset_minutes);
        break;
    }
  }
  for (std::size_t i = 0; i < rules.extra.size() && i < raw_extra.size(); ++i) {
    std::string v = text_value(rules.extra[i].second.filter, raw_extra[i]);
    if (!v.empty()) item.extra.emplace_back(rules.extra[i].first, truncate_utf8(v, 200));
  }
  return item;
}

}  // namespace mu
