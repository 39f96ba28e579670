// Normalization of freshly parsed items before they are stored: clean text, keep only
// absolute http/https links, give every item a stable key, drop duplicates. Pure
// functions; safe for concurrent use.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/types.h"

namespace mu {

// Trims, collapses runs of whitespace (including U+3000 and NBSP) to one space, removes
// control characters and replaces invalid UTF-8 with U+FFFD. Cuts at `max_bytes` on a
// character boundary.
std::string clean_text(std::string_view text, std::size_t max_bytes = 2048);

// Returns the URL if it is an absolute http or https URL with a host ("//host/x" becomes
// https), with spaces and non-ASCII bytes percent-encoded; nullopt for anything else
// (javascript:, data:, mailto:, relative paths, control characters).
std::optional<std::string> sanitize_url(std::string_view url);

struct NormalizeReport {
  int dropped_no_title = 0;
  int dropped_bad_url = 0;
  int dropped_duplicate = 0;
  int dropped_over_limit = 0;

  int dropped() const {
    return dropped_no_title + dropped_bad_url + dropped_duplicate + dropped_over_limit;
  }
};

struct NormalizeOptions {
  std::size_t max_items = 500;
  std::size_t max_title_bytes = 512;
  std::size_t max_summary_bytes = 2048;
};

// Cleans every field, drops items without a title or without a valid http/https URL,
// clears invalid optional URLs (mobile_url, image), derives a key from the URL when the
// source gave none, and keeps the first item of each key.
std::vector<Item> normalize_items(std::vector<Item> items, NormalizeReport* report = nullptr,
                                  const NormalizeOptions& options = {});

}  // namespace mu
