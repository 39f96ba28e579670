// The alert engine of a process that commits boards (`mu serve`, the scheduler leader):
// the evaluator fed by the scheduler's on_commit hook, the delivery worker over the store's
// outbox and channels opened with the process's SecretBox, and a daily prune of settled
// matches (notify.keep_days). Also ChannelTestSender, what "Send a test" uses on any
// instance. Wiring only; see notify/ for the parts. Not thread-safe to build; on_commit() is
// safe from any thread.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "api/alerts_service.h"
#include "app/periodic.h"
#include "auth/secret_box.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/types.h"
#include "fetch/curl_transport.h"
#include "notify/channel_store.h"
#include "notify/evaluator.h"
#include "notify/outbox.h"
#include "notify/sender.h"
#include "store/store.h"

namespace mu {

// libcurl for HTTP channels and SMTP, with notify.allow_private_networks and
// notify.smtp_ca_file.
class ChannelTestSender {
 public:
  static Result<std::unique_ptr<ChannelTestSender>> create(const Config& config,
                                                           const Clock& clock);
  ChannelSender& sender() { return *sender_; }
  // A ChannelTester for AlertsService: one test message.
  ChannelTester tester();

 private:
  std::unique_ptr<CurlTransport> transport_;
  std::unique_ptr<CurlSmtpClient> smtp_;
  std::unique_ptr<ChannelSender> sender_;
};

class AlertsRuntime {
 public:
  // `box` may be null: rules are still evaluated and matches recorded (the subscription
  // feeds show them), deliveries wait until a key is configured.
  static Result<std::unique_ptr<AlertsRuntime>> create(const Config& config, Store& store,
                                                       const std::vector<Site>& sites,
                                                       const std::vector<BoardMeta>& boards,
                                                       const SecretBox* box, const Clock& clock);
  ~AlertsRuntime();

  // Starts the threads and queues every board once (a new process or leader term catches
  // up on the latest update of each; nothing is recorded twice).
  void start();
  void stop();
  void on_commit(const std::string& board) { evaluator_->on_commit(board); }
  ChannelTester tester() { return channels_->tester(); }

 private:
  AlertsRuntime() = default;

  std::vector<std::string> board_ids_;
  std::unique_ptr<ChannelTestSender> channels_;
  std::unique_ptr<StoreChannelDirectory> directory_;
  std::unique_ptr<DeliveryWorker> worker_;
  std::unique_ptr<AlertEvaluator> evaluator_;
  std::unique_ptr<PeriodicTask> prune_;
  Store* store_ = nullptr;
  int64_t keep_ms_ = 0;
  const Clock* clock_ = nullptr;
};

}  // namespace mu
