#include "app/history_cli.h"

#include <boost/json.hpp>

#include <string_view>
#include <utility>
#include <vector>

namespace mu {
namespace {
namespace json = boost::json;

// Runs a handler's answer to the end (a deferred answer inline) and turns an error body
// back into a Status.
Result<json::value> answer(Response response) {
  if (response.deferred) response = response.deferred();
  json::value body;
  try {
    body = json::parse(response.body_view());
  } catch (const std::exception& e) {
    return Status(ErrorCode::kInternal, std::string("unreadable answer: ") + e.what());
  }
  if (response.status != 200) {
    const json::object* o = body.if_object();
    const json::value* error = o != nullptr ? o->if_contains("error") : nullptr;
    std::string message = "request failed";
    if (error != nullptr && error->is_object()) {
      if (const json::value* m = error->as_object().if_contains("message");
          m != nullptr && m->is_string()) {
        message = std::string(m->as_string());
      }
    }
    const ErrorCode code = response.status == 400   ? ErrorCode::kInvalid
                           : response.status == 404 ? ErrorCode::kNotFound
                           : response.status == 503 ? ErrorCode::kUnavailable
                                                    : ErrorCode::kInternal;
    return Status(code, message);
  }
  return body;
}

std::string text_of(const json::value& v, std::string_view key) {
  const json::value* member = v.as_object().if_contains(key);
  if (member == nullptr || !member->is_string()) return "";
  return std::string(member->as_string());
}

int64_t int_of(const json::value& v, std::string_view key) {
  const json::value* member = v.as_object().if_contains(key);
  return member != nullptr && member->is_int64() ? member->as_int64() : 0;
}

// "2026-12-06T08:30:00.000Z" -> "2026-12-06 08:30Z"
std::string short_time(const std::string& iso) {
  if (iso.size() < 16) return iso;
  return iso.substr(0, 10) + " " + iso.substr(11, 5) + "Z";
}

Request make_request(std::vector<std::pair<std::string, std::string>> query,
                     std::vector<std::pair<std::string, std::string>> path = {}) {
  Request req;
  for (auto& [name, value] : query) {
    if (!value.empty()) req.query_params.emplace_back(std::move(name), std::move(value));
  }
  req.path_params = std::move(path);
  return req;
}

}  // namespace

Result<std::string> history_cli_search(const HistoryService& service, const SearchCliArgs& args) {
  const Request req = make_request({{"q", args.query},
                                    {"board", args.board},
                                    {"site", args.site},
                                    {"sort", args.sort},
                                    {"limit", std::to_string(args.limit)},
                                    {"facets", "0"}});
  MU_ASSIGN_OR_RETURN(json::value body, answer(service.search(req)));
  if (args.json) return json::serialize(body) + "\n";
  const json::value* exact = body.as_object().if_contains("total_exact");
  const bool more = exact != nullptr && exact->is_bool() && !exact->as_bool();
  std::string out =
      std::to_string(int_of(body, "total")) + (more ? "+" : "") + " matching items for \"" +
      args.query + "\"" +
      (text_of(body, "sort") == "rank" ? " (best rank first)\n" : " (first seen, newest first)\n");
  for (const json::value& item : body.at("items").as_array()) {
    out += "  " + short_time(text_of(item, "first_seen")) + "  " + text_of(item, "board") +
           "  best #" + std::to_string(int_of(item, "best_rank")) + "  " + text_of(item, "title") +
           "\n";
    if (const std::string url = text_of(item, "url"); !url.empty()) {
      out += "      " + url + "\n";
    }
  }
  return out;
}

Result<std::string> history_cli_board(const HistoryService& service, const HistoryCliArgs& args) {
  const Request req =
      make_request({{"at", args.at}, {"date", args.date}, {"tz", args.tz}}, {{"id", args.board}});
  MU_ASSIGN_OR_RETURN(json::value body, answer(service.board_history(req)));
  if (args.json) return json::serialize(body) + "\n";
  std::string out;
  if (!args.at.empty()) {
    out = args.board + " as it was at " + text_of(body, "at") + " (last changed " +
          text_of(body, "as_of") + ")\n";
    for (const json::value& item : body.at("items").as_array()) {
      out += "  " + std::to_string(int_of(item, "rank")) + ". " + text_of(item, "title") + "\n";
    }
    return out;
  }
  out = args.board + " on " + text_of(body, "date") + " (" + text_of(body, "tz") +
        "), by time on the board\n";
  for (const json::value& item : body.at("items").as_array()) {
    const int64_t minutes = int_of(item, "day_seconds") / 60;
    out += "  " + std::to_string(minutes / 60) + "h" + (minutes % 60 < 10 ? "0" : "") +
           std::to_string(minutes % 60) + "m  peak #" + std::to_string(int_of(item, "peak_rank")) +
           "  " + text_of(item, "title") + "\n";
  }
  return out;
}

}  // namespace mu
