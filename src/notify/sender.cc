#include "notify/sender.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <boost/json.hpp>
#include <cstring>
#include <memory>

#include "fetch/curl_transport.h"

namespace mu {
namespace {

namespace json = boost::json;

std::string short_body(std::string_view body) {
  std::string out(body.substr(0, 200));
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  }
  return out;
}

// A service's own error code in a 200 answer: the outbox retries a "too fast" and gives up
// on anything else.
Status service_error(ChannelKind kind, int64_t code, std::string_view message, bool rate_limited) {
  Status s = error(rate_limited ? ErrorCode::kHttp : ErrorCode::kInvalid,
                   std::string(channel_kind_name(kind)) + " refused the message: code " +
                       std::to_string(code) + " " + short_body(message));
  return rate_limited ? s.with_http(429) : s;
}

struct SmtpUpload {
  std::string_view data;
  std::size_t offset = 0;
};

size_t read_upload(char* buffer, size_t size, size_t count, void* user) {
  auto* up = static_cast<SmtpUpload*>(user);
  const std::size_t n = std::min(size * count, up->data.size() - up->offset);
  std::memcpy(buffer, up->data.data() + up->offset, n);
  up->offset += n;
  return n;
}

struct SocketGuard {
  bool guard = false;
  std::string blocked;
};

curl_socket_t open_guarded(void* user, curlsocktype purpose, curl_sockaddr* address) {
  auto* g = static_cast<SocketGuard*>(user);
  if (purpose == CURLSOCKTYPE_IPCXN && g->guard) {
    char text[INET6_ADDRSTRLEN] = "";
    if (address->family == AF_INET) {
      const auto* in = reinterpret_cast<const sockaddr_in*>(&address->addr);
      inet_ntop(AF_INET, &in->sin_addr, text, sizeof text);
    } else if (address->family == AF_INET6) {
      const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&address->addr);
      inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof text);
    }
    if (text[0] == '\0' || is_private_network_ip(text)) {
      g->blocked = std::string(text[0] == '\0' ? "?" : text) + " is not a public address";
      return CURL_SOCKET_BAD;
    }
  }
  return socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
}

// `status` with every mention of the channel's endpoint (whose path may hold a token: the
// Telegram bot token, a Slack or Feishu hook id, a Bark key) replaced by what may be shown.
Status scrubbed(const Status& status, const ChannelSpec& spec) {
  std::string message = status.message();
  for (const std::string& secret : {redact_url(spec.endpoint), spec.endpoint}) {
    for (auto at = message.find(secret); !secret.empty() && at != std::string::npos;
         at = message.find(secret)) {
      message.replace(at, secret.size(), describe_channel(spec));
    }
  }
  return Status(status.code(), message).with_http(status.http_status(), status.retry_after());
}

}  // namespace

Status CurlSmtpClient::send(const ChannelSpec& spec, const EmailMessage& message) {
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) return error(ErrorCode::kInternal, "smtp: curl_easy_init failed");
  CURL* e = curl.get();
  const auto at = message.from.find('@');
  const std::string helo = at == std::string::npos ? "localhost" : message.from.substr(at + 1);
  const std::string url = spec.endpoint + "/" + helo;  // the path is the EHLO name
  SmtpUpload upload{message.data};
  SocketGuard guard{!options_.allow_private_networks, {}};
  char error_buffer[CURL_ERROR_SIZE] = "";
  curl_slist* rcpt = nullptr;
  for (const std::string& to : message.to) rcpt = curl_slist_append(rcpt, ("<" + to + ">").c_str());
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> rcpt_list(rcpt, curl_slist_free_all);
  const std::string from = "<" + message.from + ">";
  curl_easy_setopt(e, CURLOPT_URL, url.c_str());
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  curl_easy_setopt(e, CURLOPT_MAIL_FROM, from.c_str());
  curl_easy_setopt(e, CURLOPT_MAIL_RCPT, rcpt);
  curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(e, CURLOPT_READFUNCTION, read_upload);
  curl_easy_setopt(e, CURLOPT_READDATA, &upload);
  curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(message.data.size()));
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout.count()));
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, open_guarded);
  curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, &guard);
  if (!spec.implicit_tls) {
    curl_easy_setopt(e, CURLOPT_USE_SSL, spec.require_tls ? CURLUSESSL_ALL : CURLUSESSL_NONE);
  }
  if (!options_.ca_file.empty()) curl_easy_setopt(e, CURLOPT_CAINFO, options_.ca_file.c_str());
  if (!spec.username.empty()) {
    curl_easy_setopt(e, CURLOPT_USERNAME, spec.username.c_str());
    curl_easy_setopt(e, CURLOPT_PASSWORD, spec.password.c_str());
  }
  const CURLcode rc = curl_easy_perform(e);
  if (rc == CURLE_OK) return ok_status();
  long response = 0;
  curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &response);
  std::string detail = error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(rc);
  if (!guard.blocked.empty()) {
    return error(ErrorCode::kInvalid, "smtp: refused to connect: " + guard.blocked);
  }
  const std::string what = "smtp " + describe_channel(spec) + ": " + detail;
  if (rc == CURLE_OPERATION_TIMEDOUT) return error(ErrorCode::kTimeout, what);
  if (response >= 500)
    return error(ErrorCode::kInvalid, what + " (" + std::to_string(response) + ")");
  if (response >= 400) return error(ErrorCode::kHttp, what).with_http(503);
  if (rc == CURLE_LOGIN_DENIED || rc == CURLE_USE_SSL_FAILED ||
      rc == CURLE_PEER_FAILED_VERIFICATION) {
    return error(ErrorCode::kInvalid, what);
  }
  return error(ErrorCode::kNetwork, what);
}

