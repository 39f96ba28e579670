// What the server does with hostile input on a real loopback socket: request framing that
// could smuggle a request past a proxy, requests that never finish, and more connections
// or event streams than it may hold (issue 17, items 7 and 2). Raw sockets, so that the
// bytes are exactly what an attacker would send.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "http/event_stream.h"
#include "http/server.h"

namespace mu {
namespace {

using Clock = std::chrono::steady_clock;

// A raw TCP client from a chosen loopback address (127.0.0.2 counts as another client).
// Every read gives up after 10 s: a safety net so that a broken server fails the test
// instead of hanging it, never a wait for time.
class RawClient {
 public:
  RawClient(uint16_t port, const char* from = "127.0.0.1") {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in local{};
    local.sin_family = AF_INET;
    ::inet_pton(AF_INET, from, &local.sin_addr);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) return;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~RawClient() { ::close(fd_); }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  bool connected() const { return connected_; }

  bool send(std::string_view data) {
    while (!data.empty()) {
      const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  // Everything the server sends until it closes the connection. `closed` tells whether it
  // did (EOF or reset) before the safety net.
  std::string read_to_close(bool* closed = nullptr) {
    std::string out;
    const auto deadline = Clock::now() + std::chrono::seconds(10);
    bool eof = false;
    while (Clock::now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (::poll(&p, 1, static_cast<int>(std::max<int64_t>(left.count(), 1))) <= 0) continue;
      char buf[4096];
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) {
        eof = true;
        break;
      }
      out.append(buf, static_cast<std::size_t>(n));
    }
    if (closed != nullptr) *closed = eof;
    return out;
  }

  // Reads until `needle` has arrived (or the connection ends, or the safety net).
  std::string read_until(std::string_view needle) {
    const auto deadline = Clock::now() + std::chrono::seconds(10);
    while (received_.find(needle) == std::string::npos && Clock::now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      char buf[4096];
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) break;
      received_.append(buf, static_cast<std::size_t>(n));
    }
    return received_;
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
  std::string received_;
};

int count(std::string_view haystack, std::string_view needle) {
  int n = 0;
  for (auto at = haystack.find(needle); at != std::string_view::npos;
       at = haystack.find(needle, at + 1)) {
    ++n;
  }
  return n;
}

class ServerLimitsTest : public ::testing::Test {
 protected:
  ~ServerLimitsTest() override {
    if (server_) server_->stop();
  }

  void start(ServerOptions options = {}) {
    Router router;
    router.add(HttpMethod::kGet, "/hello",
               [](const Request&) { return text_response(200, "hello"); });
    router.add(HttpMethod::kPost, "/echo",
               [](const Request& r) { return text_response(200, "[" + r.body + "]"); });
    router.add(HttpMethod::kGet, "/events", [this](const Request&) {
      auto s = std::make_shared<EventStream>();
      std::lock_guard lock(mu_);
      streams_.push_back(s);
      return event_stream_response(s);
    });
    options.listen = "127.0.0.1:0";
    server_ = std::make_unique<Server>(std::move(options), std::move(router));
    const Status s = server_->start();
    ASSERT_TRUE(s.ok()) << s.to_string();
  }

  uint16_t port() const { return server_->port(); }

  // Sends `request` on a new connection and returns everything until the server closes it.
  std::string exchange(std::string_view request, bool* closed = nullptr) {
    RawClient c(port());
    EXPECT_TRUE(c.connected());
    c.send(request);
    return c.read_to_close(closed);
  }

