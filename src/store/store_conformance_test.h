// Test helpers shared by the Store conformance suite and the PostgreSQL store tests: a
// small catalogue, items, commit and failure requests, and gtest assertions on Status.
// Header-only; for tests. Plain functions and values; safe for concurrent use.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "core/search_text.h"
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

// --- upgrading a schema-6 database (the release before history) ---------------------------

// Rows of a schema-6 database (portable SQL): board hn.top with two snapshots, at 1000 ms
// (a "Café news", b "跨年晚会节目单公布") and at 2000 ms (b with heat 9.5, c "某地发生火灾").
inline constexpr const char* kSchemaSixRowsSql = R"sql(
INSERT INTO sites (id, name_en) VALUES ('hn', 'Hacker News');
INSERT INTO boards (id, site, every_s, jitter_s, timeout_s, version, item_count, last_ok_ms)
VALUES ('hn.top', 'hn', 600, 0, 10, 2, 2, 2000);
INSERT INTO snapshots (id, board, fetched_at_ms, epoch, dispatch_id, slot, item_count)
VALUES (1, 'hn.top', 1000, 1, 'hn.top@1', 1, 2), (2, 'hn.top', 2000, 1, 'hn.top@2', 2, 2);
INSERT INTO snapshot_items (snapshot_id, rank, item_key, title, url, summary, hot)
VALUES (1, 1, 'a', 'Café news', 'https://a.example/', '', NULL),
       (1, 2, 'b', '跨年晚会节目单公布', 'https://b.example/', 'old summary', NULL),
       (2, 1, 'b', '跨年晚会节目单公布', 'https://b.example/', '节目 summary', 9.5),
       (2, 2, 'c', '某地发生火灾', 'https://c.example/', '', NULL);
INSERT INTO items (board, item_key, title, url, first_seen_ms, last_seen_ms, best_rank,
                   last_rank, times_seen)
VALUES ('hn.top', 'a', 'Café news', 'https://a.example/', 1000, 1000, 1, 1, 1),
       ('hn.top', 'b', '跨年晚会节目单公布', 'https://b.example/', 1000, 2000, 1, 1, 2),
       ('hn.top', 'c', '某地发生火灾', 'https://c.example/', 2000, 2000, 2, 2, 1);
)sql";

// The keys `q` finds.
inline std::vector<std::string> search_keys(Store& store, std::string_view q) {
  std::vector<std::string> keys;
  auto query = search::parse_query(q);
  EXPECT_TRUE(is_ok(query)) << q;
  if (!query.ok()) return keys;
  SearchRequest request;
  request.query = *std::move(query);
  auto result = store.search(request);
  EXPECT_TRUE(is_ok(result)) << q;
  if (!result.ok()) return keys;
  for (const HistoryItem& hit : result->hits) keys.push_back(hit.key);
  return keys;
}

