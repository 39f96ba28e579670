// The rules the Server applies to what strangers send it, kept apart from the networking so
// they can be tested alone: request framing (which Transfer-Encoding, Content-Length and
// Host combinations are accepted) and connection caps (how many connections the process
// can hold given its file descriptor limit, and the bookkeeping that enforces them).
//
// Thread-safety: the free functions are pure. ConnectionTable is safe for concurrent use
// (one mutex; every call is O(1)).
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace mu {

// What the header block of a request says about its framing.
struct RequestFraming {
  int version = 11;                                   // 10 or 11
  std::optional<std::string_view> transfer_encoding;  // every Transfer-Encoding field, joined
  bool content_length = false;                        // a Content-Length field is present
  int host_fields = 0;                                // how many Host fields
};

// Why a request must be refused with 400 (and its connection closed), or nullopt when its
// framing is sound. Refused: a Transfer-Encoding other than exactly "chunked" (any case),
// Transfer-Encoding together with Content-Length, Transfer-Encoding on HTTP/1.0, and an
// HTTP/1.1 request without exactly one Host field. A lenient reading of any of these is how
// a request is smuggled past a proxy that reads the same bytes differently.
std::optional<std::string> request_framing_error(const RequestFraming& framing);

// True when `text` has a line feed that is not preceded by a carriage return. HTTP/1.1
// lines (request line, header fields, chunk-size lines, trailer fields) end with CRLF.
bool has_bare_line_feed(std::string_view text);

// The caps the server enforces on connections.
struct ConnectionLimits {
  std::size_t max_connections = 0;         // open client connections, all peers together
  std::size_t max_connections_per_ip = 0;  // from one address (IPv6: one /64)
  std::size_t max_streams = 0;             // event streams, all peers together
  std::size_t max_streams_per_ip = 0;      // event streams from one address
};

// Descriptors left to everything that is not a client connection (database files, the
// outbound fetches, logs, static files): clamp(fd_limit / 8, 64, 1024).
std::size_t reserved_descriptors(uint64_t fd_limit);

// The most connections a derived cap allows (what LimitNOFILE=65536 gives). Container
// runtimes often grant a million descriptors, which memory could not back: beyond this the
// operator sets max_connections explicitly.
inline constexpr std::size_t kMaxDerivedConnections = 64'512;

// The caps for a process allowed `fd_limit` open descriptors. A 0 in `max_connections` or
// `max_connections_per_ip` means "derive": fd_limit minus reserved_descriptors() (half the
// limit when that leaves less than half; at most kMaxDerivedConnections), and a quarter of
// that per address. An explicit
// per-address cap is clamped to the global one. Event streams get at most half of each,
// so that streams alone never take the slots that ordinary requests need. Every cap is at
// least 1.
ConnectionLimits derive_connection_limits(uint64_t fd_limit, std::size_t max_connections,
                                          std::size_t max_connections_per_ip);

// The soft RLIMIT_NOFILE of this process (a large number when unlimited).
uint64_t descriptor_limit();

// The key connections from `address` are counted under: the address itself for IPv4 (an
// IPv4-mapped IPv6 address counts as its IPv4 address), the /64 prefix for IPv6 (one host
// usually holds a whole /64). `address` is the text form; unparsable text is its own key.
std::string client_key(std::string_view address);

// Counts open connections and event streams per client key against ConnectionLimits.
class ConnectionTable {
 public:
  explicit ConnectionTable(ConnectionLimits limits) : limits_(limits) {}
  ConnectionTable(const ConnectionTable&) = delete;
  ConnectionTable& operator=(const ConnectionTable&) = delete;

  enum class Admit { kOk, kTooManyConnections, kTooManyFromClient };
  // A new connection from `key`. Counted when kOk; the caller must then call
  // release(key) exactly once when it closes.
  Admit admit(const std::string& key);
  void release(const std::string& key);

  // A connection of `key` starts an event stream. Counted when true; the caller must then
  // call end_stream(key) exactly once when the stream ends.
  bool begin_stream(const std::string& key);
  void end_stream(const std::string& key);

  const ConnectionLimits& limits() const { return limits_; }
  std::size_t connections() const;
  std::size_t streams() const;

 private:
  struct PerClient {
    std::size_t connections = 0;
    std::size_t streams = 0;
  };
  const ConnectionLimits limits_;
  mutable std::mutex mu_;
  std::size_t connections_ = 0;
  std::size_t streams_ = 0;
  std::unordered_map<std::string, PerClient> clients_;
};

}  // namespace mu
