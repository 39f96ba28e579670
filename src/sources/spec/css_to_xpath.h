// CSS selectors for declarative HTML sources, translated to XPath 1.0 so they run on
// HtmlDoc (libxml2). Supported: type and '*', #id, .class (any number), [attr],
// [attr=v], [attr~=v], [attr|=v], [attr^=v], [attr*=v], [attr$=v] (v quoted or bare),
// descendant ' ', child '>', adjacent '+' and general '~' siblings, :first-child,
// :last-child, :only-child, :nth-child(an+b | odd | even), :nth-last-child(...),
// :first-of-type, :last-of-type, :not(compound) and comma groups. Anything else
// (pseudo-elements, :hover, escapes, namespaces) is a kInvalid error naming it.
// Pure functions; safe for concurrent use.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace mu {

enum class CssScope {
  kDocument,  // "div.a p" matches anywhere in the document: "//div[...]//p"
  kRelative,  // below a context node (a list item): ".//div[...]//p"; may start with '>',
              // '+' or '~' ("> a" = a child link of the item)
};

Result<std::string> css_to_xpath(std::string_view css, CssScope scope = CssScope::kDocument);

// `s` as an XPath string literal: 'abc', "it's", or concat(...) when it holds both quotes.
std::string xpath_literal(std::string_view s);

}  // namespace mu
