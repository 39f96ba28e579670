#include "notify/message.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>

#include "auth/crypto.h"

namespace mu {
namespace {

namespace json = boost::json;

constexpr int64_t kNow = 1'767'225'600'000;  // 2026-01-01T00:00:00Z

AlertMessage message(int items, const std::string& title = "北京某地<b>火灾</b> & \"救援\"") {
  AlertMessage m;
  m.rule_id = "r1";
  m.rule_name = "火灾";
  for (int i = 0; i < items; ++i) {
    m.items.push_back(AlertItem{"weibo.hot-search", "微博 · 热搜", title + " " + std::to_string(i),
                                "https://s.weibo.com/weibo?q=%23" + std::to_string(i), i + 1,
                                "12.5万", kNow});
    m.delivery_ids.push_back(100 + i);
  }
  m.unsubscribe_url = "https://mu.example/alerts/unsubscribe?t=abc";
  return m;
}

ChannelSpec spec(const std::string& url, const std::string& secret = "") {
  auto s = parse_channel_url(url, secret, "https://api.telegram.org");
  EXPECT_TRUE(s.ok()) << url;
  return s.ok() ? *s : ChannelSpec{};
}

json::object body(const HttpRequest& r) { return json::parse(r.body).as_object(); }

std::size_t code_points(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

TEST(MessageTest, WebhookIsSignedJsonWithDeliveryIds) {
  auto requests = render_http(spec("https://example.com/hook", "k3y"), message(2), kNow);
  ASSERT_EQ(requests.size(), 1u);
  const HttpRequest& r = requests[0];
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.url, "https://example.com/hook");
  EXPECT_EQ(find_header(r.headers, "X-Mu-Delivery"), "100,101");
  const std::string expected = "t=1767225600,v1=" + hmac_sha256_hex("k3y", "1767225600." + r.body);
  EXPECT_EQ(find_header(r.headers, "X-Mu-Signature"), expected);
  auto b = body(r);
  EXPECT_EQ(b["type"], "alert");
  EXPECT_EQ(b["items"].as_array().size(), 2u);
  EXPECT_EQ(b["items"].as_array()[0].as_object().at("title"), "北京某地<b>火灾</b> & \"救援\" 0");
  EXPECT_EQ(b["unsubscribe_url"], "https://mu.example/alerts/unsubscribe?t=abc");
  // Without a secret there is no signature header.
  auto unsigned_ = render_http(spec("https://example.com/hook"), message(1), kNow);
  EXPECT_EQ(find_header(unsigned_[0].headers, "X-Mu-Signature"), "");
}

TEST(MessageTest, TelegramEscapesHtmlDropsUnsafeLinksAndSplitsAt4096) {
  AlertMessage m = message(1);
  m.items[0].url = "javascript:alert(1)";
  auto one = render_http(spec("telegram://1:AA/42"), m, kNow);
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].url, "https://api.telegram.org/bot1:AA/sendMessage");
  auto b = body(one[0]);
  EXPECT_EQ(b["chat_id"], "42");
  EXPECT_EQ(b["parse_mode"], "HTML");
  const std::string text(b["text"].as_string());
  EXPECT_NE(text.find("&lt;b&gt;火灾&lt;/b&gt; &amp; &quot;救援&quot;"), std::string::npos) << text;
  EXPECT_EQ(text.find("<b>火灾"), std::string::npos);
  EXPECT_EQ(text.find("javascript"), std::string::npos);
  EXPECT_NE(text.find("unsubscribe?t=abc"), std::string::npos);

  auto many = render_http(spec("telegram://1:AA/42"), message(120, std::string(60, 'x')), kNow);
  ASSERT_GT(many.size(), 1u);
  std::size_t items = 0;
  for (const HttpRequest& r : many) {
    const std::string t(body(r)["text"].as_string());
    EXPECT_LE(code_points(t), 4096u);
    EXPECT_EQ(t.rfind("<b>Mu · 火灾: 120 items</b>", 0), 0u);  // every part has the title
    for (auto at = t.find("<a href="); at != std::string::npos; at = t.find("<a href=", at + 1))
      ++items;
  }
  EXPECT_EQ(items, 120u + many.size());  // every item once, an unsubscribe link in each part
}

