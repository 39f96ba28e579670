#include "scheduler/cron.h"

#include <date/tz.h>

#include <array>
#include <cctype>
#include <vector>

namespace mu {
namespace {

using std::chrono::seconds;

constexpr std::array<std::string_view, 12> kMonths = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                                      "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr std::array<std::string_view, 7> kDays = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == sep) {
      out.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  return out;
}

struct FieldSpec {
  const char* name;
  int lo;
  int hi;
  const std::string_view* names = nullptr;  // names[i] means value names_base + i
  int names_count = 0;
  int names_base = 0;
  bool allow_question = false;
};

Result<int> parse_value(std::string_view text, const FieldSpec& f) {
  if (text.empty()) return error(ErrorCode::kConfig, std::string(f.name) + ": empty value");
  if (f.names != nullptr) {
    std::string u = upper(text);
    for (int i = 0; i < f.names_count; ++i) {
      if (u == f.names[i]) return f.names_base + i;
    }
  }
  int v = 0;
  for (char c : text) {
    if (c < '0' || c > '9' || v > 1000) {
      return error(ErrorCode::kConfig, std::string(f.name) + ": \"" + std::string(text) +
                                           "\" is not a number" +
                                           (f.names != nullptr ? " or a name" : ""));
    }
    v = v * 10 + (c - '0');
  }
  if (v < f.lo || v > f.hi) {
    return error(ErrorCode::kConfig, std::string(f.name) + ": " + std::to_string(v) +
                                         " is outside " + std::to_string(f.lo) + "-" +
                                         std::to_string(f.hi));
  }
  return v;
}

// Parses one field into a set of allowed values. `restricted` is false for `*`/`?`.
template <std::size_t N>
Status parse_field(std::string_view text, const FieldSpec& f, std::bitset<N>& out,
                   bool* restricted) {
  out.reset();
  *restricted = true;
  if (text.empty()) return error(ErrorCode::kConfig, std::string(f.name) + ": empty field");
  for (std::string_view part : split(text, ',')) {
    auto slash = part.find('/');
    std::string_view base = part.substr(0, slash);
    int step = 1;
    if (slash != std::string_view::npos) {
      std::string_view st = part.substr(slash + 1);
      FieldSpec step_spec{f.name, 1, f.hi - f.lo + 1};
      auto s = parse_value(st, step_spec);
      if (!s.ok()) {
        return error(ErrorCode::kConfig,
                     std::string(f.name) + ": bad step \"" + std::string(st) + "\"");
      }
      step = *s;
    }
    int lo = 0;
    int hi = 0;
    if (base == "*" || (base == "?" && f.allow_question)) {
      lo = f.lo;
      hi = f.hi;
      if (slash == std::string_view::npos && split(text, ',').size() == 1) *restricted = false;
    } else if (auto dash = base.find('-'); dash != std::string_view::npos) {
      MU_ASSIGN_OR_RETURN(lo, parse_value(base.substr(0, dash), f));
      MU_ASSIGN_OR_RETURN(hi, parse_value(base.substr(dash + 1), f));
      if (hi < lo) {
        return error(ErrorCode::kConfig,
                     std::string(f.name) + ": range \"" + std::string(base) + "\" goes backwards");
      }
    } else {
      MU_ASSIGN_OR_RETURN(lo, parse_value(base, f));
      hi = slash == std::string_view::npos ? lo : f.hi;  // "5/15" means 5-max/15
    }
    for (int v = lo; v <= hi; v += step) out.set(static_cast<std::size_t>(v));
  }
  return ok_status();
}

// The smallest set index >= from, or -1.
template <std::size_t N>
int next_set(const std::bitset<N>& bits, int from) {
  for (int i = std::max(from, 0); i < static_cast<int>(N); ++i) {
    if (bits[static_cast<std::size_t>(i)]) return i;
  }
  return -1;
}

std::string_view expand_macro(std::string_view text) {
  if (text == "@yearly" || text == "@annually") return "0 0 1 1 *";
  if (text == "@monthly") return "0 0 1 * *";
  if (text == "@weekly") return "0 0 * * 0";
  if (text == "@daily" || text == "@midnight") return "0 0 * * *";
  if (text == "@hourly") return "0 * * * *";
  return text;
}

}  // namespace

Result<const date::time_zone*> find_time_zone(std::string_view name) {
  try {
    return date::locate_zone(name);
  } catch (const std::exception&) {
    return error(ErrorCode::kConfig, "unknown time zone \"" + std::string(name) +
                                         "\" (use an IANA name such as Asia/Shanghai)");
  }
}

ScheduleValidator schedule_validator() {
  ScheduleValidator v;
  v.cron = [](const std::string& text) { return CronExpr::parse(text).status(); };
  v.tz = [](const std::string& name) { return find_time_zone(name).status(); };
  return v;
}

