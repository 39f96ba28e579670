#include "sources/common/html.h"

#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/uri.h>
#include <libxml/xmlerror.h>
#include <libxml/xpath.h>

#include <cctype>
#include <climits>

#include "sources/common/text.h"

namespace mu {
namespace {

// Runs xmlInitParser exactly once per process; a function-local static makes concurrent
// first calls wait for the first one (xmlInitParser is itself safe to call repeatedly).
void ensure_libxml_initialized() {
  static const bool initialized = [] {
    xmlInitParser();
    return true;
  }();
  (void)initialized;
}

// Structured error sink installed per parser / XPath context: swallows the message so
// nothing goes to libxml2's default (stderr) handler. Generic in the error pointer type,
// which gained a `const` in libxml2 2.12.
constexpr auto kIgnoreStructuredError = [](void* /*user_data*/, auto /*error*/) {};

struct ParserCtxtDeleter {
  void operator()(htmlParserCtxt* ctxt) const { htmlFreeParserCtxt(ctxt); }
};
struct XPathCtxtDeleter {
  void operator()(xmlXPathContext* ctxt) const { xmlXPathFreeContext(ctxt); }
};
struct XPathObjectDeleter {
  void operator()(xmlXPathObject* obj) const { xmlXPathFreeObject(obj); }
};

std::string take_xml_string(xmlChar* s) {
  if (s == nullptr) return {};
  std::string out(reinterpret_cast<const char*>(s));
  xmlFree(s);
  return out;
}

const xmlChar* as_xml(const std::string& s) { return reinterpret_cast<const xmlChar*>(s.c_str()); }

// The charset a page declares in its first bytes (<meta charset=...> or
// <meta http-equiv content="...; charset=...">); "" when none.
std::string sniff_meta_charset(std::string_view body) {
  std::string head = ascii_lower(body.substr(0, 4096));
  std::size_t pos = head.find("charset");
  if (pos == std::string::npos) return {};
  pos += 7;
  while (pos < head.size() && (head[pos] == ' ' || head[pos] == '\t')) ++pos;
  if (pos >= head.size() || head[pos] != '=') return {};
  ++pos;
  while (pos < head.size() && (head[pos] == ' ' || head[pos] == '"' || head[pos] == '\'')) ++pos;
  std::size_t end = pos;
  while (end < head.size() &&
         (std::isalnum(static_cast<unsigned char>(head[end])) || head[end] == '-' ||
          head[end] == '_' || head[end] == ':' || head[end] == '.')) {
    ++end;
  }
  return head.substr(pos, end - pos);
}

bool has_scheme(std::string_view href) {
  if (href.empty() || !std::isalpha(static_cast<unsigned char>(href[0]))) return false;
  for (std::size_t i = 1; i < href.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(href[i]);
    if (c == ':') return true;
    if (!std::isalnum(c) && c != '+' && c != '-' && c != '.') return false;
  }
  return false;
}

// Percent-encodes bytes that RFC 3986 never allows raw (spaces, controls, non-ASCII, and
// "<>\"\\^`{|}"), leaving existing %XX escapes and reserved characters alone.
std::string escape_loose(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    const unsigned char c = static_cast<unsigned char>(ch);
    const bool bad = c <= 0x20 || c >= 0x7F || ch == '<' || ch == '>' || ch == '"' || ch == '\\' ||
                     ch == '^' || ch == '`' || ch == '{' || ch == '|' || ch == '}';
    if (bad) {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    } else {
      out.push_back(ch);
    }
  }
  return out;
}

std::string build_uri(const std::string& href, const std::string& base) {
  return take_xml_string(xmlBuildURI(as_xml(href), as_xml(base)));
}

}  // namespace

// ---------------------------------------------------------------- HtmlNode

std::string HtmlNode::name() const {
  if (node_ == nullptr || node_->name == nullptr) return {};
  return ascii_lower(reinterpret_cast<const char*>(node_->name));
}

std::string HtmlNode::text() const {
  if (node_ == nullptr) return {};
  return collapse_whitespace(take_xml_string(xmlNodeGetContent(node_)));
}

std::string HtmlNode::attr(std::string_view name) const {
  if (node_ == nullptr || node_->type != XML_ELEMENT_NODE) return {};
  const std::string key(name);
  return take_xml_string(xmlGetProp(node_, as_xml(key)));
}

bool HtmlNode::has_attr(std::string_view name) const {
  if (node_ == nullptr || node_->type != XML_ELEMENT_NODE) return false;
  const std::string key(name);
  return xmlHasProp(node_, as_xml(key)) != nullptr;
}

bool HtmlNode::has_class(std::string_view cls) const {
  if (cls.empty()) return false;
  const std::string classes = collapse_whitespace(attr("class"));
  std::size_t start = 0;
  while (start <= classes.size()) {
    std::size_t end = classes.find(' ', start);
    if (end == std::string::npos) end = classes.size();
    if (std::string_view(classes).substr(start, end - start) == cls) return true;
    start = end + 1;
  }
  return false;
}

// ---------------------------------------------------------------- HtmlDoc

void HtmlDoc::DocDeleter::operator()(_xmlDoc* doc) const { xmlFreeDoc(doc); }

HtmlDoc::HtmlDoc(HtmlDoc&&) noexcept = default;
HtmlDoc& HtmlDoc::operator=(HtmlDoc&&) noexcept = default;
HtmlDoc::~HtmlDoc() = default;

