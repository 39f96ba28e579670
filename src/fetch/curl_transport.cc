#include "fetch/curl_transport.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <cstring>
#include <future>
#include <mutex>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/version.h"

namespace mu {
namespace {

constexpr std::size_t kMaxHeaderBytes = 1u << 20;  // of one response's header block
constexpr long kWorkerPollMs = 1000;               // the worker wakes at least this often

// --- RAII for libcurl handles ---------------------------------------------------------

struct EasyDeleter {
  void operator()(CURL* easy) const { curl_easy_cleanup(easy); }
};
using EasyPtr = std::unique_ptr<CURL, EasyDeleter>;

struct MultiDeleter {
  void operator()(CURLM* multi) const { curl_multi_cleanup(multi); }
};
using MultiPtr = std::unique_ptr<CURLM, MultiDeleter>;

struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using SlistPtr = std::unique_ptr<curl_slist, SlistDeleter>;

struct UrlDeleter {
  void operator()(CURLU* url) const { curl_url_cleanup(url); }
};
using UrlPtr = std::unique_ptr<CURLU, UrlDeleter>;

struct CurlStringDeleter {
  void operator()(char* s) const { curl_free(s); }
};
using CurlString = std::unique_ptr<char, CurlStringDeleter>;

// curl_global_init / curl_global_cleanup are reference counted (and thread-safe in the
// libcurl versions Mu supports); each transport holds one reference.
struct CurlGlobal {
  CurlGlobal() : code(curl_global_init(CURL_GLOBAL_DEFAULT)) {}
  ~CurlGlobal() {
    if (code == CURLE_OK) curl_global_cleanup();
  }
  CurlGlobal(const CurlGlobal&) = delete;
  CurlGlobal& operator=(const CurlGlobal&) = delete;
  const CURLcode code;
};

// Appends `s` to `list`; false when libcurl runs out of memory (the list is kept intact).
bool slist_append(SlistPtr& list, const std::string& s) {
  curl_slist* grown = curl_slist_append(list.get(), s.c_str());
  if (grown == nullptr) return false;
  (void)list.release();
  list.reset(grown);
  return true;
}

// --- small text helpers ----------------------------------------------------------------

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

// RFC 9110 token characters (method and header names).
bool is_token(std::string_view s) {
  if (s.empty()) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return std::isalnum(u) != 0 || std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
  });
}

