// map_json: the JSON engine of declarative sources (see mapping.h).
#include <string>
#include <vector>

#include "sources/common/html.h"
#include "sources/common/http_util.h"
#include "sources/common/json_util.h"
#include "sources/common/text.h"
#include "sources/spec/mapping.h"

namespace mu {
namespace {

// Every value `path` reaches from `v` ([*] fans out over array elements).
void eval_path(const JsonView& v, const JsonPath& path, std::size_t step,
               std::vector<JsonView>& out) {
  if (!v.exists()) return;
  if (step == path.steps.size()) {
    out.push_back(v);
    return;
  }
  const JsonPathStep& s = path.steps[step];
  switch (s.kind) {
    case JsonPathStep::Kind::kMember:
      eval_path(v.member(s.name), path, step + 1, out);
      break;
    case JsonPathStep::Kind::kIndex:
      eval_path(v.at(s.index), path, step + 1, out);
      break;
    case JsonPathStep::Kind::kAll:
      for (const JsonView& e : v.elements()) eval_path(e, path, step + 1, out);
      break;
  }
}

// The first value `path` reaches (a missing view when none).
JsonView first_value(const JsonView& v, const JsonPath& path) {
  std::vector<JsonView> found;
  eval_path(v, path, 0, found);
  return found.empty() ? JsonView() : found.front();
}

// A scalar as text: strings as they are, numbers printed, booleans "true"/"false"; arrays
// of scalars joined with ", "; null, objects and missing values "".
std::string as_text(const JsonView& v, int depth = 0) {
  if (!v.exists() || v.is_null() || v.is_object()) return {};
  if (v.is_bool()) return v.bool_or("", false) ? "true" : "false";
  if (v.is_array()) {
    if (depth > 0) return {};
    std::string out;
    for (const JsonView& e : v.elements()) {
      std::string s = as_text(e, depth + 1);
      if (s.empty()) continue;
      if (!out.empty()) out += ", ";
      out += s;
      if (out.size() > 1024) break;
    }
    return out;
  }
  return v.string_or("");
}

std::string render(const JsonView& item, const JsonTemplate& t) {
  std::string out;
  for (const TemplatePart& part : t.parts) {
    out += part.literal;
    if (!part.path) continue;
    std::string value = as_text(first_value(item, *part.path));
    if (is_blank(value)) return {};
    out += part.url_encode ? percent_encode(value) : value;
  }
  return out;
}

std::string evaluate(const JsonView& item, const ValueRule& rule) {
  std::string value;
  for (const JsonTemplate& t : rule.json) {
    value = render(item, t);
    if (!is_blank(value)) break;
  }
  return finish_value(rule, std::move(value));
}

// A message the API put next to (or instead of) the data, for error text.
std::string api_message(const JsonView& root) {
  for (const char* key : {"message", "msg", "error", "errmsg", "error_msg", "reason"}) {
    std::string m = as_text(root.member(key));
    if (!m.empty()) return truncate_utf8(collapse_whitespace(m), 120);
  }
  return {};
}

std::string page_title(std::string_view body) {
  auto doc = HtmlDoc::parse(body, "");
  if (!doc.ok()) return {};
  return truncate_utf8(doc->title(), 80);
}

}  // namespace

Result<std::vector<Item>> map_json(std::string_view body, std::string_view base_url,
                                   const JsonRules& rules) {
  std::string extracted;
  std::string_view json_text = body;
  if (rules.extract) {
    auto got = rules.extract->extract(body);
    if (!got) {
      const std::string title = page_title(body);
      return error(ErrorCode::kParse,
                   "extract.re2 found nothing in the page" +
                       (title.empty() ? std::string() : " titled \"" + title + "\""));
    }
    extracted = std::move(*got);
    json_text = extracted;
  }
  const std::string start = trim(json_text.substr(0, 64));
  if (!start.empty() && start.front() == '<') {
    return error(ErrorCode::kParse,
                 "expected JSON, got an HTML page titled \"" + page_title(json_text) + "\"");
  }
  MU_ASSIGN_OR_RETURN(JsonDoc doc, JsonDoc::parse(json_text, ""));
  const JsonView root = doc.root();

  std::vector<JsonView> entries;
  if (rules.list.has_wildcard()) {
    eval_path(root, rules.list, 0, entries);
    if (entries.empty()) {
      std::string msg = api_message(root);
      return error(ErrorCode::kParse, "list \"" + rules.list.text + "\" matches nothing" +
                                          (msg.empty() ? "" : " (message: " + msg + ")"));
    }
  } else {
    const JsonView list = first_value(root, rules.list);
    if (!list.is_array()) {
      const std::string where = rules.list.text.empty() ? "the document" : rules.list.text;
      std::string msg = api_message(root);
      return error(ErrorCode::kParse,
                   where + ": expected an array, got " +
                       std::string(list.exists() ? list.kind_name() : "nothing") +
                       (msg.empty() ? "" : " (message: " + msg + ")"));
    }
    entries = list.elements();
    if (entries.empty()) {
      return error(ErrorCode::kParse,
                   (rules.list.text.empty() ? std::string("the document") : rules.list.text) +
                       ": empty list");
    }
  }

  const ItemRules& r = rules.items;
  std::vector<Item> items;
  items.reserve(entries.size());
  std::vector<std::string> raw(r.fields.size());
  std::vector<std::string> raw_extra(r.extra.size());
  for (const JsonView& entry : entries) {
    bool skip = false;
    for (const SkipRule& rule : r.skip) {
      if (skip_matches(rule, evaluate(entry, rule.value))) {
        skip = true;
        break;
      }
    }
    if (skip) continue;
    for (std::size_t i = 0; i < r.fields.size(); ++i) raw[i] = evaluate(entry, r.fields[i].second);
    for (std::size_t i = 0; i < r.extra.size(); ++i)
      raw_extra[i] = evaluate(entry, r.extra[i].second);
    items.push_back(build_item(r, raw, raw_extra, base_url));
  }
  if (items.empty()) {
    return error(ErrorCode::kParse,
                 "all " + std::to_string(entries.size()) + " entries were skipped by skip_if");
  }
  return items;
}

}  // namespace mu
