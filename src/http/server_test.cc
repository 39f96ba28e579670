#include "http/server.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/compress.h"
#include "http/event_stream.h"
#include "http/sse_testing.h"

namespace mu {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace fs = std::filesystem;
using tcp = net::ip::tcp;
using BeastResponse = bhttp::response<bhttp::string_body>;

// A blocking HTTP/1.1 client on one connection. Reads give up after 10 s so that a broken
// server fails the test instead of hanging it (a safety net, not a wait).
class Client {
 public:
  explicit Client(uint16_t port) : socket_(ctx_) {
    socket_.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
    timeval tv{10, 0};
    ::setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }

  BeastResponse request(bhttp::verb method, std::string_view target,
                        std::vector<std::pair<std::string, std::string>> headers = {},
                        std::string body = {}) {
    bhttp::request<bhttp::string_body> req(method, target, 11);
    req.set(bhttp::field::host, "127.0.0.1");
    for (auto& [k, v] : headers) req.set(k, v);
    if (!body.empty() || method == bhttp::verb::post || method == bhttp::verb::put) {
      req.body() = std::move(body);
      req.prepare_payload();
    }
    bhttp::write(socket_, req);
    return read_response(method == bhttp::verb::head);
  }

  BeastResponse get(std::string_view target,
                    std::vector<std::pair<std::string, std::string>> headers = {}) {
    return request(bhttp::verb::get, target, std::move(headers));
  }

  BeastResponse read_response(bool head = false) {
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(64u << 20);
    parser.skip(head);
    bhttp::read(socket_, buffer_, parser);
    return parser.release();
  }

  void write_raw(std::string_view data) { net::write(socket_, net::buffer(data)); }

  // Everything until the server closes the connection.
  std::string read_to_eof() {
    std::string out(static_cast<const char*>(buffer_.data().data()), buffer_.size());
    buffer_.consume(buffer_.size());
    beast::error_code ec;
    char chunk[4096];
    while (true) {
      const std::size_t n = socket_.read_some(net::buffer(chunk), ec);
      if (ec) break;
      out.append(chunk, n);
    }
    last_error_ = ec;
    return out;
  }

  // True when the server has closed the connection (EOF or reset), with nothing unread.
  bool closed_by_server() {
    const std::string rest = read_to_eof();
    return rest.empty() &&
           (last_error_ == net::error::eof || last_error_ == net::error::connection_reset);
  }

 private:
  net::io_context ctx_;
  tcp::socket socket_;
  beast::flat_buffer buffer_;
  beast::error_code last_error_;
};

std::string header(const BeastResponse& r, std::string_view name) { return std::string(r[name]); }

std::string big_json(std::size_t n) {
  std::string s = "[";
  int i = 0;
  while (s.size() < n) s += R"({"rank":)" + std::to_string(++i) + R"(,"title":"热搜 item"},)";
  s.back() = ']';
  return s;
}

class ServerTest : public ::testing::Test {
 protected:
  ~ServerTest() override {
    if (server_) server_->stop();
  }

  // Routes used by most tests.
  Router standard_routes() {
    Router router;
    router.add(HttpMethod::kGet, "/api/v1/boards/{id}", [](const Request& r) {
      return json_response(200, R"({"id":")" + std::string(r.param("id")) + R"("})");
    });
    router.add(HttpMethod::kGet, "/api/v1/echo", [](const Request& r) {
      std::string out =
          std::string(r.query("q").value_or("")) + "|" + r.path + "|" + r.remote_address;
      return text_response(200, out);
    });
    router.add(HttpMethod::kPost, "/api/v1/echo",
               [](const Request& r) { return text_response(200, r.body); });
    router.add(HttpMethod::kGet, "/shared", [this](const Request&) {
      Response r = json_response(200, shared_);
      r.gzip_body = shared_gz_;
      r.etag = "board-v1";
      return r;
    });
    router.add(HttpMethod::kGet, "/dynamic", [this](const Request&) {
      return json_response(200, *shared_);  // an owned copy, compressed on the fly
    });
    router.add(HttpMethod::kGet, "/throws",
               [](const Request&) -> Response { throw std::runtime_error("boom"); });
    router.add(HttpMethod::kGet, "/html", [](const Request&) {
      return text_response(200, "<!doctype html>", "text/html; charset=utf-8");
    });
    return router;
  }

  void start(Router router, ServerOptions options = {}) {
    options.listen = "127.0.0.1:0";
    server_ = std::make_unique<Server>(std::move(options), std::move(router));
    const Status s = server_->start();
    ASSERT_TRUE(s.ok()) << s.to_string();
    ASSERT_NE(server_->port(), 0);
  }
  void start() { start(standard_routes()); }

  uint16_t port() const { return server_->port(); }

