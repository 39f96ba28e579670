#include "store/sqlite/sqlite_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <latch>
#include <map>
#include <memory>
#include <ostream>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "store/migrations.h"
#include "store/store_conformance_test.h"

namespace mu {
namespace {

namespace fs = std::filesystem;

::testing::AssertionResult is_ok(const Status& status) {
  if (status.ok()) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << status.to_string();
}
template <typename T>
::testing::AssertionResult is_ok(const Result<T>& result) {
  return is_ok(result.status());
}

// A fresh directory under the system temp dir, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::random_device random;
    const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = "mu_store_test_";
    name += test != nullptr ? test->name() : "x";
    name += "_" + std::to_string(random()) + std::to_string(random());
    std::replace(name.begin(), name.end(), '/', '_');
    path_ = fs::temp_directory_path() / name;
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// A private sqlite3 connection for looking under the store's hood.
class RawDb {
 public:
  explicit RawDb(const std::string& path) {
    sqlite3* raw = nullptr;
    const int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE, nullptr);
    db_.reset(raw);
    EXPECT_EQ(rc, SQLITE_OK) << path;
  }
  int64_t query_int(const std::string& sql) {
    sqlite3_stmt* raw = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db_.get(), sql.c_str(), -1, &raw, nullptr), SQLITE_OK)
        << sqlite3_errmsg(db_.get());
    std::unique_ptr<sqlite3_stmt, decltype(&sqlite3_finalize)> stmt(raw, &sqlite3_finalize);
    EXPECT_EQ(sqlite3_step(stmt.get()), SQLITE_ROW) << sql;
    return sqlite3_column_int64(stmt.get(), 0);
  }
  void exec(const std::string& sql) {
    EXPECT_EQ(sqlite3_exec(db_.get(), sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK)
        << sqlite3_errmsg(db_.get());
  }

 private:
  struct Closer {
    void operator()(sqlite3* db) const { sqlite3_close(db); }
  };
  std::unique_ptr<sqlite3, Closer> db_;
};

Site make_site(const std::string& id) {
  Site site;
  site.id = id;
  site.name_en = id;
  site.name_zh = id + "站";
  site.home = "https://" + id + ".example";
  site.region = "global";
  return site;
}

BoardMeta make_board(const std::string& site, const std::string& name) {
  BoardMeta board;
  board.id = site + "." + name;
  board.site = site;
  board.name_en = name;
  board.name_zh = name + "榜";
  board.group = "global";
  return board;
}

std::vector<Site> catalogue_sites() { return {make_site("weibo"), make_site("hn")}; }
std::vector<BoardMeta> catalogue_boards() {
  return {make_board("weibo", "hot-search"), make_board("hn", "top"), make_board("hn", "new")};
}

Item make_item(const std::string& key) {
  Item item;
  item.key = key;
  item.title = "Title " + key;
  item.url = "https://example.com/" + key;
  return item;
}

std::vector<Item> make_items(const std::vector<std::string>& keys) {
  std::vector<Item> items;
  items.reserve(keys.size());
  for (const std::string& key : keys) {
    items.push_back(make_item(key));
  }
  return items;
}

constexpr int64_t kSlot0 = 1'767'225'600;  // 2026-01-01T00:00:00Z
constexpr int64_t kMinute = 60;
constexpr int64_t kTenMinutes = 600;

CommitRequest make_commit(const std::string& board, int64_t slot, std::vector<Item> items,
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

FailureRecord make_failure(const std::string& board, int64_t slot, Status status,
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

std::vector<std::string> keys_of(const std::vector<Item>& items) {
  std::vector<std::string> keys;
  keys.reserve(items.size());
  for (const Item& item : items) {
    keys.push_back(item.key);
  }
  return keys;
}

// ---------------------------------------------------------------------------------------
// Behaviour shared by the in-memory and the file database.

enum class Backend { kMemory, kFile };
void PrintTo(Backend backend, std::ostream* out) {
  *out << (backend == Backend::kFile ? "File" : "Memory");
}

class StoreTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    path_ = GetParam() == Backend::kFile ? (dir_.path() / "nested" / "mu.db").string()
                                         : std::string(":memory:");
    SqliteStoreOptions options;
    options.clock = &clock_;
    auto store = open_sqlite_store(path_, options);
    ASSERT_TRUE(is_ok(store));
    store_ = std::move(store).value();
    ASSERT_TRUE(is_ok(store_->migrate()));
    ASSERT_TRUE(is_ok(store_->sync_catalogue(catalogue_sites(), catalogue_boards())));
  }

  int64_t commit(const CommitRequest& request) {
    auto id = store_->commit_snapshot(request);
    EXPECT_TRUE(is_ok(id));
    return id.value_or(-1);
  }

  BoardView view(const std::string& board) {
    auto view = store_->board_view(board);
    EXPECT_TRUE(is_ok(view));
    if (!view.ok() || !view->has_value()) {
      ADD_FAILURE() << "no view of " << board;
      return {};
    }
    return **view;
  }

  size_t run_count(const std::string& board) {
    auto runs = store_->runs(board, 1000);
    EXPECT_TRUE(is_ok(runs));
    return runs.ok() ? runs->size() : 0;
  }

  TempDir dir_;
  FakeClock clock_;
  std::string path_;
  std::unique_ptr<Store> store_;
};

INSTANTIATE_TEST_SUITE_P(Backends, StoreTest, ::testing::Values(Backend::kMemory, Backend::kFile),
                         [](const ::testing::TestParamInfo<Backend>& info) {
                           return info.param == Backend::kFile ? "File" : "Memory";
                         });

TEST_P(StoreTest, MigrateIsIdempotent) {
  EXPECT_TRUE(is_ok(store_->migrate()));
  EXPECT_TRUE(is_ok(store_->migrate()));
  auto states = store_->board_states();
  ASSERT_TRUE(is_ok(states));
  EXPECT_EQ(states->size(), 3u);
}

