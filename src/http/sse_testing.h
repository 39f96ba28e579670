// SseTestClient: a small blocking HTTP/1.1 client over a POSIX socket, for tests of
// Server-Sent Events against a real Server (http and api tests). It sends one request,
// parses the response head, then decodes the body (chunked, or delimited by the close for
// HTTP/1.0) into SSE blocks (the lines up to a blank line). Every read waits at most the
// given timeout, so that a broken server fails a test instead of hanging it (a safety net
// on a real socket, not a wait for time). Test-only; one thread per client.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mu::testing {

// One SSE block: its fields (a block may hold only a comment or a retry).
struct SseBlock {
  std::string id;
  std::string event;
  std::string data;  // data lines joined with '\n'
  std::vector<std::string> comments;
  std::optional<int> retry;
  std::string raw;  // the block's text, without the blank line that ends it
};

class SseTestClient {
 public:
  using Millis = std::chrono::milliseconds;
  static constexpr Millis kSafety{10'000};

  // Connects to 127.0.0.1:port. A positive `receive_buffer` sets SO_RCVBUF first (a small
  // one makes a client that does not read stall the server quickly).
  explicit SseTestClient(uint16_t port, int receive_buffer = 0) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd_ < 0) return;
    if (receive_buffer > 0) {
      ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
    }
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) close();
  }
  ~SseTestClient() { close(); }
  SseTestClient(const SseTestClient&) = delete;
  SseTestClient& operator=(const SseTestClient&) = delete;

  bool connected() const { return fd_ >= 0; }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  bool send_raw(std::string_view data) {
    while (!data.empty() && fd_ >= 0) {
      const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<std::size_t>(n));
    }
    return data.empty();
  }

  // Sends "<method> <target> HTTP/1.1" with Host and the given extra header lines
  // ("Origin: x\r\n"...), then reads the response head.
  bool request(std::string_view target, std::string_view extra_headers = {},
               std::string_view method = "GET", std::string_view version = "HTTP/1.1") {
    std::string req(method);
    req += ' ';
    req += target;
    req += ' ';
    req += version;
    req += "\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n";
    req += extra_headers;
    req += "\r\n";
    return send_raw(req) && read_head();
  }

  // Reads the status line and header fields.
  bool read_head(Millis timeout = kSafety) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::size_t end;
    while ((end = in_.find("\r\n\r\n")) == std::string::npos) {
      if (!read_more(deadline)) return false;
    }
    const std::string head = in_.substr(0, end + 2);
    in_.erase(0, end + 4);
    std::size_t line_end = head.find("\r\n");
    const std::string status_line = head.substr(0, line_end);
    if (status_line.size() < 12) return false;
    status_ = std::stoi(status_line.substr(9, 3));
    std::size_t pos = line_end + 2;
    while (pos < head.size()) {
      line_end = head.find("\r\n", pos);
      const std::string line = head.substr(pos, line_end - pos);
      pos = line_end + 2;
      const std::size_t colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::string value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      headers_.emplace_back(line.substr(0, colon), value);
    }
    chunked_ = lower(header("Transfer-Encoding")) == "chunked";
    const std::string length = header("Content-Length");
    if (!length.empty()) content_length_ = std::stoul(length);
    return true;
  }

  int status() const { return status_; }
  // The first header field called `name` (case-insensitive); "" when absent.
  std::string header(std::string_view name) const {
    for (const auto& [n, v] : headers_) {
      if (lower(n) == lower(name)) return v;
    }
    return {};
  }
  bool has_header(std::string_view name) const {
    return std::any_of(headers_.begin(), headers_.end(),
                       [&](const auto& f) { return lower(f.first) == lower(name); });
  }

  // The next SSE block of a streaming body; nullopt at the end of the body, on EOF, or
  // after `timeout`.
  std::optional<SseBlock> next_block(Millis timeout = kSafety) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
      decode();
      const std::size_t end = body_.find("\n\n");
      if (end != std::string::npos) {
        SseBlock block = parse_block(body_.substr(0, end));
        body_.erase(0, end + 2);
        return block;
      }
      if (ended_ || eof_) return std::nullopt;
      if (!read_more(deadline)) return std::nullopt;
    }
  }

  // The next block that is an event (skipping comments and retry-only blocks).
  std::optional<SseBlock> next_event(Millis timeout = kSafety) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (auto block = next_block(remaining(deadline))) {
      if (!block->event.empty() || !block->data.empty()) return block;
    }
    return std::nullopt;
  }

  // A non-streaming body: Content-Length bytes, or everything up to EOF.
  std::string read_body(Millis timeout = kSafety) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
      decode();
      if (content_length_ && body_.size() >= *content_length_) return body_;
      if (ended_ || eof_) return body_;
      if (!read_more(deadline)) return body_;
    }
  }

  // Reads until the server closes the connection; true when it did within `timeout`.
  bool wait_closed(Millis timeout = kSafety) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!eof_) {
      if (!read_more(deadline) && !eof_) return false;
    }
    decode();
    return true;
  }

  bool eof() const { return eof_; }
  // True once the terminating zero-size chunk arrived.
  bool ended() const { return ended_; }
  // Decoded body bytes not yet returned as a block.
  const std::string& pending() const { return body_; }

 private:
  static std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
  }

  static Millis remaining(std::chrono::steady_clock::time_point deadline) {
    return std::max(
        Millis(0), std::chrono::duration_cast<Millis>(deadline - std::chrono::steady_clock::now()));
  }

  bool read_more(std::chrono::steady_clock::time_point deadline) {
    if (fd_ < 0 || eof_) return false;
    pollfd p{fd_, POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(remaining(deadline).count()));
    if (ready <= 0) return false;
    char buf[16384];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) {
      eof_ = true;  // EOF, or a reset: the server is gone either way
      return false;
    }
    in_.append(buf, static_cast<std::size_t>(n));
    return true;
  }

  // Moves complete chunks (or, without chunking, every byte) from in_ to body_.
  void decode() {
    if (!chunked_) {
      body_ += in_;
      in_.clear();
      return;
    }
    while (!ended_) {
      const std::size_t line_end = in_.find("\r\n");
      if (line_end == std::string::npos) return;
      const std::size_t size = std::stoul(in_.substr(0, line_end), nullptr, 16);
      if (in_.size() < line_end + 2 + size + 2) return;
      body_.append(in_, line_end + 2, size);
      in_.erase(0, line_end + 2 + size + 2);
      if (size == 0) ended_ = true;
    }
  }

  static SseBlock parse_block(std::string text) {
    SseBlock block;
    block.raw = text;
    std::size_t pos = 0;
    bool has_data = false;
    while (pos <= text.size()) {
      std::size_t end = text.find('\n', pos);
      if (end == std::string::npos) end = text.size();
      const std::string line = text.substr(pos, end - pos);
      pos = end + 1;
      if (line.empty()) continue;
      if (line.front() == ':') {
        block.comments.push_back(line.substr(line.size() > 1 && line[1] == ' ' ? 2 : 1));
        continue;
      }
      const std::size_t colon = line.find(':');
      const std::string field = line.substr(0, colon);
      std::string value = colon == std::string::npos ? "" : line.substr(colon + 1);
      if (!value.empty() && value.front() == ' ') value.erase(0, 1);
      if (field == "id") {
        block.id = value;
      } else if (field == "event") {
        block.event = value;
      } else if (field == "data") {
        if (has_data) block.data += '\n';
        block.data += value;
        has_data = true;
      } else if (field == "retry") {
        block.retry = std::stoi(value);
      }
    }
    return block;
  }

  int fd_ = -1;
  int status_ = 0;
  std::vector<std::pair<std::string, std::string>> headers_;
  bool chunked_ = false;
  std::optional<std::size_t> content_length_;
  std::string in_;    // raw bytes after the head
  std::string body_;  // decoded body not yet consumed
  bool ended_ = false;
  bool eof_ = false;
};

}  // namespace mu::testing
