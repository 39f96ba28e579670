#include "http/server.h"

#include <strings.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <list>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

#include "http/client_address.h"
#include "http/event_stream.h"
#include "http/limits.h"
#include "http/static_files.h"
#include "http/util.h"

// GCC 12 (seen at -O1 with the sanitizers) flags the coroutine frames of Asio's awaitable
// as -Wmismatched-new-delete, although it allocates and frees them with a matching
// class-specific operator new/delete pair. This is a false positive, silenced for this
// file only.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace mu {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;

constexpr auto kTuple = net::as_tuple(net::use_awaitable);
constexpr std::size_t kReadChunk = 16u << 10;
// After an error answer (400/413/431) the rest of the request is read and discarded for a
// moment before closing, so the client sees the answer rather than a reset.
constexpr std::size_t kLingerMaxBytes = 1u << 20;
constexpr Millis kLingerTime{2'000};
// A connection over a cap gets a fixed 503 and is closed. Its request is read (and
// discarded) for at most kRefuseTime so that the client sees the answer rather than a
// reset; at most kMaxRefusing connections linger so at once, others are closed unanswered.
constexpr Millis kRefuseTime{1'000};
constexpr int kMaxRefusing = 32;
constexpr std::string_view kRefusal =
    "HTTP/1.1 503 Service Unavailable\r\nServer: mu\r\nContent-Type: application/json\r\n"
    "Retry-After: 5\r\nCache-Control: no-store\r\nConnection: close\r\nContent-Length: 76\r\n\r\n"
    R"({"error":{"code":"unavailable","message":"too many connections; try later"}})";
static_assert(kRefusal.size() - kRefusal.find("\r\n\r\n") - 4 == 76);

struct WorkerCounters {
  std::atomic<uint64_t> accepted{0};
  std::atomic<uint64_t> active{0};
  std::atomic<uint64_t> requests{0};
  std::array<std::atomic<uint64_t>, 6> by_class{};
  std::atomic<uint64_t> handler_exceptions{0};
  std::atomic<uint64_t> timeouts{0};
  std::atomic<uint64_t> streams{0};  // a gauge: event streams open now
  std::atomic<uint64_t> deferred_rejected{0};
  std::atomic<uint64_t> refused_connections{0};
  std::atomic<uint64_t> refused_streams{0};
};

// Per-route totals of one io thread (only that thread writes them).
struct RouteCell {
  std::array<std::array<std::atomic<uint64_t>, 6>, 8> responses{};
  metrics::Histogram latency{metrics::latency_buckets()};
};

void bump(std::atomic<uint64_t>& counter) { counter.fetch_add(1, std::memory_order_relaxed); }

struct Conn;

// What a streaming connection waits on: its timer is cancelled to wake the coroutine (a
// new frame, the client gone, stop()). Owned by the streaming coroutine; others hold weak
// or raw pointers and touch it only on the connection's io thread.
struct StreamWaiter {
  explicit StreamWaiter(const net::any_io_executor& ex) : timer(ex) {}
  net::steady_timer timer;
  bool peer_gone = false;
};

// The threads that run deferred responses (Response::deferred), off the io threads. A
// bounded queue: submit() refuses work beyond it. stop() lets the jobs that started finish
// and drops the queued ones (their connections are being closed).
class BlockingPool {
 public:
  void start(int threads, std::size_t queue_limit) {
    limit_ = queue_limit;
    for (int i = 0; i < threads; ++i) {
      threads_.emplace_back([this] {
        std::unique_lock lock(mu_);
        while (true) {
          cv_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
          if (stopping_) return;
          auto job = std::move(jobs_.front());
          jobs_.pop_front();
          ++running_;
          lock.unlock();
          job();
          job = nullptr;  // what it captured goes before the count does
          lock.lock();
          --running_;
        }
      });
    }
  }
  bool submit(std::function<void()> job) {
    {
      std::lock_guard lock(mu_);
      // Running jobs plus waiting ones: at most every thread busy and limit_ waiting.
      if (stopping_ || threads_.empty() || running_ + jobs_.size() >= threads_.size() + limit_) {
        return false;
      }
      jobs_.push_back(std::move(job));
    }
    cv_.notify_one();
    return true;
  }
  void stop() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
      jobs_.clear();
    }
    cv_.notify_all();
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  std::vector<std::thread> threads_;
  std::size_t limit_ = 0;
  std::size_t running_ = 0;
  bool stopping_ = false;
};

// A deferred response being computed on the pool: the result, and the timer the waiting
// coroutine sleeps on (cancelled, on the connection's io thread, when the result is in or
// the server stops).
struct DeferredWait {
  explicit DeferredWait(const net::any_io_executor& ex) : timer(ex) {}
  std::mutex mu;
  std::optional<Response> result;  // guarded by mu
  net::steady_timer timer;
};

// One io thread with its own io_context. Everything in here except the counters is touched
// only from that thread.
struct Worker {
  std::list<Conn*> conns;
  bool stopping = false;
  bool destroying = false;
  int64_t date_second = -1;
  std::string date;
  WorkerCounters counters;
  std::unique_ptr<RouteCell[]> routes;  // router patterns, then static files, unmatched
  net::io_context ctx{1};
  std::optional<net::executor_work_guard<net::io_context::executor_type>> guard;
  std::optional<net::steady_timer> drain_timer;  // stop(): cuts connections still open
  std::thread thread;

  // Connection coroutine frames still queued when the io_context goes away are destroyed
  // by its destructor; they must then leave drain_timer alone.
  ~Worker() { destroying = true; }
};

// One connection. Shared by its serving coroutine and its watchdog.
struct Conn {
  Conn(tcp::socket s, Worker& w) : socket(std::move(s)), timer(socket.get_executor()), worker(w) {}

  tcp::socket socket;
  net::steady_timer timer;  // the watchdog's
  Worker& worker;
  MonoTime deadline{};
  MonoTime armed_until = MonoTime::max();  // when the watchdog will next look
  bool idle = true;                        // waiting for the first byte of a request
  MonoTime idle_since{};                   // when it last became idle
  bool reading = false;                    // receiving a request (a timeout answers 408)
  bool timed_out = false;                  // the watchdog cut the request being read
  bool done = false;
  std::string client;                // the ConnectionTable key of the peer
  StreamWaiter* stream = nullptr;    // set while the connection streams events
  DeferredWait* deferred = nullptr;  // set while a deferred response is computed

  void close() {
    beast::error_code ignored;
    socket.shutdown(tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
  }
};

// Registers a connection with its worker for the lifetime of the serving coroutine.
class Registration {
 public:
  Registration(Worker& w, Conn* c, ConnectionTable& table)
      : w_(w), table_(table), client_(c->client), it_(w.conns.insert(w.conns.end(), c)) {
    bump(w_.counters.active);
  }
  ~Registration() {
    table_.release(client_);
    w_.conns.erase(it_);
    w_.counters.active.fetch_sub(1, std::memory_order_relaxed);
    if (w_.stopping && w_.conns.empty() && !w_.destroying && w_.drain_timer) {
      try {
        w_.drain_timer->cancel();
      } catch (...) {
        // The drain timer then fires with no connections left; harmless.
      }
    }
  }
  Registration(const Registration&) = delete;
  Registration& operator=(const Registration&) = delete;

 private:
  Worker& w_;
  ConnectionTable& table_;
  const std::string client_;
  std::list<Conn*>::iterator it_;
};

HttpMethod method_of(bhttp::verb v) {
  switch (v) {
    case bhttp::verb::get:
      return HttpMethod::kGet;
    case bhttp::verb::head:
      return HttpMethod::kHead;
    case bhttp::verb::post:
      return HttpMethod::kPost;
    case bhttp::verb::put:
      return HttpMethod::kPut;
    case bhttp::verb::patch:
      return HttpMethod::kPatch;
    case bhttp::verb::delete_:
      return HttpMethod::kDelete;
    case bhttp::verb::options:
      return HttpMethod::kOptions;
    default:
      return HttpMethod::kOther;
  }
}

// Why the header block of `msg` frames its request unsafely (see request_framing_error).
std::optional<std::string> framing_error(const bhttp::request<bhttp::string_body>& msg) {
  RequestFraming framing;
  framing.version = static_cast<int>(msg.version());
  std::string transfer_encoding;
  bool has_transfer_encoding = false;
  for (const auto& field : msg) {
    switch (field.name()) {
      case bhttp::field::transfer_encoding:
        if (has_transfer_encoding) transfer_encoding += ", ";
        transfer_encoding += field.value();
        has_transfer_encoding = true;
        break;
      case bhttp::field::content_length:
        framing.content_length = true;
        break;
      case bhttp::field::host:
        ++framing.host_fields;
        break;
      default:
        break;
    }
  }
  if (has_transfer_encoding) framing.transfer_encoding = transfer_encoding;
  return request_framing_error(framing);
}

// Clears what one request leaves in the reused Request (the peer address stays).
void reset_request(Request& req) {
  req.method = HttpMethod::kGet;
  req.method_token = "GET";
  req.version = 11;
  req.target = "/";
  req.raw_path = "/";
  req.path = "/";
  req.query_string.clear();
  req.query_params.clear();
  req.path_params.clear();
  req.headers.clear();
  req.body.clear();
  req.client_address.clear();
  req.route = -1;
}

// Every X-Forwarded-For field of a request, joined with commas (repeated fields are one list).
std::string forwarded_for(const HeaderMap& headers) {
  std::string out;
  for (const auto& [name, value] : headers) {
    if (name.size() == 15 && strncasecmp(name.c_str(), "x-forwarded-for", 15) == 0) {
      if (!out.empty()) out += ',';
      out += value;
    }
  }
  return out;
}

// finish_response() framed the (empty) body of a streaming response with Content-Length. A
// stream is framed by chunked coding (HTTP/1.1) or by closing the connection (HTTP/1.0).
void make_streaming_head(std::string& head, bool chunked) {
  static constexpr std::string_view kField = "\r\nContent-Length: ";
  const std::size_t at = head.find(kField);
  if (at == std::string::npos) return;
  const std::size_t end = head.find("\r\n", at + kField.size());
  if (end == std::string::npos) return;
  head.replace(at + 2, end - at, chunked ? "Transfer-Encoding: chunked\r\n" : "");
}

// One chunk of chunked transfer coding: hex size, CRLF, data, CRLF.
void append_chunk(std::string& out, std::string_view data) {
  char size[24];
  const auto res = std::to_chars(size, size + sizeof size, data.size(), 16);
  out.append(size, res.ptr);
  out += "\r\n";
  out += data;
  out += "\r\n";
}

// A streaming client sends nothing after its request, so a read that completes with an
// error (EOF, reset) means it went away: wake the stream so that it ends now rather than at
// its next write. Anything the client does send is discarded.
net::awaitable<void> watch_peer(std::shared_ptr<Conn> c, std::weak_ptr<StreamWaiter> waiter) {
  std::array<char, 512> sink;
  while (true) {
    auto [ec, n] = co_await c->socket.async_read_some(net::buffer(sink), kTuple);
    if (ec) break;
  }
  if (auto w = waiter.lock()) {
    w->peer_gone = true;
    w->timer.cancel();
  }
}

struct ListenAddress {
  bool any = false;  // ":8080": every interface
  net::ip::address address;
  uint16_t port = 0;
};

Result<ListenAddress> parse_listen(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return error(ErrorCode::kConfig,
                 "listen address '" + std::string(text) + "': " + std::string(why));
  };
  std::string_view host;
  std::string_view port;
  if (text.starts_with("[")) {
    const std::size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return bad("expected [address]:port");
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const std::size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return bad("expected host:port");
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) return bad("put IPv6 addresses in brackets");
  }
  ListenAddress out;
  const auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), out.port);
  if (port.empty() || ec != std::errc() || ptr != port.data() + port.size()) {
    return bad("bad port");
  }
  if (host.empty()) {
    out.any = true;
    return out;
  }
  if (host == "localhost") host = "127.0.0.1";
  beast::error_code aec;
  out.address = net::ip::make_address(std::string(host), aec);
  if (aec) return bad("not an IP address");
  return out;
}

}  // namespace

