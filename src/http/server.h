// Server: the HTTP/1.1 server that `mu api` and `mu serve` put in front of a Router.
// It runs on Boost.Beast and Asio, which stay inside server.cc.
//
// Per connection: the caps of http/limits.h (max_connections, max_connections_per_ip,
// derived from the descriptor limit when 0). A connection over a cap gets a fixed 503 with
// Retry-After and is closed; when all slots are taken, the oldest idle keep-alive
// connections are closed to make room.
//
// Per request, in order:
//   1. Limits. A header block over header_limit gets 431, a body over body_limit gets 413,
//      and a malformed request or unsafe path ("..") gets 400. So does unsafe framing (see
//      request_framing_error(): a Transfer-Encoding other than "chunked", Transfer-Encoding
//      with Content-Length, no Host on HTTP/1.1), a line not ended by CRLF, and a chunk-size
//      line or trailer over chunk_line_limit. A header block not received within
//      header_timeout, or a whole request within request_timeout, gets 408. Each of these
//      closes the connection.
//   2. CORS preflight (OPTIONS with Origin and Access-Control-Request-Method) when
//      cors_origins is set.
//   3. Admission (options.admit): a refusal (429) is sent instead of routing; headers it
//      adds go on the response, whatever it is. The client address it sees is the peer's,
//      or X-Forwarded-For's from trusted_proxies (http/client_address.h).
//   4. The router. When no route matches the path and static_dir is set, static files
//      (see static_files.h). Otherwise 404 JSON.
//   5. Middleware on every response (middleware.h): ETag/If-None-Match -> 304, gzip (a
//      pre-computed variant or on the fly), Vary, CORS headers for allowed origins,
//      security headers (nosniff, Referrer-Policy, X-Frame-Options; a CSP on HTML),
//      Date, "Server: mu", Content-Length.
// Streaming responses (Response::stream, Server-Sent Events; see http/event_stream.h): after
// the header block (chunked, Connection: close) the connection's coroutine waits for the
// stream's notify hook without blocking its io thread, writes each batch of frames as one
// chunk, a ": ping" comment when the stream's heartbeat interval passed in silence, and
// ends when the stream closes (terminating chunk), reaches stream_max_age (likewise; the
// client reconnects), the client goes away (noticed at once by a read that hits EOF) or a
// write takes longer than request_timeout (a stalled client). Streams may take at most half
// of each connection cap; a stream request beyond gets 503 and its stream is closed.
// The stream is closed in every case, so its producer sees the client leave. stop() closes
// open streams at once instead of waiting for them.
// Connections follow HTTP/1.1 keep-alive rules. A connection that sits idle for
// idle_timeout, or takes longer than request_timeout to send a request or read a
// response, is closed. Expect: 100-continue is honoured.
//
// Threads: `threads` io threads. Each has its own io_context, and accepted connections are
// dealt out to them in turn. A connection stays on one thread, and its handlers run on that
// thread (see router.h: handlers must be quick). A deferred response's work runs on one of
// `blocking_threads` pool threads while the connection's coroutine waits without blocking
// its io thread.
//
// Thread-safety: start(), stop() and the destructor may be called from any thread except
// an io thread (never from a handler). port() and counters() are safe at any time.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/metrics.h"
#include "core/status.h"
#include "http/middleware.h"
#include "http/router.h"
#include "http/static_files.h"

