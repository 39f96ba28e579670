// CurlTransport: Mu's real HTTP client, built on the libcurl multi interface. One worker
// thread owns a CURLM handle and drives every transfer (connection reuse, per-host
// connection limits, HTTP/2 multiplexing); fetch() builds the request on the calling thread,
// hands it to the worker and blocks until it completes.
//
// Per request: method, headers and body from HttpRequest; `timeout` bounds the whole
// transfer; bodies are capped at `max_body_bytes` (kTooLarge); gzip/deflate/br/zstd answers
// are decoded transparently (the body is decoded, the headers are as received, so
// Content-Encoding still names the wire coding); redirects are followed up to
// `max_redirects` (a value <= 0 returns the 3xx response itself); only http and https are
// allowed, for the URL and for every redirect; a fresh cookie jar per request carries
// Set-Cookie across the redirects of that request (and no further). The response headers
// are those of the final response only.
//
// Errors (HTTP statuses are not errors; see check_http_status):
//   kTimeout  the request timeout or the connect timeout passed
//   kNetwork  DNS, connect, TLS, reset, receive errors, malformed or undecodable responses
//   kTooLarge the body exceeded max_body_bytes (the message names the cap)
//   kInvalid  malformed URL, scheme or redirect target other than http/https, bad method or
//             header, and the SSRF guard (a connection to a non-public address while
//             Options::allow_private_networks is false)
//   kHttp     more than max_redirects redirects
//   kUnavailable the transport is shutting down
// Messages name the method and the URL without user info, query or fragment (which may
// carry secrets), plus libcurl's own error text.
//
// SSRF guard: the check runs on every socket libcurl opens, i.e. on the *resolved* address
// of the host and of every redirect target, so a public name that resolves to 127.0.0.1 is
// refused too. With a proxy configured the connection goes to the proxy (trusted
// configuration) and the target host is resolved by the proxy, so only IP-literal hosts in
// the request URL can be checked.
//
// Thread-safety: fetch() is safe to call from any number of threads at once. The destructor
// stops the worker: requests still queued or in flight fail with kUnavailable, so threads
// blocked in fetch() return; starting new fetch() calls while the destructor runs is a bug.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"
#include "fetch/transport.h"

namespace mu {

// "Mu/<version> (+https://github.com/mu-hot/mu)".
std::string default_user_agent();

// True when `ip` (a numeric IPv4 or IPv6 address, without brackets) is an address the SSRF
// guard refuses: unspecified, loopback, private (RFC 1918, IPv6 ULA), link-local, shared
// CGNAT space, multicast, broadcast, documentation/benchmark/reserved ranges, and IPv6
// forms embedding such an IPv4 address (mapped, compatible, NAT64, 6to4). False for public
// addresses and for text that is not an IP address.
bool is_private_network_ip(std::string_view ip);

class CurlTransport final : public Transport {
 public:
  struct Options {
    // Sent when the request has no User-Agent header of its own.
    std::string user_agent = default_user_agent();
    // Connections open at once to one host (CURLMOPT_MAX_HOST_CONNECTIONS); more requests
    // to that host wait in a queue. 0 = unlimited.
    long max_host_connections = 4;
    // Connections open at once in total (CURLMOPT_MAX_TOTAL_CONNECTIONS). 0 = unlimited.
    long max_total_connections = 64;
    // Proxy URL ("http://host:3128", "socks5h://host:1080"); empty = no proxy, and the
    // http_proxy/https_proxy environment variables are ignored.
    std::string proxy;
    // false: refuse connections to non-public addresses (see is_private_network_ip) with
    // kInvalid. Tests against a loopback server set it to true.
    bool allow_private_networks = false;
    // Bound on establishing one connection (DNS + TCP + TLS); also bounded by the request
    // timeout.
    std::chrono::milliseconds connect_timeout{std::chrono::seconds(10)};
  };

  // Starts the worker thread. kInvalid on bad options, kInternal when libcurl cannot be
  // initialised.
  static Result<std::unique_ptr<CurlTransport>> create();
  static Result<std::unique_ptr<CurlTransport>> create(Options options);

  ~CurlTransport() override;
  CurlTransport(const CurlTransport&) = delete;
  CurlTransport& operator=(const CurlTransport&) = delete;

  Result<HttpResponse> fetch(const HttpRequest& request) override;

  const Options& options() const { return options_; }

 private:
  struct Worker;  // the CURLM handle, the queue and the thread; defined in the .cc
  explicit CurlTransport(Options options);

  const Options options_;
  std::unique_ptr<Worker> worker_;
};

}  // namespace mu
