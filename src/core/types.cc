#include "core/types.h"

namespace mu {

std::string_view board_kind_name(BoardKind kind) {
  return kind == BoardKind::kStream ? "stream" : "rank";
}

std::optional<BoardKind> parse_board_kind(std::string_view name) {
  if (name == "rank") return BoardKind::kRank;
  if (name == "stream") return BoardKind::kStream;
  return std::nullopt;
}

const std::vector<Category>& categories() {
  static const std::vector<Category> kAll = {
      {"general", "综合", "General"}, {"tech", "科技", "Tech"},
      {"finance", "财经", "Finance"}, {"entertainment", "娱乐", "Entertainment"},
      {"world", "国际", "World"},     {"community", "社区", "Community"},
      {"life", "生活", "Life"},
  };
  return kAll;
}

const Category* find_category(std::string_view id) {
  for (const auto& c : categories()) {
    if (c.id == id) return &c;
  }
  return nullptr;
}

std::string category_ids() {
  std::string out;
  for (const auto& c : categories()) {
    if (!out.empty()) out += ", ";
    out += c.id;
  }
  return out;
}

}  // namespace mu
