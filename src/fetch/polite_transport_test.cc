#include "fetch/polite_transport.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <latch>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace mu {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::seconds;

// Records every wait; with a clock, also moves that clock to the end of the wait (the
// sleep "happens" instantly). Never really sleeps.
class FakeSleeper final : public Sleeper {
 public:
  explicit FakeSleeper(FakeClock* clock = nullptr) : clock_(clock) {}
  void sleep_until(MonoTime deadline) override {
    std::lock_guard lock(mu_);
    waits_.push_back(deadline);
    if (clock_ != nullptr && deadline > clock_->mono()) clock_->advance(deadline - clock_->mono());
  }
  std::vector<MonoTime> waits() const {
    std::lock_guard lock(mu_);
    return waits_;
  }

 private:
  FakeClock* clock_;
  mutable std::mutex mu_;
  std::vector<MonoTime> waits_;
};

// Answers 200 to everything and records when (on the clock) each request was sent.
class RecordingTransport final : public Transport {
 public:
  struct Sent {
    std::string url;
    MonoTime at;
    milliseconds timeout;
  };
  explicit RecordingTransport(const Clock& clock) : clock_(clock) {}
  Result<HttpResponse> fetch(const HttpRequest& request) override {
    std::lock_guard lock(mu_);
    sent_.push_back({request.url, clock_.mono(), request.timeout});
    HttpResponse response;
    response.status = 200;
    response.effective_url = request.url;
    return response;
  }
  std::vector<Sent> sent() const {
    std::lock_guard lock(mu_);
    return sent_;
  }

 private:
  const Clock& clock_;
  mutable std::mutex mu_;
  std::vector<Sent> sent_;
};

HttpRequest get(std::string url, milliseconds timeout = seconds(20)) {
  HttpRequest request;
  request.url = std::move(url);
  request.timeout = timeout;
  return request;
}

const MonoTime kT0 = MonoTime(hours(5));

TEST(UrlHost, LowerCaseHostWithoutUserInfoPortOrPath) {
  EXPECT_EQ(url_host("https://www.v2ex.com/api/topics/hot.json"), "www.v2ex.com");
  EXPECT_EQ(url_host("https://User:pw@WWW.V2EX.com:443/x?y=1#z"), "www.v2ex.com");
  EXPECT_EQ(url_host("http://example.com."), "example.com");
  EXPECT_EQ(url_host("http://example.com?q=a@b"), "example.com");
  EXPECT_EQ(url_host("http://[2001:DB8::1]:8080/p"), "[2001:db8::1]");
  EXPECT_EQ(url_host("http://127.0.0.1:9/p"), "127.0.0.1");
  EXPECT_EQ(url_host("not a url"), "");
  EXPECT_EQ(url_host("://host/p"), "");
  EXPECT_EQ(url_host("http:///path"), "");
  EXPECT_EQ(url_host("http://[::1/p"), "");
}

TEST(HostGate, SpacesStartsOfOneHostOnly) {
  HostGate gate;  // 1 s default
  EXPECT_EQ(gate.reserve("api.example.com", kT0), kT0);
  EXPECT_EQ(gate.reserve("api.example.com", kT0), kT0 + seconds(1));
  // Another host is free; host names are case-insensitive.
  EXPECT_EQ(gate.reserve("other.example.com", kT0), kT0);
  EXPECT_EQ(gate.reserve("API.Example.COM", kT0 + milliseconds(300)), kT0 + seconds(2));
  // Once the gap after the last reservation has passed, a request starts at once.
  EXPECT_EQ(gate.reserve("api.example.com", kT0 + seconds(10)), kT0 + seconds(10));
  EXPECT_EQ(gate.reserve("api.example.com", kT0 + seconds(10) + milliseconds(400)),
            kT0 + seconds(11));
}

TEST(HostGate, PerHostOverridesAndZeroGap) {
  PolitenessOptions options;
  options.default_gap = milliseconds(500);
  options.host_gaps = {{"WWW.V2EX.COM", seconds(5)}, {"cdn.example.com", seconds(0)}};
  HostGate gate(options);
  EXPECT_EQ(gate.gap("www.v2ex.com"), seconds(5));
  EXPECT_EQ(gate.gap("v2ex.com"), milliseconds(500));  // exact match only
  EXPECT_EQ(gate.reserve("www.v2ex.com", kT0), kT0);
  EXPECT_EQ(gate.reserve("www.v2ex.com", kT0), kT0 + seconds(5));
  EXPECT_EQ(gate.reserve("v2ex.com", kT0), kT0);
  EXPECT_EQ(gate.reserve("v2ex.com", kT0), kT0 + milliseconds(500));
  for (int i = 0; i < 3; ++i) EXPECT_EQ(gate.reserve("cdn.example.com", kT0), kT0);
}

