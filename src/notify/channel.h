// Notification channels (issue 13): where alerts go, each named by one URL.
//
//   https://example.com/hook               generic webhook (JSON, HMAC-SHA256 signature)
//   telegram://<bot token>/<chat id>       Telegram Bot API sendMessage
//   smtp://user:pass@host:587/?from=a@x&to=b@y,c@z   email, STARTTLS required
//   smtps://user:pass@host:465/?from=…&to=…          email, implicit TLS
//   ntfy://ntfy.sh/<topic>                 ntfy (JSON publish)
//   bark://api.day.app/<device key>        Bark
//   wecom://<key>                          WeCom (企业微信) group robot
//   feishu://<hook id>                     Feishu / Lark custom bot
//   dingtalk://<access token>              DingTalk (钉钉) custom robot
//   slack://hooks.slack.com/services/T/B/X Slack incoming webhook
//
// The service webhooks may also be given as their own https URL (hooks.slack.com,
// qyapi.weixin.qq.com, open.feishu.cn, oapi.dingtalk.com, api.telegram.org, api.day.app), and
// any HTTP kind as "<kind>+<http or https URL>" to reach a self-hosted or test endpoint
// ("ntfy+http://127.0.0.1:8090/alerts"). A channel's secret (webhook HMAC key, Feishu or
// DingTalk signing secret) is kept apart from the URL. URLs and secrets are sealed in the
// store and never shown: describe() is what the API and logs say of a channel.
// Value types; pure functions, safe from any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace mu {

enum class ChannelKind {
  kWebhook,
  kTelegram,
  kEmail,
  kNtfy,
  kBark,
  kWecom,
  kFeishu,
  kDingtalk,
  kSlack
};

std::string_view channel_kind_name(ChannelKind kind);  // "webhook", "telegram", "email", …
std::optional<ChannelKind> parse_channel_kind(std::string_view name);

struct ChannelSpec {
  ChannelKind kind = ChannelKind::kWebhook;
  std::string endpoint;  // HTTP kinds: the URL requests go to; email: smtp(s)://host:port
  std::string secret;    // webhook HMAC key, Feishu/DingTalk signing secret ("" for none)
  // Telegram: the chat; ntfy: the topic (endpoint is the server's root); Bark: device key
  // is in the endpoint.
  std::string target;
  // Email.
  std::string username;
  std::string password;
  std::string from;
  std::vector<std::string> to;
  bool implicit_tls = false;  // smtps://
  bool require_tls = true;    // smtp://…?tls=none turns STARTTLS off (loopback relays)
};

// kInvalid with a message naming the problem (never the secret parts of the URL).
// `telegram_api` is the Bot API's base ("https://api.telegram.org").
Result<ChannelSpec> parse_channel_url(std::string_view url, std::string secret = {},
                                      std::string_view telegram_api = "https://api.telegram.org");

// What may be shown of a channel: the kind and the host, never tokens, keys or passwords
// ("telegram · chat 12…89", "webhook · example.com", "email · 2 recipients via smtp.qq.com").
std::string describe_channel(const ChannelSpec& spec);

}  // namespace mu
