// libFuzzer target: parse_spec (toml++ parsing plus the whole validation of a spec file)
// never crashes or throws on any text, and every error names the file.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "sources/spec/spec_loader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > (64u << 10)) return 0;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  mu::ParsedSpec spec = mu::parse_spec(text, "fuzz.toml");
  for (const mu::Status& e : spec.errors) {
    if (e.code() != mu::ErrorCode::kConfig) __builtin_trap();
    if (e.message().rfind("fuzz.toml", 0) != 0) __builtin_trap();
  }
  if (!spec.ok()) return 0;
  mu::SourceRegistry registry;
  (void)mu::register_spec(std::move(spec), registry);
  return 0;
}
