// SpecSource: a board described by a spec file (TOML, see docs/spec-sources.md) instead of
// C++: one HTTP request, then the feed, JSON or HTML engine, then finish_items(). Built by
// spec_loader.h after validation. Immutable after construction; collect() and parse() are
// safe for concurrent use.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"
#include "core/types.h"
#include "fetch/transport.h"
#include "sources/source.h"
#include "sources/spec/feed.h"
#include "sources/spec/mapping.h"
#include "sources/spec/regex.h"

namespace mu {

struct SpecRequest {
  std::string method = "GET";
  std::string url;
  Headers headers;      // sent as given; User-Agent and Accept get defaults when absent
  std::string body;     // POST body
  std::string charset;  // forces the response charset ("gb2312"); "" = as declared
  // Headers filled from SourceContext::secrets when the secret is set: {"Cookie",
  // "zhihu.cookie"}. A missing secret leaves the header out.
  std::vector<std::pair<std::string, std::string>> secret_headers;
};

enum class SpecParseType { kFeed, kJson, kHtml };

struct SpecParse {
  SpecParseType type = SpecParseType::kFeed;
  FeedOptions feed;  // kFeed
  JsonRules json;    // kJson
  HtmlRules html;    // kHtml
  // A body matching this is a login wall / anti-bot page: kBlocked instead of a parse error.
  std::optional<Regex> blocked_if;
  std::size_t limit = 0;  // keep at most this many items (0 = all)
};

class SpecSource final : public Source {
 public:
  SpecSource(BoardMeta meta, SpecRequest request, SpecParse parse)
      : meta_(std::move(meta)), request_(std::move(request)), parse_(std::move(parse)) {}

  const BoardMeta& meta() const override { return meta_; }
  Result<std::vector<Item>> collect(const SourceContext& ctx) const override;

  // The request collect() sends (the timeout is the board's).
  HttpRequest build_request(const SourceContext& ctx) const;
  // Items of an already fetched 2xx response, cleaned by finish_items() and cut to the
  // limit; errors start with "<board id>: ". For tests and the admin console's preview.
  Result<std::vector<Item>> parse(const HttpResponse& response) const;

  const SpecRequest& request_spec() const { return request_; }
  const SpecParse& parse_spec() const { return parse_; }

 private:
  Result<std::vector<Item>> parse_raw(const HttpResponse& response) const;

  BoardMeta meta_;
  SpecRequest request_;
  SpecParse parse_;
};

}  // namespace mu
