#include "fetch/curl_transport.h"

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/compress.h"
#include "fetch/testing/test_http_server.h"

namespace mu {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;
using namespace std::chrono_literals;

HttpRequest get(std::string url) {
  HttpRequest r;
  r.url = std::move(url);
  return r;
}

std::unique_ptr<CurlTransport> make_transport(CurlTransport::Options options) {
  auto t = CurlTransport::create(std::move(options));
  if (!t.ok()) {
    ADD_FAILURE() << t.status().to_string();
    return nullptr;
  }
  return std::move(t).value();
}

std::unique_ptr<CurlTransport> loopback_transport() {
  CurlTransport::Options o;
  o.allow_private_networks = true;  // the test server is on 127.0.0.1
  return make_transport(std::move(o));
}

class CurlTransportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    transport_ = loopback_transport();
    ASSERT_NE(transport_, nullptr);
    server_.route("/hello", [](const TestHttpRequest&) {
      auto r = TestHttpResponse::text(200, "hello world\n");
      r.headers.emplace_back("X-Test", "yes");
      return r;
    });
  }

  // Declared first: destroyed after the transport, which closes its connections first.
  TestHttpServer server_;
  std::unique_ptr<CurlTransport> transport_;
};

TEST_F(CurlTransportTest, Returns200WithBodyAndHeaders) {
  auto resp = transport_->fetch(get(server_.url("/hello")));
  ASSERT_TRUE(resp.ok()) << resp.status().to_string();
  EXPECT_EQ(resp->status, 200);
  EXPECT_EQ(resp->body, "hello world\n");
  EXPECT_EQ(resp->header("x-test"), "yes");
  EXPECT_EQ(resp->header("Content-Type"), "text/plain; charset=utf-8");
  EXPECT_EQ(resp->effective_url, server_.url("/hello"));
  EXPECT_GE(resp->elapsed.count(), 0);
  EXPECT_TRUE(check_http_status(*resp).ok());

  auto seen = server_.requests_to("/hello");
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].method, "GET");
  EXPECT_THAT(std::string(seen[0].header("User-Agent")), StartsWith("Mu/"));
  EXPECT_EQ(std::string(seen[0].header("User-Agent")), default_user_agent());
}

TEST_F(CurlTransportTest, DecodesGzipResponses) {
  std::string text;
  for (int i = 0; i < 500; ++i) text += "热榜 item " + std::to_string(i) + "\n";
  server_.route("/gz", [&](const TestHttpRequest& req) {
    if (std::string(req.header("Accept-Encoding")).find("gzip") == std::string::npos) {
      return TestHttpResponse::text(400, "gzip not offered");
    }
    auto r = TestHttpResponse::text(200, gzip_compress(text));
    r.headers.emplace_back("Content-Encoding", "gzip");
    return r;
  });
  auto resp = transport_->fetch(get(server_.url("/gz")));
  ASSERT_TRUE(resp.ok()) << resp.status().to_string();
  EXPECT_EQ(resp->status, 200);
  EXPECT_EQ(resp->body, text);
}

TEST_F(CurlTransportTest, HttpErrorStatusesAreResponses) {
  server_.route("/boom", [](const TestHttpRequest&) {
    return TestHttpResponse::text(500, "internal error");
  });
  server_.route("/wall",
                [](const TestHttpRequest&) { return TestHttpResponse::text(403, "captcha"); });
  auto boom = transport_->fetch(get(server_.url("/boom?token=s3cret")));
  ASSERT_TRUE(boom.ok()) << boom.status().to_string();
  EXPECT_EQ(boom->status, 500);
  EXPECT_EQ(boom->body, "internal error");
  Status s = check_http_status(*boom);
  EXPECT_EQ(s.code(), ErrorCode::kHttp);
  EXPECT_THAT(s.message(), HasSubstr("500"));
  EXPECT_THAT(s.message(), HasSubstr("/boom"));
  EXPECT_THAT(s.message(), Not(HasSubstr("s3cret")));

  auto wall = transport_->fetch(get(server_.url("/wall")));
  ASSERT_TRUE(wall.ok()) << wall.status().to_string();
  EXPECT_EQ(wall->status, 403);
  EXPECT_EQ(check_http_status(*wall).code(), ErrorCode::kBlocked);
}

