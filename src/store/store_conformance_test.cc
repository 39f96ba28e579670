// The Store contract (store/store.h), run against every implementation: SqliteStore on a
// temporary file and PostgresStore on a private PostgreSQL server (one server per run, a
// fresh database per test). The PostgreSQL half fails, naming the package to install, when
// no server binaries are found.
#include "store/store_conformance_test.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "core/clock.h"
#include "core/search_text.h"
#include "store/history_math.h"
#include "store/postgres/postgres_store.h"
#include "store/postgres/testing/pg_server.h"
#include "store/sqlite/sqlite_store.h"

namespace mu {
namespace {

namespace fs = std::filesystem;
using namespace store_test;  // NOLINT(google-build-using-namespace): test helpers

// --- backends ----------------------------------------------------------------------------
// Each opens stores on one fresh database per test; open() again gives a second Store on
// the same database (as a second process would).

class SqliteBackend {
 public:
  static constexpr const char* kName = "Sqlite";
  static void set_up_suite() {}
  static void tear_down_suite() {}

  SqliteBackend() {
    std::random_device random;
    dir_ = fs::temp_directory_path() /
           ("mu_conformance_" + std::to_string(random()) + std::to_string(random()));
    fs::create_directories(dir_);
  }
  ~SqliteBackend() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  SqliteBackend(const SqliteBackend&) = delete;
  SqliteBackend& operator=(const SqliteBackend&) = delete;

  Result<std::unique_ptr<Store>> open(const Clock* clock) {
    SqliteStoreOptions options;
    options.clock = clock;
    return open_sqlite_store((dir_ / "mu.db").string(), options);
  }

 private:
  fs::path dir_;
};

class PostgresBackend {
 public:
  static constexpr const char* kName = "Postgres";
  static void set_up_suite() {
    auto server = PgServer::launch();
    if (server.ok()) {
      server_slot() = std::move(server).value();
    } else {
      launch_error() = server.status();
    }
  }
  static void tear_down_suite() { server_slot().reset(); }

  Result<std::unique_ptr<Store>> open(const Clock* clock) {
    if (!server_slot()) {
      return launch_error().with_context("starting the PostgreSQL test server");
    }
    if (url_.empty()) {
      MU_ASSIGN_OR_RETURN(url_, server_slot()->create_database("t" + std::to_string(++count())));
    }
    PostgresStoreOptions options;
    options.clock = clock;
    return open_postgres_store(url_, options);
  }

 private:
  // The suite's server (gtest's SetUpTestSuite / TearDownTestSuite own its lifetime).
  static std::unique_ptr<PgServer>& server_slot() {
    static std::unique_ptr<PgServer> server;
    return server;
  }
  static Status& launch_error() {
    static Status status;
    return status;
  }
  static int& count() {
    static int n = 0;
    return n;
  }

  std::string url_;
};

template <typename Backend>
class StoreConformanceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { Backend::set_up_suite(); }
  static void TearDownTestSuite() { Backend::tear_down_suite(); }

  void SetUp() override {
    auto store = backend_.open(&clock_);
    ASSERT_TRUE(is_ok(store));
    store_ = std::move(store).value();
    ASSERT_TRUE(is_ok(store_->migrate()));
    ASSERT_TRUE(is_ok(store_->sync_catalogue(catalogue_sites(), catalogue_boards())));
  }

