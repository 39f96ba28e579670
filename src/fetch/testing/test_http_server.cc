#include "fetch/testing/test_http_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <utility>

namespace mu {
namespace {

constexpr std::size_t kMaxHeadBytes = std::size_t{64} << 10;
constexpr std::size_t kPieceBytes = std::size_t{64} << 10;

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "TestHttpServer: %s: %s\n", what, std::strerror(errno));
  std::abort();
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

bool icontains(std::string_view haystack, std::string_view needle) {
  if (needle.size() > haystack.size()) return false;
  for (std::size_t i = 0; i + needle.size() <= haystack.size(); ++i) {
    if (iequals(haystack.substr(i, needle.size()), needle)) return true;
  }
  return false;
}

const char* reason_phrase(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 204:
      return "No Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 303:
      return "See Other";
    case 304:
      return "Not Modified";
    case 307:
      return "Temporary Redirect";
    case 308:
      return "Permanent Redirect";
    case 400:
      return "Bad Request";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 412:
      return "Precondition Failed";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    default:
      return "Status";
  }
}

// Parses "METHOD SP target SP HTTP/x.y" and the header lines of `head` (no final CRLFCRLF).
bool parse_head(std::string_view head, TestHttpRequest& req, std::string& version) {
  std::size_t eol = head.find("\r\n");
  std::string_view line = head.substr(0, eol);
  std::size_t sp1 = line.find(' ');
  std::size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp1 == std::string_view::npos || sp2 == std::string_view::npos || sp1 == 0) return false;
  req.method = std::string(line.substr(0, sp1));
  req.target = std::string(line.substr(sp1 + 1, sp2 - sp1 - 1));
  version = std::string(line.substr(sp2 + 1));
  if (req.target.empty() || version.rfind("HTTP/", 0) != 0) return false;
  std::size_t q = req.target.find('?');
  req.path = req.target.substr(0, q);
  if (q != std::string::npos) req.query = req.target.substr(q + 1);

  while (eol != std::string_view::npos) {
    std::size_t start = eol + 2;
    eol = head.find("\r\n", start);
    std::string_view h = head.substr(start, eol == std::string_view::npos ? eol : eol - start);
    if (h.empty()) continue;
    if ((h.front() == ' ' || h.front() == '\t') && !req.headers.empty()) {
      req.headers.back().second += ' ';
      req.headers.back().second += trim(h);
      continue;
    }
    std::size_t colon = h.find(':');
    if (colon == std::string_view::npos || colon == 0) return false;
    req.headers.emplace_back(std::string(h.substr(0, colon)),
                             std::string(trim(h.substr(colon + 1))));
  }
  return true;
}

}  // namespace

TestHttpResponse TestHttpResponse::text(int status, std::string body, std::string content_type) {
  TestHttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.headers.emplace_back("Content-Type", std::move(content_type));
  return r;
}

TestHttpResponse TestHttpResponse::redirect(std::string location, int status) {
  TestHttpResponse r;
  r.status = status;
  r.headers.emplace_back("Location", std::move(location));
  return r;
}

TestHttpResponse TestHttpResponse::never_answer() {
  TestHttpResponse r;
  r.hang = true;
  return r;
}

TestHttpServer::TestHttpServer() {
  int wake[2];
  if (::pipe2(wake, O_CLOEXEC) != 0) die("pipe2");
  wake_read_fd_ = wake[0];
  wake_write_fd_ = wake[1];

  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (listen_fd_ < 0) die("socket");
  int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(listen_fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) die("bind");
  if (::listen(listen_fd_, 128) != 0) die("listen");
  socklen_t len = sizeof addr;
  if (::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    die("getsockname");
  }
  port_ = ntohs(addr.sin_port);
  accept_thread_ = std::thread([this] { accept_loop(); });
}

TestHttpServer::~TestHttpServer() { stop(); }

void TestHttpServer::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  const char byte = 1;
  // The byte is never read, so the pipe stays readable and wakes every poll() from now on.
  while (::write(wake_write_fd_, &byte, 1) < 0 && errno == EINTR) {
  }
  if (accept_thread_.joinable()) accept_thread_.join();
  // The accept thread has exited, so no connection thread is added any more.
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(mu_);
    threads.swap(connection_threads_);
  }
  for (auto& t : threads) t.join();
  ::close(listen_fd_);
  ::close(wake_read_fd_);
  ::close(wake_write_fd_);
  listen_fd_ = wake_read_fd_ = wake_write_fd_ = -1;
}

void TestHttpServer::route(std::string path, TestHttpHandler handler) {
  std::lock_guard lock(mu_);
  routes_[std::move(path)] = std::move(handler);
}

std::string TestHttpServer::url(std::string_view path_and_query) const {
  std::string out = "http://127.0.0.1:" + std::to_string(port_);
  out += path_and_query;
  return out;
}

std::vector<TestHttpRequest> TestHttpServer::requests() const {
  std::lock_guard lock(mu_);
  return requests_;
}

std::vector<TestHttpRequest> TestHttpServer::requests_to(std::string_view path) const {
  std::lock_guard lock(mu_);
  std::vector<TestHttpRequest> out;
  for (const auto& r : requests_) {
    if (r.path == path) out.push_back(r);
  }
  return out;
}

int TestHttpServer::connections_accepted() const {
  std::lock_guard lock(mu_);
  return accepted_;
}

int TestHttpServer::max_concurrent_connections() const {
  std::lock_guard lock(mu_);
  return max_open_;
}

TestHttpHandler TestHttpServer::find_route(const std::string& path) const {
  std::lock_guard lock(mu_);
  auto it = routes_.find(path);
  return it == routes_.end() ? TestHttpHandler() : it->second;
}