TEST_F(CurlTransportTest, TimeoutIsTyped) {
  server_.route("/hang", [](const TestHttpRequest&) { return TestHttpResponse::never_answer(); });
  HttpRequest req = get(server_.url("/hang?key=s3cret"));
  req.timeout = 300ms;  // a deadline for the request, not a sleep
  auto resp = transport_->fetch(req);
  ASSERT_FALSE(resp.ok());
  EXPECT_EQ(resp.code(), ErrorCode::kTimeout);
  EXPECT_THAT(resp.error_message(), HasSubstr("/hang"));
  EXPECT_THAT(resp.error_message(), Not(HasSubstr("s3cret")));
}

TEST_F(CurlTransportTest, BodyOverCapIsTooLargeAndTransportStaysUsable) {
  constexpr std::size_t k20MiB = 20u << 20;
  server_.route("/big", [](const TestHttpRequest&) {
    TestHttpResponse r;
    r.stream_bytes = k20MiB;  // with Content-Length: refused up front
    return r;
  });
  server_.route("/big-chunked", [](const TestHttpRequest&) {
    TestHttpResponse r;
    r.stream_bytes = k20MiB;  // no length: cut off by the write callback
    r.chunked = true;
    return r;
  });
  for (const char* path : {"/big", "/big-chunked"}) {
    SCOPED_TRACE(path);
    auto resp = transport_->fetch(get(server_.url(path)));
    ASSERT_FALSE(resp.ok());
    EXPECT_EQ(resp.code(), ErrorCode::kTooLarge);
    EXPECT_THAT(resp.error_message(), HasSubstr("8388608"));
    EXPECT_THAT(resp.error_message(), HasSubstr(path));
  }
  auto after = transport_->fetch(get(server_.url("/hello")));
  ASSERT_TRUE(after.ok()) << after.status().to_string();
  EXPECT_EQ(after->body, "hello world\n");
}

TEST_F(CurlTransportTest, BodyAtCapIsAccepted) {
  server_.route("/exact", [](const TestHttpRequest&) {
    TestHttpResponse r;
    r.stream_bytes = 1000;
    r.chunked = true;
    return r;
  });
  HttpRequest req = get(server_.url("/exact"));
  req.max_body_bytes = 1000;
  auto resp = transport_->fetch(req);
  ASSERT_TRUE(resp.ok()) << resp.status().to_string();
  EXPECT_EQ(resp->body, std::string(1000, 'x'));
  req.max_body_bytes = 999;
  EXPECT_EQ(transport_->fetch(req).code(), ErrorCode::kTooLarge);
}

class RedirectTest : public CurlTransportTest {
 protected:
  void SetUp() override {
    CurlTransportTest::SetUp();
    // /r/N redirects to /r/N-1; /r/0 answers 200.
    for (int n = 0; n <= 8; ++n) {
      server_.route("/r/" + std::to_string(n), [n](const TestHttpRequest&) {
        if (n == 0) return TestHttpResponse::text(200, "landed");
        auto r = TestHttpResponse::redirect("/r/" + std::to_string(n - 1));
        r.headers.emplace_back("X-Hop", std::to_string(n));
        return r;
      });
    }
  }
};

TEST_F(RedirectTest, FollowsUpToMaxRedirects) {
  auto resp = transport_->fetch(get(server_.url("/r/3")));
  ASSERT_TRUE(resp.ok()) << resp.status().to_string();
  EXPECT_EQ(resp->status, 200);
  EXPECT_EQ(resp->body, "landed");
  EXPECT_EQ(resp->effective_url, server_.url("/r/0"));
  // Headers are those of the final response only.
  EXPECT_EQ(resp->header("X-Hop"), "");
  EXPECT_EQ(server_.requests().size(), 4u);
}

TEST_F(RedirectTest, TooManyRedirectsIsAnError) {
  auto resp = transport_->fetch(get(server_.url("/r/6")));  // default max_redirects = 5
  ASSERT_FALSE(resp.ok());
  EXPECT_EQ(resp.code(), ErrorCode::kHttp);
  EXPECT_THAT(resp.error_message(), HasSubstr("redirect"));
  EXPECT_THAT(resp.error_message(), HasSubstr("/r/6"));
}

