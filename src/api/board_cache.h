// BoardCache: the API's pre-rendered bodies (each board's JSON + gzip + ETag, the
// catalogue and the site list), rebuilt from the BoardStore when a board-updated event arrives
// and served many times without copying. If the store cannot be read, the previous body
// stays (last good data is never replaced by an error).
//
// Costs: one board update re-renders that board and its catalogue entry only (O(1) in the
// number of boards). The whole catalogue (GET /api/v1/boards) is assembled from the
// per-board entries lazily, when it is asked for, at most once per `catalogue_interval`;
// between two assemblies the previous body is served. Filtered catalogue queries scan the
// per-board entries without touching the store.
//
// Safe for concurrent use: readers take a shared_ptr under a shared lock; refreshes render
// outside it, one refresh of a board at a time (a per-board mutex).
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/clock.h"
#include "core/status.h"
#include "core/types.h"
#include "pipeline/render.h"
#include "store/store.h"

namespace mu {

struct BoardCacheOptions {
  // The whole catalogue is re-assembled at most this often (0: whenever a board changed).
  std::chrono::milliseconds catalogue_interval{1000};
  // Boards the configuration switches off (`[boards."id"] enabled = false`): rendered as
  // disabled unless a live change (set_meta with a flag) switches them on.
  std::set<std::string> disabled;
};

// What a refresh of one board found. `shown_changed` is false when only the board's times
// and run statistics moved (a scheduled run fetched the same items): readers then need the
// new times, not the body again.
struct BoardRefresh {
  bool shown_changed = true;
  int64_t version = 0;
  int64_t fetched_at_ms = 0;
  int64_t last_run_at_ms = 0;
  int64_t due_by_ms = 0;  // 0: no deadline (never fetched, disabled, cron schedule)
  std::optional<double> success_rate;
};

// A board's state as last rendered, for metrics and health pages.
struct BoardHealth {
  std::string board;
  std::string site;
  std::string name_zh;
  std::string name_en;
  bool needs_cookie = false;  // the source wants a signed-in cookie (or a token)
  std::string last_error;     // message of the last failure
  bool enabled = true;
  bool stale = false;                  // the last run failed
  std::string last_error_code;         // "" when the last run succeeded
  int64_t fetched_at_ms = 0;           // last good data (0: never)
  int64_t last_run_at_ms = 0;          // last run, good or bad (0: never)
  int64_t every_ms = 0;                // the interval (0: cron schedule)
  int items = 0;                       // items of the last good data
  std::optional<double> success_rate;  // over the newest runs; nullopt: never run
};

// What a board's body was last rendered from, for other renderings of the same update (the
// feeds). Immutable; every render makes a new one, so pointer identity means "same render".
struct BoardContent {
  Site site;
  BoardMeta meta;
  BoardState state;  // as shown: with the operator's enabled flag
  std::vector<RankedItem> items;
};

// A filtered, paged view of the catalogue (GET /api/v1/boards?site=&kind=&q=&ids=&...).
struct CatalogueQuery {
  std::vector<std::string> sites;  // only boards of these sites; empty: every site
  std::optional<BoardKind> kind;   // only boards of this kind
  std::string text;                // substring of id, names, site id or site names
  std::vector<std::string> ids;    // only these boards; empty: every board
  size_t offset = 0;
  std::optional<size_t> limit;  // nullopt: every match after offset
};

class BoardCache {
 public:
  BoardCache(std::vector<Site> sites, std::vector<BoardMeta> boards, BoardStore& store,
             const Clock& clock, BoardCacheOptions options = {});
  BoardCache(const BoardCache&) = delete;
  BoardCache& operator=(const BoardCache&) = delete;