  std::unique_ptr<Server> server_;
  std::mutex mu_;
  std::vector<std::shared_ptr<EventStream>> streams_;
};

// --- Item 7: request framing ---

// The body of a request whose Transfer-Encoding the server does not apply must never be
// read as a second request: that is request smuggling behind a proxy that does apply it.
TEST_F(ServerLimitsTest, Issue17TransferEncodingOtherThanChunkedIsRefusedNotSmuggled) {
  ServerOptions options;
  options.request_timeout = std::chrono::seconds(60);  // a hang shows as a failed read
  start(options);
  const std::string smuggled = "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n";
  for (std::string_view te : {"chunked, identity", "xchunked", "identity", "gzip, chunked", "gzip",
                              "chunked\r\nTransfer-Encoding: identity"}) {
    bool closed = false;
    const std::string raw =
        exchange("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: " + std::string(te) +
                     "\r\n\r\n" + smuggled,
                 &closed);
    EXPECT_TRUE(raw.starts_with("HTTP/1.1 400 ")) << te << "\n" << raw;
    EXPECT_EQ(count(raw, "HTTP/1.1 "), 1) << te << "\n" << raw;
    EXPECT_EQ(raw.find("hello"), std::string::npos) << te;
    EXPECT_TRUE(closed) << te;
  }
}

TEST_F(ServerLimitsTest, Issue17ContentLengthWithTransferEncodingIsRefused) {
  start();
  for (std::string_view fields : {"Transfer-Encoding: identity\r\nContent-Length: 5",
                                  "Content-Length: 5\r\n"
                                  "Transfer-Encoding: chunked",
                                  "Transfer-Encoding: chunked\r\nContent-Length: 5"}) {
    bool closed = false;
    const std::string raw = exchange("POST /echo HTTP/1.1\r\nHost: x\r\n" + std::string(fields) +
                                         "\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
                                     &closed);
    EXPECT_TRUE(raw.starts_with("HTTP/1.1 400 ")) << fields << "\n" << raw;
    EXPECT_EQ(count(raw, "HTTP/1.1 "), 1) << raw;
    EXPECT_TRUE(closed);
  }
  // HTTP/1.0 has no transfer codings.
  const std::string raw =
      exchange("POST /echo HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
  EXPECT_TRUE(raw.starts_with("HTTP/1.1 400 ")) << raw;
}

TEST_F(ServerLimitsTest, Issue17Http11WithoutExactlyOneHostIsRefused) {
  start();
  std::string raw = exchange("GET /hello HTTP/1.1\r\n\r\n");
  EXPECT_TRUE(raw.starts_with("HTTP/1.1 400 ")) << raw;
  EXPECT_NE(raw.find("missing Host header"), std::string::npos) << raw;
  raw = exchange("GET /hello HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n");
  EXPECT_TRUE(raw.starts_with("HTTP/1.1 400 ")) << raw;
  // HTTP/1.0 may leave Host out.
  raw = exchange("GET /hello HTTP/1.0\r\n\r\n");
  EXPECT_TRUE(raw.starts_with("HTTP/1.1 200 ")) << raw;
}

TEST_F(ServerLimitsTest, ChunkedBodiesStillWork) {
  start();
  RawClient c(port());
  c.send(
      "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5;name=value\r\nhello\r\n1\r\n!\r\n0\r\nX-Trailer: 1\r\n\r\n"
      "GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  const std::string raw = c.read_to_close();
  EXPECT_TRUE(raw.starts_with("HTTP/1.1 200 ")) << raw;
  EXPECT_NE(raw.find("[hello!]"), std::string::npos) << raw;
  EXPECT_EQ(count(raw, "HTTP/1.1 200 "), 2) << raw;
}

// Chunk lines and trailers are bounded and must end with CRLF; before, each of these held
// the connection without an answer until request_timeout.
TEST_F(ServerLimitsTest, Issue17OverlongChunkLinesAndTrailersAreRefusedAtOnce) {
  ServerOptions options;
  options.request_timeout = std::chrono::seconds(60);
  options.header_timeout = std::chrono::seconds(60);
  start(options);
  const std::string head = "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  const std::string long_extension = "5;" + std::string(100 << 10, 'e');
  const std::string long_trailer = "5\r\nhello\r\n0\r\nX-T: " + std::string(70 << 10, 't');
  const std::string lf_only = "5\nhello\n0\n\n";
  for (const std::string* body : {&long_extension, &long_trailer, &lf_only}) {
    bool closed = false;
    const std::string raw = exchange(head + *body, &closed);
    EXPECT_TRUE(raw.starts_with("HTTP/1.1 400 ")) << raw.substr(0, 200);
    EXPECT_TRUE(closed);
  }
  // A header block with bare line feeds, likewise.
  bool closed = false;
  const std::string raw = exchange("GET /hello HTTP/1.1\nHost: x\n\n", &closed);
  EXPECT_TRUE(raw.starts_with("HTTP/1.1 400 ")) << raw;
  EXPECT_TRUE(closed);
}

// A request that stops arriving is answered 408 and its connection closed: the header block
// within header_timeout, the whole request within request_timeout.
TEST_F(ServerLimitsTest, Issue17SlowRequestsGet408) {
  ServerOptions options;
  options.header_timeout = std::chrono::milliseconds(200);
  options.request_timeout = std::chrono::milliseconds(400);
  start(options);
  bool closed = false;
  std::string raw = exchange("GET /hello HTTP/1.1\r\nHost: x\r\n", &closed);
  EXPECT_TRUE(raw.starts_with("HTTP/1.1 408 ")) << raw;
  EXPECT_TRUE(closed);
  raw = exchange("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\npartial", &closed);
  EXPECT_TRUE(raw.starts_with("HTTP/1.1 408 ")) << raw;
  EXPECT_TRUE(closed);
  raw = exchange("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel",
                 &closed);
  EXPECT_TRUE(raw.starts_with("HTTP/1.1 408 ")) << raw;
  EXPECT_TRUE(closed);
  // A connection that never sends anything is closed without an answer.
  raw = exchange("", &closed);
  EXPECT_EQ(raw, "");
  EXPECT_TRUE(closed);
  EXPECT_GE(server_->counters().timeouts, 4u);
}

// --- Item 2: connection caps and stream lifetimes ---

TEST_F(ServerLimitsTest, Issue17ConnectionsOverThePerClientCapGet503AndOthersStillGetIn) {
  ServerOptions options;
  options.max_connections = 8;
  options.max_connections_per_ip = 4;
  options.idle_timeout = std::chrono::seconds(60);
  start(options);
  std::vector<std::unique_ptr<RawClient>> held;
  for (int i = 0; i < 4; ++i) {
    held.push_back(std::make_unique<RawClient>(port()));
    // A request answered proves the server counted this connection.
    held.back()->send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
    ASSERT_NE(held.back()->read_until("hello").find("hello"), std::string::npos);
  }
  bool closed = false;
  std::string raw = exchange("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n", &closed);
  EXPECT_TRUE(raw.starts_with("HTTP/1.1 503 ")) << raw;
  EXPECT_NE(raw.find("Retry-After: "), std::string::npos) << raw;
  EXPECT_TRUE(closed);
  EXPECT_EQ(server_->counters().refused_connections, 1u);

  // Another client is served.
  RawClient other(port(), "127.0.0.2");
  ASSERT_TRUE(other.connected());
  other.send("GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  raw = other.read_to_close();
  EXPECT_TRUE(raw.starts_with("HTTP/1.1 200 ")) << raw;

  // A slot freed is a slot given again.
  held.pop_back();
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  do {
    raw = exchange("GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  } while (!raw.starts_with("HTTP/1.1 200 ") && Clock::now() < deadline);
  EXPECT_TRUE(raw.starts_with("HTTP/1.1 200 ")) << raw;
}

TEST_F(ServerLimitsTest, Issue17ConnectionsOverTheGlobalCapGet503AndIdleOnesMakeRoom) {
  ServerOptions options;
  options.max_connections = 4;
  options.max_connections_per_ip = 4;
  start(options);
  std::vector<std::unique_ptr<RawClient>> held;
  for (const char* from : {"127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4"}) {
    held.push_back(std::make_unique<RawClient>(port(), from));
    held.back()->send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
    ASSERT_NE(held.back()->read_until("hello").find("hello"), std::string::npos);
  }
  RawClient late(port(), "127.0.0.5");
  late.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
  std::string raw = late.read_to_close();
  EXPECT_TRUE(raw.starts_with("HTTP/1.1 503 ")) << raw;
  EXPECT_GE(server_->counters().refused_connections, 1u);

  // The refusal made the server close its oldest idle connections: a retry gets in.
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  do {
    RawClient retry(port(), "127.0.0.5");
    retry.send("GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    raw = retry.read_to_close();
  } while (!raw.starts_with("HTTP/1.1 200 ") && Clock::now() < deadline);
  EXPECT_TRUE(raw.starts_with("HTTP/1.1 200 ")) << raw;
  int closed_idle = 0;
  for (auto& c : held) {
    bool closed = false;
    c->read_to_close(&closed);  // the held ones that stay open end at the safety net
    if (closed) ++closed_idle;
    if (closed_idle > 0) break;
  }
  EXPECT_GE(closed_idle, 1);
}

TEST_F(ServerLimitsTest, Issue17EventStreamsTakeAtMostHalfTheSlots) {
  ServerOptions options;
  options.max_connections = 8;
  options.max_connections_per_ip = 8;  // streams: 4
  start(options);
  std::vector<std::unique_ptr<RawClient>> streams;
  for (int i = 0; i < 4; ++i) {
    streams.push_back(std::make_unique<RawClient>(port()));
    streams.back()->send("GET /events HTTP/1.1\r\nHost: x\r\n\r\n");
    ASSERT_NE(streams.back()->read_until("\r\n\r\n").find("200 OK"), std::string::npos);
  }
  bool closed = false;
  std::string raw = exchange("GET /events HTTP/1.1\r\nHost: x\r\n\r\n", &closed);
  EXPECT_TRUE(raw.starts_with("HTTP/1.1 503 ")) << raw;
  EXPECT_NE(raw.find("Retry-After: 5"), std::string::npos) << raw;
  EXPECT_TRUE(closed);
  EXPECT_EQ(server_->counters().refused_streams, 1u);
  {
    std::lock_guard lock(mu_);
    ASSERT_EQ(streams_.size(), 5u);
    EXPECT_TRUE(streams_.back()->closed());  // its producer sees it go
  }
  // Ordinary requests still get in.
  raw = exchange("GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_TRUE(raw.starts_with("HTTP/1.1 200 ")) << raw;
}

TEST_F(ServerLimitsTest, Issue17EventStreamsEndAtTheirMaximumAge) {
  ServerOptions options;
  options.stream_max_age = std::chrono::milliseconds(300);
  start(options);
  RawClient c(port());
  c.send("GET /events HTTP/1.1\r\nHost: x\r\n\r\n");
  bool closed = false;
  const std::string raw = c.read_to_close(&closed);
  EXPECT_TRUE(raw.starts_with("HTTP/1.1 200 ")) << raw;
  EXPECT_TRUE(raw.ends_with("\r\n0\r\n\r\n")) << raw;  // a proper end, then the close
  EXPECT_TRUE(closed);
  std::lock_guard lock(mu_);
  ASSERT_EQ(streams_.size(), 1u);
  EXPECT_TRUE(streams_[0]->closed());
  EXPECT_EQ(server_->counters().event_streams, 0u);
}

}  // namespace
}  // namespace mu