TEST_P(StoreTest, NewBoardsStartEmptyAndUnfetched) {
  auto view = store_->board_view("weibo.hot-search");
  ASSERT_TRUE(is_ok(view));
  EXPECT_FALSE(view->has_value());

  auto state = store_->board_state("weibo.hot-search");
  ASSERT_TRUE(is_ok(state));
  EXPECT_EQ(state->board, "weibo.hot-search");
  EXPECT_TRUE(state->enabled);
  EXPECT_EQ(state->version, 0);
  EXPECT_EQ(state->fetched_at_ms, 0);
  EXPECT_FALSE(state->stale);

  auto fence = store_->fence_epoch();
  ASSERT_TRUE(is_ok(fence));
  EXPECT_EQ(*fence, 0);
}

TEST_P(StoreTest, UnknownBoardIsNotFound) {
  EXPECT_EQ(store_->board_state("nope.board").code(), ErrorCode::kNotFound);
  EXPECT_EQ(store_->board_view("nope.board").code(), ErrorCode::kNotFound);
  EXPECT_EQ(store_->runs("nope.board", 10).code(), ErrorCode::kNotFound);
  auto id = store_->commit_snapshot(make_commit("nope.board", kSlot0, make_items({"a"})));
  EXPECT_EQ(id.code(), ErrorCode::kNotFound);
  EXPECT_NE(id.error_message().find("nope.board"), std::string::npos);
  EXPECT_EQ(store_->record_failure(make_failure("nope.board", kSlot0, error(ErrorCode::kHttp, "x")))
                .code(),
            ErrorCode::kNotFound);
}

TEST_P(StoreTest, CommitThenViewReturnsItemsInRankOrder) {
  std::vector<Item> items = make_items({"c", "a", "b"});
  items[0].hot = 2123.5;
  items[0].hot_text = "2123万";
  items[0].label = "热";
  items[0].mobile_url = "https://m.example.com/c";
  items[0].summary = "summary";
  items[0].image = "https://img.example.com/c.png";
  items[0].author = "someone";
  items[0].published_at_ms = 1'767'225'000'000;
  items[0].extra = {{"views", "10"}, {"lang", "Go"}, {"views", "11"}};
  items[1].extra = {{"quote", "a \"b\" \\ c\n"}};
  const CommitRequest request = make_commit("weibo.hot-search", kSlot0, items, 3);

  const int64_t id = commit(request);
  EXPECT_GT(id, 0);

  const BoardView v = view("weibo.hot-search");
  EXPECT_EQ(v.snapshot.id, id);
  EXPECT_EQ(v.snapshot.board, "weibo.hot-search");
  EXPECT_EQ(v.snapshot.fetched_at_ms, request.stats.finished_ms);
  EXPECT_EQ(v.snapshot.epoch, 3);
  EXPECT_EQ(v.snapshot.dispatch_id, request.dispatch_id);
  EXPECT_EQ(v.snapshot.items, items);  // every field, in rank order
  EXPECT_FALSE(v.has_previous);
  EXPECT_TRUE(v.previous_keys.empty());
  ASSERT_EQ(v.history.size(), 3u);
  EXPECT_EQ(v.history.at("c").best_rank, 1);
  EXPECT_EQ(v.history.at("a").best_rank, 2);
  EXPECT_EQ(v.history.at("b").best_rank, 3);
  EXPECT_EQ(v.history.at("b").first_seen_ms, request.stats.finished_ms);

  EXPECT_EQ(v.state.version, id);
  EXPECT_EQ(v.state.item_count, 3);
  EXPECT_EQ(v.state.fetched_at_ms, request.stats.finished_ms);
  EXPECT_EQ(v.state.last_run_at_ms, request.stats.finished_ms);
  EXPECT_FALSE(v.state.stale);

  auto runs = store_->runs("weibo.hot-search", 10);
  ASSERT_TRUE(is_ok(runs));
  ASSERT_EQ(runs->size(), 1u);
  const RunRecord& run = runs->front();
  EXPECT_EQ(run.status, "ok");
  EXPECT_EQ(run.dispatch_id, request.dispatch_id);
  EXPECT_EQ(run.board, "weibo.hot-search");
  EXPECT_EQ(run.slot, kSlot0);
  EXPECT_EQ(run.epoch, 3);
  EXPECT_EQ(run.stats.started_ms, request.stats.started_ms);
  EXPECT_EQ(run.stats.finished_ms, request.stats.finished_ms);
  EXPECT_EQ(run.stats.http_status, 200);
  EXPECT_EQ(run.stats.bytes, 4096);
  EXPECT_EQ(run.stats.item_count, 3);
  EXPECT_EQ(run.stats.attempt, 1);
  EXPECT_EQ(run.stats.collector, "local");
}

TEST_P(StoreTest, SecondCommitComparesWithPrevious) {
  const CommitRequest first = make_commit("hn.top", kSlot0, make_items({"a", "b", "c"}));
  commit(first);
  const CommitRequest second = make_commit("hn.top", kSlot0 + 600, make_items({"c", "d", "a"}));
  const int64_t second_id = commit(second);

  const BoardView v = view("hn.top");
  EXPECT_EQ(v.snapshot.id, second_id);
  EXPECT_EQ(keys_of(v.snapshot.items), (std::vector<std::string>{"c", "d", "a"}));
  EXPECT_TRUE(v.has_previous);
  EXPECT_EQ(v.previous_keys, (std::vector<std::string>{"a", "b", "c"}));

  ASSERT_EQ(v.history.size(), 3u);                                      // only the snapshot's keys
  EXPECT_EQ(v.history.at("a").first_seen_ms, first.stats.finished_ms);  // kept
  EXPECT_EQ(v.history.at("a").best_rank, 1);                            // min(1, 3)
  EXPECT_EQ(v.history.at("c").first_seen_ms, first.stats.finished_ms);
  EXPECT_EQ(v.history.at("c").best_rank, 1);  // min(3, 1)
  EXPECT_EQ(v.history.at("d").first_seen_ms, second.stats.finished_ms);
  EXPECT_EQ(v.history.at("d").best_rank, 2);
  EXPECT_EQ(v.state.version, second_id);
  EXPECT_EQ(v.state.fetched_at_ms, second.stats.finished_ms);
}

TEST_P(StoreTest, SnapshotIdsIncreaseAcrossBoards) {
  const int64_t a = commit(make_commit("hn.top", kSlot0, make_items({"a"})));
  const int64_t b = commit(make_commit("hn.new", kSlot0, make_items({"b"})));
  const int64_t c = commit(make_commit("hn.top", kSlot0 + 60, make_items({"c"})));
  EXPECT_LT(a, b);
  EXPECT_LT(b, c);
}

