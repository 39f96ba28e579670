// Stored board overrides: schedule changes made at run time (admin console, `mu ctl`) live
// in the store as one JSON document per board (OverrideStore::put_board_override), so they survive
// restarts and reach every scheduler instance. These helpers check a change, merge it into
// the stored document with compare-and-set, and bring a running Scheduler up to the stored
// documents. Stateless functions; as thread-safe as the Store passed in.
#pragma once

#include <optional>
#include <string>

#include "core/clock.h"
#include "core/status.h"
#include "scheduler/scheduler.h"
#include "store/store.h"

namespace mu {

// kInvalid for a change no scheduler should accept: `every` and `cron` together, `every`
// outside 10 s .. 7 d (sites are not polled faster than the config allows), a cron
// expression or time zone that does not parse, an empty group.
Status validate_board_change(const BoardChange& change);

// The board's stored override document, nullopt when it has none.
Result<std::optional<BoardOverrideRecord>> stored_override(OverrideStore& store,
                                                           const std::string& board);

// Merges `change` into the board's stored document (compare-and-set, retried on
// concurrent writers) and returns the whole merged change at its new store version.
// `change.version` and `change.meta` are ignored. kNotFound for a board the store does not
// know; kInvalid from validate_board_change().
Result<BoardChange> store_board_change(OverrideStore& store, const Clock& clock,
                                       const BoardChange& change);

// Applies every stored document newer than the version `scheduler` runs for that board.
// Returns how many were applied; a document that does not parse is logged and skipped.
Result<int> reconcile_overrides(OverrideStore& store, Scheduler& scheduler);

}  // namespace mu
