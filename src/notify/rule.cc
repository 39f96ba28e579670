#include "notify/rule.h"

#include <re2/re2.h>

#include <boost/json.hpp>
#include <cmath>

#include "core/utf8.h"
#include "scheduler/cron.h"

namespace mu {
namespace {

namespace json = boost::json;

Status bad(std::string_view field, std::string_view what) {
  return error(ErrorCode::kInvalid, "rule." + std::string(field) + ": " + std::string(what));
}

// A list of words: each a non-empty string of at most kMaxRuleWordBytes, trimmed.
Result<std::vector<std::string>> words(const json::value& v, std::string_view field,
                                       std::size_t max_count, std::size_t max_bytes) {
  if (!v.is_array()) return bad(field, "expected an array of strings");
  const json::array& a = v.as_array();
  if (a.size() > max_count) {
    return bad(field, "at most " + std::to_string(max_count) + " entries (got " +
                          std::to_string(a.size()) + ")");
  }
  std::vector<std::string> out;
  out.reserve(a.size());
  for (const json::value& e : a) {
    if (!e.is_string()) return bad(field, "expected an array of strings");
    std::string_view s = e.as_string();
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    if (s.empty()) return bad(field, "empty entry");
    if (s.size() > max_bytes) {
      return bad(field, "an entry is longer than " + std::to_string(max_bytes) + " bytes");
    }
    if (find_invalid_utf8(s)) return bad(field, "not UTF-8");
    for (char c : s) {
      if (static_cast<unsigned char>(c) < 0x20) return bad(field, "control character");
    }
    out.emplace_back(s);
  }
  return out;
}

Result<int> integer(const json::value& v, std::string_view field, int lo, int hi) {
  if (!v.is_int64() && !v.is_uint64()) return bad(field, "expected an integer");
  const auto n = v.is_int64() ? v.as_int64() : static_cast<int64_t>(v.as_uint64());
  if (n < lo || n > hi) {
    return bad(field, "expected " + std::to_string(lo) + "…" + std::to_string(hi));
  }
  return static_cast<int>(n);
}

Result<std::string> text(const json::value& v, std::string_view field, std::size_t max_bytes) {
  if (!v.is_string()) return bad(field, "expected a string");
  std::string s(v.as_string());
  if (s.size() > max_bytes) {
    return bad(field, "longer than " + std::to_string(max_bytes) + " bytes");
  }
  if (find_invalid_utf8(s)) return bad(field, "not UTF-8");
  return s;
}

json::array to_array(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& s : v) a.emplace_back(json::string_view(s));
  return a;
}

std::string clock_text(int minutes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%02d:%02d", minutes / 60, minutes % 60);
  return buf;
}

}  // namespace

std::string_view rule_trigger_name(RuleTrigger trigger) {
  return trigger == RuleTrigger::kTop ? "top" : "new";
}

std::string_view rule_digest_name(RuleDigest digest) {
  switch (digest) {
    case RuleDigest::kHourly:
      return "hourly";
    case RuleDigest::kDaily:
      return "daily";
    case RuleDigest::kImmediate:
      break;
  }
  return "immediate";
}

std::optional<int> parse_clock_minutes(std::string_view t) {
  if (t.size() != 5 || t[2] != ':') return std::nullopt;
  for (int i : {0, 1, 3, 4}) {
    if (t[i] < '0' || t[i] > '9') return std::nullopt;
  }
  const int h = (t[0] - '0') * 10 + (t[1] - '0');
  const int m = (t[3] - '0') * 10 + (t[4] - '0');
  if (h > 23 || m > 59) return std::nullopt;
  return h * 60 + m;
}