TEST_P(StoreTest, EmptyItemListIsStored) {
  const int64_t id = commit(make_commit("hn.new", kSlot0, {}));
  const BoardView v = view("hn.new");
  EXPECT_EQ(v.snapshot.id, id);
  EXPECT_TRUE(v.snapshot.items.empty());
  EXPECT_EQ(v.state.item_count, 0);
}

TEST_P(StoreTest, SameDispatchTwiceIsConflictAndChangesNothing) {
  const CommitRequest request = make_commit("hn.top", kSlot0, make_items({"a", "b"}));
  const int64_t id = commit(request);

  CommitRequest again = make_commit("hn.top", kSlot0, make_items({"x", "y", "z"}), 2);
  again.stats.attempt = 2;
  auto result = store_->commit_snapshot(again);
  EXPECT_EQ(result.code(), ErrorCode::kConflict);
  EXPECT_NE(result.error_message().find(request.dispatch_id), std::string::npos);

  const BoardView v = view("hn.top");
  EXPECT_EQ(v.snapshot.id, id);
  EXPECT_EQ(keys_of(v.snapshot.items), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(v.history.size(), 2u);
  EXPECT_EQ(run_count("hn.top"), 1u);
  auto fence = store_->fence_epoch();
  ASSERT_TRUE(is_ok(fence));
  EXPECT_EQ(*fence, 1);  // the rejected request's epoch 2 was rolled back too

  // A late failure report for the committed slot must not mark the board stale.
  EXPECT_EQ(
      store_->record_failure(make_failure("hn.top", kSlot0, error(ErrorCode::kTimeout, "slow")))
          .code(),
      ErrorCode::kConflict);
  EXPECT_FALSE(view("hn.top").state.stale);
  EXPECT_EQ(run_count("hn.top"), 1u);
}

TEST_P(StoreTest, EpochBelowFenceIsFencedAndChangesNothing) {
  const int64_t id = commit(make_commit("hn.top", kSlot0, make_items({"a"}), 5));
  auto fence = store_->fence_epoch();
  ASSERT_TRUE(is_ok(fence));
  EXPECT_EQ(*fence, 5);

  auto stale = store_->commit_snapshot(make_commit("hn.top", kSlot0 + 60, make_items({"b"}), 3));
  EXPECT_EQ(stale.code(), ErrorCode::kFenced);
  EXPECT_NE(stale.error_message().find("epoch 3"), std::string::npos) << stale.error_message();
  EXPECT_NE(stale.error_message().find('5'), std::string::npos) << stale.error_message();

  Status failure = store_->record_failure(
      make_failure("hn.top", kSlot0 + 60, error(ErrorCode::kHttp, "500"), 4));
  EXPECT_EQ(failure.code(), ErrorCode::kFenced);

  const BoardView v = view("hn.top");
  EXPECT_EQ(v.snapshot.id, id);
  EXPECT_FALSE(v.has_previous);
  EXPECT_FALSE(v.state.stale);
  EXPECT_EQ(run_count("hn.top"), 1u);

  // The same epoch is accepted; a newer one raises the fence.
  commit(make_commit("hn.top", kSlot0 + 120, make_items({"c"}), 5));
  commit(make_commit("hn.new", kSlot0 + 120, make_items({"c"}), 7));
  fence = store_->fence_epoch();
  ASSERT_TRUE(is_ok(fence));
  EXPECT_EQ(*fence, 7);
  EXPECT_EQ(store_->commit_snapshot(make_commit("hn.top", kSlot0 + 180, {}, 6)).code(),
            ErrorCode::kFenced);
}

TEST_P(StoreTest, FailureMarksStaleAndKeepsLastGoodSnapshot) {
  const CommitRequest good = make_commit("weibo.hot-search", kSlot0, make_items({"a", "b"}));
  const int64_t id = commit(good);

  FailureRecord failure =
      make_failure("weibo.hot-search", kSlot0 + 600, error(ErrorCode::kBlocked, "captcha page"));
  ASSERT_TRUE(is_ok(store_->record_failure(failure)));

  const BoardView v = view("weibo.hot-search");
  EXPECT_EQ(v.snapshot.id, id);
  EXPECT_EQ(keys_of(v.snapshot.items), (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(v.state.stale);
  EXPECT_EQ(v.state.last_error_code, "blocked");
  EXPECT_EQ(v.state.last_error, "captcha page");
  EXPECT_EQ(v.state.version, id);
  EXPECT_EQ(v.state.fetched_at_ms, good.stats.finished_ms);
  EXPECT_EQ(v.state.last_run_at_ms, failure.stats.finished_ms);

  auto runs = store_->runs("weibo.hot-search", 10);
  ASSERT_TRUE(is_ok(runs));
  ASSERT_EQ(runs->size(), 2u);
  EXPECT_EQ(runs->front().status, "blocked");
  EXPECT_EQ(runs->front().error_message, "captcha page");
  EXPECT_EQ(runs->front().stats.http_status, 503);

  // A retry of the failed slot succeeds and clears the error.
  CommitRequest retry = make_commit("weibo.hot-search", kSlot0 + 600, make_items({"b", "c"}));
  retry.stats.attempt = 2;
  const int64_t retry_id = commit(retry);
  const BoardView after = view("weibo.hot-search");
  EXPECT_EQ(after.snapshot.id, retry_id);
  EXPECT_FALSE(after.state.stale);
  EXPECT_EQ(after.state.last_error_code, "");
  EXPECT_EQ(after.state.last_error, "");
  auto state = store_->board_state("weibo.hot-search");
  ASSERT_TRUE(is_ok(state));
  EXPECT_FALSE(state->stale);
}

TEST_P(StoreTest, FailureBeforeAnySnapshotLeavesNoView) {
  ASSERT_TRUE(is_ok(store_->record_failure(
      make_failure("hn.new", kSlot0, error(ErrorCode::kParse, "missing data.list")))));
  auto view = store_->board_view("hn.new");
  ASSERT_TRUE(is_ok(view));
  EXPECT_FALSE(view->has_value());
  auto state = store_->board_state("hn.new");
  ASSERT_TRUE(is_ok(state));
  EXPECT_TRUE(state->stale);
  EXPECT_EQ(state->last_error_code, "parse");
  EXPECT_EQ(state->version, 0);
}

TEST_P(StoreTest, RunsAreNewestFirstWithLimit) {
  for (int i = 0; i < 5; ++i) {
    const int64_t slot = kSlot0 + i * kTenMinutes;
    if (i % 2 == 0) {
      commit(make_commit("hn.top", slot, make_items({"k" + std::to_string(i)})));
    } else {
      ASSERT_TRUE(is_ok(store_->record_failure(
          make_failure("hn.top", slot, error(ErrorCode::kNetwork, "reset")))));
    }
  }
  commit(make_commit("hn.new", kSlot0, make_items({"x"})));

  auto runs = store_->runs("hn.top", 3);
  ASSERT_TRUE(is_ok(runs));
  ASSERT_EQ(runs->size(), 3u);
  EXPECT_EQ((*runs)[0].slot, kSlot0 + 4 * kTenMinutes);
  EXPECT_EQ((*runs)[0].status, "ok");
  EXPECT_EQ((*runs)[1].slot, kSlot0 + 3 * kTenMinutes);
  EXPECT_EQ((*runs)[1].status, "network");
  EXPECT_EQ((*runs)[2].slot, kSlot0 + 2 * kTenMinutes);
  for (const RunRecord& run : *runs) {
    EXPECT_EQ(run.board, "hn.top");
  }

  EXPECT_EQ(run_count("hn.top"), 5u);
  auto none = store_->runs("hn.top", 0);
  ASSERT_TRUE(is_ok(none));
  EXPECT_TRUE(none->empty());
  EXPECT_EQ(store_->runs("hn.top", -1).code(), ErrorCode::kInvalid);
}

// The run history of a board covers its newest kRecentRunsWindow runs, counts every
// attempt, and reads the same through board_states(), board_state() and board_view().
TEST_P(StoreTest, RunHistoryCountsTheNewestRunsOfEachBoard) {
  ASSERT_EQ(kRecentRunsWindow, 20);
  // hn.top: 25 runs. The oldest 5 fail (they fall out of the window); of the newest 20,
  // every fourth fails: 5 failures, 15 successes.
  for (int i = 0; i < 25; ++i) {
    const int64_t slot = kSlot0 + i * kTenMinutes;
    if (i < 5 || i % 4 == 0) {
      ASSERT_TRUE(is_ok(store_->record_failure(
          make_failure("hn.top", slot, error(ErrorCode::kNetwork, "reset")))));
    } else {
      commit(make_commit("hn.top", slot, make_items({"k" + std::to_string(i)})));
    }
    // Runs of another board in between must not shift hn.top's window.
    if (i % 3 == 0) {
      commit(make_commit("weibo.hot-search", slot, make_items({"w" + std::to_string(i)})));
    }
  }
  // hn.new: a failed first attempt, then the retry of the same slot succeeds: two runs.
  FailureRecord first = make_failure("hn.new", kSlot0, error(ErrorCode::kTimeout, "slow"));
  ASSERT_TRUE(is_ok(store_->record_failure(first)));
  CommitRequest retry = make_commit("hn.new", kSlot0, make_items({"n"}));
  retry.stats.attempt = 2;
  commit(retry);

  auto states = store_->board_states();
  ASSERT_TRUE(is_ok(states));
  ASSERT_EQ(states->size(), 3u);
  std::map<std::string, BoardState> by_board;
  for (const BoardState& state : *states) {
    by_board[state.board] = state;
  }
  EXPECT_EQ(by_board["hn.top"].recent_runs, 20);
  EXPECT_EQ(by_board["hn.top"].recent_ok, 15);
  EXPECT_EQ(by_board["hn.new"].recent_runs, 2);
  EXPECT_EQ(by_board["hn.new"].recent_ok, 1);
  EXPECT_EQ(by_board["weibo.hot-search"].recent_runs, 9);
  EXPECT_EQ(by_board["weibo.hot-search"].recent_ok, 9);

  for (const auto& [board, expected] : by_board) {
    auto state = store_->board_state(board);
    ASSERT_TRUE(is_ok(state));
    EXPECT_EQ(state->recent_runs, expected.recent_runs) << board;
    EXPECT_EQ(state->recent_ok, expected.recent_ok) << board;
    const BoardView v = view(board);
    EXPECT_EQ(v.state.recent_runs, expected.recent_runs) << board;
    EXPECT_EQ(v.state.recent_ok, expected.recent_ok) << board;
  }

  // The next success pushes the oldest run of the window (i = 5, ok) out: still 20 runs.
  commit(make_commit("hn.top", kSlot0 + 25 * kTenMinutes, make_items({"k25"})));
  auto top = store_->board_state("hn.top");
  ASSERT_TRUE(is_ok(top));
  EXPECT_EQ(top->recent_runs, 20);
  EXPECT_EQ(top->recent_ok, 15);
  // A failure pushes out i = 6 (ok): one success fewer.
  ASSERT_TRUE(is_ok(store_->record_failure(make_failure(
      "hn.top", kSlot0 + 26 * kTenMinutes, error(ErrorCode::kParse, "missing data")))));
  top = store_->board_state("hn.top");
  ASSERT_TRUE(is_ok(top));
  EXPECT_EQ(top->recent_runs, 20);
  EXPECT_EQ(top->recent_ok, 14);
}

TEST_P(StoreTest, BoardWithoutRunsHasNoRunHistory) {
  auto state = store_->board_state("hn.new");
  ASSERT_TRUE(is_ok(state));
  EXPECT_EQ(state->recent_runs, 0);
  EXPECT_EQ(state->recent_ok, 0);
  auto states = store_->board_states();
  ASSERT_TRUE(is_ok(states));
  for (const BoardState& s : *states) {
    EXPECT_EQ(s.recent_runs, 0) << s.board;
    EXPECT_EQ(s.recent_ok, 0) << s.board;
  }
}

TEST_P(StoreTest, PruneKeepsNewestPerBoardAndNeverTheLatest) {
  std::vector<int64_t> top_ids;
  top_ids.reserve(5);
  for (int i = 0; i < 5; ++i) {
    top_ids.push_back(commit(make_commit("hn.top", kSlot0 + i * kTenMinutes,
                                         make_items({"a" + std::to_string(i), "b"}))));
  }
  const int64_t new_id = commit(make_commit("hn.new", kSlot0, make_items({"x"})));

  auto deleted = store_->prune_snapshots(2);
  ASSERT_TRUE(is_ok(deleted));
  EXPECT_EQ(*deleted, 3);

  BoardView top = view("hn.top");
  EXPECT_EQ(top.snapshot.id, top_ids[4]);
  EXPECT_TRUE(top.has_previous);
  EXPECT_EQ(top.previous_keys, (std::vector<std::string>{"a3", "b"}));
  EXPECT_EQ(view("hn.new").snapshot.id, new_id);
  // History survives pruning.
  EXPECT_EQ(top.history.at("b").first_seen_ms, kSlot0 * 1000 + 750);

  auto again = store_->prune_snapshots(2);
  ASSERT_TRUE(is_ok(again));
  EXPECT_EQ(*again, 0);

  // Zero still keeps the latest of every board.
  auto all = store_->prune_snapshots(0);
  ASSERT_TRUE(is_ok(all));
  EXPECT_EQ(*all, 1);
  top = view("hn.top");
  EXPECT_EQ(top.snapshot.id, top_ids[4]);
  EXPECT_EQ(keys_of(top.snapshot.items), (std::vector<std::string>{"a4", "b"}));
  EXPECT_FALSE(top.has_previous);
  EXPECT_EQ(view("hn.new").snapshot.id, new_id);

  // Ids keep increasing after pruning.
  EXPECT_GT(commit(make_commit("hn.top", kSlot0 + 9000, make_items({"z"}))), top_ids[4]);
}

TEST_P(StoreTest, SyncCatalogueKeepsRuntimeStateAndRetiresMissingBoards) {
  const int64_t id = commit(make_commit("hn.top", kSlot0, make_items({"a"}), 2));
  ASSERT_TRUE(is_ok(store_->record_failure(
      make_failure("hn.top", kSlot0 + 600, error(ErrorCode::kHttp, "502"), 2))));

  // Rename a board and drop hn.new and weibo entirely.
  std::vector<BoardMeta> boards = {make_board("hn", "top")};
  boards[0].name_en = "Top stories";
  boards[0].schedule.every = std::chrono::minutes(5);
  ASSERT_TRUE(is_ok(store_->sync_catalogue({make_site("hn")}, boards)));

  auto states = store_->board_states();
  ASSERT_TRUE(is_ok(states));
  ASSERT_EQ(states->size(), 1u);
  const BoardState& state = states->front();
  EXPECT_EQ(state.board, "hn.top");
  EXPECT_EQ(state.version, id);
  EXPECT_TRUE(state.stale);
  EXPECT_EQ(state.last_error_code, "http");
  EXPECT_EQ(view("hn.top").snapshot.id, id);
  EXPECT_EQ(run_count("hn.top"), 2u);

  EXPECT_EQ(store_->board_state("hn.new").code(), ErrorCode::kNotFound);
  EXPECT_EQ(store_->board_view("weibo.hot-search").code(), ErrorCode::kNotFound);
  EXPECT_EQ(store_->commit_snapshot(make_commit("hn.new", kSlot0, {}, 2)).code(),
            ErrorCode::kNotFound);

  // Listed again: back with its history.
  ASSERT_TRUE(is_ok(store_->sync_catalogue(catalogue_sites(), catalogue_boards())));
  states = store_->board_states();
  ASSERT_TRUE(is_ok(states));
  EXPECT_EQ(states->size(), 3u);
  commit(make_commit("hn.new", kSlot0 + 60, make_items({"n"}), 2));
  EXPECT_EQ(view("hn.new").snapshot.items.size(), 1u);
}

TEST_P(StoreTest, SyncCatalogueRejectsBadInput) {
  EXPECT_EQ(store_->sync_catalogue({make_site("hn")}, {make_board("weibo", "hot-search")}).code(),
            ErrorCode::kInvalid);
  EXPECT_EQ(store_->sync_catalogue({make_site("hn"), make_site("hn")}, {}).code(),
            ErrorCode::kInvalid);
  EXPECT_EQ(
      store_->sync_catalogue({make_site("hn")}, {make_board("hn", "a"), make_board("hn", "a")})
          .code(),
      ErrorCode::kInvalid);
  // Nothing was applied.
  auto states = store_->board_states();
  ASSERT_TRUE(is_ok(states));
  EXPECT_EQ(states->size(), 3u);
}

TEST_P(StoreTest, InvalidCommitsAreRejected) {
  EXPECT_EQ(
      store_->commit_snapshot(make_commit("hn.top", kSlot0, make_items({"a", "b", "a"}))).code(),
      ErrorCode::kInvalid);
  EXPECT_EQ(store_->commit_snapshot(make_commit("hn.top", kSlot0, make_items({"a", ""}))).code(),
            ErrorCode::kInvalid);
  CommitRequest no_dispatch = make_commit("hn.top", kSlot0, {});
  no_dispatch.dispatch_id.clear();
  EXPECT_EQ(store_->commit_snapshot(no_dispatch).code(), ErrorCode::kInvalid);
  EXPECT_EQ(store_->record_failure(make_failure("hn.top", kSlot0, ok_status())).code(),
            ErrorCode::kInvalid);
  EXPECT_EQ(run_count("hn.top"), 0u);
}

TEST_P(StoreTest, UnicodeRoundTrips) {
  std::vector<Item> items = make_items({"热搜-1", "🔥", "plain"});
  items[0].title = "春节档电影票房突破80亿 🎬";
  items[0].hot_text = "2123万";
  items[0].label = "爆";
  items[1].title = "👩‍💻 Emoji with ZWJ and ｆｕｌｌｗｉｄｔｈ";
  items[1].extra = {{"话题", "#春节#"}, {"emoji", "😀"}};
  items[2].title = std::string("nul\0inside", 10);
  items[2].extra = {{"raw", "\xff\xfe not utf-8"}, {"ctl", "\x01\t"}};
  commit(make_commit("weibo.hot-search", kSlot0, items));

  const BoardView v = view("weibo.hot-search");
  EXPECT_EQ(v.snapshot.items, items);
  EXPECT_EQ(v.history.count("🔥"), 1u);
}

TEST_P(StoreTest, ConcurrentCommitsOfDistinctDispatchesAllLandOnce) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 25;
  const std::vector<std::string> boards = {"hn.top", "hn.new", "weibo.hot-search"};
  std::latch start(kThreads + 1);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      start.arrive_and_wait();
      for (int i = 0; i < kPerThread; ++i) {
        const std::string& board = boards[static_cast<size_t>(i + t) % boards.size()];
        const int64_t slot = kSlot0 + (t * kPerThread + i) * kMinute;
        auto id = store_->commit_snapshot(
            make_commit(board, slot, make_items({"k" + std::to_string(i % 7), "shared"})));
        if (!id.ok()) {
          ++failures;
        }
        // Readers run alongside the writers.
        auto v = store_->board_view(board);
        if (!v.ok() || !v->has_value()) {
          ++failures;
        }
      }
    });
  }
  start.arrive_and_wait();
  for (std::thread& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(failures.load(), 0);

  size_t runs = 0;
  std::set<std::string> dispatches;
  for (const std::string& board : boards) {
    auto list = store_->runs(board, 1000);
    ASSERT_TRUE(is_ok(list));
    runs += list->size();
    for (const RunRecord& run : *list) {
      dispatches.insert(run.dispatch_id);
    }
  }
  EXPECT_EQ(runs, static_cast<size_t>(kThreads * kPerThread));
  EXPECT_EQ(dispatches.size(), static_cast<size_t>(kThreads * kPerThread));
  auto deleted = store_->prune_snapshots(1);
  ASSERT_TRUE(is_ok(deleted));
  EXPECT_EQ(*deleted, int64_t{kThreads} * kPerThread - static_cast<int64_t>(boards.size()));
}

