// Test helpers shared by the Store conformance suite and the PostgreSQL store tests: a
// small catalogue, items, commit and failure requests, and gtest assertions on Status.
// Header-only; for tests. Plain functions and values; safe for concurrent use.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "core/status.h"
#include "core/types.h"
#include "store/store.h"

namespace mu::store_test {

inline ::testing::AssertionResult is_ok(const Status& status) {
  if (status.ok()) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << status.to_string();
}
template <typename T>
::testing::AssertionResult is_ok(const Result<T>& result) {
  return is_ok(result.status());
}

inline Site make_site(const std::string& id) {
  Site site;
  site.id = id;
  site.name_en = id;
  site.name_zh = id + "站";
  site.home = "https://" + id + ".example";
  site.region = "global";
  return site;
}

inline BoardMeta make_board(const std::string& site, const std::string& name) {
  BoardMeta board;
  board.id = site + "." + name;
  board.site = site;
  board.name_en = name;
  board.name_zh = name + "榜";
  board.group = "global";
  return board;
}

// Sites weibo and hn; boards weibo.hot-search, hn.top and hn.new.
inline std::vector<Site> catalogue_sites() { return {make_site("weibo"), make_site("hn")}; }
inline std::vector<BoardMeta> catalogue_boards() {
  return {make_board("weibo", "hot-search"), make_board("hn", "top"), make_board("hn", "new")};
}

inline Item make_item(const std::string& key) {
  Item item;
  item.key = key;
  item.title = "Title " + key;
  item.url = "https://example.com/" + key;
  return item;
}

inline std::vector<Item> make_items(const std::vector<std::string>& keys) {
  std::vector<Item> items;
  items.reserve(keys.size());
  for (const std::string& key : keys) {
    items.push_back(make_item(key));
  }
  return items;
}

inline constexpr int64_t kSlot0 = 1'767'225'600;  // 2026-01-01T00:00:00Z
inline constexpr int64_t kMinute = 60;
inline constexpr int64_t kTenMinutes = 600;

// Dispatch id "<board>@<slot>"; finished at slot + 750 ms.
inline CommitRequest make_commit(const std::string& board, int64_t slot, std::vector<Item> items,
                                 int64_t epoch = 1) {
  CommitRequest request;
  request.board = board;
  request.epoch = epoch;
  request.slot = slot;
  request.dispatch_id = board + "@" + std::to_string(slot);
  request.stats.started_ms = slot * 1000;
  request.stats.finished_ms = slot * 1000 + 750;
  request.stats.http_status = 200;
  request.stats.bytes = 4096;
  request.stats.item_count = static_cast<int>(items.size());
  request.stats.collector = "local";
  request.items = std::move(items);
  return request;
}

// Dispatch id "<board>@<slot>"; finished at slot + 900 ms with HTTP 503.
inline FailureRecord make_failure(const std::string& board, int64_t slot, Status status,
                                  int64_t epoch = 1) {
  FailureRecord failure;
  failure.board = board;
  failure.epoch = epoch;
  failure.slot = slot;
  failure.dispatch_id = board + "@" + std::to_string(slot);
  failure.error = std::move(status);
  failure.stats.started_ms = slot * 1000;
  failure.stats.finished_ms = slot * 1000 + 900;
  failure.stats.http_status = 503;
  failure.stats.collector = "local";
  return failure;
}

inline std::vector<std::string> keys_of(const std::vector<Item>& items) {
  std::vector<std::string> keys;
  keys.reserve(items.size());
  for (const Item& item : items) {
    keys.push_back(item.key);
  }
  return keys;
}

}  // namespace mu::store_test
