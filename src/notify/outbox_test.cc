// The delivery worker on a real (in-memory SQLite) outbox, a fake transport and the fake
// clock: grouping, retries with backoff, dead letters, per-channel limits, ownership, and a
// hanging channel that must not hold the others.
#include "notify/outbox.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <condition_variable>
#include <future>
#include <map>
#include <mutex>

#include "store/sqlite/sqlite_store.h"

namespace mu {
namespace {

namespace json = boost::json;

// Answers by URL; records what it was sent. A URL in `hang` blocks until release().
class FakeTransport final : public Transport {
 public:
  Result<HttpResponse> fetch(const HttpRequest& request) override {
    std::unique_lock lock(mu_);
    requests_.push_back(request);
    cv_.notify_all();
    if (hang_.contains(request.url)) {
      cv_.wait(lock, [&] { return released_; });
      return error(ErrorCode::kTimeout, "timed out");
    }
    auto it = status_.find(request.url);
    HttpResponse r;
    r.status = it == status_.end() ? 200 : it->second.front();
    if (it != status_.end() && it->second.size() > 1) it->second.erase(it->second.begin());
    return r;
  }
  void answer(const std::string& url, std::vector<int> statuses) {
    std::lock_guard lock(mu_);
    status_[url] = std::move(statuses);
  }
  void hang(const std::string& url) {
    std::lock_guard lock(mu_);
    hang_.insert(url);
  }
  void release() {
    std::lock_guard lock(mu_);
    released_ = true;
    cv_.notify_all();
  }
  std::vector<HttpRequest> requests_to(const std::string& url) const {
    std::lock_guard lock(mu_);
    std::vector<HttpRequest> out;
    for (const auto& r : requests_) {
      if (r.url == url) out.push_back(r);
    }
    return out;
  }
  // Waits (up to a generous bound) until `url` was asked `n` times.
  bool wait_for(const std::string& url, std::size_t n) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(30), [&] {
      std::size_t c = 0;
      for (const auto& r : requests_) c += r.url == url;
      return c >= n;
    });
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<HttpRequest> requests_;
  std::map<std::string, std::vector<int>> status_;
  std::set<std::string> hang_;
  bool released_ = false;
};

class NoSmtp final : public SmtpClient {
 public:
  Status send(const ChannelSpec&, const EmailMessage&) override { return ok_status(); }
};

class FakeDirectory final : public ChannelDirectory {
 public:
  Result<ResolvedChannel> channel(const std::string& id) override {
    auto it = channels.find(id);
    if (it == channels.end()) return error(ErrorCode::kNotFound, "no channel " + id);
    return it->second;
  }
  void add(const std::string& id, int64_t user, const std::string& url) {
    auto spec = parse_channel_url(url);
    ASSERT_TRUE(spec.ok()) << url;
    channels[id] = ResolvedChannel{user, id, *spec};
  }
  std::map<std::string, ResolvedChannel> channels;
};

class OutboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = open_sqlite_store(":memory:");
    ASSERT_TRUE(s.ok());
    store_ = std::move(*s);
    ASSERT_TRUE(store_->migrate().ok());
    auto u = store_->upsert_user("github", "1", "alice", "", "", 0);
    ASSERT_TRUE(u.ok());
    user_ = u->id;
    directory_.add("a", user_, "https://a.example/hook");
    directory_.add("b", user_, "https://b.example/hook");
  }

  DeliveryWorker worker(DeliveryOptions options = {}) {
    MessageContext context;
    context.rule_name = [](const std::string& id) { return "rule " + id; };
    context.board_name = [](const std::string&) { return std::string("微博 · 热搜"); };
    context.unsubscribe_url = [](const std::string& id) { return "https://mu.example/u/" + id; };
    return DeliveryWorker(*store_, directory_, sender_, clock_, context, options);
  }

  void match(const std::string& rule, const std::string& key, std::vector<std::string> channels,
             int64_t user = 0) {
    NewMatch n;
    n.match = AlertMatch{0,   rule,           user ? user : user_,          "weibo.hot-search",
                         key, "标题 " + key,  "https://s.weibo.com/" + key, 1,
                         "",  clock_.now_ms()};
    n.channel_ids = std::move(channels);
    n.deliver_at_ms = clock_.now_ms();
    ASSERT_TRUE(store_->record_matches({n}, std::nullopt).ok());
  }

  std::vector<DeliveryRecord> in_state(DeliveryState state) {
    DeliveryQuery q;
    q.state = state;
    return *store_->deliveries(q);
  }

  FakeClock clock_;
  std::unique_ptr<Store> store_;
  int64_t user_ = 0;
  FakeDirectory directory_;
  FakeTransport transport_;
  NoSmtp smtp_;
  ChannelSender sender_{transport_, smtp_, clock_};
};