TEST(MessageTest, ChatBotsRespectTheirByteLimits) {
  AlertMessage m = message(300, std::string(90, 'y') + "[链接](javascript:x)");
  auto wecom = render_http(spec("wecom://k"), m, kNow);
  ASSERT_GT(wecom.size(), 1u);
  for (const HttpRequest& r : wecom) {
    auto b = body(r);
    EXPECT_EQ(b["msgtype"], "markdown");
    const std::string content(b["markdown"].as_object().at("content").as_string());
    EXPECT_LE(content.size(), 4096u);
    EXPECT_EQ(content.find("[链接]"), std::string::npos);  // brackets of titles defused
  }
  auto ding = render_http(spec("dingtalk://tok"), m, kNow);
  for (const HttpRequest& r : ding) {
    EXPECT_LE(body(r)["markdown"].as_object().at("text").as_string().size(), 20000u);
  }
  auto bark = render_http(spec("bark://api.day.app/KEY"), m, kNow);
  for (const HttpRequest& r : bark) EXPECT_LE(body(r)["body"].as_string().size(), 3000u);
  auto ntfy = render_http(spec("ntfy://ntfy.sh/topic"), m, kNow);
  for (const HttpRequest& r : ntfy) {
    auto b = body(r);
    EXPECT_EQ(b["topic"], "topic");
    EXPECT_LE(b["message"].as_string().size(), 4096u);
  }
  auto feishu = render_http(spec("feishu://id"), m, kNow);
  for (const HttpRequest& r : feishu) EXPECT_LE(r.body.size(), 20000u);
  auto slack = render_http(spec("slack://hooks.slack.com/services/T/B/X"), m, kNow);
  for (const HttpRequest& r : slack) EXPECT_LE(code_points(body(r)["text"].as_string()), 40000u);
}

TEST(MessageTest, DingTalkAndFeishuSignaturesFollowTheirDocs) {
  auto ding = render_http(spec("dingtalk://tok", "SEC"), message(1), kNow);
  const std::string ts = std::to_string(kNow);
  const std::string sign = base64_encode(hmac_sha256("SEC", ts + "\nSEC"));
  EXPECT_NE(ding[0].url.find("access_token=tok&timestamp=" + ts + "&sign="), std::string::npos)
      << ding[0].url;
  EXPECT_EQ(ding[0].url.find(sign), std::string::npos);  // percent-encoded, not raw base64
  auto feishu = render_http(spec("feishu://id", "SEC"), message(1), kNow);
  auto b = body(feishu[0]);
  EXPECT_EQ(b["timestamp"], "1767225600");
  EXPECT_EQ(std::string(b["sign"].as_string()), base64_encode(hmac_sha256("1767225600\nSEC", "")));
  EXPECT_EQ(b["msg_type"], "post");
}

TEST(MessageTest, EmailIsMultipartWithPlainAndHtmlAndAnUnsubscribeHeader) {
  auto s = spec("smtp://u:p@smtp.example.com:587/?from=mu@example.com&to=a@example.org");
  EmailMessage e = render_email(s, message(2), kNow);
  EXPECT_EQ(e.from, "mu@example.com");
  EXPECT_EQ(e.to, std::vector<std::string>{"a@example.org"});
  const std::string& d = e.data;
  EXPECT_NE(d.find("Subject: =?UTF-8?B?" + base64_encode("Mu · 火灾: 2 items") + "?=\r\n"),
            std::string::npos);
  EXPECT_NE(d.find("Date: Thu, 01 Jan 2026 00:00:00 +0000\r\n"), std::string::npos);
  EXPECT_NE(d.find("List-Unsubscribe: <https://mu.example/alerts/unsubscribe?t=abc>\r\n"),
            std::string::npos);
  EXPECT_NE(d.find("Content-Type: multipart/alternative;"), std::string::npos);
  EXPECT_NE(d.find("Content-Type: text/plain; charset=utf-8"), std::string::npos);
  EXPECT_NE(d.find("Content-Type: text/html; charset=utf-8"), std::string::npos);
  for (std::size_t at = 0; (at = d.find('\n', at + 1)) != std::string::npos;) {
    EXPECT_EQ(d[at - 1], '\r');  // CRLF everywhere
  }
  // A rule name with a line break cannot add a header.
  AlertMessage evil = message(1);
  evil.rule_name = "x\r\nBcc: victim@example.com";
  EXPECT_EQ(render_email(s, evil, kNow).data.find("\r\nBcc:"), std::string::npos);
}

}  // namespace
}  // namespace mu
