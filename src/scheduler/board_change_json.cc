#include "scheduler/board_change_json.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <string>
#include <vector>

#include "core/config.h"

namespace mu {

namespace json = boost::json;

namespace {

Status bad(const std::string& field, const std::string& why) {
  return error(ErrorCode::kInvalid, field + ": " + why);
}

Result<int64_t> read_int(const json::value& v, const std::string& field) {
  if (v.is_int64()) return v.as_int64();
  if (v.is_uint64() && v.as_uint64() <= static_cast<uint64_t>(INT64_MAX)) {
    return static_cast<int64_t>(v.as_uint64());
  }
  return bad(field, "expected an integer");
}

// The kinds of value a setting takes. A JSON value (admin API body, stored document) must
// have the kind's JSON type; a text value (`mu ctl update B key=value`) arrives as a
// string and is converted by the kind.
enum class Kind { kBool, kDuration, kSeconds, kCount, kString, kMisfire, kOverlap };

using SecondsField = std::optional<std::chrono::seconds> BoardChange::*;
using StringField = std::optional<std::string> BoardChange::*;

struct Field {
  const char* key;
  Kind kind;
  SecondsField seconds = nullptr;  // kDuration, kSeconds
  StringField text = nullptr;      // kString
};

// Every setting of a BoardChange, by the key used in JSON bodies, stored documents and
// `mu ctl update`. Durations come as "90s"/"10m" (every, ...) or whole seconds (every_s, ...).
const Field kFields[] = {
    {"enabled", Kind::kBool},
    {"every", Kind::kDuration, &BoardChange::every},
    {"every_s", Kind::kSeconds, &BoardChange::every},
    {"cron", Kind::kString, nullptr, &BoardChange::cron},
    {"tz", Kind::kString, nullptr, &BoardChange::tz},
    {"misfire", Kind::kMisfire},
    {"catch_up", Kind::kDuration, &BoardChange::catch_up},
    {"catch_up_s", Kind::kSeconds, &BoardChange::catch_up},
    {"overlap", Kind::kOverlap},
    {"timeout", Kind::kDuration, &BoardChange::timeout},
    {"timeout_s", Kind::kSeconds, &BoardChange::timeout},
    {"retries", Kind::kCount},
    {"jitter", Kind::kDuration, &BoardChange::jitter},
    {"jitter_s", Kind::kSeconds, &BoardChange::jitter},
    {"group", Kind::kString, nullptr, &BoardChange::group},
};

Result<int64_t> whole_number(const json::value& v, bool text, const std::string& key,
                             const char* expected) {
  if (v.is_int64() || v.is_uint64()) return read_int(v, key);
  if (text && v.is_string()) {
    const std::string s(v.as_string());
    std::size_t used = 0;
    try {
      const long long n = std::stoll(s, &used);
      if (used == s.size()) return static_cast<int64_t>(n);
    } catch (const std::exception&) {
    }
  }
  return bad(key, expected);
}

Result<std::chrono::seconds> seconds_value(const json::value& v, bool text, const Field& f) {
  const std::string key = f.key;
  int64_t n = 0;
  if (f.kind == Kind::kSeconds) {
    MU_ASSIGN_OR_RETURN(n, whole_number(v, text, key, "expected whole seconds"));
  } else {
    if (!v.is_string()) return bad(key, "expected a duration such as \"90s\" or \"10m\"");
    auto d = parse_duration(std::string(v.as_string()));
    if (!d.ok()) return bad(key, d.error_message());
    n = std::chrono::duration_cast<std::chrono::seconds>(*d).count();
  }
  if (n < 0) return bad(key, "must not be negative");
  return std::chrono::seconds(n);
}

Result<std::string> string_value(const json::value& v, const std::string& key) {
  if (!v.is_string()) return bad(key, "expected a string");
  return std::string(v.as_string());
}

// THE parser of one setting: every front end comes here, so a key means the same and is
// rejected with the same message everywhere.
Status set_field(BoardChange& c, const std::string& key, const json::value& v, bool text) {
  const Field* f = nullptr;
  for (const auto& candidate : kFields) {
    if (key == candidate.key) f = &candidate;
  }
  if (f == nullptr) return bad(key, "unknown field (known: " + board_change_keys() + ")");
  switch (f->kind) {
    case Kind::kBool: {
      if (v.is_bool()) {
        c.enabled = v.as_bool();
      } else if (text && v.is_string() && (v.as_string() == "true" || v.as_string() == "false")) {
        c.enabled = v.as_string() == "true";
      } else {
        return bad(key, "expected true or false");
      }
      return ok_status();
    }
    case Kind::kDuration:
    case Kind::kSeconds: {
      MU_ASSIGN_OR_RETURN(auto s, seconds_value(v, text, *f));
      if (f->seconds == &BoardChange::every && s.count() == 0) {
        return bad(key, "must be positive");
      }
      c.*(f->seconds) = s;
      return ok_status();
    }
    case Kind::kCount: {
      MU_ASSIGN_OR_RETURN(int64_t n,
                          whole_number(v, text, key, "expected a whole number within 0..100"));
      if (n < 0 || n > 100) return bad(key, "expected a whole number within 0..100");
      c.retries = static_cast<int>(n);
      return ok_status();
    }
    case Kind::kString: {
      MU_ASSIGN_OR_RETURN(c.*(f->text), string_value(v, key));
      return ok_status();
    }
    case Kind::kMisfire: {
      MU_ASSIGN_OR_RETURN(std::string name, string_value(v, key));
      c.misfire = parse_misfire_policy(name);
      if (!c.misfire) return bad(key, "unknown policy \"" + name + "\"");
      return ok_status();
    }
    case Kind::kOverlap: {
      MU_ASSIGN_OR_RETURN(std::string name, string_value(v, key));
      c.overlap = parse_overlap_policy(name);
      if (!c.overlap) return bad(key, "unknown policy \"" + name + "\"");
      return ok_status();
    }
  }
  return bad(key, "unknown field");
}

// Rules across fields, checked by every front end after its fields are set.
Status check_fields(const BoardChange& c, const std::string& every_key) {
  if (c.every && c.cron) {
    return bad(every_key, "every and cron exclude each other; set only one");
  }
  return ok_status();
}

}  // namespace

std::string board_change_keys() {
  std::string out;
  for (const auto& f : kFields) {
    if (!out.empty()) out += ", ";
    out += f.key;
  }
  return out;
}

Status set_board_change_field(BoardChange& change, const std::string& key,
                              const std::string& value) {
  return set_field(change, key, json::value(json::string(value)), /*text=*/true);
}

Result<BoardChange> board_change_from_args(const std::string& board,
                                           const std::vector<std::string>& args) {
  BoardChange c;
  c.board = board;
  std::string every_key = "every";
  for (const auto& a : args) {
    const auto eq = a.find('=');
    if (eq == std::string::npos || eq == 0) {
      return error(ErrorCode::kInvalid, "expected key=value, got \"" + a + "\"");
    }
    const std::string key = a.substr(0, eq);
    MU_RETURN_IF_ERROR(set_board_change_field(c, key, a.substr(eq + 1)));
    if (key.rfind("every", 0) == 0) every_key = key;
  }
  MU_RETURN_IF_ERROR(check_fields(c, every_key));
  return c;
}

std::string board_change_to_json(const BoardChange& c) {
  json::object o;
  if (c.enabled) o["enabled"] = *c.enabled;
  if (c.every) o["every_s"] = c.every->count();
  if (c.cron) o["cron"] = *c.cron;
  if (c.tz) o["tz"] = *c.tz;
  if (c.misfire) o["misfire"] = misfire_policy_name(*c.misfire);
  if (c.catch_up) o["catch_up_s"] = c.catch_up->count();
  if (c.overlap) o["overlap"] = overlap_policy_name(*c.overlap);
  if (c.timeout) o["timeout_s"] = c.timeout->count();
  if (c.retries) o["retries"] = *c.retries;
  if (c.jitter) o["jitter_s"] = c.jitter->count();
  if (c.group) o["group"] = *c.group;
  return json::serialize(o);
}

Result<BoardChange> board_change_from_json(const std::string& board, int64_t version,
                                           const std::string& text) {
  boost::system::error_code ec;
  json::value doc = json::parse(text, ec);
  if (ec) return bad("document", ec.message());
  if (!doc.is_object()) return bad("document", "expected an object");
  BoardChange c;
  c.board = board;
  c.version = version;
  std::string every_key = "every";
  for (const auto& [key_view, v] : doc.as_object()) {
    const std::string key(key_view);
    MU_RETURN_IF_ERROR(set_field(c, key, v, /*text=*/false));
    if (key.rfind("every", 0) == 0) every_key = key;
  }
  MU_RETURN_IF_ERROR(check_fields(c, every_key));
  return c;
}

BoardChange merge_board_change(BoardChange base, const BoardChange& u) {
  if (u.enabled) base.enabled = u.enabled;
  if (u.every) {
    base.every = u.every;
    base.cron.reset();
  }
  if (u.cron) {
    base.cron = u.cron;
    base.every.reset();
  }
  if (u.tz) base.tz = u.tz;
  if (u.misfire) base.misfire = u.misfire;
  if (u.catch_up) base.catch_up = u.catch_up;
  if (u.overlap) base.overlap = u.overlap;
  if (u.timeout) base.timeout = u.timeout;
  if (u.retries) base.retries = u.retries;
  if (u.jitter) base.jitter = u.jitter;
  if (u.group) base.group = u.group;
  return base;
}

std::string queue_command_to_json(const QueueCommand& command) {
  json::object o;
  o["kind"] = command.kind == QueueCommand::Kind::kChange ? "change" : "run";
  o["board"] = command.board;
  if (command.kind == QueueCommand::Kind::kChange) o["version"] = command.version;
  return json::serialize(o);
}

Result<QueueCommand> queue_command_from_json(const std::string& text) {
  boost::system::error_code ec;
  json::value doc = json::parse(text, ec);
  if (ec || !doc.is_object()) return bad("queue entry", "not a JSON object");
  const auto& o = doc.as_object();
  QueueCommand c;
  const auto* kind = o.if_contains("kind");
  const auto* board = o.if_contains("board");
  if (kind == nullptr || !kind->is_string()) return bad("kind", "missing");
  if (board == nullptr || !board->is_string() || board->as_string().empty()) {
    return bad("board", "missing");
  }
  c.board = std::string(board->as_string());
  if (kind->as_string() == "change") {
    c.kind = QueueCommand::Kind::kChange;
    const auto* version = o.if_contains("version");
    if (version == nullptr) return bad("version", "missing");
    MU_ASSIGN_OR_RETURN(c.version, read_int(*version, "version"));
  } else if (kind->as_string() == "run") {
    c.kind = QueueCommand::Kind::kRunNow;
  } else {
    return bad("kind", "unknown kind \"" + std::string(kind->as_string()) + "\"");
  }
  return c;
}

}  // namespace mu