namespace mu {

struct ServerOptions {
  // "127.0.0.1:8080", "[::1]:0", ":8080" (every interface, IPv6 and IPv4), "localhost:8080".
  // Port 0 picks a free port (see Server::port()).
  std::string listen = "127.0.0.1:8080";
  int threads = 2;
  Millis idle_timeout{60'000};      // keep-alive connection with no request in progress
  Millis header_timeout{10'000};    // from a request's first byte to the end of its header block
                                    // (also: a new connection's wait for its first request)
  Millis request_timeout{30'000};   // to receive one whole request, or to send one response
  Millis shutdown_timeout{10'000};  // stop(): how long in-flight requests get to finish
  std::size_t header_limit = 16u << 10;  // request line + header fields; over -> 431
  std::size_t body_limit = 1u << 20;     // request body; over -> 413
  // A chunk-size line with its extensions, or the trailer block of a chunked body; over -> 400.
  std::size_t chunk_line_limit = 4u << 10;
  // Connection caps (see http/limits.h). 0: derived at start() from the file descriptor
  // limit (RLIMIT_NOFILE minus a reserve; a quarter of that per client address). Event
  // streams get at most half of either. A connection over a cap is answered 503 with
  // Retry-After and closed at once, as is a stream request over the stream caps.
  std::size_t max_connections = 0;
  std::size_t max_connections_per_ip = 0;
  // An event stream open this long is ended (the client reconnects, as EventSource does on
  // its own); each stream gets up to 10 % less so that reconnects spread out. 0: no limit.
  Millis stream_max_age{30 * 60'000};
  std::string static_dir;  // empty: no static files
  // The app's own page (index.html) built per request, see static_files.h; empty: the file.
  IndexPage index_page;
  // SO_SNDBUF of a connection once it streams events (0: the kernel's autotuned default,
  // which can reach megabytes). Small, so that a client that stops reading fills the
  // stream's own bounded queue (and gets a resync) instead of hiding megabytes of stale
  // events in kernel buffers, times thousands of connections.
  std::size_t stream_send_buffer = 64u << 10;
  // Deferred responses (Response::deferred: outbound calls such as the OAuth token
  // exchange) run on this many blocking threads, off the io threads; at most
  // blocking_queue more wait, and a request beyond that gets 503 with Retry-After. This
  // caps concurrent outbound calls made on behalf of clients.
  int blocking_threads = 4;
  std::size_t blocking_queue = 64;
  // CORS, the CSP for HTML and gzip settings.
  MiddlewareOptions middleware;
  // Reverse proxies whose X-Forwarded-For names the client (http/client_address.h):
  // "10.0.0.0/8", "::1". Empty: the peer is the client. A bad entry fails start() (kConfig).
  std::vector<std::string> trusted_proxies;
  // Run for every request after the CORS preflight and before the router (rate limits and
  // quotas, api/quota.h): may refuse it or add headers to its response. Empty: none.
  AdmissionHook admit;
  // Date header and timeouts. nullptr: the system clock. Must outlive the Server.
  const Clock* clock = nullptr;
};

// Responses of one route since start(): by method and status class, and the time from the
// request's arrival to its response being ready to send (event streams not timed). Both
// are counted before the response is written.
struct RouteCounters {
  std::string route;  // the router pattern, "static" (files) or "unmatched"
  // [method][class]: method as HttpMethod (kOther last), class [1] 1xx ... [5] 5xx.
  std::array<std::array<uint64_t, 6>, 8> responses{};
  metrics::Histogram::Snapshot latency;  // over metrics::latency_buckets()
};

// Running totals since start(), for the metrics endpoint.
struct ServerCounters {
  uint64_t connections_accepted = 0;
  uint64_t active_connections = 0;
  uint64_t requests = 0;                         // responses written, errors included
  std::array<uint64_t, 6> responses_by_class{};  // [1] 1xx ... [5] 5xx; [0] unused
  uint64_t handler_exceptions = 0;               // handlers that threw (answered 500)
  uint64_t timeouts = 0;                         // connections closed by idle/request timeout
  uint64_t event_streams = 0;                    // streaming responses open now
  uint64_t deferred_rejected = 0;                // deferred work refused: pool queue full
  uint64_t refused_connections = 0;   // over max_connections or max_connections_per_ip (503)
  uint64_t refused_streams = 0;       // stream requests over the stream caps (503)
  std::vector<RouteCounters> routes;  // every route pattern, then "static", "unmatched"
};

class Server {
 public:
  using Options = ServerOptions;

  Server(Options options, Router router);
  ~Server();  // stop()
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds, listens, and starts the io threads. kConfig for a bad listen address, an
  // invalid router (see Router::status()) or a missing static_dir. kUnavailable when the
  // address cannot be bound (the port is in use). kInvalid when already started. A Server
  // starts at most once.
  Status start();

  // The bound port (useful with port 0); 0 before start().
  uint16_t port() const;

  // Graceful stop. Stops accepting, closes idle keep-alive connections and event streams
  // (their streams are closed too), lets requests in flight finish (answering them with
  // Connection: close) for up to shutdown_timeout, then closes what is left and joins the
  // io threads. Safe to call twice, and before start().
  void stop();

  ServerCounters counters() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mu