Status ChannelSender::check_answer(const ChannelSpec& spec, const HttpResponse& r) const {
  if (r.status < 200 || r.status > 299) {
    const auto retry_after = parse_retry_after(r.header("Retry-After"));
    return error(ErrorCode::kHttp, describe_channel(spec) + " answered HTTP " +
                                       std::to_string(r.status) + ": " + short_body(r.body))
        .with_http(r.status, retry_after);
  }
  auto object = [&]() -> std::optional<json::object> {
    try {
      json::value v = json::parse(r.body);
      if (v.is_object()) return v.as_object();
    } catch (const std::exception&) {
    }
    return std::nullopt;
  };
  auto number = [](const json::object& o, std::string_view key) -> std::optional<int64_t> {
    const json::value* v = o.if_contains(key);
    if (v == nullptr || !v->is_number()) return std::nullopt;
    return v->to_number<int64_t>();
  };
  auto text = [](const json::object& o, std::string_view key) -> std::string {
    const json::value* v = o.if_contains(key);
    return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
  };
  switch (spec.kind) {
    case ChannelKind::kTelegram: {
      auto o = object();
      const json::value* ok = o ? o->if_contains("ok") : nullptr;
      if (ok == nullptr || !ok->is_bool() || !ok->as_bool()) {
        return service_error(spec.kind, o ? number(*o, "error_code").value_or(0) : 0,
                             o ? text(*o, "description") : r.body, false);
      }
      return ok_status();
    }
    case ChannelKind::kWecom:
    case ChannelKind::kDingtalk: {
      auto o = object();
      const int64_t code = o ? number(*o, "errcode").value_or(-1) : -1;
      if (code != 0) {
        // WeCom 45009 and DingTalk 130101: sending too fast.
        return service_error(spec.kind, code, o ? text(*o, "errmsg") : r.body,
                             code == 45009 || code == 130101);
      }
      return ok_status();
    }
    case ChannelKind::kFeishu: {
      auto o = object();
      int64_t code = -1;
      if (o) code = number(*o, "code").value_or(number(*o, "StatusCode").value_or(-1));
      if (code != 0) {
        // 11232: frequency limited.
        return service_error(spec.kind, code, o ? text(*o, "msg") : r.body, code == 11232);
      }
      return ok_status();
    }
    case ChannelKind::kSlack:
      if (r.body != "ok") return service_error(spec.kind, 0, r.body, false);
      return ok_status();
    default:
      return ok_status();
  }
}

Status ChannelSender::send(const ChannelSpec& spec, const AlertMessage& message) {
  const int64_t now_ms = clock_.now_ms();
  if (spec.kind == ChannelKind::kEmail) {
    return smtp_.send(spec, render_email(spec, message, now_ms));
  }
  for (const HttpRequest& request : render_http(spec, message, now_ms)) {
    auto response = http_.fetch(request);
    if (!response.ok()) {
      // The transport's message names the URL redacted (no query: tokens live there).
      return scrubbed(response.status(), spec);
    }
    MU_RETURN_IF_ERROR(scrubbed(check_answer(spec, *response), spec));
  }
  return ok_status();
}

}  // namespace mu