struct Server::Impl {
  Options options;
  Router router;
  SystemClock system_clock;
  const Clock* clock;
  std::unique_ptr<StaticFiles> static_files;
  ProxyTrust proxies;  // options.trusted_proxies, parsed by start()

  std::mutex lifecycle_mu;
  bool started = false;
  bool stopped = false;
  std::atomic<uint16_t> bound_port{0};
  // Set by stop() before it posts anything, so that a response finishing on a thread that
  // has not yet run its stop task still goes out with Connection: close.
  std::atomic<bool> stop_requested{false};
  // How many entries of `workers` counters() may read. Set once start() has built them,
  // so counters() needs no lock (a metrics handler may call it while stop() waits).
  std::atomic<std::size_t> live_workers{0};
  // Open connections and event streams per client, against the caps (built by start()).
  std::unique_ptr<ConnectionTable> table;
  std::atomic<int> refusing{0};    // refused connections still being answered
  std::atomic<int> reclaiming{0};  // workers still running a reclaim_idle() pass

  BlockingPool pool;  // deferred responses; stopped after the io threads

  // Declared last, destroyed first: the acceptor before the io_contexts it runs on.
  std::vector<std::unique_ptr<Worker>> workers;
  std::optional<tcp::acceptor> acceptor;

  Impl(Options o, Router r)
      : options(std::move(o)),
        router(std::move(r)),
        clock(options.clock != nullptr ? options.clock : &system_clock) {}

