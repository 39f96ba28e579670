#include "app/catalogue.h"

#include <algorithm>

namespace mu {

Status build_catalogue(const Config& config, Catalogue& out) {
  MU_RETURN_IF_ERROR(register_builtin_sources(out.registry));
  out.sites = out.registry.sites();
  for (const Source* s : out.registry.boards()) out.boards.push_back(s->meta());
  for (const auto& [id, o] : config.boards) {
    auto it = std::find_if(out.boards.begin(), out.boards.end(),
                           [&](const BoardMeta& m) { return m.id == id; });
    if (it == out.boards.end()) {
      return error(ErrorCode::kConfig,
                   config.source + ": boards.\"" + id + "\": no such board (see `mu sources`)");
    }
    if (o.every) it->schedule.every = *o.every;
    if (o.timeout) it->schedule.timeout = *o.timeout;
    if (o.retries) it->schedule.retries = *o.retries;
    if (o.group) it->group = *o.group;
    if (o.enabled && !*o.enabled) out.disabled.insert(id);
  }
  return ok_status();
}

}  // namespace mu
