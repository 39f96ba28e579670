// UTF-8 well-formedness: checking text that must be UTF-8 (spec files, JSON output) and
// repairing text that must be emitted anyway. Pure functions, safe from any thread.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace mu {

// Length of the well-formed UTF-8 sequence at the start of `s` (1 for ASCII), or 0 when it
// is not one: stray continuation bytes, truncated sequences, overlong forms, surrogates and
// code points past U+10FFFF are not well-formed.
std::size_t utf8_sequence_length(std::string_view s);

// The byte offset of the first ill-formed sequence, or nullopt when `s` is valid UTF-8.
std::optional<std::size_t> find_invalid_utf8(std::string_view s);

// `s` with every byte that does not start a well-formed sequence replaced by U+FFFD.
// Returns `s` unchanged (one copy) when it is valid.
std::string replace_invalid_utf8(std::string_view s);

}  // namespace mu
