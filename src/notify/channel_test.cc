#include "notify/channel.h"

#include <gtest/gtest.h>

namespace mu {
namespace {

TEST(ChannelTest, EveryKindFromItsUrl) {
  auto tg = parse_channel_url("telegram://123456:ABC-def_9/-1001234567", "", "http://127.0.0.1:9");
  ASSERT_TRUE(tg.ok()) << tg.status().to_string();
  EXPECT_EQ(tg->kind, ChannelKind::kTelegram);
  EXPECT_EQ(tg->endpoint, "http://127.0.0.1:9/bot123456:ABC-def_9/sendMessage");
  EXPECT_EQ(tg->target, "-1001234567");

  auto hook = parse_channel_url("https://example.com/hooks/mu?x=1", "s3cret");
  ASSERT_TRUE(hook.ok());
  EXPECT_EQ(hook->kind, ChannelKind::kWebhook);
  EXPECT_EQ(hook->endpoint, "https://example.com/hooks/mu?x=1");
  EXPECT_EQ(hook->secret, "s3cret");

  auto ntfy = parse_channel_url("ntfy://ntfy.sh/mu_alerts");
  ASSERT_TRUE(ntfy.ok());
  EXPECT_EQ(ntfy->endpoint, "https://ntfy.sh/");
  EXPECT_EQ(ntfy->target, "mu_alerts");
  auto local_ntfy = parse_channel_url("ntfy+http://127.0.0.1:8090/prefix/topic1");
  ASSERT_TRUE(local_ntfy.ok());
  EXPECT_EQ(local_ntfy->endpoint, "http://127.0.0.1:8090/prefix/");
  EXPECT_EQ(local_ntfy->target, "topic1");

  EXPECT_EQ(parse_channel_url("wecom://abc-123")->endpoint,
            "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc-123");
  EXPECT_EQ(parse_channel_url("feishu://hook-id")->endpoint,
            "https://open.feishu.cn/open-apis/bot/v2/hook/hook-id");
  EXPECT_EQ(parse_channel_url("dingtalk://tok")->endpoint,
            "https://oapi.dingtalk.com/robot/send?access_token=tok");
  EXPECT_EQ(parse_channel_url("bark://api.day.app/KEY")->kind, ChannelKind::kBark);
  EXPECT_EQ(parse_channel_url("https://hooks.slack.com/services/T/B/X")->kind, ChannelKind::kSlack);
  EXPECT_EQ(parse_channel_url("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k")->kind,
            ChannelKind::kWecom);
  auto tg_url = parse_channel_url("telegram+http://127.0.0.1:5/botT:K/sendMessage?chat_id=42");
  ASSERT_TRUE(tg_url.ok());
  EXPECT_EQ(tg_url->endpoint, "http://127.0.0.1:5/botT:K/sendMessage");
  EXPECT_EQ(tg_url->target, "42");

  auto mail = parse_channel_url(
      "smtp://me%40qq.com:p%40ss@smtp.qq.com:587/?from=me@qq.com&to=a@example.com,b@example.org");
  ASSERT_TRUE(mail.ok()) << mail.status().to_string();
  EXPECT_EQ(mail->kind, ChannelKind::kEmail);
  EXPECT_EQ(mail->endpoint, "smtp://smtp.qq.com:587");
  EXPECT_EQ(mail->username, "me@qq.com");
  EXPECT_EQ(mail->password, "p@ss");
  EXPECT_EQ(mail->to.size(), 2u);
  EXPECT_TRUE(mail->require_tls);
  EXPECT_FALSE(mail->implicit_tls);
  EXPECT_TRUE(
      parse_channel_url("smtps://u:p@mail.example.com:465/?from=a@b.c&to=d@e.f")->implicit_tls);
}

TEST(ChannelTest, BadUrlsSayWhatIsWrong) {
  const char* bad[] = {
      "",
      "not a url",
      "ftp://example.com/x",
      "javascript://alert(1)",
      "https://user:pw@example.com/hook",
      "telegram://no-colon-token/42",
      "telegram://123:ABC",
      "ntfy://ntfy.sh/",
      "wecom://bad key",
      "gopher+https://example.com/",
      "smtp://smtp.example.com:25/?to=a@b.c",
      "smtp://smtp.example.com:25/?from=a@b.c",
      "smtp://smtp.example.com:25/?from=a@b.c&to=not-an-address",
      "smtp://smtp.example.com:25/?from=a@b.c&to=d@e.f&cc=x@y.z",
      "telegram+https://api.telegram.org/botT:K/sendMessage",
  };
  for (const char* url : bad) {
    auto spec = parse_channel_url(url);
    EXPECT_FALSE(spec.ok()) << url;
    if (!spec.ok()) {
      EXPECT_EQ(spec.code(), ErrorCode::kInvalid) << url;
      EXPECT_EQ(spec.status().message().rfind("channel URL: ", 0), 0u) << spec.status().message();
    }
  }
}

TEST(ChannelTest, DescriptionsNeverShowSecrets) {
  auto tg = parse_channel_url("telegram://123456:SECRETTOKEN/-1001234567");
  ASSERT_TRUE(tg.ok());
  const std::string t = describe_channel(*tg);
  EXPECT_EQ(t.find("SECRETTOKEN"), std::string::npos) << t;
  EXPECT_EQ(t.find("1001234567"), std::string::npos) << t;
  EXPECT_NE(t.find("telegram"), std::string::npos);
  auto slack = parse_channel_url("https://hooks.slack.com/services/T0/B0/SECRET");
  EXPECT_EQ(describe_channel(*slack), "slack · hooks.slack.com");
  auto mail = parse_channel_url("smtp://u:SECRET@smtp.qq.com:587/?from=a@qq.com&to=b@qq.com");
  EXPECT_EQ(describe_channel(*mail), "email · 1 recipient via smtp.qq.com");
  auto ding = parse_channel_url("dingtalk://SECRET");
  EXPECT_EQ(describe_channel(*ding).find("SECRET"), std::string::npos);
}

}  // namespace
}  // namespace mu
