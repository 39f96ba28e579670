#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <string>

#include "fetch/replay_transport.h"
#include "sources/common/http_util.h"
#include "sources/common/text.h"
#include "sources/source.h"
#include "sources/testing/source_testing.h"

namespace mu {

Status register_producthunt_sources(SourceRegistry& registry);

namespace {

using namespace source_testing;  // NOLINT(google-build-using-namespace)

std::string extra(const Item& item, const std::string& key) {
  for (const auto& [k, v] : item.extra) {
    if (k == key) return v;
  }
  return {};
}

class ProductHuntToday : public ::testing::Test {
 protected:
  const Source& board() {
    const Source* s = registry_.find("producthunt.today");
    EXPECT_NE(s, nullptr);
    return *s;
  }
  // Runs the board against the replay fixtures with the given secrets.
  Result<std::vector<Item>> collect_with(const std::map<std::string, std::string>& secrets) {
    auto replay = ReplayTransport::load({fixtures_dir("producthunt")});
    if (!replay.ok()) return replay.status();
    SourceContext ctx{**replay, clock_, &secrets};
    return board().collect(ctx);
  }
  // Runs the board against one canned answer, with a token, and returns the request sent.
  HttpRequest api_request_at(WallTime now) {
    FakeClock clock(now);
    CannedTransport transport(200, "{}", "application/json");
    const std::map<std::string, std::string> secrets = {{"producthunt.token", "tok-123"}};
    SourceContext ctx{transport, clock, &secrets};
    (void)board().collect(ctx);
    EXPECT_EQ(transport.requests().size(), 1u);
    return transport.requests().empty() ? HttpRequest{} : transport.requests()[0];
  }
  FakeClock clock_;
  SourceRegistry registry_ = make_registry(register_producthunt_sources);
};

// Without the producthunt.token secret (the default) the board reads the Atom feed.
TEST_F(ProductHuntToday, ParsesFeedFixtureWithoutToken) {
  auto items = collect_fixture(board());
  ASSERT_TRUE(items.ok()) << items.status().to_string();
  ASSERT_EQ(items->size(), 12u);
  const Item& first = items->front();
  EXPECT_EQ(first.key, "1130575");
  EXPECT_EQ(first.title, "Moodboard AI");
  EXPECT_EQ(first.url, "https://www.producthunt.com/products/moodboard-ai");
  EXPECT_FALSE(first.hot.has_value());  // the feed carries no votes
  EXPECT_EQ(first.summary, "Generate brand moodboards from a single sentence");
  EXPECT_EQ(first.author, "Lucas Martin");
  EXPECT_EQ(first.published_at_ms, parse_iso8601_ms("2026-01-01T03:12:47-08:00"));
  EXPECT_EQ(items->back().key, "1130330");
  EXPECT_EQ(items->back().title, "InboxZero Bot");
  expect_sane_items(*items, 10);
}

TEST_F(ProductHuntToday, ParsesApiFixtureWithToken) {
  auto items = collect_with({{"producthunt.token", "dev-token-for-tests"}});
  ASSERT_TRUE(items.ok()) << items.status().to_string();
  ASSERT_EQ(items->size(), 10u);
  const Item& first = items->front();
  EXPECT_EQ(first.key, "1130512");  // the same post id the feed uses
  EXPECT_EQ(first.title, "Lumen Notes");
  EXPECT_EQ(first.url, "https://www.producthunt.com/posts/lumen-notes-2");
  EXPECT_EQ(first.hot, 612);
  EXPECT_EQ(first.hot_text, "612 votes");
  EXPECT_EQ(first.summary, "Notes that link themselves, with on-device AI");
  EXPECT_EQ(first.published_at_ms, parse_iso8601_ms("2026-01-01T08:01:00Z"));
  EXPECT_EQ(extra(first, "comments"), "88");
  EXPECT_EQ(extra(first, "topics"), "Productivity, Note and Writing, Artificial Intelligence");
  EXPECT_EQ(extra(first, "website"), "https://www.producthunt.com/r/A114010RQ7");
  EXPECT_EQ(first.image.rfind("https://ph-files.imgix.net/", 0), 0u) << first.image;
  // Ranked by votes.
  for (std::size_t i = 1; i < items->size(); ++i) {
    EXPECT_LE((*items)[i].hot.value_or(0), (*items)[i - 1].hot.value_or(0)) << i;
  }
  expect_sane_items(*items, 10);
}

TEST_F(ProductHuntToday, EmptyTokenFallsBackToTheFeed) {
  auto items = collect_with({{"producthunt.token", ""}, {"other.secret", "x"}});
  ASSERT_TRUE(items.ok()) << items.status().to_string();
  EXPECT_EQ(items->front().key, "1130575");
  EXPECT_FALSE(items->front().hot.has_value());
}

TEST_F(ProductHuntToday, ApiRequestCarriesTheTokenAndTheLosAngelesDay) {
  // FakeClock's default start, 2026-01-01T00:00:00Z, is still Dec 31 in Los Angeles.
  HttpRequest r = api_request_at(FakeClock().now());
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.url, "https://api.producthunt.com/v2/api/graphql");
  EXPECT_EQ(find_header(r.headers, "Authorization"), "Bearer tok-123");
  EXPECT_EQ(find_header(r.headers, "Content-Type"), "application/json");
  EXPECT_NE(r.body.find(R"("variables":{"after":"2025-12-31T00:00:00-08:00"})"), std::string::npos)
      << r.body;
  EXPECT_NE(r.body.find("order: RANKING"), std::string::npos);
  EXPECT_EQ(r.url.find("tok-123"), std::string::npos);  // never in the URL (logs)
}

TEST_F(ProductHuntToday, LosAngelesDayFollowsDaylightSaving) {
  auto after = [&](const char* iso) {
    const std::string body = api_request_at(from_unix_ms(parse_iso8601_ms(iso).value_or(0))).body;
    const std::size_t at = body.find(R"("after":")");
    return at == std::string::npos ? std::string() : body.substr(at + 9, 25);
  };
  EXPECT_EQ(after("2026-07-04T12:00:00Z"), "2026-07-04T00:00:00-07:00");  // PDT
  EXPECT_EQ(after("2026-07-04T06:59:59Z"), "2026-07-03T00:00:00-07:00");
  EXPECT_EQ(after("2026-07-04T07:00:00Z"), "2026-07-04T00:00:00-07:00");
  // 2026-03-08 is the second Sunday of March: midnight is still PST, 05:00 is PDT.
  EXPECT_EQ(after("2026-03-08T12:00:00Z"), "2026-03-08T00:00:00-08:00");
  // 2026-11-01 is the first Sunday of November: midnight is still PDT.
  EXPECT_EQ(after("2026-11-01T20:00:00Z"), "2026-11-01T00:00:00-07:00");
  EXPECT_EQ(after("2026-11-02T07:59:59Z"), "2026-11-01T00:00:00-07:00");
  EXPECT_EQ(after("2026-11-02T08:00:00Z"), "2026-11-02T00:00:00-08:00");
}

TEST_F(ProductHuntToday, RejectedTokenIsBlockedNamingTheSecret) {
  CannedTransport transport(401,
                            R"({"error":"invalid_oauth_token","error_description":"Please )"
                            R"(supply a valid access token."})",
                            "application/json");
  const std::map<std::string, std::string> secrets = {{"producthunt.token", "revoked"}};
  SourceContext ctx{transport, clock_, &secrets};
  auto r = board().collect(ctx);
  EXPECT_EQ(r.code(), ErrorCode::kBlocked);
  EXPECT_EQ(r.error_message(),
            "producthunt.today: HTTP 401 (login required) from "
            "https://api.producthunt.com/v2/api/graphql (check the producthunt.token secret)");
  EXPECT_EQ(r.error_message().find("revoked"), std::string::npos);
}

