#include "core/config.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <unistd.h>

namespace mu {
namespace {

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("mu-config-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string write(const std::string& text) {
    auto p = dir_ / "mu.toml";
    std::ofstream(p) << text;
    return p.string();
  }
  std::filesystem::path dir_;
};

TEST_F(ConfigTest, DefaultsAreTheEmbeddedMode) {
  auto c = load_config("", {});
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  EXPECT_EQ(c->storage.url, "sqlite://var/mu.db");
  EXPECT_EQ(c->coordination.url, "local");
  EXPECT_EQ(c->server.listen, "127.0.0.1:8080");
  EXPECT_EQ(c->fetch.max_body_bytes, 8u << 20);
}

TEST_F(ConfigTest, FileThenEnvironmentOverrides) {
  auto path = write(R"(
[server]
listen = "0.0.0.0:9000"
threads = 3
cors_origins = ["https://mu.example"]
[fetch]
max_body = "4MiB"
[boards."weibo.hot-search"]
every = "2m"
enabled = false
[secrets]
"zhihu.cookie" = "z_c0=abc"
)");
  auto c = load_config(path, {{"MU_SERVER_THREADS", "5"}, {"MU_SECRETS_PRODUCTHUNT__TOKEN", "t"}});
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  EXPECT_EQ(c->server.listen, "0.0.0.0:9000");
  EXPECT_EQ(c->server.threads, 5);
  EXPECT_EQ(c->server.cors_origins, std::vector<std::string>{"https://mu.example"});
  EXPECT_EQ(c->fetch.max_body_bytes, 4u << 20);
  ASSERT_EQ(c->boards.count("weibo.hot-search"), 1u);
  EXPECT_EQ(*c->boards["weibo.hot-search"].every, std::chrono::seconds(120));
  EXPECT_FALSE(*c->boards["weibo.hot-search"].enabled);
  EXPECT_EQ(c->secrets["zhihu.cookie"], "z_c0=abc");
  EXPECT_EQ(c->secrets["producthunt.token"], "t");
}

TEST_F(ConfigTest, ConnectionLimitKeys) {
  auto c = load_config("", {});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->server.max_connections, 0u);  // derived from the fd limit
  EXPECT_EQ(c->server.max_connections_per_ip, 0u);
  EXPECT_EQ(c->server.idle_timeout, std::chrono::seconds(60));
  EXPECT_EQ(c->server.sse_max_age, std::chrono::minutes(30));
  c = load_config(write(R"(
[server]
max_connections = 5000
max_connections_per_ip = 200
idle_timeout = "15s"
sse_max_age = "0s"
)"),
                  {{"MU_SERVER_MAX_CONNECTIONS_PER_IP", "300"}});
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  EXPECT_EQ(c->server.max_connections, 5000u);
  EXPECT_EQ(c->server.max_connections_per_ip, 300u);
  EXPECT_EQ(c->server.idle_timeout, std::chrono::seconds(15));
  EXPECT_EQ(c->server.sse_max_age, std::chrono::milliseconds(0));
  EXPECT_FALSE(load_config(write("[server]\nmax_connections = -1\n"), {}).ok());
  EXPECT_FALSE(load_config(write("[server]\nsse_max_age = \"10ms\"\n"), {}).ok());
  EXPECT_FALSE(load_config(write("[server]\nidle_timeout = \"0s\"\n"), {}).ok());
}

TEST_F(ConfigTest, UnknownKeyIsRejectedByName) {
  auto c = load_config(write("[server]\nlisen = \"x:1\"\n"), {});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.code(), ErrorCode::kConfig);
  EXPECT_NE(c.error_message().find("unknown key \"server.lisen\""), std::string::npos)
      << c.error_message();
}

