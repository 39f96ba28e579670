// Building the catalogue Mu runs with: the built-in sources plus the per-board overrides
// of the config (schedule, enabled, group). Used by every command in app/. Not
// thread-safe; called once at start-up.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/status.h"
#include "core/types.h"
#include "sources/source.h"

namespace mu {

struct Catalogue {
  SourceRegistry registry;
  std::vector<Site> sites;
  std::vector<BoardMeta> boards;    // with config overrides applied
  std::set<std::string> disabled;   // boards switched off in the config
  std::vector<Status> spec_errors;  // user specs in sources.dir that failed to load
};

// The built-in sources, then the user specs in `config.sources.dir` (a broken spec file is
// reported in `spec_errors` and skipped; the other boards load), then the config's board
// overrides. kConfig when the config names a board that does not exist.
Status build_catalogue(const Config& config, Catalogue& out);

// Only the built-in sources (for docs/sources.md): no user specs, no overrides.
Status build_builtin_catalogue(Catalogue& out);

}  // namespace mu

namespace mu {

// docs/sources.md: every site and board of the built-in catalogue as Markdown, generated
// from the source metadata (deterministic: same catalogue, same bytes).
std::string catalogue_markdown(const Catalogue& catalogue);

}  // namespace mu