bool has_line_break_or_nul(std::string_view s) {
  return s.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

bool is_proxy_url(std::string_view url) {
  for (std::string_view scheme : {"http://", "https://", "socks5://", "socks5h://"}) {
    if (url.size() > scheme.size() && url.substr(0, scheme.size()) == scheme) {
      return url.find_first_of(" \t") == std::string_view::npos;
    }
  }
  return false;
}

// --- the SSRF guard's address classification -------------------------------------------

// A short description of why `b` (an IPv4 address, network order) is not public, or nullptr.
const char* classify_v4(const uint8_t* b) {
  if (b[0] == 0) return "unspecified (0.0.0.0/8)";
  if (b[0] == 10) return "private (10.0.0.0/8)";
  if (b[0] == 100 && (b[1] & 0xC0) == 64) return "shared CGNAT (100.64.0.0/10)";
  if (b[0] == 127) return "loopback (127.0.0.0/8)";
  if (b[0] == 169 && b[1] == 254) return "link-local (169.254.0.0/16)";
  if (b[0] == 172 && (b[1] & 0xF0) == 16) return "private (172.16.0.0/12)";
  if (b[0] == 192 && b[1] == 0 && b[2] == 0) return "reserved (192.0.0.0/24)";
  if (b[0] == 192 && b[1] == 0 && b[2] == 2) return "documentation (192.0.2.0/24)";
  if (b[0] == 192 && b[1] == 168) return "private (192.168.0.0/16)";
  if (b[0] == 198 && (b[1] & 0xFE) == 18) return "benchmarking (198.18.0.0/15)";
  if (b[0] == 198 && b[1] == 51 && b[2] == 100) return "documentation (198.51.100.0/24)";
  if (b[0] == 203 && b[1] == 0 && b[2] == 113) return "documentation (203.0.113.0/24)";
  if (b[0] >= 224 && b[0] < 240) return "multicast (224.0.0.0/4)";
  if (b[0] >= 240) return "reserved/broadcast (240.0.0.0/4)";
  return nullptr;
}

bool all_zero(const uint8_t* b, std::size_t n) {
  return std::all_of(b, b + n, [](uint8_t x) { return x == 0; });
}

// Same for an IPv6 address (16 bytes, network order).
const char* classify_v6(const uint8_t* b) {
  if (all_zero(b, 10)) {
    if (b[10] == 0xff && b[11] == 0xff) return classify_v4(b + 12);  // ::ffff:a.b.c.d
    if (b[10] == 0 && b[11] == 0) {
      if (all_zero(b + 12, 3) && b[15] == 0) return "unspecified (::)";
      if (all_zero(b + 12, 3) && b[15] == 1) return "loopback (::1)";
      return "reserved (IPv4-compatible ::/96)";
    }
  }
  if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b) {
    if (all_zero(b + 4, 8)) return classify_v4(b + 12);  // NAT64 64:ff9b::a.b.c.d
    if (b[4] == 0x00 && b[5] == 0x01) return "private (local-use NAT64 64:ff9b:1::/48)";
  }
  if (b[0] == 0x01 && all_zero(b + 1, 7)) return "reserved (discard 100::/64)";
  if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8) {
    return "documentation (2001:db8::/32)";
  }
  if (b[0] == 0x20 && b[1] == 0x02) return classify_v4(b + 2);  // 6to4 2002:a.b.c.d::/48
  if ((b[0] & 0xFE) == 0xFC) return "private (unique local fc00::/7)";
  if (b[0] == 0xFE && (b[1] & 0xC0) == 0x80) return "link-local (fe80::/10)";
  if (b[0] == 0xFE && (b[1] & 0xC0) == 0xC0) return "site-local (fec0::/10)";
  if (b[0] == 0xFF) return "multicast (ff00::/8)";
  return nullptr;
}

// Classifies a numeric IP literal; nullptr when public or not an IP address.
const char* classify_ip_text(std::string_view ip) {
  std::string text(ip.substr(0, ip.find('%')));  // drop an IPv6 zone id ("fe80::1%eth0")
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') {
    text = text.substr(1, text.size() - 2);
  }
  std::array<uint8_t, 16> bytes{};
  if (inet_pton(AF_INET, text.c_str(), bytes.data()) == 1) return classify_v4(bytes.data());
  if (inet_pton(AF_INET6, text.c_str(), bytes.data()) == 1) return classify_v6(bytes.data());
  return nullptr;
}

// --- one transfer ----------------------------------------------------------------------

// Everything one request needs while libcurl works on it. Built on the calling thread,
// then owned by the worker thread until its promise is fulfilled.
struct Transfer {
  EasyPtr easy;
  SlistPtr headers;
  std::string method;
  std::string where;  // redacted URL for messages
  std::string body;   // request body; libcurl reads it in place (CURLOPT_POSTFIELDS)
  std::size_t max_body_bytes = 0;
  bool ssrf_guard = false;

  HttpResponse response;
  std::size_t header_bytes = 0;
  bool body_too_large = false;
  bool headers_too_large = false;
  std::string blocked_address;  // "127.0.0.1 is loopback (127.0.0.0/8)" when the guard refused
  char error_buffer[CURL_ERROR_SIZE] = {};
  // When set: receives the jar's cookies (Netscape lines) before `done` is fulfilled.
  std::vector<std::string>* cookies_out = nullptr;

  std::promise<Result<HttpResponse>> done;

  std::string what() const { return method + " " + where; }
};

size_t on_body(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::size_t n = size * count;
  if (n > t->max_body_bytes - std::min(t->max_body_bytes, t->response.body.size())) {
    t->body_too_large = true;
    return 0;  // anything but n aborts the transfer with CURLE_WRITE_ERROR
  }
  t->response.body.append(data, n);
  return n;
}

