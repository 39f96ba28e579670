#include "pipeline/stream.h"

#include <algorithm>
#include <unordered_set>

namespace mu {

std::vector<Item> merge_stream(const std::vector<Item>& fresh, const std::vector<Item>& previous,
                               std::size_t cap) {
  std::vector<Item> out;
  out.reserve(fresh.size() + previous.size());
  std::unordered_set<std::string> seen;
  for (const auto& it : fresh) {
    if (seen.insert(it.key).second) out.push_back(it);
  }
  for (const auto& it : previous) {
    if (seen.insert(it.key).second) out.push_back(it);
  }
  // Newest first; undated entries sort after dated ones, keeping their order.
  std::stable_sort(out.begin(), out.end(), [](const Item& a, const Item& b) {
    if (a.published_at_ms.has_value() != b.published_at_ms.has_value()) {
      return a.published_at_ms.has_value();
    }
    return a.published_at_ms.value_or(0) > b.published_at_ms.value_or(0);
  });
  if (out.size() > cap) out.resize(cap);
  return out;
}

}  // namespace mu