TEST(HostGate, NegativeGapsCountAsZero) {
  PolitenessOptions options;
  options.default_gap = milliseconds(-5);
  HostGate gate(options);
  EXPECT_EQ(gate.gap("a.example"), milliseconds(0));
  EXPECT_EQ(gate.reserve("a.example", kT0), kT0);
  EXPECT_EQ(gate.reserve("a.example", kT0), kT0);
}

TEST(HostGate, TryReserveTooLateTakesNoSlot) {
  HostGate gate;
  ASSERT_EQ(gate.reserve("a.example", kT0), kT0);
  ASSERT_EQ(gate.reserve("a.example", kT0), kT0 + seconds(1));
  // The next slot is at +2 s: not before +2 s.
  HostGate::Reservation late = gate.try_reserve("a.example", kT0, kT0 + seconds(2));
  EXPECT_FALSE(late.granted);
  EXPECT_EQ(late.start, kT0 + seconds(2));
  HostGate::Reservation ok = gate.try_reserve("a.example", kT0, kT0 + seconds(3));
  EXPECT_TRUE(ok.granted);
  EXPECT_EQ(ok.start, kT0 + seconds(2));  // the refused call did not move the queue
  EXPECT_EQ(gate.reserve("a.example", kT0), kT0 + seconds(3));
}

TEST(HostGate, ConcurrentCallersGetDistinctEvenlySpacedSlots) {
  HostGate gate;
  constexpr int kThreads = 8;
  constexpr int kPerThread = 100;
  std::vector<std::vector<MonoTime>> starts(kThreads);
  std::latch go(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      go.arrive_and_wait();
      for (int i = 0; i < kPerThread; ++i) starts[t].push_back(gate.reserve("a.example", kT0));
    });
  }
  for (std::thread& thread : threads) thread.join();
  std::vector<MonoTime> all;
  for (const auto& some : starts) all.insert(all.end(), some.begin(), some.end());
  std::sort(all.begin(), all.end());
  ASSERT_EQ(all.size(), static_cast<size_t>(kThreads * kPerThread));
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i], kT0 + seconds(static_cast<int64_t>(i))) << i;
  }
}

TEST(HostGate, ForgetsHostsWhoseGapHasPassed) {
  HostGate gate;
  for (int i = 0; i < 300; ++i) gate.reserve("h" + std::to_string(i) + ".example", kT0);
  EXPECT_EQ(gate.tracked_hosts(), 300u);
  EXPECT_EQ(gate.reserve("late.example", kT0 + seconds(2)), kT0 + seconds(2));
  EXPECT_EQ(gate.tracked_hosts(), 1u);
  EXPECT_EQ(gate.reserve("late.example", kT0 + seconds(2)), kT0 + seconds(3));
}

class PoliteTransportTest : public ::testing::Test {
 protected:
  PoliteTransport make(PolitenessOptions options = {}) {
    return PoliteTransport(inner_, clock_, sleeper_, std::move(options));
  }

  FakeClock clock_;
  FakeSleeper sleeper_{&clock_};
  RecordingTransport inner_{clock_};
};

TEST_F(PoliteTransportTest, TwoBoardsOnOneHostAreSpaced) {
  PoliteTransport polite = make();
  const MonoTime t0 = clock_.mono();
  ASSERT_TRUE(polite.fetch(get("https://www.v2ex.com/api/topics/hot.json")).ok());
  ASSERT_TRUE(polite.fetch(get("https://www.v2ex.com/api/topics/latest.json")).ok());
  auto sent = inner_.sent();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[0].at, t0);
  EXPECT_EQ(sent[0].timeout, seconds(20));  // not waited: sent as given
  EXPECT_EQ(sent[1].at, t0 + seconds(1));
  // The wait is taken out of the request's own timeout.
  EXPECT_EQ(sent[1].timeout, seconds(19));
  EXPECT_EQ(sleeper_.waits(), std::vector<MonoTime>{t0 + seconds(1)});
}

TEST_F(PoliteTransportTest, OtherHostsAreNotDelayed) {
  PoliteTransport polite = make();
  const MonoTime t0 = clock_.mono();
  ASSERT_TRUE(polite.fetch(get("https://www.v2ex.com/api/topics/hot.json")).ok());
  ASSERT_TRUE(polite.fetch(get("https://news.ycombinator.com/")).ok());
  ASSERT_TRUE(polite.fetch(get("https://github.com/trending")).ok());
  for (const auto& sent : inner_.sent()) EXPECT_EQ(sent.at, t0) << sent.url;
  EXPECT_TRUE(sleeper_.waits().empty());
}