TEST_P(StoreTest, ConcurrentCommitsOfTheSameDispatchLandExactlyOnce) {
  constexpr int kThreads = 4;
  constexpr int kRounds = 10;
  for (int round = 0; round < kRounds; ++round) {
    const int64_t slot = kSlot0 + round * kTenMinutes;
    std::latch start(kThreads);
    std::atomic<int> ok{0};
    std::atomic<int> conflicts{0};
    std::atomic<int> other{0};
    std::vector<std::thread> threads;
    threads.reserve(kThreads);
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        CommitRequest request =
            make_commit("hn.top", slot, make_items({"from-" + std::to_string(t)}));
        start.arrive_and_wait();
        auto id = store_->commit_snapshot(request);
        if (id.ok()) {
          ++ok;
        } else if (id.code() == ErrorCode::kConflict) {
          ++conflicts;
        } else {
          ++other;
        }
      });
    }
    for (std::thread& thread : threads) {
      thread.join();
    }
    EXPECT_EQ(ok.load(), 1) << "round " << round;
    EXPECT_EQ(conflicts.load(), kThreads - 1) << "round " << round;
    EXPECT_EQ(other.load(), 0) << "round " << round;
  }
  EXPECT_EQ(run_count("hn.top"), static_cast<size_t>(kRounds));
}

