#include <gtest/gtest.h>

#include <string>

#include "sources/common/http_util.h"
#include "sources/source.h"
#include "sources/testing/source_testing.h"

namespace mu {

Status register_steam_sources(SourceRegistry& registry);

namespace {

using namespace source_testing;  // NOLINT(google-build-using-namespace)

std::string extra(const Item& item, const std::string& key) {
  for (const auto& [k, v] : item.extra) {
    if (k == key) return v;
  }
  return {};
}

class SteamBoards : public ::testing::Test {
 protected:
  const Source& board(const char* id) {
    const Source* s = registry_.find(id);
    EXPECT_NE(s, nullptr) << id;
    return *s;
  }
  HttpRequest request_of(const char* id) {
    CannedTransport transport(200, "{}");
    FakeClock clock;
    SourceContext ctx{transport, clock};
    (void)board(id).collect(ctx);
    EXPECT_EQ(transport.requests().size(), 1u);
    return transport.requests().empty() ? HttpRequest{} : transport.requests()[0];
  }
  SourceRegistry registry_ = make_registry(register_steam_sources);
};

TEST_F(SteamBoards, TopPlayedParsesFixture) {
  auto items = collect_fixture(board("steam.top-played"));
  ASSERT_TRUE(items.ok()) << items.status().to_string();
  ASSERT_EQ(items->size(), 14u);  // 15 ranks, one hidden app without store data
  const Item& first = items->front();
  EXPECT_EQ(first.key, "730");
  EXPECT_EQ(first.title, "Counter-Strike 2");
  EXPECT_EQ(first.url, "https://store.steampowered.com/app/730/CounterStrike_2");
  EXPECT_EQ(first.hot, 1512330);
  EXPECT_EQ(first.hot_text, "1,512,330 peak players");
  EXPECT_EQ(first.image,
            "https://shared.akamai.steamstatic.com/store_item_assets/steam/apps/730/"
            "header.jpg?t=1749053861");
  EXPECT_EQ(first.author, "Valve");
  EXPECT_EQ(extra(first, "rank"), "1");
  EXPECT_EQ(extra(first, "last_week_rank"), "1");
  EXPECT_EQ(first.label, "");
  expect_sane_items(*items, 10);

  // Rank 10 (app 1245690) is hidden from the anonymous store and left out.
  for (const Item& item : *items) EXPECT_NE(item.key, "1245690");
  EXPECT_EQ((*items)[9].title, "Baldur's Gate 3");
  EXPECT_EQ(extra((*items)[9], "rank"), "11");
  // A game absent from last week's chart.
  EXPECT_EQ(items->back().title, "Overwatch\u00ae 2");
  EXPECT_EQ(items->back().label, "new");
  EXPECT_EQ(extra(items->back(), "last_week_rank"), "");
}

TEST_F(SteamBoards, TopSellersParsesFixture) {
  auto items = collect_fixture(board("steam.top-sellers"));
  ASSERT_TRUE(items.ok()) << items.status().to_string();
  ASSERT_EQ(items->size(), 12u);
  const Item& first = items->front();
  EXPECT_EQ(first.key, "App_1675200");
  EXPECT_EQ(first.title, "Steam Deck");
  EXPECT_EQ(first.url, "https://store.steampowered.com/app/1675200/Steam_Deck/");
  EXPECT_FALSE(first.hot.has_value());  // the chart is a ranking without numbers
  EXPECT_EQ(extra(first, "price"), "$399.00");
  EXPECT_EQ(first.image,
            "https://shared.akamai.steamstatic.com/store_item_assets/steam/apps/1675200/"
            "capsule_sm_120.jpg");
  expect_sane_items(*items, 10);

  const Item& cs2 = (*items)[1];
  EXPECT_EQ(cs2.title, "Counter-Strike 2");
  EXPECT_EQ(extra(cs2, "price"), "Free");
  EXPECT_EQ(extra(cs2, "reviews"), "Very Positive");
  EXPECT_EQ(cs2.summary, "86% of the 9,143,210 user reviews for this game are positive.");
  EXPECT_EQ(extra(cs2, "released"), "Aug 21, 2012");

  const Item& package = (*items)[5];
  EXPECT_EQ(package.key, "Sub_1012020");
  EXPECT_EQ(package.title, "Cyberpunk 2077: Ultimate Edition");
  EXPECT_EQ(package.url, "https://store.steampowered.com/sub/1012020/");
  EXPECT_EQ(package.label, "-65%");
  EXPECT_EQ(extra(package, "price"), "$27.99");
  EXPECT_EQ(items->back().key, "Bundle_232");
  EXPECT_EQ((*items)[9].title, "God of War Ragnar\u00f6k");
}

TEST_F(SteamBoards, RequestsTheDocumentedUrls) {
  HttpRequest played = request_of("steam.top-played");
  EXPECT_EQ(played.url,
            "https://api.steampowered.com/ISteamChartsService/GetMostPlayedGames/v1/"
            "?input_json=%7B%22context%22%3A%7B%22language%22%3A%22english%22%2C%22country_"
            "code%22%3A%22US%22%2C%22steam_realm%22%3A1%7D%2C%22data_request%22%3A%7B%22"
            "include_assets%22%3Atrue%2C%22include_basic_info%22%3Atrue%7D%7D");
  EXPECT_EQ(played.url.find("key="), std::string::npos);  // keyless
  HttpRequest sellers = request_of("steam.top-sellers");
  EXPECT_EQ(sellers.url,
            "https://store.steampowered.com/search/?filter=topsellers&cc=us&l=english");
  EXPECT_EQ(find_header(sellers.headers, "User-Agent"), kBrowserUserAgent);
}

TEST_F(SteamBoards, TopPlayedErrorsAreParseErrors) {
  const Source& played = board("steam.top-played");
  auto empty = collect_canned(played, 200, R"({"response":{}})", "application/json");
  EXPECT_EQ(empty.code(), ErrorCode::kParse);
  EXPECT_EQ(empty.error_message(), "steam.top-played: response.ranks: missing");
  auto truncated = collect_canned(played, 200, R"({"response":{"rollup_date":1767225600,"ran)");
  EXPECT_EQ(truncated.code(), ErrorCode::kParse);
  EXPECT_EQ(
      truncated.error_message().rfind("steam.top-played: GetMostPlayedGames: invalid JSON", 0), 0u)
      << truncated.error_message();
  auto all_hidden = collect_canned(
      played, 200,
      R"({"response":{"ranks":[{"rank":1,"appid":1245690,"peak_in_game":5,"item":{"success":15,)"
      R"("name":""}},{"rank":2,"appid":"x"},{"rank":3,"appid":-4},7]}})");
  EXPECT_EQ(all_hidden.code(), ErrorCode::kParse);
  EXPECT_EQ(all_hidden.error_message(),
            "steam.top-played: response.ranks holds no named apps (4 ranks, 1 without store data)");
  EXPECT_EQ(collect_canned(played, 429, "Too Many Requests").code(), ErrorCode::kHttp);
}

TEST_F(SteamBoards, TopPlayedSurvivesOddValues) {
  auto r = collect_canned(
      board("steam.top-played"), 200,
      R"({"response":{"ranks":[{"rank":1,"appid":10,"peak_in_game":1e300,"item":{"name":"Big",)"
      R"("store_url_path":"app/999/Elsewhere","assets":{"asset_url_format":"x","header":"h"}}},)"
      R"({"rank":"2","appid":"20","peak_in_game":"12","item":{"success":1,"name":"Str"}}]}})");
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ(r->front().url, "https://store.steampowered.com/app/10/");  // path of another app
  EXPECT_FALSE(r->front().hot.has_value());
  EXPECT_EQ(r->front().image, "");  // no ${FILENAME} placeholder
  EXPECT_EQ(r->back().key, "20");
  EXPECT_EQ(r->back().hot, 12);
}

TEST_F(SteamBoards, TopSellersErrorPageIsParseError) {
  auto r = collect_canned(board("steam.top-sellers"), 200,
                          "<!DOCTYPE html><html><head><title>Site Error</title></head><body>"
                          "<div id=\"error_box\">An error was encountered while processing your "
                          "request: Access is denied.</div></body></html>",
                          "text/html; charset=UTF-8");
  EXPECT_EQ(r.code(), ErrorCode::kParse);
  EXPECT_EQ(r.error_message(),
            "steam.top-sellers: no search rows (a.search_result_row) in the page titled \"Site "
            "Error\"");
  auto truncated = collect_canned(
      board("steam.top-sellers"), 200,
      "<html><body><div id=\"search_resultsRows\"><a href=\"javascript:void(0)\" "
      "class=\"search_result_row\"><span class=\"title\">Evil</span></a><a href=\"https://store."
      "steampowered.com/app/1/X/\" class=\"search_result_row\" data-ds-appid=\"1\"><span class=");
  ASSERT_EQ(truncated.code(), ErrorCode::kParse) << truncated.status().to_string();
  EXPECT_EQ(collect_canned(board("steam.top-sellers"), 403, "denied").code(), ErrorCode::kBlocked);
}

TEST_F(SteamBoards, Metadata) {
  for (const char* id : {"steam.top-played", "steam.top-sellers"}) {
    const BoardMeta& m = board(id).meta();
    SCOPED_TRACE(id);
    EXPECT_EQ(m.kind, BoardKind::kRank);
    EXPECT_EQ(m.group, "global");
    EXPECT_GE(m.schedule.every, std::chrono::minutes(30));
    EXPECT_FALSE(m.needs_token);
    EXPECT_FALSE(m.notes.empty());
  }
  ASSERT_NE(registry_.find_site("steam"), nullptr);
  EXPECT_EQ(registry_.find_site("steam")->color, "#1b2838");
}

}  // namespace
}  // namespace mu
