#include "api/event_hub.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace mu {
namespace {

std::string take(EventStream& s) {
  std::string out;
  s.take(out);
  return out;
}

// The "id: N" values in `frames`, in order.
std::vector<uint64_t> ids(const std::string& frames) {
  std::vector<uint64_t> out;
  std::size_t pos = 0;
  while ((pos = frames.find("id: ", pos)) != std::string::npos) {
    pos += 4;
    out.push_back(std::stoull(frames.substr(pos, frames.find('\n', pos) - pos)));
  }
  return out;
}

TEST(SseFrame, Format) {
  EXPECT_EQ(sse_frame(7, "board-updated", R"({"board":"weibo.hot-search","version":123})"),
            "id: 7\nevent: board-updated\ndata: {\"board\":\"weibo.hot-search\",\"version\":123}"
            "\n\n");
  EXPECT_EQ(sse_frame(0, "hello", "{}"), "event: hello\ndata: {}\n\n");
  // Line breaks in data become data lines; a name cannot break out of its line.
  EXPECT_EQ(sse_frame(1, "x\ny", "a\nb\r\nc\rd"),
            "id: 1\nevent: xy\ndata: a\ndata: b\ndata: c\ndata: d\n\n");
  EXPECT_EQ(sse_frame(2, "e", ""), "id: 2\nevent: e\ndata: \n\n");
}

TEST(EventHub, NewStreamStartsWithRetryAndHello) {
  FakeClock clock;  // 2026-01-01T00:00:00Z
  EventHubOptions o;
  o.clock = &clock;
  o.retry = Millis(3000);
  o.heartbeat = Millis(1234);
  EventHub hub(o);
  auto s = hub.subscribe();
  ASSERT_TRUE(s.ok()) << s.status().to_string();
  EXPECT_EQ((*s)->heartbeat(), Millis(1234));
  EXPECT_EQ(
      take(**s),
      "retry: 3000\n\nevent: hello\ndata: {\"server_time\":\"2026-01-01T00:00:00.000Z\"}\n\n");
  EXPECT_EQ(hub.open_streams(), 1u);
}

TEST(EventHub, EveryStreamGetsEveryEventNumberedInOrder) {
  EventHub hub;
  auto a = hub.subscribe();
  auto b = hub.subscribe();
  ASSERT_TRUE(a.ok() && b.ok());
  take(**a);
  take(**b);
  EXPECT_EQ(hub.last_id(), 0u);
  EXPECT_EQ(hub.publish("board-updated", R"({"board":"x","version":1})"), 1u);
  EXPECT_EQ(hub.publish("resync", R"({"reason":"reconnect"})"), 2u);
  const std::string expected =
      "id: 1\nevent: board-updated\ndata: {\"board\":\"x\",\"version\":1}\n\n"
      "id: 2\nevent: resync\ndata: {\"reason\":\"reconnect\"}\n\n";
  EXPECT_EQ(take(**a), expected);
  EXPECT_EQ(take(**b), expected);
  EXPECT_EQ(hub.last_id(), 2u);
  // A late subscriber gets only what comes after it.
  auto c = hub.subscribe();
  ASSERT_TRUE(c.ok());
  take(**c);
  hub.publish("board-updated", "{}");
  EXPECT_EQ(ids(take(**c)), std::vector<uint64_t>{3});
}

TEST(EventHub, SlowStreamOverflowsIntoOneResyncOthersGetEverything) {
  EventHubOptions o;
  o.max_queue = 4;
  EventHub hub(o);
  auto slow = hub.subscribe();  // holds retry+hello: 1 frame queued
  auto fast = hub.subscribe();
  ASSERT_TRUE(slow.ok() && fast.ok());
  take(**fast);
  std::string fast_frames;
  for (int i = 1; i <= 10; ++i) {
    hub.publish("board-updated", "{}");
    (*fast)->take(fast_frames);
  }
  EXPECT_EQ(ids(fast_frames), (std::vector<uint64_t>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}));
  EXPECT_EQ(fast_frames.find("resync"), std::string::npos);
  // slow: [hello,1,2,3] is full; 4 overflows -> [resync]; 5,6,7; 8 overflows -> [resync]; 9,10.
  EXPECT_EQ((*slow)->overflows(), 2u);
  const std::string slow_frames = take(**slow);
  EXPECT_TRUE(slow_frames.starts_with("event: resync\ndata: {\"reason\":\"overflow\"}\n\n"))
      << slow_frames;
  EXPECT_EQ(ids(slow_frames), (std::vector<uint64_t>{9, 10}));
  EXPECT_FALSE((*slow)->closed());
  EXPECT_EQ(hub.open_streams(), 2u);
}