// What migrate() must make of kSchemaSixRowsSql: every row kept, ids in first-seen order,
// current ranks from the latest snapshot, a timeline for each item, search entries; and
// the next commit continues from there.
inline void expect_schema_six_upgraded(Store& store) {
  auto timeline = [&](const std::string& key) {
    auto t = store.item_timeline("hn.top", key, 5);
    EXPECT_TRUE(is_ok(t)) << key;
    EXPECT_TRUE(t.ok() && t->has_value()) << key;
    return t.ok() && t->has_value() ? **t : ItemTimeline{};
  };
  const ItemTimeline a = timeline("a"), b = timeline("b"), c = timeline("c");
  EXPECT_EQ(a.item.id, 1);
  EXPECT_EQ(b.item.id, 2);
  EXPECT_EQ(c.item.id, 3);
  EXPECT_EQ(a.item.current_rank, 0);
  EXPECT_EQ(b.item.current_rank, 1);
  EXPECT_EQ(c.item.current_rank, 2);
  EXPECT_EQ(b.item.summary, "节目 summary");
  EXPECT_EQ(b.item.peak_hot, 9.5);
  EXPECT_EQ(b.item.on_board_ms, 1000);
  EXPECT_NE(a.item.title_key, 0);
  EXPECT_EQ(a.item.site, "hn");
  auto point = [](int64_t at, int rank, std::optional<double> hot = std::nullopt) {
    return HistoryPoint{at, rank, hot};
  };
  auto same = [](const std::vector<HistoryPoint>& got, const std::vector<HistoryPoint>& want) {
    if (got.size() != want.size()) return false;
    for (size_t i = 0; i < got.size(); ++i) {
      if (got[i].at_ms != want[i].at_ms || got[i].rank != want[i].rank ||
          got[i].hot != want[i].hot) {
        return false;
      }
    }
    return true;
  };
  EXPECT_TRUE(same(a.points, {point(1000, 1), point(1001, 0)}));
  EXPECT_TRUE(same(b.points, {point(1000, 1), point(2000, 1, 9.5)}));
  EXPECT_TRUE(same(c.points, {point(2000, 2)}));
  EXPECT_EQ(search_keys(store, "跨年"), std::vector<std::string>{"b"});
  EXPECT_EQ(search_keys(store, "节目"), std::vector<std::string>{"b"});  // title and summary
  EXPECT_EQ(search_keys(store, "cafe"), std::vector<std::string>{"a"});
  EXPECT_EQ(search_keys(store, "火灾"), std::vector<std::string>{"c"});
  // a left just after it was last seen (the backfill does not know when exactly).
  auto board = store.board_at("hn.top", 1500);
  EXPECT_TRUE(is_ok(board));
  EXPECT_TRUE(board.ok() && board->has_value() && (*board)->items.size() == 1u);
  board = store.board_at("hn.top", 2000);
  EXPECT_TRUE(board.ok() && board->has_value() && (*board)->items.size() == 2u);
  auto view = store.board_view("hn.top");
  EXPECT_TRUE(is_ok(view));
  EXPECT_TRUE(view.ok() && view->has_value() && (*view)->snapshot.items.size() == 2u);

  // The next commit: b leaves, c moves up, d is new (id 4).
  std::vector<Item> items = {make_item("c"), make_item("d")};
  items[0].title = "某地发生火灾";
  EXPECT_TRUE(is_ok(store.commit_snapshot(make_commit("hn.top", 3, std::move(items)))));
  const int64_t now = 3 * 1000 + 750;
  EXPECT_TRUE(same(timeline("b").points, {point(1000, 1), point(2000, 1, 9.5), point(now, 0)}));
  EXPECT_TRUE(same(timeline("c").points, {point(2000, 2), point(now, 1)}));
  EXPECT_EQ(timeline("c").item.on_board_ms, now - 2000);
  EXPECT_EQ(timeline("d").item.id, 4);
  EXPECT_EQ(search_keys(store, "火灾"), std::vector<std::string>{"c"});

  // What later releases added works on the upgraded database too (0009: API keys).
  auto user = store.upsert_user("github", "9", "upgraded", "", "", now);
  EXPECT_TRUE(is_ok(user));
  if (user.ok()) {
    ApiKeyRecord key;
    key.id = "k-upgraded";
    key.user_id = user->id;
    key.secret_hash = "h-upgraded";
    key.prefix = "mu_up";
    key.created_ms = now;
    EXPECT_TRUE(is_ok(store.create_api_key(key, 0)));
    auto found = store.api_key_by_hash("h-upgraded");
    EXPECT_TRUE(found.ok() && found->has_value());
    // 0011: alert rules and the delivery outbox.
    EXPECT_TRUE(is_ok(store.put_document({"rule", "r-up", user->id, "{}", now}, 0)));
    NewMatch match;
    match.match =
        AlertMatch{0, "r-up", user->id, "hn.top", "d", "d", "https://d.test/", 2, "", now};
    match.channel_ids = {"c-up"};
    match.deliver_at_ms = now;
    auto added = store.record_matches({match}, std::nullopt);
    EXPECT_TRUE(added.ok() && *added == 1);
    auto claimed = store.claim_deliveries(now, now + 1000, 10);
    EXPECT_TRUE(claimed.ok() && claimed->size() == 1u);
  }
}

}  // namespace mu::store_test
