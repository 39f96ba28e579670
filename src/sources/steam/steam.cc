// Steam: two charts of the Steam store.
//
// steam.top-played: the Web API's daily most-played chart,
//   GET https://api.steampowered.com/ISteamChartsService/GetMostPlayedGames/v1/?input_json=
//   {"context":{"language":"english","country_code":"US","steam_realm":1},
//    "data_request":{"include_assets":true,"include_basic_info":true}}   (percent-encoded)
// No key is needed. The answer is {"response":{"rollup_date":N,"ranks":[{"rank","appid",
// "last_week_rank","peak_in_game","item":{...}}]}}: ranks alone carry only app ids, so the
// data_request asks the same call to attach each app's store item (what the store's own
// charts page does) with "name", "store_url_path" ("app/730/CounterStrike_2") and "assets"
// {"asset_url_format":"steam/apps/730/${FILENAME}?t=...","header":"header.jpg",...}. This
// saves one IStoreBrowseService/GetItems or 100 appdetails calls per fetch. Apps the anonymous
// store hides (some age-gated titles) come back with "success" != 1 and an empty name; they
// are left out (extra.rank keeps Steam's own rank, so the gap stays visible).
//
// steam.top-sellers: the store's search page sorted by global top sellers,
//   GET https://store.steampowered.com/search/?filter=topsellers&cc=us&l=english
// (server-rendered HTML; the first 50 rows). Each result is
//   <a class="search_result_row" href="https://store.steampowered.com/app/ID/Slug/?snr=..."
//      data-ds-appid="ID" data-ds-itemkey="App_ID"> (Sub_N / Bundle_N for packages)
// holding <span class="title">, <div class="search_released">, <span
// class="search_review_summary" data-tooltip-html="Very Positive&lt;br&gt;...">,
// <div class="discount_pct">-40%</div> and <div class="discount_final_price">$41.99</div>.
// The Web API's IStoreTopSellersService needs a key and only has weekly data, hence the page.
#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sources/common/html.h"
#include "sources/common/http_util.h"
#include "sources/common/json_util.h"
#include "sources/common/simple_source.h"
#include "sources/common/text.h"
#include "sources/source.h"

