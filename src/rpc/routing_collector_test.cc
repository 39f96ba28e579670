#include "collector/remote/routing_collector.h"

#include <gtest/gtest.h>

#include <future>
#include <map>
#include <memory>
#include <thread>

#include "core/clock.h"
#include "rpc/collector_client.h"
#include "rpc/collector_server.h"
#include "rpc/rpc_testing.h"

namespace mu {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::FakeRegistry;
using testing::ScriptedCollector;

Dispatch dispatch(const std::string& group, int64_t slot = 1'767'225'600) {
  return Dispatch{"some.board", slot, 1, 1, seconds(20), group};
}

CollectorInfo info(const std::string& id, std::vector<std::string> groups, int in_flight = 0) {
  CollectorInfo c;
  c.id = id;
  c.address = id + ".invalid:1";
  c.groups = std::move(groups);
  c.in_flight = in_flight;
  c.capacity = 8;
  return c;
}

// Forwards to a ScriptedCollector owned by the test (the factory must hand out owners).
class Forwarding final : public Collector {
 public:
  explicit Forwarding(Collector& target) : target_(target) {}
  Result<CollectOutcome> collect(const Dispatch& d) override { return target_.collect(d); }

 private:
  Collector& target_;
};

// Collectors "a", "b", ... registered in a FakeRegistry, each backed by a ScriptedCollector.
class FakeCluster {
 public:
  ScriptedCollector& add(const std::string& id, std::vector<std::string> groups,
                         int in_flight = 0) {
    auto [it, inserted] = scripted_.try_emplace(id, std::make_unique<ScriptedCollector>(id));
    EXPECT_TRUE(registry.heartbeat(info(id, std::move(groups), in_flight), seconds(10)).ok());
    return *it->second;
  }
  ScriptedCollector& at(const std::string& id) { return *scripted_.at(id); }

  RoutingCollector::ClientFactory factory() {
    return [this](const CollectorInfo& c) -> std::unique_ptr<Collector> {
      std::lock_guard lock(mu_);
      ++made_[c.id];
      return std::make_unique<Forwarding>(*scripted_.at(c.id));
    };
  }
  int made(const std::string& id) {
    std::lock_guard lock(mu_);
    return made_[id];
  }

  FakeRegistry registry;

