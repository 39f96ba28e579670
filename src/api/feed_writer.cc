#include "api/feed_writer.h"

#include <libxml/xmlwriter.h>

#include <boost/json.hpp>

#include <memory>

#include "api/handler_util.h"
#include "core/utf8.h"
#include "http/middleware.h"
#include "http/util.h"
#include "pipeline/render.h"

namespace mu {
namespace {
namespace json = boost::json;

constexpr std::string_view kGenerator = "Mu";
constexpr std::string_view kAtomNs = "http://www.w3.org/2005/Atom";

struct BufferFree {
  void operator()(xmlBuffer* b) const { xmlBufferFree(b); }
};
struct WriterFree {
  void operator()(xmlTextWriter* w) const { xmlFreeTextWriter(w); }
};

const xmlChar* x(const std::string& s) { return reinterpret_cast<const xmlChar*>(s.c_str()); }
const xmlChar* x(const char* s) { return reinterpret_cast<const xmlChar*>(s); }

// A thin wrapper that remembers whether any libxml2 call failed and cleans every text.
class XmlOut {
 public:
  XmlOut() : buffer_(xmlBufferCreate()) {
    if (buffer_) writer_.reset(xmlNewTextWriterMemory(buffer_.get(), 0));
    ok_ = writer_ != nullptr;
    if (ok_) {
      check(xmlTextWriterSetIndent(writer_.get(), 1));
      check(xmlTextWriterSetIndentString(writer_.get(), x(" ")));
      check(xmlTextWriterStartDocument(writer_.get(), nullptr, "UTF-8", nullptr));
    }
  }
  void start(const char* name) {
    if (ok_) check(xmlTextWriterStartElement(writer_.get(), x(name)));
  }
  void end() {
    if (ok_) check(xmlTextWriterEndElement(writer_.get()));
  }
  void attr(const char* name, std::string_view value) {
    if (ok_) check(xmlTextWriterWriteAttribute(writer_.get(), x(name), x(xml_safe_text(value))));
  }
  void element(const char* name, std::string_view text) {
    if (ok_) check(xmlTextWriterWriteElement(writer_.get(), x(name), x(xml_safe_text(text))));
  }
  void text(std::string_view text) {
    if (ok_) check(xmlTextWriterWriteString(writer_.get(), x(xml_safe_text(text))));
  }
  Result<std::string> finish() {
    if (ok_) check(xmlTextWriterEndDocument(writer_.get()));
    writer_.reset();  // flushes into the buffer
    if (!ok_) return error(ErrorCode::kInternal, "feed: the XML writer failed");
    return std::string(reinterpret_cast<const char*>(xmlBufferContent(buffer_.get())),
                       static_cast<size_t>(xmlBufferLength(buffer_.get())));
  }