Result<CronExpr> CronExpr::parse(std::string_view text) {
  CronExpr c;
  c.text_ = std::string(text);
  std::string_view body = text;
  while (!body.empty() && body.front() == ' ') body.remove_prefix(1);
  while (!body.empty() && body.back() == ' ') body.remove_suffix(1);
  if (!body.empty() && body.front() == '@') {
    std::string_view expanded = expand_macro(body);
    if (expanded == body) {
      return error(ErrorCode::kConfig,
                   "cron \"" + std::string(text) +
                       "\": unknown macro (use @yearly, @monthly, @weekly, @daily, @hourly)");
    }
    body = expanded;
  }
  std::vector<std::string_view> fields;
  for (std::string_view f : split(body, ' ')) {
    if (!f.empty()) fields.push_back(f);
  }
  if (fields.size() != 5 && fields.size() != 6) {
    return error(ErrorCode::kConfig, "cron \"" + std::string(text) + "\": expected 5 fields (" +
                                         "minute hour day month weekday) or 6 (with seconds), " +
                                         "got " + std::to_string(fields.size()));
  }
  std::size_t i = 0;
  bool restricted = false;
  auto wrap = [&](Status s) {
    return s.ok() ? s
                  : error(ErrorCode::kConfig, "cron \"" + std::string(text) + "\": " + s.message());
  };
  if (fields.size() == 6) {
    MU_RETURN_IF_ERROR(
        wrap(parse_field(fields[i++], FieldSpec{"second", 0, 59}, c.seconds_, &restricted)));
  } else {
    c.seconds_.set(0);
  }
  MU_RETURN_IF_ERROR(
      wrap(parse_field(fields[i++], FieldSpec{"minute", 0, 59}, c.minutes_, &restricted)));
  MU_RETURN_IF_ERROR(
      wrap(parse_field(fields[i++], FieldSpec{"hour", 0, 23}, c.hours_, &restricted)));
  MU_RETURN_IF_ERROR(
      wrap(parse_field(fields[i++], FieldSpec{"day-of-month", 1, 31, nullptr, 0, 0, true}, c.days_,
                       &c.days_restricted_)));
  MU_RETURN_IF_ERROR(
      wrap(parse_field(fields[i++], FieldSpec{"month", 1, 12, kMonths.data(), 12, 1, false},
                       c.months_, &restricted)));
  std::bitset<8> wd;
  MU_RETURN_IF_ERROR(
      wrap(parse_field(fields[i++], FieldSpec{"day-of-week", 0, 7, kDays.data(), 7, 0, true}, wd,
                       &c.weekdays_restricted_)));
  for (int d = 0; d < 7; ++d)
    c.weekdays_[static_cast<std::size_t>(d)] = wd[static_cast<std::size_t>(d)];
  if (wd[7]) c.weekdays_.set(0);  // 7 is Sunday too
  return c;
}

bool CronExpr::day_matches(int day, int weekday) const {
  const bool dom = days_[static_cast<std::size_t>(day)];
  const bool dow = weekdays_[static_cast<std::size_t>(weekday)];
  if (days_restricted_ && weekdays_restricted_) return dom || dow;
  if (days_restricted_) return dom;
  if (weekdays_restricted_) return dow;
  return true;
}

std::optional<WallTime> CronExpr::next(WallTime after, const date::time_zone* zone) const {
  using namespace std::chrono;
  const date::sys_seconds after_s = date::floor<seconds>(after);
  date::local_seconds t = zone->to_local(after_s) + seconds(1);
  const date::year last_year =
      date::year_month_day{date::floor<date::days>(t)}.year() + date::years(8);
  for (int guard = 0; guard < 100000; ++guard) {
    const date::local_days day = date::floor<date::days>(t);
    const date::year_month_day ymd{day};
    if (ymd.year() > last_year) return std::nullopt;
    const auto month = static_cast<int>(static_cast<unsigned>(ymd.month()));
    if (!months_[static_cast<std::size_t>(month)]) {
      const date::year_month next_month =
          date::year_month{ymd.year(), ymd.month()} + date::months(1);
      t = date::local_days{next_month / 1};
      continue;
    }
    const int dom = static_cast<int>(static_cast<unsigned>(ymd.day()));
    const int dow = static_cast<int>(date::weekday{day}.c_encoding());
    if (!day_matches(dom, dow)) {
      t = day + date::days(1);
      continue;
    }
    const date::hh_mm_ss<seconds> hms{t - day};
    const int h = static_cast<int>(hms.hours().count());
    const int m = static_cast<int>(hms.minutes().count());
    const int s = static_cast<int>(hms.seconds().count());
    if (!hours_[static_cast<std::size_t>(h)]) {
      int nh = next_set(hours_, h + 1);
      t = nh < 0 ? day + date::days(1) : day + hours(nh);
      continue;
    }
    if (!minutes_[static_cast<std::size_t>(m)]) {
      int nm = next_set(minutes_, m + 1);
      t = nm < 0 ? day + hours(h + 1) : day + hours(h) + minutes(nm);
      continue;
    }
    if (!seconds_[static_cast<std::size_t>(s)]) {
      int ns = next_set(seconds_, s + 1);
      t = ns < 0 ? day + hours(h) + minutes(m + 1) : day + hours(h) + minutes(m) + seconds(ns);
      continue;
    }
    // A matching local time: map it to an instant.
    const date::local_info info = zone->get_info(t);
    date::sys_seconds fire;
    if (info.result == date::local_info::nonexistent) {
      fire = info.first.end;  // the gap's end: 02:30 that never happens fires at 03:00
    } else {
      fire = date::sys_seconds{t.time_since_epoch()} - info.first.offset;  // first occurrence
    }
    if (fire > after_s) return WallTime(fire);
    t += seconds(1);
  }
  return std::nullopt;
}

}  // namespace mu
