// libFuzzer target: normalize_items / sanitize_url / clean_text must never crash, and
// every URL they keep must be http(s) with no control characters.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "pipeline/normalize.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto cut = in.find('\n');
  mu::Item it;
  it.title = std::string(in.substr(0, cut));
  it.url = cut == std::string_view::npos ? std::string(in) : std::string(in.substr(cut + 1));
  it.image = it.url;
  auto out = mu::normalize_items({it});
  for (const auto& o : out) {
    if (o.url.rfind("http://", 0) != 0 && o.url.rfind("https://", 0) != 0) __builtin_trap();
    for (unsigned char c : o.url) {
      if (c < 0x20 || c == 0x7F || c >= 0x80) __builtin_trap();
    }
  }
  (void)mu::clean_text(in, 64);
  return 0;
}
