#include "http/router.h"

#include <algorithm>
#include <array>
#include <utility>

#include "http/util.h"

namespace mu {
namespace {

constexpr std::size_t kMaxSegments = 32;

constexpr std::array kMethodOrder = {HttpMethod::kGet,    HttpMethod::kHead,  HttpMethod::kPost,
                                     HttpMethod::kPut,    HttpMethod::kPatch, HttpMethod::kDelete,
                                     HttpMethod::kOptions};

unsigned bit(HttpMethod m) { return 1u << static_cast<unsigned>(m); }

bool valid_param_name(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

std::string allow_list(unsigned mask) {
  if (mask & bit(HttpMethod::kGet)) mask |= bit(HttpMethod::kHead);
  std::string out;
  for (HttpMethod m : kMethodOrder) {
    if ((mask & bit(m)) == 0) continue;
    if (!out.empty()) out += ", ";
    out += http_method_name(m);
  }
  return out;
}

}  // namespace

// Segments of a raw path, each percent-decoded; decoding happens only for segments that
// contain '%', and the views of the others point into the raw path. Lives on the stack:
// paths with more than kMaxSegments segments match no route.
struct Router::PathView {
  std::array<std::string_view, kMaxSegments> segments;
  std::array<std::string, kMaxSegments> storage;
  std::size_t count = 0;
  bool valid = true;

  explicit PathView(std::string_view raw_path) {
    if (raw_path.empty() || raw_path.front() != '/') {
      valid = false;
      return;
    }
    raw_path.remove_prefix(1);
    std::size_t start = 0;
    while (true) {
      if (count == kMaxSegments) {
        valid = false;
        return;
      }
      std::size_t end = raw_path.find('/', start);
      if (end == std::string_view::npos) end = raw_path.size();
      const std::string_view raw = raw_path.substr(start, end - start);
      if (raw.find('%') == std::string_view::npos) {
        segments[count] = raw;
      } else {
        if (!http_percent_decode(raw, /*plus_as_space=*/false, storage[count])) {
          valid = false;
          return;
        }
        segments[count] = storage[count];
      }
      ++count;
      if (end == raw_path.size()) break;
      start = end + 1;
    }
  }
};

Router& Router::add(HttpMethod method, std::string_view pattern, Handler handler) {
  auto fail = [&](std::string_view why) -> Router& {
    if (status_.ok()) {
      status_ = error(ErrorCode::kConfig, "route " + std::string(http_method_name(method)) + " " +
                                              std::string(pattern) + ": " + std::string(why));
    }
    return *this;
  };
  if (method == HttpMethod::kOther) return fail("unsupported method");
  if (!handler) return fail("empty handler");
  if (pattern.empty() || pattern.front() != '/') return fail("pattern must start with '/'");

  Route route;
  route.method = method;
  route.pattern = std::string(pattern);
  std::string_view rest = pattern.substr(1);
  while (true) {
    const std::size_t slash = rest.find('/');
    const std::string_view seg = rest.substr(0, slash);
    Segment s;
    if (seg.size() >= 2 && seg.front() == '{' && seg.back() == '}') {
      s.param = true;
      s.text = std::string(seg.substr(1, seg.size() - 2));
      if (!valid_param_name(s.text)) return fail("bad parameter name");
    } else if (seg.find_first_of("{}") != std::string_view::npos) {
      return fail("a parameter must be a whole segment: {name}");
    } else {
      s.text = std::string(seg);
    }
    route.segments.push_back(std::move(s));
    if (slash == std::string_view::npos) break;
    rest = rest.substr(slash + 1);
  }
  if (route.segments.size() > kMaxSegments) return fail("too many segments");
  for (std::size_t i = 0; i < route.segments.size(); ++i) {
    if (!route.segments[i].param) route.literal_mask |= uint64_t{1} << (63 - i);
  }
  for (const Route& other : routes_) {
    if (other.method != method || other.segments.size() != route.segments.size()) continue;
    bool same = true;
    for (std::size_t i = 0; i < route.segments.size() && same; ++i) {
      const Segment& a = route.segments[i];
      const Segment& b = other.segments[i];
      same = a.param == b.param && (a.param || a.text == b.text);
    }
    if (same) return fail("duplicate of " + other.pattern);
  }
  route.handler = std::move(handler);
  auto known = std::find(patterns_.begin(), patterns_.end(), route.pattern);
  route.pattern_index = static_cast<int>(known - patterns_.begin());
  if (known == patterns_.end()) patterns_.push_back(route.pattern);
  routes_.push_back(std::move(route));
  return *this;
}

bool Router::matches(const Route& route, const PathView& path) {
  if (route.segments.size() != path.count) return false;
  for (std::size_t i = 0; i < path.count; ++i) {
    const Segment& s = route.segments[i];
    if (s.param ? path.segments[i].empty() : s.text != path.segments[i]) return false;
  }
  return true;
}

int Router::find(HttpMethod method, const PathView& path) const {
  int best = -1;
  for (std::size_t i = 0; i < routes_.size(); ++i) {
    const Route& r = routes_[i];
    if (r.method != method || !matches(r, path)) continue;
    if (best < 0 || r.literal_mask > routes_[best].literal_mask) best = static_cast<int>(i);
  }
  return best;
}

unsigned Router::methods_matching(const PathView& path) const {
  unsigned mask = 0;
  for (const Route& r : routes_) {
    if (matches(r, path)) mask |= bit(r.method);
  }
  return mask;
}

std::optional<Response> Router::try_handle(Request& request) const {
  const PathView path(request.raw_path);
  if (!path.valid) return std::nullopt;
  int index = find(request.method, path);
  if (index < 0 && request.method == HttpMethod::kHead) index = find(HttpMethod::kGet, path);
  if (index >= 0) {
    const Route& route = routes_[index];
    request.route = route.pattern_index;
    request.path_params.clear();
    for (std::size_t i = 0; i < route.segments.size(); ++i) {
      if (!route.segments[i].param) continue;
      request.path_params.emplace_back(route.segments[i].text, path.segments[i]);
    }
    return route.handler(request);
  }
  const unsigned mask = methods_matching(path);
  if (mask == 0) return std::nullopt;
  if (request.method == HttpMethod::kOptions) {
    Response r;
    r.status = 204;
    r.headers.set("Allow", allow_list(mask | bit(HttpMethod::kOptions)));
    return r;
  }
  Response r = json_error(405, "method-not-allowed",
                          "method " + request.method_token + " is not allowed on " + request.path);
  r.headers.set("Allow", allow_list(mask));
  return r;
}

Response Router::handle(Request& request) const {
  if (auto r = try_handle(request)) {
    if (r->deferred) return r->deferred();  // no server: run the blocking part inline
    return std::move(*r);
  }
  return json_error(404, "not-found", "no route for " + request.path);
}

std::string Router::allowed_methods(std::string_view raw_path) const {
  const PathView path(raw_path);
  if (!path.valid) return {};
  const unsigned mask = methods_matching(path);
  return mask == 0 ? std::string() : allow_list(mask);
}

}  // namespace mu
