#include <algorithm>
#include <string>

#include "sources/source.h"

namespace mu {
namespace {

bool is_id_char(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; }

bool is_valid_id_part(std::string_view part) {
  return !part.empty() && std::all_of(part.begin(), part.end(), is_id_char);
}

}  // namespace

bool is_valid_board_id(std::string_view id) {
  const std::size_t dot = id.find('.');
  if (dot == std::string_view::npos) return false;
  return is_valid_id_part(id.substr(0, dot)) && is_valid_id_part(id.substr(dot + 1));
}

Status SourceRegistry::add_site(Site site) {
  if (!is_valid_id_part(site.id)) {
    return error(ErrorCode::kInvalid,
                 "site id \"" + site.id + "\" must be non-empty and made of [a-z0-9-]");
  }
  if (find_site(site.id) != nullptr) {
    return error(ErrorCode::kConflict, "site \"" + site.id + "\" is already registered");
  }
  if (site.region != "cn" && site.region != "global") {
    return error(ErrorCode::kInvalid, "site \"" + site.id + "\": region must be \"cn\" or " +
                                          "\"global\", got \"" + site.region + "\"");
  }
  if (find_category(site.category) == nullptr) {
    return error(ErrorCode::kInvalid, "site \"" + site.id + "\": category must be one of " +
                                          category_ids() + ", got \"" + site.category + "\"");
  }
  site_index_.emplace(site.id, sites_.size());
  sites_.push_back(std::move(site));
  return ok_status();
}

Status SourceRegistry::add(std::unique_ptr<Source> source) {
  if (source == nullptr) return error(ErrorCode::kInvalid, "cannot register a null source");
  const BoardMeta& meta = source->meta();
  if (!is_valid_board_id(meta.id)) {
    return error(ErrorCode::kInvalid, "board id \"" + meta.id +
                                          "\" is malformed (want \"<site>.<board>\" of [a-z0-9-])");
  }
  const std::string_view prefix = std::string_view(meta.id).substr(0, meta.id.find('.'));
  if (meta.site != prefix) {
    return error(ErrorCode::kInvalid, "board \"" + meta.id + "\" names site \"" + meta.site +
                                          "\" but its id starts with \"" + std::string(prefix) +
                                          "\"");
  }
  if (find_site(meta.site) == nullptr) {
    return error(ErrorCode::kInvalid,
                 "board \"" + meta.id + "\": unknown site \"" + meta.site + "\" (add_site first)");
  }
  if (!meta.category.empty() && find_category(meta.category) == nullptr) {
    return error(ErrorCode::kInvalid, "board \"" + meta.id + "\": category must be one of " +
                                          category_ids() + ", got \"" + meta.category + "\"");
  }
  if (meta.schedule.every <= std::chrono::seconds::zero() ||
      meta.schedule.timeout <= std::chrono::seconds::zero() || meta.schedule.retries < 0 ||
      meta.schedule.jitter < std::chrono::seconds::zero()) {
    return error(ErrorCode::kInvalid, "board \"" + meta.id + "\": invalid schedule");
  }
  if (find(meta.id) != nullptr) {
    return error(ErrorCode::kConflict, "board \"" + meta.id + "\" is already registered");
  }
  board_index_.emplace(meta.id, sources_.size());
  sources_.push_back(std::move(source));
  return ok_status();
}

const Source* SourceRegistry::find(std::string_view board_id) const {
  auto it = board_index_.find(std::string(board_id));
  return it == board_index_.end() ? nullptr : sources_[it->second].get();
}

const Site* SourceRegistry::find_site(std::string_view site_id) const {
  auto it = site_index_.find(std::string(site_id));
  return it == site_index_.end() ? nullptr : &sites_[it->second];
}

std::vector<const Source*> SourceRegistry::boards() const {
  std::vector<const Source*> out;
  out.reserve(sources_.size());
  for (const auto& s : sources_) out.push_back(s.get());
  return out;
}

}  // namespace mu
