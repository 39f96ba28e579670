#include "http/client_address.h"

#include <gtest/gtest.h>

namespace mu {
namespace {

ProxyTrust trust(const std::vector<std::string>& cidrs) {
  auto parsed = ProxyTrust::parse(cidrs);
  EXPECT_TRUE(parsed.ok()) << parsed.status().to_string();
  return parsed.ok() ? *parsed : ProxyTrust();
}

TEST(ProxyTrustTest, WithoutTrustedProxiesTheForwardedForHeaderIsIgnored) {
  const ProxyTrust none = trust({});
  EXPECT_EQ(none.client_address("198.51.100.9", "1.2.3.4"), "198.51.100.9");
}

TEST(ProxyTrustTest, AnUntrustedPeerCannotForgeItsAddress) {
  const ProxyTrust t = trust({"10.0.0.0/8"});
  EXPECT_EQ(t.client_address("198.51.100.9", "127.0.0.1, 10.0.0.1"), "198.51.100.9");
}

TEST(ProxyTrustTest, TheRightmostUntrustedHopIsTheClient) {
  const ProxyTrust t = trust({"10.0.0.0/8", "192.168.1.1"});
  // The client forged "6.6.6.6" in front; the proxies appended the real hops.
  EXPECT_EQ(t.client_address("10.1.2.3", "6.6.6.6, 203.0.113.5, 192.168.1.1"), "203.0.113.5");
  EXPECT_EQ(t.client_address("10.1.2.3", "203.0.113.5"), "203.0.113.5");
  // Every hop is a trusted proxy: the leftmost one is as far as anyone vouches.
  EXPECT_EQ(t.client_address("10.1.2.3", "10.9.9.9,192.168.1.1"), "10.9.9.9");
  // Garbage stops the walk at the last vouched-for address.
  EXPECT_EQ(t.client_address("10.1.2.3", "203.0.113.5, not-an-ip"), "10.1.2.3");
  EXPECT_EQ(t.client_address("10.1.2.3", "nonsense, 10.2.2.2"), "10.2.2.2");
  // An empty header.
  EXPECT_EQ(t.client_address("10.1.2.3", ""), "10.1.2.3");
}

TEST(ProxyTrustTest, Ipv6RangesAndBrackets) {
  const ProxyTrust t = trust({"::1", "fd00::/8"});
  EXPECT_TRUE(t.trusted("::1"));
  EXPECT_TRUE(t.trusted("fd12:3456::1"));
  EXPECT_FALSE(t.trusted("2001:db8::1"));
  EXPECT_EQ(t.client_address("::1", "[2001:db8::7]"), "2001:db8::7");
  // IPv4 ranges match IPv4 peers only.
  const ProxyTrust v4 = trust({"127.0.0.0/8"});
  EXPECT_TRUE(v4.trusted("127.0.0.1"));
  EXPECT_FALSE(v4.trusted("::1"));
}

TEST(ProxyTrustTest, BadEntriesAreConfigErrors) {
  for (const std::string bad :
       {"10.0.0.0/33", "10.0.0/8", "example.com", "::1/129", "1.2.3.4/", "1.2.3.4/x", ""}) {
    auto parsed = ProxyTrust::parse({bad});
    EXPECT_FALSE(parsed.ok()) << bad;
    if (!parsed.ok()) {
      EXPECT_EQ(parsed.status().code(), ErrorCode::kConfig);
    }
  }
}

TEST(ClientBucketTest, Ipv6AddressesShareTheirSlash64) {
  EXPECT_EQ(client_bucket("203.0.113.7"), "203.0.113.7");
  EXPECT_EQ(client_bucket("2001:db8:1:2:3:4:5:6"), "2001:db8:1:2::/64");
  EXPECT_EQ(client_bucket("2001:db8:1:2:ffff::1"), "2001:db8:1:2::/64");
  EXPECT_EQ(client_bucket("::ffff:198.51.100.1"), "198.51.100.1");
  EXPECT_EQ(client_bucket("junk"), "junk");
}

}  // namespace
}  // namespace mu
