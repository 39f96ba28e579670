// BoardCache: the API's pre-rendered bodies (each board's JSON + gzip + ETag, the
// catalogue and the site list), rebuilt from the Store when a board-updated event arrives
// and served many times without copying. If the store cannot be read, the previous body
// stays (last good data is never replaced by an error). Safe for concurrent use: readers
// take a shared_ptr under a shared lock; refreshes render outside the lock.
#pragma once

#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/status.h"
#include "core/types.h"
#include "pipeline/render.h"
#include "store/store.h"

namespace mu {

class BoardCache {
 public:
  BoardCache(std::vector<Site> sites, std::vector<BoardMeta> boards, Store& store);

  // Renders every board, the catalogue and the sites. Returns the first store error (the
  // boards it could render are still served).
  Status refresh_all();
  // Re-renders one board and the catalogue.
  Status refresh(const std::string& board);

  // nullptr for an unknown board id.
  std::shared_ptr<const RenderedBody> board(const std::string& id) const;
  std::shared_ptr<const RenderedBody> catalogue() const;
  std::shared_ptr<const RenderedBody> sites() const;

  bool known(const std::string& id) const { return meta_.count(id) != 0; }
  // Every board id, in catalogue order.
  std::vector<std::string> board_ids() const;

 private:
  Status render_one(const std::string& id);
  Status render_catalogue();

  std::vector<Site> sites_list_;
  std::vector<BoardMeta> boards_;
  std::unordered_map<std::string, const BoardMeta*> meta_;
  std::unordered_map<std::string, const Site*> site_of_;
  Store& store_;

  // Held across "read the store, render, publish": without it two concurrent refreshes
  // could publish out of order and a stale catalogue (read before the other's commit)
  // would replace a newer one until the next update (seen as boards "never run" in e2e).
  std::mutex render_mu_;
  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<const RenderedBody>> bodies_;
  std::shared_ptr<const RenderedBody> catalogue_;
  std::shared_ptr<const RenderedBody> sites_;
};

}  // namespace mu