  // Renders every board and the sites. Returns the first store error (the boards it could
  // render are still served).
  Status refresh_all();
  // Re-renders one board and its catalogue entry, and says whether what a reader sees
  // besides times and run statistics changed (items, their marks, enabled, error state).
  Result<BoardRefresh> refresh(const std::string& board);
  // Reads every board's state in one store query and re-renders only the boards whose
  // state changed since they were last rendered; returns their ids. The safety net for
  // lost board-updated events: its cost is one query plus the boards that changed.
  Result<std::vector<std::string>> refresh_changed();
  // Replaces a board's schedule and collector group with its effective ones after a live
  // change (catalogue + stored override: every, cron, group) and, when `enabled` is set,
  // renders the board with that flag instead of the catalogue's; then re-renders it.
  // Names, site and kind never change. kNotFound for an unknown board.
  Status set_meta(const BoardMeta& meta, std::optional<bool> enabled = std::nullopt);

  // Every rendered board's state, in catalogue order.
  std::vector<BoardHealth> health() const;

  // nullptr for an unknown board id or one not rendered yet.
  std::shared_ptr<const RenderedBody> board(const std::string& id) const;
  // What that body was rendered from; nullptr like board().
  std::shared_ptr<const BoardContent> content(const std::string& id) const;
  // Every board, assembled at most once per catalogue_interval (see above).
  std::shared_ptr<const RenderedBody> catalogue() const;
  // The boards matching `query` in catalogue order, paged; "total" counts every match.
  RenderedBody query_catalogue(const CatalogueQuery& query) const;
  std::shared_ptr<const RenderedBody> sites() const;

  bool known(const std::string& id) const { return index_.count(id) != 0; }
  // False for an unknown board and one switched off (the configuration or a live change).
  bool enabled(const std::string& id) const;
  // Every board in the home page's default order after its biggest boards: by category (the
  // board's own, else its site's; in categories() order), catalogue order within one.
  const std::vector<std::string>& home_order() const { return home_order_; }
  // Every board id, in catalogue order.
  std::vector<std::string> board_ids() const;
  size_t size() const { return slots_.size(); }
  // How many boards have a rendered body (size() once every board could be read once).
  size_t rendered() const { return rendered_.load(std::memory_order_acquire); }

 private:
  // What refresh_changed compares to decide whether a board needs rendering again.
  struct Stamp {
    int64_t version = -1;
    int64_t fetched_at_ms = -1;
    int64_t last_run_at_ms = -1;
    bool enabled = true;
    std::string last_error_code;
    bool operator==(const Stamp&) const = default;
  };
  struct Slot {
    std::mutex render_mu;           // one refresh of this board at a time ("read, render, publish")
    BoardMeta meta;                 // guarded by render_mu (set_meta)
    std::optional<bool> enabled;    // the override's flag, guarded by render_mu (set_meta)
    bool configured = true;         // false: the configuration switches the board off
    std::optional<uint64_t> shown;  // digest of what the body shows but times; render_mu
    const Site* site = nullptr;
    std::string search_text;  // lower-cased id, names, site id and names; immutable
    // Guarded by the cache's mu_:
    std::shared_ptr<const RenderedBody> body;
    std::shared_ptr<const BoardContent> content;
    std::shared_ptr<const std::string> entry;
    Stamp stamp;
    BoardHealth health;
  };

  Status render_locked(Slot& slot, BoardRefresh* refreshed = nullptr);
  void maybe_assemble() const;

  std::vector<Site> sites_list_;
  std::vector<std::unique_ptr<Slot>> slots_;       // in catalogue order
  std::unordered_map<std::string, size_t> index_;  // board id -> slot; immutable
  std::vector<std::string> home_order_;            // immutable
  BoardStore& store_;
  const Clock& clock_;
  const BoardCacheOptions options_;

  mutable std::shared_mutex mu_;
  std::shared_ptr<const RenderedBody> sites_;
  // The assembled catalogue: rebuilt by maybe_assemble when changes_ moved past built_.
  mutable std::mutex assemble_mu_;
  mutable std::shared_ptr<const RenderedBody> catalogue_;
  std::atomic<uint64_t> changes_{0};
  std::atomic<size_t> rendered_{0};
  mutable uint64_t built_ = 0;   // guarded by assemble_mu_
  mutable MonoTime built_at_{};  // guarded by assemble_mu_
};

}  // namespace mu
