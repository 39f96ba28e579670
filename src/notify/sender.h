// ChannelSender: sends one alert message to one channel (issue 13) — HTTP channels through a
// Transport (libcurl in production, with the SSRF guard unless private networks are
// allowed), email through an SmtpClient (libcurl's SMTP: STARTTLS or implicit TLS, AUTH).
// A service's answer is checked the way the service reports failure (Telegram's "ok", the
// errcode / code fields of WeCom, DingTalk and Feishu, Slack's "ok" text), not by HTTP
// status alone.
//
// Errors: retryable ones (network, timeout, HTTP 408/429/5xx, a service's "too fast") as
// is_retryable() reports them; anything else (HTTP 4xx, a refused token, a bad address) is
// permanent and the outbox gives up on it at once. Messages never hold secrets: URLs are
// redacted. Safe for concurrent use when the Transport and SmtpClient are.
#pragma once

#include <chrono>
#include <string>

#include "core/clock.h"
#include "core/status.h"
#include "fetch/transport.h"
#include "notify/channel.h"
#include "notify/message.h"

namespace mu {

class SmtpClient {
 public:
  virtual ~SmtpClient() = default;
  // Sends `message` through the server of `spec` (its endpoint, credentials and TLS mode).
  virtual Status send(const ChannelSpec& spec, const EmailMessage& message) = 0;
};

struct SmtpOptions {
  std::chrono::milliseconds timeout{std::chrono::seconds(20)};
  std::string ca_file;  // extra CA bundle for the server's certificate ("": the system's)
  bool allow_private_networks = false;  // SSRF guard, as for HTTP channels
};

// libcurl's SMTP client. Stateless; safe for concurrent use.
class CurlSmtpClient final : public SmtpClient {
 public:
  explicit CurlSmtpClient(SmtpOptions options) : options_(std::move(options)) {}
  Status send(const ChannelSpec& spec, const EmailMessage& message) override;

 private:
  SmtpOptions options_;
};

class ChannelSender {
 public:
  ChannelSender(Transport& http, SmtpClient& smtp, const Clock& clock)
      : http_(http), smtp_(smtp), clock_(clock) {}

  // Every part of the message, in order; stops at the first failure.
  Status send(const ChannelSpec& spec, const AlertMessage& message);

 private:
  Status check_answer(const ChannelSpec& spec, const HttpResponse& response) const;

  Transport& http_;
  SmtpClient& smtp_;
  const Clock& clock_;
};

}  // namespace mu