TEST_F(ProductHuntToday, GraphQlErrorsAndBadShapesAreParseErrors) {
  const std::map<std::string, std::string> secrets = {{"producthunt.token", "t"}};
  auto run = [&](std::string body) {
    CannedTransport transport(200, std::move(body), "application/json");
    SourceContext ctx{transport, clock_, &secrets};
    return board().collect(ctx);
  };
  auto gql = run(R"({"data":null,"errors":[{"message":"Field 'votes' doesn't exist on type )"
                 R"('Post'","locations":[{"line":1,"column":80}]}]})");
  EXPECT_EQ(gql.code(), ErrorCode::kParse);
  EXPECT_EQ(gql.error_message(),
            "producthunt.today: GraphQL error: Field 'votes' doesn't exist on type 'Post'");
  auto truncated = run(R"({"data":{"posts":{"edges":[{"node":{"id":"1130512","name":"Lum)");
  EXPECT_EQ(truncated.code(), ErrorCode::kParse);
  EXPECT_EQ(truncated.error_message().rfind("producthunt.today: GraphQL answer: invalid JSON", 0),
            0u)
      << truncated.error_message();
  EXPECT_EQ(run(R"({"data":{"posts":{"edges":[]}}})").code(), ErrorCode::kParse);
  EXPECT_EQ(run(R"([1,2,3])").code(), ErrorCode::kParse);
  auto wrong_types =
      run(R"({"data":{"posts":{"edges":[{"node":{"id":7,"name":"Seven","slug":)"
          R"("seven","votesCount":"lots","topics":{"edges":"no"}}},{"node":5},)"
          R"({"node":{"id":"8","name":"Eight","slug":"eight","votesCount":1e300}}]}}})");
  ASSERT_TRUE(wrong_types.ok()) << wrong_types.status().to_string();
  ASSERT_EQ(wrong_types->size(), 2u);
  EXPECT_EQ(wrong_types->front().key, "7");
  EXPECT_FALSE(wrong_types->front().hot.has_value());
  EXPECT_EQ(wrong_types->back().url, "https://www.producthunt.com/posts/eight");
}

