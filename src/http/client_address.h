// ProxyTrust: who the client of a request is when Mu runs behind reverse proxies or load
// balancers. The peer of the TCP connection is the client unless it is one of the trusted
// proxies (`server.trusted_proxies`, CIDR ranges such as "10.0.0.0/8" or "::1/128"); then
// the client is the rightmost address of `X-Forwarded-For` that is not a trusted proxy
// itself (each proxy appends the address it got the request from, so the addresses to the
// left of the first untrusted one are whatever the client chose to send, and are ignored).
// A malformed entry stops the walk: the last address that was vouched for is the client.
// Without trusted proxies X-Forwarded-For is never read, so a forged header changes nothing.
//
// Also: client_bucket(), the key a per-client limit counts under — the address itself for
// IPv4, its /64 network for IPv6 (one host usually has a whole /64 to pick from).
//
// Immutable after parse(); safe for concurrent use.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace mu {

class ProxyTrust {
 public:
  // kConfig naming the bad entry for anything but "address" or "address/prefix".
  static Result<ProxyTrust> parse(const std::vector<std::string>& cidrs);

  bool empty() const { return ranges_.empty(); }
  bool trusted(std::string_view address) const;
  // The client's address for a connection from `peer` carrying `forwarded_for` (the
  // X-Forwarded-For field values joined by commas; "" when absent).
  std::string client_address(std::string_view peer, std::string_view forwarded_for) const;

 private:
  struct Range {
    std::array<uint8_t, 16> net{};  // IPv4 as ::ffff:a.b.c.d
    int prefix = 0;                 // in bits of the 16-byte form
  };
  std::vector<Range> ranges_;
};

// "203.0.113.7" -> "203.0.113.7"; "2001:db8:1:2:3:4:5:6" -> "2001:db8:1:2::/64"; an
// IPv4-mapped IPv6 address counts as its IPv4 address. Anything unparsable is returned as is.
std::string client_bucket(std::string_view address);

}  // namespace mu
