#include "notify/rule.h"

#include <gtest/gtest.h>

#include <string>

namespace mu {
namespace {

std::string error_of(const std::string& body) {
  auto r = parse_rule(body);
  EXPECT_FALSE(r.ok()) << body;
  return r.ok() ? std::string() : r.status().message();
}

TEST(RuleTest, ReadsEveryFieldAndWritesItBack) {
  auto r = parse_rule(R"({"name":"火灾","keywords":[" 火灾 ","Fire"],"pattern":"地震|台风",
    "exclude":["演习"],"boards":["weibo.hot-search"],"sites":["zhihu"],"max_rank":20,
    "min_hot":10000,"trigger":"top","top_n":5,"tz":"Asia/Shanghai",
    "quiet":{"from":"23:00","to":"07:30"},"digest":"daily","digest_hour":9,
    "channels":["c1"],"enabled":false,"id":"ignored"})");
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->name, "火灾");
  EXPECT_EQ(r->keywords, (std::vector<std::string>{"火灾", "Fire"}));  // trimmed
  EXPECT_EQ(r->pattern, "地震|台风");
  EXPECT_EQ(r->trigger, RuleTrigger::kTop);
  EXPECT_EQ(r->top_n, 5);
  ASSERT_TRUE(r->quiet.has_value());
  EXPECT_EQ(r->quiet->from_minute, 23 * 60);
  EXPECT_EQ(r->quiet->to_minute, 7 * 60 + 30);
  EXPECT_EQ(r->digest, RuleDigest::kDaily);
  EXPECT_EQ(r->digest_hour, 9);
  EXPECT_FALSE(r->enabled);
  EXPECT_TRUE(r->id.empty());  // the caller sets it, never the body

  auto again = parse_rule(rule_to_json(*r));
  ASSERT_TRUE(again.ok()) << again.status().to_string();
  EXPECT_EQ(rule_to_json(*again), rule_to_json(*r));
  EXPECT_EQ(again->quiet->to_minute, r->quiet->to_minute);
}

TEST(RuleTest, DefaultsAreNewItemsRightAwayEverywhere) {
  auto r = parse_rule("{}");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->enabled);
  EXPECT_EQ(r->trigger, RuleTrigger::kNew);
  EXPECT_EQ(r->digest, RuleDigest::kImmediate);
  EXPECT_EQ(r->tz, "UTC");
  EXPECT_FALSE(r->quiet.has_value());
}

TEST(RuleTest, BadInputIsRefusedNamingTheField) {
  EXPECT_NE(error_of("[]").find("object"), std::string::npos);
  EXPECT_NE(error_of("{").find("not JSON"), std::string::npos);
  EXPECT_NE(error_of(R"({"colour":"red"})").find("rule.colour: unknown field"), std::string::npos);
  EXPECT_NE(error_of(R"({"keywords":"火灾"})").find("rule.keywords"), std::string::npos);
  EXPECT_NE(error_of(R"({"keywords":["  "]})").find("empty"), std::string::npos);
  EXPECT_NE(error_of(R"({"keywords":["a\u0001b"]})").find("control"), std::string::npos);
  EXPECT_NE(error_of(R"({"tz":"Mars/Olympus"})").find("unknown time zone"), std::string::npos);
  EXPECT_NE(error_of(R"({"pattern":"(unclosed"})").find("not a valid RE2"), std::string::npos);
  EXPECT_NE(error_of(R"({"trigger":"sometimes"})").find("rule.trigger"), std::string::npos);
  EXPECT_NE(error_of(R"({"top_n":0})").find("rule.top_n"), std::string::npos);
  EXPECT_NE(error_of(R"({"max_rank":-1})").find("rule.max_rank"), std::string::npos);
  EXPECT_NE(error_of(R"({"min_hot":-5})").find("rule.min_hot"), std::string::npos);
  EXPECT_NE(error_of(R"({"quiet":{"from":"25:00","to":"07:00"}})").find("HH:MM"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"quiet":{"from":"07:00","to":"07:00"}})").find("same"), std::string::npos);
  EXPECT_NE(error_of(R"({"digest":"weekly"})").find("rule.digest"), std::string::npos);
}

TEST(RuleTest, TenThousandKeywordsAreRefusedNotTruncated) {
  std::string body = R"({"keywords":[)";
  for (int i = 0; i < 10000; ++i) body += (i ? ",\"k" : "\"k") + std::to_string(i) + "\"";
  body += "]}";
  const std::string message = error_of(body);
  EXPECT_NE(message.find("at most 100"), std::string::npos) << message;
  EXPECT_NE(message.find("10000"), std::string::npos) << message;
  EXPECT_NE(error_of(R"({"keywords":[")" + std::string(101, 'x') + "\"]}").find("longer"),
            std::string::npos);
}

TEST(RuleTest, PatternsBeyondTheMemoryBudgetAreRefused) {
  // Linear-time RE2 never backtracks on "(a+)+$", so it is accepted; a pattern whose
  // program would not fit the budget is not.
  EXPECT_TRUE(parse_rule(R"({"pattern":"(a+)+$"})").ok());
  const std::string message = error_of(R"x({"pattern":"((((a{100}){100}){100}){100})"})x");
  EXPECT_NE(message.find("rule.pattern"), std::string::npos) << message;
  EXPECT_NE(error_of(R"({"pattern":")" + std::string(501, 'a') + "\"}").find("longer"),
            std::string::npos);
}

TEST(RuleTest, ClockTimes) {
  EXPECT_EQ(parse_clock_minutes("00:00"), 0);
  EXPECT_EQ(parse_clock_minutes("23:59"), 23 * 60 + 59);
  EXPECT_FALSE(parse_clock_minutes("24:00"));
  EXPECT_FALSE(parse_clock_minutes("7:00"));
  EXPECT_FALSE(parse_clock_minutes("07-00"));
}

}  // namespace
}  // namespace mu
