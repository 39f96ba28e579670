// Loading declarative sources: spec files (TOML, one site and its boards per file; format in
// docs/spec-sources.md) parsed, validated and turned into SpecSources. Used for the spec
// files built into Mu (src/sources/<site>/*.toml, embedded at build time and registered by
// register_builtin_sources() after the C++ sites), for user specs dropped into a directory
// (`sources.d/`) and for live previews of a spec being edited.
// Validation is strict and happens here, not at fetch time: unknown keys, missing or
// mistyped values, bad kinds and schedules, malformed JSON paths and templates, CSS, XPath
// and RE2 are kConfig errors whose message names the file and the key, e.g.
//   solidot.toml: boards[0].parse.fields.title: unknown key "selector" (allowed: ...)
// Functions are safe for concurrent use on different registries.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/types.h"
#include "sources/source.h"

namespace mu {

// One spec file after parsing and validation.
struct ParsedSpec {
  std::string name;                              // as given, e.g. "solidot.toml"
  std::optional<Site> site;                      // its [site] table, when it has one
  std::vector<std::unique_ptr<Source>> sources;  // the boards that validated (SpecSource)
  std::vector<Status> errors;                    // kConfig, each naming file and key

  bool ok() const { return errors.empty(); }
};

// Parses and validates one spec file's text. `name` prefixes every message. A TOML syntax
// error yields one error and nothing else; otherwise every problem found is listed and the
// boards that passed are returned (a preview can show them next to the errors).
ParsedSpec parse_spec(std::string_view toml_text, std::string_view name);

// For the admin console's live preview: the board `board_id` of the spec (its first board
// when empty), or the first error of the file.
Result<std::unique_ptr<Source>> parse_spec_board(std::string_view toml_text, std::string_view name,
                                                 std::string_view board_id = {});

// Registers a valid spec: its site (if any), then its boards. Conflicts are checked first,
// so a failing spec registers nothing: kConflict when the site or a board id is already
// registered, kConfig when a board's site is neither in the file nor registered, or when
// `spec` has errors. Messages start with the spec's name.
Status register_spec(ParsedSpec spec, SourceRegistry& registry);

// The largest spec file read (1 MiB; the biggest shipped spec is a few KiB).
inline constexpr std::size_t kMaxSpecFileBytes = std::size_t{1} << 20;

// One *.toml entry of a spec directory.
struct SpecFileEntry {
  std::string name;  // the file name, "solidot.toml"
  std::string text;  // the content: valid UTF-8, at most kMaxSpecFileBytes; "" on error
  Status error;      // kConfig naming the file when it cannot be used, else ok
};

// Reads one spec file without ever blocking or reading without bound: the file type is
// checked before opening (symlinks are followed; a FIFO, socket, device or directory is
// refused, never opened), the file is opened non-blocking and checked again, at most
// kMaxSpecFileBytes are accepted, and the text must be valid UTF-8. kConfig errors start
// with the file name: "big.toml: larger than the 1 MiB limit for spec files (2097152 bytes)".
Result<std::string> read_spec_file(const std::filesystem::path& path);

// Every entry named *.toml directly in `dir` (regular files, symlinks, and also FIFOs,
// directories and dangling symlinks, which get an error), sorted by name, each read with
// read_spec_file. A missing `dir` gives an empty list; kConfig when `dir` exists but is not
// a directory that can be listed. Shared by load_spec_dir and the admin source editor so
// both report the same entries with the same messages.
Result<std::vector<SpecFileEntry>> read_spec_dir(const std::filesystem::path& dir);

// Loads every *.toml directly in `dir`, in name order. A file that does not parse, does
// not validate, conflicts with what is registered or cannot be read (see read_spec_dir:
// not a regular file, too large, not UTF-8) adds one kConfig error naming the file (and the
// key) to `errors` and registers nothing; the other files still load. A missing
// `dir` is fine (ok, nothing loaded); kConfig when `dir` exists but is not a readable
// directory.
Status load_spec_dir(const std::filesystem::path& dir, SourceRegistry& registry,
                     std::vector<Status>& errors);

// Registers the spec files embedded at build time (builtin_specs.h). Called by
// register_builtin_sources() after the C++ sites.
Status register_builtin_specs(SourceRegistry& registry);

}  // namespace mu
