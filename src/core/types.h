// Mu's domain types: sites, boards, items and snapshots. Plain values; safe to copy
// between threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mu {

// A website, e.g. "weibo".
struct Site {
  std::string id;                    // "weibo"
  std::string name_zh;               // "微博"
  std::string name_en;               // "Weibo"
  std::string home;                  // "https://weibo.com"
  std::string icon;                  // URL or path of a small icon
  std::string color;                 // brand colour "#e6162d"
  std::string region;                // "cn" | "global"
  std::string category = "general";  // one of categories(): where the site's boards are listed
};

// The categories the home page's tabs list, in their order: general 综合, tech 科技,
// finance 财经, entertainment 娱乐, world 国际, community 社区, life 生活. A site declares
// one (`category`); a board may declare its own. Adding one is a line in types.cc.
struct Category {
  std::string_view id;
  std::string_view name_zh;
  std::string_view name_en;
};
const std::vector<Category>& categories();
const Category* find_category(std::string_view id);
// "general, tech, …": for error messages.
std::string category_ids();

// rank: each fetch replaces an ordered snapshot. stream: new items are appended.
enum class BoardKind { kRank, kStream };
std::string_view board_kind_name(BoardKind kind);
std::optional<BoardKind> parse_board_kind(std::string_view name);

// What happens to slots missed while the process was down or the clock jumped.
// kFireOnce: the latest missed slot runs at once, older ones are dropped (default).
// kSkip: the latest missed slot runs only if it can still start within `catch_up` of its
// time; otherwise the board waits for its next slot.
// kCatchUp: every missed slot of the last `catch_up` runs, oldest first, one at a time.
enum class MisfirePolicy { kFireOnce, kSkip, kCatchUp };

// What happens when a slot comes due while the board's previous run is still going.
// kSkip: the slot is dropped (default). kQueueOne: one run waits and starts when the
// current one ends; more slots due meanwhile merge into that one.
enum class OverlapPolicy { kSkip, kQueueOne };

// When a board is fetched: every `every` or, when `cron` is set, at the cron expression's
// times in the IANA zone `tz`. Either way a deterministic per-board offset within
// [0, jitter] is added.
struct Schedule {
  std::chrono::seconds every{std::chrono::minutes(10)};
  std::chrono::seconds jitter{std::chrono::seconds(30)};  // bound of the per-board offset
  std::chrono::seconds timeout{std::chrono::seconds(20)};
  int retries = 1;
  std::string cron;                  // empty: an interval schedule (`every`)
  std::string tz = "Asia/Shanghai";  // zone of the cron expression
  MisfirePolicy misfire = MisfirePolicy::kFireOnce;
  // The window of kSkip and kCatchUp. 0 means the default: min(every / 2, 5 min) for
  // interval boards, 5 min for cron boards.
  std::chrono::seconds catch_up{0};
  OverlapPolicy overlap = OverlapPolicy::kSkip;
};

// Metadata of one list on a site. Drives the scheduler, the API catalogue and the docs.
struct BoardMeta {
  std::string id;       // "<site>.<board>", e.g. "weibo.hot-search"
  std::string site;     // "weibo"
  std::string name_zh;  // "热搜榜"
  std::string name_en;  // "Hot search"
  BoardKind kind = BoardKind::kRank;
  Schedule schedule;
  std::string group;     // collector group: "cn" | "global"
  std::string homepage;  // where a person reads this board on the site
  std::string notes;     // maintainer notes (limits, quirks)
  // One of categories(); empty: the site's. The API serves the effective one.
  std::string category;
  bool needs_cookie = false;
  bool needs_token = false;
};

// One entry of a board. `key` is stable and unique within its board.
struct Item {
  std::string key;
  std::string title;
  std::string url;
  std::string mobile_url;
  std::string summary;
  std::string image;
  std::optional<double> hot;  // numeric popularity when the site gives one
  std::string hot_text;       // as the site shows it: "2123万", "532 points"
  std::string label;          // 新 / 热 / 爆 / ...
  std::string author;
  std::optional<int64_t> published_at_ms;
  std::vector<std::pair<std::string, std::string>> extra;  // small site-specific facts

  bool operator==(const Item&) const = default;
};

// An item as served: its position and what changed since the previous snapshot.
struct RankedItem {
  int rank = 0;  // 1-based
  Item item;
  std::optional<int> prev_rank;  // rank in the previous snapshot, if it was there
  bool is_new = false;           // absent from the previous snapshot
  int64_t first_seen_ms = 0;     // when the board first listed this key
  int best_rank = 0;             // best (lowest) rank ever held on this board
};

// The items of one successful fetch of a board.
struct Snapshot {
  int64_t id = 0;  // store-assigned, increasing per store: the board "version"
  std::string board;
  int64_t fetched_at_ms = 0;
  int64_t epoch = 0;
  std::string dispatch_id;
  std::vector<Item> items;
};

// Freshness of a board as the catalogue shows it.
struct BoardState {
  std::string board;
  bool enabled = true;
  int64_t fetched_at_ms = 0;   // last good snapshot (0: never)
  int64_t last_run_at_ms = 0;  // last run, good or bad
  int64_t version = 0;         // id of the last good snapshot
  int item_count = 0;
  bool stale = false;           // the last run failed (the last good data is still served)
  std::string last_error_code;  // empty when the last run succeeded
  std::string last_error;       // message of the last failure
  // Run history over the board's newest runs (at most kRecentRunsWindow = 20, see
  // store/store.h). Every attempt is a run, so a retried slot counts once per attempt.
  int recent_runs = 0;  // how many runs the window holds (0: never run)
  int recent_ok = 0;    // how many of them succeeded
};

// Per-item history on a board.
struct ItemHistory {
  int64_t first_seen_ms = 0;  // when the board first listed this key
  int best_rank = 0;          // best (lowest) rank ever held
};

}  // namespace mu
