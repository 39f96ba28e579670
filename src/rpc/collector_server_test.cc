#include "rpc/collector_server.h"

#include <gtest/gtest.h>

#include <future>
#include <memory>
#include <thread>

#include <grpcpp/grpcpp.h>

#include "core/clock.h"
#include "rpc/collector.grpc.pb.h"
#include "rpc/collector_client.h"
#include "rpc/rpc_testing.h"

namespace mu {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::ScriptedCollector;

std::string local_address(int port) { return "127.0.0.1:" + std::to_string(port); }

Dispatch dispatch(const std::string& board, int64_t epoch = 1, int attempt = 1) {
  return Dispatch{board, 1'767'225'600, epoch, attempt, seconds(20), "cn"};
}

struct Served {
  std::unique_ptr<CollectorServer> server;
  std::unique_ptr<GrpcCollector> client;
};

Served serve(ScriptedCollector& inner, CollectorServer::Options options = {}) {
  if (options.id.empty()) options.id = "c-test";
  Result<std::unique_ptr<CollectorServer>> server =
      CollectorServer::start("127.0.0.1:0", inner, options);
  EXPECT_TRUE(server.ok()) << server.status().to_string();
  Served s;
  s.server = std::move(server).value();
  s.client = std::make_unique<GrpcCollector>(local_address(s.server->port()));
  return s;
}

Item chinese_item() {
  Item item;
  item.key = "k-1";
  item.title = "热搜：春节档电影票房破纪录";
  item.url = "https://s.weibo.com/weibo?q=%23春节%23";
  item.mobile_url = "https://m.weibo.cn/search?q=春节";
  item.summary = "摘要\n第二行";
  item.image = "https://img.example.com/封面.jpg";
  item.hot = 21230000.5;
  item.hot_text = "2123万";
  item.label = "爆";
  item.author = "新浪新闻";
  item.published_at_ms = 1'767'225'600'123;
  item.extra = {{"分类", "娱乐"}, {"rank_change", "-3"}};
  return item;
}

TEST(CollectorServer, CollectRoundTripsEveryItemField) {
  ScriptedCollector inner;
  Item bare;  // optional fields unset must stay unset
  bare.key = "k-2";
  bare.title = "無選項";
  inner.set_response([&](const Dispatch&) -> Result<CollectOutcome> {
    CollectOutcome out;
    out.items = {chinese_item(), bare};
    out.http_status = 200;
    out.bytes = 4096;
    out.started_ms = 1000;
    out.finished_ms = 1500;
    out.dropped = 3;
    out.collector = "inner-name";
    return out;
  });
  Served s = serve(inner, {.id = "c-east-1", .groups = {"cn"}, .version = "0.1.0"});

  const Dispatch d{"weibo.hot-search", 1'767'225'600, 4, 2, seconds(15), "cn"};
  Result<CollectOutcome> out = s.client->collect(d);
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  ASSERT_EQ(out->items.size(), 2u);
  EXPECT_EQ(out->items[0], chinese_item());
  EXPECT_EQ(out->items[1], bare);
  EXPECT_FALSE(out->items[1].hot.has_value());
  EXPECT_FALSE(out->items[1].published_at_ms.has_value());
  EXPECT_EQ(out->http_status, 200);
  EXPECT_EQ(out->bytes, 4096);
  EXPECT_EQ(out->started_ms, 1000);
  EXPECT_EQ(out->finished_ms, 1500);
  EXPECT_EQ(out->dropped, 3);
  EXPECT_EQ(out->collector, "c-east-1");  // the server names itself

  const std::vector<Dispatch> got = inner.received();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].board, d.board);
  EXPECT_EQ(got[0].slot, d.slot);
  EXPECT_EQ(got[0].epoch, d.epoch);
  EXPECT_EQ(got[0].attempt, d.attempt);
  EXPECT_EQ(got[0].group, d.group);
  EXPECT_EQ(got[0].timeout, d.timeout);  // the client allows timeout + 2 s
  EXPECT_EQ(s.server->counters().served, 1);
}

TEST(CollectorServer, TypedErrorCrossesTheWireUnchanged) {
  ScriptedCollector inner;
  inner.set_response([](const Dispatch& d) -> Result<CollectOutcome> {
    if (d.board == "a.rate-limited") {
      return error(ErrorCode::kHttp, "HTTP 429 请求过多").with_http(429, milliseconds(1500));
    }
    return error(ErrorCode::kParse, "missing data.realtime");
  });
  Served s = serve(inner);

  Result<CollectOutcome> limited = s.client->collect(dispatch("a.rate-limited"));
  ASSERT_FALSE(limited.ok());
  EXPECT_EQ(limited.code(), ErrorCode::kHttp);
  EXPECT_EQ(limited.error_message(), "HTTP 429 请求过多");
  EXPECT_EQ(limited.status().http_status(), 429);
  EXPECT_EQ(limited.status().retry_after(), milliseconds(1500));

  Result<CollectOutcome> parse = s.client->collect(dispatch("b.broken"));
  EXPECT_EQ(parse.code(), ErrorCode::kParse);
  EXPECT_EQ(parse.error_message(), "missing data.realtime");
  EXPECT_EQ(parse.status().http_status(), 0);
  EXPECT_EQ(s.server->counters().served, 2);
}

TEST(CollectorServer, FencesEpochsBelowTheHighestSeen) {
  ScriptedCollector inner;
  Served s = serve(inner);
  ASSERT_TRUE(s.client->collect(dispatch("a.b", 5)).ok());
  EXPECT_EQ(s.server->highest_epoch(), 5);

  Result<CollectOutcome> stale = s.client->collect(dispatch("c.d", 4));
  EXPECT_EQ(stale.code(), ErrorCode::kFenced);
  EXPECT_EQ(s.server->counters().rejected_epoch, 1);
  EXPECT_EQ(inner.received().size(), 1u);  // never reached the inner collector

  EXPECT_TRUE(s.client->collect(dispatch("c.d", 5)).ok());  // equal epoch is fine
  EXPECT_TRUE(s.client->collect(dispatch("e.f", 6)).ok());
  EXPECT_EQ(s.server->highest_epoch(), 6);
  EXPECT_EQ(s.client->collect(dispatch("g.h", 5)).code(), ErrorCode::kFenced);
  EXPECT_EQ(s.server->counters().rejected_epoch, 2);
}

TEST(CollectorServer, DropsDuplicateDispatchButServesRetries) {
  ScriptedCollector inner;
  Served s = serve(inner);
  ASSERT_TRUE(s.client->collect(dispatch("a.b", 1, 1)).ok());

  Result<CollectOutcome> again = s.client->collect(dispatch("a.b", 1, 1));
  EXPECT_EQ(again.code(), ErrorCode::kConflict);
  EXPECT_EQ(s.server->counters().rejected_duplicate, 1);

  EXPECT_TRUE(s.client->collect(dispatch("a.b", 1, 2)).ok());                        // a retry
  EXPECT_EQ(s.client->collect(dispatch("a.b", 1, 1)).code(), ErrorCode::kConflict);  // late
  EXPECT_EQ(s.client->collect(dispatch("a.b", 1, 2)).code(), ErrorCode::kConflict);
  // A new leader (higher epoch) may dispatch the same slot again.
  EXPECT_TRUE(s.client->collect(dispatch("a.b", 2, 1)).ok());
  // Another slot of the same board is another dispatch.
  Dispatch next = dispatch("a.b", 2, 1);
  next.slot += 600;
  EXPECT_TRUE(s.client->collect(next).ok());

  EXPECT_EQ(inner.received().size(), 4u);
  EXPECT_EQ(s.server->counters().rejected_duplicate, 3);
  EXPECT_EQ(s.server->counters().served, 4);
}

TEST(CollectorServer, DuplicateOfARunningDispatchIsDropped) {
  ScriptedCollector inner;
  Served s = serve(inner);
  inner.hold();
  auto first = std::async(std::launch::async, [&] { return s.client->collect(dispatch("a.b")); });
  ASSERT_TRUE(inner.wait_running(1));
  EXPECT_EQ(s.client->collect(dispatch("a.b")).code(), ErrorCode::kConflict);
  inner.release();
  EXPECT_TRUE(first.get().ok());
}

TEST(CollectorServer, SeenIdsAreBounded) {
  ScriptedCollector inner;
  Served s = serve(inner, {.id = "c", .seen_ids = 2});
  ASSERT_TRUE(s.client->collect(dispatch("a.a")).ok());
  ASSERT_TRUE(s.client->collect(dispatch("b.b")).ok());
  // A duplicate counts as a use: a.a becomes the most recent.
  EXPECT_EQ(s.client->collect(dispatch("a.a")).code(), ErrorCode::kConflict);
  ASSERT_TRUE(s.client->collect(dispatch("c.c")).ok());  // evicts the least recent: b.b
  EXPECT_TRUE(s.client->collect(dispatch("b.b")).ok());
  EXPECT_EQ(s.client->collect(dispatch("c.c")).code(), ErrorCode::kConflict);
  EXPECT_TRUE(s.client->collect(dispatch("a.a")).ok());  // evicted by b.b
}

TEST(CollectorServer, RefusesWorkBeyondCapacityAsBusy) {
  ScriptedCollector inner;
  Served s = serve(inner, {.id = "c-small", .capacity = 2});
  inner.hold();
  auto a = std::async(std::launch::async, [&] { return s.client->collect(dispatch("a.a")); });
  auto b = std::async(std::launch::async, [&] { return s.client->collect(dispatch("b.b")); });
  ASSERT_TRUE(inner.wait_running(2));
  EXPECT_EQ(s.server->in_flight(), 2);

  Result<CollectOutcome> busy = s.client->collect(dispatch("c.c"));
  EXPECT_EQ(busy.code(), ErrorCode::kUnavailable);
  EXPECT_NE(busy.error_message().find("busy"), std::string::npos) << busy.error_message();
  EXPECT_EQ(s.server->counters().rejected_busy, 1);

  // Health still answers while the collect slots are full.
  Result<CollectorHealth> health = s.client->health();
  ASSERT_TRUE(health.ok()) << health.status().to_string();
  EXPECT_EQ(health->in_flight, 2);
  EXPECT_EQ(health->capacity, 2);

  inner.release();
  EXPECT_TRUE(a.get().ok());
  EXPECT_TRUE(b.get().ok());
  EXPECT_EQ(s.server->in_flight(), 0);
  // A refused dispatch was not run, so it is not a duplicate when it comes back.
  EXPECT_TRUE(s.client->collect(dispatch("c.c")).ok());
}

TEST(CollectorServer, InnerCollectorGetsTheCallersDeadline) {
  ScriptedCollector inner;
  Served s = serve(inner);
  auto channel =
      grpc::CreateChannel(local_address(s.server->port()), grpc::InsecureChannelCredentials());
  auto stub = rpc::Collector::NewStub(channel);

  auto call = [&](int64_t timeout_ms, milliseconds deadline) {
    grpc::ClientContext context;
    context.set_deadline(SystemClock().now() + deadline);
    rpc::Dispatch request;
    request.set_board("a.b");
    request.set_slot(100 + timeout_ms);
    request.set_epoch(1);
    request.set_attempt(1);
    request.set_timeout_ms(timeout_ms);
    rpc::CollectResult reply;
    return stub->Collect(&context, request, &reply);
  };
  // Dispatch timeout 60 s, caller allows 5 s: the inner collector gets about 5 s (the
  // server measures the deadline from its own receive time, so allow a little slack).
  ASSERT_TRUE(call(60'000, seconds(5)).ok());
  // No dispatch timeout: the caller's deadline is the timeout.
  ASSERT_TRUE(call(0, seconds(5)).ok());
  // Dispatch timeout shorter than the deadline: kept.
  ASSERT_TRUE(call(1'000, seconds(5)).ok());

  const std::vector<Dispatch> got = inner.received();
  ASSERT_EQ(got.size(), 3u);
  EXPECT_GT(got[0].timeout, milliseconds(0));
  EXPECT_LE(got[0].timeout, milliseconds(5'500));
  EXPECT_GT(got[1].timeout, milliseconds(0));
  EXPECT_LE(got[1].timeout, milliseconds(5'500));
  EXPECT_EQ(got[2].timeout, milliseconds(1'000));
}

TEST(CollectorServer, ClientTimesOutOnAStuckCollector) {
  ScriptedCollector inner;
  Served s = serve(inner);
  GrpcCollector impatient(local_address(s.server->port()), {.deadline_margin = milliseconds(0)});
  inner.hold();
  Dispatch d = dispatch("slow.board");
  d.timeout = milliseconds(200);
  Result<CollectOutcome> out = impatient.collect(d);
  EXPECT_EQ(out.code(), ErrorCode::kTimeout) << out.status().to_string();
  inner.release();
  ASSERT_TRUE(inner.wait_finished(1));
}

TEST(CollectorServer, HealthReportsIdentityAndLoad) {
  ScriptedCollector inner;
  Served s =
      serve(inner, {.id = "c-9", .groups = {"cn", "global"}, .version = "1.2.3", .capacity = 5});
  ASSERT_TRUE(s.client->collect(dispatch("a.b", 12)).ok());
  Result<CollectorHealth> h = s.client->health();
  ASSERT_TRUE(h.ok()) << h.status().to_string();
  EXPECT_EQ(h->id, "c-9");
  EXPECT_EQ(h->groups, (std::vector<std::string>{"cn", "global"}));
  EXPECT_EQ(h->version, "1.2.3");
  EXPECT_EQ(h->capacity, 5);
  EXPECT_EQ(h->in_flight, 0);
  EXPECT_EQ(h->highest_epoch, 12);
}

TEST(CollectorServer, UnreachableCollectorIsUnavailable) {
  ScriptedCollector inner;
  Served s = serve(inner);
  const std::string address = local_address(s.server->port());
  s.server->stop();
  GrpcCollector gone(address);
  EXPECT_EQ(gone.collect(dispatch("a.b")).code(), ErrorCode::kUnavailable);
  EXPECT_EQ(gone.health().code(), ErrorCode::kUnavailable);
}

TEST(CollectorServer, BusyPortIsAnError) {
  ScriptedCollector inner;
  Served s = serve(inner);
  Result<std::unique_ptr<CollectorServer>> second =
      CollectorServer::start(local_address(s.server->port()), inner, {});
  EXPECT_EQ(second.code(), ErrorCode::kUnavailable);
}

TEST(CollectorServer, StopCancelsACollectPastTheGracePeriod) {
  ScriptedCollector inner;
  Served s = serve(inner);
  inner.hold();
  auto call = std::async(std::launch::async, [&] { return s.client->collect(dispatch("a.b")); });
  ASSERT_TRUE(inner.wait_running(1));
  std::thread stopper([&] { s.server->stop(milliseconds(100)); });
  // The caller learns of the stop while the inner collector is still stuck.
  Result<CollectOutcome> out = call.get();
  EXPECT_EQ(out.code(), ErrorCode::kUnavailable) << out.status().to_string();
  inner.release();
  stopper.join();
  EXPECT_EQ(s.server->in_flight(), 0);
}

}  // namespace
}  // namespace mu
