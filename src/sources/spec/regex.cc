#include "sources/spec/regex.h"

#include <re2/re2.h>

namespace mu {

Result<Regex> Regex::compile(std::string_view pattern) {
  RE2::Options options;
  options.set_log_errors(false);  // errors come back as values, never on stderr
  options.set_max_mem(8 << 20);
  auto re = std::make_shared<RE2>(re2::StringPiece(pattern.data(), pattern.size()), options);
  if (!re->ok()) return error(ErrorCode::kInvalid, "invalid RE2 pattern: " + re->error());
  Regex out;
  out.re_ = std::move(re);
  out.pattern_ = std::string(pattern);
  return out;
}

std::optional<std::string> Regex::extract(std::string_view text) const {
  if (re_ == nullptr) return std::nullopt;
  const int groups = re_->NumberOfCapturingGroups();
  re2::StringPiece input(text.data(), text.size());
  re2::StringPiece match[2];
  const int want = groups > 0 ? 2 : 1;
  if (!re_->Match(input, 0, input.size(), RE2::UNANCHORED, match, want)) return std::nullopt;
  const re2::StringPiece& got = groups > 0 ? match[1] : match[0];
  if (got.data() == nullptr) return std::string();  // an optional group that did not take part
  return std::string(got.data(), got.size());
}

bool Regex::matches(std::string_view text) const {
  if (re_ == nullptr) return false;
  return RE2::PartialMatch(re2::StringPiece(text.data(), text.size()), *re_);
}

}  // namespace mu
