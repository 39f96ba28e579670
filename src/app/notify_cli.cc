#include "app/notify_cli.h"

#include "core/clock.h"
#include "fetch/curl_transport.h"
#include "notify/channel.h"
#include "notify/message.h"
#include "notify/sender.h"

namespace mu {

int run_notify_test(const NotifyTestArgs& args, std::ostream& out, std::ostream& err) {
  auto spec = parse_channel_url(args.url, args.secret, args.telegram_api);
  if (!spec.ok()) {
    err << "mu notify test: " << spec.status().message() << "\n";
    return 2;
  }
  CurlTransport::Options transport_options;
  transport_options.allow_private_networks = args.allow_private_networks;
  auto transport = CurlTransport::create(transport_options);
  if (!transport.ok()) {
    err << "mu notify test: " << transport.status().to_string() << "\n";
    return 1;
  }
  SmtpOptions smtp_options;
  smtp_options.ca_file = args.ca_file;
  smtp_options.allow_private_networks = args.allow_private_networks;
  CurlSmtpClient smtp(smtp_options);
  SystemClock clock;
  ChannelSender sender(**transport, smtp, clock);
  AlertMessage message;
  message.test = true;
  message.rule_name = "test";
  message.items.push_back(AlertItem{"mu.test", "Mu", "这是一条测试消息 · This is a test message",
                                    "", 1, "", clock.now_ms()});
  const Status sent = sender.send(*spec, message);
  if (!sent.ok()) {
    err << "mu notify test: " << describe_channel(*spec) << ": " << sent.to_string() << " ("
        << (is_retryable(sent) ? "may work later" : "will not work as configured") << ")\n";
    return 1;
  }
  out << "sent a test message to " << describe_channel(*spec) << "\n";
  return 0;
}

}  // namespace mu
