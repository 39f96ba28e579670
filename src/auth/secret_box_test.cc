#include "auth/secret_box.h"

#include <gtest/gtest.h>

#include <vector>

namespace mu {
namespace {

SecretBox box(std::string_view key) {
  auto b = SecretBox::from_text(key);
  EXPECT_TRUE(b.ok()) << b.status().to_string();
  return std::move(b).value();
}

TEST(SecretBoxTest, SealedValuesOpenOnlyWithTheirKeyAndName) {
  const SecretBox a = box(SecretBox::generate_key_text());
  const SecretBox b = box(std::string(64, 'a'));  // hex form
  const std::string cookie = "SUB=_2A25abc; SUBP=0033Wr\"x\"; 登录=是";
  const std::string sealed = a.seal("weibo.cookie", cookie);
  ASSERT_EQ(sealed.rfind("v1.", 0), 0u);
  EXPECT_EQ(sealed.find("SUB"), std::string::npos);
  EXPECT_NE(a.seal("weibo.cookie", cookie), sealed);  // a fresh nonce every time
  auto opened = a.open("weibo.cookie", sealed);
  ASSERT_TRUE(opened.ok()) << opened.status().to_string();
  EXPECT_EQ(*opened, cookie);
  EXPECT_EQ(b.open("weibo.cookie", sealed).code(), ErrorCode::kInvalid);
  EXPECT_EQ(a.open("zhihu.cookie", sealed).code(), ErrorCode::kInvalid);
  std::string altered = sealed;
  altered[10] = altered[10] == 'A' ? 'B' : 'A';
  EXPECT_EQ(a.open("weibo.cookie", altered).code(), ErrorCode::kInvalid);
  for (const char* junk : {"", "v1.", "v1.!!!", "v2.abcd", "plain text"}) {
    EXPECT_EQ(a.open("weibo.cookie", junk).code(), ErrorCode::kInvalid) << junk;
  }
  auto empty = a.open("x", a.seal("x", ""));
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(*empty, "");
  // The error never carries the value.
  EXPECT_EQ(b.open("weibo.cookie", sealed).status().message().find("SUB"), std::string::npos);
}

TEST(SecretBoxTest, KeysMustBeThirtyTwoBytes) {
  EXPECT_TRUE(SecretBox::from_text("  " + std::string(64, 'F') + "\n").ok());
  EXPECT_EQ(SecretBox::generate_key_text().size(), 43u);
  for (const std::string& bad :
       std::vector<std::string>{"", "short", std::string(63, 'a'), std::string(64, 'g'),
                                std::string(44, 'A'), std::string(43, '*')}) {
    EXPECT_EQ(SecretBox::from_text(bad).status().code(), ErrorCode::kConfig) << bad;
  }
}

}  // namespace
}  // namespace mu

namespace mu {
namespace {

TEST(SecretBoxMacTest, MacsDependOnKeyAndData) {
  auto a = SecretBox::from_text(SecretBox::generate_key_text());
  auto b = SecretBox::from_text(SecretBox::generate_key_text());
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->mac("unsubscribe:r1"), a->mac("unsubscribe:r1"));
  EXPECT_EQ(a->mac("unsubscribe:r1").size(), 43u);
  EXPECT_NE(a->mac("unsubscribe:r1"), a->mac("unsubscribe:r2"));
  EXPECT_NE(a->mac("unsubscribe:r1"), b->mac("unsubscribe:r1"));
}

}  // namespace
}  // namespace mu
