// Alert rules (issue 13): what a user wants to be told about. A rule matches an item of a
// board update when the item's title contains one of its keywords or matches its RE2
// pattern (either is enough; a rule with neither matches every item of its boards), contains
// none of its exclude words, is on one of its boards or sites (none listed: every board), is
// ranked within max_rank and at least min_hot hot, and is new to the board (trigger "new") or
// has just entered the top N (trigger "top"). Matching is case-insensitive for ASCII letters.
//
// A rule is stored as JSON (store/alerts.h, document kind "rule"); parse_rule() checks
// every field and its limits with messages naming the field, rule_to_json() writes it back.
// Value types; safe to share once built.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace mu {

// Limits of one rule: a request beyond them is refused (kInvalid), never truncated.
inline constexpr std::size_t kMaxRuleKeywords = 100;
inline constexpr std::size_t kMaxRuleWordBytes = 100;
inline constexpr std::size_t kMaxRulePatternBytes = 500;
inline constexpr std::size_t kMaxRuleScope = 200;  // boards + sites
inline constexpr std::size_t kMaxRuleChannels = 10;
inline constexpr std::size_t kMaxRuleNameBytes = 200;
// RE2 memory budget of a pattern: RE2 runs in linear time, so no pattern backtracks; this
// bounds what a pathological one may build.
inline constexpr int64_t kRulePatternMaxMem = 256 << 10;

enum class RuleTrigger { kNew, kTop };
enum class RuleDigest { kImmediate, kHourly, kDaily };

std::string_view rule_trigger_name(RuleTrigger trigger);  // "new", "top"
std::string_view rule_digest_name(RuleDigest digest);     // "immediate", "hourly", "daily"

struct QuietHours {
  int from_minute = 0;  // minutes after local midnight, 0..1439
  int to_minute = 0;    // the end (exclusive); before from_minute: the window spans midnight
};

struct AlertRule {
  std::string id;
  int64_t user_id = 0;
  std::string name;
  bool enabled = true;
  std::vector<std::string> keywords;
  std::string pattern;  // RE2; "" for none
  std::vector<std::string> exclude;
  std::vector<std::string> boards;
  std::vector<std::string> sites;
  int max_rank = 0;    // 0: any rank
  double min_hot = 0;  // 0: any heat
  RuleTrigger trigger = RuleTrigger::kNew;
  int top_n = 10;  // for kTop
  std::string tz = "UTC";
  std::optional<QuietHours> quiet;
  RuleDigest digest = RuleDigest::kImmediate;
  int digest_hour = 8;                // kDaily: the local hour it is sent
  std::vector<std::string> channels;  // channel ids (the rule's owner's)
};

// Reads a rule from its JSON body (the API's and the store's shape, see docs/alerts.md). The
// id and owner are not in the body: the caller sets them. kInvalid naming the field for a
// wrong type, an unknown field, an empty or over-long word, a pattern RE2 refuses or that
// exceeds its memory budget, an unknown time zone, and anything past the limits above.
Result<AlertRule> parse_rule(std::string_view json);
std::string rule_to_json(const AlertRule& rule);

// "HH:MM" -> minutes after midnight.
std::optional<int> parse_clock_minutes(std::string_view text);

}  // namespace mu