// ---------------------------------------------------------------------------------------
// File databases.

class FileStoreTest : public ::testing::Test {
 protected:
  std::string db_path() const { return (dir_.path() / "data" / "mu.db").string(); }

  std::unique_ptr<Store> open_store() {
    SqliteStoreOptions options;
    options.clock = &clock_;
    auto store = open_sqlite_store(db_path(), options);
    EXPECT_TRUE(is_ok(store));
    return store.ok() ? std::move(store).value() : nullptr;
  }

  void upgrade_in_place(int version);

  TempDir dir_;
  FakeClock clock_;
};

TEST_F(FileStoreTest, MigrateRecordsVersionsOnce) {
  auto store = open_store();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(is_ok(store->migrate()));
  clock_.advance(std::chrono::hours(1));
  ASSERT_TRUE(is_ok(store->migrate()));
  store.reset();
  store = open_store();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(is_ok(store->migrate()));

  RawDb raw(db_path());
  const int64_t latest = latest_schema_version();
  EXPECT_EQ(raw.query_int("SELECT MAX(version) FROM schema_migrations"), latest);
  EXPECT_EQ(raw.query_int("SELECT COUNT(*) FROM schema_migrations"), latest);
  EXPECT_EQ(raw.query_int("SELECT MIN(applied_at_ms) FROM schema_migrations"),
            clock_.now_ms() - 3'600'000);
  EXPECT_EQ(raw.query_int("SELECT COUNT(*) FROM fence"), 1);
}