  ~Impl() {
    try {
      stop();
    } catch (...) {
      // Only std::system_error from locking or joining; nothing left to do about it.
    }
    live_workers.store(0);
    acceptor.reset();
    workers.clear();
  }

  Status start();
  void stop();
  Status bind(const ListenAddress& listen);
  net::awaitable<void> accept_loop();
  net::awaitable<void> refuse(tcp::socket socket);
  void reclaim_idle();
  net::awaitable<void> serve(std::shared_ptr<Conn> c);
  net::awaitable<void> watchdog(std::shared_ptr<Conn> c);
  net::awaitable<void> stream_events(std::shared_ptr<Conn> c, std::shared_ptr<EventStream> events,
                                     bool chunked);
  Response dispatch(Request& req, Worker& w, Admission& admission);
  // Runs a deferred response's work on the pool and waits for it without blocking the io
  // thread. 503 when the pool's queue is full or the server stops meanwhile.
  net::awaitable<Response> run_deferred(std::shared_ptr<Conn> c, std::function<Response()> work);

  // Moves the connection's deadline; wakes the watchdog when it is sleeping past it.
  void set_deadline(Conn& c, Millis timeout) {
    c.deadline = clock->mono() + timeout;
    if (c.deadline < c.armed_until) c.timer.cancel();
  }

  std::string_view date(Worker& w) {
    const int64_t second = clock->now_ms() / 1000;
    if (second != w.date_second) {
      w.date = http_date(second);
      w.date_second = second;
    }
    return w.date;
  }
};

