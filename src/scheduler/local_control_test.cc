#include "scheduler/local_control.h"

#include <gtest/gtest.h>

#include <memory>

#include "coord/local/local_coordinator.h"
#include "scheduler/board_change_json.h"
#include "scheduler/board_override.h"
#include "scheduler/scheduler_testing.h"

namespace mu {
namespace {

using std::chrono::seconds;
using testing_support::FakeStore;
using testing_support::ScriptedCollector;

BoardMeta board(const std::string& id, seconds every) {
  BoardMeta m;
  m.id = id;
  m.site = id.substr(0, id.find('.'));
  m.schedule.every = every;
  m.schedule.jitter = seconds(0);
  m.group = "cn";
  return m;
}

class LocalControlTest : public ::testing::Test {
 protected:
  void SetUp() override { start(); }

  // A fresh process: a new scheduler over the same store.
  void start() {
    control_.reset();
    scheduler_.reset();
    Scheduler::Options o;
    o.seed = 3;
    scheduler_ = std::make_unique<Scheduler>(boards_, collector_, store_, coord_, clock_, o);
    control_ = std::make_unique<LocalSchedulerControl>(*scheduler_, store_, clock_);
  }

  SchedulerSnapshot::Board snap(const std::string& id) {
    for (const auto& b : scheduler_->snapshot().boards) {
      if (b.board == id) return b;
    }
    ADD_FAILURE() << "no board " << id;
    return {};
  }
  int64_t now_s() const { return clock_.now_ms() / 1000; }

  FakeClock clock_;
  FakeStore store_;
  LocalCoordinator coord_{1};
  ScriptedCollector collector_{clock_};
  std::vector<BoardMeta> boards_ = {board("a.hot", seconds(60)), board("b.hot", seconds(60))};
  std::unique_ptr<Scheduler> scheduler_;
  std::unique_ptr<LocalSchedulerControl> control_;
};

TEST_F(LocalControlTest, UpdateIsStoredThenAppliedAtOnce) {
  ASSERT_EQ(scheduler_->tick(), 2);
  EXPECT_EQ(*snap("a.hot").next_due_s, now_s() + 60);

  BoardChange c;
  c.board = "a.hot";
  c.every = seconds(900);
  auto v = control_->update_schedule(c);
  ASSERT_TRUE(v.ok()) << v.status().to_string();
  EXPECT_EQ(*v, 1);
  EXPECT_EQ(snap("a.hot").version, 1);
  EXPECT_EQ(*snap("a.hot").next_due_s, now_s() + 900) << "the phase is kept, the period changes";
  auto stored = stored_override(store_, "a.hot");
  ASSERT_TRUE(stored.ok() && stored->has_value());
  EXPECT_EQ((*stored)->json, R"({"every_s":900})");

  // A second change merges into the document.
  BoardChange off;
  off.board = "a.hot";
  off.enabled = false;
  ASSERT_EQ(*control_->update_schedule(off), 2);
  EXPECT_FALSE(snap("a.hot").enabled);
  EXPECT_FALSE(snap("a.hot").next_due_s.has_value());
  stored = stored_override(store_, "a.hot");
  auto doc = board_change_from_json("a.hot", (*stored)->version, (*stored)->json);
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ(doc->every, seconds(900));
  EXPECT_EQ(doc->enabled, false);
}

TEST_F(LocalControlTest, BadChangesAreRefusedAndNothingIsStored) {
  BoardChange c;
  c.board = "a.hot";
  c.every = seconds(5);
  EXPECT_EQ(control_->update_schedule(c).code(), ErrorCode::kInvalid);
  c.every.reset();
  c.cron = "99 * * * *";
  EXPECT_EQ(control_->update_schedule(c).code(), ErrorCode::kInvalid);
  c.cron = "*/5 * * * *";
  c.tz = "Nowhere/Land";
  EXPECT_EQ(control_->update_schedule(c).code(), ErrorCode::kInvalid);
  EXPECT_TRUE(store_.board_overrides()->empty());
  EXPECT_EQ(snap("a.hot").version, 0);
}

TEST_F(LocalControlTest, StoredChangesOutliveARestartAndWinOverAReload) {
  BoardChange c;
  c.board = "b.hot";
  c.every = seconds(600);
  ASSERT_TRUE(control_->update_schedule(c).ok());

  start();  // restart: the config's 60 s until the stored documents are applied
  EXPECT_EQ(snap("b.hot").version, 0);
  auto applied = control_->reconcile();
  ASSERT_TRUE(applied.ok());
  EXPECT_EQ(*applied, 1);
  EXPECT_EQ(snap("b.hot").version, 1);
  ASSERT_EQ(scheduler_->tick(), 2);
  EXPECT_EQ(*snap("b.hot").next_due_s, now_s() + 600);
  EXPECT_EQ(*snap("a.hot").next_due_s, now_s() + 60);
  EXPECT_EQ(*control_->reconcile(), 0) << "nothing newer";

  // SIGHUP with the file's 120 s: the admin's 600 s stays; the file's enabled flag applies.
  BoardMeta from_file = board("b.hot", seconds(120));
  ASSERT_TRUE(control_->reload_board(from_file, /*enabled=*/true).ok());
  EXPECT_EQ(*snap("b.hot").next_due_s, now_s() + 600);
  BoardMeta a_file = board("a.hot", seconds(120));
  ASSERT_TRUE(control_->reload_board(a_file, /*enabled=*/true).ok());
  EXPECT_EQ(*snap("a.hot").next_due_s, now_s() + 120) << "no override: the file wins";
  ASSERT_TRUE(control_->reload_board(from_file, /*enabled=*/false).ok());
  EXPECT_FALSE(snap("b.hot").enabled);
}

TEST_F(LocalControlTest, StatusRunNowAndRuns) {
  auto st = control_->status();
  ASSERT_TRUE(st.ok());
  EXPECT_TRUE(st->leader);
  EXPECT_EQ(st->boards.size(), 2u);
  auto id = control_->trigger_now("a.hot");
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(*id, "a.hot@" + std::to_string(now_s()));
  EXPECT_EQ(control_->trigger_now("nope.board").code(), ErrorCode::kNotFound);
  ASSERT_GE(scheduler_->tick(), 1);
  auto runs = control_->list_runs("a.hot", 5);
  ASSERT_TRUE(runs.ok());
  ASSERT_FALSE(runs->empty());
  EXPECT_EQ(runs->front().dispatch_id, *id);
}

}  // namespace
}  // namespace mu
