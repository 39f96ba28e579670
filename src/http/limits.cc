#include "http/limits.h"

#include <arpa/inet.h>
#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <cstring>

#include "http/util.h"

namespace mu {

std::optional<std::string> request_framing_error(const RequestFraming& framing) {
  if (framing.transfer_encoding) {
    if (framing.version < 11) return "Transfer-Encoding is not allowed in HTTP/1.0";
    if (!http_iequals(http_trim(*framing.transfer_encoding), "chunked")) {
      return "unsupported Transfer-Encoding (only \"chunked\" is accepted)";
    }
    if (framing.content_length) return "both Transfer-Encoding and Content-Length";
  }
  if (framing.version >= 11 && framing.host_fields != 1) {
    return framing.host_fields == 0 ? "missing Host header" : "more than one Host header";
  }
  return std::nullopt;
}

bool has_bare_line_feed(std::string_view text) {
  for (std::size_t at = text.find('\n'); at != std::string_view::npos;
       at = text.find('\n', at + 1)) {
    if (at == 0 || text[at - 1] != '\r') return true;
  }
  return false;
}

std::size_t reserved_descriptors(uint64_t fd_limit) {
  return static_cast<std::size_t>(std::clamp<uint64_t>(fd_limit / 8, 64, 1024));
}

ConnectionLimits derive_connection_limits(uint64_t fd_limit, std::size_t max_connections,
                                          std::size_t max_connections_per_ip) {
  ConnectionLimits out;
  if (max_connections == 0) {
    const uint64_t reserve = reserved_descriptors(fd_limit);
    const uint64_t derived = fd_limit >= 2 * reserve ? fd_limit - reserve : fd_limit / 2;
    out.max_connections =
        static_cast<std::size_t>(std::clamp<uint64_t>(derived, 1, kMaxDerivedConnections));
  } else {
    out.max_connections = max_connections;
  }
  out.max_connections_per_ip = max_connections_per_ip == 0
                                   ? std::max<std::size_t>(out.max_connections / 4, 1)
                                   : std::min(max_connections_per_ip, out.max_connections);
  out.max_streams = std::max<std::size_t>(out.max_connections / 2, 1);
  out.max_streams_per_ip = std::max<std::size_t>(out.max_connections_per_ip / 2, 1);
  return out;
}

uint64_t descriptor_limit() {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0) return 1024;  // the usual default
  if (rl.rlim_cur == RLIM_INFINITY) return uint64_t{1} << 20;
  return static_cast<uint64_t>(rl.rlim_cur);
}

std::string client_key(std::string_view address) {
  const std::string text(address);
  in_addr v4{};
  if (::inet_pton(AF_INET, text.c_str(), &v4) == 1) return text;
  in6_addr v6{};
  if (::inet_pton(AF_INET6, text.c_str(), &v6) != 1) return text;
  std::array<unsigned char, 16> bytes{};
  std::memcpy(bytes.data(), &v6, bytes.size());
  static constexpr std::array<unsigned char, 12> kMapped = {0, 0, 0, 0, 0,    0,
                                                            0, 0, 0, 0, 0xff, 0xff};
  char buf[INET6_ADDRSTRLEN] = {};
  if (std::equal(kMapped.begin(), kMapped.end(), bytes.begin())) {
    std::memcpy(&v4, bytes.data() + 12, 4);
    ::inet_ntop(AF_INET, &v4, buf, sizeof buf);
    return buf;
  }
  std::fill(bytes.begin() + 8, bytes.end(), 0);
  std::memcpy(&v6, bytes.data(), bytes.size());
  ::inet_ntop(AF_INET6, &v6, buf, sizeof buf);
  return std::string(buf) + "/64";
}

ConnectionTable::Admit ConnectionTable::admit(const std::string& key) {
  std::lock_guard lock(mu_);
  if (connections_ >= limits_.max_connections) return Admit::kTooManyConnections;
  PerClient& client = clients_[key];
  if (client.connections >= limits_.max_connections_per_ip) {
    if (client.connections == 0) clients_.erase(key);
    return Admit::kTooManyFromClient;
  }
  ++client.connections;
  ++connections_;
  return Admit::kOk;
}

void ConnectionTable::release(const std::string& key) {
  std::lock_guard lock(mu_);
  const auto it = clients_.find(key);
  if (it == clients_.end() || it->second.connections == 0) return;
  --connections_;
  if (--it->second.connections == 0 && it->second.streams == 0) clients_.erase(it);
}

bool ConnectionTable::begin_stream(const std::string& key) {
  std::lock_guard lock(mu_);
  if (streams_ >= limits_.max_streams) return false;
  PerClient& client = clients_[key];
  if (client.streams >= limits_.max_streams_per_ip) return false;
  ++client.streams;
  ++streams_;
  return true;
}

void ConnectionTable::end_stream(const std::string& key) {
  std::lock_guard lock(mu_);
  const auto it = clients_.find(key);
  if (it == clients_.end() || it->second.streams == 0) return;
  --streams_;
  if (--it->second.streams == 0 && it->second.connections == 0) clients_.erase(it);
}

std::size_t ConnectionTable::connections() const {
  std::lock_guard lock(mu_);
  return connections_;
}

std::size_t ConnectionTable::streams() const {
  std::lock_guard lock(mu_);
  return streams_;
}

}  // namespace mu
