// A HistoryStore for tests of what sits on top of it (api/history_service, app/history_cli):
// it answers what the test put in it and remembers what it was asked.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/search_text.h"
#include "store/history.h"

namespace mu {

class FakeHistoryStore final : public HistoryStore {
 public:
  Result<SearchResult> search(const SearchRequest& request) override {
    ++calls;
    last_search = request;
    if (!status.ok()) return status;
    return search_result;
  }
  Result<std::optional<ItemTimeline>> item_timeline(const std::string& board,
                                                    const std::string& key,
                                                    int related_limit) override {
    ++calls;
    last_board = board;
    last_key = key;
    last_limit = related_limit;
    if (!status.ok()) return status;
    return timeline;
  }
  Result<std::optional<BoardAt>> board_at(const std::string& board, int64_t at_ms) override {
    ++calls;
    last_board = board;
    last_at = at_ms;
    if (!status.ok()) return status;
    return at;
  }
  Result<std::vector<DayEntry>> window_entries(const std::string& board, int64_t start_ms,
                                               int64_t end_ms, int limit) override {
    ++calls;
    last_board = board;
    last_window = {start_ms, end_ms};
    last_limit = limit;
    if (!status.ok()) return status;
    return entries;
  }
  Result<int64_t> compact_history(int64_t, int64_t) override { return int64_t{0}; }

  Status status;
  int calls = 0;
  SearchRequest last_search;
  std::string last_board, last_key;
  int last_limit = 0;
  int64_t last_at = 0;
  std::pair<int64_t, int64_t> last_window;
  SearchResult search_result;
  std::optional<ItemTimeline> timeline;
  std::optional<BoardAt> at;
  std::vector<DayEntry> entries;
};

// An item of `board` whose numbers derive from `id`.
inline HistoryItem make_item(int64_t id, const std::string& board, const std::string& title) {
  HistoryItem item;
  item.id = id;
  item.board = board;
  item.site = board.substr(0, board.find('.'));
  item.key = "k" + std::to_string(id);
  item.title = title;
  item.url = "https://example.com/" + std::to_string(id);
  item.first_seen_ms = 1'764'000'000'000 + id;
  item.last_seen_ms = 1'765'000'000'000 + id;
  item.best_rank = static_cast<int>(id);
  item.title_key = search::title_key(title);
  item.url_key = search::url_key(item.url);
  return item;
}

}  // namespace mu