Status Server::Impl::bind(const ListenAddress& listen) {
  beast::error_code ec;
  tcp::endpoint endpoint(listen.address, listen.port);
  if (listen.any) {
    // Dual-stack "::" when the host has IPv6, plain IPv4 otherwise.
    endpoint = tcp::endpoint(tcp::v6(), listen.port);
    acceptor->open(tcp::v6(), ec);
    if (!ec) acceptor->set_option(net::ip::v6_only(false), ec);
    if (ec) {
      beast::error_code ignored;
      acceptor->close(ignored);
      endpoint = tcp::endpoint(tcp::v4(), listen.port);
      ec = {};
    }
  }
  if (!acceptor->is_open()) acceptor->open(endpoint.protocol(), ec);
  if (!ec) acceptor->set_option(net::socket_base::reuse_address(true), ec);
  const std::string where = "listen " + options.listen;
  if (ec) return error(ErrorCode::kUnavailable, where + ": " + ec.message());
  acceptor->bind(endpoint, ec);
  if (ec == net::error::address_in_use) {
    return error(ErrorCode::kUnavailable, where + ": address already in use");
  }
  if (ec) return error(ErrorCode::kUnavailable, where + ": " + ec.message());
  acceptor->listen(net::socket_base::max_listen_connections, ec);
  if (ec) return error(ErrorCode::kUnavailable, where + ": " + ec.message());
  const tcp::endpoint local = acceptor->local_endpoint(ec);
  if (ec) return error(ErrorCode::kUnavailable, where + ": " + ec.message());
  bound_port.store(local.port());
  return ok_status();
}

Status Server::Impl::start() {
  std::lock_guard lock(lifecycle_mu);
  if (started || stopped) return error(ErrorCode::kInvalid, "server already started");
  MU_RETURN_IF_ERROR(router.status());
  if (options.threads < 1) return error(ErrorCode::kConfig, "server threads must be >= 1");
  MU_ASSIGN_OR_RETURN(const ListenAddress listen, parse_listen(options.listen));
  MU_ASSIGN_OR_RETURN(proxies, ProxyTrust::parse(options.trusted_proxies));
  if (!options.static_dir.empty() && !static_files) {
    StaticFilesOptions so;
    so.root = options.static_dir;
    so.gzip_min_size = options.middleware.gzip_min_size;
    so.index_page = options.index_page;
    MU_ASSIGN_OR_RETURN(static_files, StaticFiles::create(std::move(so)));
  }

  table = std::make_unique<ConnectionTable>(derive_connection_limits(
      descriptor_limit(), options.max_connections, options.max_connections_per_ip));
  workers.clear();
  for (int i = 0; i < options.threads; ++i) {
    workers.push_back(std::make_unique<Worker>());
    workers.back()->routes = std::make_unique<RouteCell[]>(router.patterns().size() + 2);
  }
  acceptor.emplace(workers[0]->ctx);
  if (Status s = bind(listen); !s.ok()) {
    acceptor.reset();
    workers.clear();
    return s;
  }
  started = true;
  pool.start(std::max(1, options.blocking_threads), options.blocking_queue);
  live_workers.store(workers.size(), std::memory_order_release);
  net::co_spawn(workers[0]->ctx, accept_loop(), net::detached);
  for (auto& wp : workers) {
    Worker& w = *wp;
    w.guard.emplace(net::make_work_guard(w.ctx));
    w.thread = std::thread([&w] {
      while (true) {
        try {
          w.ctx.run();
          return;
        } catch (...) {
          // Handlers catch their own exceptions; keep the thread serving regardless.
        }
      }
    });
  }
  return ok_status();
}

void Server::Impl::stop() {
  std::lock_guard lock(lifecycle_mu);
  if (!started || stopped) return;
  stopped = true;
  stop_requested.store(true, std::memory_order_relaxed);
  net::post(workers[0]->ctx, [this] {
    beast::error_code ignored;
    acceptor->close(ignored);
  });
  for (auto& wp : workers) {
    Worker& w = *wp;
    net::post(w.ctx, [this, &w] {
      w.stopping = true;
      for (Conn* c : w.conns) {
        // In-flight requests finish; idle connections and event streams go now.
        if (c->idle || c->stream != nullptr) c->close();
        if (c->stream != nullptr) c->stream->timer.cancel();
      }
      if (w.conns.empty()) return;
      w.drain_timer.emplace(w.ctx);
      w.drain_timer->expires_after(options.shutdown_timeout);
      w.drain_timer->async_wait([&w](beast::error_code ec) {
        if (ec) return;
        for (Conn* c : w.conns) {
          c->close();
          if (c->deferred != nullptr) c->deferred->timer.cancel();
        }
      });
    });
    w.guard.reset();
  }
  for (auto& wp : workers) {
    if (wp->thread.joinable()) wp->thread.join();
  }
  pool.stop();
}

net::awaitable<void> Server::Impl::accept_loop() {
  std::size_t next = 0;
  while (true) {
    Worker& w = *workers[next++ % workers.size()];
    auto [ec, socket] = co_await acceptor->async_accept(w.ctx, kTuple);
    if (ec) {
      if (ec == net::error::operation_aborted || !acceptor->is_open()) co_return;
      // Out of file descriptors and the like: back off instead of spinning.
      net::steady_timer pause(co_await net::this_coro::executor);
      pause.expires_after(std::chrono::milliseconds(50));
      co_await pause.async_wait(kTuple);
      continue;
    }
    beast::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    bump(w.counters.accepted);
    std::string client;
    {
      beast::error_code ec;
      const tcp::endpoint peer = socket.remote_endpoint(ec);
      client = ec ? std::string() : client_key(peer.address().to_string());
    }
    const ConnectionTable::Admit admit = table->admit(client);
    if (admit != ConnectionTable::Admit::kOk) {
      bump(w.counters.refused_connections);
      if (admit == ConnectionTable::Admit::kTooManyConnections) reclaim_idle();
      if (refusing.load(std::memory_order_relaxed) >= kMaxRefusing) {
        socket.close(ignored);
        continue;
      }
      refusing.fetch_add(1, std::memory_order_relaxed);
      net::co_spawn(w.ctx, refuse(std::move(socket)), net::detached);
      continue;
    }
    auto conn = std::make_shared<Conn>(std::move(socket), w);
    conn->client = std::move(client);
    net::co_spawn(w.ctx, serve(std::move(conn)), net::detached);
  }
}