  std::shared_ptr<const std::string> shared_ =
      std::make_shared<const std::string>(big_json(28 * 1024));
  std::shared_ptr<const std::string> shared_gz_ =
      std::make_shared<const std::string>(gzip_compress(*shared_));
  std::unique_ptr<Server> server_;
};

TEST_F(ServerTest, RoutesWithParamsAndPercentDecoding) {
  start();
  Client c(port());
  auto r = c.get("/api/v1/boards/weibo.hot-search");
  EXPECT_EQ(r.result_int(), 200);
  EXPECT_EQ(r.body(), R"({"id":"weibo.hot-search"})");
  EXPECT_EQ(header(r, "Content-Type"), "application/json");

  r = c.get("/api/v1/boards/a%20b");
  EXPECT_EQ(r.body(), R"({"id":"a b"})");
  r = c.get("/api/v1/echo?q=%E5%BE%AE+x");
  EXPECT_EQ(r.body(), "微 x|/api/v1/echo|127.0.0.1");
}

TEST_F(ServerTest, NotFoundAndMethodNotAllowedAreJson) {
  start();
  Client c(port());
  auto r = c.get("/nope");
  EXPECT_EQ(r.result_int(), 404);
  EXPECT_EQ(header(r, "Content-Type"), "application/json");
  EXPECT_EQ(r.body(), R"({"error":{"code":"not-found","message":"no route for /nope"}})");

  r = c.request(bhttp::verb::delete_, "/api/v1/boards/x");
  EXPECT_EQ(r.result_int(), 405);
  EXPECT_EQ(header(r, "Allow"), "GET, HEAD");
  EXPECT_TRUE(r.body().starts_with(R"({"error":{"code":"method-not-allowed")")) << r.body();
  // The connection survives error answers.
  EXPECT_EQ(c.get("/api/v1/boards/y").result_int(), 200);
}

TEST_F(ServerTest, HeadIsServedByGetWithoutBody) {
  start();
  Client c(port());
  auto r = c.request(bhttp::verb::head, "/shared");
  EXPECT_EQ(r.result_int(), 200);
  EXPECT_EQ(header(r, "Content-Length"), std::to_string(shared_->size()));
  EXPECT_TRUE(r.body().empty());
  // If the server had sent the body, this next response would be garbage.
  EXPECT_EQ(c.get("/api/v1/boards/z").body(), R"({"id":"z"})");
}

TEST_F(ServerTest, EtagGives304AndMismatchGives200) {
  start();
  Client c(port());
  auto r = c.get("/shared");
  EXPECT_EQ(header(r, "ETag"), R"("board-v1")");

  r = c.get("/shared", {{"If-None-Match", R"("board-v1")"}});
  EXPECT_EQ(r.result_int(), 304);
  EXPECT_TRUE(r.body().empty());
  EXPECT_EQ(header(r, "ETag"), R"("board-v1")");

  r = c.get("/shared", {{"If-None-Match", R"("old", W/"board-v1")"}});
  EXPECT_EQ(r.result_int(), 304);

  r = c.get("/shared", {{"If-None-Match", R"("board-v0")"}});
  EXPECT_EQ(r.result_int(), 200);
  EXPECT_EQ(r.body(), *shared_);

  // A gzip client revalidating with the weak tag it was given.
  r = c.get("/shared", {{"Accept-Encoding", "gzip"}});
  EXPECT_EQ(header(r, "ETag"), R"(W/"board-v1")");
  r = c.get("/shared", {{"Accept-Encoding", "gzip"}, {"If-None-Match", R"(W/"board-v1")"}});
  EXPECT_EQ(r.result_int(), 304);
}

TEST_F(ServerTest, GzipNegotiation) {
  start();
  Client c(port());
  auto r = c.get("/shared", {{"Accept-Encoding", "gzip, deflate, br"}});
  EXPECT_EQ(r.result_int(), 200);
  EXPECT_EQ(header(r, "Content-Encoding"), "gzip");
  EXPECT_EQ(header(r, "Vary"), "Accept-Encoding");
  EXPECT_EQ(r.body(), *shared_gz_);
  auto inflated = gzip_decompress(r.body());
  ASSERT_TRUE(inflated.ok());
  EXPECT_EQ(*inflated, *shared_);

  r = c.get("/shared");
  EXPECT_EQ(header(r, "Content-Encoding"), "");
  EXPECT_EQ(header(r, "Vary"), "Accept-Encoding");
  EXPECT_EQ(r.body(), *shared_);

  r = c.get("/shared", {{"Accept-Encoding", "gzip;q=0, identity"}});
  EXPECT_EQ(header(r, "Content-Encoding"), "");
  EXPECT_EQ(r.body(), *shared_);

  // On the fly for an owned body.
  r = c.get("/dynamic", {{"Accept-Encoding", "gzip"}});
  EXPECT_EQ(header(r, "Content-Encoding"), "gzip");
  inflated = gzip_decompress(r.body());
  ASSERT_TRUE(inflated.ok());
  EXPECT_EQ(*inflated, *shared_);
  // Small bodies stay identity.
  r = c.get("/api/v1/boards/x", {{"Accept-Encoding", "gzip"}});
  EXPECT_EQ(header(r, "Content-Encoding"), "");
}

TEST_F(ServerTest, SharedBodiesAreByteIdentical) {
  start();
  Client c(port());
  for (int i = 0; i < 5; ++i) {
    auto r = c.get("/shared");
    ASSERT_EQ(r.body().size(), shared_->size());
    EXPECT_TRUE(r.body() == *shared_);
  }
  // The server does not keep references past the response (the cache can swap bodies).
  server_->stop();
  EXPECT_EQ(shared_.use_count(), 1);
}

TEST_F(ServerTest, KeepAliveServesManyRequestsOnOneConnection) {
  start();
  Client c(port());
  for (int i = 0; i < 100; ++i) {
    auto r = c.get("/api/v1/boards/b" + std::to_string(i));
    ASSERT_EQ(r.result_int(), 200);
    ASSERT_EQ(r.body(), R"({"id":"b)" + std::to_string(i) + R"("})");
    ASSERT_TRUE(r.keep_alive());
  }
  const ServerCounters counters = server_->counters();
  EXPECT_EQ(counters.connections_accepted, 1u);
  EXPECT_EQ(counters.requests, 100u);
  EXPECT_EQ(counters.responses_by_class[2], 100u);
  EXPECT_EQ(counters.active_connections, 1u);
}

TEST_F(ServerTest, PipelinedRequestsAnswerInOrder) {
  start();
  Client c(port());
  c.write_raw(
      "GET /api/v1/boards/one HTTP/1.1\r\nHost: x\r\n\r\n"
      "GET /api/v1/boards/two HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(c.read_response().body(), R"({"id":"one"})");
  EXPECT_EQ(c.read_response().body(), R"({"id":"two"})");
}

TEST_F(ServerTest, ConnectionCloseAndHttp10) {
  start();
  {
    Client c(port());
    auto r = c.get("/api/v1/boards/x", {{"Connection", "close"}});
    EXPECT_EQ(header(r, "Connection"), "close");
    EXPECT_TRUE(c.closed_by_server());
  }
  {
    Client c(port());
    c.write_raw("GET /api/v1/boards/x HTTP/1.0\r\n\r\n");
    const std::string raw = c.read_to_eof();
    EXPECT_TRUE(raw.starts_with("HTTP/1.1 200 OK\r\n")) << raw;
    EXPECT_NE(raw.find("Connection: close\r\n"), std::string::npos);
    EXPECT_TRUE(raw.ends_with(R"({"id":"x"})"));
  }
  {
    Client c(port());
    c.write_raw("GET /api/v1/boards/x HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    auto r = c.read_response();
    EXPECT_EQ(header(r, "Connection"), "keep-alive");
    EXPECT_EQ(c.get("/api/v1/boards/y").body(), R"({"id":"y"})");
  }
}

TEST_F(ServerTest, PostBodyAndExpectContinue) {
  start();
  Client c(port());
  auto r = c.request(bhttp::verb::post, "/api/v1/echo", {}, "hello body");
  EXPECT_EQ(r.body(), "hello body");

  c.write_raw(
      "POST /api/v1/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
      "Expect: 100-continue\r\n\r\n");
  auto interim = c.read_response();
  EXPECT_EQ(interim.result_int(), 100);
  c.write_raw("abcde");
  r = c.read_response();
  EXPECT_EQ(r.result_int(), 200);
  EXPECT_EQ(r.body(), "abcde");
}

TEST_F(ServerTest, OversizedBodyGets413) {
  ServerOptions options;
  options.body_limit = 1024;
  start(standard_routes(), options);
  Client c(port());
  auto r = c.request(bhttp::verb::post, "/api/v1/echo", {}, std::string(4096, 'x'));
  EXPECT_EQ(r.result_int(), 413);
  EXPECT_EQ(header(r, "Connection"), "close");
  EXPECT_TRUE(r.body().find(R"("code":"too-large")") != std::string::npos) << r.body();
  EXPECT_TRUE(c.closed_by_server());

  Client ok(port());
  EXPECT_EQ(ok.request(bhttp::verb::post, "/api/v1/echo", {}, std::string(1024, 'y')).body(),
            std::string(1024, 'y'));
}

TEST_F(ServerTest, OversizedHeadersGet431) {
  ServerOptions options;
  options.header_limit = 2048;
  start(standard_routes(), options);
  Client c(port());
  auto r = c.get("/api/v1/boards/x", {{"X-Big", std::string(8192, 'h')}});
  EXPECT_EQ(r.result_int(), 431);
  EXPECT_TRUE(c.closed_by_server());
}

TEST_F(ServerTest, MalformedRequestGets400) {
  start();
  Client c(port());
  c.write_raw("THIS IS NOT HTTP\r\n\r\n");
  const std::string raw = c.read_to_eof();
  EXPECT_TRUE(raw.starts_with("HTTP/1.1 400 Bad Request\r\n")) << raw;
}

TEST_F(ServerTest, HandlerExceptionGives500) {
  start();
  Client c(port());
  auto r = c.get("/throws");
  EXPECT_EQ(r.result_int(), 500);
  EXPECT_EQ(r.body(), R"({"error":{"code":"internal","message":"internal error"}})");
  EXPECT_EQ(c.get("/api/v1/boards/x").result_int(), 200);
  EXPECT_EQ(server_->counters().handler_exceptions, 1u);
  EXPECT_EQ(server_->counters().responses_by_class[5], 1u);
}

TEST_F(ServerTest, SecurityHeadersOnEveryResponse) {
  start();
  Client c(port());
  for (std::string_view target : {"/api/v1/boards/x", "/nope", "/html"}) {
    auto r = c.get(target);
    EXPECT_EQ(header(r, "X-Content-Type-Options"), "nosniff") << target;
    EXPECT_EQ(header(r, "Referrer-Policy"), "strict-origin-when-cross-origin") << target;
    EXPECT_EQ(header(r, "X-Frame-Options"), "DENY") << target;
    EXPECT_EQ(header(r, "Server"), "mu") << target;
    EXPECT_FALSE(header(r, "Date").empty()) << target;
  }
  auto html = c.get("/html");
  EXPECT_EQ(header(html, "Content-Security-Policy"), kDefaultContentSecurityPolicy);
  EXPECT_EQ(header(c.get("/api/v1/boards/x"), "Content-Security-Policy"), "");
}

TEST_F(ServerTest, DateComesFromTheClock) {
  FakeClock clock;  // 2026-01-01T00:00:00Z
  ServerOptions options;
  options.clock = &clock;
  // Timeouts follow the same clock: keep them longer than the jump below, or the server
  // would rightly close the connection as idle for 61 s.
  options.idle_timeout = std::chrono::hours(1);
  options.request_timeout = std::chrono::hours(1);
  start(standard_routes(), options);
  {
    Client c(port());
    EXPECT_EQ(header(c.get("/api/v1/boards/x"), "Date"), "Thu, 01 Jan 2026 00:00:00 GMT");
    clock.advance(std::chrono::seconds(61));
    EXPECT_EQ(header(c.get("/api/v1/boards/x"), "Date"), "Thu, 01 Jan 2026 00:01:01 GMT");
  }
  server_->stop();  // before `clock` goes away
}

TEST_F(ServerTest, Cors) {
  ServerOptions options;
  options.middleware.cors_origins = {"https://app.example"};
  start(standard_routes(), options);
  Client c(port());
  auto r = c.get("/api/v1/boards/x", {{"Origin", "https://app.example"}});
  EXPECT_EQ(header(r, "Access-Control-Allow-Origin"), "https://app.example");
  EXPECT_EQ(header(r, "Access-Control-Allow-Credentials"), "true");
  EXPECT_EQ(header(r, "Vary"), "Accept-Encoding, Origin");

  r = c.get("/api/v1/boards/x", {{"Origin", "https://evil.example"}});
  EXPECT_EQ(r.result_int(), 200);
  EXPECT_EQ(header(r, "Access-Control-Allow-Origin"), "");
  EXPECT_EQ(header(r, "Vary"), "Accept-Encoding, Origin");

  r = c.request(bhttp::verb::options, "/api/v1/echo",
                {{"Origin", "https://app.example"},
                 {"Access-Control-Request-Method", "POST"},
                 {"Access-Control-Request-Headers", "content-type"}});
  EXPECT_EQ(r.result_int(), 204);
  EXPECT_EQ(header(r, "Access-Control-Allow-Origin"), "https://app.example");
  EXPECT_NE(header(r, "Access-Control-Allow-Methods").find("POST"), std::string::npos);
  EXPECT_EQ(header(r, "Access-Control-Allow-Headers"), "content-type");

  r = c.request(bhttp::verb::options, "/api/v1/echo",
                {{"Origin", "https://evil.example"}, {"Access-Control-Request-Method", "POST"}});
  EXPECT_EQ(r.result_int(), 403);
  EXPECT_EQ(header(r, "Access-Control-Allow-Origin"), "");

  // Plain OPTIONS (not a preflight) lists the route's methods.
  r = c.request(bhttp::verb::options, "/api/v1/echo");
  EXPECT_EQ(r.result_int(), 204);
  EXPECT_EQ(header(r, "Allow"), "GET, HEAD, POST, OPTIONS");
}

// The admission hook sees the client a trusted proxy names (and only then), refuses before
// the router runs, and its headers reach every answer, deferred ones included.
TEST_F(ServerTest, AdmissionSeesTheClientAddressAndRefusesOrAddsHeaders) {
  std::mutex mu;
  std::vector<std::string> seen;
  std::atomic<int> routed{0};
  Router router = standard_routes();
  router.add(HttpMethod::kGet, "/api/v1/later", [](const Request&) {
    return defer_response([] { return text_response(200, "late"); });
  });
  router.add(HttpMethod::kGet, "/api/v1/count", [&routed](const Request&) {
    ++routed;
    return text_response(200, "counted");
  });
  ServerOptions options;
  options.trusted_proxies = {"127.0.0.0/8"};
  options.admit = [&](const Request& r) {
    {
      std::lock_guard lock(mu);
      seen.emplace_back(r.client());
    }
    Admission a;
    a.headers.emplace_back("RateLimit-Remaining", "7");
    if (r.query("refuse")) {
      Response no = json_error(429, "rate-limited", "slow down");
      no.set_header("Retry-After", "3");
      a.refuse = std::move(no);
    }
    return a;
  };
  start(std::move(router), options);
  Client c(port());
  auto r = c.get("/api/v1/count");
  EXPECT_EQ(r.result_int(), 200);
  EXPECT_EQ(header(r, "RateLimit-Remaining"), "7");
  r = c.get("/api/v1/count?refuse=1", {{"X-Forwarded-For", "6.6.6.6, 203.0.113.9"}});
  EXPECT_EQ(r.result_int(), 429);
  EXPECT_EQ(header(r, "Retry-After"), "3");
  EXPECT_EQ(header(r, "RateLimit-Remaining"), "7");
  EXPECT_EQ(routed.load(), 1);  // the refused request never reached its handler
  r = c.get("/api/v1/later");
  EXPECT_EQ(r.result_int(), 200);
  EXPECT_EQ(r.body(), "late");
  EXPECT_EQ(header(r, "RateLimit-Remaining"), "7");
  std::lock_guard lock(mu);
  EXPECT_EQ(seen, (std::vector<std::string>{"127.0.0.1", "203.0.113.9", "127.0.0.1"}));
}

TEST_F(ServerTest, WithoutTrustedProxiesForwardedForIsIgnoredAndBadRangesFailStart) {
  std::string client;
  ServerOptions options;
  options.admit = [&client](const Request& r) {
    client = std::string(r.client());
    return Admission{};
  };
  start(standard_routes(), options);
  Client c(port());
  EXPECT_EQ(c.get("/api/v1/boards/x", {{"X-Forwarded-For", "203.0.113.9"}}).result_int(), 200);
  EXPECT_EQ(client, "127.0.0.1");
  server_->stop();

  ServerOptions bad;
  bad.listen = "127.0.0.1:0";
  bad.trusted_proxies = {"10.0.0.0/99"};
  Server s(bad, standard_routes());
  EXPECT_EQ(s.start().code(), ErrorCode::kConfig);
}

class StaticServerTest : public ServerTest {
 protected:
  void SetUp() override {
    root_ = fs::path(::testing::TempDir()) / "mu_server_static";
    fs::remove_all(root_);
    fs::create_directories(root_ / "assets");
    std::ofstream(root_ / "index.html") << "<!doctype html><title>mu</title>";
    std::ofstream(root_ / "assets/app-4f3a2b1c.js") << std::string(4000, ';');
    std::ofstream(root_ / "robots.txt") << "User-agent: *\n";
    ServerOptions options;
    options.static_dir = root_.string();
    start(standard_routes(), options);
  }
  void TearDown() override { fs::remove_all(root_); }
  fs::path root_;
};

TEST_F(StaticServerTest, ServesFiles) {
  Client c(port());
  auto r = c.get("/");
  EXPECT_EQ(r.result_int(), 200);
  EXPECT_EQ(header(r, "Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(header(r, "Cache-Control"), "no-cache");
  EXPECT_EQ(header(r, "Content-Security-Policy"), kDefaultContentSecurityPolicy);
  EXPECT_EQ(r.body(), "<!doctype html><title>mu</title>");

  r = c.get("/robots.txt");
  EXPECT_EQ(header(r, "Content-Type"), "text/plain; charset=utf-8");
  EXPECT_EQ(r.body(), "User-agent: *\n");

  r = c.get("/assets/app-4f3a2b1c.js", {{"Accept-Encoding", "gzip"}});
  EXPECT_EQ(header(r, "Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(header(r, "Cache-Control"), "public, max-age=31536000, immutable");
  EXPECT_EQ(header(r, "Content-Encoding"), "gzip");
  auto inflated = gzip_decompress(r.body());
  ASSERT_TRUE(inflated.ok());
  EXPECT_EQ(*inflated, std::string(4000, ';'));
}

TEST_F(StaticServerTest, StaticEtagGives304) {
  Client c(port());
  auto r = c.get("/robots.txt");
  const std::string etag = header(r, "ETag");
  ASSERT_FALSE(etag.empty());
  r = c.get("/robots.txt", {{"If-None-Match", etag}});
  EXPECT_EQ(r.result_int(), 304);
  EXPECT_TRUE(r.body().empty());
}

TEST_F(StaticServerTest, SpaFallbackAndApiStaysJson) {
  Client c(port());
  auto r = c.get("/boards/weibo.hot-search/history", {{"Accept", "text/html"}});
  EXPECT_EQ(r.result_int(), 200);
  EXPECT_EQ(r.body(), "<!doctype html><title>mu</title>");
  r = c.get("/settings", {{"Accept", "text/html,*/*"}});
  EXPECT_EQ(r.result_int(), 200);
  r = c.get("/api/v1/unknown", {{"Accept", "text/html"}});
  EXPECT_EQ(r.result_int(), 404);
  EXPECT_EQ(header(r, "Content-Type"), "application/json");
  r = c.get("/missing.js", {{"Accept", "text/html"}});
  EXPECT_EQ(r.result_int(), 404);
  // Routes still win over files.
  EXPECT_EQ(c.get("/api/v1/boards/x").body(), R"({"id":"x"})");
}

TEST_F(StaticServerTest, TraversalIsRefused) {
  std::ofstream(root_.parent_path() / "mu_server_secret.txt") << "secret";
  for (std::string_view target :
       {"/../mu_server_secret.txt", "/%2e%2e/mu_server_secret.txt",
        "/assets/..%2F..%2Fmu_server_secret.txt", "/%2E%2E%2fmu_server_secret.txt",
        "/assets/%2e%2e/%2e%2e/etc/passwd", "/../etc/passwd"}) {
    Client c(port());
    c.write_raw("GET " + std::string(target) + " HTTP/1.1\r\nHost: x\r\nAccept: text/html\r\n\r\n");
    const std::string raw = c.read_to_eof();
    EXPECT_TRUE(raw.starts_with("HTTP/1.1 400 ")) << target << "\n" << raw;
    EXPECT_EQ(raw.find("secret"), std::string::npos) << target;
    EXPECT_EQ(raw.find("root:"), std::string::npos) << target;
  }
  fs::remove(root_.parent_path() / "mu_server_secret.txt");
}

TEST_F(ServerTest, GracefulStopFinishesInFlightAndClosesIdle) {
  std::promise<void> entered;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  Router router = standard_routes();
  router.add(HttpMethod::kGet, "/slow", [&entered, released](const Request&) {
    entered.set_value();
    // Safety net only: the test releases the handler explicitly.
    released.wait_for(std::chrono::seconds(30));
    return text_response(200, "finished");
  });
  ServerOptions options;
  options.threads = 2;
  start(std::move(router), options);

  // Connections are dealt to the io threads in turn: `idle` goes to thread 0 (with the
  // acceptor), `busy` to thread 1, whose handler then blocks.
  Client idle(port());
  ASSERT_EQ(idle.get("/api/v1/boards/x").result_int(), 200);
  Client busy(port());
  busy.write_raw("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
  entered.get_future().wait();

  std::thread stopper([this] { server_->stop(); });
  // stop() closes the idle keep-alive connection while the slow request is in flight...
  EXPECT_TRUE(idle.closed_by_server());
  // ...and no longer accepts connections.
  EXPECT_THROW(Client refused(port()), boost::system::system_error);

  release.set_value();
  auto r = busy.read_response();
  EXPECT_EQ(r.result_int(), 200);
  EXPECT_EQ(r.body(), "finished");
  EXPECT_EQ(header(r, "Connection"), "close");
  EXPECT_TRUE(busy.closed_by_server());
  stopper.join();
  server_->stop();  // a second call is harmless
  EXPECT_EQ(server_->counters().active_connections, 0u);
}

// Issue 17: an outbound call inside a handler (the OAuth token exchange against a slow
// GitHub) blocked its io thread, so with one io thread /healthz waited for it. A deferred
// response runs on the blocking pool: with 20 slow calls pending on ONE io thread, other
// requests are still answered at once, the slow ones all complete, and work beyond the
// pool's queue gets 503 + Retry-After instead of piling up.
TEST_F(ServerTest, DeferredWorkRunsOffTheIoThread) {
  std::mutex mu;
  std::condition_variable cv;
  bool released = false;
  std::atomic<int> started{0};
  Router router = standard_routes();
  router.add(HttpMethod::kGet, "/slow-callback", [&](const Request& req) {
    return defer_response([&, code = std::string(req.query("code").value_or(""))] {
      ++started;
      std::unique_lock lock(mu);
      // Safety net only: the test releases the work explicitly.
      cv.wait_for(lock, std::chrono::seconds(30), [&] { return released; });
      return text_response(200, "token for " + code);
    });
  });
  ServerOptions options;
  options.threads = 1;
  options.blocking_threads = 20;
  options.blocking_queue = 2;
  start(std::move(router), options);

  std::vector<std::unique_ptr<Client>> slow;
  for (int i = 0; i < 22; ++i) {  // 20 running on the pool, 2 queued
    slow.push_back(std::make_unique<Client>(port()));
    slow.back()->write_raw("GET /slow-callback?code=c" + std::to_string(i) +
                           " HTTP/1.1\r\nHost: x\r\n\r\n");
  }
  // Liveness bound, not a timing: the pool picks the work up.
  for (int i = 0; i < 3000 && started.load() < 20; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(started.load(), 20);

  // The io thread is free: other requests answer while every slow call is pending (each
  // read gives up after 10 s, so a blocked io thread fails here).
  for (int i = 0; i < 5; ++i) {
    Client other(port());
    auto r = other.get("/api/v1/boards/x");
    EXPECT_EQ(r.result_int(), 200);
  }
  // Beyond the queue: refused at once.
  Client extra(port());
  auto busy = extra.get("/slow-callback?code=late");
  EXPECT_EQ(busy.result_int(), 503);
  EXPECT_EQ(header(busy, "Retry-After"), "5");
  EXPECT_EQ(server_->counters().deferred_rejected, 1u);

  {
    std::lock_guard lock(mu);
    released = true;
  }
  cv.notify_all();
  for (int i = 0; i < 22; ++i) {
    auto r = slow[i]->read_response();
    EXPECT_EQ(r.result_int(), 200);
    EXPECT_EQ(r.body(), "token for c" + std::to_string(i));
    // Middleware applies to the deferred answer too.
    EXPECT_EQ(header(r, "X-Content-Type-Options"), "nosniff");
  }
}

TEST_F(ServerTest, DeferredWorkThatThrowsIs500AndStopEndsPendingWork) {
  std::promise<void> entered;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  Router router = standard_routes();
  router.add(HttpMethod::kGet, "/deferred-throws", [](const Request&) {
    return defer_response([]() -> Response { throw std::runtime_error("boom"); });
  });
  router.add(HttpMethod::kGet, "/deferred-slow", [&entered, released](const Request&) {
    return defer_response([&entered, released] {
      entered.set_value();
      released.wait_for(std::chrono::seconds(30));  // safety net only
      return text_response(200, "late");
    });
  });
  ServerOptions options;
  options.threads = 1;
  options.shutdown_timeout = Millis(200);
  start(std::move(router), options);
  Client c(port());
  EXPECT_EQ(c.get("/deferred-throws").result_int(), 500);
  EXPECT_EQ(server_->counters().handler_exceptions, 1u);

  Client pending(port());
  pending.write_raw("GET /deferred-slow HTTP/1.1\r\nHost: x\r\n\r\n");
  entered.get_future().wait();
  // stop() gives the pending request its grace period, then closes it; it returns once
  // the running work finished (released here from another thread after the cut).
  std::thread releaser([&] {
    EXPECT_TRUE(pending.closed_by_server());
    release.set_value();
  });
  server_->stop();
  releaser.join();
  EXPECT_EQ(server_->counters().active_connections, 0u);
}

TEST_F(ServerTest, StopWithoutStartAndTwice) {
  Server never(ServerOptions{}, Router{});
  never.stop();
  never.stop();
  start();
  server_->stop();
  server_->stop();
  EXPECT_EQ(server_->start().code(), ErrorCode::kInvalid);
}

TEST_F(ServerTest, IdleConnectionTimesOut) {
  ServerOptions options;
  options.idle_timeout = Millis(100);
  start(standard_routes(), options);
  Client c(port());
  EXPECT_EQ(c.get("/api/v1/boards/x").result_int(), 200);
  // Blocks until the server closes the idle connection (a socket event, not a sleep).
  EXPECT_TRUE(c.closed_by_server());
  EXPECT_EQ(server_->counters().timeouts, 1u);
}

TEST_F(ServerTest, PortInUseIsUnavailable) {
  start();
  ServerOptions options;
  options.listen = "127.0.0.1:" + std::to_string(port());
  Server second(options, standard_routes());
  const Status s = second.start();
  EXPECT_EQ(s.code(), ErrorCode::kUnavailable);
  EXPECT_NE(s.message().find("address already in use"), std::string::npos) << s.message();
}

TEST_F(ServerTest, BadConfigurationIsReported) {
  for (std::string_view listen : {"8080", "nohost:80", "127.0.0.1:99999", "::1:80", "[::1]"}) {
    ServerOptions options;
    options.listen = std::string(listen);
    Server s(options, Router{});
    EXPECT_EQ(s.start().code(), ErrorCode::kConfig) << listen;
  }
  Router bad;
  bad.add(HttpMethod::kGet, "relative", [](const Request&) { return Response{}; });
  EXPECT_EQ(Server(ServerOptions{}, std::move(bad)).start().code(), ErrorCode::kConfig);
  ServerOptions missing_dir;
  missing_dir.listen = "127.0.0.1:0";
  missing_dir.static_dir = "/nonexistent/mu/web/dist";
  EXPECT_EQ(Server(missing_dir, Router{}).start().code(), ErrorCode::kConfig);
}

TEST_F(ServerTest, ListensOnIpv6Loopback) {
  ServerOptions options;
  options.listen = "[::1]:0";
  Server v6(options, standard_routes());
  const Status s = v6.start();
  if (!s.ok()) GTEST_SKIP() << "no IPv6 loopback here: " << s.to_string();
  net::io_context ctx;
  tcp::socket socket(ctx);
  socket.connect(tcp::endpoint(net::ip::make_address("::1"), v6.port()));
  bhttp::request<bhttp::string_body> req(bhttp::verb::get, "/api/v1/echo", 11);
  req.set(bhttp::field::host, "[::1]");  // HTTP/1.1 requires it
  bhttp::write(socket, req);
  beast::flat_buffer buffer;
  BeastResponse r;
  bhttp::read(socket, buffer, r);
  EXPECT_EQ(r.body(), "|/api/v1/echo|::1");
}

TEST_F(ServerTest, ConcurrentClients) {
  start();
  constexpr int kThreads = 8;
  constexpr int kRequests = 200;
  std::atomic<int> good{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      Client c(port());
      for (int i = 0; i < kRequests; ++i) {
        const std::string id = std::to_string(t) + "-" + std::to_string(i);
        if (i % 10 == 0) {
          auto r = c.get("/shared", {{"Accept-Encoding", "gzip"}});
          if (r.result_int() == 200 && r.body() == *shared_gz_) ++good;
        } else {
          auto r = c.get("/api/v1/boards/" + id);
          if (r.result_int() == 200 && r.body() == R"({"id":")" + id + R"("})") ++good;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(good.load(), kThreads * kRequests);
  const ServerCounters counters = server_->counters();
  EXPECT_EQ(counters.requests, static_cast<uint64_t>(kThreads * kRequests));
  EXPECT_EQ(counters.connections_accepted, static_cast<uint64_t>(kThreads));
}

// --- Streaming responses (Server-Sent Events) ---

using testing::SseTestClient;

// A route "/events" that hands every request a new EventStream and keeps it for the test.
class StreamServerTest : public ServerTest {
 protected:
  // Streams close (and run the hook below, which uses our members) when the server stops.
  ~StreamServerTest() override {
    if (server_) server_->stop();
  }

  Router stream_routes(EventStreamOptions options = {}) {
    Router router = standard_routes();
    router.add(HttpMethod::kGet, "/events", [this, options](const Request&) {
      EventStreamOptions o = options;
      o.on_close = [this] {
        std::lock_guard lock(mu_);
        ++closed_;
        cv_.notify_all();
      };
      auto s = std::make_shared<EventStream>(std::move(o));
      std::lock_guard lock(mu_);
      streams_.push_back(s);
      return event_stream_response(s);
    });
    return router;
  }

  // The i-th stream. Its handler has run once the client has read the response head.
  std::shared_ptr<EventStream> stream(std::size_t i) {
    std::lock_guard lock(mu_);
    return i < streams_.size() ? streams_[i] : nullptr;
  }

  // Waits (on a real socket event, with a safety deadline) until n streams have closed.
  bool wait_closed_streams(int n) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(10), [&] { return closed_ >= n; });
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::shared_ptr<EventStream>> streams_;
  int closed_ = 0;
};

TEST_F(StreamServerTest, SendsSseHeadersThenEachFrameAsItComes) {
  start(stream_routes());
  SseTestClient c(port());
  ASSERT_TRUE(c.request("/events", "Accept-Encoding: gzip\r\n"));
  EXPECT_EQ(c.status(), 200);
  EXPECT_EQ(c.header("Content-Type"), "text/event-stream; charset=utf-8");
  EXPECT_EQ(c.header("Cache-Control"), "no-store");
  EXPECT_EQ(c.header("X-Accel-Buffering"), "no");
  EXPECT_EQ(c.header("Transfer-Encoding"), "chunked");
  EXPECT_FALSE(c.has_header("Content-Length"));
  EXPECT_FALSE(c.has_header("Content-Encoding"));  // never gzip
  EXPECT_EQ(c.header("Connection"), "close");
  EXPECT_EQ(c.header("X-Content-Type-Options"), "nosniff");
  auto s = stream(0);
  ASSERT_TRUE(s);

  s->push(std::string("id: 1\nevent: board-updated\ndata: {\"board\":\"a\",\"version\":2}\n\n"));
  auto b = c.next_block();
  ASSERT_TRUE(b);
  EXPECT_EQ(b->id, "1");
  EXPECT_EQ(b->event, "board-updated");
  EXPECT_EQ(b->data, R"({"board":"a","version":2})");
  EXPECT_EQ(server_->counters().event_streams, 1u);  // frames come from the streaming loop
  s->push(std::string("event: x\ndata: 1\n\n"));
  s->push(std::string("event: y\ndata: 2\n\n"));
  b = c.next_block();
  ASSERT_TRUE(b);
  EXPECT_EQ(b->event, "x");
  b = c.next_block();
  ASSERT_TRUE(b);
  EXPECT_EQ(b->event, "y");

  // The producer ends the stream: the response ends properly and the connection closes.
  s->close();
  EXPECT_FALSE(c.next_block());
  EXPECT_TRUE(c.ended());
  EXPECT_TRUE(c.wait_closed());
  EXPECT_EQ(server_->counters().event_streams, 0u);
  EXPECT_EQ(server_->counters().responses_by_class[2], 1u);
}

TEST_F(StreamServerTest, HeartbeatCommentsWhenNothingElseIsSent) {
  EventStreamOptions o;
  o.heartbeat = Millis(20);
  start(stream_routes(o));
  SseTestClient c(port());
  ASSERT_TRUE(c.request("/events"));
  for (int i = 0; i < 3; ++i) {
    auto b = c.next_block();
    ASSERT_TRUE(b) << i;
    EXPECT_EQ(b->comments, std::vector<std::string>{"ping"});
    EXPECT_TRUE(b->event.empty());
  }
  // Frames still go out between pings.
  stream(0)->push(std::string("event: z\ndata: {}\n\n"));
  EXPECT_EQ(c.next_event()->event, "z");
}

TEST_F(StreamServerTest, ClientGoingAwayClosesTheStreamAtOnce) {
  start(stream_routes());  // heartbeat 15 s: only the read side can notice this quickly
  SseTestClient c(port());
  ASSERT_TRUE(c.request("/events"));
  auto s = stream(0);
  EXPECT_FALSE(s->closed());
  c.close();
  ASSERT_TRUE(wait_closed_streams(1));
  EXPECT_TRUE(s->closed());
  EXPECT_FALSE(s->push(std::string("event: late\ndata: {}\n\n")));
  // The server keeps serving.
  Client other(port());
  EXPECT_EQ(other.get("/api/v1/boards/x").result_int(), 200);
}

TEST_F(StreamServerTest, StopClosesOpenStreamsPromptly) {
  ServerOptions options;
  options.shutdown_timeout = std::chrono::seconds(60);  // far longer than the test may take
  start(stream_routes(), options);
  std::vector<std::unique_ptr<SseTestClient>> clients;
  for (int i = 0; i < 3; ++i) {
    clients.push_back(std::make_unique<SseTestClient>(port()));
    ASSERT_TRUE(clients.back()->request("/events"));
  }
  const auto began = std::chrono::steady_clock::now();
  std::thread stopper([this] { server_->stop(); });
  for (auto& c : clients) EXPECT_TRUE(c->wait_closed());
  stopper.join();
  EXPECT_LT(std::chrono::steady_clock::now() - began, std::chrono::seconds(20));
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(stream(i)->closed()) << i;
  EXPECT_EQ(server_->counters().event_streams, 0u);
  EXPECT_EQ(server_->counters().active_connections, 0u);
}

TEST_F(StreamServerTest, StalledClientIsCutAfterRequestTimeout) {
  ServerOptions options;
  options.request_timeout = Millis(300);
  options.stream_send_buffer = 8192;
  start(stream_routes(), options);
  SseTestClient stalled(port(), 4096);
  ASSERT_TRUE(stalled.request("/events"));
  auto s = stream(0);
  // Far more than the kernel buffers hold; the client never reads.
  const std::string big = "event: big\ndata: " + std::string(64 << 10, 'x') + "\n\n";
  for (int i = 0; i < 64 && s->push(std::string(big)); ++i) {
  }
  ASSERT_TRUE(wait_closed_streams(1));
  EXPECT_GE(server_->counters().timeouts, 1u);
  Client other(port());
  EXPECT_EQ(other.get("/api/v1/boards/x").result_int(), 200);
}

TEST_F(StreamServerTest, Http10StreamIsDelimitedByTheClose) {
  start(stream_routes());
  SseTestClient c(port());
  ASSERT_TRUE(c.request("/events", {}, "GET", "HTTP/1.0"));
  EXPECT_EQ(c.status(), 200);
  EXPECT_FALSE(c.has_header("Transfer-Encoding"));
  EXPECT_FALSE(c.has_header("Content-Length"));
  EXPECT_EQ(c.header("Connection"), "close");
  auto s = stream(0);
  s->push(std::string("event: a\ndata: 1\n\n"));
  auto b = c.next_block();
  ASSERT_TRUE(b);
  EXPECT_EQ(b->event, "a");
  EXPECT_EQ(b->data, "1");
  s->close();
  EXPECT_TRUE(c.wait_closed());
  EXPECT_EQ(c.pending(), "");
}

TEST_F(StreamServerTest, HeadSendsTheHeadAndClosesTheStream) {
  start(stream_routes());
  SseTestClient c(port());
  ASSERT_TRUE(c.request("/events", {}, "HEAD"));
  EXPECT_EQ(c.status(), 200);
  EXPECT_EQ(c.header("Content-Type"), "text/event-stream; charset=utf-8");
  EXPECT_FALSE(c.has_header("Content-Length"));
  ASSERT_TRUE(wait_closed_streams(1));
  EXPECT_TRUE(c.wait_closed());
  EXPECT_EQ(c.pending(), "");
}

TEST_F(StreamServerTest, CorsHeadersApplyToStreams) {
  ServerOptions options;
  options.middleware.cors_origins = {"https://app.example"};
  start(stream_routes(), options);
  SseTestClient c(port());
  ASSERT_TRUE(c.request("/events", "Origin: https://app.example\r\n"));
  EXPECT_EQ(c.status(), 200);
  EXPECT_EQ(c.header("Access-Control-Allow-Origin"), "https://app.example");
  EXPECT_EQ(c.header("Access-Control-Allow-Credentials"), "true");
  EXPECT_NE(c.header("Vary").find("Origin"), std::string::npos);
  SseTestClient other(port());
  ASSERT_TRUE(other.request("/events", "Origin: https://evil.example\r\n"));
  EXPECT_EQ(other.header("Access-Control-Allow-Origin"), "");
}

}  // namespace
}  // namespace mu
