// SimpleSource: the common shape of a board that is one HTTP request plus a parser.
// collect() builds the request, fetches it with fetch_ok(), runs the site's parser and
// cleans the items with finish_items(), so site code only maps a response to items.
// Immutable after construction; collect() is safe for concurrent use as long as the
// request and parse functions are (they are plain functions in the built-in sites).
#pragma once

#include <functional>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"
#include "core/types.h"
#include "fetch/transport.h"
#include "sources/source.h"

namespace mu {

class SimpleSource final : public Source {
 public:
  // Builds the request for one collect (may read ctx.secrets, e.g. a cookie).
  using RequestFn = std::function<HttpRequest(const SourceContext& ctx)>;
  // Maps a 2xx, non-empty response to items. Errors need not name the board: collect()
  // prefixes "<board id>: " unless the message already starts with it.
  using ParseFn =
      std::function<Result<std::vector<Item>>(const HttpResponse& response, const BoardMeta& meta)>;

  SimpleSource(BoardMeta meta, RequestFn request, ParseFn parse)
      : meta_(std::move(meta)), request_(std::move(request)), parse_(std::move(parse)) {}

  const BoardMeta& meta() const override { return meta_; }
  // The request's timeout is the board's schedule timeout.
  Result<std::vector<Item>> collect(const SourceContext& ctx) const override;

 private:
  BoardMeta meta_;
  RequestFn request_;
  ParseFn parse_;
};

// Cleans what a parser produced so a source never emits junk: text fields are made valid
// UTF-8 and whitespace-collapsed; items whose url is not an absolute http(s) URL (e.g.
// "javascript:...") or whose title is empty are dropped; a non-http(s) mobile_url or image
// is cleared; an empty key becomes the url; later duplicates of a key are dropped.
// kParse "<board_id>: no usable items ..." when nothing is left.
Result<std::vector<Item>> finish_items(std::vector<Item> items, std::string_view board_id);

}  // namespace mu