// Every slot is taken: idle keep-alive connections (no request in progress, including new
// ones that have not sent a byte) are the cheapest to give back, and an HTTP client retries
// on a closed idle connection. Each worker closes its oldest idle ones, a sixteenth of the
// cap in all, so that the next connections get in. One pass at a time.
void Server::Impl::reclaim_idle() {
  int expected = 0;
  if (!reclaiming.compare_exchange_strong(expected, static_cast<int>(workers.size()))) return;
  const std::size_t per_worker =
      std::max<std::size_t>(1, table->limits().max_connections / 16 / workers.size());
  for (auto& wp : workers) {
    Worker& w = *wp;
    net::post(w.ctx, [this, &w, per_worker] {
      std::vector<Conn*> idle;
      for (Conn* c : w.conns) {
        if (c->idle && c->stream == nullptr && !c->done) idle.push_back(c);
      }
      const std::size_t n = std::min(per_worker, idle.size());
      std::partial_sort(idle.begin(), idle.begin() + static_cast<std::ptrdiff_t>(n), idle.end(),
                        [](const Conn* a, const Conn* b) { return a->idle_since < b->idle_since; });
      for (std::size_t i = 0; i < n; ++i) idle[i]->close();
      reclaiming.fetch_sub(1, std::memory_order_relaxed);
    });
  }
}

net::awaitable<void> Server::Impl::refuse(tcp::socket s) {
  struct Done {
    std::atomic<int>& refusing;
    ~Done() { refusing.fetch_sub(1, std::memory_order_relaxed); }
  } done{refusing};
  // Shared with the timer's handler, which may run after this coroutine has ended.
  auto socket = std::make_shared<tcp::socket>(std::move(s));
  net::steady_timer timer(socket->get_executor());
  timer.expires_after(kRefuseTime);
  timer.async_wait([socket](beast::error_code ec) {
    if (ec) return;
    beast::error_code ignored;
    socket->close(ignored);  // ends the write or read below, whatever the client does
  });
  auto [wec, wn] =
      co_await net::async_write(*socket, net::buffer(kRefusal.data(), kRefusal.size()), kTuple);
  if (!wec) {
    beast::error_code ignored;
    socket->shutdown(tcp::socket::shutdown_send, ignored);
    std::array<char, 4096> sink;
    std::size_t drained = 0;
    while (drained < (64u << 10)) {
      auto [ec, n] = co_await socket->async_read_some(net::buffer(sink), kTuple);
      if (ec) break;
      drained += n;
    }
  }
  timer.cancel();
  beast::error_code ignored;
  socket->close(ignored);
}

net::awaitable<void> Server::Impl::watchdog(std::shared_ptr<Conn> c) {
  while (!c->done) {
    const MonoTime now = clock->mono();
    if (now >= c->deadline) {
      bump(c->worker.counters.timeouts);
      if (c->reading && !c->timed_out) {
        // A request is being received too slowly: stop the read, and give serve() a moment
        // to answer 408 before the connection is closed.
        c->timed_out = true;
        beast::error_code ignored;
        c->socket.cancel(ignored);
        c->deadline = now + kLingerTime;
        continue;
      }
      c->close();
      co_return;
    }
    c->armed_until = c->deadline;
    c->timer.expires_after(c->deadline - now);
    co_await c->timer.async_wait(kTuple);
  }
}

Response Server::Impl::dispatch(Request& req, Worker& w, Admission& admission) {
  try {
    if (auto preflight = cors_preflight(req, options.middleware)) return std::move(*preflight);
    if (options.admit) {
      admission = options.admit(req);
      if (admission.refuse) return std::move(*admission.refuse);
    }
    if (auto routed = router.try_handle(req)) return std::move(*routed);
    if (static_files) {
      if (auto file = static_files->serve(req)) {
        req.route = static_cast<int>(router.patterns().size());  // "static"
        return std::move(*file);
      }
    }
    return json_error(404, "not-found", "no route for " + req.path);
  } catch (...) {
    bump(w.counters.handler_exceptions);
    return json_error(500, "internal", "internal error");
  }
}

