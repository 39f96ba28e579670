// gzip helpers on zlib, shared by the pipeline (pre-rendered board bodies) and the HTTP
// layer (dynamic responses). Pure functions; safe for concurrent use.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/status.h"

namespace mu {

// gzip (RFC 1952) of `data` at `level` (1..9).
std::string gzip_compress(std::string_view data, int level = 6);

// Inflates a gzip or zlib stream; kTooLarge past `max_output` bytes, kParse on bad data.
Result<std::string> gzip_decompress(std::string_view data, std::size_t max_output = 64u << 20);

}  // namespace mu
