// Xueqiu (雪球): the hot-stock list, GET https://stock.xueqiu.com/v5/stock/hot_stock/list.json
// ?size=30&_type=10&type=10 -> {"data":{"items":[{"type","code","name","value" (heat),
// "increment","rank_change","percent","current","chg","exchange","ad"}],"items_size"},
// "error_code":0,"error_description":""}.
// The API only answers visitors that carry the `xq_a_token` cookie, which https://xueqiu.com/
// sets on a plain page view. The board keeps that cookie in a CookieCache (shared by the
// site's boards, keyed "xueqiu") until it expires; when the API rejects a cached cookie
// (HTTP 400/401, e.g. {"error_code":"400016","error_description":"遇到错误，请刷新页面或者重新
// 登录帐号后再试"}) the cookie is fetched again once and the request retried. A configured
// secret "xueqiu.cookie" replaces the visitor cookie. If the home page sets no token the
// API is still asked (it decides; replays have no Set-Cookie headers) and a rejection names
// both problems.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "sources/common/cookie_cache.h"
#include "sources/common/http_util.h"
#include "sources/common/json_util.h"
#include "sources/common/simple_source.h"
#include "sources/common/text.h"
#include "sources/source.h"

namespace mu {
namespace {

constexpr char kHomeUrl[] = "https://xueqiu.com/";
constexpr char kHotStockUrl[] =
    "https://stock.xueqiu.com/v5/stock/hot_stock/list.json?size=30&_type=10&type=10";
constexpr char kCookieKey[] = "xueqiu";
constexpr char kTokenCookie[] = "xq_a_token";

HttpRequest browser_request(std::string url, std::chrono::seconds timeout) {
  HttpRequest request;
  request.url = std::move(url);
  request.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(timeout);
  request.headers = {
      {"User-Agent", std::string(kBrowserUserAgent)},
      {"Accept-Language", "zh-CN,zh;q=0.9"},
  };
  return request;
}

std::string format_percent(double p) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%+.2f%%", p);
  return buf;
}

// "API error 400016: 遇到错误，..." from an error answer, or "" when it is not one.
std::string api_error_text(const JsonView& root) {
  const std::string code = root.string_or("error_code");
  if (code.empty() || code == "0") return {};
  return "API error " + code + ": " + root.string_or("error_description", "(no description)");
}

std::string api_error_text(std::string_view body) {
  auto doc = JsonDoc::parse(body, "xueqiu");
  return doc.ok() ? api_error_text(doc->root()) : std::string();
}

Result<std::vector<Item>> parse_hot_stocks(const HttpResponse& response, const BoardMeta& meta) {
  MU_ASSIGN_OR_RETURN(JsonDoc doc, JsonDoc::parse(response.body, meta.id));
  const JsonView root = doc.root();
  if (std::string err = api_error_text(root); !err.empty()) {
    return error(ErrorCode::kBlocked, err);
  }
  MU_ASSIGN_OR_RETURN(JsonView stocks, root.require_array("data.items"));
  std::vector<Item> items;
  items.reserve(stocks.size());
  for (const JsonView& stock : stocks.elements()) {
    if (!stock.is_object() || stock.bool_or("ad", false)) continue;
    Item item;
    item.key = trim(stock.string_or("code"));
    item.title = trim(stock.string_or("name"));
    if (item.key.empty()) continue;
    item.url = "https://xueqiu.com/S/" + percent_encode(item.key);
    if (auto value = stock.number("value"); value && *value >= 0) item.hot = *value;
    if (auto percent = stock.number("percent")) {
      item.hot_text = format_percent(*percent);
      item.extra.emplace_back("percent", item.hot_text);
    }
    item.extra.emplace_back("code", item.key);
    if (std::string exchange = trim(stock.string_or("exchange")); !exchange.empty()) {
      item.extra.emplace_back("exchange", exchange);
    }
    if (std::string current = stock.string_or("current"); !current.empty()) {
      item.extra.emplace_back("price", current);
    }
    if (auto change = stock.integer("rank_change"); change && *change != 0) {
      item.extra.emplace_back("rank_change", std::to_string(*change));
    }
    items.push_back(std::move(item));
  }
  if (items.empty()) return error(ErrorCode::kParse, "data.items holds no stocks");
  return items;
}

class XueqiuHotStocks final : public Source {
 public:
  XueqiuHotStocks(BoardMeta meta, std::shared_ptr<CookieCache> cookies)
      : meta_(std::move(meta)), cookies_(std::move(cookies)) {}

  const BoardMeta& meta() const override { return meta_; }