Result<AlertRule> parse_rule(std::string_view body) {
  json::value doc;
  try {
    doc = json::parse(body);
  } catch (const std::exception& e) {
    return error(ErrorCode::kInvalid, std::string("rule: not JSON (") + e.what() + ")");
  }
  if (!doc.is_object()) return error(ErrorCode::kInvalid, "rule: expected a JSON object");
  AlertRule r;
  for (const auto& [key, v] : doc.as_object()) {
    if (key == "name") {
      MU_ASSIGN_OR_RETURN(r.name, text(v, key, kMaxRuleNameBytes));
    } else if (key == "enabled") {
      if (!v.is_bool()) return bad(key, "expected true or false");
      r.enabled = v.as_bool();
    } else if (key == "keywords") {
      MU_ASSIGN_OR_RETURN(r.keywords, words(v, key, kMaxRuleKeywords, kMaxRuleWordBytes));
    } else if (key == "exclude") {
      MU_ASSIGN_OR_RETURN(r.exclude, words(v, key, kMaxRuleKeywords, kMaxRuleWordBytes));
    } else if (key == "pattern") {
      MU_ASSIGN_OR_RETURN(r.pattern, text(v, key, kMaxRulePatternBytes));
    } else if (key == "boards") {
      MU_ASSIGN_OR_RETURN(r.boards, words(v, key, kMaxRuleScope, kMaxRuleWordBytes));
    } else if (key == "sites") {
      MU_ASSIGN_OR_RETURN(r.sites, words(v, key, kMaxRuleScope, kMaxRuleWordBytes));
    } else if (key == "max_rank") {
      MU_ASSIGN_OR_RETURN(r.max_rank, integer(v, key, 0, 1000));
    } else if (key == "min_hot") {
      if (!v.is_number()) return bad(key, "expected a number");
      r.min_hot = v.to_number<double>();
      if (!std::isfinite(r.min_hot) || r.min_hot < 0) return bad(key, "expected 0 or more");
    } else if (key == "trigger") {
      if (v == "new") {
        r.trigger = RuleTrigger::kNew;
      } else if (v == "top") {
        r.trigger = RuleTrigger::kTop;
      } else {
        return bad(key, "expected \"new\" or \"top\"");
      }
    } else if (key == "top_n") {
      MU_ASSIGN_OR_RETURN(r.top_n, integer(v, key, 1, 1000));
    } else if (key == "tz") {
      MU_ASSIGN_OR_RETURN(r.tz, text(v, key, 64));
      if (!find_time_zone(r.tz).ok()) return bad(key, "unknown time zone \"" + r.tz + "\"");
    } else if (key == "quiet") {
      if (v.is_null()) {
        r.quiet.reset();
        continue;
      }
      const json::object* q = v.if_object();
      const json::value* from = q != nullptr ? q->if_contains("from") : nullptr;
      const json::value* to = q != nullptr ? q->if_contains("to") : nullptr;
      if (from == nullptr || to == nullptr || !from->is_string() || !to->is_string() ||
          q->size() != 2) {
        return bad(key, "expected {\"from\": \"HH:MM\", \"to\": \"HH:MM\"} or null");
      }
      auto f = parse_clock_minutes(from->as_string());
      auto t = parse_clock_minutes(to->as_string());
      if (!f || !t) return bad(key, "times are HH:MM (00:00…23:59)");
      if (*f == *t) return bad(key, "from and to are the same time");
      r.quiet = QuietHours{*f, *t};
    } else if (key == "digest") {
      if (v == "immediate") {
        r.digest = RuleDigest::kImmediate;
      } else if (v == "hourly") {
        r.digest = RuleDigest::kHourly;
      } else if (v == "daily") {
        r.digest = RuleDigest::kDaily;
      } else {
        return bad(key, "expected \"immediate\", \"hourly\" or \"daily\"");
      }
    } else if (key == "digest_hour") {
      MU_ASSIGN_OR_RETURN(r.digest_hour, integer(v, key, 0, 23));
    } else if (key == "channels") {
      MU_ASSIGN_OR_RETURN(r.channels, words(v, key, kMaxRuleChannels, kMaxRuleWordBytes));
    } else if (key == "id" || key == "user_id" || key == "created_at" || key == "updated_at") {
      // Read-only fields of an answer sent back as is: ignored.
    } else {
      return bad(key, "unknown field");
    }
  }
  if (r.boards.size() + r.sites.size() > kMaxRuleScope) {
    return bad("boards", "boards and sites together at most " + std::to_string(kMaxRuleScope));
  }
  if (!r.pattern.empty()) {
    re2::RE2::Options options;
    options.set_log_errors(false);
    options.set_max_mem(kRulePatternMaxMem);
    options.set_case_sensitive(false);
    re2::RE2 re(r.pattern, options);
    if (!re.ok()) return bad("pattern", "not a valid RE2 pattern (" + re.error() + ")");
  }
  return r;
}

std::string rule_to_json(const AlertRule& r) {
  json::object o;
  o["name"] = r.name;
  o["enabled"] = r.enabled;
  o["keywords"] = to_array(r.keywords);
  o["pattern"] = r.pattern;
  o["exclude"] = to_array(r.exclude);
  o["boards"] = to_array(r.boards);
  o["sites"] = to_array(r.sites);
  o["max_rank"] = r.max_rank;
  o["min_hot"] = r.min_hot;
  o["trigger"] = rule_trigger_name(r.trigger);
  o["top_n"] = r.top_n;
  o["tz"] = r.tz;
  if (r.quiet) {
    o["quiet"] = json::object{{"from", clock_text(r.quiet->from_minute)},
                              {"to", clock_text(r.quiet->to_minute)}};
  } else {
    o["quiet"] = nullptr;
  }
  o["digest"] = rule_digest_name(r.digest);
  o["digest_hour"] = r.digest_hour;
  o["channels"] = to_array(r.channels);
  return json::serialize(o);
}

}  // namespace mu