TEST_F(RedirectTest, ZeroMaxRedirectsReturnsTheRedirect) {
  HttpRequest req = get(server_.url("/r/2"));
  req.max_redirects = 0;
  auto resp = transport_->fetch(req);
  ASSERT_TRUE(resp.ok()) << resp.status().to_string();
  EXPECT_EQ(resp->status, 302);
  EXPECT_EQ(resp->header("Location"), "/r/1");
}

TEST_F(CurlTransportTest, RedirectToFileSchemeIsRefused) {
  server_.route("/to-file", [](const TestHttpRequest&) {
    return TestHttpResponse::redirect("file:///etc/passwd");
  });
  auto resp = transport_->fetch(get(server_.url("/to-file")));
  ASSERT_FALSE(resp.ok());
  EXPECT_EQ(resp.code(), ErrorCode::kInvalid);
  EXPECT_THAT(resp.error_message(), HasSubstr("/to-file"));
  EXPECT_THAT(resp.error_message(), Not(HasSubstr("root:")));
}

TEST_F(CurlTransportTest, NonHttpSchemesAndBadUrlsAreInvalid) {
  for (const char* url :
       {"ftp://127.0.0.1/pub/file", "file:///etc/passwd", "gopher://x/", "not a url", "http://"}) {
    SCOPED_TRACE(url);
    auto resp = transport_->fetch(get(url));
    ASSERT_FALSE(resp.ok());
    EXPECT_EQ(resp.code(), ErrorCode::kInvalid);
  }
  EXPECT_EQ(transport_->fetch(get("FTP://127.0.0.1/x")).code(), ErrorCode::kInvalid);
  EXPECT_EQ(server_.connections_accepted(), 0);
}

TEST_F(CurlTransportTest, RejectsMalformedRequests) {
  HttpRequest with_body = get(server_.url("/hello"));
  with_body.body = "x";
  EXPECT_EQ(transport_->fetch(with_body).code(), ErrorCode::kInvalid);

  HttpRequest injected = get(server_.url("/hello"));
  injected.headers.emplace_back("X-Evil", "a\r\nHost: other");
  EXPECT_EQ(transport_->fetch(injected).code(), ErrorCode::kInvalid);

  HttpRequest bad_name = get(server_.url("/hello"));
  bad_name.headers.emplace_back("Bad Name", "v");
  EXPECT_EQ(transport_->fetch(bad_name).code(), ErrorCode::kInvalid);

  HttpRequest bad_method = get(server_.url("/hello"));
  bad_method.method = "GET /x HTTP/1.1\r\n";
  EXPECT_EQ(transport_->fetch(bad_method).code(), ErrorCode::kInvalid);

  HttpRequest no_timeout = get(server_.url("/hello"));
  no_timeout.timeout = 0ms;
  EXPECT_EQ(transport_->fetch(no_timeout).code(), ErrorCode::kInvalid);

  EXPECT_EQ(server_.connections_accepted(), 0);
}

TEST_F(CurlTransportTest, MessagesNeverCarryQueryOrUserInfo) {
  auto resp = transport_->fetch(get("ftp://user:pw@127.0.0.1/x?token=s3cret#frag"));
  ASSERT_FALSE(resp.ok());
  EXPECT_THAT(resp.error_message(), HasSubstr("127.0.0.1/x"));
  EXPECT_THAT(resp.error_message(), Not(HasSubstr("s3cret")));
  EXPECT_THAT(resp.error_message(), Not(HasSubstr("pw")));
}

TEST_F(CurlTransportTest, SsrfGuardRefusesLoopback) {
  CurlTransport::Options o;  // allow_private_networks = false by default
  ASSERT_FALSE(o.allow_private_networks);
  auto guarded = make_transport(std::move(o));
  ASSERT_NE(guarded, nullptr);

  auto by_ip = guarded->fetch(get(server_.url("/hello")));
  ASSERT_FALSE(by_ip.ok());
  EXPECT_EQ(by_ip.code(), ErrorCode::kInvalid);
  EXPECT_THAT(by_ip.error_message(), HasSubstr("127.0.0.1"));
  EXPECT_THAT(by_ip.error_message(), HasSubstr("loopback"));
  EXPECT_THAT(by_ip.error_message(), HasSubstr("allow_private_networks"));

  // A name that resolves to a loopback address is refused on the resolved address.
  auto by_name =
      guarded->fetch(get("http://localhost:" + std::to_string(server_.port()) + "/hello"));
  ASSERT_FALSE(by_name.ok());
  EXPECT_EQ(by_name.code(), ErrorCode::kInvalid);
  EXPECT_THAT(by_name.error_message(), HasSubstr("loopback"));

  // Odd spellings of 127.0.0.1 end up at the same resolved address.
  for (const char* host : {"127.1", "0x7f000001", "2130706433"}) {
    auto odd = guarded->fetch(
        get(std::string("http://") + host + ":" + std::to_string(server_.port()) + "/hello"));
    EXPECT_EQ(odd.code(), ErrorCode::kInvalid) << host << ": " << odd.status().to_string();
  }

  EXPECT_EQ(server_.connections_accepted(), 0);
}

