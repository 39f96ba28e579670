// Regex: a compiled RE2 pattern for declarative sources (extract JSON from a page, capture
// part of a field, skip or block rules). RE2 runs in linear time, so patterns written by
// users cannot hang a collector. RE2 itself stays out of this header.
// Immutable after compile(); copies share the compiled program; safe for concurrent use.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"

namespace re2 {
class RE2;
}  // namespace re2

namespace mu {

class Regex {
 public:
  // kInvalid naming the problem ("missing ): (abc") for a pattern RE2 rejects.
  static Result<Regex> compile(std::string_view pattern);

  // The first capture group of the first match anywhere in `text` (the whole match when the
  // pattern has no group); nullopt when nothing matches.
  std::optional<std::string> extract(std::string_view text) const;
  // True when the pattern matches somewhere in `text`.
  bool matches(std::string_view text) const;

  const std::string& pattern() const { return pattern_; }

 private:
  Regex() = default;
  std::shared_ptr<const re2::RE2> re_;
  std::string pattern_;
};

}  // namespace mu
