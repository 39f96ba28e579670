// The one parser of a BoardChange's settings and their JSON form. The same keys, checks and
// error messages ("<key>: <why>", kInvalid) serve every way a change arrives: the admin
// API's JSON body, `mu ctl update BOARD key=value...`, and the board's override document in
// the store (OverrideStore::put_board_override). Keys: enabled, every / every_s, cron, tz, misfire,
// catch_up / catch_up_s, overlap, timeout / timeout_s, retries, jitter / jitter_s, group;
// `every`-style keys take a duration ("90s", "10m"), `_s` keys whole seconds; policies use
// their config names ("fire-once", "queue-one"). The stored document uses the `_s` keys;
// `meta` and `version` are not part of it (the version is the store's). Pure functions.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "scheduler/scheduler.h"

namespace mu {

// {"enabled":false,"every_s":300,"cron":"*/5 * * * *","tz":"Asia/Shanghai",...}; unset
// fields are left out.
std::string board_change_to_json(const BoardChange& change);

// Parses a JSON object of settings (a stored document or an admin API body) into
// `board`'s change at `version`. JSON types are strict ("enabled": true, "every_s": 60).
// kInvalid names the bad field.
Result<BoardChange> board_change_from_json(const std::string& board, int64_t version,
                                           const std::string& json);

// Parses `key=value` arguments (`mu ctl update`): values are text, converted by the key
// ("enabled=false", "every=10m", "every_s=600", "retries=3").
Result<BoardChange> board_change_from_args(const std::string& board,
                                           const std::vector<std::string>& args);

// Sets one setting of `change` from its text form; the parser both front ends share.
Status set_board_change_field(BoardChange& change, const std::string& key,
                              const std::string& value);

// The known keys, comma-separated (for error messages and usage texts).
std::string board_change_keys();

// `base` with the fields set in `update` on top. Setting `every` drops a cron schedule
// (and `cron` drops `every`), as apply_change() does.
BoardChange merge_board_change(BoardChange base, const BoardChange& update);

// A queue entry: a schedule change ({"kind":"change","board":..,"version":..}) or a
// run-now request ({"kind":"run","board":..}). The leader reads the change's settings from
// the store, so a queue entry only names what to look at.
struct QueueCommand {
  enum class Kind { kChange, kRunNow };
  Kind kind = Kind::kChange;
  std::string board;
  int64_t version = 0;
};
std::string queue_command_to_json(const QueueCommand& command);
Result<QueueCommand> queue_command_from_json(const std::string& json);

}  // namespace mu
