#include "sources/spec/feed.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include <climits>
#include <memory>

#include "sources/common/charset.h"
#include "sources/common/html.h"
#include "sources/common/json_util.h"
#include "sources/common/text.h"
#include "sources/spec/dates.h"
#include "sources/spec/html_text.h"

namespace mu {
namespace {

constexpr std::size_t kSummaryBytes = 400;
constexpr std::size_t kTitleFromSummaryBytes = 120;

void ensure_libxml_initialized() {
  static const bool initialized = [] {
    xmlInitParser();
    return true;
  }();
  (void)initialized;
}

// Swallows parser messages (generic in the error pointer type, const since libxml2 2.12).
constexpr auto kIgnoreStructuredError = [](void* /*user_data*/, auto /*error*/) {};

struct ParserCtxtDeleter {
  void operator()(xmlParserCtxt* ctxt) const { xmlFreeParserCtxt(ctxt); }
};
struct DocDeleter {
  void operator()(xmlDoc* doc) const { xmlFreeDoc(doc); }
};
using DocPtr = std::unique_ptr<xmlDoc, DocDeleter>;

std::string take(xmlChar* s) {
  if (s == nullptr) return {};
  std::string out(reinterpret_cast<const char*>(s));
  xmlFree(s);
  return out;
}

// ------------------------------------------------------------------ names and namespaces

enum class Ns { kNone, kAtom, kDc, kContent, kMedia, kRdf, kSlash, kFeedburner, kOther };

Ns ns_from_href(std::string_view href) {
  if (href == "http://www.w3.org/2005/Atom" || href == "http://purl.org/atom/ns#") return Ns::kAtom;
  if (href == "http://purl.org/dc/elements/1.1/" || href == "http://purl.org/dc/terms/") {
    return Ns::kDc;
  }
  if (href == "http://purl.org/rss/1.0/modules/content/") return Ns::kContent;
  if (href.rfind("http://search.yahoo.com/mrss", 0) == 0) return Ns::kMedia;
  if (href == "http://www.w3.org/1999/02/22-rdf-syntax-ns#") return Ns::kRdf;
  if (href == "http://purl.org/rss/1.0/modules/slash/") return Ns::kSlash;
  if (href == "http://rssnamespace.org/feedburner/ext/1.0") return Ns::kFeedburner;
  if (href == "http://purl.org/rss/1.0/" || href == "http://my.netscape.com/rdf/simple/0.9/" ||
      href == "http://backend.userland.com/rss2") {
    return Ns::kNone;  // the RSS elements themselves
  }
  return Ns::kOther;
}

Ns ns_from_prefix(std::string_view prefix) {
  if (prefix == "atom" || prefix == "atom10") return Ns::kAtom;
  if (prefix == "dc" || prefix == "dcterms") return Ns::kDc;
  if (prefix == "content") return Ns::kContent;
  if (prefix == "media") return Ns::kMedia;
  if (prefix == "rdf") return Ns::kRdf;
  if (prefix == "slash") return Ns::kSlash;
  if (prefix == "feedburner") return Ns::kFeedburner;
  return Ns::kOther;
}

struct Name {
  Ns ns = Ns::kNone;
  std::string_view local;
};

Name name_of(const xmlNode* node) {
  Name n;
  if (node == nullptr || node->name == nullptr) return n;
  std::string_view full(reinterpret_cast<const char*>(node->name));
  if (node->ns != nullptr && node->ns->href != nullptr) {
    n.ns = ns_from_href(reinterpret_cast<const char*>(node->ns->href));
    n.local = full;
    return n;
  }
  // An undeclared prefix survives recovery as part of the name: "dc:creator".
  if (std::size_t colon = full.find(':'); colon != std::string_view::npos) {
    n.ns = ns_from_prefix(full.substr(0, colon));
    n.local = full.substr(colon + 1);
    return n;
  }
  n.local = full;
  return n;
}

bool is_elem(const xmlNode* node) { return node != nullptr && node->type == XML_ELEMENT_NODE; }

bool named(const xmlNode* node, Ns ns, std::string_view local) {
  if (!is_elem(node)) return false;
  Name n = name_of(node);
  return n.ns == ns && n.local == local;
}

const xmlNode* child(const xmlNode* parent, Ns ns, std::string_view local) {
  for (const xmlNode* c = parent->children; c != nullptr; c = c->next) {
    if (named(c, ns, local)) return c;
  }
  return nullptr;
}

std::vector<const xmlNode*> children(const xmlNode* parent, Ns ns, std::string_view local) {
  std::vector<const xmlNode*> out;
  for (const xmlNode* c = parent->children; c != nullptr; c = c->next) {
    if (named(c, ns, local)) out.push_back(c);
  }
  return out;
}

std::string attr(const xmlNode* node, const char* name) {
  if (!is_elem(node)) return {};
  return take(xmlGetProp(node, reinterpret_cast<const xmlChar*>(name)));
}

// Text content (CDATA included), trimmed.
std::string text(const xmlNode* node) {
  if (node == nullptr) return {};
  return trim(take(xmlNodeGetContent(node)));
}

std::string child_text(const xmlNode* parent, Ns ns, std::string_view local) {
  return text(child(parent, ns, local));
}

// Elements below `root` (depth-first, document order) matching ns/local.
void collect(const xmlNode* node, Ns ns, std::string_view local, std::vector<const xmlNode*>& out,
             int depth) {
  if (depth > 64) return;
  for (const xmlNode* c = node; c != nullptr; c = c->next) {
    if (!is_elem(c)) continue;
    if (named(c, ns, local)) {
      out.push_back(c);
      continue;  // entries do not nest
    }
    collect(c->children, ns, local, out, depth + 1);
  }
}

std::string qualified_name(const xmlNode* node) {
  std::string name(reinterpret_cast<const char*>(node->name));
  if (node->ns != nullptr && node->ns->prefix != nullptr) {
    return std::string(reinterpret_cast<const char*>(node->ns->prefix)) + ":" + name;
  }
  return name;
}

// ------------------------------------------------------------------ value helpers

// A title: markup (escaped or not) reduced to text.
std::string clean_title(const std::string& raw) {
  if (raw.find('<') != std::string::npos || raw.find('&') != std::string::npos) {
    return html_to_text(raw);
  }
  return collapse_whitespace(raw);
}

std::string summary_from_html(const std::string& html) {
  return truncate_utf8(html_to_text(html), kSummaryBytes);
}

// "editor@example.com (Jane Doe)" -> "Jane Doe"; anything else unchanged.
std::string clean_author(const std::string& raw) {
  std::string a = collapse_whitespace(raw);
  const std::size_t open = a.find('(');
  const std::size_t close = a.rfind(')');
  if (open != std::string::npos && close != std::string::npos && close > open + 1 &&
      a.find('@') < open) {
    return trim(a.substr(open + 1, close - open - 1));
  }
  return a;
}

bool is_image_type(const std::string& type) { return ascii_lower(type).rfind("image/", 0) == 0; }

bool has_image_extension(const std::string& url) {
  std::string lower = ascii_lower(url.substr(0, url.find('?')));
  for (const char* ext : {".jpg", ".jpeg", ".png", ".gif", ".webp", ".avif"}) {
    const std::string_view e(ext);
    if (lower.size() > e.size() && lower.compare(lower.size() - e.size(), e.size(), e) == 0) {
      return true;
    }
  }
  return false;
}

std::string base_of(const xmlDoc* doc, const xmlNode* node) {
  return take(xmlNodeGetBase(const_cast<xmlDoc*>(doc), node));
}

// media:thumbnail / media:content (also inside media:group) / enclosure of an image type.
std::string media_image(const xmlNode* entry) {
  for (const xmlNode* c = entry->children; c != nullptr; c = c->next) {
    if (named(c, Ns::kMedia, "thumbnail")) {
      if (std::string u = attr(c, "url"); !u.empty()) return u;
    }
  }
  for (const xmlNode* c = entry->children; c != nullptr; c = c->next) {
    if (named(c, Ns::kMedia, "content")) {
      const std::string medium = attr(c, "medium");
      std::string url = attr(c, "url");
      if (!url.empty() && (medium == "image" || is_image_type(attr(c, "type")) ||
                           (medium.empty() && has_image_extension(url)))) {
        return url;
      }
      if (const xmlNode* thumb = child(c, Ns::kMedia, "thumbnail")) {
        if (std::string u = attr(thumb, "url"); !u.empty()) return u;
      }
    }
    if (named(c, Ns::kMedia, "group")) {
      if (std::string u = media_image(c); !u.empty()) return u;
    }
    if (named(c, Ns::kNone, "enclosure")) {
      std::string url = attr(c, "url");
      const std::string type = attr(c, "type");
      if (!url.empty() && (is_image_type(type) || (type.empty() && has_image_extension(url)))) {
        return url;
      }
    }
  }
  return {};
}

void add_category(const xmlNode* entry, Ns ns, Item& item) {
  const xmlNode* cat = child(entry, ns, "category");
  if (cat == nullptr) cat = child(entry, Ns::kDc, "subject");
  if (cat == nullptr) return;
  std::string value = text(cat);
  if (value.empty()) value = attr(cat, "label");
  if (value.empty()) value = attr(cat, "term");
  value = collapse_whitespace(value);
  if (!value.empty()) item.extra.emplace_back("category", truncate_utf8(value, 64));
}

void finish_entry(Item& item, const std::string& summary_html, const FeedOptions& opt) {
  if (item.image.empty() && opt.content_images) item.image = first_image_src(summary_html);
  if (item.title.empty() && !item.summary.empty()) {
    item.title = truncate_utf8(item.summary, kTitleFromSummaryBytes);
  }
}

// ------------------------------------------------------------------ RSS

Item rss_item(const xmlDoc* doc, const xmlNode* it, const FeedOptions& opt) {
  Item item;
  const std::string base = base_of(doc, it);
  item.title = clean_title(child_text(it, Ns::kNone, "title"));
  if (item.title.empty()) item.title = clean_title(child_text(it, Ns::kDc, "title"));

  std::string link = child_text(it, Ns::kNone, "link");
  if (link.empty()) {
    for (const xmlNode* l : children(it, Ns::kAtom, "link")) {
      const std::string rel = attr(l, "rel");
      if (rel.empty() || rel == "alternate") {
        link = attr(l, "href");
        break;
      }
    }
  }
  const xmlNode* guid = child(it, Ns::kNone, "guid");
  const std::string guid_text = text(guid);
  if (link.empty() && !guid_text.empty() && attr(guid, "isPermaLink") != "false" &&
      (guid_text.rfind("http://", 0) == 0 || guid_text.rfind("https://", 0) == 0)) {
    link = guid_text;
  }
  if (std::string orig = child_text(it, Ns::kFeedburner, "origLink"); !orig.empty()) link = orig;
  item.url = resolve_url(base, link);

  item.key = guid_text;
  if (item.key.empty()) {
    item.key = take(xmlGetNsProp(
        it, reinterpret_cast<const xmlChar*>("about"),
        reinterpret_cast<const xmlChar*>("http://www.w3.org/1999/02/22-rdf-syntax-ns#")));
  }
  if (item.key.empty()) item.key = item.url;

  std::string summary_html = child_text(it, Ns::kNone, "description");
  if (summary_html.empty()) summary_html = child_text(it, Ns::kContent, "encoded");
  if (summary_html.empty()) summary_html = child_text(it, Ns::kDc, "description");
  item.summary = summary_from_html(summary_html);

  item.author = collapse_whitespace(child_text(it, Ns::kDc, "creator"));
  if (item.author.empty()) item.author = clean_author(child_text(it, Ns::kNone, "author"));

  for (auto [ns, name] : {std::pair{Ns::kNone, "pubDate"}, std::pair{Ns::kDc, "date"},
                          std::pair{Ns::kAtom, "published"}, std::pair{Ns::kAtom, "updated"}}) {
    const std::string when = child_text(it, ns, name);
    if (when.empty()) continue;
    item.published_at_ms = parse_date_ms(when, opt.default_offset_minutes);
    if (item.published_at_ms) break;
  }

  item.image = resolve_url(base, media_image(it));
  add_category(it, Ns::kNone, item);
  if (std::string comments = child_text(it, Ns::kSlash, "comments"); !comments.empty()) {
    if (parse_int(comments)) item.extra.emplace_back("comments", comments);
  }
  finish_entry(item, summary_html.empty() ? child_text(it, Ns::kContent, "encoded") : summary_html,
               opt);
  if (!item.image.empty()) item.image = resolve_url(base, item.image);
  return item;
}

// ------------------------------------------------------------------ Atom

// An Atom text construct: type="html" is markup to strip, "xhtml" is already elements.
std::string atom_text(const xmlNode* node) {
  if (node == nullptr) return {};
  const std::string type = ascii_lower(attr(node, "type"));
  const std::string raw = text(node);
  if (type == "html" || type == "text/html") return html_to_text(raw);
  return collapse_whitespace(raw);
}

Item atom_entry(const xmlDoc* doc, const xmlNode* e, Ns ns, const FeedOptions& opt) {
  Item item;
  const std::string base = base_of(doc, e);
  item.title = atom_text(child(e, ns, "title"));

  std::string link;
  std::string fallback_link;
  std::string image;
  for (const xmlNode* l : children(e, ns, "link")) {
    const std::string rel = attr(l, "rel");
    const std::string href = attr(l, "href");
    if (href.empty()) continue;
    if ((rel.empty() || rel == "alternate") && link.empty()) link = href;
    if (rel == "enclosure" && image.empty() && is_image_type(attr(l, "type"))) image = href;
    if (fallback_link.empty() && rel != "self" && rel != "edit" && rel != "enclosure") {
      fallback_link = href;
    }
  }
  if (link.empty()) link = fallback_link;
  item.url = resolve_url(base, link);
  item.key = child_text(e, ns, "id");
  if (item.key.empty()) item.key = item.url;

  const xmlNode* summary = child(e, ns, "summary");
  const xmlNode* content = child(e, ns, "content");
  std::string summary_html;
  if (summary != nullptr && !text(summary).empty()) {
    item.summary = truncate_utf8(atom_text(summary), kSummaryBytes);
    summary_html = text(summary);
  } else if (content != nullptr) {
    item.summary = truncate_utf8(atom_text(content), kSummaryBytes);
  }
  if (content != nullptr && ascii_lower(attr(content, "type")) == "html") {
    summary_html = text(content);
  } else if (summary_html.empty() && summary != nullptr &&
             ascii_lower(attr(summary, "type")) == "html") {
    summary_html = text(summary);
  }

  if (const xmlNode* author = child(e, ns, "author")) {
    item.author = collapse_whitespace(child_text(author, ns, "name"));
  }
  if (item.author.empty()) item.author = collapse_whitespace(child_text(e, Ns::kDc, "creator"));

  for (const char* name : {"published", "issued", "updated", "modified"}) {
    const std::string when = child_text(e, ns, name);
    if (when.empty()) continue;
    item.published_at_ms = parse_date_ms(when, opt.default_offset_minutes);
    if (item.published_at_ms) break;
  }

  item.image = media_image(e);
  if (item.image.empty()) item.image = image;
  add_category(e, ns, item);
  finish_entry(item, summary_html, opt);
  if (!item.image.empty()) item.image = resolve_url(base, item.image);
  return item;
}

// ------------------------------------------------------------------ JSON Feed

Result<std::vector<Item>> parse_json_feed(const std::string& body, std::string_view base_url,
                                          const FeedOptions& opt) {
  MU_ASSIGN_OR_RETURN(JsonDoc doc, JsonDoc::parse(body, "JSON Feed"));
  const JsonView root = doc.root();
  const std::string version = root.string_or("version");
  if (version.find("jsonfeed.org") == std::string::npos) {
    return error(ErrorCode::kParse, "a JSON body that is not a JSON Feed (no version)");
  }
  MU_ASSIGN_OR_RETURN(JsonView list, root.require_array("items"));
  const std::string feed_base = root.string_or("home_page_url", base_url);
  std::vector<Item> items;
  for (const JsonView& e : list.elements()) {
    if (!e.is_object()) continue;
    Item item;
    item.title = clean_title(e.string_or("title"));
    std::string link = e.string_or("url");
    if (link.empty()) link = e.string_or("external_url");
    item.url = resolve_url(feed_base.empty() ? std::string(base_url) : feed_base, link);
    item.key = e.string_or("id");
    if (item.key.empty()) item.key = item.url;
    std::string html = e.string_or("content_html");
    if (std::string s = e.string_or("summary"); !s.empty()) {
      item.summary = truncate_utf8(collapse_whitespace(s), kSummaryBytes);
    } else if (std::string t = e.string_or("content_text"); !t.empty()) {
      item.summary = truncate_utf8(collapse_whitespace(t), kSummaryBytes);
    } else {
      item.summary = summary_from_html(html);
    }
    item.author = e.string_or("authors[0].name", e.string_or("author.name"));
    std::string when = e.string_or("date_published");
    if (when.empty()) when = e.string_or("date_modified");
    if (!when.empty()) item.published_at_ms = parse_date_ms(when, opt.default_offset_minutes);
    item.image = e.string_or("image", e.string_or("banner_image"));
    if (std::string tag = e.string_or("tags[0]"); !tag.empty()) {
      item.extra.emplace_back("category", truncate_utf8(tag, 64));
    }
    finish_entry(item, html, opt);
    item.image = resolve_url(base_url, item.image);
    if (item.title.empty() && item.url.empty()) continue;
    if (opt.key_from_link && !item.url.empty()) item.key = item.url;
    items.push_back(std::move(item));
  }
  if (items.empty()) {
    return error(ErrorCode::kParse, "JSON Feed has " + std::to_string(list.size()) +
                                        " items, none with a title or a link");
  }
  return items;
}

bool is_valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    std::size_t len = 0;
    if (c < 0x80) {
      len = 1;
    } else if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
    } else {
      return false;
    }
    if (i + len > s.size()) return false;
    for (std::size_t k = 1; k < len; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    i += len;
  }
  return true;
}