TEST_F(CurlTransportTest, SsrfGuardChecksIpLiteralsBehindAProxy) {
  CurlTransport::Options o;
  o.proxy = server_.url("/");  // never reached: the literal is refused before connecting
  auto guarded = make_transport(std::move(o));
  ASSERT_NE(guarded, nullptr);
  auto resp = guarded->fetch(get("http://10.1.2.3/x"));
  EXPECT_EQ(resp.code(), ErrorCode::kInvalid);
  EXPECT_THAT(resp.error_message(), HasSubstr("private"));
  EXPECT_EQ(server_.connections_accepted(), 0);
}

// Answers from a table; any other name does not resolve. Nothing reaches DNS.
class FakeResolver final : public HostResolver {
 public:
  explicit FakeResolver(std::map<std::string, std::vector<std::string>> table)
      : table_(std::move(table)) {}
  Result<std::vector<std::string>> resolve(const std::string& host) const override {
    std::lock_guard lock(mu_);
    asked_.push_back(host);
    auto it = table_.find(host);
    if (it == table_.end()) return error(ErrorCode::kNetwork, host + ": no such host (fake)");
    return it->second;
  }
  std::vector<std::string> asked() const {
    std::lock_guard lock(mu_);
    return asked_;
  }

 private:
  const std::map<std::string, std::vector<std::string>> table_;
  mutable std::mutex mu_;
  mutable std::vector<std::string> asked_;
};

// The test server plays the proxy: a proxied request arrives with the absolute URL as its
// target, so routes are keyed by the full URL.
class ProxyGuardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    resolver_ = std::make_shared<FakeResolver>(std::map<std::string, std::vector<std::string>>{
        {"metadata.google.internal", {"169.254.169.254"}},
        {"public.test", {"93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"}},
        {"other.test", {"93.184.216.35"}},
        {"split.test", {"93.184.216.36", "10.0.0.7"}},
    });
    CurlTransport::Options o;  // the guard is on: allow_private_networks = false
    o.proxy = server_.url("/");
    o.resolver = resolver_;
    transport_ = make_transport(std::move(o));
    ASSERT_NE(transport_, nullptr);
  }

  TestHttpServer server_;
  std::shared_ptr<FakeResolver> resolver_;
  std::unique_ptr<CurlTransport> transport_;
};

// Issue 17.8: with fetch.proxy set, only IP literals were checked, so host names of private
// addresses (cloud metadata, localhost) went to the proxy.
TEST_F(ProxyGuardTest, NamesOfPrivateAddressesNeverReachTheProxy) {
  auto metadata = transport_->fetch(get("http://metadata.google.internal/computeMetadata/v1/"));
  ASSERT_FALSE(metadata.ok());
  EXPECT_EQ(metadata.code(), ErrorCode::kInvalid);
  EXPECT_THAT(metadata.error_message(),
              HasSubstr("metadata.google.internal resolves to 169.254.169.254"));
  EXPECT_THAT(metadata.error_message(), HasSubstr("link-local"));

  // One private address among public ones is enough to refuse.
  auto split = transport_->fetch(get("http://split.test/x"));
  EXPECT_EQ(split.code(), ErrorCode::kInvalid);
  EXPECT_THAT(split.error_message(), HasSubstr("10.0.0.7"));

  // A name that does not resolve here is not handed over blindly either.
  auto unknown = transport_->fetch(get("http://nowhere.test/x"));
  EXPECT_EQ(unknown.code(), ErrorCode::kNetwork);
  EXPECT_THAT(unknown.error_message(), HasSubstr("before handing it to the proxy"));

  // IP literals are checked without resolving.
  auto literal = transport_->fetch(get("http://10.1.2.3/x"));
  EXPECT_EQ(literal.code(), ErrorCode::kInvalid);
  EXPECT_THAT(literal.error_message(), HasSubstr("private"));
  EXPECT_EQ(server_.connections_accepted(), 0);
}

