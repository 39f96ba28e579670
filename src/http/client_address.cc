#include "http/client_address.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>
#include <optional>

namespace mu {
namespace {

// Parses an IPv4 or IPv6 address (IPv6 may be in brackets) into the 16-byte form, IPv4 as
// ::ffff:a.b.c.d. nullopt when it is neither.
std::optional<std::array<uint8_t, 16>> parse_address(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') {
    text = text.substr(1, text.size() - 2);
  }
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  char buf[INET6_ADDRSTRLEN];
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  std::array<uint8_t, 16> out{};
  in_addr v4{};
  if (inet_pton(AF_INET, buf, &v4) == 1) {
    out[10] = 0xff;
    out[11] = 0xff;
    std::memcpy(out.data() + 12, &v4, 4);
    return out;
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, buf, &v6) == 1) {
    std::memcpy(out.data(), &v6, 16);
    return out;
  }
  return std::nullopt;
}

bool is_v4_mapped(const std::array<uint8_t, 16>& a) {
  for (int i = 0; i < 10; ++i) {
    if (a[i] != 0) return false;
  }
  return a[10] == 0xff && a[11] == 0xff;
}

std::string format_address(const std::array<uint8_t, 16>& a) {
  char buf[INET6_ADDRSTRLEN];
  if (is_v4_mapped(a)) {
    inet_ntop(AF_INET, a.data() + 12, buf, sizeof buf);
  } else {
    inet_ntop(AF_INET6, a.data(), buf, sizeof buf);
  }
  return buf;
}

bool in_range(const std::array<uint8_t, 16>& a, const std::array<uint8_t, 16>& net, int prefix) {
  int bits = prefix;
  for (int i = 0; i < 16 && bits > 0; ++i, bits -= 8) {
    const uint8_t mask = bits >= 8 ? 0xff : static_cast<uint8_t>(0xff << (8 - bits));
    if ((a[i] & mask) != (net[i] & mask)) return false;
  }
  return true;
}

}  // namespace

Result<ProxyTrust> ProxyTrust::parse(const std::vector<std::string>& cidrs) {
  ProxyTrust trust;
  for (const std::string& entry : cidrs) {
    const auto bad = [&] {
      return error(ErrorCode::kConfig,
                   "server.trusted_proxies: '" + entry + "' is not an address or address/prefix");
    };
    std::string_view text = entry;
    std::string_view prefix_text;
    if (const auto slash = text.find('/'); slash != std::string_view::npos) {
      prefix_text = text.substr(slash + 1);
      text = text.substr(0, slash);
    }
    const auto net = parse_address(text);
    if (!net) return bad();
    const bool v4 = text.find(':') == std::string_view::npos;
    int prefix = v4 ? 32 : 128;
    if (!prefix_text.empty() || entry.find('/') != std::string::npos) {
      const auto [end, ec] =
          std::from_chars(prefix_text.data(), prefix_text.data() + prefix_text.size(), prefix);
      if (ec != std::errc() || end != prefix_text.data() + prefix_text.size() || prefix < 0 ||
          prefix > (v4 ? 32 : 128)) {
        return bad();
      }
    }
    trust.ranges_.push_back(Range{*net, v4 ? prefix + 96 : prefix});
  }
  return trust;
}

bool ProxyTrust::trusted(std::string_view address) const {
  if (ranges_.empty()) return false;
  const auto a = parse_address(address);
  if (!a) return false;
  for (const Range& r : ranges_) {
    if (in_range(*a, r.net, r.prefix)) return true;
  }
  return false;
}

std::string ProxyTrust::client_address(std::string_view peer,
                                       std::string_view forwarded_for) const {
  std::string client(peer);
  if (ranges_.empty() || forwarded_for.empty() || !trusted(peer)) return client;
  // Right to left: each hop was added by the proxy to its right, which we trust so far.
  std::string_view rest = forwarded_for;
  while (!rest.empty()) {
    const auto comma = rest.rfind(',');
    const std::string_view hop = comma == std::string_view::npos ? rest : rest.substr(comma + 1);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(0, comma);
    const auto parsed = parse_address(hop);
    if (!parsed) break;  // garbage: keep the last address a trusted proxy vouched for
    client = format_address(*parsed);
    if (!trusted(client)) break;
  }
  return client;
}

std::string client_bucket(std::string_view address) {
  // The server's peer addresses are canonical: IPv4 needs no parsing (the hot path).
  if (address.find(':') == std::string_view::npos) return std::string(address);
  const auto a = parse_address(address);
  if (!a) return std::string(address);
  if (is_v4_mapped(*a)) return format_address(*a);
  std::array<uint8_t, 16> net{};
  std::memcpy(net.data(), a->data(), 8);
  return format_address(net) + "/64";
}

}  // namespace mu