  Result<std::vector<Item>> collect(const SourceContext& ctx) const override {
    std::string cookie;
    bool cached = false;
    Status cookie_status;
    const std::string* configured = find_secret(ctx, "xueqiu.cookie");
    if (configured != nullptr) {
      cookie = *configured;
    } else {
      auto grant = visitor_cookie(ctx);
      if (grant.ok()) {
        cookie = grant->header;
        cached = grant->from_cache;
      } else {
        cookie_status = grant.status();
      }
    }

    MU_ASSIGN_OR_RETURN(HttpResponse response, fetch_api(ctx, cookie));
    if ((response.status == 400 || response.status == 401) && cached) {
      // The cached token went stale before its announced expiry: fetch a new one, once.
      cookies_->invalidate(kCookieKey);
      auto grant = visitor_cookie(ctx);
      if (!grant.ok()) return grant.status();
      MU_ASSIGN_OR_RETURN(response, fetch_api(ctx, grant->header));
    }

    if (response.status == 400 || response.status == 401) {
      std::string msg = meta_.id + ": HTTP " + std::to_string(response.status) + " from " +
                        redact_url(response.effective_url);
      if (std::string api = api_error_text(response.body); !api.empty()) msg += " (" + api + ")";
      if (!cookie_status.ok()) msg += "; visitor cookie: " + cookie_status.message();
      return error(ErrorCode::kBlocked, msg);
    }
    Status status = check_http_status(response);
    if (!status.ok()) return status.with_context(meta_.id);
    if (is_blank(response.body)) {
      return error(ErrorCode::kParse,
                   meta_.id + ": empty body from " + redact_url(response.effective_url));
    }
    auto parsed = parse_hot_stocks(response, meta_);
    if (!parsed.ok()) {
      const Status& st = parsed.status();
      if (st.message().rfind(meta_.id + ": ", 0) == 0) return st;
      return st.with_context(meta_.id);
    }
    return finish_items(std::move(parsed).value(), meta_.id);
  }

 private:
  Result<CookieCache::Grant> visitor_cookie(const SourceContext& ctx) const {
    HttpRequest home = browser_request(kHomeUrl, meta_.schedule.timeout);
    home.headers.emplace_back("Accept", "text/html,application/xhtml+xml");
    // Redirects are followed; only the final response's Set-Cookie headers are seen, which is
    // where the home page sets the token.
    return cookies_->get_or_fetch(ctx, kCookieKey, home, {kTokenCookie}, meta_.id);
  }

  Result<HttpResponse> fetch_api(const SourceContext& ctx, const std::string& cookie) const {
    HttpRequest api = browser_request(kHotStockUrl, meta_.schedule.timeout);
    api.headers.emplace_back("Accept", "application/json, text/plain, */*");
    api.headers.emplace_back("Origin", "https://xueqiu.com");
    api.headers.emplace_back("Referer", "https://xueqiu.com/");
    if (!cookie.empty()) api.headers.emplace_back("Cookie", cookie);
    auto fetched = ctx.transport.fetch(api);
    if (!fetched.ok()) return fetched.status().with_context(meta_.id);
    HttpResponse response = std::move(fetched).value();
    if (response.effective_url.empty()) response.effective_url = api.url;
    return response;
  }

  BoardMeta meta_;
  std::shared_ptr<CookieCache> cookies_;
};

}  // namespace

Status register_xueqiu_sources(SourceRegistry& registry) {
  MU_RETURN_IF_ERROR(registry.add_site(Site{
      .id = "xueqiu",
      .name_zh = "雪球",
      .name_en = "Xueqiu",
      .home = "https://xueqiu.com",
      .icon = "https://xueqiu.com/favicon.ico",
      .color = "#1c6fff",
      .region = "cn",
      .category = "finance",
  }));
  // One cache for the site: every Xueqiu board would share the visitor token.
  auto cookies = std::make_shared<CookieCache>(CookieCache::Options{
      .default_ttl = std::chrono::hours(1),
      .max_ttl = std::chrono::hours(12),
      .refresh_margin = std::chrono::minutes(2),
  });

  BoardMeta hot;
  hot.id = "xueqiu.hot-stocks";
  hot.site = "xueqiu";
  hot.name_zh = "热股榜";
  hot.name_en = "Hot stocks";
  hot.kind = BoardKind::kRank;
  hot.schedule.every = std::chrono::minutes(10);
  hot.schedule.jitter = std::chrono::seconds(60);
  hot.schedule.timeout = std::chrono::seconds(20);
  hot.schedule.retries = 1;
  hot.group = "cn";
  hot.homepage = "https://xueqiu.com/hq";
  hot.notes =
      "JSON of stock.xueqiu.com/v5/stock/hot_stock/list.json (30 stocks across markets; hot = "
      "the list's heat value, hot_text = price change). Needs the visitor cookie xq_a_token "
      "that https://xueqiu.com/ sets: cached until it expires (at most 12 h), fetched again "
      "once when the API answers 400/401 (error_code 400016). Secret xueqiu.cookie overrides "
      "it. Ads in the list (ad=1) are skipped.";
  hot.needs_cookie = true;
  return registry.add(std::make_unique<XueqiuHotStocks>(std::move(hot), std::move(cookies)));
}

}  // namespace mu
