// Mapping engines of declarative sources: how a JSON document or an HTML page becomes items.
// The rules are compiled once from a spec file (spec_loader.h validates them, so a bad path,
// selector or pattern is rejected at load time); map_json() and map_html() then apply them
// to each response. Rules are immutable values; the engines are pure functions, safe for
// concurrent use, and never throw: wrong types, missing fields and huge numbers become
// empty fields or typed errors.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"
#include "core/types.h"
#include "sources/spec/regex.h"

namespace mu {

// The Item fields a rule can fill.
enum class ItemField {
  kKey,
  kTitle,
  kUrl,
  kMobileUrl,
  kSummary,
  kImage,
  kHot,
  kHotText,
  kLabel,
  kAuthor,
  kPublishedAt,
};
std::optional<ItemField> parse_item_field(std::string_view name);
std::string_view item_field_name(ItemField field);

// How an extracted string is turned into the field's value (after the optional re2).
enum class ValueFilter {
  kNone,        // as extracted (whitespace collapsed)
  kHtml,        // markup and entities reduced to text ("&amp;" -> "&")
  kSeconds,     // Unix seconds -> published_at
  kMillis,      // Unix milliseconds -> published_at
  kIso,         // ISO 8601 -> published_at
  kDate,        // any date dates.h knows, or a Unix time (s or ms by size) -> published_at
  kPopularity,  // "2123万", "3.5k", "532 points" -> hot (parse_popularity)
  kNumber,      // a plain number -> hot
};
std::optional<ValueFilter> parse_value_filter(std::string_view name);
// Filters that make sense for `field` ("seconds" only for published_at, ...).
bool filter_fits(ValueFilter filter, ItemField field);

// ---------------------------------------------------------------- JSON paths and templates

// "data.items", "data.children[*].data", "[0].id", "list[2]". Steps are object members,
// array indexes or [*] (every element).
struct JsonPathStep {
  enum class Kind { kMember, kIndex, kAll };
  Kind kind = Kind::kMember;
  std::string name;
  std::size_t index = 0;
};
struct JsonPath {
  std::vector<JsonPathStep> steps;  // empty = the value itself
  std::string text;
  bool has_wildcard() const;
};
// kInvalid for "a..b", "a[", "a[x]", "a]" and the like.
Result<JsonPath> parse_json_path(std::string_view text);

// "https://www.zhihu.com/question/{target.id}", "{replies} 回复", "{word|url}" (percent-
// encoded). "{{" and "}}" are literal braces. Renders to "" when a placeholder is missing,
// null or empty, so alternatives can take over.
struct TemplatePart {
  std::string literal;           // text before the placeholder (or the whole tail)
  std::optional<JsonPath> path;  // none for a trailing literal
  bool url_encode = false;       // "{x|url}"
};
struct JsonTemplate {
  std::vector<TemplatePart> parts;
  std::string text;
};
Result<JsonTemplate> parse_json_template(std::string_view text);
// A template that is exactly one path (what a bare "title.name" means).
JsonTemplate template_from_path(JsonPath path);

// ---------------------------------------------------------------- rules

// Where an HTML value comes from: the first node matching `xpath` below the item (the item
// itself when empty), then the first non-empty of `attrs` ("text" = its text).
struct HtmlPick {
  std::string xpath;
  std::vector<std::string> attrs{"text"};
};

// One field: alternatives tried in order until one is non-empty, then re2 (first capture
// group), then the filter, then `fallback` when still empty.
struct ValueRule {
  std::vector<JsonTemplate> json;  // used by map_json
  std::vector<HtmlPick> html;      // used by map_html
  std::optional<Regex> re2;
  ValueFilter filter = ValueFilter::kNone;
  std::string fallback;
};

// Items matching any skip rule are left out (ads, pinned posts, ...).
struct SkipRule {
  enum class Op { kEquals, kNotEquals, kExists, kMissing, kMatches };
  ValueRule value;  // what to look at (json path or html pick)
  Op op = Op::kEquals;
  std::string operand;           // kEquals / kNotEquals: compared as text ("1", "true", "ad")
  std::optional<Regex> pattern;  // kMatches
  std::string text;              // for messages
};

struct ItemRules {
  std::vector<std::pair<ItemField, ValueRule>> fields;
  std::vector<std::pair<std::string, ValueRule>> extra;  // Item::extra entries
  std::vector<SkipRule> skip;
  int default_offset_minutes = 0;  // zone of dates printed without one
};

struct JsonRules {
  JsonPath list;                 // where the item array is; empty = the root array
  std::optional<Regex> extract;  // pulls the JSON out of a page before parsing
  ItemRules items;
};

struct HtmlRules {
  std::string items_xpath;  // absolute XPath of the item nodes
  std::string items_text;   // as written in the spec ("css:article.Box-row"), for messages
  ItemRules items;
};

// `body` is UTF-8. Relative url / mobile_url / image values are resolved against
// `base_url`. kParse when the body (or the extracted part) is not JSON, the list path is
// missing or not an array, or it is empty. Items are returned raw: run finish_items().
Result<std::vector<Item>> map_json(std::string_view body, std::string_view base_url,
                                   const JsonRules& rules);

// `charset` overrides the page's declared charset when not empty. kParse when no node
// matches items_xpath (naming the page title) or the page is not HTML.
Result<std::vector<Item>> map_html(std::string_view body, std::string_view base_url,
                                   std::string_view charset, const HtmlRules& rules);

// Shared by both engines: turns the raw strings of one item into an Item (re2, filters,
// fallbacks, URL resolution). `raw` is indexed like rules.fields, `raw_extra` like
// rules.extra.
Item build_item(const ItemRules& rules, const std::vector<std::string>& raw,
                const std::vector<std::string>& raw_extra, std::string_view base_url);

// Applies re2 and the fallback to one extracted value.
std::string finish_value(const ValueRule& rule, std::string value);

// True when `value` (already through finish_value) makes `rule` skip its item.
bool skip_matches(const SkipRule& rule, const std::string& value);

}  // namespace mu