Result<HtmlDoc> HtmlDoc::parse(std::string_view body, std::string_view base_url,
                               std::string_view charset) {
  ensure_libxml_initialized();
  if (is_blank(body)) {
    return error(ErrorCode::kParse, "empty HTML body");
  }
  if (body.size() > static_cast<std::size_t>(INT_MAX)) {
    return error(ErrorCode::kTooLarge, "HTML body over 2 GiB");
  }
  std::string encoding(charset);
  if (encoding.empty()) encoding = sniff_meta_charset(body);
  if (encoding.empty()) encoding = "UTF-8";

  std::unique_ptr<htmlParserCtxt, ParserCtxtDeleter> ctxt(htmlNewParserCtxt());
  if (ctxt == nullptr) return error(ErrorCode::kInternal, "libxml2: cannot create HTML parser");
  if (ctxt->sax != nullptr) {
    // Per-context sinks: NOERROR/NOWARNING below drop the plain callbacks; the structured
    // one catches whatever libxml2 routes there instead of the global handler.
    ctxt->sax->serror = kIgnoreStructuredError;
    ctxt->sax->warning = nullptr;
    ctxt->sax->error = nullptr;
  }
  ctxt->vctxt.error = nullptr;
  ctxt->vctxt.warning = nullptr;

  const std::string url(base_url);
  const int options = HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
                      HTML_PARSE_NONET | XML_PARSE_HUGE;
  xmlDocPtr raw =
      htmlCtxtReadMemory(ctxt.get(), body.data(), static_cast<int>(body.size()),
                         url.empty() ? nullptr : url.c_str(), encoding.c_str(), options);
  HtmlDoc doc;
  doc.doc_.reset(raw);
  doc.base_url_ = url;
  if (doc.doc_ == nullptr || xmlDocGetRootElement(doc.doc_.get()) == nullptr) {
    return error(ErrorCode::kParse, "HTML without any element");
  }
  return doc;
}

Result<std::vector<HtmlNode>> HtmlDoc::try_select(std::string_view xpath, HtmlNode context) const {
  std::unique_ptr<xmlXPathContext, XPathCtxtDeleter> xctx(xmlXPathNewContext(doc_.get()));
  if (xctx == nullptr) return error(ErrorCode::kInternal, "libxml2: cannot create XPath context");
  xctx->error = kIgnoreStructuredError;
  xctx->userData = nullptr;
  xctx->node = context ? context.node_ : reinterpret_cast<xmlNodePtr>(doc_.get());
  const std::string expr(xpath);
  std::unique_ptr<xmlXPathObject, XPathObjectDeleter> obj(
      xmlXPathEvalExpression(as_xml(expr), xctx.get()));
  if (obj == nullptr) return error(ErrorCode::kInvalid, "malformed XPath: " + expr);
  if (obj->type != XPATH_NODESET) {
    return error(ErrorCode::kInvalid, "XPath does not select nodes: " + expr);
  }
  std::vector<HtmlNode> out;
  if (obj->nodesetval != nullptr) {
    out.reserve(static_cast<std::size_t>(obj->nodesetval->nodeNr));
    for (int i = 0; i < obj->nodesetval->nodeNr; ++i) {
      out.push_back(HtmlNode(obj->nodesetval->nodeTab[i]));
    }
  }
  return out;
}

std::vector<HtmlNode> HtmlDoc::select(std::string_view xpath, HtmlNode context) const {
  auto r = try_select(xpath, context);
  if (!r.ok()) return {};
  return std::move(r).value();
}

HtmlNode HtmlDoc::first(std::string_view xpath, HtmlNode context) const {
  auto nodes = select(xpath, context);
  return nodes.empty() ? HtmlNode() : nodes.front();
}

std::string HtmlDoc::first_text(std::string_view xpath, HtmlNode context) const {
  return first(xpath, context).text();
}

HtmlNode HtmlDoc::root() const { return HtmlNode(xmlDocGetRootElement(doc_.get())); }

std::string HtmlDoc::title() const { return first_text("//title"); }

std::string HtmlDoc::resolve_url(std::string_view href) const {
  return mu::resolve_url(base_url_, href);
}

// ---------------------------------------------------------------- free functions

std::string xpath_has_class(std::string_view cls) {
  return "contains(concat(' ', normalize-space(@class), ' '), ' " + std::string(cls) + " ')";
}

std::string resolve_url(std::string_view base, std::string_view href_in) {
  std::string href = trim(href_in);
  if (href.empty()) return {};
  if (has_scheme(href)) return href;
  if (base.empty()) return {};
  ensure_libxml_initialized();
  const std::string base_str(base);
  std::string out = build_uri(href, base_str);
  if (out.empty()) out = build_uri(escape_loose(href), escape_loose(base_str));
  return out;
}

std::string charset_from_content_type(std::string_view content_type) {
  const std::string lower = ascii_lower(content_type);
  std::size_t pos = lower.find("charset=");
  if (pos == std::string::npos) return {};
  pos += 8;
  std::string_view rest = std::string_view(content_type).substr(pos);
  std::size_t end = rest.find(';');
  std::string value = trim(rest.substr(0, end));
  if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
      value.back() == value.front()) {
    value = value.substr(1, value.size() - 2);
  }
  return value;
}

}  // namespace mu
