#include "scheduler/board_change_json.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "core/config.h"

namespace mu {

namespace json = boost::json;

namespace {

Status bad(const std::string& field, const std::string& why) {
  return error(ErrorCode::kInvalid, "board change: " + field + ": " + why);
}

Result<int64_t> read_int(const json::value& v, const std::string& field) {
  if (v.is_int64()) return v.as_int64();
  if (v.is_uint64() && v.as_uint64() <= static_cast<uint64_t>(INT64_MAX)) {
    return static_cast<int64_t>(v.as_uint64());
  }
  return bad(field, "expected an integer");
}

Result<std::chrono::seconds> read_seconds(const json::value& v, const std::string& field) {
  MU_ASSIGN_OR_RETURN(int64_t n, read_int(v, field));
  if (n < 0) return bad(field, "must not be negative");
  return std::chrono::seconds(n);
}

Result<std::string> read_string(const json::value& v, const std::string& field) {
  if (!v.is_string()) return bad(field, "expected a string");
  return std::string(v.as_string());
}

}  // namespace

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
  for (const auto& [key_view, v] : doc.as_object()) {
    const std::string key(key_view);
    if (key == "enabled") {
      if (!v.is_bool()) return bad(key, "expected true or false");
      c.enabled = v.as_bool();
    } else if (key == "every_s") {
      MU_ASSIGN_OR_RETURN(auto s, read_seconds(v, key));
      if (s.count() == 0) return bad(key, "must be positive");
      c.every = s;
    } else if (key == "cron") {
      MU_ASSIGN_OR_RETURN(c.cron, read_string(v, key));
    } else if (key == "tz") {
      MU_ASSIGN_OR_RETURN(c.tz, read_string(v, key));
    } else if (key == "misfire") {
      MU_ASSIGN_OR_RETURN(std::string name, read_string(v, key));
      c.misfire = parse_misfire_policy(name);
      if (!c.misfire) return bad(key, "unknown policy \"" + name + "\"");
    } else if (key == "catch_up_s") {
      MU_ASSIGN_OR_RETURN(c.catch_up, read_seconds(v, key));
    } else if (key == "overlap") {
      MU_ASSIGN_OR_RETURN(std::string name, read_string(v, key));
      c.overlap = parse_overlap_policy(name);
      if (!c.overlap) return bad(key, "unknown policy \"" + name + "\"");
    } else if (key == "timeout_s") {
      MU_ASSIGN_OR_RETURN(c.timeout, read_seconds(v, key));
    } else if (key == "retries") {
      MU_ASSIGN_OR_RETURN(int64_t n, read_int(v, key));
      if (n < 0 || n > 100) return bad(key, "must be within 0..100");
      c.retries = static_cast<int>(n);
    } else if (key == "jitter_s") {
      MU_ASSIGN_OR_RETURN(c.jitter, read_seconds(v, key));
    } else if (key == "group") {
      MU_ASSIGN_OR_RETURN(c.group, read_string(v, key));
    } else {
      return bad(key, "unknown field");
    }
  }
  if (c.every && c.cron) return bad("every_s", "every and cron exclude each other");
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
