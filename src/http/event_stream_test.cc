#include "http/event_stream.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace mu {
namespace {

TEST(EventStream, TakeReturnsFramesInOrderAndEmptiesTheQueue) {
  EventStream s;
  EXPECT_TRUE(s.push(std::string("a\n\n")));
  EXPECT_TRUE(s.push(std::string("b\n\n")));
  EXPECT_EQ(s.queued(), 2u);
  std::string out = "x";
  EXPECT_FALSE(s.take(out));
  EXPECT_EQ(out, "xa\n\nb\n\n");  // appended
  EXPECT_EQ(s.queued(), 0u);
  out.clear();
  EXPECT_FALSE(s.take(out));
  EXPECT_EQ(out, "");
}

TEST(EventStream, NotifyRunsOncePerBatchAndOnClose) {
  EventStream s;
  int calls = 0;
  s.set_notify([&] { ++calls; });
  EXPECT_EQ(calls, 0);  // nothing queued yet
  s.push(std::string("1"));
  s.push(std::string("2"));
  EXPECT_EQ(calls, 1);  // the consumer has not taken the first one yet: one wake-up is enough
  std::string out;
  s.take(out);
  s.push(std::string("3"));
  EXPECT_EQ(calls, 2);
  s.take(out);
  s.close();
  EXPECT_EQ(calls, 3);
  EXPECT_TRUE(s.take(out));
  EXPECT_EQ(out, "123");
}

TEST(EventStream, HookSetAfterFramesArrivedIsCalledAtOnce) {
  EventStream s;
  s.push(std::string("early"));
  int calls = 0;
  s.set_notify([&] { ++calls; });
  EXPECT_EQ(calls, 1);
  s.set_notify(nullptr);
  s.push(std::string("later"));
  EXPECT_EQ(calls, 1);
}

TEST(EventStream, OverflowDropsTheQueueForTheOverflowFrame) {
  EventStreamOptions o;
  o.max_queue = 3;
  o.overflow_frame = "event: resync\ndata: {}\n\n";
  EventStream s(o);
  for (int i = 1; i <= 3; ++i) EXPECT_TRUE(s.push("e" + std::to_string(i) + ";"));
  EXPECT_TRUE(s.push(std::string("e4;")));  // the 4th overflows
  EXPECT_EQ(s.overflows(), 1u);
  EXPECT_TRUE(s.push(std::string("e5;")));
  std::string out;
  EXPECT_FALSE(s.take(out));
  EXPECT_EQ(out, "event: resync\ndata: {}\n\ne5;");
  EXPECT_FALSE(s.closed());
}

TEST(EventStream, OverflowWithoutFrameClosesAndRunsOnCloseOnce) {
  int closes = 0;
  EventStreamOptions o;
  o.max_queue = 2;
  o.on_close = [&] { ++closes; };
  EventStream s(o);
  EXPECT_TRUE(s.push(std::string("1")));
  EXPECT_TRUE(s.push(std::string("2")));
  EXPECT_FALSE(s.push(std::string("3")));
  EXPECT_TRUE(s.closed());
  EXPECT_EQ(closes, 1);
  std::string out;
  EXPECT_TRUE(s.take(out));
  EXPECT_EQ(out, "");  // the backlog went with the overflow
  s.close();
  EXPECT_EQ(closes, 1);
  EXPECT_FALSE(s.push(std::string("4")));
}

TEST(EventStream, ClosedStreamRefusesFramesButDeliversTheBacklog) {
  int closes = 0;
  EventStreamOptions o;
  o.on_close = [&] { ++closes; };
  EventStream s(o);
  s.push(std::string("last"));
  s.close();
  s.close();
  EXPECT_EQ(closes, 1);
  EXPECT_FALSE(s.push(std::string("too late")));
  std::string out;
  EXPECT_TRUE(s.take(out));
  EXPECT_EQ(out, "last");
}

TEST(EventStream, HeartbeatIsAtLeastOneMillisecond) {
  EventStreamOptions o;
  o.heartbeat = Millis(0);
  EXPECT_EQ(EventStream(o).heartbeat(), Millis(1));
  o.heartbeat = Millis(250);
  EXPECT_EQ(EventStream(o).heartbeat(), Millis(250));
}

TEST(EventStream, ResponseCarriesTheStreamAndSseHeaders) {
  auto s = std::make_shared<EventStream>();
  Response r = event_stream_response(s);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("Content-Type"), "text/event-stream; charset=utf-8");
  EXPECT_EQ(r.header("Cache-Control"), "no-store");
  EXPECT_EQ(r.header("X-Accel-Buffering"), "no");
  EXPECT_EQ(r.stream, s);
  EXPECT_TRUE(r.body_view().empty());
}

// Producers on several threads against one consumer: nothing is lost or reordered per
// producer, and the notify hook wakes the consumer for whatever it has not taken.
TEST(EventStream, ConcurrentProducersAndConsumer) {
  EventStreamOptions o;
  o.max_queue = 1u << 20;
  EventStream s(o);
  std::atomic<int> wakes{0};
  s.set_notify([&] { wakes.fetch_add(1); });
  constexpr int kProducers = 4;
  constexpr int kFrames = 2000;
  std::vector<std::thread> producers;
  for (int p = 0; p < kProducers; ++p) {
    producers.emplace_back([&s, p] {
      for (int i = 0; i < kFrames; ++i) {
        s.push(std::string(1, static_cast<char>('a' + p)) + std::to_string(i) + ";");
      }
    });
  }
  std::string all;
  std::thread consumer([&] {
    while (!s.take(all)) {
    }
  });
  for (auto& t : producers) t.join();
  s.close();
  consumer.join();
  std::vector<int> next(kProducers, 0);
  std::size_t pos = 0;
  while (pos < all.size()) {
    const std::size_t end = all.find(';', pos);
    const int p = all[pos] - 'a';
    EXPECT_EQ(std::stoi(all.substr(pos + 1, end - pos - 1)), next[p]++);
    pos = end + 1;
  }
  for (int p = 0; p < kProducers; ++p) EXPECT_EQ(next[p], kFrames);
  EXPECT_GE(wakes.load(), 1);
}

}  // namespace
}  // namespace mu