namespace mu {
namespace {

constexpr char kMostPlayedInput[] =
    R"({"context":{"language":"english","country_code":"US","steam_realm":1},)"
    R"("data_request":{"include_assets":true,"include_basic_info":true}})";
constexpr char kTopSellersUrl[] =
    "https://store.steampowered.com/search/?filter=topsellers&cc=us&l=english";
constexpr char kAssetBase[] = "https://shared.akamai.steamstatic.com/store_item_assets/";

std::string most_played_url() {
  return "https://api.steampowered.com/ISteamChartsService/GetMostPlayedGames/v1/?input_json=" +
         percent_encode(kMostPlayedInput);
}

HttpRequest most_played_request(const SourceContext& /*ctx*/) {
  HttpRequest request;
  request.url = most_played_url();
  request.headers = {
      {"User-Agent", std::string(kMuUserAgent)},
      {"Accept", "application/json"},
  };
  return request;
}

HttpRequest top_sellers_request(const SourceContext& /*ctx*/) {
  HttpRequest request;
  request.url = kTopSellersUrl;
  request.headers = {
      {"User-Agent", std::string(kBrowserUserAgent)},
      {"Accept", "text/html,application/xhtml+xml"},
      {"Accept-Language", "en-US,en;q=0.9"},
      // Skip the age gate and keep the page in English whatever the collector's region.
      {"Cookie", "birthtime=470682001; lastagecheckage=1-0-1985; Steam_Language=english"},
  };
  return request;
}

std::string with_thousands(int64_t n) {
  std::string digits = std::to_string(n < 0 ? -n : n);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return n < 0 ? "-" + out : out;
}

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// "steam/apps/730/${FILENAME}?t=1" + "header.jpg" -> an absolute image URL ("" without both).
std::string asset_url(const JsonView& assets, std::string_view file_key) {
  std::string format = assets.string_or("asset_url_format");
  const std::string file = assets.string_or(file_key);
  constexpr std::string_view kPlaceholder = "${FILENAME}";
  const std::size_t at = format.find(kPlaceholder);
  if (file.empty() || at == std::string::npos) return {};
  format.replace(at, kPlaceholder.size(), file);
  return kAssetBase + format;
}

Result<std::vector<Item>> parse_most_played(const HttpResponse& response,
                                            const BoardMeta& /*meta*/) {
  MU_ASSIGN_OR_RETURN(JsonDoc doc, JsonDoc::parse(response.body, "GetMostPlayedGames"));
  MU_ASSIGN_OR_RETURN(JsonView ranks, doc.root().require_array("response.ranks"));
  std::vector<Item> items;
  items.reserve(ranks.size());
  std::size_t hidden = 0;
  for (const JsonView& rank : ranks.elements()) {
    const auto appid = rank.integer("appid");
    if (!appid || *appid <= 0) continue;
    const JsonView store = rank.get("item");
    Item item;
    item.key = std::to_string(*appid);
    item.title = store.string_or("name");
    if (item.title.empty() || store.integer("success").value_or(1) != 1) {
      ++hidden;
      continue;
    }
    const std::string path = trim(store.string_or("store_url_path"));
    const std::string own = "app/" + item.key;
    item.url = (path == own || path.starts_with(own + "/"))
                   ? "https://store.steampowered.com/" + path
                   : "https://store.steampowered.com/app/" + item.key + "/";
    if (auto peak = rank.integer("peak_in_game"); peak && *peak >= 0) {
      item.hot = static_cast<double>(*peak);
      item.hot_text = with_thousands(*peak) + " peak players";
    }
    item.image = asset_url(store.get("assets"), "header");
    item.summary = truncate_utf8(store.string_or("basic_info.short_description"), 400);
    if (auto r = rank.integer("rank")) item.extra.emplace_back("rank", std::to_string(*r));
    if (auto last = rank.integer("last_week_rank"); last && *last > 0) {
      item.extra.emplace_back("last_week_rank", std::to_string(*last));
    } else {
      item.label = "new";  // not in last week's chart
    }
    if (std::string dev = store.string_or("basic_info.developers[0].name"); !dev.empty()) {
      item.author = dev;
    }
    items.push_back(std::move(item));
  }
  if (items.empty()) {
    return error(ErrorCode::kParse, "response.ranks holds no named apps (" +
                                        std::to_string(ranks.size()) + " ranks, " +
                                        std::to_string(hidden) + " without store data)");
  }
  return items;
}

// "https://store.steampowered.com/app/730/CounterStrike_2/?snr=1_7_7_7000_150_1" -> without
// the tracking query.
std::string without_query(std::string url) {
  if (std::size_t q = url.find_first_of("?#"); q != std::string::npos) url.resize(q);
  return url;
}

Result<std::vector<Item>> parse_top_sellers(const HttpResponse& response,
                                            const BoardMeta& /*meta*/) {
  const std::string base =
      response.effective_url.empty() ? std::string(kTopSellersUrl) : response.effective_url;
  MU_ASSIGN_OR_RETURN(HtmlDoc doc,
                      HtmlDoc::parse(response.body, base,
                                     charset_from_content_type(response.header("Content-Type"))));
  const std::vector<HtmlNode> rows =
      doc.select("//a[" + xpath_has_class("search_result_row") + "]");
  if (rows.empty()) {
    return error(ErrorCode::kParse, "no search rows (a.search_result_row) in the page titled \"" +
                                        truncate_utf8(doc.title(), 80) + "\"");
  }
  const std::string cls_title = ".//span[" + xpath_has_class("title") + "]";
  std::vector<Item> items;
  items.reserve(rows.size());
  for (const HtmlNode& row : rows) {
    Item item;
    item.title = doc.first_text(cls_title, row);
    item.url = without_query(doc.resolve_url(row.attr("href")));
    item.key = trim(row.attr("data-ds-itemkey"));
    if (item.key.empty()) {
      const std::string appid = trim(row.attr("data-ds-appid"));
      item.key = all_digits(appid) ? "App_" + appid : item.url;
    }
    item.image = without_query(doc.resolve_url(
        doc.first(".//div[" + xpath_has_class("search_capsule") + "]//img", row).attr("src")));
    const std::string price =
        doc.first_text(".//div[" + xpath_has_class("discount_final_price") + "]", row);
    const std::string discount =
        doc.first_text(".//div[" + xpath_has_class("discount_pct") + "]", row);
    if (!price.empty()) item.extra.emplace_back("price", price);
    if (!discount.empty()) {
      item.extra.emplace_back("discount", discount);
      item.label = discount;
    }
    if (std::string released =
            doc.first_text(".//div[" + xpath_has_class("search_released") + "]", row);
        !released.empty()) {
      item.extra.emplace_back("released", released);
    }
    // "Very Positive<br>86% of the 9,143,210 user reviews for this game are positive."
    const HtmlNode review =
        doc.first(".//span[" + xpath_has_class("search_review_summary") + "]", row);
    if (review) {
      const std::string tip = review.attr("data-tooltip-html");
      const std::size_t br = ascii_lower(tip).find("<br");
      if (br == std::string::npos) {
        if (!is_blank(tip)) item.extra.emplace_back("reviews", collapse_whitespace(tip));
      } else {
        item.extra.emplace_back("reviews", collapse_whitespace(tip.substr(0, br)));
        if (const std::size_t gt = tip.find('>', br); gt != std::string::npos) {
          item.summary = collapse_whitespace(tip.substr(gt + 1));
        }
      }
    }
    if (std::string appid = trim(row.attr("data-ds-appid")); !appid.empty()) {
      item.extra.emplace_back("appid", appid);
    }
    items.push_back(std::move(item));
  }
  return items;
}

BoardMeta steam_board(std::string board, std::string name_zh, std::string name_en,
                      std::chrono::minutes every, std::string homepage, std::string notes) {
  BoardMeta meta;
  meta.id = "steam." + board;
  meta.site = "steam";
  meta.name_zh = std::move(name_zh);
  meta.name_en = std::move(name_en);
  meta.kind = BoardKind::kRank;
  meta.schedule.every = every;
  meta.schedule.jitter = std::chrono::minutes(3);
  meta.schedule.timeout = std::chrono::seconds(25);
  meta.schedule.retries = 1;
  meta.group = "global";
  meta.homepage = std::move(homepage);
  meta.notes = std::move(notes);
  return meta;
}

}  // namespace

Status register_steam_sources(SourceRegistry& registry) {
  MU_RETURN_IF_ERROR(registry.add_site(Site{
      .id = "steam",
      .name_zh = "Steam",
      .name_en = "Steam",
      .home = "https://store.steampowered.com",
      .icon = "https://store.steampowered.com/favicon.ico",
      .color = "#1b2838",
      .region = "global",
      .category = "entertainment",
  }));

  MU_RETURN_IF_ERROR(registry.add(std::make_unique<SimpleSource>(
      steam_board(
          "top-played", "最多人玩", "Most played", std::chrono::minutes(60),
          "https://store.steampowered.com/charts/mostplayed",
          "JSON of the keyless Web API ISteamChartsService/GetMostPlayedGames/v1 with an "
          "input_json data_request, so one call returns the top 100 with store names, URLs "
          "and header images (no per-app appdetails calls). hot = the day's peak concurrent "
          "players; the chart is a daily rollup (rollup_date), so hourly is plenty. Apps the "
          "anonymous store hides (some age-gated titles) have no name and are left out; "
          "extra.rank keeps Steam's rank, label \"new\" marks apps absent last week."),
      most_played_request, parse_most_played)));

  return registry.add(std::make_unique<SimpleSource>(
      steam_board("top-sellers", "热销", "Top sellers", std::chrono::minutes(30),
                  "https://store.steampowered.com/charts/topselling/global",
                  "HTML of the store search sorted by global top sellers "
                  "(search/?filter=topsellers&cc=us&l=english, first 50 rows incl. packages "
                  "and bundles; US prices). No numeric popularity (rank only): extra price, "
                  "discount, released, reviews. Sent with a browser User-Agent and age-gate "
                  "cookies; the Web API top-sellers service needs a key and is weekly only."),
      top_sellers_request, parse_top_sellers));
}

}  // namespace mu