// Schema 5 (before 0006_login_state_limits) with a sign-in in progress, upgraded in place:
// the row survives (client ''), and the caps work on the upgraded table.
TEST_F(FileStoreTest, UpgradesSchemaFiveInPlaceKeepingLoginStates) {
  auto store = open_store();
  ASSERT_NE(store, nullptr);
  {
    RawDb raw(db_path());
    raw.exec(std::string(kSchemaMigrationsTableSql));
    for (const Migration& m : embedded_migrations()) {
      if (m.version > 5) break;
      raw.exec(std::string(m.sql));
      raw.exec("INSERT INTO schema_migrations (version, name, applied_at_ms) VALUES (" +
               std::to_string(m.version) + ", '" + std::string(m.name) + "', 0)");
    }
    raw.exec(
        "INSERT INTO login_states (state_hash, code_verifier, return_to, expires_ms) "
        "VALUES ('old', 'v', '/x', 10000)");
  }
  ASSERT_TRUE(is_ok(store->migrate()));
  RawDb raw(db_path());
  EXPECT_EQ(raw.query_int("SELECT MAX(version) FROM schema_migrations"), latest_schema_version());
  EXPECT_EQ(raw.query_int("SELECT COUNT(*) FROM login_states WHERE client = ''"), 1);
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(is_ok(store->put_login_state("n" + std::to_string(i), "v", "/", 20'000 + i,
                                             LoginStateLimits{"10.0.0.1", 2, 0})));
  }
  EXPECT_EQ(raw.query_int("SELECT COUNT(*) FROM login_states"), 3);
  auto old = store->take_login_state("old", 0);
  ASSERT_TRUE(is_ok(old));
  ASSERT_TRUE(old->has_value());
  EXPECT_EQ((*old)->return_to, "/x");
}

