// Integration tests for coord/redis against a private redis-server (see testing/redis_server.h).
// Timing: nothing waits for time to pass by sleeping; conditions that depend on a real server
// or on Redis-side expiry are polled with a generous deadline (eventually()), and elapsed real
// time is only asserted as an upper bound for "fails fast" or a lower bound for "not before".
#include "coord/redis/redis_coord.h"

#include <gtest/gtest.h>

#include <atomic>
#include <barrier>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "coord/redis/redis_client.h"
#include "coord/redis/testing/redis_server.h"
#include "core/clock.h"

namespace mu {
namespace {

using namespace std::chrono_literals;
using redis::RedisClient;
using redis::RedisServer;
using redis::RedisValue;

// Polls `pred` every few ms until it holds or `deadline` passed.
template <typename Pred>
bool eventually(Pred pred, Millis deadline = 10s) {
  SystemClock clock;
  const MonoTime until = clock.mono() + deadline;
  while (clock.mono() < until) {
    if (pred()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return pred();
}

// Real elapsed time of `f()`.
template <typename F>
Millis timed(F&& f) {
  SystemClock clock;
  const MonoTime start = clock.mono();
  f();
  return std::chrono::duration_cast<Millis>(clock.mono() - start);
}

// Local TCP ports of ESTABLISHED connections to 127.0.0.1:<port> (in this network namespace;
// only this test's clients connect to its private server).
std::set<int> local_ports_connected_to(int port) {
  std::set<int> out;
  std::ifstream in("/proc/self/net/tcp");
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::istringstream row(line);
    std::string slot, local, remote, state;
    row >> slot >> local >> remote >> state;
    if (state != "01") continue;  // ESTABLISHED
    const auto colon_r = remote.find(':');
    const auto colon_l = local.find(':');
    if (colon_r == std::string::npos || colon_l == std::string::npos) continue;
    if (remote.substr(0, colon_r) != "0100007F") continue;
    if (std::stoi(remote.substr(colon_r + 1), nullptr, 16) != port) continue;
    out.insert(std::stoi(local.substr(colon_l + 1), nullptr, 16));
  }
  return out;
}

class RedisTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Status st = server_.start();
    ASSERT_TRUE(st.ok()) << st.to_string();
    auto c = make_redis_coordination(options());
    ASSERT_TRUE(c.ok()) << c.status().to_string();
    coord_ = std::move(c).value();
  }

  RedisOptions options() const {
    RedisOptions o;
    o.url = server_.url();
    o.prefix = "t";
    o.connect_timeout = 500ms;
    o.command_timeout = 500ms;
    return o;
  }

  // A raw command on the shared client; fails the test on errors.
  RedisValue raw(std::initializer_list<std::string_view> args) {
    auto r = coord_.client->command(args);
    EXPECT_TRUE(r.ok()) << r.status().to_string();
    return r.ok() ? *r : RedisValue::nil();
  }

