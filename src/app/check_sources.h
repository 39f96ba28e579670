// `mu check-sources`: fetch every board and check what users rely on — items present,
// unique keys, titles, http(s) links, plausible dates — so a site that changed its format
// is noticed. Live mode uses the network (never run it from tests); replay mode checks the
// fixtures. Not thread-safe to call concurrently; runs boards on its own worker threads.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "app/catalogue.h"
#include "core/clock.h"
#include "core/status.h"
#include "fetch/transport.h"

namespace mu {

struct BoardCheck {
  std::string board;
  Status status;  // ok, or the fetch error / the first broken invariant
  std::size_t items = 0;
  int64_t elapsed_ms = 0;
  bool needs_cookie = false;  // the board's source wants a cookie or a token
};

// The invariants on one board's items (after normalization). kParse names the first
// violation: empty list, duplicate key, empty title, non-http(s) URL, a date more than a
// day in the future or before 2000.
Status check_board_items(const std::vector<Item>& items, int64_t now_ms);

// Collects every board of `catalogue` (or only `only` when non-empty) with `workers`
// threads and checks it. Results are in catalogue order.
std::vector<BoardCheck> check_boards(const Catalogue& catalogue, Transport& transport,
                                     const Clock& clock,
                                     const std::map<std::string, std::string>& secrets,
                                     const std::vector<std::string>& only, int workers);

// The result table as printed by the command: a failed board's status is its failure class
// (the classes of GET /api/v1/health/boards: blocked, needs-cookie, rate-limited, gone,
// parse, timeout, ...) and a line under it gives the hint.
std::string format_checks(const std::vector<BoardCheck>& checks);

}  // namespace mu
