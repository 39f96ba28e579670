// `mu search` and `mu history`: the history routes (api/history_service.h) from the command
// line, on the database the config names. The commands call the same handlers as
// GET /api/v1/search and GET /api/v1/boards/{id}/history, so they check their arguments
// and answer exactly like the API; --json prints the API's body, otherwise a short text.
// Plain functions; as safe for concurrent use as the service.
#pragma once

#include <optional>
#include <string>

#include "api/history_service.h"
#include "core/status.h"

namespace mu {

struct SearchCliArgs {
  std::string query;
  std::string board;  // "" = every board
  std::string site;   // "" = every site
  std::string sort;   // "" = newest
  int limit = 20;
  bool json = false;
};

// What to print, or the API's error (kInvalid for a bad argument, kUnavailable, ...).
Result<std::string> history_cli_search(const HistoryService& service, const SearchCliArgs& args);

struct HistoryCliArgs {
  std::string board;
  std::string at;    // an instant with a zone ("2026-12-06T08:00:00Z"); or
  std::string date;  // a day (YYYY-MM-DD) in `tz` ("" = the configured zone)
  std::string tz;
  bool json = false;
};

Result<std::string> history_cli_board(const HistoryService& service, const HistoryCliArgs& args);

}  // namespace mu