size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::size_t n = size * count;
  std::string_view line(data, n);
  if (line.rfind("HTTP/", 0) == 0) {
    // A new response starts (after a redirect, a 100 Continue or a proxy CONNECT): keep
    // only the final one's headers.
    t->response.headers.clear();
    t->header_bytes = 0;
    return n;
  }
  t->header_bytes += n;
  if (t->header_bytes > kMaxHeaderBytes) {
    t->headers_too_large = true;
    return 0;
  }
  const bool continuation = !line.empty() && (line.front() == ' ' || line.front() == '\t');
  line = trim(line);
  if (line.empty()) return n;
  if (continuation) {  // obsolete line folding: part of the previous header's value
    if (!t->response.headers.empty()) {
      t->response.headers.back().second += ' ';
      t->response.headers.back().second += line;
    }
    return n;
  }
  const std::size_t colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) return n;  // not a header; ignore
  t->response.headers.emplace_back(std::string(trim(line.substr(0, colon))),
                                   std::string(trim(line.substr(colon + 1))));
  return n;
}

curl_socket_t on_open_socket(void* user, curlsocktype purpose, curl_sockaddr* address) {
  auto* t = static_cast<Transfer*>(user);
  if (purpose == CURLSOCKTYPE_IPCXN && t->ssrf_guard) {
    sockaddr_storage ss{};
    std::memcpy(&ss, &address->addr,
                std::min<std::size_t>(address->addrlen, sizeof(sockaddr_storage)));
    char text[INET6_ADDRSTRLEN] = "?";
    const char* why = "not an IP address";
    if (ss.ss_family == AF_INET) {
      const auto* in = reinterpret_cast<const sockaddr_in*>(&ss);
      inet_ntop(AF_INET, &in->sin_addr, text, sizeof text);
      why = classify_v4(reinterpret_cast<const uint8_t*>(&in->sin_addr));
    } else if (ss.ss_family == AF_INET6) {
      const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&ss);
      inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof text);
      why = classify_v6(reinterpret_cast<const uint8_t*>(&in6->sin6_addr));
    }
    if (why != nullptr) {
      t->blocked_address = std::string(text) + " is " + why;
      return CURL_SOCKET_BAD;  // libcurl tries the next address or fails to connect
    }
  }
  return socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
}

// libcurl's error text for `code`: the error buffer when filled, else the generic text.
std::string curl_detail(const Transfer& t, CURLcode code) {
  std::string_view detail = trim(std::string_view(t.error_buffer));
  return std::string(detail.empty() ? std::string_view(curl_easy_strerror(code)) : detail);
}

Status transfer_error(const Transfer& t, CURLcode code) {
  const std::string detail = curl_detail(t, code);
  const std::string who = t.what();
  switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
      return error(ErrorCode::kTimeout, who + ": timed out (" + detail + ")");
    case CURLE_FILESIZE_EXCEEDED:
      return error(ErrorCode::kTooLarge, who + ": body exceeds the max_body_bytes cap of " +
                                             std::to_string(t.max_body_bytes) + " bytes");
    case CURLE_WRITE_ERROR:
      if (t.body_too_large) {
        return error(ErrorCode::kTooLarge, who + ": body exceeds the max_body_bytes cap of " +
                                               std::to_string(t.max_body_bytes) + " bytes");
      }
      if (t.headers_too_large) {
        return error(ErrorCode::kTooLarge, who + ": response headers exceed " +
                                               std::to_string(kMaxHeaderBytes) + " bytes");
      }
      return error(ErrorCode::kInternal, who + ": write failed (" + detail + ")");
    case CURLE_COULDNT_CONNECT:
      if (!t.blocked_address.empty()) {
        return error(ErrorCode::kInvalid, who + ": refused to connect: " + t.blocked_address +
                                              ", and private networks are not allowed "
                                              "(CurlTransport::Options::allow_private_networks)");
      }
      return error(ErrorCode::kNetwork, who + ": cannot connect (" + detail + ")");
    case CURLE_UNSUPPORTED_PROTOCOL:
      return error(
          ErrorCode::kInvalid,
          who + ": scheme not allowed, only http and https (also for redirects) (" + detail + ")");
    case CURLE_URL_MALFORMAT:
      return error(ErrorCode::kInvalid, who + ": malformed URL (" + detail + ")");
    case CURLE_TOO_MANY_REDIRECTS:
      return error(ErrorCode::kHttp, who + ": too many redirects (" + detail + ")");
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      return error(ErrorCode::kNetwork, who + ": cannot resolve host (" + detail + ")");
    case CURLE_OUT_OF_MEMORY:
    case CURLE_FAILED_INIT:
    case CURLE_NOT_BUILT_IN:
    case CURLE_BAD_FUNCTION_ARGUMENT:
    case CURLE_UNKNOWN_OPTION:
    case CURLE_SETOPT_OPTION_SYNTAX:
    case CURLE_ABORTED_BY_CALLBACK:
      return error(ErrorCode::kInternal, who + ": libcurl failure (" + detail + ")");
    default:
      // SSL/TLS failures, send/receive errors, resets, empty or malformed replies, bad
      // content encoding, HTTP/2 stream errors, proxy errors.
      return error(ErrorCode::kNetwork, who + ": " + detail);
  }
}

