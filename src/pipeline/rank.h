// Rank changes between two snapshots of a board. Pure function; safe for concurrent use.
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include "core/types.h"

namespace mu {

// Ranks `current` 1..N and compares it with the previous snapshot's keys (in rank
// order): prev_rank is set for keys that were there; is_new marks keys that were not.
// With no previous snapshot nothing is marked new (a first fetch is not "news").
// first_seen_ms / best_rank come from `history` when present; otherwise first_seen is
// `fetched_at_ms` and best_rank the current rank.
std::vector<RankedItem> rank_items(const std::vector<Item>& current, bool has_previous,
                                   const std::vector<std::string>& previous_keys,
                                   const std::unordered_map<std::string, ItemHistory>& history,
                                   int64_t fetched_at_ms);

}  // namespace mu