 private:
  std::map<std::string, std::unique_ptr<ScriptedCollector>> scripted_;
  std::mutex mu_;
  std::map<std::string, int> made_;
};

std::string served_by(const Result<CollectOutcome>& out) {
  if (!out.ok()) return "error: " + out.status().to_string();
  return out->collector;
}

TEST(RoutingCollector, RoutesToTheBoardsGroup) {
  FakeCluster cluster;
  cluster.add("a", {"cn"});
  cluster.add("b", {"global"});
  cluster.add("c", {"global", "cn"});
  RoutingCollector router(cluster.registry, cluster.factory());
  for (int i = 0; i < 4; ++i) {
    const std::string who = served_by(router.collect(dispatch("global", i)));
    EXPECT_TRUE(who == "b" || who == "c") << who;
  }
  EXPECT_TRUE(cluster.at("a").received().empty());
  EXPECT_EQ(cluster.at("b").received().size(), 2u);  // equal load: picks rotate
  EXPECT_EQ(cluster.at("c").received().size(), 2u);
  for (int i = 4; i < 8; ++i) {
    const std::string who = served_by(router.collect(dispatch("cn", i)));
    EXPECT_TRUE(who == "a" || who == "c") << who;
  }
  EXPECT_EQ(cluster.at("b").received().size(), 2u);
}

TEST(RoutingCollector, EmptyGroupRunsAnywhere) {
  FakeCluster cluster;
  cluster.add("only", {"global"});
  RoutingCollector router(cluster.registry, cluster.factory());
  EXPECT_EQ(served_by(router.collect(dispatch(""))), "only");
}

TEST(RoutingCollector, NoLiveCollectorInGroupIsUnavailable) {
  FakeCluster cluster;
  cluster.add("a", {"global"});
  RoutingCollector router(cluster.registry, cluster.factory());
  Result<CollectOutcome> out = router.collect(dispatch("cn"));
  EXPECT_EQ(out.code(), ErrorCode::kUnavailable);
  EXPECT_NE(out.error_message().find("no live collector in group cn"), std::string::npos)
      << out.error_message();

  FakeCluster empty;
  RoutingCollector lonely(empty.registry, empty.factory());
  Result<CollectOutcome> none = lonely.collect(dispatch(""));
  EXPECT_EQ(none.code(), ErrorCode::kUnavailable);
  EXPECT_NE(none.error_message().find("no live collector"), std::string::npos);
}

TEST(RoutingCollector, ConcurrentDispatchesSpreadByInFlight) {
  FakeCluster cluster;
  for (const char* id : {"a", "b", "c"}) cluster.add(id, {"cn"}).hold();
  RoutingCollector router(cluster.registry, cluster.factory());
  std::vector<std::future<Result<CollectOutcome>>> calls;
  for (int i = 0; i < 6; ++i) {
    calls.push_back(
        std::async(std::launch::async, [&, i] { return router.collect(dispatch("cn", i)); }));
  }
  for (const char* id : {"a", "b", "c"}) ASSERT_TRUE(cluster.at(id).wait_running(2)) << id;
  for (const char* id : {"a", "b", "c"}) {
    EXPECT_EQ(cluster.at(id).running(), 2) << id;
    EXPECT_EQ(router.in_flight(id), 2) << id;
  }
  for (const char* id : {"a", "b", "c"}) cluster.at(id).release();
  for (auto& call : calls) EXPECT_TRUE(call.get().ok());
  for (const char* id : {"a", "b", "c"}) EXPECT_EQ(router.in_flight(id), 0);
}

TEST(RoutingCollector, SequentialDispatchesRotate) {
  FakeCluster cluster;
  for (const char* id : {"a", "b", "c"}) cluster.add(id, {"cn"});
  RoutingCollector router(cluster.registry, cluster.factory());
  for (int i = 0; i < 6; ++i) ASSERT_TRUE(router.collect(dispatch("cn", i)).ok());
  for (const char* id : {"a", "b", "c"}) EXPECT_EQ(cluster.at(id).received().size(), 2u) << id;
}

TEST(RoutingCollector, RegistryInFlightBreaksTies) {
  FakeCluster cluster;
  cluster.add("loaded", {"cn"}, /*in_flight=*/5);
  cluster.add("idle", {"cn"}, /*in_flight=*/0);
  RoutingCollector router(cluster.registry, cluster.factory());
  EXPECT_EQ(served_by(router.collect(dispatch("cn"))), "idle");
}

TEST(RoutingCollector, UnavailableCollectorIsRetriedElsewhereWithTheSameDispatch) {
  FakeCluster cluster;
  cluster.add("busy", {"cn"}).set_response([](const Dispatch&) -> Result<CollectOutcome> {
    return error(ErrorCode::kUnavailable, "busy: collector busy runs 8 of 8");
  });
  cluster.add("spare", {"cn"}, /*in_flight=*/1);  // so "busy" is tried first
  RoutingCollector router(cluster.registry, cluster.factory());
  Dispatch d = dispatch("cn");
  d.attempt = 2;
  EXPECT_EQ(served_by(router.collect(d)), "spare");
  ASSERT_EQ(cluster.at("busy").received().size(), 1u);
  ASSERT_EQ(cluster.at("spare").received().size(), 1u);
  const Dispatch retried = cluster.at("spare").received()[0];
  EXPECT_EQ(retried.id(), d.id());
  EXPECT_EQ(retried.attempt, 2);
  EXPECT_EQ(retried.epoch, d.epoch);
}

TEST(RoutingCollector, RetryGetsWhatIsLeftOfTheDispatchTimeout) {
  FakeClock clock;
  FakeCluster cluster;
  cluster.add("slow", {"cn"}).set_response([&](const Dispatch&) -> Result<CollectOutcome> {
    clock.advance(seconds(5));
    return error(ErrorCode::kTimeout, "deadline exceeded");
  });
  cluster.add("fast", {"cn"}, 1);
  RoutingCollector router(cluster.registry, cluster.factory(), {.clock = &clock});
  Dispatch d = dispatch("cn");
  d.timeout = seconds(20);
  EXPECT_EQ(served_by(router.collect(d)), "fast");
  ASSERT_EQ(cluster.at("fast").received().size(), 1u);
  EXPECT_EQ(cluster.at("fast").received()[0].timeout, seconds(15));

  // With the whole timeout used up there is no second try.
  cluster.at("slow").set_response([&](const Dispatch&) -> Result<CollectOutcome> {
    clock.advance(seconds(20));
    return error(ErrorCode::kTimeout, "deadline exceeded");
  });
  RoutingCollector fresh(cluster.registry, cluster.factory(), {.clock = &clock});
  EXPECT_EQ(fresh.collect(dispatch("cn", 2)).code(), ErrorCode::kTimeout);
  EXPECT_EQ(cluster.at("fast").received().size(), 1u);
}

TEST(RoutingCollector, TypedErrorsAreReturnedWithoutRetry) {
  for (ErrorCode code : {ErrorCode::kParse, ErrorCode::kHttp, ErrorCode::kBlocked,
                         ErrorCode::kFenced, ErrorCode::kConflict, ErrorCode::kNetwork}) {
    FakeCluster cluster;
    cluster.add("first", {"cn"}).set_response([code](const Dispatch&) -> Result<CollectOutcome> {
      return error(code, "typed").with_http(503, milliseconds(700));
    });
    cluster.add("second", {"cn"}, 1);
    RoutingCollector router(cluster.registry, cluster.factory());
    Result<CollectOutcome> out = router.collect(dispatch("cn"));
    EXPECT_EQ(out.code(), code);
    EXPECT_EQ(out.error_message(), "typed");
    EXPECT_EQ(out.status().http_status(), 503);
    EXPECT_EQ(out.status().retry_after(), milliseconds(700));
    EXPECT_EQ(out.status().origin(), "first");  // the failure record names who failed
    EXPECT_TRUE(cluster.at("second").received().empty()) << error_code_name(code);
  }
}

TEST(RoutingCollector, TriesAtMostMaxTriesCollectors) {
  FakeCluster cluster;
  for (const char* id : {"a", "b", "c", "d"}) {
    cluster.add(id, {"cn"}).set_response([](const Dispatch&) -> Result<CollectOutcome> {
      return error(ErrorCode::kUnavailable, "connection refused");
    });
  }
  RoutingCollector router(cluster.registry, cluster.factory(), {.max_tries = 3});
  Result<CollectOutcome> out = router.collect(dispatch("cn"));
  EXPECT_EQ(out.code(), ErrorCode::kUnavailable);
  EXPECT_NE(out.error_message().find("failed on 3 collector(s)"), std::string::npos)
      << out.error_message();
  EXPECT_FALSE(out.status().origin().empty());  // the last collector tried
  size_t tried = 0;
  for (const char* id : {"a", "b", "c", "d"}) tried += cluster.at(id).received().size();
  EXPECT_EQ(tried, 3u);

  // Fewer candidates than tries: each is tried once.
  FakeCluster two;
  for (const char* id : {"a", "b"}) {
    two.add(id, {"cn"}).set_response([](const Dispatch&) -> Result<CollectOutcome> {
      return error(ErrorCode::kUnavailable, "down");
    });
  }
  RoutingCollector router2(two.registry, two.factory(), {.max_tries = 5});
  EXPECT_EQ(router2.collect(dispatch("cn")).code(), ErrorCode::kUnavailable);
  EXPECT_EQ(two.at("a").received().size(), 1u);
  EXPECT_EQ(two.at("b").received().size(), 1u);
}

TEST(RoutingCollector, CachesTheRegistryAndTheClients) {
  FakeClock clock;
  FakeCluster cluster;
  cluster.add("a", {"cn"});
  RoutingCollector router(cluster.registry, cluster.factory(),
                          {.registry_cache = milliseconds(500), .clock = &clock});
  ASSERT_TRUE(router.collect(dispatch("cn", 1)).ok());
  ASSERT_TRUE(router.collect(dispatch("cn", 2)).ok());
  EXPECT_EQ(cluster.registry.alive_calls(), 1);
  clock.advance(milliseconds(600));
  ASSERT_TRUE(router.collect(dispatch("cn", 3)).ok());
  EXPECT_EQ(cluster.registry.alive_calls(), 2);
  EXPECT_EQ(cluster.made("a"), 1);

  // The collector restarts on another address: a new client.
  CollectorInfo moved = info("a", {"cn"});
  moved.address = "elsewhere.invalid:2";
  ASSERT_TRUE(cluster.registry.heartbeat(moved, seconds(10)).ok());
  clock.advance(milliseconds(600));
  ASSERT_TRUE(router.collect(dispatch("cn", 4)).ok());
  EXPECT_EQ(cluster.made("a"), 2);
}

TEST(RoutingCollector, RegistryOutageRoutesWithTheLastKnownCollectors) {
  FakeClock clock;
  FakeCluster cluster;
  cluster.add("a", {"cn"});
  RoutingCollector router(cluster.registry, cluster.factory(), {.clock = &clock});
  ASSERT_TRUE(router.collect(dispatch("cn", 1)).ok());
  cluster.registry.set_down(true);
  clock.advance(seconds(5));
  EXPECT_EQ(served_by(router.collect(dispatch("cn", 2))), "a");

  RoutingCollector cold(cluster.registry, cluster.factory(), {.clock = &clock});
  EXPECT_EQ(cold.collect(dispatch("cn", 3)).code(), ErrorCode::kUnavailable);
}

// --- against real CollectorServers over 127.0.0.1 ---

class RealCluster {
 public:
  // Starts a server for `id` in `groups` and registers it.
  void add(const std::string& id, std::vector<std::string> groups, int capacity = 8,
           int reported_in_flight = 0) {
    auto& inner = inners_[id];
    inner = std::make_unique<ScriptedCollector>("inner-" + id);
    CollectorServer::Options options;
    options.id = id;
    options.groups = groups;
    options.capacity = capacity;
    Result<std::unique_ptr<CollectorServer>> server =
        CollectorServer::start("127.0.0.1:0", *inner, options);
    ASSERT_TRUE(server.ok()) << server.status().to_string();
    CollectorInfo c;
    c.id = id;
    c.address = "127.0.0.1:" + std::to_string((*server)->port());
    c.groups = std::move(groups);
    c.capacity = capacity;
    c.in_flight = reported_in_flight;
    ASSERT_TRUE(registry.heartbeat(c, seconds(10)).ok());
    servers_[id] = std::move(server).value();
  }
  ScriptedCollector& inner(const std::string& id) { return *inners_.at(id); }
  CollectorServer& server(const std::string& id) { return *servers_.at(id); }