bool declares_xml_encoding(std::string_view body) {
  if (body.substr(0, 5) != "<?xml") return false;
  const std::string_view decl = body.substr(0, body.find("?>"));
  return decl.find("encoding") != std::string_view::npos;
}

std::string html_page_title(std::string_view body) {
  auto doc = HtmlDoc::parse(body, "");
  if (!doc.ok()) return {};
  return truncate_utf8(doc->title(), 80);
}

}  // namespace

Result<std::string> decode_body(std::string_view body, std::string_view content_type,
                                std::string_view charset_override) {
  if (!charset_override.empty()) return to_utf8(body, charset_override);
  const bool declared = !charset_from_content_type(content_type).empty() ||
                        body.substr(0, 3) == "\xEF\xBB\xBF" || declares_xml_encoding(body);
  if (declared) return body_as_utf8(content_type, body);
  if (is_valid_utf8(body)) return std::string(body);
  return to_utf8(body, "windows-1252");
}

Result<std::vector<Item>> parse_feed(std::string_view body, std::string_view content_type,
                                     std::string_view base_url, const FeedOptions& options) {
  MU_ASSIGN_OR_RETURN(std::string utf8, decode_body(body, content_type, options.charset));
  std::string_view view(utf8);
  if (view.substr(0, 3) == "\xEF\xBB\xBF") view.remove_prefix(3);
  while (!view.empty() && (view.front() == ' ' || view.front() == '\t' || view.front() == '\r' ||
                           view.front() == '\n')) {
    view.remove_prefix(1);
  }
  if (view.empty()) return error(ErrorCode::kParse, "empty feed body");
  if (view.front() == '{') return parse_json_feed(std::string(view), base_url, options);
  if (view.front() != '<') {
    return error(ErrorCode::kParse, "expected an RSS, Atom or JSON feed, got text starting \"" +
                                        truncate_utf8(collapse_whitespace(view.substr(0, 60)), 40) +
                                        "\"");
  }
  if (view.size() > static_cast<std::size_t>(INT_MAX)) {
    return error(ErrorCode::kTooLarge, "feed body over 2 GiB");
  }
  const std::string head = ascii_lower(view.substr(0, 1024));
  if (head.find("<!doctype html") != std::string::npos || head.find("<html") != std::string::npos) {
    return error(ErrorCode::kParse,
                 "expected an RSS, Atom or JSON feed, got an HTML page titled \"" +
                     html_page_title(view) + "\"");
  }

  ensure_libxml_initialized();
  std::unique_ptr<xmlParserCtxt, ParserCtxtDeleter> ctxt(xmlNewParserCtxt());
  if (ctxt == nullptr) return error(ErrorCode::kInternal, "libxml2: cannot create XML parser");
  if (ctxt->sax != nullptr) {
    ctxt->sax->serror = kIgnoreStructuredError;
    ctxt->sax->warning = nullptr;
    ctxt->sax->error = nullptr;
  }
  ctxt->vctxt.error = nullptr;
  ctxt->vctxt.warning = nullptr;
  const std::string url(base_url);
  const int xml_options = XML_PARSE_RECOVER | XML_PARSE_NONET | XML_PARSE_NOERROR |
                          XML_PARSE_NOWARNING | XML_PARSE_NOCDATA | XML_PARSE_IGNORE_ENC;
  DocPtr doc(xmlCtxtReadMemory(ctxt.get(), view.data(), static_cast<int>(view.size()),
                               url.empty() ? nullptr : url.c_str(), "UTF-8", xml_options));
  const xmlNode* root = doc ? xmlDocGetRootElement(doc.get()) : nullptr;
  if (root == nullptr) return error(ErrorCode::kParse, "not XML: no root element");

  const Name root_name = name_of(root);
  const bool is_rss =
      root_name.ns == Ns::kNone && (root_name.local == "rss" || root_name.local == "channel");
  const bool is_rdf = root_name.local == "RDF";
  const bool is_atom =
      root_name.local == "feed" && (root_name.ns == Ns::kAtom || root_name.ns == Ns::kNone);
  if (!is_rss && !is_rdf && !is_atom) {
    return error(ErrorCode::kParse,
                 "expected an RSS, Atom or JSON feed, got XML root <" + qualified_name(root) + ">");
  }
  if (root->children != nullptr && view.rfind("</" + qualified_name(root)) == std::string::npos) {
    return error(ErrorCode::kParse,
                 "truncated feed: no closing </" + qualified_name(root) + "> tag");
  }

  std::vector<const xmlNode*> entries;
  std::vector<Item> items;
  if (is_atom) {
    collect(root->children, root_name.ns, "entry", entries, 0);
    for (const xmlNode* e : entries)
      items.push_back(atom_entry(doc.get(), e, root_name.ns, options));
  } else {
    collect(root->children, Ns::kNone, "item", entries, 0);
    for (const xmlNode* it : entries) items.push_back(rss_item(doc.get(), it, options));
  }
  std::vector<Item> kept;
  kept.reserve(items.size());
  for (Item& item : items) {
    if (item.title.empty() && item.url.empty()) continue;
    kept.push_back(std::move(item));
  }
  if (options.key_from_link) {
    for (Item& item : kept) {
      if (!item.url.empty()) item.key = item.url;
    }
  }
  if (kept.empty()) {
    const std::size_t n = entries.size();
    const std::string what = is_atom ? (n == 1 ? "entry" : "entries") : (n == 1 ? "item" : "items");
    return error(ErrorCode::kParse, "feed has " + std::to_string(n) + " " + what +
                                        (n == 0 ? "" : ", none with a title or a link"));
  }
  return kept;
}

}  // namespace mu
