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
// configuration), which resolves the target itself; so before a request is handed to the
// proxy its host is resolved here (Options::resolver) and refused when any address is not
// public, and redirects are followed here, hop by hop, each target checked the same way
// (cookies carried across the hops as without a proxy). A name that does not resolve
// locally fails with kNetwork. Limit: the proxy resolves the name again, so a DNS answer
// that changes between the two lookups (rebinding) is not caught; restrict the proxy too.
//
// Thread-safety: fetch() is safe to call from any number of threads at once. The destructor
// stops the worker: requests still queued or in flight fail with kUnavailable, so threads
// blocked in fetch() return; starting new fetch() calls while the destructor runs is a bug.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

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

// Resolves host names for the SSRF guard when requests go through a proxy. Tests inject a
// fake that answers without DNS. Implementations must be safe for concurrent use.
class HostResolver {
 public:
  virtual ~HostResolver() = default;
  // The numeric addresses of `host` ("93.184.216.34", "2606:2800:220:1::1"), at least one;
  // kNetwork when it does not resolve.
  virtual Result<std::vector<std::string>> resolve(const std::string& host) const = 0;
};

// getaddrinfo(3): the system's resolver (hosts file, DNS). Blocks the calling thread.
class SystemHostResolver final : public HostResolver {
 public:
  Result<std::vector<std::string>> resolve(const std::string& host) const override;
};

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
    // Resolves request hosts for the guard when `proxy` is set (see the file comment); null
    // means SystemHostResolver.
    std::shared_ptr<const HostResolver> resolver;
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

  // One transfer of `request`, already validated. `follow_redirects`: libcurl follows them
  // (false: a 3xx is returned as is). `cookies`: Netscape-format cookie lines loaded into the
  // transfer's jar before, and replaced by its jar's content after (null: none).
  Result<HttpResponse> perform(const HttpRequest& request, bool follow_redirects,
                               std::vector<std::string>* cookies);
  // The guard behind a proxy: every hop's host resolved and checked before it is sent.
  Result<HttpResponse> fetch_through_proxy(const HttpRequest& request);
  // The request's own proxy, else Options::proxy ("": none).
  const std::string& proxy_of(const HttpRequest& request) const {
    return request.proxy.empty() ? options_.proxy : request.proxy;
  }
  // kInvalid when `host` (a URL's host) is, or resolves to, a non-public address; kNetwork
  // when it does not resolve.
  Status check_proxied_host(const std::string& method_and_url, const std::string& host) const;

  const Options options_;
  std::unique_ptr<Worker> worker_;
};

}  // namespace mu