TEST_F(ProxyGuardTest, PublicNamesGoThroughTheProxy) {
  server_.route("http://public.test/hello", [](const TestHttpRequest& req) {
    return TestHttpResponse::text(200, "via proxy " + std::string(req.header("Host")));
  });
  auto resp = transport_->fetch(get("http://public.test/hello"));
  ASSERT_TRUE(resp.ok()) << resp.status().to_string();
  EXPECT_EQ(resp->status, 200);
  EXPECT_EQ(resp->body, "via proxy public.test");
  EXPECT_EQ(server_.requests().size(), 1u);
  EXPECT_EQ(resolver_->asked(), std::vector<std::string>{"public.test"});
}

// A request's own proxy (a board's proxy from the admin console) goes through the same guard
// as fetch.proxy; a transport without a proxy of its own uses it for that request only.
TEST(RequestProxyTest, ARequestsOwnProxyIsUsedAndGuarded) {
  TestHttpServer proxy;
  proxy.route("http://public.test/hello", [](const TestHttpRequest& req) {
    return TestHttpResponse::text(200, "via board proxy " + std::string(req.header("Host")));
  });
  auto resolver = std::make_shared<FakeResolver>(std::map<std::string, std::vector<std::string>>{
      {"public.test", {"93.184.216.34"}}, {"metadata.google.internal", {"169.254.169.254"}}});
  CurlTransport::Options o;  // no fetch.proxy; the guard is on
  o.resolver = resolver;
  auto transport = make_transport(std::move(o));
  ASSERT_NE(transport, nullptr);
  HttpRequest r = get("http://public.test/hello");
  r.proxy = proxy.url("/");
  auto resp = transport->fetch(r);
  ASSERT_TRUE(resp.ok()) << resp.status().to_string();
  EXPECT_EQ(resp->body, "via board proxy public.test");

  HttpRequest metadata = get("http://metadata.google.internal/x");
  metadata.proxy = proxy.url("/");
  EXPECT_EQ(transport->fetch(metadata).code(), ErrorCode::kInvalid);
  for (const std::string bad : {"ftp://proxy.test:21", "http://a\r\nb", "proxy.test:3128"}) {
    HttpRequest x = get("http://public.test/hello");
    x.proxy = bad;
    EXPECT_EQ(transport->fetch(x).code(), ErrorCode::kInvalid) << bad;
  }
  EXPECT_EQ(proxy.requests().size(), 1u);
}

// Redirects are followed hop by hop so that each target is checked before the proxy sees it.
TEST_F(ProxyGuardTest, EveryRedirectTargetIsCheckedAndCookiesFollow) {
  server_.route("http://public.test/login", [](const TestHttpRequest&) {
    auto r = TestHttpResponse::redirect("/home");
    r.headers.emplace_back("Set-Cookie", "sid=abc123; Path=/");
    return r;
  });
  server_.route("http://public.test/home", [](const TestHttpRequest& req) {
    return TestHttpResponse::text(200, "cookie=" + std::string(req.header("Cookie")));
  });
  server_.route("http://public.test/metadata", [](const TestHttpRequest&) {
    return TestHttpResponse::redirect("http://metadata.google.internal/computeMetadata/v1/");
  });
  server_.route("http://public.test/loop", [](const TestHttpRequest&) {
    return TestHttpResponse::redirect("http://other.test/loop");
  });
  server_.route("http://other.test/loop", [](const TestHttpRequest&) {
    return TestHttpResponse::redirect("http://public.test/loop");
  });
  server_.route("http://public.test/post", [](const TestHttpRequest&) {
    return TestHttpResponse::redirect("http://other.test/landing", 303);
  });
  server_.route("http://other.test/landing", [](const TestHttpRequest& req) {
    return TestHttpResponse::text(200,
                                  req.method + " auth=" + std::string(req.header("Authorization")));
  });

  auto login = transport_->fetch(get("http://public.test/login"));
  ASSERT_TRUE(login.ok()) << login.status().to_string();
  EXPECT_EQ(login->body, "cookie=sid=abc123");
  EXPECT_EQ(login->effective_url, "http://public.test/home");

  auto metadata = transport_->fetch(get("http://public.test/metadata"));
  ASSERT_FALSE(metadata.ok());
  EXPECT_EQ(metadata.code(), ErrorCode::kInvalid);
  EXPECT_THAT(metadata.error_message(), HasSubstr("169.254.169.254"));
  for (const auto& r : server_.requests()) {
    EXPECT_THAT(r.target, Not(HasSubstr("metadata.google.internal")));
  }

  HttpRequest loop = get("http://public.test/loop");
  loop.max_redirects = 3;
  auto looped = transport_->fetch(loop);
  EXPECT_EQ(looped.code(), ErrorCode::kHttp);
  EXPECT_THAT(looped.error_message(), HasSubstr("too many redirects"));

  HttpRequest post = get("http://public.test/post");
  post.method = "POST";
  post.body = "a=1";
  post.headers = {{"Authorization", "Bearer s3cret"}};
  auto landed = transport_->fetch(post);
  ASSERT_TRUE(landed.ok()) << landed.status().to_string();
  EXPECT_EQ(landed->body, "GET auth=") << "303 turns into GET; credentials stay with their host";

  HttpRequest no_follow = get("http://public.test/metadata");
  no_follow.max_redirects = 0;
  auto raw = transport_->fetch(no_follow);
  ASSERT_TRUE(raw.ok()) << raw.status().to_string();
  EXPECT_EQ(raw->status, 302);
}

