// Per-host politeness: a Transport decorator that keeps a minimum gap between the *starts*
// of requests to one host, whichever board (or thread) sends them, so a site with many
// boards is not hit by a burst when their slots line up. Default gap 1 s; per-host
// overrides (e.g. {"www.v2ex.com": 5 s}); a gap of 0 turns spacing off for that host.
//
// The timing logic is pure and lives in HostGate: given a host and the current monotonic
// time it reserves the earliest start time for that host. The decorator reads time from a
// Clock and waits through a Sleeper, so tests drive it with FakeClock and a fake sleeper
// instead of sleeping.
//
// Semantics of PoliteTransport::fetch():
//   - The host is the URL's host name, lower-cased, without user info or port, matched
//     exactly against the overrides ("v2ex.com" does not cover "www.v2ex.com"). Only the
//     request's own URL is gated; redirect targets are not. A URL without a host goes
//     straight to the inner transport (which rejects it).
//   - Slots are granted first come, first served: concurrent callers for one host get
//     distinct start times spaced by the host's gap, and each waits for its own.
//   - The wait counts against the request's `timeout`. When the reserved start would leave
//     no time at all (wait >= timeout), the request fails with kTimeout without being sent
//     and without taking a slot. Otherwise it is sent with the timeout reduced by the time
//     spent waiting, so wait + transfer never exceeds the caller's timeout.
//   - A waiting caller blocks its thread (a scheduler worker) until its slot.
//
// Thread-safety: HostGate and PoliteTransport are safe for concurrent use (the gate's
// table is guarded by a mutex; it is never held while waiting). SystemSleeper is stateless.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/clock.h"
#include "core/status.h"
#include "fetch/transport.h"

namespace mu {

struct PolitenessOptions {
  // Minimum gap between the starts of two requests to one host.
  std::chrono::milliseconds default_gap{std::chrono::seconds(1)};
  // Per-host gaps, by host name (matched case-insensitively, exactly). Negative gaps count
  // as 0.
  std::map<std::string, std::chrono::milliseconds> host_gaps;
};

// The lower-cased host name of an absolute URL ("https://User@WWW.V2EX.com:443/x" ->
// "www.v2ex.com"; IPv6 literals keep their brackets: "[::1]"); "" when there is none.
std::string url_host(std::string_view url);

// Reserves request start times per host. Pure: time comes in as an argument.
class HostGate {
 public:
  explicit HostGate(const PolitenessOptions& options = {});

  // The gap for `host` (an override, else the default).
  std::chrono::milliseconds gap(std::string_view host) const;

  // Reserves and returns the earliest start for a request to `host` at `now`: `now` when
  // the host is free, otherwise the previous reservation + the gap. Later callers queue
  // behind it.
  MonoTime reserve(std::string_view host, MonoTime now);

  struct Reservation {
    bool granted = false;
    MonoTime start;  // the earliest start; reserved only when `granted`
  };
  // Like reserve(), but only when that start is before `latest`; otherwise reserves
  // nothing (granted = false, `start` says when the host would have been free).
  Reservation try_reserve(std::string_view host, MonoTime now, MonoTime latest);

  // Hosts currently tracked (for tests; entries whose gap has passed are dropped lazily).
  std::size_t tracked_hosts() const;

 private:
  Reservation reserve_impl(std::string_view host, MonoTime now, std::optional<MonoTime> latest);
  void prune_locked(MonoTime now);

  std::chrono::milliseconds default_gap_;
  std::unordered_map<std::string, std::chrono::milliseconds> host_gaps_;  // lower-case keys

  mutable std::mutex mu_;
  // Per host: the earliest time the next request may start (last reservation + gap).
  std::unordered_map<std::string, MonoTime> next_free_;  // guarded by mu_
};

// How PoliteTransport waits for a slot. Implementations return once `deadline` (steady
// clock) has passed, or at once when it already has.
class Sleeper {
 public:
  virtual ~Sleeper() = default;
  virtual void sleep_until(MonoTime deadline) = 0;
};

// std::this_thread::sleep_until on the steady clock: pair it with SystemClock.
class SystemSleeper final : public Sleeper {
 public:
  void sleep_until(MonoTime deadline) override;
};

class PoliteTransport final : public Transport {
 public:
  // `inner`, `clock` and `sleeper` are borrowed and must outlive the transport.
  PoliteTransport(Transport& inner, const Clock& clock, Sleeper& sleeper,
                  const PolitenessOptions& options = {});

  // Waits for the host's slot, then forwards to the inner transport (see the file comment).
  // kTimeout, naming the host and the wait, when the slot is too late for the timeout.
  Result<HttpResponse> fetch(const HttpRequest& request) override;

  HostGate& gate() { return gate_; }

 private:
  Transport& inner_;
  const Clock& clock_;
  Sleeper& sleeper_;
  HostGate gate_;
};

}  // namespace mu