TEST_F(ConfigTest, BadValuesNameTheKey) {
  auto c = load_config(write("[server]\nthreads = 0\n"), {});
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error_message().find("server.threads: must be between 1 and 64, got 0"),
            std::string::npos)
      << c.error_message();
  auto e = load_config("", {{"MU_STORAGE_URL", "mysql://x"}});
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.error_message().find("MU_STORAGE_URL"), std::string::npos);
  auto b = load_config(write("[boards.\"a.b\"]\nevery = \"soon\"\n"), {});
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.error_message().find("boards.\"a.b\".every"), std::string::npos) << b.error_message();
  auto syntax = load_config(write("[server\n"), {});
  ASSERT_FALSE(syntax.ok());
  EXPECT_NE(syntax.error_message().find("mu.toml:1:"), std::string::npos) << syntax.error_message();
  EXPECT_EQ(load_config((dir_ / "missing.toml").string(), {}).code(), ErrorCode::kConfig);
}

// Issue 17: the abuse limits of accounts are tunable and range-checked.
TEST_F(ConfigTest, AccountLimits) {
  auto d = load_config("", {});
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->auth.local_admin_link_ttl, std::chrono::hours(1));
  EXPECT_EQ(d->auth.pending_logins_per_client, 50);
  EXPECT_EQ(d->auth.pending_logins_max, 10'000);
  EXPECT_EQ(d->auth.max_favorites, 1'000);
  EXPECT_EQ(d->auth.write_rate, 10);
  EXPECT_EQ(d->auth.write_burst, 50);
  auto c = load_config(write(R"(
[auth]
local_admin_link_ttl = "15m"
pending_logins_per_client = 5
pending_logins_max = 500
max_favorites = 0
write_rate = 2
)"),
                       {{"MU_AUTH_WRITE_BURST", "7"}});
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  EXPECT_EQ(c->auth.local_admin_link_ttl, std::chrono::minutes(15));
  EXPECT_EQ(c->auth.pending_logins_per_client, 5);
  EXPECT_EQ(c->auth.pending_logins_max, 500);
  EXPECT_EQ(c->auth.max_favorites, 0);
  EXPECT_EQ(c->auth.write_rate, 2);
  EXPECT_EQ(c->auth.write_burst, 7);
  EXPECT_FALSE(load_config(write("[auth]\npending_logins_max = 0\n"), {}).ok());
  EXPECT_FALSE(load_config(write("[auth]\nwrite_rate = -1\n"), {}).ok());
  EXPECT_FALSE(load_config(write("[auth]\nlocal_admin_link_ttl = \"1s\"\n"), {}).ok());
}

TEST_F(ConfigTest, DistributedRoleKeys) {
  auto path = write(R"(
[coordination]
url = "redis://127.0.0.1:6390"
prefix = "mu-test"
lease_ttl = "2s"
renew_every = "500ms"
renew_deadline = "1500ms"
[scheduler]
listen = "127.0.0.1:7401"
reconcile_every = "5s"
[collector]
listen = "127.0.0.1:7501"
groups = ["cn"]
capacity = 3
)");
  auto c = load_config(path, {{"MU_COLLECTOR_GROUPS", "cn, global"}});
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  EXPECT_EQ(c->coordination.url, "redis://127.0.0.1:6390");
  EXPECT_EQ(c->coordination.prefix, "mu-test");
  EXPECT_EQ(c->coordination.lease_ttl, std::chrono::milliseconds(2000));
  EXPECT_EQ(c->coordination.renew_deadline, std::chrono::milliseconds(1500));
  EXPECT_EQ(c->scheduler.listen, "127.0.0.1:7401");
  EXPECT_EQ(c->scheduler.reconcile_every, std::chrono::milliseconds(5000));
  EXPECT_EQ(c->collector.groups, (std::vector<std::string>{"cn", "global"}));
  EXPECT_EQ(c->collector.capacity, 3);
  EXPECT_TRUE(c->collector.advertise.empty());
}

TEST_F(ConfigTest, LeaseTimingMustLeaveTheLeaderTimeToStepDown) {
  // The leader must give up (renew_deadline) before its lease can expire (lease_ttl).
  auto c = load_config(write("[coordination]\nlease_ttl = \"2s\"\nrenew_deadline = \"3s\"\n"), {});
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error_message().find("renew_every < renew_deadline < lease_ttl"), std::string::npos)
      << c.error_message();
  auto p = load_config("", {{"MU_COORDINATION_PREFIX", "{mu}"}});
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.error_message().find("MU_COORDINATION_PREFIX"), std::string::npos);
}

