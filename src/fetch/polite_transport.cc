#include "fetch/polite_transport.h"

#include <algorithm>
#include <thread>
#include <utility>

namespace mu {
namespace {

using std::chrono::milliseconds;

// Above this many tracked hosts, hosts whose gap has passed are dropped on the next
// reservation, so the table stays as small as the set of recently used hosts.
constexpr std::size_t kPruneAbove = 256;

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return out;
}

int64_t to_ms(std::chrono::steady_clock::duration d) {
  return std::chrono::duration_cast<milliseconds>(d).count();
}

}  // namespace

std::string url_host(std::string_view url) {
  const std::size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos || scheme_end == 0) {
    return {};
  }
  std::string_view authority = url.substr(scheme_end + 3);
  authority = authority.substr(0, authority.find_first_of("/?#"));
  const std::size_t at = authority.rfind('@');
  if (at != std::string_view::npos) {
    authority.remove_prefix(at + 1);
  }
  std::string_view host;
  if (!authority.empty() && authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      return {};
    }
    host = authority.substr(0, close + 1);
  } else {
    host = authority.substr(0, authority.find(':'));
    // "example.com." names the same host as "example.com".
    while (!host.empty() && host.back() == '.') {
      host.remove_suffix(1);
    }
  }
  return lower(host);
}

// --- HostGate ---------------------------------------------------------------------------

HostGate::HostGate(const PolitenessOptions& options)
    : default_gap_(std::max(options.default_gap, milliseconds(0))) {
  for (const auto& [host, gap] : options.host_gaps) {
    host_gaps_[lower(host)] = std::max(gap, milliseconds(0));
  }
}

std::chrono::milliseconds HostGate::gap(std::string_view host) const {
  auto it = host_gaps_.find(lower(host));
  return it != host_gaps_.end() ? it->second : default_gap_;
}

MonoTime HostGate::reserve(std::string_view host, MonoTime now) {
  return reserve_impl(host, now, std::nullopt).start;
}

HostGate::Reservation HostGate::try_reserve(std::string_view host, MonoTime now, MonoTime latest) {
  return reserve_impl(host, now, latest);
}

HostGate::Reservation HostGate::reserve_impl(std::string_view host, MonoTime now,
                                             std::optional<MonoTime> latest) {
  std::string key = lower(host);
  const milliseconds spacing = gap(key);
  Reservation r;
  std::lock_guard lock(mu_);
  auto it = next_free_.find(key);
  r.start = it != next_free_.end() ? std::max(now, it->second) : now;
  if (latest && r.start >= *latest) {
    return r;
  }
  r.granted = true;
  if (spacing.count() == 0) {
    return r;  // nothing to remember: the next request may start now
  }
  if (it != next_free_.end()) {
    it->second = r.start + spacing;
    return r;
  }
  if (next_free_.size() >= kPruneAbove) {
    prune_locked(now);
  }
  next_free_.emplace(std::move(key), r.start + spacing);
  return r;
}

void HostGate::prune_locked(MonoTime now) {
  std::erase_if(next_free_, [now](const auto& entry) { return entry.second <= now; });
}

std::size_t HostGate::tracked_hosts() const {
  std::lock_guard lock(mu_);
  return next_free_.size();
}

// --- SystemSleeper ----------------------------------------------------------------------

void SystemSleeper::sleep_until(MonoTime deadline) { std::this_thread::sleep_until(deadline); }

// --- PoliteTransport --------------------------------------------------------------------

PoliteTransport::PoliteTransport(Transport& inner, const Clock& clock, Sleeper& sleeper,
                                 const PolitenessOptions& options)
    : inner_(inner), clock_(clock), sleeper_(sleeper), gate_(options) {}

Result<HttpResponse> PoliteTransport::fetch(const HttpRequest& request) {
  const std::string host = url_host(request.url);
  if (host.empty()) {
    return inner_.fetch(request);
  }

  const MonoTime now = clock_.mono();
  const MonoTime deadline = now + request.timeout;
  const HostGate::Reservation slot = gate_.try_reserve(host, now, deadline);
  auto describe = [&] { return request.method + " " + redact_url(request.url); };
  if (!slot.granted) {
    return error(ErrorCode::kTimeout,
                 describe() + ": the next request slot for " + host + " is " +
                     std::to_string(to_ms(slot.start - now)) + " ms away, not within the " +
                     std::to_string(request.timeout.count()) + " ms timeout (politeness gap " +
                     std::to_string(gate_.gap(host).count()) + " ms); not sent");
  }
  if (slot.start <= now) {
    return inner_.fetch(request);
  }

  sleeper_.sleep_until(slot.start);
  const auto left = std::chrono::duration_cast<milliseconds>(deadline - clock_.mono());
  if (left.count() <= 0) {
    return error(ErrorCode::kTimeout,
                 describe() + ": its " + std::to_string(request.timeout.count()) +
                     " ms timeout passed while it waited for the slot of " + host + "; not sent");
  }
  HttpRequest forwarded = request;
  forwarded.timeout = left;
  return inner_.fetch(forwarded);
}

}  // namespace mu
