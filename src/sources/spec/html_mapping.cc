// map_html: the HTML engine of declarative sources (see mapping.h).
#include <string>
#include <vector>

#include "sources/common/html.h"
#include "sources/common/text.h"
#include "sources/spec/mapping.h"

namespace mu {
namespace {

std::string pick_value(const HtmlDoc& doc, const HtmlNode& item, const HtmlPick& pick) {
  HtmlNode node = item;
  if (!pick.xpath.empty()) {
    node = doc.first(pick.xpath, item);
    if (!node) return {};
  }
  for (const std::string& attr : pick.attrs) {
    std::string v = attr == "text" ? node.text() : trim(node.attr(attr));
    if (!v.empty()) return v;
  }
  return {};
}

std::string evaluate(const HtmlDoc& doc, const HtmlNode& item, const ValueRule& rule) {
  std::string value;
  for (const HtmlPick& pick : rule.html) {
    value = pick_value(doc, item, pick);
    if (!is_blank(value)) break;
  }
  return finish_value(rule, std::move(value));
}

}  // namespace

Result<std::vector<Item>> map_html(std::string_view body, std::string_view base_url,
                                   std::string_view charset, const HtmlRules& rules) {
  MU_ASSIGN_OR_RETURN(HtmlDoc doc, HtmlDoc::parse(body, base_url, charset));
  auto nodes = doc.try_select(rules.items_xpath);
  if (!nodes.ok()) return error(ErrorCode::kParse, "items: " + nodes.error_message());
  if (nodes->empty()) {
    return error(ErrorCode::kParse, "nothing matches items \"" + rules.items_text +
                                        "\" in the page titled \"" +
                                        truncate_utf8(doc.title(), 80) + "\"");
  }
  const ItemRules& r = rules.items;
  std::vector<Item> items;
  items.reserve(nodes->size());
  std::vector<std::string> raw(r.fields.size());
  std::vector<std::string> raw_extra(r.extra.size());
  for (const HtmlNode& node : *nodes) {
    bool skip = false;
    for (const SkipRule& rule : r.skip) {
      if (skip_matches(rule, evaluate(doc, node, rule.value))) {
        skip = true;
        break;
      }
    }
    if (skip) continue;
    for (std::size_t i = 0; i < r.fields.size(); ++i) {
      raw[i] = evaluate(doc, node, r.fields[i].second);
    }
    for (std::size_t i = 0; i < r.extra.size(); ++i) {
      raw_extra[i] = evaluate(doc, node, r.extra[i].second);
    }
    items.push_back(build_item(r, raw, raw_extra, doc.base_url()));
  }
  if (items.empty()) {
    return error(ErrorCode::kParse,
                 "all " + std::to_string(nodes->size()) + " items were skipped by skip_if");
  }
  return items;
}

}  // namespace mu