net::awaitable<void> Server::Impl::serve(std::shared_ptr<Conn> c) {
  Worker& w = c->worker;
  Registration registration(w, c.get(), *table);
  if (w.stopping) co_return;

  Request req;
  {
    beast::error_code ec;
    const tcp::endpoint peer = c->socket.remote_endpoint(ec);
    if (!ec) req.remote_address = peer.address().to_string();
  }
  // A new connection gets no longer than a request's header block to start its first one.
  c->idle_since = clock->mono();
  set_deadline(*c, std::min(options.idle_timeout, options.header_timeout));
  net::co_spawn(c->socket.get_executor(), watchdog(c), net::detached);
  bool first = true;

  beast::flat_buffer buffer;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser;
  Response resp;
  std::string head;
  head.reserve(1024);
  bool linger = false;

  while (true) {
    // Wait (up to idle_timeout) for the first byte of the next request.
    if (buffer.size() == 0) {
      c->idle = true;
      c->idle_since = clock->mono();
      if (w.stopping || stop_requested.load(std::memory_order_relaxed)) break;
      if (!first) set_deadline(*c, options.idle_timeout);
      auto [ec, n] = co_await c->socket.async_read_some(buffer.prepare(kReadChunk), kTuple);
      if (ec) break;
      buffer.commit(n);
    }
    first = false;
    c->idle = false;
    // The header block must arrive within header_timeout, the whole request within
    // request_timeout; either expiring answers 408.
    const MonoTime request_start = clock->mono();
    c->reading = true;
    set_deadline(*c, std::min(options.header_timeout, options.request_timeout));

    // Read the whole request (up to request_timeout).
    parser.emplace();
    parser->eager(true);
    parser->header_limit(
        static_cast<std::uint32_t>(std::min<std::size_t>(options.header_limit, UINT32_MAX)));
    parser->body_limit(options.body_limit);
    int error_status = 0;
    std::string error_message;
    bool closed = false;
    bool header_checked = false;
    bool continue_sent = false;
    while (true) {
      if (buffer.size() > 0) {
        beast::error_code ec;
        const std::size_t used = parser->put(buffer.data(), ec);
        buffer.consume(used);
        if (ec && ec != bhttp::error::need_more) {
          error_status = ec == bhttp::error::header_limit ? 431
                         : ec == bhttp::error::body_limit ? 413
                                                          : 400;
          break;
        }
        if (parser->is_header_done() && !header_checked) {
          header_checked = true;
          if (auto why = framing_error(parser->get())) {
            error_status = 400;
            error_message = std::move(*why);
            break;
          }
          set_deadline(*c, options.request_timeout -
                               std::chrono::ceil<Millis>(clock->mono() - request_start));
        }
        if (parser->is_done()) break;
        if (!ec && used > 0 && buffer.size() > 0) continue;
        // What the parser left is an unfinished line: of the header block, a chunk-size line
        // or the trailer. Lines end with CRLF, and a chunk line or trailer is bounded.
        const std::string_view rest(static_cast<const char*>(buffer.data().data()), buffer.size());
        if (has_bare_line_feed(rest)) {
          error_status = 400;
          error_message = "line not ended by CRLF";
          break;
        }
        if (parser->is_header_done() && parser->chunked() &&
            buffer.size() > options.chunk_line_limit) {
          error_status = 400;
          error_message = "chunk-size line or trailer too long";
          break;
        }
      }
      if (!continue_sent && parser->is_header_done()) {
        continue_sent = true;
        const auto& msg = parser->get();
        if (msg.version() >= 11 && http_iequals(msg[bhttp::field::expect], "100-continue")) {
          static constexpr std::string_view k100 = "HTTP/1.1 100 Continue\r\n\r\n";
          auto [wec, wn] =
              co_await net::async_write(c->socket, net::buffer(k100.data(), k100.size()), kTuple);
          if (wec) {
            closed = true;
            break;
          }
        }
      }
      auto [ec, n] = co_await c->socket.async_read_some(buffer.prepare(kReadChunk), kTuple);
      if (ec && c->timed_out) {
        error_status = 408;
        break;
      }
      if (ec) {
        closed = true;
        break;
      }
      buffer.commit(n);
    }
    c->reading = false;
    if (closed) break;

    bool keep_alive = false;
    reset_request(req);
    const MonoTime arrived = clock->mono();
    if (error_status != 0) {
      linger = true;
      resp = error_status == 431   ? json_error(431, "too-large", "request header too large")
             : error_status == 413 ? json_error(413, "too-large", "request body too large")
             : error_status == 408
                 ? json_error(408, "timeout", "request not received in time")
                 : json_error(400, "invalid",
                              error_message.empty() ? "malformed request" : error_message);
    } else {
      auto& msg = parser->get();
      req.method = method_of(msg.method());
      req.method_token.assign(msg.method_string());
      req.version = static_cast<int>(msg.version());
      for (const auto& field : msg) req.headers.add(field.name_string(), field.value());
      req.body = std::move(msg.body());
      keep_alive = msg.keep_alive();
      const Status target = req.set_target(msg.target());
      if (!target.ok()) {
        keep_alive = false;
        resp = json_error(400, "invalid", target.message());
      } else if (http_unsafe_path(req.path)) {
        keep_alive = false;
        resp = json_error(400, "invalid", "path has a '.' or '..' segment");
      } else {
        if (!proxies.empty()) {
          req.client_address =
              proxies.client_address(req.remote_address, forwarded_for(req.headers));
        } else {
          req.client_address = req.remote_address;
        }
        Admission admission;
        resp = dispatch(req, w, admission);
        if (resp.deferred) resp = co_await run_deferred(c, std::move(resp.deferred));
        for (auto& [name, value] : admission.headers) resp.headers.set(name, value);
      }
    }
    if (w.stopping || stop_requested.load(std::memory_order_relaxed)) keep_alive = false;
    std::shared_ptr<EventStream> events = std::move(resp.stream);
    if (events && resp.status != 200) {
      events->close();  // only a 200 streams
      events.reset();
    }
    // Holds the connection's stream slot until the stream ends (and with it the connection),
    // however that happens.
    struct StreamSlot {
      ConnectionTable& table;
      const std::string& client;
      bool held = false;
      ~StreamSlot() {
        if (held) table.end_stream(client);
      }
    } stream_slot{*table, c->client};
    if (events && req.method != HttpMethod::kHead) {
      stream_slot.held = table->begin_stream(c->client);
      if (!stream_slot.held) {
        bump(w.counters.refused_streams);
        events->close();
        events.reset();
        resp = json_error(503, "unavailable", "too many event streams; try later");
        resp.set_header("Retry-After", "5");
        keep_alive = false;
      }
    }
    if (events) keep_alive = false;  // the connection ends with the stream

    const std::string_view body =
        finish_response(req, resp, options.middleware, date(w), keep_alive, head);
    const bool chunked = req.version >= 11;
    if (events) {
      make_streaming_head(head, chunked);
      if (options.stream_send_buffer > 0) {
        beast::error_code ignored;
        c->socket.set_option(net::socket_base::send_buffer_size(static_cast<int>(
                                 std::min<std::size_t>(options.stream_send_buffer, INT32_MAX))),
                             ignored);
      }
    }
    bump(w.counters.requests);
    bump(w.counters.by_class[std::clamp(resp.status / 100, 0, 5)]);
    set_deadline(*c, options.request_timeout);
    const std::array<net::const_buffer, 2> buffers = {net::buffer(head),
                                                      net::buffer(body.data(), body.size())};
    // Counted before the write: a client that has its response has been counted.
    {
      const std::size_t patterns = router.patterns().size();
      RouteCell& cell = w.routes[req.route >= 0 ? static_cast<std::size_t>(req.route)
                                                : patterns + 1];  // "unmatched"
      const auto method = std::min<std::size_t>(static_cast<std::size_t>(req.method), 7);
      bump(cell.responses[method][std::clamp(resp.status / 100, 0, 5)]);
      if (!events) {
        cell.latency.observe(std::chrono::duration<double>(clock->mono() - arrived).count());
      }
    }
    auto [ec, n] = co_await net::async_write(c->socket, buffers, kTuple);
    // Let go of shared bodies now rather than when the next request comes, so an idle
    // connection does not pin an old version of a cached board.
    resp.body = std::string();
    resp.gzip_body.reset();
    if (events) {
      if (!ec && req.method != HttpMethod::kHead) {
        co_await stream_events(c, events, chunked);
      }
      events->close();
      break;
    }
    if (ec || !keep_alive) break;
  }

  if (linger && c->socket.is_open()) {
    beast::error_code ignored;
    c->socket.shutdown(tcp::socket::shutdown_send, ignored);
    set_deadline(*c, std::min(options.request_timeout, kLingerTime));
    std::size_t drained = 0;
    buffer.clear();
    while (drained < kLingerMaxBytes) {
      auto [ec, n] = co_await c->socket.async_read_some(buffer.prepare(kReadChunk), kTuple);
      if (ec) break;
      drained += n;
    }
  }
  c->done = true;
  c->timer.cancel();
  c->close();
}