// Without a fake: "localhost" resolves from the hosts file, no network involved.
TEST_F(CurlTransportTest, SsrfGuardResolvesLocalhostBehindAProxy) {
  CurlTransport::Options o;
  o.proxy = server_.url("/");
  auto guarded = make_transport(std::move(o));
  ASSERT_NE(guarded, nullptr);
  auto resp = guarded->fetch(get("http://localhost:" + std::to_string(server_.port()) + "/hello"));
  ASSERT_FALSE(resp.ok()) << "reached the proxy: " << resp->status;
  EXPECT_EQ(resp.code(), ErrorCode::kInvalid);
  EXPECT_THAT(resp.error_message(), HasSubstr("loopback"));
  for (const char* host : {"127.1", "0x7f000001", "2130706433", "[::1]"}) {
    auto odd = guarded->fetch(get(std::string("http://") + host + "/x"));
    EXPECT_EQ(odd.code(), ErrorCode::kInvalid) << host << ": " << odd.status().to_string();
  }
  EXPECT_EQ(server_.connections_accepted(), 0);
}

TEST(IsPrivateNetworkIp, ClassifiesAddresses) {
  for (const char* ip : {"127.0.0.1",
                         "127.255.0.9",
                         "10.0.0.1",
                         "172.16.0.1",
                         "172.31.255.255",
                         "192.168.1.1",
                         "169.254.169.254",
                         "100.64.0.1",
                         "100.127.255.255",
                         "0.0.0.0",
                         "224.0.0.1",
                         "239.255.255.250",
                         "255.255.255.255",
                         "240.0.0.1",
                         "198.18.0.1",
                         "192.0.2.1",
                         "::",
                         "::1",
                         "fe80::1",
                         "fe80::1%eth0",
                         "[::1]",
                         "fc00::1",
                         "fd12:3456::1",
                         "ff02::1",
                         "::ffff:127.0.0.1",
                         "::ffff:10.0.0.1",
                         "64:ff9b::7f00:1",
                         "2002:c0a8:0101::1",
                         "2001:db8::1",
                         "fec0::1"}) {
    EXPECT_TRUE(is_private_network_ip(ip)) << ip;
  }
  for (const char* ip :
       {"8.8.8.8", "1.1.1.1", "172.32.0.1", "172.15.255.255", "100.128.0.1", "100.63.255.255",
        "169.255.0.1", "93.184.216.34", "2606:4700::1111", "2a00:1450:4001:80b::200e",
        "::ffff:8.8.8.8", "64:ff9b::808:808", "not-an-ip", "", "localhost"}) {
    EXPECT_FALSE(is_private_network_ip(ip)) << ip;
  }
}