  int64_t commit(const CommitRequest& request) {
    auto id = store_->commit_snapshot(request);
    EXPECT_TRUE(is_ok(id)) << request.dispatch_id;
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

  int64_t fence() {
    auto fence = store_->fence_epoch();
    EXPECT_TRUE(is_ok(fence));
    return fence.value_or(-1);
  }

  Backend backend_;
  FakeClock clock_;
  std::unique_ptr<Store> store_;
};

struct BackendNames {
  template <typename T>
  static std::string GetName(int /*index*/) {
    return T::kName;
  }
};

using Backends = ::testing::Types<SqliteBackend, PostgresBackend>;
TYPED_TEST_SUITE(StoreConformanceTest, Backends, BackendNames);

// --- migrations and catalogue ------------------------------------------------------------

TYPED_TEST(StoreConformanceTest, MigrateIsIdempotent) {
  EXPECT_TRUE(is_ok(this->store_->migrate()));
  EXPECT_TRUE(is_ok(this->store_->migrate()));
  this->commit(make_commit("hn.top", kSlot0, make_items({"a"})));
  EXPECT_TRUE(is_ok(this->store_->migrate()));  // keeps the data
  EXPECT_EQ(this->view("hn.top").snapshot.items.size(), 1u);
  auto states = this->store_->board_states();
  ASSERT_TRUE(is_ok(states));
  EXPECT_EQ(states->size(), 3u);
}

TYPED_TEST(StoreConformanceTest, NewBoardsAreListedByIdAndUnfetched) {
  auto states = this->store_->board_states();
  ASSERT_TRUE(is_ok(states));
  std::vector<std::string> ids;
  for (const BoardState& state : *states) {
    ids.push_back(state.board);
    EXPECT_TRUE(state.enabled) << state.board;
    EXPECT_EQ(state.version, 0) << state.board;
    EXPECT_EQ(state.fetched_at_ms, 0) << state.board;
    EXPECT_FALSE(state.stale) << state.board;
    EXPECT_EQ(state.recent_runs, 0) << state.board;
  }
  EXPECT_EQ(ids, (std::vector<std::string>{"hn.new", "hn.top", "weibo.hot-search"}));

  auto view = this->store_->board_view("hn.top");
  ASSERT_TRUE(is_ok(view));
  EXPECT_FALSE(view->has_value());
  EXPECT_EQ(this->fence(), 0);
}

TYPED_TEST(StoreConformanceTest, UnknownBoardIsNotFound) {
  Store& store = *this->store_;
  EXPECT_EQ(store.board_state("nope.board").code(), ErrorCode::kNotFound);
  EXPECT_EQ(store.board_view("nope.board").code(), ErrorCode::kNotFound);
  EXPECT_EQ(store.runs("nope.board", 10).code(), ErrorCode::kNotFound);
  auto id = store.commit_snapshot(make_commit("nope.board", kSlot0, make_items({"a"})));
  EXPECT_EQ(id.code(), ErrorCode::kNotFound);
  EXPECT_NE(id.error_message().find("nope.board"), std::string::npos) << id.error_message();
  EXPECT_EQ(
      store.record_failure(make_failure("nope.board", kSlot0, error(ErrorCode::kHttp, "x"))).code(),
      ErrorCode::kNotFound);
  EXPECT_EQ(store.put_board_override("nope.board", 0, "{}", 1).code(), ErrorCode::kNotFound);
  // A rejected commit leaves the fence alone.
  EXPECT_EQ(this->fence(), 0);
}

// A failure record kept through a store outage and written after a newer good run (issue
// 15) is in the run history, but does not make the board look stale or move its last run
// back.
TYPED_TEST(StoreConformanceTest, AFailureWrittenLateNeverHidesANewerRun) {
  this->commit(make_commit("hn.top", kSlot0 + 600, make_items({"a"})));
  ASSERT_TRUE(is_ok(this->store_->record_failure(
      make_failure("hn.top", kSlot0, error(ErrorCode::kUnavailable, "commit: database down")))));
  auto state = this->store_->board_state("hn.top");
  ASSERT_TRUE(is_ok(state));
  EXPECT_FALSE(state->stale);
  EXPECT_EQ(state->last_error_code, "");
  EXPECT_EQ(state->last_run_at_ms, (kSlot0 + 600) * 1000 + 750);
  auto runs = this->store_->runs("hn.top", 10);
  ASSERT_TRUE(is_ok(runs));
  ASSERT_EQ(runs->size(), 2u);
  // A failure newer than the last good run still marks the board stale.
  ASSERT_TRUE(is_ok(this->store_->record_failure(
      make_failure("hn.top", kSlot0 + 1200, error(ErrorCode::kHttp, "HTTP 502")))));
  state = this->store_->board_state("hn.top");
  ASSERT_TRUE(is_ok(state));
  EXPECT_TRUE(state->stale);
  EXPECT_EQ(state->last_error_code, "http");
}

TYPED_TEST(StoreConformanceTest, SyncCatalogueRetiresMissingBoardsAndBringsThemBack) {
  const int64_t id = this->commit(make_commit("hn.top", kSlot0, make_items({"a"}), 2));
  ASSERT_TRUE(is_ok(this->store_->record_failure(
      make_failure("hn.top", kSlot0 + 600, error(ErrorCode::kHttp, "502"), 2))));

  std::vector<BoardMeta> boards = {make_board("hn", "top")};
  boards[0].name_en = "Top stories";
  ASSERT_TRUE(is_ok(this->store_->sync_catalogue({make_site("hn")}, boards)));

  auto states = this->store_->board_states();
  ASSERT_TRUE(is_ok(states));
  ASSERT_EQ(states->size(), 1u);
  EXPECT_EQ(states->front().board, "hn.top");
  EXPECT_EQ(states->front().version, id);  // runtime state survives the sync
  EXPECT_TRUE(states->front().stale);
  EXPECT_EQ(this->store_->board_state("hn.new").code(), ErrorCode::kNotFound);
  EXPECT_EQ(this->store_->board_view("weibo.hot-search").code(), ErrorCode::kNotFound);
  EXPECT_EQ(this->store_->commit_snapshot(make_commit("hn.new", kSlot0, {}, 2)).code(),
            ErrorCode::kNotFound);

  ASSERT_TRUE(is_ok(this->store_->sync_catalogue(catalogue_sites(), catalogue_boards())));
  states = this->store_->board_states();
  ASSERT_TRUE(is_ok(states));
  EXPECT_EQ(states->size(), 3u);
  EXPECT_EQ(this->view("hn.top").snapshot.id, id);
  this->commit(make_commit("hn.new", kSlot0 + 60, make_items({"n"}), 2));
  EXPECT_EQ(this->view("hn.new").snapshot.items.size(), 1u);
}

TYPED_TEST(StoreConformanceTest, SyncCatalogueRejectsBadInputAndAppliesNothing) {
  Store& store = *this->store_;
  EXPECT_EQ(store.sync_catalogue({make_site("hn")}, {make_board("weibo", "hot-search")}).code(),
            ErrorCode::kInvalid);
  EXPECT_EQ(store.sync_catalogue({make_site("hn"), make_site("hn")}, {}).code(),
            ErrorCode::kInvalid);
  EXPECT_EQ(store.sync_catalogue({make_site("hn")}, {make_board("hn", "a"), make_board("hn", "a")})
                .code(),
            ErrorCode::kInvalid);
  auto states = store.board_states();
  ASSERT_TRUE(is_ok(states));
  EXPECT_EQ(states->size(), 3u);
}

// --- commits and views -------------------------------------------------------------------

TYPED_TEST(StoreConformanceTest, CommitThenViewRoundTripsEveryField) {
  std::vector<Item> items = make_items({"c", "热搜-1", "🔥"});
  items[0].hot = 2123.5;
  items[0].hot_text = "2123万";
  items[0].label = "热";
  items[0].mobile_url = "https://m.example.com/c";
  items[0].summary = "a summary with a tab\tand a control \x01 character";
  items[0].image = "https://img.example.com/c.png";
  items[0].author = "someone";
  items[0].published_at_ms = 1'767'225'000'000;
  items[0].extra = {{"views", "10"}, {"lang", "Go"}, {"views", "11"}};
  items[1].title = "春节档电影票房突破80亿 🎬";
  items[1].hot = 0.1 + 0.2;  // not exactly representable in decimal
  items[1].extra = {{"quote", "a \"b\" \\ c\n"}, {"话题", "#春节#"}};
  items[2].title = "👩‍💻 Emoji with ZWJ and ｆｕｌｌｗｉｄｔｈ";
  items[2].hot = -1e300;
  const CommitRequest request = make_commit("weibo.hot-search", kSlot0, items, 3);

  const int64_t id = this->commit(request);
  EXPECT_GT(id, 0);

  const BoardView v = this->view("weibo.hot-search");
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
  EXPECT_EQ(v.history.at("🔥").best_rank, 3);
  EXPECT_EQ(v.history.at("🔥").first_seen_ms, request.stats.finished_ms);
  EXPECT_EQ(v.state.version, id);
  EXPECT_EQ(v.state.item_count, 3);
  EXPECT_EQ(v.state.fetched_at_ms, request.stats.finished_ms);
  EXPECT_EQ(v.state.last_run_at_ms, request.stats.finished_ms);
  EXPECT_FALSE(v.state.stale);

  auto runs = this->store_->runs("weibo.hot-search", 10);
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

TYPED_TEST(StoreConformanceTest, SecondCommitGivesPreviousKeysAndHistory) {
  const CommitRequest first = make_commit("hn.top", kSlot0, make_items({"a", "b", "c"}));
  this->commit(first);
  const CommitRequest second = make_commit("hn.top", kSlot0 + 600, make_items({"c", "d", "a"}));
  const int64_t second_id = this->commit(second);

  const BoardView v = this->view("hn.top");
  EXPECT_EQ(v.snapshot.id, second_id);
  EXPECT_EQ(keys_of(v.snapshot.items), (std::vector<std::string>{"c", "d", "a"}));
  EXPECT_TRUE(v.has_previous);
  EXPECT_EQ(v.previous_keys, (std::vector<std::string>{"a", "b", "c"}));
  ASSERT_EQ(v.history.size(), 3u);  // only the snapshot's keys
  EXPECT_EQ(v.history.at("a").first_seen_ms, first.stats.finished_ms);
  EXPECT_EQ(v.history.at("a").best_rank, 1);  // min(1, 3)
  EXPECT_EQ(v.history.at("c").best_rank, 1);  // min(3, 1)
  EXPECT_EQ(v.history.at("d").first_seen_ms, second.stats.finished_ms);
  EXPECT_EQ(v.history.at("d").best_rank, 2);
  EXPECT_EQ(v.state.fetched_at_ms, second.stats.finished_ms);
}

TYPED_TEST(StoreConformanceTest, SnapshotIdsIncreaseAcrossBoards) {
  const int64_t a = this->commit(make_commit("hn.top", kSlot0, make_items({"a"})));
  const int64_t b = this->commit(make_commit("hn.new", kSlot0, make_items({"b"})));
  const int64_t c = this->commit(make_commit("hn.top", kSlot0 + 60, make_items({"c"})));
  EXPECT_LT(a, b);
  EXPECT_LT(b, c);
  EXPECT_EQ(this->view("hn.new").state.version, b);
}

TYPED_TEST(StoreConformanceTest, EmptyItemListIsStored) {
  const int64_t id = this->commit(make_commit("hn.new", kSlot0, {}));
  const BoardView v = this->view("hn.new");
  EXPECT_EQ(v.snapshot.id, id);
  EXPECT_TRUE(v.snapshot.items.empty());
  EXPECT_EQ(v.state.item_count, 0);
}

TYPED_TEST(StoreConformanceTest, InvalidCommitsAreRejectedAndWriteNothing) {
  Store& store = *this->store_;
  EXPECT_EQ(
      store.commit_snapshot(make_commit("hn.top", kSlot0, make_items({"a", "b", "a"}))).code(),
      ErrorCode::kInvalid);
  EXPECT_EQ(store.commit_snapshot(make_commit("hn.top", kSlot0, make_items({"a", ""}))).code(),
            ErrorCode::kInvalid);
  CommitRequest no_dispatch = make_commit("hn.top", kSlot0, {});
  no_dispatch.dispatch_id.clear();
  EXPECT_EQ(store.commit_snapshot(no_dispatch).code(), ErrorCode::kInvalid);
  EXPECT_EQ(store.commit_snapshot(make_commit("", kSlot0, {})).code(), ErrorCode::kInvalid);
  EXPECT_EQ(store.record_failure(make_failure("hn.top", kSlot0, ok_status())).code(),
            ErrorCode::kInvalid);
  EXPECT_EQ(this->run_count("hn.top"), 0u);
}

// --- dispatch ids and fencing ------------------------------------------------------------

TYPED_TEST(StoreConformanceTest, DuplicateDispatchIsConflictAndRollsBackItsFence) {
  const CommitRequest request = make_commit("hn.top", kSlot0, make_items({"a", "b"}));
  const int64_t id = this->commit(request);

  CommitRequest again = make_commit("hn.top", kSlot0, make_items({"x", "y", "z"}), 2);
  again.stats.attempt = 2;
  auto result = this->store_->commit_snapshot(again);
  EXPECT_EQ(result.code(), ErrorCode::kConflict);
  EXPECT_NE(result.error_message().find(request.dispatch_id), std::string::npos)
      << result.error_message();

  const BoardView v = this->view("hn.top");
  EXPECT_EQ(v.snapshot.id, id);
  EXPECT_EQ(keys_of(v.snapshot.items), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(v.history.size(), 2u);
  EXPECT_EQ(this->run_count("hn.top"), 1u);
  EXPECT_EQ(this->fence(), 1);  // the rejected request's epoch 2 was rolled back too
}

TYPED_TEST(StoreConformanceTest, LateFailureOfACommittedDispatchIsConflict) {
  this->commit(make_commit("hn.top", kSlot0, make_items({"a"})));
  EXPECT_EQ(this->store_
                ->record_failure(make_failure("hn.top", kSlot0, error(ErrorCode::kTimeout, "slow")))
                .code(),
            ErrorCode::kConflict);
  EXPECT_FALSE(this->view("hn.top").state.stale);
  EXPECT_EQ(this->run_count("hn.top"), 1u);
}

// Attempt 1 failed while the store was down and was kept; attempt 2 committed first when it
// came back. The kept failure is then written: its run is in the history, the board stays
// good. A failure of the committing attempt itself (or a later one) is still refused.
TYPED_TEST(StoreConformanceTest, AnEarlierAttemptsFailureWrittenAfterTheCommitIsHistoryOnly) {
  CommitRequest retry = make_commit("hn.top", kSlot0, make_items({"a"}));
  retry.stats.attempt = 2;
  this->commit(retry);
  const BoardState before = this->view("hn.top").state;
  FailureRecord first = make_failure("hn.top", kSlot0, error(ErrorCode::kUnavailable, "down"));
  first.stats.attempt = 1;
  ASSERT_TRUE(is_ok(this->store_->record_failure(first)));
  EXPECT_EQ(this->run_count("hn.top"), 2u);
  const BoardState after = this->view("hn.top").state;
  EXPECT_FALSE(after.stale);
  EXPECT_EQ(after.last_error_code, "");
  EXPECT_EQ(after.last_run_at_ms, before.last_run_at_ms);
  FailureRecord same = make_failure("hn.top", kSlot0, error(ErrorCode::kTimeout, "slow"));
  same.stats.attempt = 2;
  EXPECT_EQ(this->store_->record_failure(same).code(), ErrorCode::kConflict);
  EXPECT_EQ(this->run_count("hn.top"), 2u);
}

TYPED_TEST(StoreConformanceTest, EpochBelowTheFenceIsFencedAndChangesNothing) {
  const int64_t id = this->commit(make_commit("hn.top", kSlot0, make_items({"a"}), 5));
  EXPECT_EQ(this->fence(), 5);

  auto stale =
      this->store_->commit_snapshot(make_commit("hn.top", kSlot0 + 60, make_items({"b"}), 3));
  EXPECT_EQ(stale.code(), ErrorCode::kFenced);
  EXPECT_NE(stale.error_message().find("epoch 3"), std::string::npos) << stale.error_message();
  EXPECT_EQ(
      this->store_
          ->record_failure(make_failure("hn.top", kSlot0 + 60, error(ErrorCode::kHttp, "500"), 4))
          .code(),
      ErrorCode::kFenced);

  const BoardView v = this->view("hn.top");
  EXPECT_EQ(v.snapshot.id, id);
  EXPECT_FALSE(v.state.stale);
  EXPECT_EQ(this->run_count("hn.top"), 1u);

  // The same epoch is accepted; a newer one raises the fence.
  this->commit(make_commit("hn.top", kSlot0 + 120, make_items({"c"}), 5));
  this->commit(make_commit("hn.new", kSlot0 + 120, make_items({"c"}), 7));
  EXPECT_EQ(this->fence(), 7);
  EXPECT_EQ(this->store_->commit_snapshot(make_commit("hn.top", kSlot0 + 180, {}, 6)).code(),
            ErrorCode::kFenced);
}

TYPED_TEST(StoreConformanceTest, RaiseFenceFencesOlderEpochsAndNeverLowers) {
  this->commit(make_commit("hn.top", kSlot0, make_items({"a"}), 1));
  auto raised = this->store_->raise_fence(4);
  ASSERT_TRUE(is_ok(raised));
  EXPECT_EQ(*raised, 4);
  EXPECT_EQ(this->fence(), 4);

  // A late commit of the old term is rejected.
  EXPECT_EQ(this->store_->commit_snapshot(make_commit("hn.top", kSlot0 + 60, make_items({"b"}), 3))
                .code(),
            ErrorCode::kFenced);
  // Lowering is a no-op that reports the fence.
  auto lower = this->store_->raise_fence(2);
  ASSERT_TRUE(is_ok(lower));
  EXPECT_EQ(*lower, 4);
  EXPECT_EQ(this->fence(), 4);
  // The new term writes.
  this->commit(make_commit("hn.top", kSlot0 + 60, make_items({"b"}), 4));
  EXPECT_EQ(keys_of(this->view("hn.top").snapshot.items), (std::vector<std::string>{"b"}));
}

// --- failures and runs -------------------------------------------------------------------

TYPED_TEST(StoreConformanceTest, FailureKeepsTheLastSnapshotAndMarksStale) {
  const CommitRequest good = make_commit("weibo.hot-search", kSlot0, make_items({"a", "b"}));
  const int64_t id = this->commit(good);

  const FailureRecord failure =
      make_failure("weibo.hot-search", kSlot0 + 600, error(ErrorCode::kBlocked, "captcha page"));
  ASSERT_TRUE(is_ok(this->store_->record_failure(failure)));

  const BoardView v = this->view("weibo.hot-search");
  EXPECT_EQ(v.snapshot.id, id);
  EXPECT_EQ(keys_of(v.snapshot.items), (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(v.state.stale);
  EXPECT_EQ(v.state.last_error_code, "blocked");
  EXPECT_EQ(v.state.last_error, "captcha page");
  EXPECT_EQ(v.state.version, id);
  EXPECT_EQ(v.state.fetched_at_ms, good.stats.finished_ms);
  EXPECT_EQ(v.state.last_run_at_ms, failure.stats.finished_ms);

  auto runs = this->store_->runs("weibo.hot-search", 10);
  ASSERT_TRUE(is_ok(runs));
  ASSERT_EQ(runs->size(), 2u);
  EXPECT_EQ(runs->front().status, "blocked");
  EXPECT_EQ(runs->front().error_message, "captcha page");
  EXPECT_EQ(runs->front().stats.http_status, 503);

  // A retry of the failed slot succeeds and clears the error.
  CommitRequest retry = make_commit("weibo.hot-search", kSlot0 + 600, make_items({"b", "c"}));
  retry.stats.attempt = 2;
  const int64_t retry_id = this->commit(retry);
  const BoardView after = this->view("weibo.hot-search");
  EXPECT_EQ(after.snapshot.id, retry_id);
  EXPECT_FALSE(after.state.stale);
  EXPECT_EQ(after.state.last_error_code, "");
  EXPECT_EQ(after.state.last_error, "");
}

TYPED_TEST(StoreConformanceTest, FailureBeforeAnySnapshotLeavesNoView) {
  ASSERT_TRUE(is_ok(this->store_->record_failure(
      make_failure("hn.new", kSlot0, error(ErrorCode::kParse, "missing data.list")))));
  auto view = this->store_->board_view("hn.new");
  ASSERT_TRUE(is_ok(view));
  EXPECT_FALSE(view->has_value());
  auto state = this->store_->board_state("hn.new");
  ASSERT_TRUE(is_ok(state));
  EXPECT_TRUE(state->stale);
  EXPECT_EQ(state->last_error_code, "parse");
  EXPECT_EQ(state->version, 0);
  EXPECT_EQ(state->recent_runs, 1);
  EXPECT_EQ(state->recent_ok, 0);
}

TYPED_TEST(StoreConformanceTest, RunsAreNewestFirstWithLimit) {
  for (int i = 0; i < 5; ++i) {
    const int64_t slot = kSlot0 + i * kTenMinutes;
    if (i % 2 == 0) {
      this->commit(make_commit("hn.top", slot, make_items({"k" + std::to_string(i)})));
    } else {
      ASSERT_TRUE(is_ok(this->store_->record_failure(
          make_failure("hn.top", slot, error(ErrorCode::kNetwork, "reset")))));
    }
  }
  this->commit(make_commit("hn.new", kSlot0, make_items({"x"})));

  auto runs = this->store_->runs("hn.top", 3);
  ASSERT_TRUE(is_ok(runs));
  ASSERT_EQ(runs->size(), 3u);
  EXPECT_EQ((*runs)[0].slot, kSlot0 + 4 * kTenMinutes);
  EXPECT_EQ((*runs)[0].status, "ok");
  EXPECT_EQ((*runs)[1].slot, kSlot0 + 3 * kTenMinutes);
  EXPECT_EQ((*runs)[1].status, "network");
  EXPECT_EQ((*runs)[1].error_message, "reset");
  EXPECT_EQ((*runs)[2].slot, kSlot0 + 2 * kTenMinutes);
  for (const RunRecord& run : *runs) {
    EXPECT_EQ(run.board, "hn.top");
  }
  EXPECT_EQ(this->run_count("hn.top"), 5u);
  auto none = this->store_->runs("hn.top", 0);
  ASSERT_TRUE(is_ok(none));
  EXPECT_TRUE(none->empty());
  EXPECT_EQ(this->store_->runs("hn.top", -1).code(), ErrorCode::kInvalid);
}

TYPED_TEST(StoreConformanceTest, RecentRunsCoverEachBoardsNewestWindow) {
  ASSERT_EQ(kRecentRunsWindow, 20);
  // hn.top: 25 runs. The oldest 5 fail (outside the window); of the newest 20, every fourth
  // fails: 15 ok. Runs of weibo in between must not shift hn.top's window.
  for (int i = 0; i < 25; ++i) {
    const int64_t slot = kSlot0 + i * kTenMinutes;
    if (i < 5 || i % 4 == 0) {
      ASSERT_TRUE(is_ok(this->store_->record_failure(
          make_failure("hn.top", slot, error(ErrorCode::kNetwork, "reset")))));
    } else {
      this->commit(make_commit("hn.top", slot, make_items({"k" + std::to_string(i)})));
    }
    if (i % 3 == 0) {
      this->commit(make_commit("weibo.hot-search", slot, make_items({"w" + std::to_string(i)})));
    }
  }
  auto states = this->store_->board_states();
  ASSERT_TRUE(is_ok(states));
  std::map<std::string, BoardState> by_board;
  for (const BoardState& state : *states) {
    by_board[state.board] = state;
  }
  EXPECT_EQ(by_board["hn.top"].recent_runs, 20);
  EXPECT_EQ(by_board["hn.top"].recent_ok, 15);
  EXPECT_EQ(by_board["weibo.hot-search"].recent_runs, 9);
  EXPECT_EQ(by_board["weibo.hot-search"].recent_ok, 9);
  EXPECT_EQ(by_board["hn.new"].recent_runs, 0);

  auto top = this->store_->board_state("hn.top");
  ASSERT_TRUE(is_ok(top));
  EXPECT_EQ(top->recent_ok, 15);
  EXPECT_EQ(this->view("hn.top").state.recent_ok, 15);
  // A failure pushes the oldest run of the window (i = 5, ok) out: one success fewer.
  ASSERT_TRUE(is_ok(this->store_->record_failure(
      make_failure("hn.top", kSlot0 + 25 * kTenMinutes, error(ErrorCode::kParse, "x")))));
  top = this->store_->board_state("hn.top");
  ASSERT_TRUE(is_ok(top));
  EXPECT_EQ(top->recent_runs, 20);
  EXPECT_EQ(top->recent_ok, 14);
}

TYPED_TEST(StoreConformanceTest, PruneRunsDropsOldRunsButKeepsEachBoardsNewestWindow) {
  ASSERT_EQ(kRecentRunsWindow, 20);
  // hn.top: 30 runs ten minutes apart, every third a failure; weibo: 3 old runs.
  for (int i = 0; i < 30; ++i) {
    const int64_t slot = kSlot0 + i * kTenMinutes;
    if (i % 3 == 0) {
      ASSERT_TRUE(is_ok(this->store_->record_failure(
          make_failure("hn.top", slot, error(ErrorCode::kNetwork, "reset")))));
    } else {
      this->commit(make_commit("hn.top", slot, make_items({"k" + std::to_string(i)})));
    }
    if (i < 3) this->commit(make_commit("weibo.hot-search", slot, make_items({"w"})));
  }
  const BoardState before = this->view("hn.top").state;
  // Older than run 15: runs 0..14, of which 10..14 are among the newest 20 and stay.
  auto pruned = this->store_->prune_runs((kSlot0 + 15 * kTenMinutes) * 1000);
  ASSERT_TRUE(is_ok(pruned));
  EXPECT_EQ(*pruned, 10);
  auto runs = this->store_->runs("hn.top", 100);
  ASSERT_TRUE(is_ok(runs));
  ASSERT_EQ(runs->size(), 20u);
  EXPECT_EQ(runs->back().slot, kSlot0 + 10 * kTenMinutes);
  EXPECT_EQ(runs->front().slot, kSlot0 + 29 * kTenMinutes);
  EXPECT_EQ(this->run_count("weibo.hot-search"), 3u);  // fewer than the window: all stay
  // What the API shows of the runs did not change.
  const BoardState after = this->view("hn.top").state;
  EXPECT_EQ(after.recent_runs, before.recent_runs);
  EXPECT_EQ(after.recent_ok, before.recent_ok);
  EXPECT_EQ(after.last_run_at_ms, before.last_run_at_ms);
  // A cutoff past every run still keeps the window; again, nothing more goes.
  auto all = this->store_->prune_runs((kSlot0 + 100 * kTenMinutes) * 1000);
  ASSERT_TRUE(is_ok(all));
  EXPECT_EQ(*all, 0);
  EXPECT_EQ(this->run_count("hn.top"), 20u);
  // The newest run still decides the board's state, and new runs still get recorded.
  this->commit(make_commit("hn.top", kSlot0 + 30 * kTenMinutes, make_items({"n"})));
  EXPECT_EQ(this->run_count("hn.top"), 21u);
}

TYPED_TEST(StoreConformanceTest, RunTalliesCountRunsAndGoodRunsPerBoardAndBucket) {
  // hn.top: six runs ten minutes apart, the second and fifth failing; weibo: one run.
  for (int i = 0; i < 6; ++i) {
    const int64_t slot = kSlot0 + i * kTenMinutes;
    if (i == 1 || i == 4) {
      ASSERT_TRUE(is_ok(this->store_->record_failure(
          make_failure("hn.top", slot, error(ErrorCode::kNetwork, "reset")))));
    } else {
      this->commit(make_commit("hn.top", slot, make_items({"k" + std::to_string(i)})));
    }
  }
  this->commit(make_commit("weibo.hot-search", kSlot0 + 3 * kTenMinutes, make_items({"w"})));
  // Buckets of 30 minutes from the second run on: runs 1-3 in bucket 0, 4-5 in bucket 1; the
  // first run finished before and is not counted.
  auto tallies = this->store_->run_tallies((kSlot0 + kTenMinutes) * 1000, 3 * kTenMinutes * 1000);
  ASSERT_TRUE(is_ok(tallies));
  std::vector<std::tuple<std::string, int64_t, int64_t, int64_t>> got;
  for (const RunTally& t : *tallies) got.emplace_back(t.board, t.bucket, t.runs, t.ok);
  std::sort(got.begin(), got.end());
  using Row = std::tuple<std::string, int64_t, int64_t, int64_t>;
  EXPECT_EQ(got, (std::vector<Row>{Row{"hn.top", 0, 3, 2}, Row{"hn.top", 1, 2, 1},
                                   Row{"weibo.hot-search", 0, 1, 1}}));
  EXPECT_EQ(this->store_->run_tallies(0, 0).code(), ErrorCode::kInvalid);
}

TYPED_TEST(StoreConformanceTest, PruneKeepsTheNewestSnapshotsOfEachBoard) {
  std::vector<int64_t> top_ids;
  for (int i = 0; i < 5; ++i) {
    top_ids.push_back(this->commit(make_commit("hn.top", kSlot0 + i * kTenMinutes,
                                               make_items({"a" + std::to_string(i), "b"}))));
  }
  const int64_t new_id = this->commit(make_commit("hn.new", kSlot0, make_items({"x"})));

  auto deleted = this->store_->prune_snapshots(2);
  ASSERT_TRUE(is_ok(deleted));
  EXPECT_EQ(*deleted, 3);
  BoardView top = this->view("hn.top");
  EXPECT_EQ(top.snapshot.id, top_ids[4]);
  EXPECT_EQ(top.previous_keys, (std::vector<std::string>{"a3", "b"}));
  EXPECT_EQ(top.history.at("b").first_seen_ms, kSlot0 * 1000 + 750);  // history survives

  auto again = this->store_->prune_snapshots(2);
  ASSERT_TRUE(is_ok(again));
  EXPECT_EQ(*again, 0);
  // Zero still keeps the latest of every board.
  auto all = this->store_->prune_snapshots(0);
  ASSERT_TRUE(is_ok(all));
  EXPECT_EQ(*all, 1);
  top = this->view("hn.top");
  EXPECT_EQ(keys_of(top.snapshot.items), (std::vector<std::string>{"a4", "b"}));
  EXPECT_FALSE(top.has_previous);
  EXPECT_EQ(this->view("hn.new").snapshot.id, new_id);
  EXPECT_EQ(this->run_count("hn.top"), 5u);  // runs are kept
  EXPECT_GT(this->commit(make_commit("hn.top", kSlot0 + 9000, make_items({"z"}))), top_ids[4]);
}

// --- board overrides ---------------------------------------------------------------------

TYPED_TEST(StoreConformanceTest, BoardOverrideIsCompareAndSet) {
  Store& store = *this->store_;
  auto first = store.put_board_override("hn.top", 0, R"({"every_s":300})", 1000);
  ASSERT_TRUE(is_ok(first));
  EXPECT_EQ(*first, 1);

  // A writer that read nothing (0) or a stale version loses.
  auto stale = store.put_board_override("hn.top", 0, R"({"every_s":60})", 2000);
  EXPECT_EQ(stale.code(), ErrorCode::kConflict);
  EXPECT_EQ(store.put_board_override("hn.top", 5, "{}", 2000).code(), ErrorCode::kConflict);

  auto second = store.put_board_override("hn.top", 1, R"({"enabled":false})", 3000);
  ASSERT_TRUE(is_ok(second));
  EXPECT_EQ(*second, 2);

  auto all = store.board_overrides();
  ASSERT_TRUE(is_ok(all));
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ(all->front().board, "hn.top");
  EXPECT_EQ(all->front().version, 2);
  EXPECT_EQ(all->front().json, R"({"enabled":false})");
  EXPECT_EQ(all->front().updated_ms, 3000);
}

TYPED_TEST(StoreConformanceTest, BoardOverridesOfEveryBoardAreListedById) {
  Store& store = *this->store_;
  auto none = store.board_overrides();
  ASSERT_TRUE(is_ok(none));
  EXPECT_TRUE(none->empty());
  ASSERT_TRUE(is_ok(store.put_board_override("weibo.hot-search", 0, R"({"group":"cn"})", 10)));
  ASSERT_TRUE(is_ok(store.put_board_override("hn.new", 0, R"({"note":"引号 \"x\""})", 20)));
  auto all = store.board_overrides();
  ASSERT_TRUE(is_ok(all));
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].board, "hn.new");
  EXPECT_EQ((*all)[0].json, R"({"note":"引号 \"x\""})");
  EXPECT_EQ((*all)[1].board, "weibo.hot-search");
  EXPECT_EQ((*all)[1].version, 1);
}

TYPED_TEST(StoreConformanceTest, BoardOverrideOfOneBoardIsLookedUpByItsId) {
  Store& store = *this->store_;
  auto none = store.board_override("hn.top");
  ASSERT_TRUE(is_ok(none));
  EXPECT_FALSE(none->has_value());
  ASSERT_TRUE(is_ok(store.put_board_override("hn.top", 0, R"({"every_s":300})", 1000)));
  ASSERT_TRUE(is_ok(store.put_board_override("hn.top", 1, R"({"note":"引号 \"x\""})", 2000)));
  ASSERT_TRUE(is_ok(store.put_board_override("hn.new", 0, R"({"group":"cn"})", 3000)));

  auto top = store.board_override("hn.top");
  ASSERT_TRUE(is_ok(top));
  ASSERT_TRUE(top->has_value());
  EXPECT_EQ((*top)->board, "hn.top");
  EXPECT_EQ((*top)->version, 2);
  EXPECT_EQ((*top)->json, R"({"note":"引号 \"x\""})");
  EXPECT_EQ((*top)->updated_ms, 2000);
  auto fresh = store.board_override("hn.new");
  ASSERT_TRUE(is_ok(fresh));
  ASSERT_TRUE(fresh->has_value());
  EXPECT_EQ((*fresh)->version, 1);
  EXPECT_EQ((*fresh)->json, R"({"group":"cn"})");
  for (const char* board : {"weibo.hot-search", "nope.board", ""}) {
    auto missing = store.board_override(board);
    ASSERT_TRUE(is_ok(missing)) << board;
    EXPECT_FALSE(missing->has_value()) << board;
  }
  // A second store (another process) sees it.
  auto opened = this->backend_.open(&this->clock_);
  ASSERT_TRUE(is_ok(opened));
  auto seen = (*opened)->board_override("hn.top");
  ASSERT_TRUE(is_ok(seen));
  ASSERT_TRUE(seen->has_value());
  EXPECT_EQ((*seen)->version, 2);
}

TYPED_TEST(StoreConformanceTest, BoardOverrideOfARetiredBoardIsNotFound) {
  ASSERT_TRUE(is_ok(this->store_->sync_catalogue({make_site("hn")}, {make_board("hn", "top")})));
  EXPECT_EQ(this->store_->put_board_override("hn.new", 0, "{}", 1).code(), ErrorCode::kNotFound);
  EXPECT_TRUE(is_ok(this->store_->put_board_override("hn.top", 0, "{}", 1)));
}

// --- accounts: users -----------------------------------------------------------------------

TYPED_TEST(StoreConformanceTest, UpsertUserCreatesThenRefreshesKeepingRoleAndCreation) {
  Store& store = *this->store_;
  auto alice = store.upsert_user("github", "101", "alice", "Alice", "https://a/1.png", 1000);
  ASSERT_TRUE(is_ok(alice));
  EXPECT_EQ(alice->id, 1);
  EXPECT_EQ(alice->role, kRoleUser);
  EXPECT_EQ(alice->created_ms, 1000);
  EXPECT_EQ(alice->last_login_ms, 1000);
  auto bob = store.upsert_user("github", "202", "bob", "", "", 1500);
  ASSERT_TRUE(is_ok(bob));
  EXPECT_EQ(bob->id, 2);

  ASSERT_TRUE(is_ok(store.set_role(alice->id, std::string(kRoleAdmin))));
  // Renamed on the provider: same user, new login, role and creation kept.
  auto again = store.upsert_user("github", "101", "alice2", "Alice B", "https://a/2.png", 5000);
  ASSERT_TRUE(is_ok(again));
  EXPECT_EQ(again->id, 1);
  EXPECT_EQ(again->login, "alice2");
  EXPECT_EQ(again->name, "Alice B");
  EXPECT_EQ(again->avatar_url, "https://a/2.png");
  EXPECT_EQ(again->role, kRoleAdmin);
  EXPECT_EQ(again->created_ms, 1000);
  EXPECT_EQ(again->last_login_ms, 5000);

  // Same provider id at another provider is another user.
  auto other = store.upsert_user("gitlab", "101", "alice", "", "", 6000);
  ASSERT_TRUE(is_ok(other));
  EXPECT_EQ(other->id, 3);

  auto by_id = store.user_by_id(1);
  ASSERT_TRUE(is_ok(by_id));
  ASSERT_TRUE(by_id->has_value());
  EXPECT_EQ((*by_id)->login, "alice2");
  EXPECT_EQ((*by_id)->provider, "github");
  EXPECT_EQ((*by_id)->provider_id, "101");
  auto none = store.user_by_id(99);
  ASSERT_TRUE(is_ok(none));
  EXPECT_FALSE(none->has_value());

  auto users = store.list_users();
  ASSERT_TRUE(is_ok(users));
  ASSERT_EQ(users->size(), 3u);
  EXPECT_EQ((*users)[0].login, "alice2");
  EXPECT_EQ((*users)[1].login, "bob");
  EXPECT_EQ((*users)[2].provider, "gitlab");
}

TYPED_TEST(StoreConformanceTest, UpsertUserRejectsEmptyIdentity) {
  Store& store = *this->store_;
  EXPECT_EQ(store.upsert_user("", "1", "a", "", "", 1).code(), ErrorCode::kInvalid);
  EXPECT_EQ(store.upsert_user("github", "", "a", "", "", 1).code(), ErrorCode::kInvalid);
  EXPECT_EQ(store.upsert_user("github", "1", "", "", "", 1).code(), ErrorCode::kInvalid);
  auto users = store.list_users();
  ASSERT_TRUE(is_ok(users));
  EXPECT_TRUE(users->empty());
}

// Issue 17: a GitHub account named like the local admin coexists with it; a role change
// names one user by id and touches no other user with the same login.
TYPED_TEST(StoreConformanceTest, SetRoleByIdLeavesAnotherUserWithTheSameLoginAlone) {
  Store& store = *this->store_;
  ASSERT_TRUE(is_ok(store.upsert_user("local", "admin", "local-admin", "Local admin", "", 1000)));
  ASSERT_TRUE(is_ok(store.upsert_user("github", "9", "local-admin", "Impostor", "", 2000)));
  auto latest = store.user_by_login("local-admin");
  ASSERT_TRUE(is_ok(latest));
  ASSERT_TRUE(latest->has_value());
  EXPECT_EQ((*latest)->id, 2);  // the login alone names the wrong one
  auto nobody = store.user_by_login("nobody");
  ASSERT_TRUE(is_ok(nobody));
  EXPECT_FALSE(nobody->has_value());

  auto admins = store.count_admins();
  ASSERT_TRUE(is_ok(admins));
  EXPECT_EQ(*admins, 0);
  ASSERT_TRUE(is_ok(store.set_role(1, "admin")));
  admins = store.count_admins();
  ASSERT_TRUE(is_ok(admins));
  EXPECT_EQ(*admins, 1);
  auto local = store.user_by_id(1);
  ASSERT_TRUE(is_ok(local));
  ASSERT_TRUE(local->has_value());
  EXPECT_EQ((*local)->role, kRoleAdmin);
  auto impostor = store.user_by_id(2);
  ASSERT_TRUE(is_ok(impostor));
  ASSERT_TRUE(impostor->has_value());
  EXPECT_EQ((*impostor)->role, kRoleUser);

  EXPECT_EQ(store.set_role(77, "admin").code(), ErrorCode::kNotFound);
  EXPECT_EQ(store.set_role(1, "root").code(), ErrorCode::kInvalid);
  EXPECT_EQ(store.set_role(1, "").code(), ErrorCode::kInvalid);
  ASSERT_TRUE(is_ok(store.set_role(1, "user")));
  admins = store.count_admins();
  ASSERT_TRUE(is_ok(admins));
  EXPECT_EQ(*admins, 0);
}

// --- accounts: sessions --------------------------------------------------------------------

TYPED_TEST(StoreConformanceTest, SessionLivesUntilItExpiresAndSlides) {
  Store& store = *this->store_;
  auto user = store.upsert_user("github", "1", "alice", "", "", 1000);
  ASSERT_TRUE(is_ok(user));
  const std::string id(64, 'a');
  ASSERT_TRUE(is_ok(store.create_session(id, user->id, "csrf-1", 1000, 5000, "Firefox")));
  EXPECT_EQ(store.create_session(id, user->id, "csrf-2", 1000, 5000, "").code(),
            ErrorCode::kConflict);

  auto live = store.session(id, 4999);
  ASSERT_TRUE(is_ok(live));
  ASSERT_TRUE(live->has_value());
  EXPECT_EQ((*live)->id_hash, id);
  EXPECT_EQ((*live)->user_id, user->id);
  EXPECT_EQ((*live)->csrf_token, "csrf-1");
  EXPECT_EQ((*live)->created_ms, 1000);
  EXPECT_EQ((*live)->last_seen_ms, 1000);
  EXPECT_EQ((*live)->expires_ms, 5000);
  EXPECT_EQ((*live)->user_agent, "Firefox");

  // Sliding expiry.
  ASSERT_TRUE(is_ok(store.touch_session(id, 4000, 9000)));
  live = store.session(id, 8000);
  ASSERT_TRUE(is_ok(live));
  ASSERT_TRUE(live->has_value());
  EXPECT_EQ((*live)->last_seen_ms, 4000);
  EXPECT_EQ((*live)->expires_ms, 9000);

  // Expired at expires_ms: gone, and its row deleted (a later time cannot revive it).
  auto dead = store.session(id, 9000);
  ASSERT_TRUE(is_ok(dead));
  EXPECT_FALSE(dead->has_value());
  EXPECT_EQ(store.touch_session(id, 9000, 20000).code(), ErrorCode::kNotFound);
  ASSERT_TRUE(is_ok(store.create_session(id, user->id, "csrf-3", 9500, 20000, "")));  // id free
  auto fresh = store.session(id, 9600);
  ASSERT_TRUE(is_ok(fresh));
  ASSERT_TRUE(fresh->has_value());
  EXPECT_EQ((*fresh)->csrf_token, "csrf-3");

  auto absent = store.session(std::string(64, 'b'), 1000);
  ASSERT_TRUE(is_ok(absent));
  EXPECT_FALSE(absent->has_value());
  EXPECT_EQ(store.touch_session(std::string(64, 'b'), 1000, 2000).code(), ErrorCode::kNotFound);
}

TYPED_TEST(StoreConformanceTest, ExpiredSessionCannotBeTouchedBackToLife) {
  Store& store = *this->store_;
  auto user = store.upsert_user("github", "1", "alice", "", "", 1000);
  ASSERT_TRUE(is_ok(user));
  ASSERT_TRUE(is_ok(store.create_session("s1", user->id, "c", 1000, 2000, "")));
  EXPECT_EQ(store.touch_session("s1", 2000, 9000).code(), ErrorCode::kNotFound);
  auto dead = store.session("s1", 2500);
  ASSERT_TRUE(is_ok(dead));
  EXPECT_FALSE(dead->has_value());
}

TYPED_TEST(StoreConformanceTest, CreateSessionChecksItsArguments) {
  Store& store = *this->store_;
  auto user = store.upsert_user("github", "1", "alice", "", "", 1000);
  ASSERT_TRUE(is_ok(user));
  EXPECT_EQ(store.create_session("", user->id, "c", 1, 2, "").code(), ErrorCode::kInvalid);
  EXPECT_EQ(store.create_session("s", user->id, "", 1, 2, "").code(), ErrorCode::kInvalid);
  EXPECT_EQ(store.create_session("s", 42, "c", 1, 2, "").code(), ErrorCode::kNotFound);
}

TYPED_TEST(StoreConformanceTest, SessionsAreDeletedOneOrPerUserAndCountedWhenActive) {
  Store& store = *this->store_;
  auto alice = store.upsert_user("github", "1", "alice", "", "", 1000);
  auto bob = store.upsert_user("github", "2", "bob", "", "", 1000);
  ASSERT_TRUE(is_ok(alice));
  ASSERT_TRUE(is_ok(bob));
  ASSERT_TRUE(is_ok(store.create_session("a1", alice->id, "c", 1000, 100000, "")));
  ASSERT_TRUE(is_ok(store.create_session("a2", alice->id, "c", 2000, 100000, "")));
  ASSERT_TRUE(is_ok(store.create_session("b1", bob->id, "c", 3000, 100000, "")));
  ASSERT_TRUE(is_ok(store.touch_session("a1", 5000, 100000)));

  auto active = store.count_active_sessions(2000);
  ASSERT_TRUE(is_ok(active));
  EXPECT_EQ(*active, 3);  // a1 (5000), a2 (2000), b1 (3000)
  active = store.count_active_sessions(3001);
  ASSERT_TRUE(is_ok(active));
  EXPECT_EQ(*active, 1);  // a1

  ASSERT_TRUE(is_ok(store.delete_session("b1")));
  EXPECT_TRUE(is_ok(store.delete_session("b1")));  // idempotent
  auto b1 = store.session("b1", 4000);
  ASSERT_TRUE(is_ok(b1));
  EXPECT_FALSE(b1->has_value());

  auto deleted = store.delete_user_sessions(alice->id);
  ASSERT_TRUE(is_ok(deleted));
  EXPECT_EQ(*deleted, 2);
  active = store.count_active_sessions(0);
  ASSERT_TRUE(is_ok(active));
  EXPECT_EQ(*active, 0);
  deleted = store.delete_user_sessions(alice->id);
  ASSERT_TRUE(is_ok(deleted));
  EXPECT_EQ(*deleted, 0);
}

// --- accounts: favorites -------------------------------------------------------------------

Favorite make_favorite(int64_t user_id, const std::string& board, const std::string& key,
                       const std::string& title, int64_t added_ms) {
  return Favorite{user_id, board, key, title, "https://example.com/" + key, added_ms};
}

TYPED_TEST(StoreConformanceTest, AddFavoriteIsIdempotentAndKeepsTheFirstCopy) {
  Store& store = *this->store_;
  auto user = store.upsert_user("github", "1", "alice", "", "", 1000);
  ASSERT_TRUE(is_ok(user));
  auto added = store.add_favorite(make_favorite(user->id, "hn.top", "a", "First title", 100), 0);
  ASSERT_TRUE(is_ok(added));
  EXPECT_TRUE(*added);
  added = store.add_favorite(make_favorite(user->id, "hn.top", "a", "Changed title", 900), 0);
  ASSERT_TRUE(is_ok(added));
  EXPECT_FALSE(*added);

  auto all = store.favorites(user->id, FavoriteQuery{});
  ASSERT_TRUE(is_ok(all));
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ(all->front().title, "First title");
  EXPECT_EQ(all->front().url, "https://example.com/a");
  EXPECT_EQ(all->front().added_ms, 100);
  EXPECT_EQ(all->front().user_id, user->id);

  EXPECT_EQ(store.add_favorite(make_favorite(user->id, "", "a", "t", 1), 0).code(),
            ErrorCode::kInvalid);
  EXPECT_EQ(store.add_favorite(make_favorite(user->id, "hn.top", "", "t", 1), 0).code(),
            ErrorCode::kInvalid);
  EXPECT_EQ(store.add_favorite(make_favorite(77, "hn.top", "a", "t", 1), 0).code(),
            ErrorCode::kNotFound);

  auto removed = store.remove_favorite(user->id, "hn.top", "a");
  ASSERT_TRUE(is_ok(removed));
  EXPECT_TRUE(*removed);
  removed = store.remove_favorite(user->id, "hn.top", "a");
  ASSERT_TRUE(is_ok(removed));
  EXPECT_FALSE(*removed);
  all = store.favorites(user->id, FavoriteQuery{});
  ASSERT_TRUE(is_ok(all));
  EXPECT_TRUE(all->empty());
}

TYPED_TEST(StoreConformanceTest, FavoritesAreNewestFirstFilteredAndPaged) {
  Store& store = *this->store_;
  auto alice = store.upsert_user("github", "1", "alice", "", "", 1000);
  auto bob = store.upsert_user("github", "2", "bob", "", "", 1000);
  ASSERT_TRUE(is_ok(alice));
  ASSERT_TRUE(is_ok(bob));
  const int64_t a = alice->id;
  ASSERT_TRUE(
      is_ok(store.add_favorite(make_favorite(a, "hn.top", "k1", "Rust 2.0 released", 10), 0)));
  ASSERT_TRUE(is_ok(store.add_favorite(make_favorite(a, "hn.new", "k2", "Why RUST wins", 30), 0)));
  ASSERT_TRUE(
      is_ok(store.add_favorite(make_favorite(a, "weibo.hot-search", "k3", "热搜 rust", 20), 0)));
  ASSERT_TRUE(is_ok(store.add_favorite(make_favorite(a, "hn.top", "k4", "100% off_sale", 40), 0)));
  ASSERT_TRUE(is_ok(store.add_favorite(make_favorite(bob->id, "hn.top", "k9", "rust too", 50), 0)));

  auto keys = [](const Result<std::vector<Favorite>>& favorites) {
    std::vector<std::string> out;
    if (favorites.ok()) {
      for (const Favorite& favorite : *favorites) out.push_back(favorite.item_key);
    }
    return out;
  };
  using Keys = std::vector<std::string>;
  auto all = store.favorites(a, FavoriteQuery{});
  ASSERT_TRUE(is_ok(all));
  EXPECT_EQ(keys(all), (Keys{"k4", "k2", "k3", "k1"}));
  EXPECT_EQ(keys(store.favorites(a, FavoriteQuery{"rust", "", 50, 0})), (Keys{"k2", "k3", "k1"}));
  EXPECT_EQ(keys(store.favorites(a, FavoriteQuery{"RuSt", "hn.top", 50, 0})), (Keys{"k1"}));
  EXPECT_EQ(keys(store.favorites(a, FavoriteQuery{"", "hn.top", 50, 0})), (Keys{"k4", "k1"}));
  EXPECT_EQ(keys(store.favorites(a, FavoriteQuery{"热搜", "", 50, 0})), (Keys{"k3"}));
  // LIKE wildcards in the query are literal.
  EXPECT_EQ(keys(store.favorites(a, FavoriteQuery{"0%", "", 50, 0})), (Keys{"k4"}));
  EXPECT_EQ(keys(store.favorites(a, FavoriteQuery{"f_s", "", 50, 0})), (Keys{"k4"}));
  EXPECT_EQ(keys(store.favorites(a, FavoriteQuery{"%", "", 50, 0})), (Keys{"k4"}));
  EXPECT_EQ(keys(store.favorites(a, FavoriteQuery{"_", "", 50, 0})), (Keys{"k4"}));
  // Paging.
  EXPECT_EQ(keys(store.favorites(a, FavoriteQuery{"", "", 2, 0})), (Keys{"k4", "k2"}));
  EXPECT_EQ(keys(store.favorites(a, FavoriteQuery{"", "", 2, 2})), (Keys{"k3", "k1"}));
  EXPECT_EQ(keys(store.favorites(a, FavoriteQuery{"", "", 2, 4})), Keys{});
  EXPECT_EQ(store.favorites(a, FavoriteQuery{"", "", -1, 0}).code(), ErrorCode::kInvalid);
  EXPECT_EQ(store.favorites(a, FavoriteQuery{"", "", 1, -1}).code(), ErrorCode::kInvalid);

  auto board_keys = store.favorite_keys(a, "hn.top");
  ASSERT_TRUE(is_ok(board_keys));
  EXPECT_EQ(*board_keys, (Keys{"k1", "k4"}));
  board_keys = store.favorite_keys(bob->id, "hn.new");
  ASSERT_TRUE(is_ok(board_keys));
  EXPECT_TRUE(board_keys->empty());
}

// --- accounts: preferences -----------------------------------------------------------------

TYPED_TEST(StoreConformanceTest, PreferencesAreCompareAndSet) {
  Store& store = *this->store_;
  auto user = store.upsert_user("github", "1", "alice", "", "", 1000);
  ASSERT_TRUE(is_ok(user));
  auto none = store.preferences(user->id);
  ASSERT_TRUE(is_ok(none));
  EXPECT_FALSE(none->has_value());

  auto first = store.put_preferences(user->id, 0, R"({"theme":"dark"})", 100);
  ASSERT_TRUE(is_ok(first));
  EXPECT_EQ(*first, 1);
  EXPECT_EQ(store.put_preferences(user->id, 0, "{}", 200).code(), ErrorCode::kConflict);
  EXPECT_EQ(store.put_preferences(user->id, 3, "{}", 200).code(), ErrorCode::kConflict);
  auto second = store.put_preferences(user->id, 1, R"({"theme":"浅色"})", 300);
  ASSERT_TRUE(is_ok(second));
  EXPECT_EQ(*second, 2);

  auto stored = store.preferences(user->id);
  ASSERT_TRUE(is_ok(stored));
  ASSERT_TRUE(stored->has_value());
  EXPECT_EQ((*stored)->user_id, user->id);
  EXPECT_EQ((*stored)->version, 2);
  EXPECT_EQ((*stored)->body, R"({"theme":"浅色"})");
  EXPECT_EQ((*stored)->updated_ms, 300);

  EXPECT_EQ(store.put_preferences(99, 0, "{}", 1).code(), ErrorCode::kNotFound);
}

// --- accounts: audit log -------------------------------------------------------------------

TYPED_TEST(StoreConformanceTest, AuditLogIsAppendOnlyNewestFirstAndPaged) {
  Store& store = *this->store_;
  for (int i = 1; i <= 5; ++i) {
    auto id = store.append_audit(AuditRecord{0, 1000 * i, "alice", "board.disable", "hn.top",
                                             i == 3 ? "" : R"({"n":)" + std::to_string(i) + "}"});
    ASSERT_TRUE(is_ok(id));
    EXPECT_EQ(*id, i);
  }
  EXPECT_EQ(store.append_audit(AuditRecord{0, 1, "alice", "", "x", "{}"}).code(),
            ErrorCode::kInvalid);

  auto newest = store.audit_log(2, 0);
  ASSERT_TRUE(is_ok(newest));
  ASSERT_EQ(newest->size(), 2u);
  EXPECT_EQ((*newest)[0].id, 5);
  EXPECT_EQ((*newest)[0].at_ms, 5000);
  EXPECT_EQ((*newest)[0].actor, "alice");
  EXPECT_EQ((*newest)[0].action, "board.disable");
  EXPECT_EQ((*newest)[0].target, "hn.top");
  EXPECT_EQ((*newest)[0].detail, R"({"n":5})");
  EXPECT_EQ((*newest)[1].id, 4);

  auto older = store.audit_log(10, 4);
  ASSERT_TRUE(is_ok(older));
  ASSERT_EQ(older->size(), 3u);
  EXPECT_EQ((*older)[0].id, 3);
  EXPECT_EQ((*older)[0].detail, "{}");  // empty detail is stored as an empty object
  EXPECT_EQ((*older)[2].id, 1);
  auto empty = store.audit_log(0, 0);
  ASSERT_TRUE(is_ok(empty));
  EXPECT_TRUE(empty->empty());
  EXPECT_EQ(store.audit_log(-1, 0).code(), ErrorCode::kInvalid);
}

// --- accounts: presence --------------------------------------------------------------------

TYPED_TEST(StoreConformanceTest, PresenceIsZeroWithoutReports) {
  auto count = this->store_->count_presence(0);
  ASSERT_TRUE(is_ok(count));
  EXPECT_EQ(*count, 0);
}

TYPED_TEST(StoreConformanceTest, PutPresenceReplacesTheInstancesRow) {
  Store& store = *this->store_;
  ASSERT_TRUE(is_ok(store.put_presence("api-1", 7, 1000)));
  ASSERT_TRUE(is_ok(store.put_presence("api-1", 3, 2000)));
  auto count = store.count_presence(0);
  ASSERT_TRUE(is_ok(count));
  EXPECT_EQ(*count, 3);  // replaced, not added
  // The update moved its time too: a window that starts after the first report still sees
  // it.
  auto recent = store.count_presence(1500);
  ASSERT_TRUE(is_ok(recent));
  EXPECT_EQ(*recent, 3);
  // Down to zero readers is a report like any other.
  ASSERT_TRUE(is_ok(store.put_presence("api-1", 0, 3000)));
  auto none = store.count_presence(0);
  ASSERT_TRUE(is_ok(none));
  EXPECT_EQ(*none, 0);
}

TYPED_TEST(StoreConformanceTest, CountPresenceSumsTheInstancesUpdatedSince) {
  Store& store = *this->store_;
  ASSERT_TRUE(is_ok(store.put_presence("api-1", 5, 10'000)));
  ASSERT_TRUE(is_ok(store.put_presence("api-2", 11, 20'000)));
  ASSERT_TRUE(is_ok(store.put_presence("实例-3", 100, 30'000)));
  const std::map<int64_t, int64_t> expected = {{0, 116},      {10'000, 116}, {10'001, 111},
                                               {20'000, 111}, {30'000, 100}, {30'001, 0}};
  for (const auto& [since, sum] : expected) {
    auto count = store.count_presence(since);
    ASSERT_TRUE(is_ok(count)) << since;
    EXPECT_EQ(*count, sum) << "since " << since;
  }
  // A stale instance that reports again counts again.
  ASSERT_TRUE(is_ok(store.put_presence("api-1", 2, 40'000)));
  auto count = store.count_presence(30'000);
  ASSERT_TRUE(is_ok(count));
  EXPECT_EQ(*count, 102);
  // Large counts do not overflow a 32-bit sum.
  ASSERT_TRUE(is_ok(store.put_presence("api-2", int64_t{5'000'000'000}, 40'000)));
  auto big = store.count_presence(40'000);
  ASSERT_TRUE(is_ok(big));
  EXPECT_EQ(*big, int64_t{5'000'000'002});
}

TYPED_TEST(StoreConformanceTest, PutPresenceRejectsAnEmptyInstanceOrNegativeReaders) {
  Store& store = *this->store_;
  EXPECT_EQ(store.put_presence("", 1, 1000).code(), ErrorCode::kInvalid);
  EXPECT_EQ(store.put_presence("api-1", -1, 1000).code(), ErrorCode::kInvalid);
  auto count = store.count_presence(0);
  ASSERT_TRUE(is_ok(count));
  EXPECT_EQ(*count, 0);  // nothing was written
}

TYPED_TEST(StoreConformanceTest, PresenceIsSharedWithASecondStore) {
  ASSERT_TRUE(is_ok(this->store_->put_presence("api-1", 4, 1000)));
  auto opened = this->backend_.open(&this->clock_);
  ASSERT_TRUE(is_ok(opened));
  std::unique_ptr<Store> other = std::move(opened).value();
  ASSERT_TRUE(is_ok(other->migrate()));
  ASSERT_TRUE(is_ok(other->put_presence("api-2", 6, 1000)));
  auto count = this->store_->count_presence(1000);
  ASSERT_TRUE(is_ok(count));
  EXPECT_EQ(*count, 10);
}

// --- credentials ----------------------------------------------------------------------

TYPED_TEST(StoreConformanceTest, CredentialsAreUpsertedListedByNameAndDeleted) {
  Store& store = *this->store_;
  ASSERT_TRUE(is_ok(store.put_credential({"zhihu.cookie", "v1.sealed-a", 100, "boss"})));
  ASSERT_TRUE(is_ok(store.put_credential({"weibo.hot.proxy", "v1.sealed-b", 200, "boss"})));
  ASSERT_TRUE(is_ok(store.put_credential({"zhihu.cookie", "v1.sealed-c", 300, "root"})));
  auto all = store.credentials();
  ASSERT_TRUE(is_ok(all));
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].name, "weibo.hot.proxy");
  EXPECT_EQ((*all)[1].name, "zhihu.cookie");
  EXPECT_EQ((*all)[1].sealed, "v1.sealed-c");
  EXPECT_EQ((*all)[1].updated_ms, 300);
  EXPECT_EQ((*all)[1].updated_by, "root");
  EXPECT_EQ(store.put_credential({"", "x", 1, ""}).code(), ErrorCode::kInvalid);
  EXPECT_EQ(store.put_credential({"a.cookie", "", 1, ""}).code(), ErrorCode::kInvalid);
  auto gone = store.delete_credential("zhihu.cookie");
  ASSERT_TRUE(is_ok(gone));
  EXPECT_TRUE(*gone);
  gone = store.delete_credential("zhihu.cookie");
  ASSERT_TRUE(is_ok(gone));
  EXPECT_FALSE(*gone);
  all = store.credentials();
  ASSERT_TRUE(is_ok(all));
  EXPECT_EQ(all->size(), 1u);
}

// --- alerts: documents, matches, the delivery outbox -----------------------------------

NewMatch alert_match(const std::string& rule, int64_t user, const std::string& key,
                     std::vector<std::string> channels, int64_t due_ms) {
  NewMatch n;
  n.match = AlertMatch{0,
                       rule,
                       user,
                       "weibo.hot-search",
                       key,
                       "标题 " + key,
                       "https://s.weibo.com/weibo?q=" + key,
                       3,
                       "12.5万",
                       due_ms};
  n.channel_ids = std::move(channels);
  n.deliver_at_ms = due_ms;
  return n;
}

TYPED_TEST(StoreConformanceTest, DocumentsAreOwnedCappedAndCountedInRevisions) {
  Store& store = *this->store_;
  auto alice = store.upsert_user("github", "101", "alice", "", "", 1000);
  auto bob = store.upsert_user("github", "202", "bob", "", "", 1000);
  ASSERT_TRUE(is_ok(alice));
  ASSERT_TRUE(is_ok(bob));
  EXPECT_EQ(*store.document_revision(kRuleDocument), 0);
  ASSERT_TRUE(is_ok(store.put_document({"rule", "r1", alice->id, R"({"q":"火灾"})", 10}, 2)));
  ASSERT_TRUE(is_ok(store.put_document({"rule", "r2", alice->id, "{}", 11}, 2)));
  // The cap counts new documents only; replacing one is fine.
  EXPECT_EQ(store.put_document({"rule", "r3", alice->id, "{}", 12}, 2).code(),
            ErrorCode::kConflict);
  EXPECT_TRUE(is_ok(store.put_document({"rule", "r2", alice->id, R"({"v":2})", 13}, 2)));
  // Another user cannot take over alice's id.
  EXPECT_EQ(store.put_document({"rule", "r1", bob->id, "{}", 14}, 0).code(), ErrorCode::kNotFound);
  EXPECT_EQ(store.put_document({"rule", "rx", 999999, "{}", 14}, 0).code(), ErrorCode::kNotFound);
  EXPECT_EQ(store.put_document({"", "r9", alice->id, "{}", 14}, 0).code(), ErrorCode::kInvalid);
  ASSERT_TRUE(is_ok(store.put_document({"channel", "c1", bob->id, "{}", 15}, 0)));
  EXPECT_EQ(*store.document_revision(kRuleDocument), 3);
  EXPECT_EQ(*store.document_revision(kChannelDocument), 1);

  auto mine = store.documents(kRuleDocument, alice->id);
  ASSERT_TRUE(is_ok(mine));
  ASSERT_EQ(mine->size(), 2u);
  EXPECT_EQ((*mine)[0].id, "r1");
  EXPECT_EQ((*mine)[0].body, R"({"q":"火灾"})");
  EXPECT_EQ((*mine)[1].body, R"({"v":2})");
  EXPECT_EQ((*mine)[1].updated_ms, 13);
  EXPECT_EQ(store.documents(kRuleDocument, bob->id)->size(), 0u);
  EXPECT_EQ(store.documents(kRuleDocument, 0)->size(), 2u);
  auto one = store.document(kChannelDocument, "c1");
  ASSERT_TRUE(is_ok(one));
  ASSERT_TRUE(one->has_value());
  EXPECT_EQ((*one)->user_id, bob->id);
  EXPECT_FALSE(store.document(kRuleDocument, "c1")->has_value());

  // Only the owner (or anyone, with user 0) deletes.
  EXPECT_FALSE(*store.delete_document(kRuleDocument, "r1", bob->id));
  EXPECT_TRUE(*store.delete_document(kRuleDocument, "r1", alice->id));
  EXPECT_FALSE(*store.delete_document(kRuleDocument, "r1", alice->id));
  EXPECT_TRUE(*store.delete_document(kRuleDocument, "r2", 0));
  EXPECT_EQ(*store.document_revision(kRuleDocument), 5);
}

TYPED_TEST(StoreConformanceTest, MatchesAreRecordedOncePerRuleAndItemWithTheirDeliveries) {
  Store& store = *this->store_;
  auto alice = store.upsert_user("github", "101", "alice", "", "", 1000);
  ASSERT_TRUE(is_ok(alice));
  const int64_t u = alice->id;
  auto added = store.record_matches(
      {alert_match("r1", u, "a", {"c1", "c2"}, 100), alert_match("r1", u, "b", {"c1"}, 100),
       alert_match("r2", u, "a", {}, 100)},
      std::nullopt);
  ASSERT_TRUE(is_ok(added));
  EXPECT_EQ(*added, 3);
  // The same (rule, item) again — another leader, a retry — is not a new match and adds no
  // delivery, even to another channel.
  added = store.record_matches(
      {alert_match("r1", u, "a", {"c1", "c3"}, 200), alert_match("r1", u, "c", {"c1"}, 200)},
      std::nullopt);
  ASSERT_TRUE(is_ok(added));
  EXPECT_EQ(*added, 1);
  EXPECT_EQ(store.record_matches({alert_match("", u, "z", {}, 1)}, std::nullopt).code(),
            ErrorCode::kInvalid);

  auto matches = store.alert_matches("r1", 10);
  ASSERT_TRUE(is_ok(matches));
  ASSERT_EQ(matches->size(), 3u);
  EXPECT_EQ((*matches)[0].item_key, "c");  // newest first
  EXPECT_EQ((*matches)[2].title, "标题 a");
  EXPECT_EQ((*matches)[2].hot_text, "12.5万");
  EXPECT_EQ((*matches)[2].rank, 3);
  auto all = store.deliveries(DeliveryQuery{});
  ASSERT_TRUE(is_ok(all));
  ASSERT_EQ(all->size(), 4u);  // a→c1, a→c2, b→c1, c→c1
  for (const auto& d : *all) {
    EXPECT_EQ(d.state, DeliveryState::kPending);
    EXPECT_EQ(d.match.rule_id, "r1");
  }
  DeliveryQuery of_c2;
  of_c2.rule_id = "r2";
  EXPECT_EQ(store.deliveries(of_c2)->size(), 0u);
}

TYPED_TEST(StoreConformanceTest, TheEvaluationCursorMovesWithTheMatchesAndNeverBack) {
  Store& store = *this->store_;
  auto alice = store.upsert_user("github", "101", "alice", "", "", 1000);
  ASSERT_TRUE(is_ok(alice));
  EXPECT_EQ(*store.alert_cursor("weibo.hot-search"), 0);
  // No match, only the cursor (an update that fired nothing).
  ASSERT_TRUE(is_ok(store.record_matches({}, AlertCursor{"weibo.hot-search", 5000})));
  EXPECT_EQ(*store.alert_cursor("weibo.hot-search"), 5000);
  ASSERT_TRUE(is_ok(store.record_matches({alert_match("r1", alice->id, "a", {"c1"}, 1)},
                                         AlertCursor{"weibo.hot-search", 7000})));
  EXPECT_EQ(*store.alert_cursor("weibo.hot-search"), 7000);
  // An older evaluation finishing late does not move it back.
  ASSERT_TRUE(is_ok(store.record_matches({}, AlertCursor{"weibo.hot-search", 6000})));
  EXPECT_EQ(*store.alert_cursor("weibo.hot-search"), 7000);
  EXPECT_EQ(*store.alert_cursor("hn.top"), 0);
  // A cursor in a failed transaction does not move either.
  EXPECT_EQ(store
                .record_matches({alert_match("", alice->id, "z", {}, 1)},
                                AlertCursor{"weibo.hot-search", 9000})
                .code(),
            ErrorCode::kInvalid);
  EXPECT_EQ(*store.alert_cursor("weibo.hot-search"), 7000);
}

TYPED_TEST(StoreConformanceTest, DeliveriesAreClaimedWhenDueLeasedAndSettled) {
  Store& store = *this->store_;
  auto alice = store.upsert_user("github", "101", "alice", "", "", 1000);
  ASSERT_TRUE(is_ok(alice));
  const int64_t u = alice->id;
  ASSERT_TRUE(is_ok(store.record_matches(
      {alert_match("r1", u, "a", {"c1"}, 100), alert_match("r1", u, "b", {"c1"}, 500)},
      std::nullopt)));
  // Only the due one, and once: a claim leases it until 1100.
  auto first = store.claim_deliveries(200, 1100, 10);
  ASSERT_TRUE(is_ok(first));
  ASSERT_EQ(first->size(), 1u);
  const DeliveryRecord a = (*first)[0];
  EXPECT_EQ(a.match.item_key, "a");
  EXPECT_EQ(a.channel_id, "c1");
  EXPECT_EQ(a.attempts, 0);
  EXPECT_EQ(store.claim_deliveries(400, 1400, 10)->size(), 0u);
  // b comes due; a worker that died leaves a to be claimed again after its lease.
  auto later = store.claim_deliveries(1200, 2200, 10);
  ASSERT_TRUE(is_ok(later));
  ASSERT_EQ(later->size(), 2u);
  EXPECT_EQ((*later)[0].id, a.id);
  // Settled: a sent, b retried later then dead.
  ASSERT_TRUE(is_ok(store.update_delivery({a.id, DeliveryState::kSent, 1, 0, 1300, ""})));
  const int64_t b = (*later)[1].id;
  ASSERT_TRUE(is_ok(store.update_delivery({b, DeliveryState::kPending, 1, 5000, 0, "HTTP 500"})));
  EXPECT_EQ(store.claim_deliveries(4999, 6000, 10)->size(), 0u);
  ASSERT_EQ(store.claim_deliveries(5000, 6000, 10)->size(), 1u);
  ASSERT_TRUE(is_ok(store.update_delivery({b, DeliveryState::kDead, 2, 0, 0, "HTTP 500"})));
  EXPECT_EQ(store.claim_deliveries(99999, 100000, 10)->size(), 0u);
  EXPECT_EQ(store.update_delivery({987654, DeliveryState::kSent, 1, 0, 1, ""}).code(),
            ErrorCode::kNotFound);

  DeliveryQuery dead;
  dead.state = DeliveryState::kDead;
  auto listed = store.deliveries(dead);
  ASSERT_TRUE(is_ok(listed));
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].last_error, "HTTP 500");
  EXPECT_EQ((*listed)[0].attempts, 2);
  DeliveryQuery page;
  page.limit = 1;
  auto newest = store.deliveries(page);
  ASSERT_EQ(newest->size(), 1u);
  page.before_id = (*newest)[0].id;
  auto next = store.deliveries(page);
  ASSERT_EQ(next->size(), 1u);
  EXPECT_LT((*next)[0].id, page.before_id);
  DeliveryQuery of_other;
  of_other.user_id = u + 1000;
  EXPECT_EQ(store.deliveries(of_other)->size(), 0u);

  // Pruning keeps what is pending; deleting a rule takes its matches and deliveries.
  ASSERT_TRUE(is_ok(store.record_matches({alert_match("r1", u, "c", {"c1"}, 50)}, std::nullopt)));
  auto pruned = store.prune_alerts(10000);
  ASSERT_TRUE(is_ok(pruned));
  EXPECT_EQ(*pruned, 2);  // a (sent) and b (dead); c is pending
  ASSERT_TRUE(is_ok(store.put_document({"rule", "r1", u, "{}", 1}, 0)));
  EXPECT_TRUE(*store.delete_document(kRuleDocument, "r1", u));
  EXPECT_EQ(store.alert_matches("r1", 10)->size(), 0u);
  EXPECT_EQ(store.deliveries(DeliveryQuery{})->size(), 0u);
}

TYPED_TEST(StoreConformanceTest, DeletingAChannelDropsItsDeliveriesOnly) {
  Store& store = *this->store_;
  auto alice = store.upsert_user("github", "101", "alice", "", "", 1000);
  ASSERT_TRUE(is_ok(alice));
  ASSERT_TRUE(is_ok(store.put_document({"channel", "c1", alice->id, "{}", 1}, 0)));
  ASSERT_TRUE(is_ok(
      store.record_matches({alert_match("r1", alice->id, "a", {"c1", "c2"}, 1)}, std::nullopt)));
  EXPECT_TRUE(*store.delete_document(kChannelDocument, "c1", alice->id));
  auto left = store.deliveries(DeliveryQuery{});
  ASSERT_TRUE(is_ok(left));
  ASSERT_EQ(left->size(), 1u);
  EXPECT_EQ((*left)[0].channel_id, "c2");
  EXPECT_EQ(store.alert_matches("r1", 10)->size(), 1u);
}

// --- accounts: API keys ---------------------------------------------------------------

ApiKeyRecord make_api_key(int64_t user_id, const std::string& id, int64_t created_ms) {
  ApiKeyRecord key;
  key.id = id;
  key.user_id = user_id;
  key.name = "script " + id;
  key.secret_hash = "hash-" + id;
  key.prefix = "mu_" + id;
  key.created_ms = created_ms;
  return key;
}

TYPED_TEST(StoreConformanceTest, ApiKeysAreFoundByHashListedNewestFirstAndRevoked) {
  Store& store = *this->store_;
  auto alice = store.upsert_user("github", "1", "alice", "", "", 1000);
  auto bob = store.upsert_user("github", "2", "bob", "", "", 1000);
  ASSERT_TRUE(is_ok(alice));
  ASSERT_TRUE(is_ok(bob));
  ApiKeyRecord limited = make_api_key(alice->id, "k1", 100);
  limited.per_minute = 120;
  limited.burst = 30;
  ASSERT_TRUE(is_ok(store.create_api_key(limited, 0)));
  ASSERT_TRUE(is_ok(store.create_api_key(make_api_key(alice->id, "k2", 200), 0)));
  ASSERT_TRUE(is_ok(store.create_api_key(make_api_key(bob->id, "k3", 150), 0)));

  auto mine = store.api_keys(alice->id);
  ASSERT_TRUE(is_ok(mine));
  ASSERT_EQ(mine->size(), 2u);
  EXPECT_EQ((*mine)[0].id, "k2");
  EXPECT_EQ((*mine)[1].id, "k1");
  EXPECT_EQ((*mine)[1].per_minute, 120);
  EXPECT_EQ((*mine)[1].burst, 30);
  EXPECT_EQ((*mine)[1].name, "script k1");
  EXPECT_EQ((*mine)[1].prefix, "mu_k1");
  auto all = store.api_keys(0);
  ASSERT_TRUE(is_ok(all));
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[1].id, "k3");

  auto found = store.api_key_by_hash("hash-k3");
  ASSERT_TRUE(is_ok(found));
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->user_id, bob->id);
  EXPECT_EQ((*found)->revoked_ms, 0);
  auto missing = store.api_key_by_hash("hash-nope");
  ASSERT_TRUE(is_ok(missing));
  EXPECT_FALSE(missing->has_value());

  // Only the owner (or user 0, the admin's "any") revokes, once.
  auto revoked = store.revoke_api_key("k3", alice->id, 500);
  ASSERT_TRUE(is_ok(revoked));
  EXPECT_FALSE(*revoked);
  revoked = store.revoke_api_key("k3", bob->id, 500);
  ASSERT_TRUE(is_ok(revoked));
  EXPECT_TRUE(*revoked);
  revoked = store.revoke_api_key("k3", 0, 600);
  ASSERT_TRUE(is_ok(revoked));
  EXPECT_FALSE(*revoked);
  found = store.api_key_by_hash("hash-k3");
  ASSERT_TRUE(is_ok(found));
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->revoked_ms, 500);
  revoked = store.revoke_api_key("k1", 0, 700);
  ASSERT_TRUE(is_ok(revoked));
  EXPECT_TRUE(*revoked);
}

TYPED_TEST(StoreConformanceTest, CreateApiKeyChecksItsInputAndTheCap) {
  Store& store = *this->store_;
  auto alice = store.upsert_user("github", "1", "alice", "", "", 1000);
  ASSERT_TRUE(is_ok(alice));
  ASSERT_TRUE(is_ok(store.create_api_key(make_api_key(alice->id, "a", 1), 2)));
  EXPECT_EQ(store.create_api_key(make_api_key(alice->id, "a", 2), 2).code(), ErrorCode::kConflict);
  ApiKeyRecord same_secret = make_api_key(alice->id, "b", 2);
  same_secret.secret_hash = "hash-a";
  EXPECT_EQ(store.create_api_key(same_secret, 2).code(), ErrorCode::kConflict);
  ASSERT_TRUE(is_ok(store.create_api_key(make_api_key(alice->id, "b", 2), 2)));
  EXPECT_EQ(store.create_api_key(make_api_key(alice->id, "c", 3), 2).code(), ErrorCode::kTooLarge);
  // A revoked key no longer counts against the cap.
  ASSERT_TRUE(is_ok(store.revoke_api_key("a", alice->id, 10)));
  EXPECT_TRUE(is_ok(store.create_api_key(make_api_key(alice->id, "c", 3), 2)));

  EXPECT_EQ(store.create_api_key(make_api_key(77, "d", 1), 0).code(), ErrorCode::kNotFound);
  ApiKeyRecord bad = make_api_key(alice->id, "", 1);
  EXPECT_EQ(store.create_api_key(bad, 0).code(), ErrorCode::kInvalid);
  bad = make_api_key(alice->id, "e", 1);
  bad.secret_hash.clear();
  EXPECT_EQ(store.create_api_key(bad, 0).code(), ErrorCode::kInvalid);
  bad = make_api_key(alice->id, "e", 1);
  bad.per_minute = -1;
  EXPECT_EQ(store.create_api_key(bad, 0).code(), ErrorCode::kInvalid);
  EXPECT_EQ(store.create_api_key(make_api_key(alice->id, "e", 1), -1).code(), ErrorCode::kInvalid);
}

TYPED_TEST(StoreConformanceTest, ApiKeyUsageAddsUpAndLimitsChange) {
  Store& store = *this->store_;
  auto alice = store.upsert_user("github", "1", "alice", "", "", 1000);
  ASSERT_TRUE(is_ok(alice));
  ASSERT_TRUE(is_ok(store.create_api_key(make_api_key(alice->id, "k", 1), 0)));
  ASSERT_TRUE(is_ok(store.add_api_key_usage({{"k", 5, 2000}, {"gone", 3, 2000}})));
  ASSERT_TRUE(is_ok(store.add_api_key_usage({{"k", 7, 1500}})));  // an older batch
  ASSERT_TRUE(is_ok(store.add_api_key_usage({})));
  EXPECT_EQ(store.add_api_key_usage({{"k", -1, 1}}).code(), ErrorCode::kInvalid);
  ASSERT_TRUE(is_ok(store.set_api_key_limits("k", 600, 100)));
  EXPECT_EQ(store.set_api_key_limits("nope", 1, 1).code(), ErrorCode::kNotFound);
  EXPECT_EQ(store.set_api_key_limits("k", -5, 1).code(), ErrorCode::kInvalid);
  auto found = store.api_key_by_hash("hash-k");
  ASSERT_TRUE(is_ok(found));
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->requests, 12);
  EXPECT_EQ((*found)->last_used_ms, 2000);
  EXPECT_EQ((*found)->per_minute, 600);
  EXPECT_EQ((*found)->burst, 100);
}

TYPED_TEST(StoreConformanceTest, AccountsAreSharedWithASecondStore) {
  auto user = this->store_->upsert_user("github", "1", "alice", "", "", 1000);
  ASSERT_TRUE(is_ok(user));
  ASSERT_TRUE(is_ok(this->store_->create_session("s", user->id, "c", 1000, 9000, "")));
  auto opened = this->backend_.open(&this->clock_);
  ASSERT_TRUE(is_ok(opened));
  std::unique_ptr<Store> other = std::move(opened).value();
  ASSERT_TRUE(is_ok(other->migrate()));
  auto seen = other->session("s", 2000);
  ASSERT_TRUE(is_ok(seen));
  ASSERT_TRUE(seen->has_value());
  EXPECT_EQ((*seen)->user_id, user->id);
  // Ids keep growing across stores.
  auto bob = other->upsert_user("github", "2", "bob", "", "", 2000);
  ASSERT_TRUE(is_ok(bob));
  EXPECT_EQ(bob->id, 2);
  auto audit = other->append_audit(AuditRecord{0, 1, "alice", "login", "", ""});
  ASSERT_TRUE(is_ok(audit));
  auto next = this->store_->append_audit(AuditRecord{0, 2, "bob", "login", "", ""});
  ASSERT_TRUE(is_ok(next));
  EXPECT_EQ(*next, *audit + 1);
}

// --- accounts: sign-ins in progress ----------------------------------------------------------

TYPED_TEST(StoreConformanceTest, LoginStateIsTakenOnce) {
  Store& store = *this->store_;
  ASSERT_TRUE(is_ok(store.put_login_state("h1", "verifier-1", "/boards/hn?x=1", 10'000, {})));
  ASSERT_TRUE(is_ok(store.put_login_state("h2", "verifier-2", "/", 10'000, {})));
  auto taken = store.take_login_state("h1", 9'999);
  ASSERT_TRUE(is_ok(taken));
  ASSERT_TRUE(taken->has_value());
  EXPECT_EQ((*taken)->state_hash, "h1");
  EXPECT_EQ((*taken)->code_verifier, "verifier-1");
  EXPECT_EQ((*taken)->return_to, "/boards/hn?x=1");
  EXPECT_EQ((*taken)->expires_ms, 10'000);
  auto again = store.take_login_state("h1", 9'999);
  ASSERT_TRUE(is_ok(again));
  EXPECT_FALSE(again->has_value());
  auto unknown = store.take_login_state("h3", 0);
  ASSERT_TRUE(is_ok(unknown));
  EXPECT_FALSE(unknown->has_value());
  auto other = store.take_login_state("h2", 0);  // untouched by the others
  ASSERT_TRUE(is_ok(other));
  ASSERT_TRUE(other->has_value());
  EXPECT_EQ((*other)->code_verifier, "verifier-2");
}

TYPED_TEST(StoreConformanceTest, ExpiredLoginStateIsAbsentAndGone) {
  Store& store = *this->store_;
  ASSERT_TRUE(is_ok(store.put_login_state("h1", "v", "/", 10'000, {})));
  auto expired = store.take_login_state("h1", 10'000);  // dead from expires_ms on
  ASSERT_TRUE(is_ok(expired));
  EXPECT_FALSE(expired->has_value());
  auto gone = store.take_login_state("h1", 0);
  ASSERT_TRUE(is_ok(gone));
  EXPECT_FALSE(gone->has_value());
}

TYPED_TEST(StoreConformanceTest, TakeLoginStatePurgesExpiredRows) {
  Store& store = *this->store_;
  ASSERT_TRUE(is_ok(store.put_login_state("old", "v", "/", 1'000, {})));
  ASSERT_TRUE(is_ok(store.put_login_state("live", "v", "/", 5'000, {})));
  auto none = store.take_login_state("unrelated", 2'000);
  ASSERT_TRUE(is_ok(none));
  EXPECT_FALSE(none->has_value());
  auto old = store.take_login_state("old", 0);  // purged at 2000, even read as of 0
  ASSERT_TRUE(is_ok(old));
  EXPECT_FALSE(old->has_value());
  auto live = store.take_login_state("live", 0);
  ASSERT_TRUE(is_ok(live));
  EXPECT_TRUE(live->has_value());
}

TYPED_TEST(StoreConformanceTest, PutLoginStatePurgesRowsExpiredADayBeforeIt) {
  Store& store = *this->store_;
  ASSERT_TRUE(is_ok(store.put_login_state("old", "v", "/", 1'000, {})));
  ASSERT_TRUE(
      is_ok(store.put_login_state("b", "v", "/", 1'000 + kLoginStatePurgeHorizonMs - 1, {})));
  auto kept = store.take_login_state("old", 0);
  ASSERT_TRUE(is_ok(kept));
  EXPECT_TRUE(kept->has_value()) << "expired less than a day before the new row: kept";
  ASSERT_TRUE(is_ok(store.put_login_state("old", "v", "/", 1'000, {})));
  ASSERT_TRUE(is_ok(store.put_login_state("c", "v", "/", 1'000 + kLoginStatePurgeHorizonMs, {})));
  auto purged = store.take_login_state("old", 0);
  ASSERT_TRUE(is_ok(purged));
  EXPECT_FALSE(purged->has_value());
  auto b = store.take_login_state("b", 0);
  ASSERT_TRUE(is_ok(b));
  EXPECT_TRUE(b->has_value());
}

TYPED_TEST(StoreConformanceTest, AddFavoriteStopsAtThePerUserCap) {
  Store& store = *this->store_;
  auto user = store.upsert_user("github", "1", "alice", "", "", 1000);
  ASSERT_TRUE(is_ok(user));
  auto other = store.upsert_user("github", "2", "bob", "", "", 1000);
  ASSERT_TRUE(is_ok(other));
  for (int i = 0; i < 3; ++i) {
    auto added =
        store.add_favorite(make_favorite(user->id, "hn.top", "k" + std::to_string(i), "t", i), 3);
    ASSERT_TRUE(is_ok(added));
    EXPECT_TRUE(*added);
  }
  auto full = store.add_favorite(make_favorite(user->id, "hn.top", "k3", "t", 9), 3);
  EXPECT_EQ(full.code(), ErrorCode::kTooLarge);
  // Adding one the user has already is still fine (idempotent), and others have their own cap.
  auto known = store.add_favorite(make_favorite(user->id, "hn.top", "k0", "t", 9), 3);
  ASSERT_TRUE(is_ok(known));
  EXPECT_FALSE(*known);
  EXPECT_TRUE(is_ok(store.add_favorite(make_favorite(other->id, "hn.top", "k3", "t", 9), 3)));
  auto all = store.favorites(user->id, FavoriteQuery{});
  ASSERT_TRUE(is_ok(all));
  EXPECT_EQ(all->size(), 3u);
  EXPECT_EQ(store.add_favorite(make_favorite(user->id, "hn.top", "k5", "t", 9), -1).code(),
            ErrorCode::kInvalid);
  ASSERT_TRUE(is_ok(store.remove_favorite(user->id, "hn.top", "k1")));
  EXPECT_TRUE(is_ok(store.add_favorite(make_favorite(user->id, "hn.top", "k3", "t", 9), 3)));
}

// Issue 17: a flood of sign-in starts keeps at most the caps, evicting the oldest.
TYPED_TEST(StoreConformanceTest, PutLoginStateEvictsTheOldestBeyondTheCaps) {
  Store& store = *this->store_;
  const LoginStateLimits flood{"10.0.0.1", 5, 8};
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(is_ok(store.put_login_state("f" + std::to_string(i), "v", "/", 10'000 + i, flood)));
  }
  auto count = store.count_login_states();
  ASSERT_TRUE(is_ok(count));
  EXPECT_EQ(*count, 5);  // the per-client cap
  // The newest five are kept, the older ones were evicted.
  auto newest = store.take_login_state("f49", 0);
  ASSERT_TRUE(is_ok(newest));
  EXPECT_TRUE(newest->has_value());
  auto evicted = store.take_login_state("f44", 0);
  ASSERT_TRUE(is_ok(evicted));
  EXPECT_FALSE(evicted->has_value());

  // Other clients count against the total cap; the oldest rows of anyone go first.
  for (int i = 0; i < 10; ++i) {
    const LoginStateLimits limits{"10.0.1." + std::to_string(i), 5, 8};
    ASSERT_TRUE(
        is_ok(store.put_login_state("o" + std::to_string(i), "v", "/", 20'000 + i, limits)));
  }
  count = store.count_login_states();
  ASSERT_TRUE(is_ok(count));
  EXPECT_EQ(*count, 8);
  auto last = store.take_login_state("o9", 0);
  ASSERT_TRUE(is_ok(last));
  EXPECT_TRUE(last->has_value());
  auto first_flood = store.take_login_state("f45", 0);
  ASSERT_TRUE(is_ok(first_flood));
  EXPECT_FALSE(first_flood->has_value());
  EXPECT_EQ(store.put_login_state("n", "v", "/", 1, LoginStateLimits{"", -1, 0}).code(),
            ErrorCode::kInvalid);
}

TYPED_TEST(StoreConformanceTest, PutLoginStateChecksItsArguments) {
  Store& store = *this->store_;
  EXPECT_EQ(store.put_login_state("", "v", "/", 1'000, {}).code(), ErrorCode::kInvalid);
  EXPECT_EQ(store.put_login_state("h", "", "/", 1'000, {}).code(), ErrorCode::kInvalid);
  EXPECT_EQ(store.take_login_state("", 0).code(), ErrorCode::kInvalid);
  ASSERT_TRUE(is_ok(store.put_login_state("h", "v", "/", 1'000, {})));
  EXPECT_EQ(store.put_login_state("h", "w", "/x", 2'000, {}).code(), ErrorCode::kConflict);
  auto kept = store.take_login_state("h", 0);
  ASSERT_TRUE(is_ok(kept));
  ASSERT_TRUE(kept->has_value());
  EXPECT_EQ((*kept)->code_verifier, "v") << "the conflicting put changed nothing";
}

TYPED_TEST(StoreConformanceTest, LoginStateIsSharedWithASecondStore) {
  ASSERT_TRUE(is_ok(this->store_->put_login_state("h", "v", "/x", 10'000, {})));
  auto opened = this->backend_.open(&this->clock_);
  ASSERT_TRUE(is_ok(opened));
  std::unique_ptr<Store> other = std::move(opened).value();
  ASSERT_TRUE(is_ok(other->migrate()));
  auto taken = other->take_login_state("h", 1'000);
  ASSERT_TRUE(is_ok(taken));
  ASSERT_TRUE(taken->has_value());
  EXPECT_EQ((*taken)->return_to, "/x");
  auto again = this->store_->take_login_state("h", 1'000);
  ASSERT_TRUE(is_ok(again));
  EXPECT_FALSE(again->has_value());
}

// Two API instances get the same callback at once: exactly one of them may use the state.
TYPED_TEST(StoreConformanceTest, ConcurrentTakesOfALoginStateHaveOneWinner) {
  auto opened = this->backend_.open(&this->clock_);
  ASSERT_TRUE(is_ok(opened));
  std::unique_ptr<Store> other = std::move(opened).value();
  Store* stores[] = {this->store_.get(), other.get()};
  for (int round = 0; round < 20; ++round) {
    const std::string hash = "h" + std::to_string(round);
    ASSERT_TRUE(is_ok(this->store_->put_login_state(hash, "v", "/", 10'000, {})));
    std::atomic<int> winners{0};
    std::atomic<int> losers{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 4; ++i) {
      threads.emplace_back([&, i] {
        auto taken = stores[i % 2]->take_login_state(hash, 1'000);
        if (!taken.ok()) {
          ADD_FAILURE() << taken.status().to_string();
        } else if (taken->has_value()) {
          ++winners;
        } else {
          ++losers;
        }
      });
    }
    for (std::thread& thread : threads) {
      thread.join();
    }
    EXPECT_EQ(winners.load(), 1) << hash;
    EXPECT_EQ(losers.load(), 3) << hash;
  }
}

// --- history (store/history.h) ---------------------------------------------------------

Item titled(const std::string& key, const std::string& title, std::optional<double> hot = {},
            const std::string& url = "") {
  Item item = make_item(key);
  item.title = title;
  item.hot = hot;
  if (!url.empty()) {
    item.url = url;
  }
  return item;
}

Item hot_item(const std::string& key, std::optional<double> hot) {
  Item item = make_item(key);
  item.hot = hot;
  return item;
}

// When make_commit(…, slot, …) lands.
int64_t at(int64_t slot) { return slot * 1000 + 750; }

std::vector<std::tuple<int64_t, int, std::optional<double>>> points_of(const ItemTimeline& t) {
  std::vector<std::tuple<int64_t, int, std::optional<double>>> out;
  for (const HistoryPoint& p : t.points) {
    out.emplace_back(p.at_ms, p.rank, p.hot);
  }
  return out;
}

template <typename Store>
ItemTimeline timeline_of(Store& store, const std::string& board, const std::string& key) {
  auto timeline = store.item_timeline(board, key, 10);
  EXPECT_TRUE(is_ok(timeline));
  if (!timeline.ok() || !timeline->has_value()) {
    ADD_FAILURE() << "no timeline of " << board << " " << key;
    return {};
  }
  return **timeline;
}

std::vector<std::string> history_keys(const std::vector<HistoryItem>& items) {
  std::vector<std::string> keys;
  for (const HistoryItem& item : items) keys.push_back(item.key);
  return keys;
}

template <typename Store>
SearchResult search_for(Store& store, std::string_view q, SearchRequest request = {}) {
  auto query = search::parse_query(q);
  EXPECT_TRUE(is_ok(query)) << q;
  if (!query.ok()) return {};
  request.query = *std::move(query);
  auto result = store.search(request);
  EXPECT_TRUE(is_ok(result)) << q;
  return result.ok() ? *std::move(result) : SearchResult{};
}

template <typename Store>
std::vector<std::string> hit_keys(Store& store, std::string_view q, SearchRequest request = {}) {
  return history_keys(search_for(store, q, std::move(request)).hits);
}

// Three commits ten minutes apart on hn.top, then one more:
//   t0: a (hot 100), b (50), c
//   t1: a (101: within kHeatStep, no point), c (2), b (3)
//   t2: a (110), b — c left
//   t3: c — a and b left, c is back
void commit_four(Store& store) {
  auto commit = [&](const CommitRequest& request) {
    EXPECT_TRUE(is_ok(store.commit_snapshot(request))) << request.dispatch_id;
  };
  commit(make_commit("hn.top", kSlot0,
                     {hot_item("a", 100.0), hot_item("b", 50.0), hot_item("c", std::nullopt)}));
  commit(make_commit("hn.top", kSlot0 + kTenMinutes,
                     {hot_item("a", 101.0), hot_item("c", std::nullopt), hot_item("b", 50.0)}));
  commit(
      make_commit("hn.top", kSlot0 + 2 * kTenMinutes, {hot_item("a", 110.0), hot_item("b", 50.0)}));
  commit(make_commit("hn.top", kSlot0 + 3 * kTenMinutes, {hot_item("c", std::nullopt)}));
}

TYPED_TEST(StoreConformanceTest, TimelinesKeepPointsOnChangeAndExits) {
  commit_four(*this->store_);
  const int64_t t0 = at(kSlot0), t1 = at(kSlot0 + kTenMinutes), t2 = at(kSlot0 + 2 * kTenMinutes),
                t3 = at(kSlot0 + 3 * kTenMinutes);
  using P = std::tuple<int64_t, int, std::optional<double>>;
  const ItemTimeline a = timeline_of(*this->store_, "hn.top", "a");
  EXPECT_EQ(points_of(a), (std::vector<P>{{t0, 1, 100.0}, {t2, 1, 110.0}, {t3, 0, std::nullopt}}));
  EXPECT_EQ(a.item.board, "hn.top");
  EXPECT_EQ(a.item.site, "hn");
  EXPECT_EQ(a.item.title, "Title a");
  EXPECT_EQ(a.item.first_seen_ms, t0);
  EXPECT_EQ(a.item.last_seen_ms, t2);
  EXPECT_EQ(a.item.best_rank, 1);
  EXPECT_EQ(a.item.current_rank, 0);
  EXPECT_EQ(a.item.peak_hot, 110.0);
  EXPECT_EQ(a.item.on_board_ms, t3 - t0);
  EXPECT_GT(a.item.id, 0);

  const ItemTimeline b = timeline_of(*this->store_, "hn.top", "b");
  EXPECT_EQ(points_of(b),
            (std::vector<P>{{t0, 2, 50.0}, {t1, 3, 50.0}, {t2, 2, 50.0}, {t3, 0, std::nullopt}}));
  const ItemTimeline c = timeline_of(*this->store_, "hn.top", "c");
  EXPECT_EQ(points_of(c), (std::vector<P>{{t0, 3, std::nullopt},
                                          {t1, 2, std::nullopt},
                                          {t2, 0, std::nullopt},
                                          {t3, 1, std::nullopt}}));
  EXPECT_EQ(c.item.current_rank, 1);
  EXPECT_EQ(c.item.best_rank, 1);
  EXPECT_EQ(c.item.on_board_ms, t2 - t0);  // counted up to its last sighting (t3)
  EXPECT_NE(a.item.id, c.item.id);

  auto none = this->store_->item_timeline("hn.top", "zzz", 5);
  ASSERT_TRUE(is_ok(none));
  EXPECT_FALSE(none->has_value());
  EXPECT_EQ(this->store_->item_timeline("hn.top", "a", -1).code(), ErrorCode::kInvalid);
}

TYPED_TEST(StoreConformanceTest, BoardAtShowsTheBoardAsItWasAtAnInstant) {
  commit_four(*this->store_);
  const int64_t t0 = at(kSlot0), t1 = at(kSlot0 + kTenMinutes), t2 = at(kSlot0 + 2 * kTenMinutes),
                t3 = at(kSlot0 + 3 * kTenMinutes);
  auto keys_at = [&](int64_t instant) -> std::pair<int64_t, std::vector<std::string>> {
    auto board = this->store_->board_at("hn.top", instant);
    EXPECT_TRUE(is_ok(board));
    if (!board.ok() || !board->has_value()) return {-1, {}};
    std::vector<std::string> keys;
    int expected_rank = 1;
    for (const BoardAtEntry& entry : (*board)->items) {
      keys.push_back(entry.item.key);
      EXPECT_EQ(entry.rank, expected_rank++);
    }
    return {(*board)->as_of_ms, keys};
  };
  auto before = this->store_->board_at("hn.top", t0 - 1);
  ASSERT_TRUE(is_ok(before));
  EXPECT_FALSE(before->has_value());
  using Keys = std::vector<std::string>;
  EXPECT_EQ(keys_at(t0), std::make_pair(t0, Keys{"a", "b", "c"}));
  EXPECT_EQ(keys_at(t1 + 5000), std::make_pair(t1, Keys{"a", "c", "b"}));
  EXPECT_EQ(keys_at(t2), std::make_pair(t2, Keys{"a", "b"}));
  EXPECT_EQ(keys_at(t3 - 1), std::make_pair(t2, Keys{"a", "b"}));
  EXPECT_EQ(keys_at(t3 + 86'400'000), std::make_pair(t3, Keys{"c"}));
  auto hot = this->store_->board_at("hn.top", t2);
  ASSERT_TRUE(is_ok(hot));
  ASSERT_TRUE(hot->has_value());
  EXPECT_EQ((*hot)->items[0].hot, 110.0);
  auto other = this->store_->board_at("hn.new", t3);
  ASSERT_TRUE(is_ok(other));
  EXPECT_FALSE(other->has_value());
}

TYPED_TEST(StoreConformanceTest, WindowEntriesRankByTimeOnTheBoardThenPeakRank) {
  commit_four(*this->store_);
  this->commit(make_commit("weibo.hot-search", kSlot0, {hot_item("w", 5.0)}));
  const int64_t t0 = at(kSlot0), t1 = at(kSlot0 + kTenMinutes), t2 = at(kSlot0 + 2 * kTenMinutes),
                t3 = at(kSlot0 + 3 * kTenMinutes);
  auto entries = this->store_->window_entries("hn.top", t0, t3, 10);
  ASSERT_TRUE(is_ok(entries));
  ASSERT_EQ(entries->size(), 3u);
  // a and b: t0..t3 (they left at t3); a peaked at 1, b at 2; c: t0..t2.
  EXPECT_EQ((*entries)[0].item.key, "a");
  EXPECT_EQ((*entries)[0].on_board_ms, t3 - t0);
  EXPECT_EQ((*entries)[0].peak_rank, 1);
  EXPECT_EQ((*entries)[0].peak_hot, 110.0);
  EXPECT_EQ((*entries)[0].entered_ms, t0);
  EXPECT_EQ((*entries)[0].left_ms, t3);
  EXPECT_EQ((*entries)[1].item.key, "b");
  EXPECT_EQ((*entries)[1].peak_rank, 2);
  EXPECT_EQ((*entries)[2].item.key, "c");
  EXPECT_EQ((*entries)[2].on_board_ms, t2 - t0);
  EXPECT_EQ((*entries)[2].peak_rank, 2);

  // A window inside: [t1, t2 + 1 min); c is back after it.
  entries = this->store_->window_entries("hn.top", t1, t2 + 60'000, 2);
  ASSERT_TRUE(is_ok(entries));
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_EQ((*entries)[0].item.key, "a");
  EXPECT_EQ((*entries)[0].on_board_ms, t2 + 60'000 - t1);
  EXPECT_EQ((*entries)[1].item.key, "b");
  EXPECT_EQ((*entries)[1].peak_rank, 2);

  // c is on the board now: it counts until the end of a window after t3.
  entries = this->store_->window_entries("hn.top", t3, t3 + 3'600'000, 10);
  ASSERT_TRUE(is_ok(entries));
  ASSERT_EQ(entries->size(), 1u);
  EXPECT_EQ((*entries)[0].item.key, "c");
  EXPECT_EQ((*entries)[0].on_board_ms, 3'600'000);

  // Every rank board: weibo's w is on too.
  entries = this->store_->window_entries("", t0, t3, 10);
  ASSERT_TRUE(is_ok(entries));
  std::vector<std::string> keys;
  for (const DayEntry& entry : *entries) keys.push_back(entry.item.board + "/" + entry.item.key);
  EXPECT_EQ(keys,
            (std::vector<std::string>{"hn.top/a", "weibo.hot-search/w", "hn.top/b", "hn.top/c"}));
  EXPECT_EQ(this->store_->window_entries("hn.top", t1, t1, 10).code(), ErrorCode::kInvalid);
  EXPECT_EQ(this->store_->window_entries("hn.top", t0, t1, -1).code(), ErrorCode::kInvalid);
}

TYPED_TEST(StoreConformanceTest, SearchFindsChineseTwoCharacterQueriesAndFoldedWords) {
  this->commit(
      make_commit("weibo.hot-search", kSlot0,
                  {titled("k1", "跨年晚会节目单公布"), titled("k2", "某地发生火灾 消防已到场"),
                   titled("k3", "iPhone 17 发布会定档")}));
  this->commit(make_commit(
      "hn.top", kSlot0,
      {titled("e1", "Café au lait and the web"), titled("e2", "Show HN: a faster FTS index")}));
  using Keys = std::vector<std::string>;
  EXPECT_EQ(hit_keys(*this->store_, "跨年"), Keys{"k1"});
  EXPECT_EQ(hit_keys(*this->store_, "火灾"), Keys{"k2"});
  EXPECT_EQ(hit_keys(*this->store_, "节目单"), Keys{"k1"});
  EXPECT_EQ(hit_keys(*this->store_, "晚会节目"), Keys{"k1"});
  EXPECT_EQ(hit_keys(*this->store_, "跨晚"), Keys{});    // not a substring
  EXPECT_EQ(hit_keys(*this->store_, "灾"), Keys{"k2"});  // the last character of a run
  EXPECT_EQ(hit_keys(*this->store_, "火"), Keys{"k2"});
  EXPECT_EQ(hit_keys(*this->store_, "消防 火灾"), Keys{"k2"});
  EXPECT_EQ(hit_keys(*this->store_, "iPhone 17 发布"), Keys{"k3"});
  EXPECT_EQ(hit_keys(*this->store_, "IPHONE"), Keys{"k3"});
  EXPECT_EQ(hit_keys(*this->store_, "cafe"), Keys{"e1"});
  EXPECT_EQ(hit_keys(*this->store_, "CAFÉ"), Keys{"e1"});
  EXPECT_EQ(hit_keys(*this->store_, "Café"), Keys{"e1"});
  EXPECT_EQ(hit_keys(*this->store_, "fts"), Keys{"e2"});
  EXPECT_EQ(hit_keys(*this->store_, "caf"), Keys{});  // words match whole
  // Query syntax of the engines is plain text.
  EXPECT_EQ(hit_keys(*this->store_, "\"跨年"), Keys{"k1"});
  EXPECT_EQ(hit_keys(*this->store_, "跨年*"), Keys{"k1"});
  EXPECT_EQ(hit_keys(*this->store_, "\"fts\" \"index"), Keys{"e2"});
  EXPECT_EQ(hit_keys(*this->store_, "跨年 NEAR 火灾"), Keys{});
  EXPECT_EQ(hit_keys(*this->store_, "跨年 OR 火灾"), Keys{});
  EXPECT_EQ(hit_keys(*this->store_, "a:b ^c -d (e) {f} 'g'"), Keys{});
  SearchRequest no_terms;
  EXPECT_EQ(this->store_->search(no_terms).code(), ErrorCode::kInvalid);
}

TYPED_TEST(StoreConformanceTest, SearchFindsTheNewTitleOfAnUpdatedItemOnly) {
  this->commit(make_commit("hn.top", kSlot0, {titled("x", "旧标题 alpha"), titled("y", "stay")}));
  this->commit(
      make_commit("hn.top", kSlot0 + kMinute, {titled("x", "新标题 beta"), titled("y", "stay")}));
  using Keys = std::vector<std::string>;
  EXPECT_EQ(hit_keys(*this->store_, "alpha"), Keys{});
  EXPECT_EQ(hit_keys(*this->store_, "旧标"), Keys{});
  EXPECT_EQ(hit_keys(*this->store_, "beta"), Keys{"x"});
  EXPECT_EQ(hit_keys(*this->store_, "新标题"), Keys{"x"});
  // Leaving and coming back with another title: the same.
  this->commit(make_commit("hn.top", kSlot0 + 2 * kMinute, {titled("y", "stay")}));
  this->commit(make_commit("hn.top", kSlot0 + 3 * kMinute,
                           {titled("x", "第三个 gamma"), titled("y", "stay")}));
  EXPECT_EQ(hit_keys(*this->store_, "beta"), Keys{});
  EXPECT_EQ(hit_keys(*this->store_, "gamma"), Keys{"x"});
  EXPECT_EQ(hit_keys(*this->store_, "stay"), Keys{"y"});
}

TYPED_TEST(StoreConformanceTest, SearchPagesThroughEveryHitWithoutDuplicatesOrGaps) {
  // 23 items "新闻 N" over three boards and several commits; equal last_seen times on purpose.
  std::set<std::string> all;
  for (int round = 0; round < 3; ++round) {
    for (const std::string board : {"hn.top", "hn.new", "weibo.hot-search"}) {
      std::vector<Item> items;
      for (int i = 0; i < 3; ++i) {
        const std::string key = board.substr(0, 2) + std::to_string(round) + std::to_string(i);
        items.push_back(titled(key, "新闻 " + key));
        all.insert(board + "/" + key);
      }
      if (round == 2 && board == "hn.top")
        items.resize(1), all.erase("hn.top/hn21"), all.erase("hn.top/hn22");
      this->commit(make_commit(board, kSlot0 + round * kTenMinutes, std::move(items)));
    }
  }
  for (const SearchOrder order : {SearchOrder::kNewest, SearchOrder::kBestRank}) {
    SearchRequest request;
    request.order = order;
    request.limit = 4;
    std::vector<std::string> seen;
    std::optional<HistoryItem> previous;
    for (int page = 0; page < 20; ++page) {
      const SearchResult result = search_for(*this->store_, "新闻", request);
      EXPECT_EQ(result.total, static_cast<int64_t>(all.size()));
      for (const HistoryItem& hit : result.hits) {
        if (previous) {
          if (order == SearchOrder::kNewest) {
            // First seen newest first: the id order (ids grow with first seen).
            EXPECT_LT(hit.id, previous->id);
            EXPECT_LE(hit.first_seen_ms, previous->first_seen_ms);
          } else {
            EXPECT_GE(hit.best_rank, previous->best_rank);
          }
        }
        previous = hit;
        seen.push_back(hit.board + "/" + hit.key);
      }
      if (!result.more) break;
      ASSERT_FALSE(result.hits.empty());
      request.after = history::cursor_after(result.hits.back());
    }
    std::vector<std::string> sorted = seen;
    std::sort(sorted.begin(), sorted.end());
    EXPECT_EQ(sorted, std::vector<std::string>(all.begin(), all.end()));
  }
  SearchRequest request;
  request.query = *search::parse_query("新闻");
  request.limit = 0;
  EXPECT_EQ(this->store_->search(request).code(), ErrorCode::kInvalid);
  request.limit = 101;
  EXPECT_EQ(this->store_->search(request).code(), ErrorCode::kInvalid);
}

TYPED_TEST(StoreConformanceTest, SearchFiltersAndFacets) {
  this->commit(
      make_commit("weibo.hot-search", kSlot0, {titled("w1", "火灾 一"), titled("w2", "火灾 二")}));
  this->commit(make_commit("hn.top", kSlot0 + kTenMinutes, {titled("h1", "火灾 three")}));
  this->commit(make_commit("hn.new", kSlot0 + 2 * kTenMinutes,
                           {titled("n1", "火灾 four"), titled("n2", "other")}));
  const SearchResult all = search_for(*this->store_, "火灾");
  EXPECT_EQ(all.total, 4);
  EXPECT_EQ(history_keys(all.hits), (std::vector<std::string>{"n1", "h1", "w2", "w1"}));
  ASSERT_EQ(all.sites.size(), 2u);
  EXPECT_EQ(all.sites[0].value, "hn");  // 2 and 2: then by name
  EXPECT_EQ(all.sites[0].count, 2);
  EXPECT_EQ(all.sites[1].value, "weibo");
  ASSERT_EQ(all.boards.size(), 3u);
  EXPECT_EQ(all.boards[0].value, "weibo.hot-search");
  EXPECT_EQ(all.boards[0].count, 2);

  SearchRequest by_site;
  by_site.site = "hn";
  const SearchResult hn = search_for(*this->store_, "火灾", by_site);
  EXPECT_EQ(hn.total, 2);
  EXPECT_EQ(history_keys(hn.hits), (std::vector<std::string>{"n1", "h1"}));
  EXPECT_EQ(hn.sites.size(), 2u);  // facets ignore the site and board filters

  SearchRequest by_board;
  by_board.board = "hn.top";
  EXPECT_EQ(hit_keys(*this->store_, "火灾", by_board), (std::vector<std::string>{"h1"}));

  SearchRequest range;
  range.from_ms = at(kSlot0 + kTenMinutes);
  range.to_ms = at(kSlot0 + kTenMinutes);
  const SearchResult ranged = search_for(*this->store_, "火灾", range);
  EXPECT_EQ(history_keys(ranged.hits), (std::vector<std::string>{"h1"}));
  EXPECT_EQ(ranged.total, 1);
  ASSERT_EQ(ranged.boards.size(), 1u);
  EXPECT_EQ(ranged.boards[0].value, "hn.top");

  SearchRequest no_facets;
  no_facets.facets = false;
  const SearchResult bare = search_for(*this->store_, "火灾", no_facets);
  EXPECT_TRUE(bare.sites.empty());
  EXPECT_EQ(bare.total, 4);
  EXPECT_TRUE(bare.total_exact);

  // w1 seen again later is still the oldest story: newest means first seen.
  this->commit(
      make_commit("weibo.hot-search", kSlot0 + 3 * kTenMinutes, {titled("w1", "火灾 一")}));
  EXPECT_EQ(hit_keys(*this->store_, "火灾"), (std::vector<std::string>{"n1", "h1", "w2", "w1"}));
}

TYPED_TEST(StoreConformanceTest, RelatedItemsShareTheUrlOrTheTitleAcrossBoards) {
  this->commit(make_commit(
      "hn.top", kSlot0,
      {titled("a", "Rust 2.0 Released!", {}, "https://www.example.com/rust?utm_source=x"),
       titled("b", "Unrelated")}));
  this->commit(make_commit("hn.new", kSlot0 + kMinute,
                           {titled("a2", "A different title", {}, "http://example.com/rust/")}));
  this->commit(make_commit("weibo.hot-search", kSlot0 + 2 * kMinute,
                           {titled("w", "rust 2.0 released", {}, "https://weibo.example/w")}));
  const ItemTimeline a = timeline_of(*this->store_, "hn.top", "a");
  EXPECT_EQ(history_keys(a.related), (std::vector<std::string>{"w", "a2"}));
  EXPECT_EQ(a.related[0].site, "weibo");
  auto limited = this->store_->item_timeline("hn.top", "a", 1);
  ASSERT_TRUE(is_ok(limited));
  EXPECT_EQ((*limited)->related.size(), 1u);
  EXPECT_TRUE(timeline_of(*this->store_, "hn.top", "b").related.empty());
}

TYPED_TEST(StoreConformanceTest, CompactHistoryThinsOldPointsAndDropsOldItems) {
  // "m" moves every ten minutes for two hours, leaves, and comes back within the hour.
  for (int i = 0; i < 12; ++i) {
    std::vector<Item> items = {make_item("m")};
    for (int j = 0; j < i % 3; ++j) items.insert(items.begin(), make_item("f" + std::to_string(j)));
    this->commit(make_commit("hn.top", kSlot0 + i * kTenMinutes, std::move(items)));
  }
  this->commit(make_commit("hn.top", kSlot0 + 12 * kTenMinutes + 60, {make_item("f0")}));
  this->commit(
      make_commit("hn.top", kSlot0 + 12 * kTenMinutes + 120, {make_item("m"), make_item("f0")}));
  this->commit(
      make_commit("hn.top", kSlot0 + 12 * kTenMinutes + 180, {make_item("f0"), make_item("m")}));
  const size_t before = timeline_of(*this->store_, "hn.top", "m").points.size();
  EXPECT_EQ(before, 12u + 3u);
  this->commit(make_commit("weibo.hot-search", kSlot0, {titled("old", "旧闻 gone")}));
  this->commit(make_commit("weibo.hot-search", kSlot0 + kTenMinutes, {titled("new", "新闻")}));
  const int64_t board_before = this->store_->board_at("hn.top", at(kSlot0 + 5 * kTenMinutes))
                                   .value_or(std::nullopt)
                                   .value_or(BoardAt{})
                                   .items.size();

  const int64_t hourly_before = (kSlot0 + 3 * 3600) * 1000;
  auto deleted = this->store_->compact_history(hourly_before, 0);
  ASSERT_TRUE(is_ok(deleted));
  using P = std::tuple<int64_t, int, std::optional<double>>;
  const auto m = points_of(timeline_of(*this->store_, "hn.top", "m"));
  // hour 0: the first point; hour 1: the first; hour 2: the exit, the re-entry (after an
  // exit), not the rank change after it.
  EXPECT_EQ(m, (std::vector<P>{{at(kSlot0), 1, std::nullopt},
                               {at(kSlot0 + 6 * kTenMinutes), 1, std::nullopt},
                               {at(kSlot0 + 12 * kTenMinutes + 60), 0, std::nullopt},
                               {at(kSlot0 + 12 * kTenMinutes + 120), 1, std::nullopt}}));
  // f0 and f1 lose points too.
  EXPECT_GE(*deleted, static_cast<int64_t>(before - m.size()));
  // The board at any instant still lists the same items (ranks may be the hour's first).
  EXPECT_EQ(this->store_->board_at("hn.top", at(kSlot0 + 5 * kTenMinutes))
                .value_or(std::nullopt)
                .value_or(BoardAt{})
                .items.size(),
            board_before);
  // Again: nothing more to thin.
  auto again = this->store_->compact_history(hourly_before, 0);
  ASSERT_TRUE(is_ok(again));
  EXPECT_EQ(*again, 0);

  // Drop what was last seen before kSlot0 + 5 min: "old" (it left at kSlot0 + 10 min).
  auto dropped = this->store_->compact_history(hourly_before, (kSlot0 + 5 * kMinute) * 1000);
  ASSERT_TRUE(is_ok(dropped));
  EXPECT_EQ(*dropped, 2);  // its entry and its exit
  auto gone = this->store_->item_timeline("weibo.hot-search", "old", 5);
  ASSERT_TRUE(is_ok(gone));
  EXPECT_FALSE(gone->has_value());
  EXPECT_EQ(hit_keys(*this->store_, "旧闻"), std::vector<std::string>{});
  EXPECT_EQ(hit_keys(*this->store_, "新闻"), std::vector<std::string>{"new"});
  // Items on their board now are never dropped.
  EXPECT_TRUE(is_ok(this->store_->compact_history(hourly_before, at(kSlot0 + 24 * 3600))));
  EXPECT_EQ(hit_keys(*this->store_, "新闻"), std::vector<std::string>{"new"});
}

TYPED_TEST(StoreConformanceTest, HistoryIsSharedWithASecondStore) {
  commit_four(*this->store_);
  auto opened = this->backend_.open(&this->clock_);
  ASSERT_TRUE(is_ok(opened));
  std::unique_ptr<Store> other = std::move(opened).value();
  ASSERT_TRUE(is_ok(other->migrate()));
  EXPECT_EQ(timeline_of(*other, "hn.top", "c").points.size(), 4u);
  EXPECT_EQ(hit_keys(*other, "title"), (std::vector<std::string>{"c", "b", "a"}));
  // Ids continue across stores.
  ASSERT_TRUE(is_ok(
      other->commit_snapshot(make_commit("hn.new", kSlot0 + 4 * kTenMinutes, make_items({"z"})))));
  EXPECT_GT(timeline_of(*this->store_, "hn.new", "z").item.id,
            timeline_of(*this->store_, "hn.top", "c").item.id);
}

// --- a second Store on the same database ---------------------------------------------------

TYPED_TEST(StoreConformanceTest, ASecondStoreSeesCommittedDataAndTheFence) {
  const int64_t id = this->commit(make_commit("hn.top", kSlot0, make_items({"a", "b"}), 4));
  auto opened = this->backend_.open(&this->clock_);
  ASSERT_TRUE(is_ok(opened));
  std::unique_ptr<Store> other = std::move(opened).value();
  ASSERT_TRUE(is_ok(other->migrate()));

  auto view = other->board_view("hn.top");
  ASSERT_TRUE(is_ok(view));
  ASSERT_TRUE(view->has_value());
  EXPECT_EQ((*view)->snapshot.id, id);
  EXPECT_EQ(keys_of((*view)->snapshot.items), (std::vector<std::string>{"a", "b"}));
  auto fence = other->fence_epoch();
  ASSERT_TRUE(is_ok(fence));
  EXPECT_EQ(*fence, 4);
  // Dispatch ids and the fence hold across stores.
  EXPECT_EQ(other->commit_snapshot(make_commit("hn.top", kSlot0, make_items({"a"}), 4)).code(),
            ErrorCode::kConflict);
  ASSERT_TRUE(is_ok(other->raise_fence(9)));
  EXPECT_EQ(this->store_->commit_snapshot(make_commit("hn.top", kSlot0 + 60, make_items({"c"}), 8))
                .code(),
            ErrorCode::kFenced);
}

}  // namespace
}  // namespace mu