Result<HttpResponse> finish_transfer(Transfer& t, CURLcode code) {
  if (code != CURLE_OK) return transfer_error(t, code);
  long status = 0;
  char* effective = nullptr;
  curl_off_t total_us = 0;
  curl_easy_getinfo(t.easy.get(), CURLINFO_RESPONSE_CODE, &status);
  curl_easy_getinfo(t.easy.get(), CURLINFO_EFFECTIVE_URL, &effective);
  curl_easy_getinfo(t.easy.get(), CURLINFO_TOTAL_TIME_T, &total_us);
  HttpResponse response = std::move(t.response);
  response.status = static_cast<int>(status);
  if (effective != nullptr) response.effective_url = effective;
  response.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::microseconds(static_cast<int64_t>(total_us)));
  return response;
}

}  // namespace

std::string default_user_agent() {
  return std::string("Mu/") + kVersion + " (+https://github.com/mu-hot/mu)";
}

bool is_private_network_ip(std::string_view ip) { return classify_ip_text(ip) != nullptr; }

// --- the worker -------------------------------------------------------------------------

struct CurlTransport::Worker {
  CurlGlobal global;  // first member: released last
  MultiPtr multi;

  std::mutex mu;
  bool stopping = false;                                        // guarded by mu
  std::vector<std::unique_ptr<Transfer>> queue;                 // guarded by mu
  std::unordered_map<CURL*, std::unique_ptr<Transfer>> active;  // worker thread only
  std::thread thread;

  void run();
  void complete(CURL* easy, CURLcode code);
  void fail_all_active(const Status& status);
};

void CurlTransport::Worker::complete(CURL* easy, CURLcode code) {
  auto it = active.find(easy);
  if (it == active.end()) return;
  std::unique_ptr<Transfer> t = std::move(it->second);
  active.erase(it);
  curl_multi_remove_handle(multi.get(), easy);
  if (t->cookies_out != nullptr) {
    t->cookies_out->clear();
    curl_slist* list = nullptr;
    if (curl_easy_getinfo(easy, CURLINFO_COOKIELIST, &list) == CURLE_OK) {
      for (curl_slist* c = list; c != nullptr; c = c->next) t->cookies_out->emplace_back(c->data);
      curl_slist_free_all(list);
    }
  }
  // Fulfilling the promise publishes *cookies_out to the waiting thread.
  t->done.set_value(finish_transfer(*t, code));
  // `t` (and its easy handle) is released here, on the worker thread.
}

void CurlTransport::Worker::fail_all_active(const Status& status) {
  for (auto& [easy, t] : active) {
    curl_multi_remove_handle(multi.get(), easy);
    t->done.set_value(status.with_context(t->what()));
  }
  active.clear();
}

