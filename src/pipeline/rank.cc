#include "pipeline/rank.h"

#include <algorithm>

namespace mu {

std::vector<RankedItem> rank_items(const std::vector<Item>& current, bool has_previous,
                                   const std::vector<std::string>& previous_keys,
                                   const std::unordered_map<std::string, ItemHistory>& history,
                                   int64_t fetched_at_ms) {
  std::unordered_map<std::string_view, int> prev;
  prev.reserve(previous_keys.size());
  for (std::size_t i = 0; i < previous_keys.size(); ++i) {
    prev.emplace(previous_keys[i], static_cast<int>(i) + 1);
  }
  std::vector<RankedItem> out;
  out.reserve(current.size());
  for (std::size_t i = 0; i < current.size(); ++i) {
    RankedItem r;
    r.rank = static_cast<int>(i) + 1;
    r.item = current[i];
    if (auto p = prev.find(r.item.key); p != prev.end()) {
      r.prev_rank = p->second;
    } else {
      r.is_new = has_previous;
    }
    if (auto h = history.find(r.item.key); h != history.end()) {
      r.first_seen_ms = h->second.first_seen_ms;
      r.best_rank = h->second.best_rank > 0 ? std::min(h->second.best_rank, r.rank) : r.rank;
    } else {
      r.first_seen_ms = fetched_at_ms;
      r.best_rank = r.rank;
    }
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace mu
