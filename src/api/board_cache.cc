#include "api/board_cache.h"

#include <mutex>

#include "pipeline/rank.h"

namespace mu {

BoardCache::BoardCache(std::vector<Site> sites, std::vector<BoardMeta> boards, Store& store)
    : sites_list_(std::move(sites)), boards_(std::move(boards)), store_(store) {
  for (const auto& b : boards_) meta_.emplace(b.id, &b);
  for (const auto& b : boards_) {
    for (const auto& s : sites_list_) {
      if (s.id == b.site) site_of_.emplace(b.id, &s);
    }
  }
  sites_ = std::make_shared<const RenderedBody>(render_sites(sites_list_, boards_));
}

Status BoardCache::render_one(const std::string& id) {
  const BoardMeta& meta = *meta_.at(id);
  static const Site kUnknownSite;
  auto site_it = site_of_.find(id);
  const Site& site = site_it != site_of_.end() ? *site_it->second : kUnknownSite;
  MU_ASSIGN_OR_RETURN(std::optional<BoardView> view, store_.board_view(id));
  RenderedBody body;
  if (view) {
    auto ranked = rank_items(view->snapshot.items, view->has_previous, view->previous_keys,
                             view->history, view->snapshot.fetched_at_ms);
    body = render_board(site, meta, view->state, ranked);
  } else {
    auto state = store_.board_state(id);
    BoardState st = state.ok() ? *state : BoardState{};
    st.board = id;
    body = render_board(site, meta, st, {});
  }
  auto ptr = std::make_shared<const RenderedBody>(std::move(body));
  std::unique_lock lock(mu_);
  bodies_[id] = std::move(ptr);
  return ok_status();
}

Status BoardCache::render_catalogue() {
  MU_ASSIGN_OR_RETURN(auto states, store_.board_states());
  auto ptr = std::make_shared<const RenderedBody>(mu::render_catalogue(boards_, states));
  std::unique_lock lock(mu_);
  catalogue_ = std::move(ptr);
  return ok_status();
}

Status BoardCache::refresh_all() {
  std::lock_guard render(render_mu_);
  Status first;
  for (const auto& b : boards_) {
    Status s = render_one(b.id);
    if (!s.ok() && first.ok()) first = s.with_context(b.id);
  }
  Status c = render_catalogue();
  if (!c.ok() && first.ok()) first = c;
  return first;
}

Status BoardCache::refresh(const std::string& board) {
  if (!known(board)) return error(ErrorCode::kNotFound, "unknown board " + board);
  std::lock_guard render(render_mu_);
  MU_RETURN_IF_ERROR(render_one(board).with_context(board));
  return render_catalogue();
}

std::shared_ptr<const RenderedBody> BoardCache::board(const std::string& id) const {
  std::shared_lock lock(mu_);
  auto it = bodies_.find(id);
  return it == bodies_.end() ? nullptr : it->second;
}

std::shared_ptr<const RenderedBody> BoardCache::catalogue() const {
  std::shared_lock lock(mu_);
  return catalogue_;
}

std::shared_ptr<const RenderedBody> BoardCache::sites() const {
  std::shared_lock lock(mu_);
  return sites_;
}

std::vector<std::string> BoardCache::board_ids() const {
  std::vector<std::string> ids;
  ids.reserve(boards_.size());
  for (const auto& b : boards_) ids.push_back(b.id);
  return ids;
}

}  // namespace mu
