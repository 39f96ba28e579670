// libFuzzer target: the JSON mapping engine (paths with [*] and indexes, templates with
// |url, filters, skip_if, extract via RE2, blocked_if) behind a SpecSource, on any body.
// Rules come from small spec files compiled once; the first byte picks one.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sources/common/http_util.h"
#include "sources/spec/spec_loader.h"
#include "sources/spec/spec_source.h"

namespace {

constexpr char kHead[] = R"toml([site]
id = "fz"
name_en = "Fuzz"
home = "https://fuzz.example"
region = "global"
[[boards]]
id = "fz.b"
name_zh = "模糊"
name_en = "Fuzz"
kind = "rank"
homepage = "https://fuzz.example/"
[boards.request]
url = "https://fuzz.example/api/v1/list?page=1"
)toml";

constexpr const char* kRules[] = {
    R"toml([boards.parse]
type = "json"
list = "data.list"
timezone = "+08:00"
skip_if = [{ path = "is_ad", equals = 1 }, { path = "t", matches = '^\s*$' }]
[boards.parse.fields]
key = ["target.id", "id"]
title = { path = "target.title", filter = "html" }
url = ["target.url", "https://fuzz.example/q/{target.id}?w={target.title|url}"]
image = "target.images[0].url"
hot = { path = "detail_text", filter = "popularity" }
hot_text = "{detail_text} 热度"
published_at = "target.created"
summary = { path = "target.excerpt", filter = "html", default = "-" }
[boards.parse.extra]
tags = "target.tags"
)toml",
    R"toml([boards.parse]
type = "json"
list = "data.children[*].data"
blocked_if = '(?i)<title>[^<]*captcha'
skip_if = { path = "stickied", equals = true }
[boards.parse.fields]
key = "id"
title = "title"
url = "https://fuzz.example{permalink}"
image = "thumbnail"
hot = { path = "score", filter = "number" }
published_at = { path = "created_utc", filter = "seconds" }
author = { path = "author", re2 = '^u/(.+)$' }
)toml",
    R"toml([boards.parse]
type = "json"
extract = { re2 = '(?s)<!--s-data:(.*?)-->' }
list = "data.cards[0].content"
[boards.parse.fields]
key = "index"
title = "word"
url = "https://fuzz.example/s?wd={word|url}"
hot = "hotScore"
published_at = { path = "ts", filter = "ms" }
label = { path = "hotTag", default = "0" }
)toml",
    R"toml([boards.parse]
type = "json"
list = ""
[boards.parse.fields]
title = "[0]"
url = "{[1]}"
published_at = { path = "[2]", filter = "iso" }
)toml",
};

std::vector<std::unique_ptr<mu::Source>> compile() {
  std::vector<std::unique_ptr<mu::Source>> out;
  for (const char* rules : kRules) {
    auto source = mu::parse_spec_board(std::string(kHead) + rules, "fuzz.toml");
    if (!source.ok()) __builtin_trap();  // the rules themselves must be valid
    out.push_back(std::move(source).value());
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::vector<std::unique_ptr<mu::Source>> sources = compile();
  if (size == 0 || size > (1u << 20)) return 0;
  const auto& source = static_cast<const mu::SpecSource&>(*sources[data[0] % sources.size()]);
  mu::HttpResponse response;
  response.status = 200;
  response.headers.emplace_back(
      "Content-Type", (data[0] & 0x80) ? "application/json; charset=gbk" : "application/json");
  response.body.assign(reinterpret_cast<const char*>(data) + 1, size - 1);
  response.effective_url = "https://fuzz.example/api/v1/list?page=1";
  auto items = source.parse(response);
  if (!items.ok()) {
    if (items.error_message().rfind("fz.b: ", 0) != 0) __builtin_trap();  // names the board
    return 0;
  }
  if (items->empty()) __builtin_trap();  // success means at least one item
  for (const mu::Item& item : *items) {
    if (item.title.empty() || item.key.empty()) __builtin_trap();
    if (!mu::is_http_url(item.url)) __builtin_trap();
  }
  return 0;
}
