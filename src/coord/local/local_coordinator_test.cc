#include "coord/local/local_coordinator.h"

#include <gtest/gtest.h>

namespace mu {
namespace {

TEST(LocalCoordinator, DeliversToLiveSubscribersOnly) {
  LocalCoordinator coord(3);
  EXPECT_EQ(coord.leader_epoch(), 3);
  std::vector<std::string> a, b;
  auto sa = coord.subscribe([&](const BoardUpdated& e) { a.push_back(e.board); });
  {
    auto sb = coord.subscribe([&](const BoardUpdated& e) { b.push_back(e.board); });
    ASSERT_TRUE(coord.publish({"weibo.hot-search", 1}).ok());
  }
  ASSERT_TRUE(coord.publish({"zhihu.hot", 2}).ok());
  EXPECT_EQ(a, (std::vector<std::string>{"weibo.hot-search", "zhihu.hot"}));
  EXPECT_EQ(b, (std::vector<std::string>{"weibo.hot-search"}));
}

TEST(LocalCoordinator, SubscriptionMayOutliveCoordinator) {
  std::unique_ptr<Subscription> sub;
  {
    LocalCoordinator coord;
    sub = coord.subscribe([](const BoardUpdated&) {});
  }
  sub.reset();  // must not touch freed memory (checked under ASan)
  SUCCEED();
}

}  // namespace
}  // namespace mu
