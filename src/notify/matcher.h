// RuleSet: every enabled alert rule compiled for evaluation against board updates. Keywords
// of all rules go into one byte trie (ASCII-lower-cased), walked from each position of a
// title, so the cost of an update grows with its titles, not with the number of rules;
// patterns are RE2 (linear time, bounded memory) and run only for rules whose other
// conditions hold. Only items that are new to the board or moved up are looked at, since
// only they can fire a rule ("new on the board" or "entered the top N").
//
// The first snapshot a board ever has fires nothing (there is nothing it is new against).
//
// Immutable after build(); evaluate() is const and safe for concurrent use.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/encoding.h"
#include "core/types.h"
#include "notify/rule.h"

namespace re2 {
class RE2;
}

namespace mu {

// A committed board update as rules see it.
struct BoardUpdate {
  std::string board;
  std::string site;
  std::vector<Item> items;  // in rank order (rank = index + 1)
  bool has_previous = false;
  std::unordered_map<std::string, int> previous_rank;  // key -> rank in the snapshot before
  // The items that count as new: when set, these keys (first seen since the rules last saw
  // the board, which may be several snapshots back after a crash); else those not in the
  // snapshot before.
  std::optional<std::unordered_set<std::string>> new_keys;
};

struct RuleHit {
  std::size_t rule = 0;  // index into RuleSet::rule()
  std::size_t item = 0;  // index into BoardUpdate::items
};

class RuleSet {
 public:
  RuleSet();
  ~RuleSet();
  RuleSet(RuleSet&&) noexcept;
  RuleSet& operator=(RuleSet&&) noexcept;

  // Disabled rules are left out. Rules are expected valid (parse_rule); a pattern that does
  // not compile makes its rule match by keywords only.
  static RuleSet build(std::vector<AlertRule> rules);

  // Every (rule, item) of the update that fires, by item then rule.
  std::vector<RuleHit> evaluate(const BoardUpdate& update) const;

  // Whether `rule` matches an item's text and scope alone (keywords, pattern, exclude
  // words, boards and sites, rank and heat; not the trigger): the preview of a rule being
  // edited. `item` is at `rank` on `board` of `site`.
  static bool matches_item(const AlertRule& rule, std::string_view board, std::string_view site,
                           const Item& item, int rank);

  std::size_t size() const;
  const AlertRule& rule(std::size_t i) const;

 private:
  struct Compiled;
  struct Node {
    std::vector<std::pair<unsigned char, uint32_t>> next;  // sorted by byte
    std::vector<uint32_t> rules;                           // rules whose keyword ends here
  };

  void add_keyword(std::string_view lowered, uint32_t rule);
  bool passes(const Compiled& c, const BoardUpdate& update, const Item& item,
              const std::string& lowered, int rank, bool keyword_hit) const;

  std::vector<Compiled> rules_;
  std::vector<Node> trie_;
  std::vector<uint32_t> unkeyed_;  // rules without keywords, or with a pattern
};

}  // namespace mu
