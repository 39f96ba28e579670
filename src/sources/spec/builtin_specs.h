// The declarative source files shipped with Mu (src/sources/<site>/*.toml), embedded into the
// binary by CMake (generated/builtin_specs.cc), so `mu` needs no spec files at run time.
// Immutable data; safe for concurrent use.
#pragma once

#include <string_view>
#include <vector>

namespace mu {

struct BuiltinSpecFile {
  std::string_view name;  // "solidot/solidot.toml": folder and file name, for messages
  std::string_view text;  // the TOML text, byte for byte
};

// Every embedded spec file, sorted by name.
std::vector<BuiltinSpecFile> builtin_spec_files();

}  // namespace mu
