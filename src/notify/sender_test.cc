// The channels' HTTP clients against a loopback server that answers as each service does
// (fetch/testing): what arrives, how answers are read, what errors say.
#include "notify/sender.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "auth/crypto.h"
#include "fetch/curl_transport.h"
#include "fetch/testing/test_http_server.h"

namespace mu {
namespace {

namespace json = boost::json;

class RefusingSmtp final : public SmtpClient {
 public:
  Status send(const ChannelSpec&, const EmailMessage&) override {
    return error(ErrorCode::kInternal, "no SMTP in this test");
  }
};

class SenderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    CurlTransport::Options options;
    options.allow_private_networks = true;  // the fake services are on loopback
    auto t = CurlTransport::create(options);
    ASSERT_TRUE(t.ok());
    transport_ = std::move(*t);
    sender_ = std::make_unique<ChannelSender>(*transport_, smtp_, clock_);
  }

  ChannelSpec channel(const std::string& url, const std::string& secret = "") {
    const std::string root = server_.url("/");
    auto s = parse_channel_url(url, secret, root.substr(0, root.size() - 1));
    EXPECT_TRUE(s.ok()) << url << ": " << s.status().to_string();
    return s.ok() ? *s : ChannelSpec{};
  }

  AlertMessage message() {
    AlertMessage m;
    m.rule_id = "r1";
    m.rule_name = "火灾";
    m.items.push_back(AlertItem{"weibo.hot-search", "微博 · 热搜", "仓库火灾 <已扑灭>",
                                "https://s.weibo.com/weibo?q=x", 3, "12.5万", clock_.now_ms()});
    m.delivery_ids = {7};
    return m;
  }

  FakeClock clock_;
  TestHttpServer server_;
  RefusingSmtp smtp_;
  std::unique_ptr<CurlTransport> transport_;
  std::unique_ptr<ChannelSender> sender_;
};

TEST_F(SenderTest, WebhookArrivesSignedAndReceiversCanCheckIt) {
  server_.route("/hook", [](const TestHttpRequest&) { return TestHttpResponse::text(204, ""); });
  ASSERT_TRUE(sender_->send(channel("webhook+" + server_.url("/hook"), "k3y"), message()).ok());
  auto got = server_.requests_to("/hook");
  ASSERT_EQ(got.size(), 1u);
  const TestHttpRequest& r = got[0];
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.header("Content-Type"), "application/json; charset=utf-8");
  EXPECT_EQ(r.header("X-Mu-Delivery"), "7");
  // What a receiver does: split t= and v1=, recompute over "<t>.<raw body>".
  const std::string sig(r.header("X-Mu-Signature"));
  const auto comma = sig.find(',');
  ASSERT_NE(comma, std::string::npos);
  const std::string t = sig.substr(2, comma - 2);
  EXPECT_EQ(sig.substr(comma + 4), hmac_sha256_hex("k3y", t + "." + r.body));
  EXPECT_EQ(json::parse(r.body).at("items").at(0).at("title"), "仓库火灾 <已扑灭>");
}

TEST_F(SenderTest, ServerErrorsAreRetryableClientErrorsAreNot) {
  server_.route("/500", [](const TestHttpRequest&) { return TestHttpResponse::text(500, "oops"); });
  server_.route("/429", [](const TestHttpRequest&) {
    auto r = TestHttpResponse::text(429, "slow down");
    r.headers.emplace_back("Retry-After", "120");
    return r;
  });
  server_.route("/404", [](const TestHttpRequest&) { return TestHttpResponse::text(404, "no"); });
  Status s500 = sender_->send(channel("webhook+" + server_.url("/500")), message());
  EXPECT_TRUE(is_retryable(s500)) << s500.to_string();
  Status s429 = sender_->send(channel("webhook+" + server_.url("/429")), message());
  EXPECT_TRUE(is_retryable(s429));
  EXPECT_EQ(s429.retry_after(), std::chrono::seconds(120));
  Status s404 = sender_->send(channel("webhook+" + server_.url("/404")), message());
  EXPECT_FALSE(s404.ok());
  EXPECT_FALSE(is_retryable(s404));
}