  RedisServer server_;
  RedisCoordination coord_;
};

// --- URL and client ---

TEST(RedisUrl, ParsesHostPortDatabaseAndCredentials) {
  auto a = redis::parse_redis_url("redis://10.0.0.5:6390");
  ASSERT_TRUE(a.ok()) << a.status().to_string();
  EXPECT_EQ(a->host, "10.0.0.5");
  EXPECT_EQ(a->port, 6390);
  EXPECT_EQ(a->db, 0);
  EXPECT_EQ(a->password, "");
  EXPECT_EQ(a->address(), "10.0.0.5:6390");

  auto b = redis::parse_redis_url("redis://:p%40ss:w@cache.internal/3");
  ASSERT_TRUE(b.ok()) << b.status().to_string();
  EXPECT_EQ(b->host, "cache.internal");
  EXPECT_EQ(b->port, 6379);
  EXPECT_EQ(b->db, 3);
  EXPECT_EQ(b->user, "");
  EXPECT_EQ(b->password, "p@ss:w");

  auto c = redis::parse_redis_url("redis://mu:secret@[::1]:7000/");
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  EXPECT_EQ(c->host, "::1");
  EXPECT_EQ(c->port, 7000);
  EXPECT_EQ(c->user, "mu");
  EXPECT_EQ(c->address(), "[::1]:7000");

  for (const char* bad : {"http://x:1", "redis://", "redis://h:0", "redis://h:99999",
                          "redis://h:12ab", "redis://h/x", "redis://secret@h", "rediss://h:1",
                          "redis://:@h", "redis://h:1?db=2", "redis://:bad%zz@h"}) {
    auto r = redis::parse_redis_url(bad);
    EXPECT_EQ(r.code(), ErrorCode::kConfig) << bad;
  }
  // The password never shows up in the message.
  auto secret = redis::parse_redis_url("redis://:hunter2@h:notaport");
  ASSERT_FALSE(secret.ok());
  EXPECT_EQ(secret.error_message().find("hunter2"), std::string::npos);
}

TEST(RedisErrors, RepliesMapToCategories) {
  using redis::reply_error_status;
  EXPECT_EQ(reply_error_status("h:1", "LOADING Redis is loading").code(), ErrorCode::kUnavailable);
  EXPECT_EQ(reply_error_status("h:1", "NOAUTH Authentication required.").code(),
            ErrorCode::kConfig);
  EXPECT_EQ(reply_error_status("h:1", "WRONGTYPE Operation against a key").code(),
            ErrorCode::kInvalid);
  EXPECT_EQ(reply_error_status("h:1", "ERR syntax error").code(), ErrorCode::kInvalid);
  EXPECT_EQ(reply_error_status("h:1", "ERR Invalid stream ID specified").code(),
            ErrorCode::kInvalid);
  EXPECT_EQ(reply_error_status("h:1", "ERR unknown command 'X'").code(), ErrorCode::kInternal);
  EXPECT_EQ(reply_error_status("h:1", "NOSCRIPT No matching script").code(), ErrorCode::kInternal);
  EXPECT_EQ(reply_error_status("h:1", "ERR syntax error").message(), "redis h:1: ERR syntax error");
}

TEST_F(RedisTest, ClientConvertsEveryReplyTypeAndIsBinarySafe) {
  const std::string binary("a\0b\r\n%s $1", 11);
  auto set = coord_.client->command({"SET", "{t}:bin", binary});
  ASSERT_TRUE(set.ok()) << set.status().to_string();
  EXPECT_TRUE(set->is_status());
  EXPECT_EQ(set->str, "OK");

  auto get = coord_.client->command({"GET", "{t}:bin"});
  ASSERT_TRUE(get.ok());
  ASSERT_TRUE(get->is_string());
  EXPECT_EQ(get->str, binary);

  EXPECT_TRUE(raw({"GET", "{t}:missing"}).is_nil());
  EXPECT_EQ(raw({"INCRBY", "{t}:n", "41"}).integer, 41);
  raw({"RPUSH", "{t}:list", "x", "", "z"});
  RedisValue list = raw({"LRANGE", "{t}:list", "0", "-1"});
  ASSERT_TRUE(list.is_array());
  ASSERT_EQ(list.elements.size(), 3u);
  EXPECT_EQ(list.elements[1].str, "");
  EXPECT_EQ(list.elements[2].str, "z");

  // Error replies: values from call(), a Status from command().
  auto wrong = coord_.client->call({"INCR", "{t}:list"});
  ASSERT_TRUE(wrong.ok());
  EXPECT_TRUE(wrong->is_error());
  EXPECT_EQ(wrong->error_prefix(), "WRONGTYPE");
  auto wrong_status = coord_.client->command({"INCR", "{t}:list"});
  EXPECT_EQ(wrong_status.code(), ErrorCode::kInvalid);
  EXPECT_NE(wrong_status.error_message().find("WRONGTYPE"), std::string::npos);
  EXPECT_EQ(coord_.client->command({"NOSUCHCOMMAND"}).code(), ErrorCode::kInternal);
  // The connection is still usable after error replies.
  EXPECT_EQ(raw({"PING"}).str, "PONG");
}

TEST(RedisClientDown, ConnectionRefusedIsUnavailableAndNamesTheAddress) {
  RedisServer never_started;  // owns a free port nobody listens on
  auto client = RedisClient::create(never_started.url());
  ASSERT_TRUE(client.ok());
  Result<RedisValue> r = RedisValue::nil();
  const Millis took = timed([&] { r = (*client)->command({"PING"}); });
  EXPECT_EQ(r.code(), ErrorCode::kUnavailable);
  EXPECT_EQ(r.error_message(), "redis " + never_started.address() + ": connection refused");
  EXPECT_LT(took, 1000ms);
}

TEST(RedisClientDown, BackoffFailsFastUntilItIsTimeToReconnect) {
  RedisServer server;
  FakeClock clock;
  redis::RedisClientOptions o;
  o.backoff_initial = 50ms;
  o.backoff_max = 2000ms;
  auto created = RedisClient::create(server.url(), o, &clock);
  ASSERT_TRUE(created.ok());
  RedisClient& client = **created;

  EXPECT_EQ(client.command({"PING"}).code(), ErrorCode::kUnavailable);  // refused; backoff 50
  clock.advance(50ms);
  EXPECT_EQ(client.command({"PING"}).code(), ErrorCode::kUnavailable);  // refused; backoff 100

  Status st = server.start();
  ASSERT_TRUE(st.ok()) << st.to_string();
  // The server is up, but the backoff (100 ms since the last attempt) has not passed: the call
  // fails without trying, and says when it will.
  clock.advance(60ms);
  auto fast = client.command({"PING"});
  EXPECT_EQ(fast.code(), ErrorCode::kUnavailable);
  EXPECT_NE(fast.error_message().find("next attempt in 40 ms"), std::string::npos)
      << fast.error_message();
  clock.advance(40ms);
  auto ok = client.command({"PING"});
  ASSERT_TRUE(ok.ok()) << ok.status().to_string();
  EXPECT_EQ(ok->str, "PONG");
}

TEST(RedisClientDown, BackoffDoublesUpToTheCap) {
  RedisServer server;  // never started
  FakeClock clock;
  redis::RedisClientOptions o;
  o.backoff_initial = 50ms;
  o.backoff_max = 300ms;
  auto created = RedisClient::create(server.url(), o, &clock);
  ASSERT_TRUE(created.ok());
  RedisClient& client = **created;
  // Each attempt fails; the next one is allowed only after 50, 100, 200, 300, 300 ms.
  for (Millis wait : {50ms, 100ms, 200ms, 300ms, 300ms}) {
    auto attempt = client.command({"PING"});
    EXPECT_EQ(attempt.error_message().find("next attempt"), std::string::npos)
        << "should have tried to connect: " << attempt.error_message();
    clock.advance(wait - 1ms);
    auto early = client.command({"PING"});
    EXPECT_NE(early.error_message().find("next attempt in 1 ms"), std::string::npos)
        << early.error_message();
    clock.advance(1ms);
  }
}

TEST_F(RedisTest, ClientReconnectsTransparentlyAfterARestart) {
  raw({"SET", "{t}:k", "v"});
  ASSERT_TRUE(server_.stop().ok());
  Status st = server_.start();
  ASSERT_TRUE(st.ok()) << st.to_string();
  // The old connection is closed by the server: detected before sending, so the very first
  // command after the restart succeeds on a new connection.
  auto r = coord_.client->command({"GET", "{t}:k"});
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_TRUE(r->is_nil());  // no persistence: the key is gone
}

TEST_F(RedisTest, ScriptsAreReloadedAfterARestart) {
  redis::LuaScript script("return tonumber(ARGV[1]) + 1");
  const std::string_view args[] = {"41"};
  auto first = coord_.client->eval(script, {}, args);
  ASSERT_TRUE(first.ok()) << first.status().to_string();
  EXPECT_EQ(first->integer, 42);
  ASSERT_TRUE(server_.stop().ok());
  ASSERT_TRUE(server_.start().ok());
  // The server forgot the script: EVALSHA answers NOSCRIPT and the client falls back to EVAL.
  auto again = coord_.client->eval(script, {}, args);
  ASSERT_TRUE(again.ok()) << again.status().to_string();
  EXPECT_EQ(again->integer, 42) << again->debug_string();
}

TEST(RedisAuth, PasswordFromTheUrlIsUsedAndNeverShown) {
  RedisServer::Options so;
  so.extra_args = {"--requirepass", "s3cret"};
  RedisServer server(so);
  Status st = server.start();
  ASSERT_TRUE(st.ok()) << st.to_string();

  auto good = RedisClient::create("redis://:s3cret@127.0.0.1:" + std::to_string(server.port()));
  ASSERT_TRUE(good.ok());
  auto pong = (*good)->command({"PING"});
  ASSERT_TRUE(pong.ok()) << pong.status().to_string();
  EXPECT_EQ(pong->str, "PONG");

  auto bad = RedisClient::create("redis://:wrongpw@127.0.0.1:" + std::to_string(server.port()));
  ASSERT_TRUE(bad.ok());
  auto denied = (*bad)->command({"PING"});
  EXPECT_EQ(denied.code(), ErrorCode::kConfig);
  EXPECT_EQ(denied.error_message().find("wrongpw"), std::string::npos) << denied.error_message();

  auto none = RedisClient::create(server.url());
  ASSERT_TRUE(none.ok());
  EXPECT_EQ((*none)->command({"PING"}).code(), ErrorCode::kConfig);  // NOAUTH
}

TEST_F(RedisTest, DatabaseFromTheUrlIsSelected) {
  auto db5 = RedisClient::create(server_.url() + "/5");
  ASSERT_TRUE(db5.ok());
  ASSERT_TRUE((*db5)->command({"SET", "{t}:where", "five"}).ok());
  EXPECT_TRUE(raw({"GET", "{t}:where"}).is_nil());  // db 0 does not see it
  auto back = (*db5)->command({"GET", "{t}:where"});
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->str, "five");
}

