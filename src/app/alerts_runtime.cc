#include "app/alerts_runtime.h"

#include <spdlog/spdlog.h>

#include <boost/json.hpp>
#include <unordered_map>

#include "app/wiring.h"
#include "notify/rule.h"

namespace mu {

Result<std::unique_ptr<ChannelTestSender>> ChannelTestSender::create(const Config& config,
                                                                     const Clock& clock) {
  auto out = std::unique_ptr<ChannelTestSender>(new ChannelTestSender());
  CurlTransport::Options options;
  options.allow_private_networks = config.notify.allow_private_networks;
  MU_ASSIGN_OR_RETURN(out->transport_, CurlTransport::create(options));
  SmtpOptions smtp;
  smtp.ca_file = config.notify.smtp_ca_file;
  smtp.allow_private_networks = config.notify.allow_private_networks;
  out->smtp_ = std::make_unique<CurlSmtpClient>(smtp);
  out->sender_ = std::make_unique<ChannelSender>(*out->transport_, *out->smtp_, clock);
  return out;
}

ChannelTester ChannelTestSender::tester() {
  return [this](const ChannelSpec& spec) {
    AlertMessage message;
    message.test = true;
    message.rule_name = "test";
    message.items.push_back(
        AlertItem{"mu.test", "Mu", "这是一条测试消息 · This is a test message", "", 1, "", 0});
    return sender_->send(spec, message);
  };
}

Result<std::unique_ptr<AlertsRuntime>> AlertsRuntime::create(const Config& config, Store& store,
                                                             const std::vector<Site>& sites,
                                                             const std::vector<BoardMeta>& boards,
                                                             const SecretBox* box,
                                                             const Clock& clock) {
  auto rt = std::unique_ptr<AlertsRuntime>(new AlertsRuntime());
  rt->store_ = &store;
  rt->clock_ = &clock;
  rt->keep_ms_ = config.notify.keep_days * 86'400'000;
  std::unordered_map<std::string, std::string> site_names;
  for (const Site& s : sites) site_names[s.id] = s.name_zh.empty() ? s.id : s.name_zh;
  auto board_names = std::make_shared<std::unordered_map<std::string, std::string>>();
  auto board_sites = std::make_shared<std::unordered_map<std::string, std::string>>();
  for (const BoardMeta& b : boards) {
    rt->board_ids_.push_back(b.id);
    (*board_names)[b.id] = site_names[b.site] + " · " + (b.name_zh.empty() ? b.id : b.name_zh);
    (*board_sites)[b.id] = b.site;
  }
  MU_ASSIGN_OR_RETURN(rt->channels_, ChannelTestSender::create(config, clock));
  rt->directory_ = std::make_unique<StoreChannelDirectory>(store, box, config.notify.telegram_api);
  MessageContext context;
  context.board_name = [board_names](const std::string& board) {
    auto it = board_names->find(board);
    return it == board_names->end() ? std::string() : it->second;
  };
  context.rule_name = [&store](const std::string& rule_id) {
    auto doc = store.document(kRuleDocument, rule_id);
    if (!doc.ok() || !*doc) return std::string();
    auto rule = parse_rule((*doc)->body);
    return rule.ok() ? rule->name : std::string();
  };
  const std::string origin = public_origin(config);
  context.unsubscribe_url = [box, origin](const std::string& rule_id) {
    return box == nullptr ? std::string() : unsubscribe_url(*box, origin, rule_id);
  };
  context.manage_url = origin + "/alerts";
  DeliveryOptions options;
  options.threads = static_cast<int>(config.notify.workers);
  options.per_channel_per_minute = static_cast<int>(config.notify.per_channel_per_minute);
  options.max_attempts = static_cast<int>(config.notify.max_attempts);
  rt->worker_ = std::make_unique<DeliveryWorker>(store, *rt->directory_, rt->channels_->sender(),
                                                 clock, std::move(context), options);
  DeliveryWorker* worker = rt->worker_.get();
  rt->evaluator_ = std::make_unique<AlertEvaluator>(
      store, store,
      [board_sites](const std::string& board) {
        auto it = board_sites->find(board);
        return it == board_sites->end() ? std::string() : it->second;
      },
      clock, [worker] { worker->wake(); });
  return rt;
}

AlertsRuntime::~AlertsRuntime() { stop(); }

void AlertsRuntime::start() {
  worker_->start();
  evaluator_->start();
  evaluator_->catch_up(board_ids_);
  prune_ = std::make_unique<PeriodicTask>(std::chrono::hours(6), [this] {
    auto pruned = store_->prune_alerts(clock_->now_ms() - keep_ms_);
    if (!pruned.ok()) {
      spdlog::warn("alerts: prune: {}", pruned.status().to_string());
    } else if (*pruned > 0) {
      spdlog::info("alerts: pruned {} settled matches", *pruned);
    }
  });
}

void AlertsRuntime::stop() {
  prune_.reset();
  if (evaluator_) evaluator_->stop();
  if (worker_) worker_->stop();
}

}  // namespace mu