TEST_F(SenderTest, TelegramAnswersAreReadAndTheTokenNeverShows) {
  std::string seen_text;
  server_.route("/botT0KEN:SECRET/sendMessage", [&](const TestHttpRequest& r) {
    auto body = json::parse(r.body).as_object();
    seen_text = std::string(body.at("text").as_string());
    if (body.at("chat_id") == "-100") {
      return TestHttpResponse::text(
          400, R"({"ok":false,"error_code":400,"description":"Bad Request: chat not found"})",
          "application/json");
    }
    return TestHttpResponse::text(200, R"({"ok":true,"result":{"message_id":1}})",
                                  "application/json");
  });
  EXPECT_TRUE(sender_->send(channel("telegram://T0KEN:SECRET/42"), message()).ok());
  EXPECT_NE(seen_text.find("仓库火灾 &lt;已扑灭&gt;"), std::string::npos) << seen_text;
  Status bad = sender_->send(channel("telegram://T0KEN:SECRET/-100"), message());
  EXPECT_FALSE(bad.ok());
  EXPECT_FALSE(is_retryable(bad));
  EXPECT_EQ(bad.message().find("SECRET"), std::string::npos) << bad.message();
  // Nothing listens on the port of a stopped server: a network error, also without token.
  server_.stop();
  Status down = sender_->send(channel("telegram://T0KEN:SECRET/42"), message());
  EXPECT_TRUE(is_retryable(down)) << down.to_string();
  EXPECT_EQ(down.message().find("SECRET"), std::string::npos) << down.message();
}

TEST_F(SenderTest, ChatBotErrorCodesInA200AreFailures) {
  server_.route("/wecom-fast", [](const TestHttpRequest&) {
    return TestHttpResponse::text(200, R"({"errcode":45009,"errmsg":"api freq out of limit"})");
  });
  server_.route("/wecom-bad", [](const TestHttpRequest&) {
    return TestHttpResponse::text(200, R"({"errcode":93000,"errmsg":"invalid webhook url"})");
  });
  server_.route("/ding", [](const TestHttpRequest&) {
    return TestHttpResponse::text(200, R"({"errcode":0,"errmsg":"ok"})");
  });
  server_.route("/feishu", [](const TestHttpRequest&) {
    return TestHttpResponse::text(200, R"({"code":19021,"msg":"sign match fail"})");
  });
  server_.route("/slack", [](const TestHttpRequest&) { return TestHttpResponse::text(200, "ok"); });
  server_.route("/ntfy/", [](const TestHttpRequest&) { return TestHttpResponse::text(200, "{}"); });
  Status fast = sender_->send(channel("wecom+" + server_.url("/wecom-fast")), message());
  EXPECT_TRUE(is_retryable(fast)) << fast.to_string();
  Status bad = sender_->send(channel("wecom+" + server_.url("/wecom-bad")), message());
  EXPECT_FALSE(is_retryable(bad));
  EXPECT_NE(bad.message().find("93000"), std::string::npos);
  EXPECT_TRUE(sender_->send(channel("dingtalk+" + server_.url("/ding"), "s"), message()).ok());
  EXPECT_FALSE(sender_->send(channel("feishu+" + server_.url("/feishu"), "s"), message()).ok());
  EXPECT_TRUE(sender_->send(channel("slack+" + server_.url("/slack")), message()).ok());
  EXPECT_TRUE(sender_->send(channel("ntfy+" + server_.url("/ntfy/alerts")), message()).ok());
  auto ntfy = server_.requests_to("/ntfy/");
  ASSERT_EQ(ntfy.size(), 1u);
  EXPECT_EQ(json::parse(ntfy[0].body).at("topic"), "alerts");
}

TEST_F(SenderTest, BarkGetsItsJsonOnTheDeviceKeyPath) {
  server_.route("/DEVICEKEY", [](const TestHttpRequest&) {
    return TestHttpResponse::text(200, R"({"code":200,"message":"success"})");
  });
  ASSERT_TRUE(sender_->send(channel("bark+" + server_.url("/DEVICEKEY")), message()).ok());
  auto got = server_.requests_to("/DEVICEKEY");
  ASSERT_EQ(got.size(), 1u);
  auto body = json::parse(got[0].body).as_object();
  EXPECT_EQ(body.at("group"), "Mu");
  EXPECT_EQ(body.at("url"), "https://s.weibo.com/weibo?q=x");
  EXPECT_NE(std::string(body.at("body").as_string()).find("仓库火灾 <已扑灭>"), std::string::npos);
}

TEST_F(SenderTest, PrivateAddressesAreRefusedUnlessAllowed) {
  CurlTransport::Options guarded;  // allow_private_networks = false
  auto t = CurlTransport::create(guarded);
  ASSERT_TRUE(t.ok());
  ChannelSender sender(**t, smtp_, clock_);
  server_.route("/hook", [](const TestHttpRequest&) { return TestHttpResponse::text(200, ""); });
  Status s = sender.send(channel("webhook+" + server_.url("/hook")), message());
  EXPECT_EQ(s.code(), ErrorCode::kInvalid) << s.to_string();
  EXPECT_TRUE(server_.requests_to("/hook").empty());
}

}  // namespace
}  // namespace mu