TEST(RedisFactory, RejectsBadOptionsWithoutContactingRedis) {
  RedisOptions o;
  o.url = "redis://127.0.0.1:1";  // nothing listens there; the factory must not care
  EXPECT_TRUE(make_redis_coordination(o).ok());
  o.prefix = "";
  EXPECT_EQ(make_redis_coordination(o).code(), ErrorCode::kConfig);
  o.prefix = "a}b";
  EXPECT_EQ(make_redis_coordination(o).code(), ErrorCode::kConfig);
  o.prefix = "mu";
  o.url = "127.0.0.1:6379";
  EXPECT_EQ(make_redis_coordination(o).code(), ErrorCode::kConfig);
}

// --- lease ---

TEST_F(RedisTest, LeaseAcquireRenewRelease) {
  RedisLeaseStore& lease = *coord_.leases;
  auto a = lease.try_acquire("node-a", 10s);
  ASSERT_TRUE(a.ok()) << a.status().to_string();
  ASSERT_TRUE(a->has_value());
  const int64_t epoch = **a;
  EXPECT_EQ(epoch, 1);

  auto b = lease.try_acquire("node-b", 10s);
  ASSERT_TRUE(b.ok());
  EXPECT_FALSE(b->has_value()) << "held by node-a";

  auto who = lease.leader();
  ASSERT_TRUE(who.ok());
  ASSERT_TRUE(who->has_value());
  EXPECT_EQ((*who)->holder, "node-a");
  EXPECT_EQ((*who)->epoch, epoch);
  EXPECT_GT((*who)->ttl_left, 0ms);
  EXPECT_LE((*who)->ttl_left, 10s);

  EXPECT_EQ(lease.renew("node-a", epoch, 20s).value_or(false), true);
  auto renewed = lease.leader();
  ASSERT_TRUE(renewed.ok() && renewed->has_value());
  EXPECT_GT((*renewed)->ttl_left, 10s);                                // extended by the new ttl
  EXPECT_EQ(lease.renew("node-b", epoch, 20s).value_or(true), false);  // not the holder
  EXPECT_EQ(lease.renew("node-a", epoch + 1, 20s).value_or(true), false);  // wrong epoch

  ASSERT_TRUE(lease.release("node-b", epoch).ok());  // not ours: no-op
  ASSERT_TRUE(lease.release("node-a", epoch + 1).ok());
  who = lease.leader();
  ASSERT_TRUE(who.ok() && who->has_value());
  EXPECT_EQ((*who)->holder, "node-a");

  ASSERT_TRUE(lease.release("node-a", epoch).ok());
  who = lease.leader();
  ASSERT_TRUE(who.ok());
  EXPECT_FALSE(who->has_value());
  EXPECT_EQ(lease.renew("node-a", epoch, 10s).value_or(true), false);  // released

  auto b2 = lease.try_acquire("node-b", 10s);
  ASSERT_TRUE(b2.ok() && b2->has_value());
  EXPECT_EQ(**b2, epoch + 1);
  EXPECT_EQ(lease.current_epoch().value_or(0), epoch + 1);

  // Holders may contain the separator.
  ASSERT_TRUE(lease.release("node-b", epoch + 1).ok());
  auto odd = lease.try_acquire("host|42", 10s);
  ASSERT_TRUE(odd.ok() && odd->has_value());
  who = lease.leader();
  ASSERT_TRUE(who.ok() && who->has_value());
  EXPECT_EQ((*who)->holder, "host|42");
  EXPECT_EQ((*who)->epoch, epoch + 2);
}

TEST_F(RedisTest, LeaseRejectsBadArguments) {
  EXPECT_EQ(coord_.leases->try_acquire("", 1s).code(), ErrorCode::kInvalid);
  EXPECT_EQ(coord_.leases->try_acquire("a", 0ms).code(), ErrorCode::kInvalid);
  EXPECT_EQ(coord_.leases->try_acquire_above("a", 1s, -1).code(), ErrorCode::kInvalid);
  EXPECT_EQ(coord_.leases->renew("a", 1, -5ms).code(), ErrorCode::kInvalid);
}