TEST_F(ProductHuntToday, ChallengePageInsteadOfFeedIsBlocked) {
  auto r = collect_canned(board(), 200,
                          "<!DOCTYPE html><html lang=\"en-US\"><head><title>Just a moment..."
                          "</title></head><body><noscript>Enable JavaScript and cookies to "
                          "continue</noscript></body></html>",
                          "text/html; charset=UTF-8");
  EXPECT_EQ(r.code(), ErrorCode::kBlocked);
  EXPECT_EQ(r.error_message(),
            "producthunt.today: got an HTML page titled \"Just a moment...\" instead of the "
            "Atom feed (anti-bot challenge?)");
  EXPECT_EQ(collect_canned(board(), 403, "<html>Forbidden</html>").code(), ErrorCode::kBlocked);
}

TEST_F(ProductHuntToday, TruncatedOrForeignFeedIsParseError) {
  std::string feed = read_file(fixtures_dir("producthunt") / "feed.xml");
  ASSERT_GT(feed.size(), 3000u);
  auto truncated = collect_canned(board(), 200, feed.substr(0, 2500));
  EXPECT_EQ(truncated.code(), ErrorCode::kParse);
  EXPECT_EQ(truncated.error_message(),
            "producthunt.today: the Atom feed is truncated (no closing </feed>)");
  auto rss = collect_canned(board(), 200,
                            "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><item><title>x"
                            "</title></item></channel></rss>");
  EXPECT_EQ(rss.code(), ErrorCode::kParse);
  EXPECT_EQ(rss.error_message(), "producthunt.today: expected an Atom <feed>, got <rss>");
  EXPECT_EQ(collect_canned(board(), 200, "not xml at all").code(), ErrorCode::kParse);
  auto empty = collect_canned(board(), 200, "<feed xmlns=\"http://www.w3.org/2005/Atom\"></feed>");
  EXPECT_EQ(empty.code(), ErrorCode::kParse);
  EXPECT_EQ(empty.error_message(), "producthunt.today: the Atom feed has no <entry>");
}

TEST_F(ProductHuntToday, FeedEntriesWithoutLinksOrWithHostileContentAreHandled) {
  const std::string feed = R"xml(<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE feed [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<feed xmlns="http://www.w3.org/2005/Atom">
  <entry><id>tag:www.producthunt.com,2005:Post/1</id><title>No link</title></entry>
  <entry><id>tag:www.producthunt.com,2005:Post/2</id><title>Evil &xxe;</title>
    <link rel="alternate" href="javascript:alert(1)"/></entry>
  <entry><id>tag:www.producthunt.com,2005:Post/3</id><title><![CDATA[Fine & dandy]]></title>
    <link href="https://www.producthunt.com/products/fine"/>
    <content type="html">&lt;script&gt;x()&lt;/script&gt;plain tagline</content></entry>
</feed>)xml";
  auto r = collect_canned(board(), 200, feed, "application/atom+xml");
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ(r->front().key, "3");
  EXPECT_EQ(r->front().title, "Fine & dandy");
  EXPECT_EQ(r->front().summary.find("root:"), std::string::npos);
}

TEST_F(ProductHuntToday, MetadataExplainsTheOptionalToken) {
  const BoardMeta& m = board().meta();
  EXPECT_FALSE(m.needs_token);  // works unconfigured through the feed
  EXPECT_NE(m.notes.find("producthunt.token"), std::string::npos);
  EXPECT_NE(m.notes.find("www.producthunt.com/feed"), std::string::npos);
  EXPECT_EQ(m.kind, BoardKind::kRank);
  EXPECT_EQ(m.group, "global");
}

}  // namespace
}  // namespace mu