void CurlTransport::Worker::run() {
  while (true) {
    std::vector<std::unique_ptr<Transfer>> incoming;
    {
      std::lock_guard lock(mu);
      if (stopping) break;
      incoming.swap(queue);
    }
    for (auto& t : incoming) {
      CURL* easy = t->easy.get();
      const CURLMcode mc = curl_multi_add_handle(multi.get(), easy);
      if (mc != CURLM_OK) {
        t->done.set_value(error(ErrorCode::kInternal,
                                t->what() + ": curl_multi_add_handle: " + curl_multi_strerror(mc)));
        continue;
      }
      active.emplace(easy, std::move(t));
    }

    int running = 0;
    const CURLMcode mc = curl_multi_perform(multi.get(), &running);
    if (mc != CURLM_OK && mc != CURLM_CALL_MULTI_PERFORM) {
      fail_all_active(error(ErrorCode::kInternal,
                            std::string("curl_multi_perform: ") + curl_multi_strerror(mc)));
    }
    int left = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi.get(), &left)) {
      if (msg->msg != CURLMSG_DONE) continue;
      CURL* easy = msg->easy_handle;
      const CURLcode code = msg->data.result;
      complete(easy, code);  // invalidates msg
    }
    // Returns on socket activity, libcurl's next timer, curl_multi_wakeup() or the bound.
    curl_multi_poll(multi.get(), nullptr, 0, kWorkerPollMs, nullptr);
  }

  const Status stopped = error(ErrorCode::kUnavailable, "the HTTP transport is shutting down");
  fail_all_active(stopped);
  std::vector<std::unique_ptr<Transfer>> rest;
  {
    std::lock_guard lock(mu);
    rest.swap(queue);
  }
  for (auto& t : rest) t->done.set_value(stopped.with_context(t->what()));
}

// --- CurlTransport ---------------------------------------------------------------------

CurlTransport::CurlTransport(Options options) : options_(std::move(options)) {}

Result<std::unique_ptr<CurlTransport>> CurlTransport::create() { return create(Options()); }

Result<std::unique_ptr<CurlTransport>> CurlTransport::create(Options options) {
  if (options.max_host_connections < 0 || options.max_total_connections < 0) {
    return error(ErrorCode::kInvalid, "CurlTransport: connection limits must be >= 0");
  }
  if (options.connect_timeout.count() <= 0) {
    return error(ErrorCode::kInvalid, "CurlTransport: connect_timeout must be positive");
  }
  if (has_line_break_or_nul(options.user_agent) || has_line_break_or_nul(options.proxy)) {
    return error(ErrorCode::kInvalid, "CurlTransport: user_agent/proxy contain a line break");
  }
  auto worker = std::make_unique<Worker>();
  if (worker->global.code != CURLE_OK) {
    return error(ErrorCode::kInternal,
                 std::string("curl_global_init: ") + curl_easy_strerror(worker->global.code));
  }
  worker->multi.reset(curl_multi_init());
  if (!worker->multi) return error(ErrorCode::kInternal, "curl_multi_init failed");
  CURLM* multi = worker->multi.get();
  if (curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS, options.max_host_connections) !=
          CURLM_OK ||
      curl_multi_setopt(multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, options.max_total_connections) !=
          CURLM_OK) {
    return error(ErrorCode::kInternal, "curl_multi_setopt failed");
  }
  // The constructor is private; the object is owned by the unique_ptr at once.
  std::unique_ptr<CurlTransport> transport(new CurlTransport(std::move(options)));
  try {
    worker->thread = std::thread([w = worker.get()] { w->run(); });
  } catch (const std::system_error& e) {
    return error(ErrorCode::kInternal,
                 std::string("CurlTransport: cannot start thread: ") + e.what());
  }
  transport->worker_ = std::move(worker);
  return transport;
}

CurlTransport::~CurlTransport() {
  if (!worker_) return;
  {
    std::lock_guard lock(worker_->mu);
    worker_->stopping = true;
    curl_multi_wakeup(worker_->multi.get());
  }
  if (worker_->thread.joinable()) worker_->thread.join();
}