TEST_F(ConfigTest, BoardScheduleKeys) {
  auto path = write(R"(
[boards."a.cron"]
cron = "*/5 * * * *"
tz = "Europe/London"
misfire = "catch-up"
catch_up = "20m"
overlap = "queue-one"
[boards."a.every"]
every = "5m"
misfire = "skip"
)");
  auto c = load_config(path, {});
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  const BoardOverride& o = c->boards["a.cron"];
  EXPECT_EQ(*o.cron, "*/5 * * * *");
  EXPECT_EQ(*o.tz, "Europe/London");
  EXPECT_EQ(*o.misfire, MisfirePolicy::kCatchUp);
  EXPECT_EQ(*o.catch_up, std::chrono::minutes(20));
  EXPECT_EQ(*o.overlap, OverlapPolicy::kQueueOne);
  EXPECT_FALSE(o.every);
  const BoardOverride& e = c->boards["a.every"];
  EXPECT_EQ(*e.misfire, MisfirePolicy::kSkip);
  EXPECT_FALSE(e.cron);
  EXPECT_FALSE(e.overlap);
  // Defaults of the schedule itself.
  Schedule s;
  EXPECT_TRUE(s.cron.empty());
  EXPECT_EQ(s.tz, "Asia/Shanghai");
  EXPECT_EQ(s.misfire, MisfirePolicy::kFireOnce);
  EXPECT_EQ(s.overlap, OverlapPolicy::kSkip);
  EXPECT_EQ(s.catch_up, std::chrono::seconds(0));
}

TEST_F(ConfigTest, BadBoardScheduleKeysNameTheKey) {
  struct Case {
    const char* body;
    const char* message;
  };
  for (const Case& k : {
           Case{"every = \"5m\"\ncron = \"@hourly\"\n",
                "boards.\"a.b\": every and cron exclude each other"},
           Case{"misfire = \"later\"\n", "boards.\"a.b\".misfire: expected \"fire-once\""},
           Case{"overlap = \"stack\"\n", "boards.\"a.b\".overlap: expected \"skip\""},
           Case{"catch_up = \"2d\"\n",
                "boards.\"a.b\".catch_up: must be between 1s and 1d, got \"2d\""},
           Case{"cron = \"  \"\n", "boards.\"a.b\".cron: empty cron expression"},
           Case{"tz = \"\"\n", "boards.\"a.b\".tz: empty time zone"},
           Case{"cron = 5\n", "boards.\"a.b\".cron: expected a string"},
           Case{"jitter = \"5s\"\n", "boards.\"a.b\".jitter: unknown key"},
       }) {
    auto c = load_config(write(std::string("[boards.\"a.b\"]\n") + k.body), {});
    ASSERT_FALSE(c.ok()) << k.body;
    EXPECT_EQ(c.code(), ErrorCode::kConfig);
    EXPECT_NE(c.error_message().find(k.message), std::string::npos)
        << k.body << " -> " << c.error_message();
  }
}

TEST_F(ConfigTest, ValidatorChecksCronAndZoneAndNamesTheKey) {
  ScheduleValidator v;
  std::vector<std::string> seen;
  v.cron = [&](const std::string& text) {
    seen.push_back("cron:" + text);
    return text == "bad" ? error(ErrorCode::kConfig, "cron \"bad\": expected 5 fields")
                         : ok_status();
  };
  v.tz = [&](const std::string& text) {
    seen.push_back("tz:" + text);
    return text == "Mars/Olympus" ? error(ErrorCode::kConfig, "unknown time zone") : ok_status();
  };
  auto good = load_config(write("[boards.\"a.b\"]\ncron = \"@daily\"\ntz = \"UTC\"\n"), {}, v);
  ASSERT_TRUE(good.ok()) << good.status().to_string();
  EXPECT_EQ(seen, (std::vector<std::string>{"cron:@daily", "tz:UTC"}));
  auto cron = load_config(write("[boards.\"a.b\"]\ncron = \"bad\"\n"), {}, v);
  ASSERT_FALSE(cron.ok());
  EXPECT_NE(cron.error_message().find("boards.\"a.b\".cron: cron \"bad\": expected 5 fields"),
            std::string::npos)
      << cron.error_message();
  auto tz = load_config(write("[boards.\"a.b\"]\ntz = \"Mars/Olympus\"\n"), {}, v);
  ASSERT_FALSE(tz.ok());
  EXPECT_EQ(tz.code(), ErrorCode::kConfig);
  EXPECT_NE(tz.error_message().find("boards.\"a.b\".tz: unknown time zone"), std::string::npos)
      << tz.error_message();
}

