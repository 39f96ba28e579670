// The JSON form of a BoardChange's settings: what the store keeps as a board's override
// document (Store::put_board_override) and what the change queue carries. Durations are
// whole seconds; policies use their config names ("fire-once", "queue-one"). `meta` and
// `version` are not part of the document (the version is the store's). Pure functions.
#pragma once

#include <string>

#include "core/status.h"
#include "scheduler/scheduler.h"

namespace mu {

// {"enabled":false,"every_s":300,"cron":"*/5 * * * *","tz":"Asia/Shanghai",...}; unset
// fields are left out.
std::string board_change_to_json(const BoardChange& change);

// Parses a document written by board_change_to_json into `board`'s change at `version`.
// kInvalid names the bad field.
Result<BoardChange> board_change_from_json(const std::string& board, int64_t version,
                                           const std::string& json);

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