Result<HttpResponse> CurlTransport::fetch(const HttpRequest& request) {
  const std::string where = redact_url(request.url);
  auto invalid = [&](const std::string& why) {
    return error(ErrorCode::kInvalid, request.method + " " + where + ": " + why);
  };

  // Validate on the calling thread so bad input never reaches the worker.
  if (!is_token(request.method) || request.method.size() > 32) {
    return error(ErrorCode::kInvalid, "bad HTTP method for " + where);
  }
  UrlPtr url(curl_url());
  if (!url) return error(ErrorCode::kInternal, "curl_url failed");
  if (CURLUcode uc =
          curl_url_set(url.get(), CURLUPART_URL, request.url.c_str(), CURLU_NON_SUPPORT_SCHEME);
      uc != CURLUE_OK) {
    return invalid(std::string("malformed URL (") + curl_url_strerror(uc) + ")");
  }
  char* scheme_raw = nullptr;
  char* host_raw = nullptr;
  curl_url_get(url.get(), CURLUPART_SCHEME, &scheme_raw, 0);
  CurlString scheme(scheme_raw);
  curl_url_get(url.get(), CURLUPART_HOST, &host_raw, 0);
  CurlString host(host_raw);
  if (!scheme || !(iequals(scheme.get(), "http") || iequals(scheme.get(), "https"))) {
    return invalid(std::string("URL scheme \"") + (scheme ? scheme.get() : "") +
                   "\" is not allowed (only http and https)");
  }
  if (!host || *host == '\0') return invalid("URL has no host");
  if (request.timeout.count() <= 0) return invalid("timeout must be positive");
  const bool bodyless = request.method == "GET" || request.method == "HEAD";
  if (bodyless && !request.body.empty()) {
    return invalid("a " + request.method + " request cannot carry a body");
  }
  for (const auto& [name, value] : request.headers) {
    if (!is_token(name) || has_line_break_or_nul(value)) {
      return invalid(is_token(name) ? "bad value for request header " + name
                                    : std::string("bad request header name"));
    }
  }
  if (has_line_break_or_nul(request.proxy)) return invalid("the proxy contains a line break");
  if (!request.proxy.empty() && !is_proxy_url(request.proxy)) {
    return invalid("the proxy must be an http://, https://, socks5:// or socks5h:// URL");
  }
  if (!options_.allow_private_networks && !proxy_of(request).empty()) {
    MU_RETURN_IF_ERROR(check_proxied_host(request.method + " " + where, host.get()));
    return fetch_through_proxy(request);
  }
  return perform(request, /*follow_redirects=*/true, nullptr);
}

Result<HttpResponse> CurlTransport::perform(const HttpRequest& request, bool follow_redirects,
                                            std::vector<std::string>* cookies) {
  const std::string where = redact_url(request.url);
  bool has_expect = false;
  for (const auto& [name, value] : request.headers) {
    if (iequals(name, "Expect")) has_expect = true;
  }

  auto t = std::make_unique<Transfer>();
  t->easy.reset(curl_easy_init());
  if (!t->easy) return error(ErrorCode::kInternal, "curl_easy_init failed");
  t->method = request.method;
  t->where = where;
  t->body = request.body;
  t->max_body_bytes = request.max_body_bytes;
  t->ssrf_guard = !options_.allow_private_networks && proxy_of(request).empty();

  for (const auto& [name, value] : request.headers) {
    // "Name;" is libcurl's spelling of a header with an empty value ("Name:" removes it).
    std::string line = name;
    if (value.empty()) {
      line += ';';
    } else {
      line += ": ";
      line += value;
    }
    if (!slist_append(t->headers, line)) return error(ErrorCode::kInternal, "out of memory");
  }
  // Skip the 100-continue round trip for large bodies unless the caller asked for it.
  if (!has_expect && !slist_append(t->headers, "Expect:")) {
    return error(ErrorCode::kInternal, "out of memory");
  }

  CURL* e = t->easy.get();
  bool ok = true;
  auto check = [&ok](CURLcode c) { ok = ok && c == CURLE_OK; };
  check(curl_easy_setopt(e, CURLOPT_URL, request.url.c_str()));
  check(curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L));
  check(curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->error_buffer));
  check(curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https"));
  check(curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https"));
  check(curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION,
                         follow_redirects && request.max_redirects > 0 ? 1L : 0L));
  check(curl_easy_setopt(e, CURLOPT_MAXREDIRS,
                         static_cast<long>(std::max(0, request.max_redirects))));
  check(curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(request.timeout.count())));
  check(curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
                         static_cast<long>(options_.connect_timeout.count())));
  check(curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, ""));  // every coding libcurl decodes
  check(curl_easy_setopt(e, CURLOPT_COOKIEFILE, ""));       // cookie engine, in memory only
  check(curl_easy_setopt(e, CURLOPT_USERAGENT, options_.user_agent.c_str()));
  const std::string& proxy = proxy_of(request);
  check(curl_easy_setopt(e, CURLOPT_PROXY, proxy.c_str()));  // "" = none, no env
  check(curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L));
  check(curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers.get()));
  check(curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body));
  check(curl_easy_setopt(e, CURLOPT_WRITEDATA, t.get()));
  check(curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header));
  check(curl_easy_setopt(e, CURLOPT_HEADERDATA, t.get()));
  if (request.max_body_bytes > 0) {  // 0 would mean "no limit" to libcurl
    check(curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE,
                           static_cast<curl_off_t>(request.max_body_bytes)));
  }
  if (t->ssrf_guard) {
    check(curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, on_open_socket));
    check(curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, t.get()));
  }
  if (request.method == "GET") {
    check(curl_easy_setopt(e, CURLOPT_HTTPGET, 1L));
  } else if (request.method == "HEAD") {
    check(curl_easy_setopt(e, CURLOPT_NOBODY, 1L));
  } else {
    if (request.method == "POST" || !t->body.empty()) {
      check(curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
                             static_cast<curl_off_t>(t->body.size())));
      check(curl_easy_setopt(e, CURLOPT_POSTFIELDS, t->body.data()));
    }
    if (request.method != "POST") {
      check(curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, request.method.c_str()));
    }
  }
  if (cookies != nullptr) {
    for (const std::string& line : *cookies) {
      check(curl_easy_setopt(e, CURLOPT_COOKIELIST, line.c_str()));
    }
    t->cookies_out = cookies;
  }
  if (!ok) return error(ErrorCode::kInternal, t->what() + ": curl_easy_setopt failed");

  std::future<Result<HttpResponse>> result = t->done.get_future();
  {
    std::lock_guard lock(worker_->mu);
    if (worker_->stopping) {
      return error(ErrorCode::kUnavailable, t->what() + ": the HTTP transport is shutting down");
    }
    worker_->queue.push_back(std::move(t));
    curl_multi_wakeup(worker_->multi.get());
  }
  return result.get();
}

