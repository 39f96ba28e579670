#include "scheduler/board_change_json.h"

#include <gtest/gtest.h>

#include <tuple>
#include <vector>

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

// Bug: the admin API (6 keys), `mu ctl update` (11 keys) and the stored documents parsed
// changes with three functions that disagreed on keys and messages. Now one parser: every
// key works through the JSON body and key=value alike, with the same result.
TEST(BoardChangeParser, JsonAndKeyValueAcceptTheSameKeysWithTheSameResult) {
  const std::vector<std::pair<std::string, std::string>> both = {
      {R"({"enabled":false})", "enabled=false"},
      {R"({"every":"10m"})", "every=10m"},
      {R"({"every_s":600})", "every_s=600"},
      {R"({"cron":"*/5 * * * *"})", "cron=*/5 * * * *"},
      {R"({"tz":"Europe/London"})", "tz=Europe/London"},
      {R"({"misfire":"catch-up"})", "misfire=catch-up"},
      {R"({"catch_up":"2m"})", "catch_up=2m"},
      {R"({"catch_up_s":120})", "catch_up_s=120"},
      {R"({"overlap":"queue-one"})", "overlap=queue-one"},
      {R"({"timeout":"20s"})", "timeout=20s"},
      {R"({"timeout_s":20})", "timeout_s=20"},
      {R"({"retries":3})", "retries=3"},
      {R"({"jitter":"7s"})", "jitter=7s"},
      {R"({"jitter_s":7})", "jitter_s=7"},
      {R"({"group":"cn"})", "group=cn"},
  };
  for (const auto& [json, kv] : both) {
    auto from_json = board_change_from_json("b", 0, json);
    auto from_args = board_change_from_args("b", {kv});
    ASSERT_TRUE(from_json.ok()) << json << ": " << from_json.status().to_string();
    ASSERT_TRUE(from_args.ok()) << kv << ": " << from_args.status().to_string();
    EXPECT_EQ(board_change_to_json(*from_json), board_change_to_json(*from_args)) << kv;
    EXPECT_NE(board_change_to_json(*from_json), "{}") << kv;
  }
  EXPECT_EQ(board_change_from_args("b", {"every=10m"})->every, seconds(600));
}

TEST(BoardChangeParser, SameErrorMessageThroughEveryFrontEnd) {
  const std::vector<std::tuple<std::string, std::string, std::string>> cases = {
      {R"({"enabled":"yes"})", "enabled=yes", "enabled: expected true or false"},
      {R"({"every":"soon"})", "every=soon", "every: "},
      {R"({"every_s":-5})", "every_s=-5", "every_s: must not be negative"},
      {R"({"every_s":0})", "every_s=0", "every_s: must be positive"},
      {R"({"retries":1000})", "retries=1000", "retries: expected a whole number within 0..100"},
      {R"({"retries":-1})", "retries=-1", "retries: expected a whole number within 0..100"},
      {R"({"misfire":"sometimes"})", "misfire=sometimes", "misfire: unknown policy \"sometimes\""},
      {R"({"overlap":"both"})", "overlap=both", "overlap: unknown policy \"both\""},
      {R"({"colour":"red"})", "colour=red", "colour: unknown field (known: enabled, every"},
  };
  for (const auto& [json, kv, message] : cases) {
    auto from_json = board_change_from_json("b", 0, json);
    auto from_args = board_change_from_args("b", {kv});
    ASSERT_FALSE(from_json.ok()) << json;
    ASSERT_FALSE(from_args.ok()) << kv;
    EXPECT_EQ(from_json.status().code(), ErrorCode::kInvalid);
    EXPECT_EQ(from_args.status().code(), ErrorCode::kInvalid);
    EXPECT_EQ(from_json.status().message().rfind(message, 0), 0u) << from_json.status().message();
    EXPECT_EQ(from_json.status().message(), from_args.status().message()) << kv;
  }
  // Both schedule kinds at once, whatever the spelling.
  EXPECT_EQ(board_change_from_args("b", {"every=1m", "cron=* * * * *"}).status().message(),
            "every: every and cron exclude each other; set only one");
  EXPECT_EQ(
      board_change_from_json("b", 0, R"({"every":"1m","cron":"* * * * *"})").status().message(),
      "every: every and cron exclude each other; set only one");
  EXPECT_EQ(board_change_from_args("b", {"every"}).status().message(),
            "expected key=value, got \"every\"");
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
