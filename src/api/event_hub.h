// EventHub: the list of open Server-Sent Events streams of GET /api/v1/events, and the one
// place that writes to them. ApiService publishes `board-updated` (after its BoardCache has
// re-rendered the board) and `resync` events here; each open stream gets every event, in
// the same order, numbered by one sequence (the SSE `id:`). A new stream starts with
// `retry: <ms>` and an `event: hello` carrying the server time.
//
// Frames, as sent (the contract with the web app):
//   retry: 3000\n\n
//   event: hello\ndata: {"server_time":"2026-01-01T00:00:00.000Z"}\n\n
//   id: 7\nevent: board-updated\ndata: {"board":"weibo.hot-search","version":123}\n\n
// plus `: ping\n\n` heartbeats written by the server, and an `event: resync` with
// data {"reason":"overflow"} that replaces the queued events of a client too slow to take
// them (see http/event_stream.h).
//
// Limits: at most `max_streams` open streams (subscribe() answers kUnavailable beyond, the
// API turns that into 503); at most `max_queue` events wait per stream.
//
// Thread-safety: every method is safe to call from any thread. publish() is quick: it
// formats the frame once and queues a shared pointer to it on each stream (no I/O, no
// waiting on clients). Streams may outlive the hub; destroying the hub closes them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/status.h"
#include "http/event_stream.h"

namespace mu {

struct EventHubOptions {
  std::size_t max_streams = 10'000;  // concurrent streams; one more -> kUnavailable
  std::size_t max_queue = 256;       // events waiting per stream before it overflows
  Millis heartbeat{15'000};          // ": ping" after this much silence (at least 1 ms)
  Millis retry{3'000};               // the `retry:` sent first: the client's reconnect delay
  const Clock* clock = nullptr;      // hello's server_time; nullptr: the system clock
};

class EventHub {
 public:
  explicit EventHub(EventHubOptions options = {});
  ~EventHub();  // close_all()
  EventHub(const EventHub&) = delete;
  EventHub& operator=(const EventHub&) = delete;

  // A new stream, already holding the retry and hello frames, registered until it closes
  // (the server closes it when the client goes away). kUnavailable when max_streams are
  // open or the hub is closed. `signed_in`: the reader has a session (the online count
  // counts such readers through their session, not as anonymous readers).
  Result<std::shared_ptr<EventStream>> subscribe(bool signed_in = false);

  // Sends `id: <n>\nevent: <name>\ndata: <data_json>\n\n` to every open stream and returns
  // n (1, 2, ...). `name` must be a bare word; a multi-line `data_json` is sent as several
  // data lines (SSE joins them with '\n').
  uint64_t publish(std::string_view name, std::string_view data_json);

  // Streams open now.
  std::size_t open_streams() const;
  // Streams open now that were opened without a session.
  std::size_t open_anonymous_streams() const;
  // The most anonymous streams open at once since the previous call (at least the number
  // open now); for the online count's periodic report.
  std::size_t take_anonymous_peak();
  // The id of the last event published; 0 before the first.
  uint64_t last_id() const;

  // Closes every stream (clients see the response end and reconnect after `retry`); later
  // subscribe() calls fail. Idempotent.
  void close_all();

 private:
  struct State;
  EventHubOptions options_;
  SystemClock system_clock_;
  const Clock* clock_;
  std::string overflow_frame_;
  std::shared_ptr<State> state_;  // shared with each stream's close hook
};

// The SSE frame for one event: "id: <id>\nevent: <name>\n" + one "data: " line per line of
// `data` + "\n". id 0 omits the id line. CR characters and a name's line breaks are dropped.
std::string sse_frame(uint64_t id, std::string_view name, std::string_view data);

}  // namespace mu