void TestHttpServer::connection_closed() {
  std::lock_guard lock(mu_);
  --open_;
}

bool TestHttpServer::wait_ready(int fd, short events) const {
  pollfd fds[2] = {{fd, events, 0}, {wake_read_fd_, POLLIN, 0}};
  while (true) {
    int n = ::poll(fds, 2, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    if (fds[1].revents != 0) return false;
    if (fds[0].revents != 0) return true;
  }
}

void TestHttpServer::accept_loop() {
  while (wait_ready(listen_fd_, POLLIN)) {
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR || errno == ECONNABORTED) {
        continue;
      }
      return;
    }
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    std::lock_guard lock(mu_);
    if (stopping_) {
      ::close(fd);
      return;
    }
    const int id = ++accepted_;
    max_open_ = std::max(max_open_, ++open_);
    connection_threads_.emplace_back([this, fd, id] { serve_connection(fd, id); });
  }
}

bool TestHttpServer::send_all(int fd, std::string_view data) const {
  while (!data.empty()) {
    if (!wait_ready(fd, POLLOUT)) return false;
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) continue;
      return false;  // the client went away
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

bool TestHttpServer::send_response(int fd, const TestHttpRequest& request,
                                   const TestHttpResponse& response) {
  const int status = response.status;
  const bool no_body_status = (status >= 100 && status < 200) || status == 204 || status == 304;
  const bool send_body = !no_body_status && request.method != "HEAD";
  const std::size_t body_size =
      response.stream_bytes > 0 ? response.stream_bytes : response.body.size();
  std::string head = "HTTP/1.1 " + std::to_string(status) + " " + reason_phrase(status) + "\r\n";
  for (const auto& [k, v] : response.headers) {
    head += k;
    head += ": ";
    head += v;
    head += "\r\n";
  }
  if (!no_body_status) {
    if (response.chunked) {
      head += "Transfer-Encoding: chunked\r\n";
    } else {
      head += "Content-Length: " + std::to_string(body_size) + "\r\n";
    }
  }
  head += "\r\n";
  if (!send_body) return send_all(fd, head);
  if (!response.chunked && response.stream_bytes == 0) return send_all(fd, head + response.body);
  if (!send_all(fd, head)) return false;

  const std::string filler(response.stream_bytes > 0 ? kPieceBytes : 0, 'x');
  for (std::size_t off = 0; off < body_size; off += kPieceBytes) {
    const std::size_t n = std::min(kPieceBytes, body_size - off);
    std::string_view piece = response.stream_bytes > 0
                                 ? std::string_view(filler).substr(0, n)
                                 : std::string_view(response.body).substr(off, n);
    if (response.chunked) {
      char size_hex[32];
      int len = std::snprintf(size_hex, sizeof size_hex, "%zx\r\n", n);
      if (!send_all(fd, std::string_view(size_hex, static_cast<std::size_t>(len)))) return false;
      if (!send_all(fd, piece) || !send_all(fd, "\r\n")) return false;
    } else if (!send_all(fd, piece)) {
      return false;
    }
  }
  return !response.chunked || send_all(fd, "0\r\n\r\n");
}

void TestHttpServer::serve_connection(int fd, int connection_id) {
  std::string buf;
  // Appends whatever the client sent next; false on close, error or server stop.
  auto read_more = [&]() {
    char tmp[16384];
    while (wait_ready(fd, POLLIN)) {
      ssize_t n = ::recv(fd, tmp, sizeof tmp, MSG_DONTWAIT);
      if (n > 0) {
        buf.append(tmp, static_cast<std::size_t>(n));
        return true;
      }
      if (n == 0) return false;
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return false;
    }
    return false;
  };

  while (true) {
    std::size_t head_end;
    bool open = true;
    while ((head_end = buf.find("\r\n\r\n")) == std::string::npos) {
      if (buf.size() > kMaxHeadBytes || !read_more()) {
        open = false;
        break;
      }
    }
    if (!open) break;
    TestHttpRequest req;
    req.connection = connection_id;
    std::string version;
    const bool parsed = parse_head(std::string_view(buf).substr(0, head_end), req, version);
    buf.erase(0, head_end + 4);
    if (!parsed) {
      send_all(fd, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
      break;
    }
    if (!req.header("Transfer-Encoding").empty()) {
      send_all(fd,
               "HTTP/1.1 501 Not Implemented\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
      break;
    }
    std::size_t length = 0;
    if (std::string_view cl = req.header("Content-Length"); !cl.empty()) {
      auto [ptr, ec] = std::from_chars(cl.data(), cl.data() + cl.size(), length);
      if (ec != std::errc() || ptr != cl.data() + cl.size()) {
        send_all(fd, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        break;
      }
    }
    if (length > buf.size() && icontains(req.header("Expect"), "100-continue")) {
      if (!send_all(fd, "HTTP/1.1 100 Continue\r\n\r\n")) break;
    }
    while (buf.size() < length) {
      if (!read_more()) {
        open = false;
        break;
      }
    }
    if (!open) break;
    req.body = buf.substr(0, length);
    buf.erase(0, length);
    {
      std::lock_guard lock(mu_);
      requests_.push_back(req);
    }

    TestHttpHandler handler = find_route(req.path);
    TestHttpResponse resp = handler ? handler(req) : TestHttpResponse::text(404, "no route\n");
    if (resp.hang) {
      // Hold the connection, discarding input, until the client closes it or we stop.
      while (read_more()) buf.clear();
      break;
    }
    const bool close_after = version == "HTTP/1.0" || iequals(req.header("Connection"), "close") ||
                             iequals(find_header(resp.headers, "Connection"), "close");
    if (!send_response(fd, req, resp) || close_after) break;
  }
  ::close(fd);
  connection_closed();
}

}  // namespace mu
