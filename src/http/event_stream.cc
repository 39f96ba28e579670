#include "http/event_stream.h"

#include <algorithm>
#include <utility>

namespace mu {

EventStream::EventStream(EventStreamOptions options)
    : max_queue_(std::max<std::size_t>(options.max_queue, 1)),
      overflow_frame_(std::move(options.overflow_frame)),
      heartbeat_(std::max(options.heartbeat, Millis(1))),
      on_close_(std::move(options.on_close)) {}

EventStream::~EventStream() = default;

void EventStream::signal_locked() {
  if (signalled_) return;
  signalled_ = true;
  if (notify_) notify_();
}

bool EventStream::push(std::shared_ptr<const std::string> frame) {
  std::function<void()> on_close;
  {
    std::lock_guard lock(mu_);
    if (closed_) return false;
    if (queue_.size() < max_queue_) {
      queue_.push_back(std::move(frame));
      signal_locked();
      return true;
    }
    // Overflow: the client is too slow. Everything queued is dropped; the client is told to
    // refetch (or, with no overflow frame, the stream ends).
    ++overflows_;
    queue_.clear();
    if (!overflow_frame_.empty()) {
      queue_.push_back(std::make_shared<const std::string>(overflow_frame_));
      signal_locked();
      return true;
    }
    closed_ = true;
    on_close = std::move(on_close_);
    on_close_ = nullptr;
    signal_locked();
  }
  if (on_close) on_close();
  return false;
}

void EventStream::close() {
  std::function<void()> on_close;
  {
    std::lock_guard lock(mu_);
    if (closed_) return;
    closed_ = true;
    on_close = std::move(on_close_);
    on_close_ = nullptr;
    signal_locked();
  }
  if (on_close) on_close();
}

bool EventStream::closed() const {
  std::lock_guard lock(mu_);
  return closed_;
}

std::size_t EventStream::queued() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

uint64_t EventStream::overflows() const {
  std::lock_guard lock(mu_);
  return overflows_;
}

bool EventStream::take(std::string& out) {
  std::deque<std::shared_ptr<const std::string>> frames;
  bool closed = false;
  {
    std::lock_guard lock(mu_);
    frames.swap(queue_);
    signalled_ = false;
    closed = closed_;
  }
  for (const auto& f : frames) out += *f;
  return closed;
}

void EventStream::set_notify(std::function<void()> notify) {
  std::function<void()> old;
  {
    std::lock_guard lock(mu_);
    old = std::exchange(notify_, std::move(notify));
    // Something may have arrived before the hook was there: let the new hook know.
    if (notify_ && (!queue_.empty() || closed_)) {
      signalled_ = true;
      notify_();
    }
  }
  // `old` is destroyed outside the lock (it may own things whose destructors take time).
}

Response event_stream_response(std::shared_ptr<EventStream> stream) {
  Response r;
  r.status = 200;
  r.headers.set("Content-Type", kEventStreamContentType);
  r.headers.set("Cache-Control", "no-store");
  r.headers.set("X-Accel-Buffering", "no");
  r.stream = std::move(stream);
  return r;
}

}  // namespace mu