TEST_F(RedisTest, LeaseRaceHasExactlyOneWinnerPerRoundAndEpochsIncrease) {
  constexpr int kRounds = 100;
  // Each thread uses its own connection, so the two scripts really race on the server.
  auto other = make_redis_coordination(options());
  ASSERT_TRUE(other.ok());
  RedisLeaseStore* stores[2] = {coord_.leases.get(), other->leases.get()};
  std::optional<int64_t> won[2][kRounds];
  bool failed[2] = {false, false};
  std::barrier sync(2);
  auto contender = [&](int who) {
    const std::string me = who == 0 ? "left" : "right";
    for (int round = 0; round < kRounds; ++round) {
      sync.arrive_and_wait();  // both try at once
      auto r = stores[who]->try_acquire(me, 30s);
      if (!r.ok()) {
        failed[who] = true;
      } else {
        won[who][round] = *r;
      }
      sync.arrive_and_wait();  // both tried
      if (won[who][round]) {
        if (!stores[who]->release(me, *won[who][round]).ok()) failed[who] = true;
      }
      sync.arrive_and_wait();  // lease free again
    }
  };
  std::thread left(contender, 0);
  std::thread right(contender, 1);
  left.join();
  right.join();
  ASSERT_FALSE(failed[0] || failed[1]);

  int64_t last = 0;
  int left_wins = 0;
  for (int round = 0; round < kRounds; ++round) {
    const bool l = won[0][round].has_value();
    const bool r = won[1][round].has_value();
    ASSERT_NE(l, r) << "round " << round << ": exactly one must win";
    const int64_t epoch = l ? *won[0][round] : *won[1][round];
    EXPECT_GT(epoch, last) << "round " << round;
    last = epoch;
    left_wins += l ? 1 : 0;
  }
  EXPECT_EQ(last, kRounds);  // one INCR per successful acquisition, none for losers
  SUCCEED() << "left won " << left_wins << " of " << kRounds;
}

TEST_F(RedisTest, LeaseRenewAfterExpiryFails) {
  RedisLeaseStore& lease = *coord_.leases;
  auto a = lease.try_acquire("node-a", 150ms);
  ASSERT_TRUE(a.ok() && a->has_value());
  ASSERT_TRUE(eventually([&] {
    auto who = lease.leader();
    return who.ok() && !who->has_value();
  })) << "the lease never expired";
  EXPECT_EQ(lease.renew("node-a", **a, 10s).value_or(true), false);
  auto b = lease.try_acquire("node-b", 10s);
  ASSERT_TRUE(b.ok() && b->has_value());
  EXPECT_EQ(**b, **a + 1);
  EXPECT_EQ(lease.renew("node-a", **a, 10s).value_or(true), false);
  EXPECT_EQ(lease.renew("node-b", **b, 10s).value_or(false), true);
}

TEST_F(RedisTest, LeaseFloorKeepsEpochsMonotonicAcrossARestart) {
  RedisLeaseStore& lease = *coord_.leases;
  int64_t known = 0;  // what the elector would read from the store's fence
  for (int i = 0; i < 3; ++i) {
    auto r = lease.try_acquire_above("node-a", 10s, known);
    ASSERT_TRUE(r.ok() && r->has_value());
    known = **r;
    ASSERT_TRUE(lease.release("node-a", known).ok());
  }
  ASSERT_EQ(known, 3);

  ASSERT_TRUE(server_.stop().ok());
  ASSERT_TRUE(server_.start().ok());
  EXPECT_EQ(lease.current_epoch().value_or(-1), 0) << "no persistence: the counter is gone";

  auto after = lease.try_acquire_above("node-b", 10s, known);
  ASSERT_TRUE(after.ok()) << after.status().to_string();
  ASSERT_TRUE(after->has_value());
  EXPECT_EQ(**after, known + 1);
  ASSERT_TRUE(lease.release("node-b", **after).ok());

  // A floor below the counter changes nothing; try_acquire is floor 0.
  auto low = lease.try_acquire_above("node-a", 10s, 1);
  ASSERT_TRUE(low.ok() && low->has_value());
  EXPECT_EQ(**low, known + 2);
  ASSERT_TRUE(lease.release("node-a", **low).ok());
  auto plain = lease.try_acquire("node-a", 10s);
  ASSERT_TRUE(plain.ok() && plain->has_value());
  EXPECT_EQ(**plain, known + 3);

  // Without a floor, a restart really does reset the epoch: what the floor protects against.
  ASSERT_TRUE(server_.stop().ok());
  ASSERT_TRUE(server_.start().ok());
  auto naive = lease.try_acquire("node-c", 10s);
  ASSERT_TRUE(naive.ok() && naive->has_value());
  EXPECT_EQ(**naive, 1);
}

TEST_F(RedisTest, AllKeysShareOneHashTag) {
  ASSERT_TRUE(coord_.leases->try_acquire("a", 10s).ok());
  CollectorInfo info;
  info.id = "c1";
  ASSERT_TRUE(coord_.collectors->heartbeat(info, 10s).ok());
  ASSERT_TRUE(coord_.changes->add("x").ok());
  ASSERT_TRUE(coord_.changes->read("s1", 1, 0ms).ok());
  RedisValue keys = raw({"KEYS", "*"});
  ASSERT_TRUE(keys.is_array());
  std::set<std::string> names;
  for (const auto& k : keys.elements) names.insert(k.str);
  EXPECT_EQ(names, (std::set<std::string>{"{t}:leader", "{t}:epoch", "{t}:collectors",
                                          "{t}:collectors:due", "{t}:changes"}));
  EXPECT_EQ(raw({"TYPE", "{t}:changes"}).str, "stream");

  // Another prefix is an independent deployment on the same Redis.
  RedisOptions o = options();
  o.prefix = "other";
  auto other = make_redis_coordination(o);
  ASSERT_TRUE(other.ok());
  auto r = other->leases->try_acquire("b", 10s);
  ASSERT_TRUE(r.ok() && r->has_value());
  EXPECT_EQ(**r, 1);
}

// --- collector registry ---

CollectorInfo collector(std::string id) {
  CollectorInfo c;
  c.id = std::move(id);
  c.address = "10.1.2.3:7100";
  c.groups = {"default", "cn-east"};
  c.version = "0.1.0";
  c.in_flight = 2;
  c.capacity = 8;
  c.started_ms = 1'767'225'600'123;
  return c;
}

int64_t redis_time_ms(RedisClient& client) {
  auto t = client.command({"TIME"});
  if (!t.ok() || !t->is_array() || t->elements.size() != 2) return -1;
  return std::stoll(t->elements[0].str) * 1000 + std::stoll(t->elements[1].str) / 1000;
}

