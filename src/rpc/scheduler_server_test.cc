#include "rpc/scheduler_server.h"

#include "rpc/cluster_scheduler_control.h"

#include <gtest/gtest.h>

#include <mutex>

namespace mu {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

class FakeControl final : public SchedulerControl {
 public:
  Result<SchedulerStatusInfo> status() override {
    std::lock_guard lock(mu);
    if (fail) return *fail;
    return status_info;
  }
  Result<std::string> trigger_now(const std::string& board) override {
    std::lock_guard lock(mu);
    triggered.push_back(board);
    if (board == "no.such") return error(ErrorCode::kNotFound, "board no.such: no such board");
    return board + "@1767225600";
  }
  Result<int64_t> update_schedule(const BoardChange& change) override {
    std::lock_guard lock(mu);
    changes.push_back(change);
    if (change.board == "stale.board") {
      return error(ErrorCode::kConflict, "version 3 is older than 5");
    }
    return int64_t{42};
  }
  Result<std::vector<RunRecord>> list_runs(const std::string& board, int limit) override {
    std::lock_guard lock(mu);
    runs_board = board;
    runs_limit = limit;
    return runs;
  }

  std::mutex mu;
  std::optional<Status> fail;
  SchedulerStatusInfo status_info;
  std::vector<std::string> triggered;
  std::vector<BoardChange> changes;
  std::vector<RunRecord> runs;
  std::string runs_board;
  int runs_limit = 0;
};

struct Fixture {
  Fixture() {
    Result<std::unique_ptr<SchedulerServer>> started =
        SchedulerServer::start("127.0.0.1:0", control);
    EXPECT_TRUE(started.ok()) << started.status().to_string();
    server = std::move(started).value();
    client = std::make_unique<SchedulerClient>("127.0.0.1:" + std::to_string(server->port()));
  }
  FakeControl control;
  std::unique_ptr<SchedulerServer> server;
  std::unique_ptr<SchedulerClient> client;
};

TEST(SchedulerRpc, StatusRoundTrip) {
  Fixture f;
  SchedulerStatusInfo& info = f.control.status_info;
  info.instance = "sched-2";
  info.leader = true;
  info.leader_instance = "sched-2";
  info.epoch = 17;
  info.queue_depth = 3;
  info.last_reconcile_ms = 1'767'225'600'000;
  info.boards.push_back(
      {"weibo.hot-search", true, 4, 1'767'225'900, "weibo.hot-search@1767225600"});
  info.boards.push_back({"hn.top", false, 1, std::nullopt, ""});

  Result<SchedulerStatusInfo> got = f.client->status();
  ASSERT_TRUE(got.ok()) << got.status().to_string();
  EXPECT_EQ(got->instance, "sched-2");
  EXPECT_TRUE(got->leader);
  EXPECT_EQ(got->leader_instance, "sched-2");
  EXPECT_EQ(got->epoch, 17);
  EXPECT_EQ(got->queue_depth, 3);
  EXPECT_EQ(got->last_reconcile_ms, 1'767'225'600'000);
  ASSERT_EQ(got->boards.size(), 2u);
  EXPECT_EQ(got->boards[0].board, "weibo.hot-search");
  EXPECT_TRUE(got->boards[0].enabled);
  EXPECT_EQ(got->boards[0].version, 4);
  EXPECT_EQ(got->boards[0].next_due_s, std::optional<int64_t>(1'767'225'900));
  EXPECT_EQ(got->boards[0].in_flight, "weibo.hot-search@1767225600");
  EXPECT_EQ(got->boards[1].board, "hn.top");
  EXPECT_FALSE(got->boards[1].enabled);
  EXPECT_FALSE(got->boards[1].next_due_s.has_value());
  EXPECT_EQ(got->boards[1].in_flight, "");
}

TEST(SchedulerRpc, StatusErrorKeepsItsCode) {
  Fixture f;
  f.control.fail = error(ErrorCode::kUnavailable, "redis down");
  Result<SchedulerStatusInfo> got = f.client->status();
  EXPECT_EQ(got.code(), ErrorCode::kUnavailable);
  EXPECT_EQ(got.error_message(), "redis down");
}

TEST(SchedulerRpc, TriggerNowReturnsTheDispatchIdOrTheTypedError) {
  Fixture f;
  Result<std::string> id = f.client->trigger_now("weibo.hot-search");
  ASSERT_TRUE(id.ok()) << id.status().to_string();
  EXPECT_EQ(*id, "weibo.hot-search@1767225600");

  Result<std::string> missing = f.client->trigger_now("no.such");
  EXPECT_EQ(missing.code(), ErrorCode::kNotFound);
  EXPECT_EQ(missing.error_message(), "board no.such: no such board");
  EXPECT_EQ(f.control.triggered, (std::vector<std::string>{"weibo.hot-search", "no.such"}));
}

TEST(SchedulerRpc, UpdateScheduleCarriesTheWholeChange) {
  Fixture f;
  BoardChange c;
  c.board = "weibo.hot-search";
  c.version = 7;  // ignored by the control, but carried
  BoardMeta meta;
  meta.id = "weibo.hot-search";
  meta.site = "weibo";
  meta.name_zh = "热搜榜";
  meta.kind = BoardKind::kStream;
  meta.schedule.cron = "*/5 * * * *";
  meta.schedule.misfire = MisfirePolicy::kSkip;
  meta.group = "cn";
  c.meta = meta;
  c.enabled = false;
  c.every = seconds(90);
  c.tz = "Asia/Shanghai";
  c.overlap = OverlapPolicy::kQueueOne;
  c.retries = 0;

  Result<int64_t> version = f.client->update_schedule(c);
  ASSERT_TRUE(version.ok()) << version.status().to_string();
  EXPECT_EQ(*version, 42);
  ASSERT_EQ(f.control.changes.size(), 1u);
  const BoardChange& got = f.control.changes[0];
  EXPECT_EQ(got.board, "weibo.hot-search");
  EXPECT_EQ(got.version, 7);
  ASSERT_TRUE(got.meta.has_value());
  EXPECT_EQ(got.meta->name_zh, "热搜榜");
  EXPECT_EQ(got.meta->kind, BoardKind::kStream);
  EXPECT_EQ(got.meta->schedule.cron, "*/5 * * * *");
  EXPECT_EQ(got.meta->schedule.misfire, MisfirePolicy::kSkip);
  EXPECT_EQ(got.meta->group, "cn");
  EXPECT_EQ(got.enabled, std::optional<bool>(false));
  EXPECT_EQ(got.every, std::optional<seconds>(seconds(90)));
  EXPECT_FALSE(got.cron.has_value());
  EXPECT_EQ(got.tz, std::optional<std::string>("Asia/Shanghai"));
  EXPECT_FALSE(got.misfire.has_value());
  EXPECT_EQ(got.overlap, std::optional<OverlapPolicy>(OverlapPolicy::kQueueOne));
  EXPECT_EQ(got.retries, std::optional<int>(0));
  EXPECT_FALSE(got.timeout.has_value());
  EXPECT_FALSE(got.jitter.has_value());
  EXPECT_FALSE(got.catch_up.has_value());

  BoardChange stale;
  stale.board = "stale.board";
  Result<int64_t> conflict = f.client->update_schedule(stale);
  EXPECT_EQ(conflict.code(), ErrorCode::kConflict);
  EXPECT_EQ(conflict.error_message(), "version 3 is older than 5");
}

TEST(SchedulerRpc, ListRunsPassesBoardAndLimit) {
  Fixture f;
  RunRecord ok;
  ok.dispatch_id = "hn.top@100";
  ok.board = "hn.top";
  ok.slot = 100;
  ok.epoch = 2;
  ok.status = "ok";
  ok.stats = RunStats{1000, 1200, 200, 5000, 30, 1, "cn-1"};
  RunRecord bad = ok;
  bad.dispatch_id = "hn.top@200";
  bad.slot = 200;
  bad.status = "parse";
  bad.error_message = "缺少字段";
  bad.stats.attempt = 2;
  f.control.runs = {ok, bad};

  Result<std::vector<RunRecord>> runs = f.client->list_runs("hn.top", 25);
  ASSERT_TRUE(runs.ok()) << runs.status().to_string();
  EXPECT_EQ(f.control.runs_board, "hn.top");
  EXPECT_EQ(f.control.runs_limit, 25);
  ASSERT_EQ(runs->size(), 2u);
  EXPECT_EQ((*runs)[0].dispatch_id, "hn.top@100");
  EXPECT_EQ((*runs)[0].stats.item_count, 30);
  EXPECT_EQ((*runs)[0].stats.collector, "cn-1");
  EXPECT_EQ((*runs)[1].status, "parse");
  EXPECT_EQ((*runs)[1].error_message, "缺少字段");
  EXPECT_EQ((*runs)[1].stats.attempt, 2);
}

TEST(SchedulerRpc, UnreachableSchedulerIsUnavailable) {
  int port = 0;
  {
    Fixture f;
    port = f.server->port();
  }
  SchedulerClient client("127.0.0.1:" + std::to_string(port), seconds(5));
  EXPECT_EQ(client.status().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(client.trigger_now("a.b").code(), ErrorCode::kUnavailable);
}

int dead_port() {
  Fixture f;
  return f.server->port();
}

TEST(ClusterSchedulerControl, StatusFromTheLeaderWritesThroughTheFirstReachableInstance) {
  const int dead = dead_port();
  Fixture follower, leader;
  follower.control.status_info.instance = "s-1";
  leader.control.status_info.instance = "s-2";
  leader.control.status_info.leader = true;
  auto addr = [](Fixture& f) { return "127.0.0.1:" + std::to_string(f.server->port()); };
  ClusterSchedulerControl control(
      {"127.0.0.1:" + std::to_string(dead), addr(follower), addr(leader)}, seconds(5));
  auto st = control.status();
  ASSERT_TRUE(st.ok()) << st.status().to_string();
  EXPECT_EQ(st->instance, "s-2");
  BoardChange c;
  c.board = "a.b";
  auto version = control.update_schedule(c);
  ASSERT_TRUE(version.ok()) << version.status().to_string();
  EXPECT_EQ(follower.control.changes.size(), 1u);  // the dead one skipped, then the first
  EXPECT_TRUE(leader.control.changes.empty());
  // A real answer (not "unreachable") is final: no second instance is asked.
  c.board = "stale.board";
  EXPECT_EQ(control.update_schedule(c).code(), ErrorCode::kConflict);
  EXPECT_TRUE(leader.control.changes.empty());
}

TEST(ClusterSchedulerControl, NoInstanceIsUnavailable) {
  ClusterSchedulerControl none({}, seconds(1));
  EXPECT_EQ(none.status().code(), ErrorCode::kUnavailable);
  ClusterSchedulerControl dead({"127.0.0.1:" + std::to_string(dead_port())}, seconds(5));
  EXPECT_EQ(dead.trigger_now("a.b").code(), ErrorCode::kUnavailable);
}

}  // namespace
}  // namespace mu