// A database at schema `version` (6: the release before history; 7: the first with it)
// holding snapshots and items, upgraded in place: nothing lost, history and search work.
void FileStoreTest::upgrade_in_place(int version) {
  auto store = open_store();
  ASSERT_NE(store, nullptr);
  {
    RawDb raw(db_path());
    raw.exec(std::string(kSchemaMigrationsTableSql));
    for (const Migration& m : embedded_migrations()) {
      if (m.version > version) break;
      if (m.version == 7) raw.exec(store_test::kSchemaSixRowsSql);  // rows of release 6
      raw.exec(migration_sql(m, sql::Dialect::kSqlite));
      raw.exec("INSERT INTO schema_migrations (version, name, applied_at_ms) VALUES (" +
               std::to_string(m.version) + ", '" + std::string(m.name) + "', 0)");
    }
    if (version < 7) raw.exec(store_test::kSchemaSixRowsSql);
  }
  ASSERT_TRUE(is_ok(store->migrate()));
  RawDb raw(db_path());
  EXPECT_EQ(raw.query_int("SELECT MAX(version) FROM schema_migrations"), latest_schema_version());
  EXPECT_EQ(raw.query_int("SELECT COUNT(*) FROM items WHERE indexed = 1"), 3);
  EXPECT_EQ(raw.query_int("SELECT COUNT(*) FROM snapshot_items"), 4);
  EXPECT_EQ(raw.query_int("SELECT COUNT(*) FROM sqlite_schema WHERE name = 'items_seen'"), 0);
  store_test::expect_schema_six_upgraded(*store);
  EXPECT_EQ(raw.query_int("SELECT COUNT(*) FROM items"), 4);
}

TEST_F(FileStoreTest, UpgradesSchemaSixInPlaceWithHistory) { upgrade_in_place(6); }
TEST_F(FileStoreTest, UpgradesSchemaSevenInPlace) { upgrade_in_place(7); }
TEST_F(FileStoreTest, UpgradesSchemaEightInPlace) { upgrade_in_place(8); }
TEST_F(FileStoreTest, UpgradesSchemaTenInPlace) { upgrade_in_place(10); }

TEST_F(FileStoreTest, RefusesNewerSchema) {
  {
    auto store = open_store();
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(is_ok(store->migrate()));
  }
  {
    RawDb raw(db_path());
    raw.exec("INSERT INTO schema_migrations (version, name, applied_at_ms) VALUES (" +
             std::to_string(latest_schema_version() + 1) + ", '9999_future.sql', 0)");
  }
  auto store = open_store();
  ASSERT_NE(store, nullptr);
  const Status status = store->migrate();
  EXPECT_EQ(status.code(), ErrorCode::kConfig);
  EXPECT_NE(status.message().find(std::to_string(latest_schema_version() + 1)), std::string::npos)
      << status.message();
}

TEST_F(FileStoreTest, UnmigratedDatabaseSaysSo) {
  auto store = open_store();
  ASSERT_NE(store, nullptr);
  auto states = store->board_states();
  EXPECT_EQ(states.code(), ErrorCode::kConfig);
  EXPECT_NE(states.error_message().find("migrate"), std::string::npos) << states.error_message();
}

TEST_F(FileStoreTest, DataPersistsAcrossReopen) {
  int64_t id = 0;
  {
    auto store = open_store();
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(is_ok(store->migrate()));
    ASSERT_TRUE(is_ok(store->sync_catalogue(catalogue_sites(), catalogue_boards())));
    auto committed =
        store->commit_snapshot(make_commit("hn.top", kSlot0, make_items({"a", "b"}), 4));
    ASSERT_TRUE(is_ok(committed));
    id = *committed;
  }
  auto store = open_store();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(is_ok(store->migrate()));
  auto view = store->board_view("hn.top");
  ASSERT_TRUE(is_ok(view));
  ASSERT_TRUE(view->has_value());
  EXPECT_EQ((*view)->snapshot.id, id);
  EXPECT_EQ(keys_of((*view)->snapshot.items), (std::vector<std::string>{"a", "b"}));
  auto fence = store->fence_epoch();
  ASSERT_TRUE(is_ok(fence));
  EXPECT_EQ(*fence, 4);
  EXPECT_EQ(store->commit_snapshot(make_commit("hn.top", kSlot0, make_items({"a"}), 4)).code(),
            ErrorCode::kConflict);

  RawDb raw(db_path());
  EXPECT_EQ(raw.query_int("SELECT COUNT(*) FROM snapshot_items"), 2);
}

TEST_F(FileStoreTest, CatalogueChangesBumpConfigVersionOnly) {
  auto store = open_store();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(is_ok(store->migrate()));
  ASSERT_TRUE(is_ok(store->sync_catalogue(catalogue_sites(), catalogue_boards())));
  ASSERT_TRUE(is_ok(store->sync_catalogue(catalogue_sites(), catalogue_boards())));
  RawDb raw(db_path());
  EXPECT_EQ(raw.query_int("SELECT config_version FROM boards WHERE id = 'hn.top'"), 1);

  std::vector<BoardMeta> boards = catalogue_boards();
  boards[1].schedule.jitter = std::chrono::seconds(5);
  ASSERT_TRUE(is_ok(store->sync_catalogue(catalogue_sites(), boards)));
  EXPECT_EQ(raw.query_int("SELECT config_version FROM boards WHERE id = 'hn.top'"), 2);
  EXPECT_EQ(raw.query_int("SELECT jitter_s FROM boards WHERE id = 'hn.top'"), 5);
  EXPECT_EQ(raw.query_int("SELECT config_version FROM boards WHERE id = 'hn.new'"), 1);

  // An operator's enabled flag survives a sync.
  raw.exec("UPDATE boards SET enabled = 0 WHERE id = 'hn.new'");
  ASSERT_TRUE(is_ok(store->sync_catalogue(catalogue_sites(), boards)));
  auto state = store->board_state("hn.new");
  ASSERT_TRUE(is_ok(state));
  EXPECT_FALSE(state->enabled);
}

