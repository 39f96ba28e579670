// EventStream: the outgoing side of one Server-Sent Events response (text/event-stream).
// A handler creates one (usually through a hub that keeps a list of them), returns it in
// Response::stream (see event_stream_response()), and the Server then keeps writing whatever
// is pushed into it, one HTTP chunk per batch, until the stream is closed or the client goes
// away. Nothing here depends on a networking library: the server learns that there is
// something to send through a notify hook it installs, and collects the frames with take().
//
// Frames are complete SSE text ("id: 7\nevent: x\ndata: {}\n\n"); this class does not parse
// or build them. The queue is bounded: when a slow client lets `max_queue` frames pile up,
// they are all dropped and replaced by the single `overflow_frame` (typically an
// "event: resync" telling the client to refetch everything); an empty overflow_frame closes
// the stream instead. A slow client therefore never blocks a publisher nor other clients.
//
// Thread-safety: every method is safe to call from any thread. The notify hook runs on the
// thread that calls push() or close(), with the stream's lock held: it must be quick and
// must not call back into the stream (the server only posts a wake-up to its io thread).
// The close hook runs once, without the lock, on the thread that closes the stream.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "http/http.h"

namespace mu {

struct EventStreamOptions {
  // Frames that may wait for a slow client; one more and the queue overflows.
  std::size_t max_queue = 256;
  // Sent instead of the dropped frames on overflow. Empty: close the stream on overflow.
  std::string overflow_frame;
  // The server writes a ": ping" comment when nothing else was sent for this long, so that
  // proxies keep the connection open and a vanished client is noticed. At least 1 ms.
  Millis heartbeat{15'000};
  // Runs once when the stream closes (from either side), e.g. to leave a hub's list.
  std::function<void()> on_close;
};

class EventStream {
 public:
  explicit EventStream(EventStreamOptions options = {});
  ~EventStream();
  EventStream(const EventStream&) = delete;
  EventStream& operator=(const EventStream&) = delete;

  // --- Producer side ---

  // Queues one frame. Returns false (and drops the frame) when the stream is closed. On
  // overflow see the class comment: the stream may close here.
  bool push(std::shared_ptr<const std::string> frame);
  bool push(std::string frame) {
    return push(std::make_shared<const std::string>(std::move(frame)));
  }
  // Ends the stream: the server sends what is still queued, ends the response and closes the
  // connection. Idempotent. The server also calls it when the connection ends.
  void close();

  bool closed() const;
  std::size_t queued() const;
  // How many times the queue overflowed.
  uint64_t overflows() const;
  Millis heartbeat() const { return heartbeat_; }

  // --- Consumer side (the server) ---

  // Appends every queued frame to `out` and empties the queue. Returns true when the stream
  // is closed (after this batch nothing more will come).
  bool take(std::string& out);
  // `notify` runs whenever the stream goes from "nothing new" to "something to take" (a
  // frame arrived, or the stream closed) since the last take(). nullptr removes the hook;
  // once set_notify returns, a removed hook is not running and will not run again.
  void set_notify(std::function<void()> notify);

 private:
  void signal_locked();

  const std::size_t max_queue_;
  const std::string overflow_frame_;
  const Millis heartbeat_;

  mutable std::mutex mu_;
  std::deque<std::shared_ptr<const std::string>> queue_;
  std::function<void()> notify_;
  std::function<void()> on_close_;
  bool signalled_ = false;  // notify_ ran since the last take()
  bool closed_ = false;
  uint64_t overflows_ = 0;
};

inline constexpr std::string_view kEventStreamContentType = "text/event-stream; charset=utf-8";

// 200 with Content-Type text/event-stream, Cache-Control: no-store and X-Accel-Buffering: no
// (so nginx-style proxies do not buffer), streaming `stream`.
Response event_stream_response(std::shared_ptr<EventStream> stream);

}  // namespace mu
