// DeliveryWorker: drains the alert outbox (store/alerts.h). Each round claims the due
// deliveries (leased, so a worker that dies leaves them to the next), groups them by (rule,
// channel) into one message each, and sends the groups on a small pool of threads so that a
// channel that hangs or answers slowly holds one thread, never the others or the fetching
// (a channel already sending is skipped until it is done). Per channel, at most
// `per_channel_per_minute` messages go out (the rest wait their turn). A failed send is
// retried with exponential backoff (base × 2^(attempt-1), capped, never sooner than the
// service's Retry-After) when the error is retryable; a permanent error, or the
// max_attempts-th failure, makes the delivery dead ("dead-letter": listed in the UI and the
// console, retried only by hand).
//
// Delivery is at-least-once: a process killed between a send and the store's record of it
// sends again after the lease; every message carries its delivery ids (webhook header
// X-Mu-Delivery) so receivers can drop a repeat.
//
// run_once() is synchronous (threads = 0 sends inline) for tests; start()/stop() own a
// polling thread woken early by wake(). Public methods are safe for concurrent use.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/status.h"
#include "notify/channel.h"
#include "notify/message.h"
#include "notify/sender.h"
#include "store/alerts.h"

namespace mu {

// A channel as the worker needs it: its owner and its opened spec.
struct ResolvedChannel {
  int64_t user_id = 0;
  std::string name;
  ChannelSpec spec;
};

// Finds channels by id (opening their sealed URL and secret). kNotFound when gone.
class ChannelDirectory {
 public:
  virtual ~ChannelDirectory() = default;
  virtual Result<ResolvedChannel> channel(const std::string& id) = 0;
};

// What messages say beyond the matches.
struct MessageContext {
  std::function<std::string(const std::string& board)> board_name;  // "" → the id
  std::function<std::string(const std::string& rule_id)> rule_name;
  std::function<std::string(const std::string& rule_id)> unsubscribe_url;
  std::string manage_url;
};

struct DeliveryOptions {
  int max_attempts = 8;
  std::chrono::milliseconds backoff_base{std::chrono::seconds(30)};
  std::chrono::milliseconds backoff_cap{std::chrono::hours(1)};
  std::chrono::milliseconds lease{std::chrono::minutes(2)};
  // Rounds of the thread start() runs, besides wake(); 0: no such thread (the caller drives
  // run_once(), as tests do; the senders still run on the pool).
  std::chrono::milliseconds poll{std::chrono::seconds(2)};
  int batch = 200;
  int per_channel_per_minute = 20;
  int threads = 4;  // 0: run_once sends on the calling thread
};

struct DeliveryCounters {
  int64_t sent = 0;      // deliveries
  int64_t retried = 0;   // deliveries put back for a later try
  int64_t dead = 0;      // deliveries given up
  int64_t deferred = 0;  // deliveries waiting for a busy or rate-limited channel
  int64_t messages = 0;  // messages (groups) sent
};

class DeliveryWorker {
 public:
  DeliveryWorker(AlertStore& store, ChannelDirectory& channels, ChannelSender& sender,
                 const Clock& clock, MessageContext context, DeliveryOptions options);
  ~DeliveryWorker();
  DeliveryWorker(const DeliveryWorker&) = delete;
  DeliveryWorker& operator=(const DeliveryWorker&) = delete;

  // One round. Returns the number of groups handed to senders (or deferred); the store's
  // error when the claim failed (nothing is lost: the deliveries stay pending).
  Result<int> run_once();

  void start();
  void stop();  // finishes the sends in progress
  void wake();  // a round now (new matches were recorded)

  DeliveryCounters counters() const;

  // The delay before try `attempt + 1` after `attempt` failures (no jitter: the lease and
  // the per-channel limit already spread retries).
  static std::chrono::milliseconds backoff(const DeliveryOptions& options, int attempt,
                                           std::chrono::milliseconds retry_after);

 private:
  struct Group {
    std::string rule_id;
    std::string channel_id;
    std::vector<DeliveryRecord> deliveries;
  };

  void send_group(Group group);
  void settle(const Group& group, const Status& result);
  void defer(const Group& group, int64_t until_ms);
  bool take_token(const std::string& channel, int64_t now_ms, int64_t& wait_until);
  void pool_loop();
  void poll_loop();

  AlertStore& store_;
  ChannelDirectory& channels_;
  ChannelSender& sender_;
  const Clock& clock_;
  const MessageContext context_;
  const DeliveryOptions options_;

  mutable std::mutex mu_;
  std::condition_variable cv_;       // the pool's queue and the poll thread's wake-ups
  std::condition_variable idle_cv_;  // a send finished
  std::deque<Group> queue_;
  std::set<std::string> busy_;  // channels with a group queued or sending
  struct Bucket {
    double tokens = 0;
    int64_t at_ms = 0;
  };
  std::map<std::string, Bucket> buckets_;
  DeliveryCounters counters_;
  bool woken_ = false;
  bool stopping_ = false;
  std::vector<std::thread> pool_;
  std::thread poller_;
};

}  // namespace mu
