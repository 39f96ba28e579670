// libFuzzer target: the HTML engine (libxml2 HTML parsing, CSS-translated and raw XPath
// selectors, attributes with fallbacks, re2 captures, filters, skip_if, link resolution)
// behind a SpecSource, on any page.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "sources/common/http_util.h"
#include "sources/spec/spec_loader.h"
#include "sources/spec/spec_source.h"

namespace {

constexpr char kSpec[] = R"toml([site]
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
url = "https://fuzz.example/trending/daily?lang=zh"
[boards.parse]
type = "html"
items = "css:article.Box-row, tr.athing, div.list > a.item:nth-child(odd)"
timezone = "+08:00"
skip_if = [{ select = "css:.sponsored", exists = true }, { select = "css:.label", attr = "text", equals = "广告" }]
[boards.parse.fields]
key = { select = "css:h2 a, .titleline > a", attr = "href", re2 = '(?:id=|/)(\w+)$' }
title = { select = "css:h2 a, .titleline > a, .eleTitle", attr = "text" }
url = { select = "xpath:.//a[@href][1]", attr = ["href", "data-href"] }
image = { select = "css:img", attr = ["data-original", "data-src", "src"] }
hot = { select = "css:.score, span[class$=stars]", filter = "popularity" }
hot_text = "css:.score"
label = { select = "css:.badge", filter = "html", default = "新" }
published_at = { select = "css:relative-time, .age", attr = ["datetime", "title", "text"], filter = "date" }
summary = { select = "xpath:./p[1] | ./following-sibling::tr[1]//td", filter = "html" }
[boards.parse.extra]
site = "css:.sitestr"
)toml";

std::unique_ptr<mu::Source> compile() {
  auto source = mu::parse_spec_board(kSpec, "fuzz.toml");
  if (!source.ok()) __builtin_trap();
  return std::move(source).value();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::unique_ptr<mu::Source> source = compile();
  if (size == 0 || size > (1u << 20)) return 0;
  static constexpr const char* kTypes[] = {"text/html", "text/html; charset=utf-8",
                                           "text/html; charset=gb2312", "text/html; charset=big5"};
  mu::HttpResponse response;
  response.status = 200;
  response.headers.emplace_back("Content-Type", kTypes[data[0] & 0x03]);
  response.body.assign(reinterpret_cast<const char*>(data) + 1, size - 1);
  response.effective_url = "https://fuzz.example/trending/daily?lang=zh";
  auto items = static_cast<const mu::SpecSource&>(*source).parse(response);
  if (!items.ok()) {
    if (items.error_message().rfind("fz.b: ", 0) != 0) __builtin_trap();
    return 0;
  }
  for (const mu::Item& item : *items) {
    if (item.title.empty() || item.key.empty()) __builtin_trap();
    if (!mu::is_http_url(item.url)) __builtin_trap();
  }
  return 0;
}
