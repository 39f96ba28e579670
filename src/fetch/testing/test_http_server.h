// TestHttpServer: a tiny HTTP/1.1 server on 127.0.0.1 for hermetic tests of HTTP clients
// (CurlTransport, and any module that needs a real socket to talk to). It listens on an
// ephemeral port, routes requests by exact path to handler functions, records every request
// it receives and counts connections (total and the most open at once).
//
// Supported: request line + headers, Content-Length bodies, `Expect: 100-continue`,
// keep-alive, HEAD, and responses with a fixed body, a generated body of any size (sent
// with Content-Length or chunked), or no answer at all ("hang": the connection is held
// until the client closes it or the server stops). Not supported: chunked request bodies
// (answered 501), TLS, HTTP/2.
//
// Thread-safety: every method is safe to call from any thread while the server runs.
// Handlers run on the connection's own thread, so several may run at once. The destructor
// (or stop()) wakes every waiting connection and joins all threads; a handler that blocks on
// its own must be bounded by a deadline.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "fetch/transport.h"

namespace mu {

struct TestHttpRequest {
  std::string method;  // "GET"
  std::string target;  // as sent: "/path?a=1"
  std::string path;    // target without the query: "/path"
  std::string query;   // after '?', without it: "a=1"
  Headers headers;
  std::string body;
  int connection = 0;  // 1-based id of the connection that carried the request

  std::string_view header(std::string_view name) const { return find_header(headers, name); }
};

struct TestHttpResponse {
  int status = 200;
  Headers headers;   // Content-Length / Transfer-Encoding are added by the server
  std::string body;  // ignored when stream_bytes > 0
  // When > 0: send this many filler bytes ('x') instead of `body`, generated while writing,
  // so multi-megabyte bodies cost no memory.
  std::size_t stream_bytes = 0;
  bool chunked = false;  // send the body with chunked transfer coding, no Content-Length
  bool hang = false;     // never answer (see the file comment)

  static TestHttpResponse text(int status, std::string body,
                               std::string content_type = "text/plain; charset=utf-8");
  static TestHttpResponse redirect(std::string location, int status = 302);
  static TestHttpResponse never_answer();
};

using TestHttpHandler = std::function<TestHttpResponse(const TestHttpRequest&)>;

class TestHttpServer {
 public:
  // Binds 127.0.0.1 on an ephemeral port and starts serving. Aborts the process if the
  // loopback socket cannot be created (nothing a test could do about it).
  TestHttpServer();
  ~TestHttpServer();
  TestHttpServer(const TestHttpServer&) = delete;
  TestHttpServer& operator=(const TestHttpServer&) = delete;

  // Routes requests whose path (query excluded) equals `path`; replaces an earlier route.
  // Unrouted paths answer 404.
  void route(std::string path, TestHttpHandler handler);

  uint16_t port() const { return port_; }
  // "http://127.0.0.1:<port><path_and_query>"; `path_and_query` should start with '/'.
  std::string url(std::string_view path_and_query = "/") const;

  // Every request received so far, in arrival order (recorded before its handler runs).
  std::vector<TestHttpRequest> requests() const;
  // Only the requests whose path equals `path`.
  std::vector<TestHttpRequest> requests_to(std::string_view path) const;
  int connections_accepted() const;
  int max_concurrent_connections() const;

  // Stops accepting, wakes every connection and joins all threads. Idempotent.
  void stop();

 private:
  void accept_loop();
  void serve_connection(int fd, int connection_id);
  // Waits until `fd` is ready for `events` (POLLIN/POLLOUT); false once the server stops.
  bool wait_ready(int fd, short events) const;
  bool send_all(int fd, std::string_view data) const;
  bool send_response(int fd, const TestHttpRequest& request, const TestHttpResponse& response);
  TestHttpHandler find_route(const std::string& path) const;
  void connection_closed();

  int listen_fd_ = -1;
  int wake_read_fd_ = -1;  // readable once stop() begins; every poll() also waits on it
  int wake_write_fd_ = -1;
  uint16_t port_ = 0;
  std::thread accept_thread_;

  mutable std::mutex mu_;
  bool stopping_ = false;
  std::map<std::string, TestHttpHandler, std::less<>> routes_;
  std::vector<TestHttpRequest> requests_;
  std::vector<std::thread> connection_threads_;
  int accepted_ = 0;
  int open_ = 0;
  int max_open_ = 0;
};

}  // namespace mu