TEST(PolicyNames, RoundTrip) {
  for (auto p : {MisfirePolicy::kFireOnce, MisfirePolicy::kSkip, MisfirePolicy::kCatchUp}) {
    EXPECT_EQ(parse_misfire_policy(misfire_policy_name(p)), p);
  }
  for (auto p : {OverlapPolicy::kSkip, OverlapPolicy::kQueueOne}) {
    EXPECT_EQ(parse_overlap_policy(overlap_policy_name(p)), p);
  }
  EXPECT_EQ(misfire_policy_name(MisfirePolicy::kCatchUp), "catch-up");
  EXPECT_FALSE(parse_misfire_policy("fire_once"));
  EXPECT_FALSE(parse_overlap_policy(""));
}

TEST(ParseDuration, AcceptsCompoundUnits) {
  EXPECT_EQ(*parse_duration("1h30m"), std::chrono::minutes(90));
  EXPECT_EQ(*parse_duration("500ms"), std::chrono::milliseconds(500));
  EXPECT_EQ(*parse_duration("2d"), std::chrono::hours(48));
  EXPECT_FALSE(parse_duration("10").ok());
  EXPECT_FALSE(parse_duration("m").ok());
  EXPECT_FALSE(parse_duration("5 minutes").ok());
  EXPECT_EQ(*parse_size("8MiB"), 8u << 20);
  EXPECT_FALSE(parse_size("8 potatoes").ok());
}

// Issue 17.9: "17179869184GiB" is 2^64 bytes and wrapped to 0, so every request body got 413
// while `mu config check` said ok.
TEST_F(ConfigTest, SizeOverflowIsAnErrorNamingTheKeyAndRange) {
  EXPECT_FALSE(parse_size("17179869184GiB").ok());
  EXPECT_FALSE(parse_size("99999999999999999999").ok());
  auto c = load_config(write("[server]\nmax_body = \"17179869184GiB\"\n"), {});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.code(), ErrorCode::kConfig);
  EXPECT_NE(c.error_message().find("server.max_body"), std::string::npos) << c.error_message();
  auto zero = load_config(write("[server]\nmax_body = \"0\"\n"), {});
  ASSERT_FALSE(zero.ok());
  EXPECT_NE(zero.error_message().find("server.max_body: must be between 1KiB and 1GiB, got \"0\""),
            std::string::npos)
      << zero.error_message();
  auto fetch = load_config("", {{"MU_FETCH_MAX_BODY", "2GiB"}});
  ASSERT_FALSE(fetch.ok());
  EXPECT_NE(fetch.error_message().find("MU_FETCH_MAX_BODY: must be between 1KiB and 1GiB"),
            std::string::npos)
      << fetch.error_message();
  auto fine = load_config("", {{"MU_SERVER_MAX_BODY", "1GiB"}, {"MU_FETCH_MAX_BODY", "1KiB"}});
  ASSERT_TRUE(fine.ok()) << fine.status().to_string();
  EXPECT_EQ(fine->server.max_body_bytes, std::size_t{1} << 30);
  EXPECT_EQ(fine->fetch.max_body_bytes, 1024u);
}

TEST_F(ConfigTest, DurationOverflowIsAnErrorAndRangesAreNamed) {
  std::string huge;
  for (int i = 0; i < 200; ++i) huge += "999999999d";
  EXPECT_FALSE(parse_duration(huge).ok());
  auto c = load_config("", {{"MU_COORDINATION_LEASE_TTL", huge}});
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error_message().find("MU_COORDINATION_LEASE_TTL"), std::string::npos);
  auto r = load_config("", {{"MU_FETCH_HOST_GAP", "2m"}});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error_message().find("MU_FETCH_HOST_GAP: must be between 0ms and 1m, got \"2m\""),
            std::string::npos)
      << r.error_message();
}