net::awaitable<Response> Server::Impl::run_deferred(std::shared_ptr<Conn> c,
                                                    std::function<Response()> work) {
  Worker& w = c->worker;
  auto wait = std::make_shared<DeferredWait>(c->socket.get_executor());
  wait->timer.expires_at(net::steady_timer::time_point::max());
  const bool queued =
      pool.submit([wait, work = std::move(work), ex = c->socket.get_executor(), &w]() mutable {
        Response r;
        try {
          r = work();
          if (r.deferred) r = json_error(500, "internal", "internal error");  // not nested
        } catch (...) {
          bump(w.counters.handler_exceptions);
          r = json_error(500, "internal", "internal error");
        }
        {
          std::lock_guard lock(wait->mu);
          wait->result = std::move(r);
        }
        net::post(ex, [wait] { wait->timer.cancel(); });
      });
  if (!queued) {
    bump(w.counters.deferred_rejected);
    Response busy = json_error(503, "unavailable", "too many requests waiting on outbound calls");
    busy.set_header("Retry-After", "5");
    co_return busy;
  }
  c->deferred = wait.get();
  // The request deadline keeps running: work that outlasts it loses its connection (the
  // watchdog closes it; the answer is dropped when it comes). stop() cuts the wait after
  // its grace period.
  while (true) {
    {
      std::lock_guard lock(wait->mu);
      if (wait->result) break;
    }
    if (!c->socket.is_open()) break;
    co_await wait->timer.async_wait(kTuple);
  }
  c->deferred = nullptr;
  std::lock_guard lock(wait->mu);
  if (wait->result) co_return std::move(*wait->result);
  co_return json_error(503, "unavailable", "server stopping");
}