// --- the guard behind a proxy ------------------------------------------------------------

Result<std::vector<std::string>> SystemHostResolver::resolve(const std::string& host) const {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &found);
  if (rc != 0) {
    return error(ErrorCode::kNetwork, "cannot resolve " + host + ": " + ::gai_strerror(rc));
  }
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> owned(found, &::freeaddrinfo);
  std::vector<std::string> out;
  for (const addrinfo* a = found; a != nullptr; a = a->ai_next) {
    char text[INET6_ADDRSTRLEN] = "";
    if (a->ai_family == AF_INET) {
      inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(a->ai_addr)->sin_addr, text,
                sizeof text);
    } else if (a->ai_family == AF_INET6) {
      inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(a->ai_addr)->sin6_addr, text,
                sizeof text);
    } else {
      continue;
    }
    out.emplace_back(text);
  }
  if (out.empty()) return error(ErrorCode::kNetwork, "cannot resolve " + host + ": no address");
  return out;
}

Status CurlTransport::check_proxied_host(const std::string& what, const std::string& host) const {
  auto refused = [&](const std::string& address, const char* why) {
    return error(ErrorCode::kInvalid,
                 what + ": refused to connect: " +
                     (address == host ? host : host + " resolves to " + address + ", which") +
                     " is " + why +
                     ", and private networks are not allowed "
                     "(CurlTransport::Options::allow_private_networks)");
  };
  if (const char* why = classify_ip_text(host); why != nullptr) return refused(host, why);
  std::string name = host;
  if (name.size() >= 2 && name.front() == '[' && name.back() == ']') {
    name = name.substr(1, name.size() - 2);
  }
  name = name.substr(0, name.find('%'));
  std::array<uint8_t, 16> bytes{};
  if (inet_pton(AF_INET, name.c_str(), bytes.data()) == 1 ||
      inet_pton(AF_INET6, name.c_str(), bytes.data()) == 1) {
    return ok_status();  // a public address literal: nothing to resolve
  }
  static const SystemHostResolver kSystemResolver;
  const HostResolver& resolver = options_.resolver ? *options_.resolver : kSystemResolver;
  auto addresses = resolver.resolve(name);
  if (!addresses.ok()) {
    return error(ErrorCode::kNetwork, what + ": cannot check host " + host +
                                          " before handing it to the proxy (" +
                                          addresses.error_message() + ")");
  }
  if (addresses->empty()) {
    return error(ErrorCode::kNetwork, what + ": host " + host + " has no address");
  }
  for (const std::string& address : *addresses) {
    if (const char* why = classify_ip_text(address); why != nullptr) return refused(address, why);
  }
  return ok_status();
}