TEST_F(CurlTransportTest, PerHostConnectionLimitHolds) {
  CurlTransport::Options o;
  o.allow_private_networks = true;
  o.max_host_connections = 2;
  auto limited = make_transport(std::move(o));
  ASSERT_NE(limited, nullptr);

  // Requests meet in pairs: each waits (bounded by a deadline) for its partner, so with two
  // connections both are busy at once and a third connection would be seen if allowed.
  std::mutex m;
  std::condition_variable cv;
  int arrived = 0;
  int in_handler = 0;
  int max_in_handler = 0;
  server_.route("/slow", [&](const TestHttpRequest&) {
    std::unique_lock lock(m);
    const int me = ++arrived;
    max_in_handler = std::max(max_in_handler, ++in_handler);
    cv.notify_all();
    const int partner = me % 2 == 1 ? me + 1 : me;
    cv.wait_for(lock, 5s, [&] { return arrived >= partner; });
    --in_handler;
    return TestHttpResponse::text(200, "ok " + std::to_string(me));
  });

  constexpr int kRequests = 8;
  std::vector<Result<HttpResponse>> results(kRequests, error(ErrorCode::kInternal, "not run"));
  std::vector<std::thread> threads;
  threads.reserve(kRequests);
  for (int i = 0; i < kRequests; ++i) {
    threads.emplace_back([&, i] {
      results[static_cast<std::size_t>(i)] = limited->fetch(get(server_.url("/slow")));
    });
  }
  for (auto& t : threads) t.join();

  for (const auto& r : results) {
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    EXPECT_EQ(r->status, 200);
  }
  EXPECT_EQ(server_.requests_to("/slow").size(), static_cast<std::size_t>(kRequests));
  EXPECT_LE(server_.max_concurrent_connections(), 2);
  EXPECT_EQ(server_.max_concurrent_connections(), 2);  // and both were used
  EXPECT_LE(max_in_handler, 2);
}

TEST_F(CurlTransportTest, PostBodyAndCustomHeadersReachTheServer) {
  server_.route("/echo", [](const TestHttpRequest& req) {
    return TestHttpResponse::text(200, req.method + ":" + req.body);
  });
  HttpRequest req = get(server_.url("/echo"));
  req.method = "POST";
  req.body = "a=1&b=%E4%B8%AD";
  req.headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                 {"X-Custom", "value 1"},
                 {"Referer", "https://example.com/"},
                 {"User-Agent", "TestAgent/1.0"}};
  auto resp = transport_->fetch(req);
  ASSERT_TRUE(resp.ok()) << resp.status().to_string();
  EXPECT_EQ(resp->body, "POST:a=1&b=%E4%B8%AD");

  auto seen = server_.requests_to("/echo");
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].method, "POST");
  EXPECT_EQ(seen[0].body, "a=1&b=%E4%B8%AD");
  EXPECT_EQ(seen[0].header("Content-Type"), "application/x-www-form-urlencoded");
  EXPECT_EQ(seen[0].header("X-Custom"), "value 1");
  EXPECT_EQ(seen[0].header("Referer"), "https://example.com/");
  EXPECT_EQ(seen[0].header("User-Agent"), "TestAgent/1.0");
  EXPECT_EQ(seen[0].header("Expect"), "");

  // A large body goes through in one request too (no 100-continue round trip).
  req.body = std::string(3u << 20, 'b');
  auto big = transport_->fetch(req);
  ASSERT_TRUE(big.ok()) << big.status().to_string();
  EXPECT_EQ(big->body.size(), 5u + (3u << 20));
}

TEST_F(CurlTransportTest, OtherMethods) {
  server_.route("/m", [](const TestHttpRequest& req) {
    return TestHttpResponse::text(200, req.method + ":" + req.body);
  });
  HttpRequest put = get(server_.url("/m"));
  put.method = "PUT";
  put.body = "data";
  auto r1 = transport_->fetch(put);
  ASSERT_TRUE(r1.ok()) << r1.status().to_string();
  EXPECT_EQ(r1->body, "PUT:data");

  HttpRequest del = get(server_.url("/m"));
  del.method = "DELETE";
  auto r2 = transport_->fetch(del);
  ASSERT_TRUE(r2.ok()) << r2.status().to_string();
  EXPECT_EQ(r2->body, "DELETE:");

  HttpRequest head = get(server_.url("/m"));
  head.method = "HEAD";
  auto r3 = transport_->fetch(head);
  ASSERT_TRUE(r3.ok()) << r3.status().to_string();
  EXPECT_EQ(r3->status, 200);
  EXPECT_EQ(r3->body, "");
  EXPECT_EQ(r3->header("Content-Length"), "5");  // of "HEAD:"
}