  static RoutingCollector::ClientFactory factory() {
    return [](const CollectorInfo& c) { return std::make_unique<GrpcCollector>(c.address); };
  }

  FakeRegistry registry;

 private:
  std::map<std::string, std::unique_ptr<ScriptedCollector>> inners_;
  std::map<std::string, std::unique_ptr<CollectorServer>> servers_;
};

TEST(RoutingCollectorGrpc, RoutesByGroupOverTheWire) {
  RealCluster cluster;
  cluster.add("cn-1", {"cn"});
  cluster.add("cn-2", {"cn"});
  cluster.add("gl-1", {"global"});
  RoutingCollector router(cluster.registry, RealCluster::factory());
  EXPECT_EQ(served_by(router.collect(dispatch("global", 1))), "gl-1");
  EXPECT_EQ(served_by(router.collect(dispatch("global", 2))), "gl-1");
  const std::string a = served_by(router.collect(dispatch("cn", 3)));
  const std::string b = served_by(router.collect(dispatch("cn", 4)));
  EXPECT_TRUE((a == "cn-1" && b == "cn-2") || (a == "cn-2" && b == "cn-1")) << a << " " << b;

  Result<CollectOutcome> none = router.collect(dispatch("eu", 5));
  EXPECT_EQ(none.code(), ErrorCode::kUnavailable);
  EXPECT_NE(none.error_message().find("no live collector in group eu"), std::string::npos);
}

TEST(RoutingCollectorGrpc, SpreadsConcurrentDispatchesOverTheGroup) {
  RealCluster cluster;
  cluster.add("cn-1", {"cn"});
  cluster.add("cn-2", {"cn"});
  cluster.add("gl-1", {"global"});
  for (const char* id : {"cn-1", "cn-2"}) cluster.inner(id).hold();
  RoutingCollector router(cluster.registry, RealCluster::factory());
  auto first = std::async(std::launch::async, [&] { return router.collect(dispatch("cn", 1)); });
  auto second = std::async(std::launch::async, [&] { return router.collect(dispatch("cn", 2)); });
  ASSERT_TRUE(cluster.inner("cn-1").wait_running(1));
  ASSERT_TRUE(cluster.inner("cn-2").wait_running(1));
  EXPECT_EQ(cluster.server("cn-1").in_flight(), 1);
  EXPECT_EQ(cluster.server("cn-2").in_flight(), 1);
  EXPECT_EQ(cluster.server("gl-1").in_flight(), 0);
  for (const char* id : {"cn-1", "cn-2"}) cluster.inner(id).release();
  EXPECT_TRUE(first.get().ok());
  EXPECT_TRUE(second.get().ok());
}

TEST(RoutingCollectorGrpc, ServerStoppedMidDispatchIsRetriedOnAnotherOfTheGroup) {
  RealCluster cluster;
  cluster.add("cn-1", {"cn"});
  cluster.add("cn-2", {"cn"}, 8, /*reported_in_flight=*/1);  // cn-1 is picked first
  cluster.add("gl-1", {"global"});
  cluster.inner("cn-1").hold();
  RoutingCollector router(cluster.registry, RealCluster::factory());
  Dispatch d = dispatch("cn");
  d.attempt = 1;
  auto call = std::async(std::launch::async, [&] { return router.collect(d); });
  ASSERT_TRUE(cluster.inner("cn-1").wait_running(1));
  // cn-1 goes away while its collect is stuck: callers are cut off after the grace period.
  std::thread stopper([&] { cluster.server("cn-1").stop(milliseconds(50)); });
  Result<CollectOutcome> out = call.get();
  EXPECT_EQ(served_by(out), "cn-2");
  ASSERT_EQ(cluster.inner("cn-2").received().size(), 1u);
  EXPECT_EQ(cluster.inner("cn-2").received()[0].id(), d.id());
  EXPECT_EQ(cluster.inner("cn-2").received()[0].attempt, 1);
  EXPECT_TRUE(cluster.inner("gl-1").received().empty());
  cluster.inner("cn-1").release();
  stopper.join();
}

TEST(RoutingCollectorGrpc, BusyServerIsRetriedOnAnother) {
  RealCluster cluster;
  cluster.add("small", {"cn"}, /*capacity=*/1);
  cluster.add("big", {"cn"}, 8, /*reported_in_flight=*/3);  // "small" is picked first
  // Another router (another scheduler) fills "small".
  GrpcCollector direct("127.0.0.1:" + std::to_string(cluster.server("small").port()));
  cluster.inner("small").hold();
  auto filler = std::async(std::launch::async, [&] { return direct.collect(dispatch("cn", 1)); });
  ASSERT_TRUE(cluster.inner("small").wait_running(1));

  RoutingCollector router(cluster.registry, RealCluster::factory());
  EXPECT_EQ(served_by(router.collect(dispatch("cn", 2))), "big");
  EXPECT_EQ(cluster.server("small").counters().rejected_busy, 1);
  cluster.inner("small").release();
  EXPECT_TRUE(filler.get().ok());
}

TEST(RoutingCollectorGrpc, DeadCollectorStillInTheRegistryIsSkipped) {
  RealCluster cluster;
  cluster.add("dead", {"cn"});
  cluster.add("alive", {"cn"}, 8, /*reported_in_flight=*/2);  // "dead" is picked first
  cluster.server("dead").stop();
  RoutingCollector router(cluster.registry, RealCluster::factory());
  EXPECT_EQ(served_by(router.collect(dispatch("cn"))), "alive");
}

}  // namespace
}  // namespace mu