TEST_F(RedisTest, RegistryHeartbeatRoundTripsWithRedisTime) {
  const int64_t before = redis_time_ms(*coord_.client);
  ASSERT_TRUE(coord_.collectors->heartbeat(collector("c1"), 60s).ok());
  const int64_t after = redis_time_ms(*coord_.client);

  auto alive = coord_.collectors->alive();
  ASSERT_TRUE(alive.ok()) << alive.status().to_string();
  ASSERT_EQ(alive->size(), 1u);
  const CollectorInfo& c = alive->front();
  EXPECT_EQ(c.id, "c1");
  EXPECT_EQ(c.address, "10.1.2.3:7100");
  EXPECT_EQ(c.groups, (std::vector<std::string>{"default", "cn-east"}));
  EXPECT_EQ(c.version, "0.1.0");
  EXPECT_EQ(c.in_flight, 2);
  EXPECT_EQ(c.capacity, 8);
  EXPECT_EQ(c.started_ms, 1'767'225'600'123);
  EXPECT_GE(c.heartbeat_ms, before);
  EXPECT_LE(c.heartbeat_ms, after);
}

TEST_F(RedisTest, RegistryHeartbeatRefreshesAndRemoveDeletes) {
  CollectorInfo c = collector("c1");
  ASSERT_TRUE(coord_.collectors->heartbeat(c, 60s).ok());
  ASSERT_TRUE(coord_.collectors->heartbeat(collector("c0"), 60s).ok());
  c.in_flight = 7;
  c.groups = {};
  ASSERT_TRUE(coord_.collectors->heartbeat(c, 60s).ok());
  auto alive = coord_.collectors->alive();
  ASSERT_TRUE(alive.ok());
  ASSERT_EQ(alive->size(), 2u);
  EXPECT_EQ((*alive)[0].id, "c0");  // sorted by id
  EXPECT_EQ((*alive)[1].id, "c1");
  EXPECT_EQ((*alive)[1].in_flight, 7);
  EXPECT_TRUE((*alive)[1].groups.empty());

  ASSERT_TRUE(coord_.collectors->remove("c1").ok());
  ASSERT_TRUE(coord_.collectors->remove("never-registered").ok());
  alive = coord_.collectors->alive();
  ASSERT_TRUE(alive.ok());
  ASSERT_EQ(alive->size(), 1u);
  EXPECT_EQ((*alive)[0].id, "c0");
  EXPECT_EQ(raw({"HEXISTS", "{t}:collectors", "c1"}).integer, 0);

  EXPECT_EQ(coord_.collectors->heartbeat(collector(""), 1s).code(), ErrorCode::kInvalid);
  EXPECT_EQ(coord_.collectors->heartbeat(collector("x"), 0ms).code(), ErrorCode::kInvalid);
}

TEST_F(RedisTest, RegistryEntryDiesAfterItsTtlAndIsRemovedLazily) {
  SystemClock clock;
  ASSERT_TRUE(coord_.collectors->heartbeat(collector("long"), 60s).ok());
  const MonoTime sent = clock.mono();
  ASSERT_TRUE(coord_.collectors->heartbeat(collector("short"), 300ms).ok());
  auto score = raw({"ZSCORE", "{t}:collectors:due", "short"});
  ASSERT_TRUE(score.is_string());
  const int64_t deadline = std::stoll(score.str);

  // Wait (by Redis' own clock) until the entry is past its deadline: it is still stored, since
  // nothing removes it until someone reads the registry.
  ASSERT_TRUE(eventually([&] { return redis_time_ms(*coord_.client) > deadline; }));
  EXPECT_GE(clock.mono() - sent, 290ms) << "Redis time moved faster than local time";
  EXPECT_EQ(raw({"HEXISTS", "{t}:collectors", "short"}).integer, 1);

  auto alive = coord_.collectors->alive();
  ASSERT_TRUE(alive.ok());
  ASSERT_EQ(alive->size(), 1u);
  EXPECT_EQ((*alive)[0].id, "long");
  EXPECT_EQ(raw({"HEXISTS", "{t}:collectors", "short"}).integer, 0);
  EXPECT_TRUE(raw({"ZSCORE", "{t}:collectors:due", "short"}).is_nil());

  // A heartbeat brings it back.
  ASSERT_TRUE(coord_.collectors->heartbeat(collector("short"), 60s).ok());
  alive = coord_.collectors->alive();
  ASSERT_TRUE(alive.ok());
  EXPECT_EQ(alive->size(), 2u);
}

TEST_F(RedisTest, RegistryAliveFiltersByTtlWhenPolled) {
  SystemClock clock;
  ASSERT_TRUE(coord_.collectors->heartbeat(collector("keeper"), 60s).ok());
  const MonoTime sent = clock.mono();
  ASSERT_TRUE(coord_.collectors->heartbeat(collector("goner"), 300ms).ok());
  ASSERT_TRUE(eventually([&] {
    auto alive = coord_.collectors->alive();
    return alive.ok() && alive->size() == 1 && (*alive)[0].id == "keeper";
  })) << "goner never died";
  EXPECT_GE(clock.mono() - sent, 290ms) << "died before its ttl";
}

// --- change queue ---

// Stream ids "ms-seq" in numeric order.
bool id_less(const std::string& a, const std::string& b) {
  auto split = [](const std::string& s) {
    const auto dash = s.find('-');
    return std::pair<int64_t, int64_t>(std::stoll(s.substr(0, dash)),
                                       std::stoll(s.substr(dash + 1)));
  };
  return split(a) < split(b);
}

