// libFuzzer target: css_to_xpath never crashes, and every selector it accepts becomes an
// XPath expression libxml2 accepts and evaluates to a node set (in both scopes).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "sources/common/html.h"
#include "sources/spec/css_to_xpath.h"

namespace {

const mu::HtmlDoc& page() {
  static const mu::HtmlDoc doc = [] {
    auto parsed = mu::HtmlDoc::parse(
        "<html><body><ul id=\"l\" class=\"a b\"><li class=\"x\">1</li><li>2</li></ul>"
        "<h2>t</h2><p lang=\"zh-CN\">p</p><a href=\"/x.png\" title=\"it's\">a</a></body></html>",
        "https://fuzz.example/");
    if (!parsed.ok()) __builtin_trap();
    return std::move(parsed).value();
  }();
  return doc;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 4096) return 0;
  std::string_view css(reinterpret_cast<const char*>(data), size);
  const mu::HtmlDoc& doc = page();
  for (mu::CssScope scope : {mu::CssScope::kDocument, mu::CssScope::kRelative}) {
    auto xpath = mu::css_to_xpath(css, scope);
    if (!xpath.ok()) {
      if (xpath.code() != mu::ErrorCode::kInvalid || xpath.error_message().empty()) {
        __builtin_trap();
      }
      continue;
    }
    auto nodes =
        doc.try_select(*xpath, scope == mu::CssScope::kRelative ? doc.root() : mu::HtmlNode());
    if (!nodes.ok()) __builtin_trap();  // an accepted selector made a broken XPath
  }
  return 0;
}
