// `mu notify test <channel-url>`: sends one test message to a notification channel (the
// "Send a test" of the subscriptions page, from a shell) and says what happened — the way to
// check a bot token, an SMTP login or a webhook's signature check before a rule uses it.
// Not thread-safe (a CLI command).
#pragma once

#include <ostream>
#include <string>

namespace mu {

struct NotifyTestArgs {
  std::string url;     // the channel URL (notify/channel.h)
  std::string secret;  // webhook HMAC key, Feishu / DingTalk signing secret
  bool allow_private_networks = false;
  std::string ca_file;  // extra CA bundle for an SMTP server's certificate
  std::string telegram_api = "https://api.telegram.org";
};

// 0: sent; 1: the channel refused or could not be reached (the error and whether a retry
// could help are printed to `err`); 2: the URL is not a channel.
int run_notify_test(const NotifyTestArgs& args, std::ostream& out, std::ostream& err);

}  // namespace mu