TEST_F(CurlTransportTest, SetCookieOnARedirectIsSentOnTheNextHop) {
  server_.route("/login", [](const TestHttpRequest&) {
    auto r = TestHttpResponse::redirect("/home");
    r.headers.emplace_back("Set-Cookie", "sid=abc123; Path=/; HttpOnly");
    return r;
  });
  server_.route("/home", [](const TestHttpRequest& req) {
    return TestHttpResponse::text(200, std::string(req.header("Cookie")));
  });
  auto resp = transport_->fetch(get(server_.url("/login")));
  ASSERT_TRUE(resp.ok()) << resp.status().to_string();
  EXPECT_EQ(resp->body, "sid=abc123");

  // The jar lives for one request only: a new request starts without the cookie.
  auto again = transport_->fetch(get(server_.url("/home")));
  ASSERT_TRUE(again.ok()) << again.status().to_string();
  EXPECT_EQ(again->body, "");
}

TEST_F(CurlTransportTest, ConnectionRefusedIsNetworkError) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const int port = ntohs(addr.sin_port);
  ::close(fd);  // bound but never listened on: nothing accepts on this port now

  auto resp = transport_->fetch(get("http://127.0.0.1:" + std::to_string(port) + "/x"));
  ASSERT_FALSE(resp.ok());
  EXPECT_EQ(resp.code(), ErrorCode::kNetwork);
  EXPECT_THAT(resp.error_message(), HasSubstr("127.0.0.1"));
}

TEST_F(CurlTransportTest, DestroyingTheTransportFailsRequestsInFlight) {
  std::promise<void> arrived;
  server_.route("/hang", [&](const TestHttpRequest&) {
    arrived.set_value();
    return TestHttpResponse::never_answer();
  });
  HttpRequest req = get(server_.url("/hang"));
  req.timeout = 60s;
  CurlTransport* transport = transport_.get();
  auto pending = std::async(std::launch::async, [transport, req] { return transport->fetch(req); });
  ASSERT_EQ(arrived.get_future().wait_for(30s), std::future_status::ready);
  transport_.reset();
  ASSERT_EQ(pending.wait_for(30s), std::future_status::ready);
  auto resp = pending.get();
  EXPECT_EQ(resp.code(), ErrorCode::kUnavailable);
  EXPECT_THAT(resp.error_message(), HasSubstr("/hang"));
}

TEST_F(CurlTransportTest, ManyThreadsShareOneTransport) {
  constexpr int kThreads = 8;
  constexpr int kEach = 10;
  std::vector<int> ok_counts(kThreads, 0);
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      for (int j = 0; j < kEach; ++j) {
        auto r = transport_->fetch(get(server_.url("/hello?i=" + std::to_string(i))));
        if (r.ok() && r->body == "hello world\n") ++ok_counts[static_cast<std::size_t>(i)];
      }
    });
  }
  for (auto& t : threads) t.join();
  for (int c : ok_counts) EXPECT_EQ(c, kEach);
  // Connections are reused: far fewer than one per request.
  EXPECT_LE(server_.connections_accepted(), 4 * 2);
}

TEST(CurlTransportOptions, RejectsBadOptions) {
  CurlTransport::Options o;
  o.max_host_connections = -1;
  EXPECT_EQ(CurlTransport::create(o).code(), ErrorCode::kInvalid);
  CurlTransport::Options o2;
  o2.connect_timeout = 0ms;
  EXPECT_EQ(CurlTransport::create(o2).code(), ErrorCode::kInvalid);
  CurlTransport::Options o3;
  o3.user_agent = "a\r\nX-Evil: 1";
  EXPECT_EQ(CurlTransport::create(o3).code(), ErrorCode::kInvalid);
  auto fine = CurlTransport::create();
  ASSERT_TRUE(fine.ok()) << fine.status().to_string();
  EXPECT_EQ((*fine)->options().max_host_connections, 4);
  EXPECT_FALSE((*fine)->options().allow_private_networks);
  EXPECT_THAT((*fine)->options().user_agent, StartsWith("Mu/"));
}

}  // namespace
}  // namespace mu
