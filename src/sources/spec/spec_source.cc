#include "sources/spec/spec_source.h"

#include <chrono>

#include "sources/common/html.h"
#include "sources/common/http_util.h"
#include "sources/common/simple_source.h"
#include "sources/common/text.h"

namespace mu {
namespace {

std::string_view default_accept(SpecParseType type) {
  switch (type) {
    case SpecParseType::kFeed:
      return "application/rss+xml, application/atom+xml, application/feed+json, "
             "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.8";
    case SpecParseType::kJson:
      return "application/json, text/plain;q=0.9, */*;q=0.8";
    case SpecParseType::kHtml:
      return "text/html, application/xhtml+xml;q=0.9, */*;q=0.8";
  }
  return "*/*";
}

}  // namespace

HttpRequest SpecSource::build_request(const SourceContext& ctx) const {
  HttpRequest request;
  request.method = request_.method;
  request.url = request_.url;
  request.body = request_.body;
  request.headers = request_.headers;
  for (const auto& [header, secret] : request_.secret_headers) {
    if (const std::string* value = find_secret(ctx, secret)) {
      request.headers.emplace_back(header, *value);
    }
  }
  if (find_header(request.headers, "User-Agent").empty()) {
    request.headers.emplace_back("User-Agent", std::string(kMuUserAgent));
  }
  if (find_header(request.headers, "Accept").empty()) {
    request.headers.emplace_back("Accept", std::string(default_accept(parse_.type)));
  }
  request.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(meta_.schedule.timeout);
  return request;
}

Result<std::vector<Item>> SpecSource::collect(const SourceContext& ctx) const {
  MU_ASSIGN_OR_RETURN(HttpResponse response, fetch_ok(ctx, build_request(ctx), meta_.id));
  return parse(response);
}

Result<std::vector<Item>> SpecSource::parse_raw(const HttpResponse& response) const {
  const std::string base = response.effective_url.empty() ? request_.url : response.effective_url;
  const std::string_view content_type = response.header("Content-Type");
  switch (parse_.type) {
    case SpecParseType::kFeed: {
      FeedOptions options = parse_.feed;
      if (!request_.charset.empty()) options.charset = request_.charset;
      return parse_feed(response.body, content_type, base, options);
    }
    case SpecParseType::kJson: {
      MU_ASSIGN_OR_RETURN(std::string utf8,
                          decode_body(response.body, content_type, request_.charset));
      return map_json(utf8, base, parse_.json);
    }
    case SpecParseType::kHtml: {
      const std::string charset =
          request_.charset.empty() ? charset_from_content_type(content_type) : request_.charset;
      return map_html(response.body, base, charset, parse_.html);
    }
  }
  return error(ErrorCode::kInternal, "unknown parse type");
}

Result<std::vector<Item>> SpecSource::parse(const HttpResponse& response) const {
  if (parse_.blocked_if && parse_.blocked_if->matches(response.body)) {
    return error(ErrorCode::kBlocked, meta_.id + ": the response matches blocked_if \"" +
                                          truncate_utf8(parse_.blocked_if->pattern(), 60) +
                                          "\" (login wall or anti-bot page)");
  }
  auto parsed = parse_raw(response);
  if (!parsed.ok()) {
    const Status& st = parsed.status();
    if (st.message().rfind(meta_.id + ": ", 0) == 0) return st;
    return st.with_context(meta_.id);
  }
  MU_ASSIGN_OR_RETURN(std::vector<Item> items, finish_items(std::move(parsed).value(), meta_.id));
  if (parse_.limit > 0 && items.size() > parse_.limit) items.resize(parse_.limit);
  return items;
}

}  // namespace mu
