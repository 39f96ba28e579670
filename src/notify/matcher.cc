#include "notify/matcher.h"

#include <re2/re2.h>

#include <algorithm>
#include <limits>

namespace mu {

struct RuleSet::Compiled {
  AlertRule rule;
  std::unique_ptr<re2::RE2> re;      // null: no pattern (or one that did not compile)
  std::vector<std::string> exclude;  // lower-cased
  std::unordered_set<std::string> boards;
  std::unordered_set<std::string> sites;
};

namespace {

std::unique_ptr<re2::RE2> compile_pattern(const std::string& pattern) {
  if (pattern.empty()) return nullptr;
  re2::RE2::Options options;
  options.set_log_errors(false);
  options.set_max_mem(kRulePatternMaxMem);
  options.set_case_sensitive(false);
  auto re = std::make_unique<re2::RE2>(pattern, options);
  if (!re->ok()) return nullptr;
  return re;
}

bool in_scope(const std::unordered_set<std::string>& boards,
              const std::unordered_set<std::string>& sites, std::string_view board,
              std::string_view site) {
  if (boards.empty() && sites.empty()) return true;
  return boards.contains(std::string(board)) || sites.contains(std::string(site));
}

bool rank_and_heat_pass(const AlertRule& rule, const Item& item, int rank) {
  if (rule.max_rank > 0 && rank > rule.max_rank) return false;
  if (rule.min_hot > 0 && (!item.hot || *item.hot < rule.min_hot)) return false;
  return true;
}

bool excluded(const std::vector<std::string>& exclude, const std::string& lowered) {
  for (const std::string& word : exclude) {
    if (lowered.find(word) != std::string::npos) return true;
  }
  return false;
}

std::vector<std::string> lowered_all(const std::vector<std::string>& words) {
  std::vector<std::string> out;
  out.reserve(words.size());
  for (const auto& w : words) out.push_back(ascii_lower(w));
  return out;
}

}  // namespace

RuleSet::RuleSet() : trie_(1) {}
RuleSet::~RuleSet() = default;
RuleSet::RuleSet(RuleSet&&) noexcept = default;
RuleSet& RuleSet::operator=(RuleSet&&) noexcept = default;

const AlertRule& RuleSet::rule(std::size_t i) const { return rules_.at(i).rule; }
std::size_t RuleSet::size() const { return rules_.size(); }

void RuleSet::add_keyword(std::string_view lowered, uint32_t rule) {
  uint32_t node = 0;
  for (unsigned char byte : lowered) {
    auto& next = trie_[node].next;
    auto it = std::lower_bound(next.begin(), next.end(), byte,
                               [](const auto& edge, unsigned char b) { return edge.first < b; });
    if (it != next.end() && it->first == byte) {
      node = it->second;
      continue;
    }
    const auto child = static_cast<uint32_t>(trie_.size());
    next.insert(it, {byte, child});
    trie_.emplace_back();  // invalidates `next`; not used below
    node = child;
  }
  auto& rules = trie_[node].rules;
  if (rules.empty() || rules.back() != rule) rules.push_back(rule);
}

RuleSet RuleSet::build(std::vector<AlertRule> rules) {
  RuleSet set;
  for (AlertRule& rule : rules) {
    if (!rule.enabled) continue;
    Compiled c;
    c.re = compile_pattern(rule.pattern);
    c.exclude = lowered_all(rule.exclude);
    c.boards.insert(rule.boards.begin(), rule.boards.end());
    c.sites.insert(rule.sites.begin(), rule.sites.end());
    c.rule = std::move(rule);
    const auto index = static_cast<uint32_t>(set.rules_.size());
    for (const std::string& keyword : c.rule.keywords) set.add_keyword(ascii_lower(keyword), index);
    if (c.rule.keywords.empty() || c.re) set.unkeyed_.push_back(index);
    set.rules_.push_back(std::move(c));
  }
  return set;
}

bool RuleSet::passes(const Compiled& c, const BoardUpdate& update, const Item& item,
                     const std::string& lowered, int rank, bool keyword_hit) const {
  const AlertRule& rule = c.rule;
  if (!in_scope(c.boards, c.sites, update.board, update.site)) return false;
  if (!rank_and_heat_pass(rule, item, rank)) return false;
  if (!update.has_previous) return false;
  auto prev = update.previous_rank.find(item.key);
  if (rule.trigger == RuleTrigger::kNew) {
    const bool is_new =
        update.new_keys ? update.new_keys->contains(item.key) : prev == update.previous_rank.end();
    if (!is_new) return false;
  } else {
    if (rank > rule.top_n) return false;
    if (prev != update.previous_rank.end() && prev->second <= rule.top_n) return false;
  }
  if (excluded(c.exclude, lowered)) return false;
  if (keyword_hit) return true;
  if (c.re) return re2::RE2::PartialMatch(item.title, *c.re);
  return rule.keywords.empty();
}

std::vector<RuleHit> RuleSet::evaluate(const BoardUpdate& update) const {
  std::vector<RuleHit> hits;
  if (rules_.empty() || !update.has_previous) return hits;
  constexpr uint32_t kNone = std::numeric_limits<uint32_t>::max();
  std::vector<uint32_t> stamp(rules_.size(), kNone);  // item index that hit the rule's keyword
  std::vector<uint32_t> candidates;
  for (std::size_t i = 0; i < update.items.size(); ++i) {
    const Item& item = update.items[i];
    const int rank = static_cast<int>(i) + 1;
    auto prev = update.previous_rank.find(item.key);
    const bool is_new =
        update.new_keys ? update.new_keys->contains(item.key) : prev == update.previous_rank.end();
    const bool moved_up = prev == update.previous_rank.end() || prev->second > rank;
    if (!is_new && !moved_up) continue;  // neither new nor moved up: fires nothing
    const std::string lowered = ascii_lower(item.title);
    const auto stamp_value = static_cast<uint32_t>(i);
    candidates.clear();
    for (std::size_t start = 0; start < lowered.size(); ++start) {
      uint32_t node = 0;
      for (std::size_t j = start; j < lowered.size(); ++j) {
        const auto byte = static_cast<unsigned char>(lowered[j]);
        const auto& next = trie_[node].next;
        auto it =
            std::lower_bound(next.begin(), next.end(), byte,
                             [](const auto& edge, unsigned char b) { return edge.first < b; });
        if (it == next.end() || it->first != byte) break;
        node = it->second;
        for (uint32_t r : trie_[node].rules) {
          if (stamp[r] != stamp_value) {
            stamp[r] = stamp_value;
            candidates.push_back(r);
          }
        }
      }
    }
    for (uint32_t r : unkeyed_) {
      if (stamp[r] != stamp_value) candidates.push_back(r);
    }
    std::sort(candidates.begin(), candidates.end());
    for (uint32_t r : candidates) {
      if (passes(rules_[r], update, item, lowered, rank, stamp[r] == stamp_value)) {
        hits.push_back(RuleHit{r, i});
      }
    }
  }
  return hits;
}

bool RuleSet::matches_item(const AlertRule& rule, std::string_view board, std::string_view site,
                           const Item& item, int rank) {
  const std::unordered_set<std::string> boards(rule.boards.begin(), rule.boards.end());
  const std::unordered_set<std::string> sites(rule.sites.begin(), rule.sites.end());
  if (!in_scope(boards, sites, board, site)) return false;
  if (!rank_and_heat_pass(rule, item, rank)) return false;
  const std::string lowered = ascii_lower(item.title);
  if (excluded(lowered_all(rule.exclude), lowered)) return false;
  for (const std::string& keyword : rule.keywords) {
    if (lowered.find(ascii_lower(keyword)) != std::string::npos) return true;
  }
  if (auto re = compile_pattern(rule.pattern)) return re2::RE2::PartialMatch(item.title, *re);
  return rule.keywords.empty();
}

}  // namespace mu
