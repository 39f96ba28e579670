#include "store/history_math.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <string_view>
#include <unordered_map>

namespace mu::history {

bool point_due(int old_rank, const std::optional<double>& old_hot, int rank,
               const std::optional<double>& hot) {
  if (old_rank != rank || old_hot.has_value() != hot.has_value()) {
    return true;
  }
  if (!hot) {
    return false;
  }
  const double moved = std::abs(*hot - *old_hot);
  return moved > 0 && moved >= kHeatStep * std::abs(*old_hot);
}

CommitPlan plan_commit(const std::vector<StoredItem>& stored, const std::vector<Item>& items,
                       int64_t now_ms) {
  std::unordered_map<std::string_view, const StoredItem*> by_key;
  by_key.reserve(stored.size());
  for (const StoredItem& row : stored) {
    by_key.emplace(row.key, &row);
  }
  CommitPlan plan;
  plan.items.reserve(items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    const Item& item = items[i];
    const int rank = static_cast<int>(i + 1);
    ItemWrite write;
    write.index = i;
    const auto found = by_key.find(item.key);
    const StoredItem* row = found == by_key.end() ? nullptr : found->second;
    if (row == nullptr) {
      write.write_point = true;
      write.cur_hot = item.hot;
      write.index_action = ItemWrite::Index::kInsert;
      plan.items.push_back(std::move(write));
      continue;
    }
    write.id = row->id;
    if (row->cur_rank > 0) {  // it stayed on the board
      write.on_board_delta_ms = std::max<int64_t>(now_ms - row->last_seen_ms, 0);
      write.write_point = point_due(row->cur_rank, row->cur_hot, rank, item.hot);
      write.cur_hot = write.write_point ? item.hot : row->cur_hot;
    } else {  // it comes back
      write.write_point = true;
      write.cur_hot = item.hot;
    }
    if (!row->indexed) {
      write.index_action = ItemWrite::Index::kInsert;
    } else if (row->title != item.title || row->summary != item.summary) {
      write.index_action = ItemWrite::Index::kReplace;
      write.old_title = row->title;
      write.old_summary = row->summary;
    }
    plan.items.push_back(std::move(write));
  }
  std::unordered_map<std::string_view, bool> listed;
  listed.reserve(items.size());
  for (const Item& item : items) {
    listed.emplace(item.key, true);
  }
  for (const StoredItem& row : stored) {
    if (row.cur_rank > 0 && !listed.contains(row.key)) {
      plan.exits.push_back(ItemExit{row.id, std::max<int64_t>(now_ms - row.last_seen_ms, 0)});
    }
  }
  std::sort(plan.exits.begin(), plan.exits.end(),
            [](const ItemExit& a, const ItemExit& b) { return a.id < b.id; });
  return plan;
}

std::optional<DayEntry> window_entry(const HistoryItem& item,
                                     const std::vector<HistoryPoint>& points, int64_t start_ms,
                                     int64_t end_ms) {
  DayEntry entry;
  bool on = false;
  for (size_t i = 0; i < points.size(); ++i) {
    const HistoryPoint& point = points[i];
    if (point.rank <= 0 || point.at_ms >= end_ms) {
      continue;
    }
    const int64_t until_next = i + 1 < points.size() ? points[i + 1].at_ms : end_ms;
    const int64_t from = std::max(point.at_ms, start_ms);
    const int64_t until = std::min(until_next, end_ms);
    if (until <= from) {
      continue;
    }
    if (!on) {
      entry.entered_ms = from;
      entry.peak_rank = point.rank;
      on = true;
    }
    entry.peak_rank = std::min(entry.peak_rank, point.rank);
    if (point.hot && (!entry.peak_hot || *point.hot > *entry.peak_hot)) {
      entry.peak_hot = point.hot;
    }
    entry.on_board_ms += until - from;
    entry.left_ms = until;
  }
  if (!on) {
    return std::nullopt;
  }
  entry.item = item;
  return entry;
}

void rank_window_entries(std::vector<DayEntry>& entries, int limit) {
  std::sort(entries.begin(), entries.end(), [](const DayEntry& a, const DayEntry& b) {
    if (a.on_board_ms != b.on_board_ms) return a.on_board_ms > b.on_board_ms;
    if (a.peak_rank != b.peak_rank) return a.peak_rank < b.peak_rank;
    return a.item.id < b.item.id;
  });
  if (limit >= 0 && entries.size() > static_cast<size_t>(limit)) {
    entries.resize(static_cast<size_t>(limit));
  }
}

std::vector<DayEntry> window_entries(const std::vector<HistoryItem>& items,
                                     const WindowPoints& points, int64_t start_ms, int64_t end_ms,
                                     int limit) {
  std::vector<DayEntry> out;
  static const std::vector<HistoryPoint> kNone;
  for (const HistoryItem& item : items) {
    const auto found = points.find(item.id);
    std::optional<DayEntry> entry =
        window_entry(item, found == points.end() ? kNone : found->second, start_ms, end_ms);
    if (entry) {
      out.push_back(*std::move(entry));
    }
  }
  rank_window_entries(out, limit);
  return out;
}

void add_board_at_row(std::optional<BoardAt>& out, HistoryItem item, const HistoryPoint& point) {
  if (!out) {
    out.emplace();
    out->as_of_ms = point.at_ms;
  }
  out->as_of_ms = std::max(out->as_of_ms, point.at_ms);
  if (point.rank > 0) {
    out->items.push_back(BoardAtEntry{std::move(item), point.rank, point.hot});
  }
}

SearchBounds search_bounds(const SearchRequest& request) {
  SearchBounds bounds;
  bounds.from_ms = request.from_ms.value_or(std::numeric_limits<int64_t>::min());
  bounds.to_ms = request.to_ms.value_or(std::numeric_limits<int64_t>::max());
  if (request.after) {
    bounds.cursor_rank = request.after->rank;
    bounds.cursor_seen_ms = request.after->seen_ms;
    bounds.cursor_id = request.after->id;
  } else if (request.order == SearchOrder::kBestRank) {
    bounds.cursor_rank = 0;  // every best_rank is 1 or more
    bounds.cursor_seen_ms = std::numeric_limits<int64_t>::max();
    bounds.cursor_id = std::numeric_limits<int64_t>::max();
  } else {
    bounds.cursor_seen_ms = std::numeric_limits<int64_t>::max();
    bounds.cursor_id = std::numeric_limits<int64_t>::max();
  }
  return bounds;
}

bool tally_search(const std::vector<SearchGroup>& groups, const SearchRequest& request,
                  SearchResult& result) {
  std::map<std::string, int64_t> sites;
  int64_t scanned = 0;
  int64_t total = 0;
  result.boards.clear();
  for (const SearchGroup& g : groups) {
    scanned += g.count;
    sites[g.site] += g.count;
    result.boards.push_back(FacetCount{g.board, g.count});
    if ((request.board.empty() || g.board == request.board) &&
        (request.site.empty() || g.site == request.site)) {
      total += g.count;
    }
  }
  result.sites.clear();
  for (const auto& [site, count] : sites) {
    result.sites.push_back(FacetCount{site, count});
  }
  for (std::vector<FacetCount>* facets : {&result.sites, &result.boards}) {
    std::sort(facets->begin(), facets->end(), [](const FacetCount& a, const FacetCount& b) {
      return a.count != b.count ? a.count > b.count : a.value < b.value;
    });
    if (facets->size() > kMaxFacets) facets->resize(kMaxFacets);
  }
  const bool capped = scanned > kSearchCountLimit;
  const bool filtered = !request.board.empty() || !request.site.empty();
  result.total = capped && !filtered ? kSearchCountLimit : total;
  result.total_exact = !capped;
  return capped && filtered;
}

std::vector<SearchGroup> search_groups(const std::vector<SearchScanRow>& scan) {
  std::map<std::pair<std::string, std::string>, int64_t> counts;
  for (const SearchScanRow& row : scan) ++counts[{row.board, row.site}];
  std::vector<SearchGroup> out;
  out.reserve(counts.size());
  for (const auto& [key, count] : counts) out.push_back(SearchGroup{key.first, key.second, count});
  return out;
}

std::optional<std::vector<int64_t>> page_from_scan(const std::vector<SearchScanRow>& scan,
                                                   const SearchRequest& request,
                                                   const SearchBounds& bounds) {
  const size_t want = static_cast<size_t>(request.limit) + 1;
  std::vector<int64_t> ids;
  for (const SearchScanRow& row : scan) {
    if (row.id >= bounds.cursor_id) continue;
    if (!request.board.empty() && row.board != request.board) continue;
    if (!request.site.empty() && row.site != request.site) continue;
    ids.push_back(row.id);
    if (ids.size() == want) return ids;
  }
  if (scan.size() > static_cast<size_t>(kSearchCountLimit)) return std::nullopt;  // cut short
  return ids;
}

std::string id_list(const std::vector<int64_t>& ids, bool postgres) {
  std::string out(1, postgres ? '{' : '[');
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i > 0) out += ',';
    out += std::to_string(ids[i]);
  }
  out += postgres ? '}' : ']';
  return out;
}

void set_counted_total(int64_t count, SearchResult& result) {
  result.total = std::min(count, kSearchCountLimit);
  result.total_exact = count <= kSearchCountLimit;
}

SearchCursor cursor_after(const HistoryItem& last) {
  return SearchCursor{last.best_rank, last.last_seen_ms, last.id};
}

ThinRange thin_range(int64_t hourly_before_ms) {
  const int64_t end = hourly_before_ms - ((hourly_before_ms % kHourMs) + kHourMs) % kHourMs;
  return ThinRange{end - kThinWindowMs, end};
}

}  // namespace mu::history