DeliveryOptions inline_options() {
  DeliveryOptions o;
  o.threads = 0;
  return o;
}

TEST_F(OutboxTest, OneMessagePerRuleAndChannelThenSent) {
  match("r1", "k1", {"a", "b"});
  match("r1", "k2", {"a"});
  match("r2", "k1", {"a"});
  auto w = worker(inline_options());
  auto groups = w.run_once();
  ASSERT_TRUE(groups.ok());
  EXPECT_EQ(*groups, 3);  // (r1,a) (r1,b) (r2,a)
  auto to_a = transport_.requests_to("https://a.example/hook");
  ASSERT_EQ(to_a.size(), 2u);
  auto first = json::parse(to_a[0].body).as_object();
  EXPECT_EQ(first.at("items").as_array().size(), 2u);
  EXPECT_EQ(first.at("rule").at("name"), "rule r1");
  EXPECT_EQ(first.at("unsubscribe_url"), "https://mu.example/u/r1");
  EXPECT_EQ(in_state(DeliveryState::kSent).size(), 4u);
  EXPECT_EQ(*w.run_once(), 0);  // nothing left
  EXPECT_EQ(w.counters().messages, 3);
}

TEST_F(OutboxTest, FailuresAreRetriedWithBackoffThenSent) {
  transport_.answer("https://a.example/hook", {500, 503, 200});
  match("r1", "k1", {"a"});
  DeliveryOptions o = inline_options();
  o.backoff_base = std::chrono::seconds(30);
  auto w = worker(o);
  ASSERT_TRUE(w.run_once().ok());
  auto pending = in_state(DeliveryState::kPending);
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].attempts, 1);
  EXPECT_EQ(pending[0].next_ms, clock_.now_ms() + 30000);
  EXPECT_NE(pending[0].last_error.find("500"), std::string::npos);
  clock_.advance(std::chrono::seconds(29));
  EXPECT_EQ(*w.run_once(), 0);  // not yet due
  clock_.advance(std::chrono::seconds(1));
  ASSERT_TRUE(w.run_once().ok());
  pending = in_state(DeliveryState::kPending);
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].next_ms, clock_.now_ms() + 60000);  // doubled
  clock_.advance(std::chrono::seconds(60));
  ASSERT_TRUE(w.run_once().ok());
  auto sent = in_state(DeliveryState::kSent);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].attempts, 3);
  EXPECT_EQ(transport_.requests_to("https://a.example/hook").size(), 3u);
}

TEST_F(OutboxTest, PermanentErrorsAndTheLastAttemptGoToTheDeadLetters) {
  transport_.answer("https://a.example/hook", {404});
  transport_.answer("https://b.example/hook", {500});
  match("r1", "k1", {"a", "b"});
  DeliveryOptions o = inline_options();
  o.max_attempts = 2;
  auto w = worker(o);
  ASSERT_TRUE(w.run_once().ok());
  auto dead = in_state(DeliveryState::kDead);
  ASSERT_EQ(dead.size(), 1u);  // a: a 404 does not get better
  EXPECT_EQ(dead[0].channel_id, "a");
  EXPECT_EQ(dead[0].attempts, 1);
  clock_.advance(std::chrono::hours(2));
  ASSERT_TRUE(w.run_once().ok());
  EXPECT_EQ(in_state(DeliveryState::kDead).size(), 2u);  // b after its second 500
  clock_.advance(std::chrono::hours(2));
  EXPECT_EQ(*w.run_once(), 0);  // dead ones stay dead
}

