// Feed parser for declarative sources: RSS 2.0 (and 0.9x), RSS 1.0 (RDF), Atom 1.0 (and
// 0.3) and JSON Feed 1.x, detected from the body. Each entry becomes an Item:
//   key        guid / atom:id / rdf:about / JSON id, else the link
//   title      title (HTML in it is reduced to text); an entry without a title takes the
//              start of its summary
//   url        link (RSS), feedburner:origLink when present, Atom link rel=alternate (or
//              the first link), guid when it is a permalink; relative links are resolved
//              against xml:base / the feed's URL
//   summary    description / summary / content:encoded / content, HTML stripped to text,
//              at most 400 bytes
//   author     dc:creator / author ("x@y (Name)" -> Name) / Atom author name
//   published  pubDate / dc:date / published / updated (see dates.h for accepted forms)
//   image      media:thumbnail, media:content or enclosure of an image type, else the
//              first <img> of the description (tracking pixels skipped; can be turned off)
//   extra      "category" (the first one), "comments" (slash:comments) when present
// Charset: the override, else the Content-Type charset, the XML declaration or a BOM; an
// undeclared body that is not valid UTF-8 is read as Windows-1252 (Latin-1 in practice).
// A body cut short (no closing root tag) is kParse, as is anything that is not a feed.
// Pure function; safe for concurrent use. Never throws.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/types.h"

namespace mu {

struct FeedOptions {
  std::string charset;             // forces the body's charset ("gb2312"); "" = detect
  int default_offset_minutes = 0;  // zone of timestamps printed without one (+480 = +08:00)
  bool content_images = true;      // fall back to the first <img> of the description
  bool key_from_link = false;      // key = the link, not the guid/id (guids that change)
};

// Entries in document order. Entries with neither a title nor a link are skipped; kParse
// when none is left. `base_url` is the feed's URL (after redirects).
Result<std::vector<Item>> parse_feed(std::string_view body, std::string_view content_type,
                                     std::string_view base_url, const FeedOptions& options = {});

// The body as UTF-8 following the rules above (also used for JSON bodies).
Result<std::string> decode_body(std::string_view body, std::string_view content_type,
                                std::string_view charset_override);

}  // namespace mu
