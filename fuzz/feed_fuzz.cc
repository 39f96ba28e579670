// libFuzzer target: parse_feed (RSS 2.0 / RSS 1.0 / Atom / JSON Feed, charset detection and
// conversion, dates, HTML-to-text) must never crash, hang or leak on any body, and whatever
// it returns must survive finish_items. The first byte picks the options, so charset
// overrides and zone defaults are explored too.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "sources/common/simple_source.h"
#include "sources/spec/feed.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0 || size > (1u << 20)) return 0;
  const uint8_t mode = data[0];
  std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  static constexpr std::string_view kContentTypes[] = {"", "application/rss+xml; charset=utf-8",
                                                       "text/xml; charset=gbk",
                                                       "application/atom+xml; charset=iso-8859-1"};
  mu::FeedOptions options;
  if (mode & 0x04) options.charset = "gb2312";
  if (mode & 0x08) options.default_offset_minutes = 480;
  options.content_images = (mode & 0x10) == 0;
  options.key_from_link = (mode & 0x20) != 0;
  auto items =
      mu::parse_feed(body, kContentTypes[mode & 0x03], "https://fuzz.example/feed/", options);
  if (!items.ok()) {
    if (items.error_message().empty()) __builtin_trap();  // errors always say why
    return 0;
  }
  for (const mu::Item& item : *items) {
    if (item.title.empty() && item.url.empty()) __builtin_trap();  // such entries are dropped
  }
  (void)mu::finish_items(std::move(items).value(), "fuzz.feed");
  return 0;
}
