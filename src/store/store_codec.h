// Encodings shared by every Store implementation, so SQLite and PostgreSQL store the same
// bytes: an item's `extra` pairs as JSON, and the LIKE pattern of a favorites search; and
// the errors both give alike.
// Pure functions; safe from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace mu {

// `extra` as a JSON array of [name, value] pairs: keeps order and repeated names, so an Item
// round-trips exactly. Empty -> nullopt (a NULL column).
Result<std::optional<std::string>> extra_to_json(
    const std::vector<std::pair<std::string, std::string>>& extra);
// The inverse; "" -> no pairs. kInternal for a stored value that is not such an array.
Result<std::vector<std::pair<std::string, std::string>>> extra_from_json(std::string_view text);

// A LIKE pattern (escape character '\') matching text that contains `text`, with ASCII
// letters lower-cased (callers compare against LOWER(column)).
std::string like_pattern(std::string_view text);

// add_favorite's kTooLarge when a user has `max_per_user` favorites already.
Status favorites_full(int64_t max_per_user);
// kTooLarge: the user has max_per_user live API keys.
Status api_keys_full(int64_t max_per_user);

}  // namespace mu