net::awaitable<void> Server::Impl::stream_events(std::shared_ptr<Conn> c,
                                                 std::shared_ptr<EventStream> events,
                                                 bool chunked) {
  Worker& w = c->worker;
  auto waiter = std::make_shared<StreamWaiter>(c->socket.get_executor());
  // However the loop ends (an exception included): remove the notify hook before the
  // waiter goes away, close the stream so its producer lets go of it, update the gauge.
  struct Cleanup {
    Conn& conn;
    EventStream& stream;
    WorkerCounters& counters;
    ~Cleanup() {
      stream.set_notify(nullptr);
      stream.close();
      conn.stream = nullptr;
      counters.streams.fetch_sub(1, std::memory_order_relaxed);
    }
  };
  bump(w.counters.streams);
  c->stream = waiter.get();
  const Cleanup cleanup{*c, *events, w.counters};
  events->set_notify([ex = c->socket.get_executor(), weak = std::weak_ptr(waiter)] {
    net::post(ex, [weak] {
      if (auto sw = weak.lock()) sw->timer.cancel();
    });
  });
  net::co_spawn(c->socket.get_executor(), watch_peer(c, waiter), net::detached);

  const Millis heartbeat = events->heartbeat();
  MonoTime next_ping = clock->mono() + heartbeat;
  // Past its maximum age the stream ends like one its producer closed; the client
  // reconnects. Up to 10 % earlier per connection, so that a crowd that connected together
  // does not come back together.
  MonoTime end_of_life = MonoTime::max();
  if (options.stream_max_age > Millis(0)) {
    const auto spread = options.stream_max_age.count() / 10;
    const uint64_t mixed = (reinterpret_cast<std::uintptr_t>(c.get()) >> 4) * 0x9E3779B97F4A7C15ull;
    const auto jitter =
        spread > 0 ? static_cast<int64_t>((mixed >> 32) % static_cast<uint64_t>(spread)) : 0;
    end_of_life = clock->mono() + options.stream_max_age - Millis(jitter);
  }
  std::string batch;
  std::string wire;
  while (true) {
    if (w.stopping || stop_requested.load(std::memory_order_relaxed) || waiter->peer_gone) {
      co_return;
    }
    batch.clear();
    const MonoTime now = clock->mono();
    const bool expired = now >= end_of_life;
    if (expired) events->close();
    const bool closed = events->take(batch);
    if (batch.empty() && !closed && now >= next_ping) batch = ": ping\n\n";
    if (batch.empty() && !closed) {
      // Nothing to send: sleep until the next heartbeat, the end of the stream's life or a
      // wake-up (a frame arrived, the client left, stop()). The write deadline is not armed
      // while waiting.
      const auto wait = std::min(next_ping, end_of_life) - now;
      set_deadline(*c, std::chrono::ceil<Millis>(wait) + options.request_timeout);
      waiter->timer.expires_after(wait);
      co_await waiter->timer.async_wait(kTuple);
      continue;
    }
    wire.clear();
    if (chunked) {
      if (!batch.empty()) append_chunk(wire, batch);
      if (closed) wire += "0\r\n\r\n";
    } else {
      wire.swap(batch);
    }
    if (!wire.empty()) {
      // A client that does not take a batch within request_timeout is stalled: the
      // watchdog closes the connection.
      set_deadline(*c, options.request_timeout);
      auto [ec, n] = co_await net::async_write(c->socket, net::buffer(wire), kTuple);
      if (ec) co_return;
      next_ping = clock->mono() + heartbeat;
    }
    if (closed) co_return;
  }
}

Server::Server(Options options, Router router)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(router))) {}

Server::~Server() = default;

Status Server::start() { return impl_->start(); }

uint16_t Server::port() const { return impl_->bound_port.load(); }

void Server::stop() { impl_->stop(); }

ServerCounters Server::counters() const {
  ServerCounters out;
  const std::size_t n = impl_->live_workers.load(std::memory_order_acquire);
  for (std::size_t w = 0; w < n; ++w) {
    const WorkerCounters& c = impl_->workers[w]->counters;
    out.connections_accepted += c.accepted.load(std::memory_order_relaxed);
    out.active_connections += c.active.load(std::memory_order_relaxed);
    out.requests += c.requests.load(std::memory_order_relaxed);
    for (std::size_t i = 0; i < out.responses_by_class.size(); ++i) {
      out.responses_by_class[i] += c.by_class[i].load(std::memory_order_relaxed);
    }
    out.handler_exceptions += c.handler_exceptions.load(std::memory_order_relaxed);
    out.timeouts += c.timeouts.load(std::memory_order_relaxed);
    out.event_streams += c.streams.load(std::memory_order_relaxed);
    out.deferred_rejected += c.deferred_rejected.load(std::memory_order_relaxed);
    out.refused_connections += c.refused_connections.load(std::memory_order_relaxed);
    out.refused_streams += c.refused_streams.load(std::memory_order_relaxed);
  }
  const std::vector<std::string>& patterns = impl_->router.patterns();
  out.routes.resize(patterns.size() + 2);
  for (std::size_t r = 0; r < out.routes.size(); ++r) {
    RouteCounters& rc = out.routes[r];
    rc.route = r < patterns.size() ? patterns[r] : r == patterns.size() ? "static" : "unmatched";
    for (std::size_t w = 0; w < n; ++w) {
      const RouteCell& cell = impl_->workers[w]->routes[r];
      for (std::size_t m = 0; m < rc.responses.size(); ++m) {
        for (std::size_t k = 0; k < 6; ++k) {
          rc.responses[m][k] += cell.responses[m][k].load(std::memory_order_relaxed);
        }
      }
      metrics::Histogram::Snapshot snap = cell.latency.snapshot();
      if (rc.latency.cumulative.empty()) {
        rc.latency = std::move(snap);
      } else {
        for (std::size_t i = 0; i < snap.cumulative.size(); ++i) {
          rc.latency.cumulative[i] += snap.cumulative[i];
        }
        rc.latency.sum += snap.sum;
        rc.latency.count += snap.count;
      }
    }
  }
  return out;
}

}  // namespace mu
