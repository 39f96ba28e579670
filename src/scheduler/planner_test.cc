#include "scheduler/planner.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

namespace mu {
namespace {

using std::chrono::seconds;

TEST(Planner, JitterIsDeterministicAndBounded) {
  for (int i = 0; i < 500; ++i) {
    std::string id = "site.board-" + std::to_string(i);
    int64_t off = jitter_offset(id, seconds(600), seconds(30));
    EXPECT_GE(off, 0);
    EXPECT_LE(off, 30);
    EXPECT_EQ(off, jitter_offset(id, seconds(600), seconds(30)));
  }
  EXPECT_EQ(jitter_offset("a.b", seconds(1), seconds(30)), 0);  // no room inside 1 s
  EXPECT_LE(jitter_offset("a.b", seconds(10), seconds(300)), 9);
}

TEST(Planner, SlotArithmetic) {
  EXPECT_EQ(slot_at_or_before(1000, 300, 7), 907);
  EXPECT_EQ(slot_at_or_before(907, 300, 7), 907);
  EXPECT_EQ(slot_at_or_before(906, 300, 7), 607);
  EXPECT_EQ(slot_at_or_before(5, 300, 7), -293);
}

TEST(Planner, EverySlotExactlyOnceOverADay) {
  Planner p;
  std::vector<std::string> ids;
  for (int i = 0; i < 50; ++i) {
    ids.push_back("s.b" + std::to_string(i));
    p.upsert({ids.back(), seconds(60 * (1 + i % 7)), seconds(20), true});
  }
  const int64_t start = 1'767'225'600;
  std::set<std::pair<std::string, int64_t>> seen;
  std::map<std::string, int> count;
  for (int64_t t = start; t < start + 86400; t += 7) {
    for (auto& s : p.take_due(t)) {
      EXPECT_TRUE(seen.insert({s.board, s.slot}).second) << s.board << "@" << s.slot;
      EXPECT_LE(s.slot, t);
      if (t > start) {  // later slots are found on the first tick after they begin
        EXPECT_GT(s.slot, t - 7 - 1) << "dispatched late";
      }
      ++count[s.board];
    }
  }
  for (int i = 0; i < 50; ++i) {
    int every = 60 * (1 + i % 7);
    // One slot per period plus the slot in progress at the start.
    EXPECT_NEAR(count[ids[i]], 86400 / every + 1, 1) << ids[i];
  }
}

TEST(Planner, MisfireFiresOnceAndNextDueIsExact) {
  Planner p;
  p.upsert({"a.b", seconds(300), seconds(0), true});
  auto first = p.take_due(10'000);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].slot, 9'900);
  EXPECT_TRUE(p.take_due(10'100).empty());
  EXPECT_EQ(*p.next_due(10'100), 10'200);
  // Ten periods pass with no tick: only the latest missed slot runs.
  auto late = p.take_due(13'050);
  ASSERT_EQ(late.size(), 1u);
  EXPECT_EQ(late[0].slot, 12'900);
}

TEST(Planner, MarkedSlotsAndDisabledBoardsAreNotPlanned) {
  Planner p;
  p.upsert({"a.b", seconds(300), seconds(0), true});
  p.mark("a.b", 9'900);
  EXPECT_TRUE(p.take_due(10'000).empty());
  p.upsert({"a.b", seconds(300), seconds(0), false});
  EXPECT_TRUE(p.take_due(20'000).empty());
  EXPECT_FALSE(p.next_due(20'000));
  EXPECT_EQ(*p.last_slot("a.b"), 9'900);
}

}  // namespace
}  // namespace mu
