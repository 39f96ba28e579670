// SourceWorkbench: what the admin console's declarative source editor needs — the user's
// spec files (sources.dir), a "test fetch" that parses a spec text and runs each of its
// boards once without storing anything, and saving a spec. The API module only sees this
// interface; app/ implements it over the spec loader, the fetch transport and the file
// system. Implementations are safe for concurrent use.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/types.h"

namespace mu {

class SourceWorkbench {
 public:
  struct Spec {
    std::string name;                 // file name without ".toml", e.g. "my-feed"
    std::string text;                 // the TOML as stored
    std::vector<std::string> boards;  // board ids it defines ("" list when it does not parse)
    std::string error;                // why it does not load; "" when it does
  };
  struct Preview {
    std::string board;            // board id
    std::string name;             // board display name
    std::vector<Item> items;      // parsed items (empty on error)
    std::optional<Status> error;  // the fetch/parse error, if any
    int64_t elapsed_ms = 0;
  };

  virtual ~SourceWorkbench() = default;

  // Directory the specs live in and whether save() can write there.
  virtual std::string dir() const = 0;
  virtual bool writable() const = 0;
  // A small commented example spec to start from.
  virtual std::string example() const = 0;

  // The *.toml files of dir(), by name.
  virtual Result<std::vector<Spec>> list() const = 0;

  // Parses `text` and runs each board once (fetch + parse, bounded by the board's timeout).
  // kInvalid with every problem in the message when the spec does not validate (nothing
  // is fetched then).
  virtual Result<std::vector<Preview>> test(std::string_view text) const = 0;

  // Validates `text` as test() does (without fetching) and writes dir()/<name>.toml
  // atomically (temp file + rename). `name`: 1-64 of [a-z0-9-]. Returns the path written.
  // The new boards load at the next start.
  virtual Result<std::string> save(const std::string& name, std::string_view text) = 0;
};

}  // namespace mu
