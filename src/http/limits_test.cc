#include "http/limits.h"

#include <gtest/gtest.h>

namespace mu {
namespace {

RequestFraming framing_with_te(std::string_view te) {
  RequestFraming f;
  f.transfer_encoding = te;
  f.host_fields = 1;
  return f;
}

TEST(RequestFraming, OnlyExactlyChunkedIsAccepted) {
  EXPECT_FALSE(request_framing_error(framing_with_te("chunked")));
  EXPECT_FALSE(request_framing_error(framing_with_te("Chunked")));
  for (std::string_view te : {"chunked, identity", "xchunked", "identity", "gzip, chunked",
                              "chunked, chunked", "", "chunked;q=1"}) {
    EXPECT_TRUE(request_framing_error(framing_with_te(te))) << te;
  }
}

TEST(RequestFraming, TransferEncodingWithContentLengthOrOnHttp10IsRefused) {
  RequestFraming f = framing_with_te("chunked");
  f.content_length = true;
  EXPECT_TRUE(request_framing_error(f));
  f = framing_with_te("chunked");
  f.version = 10;
  EXPECT_TRUE(request_framing_error(f));
  f.transfer_encoding.reset();
  f.host_fields = 0;  // HTTP/1.0 needs no Host
  EXPECT_FALSE(request_framing_error(f));
}

TEST(RequestFraming, Http11NeedsExactlyOneHost) {
  RequestFraming f;
  f.host_fields = 0;
  EXPECT_EQ(request_framing_error(f).value_or(""), "missing Host header");
  f.host_fields = 2;
  EXPECT_TRUE(request_framing_error(f));
  f.host_fields = 1;
  EXPECT_FALSE(request_framing_error(f));
}

TEST(RequestFraming, BareLineFeeds) {
  EXPECT_FALSE(has_bare_line_feed(""));
  EXPECT_FALSE(has_bare_line_feed("5\r\nhello\r\n"));
  EXPECT_FALSE(has_bare_line_feed("5\r"));
  EXPECT_TRUE(has_bare_line_feed("5\nhello"));
  EXPECT_TRUE(has_bare_line_feed("\n"));
  EXPECT_TRUE(has_bare_line_feed("a\r\nb\n"));
}

TEST(ConnectionLimits, DerivedFromTheDescriptorLimit) {
  // systemd's default soft limit: 1024 - 128 reserved.
  ConnectionLimits l = derive_connection_limits(1024, 0, 0);
  EXPECT_EQ(l.max_connections, 896u);
  EXPECT_EQ(l.max_connections_per_ip, 224u);
  EXPECT_EQ(l.max_streams, 448u);
  EXPECT_EQ(l.max_streams_per_ip, 112u);
  // LimitNOFILE=65536 (deploy/systemd): the reserve stops at 1024.
  l = derive_connection_limits(65536, 0, 0);
  EXPECT_EQ(l.max_connections, 64512u);
  EXPECT_EQ(l.max_connections_per_ip, 16128u);
  // A container runtime's million descriptors: capped where memory still copes.
  EXPECT_EQ(derive_connection_limits(1u << 20, 0, 0).max_connections, kMaxDerivedConnections);
  EXPECT_EQ(derive_connection_limits(1u << 20, 200'000, 0).max_connections, 200'000u);
  // A tiny limit: at least 64 reserved, and never more than half of the limit.
  EXPECT_EQ(derive_connection_limits(256, 0, 0).max_connections, 192u);
  EXPECT_EQ(derive_connection_limits(100, 0, 0).max_connections, 50u);
  l = derive_connection_limits(1, 0, 0);
  EXPECT_EQ(l.max_connections, 1u);
  EXPECT_EQ(l.max_connections_per_ip, 1u);
  EXPECT_EQ(l.max_streams, 1u);
  EXPECT_EQ(l.max_streams_per_ip, 1u);
}

TEST(ConnectionLimits, ExplicitValuesWin) {
  ConnectionLimits l = derive_connection_limits(1024, 100, 0);
  EXPECT_EQ(l.max_connections, 100u);
  EXPECT_EQ(l.max_connections_per_ip, 25u);
  l = derive_connection_limits(1024, 0, 5000);  // per-IP clamped to the global cap
  EXPECT_EQ(l.max_connections_per_ip, 896u);
  l = derive_connection_limits(1024, 10, 4);
  EXPECT_EQ(l.max_streams, 5u);
  EXPECT_EQ(l.max_streams_per_ip, 2u);
}

TEST(ConnectionLimits, ClientKeys) {
  EXPECT_EQ(client_key("203.0.113.7"), "203.0.113.7");
  EXPECT_EQ(client_key("::ffff:203.0.113.7"), "203.0.113.7");
  EXPECT_EQ(client_key("2001:db8:1:2:3:4:5:6"), "2001:db8:1:2::/64");
  EXPECT_EQ(client_key("2001:db8:1:2:ffff::1"), "2001:db8:1:2::/64");
  EXPECT_EQ(client_key("::1"), "::/64");
  EXPECT_EQ(client_key("not an address"), "not an address");
}

TEST(ConnectionTable, CapsConnectionsGloballyAndPerClient) {
  ConnectionTable t(derive_connection_limits(0, 4, 2));
  EXPECT_EQ(t.admit("a"), ConnectionTable::Admit::kOk);
  EXPECT_EQ(t.admit("a"), ConnectionTable::Admit::kOk);
  EXPECT_EQ(t.admit("a"), ConnectionTable::Admit::kTooManyFromClient);
  EXPECT_EQ(t.admit("b"), ConnectionTable::Admit::kOk);
  EXPECT_EQ(t.admit("c"), ConnectionTable::Admit::kOk);
  EXPECT_EQ(t.admit("d"), ConnectionTable::Admit::kTooManyConnections);
  EXPECT_EQ(t.connections(), 4u);
  t.release("a");
  EXPECT_EQ(t.admit("d"), ConnectionTable::Admit::kOk);
  t.release("unknown");  // harmless
  EXPECT_EQ(t.connections(), 4u);
}

TEST(ConnectionTable, StreamsGetHalfOfEachCap) {
  ConnectionTable t(derive_connection_limits(0, 8, 4));  // streams: 4 in all, 2 per client
  for (std::string_view key : {"a", "a", "b", "b", "c"}) {
    ASSERT_EQ(t.admit(std::string(key)), ConnectionTable::Admit::kOk);
  }
  EXPECT_TRUE(t.begin_stream("a"));
  EXPECT_TRUE(t.begin_stream("a"));
  EXPECT_FALSE(t.begin_stream("a"));
  EXPECT_TRUE(t.begin_stream("b"));
  EXPECT_TRUE(t.begin_stream("b"));
  EXPECT_FALSE(t.begin_stream("c"));  // 4 streams open
  EXPECT_EQ(t.streams(), 4u);
  t.end_stream("a");
  EXPECT_TRUE(t.begin_stream("c"));
  // Ordinary requests still get in while the streams are full.
  EXPECT_EQ(t.admit("d"), ConnectionTable::Admit::kOk);
}

}  // namespace
}  // namespace mu