TEST_F(PoliteTransportTest, PerHostOverride) {
  PolitenessOptions options;
  options.host_gaps["www.v2ex.com"] = seconds(5);
  PoliteTransport polite = make(options);
  const MonoTime t0 = clock_.mono();
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(polite.fetch(get("https://www.v2ex.com/go/" + std::to_string(i))).ok());
  }
  auto sent = inner_.sent();
  ASSERT_EQ(sent.size(), 3u);
  EXPECT_EQ(sent[1].at, t0 + seconds(5));
  EXPECT_EQ(sent[2].at, t0 + seconds(10));
}

TEST_F(PoliteTransportTest, OverLongWaitTimesOutWithoutBeingSent) {
  PolitenessOptions options;
  options.host_gaps["slow.example"] = seconds(30);
  PoliteTransport polite = make(options);
  const MonoTime t0 = clock_.mono();
  ASSERT_TRUE(polite.fetch(get("https://slow.example/a")).ok());

  auto too_long = polite.fetch(get("https://slow.example/b?token=secret", seconds(5)));
  EXPECT_EQ(too_long.code(), ErrorCode::kTimeout);
  EXPECT_NE(too_long.error_message().find("slow.example"), std::string::npos)
      << too_long.error_message();
  EXPECT_EQ(too_long.error_message().find("secret"), std::string::npos) << too_long.error_message();
  // A wait exactly as long as the timeout leaves nothing for the transfer: refused too.
  EXPECT_EQ(polite.fetch(get("https://slow.example/c", seconds(30))).code(), ErrorCode::kTimeout);
  EXPECT_EQ(inner_.sent().size(), 1u);
  EXPECT_TRUE(sleeper_.waits().empty());
  EXPECT_EQ(clock_.mono(), t0);

  // The refused requests took no slot: the next patient one gets the first free slot.
  ASSERT_TRUE(polite.fetch(get("https://slow.example/d", seconds(60))).ok());
  auto sent = inner_.sent();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[1].at, t0 + seconds(30));
  EXPECT_EQ(sent[1].timeout, seconds(30));
}

TEST_F(PoliteTransportTest, OversleptWaitPastTheTimeoutIsNotSent) {
  // A sleeper that wakes late (a loaded machine) must not send a request whose time is up.
  class LateSleeper final : public Sleeper {
   public:
    explicit LateSleeper(FakeClock& clock) : clock_(clock) {}
    void sleep_until(MonoTime deadline) override {
      clock_.advance(deadline - clock_.mono() + seconds(10));
    }

   private:
    FakeClock& clock_;
  };
  LateSleeper late(clock_);
  PoliteTransport polite(inner_, clock_, late);
  ASSERT_TRUE(polite.fetch(get("https://a.example/1")).ok());
  auto r = polite.fetch(get("https://a.example/2", seconds(3)));
  EXPECT_EQ(r.code(), ErrorCode::kTimeout);
  EXPECT_EQ(inner_.sent().size(), 1u);
}

TEST_F(PoliteTransportTest, ConcurrentCallersWaitForDistinctSlots) {
  FakeSleeper recorder;  // records the waits; the clock stays put
  PoliteTransport polite(inner_, clock_, recorder);
  const MonoTime t0 = clock_.mono();
  constexpr int kThreads = 6;
  std::latch go(kThreads);
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      go.arrive_and_wait();
      if (polite.fetch(get("https://www.zhihu.com/hot/" + std::to_string(t), hours(1))).ok()) {
        ++ok;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(ok.load(), kThreads);
  EXPECT_EQ(inner_.sent().size(), static_cast<size_t>(kThreads));
  // One caller went at once; the others each waited for their own slot, 1 s apart.
  std::vector<MonoTime> waits = recorder.waits();
  std::sort(waits.begin(), waits.end());
  ASSERT_EQ(waits.size(), static_cast<size_t>(kThreads - 1));
  for (size_t i = 0; i < waits.size(); ++i) {
    EXPECT_EQ(waits[i], t0 + seconds(static_cast<int64_t>(i + 1))) << i;
  }
}

TEST_F(PoliteTransportTest, UrlWithoutHostGoesStraightThrough) {
  PoliteTransport polite = make();
  ASSERT_TRUE(polite.fetch(get("not a url")).ok());
  ASSERT_TRUE(polite.fetch(get("not a url")).ok());
  EXPECT_EQ(inner_.sent().size(), 2u);
  EXPECT_TRUE(sleeper_.waits().empty());
}

TEST(SystemSleeper, ReturnsAtOnceForAPastDeadline) {
  SystemSleeper sleeper;
  const auto before = std::chrono::steady_clock::now();
  sleeper.sleep_until(before - seconds(5));
  EXPECT_LT(std::chrono::steady_clock::now() - before, seconds(5));
}

}  // namespace
}  // namespace mu
