#include "api/event_hub.h"

#include <algorithm>

#include <mutex>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "pipeline/render.h"

namespace mu {

struct EventHub::State {
  mutable std::mutex mu;
  bool closed = false;
  uint64_t next_key = 1;  // identifies a stream in `streams`
  uint64_t last_id = 0;   // the SSE id of the last event published
  std::unordered_map<uint64_t, std::shared_ptr<EventStream>> streams;
  std::unordered_set<uint64_t> signed_in;  // keys of streams opened with a session
  std::size_t anonymous_peak = 0;          // most anonymous streams open since take_peak
  std::size_t anonymous() const { return streams.size() - signed_in.size(); }
};

std::string sse_frame(uint64_t id, std::string_view name, std::string_view data) {
  std::string out;
  out.reserve(name.size() + data.size() + 40);
  if (id != 0) {
    out += "id: ";
    out += std::to_string(id);
    out += '\n';
  }
  out += "event: ";
  for (char c : name) {
    if (c != '\n' && c != '\r') out += c;
  }
  out += '\n';
  // One data line per line of `data` ("\n", "\r\n" and "\r" all end a line in SSE).
  std::size_t start = 0;
  while (true) {
    std::size_t end = data.find_first_of("\r\n", start);
    out += "data: ";
    out += data.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    out += '\n';
    if (end == std::string_view::npos) break;
    if (data[end] == '\r' && end + 1 < data.size() && data[end + 1] == '\n') ++end;
    start = end + 1;
    if (start == data.size()) break;
  }
  out += '\n';
  return out;
}

EventHub::EventHub(EventHubOptions options)
    : options_(std::move(options)),
      clock_(options_.clock != nullptr ? options_.clock : &system_clock_),
      overflow_frame_(sse_frame(0, "resync", R"({"reason":"overflow"})")),
      state_(std::make_shared<State>()) {}

EventHub::~EventHub() { close_all(); }

Result<std::shared_ptr<EventStream>> EventHub::subscribe(bool signed_in) {
  std::string hello = "retry: " + std::to_string(options_.retry.count()) + "\n\n";
  hello += sse_frame(0, "hello", R"({"server_time":")" + iso8601_utc(clock_->now_ms()) + R"("})");

  std::lock_guard lock(state_->mu);
  if (state_->closed) return error(ErrorCode::kUnavailable, "event hub closed");
  if (state_->streams.size() >= options_.max_streams) {
    return error(ErrorCode::kUnavailable,
                 "too many event streams (" + std::to_string(options_.max_streams) + ")");
  }
  const uint64_t key = state_->next_key++;
  EventStreamOptions so;
  so.max_queue = options_.max_queue;
  so.overflow_frame = overflow_frame_;
  so.heartbeat = options_.heartbeat;
  // Runs when the stream closes (client gone, server stopping, close_all): leave the list.
  so.on_close = [weak = std::weak_ptr<State>(state_), key] {
    if (auto state = weak.lock()) {
      std::shared_ptr<EventStream> leaving;  // released after the lock
      std::lock_guard lock(state->mu);
      auto it = state->streams.find(key);
      if (it != state->streams.end()) {
        leaving = std::move(it->second);
        state->streams.erase(it);
        state->signed_in.erase(key);
      }
    }
  };
  auto stream = std::make_shared<EventStream>(std::move(so));
  stream->push(std::move(hello));
  state_->streams.emplace(key, stream);
  if (signed_in) state_->signed_in.insert(key);
  state_->anonymous_peak = std::max(state_->anonymous_peak, state_->anonymous());
  return stream;
}

uint64_t EventHub::publish(std::string_view name, std::string_view data_json) {
  std::lock_guard lock(state_->mu);
  // Under the lock, so that every stream sees events in id order.
  const uint64_t id = ++state_->last_id;
  auto frame = std::make_shared<const std::string>(sse_frame(id, name, data_json));
  // push() never closes a stream here (the hub's overflow frame is not empty), so no close
  // hook runs, and so none tries to take this lock. A stream that is closing meanwhile
  // refuses the frame and its hook removes it once we are done.
  for (auto& [key, stream] : state_->streams) {
    (void)key;
    stream->push(frame);
  }
  return id;
}

std::size_t EventHub::open_streams() const {
  std::lock_guard lock(state_->mu);
  return state_->streams.size();
}

std::size_t EventHub::open_anonymous_streams() const {
  std::lock_guard lock(state_->mu);
  return state_->anonymous();
}

std::size_t EventHub::take_anonymous_peak() {
  std::lock_guard lock(state_->mu);
  const std::size_t peak = std::max(state_->anonymous_peak, state_->anonymous());
  state_->anonymous_peak = state_->anonymous();
  return peak;
}

uint64_t EventHub::last_id() const {
  std::lock_guard lock(state_->mu);
  return state_->last_id;
}

void EventHub::close_all() {
  std::unordered_map<uint64_t, std::shared_ptr<EventStream>> streams;
  {
    std::lock_guard lock(state_->mu);
    state_->closed = true;
    streams.swap(state_->streams);
  }
  // Outside the lock: each close runs the stream's hook, which takes the lock.
  for (auto& [key, stream] : streams) {
    (void)key;
    stream->close();
  }
}

}  // namespace mu
