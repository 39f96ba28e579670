// HTML helpers for site parsers on libxml2: HtmlDoc owns a parsed page (RAII over
// htmlCtxtReadMemory with RECOVER | NOERROR | NOWARNING | NONET | HUGE, so messy real
// pages parse, nothing is printed and deep pages are not silently cut), answers XPath 1.0
// queries as node lists, and resolves relative links against the page URL. HtmlNode is a
// borrowed handle into its HtmlDoc.
//
// Thread-safety: libxml2 is initialised once per process on first use (xmlInitParser is
// run under a function-local static, so concurrent first calls are safe; Mu never calls
// xmlCleanupParser). Each HtmlDoc belongs to one thread at a time (each collect() parses
// its own); different documents may be used on different threads concurrently. Parse and
// XPath errors never reach libxml2's global handlers: they are silenced per parser and per
// XPath context.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

// libxml2's own struct tags, forward-declared so this header does not pull in libxml2.
struct _xmlDoc;   // NOLINT(bugprone-reserved-identifier)
struct _xmlNode;  // NOLINT(bugprone-reserved-identifier)

namespace mu {

class HtmlDoc;

// A node of an HtmlDoc (usually an element; attribute and text nodes appear when an XPath
// selects them). Valid while its document lives. Default-constructed = no node.
class HtmlNode {
 public:
  HtmlNode() = default;

  explicit operator bool() const { return node_ != nullptr; }
  // Lower-case tag name ("a", "tr"); "" for no node.
  std::string name() const;
  // Text of the whole subtree with whitespace collapsed (U+3000 and NBSP included).
  std::string text() const;
  // Attribute value, entities decoded; "" when absent.
  std::string attr(std::string_view name) const;
  bool has_attr(std::string_view name) const;
  // True when the space-separated class attribute contains `cls`.
  bool has_class(std::string_view cls) const;

  _xmlNode* raw() const { return node_; }

 private:
  friend class HtmlDoc;
  explicit HtmlNode(_xmlNode* node) : node_(node) {}
  _xmlNode* node_ = nullptr;
};

class HtmlDoc {
 public:
  // Parses `body`. `base_url` is the page's URL (for resolve_url()). `charset` (e.g. from
  // the Content-Type header) wins when given; otherwise a charset declared in a <meta> is
  // honoured, and UTF-8 is assumed when the page declares none.
  // kParse for an empty body or a page without any element; kTooLarge past 2 GiB.
  static Result<HtmlDoc> parse(std::string_view body, std::string_view base_url,
                               std::string_view charset = {});

  HtmlDoc(HtmlDoc&&) noexcept;
  HtmlDoc& operator=(HtmlDoc&&) noexcept;
  ~HtmlDoc();

  // XPath 1.0 node-set query, relative to `context` when given (write ".//td" for its
  // descendants), else to the document. Results are in document order.
  std::vector<HtmlNode> select(std::string_view xpath, HtmlNode context = {}) const;
  // As select(), but a malformed expression or a non-node-set result is kInvalid (for
  // expressions that come from configuration rather than code).
  Result<std::vector<HtmlNode>> try_select(std::string_view xpath, HtmlNode context = {}) const;
  // The first match, or no node.
  HtmlNode first(std::string_view xpath, HtmlNode context = {}) const;
  // Text of the first match with whitespace collapsed; "" when nothing matches.
  std::string first_text(std::string_view xpath, HtmlNode context = {}) const;

  HtmlNode root() const;
  // The <title> text, whitespace-collapsed ("" when absent).
  std::string title() const;
  const std::string& base_url() const { return base_url_; }
  // `href` made absolute against base_url() (see mu::resolve_url).
  std::string resolve_url(std::string_view href) const;

 private:
  struct DocDeleter {
    void operator()(_xmlDoc* doc) const;
  };
  HtmlDoc() = default;

  std::unique_ptr<_xmlDoc, DocDeleter> doc_;
  std::string base_url_;
};

// XPath predicate for "has CSS class": contains(concat(' ', normalize-space(@class), ' '),
// ' cls '). Use as "//tr[" + xpath_has_class("athing") + "]".
std::string xpath_has_class(std::string_view cls);

// Resolves `href` (trimmed) against `base` per RFC 3986: absolute URLs are returned as
// they are, "//host/x" takes the base's scheme, "/x", "x?y", "?q" and "#f" are joined.
// "" when `href` is empty or cannot be resolved.
std::string resolve_url(std::string_view base, std::string_view href);

// The charset parameter of a Content-Type value ("text/html; charset=GBK" -> "GBK").
std::string charset_from_content_type(std::string_view content_type);

}  // namespace mu
