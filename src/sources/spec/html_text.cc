#include "sources/spec/html_text.h"

#include <libxml/tree.h>

#include <initializer_list>

#include "sources/common/html.h"
#include "sources/common/text.h"

namespace mu {
namespace {

bool name_in(const xmlChar* name, std::initializer_list<const char*> names) {
  if (name == nullptr) return false;
  const std::string n = ascii_lower(reinterpret_cast<const char*>(name));
  for (const char* candidate : names) {
    if (n == candidate) return true;
  }
  return false;
}

bool is_skipped(const xmlChar* name) {
  return name_in(name, {"script", "style", "noscript", "template", "head"});
}

bool is_block(const xmlChar* name) {
  return name_in(name, {"p",      "br",     "div",        "li",         "ul", "ol",      "h1",
                        "h2",     "h3",     "h4",         "h5",         "h6", "tr",      "td",
                        "th",     "table",  "blockquote", "pre",        "hr", "section", "article",
                        "header", "footer", "figure",     "figcaption", "dd", "dt",      "dl"});
}

void append_text(const xmlNode* node, std::string& out, int depth) {
  if (depth > 256) return;  // pathological nesting: stop rather than recurse forever
  for (const xmlNode* n = node; n != nullptr; n = n->next) {
    switch (n->type) {
      case XML_TEXT_NODE:
      case XML_CDATA_SECTION_NODE:
        if (n->content != nullptr) out += reinterpret_cast<const char*>(n->content);
        break;
      case XML_ELEMENT_NODE:
        if (is_skipped(n->name)) break;
        if (is_block(n->name)) out.push_back(' ');
        append_text(n->children, out, depth + 1);
        if (is_block(n->name)) out.push_back(' ');
        break;
      default:
        break;
    }
  }
}

}  // namespace

std::string html_to_text(std::string_view html) {
  if (html.find('<') == std::string_view::npos && html.find('&') == std::string_view::npos) {
    return collapse_whitespace(html);
  }
  // Wrapped so that a fragment starting with text still parses as one body.
  std::string wrapped = "<html><body><div>";
  wrapped.append(html);
  wrapped += "</div></body></html>";
  auto doc = HtmlDoc::parse(wrapped, "", "UTF-8");
  if (!doc.ok()) return collapse_whitespace(html);
  std::string out;
  const HtmlNode root = doc->root();
  append_text(root.raw(), out, 0);
  return collapse_whitespace(out);
}

std::string first_image_src(std::string_view html) {
  if (html.find("<img") == std::string_view::npos && html.find("<IMG") == std::string_view::npos) {
    return {};
  }
  auto doc = HtmlDoc::parse(html, "", "UTF-8");
  if (!doc.ok()) return {};
  for (const HtmlNode& img : doc->select("//img")) {
    // Tracking pixels (1x1) are not pictures of the story.
    const std::string width = trim(img.attr("width"));
    const std::string height = trim(img.attr("height"));
    if (width == "0" || width == "1" || height == "0" || height == "1") continue;
    for (const char* attr : {"src", "data-src", "data-original"}) {
      std::string src = trim(img.attr(attr));
      if (!src.empty() && src.rfind("data:", 0) != 0) return src;
    }
  }
  return {};
}

}  // namespace mu