TEST_F(RedisTest, QueueAddReadAck) {
  RedisChangeQueue& q = *coord_.changes;
  std::vector<std::string> ids;
  const std::vector<std::string> payloads = {"one", "two", std::string("th\0ree", 6)};
  for (const std::string& p : payloads) {
    auto id = q.add(p);
    ASSERT_TRUE(id.ok()) << id.status().to_string();
    ids.push_back(*id);
  }
  ASSERT_TRUE(id_less(ids[0], ids[1]));
  ASSERT_TRUE(id_less(ids[1], ids[2]));
  EXPECT_EQ(q.depth().value_or(-1), 3);

  auto got = q.read("s1", 2, 0ms);
  ASSERT_TRUE(got.ok()) << got.status().to_string();
  ASSERT_EQ(got->size(), 2u);
  EXPECT_EQ((*got)[0].id, ids[0]);
  EXPECT_EQ((*got)[0].payload, "one");
  EXPECT_EQ((*got)[0].deliveries, 1);
  EXPECT_EQ((*got)[1].payload, "two");
  EXPECT_EQ(q.depth().value_or(-1), 3) << "read but not acknowledged still counts";

  auto rest = q.read("s1", 10, 0ms);
  ASSERT_TRUE(rest.ok());
  ASSERT_EQ(rest->size(), 1u);
  EXPECT_EQ((*rest)[0].id, ids[2]);

  ASSERT_TRUE(q.ack(ids[0]).ok());
  ASSERT_TRUE(q.ack(ids[0]).ok());  // twice is fine
  EXPECT_EQ(q.depth().value_or(-1), 2);
  ASSERT_TRUE(q.ack(ids[1]).ok());
  ASSERT_TRUE(q.ack(ids[2]).ok());
  EXPECT_EQ(q.depth().value_or(-1), 0);

  auto none = q.read("s2", 10, 0ms);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty()) << "every entry was delivered once already";
  EXPECT_EQ(q.ack("not-an-id").code(), ErrorCode::kInvalid);
  EXPECT_EQ(q.ack("12-x").code(), ErrorCode::kInvalid);
  EXPECT_EQ(q.read("", 1, 0ms).code(), ErrorCode::kInvalid);
  EXPECT_EQ(q.read("s1", 0, 0ms).code(), ErrorCode::kInvalid);
}

TEST_F(RedisTest, QueueDeliversEntriesAddedBeforeTheGroupExisted) {
  // On a fresh Redis the first add() creates the stream without a group; the group, created
  // by the first read, must still deliver it.
  auto id = coord_.changes->add("early");
  ASSERT_TRUE(id.ok());
  auto got = coord_.changes->read("s1", 10, 0ms);
  ASSERT_TRUE(got.ok()) << got.status().to_string();
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ((*got)[0].payload, "early");
}

TEST_F(RedisTest, QueueBlockingReadWaitsForAnAdd) {
  RedisChangeQueue& q = *coord_.changes;
  SystemClock clock;
  // Empty: waits about the block time, then returns nothing.
  const MonoTime t0 = clock.mono();
  auto empty = q.read("s1", 10, 200ms);
  ASSERT_TRUE(empty.ok()) << empty.status().to_string();
  EXPECT_TRUE(empty->empty());
  EXPECT_GE(clock.mono() - t0, 150ms);

  Result<std::vector<QueueEntry>> got = std::vector<QueueEntry>{};
  std::thread reader([&] { got = q.read("s1", 10, 5000ms); });
  // While the read blocks on its own connection, other calls go through at once.
  ASSERT_TRUE(eventually([&] {
    auto clients = coord_.client->command({"CLIENT", "LIST"});
    if (!clients.ok()) return false;
    std::istringstream lines(clients->str);
    for (std::string line; std::getline(lines, line);) {
      if (line.find("cmd=xreadgroup") != std::string::npos &&
          line.find("flags=b") != std::string::npos) {
        return true;
      }
    }
    return false;
  })) << "the reader never blocked";
  const Millis depth_took = timed([&] { EXPECT_EQ(q.depth().value_or(-1), 0); });
  EXPECT_LT(depth_took, 1000ms);
  ASSERT_TRUE(q.add("wake up").ok());
  reader.join();
  ASSERT_TRUE(got.ok()) << got.status().to_string();
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ((*got)[0].payload, "wake up");
}

TEST_F(RedisTest, QueueClaimMovesIdleEntriesToAnotherConsumer) {
  RedisChangeQueue& q = *coord_.changes;
  ASSERT_TRUE(q.add("a").ok());
  ASSERT_TRUE(q.add("b").ok());
  ASSERT_TRUE(q.add("c").ok());
  auto taken = q.read("dead-consumer", 2, 0ms);
  ASSERT_TRUE(taken.ok());
  ASSERT_EQ(taken->size(), 2u);

  auto too_soon = q.claim("rescuer", 1h, 10);
  ASSERT_TRUE(too_soon.ok()) << too_soon.status().to_string();
  EXPECT_TRUE(too_soon->empty()) << "not idle for an hour yet";

  std::vector<QueueEntry> claimed;
  ASSERT_TRUE(eventually([&] {
    auto r = q.claim("rescuer", 100ms, 10);
    if (!r.ok()) return false;
    claimed.insert(claimed.end(), r->begin(), r->end());
    return claimed.size() >= 2;
  }));
  ASSERT_EQ(claimed.size(), 2u);
  EXPECT_EQ(claimed[0].payload, "a");
  EXPECT_EQ(claimed[1].payload, "b");
  EXPECT_EQ(claimed[0].deliveries, 2);
  EXPECT_EQ(claimed[1].deliveries, 2);

  // Now pending on "rescuer": the dead consumer's entries moved; "c" was never read.
  auto pending = raw({"XPENDING", "{t}:changes", "schedulers", "-", "+", "10", "rescuer"});
  ASSERT_TRUE(pending.is_array());
  EXPECT_EQ(pending.elements.size(), 2u);
  EXPECT_EQ(q.depth().value_or(-1), 3);
  for (const auto& e : claimed) ASSERT_TRUE(q.ack(e.id).ok());
  EXPECT_EQ(q.depth().value_or(-1), 1);
  auto again = q.claim("rescuer", 0ms, 10);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->empty());
  auto c = q.read("rescuer", 10, 0ms);
  ASSERT_TRUE(c.ok());
  ASSERT_EQ(c->size(), 1u);
  EXPECT_EQ((*c)[0].payload, "c");

  // claim honours max.
  ASSERT_TRUE(eventually([&] {
    auto one = q.claim("third", 0ms, 1);
    return one.ok() && one->size() == 1 && (*one)[0].deliveries == 2;
  }));
}