TEST_F(FileStoreTest, PruneDeletesItemRows) {
  auto store = open_store();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(is_ok(store->migrate()));
  ASSERT_TRUE(is_ok(store->sync_catalogue(catalogue_sites(), catalogue_boards())));
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(is_ok(store->commit_snapshot(
        make_commit("hn.top", kSlot0 + i * kMinute, make_items({"a", "b"})))));
  }
  auto deleted = store->prune_snapshots(1);
  ASSERT_TRUE(is_ok(deleted));
  EXPECT_EQ(*deleted, 2);
  RawDb raw(db_path());
  EXPECT_EQ(raw.query_int("SELECT COUNT(*) FROM snapshots"), 1);
  EXPECT_EQ(raw.query_int("SELECT COUNT(*) FROM snapshot_items"), 2);
  EXPECT_EQ(raw.query_int("SELECT COUNT(*) FROM runs"), 3);
  EXPECT_EQ(raw.query_int("SELECT times_seen FROM items WHERE item_key = 'a'"), 3);
}

// A long history (tens of thousands of interleaved runs) still gives each board the
// counts of its own newest kRecentRunsWindow runs.
TEST_F(FileStoreTest, RunHistoryOverALongInterleavedHistory) {
  auto store = open_store();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(is_ok(store->migrate()));
  ASSERT_TRUE(is_ok(store->sync_catalogue(catalogue_sites(), catalogue_boards())));
  const std::vector<std::string> boards = {"hn.new", "hn.top", "weibo.hot-search"};
  constexpr int kRuns = 30'000;
  std::map<std::string, std::vector<bool>> outcomes;  // per board, oldest first
  {
    RawDb raw(db_path());
    raw.exec("BEGIN");
    for (int i = 1; i <= kRuns; ++i) {
      const std::string& board = boards[static_cast<size_t>(i * 7 % 3)];
      const bool ok = i % 5 != 0 && i % 11 != 0;
      outcomes[board].push_back(ok);
      raw.exec(
          "INSERT INTO runs (id, dispatch_id, attempt, board, slot, epoch, status, "
          "started_ms, finished_ms) VALUES (" +
          std::to_string(i) + ", '" + board + "@" + std::to_string(i) + "', 1, '" + board + "', " +
          std::to_string(i) + ", 1, '" + (ok ? "ok" : "network") + "', 0, 0)");
    }
    raw.exec("COMMIT");
  }
  auto states = store->board_states();
  ASSERT_TRUE(is_ok(states));
  ASSERT_EQ(states->size(), boards.size());
  for (const BoardState& state : *states) {
    const std::vector<bool>& all = outcomes[state.board];
    ASSERT_GE(all.size(), static_cast<size_t>(kRecentRunsWindow));
    const auto newest = all.end() - kRecentRunsWindow;
    EXPECT_EQ(state.recent_runs, kRecentRunsWindow) << state.board;
    EXPECT_EQ(state.recent_ok, std::count(newest, all.end(), true)) << state.board;
  }
}

TEST_F(FileStoreTest, CreatesParentDirectoriesAndUsesWal) {
  auto store = open_store();
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(fs::exists(db_path()));
  ASSERT_TRUE(is_ok(store->migrate()));
  sqlite3* check = nullptr;
  ASSERT_EQ(sqlite3_open(db_path().c_str(), &check), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(check, "PRAGMA journal_mode", -1, &stmt, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)), "wal");
  sqlite3_finalize(stmt);
  sqlite3_close(check);
}

TEST_F(FileStoreTest, LockedDatabaseIsUnavailableForWritesButReadable) {
  SqliteStoreOptions options;
  options.clock = &clock_;
  options.busy_timeout_ms = 0;  // fail at once instead of waiting for the lock
  auto opened = open_sqlite_store(db_path(), options);
  ASSERT_TRUE(is_ok(opened));
  std::unique_ptr<Store> store = std::move(opened).value();
  ASSERT_TRUE(is_ok(store->migrate()));
  ASSERT_TRUE(is_ok(store->sync_catalogue(catalogue_sites(), catalogue_boards())));
  ASSERT_TRUE(is_ok(store->commit_snapshot(make_commit("hn.top", kSlot0, make_items({"a"})))));

  RawDb other_process(db_path());
  other_process.exec("BEGIN IMMEDIATE");
  auto locked = store->commit_snapshot(make_commit("hn.top", kSlot0 + kMinute, make_items({"b"})));
  EXPECT_EQ(locked.code(), ErrorCode::kUnavailable);
  EXPECT_NE(locked.error_message().find("locked"), std::string::npos) << locked.error_message();
  EXPECT_EQ(
      store
          ->record_failure(make_failure("hn.top", kSlot0 + kMinute, error(ErrorCode::kHttp, "500")))
          .code(),
      ErrorCode::kUnavailable);

  // Readers are not blocked by a writer (WAL).
  auto view = store->board_view("hn.top");
  ASSERT_TRUE(is_ok(view));
  ASSERT_TRUE(view->has_value());
  EXPECT_EQ(keys_of((*view)->snapshot.items), (std::vector<std::string>{"a"}));

  other_process.exec("ROLLBACK");
  EXPECT_TRUE(
      is_ok(store->commit_snapshot(make_commit("hn.top", kSlot0 + kMinute, make_items({"b"})))));
}

TEST_F(FileStoreTest, UnopenablePathsAreUnavailable) {
  // The parent "directory" is a regular file.
  const fs::path file = dir_.path() / "plain-file";
  std::ofstream(file) << "not a directory";
  auto under_file = open_sqlite_store((file / "sub" / "mu.db").string());
  EXPECT_EQ(under_file.code(), ErrorCode::kUnavailable);
  EXPECT_NE(under_file.error_message().find("plain-file"), std::string::npos)
      << under_file.error_message();

  // The path is a directory.
  auto directory = open_sqlite_store(dir_.path().string());
  EXPECT_EQ(directory.code(), ErrorCode::kUnavailable);
  EXPECT_NE(directory.error_message().find("cannot open"), std::string::npos)
      << directory.error_message();

  // The file is not a database.
  const fs::path junk = dir_.path() / "junk.db";
  std::ofstream(junk) << std::string(4096, 'x');
  auto not_db = open_sqlite_store(junk.string());
  EXPECT_EQ(not_db.code(), ErrorCode::kUnavailable);
  EXPECT_NE(not_db.error_message().find("junk.db"), std::string::npos) << not_db.error_message();

  EXPECT_EQ(open_sqlite_store("").code(), ErrorCode::kConfig);
}

}  // namespace
}  // namespace mu
