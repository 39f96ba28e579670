#include "scheduler/board_change_json.h"

#include <gtest/gtest.h>

namespace mu {
namespace {

using std::chrono::seconds;

TEST(BoardChangeJson, RoundTripsEveryField) {
  BoardChange c;
  c.board = "weibo.hot-search";
  c.enabled = false;
  c.cron = "*/5 * * * *";
  c.tz = "Asia/Shanghai";
  c.misfire = MisfirePolicy::kCatchUp;
  c.catch_up = seconds(600);
  c.overlap = OverlapPolicy::kQueueOne;
  c.timeout = seconds(20);
  c.retries = 3;
  c.jitter = seconds(7);
  c.group = "cn";
  const std::string text = board_change_to_json(c);
  auto back = board_change_from_json("weibo.hot-search", 9, text);
  ASSERT_TRUE(back.ok()) << back.status().to_string();
  EXPECT_EQ(back->version, 9);
  EXPECT_EQ(back->enabled, false);
  EXPECT_FALSE(back->every.has_value());
  EXPECT_EQ(back->cron, "*/5 * * * *");
  EXPECT_EQ(back->tz, "Asia/Shanghai");
  EXPECT_EQ(back->misfire, MisfirePolicy::kCatchUp);
  EXPECT_EQ(back->catch_up, seconds(600));
  EXPECT_EQ(back->overlap, OverlapPolicy::kQueueOne);
  EXPECT_EQ(back->timeout, seconds(20));
  EXPECT_EQ(back->retries, 3);
  EXPECT_EQ(back->jitter, seconds(7));
  EXPECT_EQ(back->group, "cn");
  EXPECT_EQ(board_change_to_json(*back), text);
}

TEST(BoardChangeJson, EmptyChangeIsAnEmptyObject) {
  BoardChange c;
  EXPECT_EQ(board_change_to_json(c), "{}");
  auto back = board_change_from_json("b", 1, "{}");
  ASSERT_TRUE(back.ok());
  EXPECT_FALSE(back->enabled || back->every || back->cron || back->group);
}

TEST(BoardChangeJson, RejectsBadDocumentsNamingTheField) {
  const std::pair<const char*, const char*> cases[] = {
      {"not json", "document"},
      {"[1]", "document"},
      {R"({"every_s":-5})", "every_s"},
      {R"({"every_s":0})", "every_s"},
      {R"({"every_s":"60"})", "every_s"},
      {R"({"enabled":1})", "enabled"},
      {R"({"misfire":"sometimes"})", "misfire"},
      {R"({"overlap":"both"})", "overlap"},
      {R"({"retries":1000})", "retries"},
      {R"({"colour":"red"})", "colour"},
      {R"({"every_s":60,"cron":"* * * * *"})", "every_s"},
  };
  for (const auto& [text, field] : cases) {
    auto r = board_change_from_json("b", 1, text);
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_EQ(r.status().code(), ErrorCode::kInvalid) << text;
    EXPECT_NE(r.status().message().find(field), std::string::npos)
        << text << " -> " << r.status().message();
  }
}

TEST(BoardChangeJson, MergeLetsTheLaterScheduleKindWin) {
  BoardChange base;
  base.cron = "0 * * * *";
  base.tz = "Europe/London";
  base.enabled = false;
  BoardChange every;
  every.every = seconds(120);
  BoardChange merged = merge_board_change(base, every);
  EXPECT_EQ(merged.every, seconds(120));
  EXPECT_FALSE(merged.cron.has_value());
  EXPECT_EQ(merged.tz, "Europe/London");  // untouched fields stay
  EXPECT_EQ(merged.enabled, false);
  BoardChange cron;
  cron.cron = "*/2 * * * *";
  cron.enabled = true;
  merged = merge_board_change(merged, cron);
  EXPECT_FALSE(merged.every.has_value());
  EXPECT_EQ(merged.cron, "*/2 * * * *");
  EXPECT_EQ(merged.enabled, true);
}

TEST(QueueCommandJson, RoundTripsAndRejectsGarbage) {
  QueueCommand change{QueueCommand::Kind::kChange, "zhihu.hot", 12};
  auto c = queue_command_from_json(queue_command_to_json(change));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->kind, QueueCommand::Kind::kChange);
  EXPECT_EQ(c->board, "zhihu.hot");
  EXPECT_EQ(c->version, 12);
  QueueCommand run{QueueCommand::Kind::kRunNow, "v2ex.hot", 0};
  auto r = queue_command_from_json(queue_command_to_json(run));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->kind, QueueCommand::Kind::kRunNow);
  for (const char* bad : {"", "{}", R"({"kind":"change","board":"x"})",
                          R"({"kind":"explode","board":"x"})", R"({"kind":"run","board":""})"}) {
    EXPECT_FALSE(queue_command_from_json(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace mu