Result<HttpResponse> CurlTransport::fetch_through_proxy(const HttpRequest& request) {
  using SteadyClock = std::chrono::steady_clock;
  const auto deadline = SteadyClock::now() + request.timeout;
  HttpRequest hop = request;
  std::vector<std::string> cookies;  // the jar, carried from hop to hop
  std::chrono::milliseconds elapsed{0};
  for (int redirects = 0;; ++redirects) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
    if (left.count() <= 0) {
      return error(ErrorCode::kTimeout,
                   hop.method + " " + redact_url(hop.url) + ": timed out (following redirects)");
    }
    hop.timeout = left;
    MU_ASSIGN_OR_RETURN(HttpResponse response, perform(hop, /*follow_redirects=*/false, &cookies));
    elapsed += response.elapsed;
    response.elapsed = elapsed;
    const int status = response.status;
    const bool is_redirect =
        status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
    const std::string location(response.header("Location"));
    if (!is_redirect || location.empty() || request.max_redirects <= 0) return response;
    const std::string what = hop.method + " " + redact_url(hop.url);
    if (redirects >= request.max_redirects) {
      return error(ErrorCode::kHttp, what + ": too many redirects (more than " +
                                         std::to_string(request.max_redirects) + ")");
    }
    // The target, resolved against the current URL as libcurl would.
    UrlPtr next(curl_url());
    if (!next) return error(ErrorCode::kInternal, "curl_url failed");
    if (curl_url_set(next.get(), CURLUPART_URL, hop.url.c_str(), 0) != CURLUE_OK ||
        curl_url_set(next.get(), CURLUPART_URL, location.c_str(), CURLU_NON_SUPPORT_SCHEME) !=
            CURLUE_OK) {
      return error(ErrorCode::kInvalid, what + ": malformed redirect target");
    }
    char* url_raw = nullptr;
    char* scheme_raw = nullptr;
    char* host_raw = nullptr;
    curl_url_get(next.get(), CURLUPART_URL, &url_raw, 0);
    CurlString next_url(url_raw);
    curl_url_get(next.get(), CURLUPART_SCHEME, &scheme_raw, 0);
    CurlString scheme(scheme_raw);
    curl_url_get(next.get(), CURLUPART_HOST, &host_raw, 0);
    CurlString host(host_raw);
    if (!next_url || !scheme || !host ||
        !(iequals(scheme.get(), "http") || iequals(scheme.get(), "https"))) {
      return error(ErrorCode::kInvalid,
                   what + ": scheme not allowed, only http and https (also for redirects)");
    }
    MU_RETURN_IF_ERROR(check_proxied_host(what + " -> " + redact_url(next_url.get()), host.get()));
    // Method changes as libcurl makes them: 303 turns into GET, and so does a POST answered
    // 301 or 302; 307 and 308 repeat the request.
    if ((status == 303 && hop.method != "HEAD") ||
        ((status == 301 || status == 302) && hop.method == "POST")) {
      hop.method = "GET";
      hop.body.clear();
    }
    // Credentials the caller set stay with the origin they were meant for.
    UrlPtr current(curl_url());
    char* origin_raw = nullptr;
    if (current && curl_url_set(current.get(), CURLUPART_URL, hop.url.c_str(), 0) == CURLUE_OK) {
      curl_url_get(current.get(), CURLUPART_HOST, &origin_raw, 0);
    }
    CurlString origin(origin_raw);
    if (!origin || !iequals(origin.get(), host.get())) {
      std::erase_if(hop.headers, [](const auto& h) {
        return iequals(h.first, "Authorization") || iequals(h.first, "Cookie");
      });
    }
    hop.url = next_url.get();
  }
}

}  // namespace mu
