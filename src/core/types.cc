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

}  // namespace mu
