#include "api/board_cache.h"

#include <algorithm>
#include <mutex>
#include <unordered_set>

#include "pipeline/rank.h"

namespace mu {
namespace {

void append_lower(std::string& out, std::string_view text) {
  for (char c : text) {
    out += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  out += '\n';
}

std::string lower(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 1);
  append_lower(out, text);
  out.pop_back();
  return out;
}

// A digest of what a board's body shows apart from its times and run statistics: the
// ranked items with their marks, the enabled flag and the error state.
class ShownDigest {
 public:
  void add(std::string_view text) {
    data_ += text;
    data_ += '\x1f';
  }
  void add(int64_t n) { add(std::to_string(n)); }
  uint64_t value() const { return fnv1a64(data_); }

 private:
  std::string data_;
};

uint64_t shown_digest(const std::vector<RankedItem>& items, const BoardState& state) {
  ShownDigest d;
  d.add(state.enabled ? 1 : 0);
  d.add(state.stale ? 1 : 0);
  d.add(state.last_error_code);
  d.add(state.last_error);
  for (const RankedItem& r : items) {
    const Item& it = r.item;
    d.add(r.rank);
    d.add(r.prev_rank.value_or(-1));
    d.add(r.is_new ? 1 : 0);
    d.add(r.best_rank);
    d.add(r.first_seen_ms);
    for (std::string_view text :
         {std::string_view(it.key), std::string_view(it.title), std::string_view(it.url),
          std::string_view(it.mobile_url), std::string_view(it.summary), std::string_view(it.image),
          std::string_view(it.hot_text), std::string_view(it.label), std::string_view(it.author)}) {
      d.add(text);
    }
    d.add(it.hot ? std::to_string(*it.hot) : std::string("-"));
    d.add(it.published_at_ms.value_or(-1));
    for (const auto& [k, v] : it.extra) {
      d.add(k);
      d.add(v);
    }
    d.add("\x1e");
  }
  return d.value();
}

}  // namespace

BoardCache::BoardCache(std::vector<Site> sites, std::vector<BoardMeta> boards, BoardStore& store,
                       const Clock& clock, BoardCacheOptions options)
    : sites_list_(std::move(sites)), store_(store), clock_(clock), options_(options) {
  std::unordered_map<std::string_view, const Site*> site_by_id;
  for (const auto& s : sites_list_) site_by_id.emplace(s.id, &s);
  slots_.reserve(boards.size());
  for (auto& b : boards) {
    auto slot = std::make_unique<Slot>();
    auto site = site_by_id.find(b.site);
    slot->site = site != site_by_id.end() ? site->second : nullptr;
    append_lower(slot->search_text, b.id);
    append_lower(slot->search_text, b.name_zh);
    append_lower(slot->search_text, b.name_en);
    append_lower(slot->search_text, b.site);
    if (slot->site != nullptr) {
      append_lower(slot->search_text, slot->site->name_zh);
      append_lower(slot->search_text, slot->site->name_en);
    }
    slot->configured = options_.disabled.count(b.id) == 0;
    // The API lists the board under its own category, else its site's.
    if (b.category.empty() && slot->site != nullptr) b.category = slot->site->category;
    slot->meta = std::move(b);
    index_.emplace(slot->meta.id, slots_.size());
    slots_.push_back(std::move(slot));
  }
  std::vector<BoardMeta> metas;
  metas.reserve(slots_.size());
  for (const auto& slot : slots_) metas.push_back(slot->meta);
  sites_ = std::make_shared<const RenderedBody>(render_sites(sites_list_, metas));
  // The home page's default order (web/src/lib/store.ts: catalogueIds): by the category's
  // place among categories(), unknown ones last, in catalogue order within a category.
  std::vector<std::pair<size_t, size_t>> keyed;  // (category rank, catalogue index)
  keyed.reserve(slots_.size());
  const auto& cats = categories();
  for (size_t i = 0; i < slots_.size(); ++i) {
    size_t rank = cats.size();
    for (size_t c = 0; c < cats.size(); ++c) {
      if (cats[c].id == slots_[i]->meta.category) rank = c;
    }
    keyed.emplace_back(rank, i);
  }
  std::sort(keyed.begin(), keyed.end());
  home_order_.reserve(keyed.size());
  for (const auto& [rank, i] : keyed) home_order_.push_back(slots_[i]->meta.id);
}

bool BoardCache::enabled(const std::string& id) const {
  auto it = index_.find(id);
  if (it == index_.end()) return false;
  std::shared_lock lock(mu_);
  return slots_[it->second]->health.enabled;
}

Status BoardCache::render_locked(Slot& slot, BoardRefresh* refreshed) {
  static const Site kUnknownSite;
  const Site& site = slot.site != nullptr ? *slot.site : kUnknownSite;
  const BoardMeta& meta = slot.meta;
  MU_ASSIGN_OR_RETURN(std::optional<BoardView> view, store_.board_view(meta.id));
  BoardState state;
  RenderedBody body;
  if (view) {
    state = view->state;
  } else {
    auto read = store_.board_state(meta.id);
    if (read.ok()) state = *read;
    state.board = meta.id;
  }
  // The stamp is what the store says (refresh_changed compares it with the store); the
  // body shows the operator's enabled flag when an override sets one.
  Stamp stamp{state.version, state.fetched_at_ms, state.last_run_at_ms, state.enabled,
              state.last_error_code};
  if (slot.enabled) {
    state.enabled = *slot.enabled;
  } else if (!slot.configured) {
    state.enabled = false;
  }
  std::vector<RankedItem> ranked;
  if (view) {
    ranked = rank_items(view->snapshot.items, view->has_previous, view->previous_keys,
                        view->history, view->snapshot.fetched_at_ms);
  }
  body = render_board(site, meta, state, ranked);
  const uint64_t shown = shown_digest(ranked, state);
  if (refreshed != nullptr) {
    refreshed->shown_changed = slot.shown != shown;
    refreshed->version = state.version;
    refreshed->fetched_at_ms = state.fetched_at_ms;
    refreshed->last_run_at_ms = state.last_run_at_ms;
    refreshed->due_by_ms = due_by_ms(meta, state);
    refreshed->success_rate = success_rate(state);
  }
  slot.shown = shown;
  BoardHealth health;
  health.board = meta.id;
  health.site = meta.site;
  health.name_zh = meta.name_zh;
  health.name_en = meta.name_en;
  health.needs_cookie = meta.needs_cookie || meta.needs_token;
  health.last_error = state.last_error;
  health.enabled = state.enabled;
  health.stale = state.stale;
  health.last_error_code = state.last_error_code;
  health.fetched_at_ms = state.fetched_at_ms;
  health.last_run_at_ms = state.last_run_at_ms;
  health.every_ms =
      meta.schedule.cron.empty()
          ? std::chrono::duration_cast<std::chrono::milliseconds>(meta.schedule.every).count()
          : 0;
  health.items = view ? static_cast<int>(view->snapshot.items.size()) : 0;
  health.success_rate = success_rate(state);
  body.cache_control = schedule_cache_control(meta);
  auto body_ptr = std::make_shared<const RenderedBody>(std::move(body));
  auto entry = std::make_shared<const std::string>(render_catalogue_entry(meta, state));
  auto content = std::make_shared<const BoardContent>(
      BoardContent{site, meta, std::move(state), std::move(ranked)});
  {
    std::unique_lock lock(mu_);
    if (!slot.body) rendered_.fetch_add(1, std::memory_order_acq_rel);
    slot.body = std::move(body_ptr);
    slot.content = std::move(content);
    slot.entry = std::move(entry);
    slot.stamp = std::move(stamp);
    slot.health = std::move(health);
  }
  changes_.fetch_add(1, std::memory_order_release);
  return ok_status();
}

std::vector<BoardHealth> BoardCache::health() const {
  std::vector<BoardHealth> out;
  out.reserve(slots_.size());
  std::shared_lock lock(mu_);
  for (const auto& slot : slots_) {
    if (slot->body) out.push_back(slot->health);
  }
  return out;
}

Status BoardCache::refresh_all() {
  Status first;
  for (const auto& slot : slots_) {
    std::lock_guard render(slot->render_mu);
    Status s = render_locked(*slot);
    if (!s.ok() && first.ok()) first = s.with_context(slot->meta.id);
  }
  return first;
}

Result<BoardRefresh> BoardCache::refresh(const std::string& board) {
  auto it = index_.find(board);
  if (it == index_.end()) return error(ErrorCode::kNotFound, "unknown board " + board);
  Slot& slot = *slots_[it->second];
  std::lock_guard render(slot.render_mu);
  BoardRefresh refreshed;
  MU_RETURN_IF_ERROR(render_locked(slot, &refreshed).with_context(board));
  return refreshed;
}

Result<std::vector<std::string>> BoardCache::refresh_changed() {
  MU_ASSIGN_OR_RETURN(std::vector<BoardState> states, store_.board_states());
  std::vector<std::string> changed;
  Status first;
  for (const BoardState& st : states) {
    auto it = index_.find(st.board);
    if (it == index_.end()) continue;
    Slot& slot = *slots_[it->second];
    const Stamp now{st.version, st.fetched_at_ms, st.last_run_at_ms, st.enabled,
                    st.last_error_code};
    {
      std::shared_lock lock(mu_);
      if (slot.body && slot.stamp == now) continue;
    }
    std::lock_guard render(slot.render_mu);
    Status s = render_locked(slot);
    if (!s.ok()) {
      if (first.ok()) first = s.with_context(st.board);
      continue;
    }
    changed.push_back(st.board);
  }
  if (!first.ok() && changed.empty()) return first;
  return changed;
}

Status BoardCache::set_meta(const BoardMeta& meta, std::optional<bool> enabled) {
  auto it = index_.find(meta.id);
  if (it == index_.end()) return error(ErrorCode::kNotFound, "unknown board " + meta.id);
  Slot& slot = *slots_[it->second];
  std::lock_guard render(slot.render_mu);
  // Names, site and kind define the board's place in the catalogue: only the schedule and
  // the operator's fields follow live changes.
  slot.meta.schedule = meta.schedule;
  slot.meta.group = meta.group;
  slot.enabled = enabled;
  return render_locked(slot).with_context(meta.id);
}

std::shared_ptr<const RenderedBody> BoardCache::board(const std::string& id) const {
  auto it = index_.find(id);
  if (it == index_.end()) return nullptr;
  std::shared_lock lock(mu_);
  return slots_[it->second]->body;
}

std::shared_ptr<const BoardContent> BoardCache::content(const std::string& id) const {
  auto it = index_.find(id);
  if (it == index_.end()) return nullptr;
  std::shared_lock lock(mu_);
  return slots_[it->second]->content;
}

void BoardCache::maybe_assemble() const {
  const uint64_t changes = changes_.load(std::memory_order_acquire);
  std::unique_lock lock(assemble_mu_, std::defer_lock);
  {
    // Someone else assembling: serve what exists (if anything does).
    if (!lock.try_lock()) {
      std::shared_lock read(mu_);
      if (catalogue_) return;
    }
  }
  if (!lock.owns_lock()) lock.lock();
  const MonoTime now = clock_.mono();
  if (catalogue_ && built_ == changes) return;
  if (catalogue_ && built_at_ != MonoTime{} && now - built_at_ < options_.catalogue_interval) {
    return;
  }
  std::vector<std::shared_ptr<const std::string>> held;
  std::vector<const std::string*> entries;
  held.reserve(slots_.size());
  entries.reserve(slots_.size());
  {
    std::shared_lock read(mu_);
    for (const auto& slot : slots_) {
      if (slot->entry) held.push_back(slot->entry);
    }
  }
  for (const auto& e : held) entries.push_back(e.get());
  auto body = std::make_shared<const RenderedBody>(assemble_catalogue(entries, entries.size()));
  {
    std::unique_lock write(mu_);
    catalogue_ = std::move(body);
  }
  built_ = changes;
  built_at_ = now;
}

std::shared_ptr<const RenderedBody> BoardCache::catalogue() const {
  maybe_assemble();
  std::shared_lock lock(mu_);
  return catalogue_;
}

RenderedBody BoardCache::query_catalogue(const CatalogueQuery& query) const {
  std::unordered_set<std::string_view> sites(query.sites.begin(), query.sites.end());
  std::unordered_set<std::string_view> ids(query.ids.begin(), query.ids.end());
  const std::string text = lower(query.text);
  std::vector<const Slot*> matched;
  for (const auto& slot : slots_) {
    const BoardMeta& meta = slot->meta;  // id, site and kind never change after construction
    if (!ids.empty() && ids.count(meta.id) == 0) continue;
    if (!sites.empty() && sites.count(meta.site) == 0) continue;
    if (query.kind && meta.kind != *query.kind) continue;
    if (!text.empty() && slot->search_text.find(text) == std::string::npos) continue;
    matched.push_back(slot.get());
  }
  const size_t total = matched.size();
  const size_t begin = std::min(query.offset, total);
  const size_t end = query.limit ? std::min(total, begin + *query.limit) : total;
  std::vector<std::shared_ptr<const std::string>> held;
  held.reserve(end - begin);
  {
    std::shared_lock lock(mu_);
    for (size_t i = begin; i < end; ++i) {
      if (matched[i]->entry) held.push_back(matched[i]->entry);
    }
  }
  std::vector<const std::string*> entries;
  entries.reserve(held.size());
  for (const auto& e : held) entries.push_back(e.get());
  return assemble_catalogue(entries, total);
}

std::shared_ptr<const RenderedBody> BoardCache::sites() const {
  std::shared_lock lock(mu_);
  return sites_;
}

std::vector<std::string> BoardCache::board_ids() const {
  std::vector<std::string> ids;
  ids.reserve(slots_.size());
  for (const auto& slot : slots_) ids.push_back(slot->meta.id);
  return ids;
}

}  // namespace mu
