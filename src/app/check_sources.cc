#include "app/check_sources.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <set>
#include <thread>

#include "api/source_health.h"
#include "collector/local/local_collector.h"

namespace mu {

Status check_board_items(const std::vector<Item>& items, int64_t now_ms) {
  if (items.empty()) return error(ErrorCode::kParse, "no items");
  constexpr int64_t kYear2000Ms = 946'684'800'000;
  constexpr int64_t kDayMs = 86'400'000;
  std::set<std::string_view> keys;
  for (std::size_t i = 0; i < items.size(); ++i) {
    const Item& it = items[i];
    const std::string where = "item " + std::to_string(i + 1);
    if (!keys.insert(it.key).second) {
      return error(ErrorCode::kParse, where + ": duplicate key \"" + it.key + "\"");
    }
    if (it.title.empty()) return error(ErrorCode::kParse, where + ": empty title");
    if (it.url.rfind("http://", 0) != 0 && it.url.rfind("https://", 0) != 0) {
      return error(ErrorCode::kParse, where + ": URL is not http(s): " + it.url);
    }
    if (it.published_at_ms &&
        (*it.published_at_ms < kYear2000Ms || *it.published_at_ms > now_ms + kDayMs)) {
      return error(ErrorCode::kParse,
                   where + ": implausible date " + std::to_string(*it.published_at_ms) + " ms");
    }
  }
  return ok_status();
}

std::vector<BoardCheck> check_boards(const Catalogue& catalogue, Transport& transport,
                                     const Clock& clock,
                                     const std::map<std::string, std::string>& secrets,
                                     const std::vector<std::string>& only, int workers) {
  std::vector<const BoardMeta*> todo;
  for (const auto& b : catalogue.boards) {
    if (only.empty() || std::find(only.begin(), only.end(), b.id) != only.end()) {
      todo.push_back(&b);
    }
  }
  std::vector<BoardCheck> results(todo.size());
  LocalCollector::Options opts;
  opts.name = "check";
  opts.secrets = secrets;
  LocalCollector collector(catalogue.registry, transport, clock, opts);
  std::atomic<std::size_t> next{0};
  auto work = [&] {
    for (std::size_t i = next++; i < todo.size(); i = next++) {
      const BoardMeta& meta = *todo[i];
      BoardCheck& r = results[i];
      r.board = meta.id;
      r.needs_cookie = meta.needs_cookie || meta.needs_token;
      const MonoTime start = clock.mono();
      Dispatch d{meta.id, clock.now_ms() / 1000, 0, 1,
                 std::chrono::milliseconds(meta.schedule.timeout)};
      auto out = collector.collect(d);
      r.elapsed_ms =
          std::chrono::duration_cast<std::chrono::milliseconds>(clock.mono() - start).count();
      if (!out.ok()) {
        r.status = out.status();
        continue;
      }
      r.items = out->items.size();
      r.status = check_board_items(out->items, clock.now_ms());
    }
  };
  std::vector<std::thread> pool;
  for (int i = 0; i < std::max(1, workers); ++i) pool.emplace_back(work);
  for (auto& t : pool) t.join();
  return results;
}

std::string format_checks(const std::vector<BoardCheck>& checks) {
  std::string out;
  char line[512];
  std::snprintf(line, sizeof line, "%-30s %-12s %6s %8s  %s\n", "board", "status", "items", "ms",
                "problem");
  out += line;
  std::size_t failed = 0;
  for (const auto& c : checks) {
    if (!c.status.ok()) ++failed;
    std::string problem = c.status.ok() ? "" : c.status.message();
    if (problem.size() > 200) problem = problem.substr(0, 200) + "...";
    const std::string code(c.status.ok() ? "ok" : error_code_name(c.status.code()));
    const FailureClass klass = c.status.ok()
                                   ? FailureClass{"ok", ""}
                                   : classify_failure(code, c.status.message(), c.needs_cookie);
    std::snprintf(line, sizeof line, "%-30s %-12s %6zu %8lld  %s\n", c.board.c_str(),
                  std::string(klass.id).c_str(), c.items, static_cast<long long>(c.elapsed_ms),
                  problem.c_str());
    out += line;
    if (!c.status.ok()) {
      out += std::string(31, ' ') + "hint: " + std::string(klass.hint) + "\n";
    }
  }
  std::snprintf(line, sizeof line, "%zu passed, %zu failed\n", checks.size() - failed, failed);
  out += line;
  return out;
}

}  // namespace mu
