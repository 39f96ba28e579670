#include "sources/common/cookie_cache.h"

#include <algorithm>
#include <array>
#include <limits>

#include "sources/common/http_util.h"
#include "sources/common/text.h"

namespace mu {
namespace {

// RFC 6265 5.1.1 delimiter: %x09 / %x20-2F / %x3B-40 / %x5B-60 / %x7B-7E.
bool is_date_delimiter(unsigned char c) {
  return c == 0x09 || (c >= 0x20 && c <= 0x2F) || (c >= 0x3B && c <= 0x40) ||
         (c >= 0x5B && c <= 0x60) || (c >= 0x7B && c <= 0x7E);
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Reads min..max digits at `pos` (advancing it); nullopt unless the count is within bounds.
std::optional<int> read_digits(std::string_view token, std::size_t& pos, std::size_t min_count,
                               std::size_t max_count) {
  std::size_t start = pos;
  int value = 0;
  while (pos < token.size() && is_digit(token[pos]) && pos - start < max_count) {
    value = value * 10 + (token[pos] - '0');
    ++pos;
  }
  const std::size_t count = pos - start;
  if (count < min_count) return std::nullopt;
  // "1*2DIGIT ( non-digit *OCTET )": the digit run must end here.
  if (pos < token.size() && is_digit(token[pos])) return std::nullopt;
  return value;
}

struct TimeOfDay {
  int h = 0, m = 0, s = 0;
};

std::optional<TimeOfDay> match_time(std::string_view token) {
  std::size_t pos = 0;
  TimeOfDay t;
  auto h = read_digits(token, pos, 1, 2);
  if (!h || pos >= token.size() || token[pos] != ':') return std::nullopt;
  ++pos;
  auto m = read_digits(token, pos, 1, 2);
  if (!m || pos >= token.size() || token[pos] != ':') return std::nullopt;
  ++pos;
  auto s = read_digits(token, pos, 1, 2);
  if (!s) return std::nullopt;
  t.h = *h;
  t.m = *m;
  t.s = *s;
  return t;
}

std::optional<int> match_month(std::string_view token) {
  static constexpr std::array<std::string_view, 12> kMonths = {
      "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"};
  if (token.size() < 3) return std::nullopt;
  const std::string head = ascii_lower(token.substr(0, 3));
  for (std::size_t i = 0; i < kMonths.size(); ++i) {
    if (head == kMonths[i]) return static_cast<int>(i) + 1;
  }
  return std::nullopt;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && ascii_lower(a) == ascii_lower(b);
}

}  // namespace

std::optional<WallTime> parse_cookie_date(std::string_view s) {
  std::optional<TimeOfDay> time;
  std::optional<int> day, month, year;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && is_date_delimiter(static_cast<unsigned char>(s[i]))) ++i;
    std::size_t start = i;
    while (i < s.size() && !is_date_delimiter(static_cast<unsigned char>(s[i]))) ++i;
    if (start == i) continue;
    const std::string_view token = s.substr(start, i - start);
    std::size_t pos = 0;
    if (!time) {
      if (auto t = match_time(token)) {
        time = t;
        continue;
      }
    }
    if (!day) {
      pos = 0;
      if (auto d = read_digits(token, pos, 1, 2)) {
        day = d;
        continue;
      }
    }
    if (!month) {
      if (auto m = match_month(token)) {
        month = m;
        continue;
      }
    }
    if (!year) {
      pos = 0;
      if (auto y = read_digits(token, pos, 2, 4)) {
        year = y;
        continue;
      }
    }
  }
  if (!time || !day || !month || !year) return std::nullopt;
  int y = *year;
  if (y >= 70 && y <= 99) y += 1900;
  if (y >= 0 && y <= 69) y += 2000;
  if (y < 1601 || *day < 1 || *day > 31 || time->h > 23 || time->m > 59 || time->s > 59) {
    return std::nullopt;
  }
  const std::chrono::year_month_day ymd{std::chrono::year{y},
                                        std::chrono::month{static_cast<unsigned>(*month)},
                                        std::chrono::day{static_cast<unsigned>(*day)}};
  if (!ymd.ok()) return std::nullopt;  // 31 Feb and the like
  const std::chrono::sys_days days{ymd};
  int64_t secs = std::chrono::duration_cast<std::chrono::seconds>(days.time_since_epoch()).count() +
                 int64_t{time->h} * 3600 + int64_t{time->m} * 60 + time->s;
  // WallTime counts nanoseconds in 64 bits (about 1678..2262): "Fri, 31 Dec 9999 23:59:59 GMT"
  // (a common "never expires") is clamped instead of overflowing.
  constexpr int64_t kLimit = 9'000'000'000;  // seconds, about the year 2255
  secs = std::clamp<int64_t>(secs, -kLimit, kLimit);
  return WallTime(std::chrono::duration_cast<WallTime::duration>(std::chrono::seconds(secs)));
}

