// Feed documents: RSS 2.0, Atom 1.0 (both through libxml2's xmlTextWriter) and JSON Feed 1.1
// (Boost.JSON) from one channel and its entries. The writer owns the escaping: every text
// goes through xml_safe_text (valid UTF-8, no character XML 1.0 forbids), and only
// absolute http(s) links are written, so untrusted scraped titles and URLs cannot break a
// document or smuggle a `javascript:` link into a reader. Pure functions; safe for
// concurrent use.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace mu {

enum class FeedFormat { kRss, kAtom, kJson };

// "rss", "atom", "json" (the file extension of the feed routes); nullopt for anything else.
std::optional<FeedFormat> parse_feed_format(std::string_view ext);
// "rss", "atom", "json".
std::string_view feed_format_name(FeedFormat format);
// application/rss+xml, application/atom+xml, application/feed+json; each with charset=utf-8.
std::string_view feed_content_type(FeedFormat format);

struct FeedEntry {
  std::string id;     // stable across renders and formats: a tag: URI (see feed_entry_id)
  std::string title;  // plain text
  std::string url;    // written only when it is an absolute http(s) URL
  std::string summary;
  std::string author;
  std::string category;      // e.g. the board's name in a site feed; "" for none
  int64_t published_ms = 0;  // unix ms; 0: unknown (the channel's updated time is used)
};

struct FeedChannel {
  std::string id;  // Atom feed id, a tag: URI
  std::string title;
  std::string description;
  std::string home_url;  // the page people read the list on (alternate link)
  std::string self_url;  // this feed's own absolute URL (rel="self")
  std::string language;  // "zh-CN", "en"
  int64_t updated_ms = 0;
  int ttl_minutes = 0;  // RSS <ttl>; 0: not written
};

// The whole document. kInternal only when libxml2 fails (out of memory).
Result<std::string> render_feed(FeedFormat format, const FeedChannel& channel,
                                const std::vector<FeedEntry>& entries);

// `text` as valid UTF-8 (ill-formed bytes become U+FFFD) without the characters XML 1.0
// forbids (C0 controls but tab, LF and CR; U+FFFE, U+FFFF) nor DEL and the C1 controls.
std::string xml_safe_text(std::string_view text);

// tag:mu,2026:<path>/<key>, the key percent-encoded outside RFC 3986's unreserved
// characters: "tag:mu,2026:board/weibo.hot-search/%E6%B5%8B". The same board and key give
// the same id in every format, process and render.
std::string feed_entry_id(std::string_view path, std::string_view key);

// RFC 822 date as RSS wants it: "Sun, 06 Dec 2026 17:12:54 GMT".
std::string rfc822_date(int64_t unix_ms);

}  // namespace mu