// Issue 17.9: `listen = "127.0.0.1:99999"` passed the check and failed at start.
TEST_F(ConfigTest, ListenAddressesNeedAValidHostAndPort) {
  for (const char* key : {"server", "scheduler", "collector"}) {
    for (const char* bad : {"127.0.0.1:99999", "127.0.0.1:0", "127.0.0.1:", "127.0.0.1:80x",
                            "127.0.0.1:-1", "::1:80", "[::1:80", "999.1.1.1:80", "a b:80"}) {
      auto c = load_config(write(std::string("[") + key + "]\nlisten = \"" + bad + "\"\n"), {});
      ASSERT_FALSE(c.ok()) << key << " " << bad;
      EXPECT_NE(c.error_message().find(std::string(key) + ".listen"), std::string::npos)
          << c.error_message();
    }
  }
  auto port = load_config(write("[server]\nlisten = \"127.0.0.1:99999\"\n"), {});
  EXPECT_NE(port.error_message().find("port must be between 1 and 65535, got 99999"),
            std::string::npos)
      << port.error_message();
  for (const char* good :
       {"127.0.0.1:8080", "0.0.0.0:1", ":65535", "[::1]:8080", "[::]:80", "localhost:8080"}) {
    auto c = load_config("", {{"MU_SERVER_LISTEN", good}, {"MU_SCHEDULER_LISTEN", good}});
    EXPECT_TRUE(c.ok()) << good << ": " << c.status().to_string();
  }
  // The HTTP server binds IP addresses only; gRPC listen and dial addresses may be names.
  EXPECT_FALSE(load_config("", {{"MU_SERVER_LISTEN", "mu.example:80"}}).ok());
  EXPECT_TRUE(load_config("", {{"MU_COLLECTOR_LISTEN", "collector-0.mu:7500"}}).ok());
  EXPECT_TRUE(load_config("", {{"MU_COLLECTOR_ADVERTISE", "c1:7501"}}).ok());
  EXPECT_FALSE(load_config("", {{"MU_COLLECTOR_ADVERTISE", "c1:75010"}}).ok());
  EXPECT_TRUE(load_config("", {{"MU_API_SCHEDULERS", "s1:7401, 10.0.0.2:7402"}}).ok());
  auto list = load_config("", {{"MU_API_SCHEDULERS", "s1:7401,s2"}});
  ASSERT_FALSE(list.ok());
  EXPECT_NE(list.error_message().find("MU_API_SCHEDULERS"), std::string::npos);
  EXPECT_TRUE(check_listen_address("127.0.0.1:8080", ListenHost::kIpAddress).ok());
  EXPECT_FALSE(check_listen_address("127.0.0.1:65536", ListenHost::kIpAddress).ok());
}

// Issue 17.9: a misspelled variable was ignored without a word.
TEST_F(ConfigTest, UnknownMuVariablesAreWarnedAboutWithASuggestion) {
  auto c = load_config("", {{"MU_SERVER_LISEN", "0.0.0.0:80"},
                            {"MU_FETCH_PROXI", "http://p:3128"},
                            {"MU_TOTALLY_UNRELATED", "1"},
                            {"MU_SERVER_THREADS", "3"},
                            {"MU_SECRETS_ZHIHU__COOKIE", "c"},
                            {"MU_BIN", "/usr/bin/mu"},
                            {"MU_SOURCE_DIR", "/src"},
                            {"MU_REDIS_SERVER", "redis-server"},
                            {"MU_CLUSTER_PORT_OFFSET", "300"}});
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  EXPECT_EQ(c->server.listen, "127.0.0.1:8080");
  ASSERT_EQ(c->warnings.size(), 3u);
  EXPECT_EQ(c->warnings[0],
            "MU_FETCH_PROXI: unknown variable, ignored (did you mean MU_FETCH_PROXY?)");
  EXPECT_EQ(c->warnings[1],
            "MU_SERVER_LISEN: unknown variable, ignored (did you mean MU_SERVER_LISTEN?)");
  EXPECT_EQ(c->warnings[2], "MU_TOTALLY_UNRELATED: unknown variable, ignored");
  EXPECT_TRUE(load_config("", {})->warnings.empty());
}

}  // namespace
}  // namespace mu