std::optional<SetCookie> parse_set_cookie(std::string_view header_value) {
  std::size_t semi = header_value.find(';');
  const std::string_view pair = header_value.substr(0, semi);
  const std::size_t eq = pair.find('=');
  if (eq == std::string_view::npos) return std::nullopt;
  SetCookie cookie;
  cookie.name = trim(pair.substr(0, eq));
  cookie.value = trim(pair.substr(eq + 1));
  if (cookie.name.empty()) return std::nullopt;
  while (semi != std::string_view::npos) {
    const std::size_t start = semi + 1;
    semi = header_value.find(';', start);
    const std::string_view attr = header_value.substr(
        start, semi == std::string_view::npos ? std::string_view::npos : semi - start);
    const std::size_t attr_eq = attr.find('=');
    const std::string name = trim(attr.substr(0, attr_eq));
    const std::string value =
        attr_eq == std::string_view::npos ? std::string() : trim(attr.substr(attr_eq + 1));
    if (iequals(name, "max-age")) {
      // RFC 6265 5.2.2: a leading '-' or a digit, then digits only; otherwise ignored.
      if (!value.empty() && (is_digit(value[0]) || value[0] == '-')) {
        if (auto n = parse_int(value)) {
          cookie.max_age_s = *n;
        } else if (std::all_of(value.begin() + (value[0] == '-' ? 1 : 0), value.end(), is_digit)) {
          // Digits only but out of range: effectively "forever" or "already gone".
          cookie.max_age_s = value[0] == '-' ? std::numeric_limits<int64_t>::min()
                                             : std::numeric_limits<int64_t>::max();
        }
      }
    } else if (iequals(name, "expires")) {
      if (auto when = parse_cookie_date(value)) cookie.expires = *when;
    }
  }
  return cookie;
}

std::optional<std::string> CookieCache::get(std::string_view key, const Clock& clock) const {
  const MonoTime now = clock.mono();
  std::lock_guard lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end() || it->second.expires_at <= now) return std::nullopt;
  return it->second.header;
}

void CookieCache::put(std::string_view key, std::string header, std::chrono::seconds ttl,
                      const Clock& clock) {
  ttl = std::min(ttl, options_.max_ttl);
  if (ttl <= options_.refresh_margin) {
    invalidate(key);
    return;
  }
  const MonoTime expires_at = clock.mono() + (ttl - options_.refresh_margin);
  std::lock_guard lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    entries_.emplace(std::string(key), Entry{std::move(header), expires_at});
  } else {
    it->second = Entry{std::move(header), expires_at};
  }
}

void CookieCache::invalidate(std::string_view key) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(key);
  if (it != entries_.end()) entries_.erase(it);
}

Result<std::string> CookieCache::store_from_response(std::string_view key,
                                                     const HttpResponse& response,
                                                     const std::vector<std::string>& wanted,
                                                     const Clock& clock) {
  // Cookies in the order first set; a later Set-Cookie for the same name replaces the value.
  std::vector<SetCookie> cookies;
  for (const auto& [name, value] : response.headers) {
    if (!iequals(name, "set-cookie")) continue;
    auto cookie = parse_set_cookie(value);
    if (!cookie) continue;
    auto same = std::find_if(cookies.begin(), cookies.end(),
                             [&](const SetCookie& c) { return c.name == cookie->name; });
    if (same == cookies.end()) {
      cookies.push_back(std::move(*cookie));
    } else {
      *same = std::move(*cookie);
    }
  }

  const WallTime now = clock.now();
  // Remaining lifetime in seconds; nullopt for a session cookie; <= 0 for a deletion.
  auto lifetime = [&](const SetCookie& c) -> std::optional<int64_t> {
    if (c.max_age_s) return *c.max_age_s;
    if (c.expires) {
      return std::chrono::duration_cast<std::chrono::seconds>(*c.expires - now).count();
    }
    return std::nullopt;
  };

  std::string header;
  for (const SetCookie& c : cookies) {
    if (auto life = lifetime(c); life && *life <= 0) continue;
    if (!header.empty()) header += "; ";
    header += c.name + "=" + c.value;
  }

  std::string missing;
  int64_t ttl_s = options_.default_ttl.count();
  bool any_limit = false;
  for (const std::string& name : wanted) {
    auto it = std::find_if(cookies.begin(), cookies.end(),
                           [&](const SetCookie& c) { return c.name == name; });
    std::optional<int64_t> life;
    if (it != cookies.end()) life = lifetime(*it);
    if (it == cookies.end() || (life && *life <= 0)) {
      if (!missing.empty()) missing += ", ";
      missing += name;
      continue;
    }
    if (life) {
      ttl_s = any_limit ? std::min(ttl_s, *life) : *life;
      any_limit = true;
    }
  }
  if (!missing.empty()) {
    return error(ErrorCode::kBlocked, redact_url(response.effective_url) + " set no " + missing +
                                          " cookie (" + std::to_string(cookies.size()) +
                                          " cookies set)");
  }
  ttl_s = std::min<int64_t>(ttl_s, options_.max_ttl.count());
  put(key, header, std::chrono::seconds(ttl_s), clock);
  return header;
}

Result<CookieCache::Grant> CookieCache::get_or_fetch(const SourceContext& ctx, std::string_view key,
                                                     const HttpRequest& cookie_page,
                                                     const std::vector<std::string>& wanted,
                                                     std::string_view board_id) {
  if (auto cached = get(key, ctx.clock)) return Grant{std::move(*cached), true};
  MU_ASSIGN_OR_RETURN(HttpResponse response, fetch_ok(ctx, cookie_page, board_id));
  auto header = store_from_response(key, response, wanted, ctx.clock);
  if (!header.ok()) return header.status().with_context(board_id);
  return Grant{std::move(header).value(), false};
}

}  // namespace mu
