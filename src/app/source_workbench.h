// FileSourceWorkbench: the admin console's declarative source editor (api/source_workbench.h)
// over a directory of spec files (`sources.dir`), the spec loader (sources/spec) and a
// Transport. list() and save() predict what `load_spec_dir` will do at the next start: a
// file is reported (list) or refused (save) when it does not validate, when its site or a
// board id is already taken by a built-in source or by another spec file of the directory,
// or when a board extends a site that is not registered before it.
//
// Thread safety: safe for concurrent use. save() calls are serialized by a mutex; list() and
// test() run concurrently with them and see each file either before or after a save (files
// are replaced by rename). The transport must be safe for concurrent use (test() fetches a
// spec's boards on a few threads at once); transport, clock and secrets are borrowed and
// must outlive the workbench.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "api/source_workbench.h"
#include "core/clock.h"
#include "core/status.h"
#include "fetch/transport.h"
#include "sources/source.h"

namespace mu {

// The ids of the sources built into the binary, which user specs may not reuse.
struct BuiltinIds {
  std::set<std::string, std::less<>> sites;
  std::set<std::string, std::less<>> boards;
};

// Every site and board of `registry`. Pass the built-in registry (build_builtin_catalogue),
// not the one that already holds the user specs: those are the files being edited.
BuiltinIds builtin_ids(const SourceRegistry& registry);

// 1-64 characters of [a-z0-9-]: the names save() accepts (the file is <name>.toml).
bool is_valid_spec_name(std::string_view name);

class FileSourceWorkbench final : public SourceWorkbench {
 public:
  // `secrets` may be null (no secrets: secret headers are left out of test fetches).
  FileSourceWorkbench(std::filesystem::path dir, Transport& transport, const Clock& clock,
                      const std::map<std::string, std::string>* secrets, BuiltinIds builtins);

  std::string dir() const override;
  // True when dir() is a directory this process may create files in, or does not exist
  // yet and its nearest existing ancestor is such a directory.
  bool writable() const override;
  // A small valid RSS spec with comments in Chinese and English.
  std::string example() const override;

  // The *.toml files directly in dir(), sorted by file name; Spec::name is the name without
  // ".toml". Spec::error says why the file will not load (every validation problem, one
  // per line, or the conflict), "" when it will; Spec::boards are the ids of the boards
  // that validated. A missing dir() gives an empty list; kUnavailable when it exists but
  // cannot be listed.
  Result<std::vector<Spec>> list() const override;

  // kInvalid with every validation problem, one per line, when `text` does not validate
  // (nothing is fetched then). Otherwise one Preview per board, in spec order: the items
  // collect() returned, or its error. Boards are fetched on up to 4 threads.
  Result<std::vector<Preview>> test(std::string_view text) const override;

  // Checks, in this order: kInvalid for a bad name, kInvalid for a spec that does not
  // validate (every problem listed), kConflict when its site or a board id is taken (by a
  // built-in source or another file) or when saving it would stop another file of the
  // directory from loading, kInvalid when a board extends a site that is neither built in
  // nor defined by a file loaded before it. Then creates dir() if needed and writes
  // <name>.toml atomically (temp file in dir(), fsync, rename): kUnavailable when that
  // fails (read-only directory, disk full, ...), leaving no temp file behind. Replacing an
  // existing <name>.toml is allowed. Returns the path written.
  Result<std::string> save(const std::string& name, std::string_view text) override;

 private:
  struct File {
    std::string file_name;  // "<name>.toml"
    std::string text;
    Status read_error;  // the file is listed but could not be read
  };
  // The *.toml files of dir_ with their text, sorted by file name.
  Result<std::vector<File>> read_files() const;

  const std::filesystem::path dir_;
  Transport& transport_;
  const Clock& clock_;
  const std::map<std::string, std::string>* secrets_;
  const BuiltinIds builtins_;
  std::mutex save_mu_;
};

}  // namespace mu