TEST(EventHub, StreamLimitAndClosedStreamsLeave) {
  EventHubOptions o;
  o.max_streams = 2;
  EventHub hub(o);
  auto a = hub.subscribe();
  auto b = hub.subscribe();
  ASSERT_TRUE(a.ok() && b.ok());
  auto c = hub.subscribe();
  EXPECT_EQ(c.code(), ErrorCode::kUnavailable);
  EXPECT_EQ(hub.open_streams(), 2u);
  (*a)->close();  // what the server does when the client goes away
  EXPECT_EQ(hub.open_streams(), 1u);
  hub.publish("board-updated", "{}");  // only b gets it
  EXPECT_TRUE(hub.subscribe().ok());
  EXPECT_EQ(hub.open_streams(), 2u);
  std::string rest;
  EXPECT_TRUE((*a)->take(rest));
  EXPECT_EQ(ids(rest), std::vector<uint64_t>{});
}

TEST(EventHub, CloseAllEndsStreamsAndRefusesNewOnes) {
  auto hub = std::make_unique<EventHub>();
  auto a = hub->subscribe();
  ASSERT_TRUE(a.ok());
  hub->close_all();
  EXPECT_TRUE((*a)->closed());
  EXPECT_EQ(hub->open_streams(), 0u);
  EXPECT_EQ(hub->subscribe().code(), ErrorCode::kUnavailable);
  hub->close_all();  // idempotent
  // A stream may outlive its hub (the server still holds it).
  auto b = EventHub().subscribe();
  ASSERT_TRUE(b.ok());
  EXPECT_TRUE((*b)->closed());
  (*b)->close();
  hub.reset();
  (*a)->close();
}

// Publishers on several threads while streams come and go: each stream sees strictly
// increasing ids (one order for everyone), and the count ends right.
TEST(EventHub, ConcurrentPublishSubscribeAndClose) {
  EventHubOptions o;
  o.max_queue = 1u << 20;
  EventHub hub(o);
  auto keeper = hub.subscribe();
  ASSERT_TRUE(keeper.ok());
  std::atomic<bool> done{false};
  std::vector<std::thread> publishers;
  for (int p = 0; p < 3; ++p) {
    publishers.emplace_back([&hub] {
      for (int i = 0; i < 500; ++i) hub.publish("board-updated", "{}");
    });
  }
  std::thread churn([&] {
    while (!done.load()) {
      auto s = hub.subscribe();
      if (!s.ok()) continue;
      std::string frames;
      (*s)->take(frames);
      (*s)->close();
      const auto seen = ids(frames);
      for (std::size_t i = 1; i < seen.size(); ++i) EXPECT_LT(seen[i - 1], seen[i]);
    }
  });
  for (auto& t : publishers) t.join();
  done = true;
  churn.join();
  const auto seen = ids(take(**keeper));
  ASSERT_EQ(seen.size(), 1500u);
  for (std::size_t i = 0; i < seen.size(); ++i) EXPECT_EQ(seen[i], i + 1);
  EXPECT_EQ(hub.open_streams(), 1u);
}

}  // namespace
}  // namespace mu
