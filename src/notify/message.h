// Alert messages and their wire forms per channel (issue 13). One message carries the items
// of one rule going to one channel at once (one update, or an hour's or a day's digest);
// render_http() turns it into the requests a channel's API expects — split into several
// when the service limits a message's size (Telegram 4096 characters, WeCom 4096 bytes,
// DingTalk and Feishu 20,000 bytes, ntfy 4096 bytes, Bark 3000 bytes, Slack 40,000
// characters; an item is never cut in two) — and render_email() into a MIME message with a
// plain and an HTML part. Titles and URLs are scraped, so untrusted: every format escapes
// them for its markup, and a URL that is not http(s) is left out. Every message ends with
// the link to unsubscribe.
// Pure functions; safe from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "fetch/transport.h"
#include "notify/channel.h"

namespace mu {

struct AlertItem {
  std::string board;       // board id
  std::string board_name;  // "微博 · 热搜"
  std::string title;
  std::string url;
  int rank = 0;
  std::string hot_text;
  int64_t matched_ms = 0;
};

struct AlertMessage {
  std::string rule_id;
  std::string rule_name;
  std::vector<AlertItem> items;
  std::vector<int64_t> delivery_ids;  // the outbox rows this message settles
  std::string unsubscribe_url;
  std::string manage_url;  // the subscriptions page
  bool test = false;       // "send a test"
};

// The requests that deliver `message` to an HTTP channel, in order. `now_ms` stamps the
// webhook signature and the Feishu / DingTalk signatures.
std::vector<HttpRequest> render_http(const ChannelSpec& spec, const AlertMessage& message,
                                     int64_t now_ms);

// The webhook's signature header value for `body` sent at `unix_seconds`:
// "t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<unix seconds>.<body>")>".
std::string webhook_signature(const std::string& secret, int64_t unix_seconds,
                              const std::string& body);

struct EmailMessage {
  std::string from;
  std::vector<std::string> to;
  std::string data;  // the whole RFC 5322 message, CRLF line ends, dot-stuffing left to SMTP
};
EmailMessage render_email(const ChannelSpec& spec, const AlertMessage& message, int64_t now_ms);

// The subject / title line of a message ("Mu · 火灾: 3 new items").
std::string message_title(const AlertMessage& message);

}  // namespace mu