TEST_F(RedisTest, QueueSurvivesNogroupAfterARestart) {
  RedisChangeQueue& q = *coord_.changes;
  ASSERT_TRUE(q.add("before").ok());
  auto first = q.read("s1", 10, 0ms);
  ASSERT_TRUE(first.ok() && first->size() == 1u);

  ASSERT_TRUE(server_.stop().ok());
  ASSERT_TRUE(server_.start().ok());

  // The stream and group are gone. Reads and claims recreate the group instead of failing.
  auto claim = q.claim("s1", 0ms, 10);
  ASSERT_TRUE(claim.ok()) << claim.status().to_string();
  EXPECT_TRUE(claim->empty());
  auto empty = q.read("s1", 10, 0ms);
  ASSERT_TRUE(empty.ok()) << empty.status().to_string();
  EXPECT_TRUE(empty->empty());

  ASSERT_TRUE(server_.stop().ok());
  ASSERT_TRUE(server_.start().ok());
  auto id = q.add("after");
  ASSERT_TRUE(id.ok()) << id.status().to_string();
  EXPECT_EQ(q.depth().value_or(-1), 1);
  auto got = q.read("s1", 10, 100ms);
  ASSERT_TRUE(got.ok()) << got.status().to_string();
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ((*got)[0].payload, "after");
  ASSERT_TRUE(q.ack((*got)[0].id).ok());
  EXPECT_EQ(q.depth().value_or(-1), 0);
}

// --- events ---

// Collects what a subscription delivers.
struct Recorder {
  std::mutex mu;
  std::vector<BoardUpdated> events;
  std::atomic<int> resyncs{0};

  std::function<void(const BoardUpdated&)> on_event() {
    return [this](const BoardUpdated& e) {
      std::lock_guard lock(mu);
      events.push_back(e);
    };
  }
  std::function<void()> on_resync() {
    return [this] { resyncs.fetch_add(1); };
  }
  size_t count() {
    std::lock_guard lock(mu);
    return events.size();
  }
  std::vector<BoardUpdated> snapshot() {
    std::lock_guard lock(mu);
    return events;
  }
};

TEST(RedisEventCodec, EncodesAndDecodes) {
  EXPECT_EQ(RedisEventBus::encode({"weibo.hot-search", 42}), "weibo.hot-search\t42");
  auto e = RedisEventBus::decode("a\tb\t-7");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->board, "a\tb");
  EXPECT_EQ(e->version, -7);
  EXPECT_FALSE(RedisEventBus::decode("no-tab").has_value());
  EXPECT_FALSE(RedisEventBus::decode("\t5").has_value());
  EXPECT_FALSE(RedisEventBus::decode("board\t").has_value());
  EXPECT_FALSE(RedisEventBus::decode("board\t12x").has_value());
}

TEST_F(RedisTest, EventsArePublishedAndDelivered) {
  Recorder rec;
  auto sub = coord_.events->subscribe(rec.on_event(), rec.on_resync());
  ASSERT_TRUE(eventually([&] { return rec.resyncs.load() == 1; })) << "never subscribed";
  Recorder other;
  auto sub2 = coord_.events->subscribe(other.on_event(), other.on_resync());
  ASSERT_TRUE(eventually([&] { return other.resyncs.load() == 1; }));

  ASSERT_TRUE(coord_.events->publish({"weibo.hot-search", 101}).ok());
  ASSERT_TRUE(coord_.events->publish({"zhihu.hot", 0}).ok());
  ASSERT_TRUE(coord_.events->publish({"tab\there", 7}).ok());
  ASSERT_TRUE(eventually([&] { return rec.count() == 3 && other.count() == 3; }));
  auto got = rec.snapshot();
  EXPECT_EQ(got[0].board, "weibo.hot-search");
  EXPECT_EQ(got[0].version, 101);
  EXPECT_EQ(got[1].board, "zhihu.hot");
  EXPECT_EQ(got[1].version, 0);
  EXPECT_EQ(got[2].board, "tab\there");

  // A destroyed subscription gets nothing more; the others still do.
  sub2.reset();
  ASSERT_TRUE(coord_.events->publish({"after", 1}).ok());
  ASSERT_TRUE(eventually([&] { return rec.count() == 4; }));
  EXPECT_EQ(other.count(), 3u);
  EXPECT_EQ(rec.resyncs.load(), 1) << "no reconnection happened";

  // Malformed messages on the channel are skipped.
  raw({"PUBLISH", "{t}:events", "garbage"});
  ASSERT_TRUE(coord_.events->publish({"last", 2}).ok());
  ASSERT_TRUE(eventually([&] { return rec.count() == 5; }));
  EXPECT_EQ(rec.snapshot().back().board, "last");
}

TEST_F(RedisTest, EventsResubscribeAfterARestartWithResync) {
  Recorder rec;
  auto sub = coord_.events->subscribe(rec.on_event(), rec.on_resync());
  ASSERT_TRUE(eventually([&] { return rec.resyncs.load() == 1; }));
  ASSERT_TRUE(coord_.events->publish({"before", 1}).ok());
  ASSERT_TRUE(eventually([&] { return rec.count() == 1; }));

  ASSERT_TRUE(server_.stop().ok());
  ASSERT_TRUE(server_.start().ok());
  ASSERT_TRUE(eventually([&] { return rec.resyncs.load() == 2; }))
      << "on_resync not called after the restart";
  ASSERT_TRUE(coord_.events->publish({"after", 2}).ok());
  ASSERT_TRUE(eventually([&] { return rec.count() == 2; }));
  EXPECT_EQ(rec.snapshot().back().board, "after");
}

TEST_F(RedisTest, EventsDetectAHungServerAndResubscribe) {
  Recorder rec;
  auto sub = coord_.events->subscribe(rec.on_event(), rec.on_resync());
  ASSERT_TRUE(eventually([&] { return rec.resyncs.load() == 1; }));
  const std::set<int> before = local_ports_connected_to(server_.port());
  ASSERT_FALSE(before.empty());

  ASSERT_TRUE(server_.pause().ok());
  // The silent connection gets a PING, no answer comes, and the subscriber connects again
  // (the kernel still completes the handshake of a stopped server).
  ASSERT_TRUE(eventually([&] {
    for (int p : local_ports_connected_to(server_.port())) {
      if (!before.count(p)) return true;
    }
    return false;
  })) << "the subscriber never noticed the hung server";
  ASSERT_TRUE(server_.resume().ok());
  ASSERT_TRUE(eventually([&] { return rec.resyncs.load() >= 2; }));
  ASSERT_TRUE(eventually([&] {
    // Publish until delivered: the resubscription may still be settling.
    if (!coord_.events->publish({"back", 3}).ok()) return false;
    return eventually([&] { return rec.count() > 0; }, 200ms);
  }));
}