 private:
  void check(int rc) {
    if (rc < 0) ok_ = false;
  }
  std::unique_ptr<xmlBuffer, BufferFree> buffer_;
  std::unique_ptr<xmlTextWriter, WriterFree> writer_;
  bool ok_ = false;
};

int64_t entry_time(const FeedEntry& e, const FeedChannel& c) {
  return e.published_ms > 0 ? e.published_ms : c.updated_ms;
}

std::string link_or_empty(std::string_view url) {
  return handler::is_http_url(url) ? std::string(url) : std::string();
}

Result<std::string> render_rss(const FeedChannel& c, const std::vector<FeedEntry>& entries) {
  XmlOut out;
  out.start("rss");
  out.attr("version", "2.0");
  out.attr("xmlns:atom", kAtomNs);
  out.start("channel");
  out.element("title", c.title);
  out.element("link", link_or_empty(c.home_url));
  out.element("description", c.description.empty() ? c.title : c.description);
  if (!c.language.empty()) out.element("language", c.language);
  if (c.updated_ms > 0) out.element("lastBuildDate", rfc822_date(c.updated_ms));
  out.element("generator", kGenerator);
  if (c.ttl_minutes > 0) out.element("ttl", std::to_string(c.ttl_minutes));
  const std::string self = link_or_empty(c.self_url);
  if (!self.empty()) {
    out.start("atom:link");
    out.attr("href", self);
    out.attr("rel", "self");
    out.attr("type", "application/rss+xml");
    out.end();
  }
  for (const FeedEntry& e : entries) {
    out.start("item");
    out.element("title", e.title);
    const std::string link = link_or_empty(e.url);
    if (!link.empty()) out.element("link", link);
    if (!e.summary.empty()) out.element("description", e.summary);
    out.start("guid");
    out.attr("isPermaLink", "false");
    out.text(e.id);
    out.end();
    if (const int64_t t = entry_time(e, c); t > 0) out.element("pubDate", rfc822_date(t));
    if (!e.category.empty()) out.element("category", e.category);
    out.end();
  }
  out.end();  // channel
  out.end();  // rss
  return out.finish();
}

void atom_link(XmlOut& out, const char* rel, const std::string& href, const char* type) {
  out.start("link");
  out.attr("rel", rel);
  out.attr("href", href);
  if (type != nullptr) out.attr("type", type);
  out.end();
}

Result<std::string> render_atom(const FeedChannel& c, const std::vector<FeedEntry>& entries) {
  XmlOut out;
  out.start("feed");
  out.attr("xmlns", kAtomNs);
  if (!c.language.empty()) out.attr("xml:lang", c.language);
  out.element("id", c.id);
  out.start("title");
  out.attr("type", "text");
  out.text(c.title);
  out.end();
  if (!c.description.empty()) out.element("subtitle", c.description);
  out.element("updated", iso8601_utc(c.updated_ms > 0 ? c.updated_ms : 0));
  const std::string home = link_or_empty(c.home_url);
  if (!home.empty()) atom_link(out, "alternate", home, "text/html");
  const std::string self = link_or_empty(c.self_url);
  if (!self.empty()) atom_link(out, "self", self, "application/atom+xml");
  out.start("author");
  out.element("name", kGenerator);
  out.end();
  out.element("generator", kGenerator);
  for (const FeedEntry& e : entries) {
    out.start("entry");
    out.element("id", e.id);
    out.start("title");
    out.attr("type", "text");
    out.text(e.title);
    out.end();
    const std::string link = link_or_empty(e.url);
    if (!link.empty()) atom_link(out, "alternate", link, nullptr);
    const std::string when = iso8601_utc(entry_time(e, c));
    out.element("published", when);
    out.element("updated", when);
    if (!e.author.empty()) {
      out.start("author");
      out.element("name", e.author);
      out.end();
    }
    if (!e.category.empty()) {
      out.start("category");
      out.attr("term", e.category);
      out.end();
    }
    if (!e.summary.empty()) {
      out.start("summary");
      out.attr("type", "text");
      out.text(e.summary);
      out.end();
    }
    if (link.empty()) {
      // RFC 4287 4.1.1.1: an entry without an alternate link must have content.
      out.start("content");
      out.attr("type", "text");
      out.text(e.summary.empty() ? e.title : e.summary);
      out.end();
    }
    out.end();
  }
  out.end();
  return out.finish();
}

void put_text(json::object& o, std::string_view key, std::string_view text) {
  if (!text.empty()) o[key] = xml_safe_text(text);
}

std::string render_json(const FeedChannel& c, const std::vector<FeedEntry>& entries) {
  json::object root;
  root["version"] = "https://jsonfeed.org/version/1.1";
  root["title"] = xml_safe_text(c.title);
  put_text(root, "home_page_url", link_or_empty(c.home_url));
  put_text(root, "feed_url", link_or_empty(c.self_url));
  put_text(root, "description", c.description);
  put_text(root, "language", c.language);
  root["authors"] = json::array{json::object{{"name", kGenerator}}};
  json::array items;
  items.reserve(entries.size());
  for (const FeedEntry& e : entries) {
    json::object o;
    o["id"] = xml_safe_text(e.id);
    put_text(o, "url", link_or_empty(e.url));
    o["title"] = xml_safe_text(e.title);
    // JSON Feed 1.1: every item has content_html or content_text.
    o["content_text"] = xml_safe_text(e.summary.empty() ? e.title : e.summary);
    put_text(o, "summary", e.summary);
    if (const int64_t t = entry_time(e, c); t > 0) o["date_published"] = iso8601_utc(t);
    if (!e.author.empty()) {
      o["authors"] = json::array{json::object{{"name", xml_safe_text(e.author)}}};
    }
    if (!e.category.empty()) o["tags"] = json::array{json::value(xml_safe_text(e.category))};
    items.push_back(std::move(o));
  }
  root["items"] = std::move(items);
  return json::serialize(root);
}

}  // namespace

std::optional<FeedFormat> parse_feed_format(std::string_view ext) {
  if (ext == "rss") return FeedFormat::kRss;
  if (ext == "atom") return FeedFormat::kAtom;
  if (ext == "json") return FeedFormat::kJson;
  return std::nullopt;
}

std::string_view feed_format_name(FeedFormat format) {
  switch (format) {
    case FeedFormat::kRss:
      return "rss";
    case FeedFormat::kAtom:
      return "atom";
    case FeedFormat::kJson:
      return "json";
  }
  return "rss";
}

std::string_view feed_content_type(FeedFormat format) {
  switch (format) {
    case FeedFormat::kRss:
      return "application/rss+xml; charset=utf-8";
    case FeedFormat::kAtom:
      return "application/atom+xml; charset=utf-8";
    case FeedFormat::kJson:
      return "application/feed+json; charset=utf-8";
  }
  return "application/rss+xml; charset=utf-8";
}

Result<std::string> render_feed(FeedFormat format, const FeedChannel& channel,
                                const std::vector<FeedEntry>& entries) {
  switch (format) {
    case FeedFormat::kRss:
      return render_rss(channel, entries);
    case FeedFormat::kAtom:
      return render_atom(channel, entries);
    case FeedFormat::kJson:
      return render_json(channel, entries);
  }
  return error(ErrorCode::kInternal, "feed: unknown format");
}

std::string xml_safe_text(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  while (!text.empty()) {
    const size_t n = utf8_sequence_length(text);
    if (n == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD
      text.remove_prefix(1);
      continue;
    }
    const auto b0 = static_cast<unsigned char>(text[0]);
    bool keep = true;
    if (n == 1) {
      keep = b0 >= 0x20 ? b0 != 0x7f : (b0 == '\t' || b0 == '\n' || b0 == '\r');
    } else if (n == 2) {
      // U+0080..U+009F (C1 controls) are C2 80..C2 9F.
      keep = !(b0 == 0xC2 && static_cast<unsigned char>(text[1]) < 0xA0);
    } else if (n == 3) {
      // U+FFFE and U+FFFF are EF BF BE / EF BF BF.
      keep = !(b0 == 0xEF && static_cast<unsigned char>(text[1]) == 0xBF &&
               static_cast<unsigned char>(text[2]) >= 0xBE);
    }
    if (keep) out.append(text.substr(0, n));
    text.remove_prefix(n);
  }
  return out;
}

std::string feed_entry_id(std::string_view path, std::string_view key) {
  std::string out = "tag:mu,2026:";
  out += path;
  out += '/';
  out += http_percent_encode(key);
  return out;
}

std::string rfc822_date(int64_t unix_ms) { return http_date(unix_ms / 1000); }

}  // namespace mu
