// Stream boards (news flashes, feeds): each fetch returns the latest few entries; the board
// keeps a longer, deduplicated, newest-first list across fetches. Pure function; safe for
// concurrent use.
#pragma once

#include <cstddef>
#include <vector>

#include "core/types.h"

namespace mu {

// Merges a fresh fetch into the previous stream: entries of `fresh` replace previous
// entries with the same key (their text may have been edited), entries only in `previous`
// are kept, and the result is ordered newest first by published_at (entries without a
// date keep their relative order, fresh before previous) and cut to `cap` entries.
std::vector<Item> merge_stream(const std::vector<Item>& fresh, const std::vector<Item>& previous,
                               std::size_t cap = 200);

}  // namespace mu