TEST_F(RedisTest, SubscriptionMayBeDestroyedFromItsOwnCallbackAndOutliveTheBus) {
  // Everything the callback touches is shared with it: its thread is detached and may still
  // be returning from the callback after this test ends.
  struct Shared {
    std::mutex mu;
    std::unique_ptr<Subscription> sub;
    std::atomic<bool> destroyed{false};
  };
  auto shared = std::make_shared<Shared>();
  {
    std::lock_guard lock(shared->mu);
    shared->sub = coord_.events->subscribe(
        [shared](const BoardUpdated&) {
          std::lock_guard l(shared->mu);
          shared->sub.reset();
          shared->destroyed = true;
        },
        nullptr);
  }
  ASSERT_TRUE(eventually([&] {
    (void)coord_.events->publish({"x", 1});
    return shared->destroyed.load();
  }));
  auto kept = coord_.events->subscribe(nullptr, nullptr);
  coord_.events.reset();  // the bus goes first
  kept.reset();
  SUCCEED();
}

// --- Redis down or hung ---

TEST_F(RedisTest, EveryCallFailsFastWhileRedisIsDown) {
  // Use everything once so connections and scripts exist, then take Redis away.
  ASSERT_TRUE(coord_.leases->try_acquire("a", 10s).ok());
  ASSERT_TRUE(coord_.changes->add("x").ok());
  ASSERT_TRUE(coord_.changes->read("s", 1, 0ms).ok());
  Recorder rec;
  auto sub = coord_.events->subscribe(rec.on_event(), rec.on_resync());
  ASSERT_TRUE(eventually([&] { return rec.resyncs.load() == 1; }));
  server_.kill();

  const std::string address = server_.address();
  auto check = [&](const char* what, auto&& call) {
    Status st;
    const Millis took = timed([&] { st = call(); });
    EXPECT_EQ(st.code(), ErrorCode::kUnavailable) << what << ": " << st.to_string();
    EXPECT_NE(st.message().find(address), std::string::npos) << what << ": " << st.message();
    EXPECT_LT(took, 1000ms) << what;
  };
  for (int round = 0; round < 2; ++round) {  // first try connects, second is in backoff
    check("try_acquire", [&] { return coord_.leases->try_acquire("a", 1s).status(); });
    check("renew", [&] { return coord_.leases->renew("a", 1, 1s).status(); });
    check("release", [&] { return coord_.leases->release("a", 1); });
    check("leader", [&] { return coord_.leases->leader().status(); });
    check("heartbeat", [&] { return coord_.collectors->heartbeat(collector("c"), 1s); });
    check("remove", [&] { return coord_.collectors->remove("c"); });
    check("alive", [&] { return coord_.collectors->alive().status(); });
    check("add", [&] { return coord_.changes->add("p").status(); });
    check("read", [&] { return coord_.changes->read("s", 1, 300ms).status(); });
    check("claim", [&] { return coord_.changes->claim("s", 0ms, 1).status(); });
    check("ack", [&] { return coord_.changes->ack("1-1"); });
    check("depth", [&] { return coord_.changes->depth().status(); });
    check("publish", [&] { return coord_.events->publish({"b", 1}); });
  }

  // Subscribing while down works; destroying a subscription while down is prompt.
  Recorder late;
  auto down_sub = coord_.events->subscribe(late.on_event(), late.on_resync());
  EXPECT_LT(timed([&] { sub.reset(); }), 1000ms);

  // Back up: everything recovers by itself (backoff is at most 2 s).
  ASSERT_TRUE(server_.start().ok());
  ASSERT_TRUE(eventually([&] { return coord_.leases->leader().ok(); }));
  ASSERT_TRUE(eventually([&] { return coord_.changes->depth().ok(); }));
  ASSERT_TRUE(eventually([&] { return coord_.changes->read("s", 1, 0ms).ok(); }));
  ASSERT_TRUE(eventually([&] { return late.resyncs.load() == 1; }));
  ASSERT_TRUE(coord_.events->publish({"up", 1}).ok());
  ASSERT_TRUE(eventually([&] { return late.count() == 1; }));
}

TEST_F(RedisTest, SubscriptionDestroyedWhileRedisIsDownReturnsPromptly) {
  Recorder rec;
  auto sub = coord_.events->subscribe(rec.on_event(), rec.on_resync());
  ASSERT_TRUE(eventually([&] { return rec.resyncs.load() == 1; }));
  server_.kill();
  // Destroyed while it is reconnecting (its connection is gone, connects are refused).
  ASSERT_TRUE(eventually([&] { return local_ports_connected_to(server_.port()).empty(); }));
  const Millis took = timed([&] { sub.reset(); });
  EXPECT_LT(took, 500ms);
}

TEST_F(RedisTest, CallsTimeOutWhileRedisHangs) {
  RedisOptions o = options();
  o.command_timeout = 300ms;
  auto created = make_redis_coordination(o);
  ASSERT_TRUE(created.ok());
  RedisCoordination& c = *created;
  ASSERT_TRUE(c.leases->leader().ok());
  ASSERT_TRUE(c.collectors->alive().ok());
  ASSERT_TRUE(c.changes->depth().ok());

  ASSERT_TRUE(server_.pause().ok());
  auto check = [&](const char* what, auto&& call) {
    Status st;
    const Millis took = timed([&] { st = call(); });
    EXPECT_EQ(st.code(), ErrorCode::kUnavailable) << what << ": " << st.to_string();
    EXPECT_LT(took, 1000ms) << what;
  };
  check("leader", [&] { return c.leases->leader().status(); });
  check("alive", [&] { return c.collectors->alive().status(); });
  check("depth", [&] { return c.changes->depth().status(); });
  check("read", [&] { return c.changes->read("s", 1, 100ms).status(); });
  check("publish", [&] { return c.events->publish({"b", 1}); });
  auto st = c.leases->leader();
  EXPECT_NE(st.error_message().find("timed out after 300 ms"), std::string::npos)
      << st.error_message();

  ASSERT_TRUE(server_.resume().ok());
  ASSERT_TRUE(eventually([&] { return c.leases->leader().ok(); }));
}

}  // namespace
}  // namespace mu