TEST_F(OutboxTest, AChannelOfAnotherUserOrADeletedOneIsNeverUsed) {
  auto bob = store_->upsert_user("github", "2", "bob", "", "", 0);
  ASSERT_TRUE(bob.ok());
  match("r-bob", "k1", {"a"}, bob->id);  // a belongs to alice
  match("r1", "k2", {"gone"});
  auto w = worker(inline_options());
  ASSERT_TRUE(w.run_once().ok());
  EXPECT_TRUE(transport_.requests_to("https://a.example/hook").empty());
  auto dead = in_state(DeliveryState::kDead);
  ASSERT_EQ(dead.size(), 2u);
  for (const auto& d : dead) {
    EXPECT_TRUE(d.last_error.find("another user") != std::string::npos ||
                d.last_error.find("deleted") != std::string::npos)
        << d.last_error;
  }
}

TEST_F(OutboxTest, PerChannelRateLimitDefersTheRest) {
  for (int i = 0; i < 5; ++i) match("r" + std::to_string(i), "k", {"a"});
  DeliveryOptions o = inline_options();
  o.per_channel_per_minute = 2;
  auto w = worker(o);
  ASSERT_TRUE(w.run_once().ok());
  EXPECT_EQ(transport_.requests_to("https://a.example/hook").size(), 2u);
  EXPECT_EQ(in_state(DeliveryState::kPending).size(), 3u);
  clock_.advance(std::chrono::seconds(30));  // one token back
  ASSERT_TRUE(w.run_once().ok());
  EXPECT_EQ(transport_.requests_to("https://a.example/hook").size(), 3u);
  clock_.advance(std::chrono::minutes(5));
  ASSERT_TRUE(w.run_once().ok());
  EXPECT_EQ(transport_.requests_to("https://a.example/hook").size(), 5u);
  EXPECT_EQ(in_state(DeliveryState::kSent).size(), 5u);
}

TEST_F(OutboxTest, AHangingChannelDoesNotHoldTheOthers) {
  transport_.hang("https://a.example/hook");
  match("r1", "k1", {"a"});
  match("r2", "k2", {"b"});
  DeliveryOptions o;
  o.threads = 2;
  o.poll = std::chrono::milliseconds(0);  // this test drives the rounds
  auto w = worker(o);
  w.start();
  ASSERT_TRUE(w.run_once().ok());
  ASSERT_TRUE(transport_.wait_for("https://a.example/hook", 1));
  ASSERT_TRUE(transport_.wait_for("https://b.example/hook", 1));  // while a still hangs
  // a is busy: a second round defers its new delivery instead of stacking another send.
  match("r3", "k3", {"a"});
  ASSERT_TRUE(w.run_once().ok());
  EXPECT_EQ(transport_.requests_to("https://a.example/hook").size(), 1u);
  transport_.release();
  w.stop();
  EXPECT_EQ(in_state(DeliveryState::kSent).size(), 1u);  // b
  EXPECT_GE(w.counters().deferred, 1);
}

TEST_F(OutboxTest, BackoffIsCappedAndHonoursRetryAfter) {
  DeliveryOptions o;
  o.backoff_base = std::chrono::seconds(30);
  o.backoff_cap = std::chrono::minutes(10);
  using std::chrono::milliseconds;
  EXPECT_EQ(DeliveryWorker::backoff(o, 1, milliseconds(0)), std::chrono::seconds(30));
  EXPECT_EQ(DeliveryWorker::backoff(o, 3, milliseconds(0)), std::chrono::seconds(120));
  EXPECT_EQ(DeliveryWorker::backoff(o, 20, milliseconds(0)), std::chrono::minutes(10));
  EXPECT_EQ(DeliveryWorker::backoff(o, 1, std::chrono::minutes(5)), std::chrono::minutes(5));
}

}  // namespace
}  // namespace mu
