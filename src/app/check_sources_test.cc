#include "app/check_sources.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "fetch/replay_transport.h"

namespace mu {
namespace {

Item item(std::string key, std::string url) {
  Item it;
  it.key = key;
  it.title = "title " + key;
  it.url = std::move(url);
  return it;
}

TEST(CheckBoardItems, FlagsEachBrokenInvariant) {
  const int64_t now = 1'767'225'600'000;
  EXPECT_TRUE(check_board_items({item("a", "https://a.com/1")}, now).ok());
  EXPECT_EQ(check_board_items({}, now).message(), "no items");
  EXPECT_NE(check_board_items({item("a", "https://a.com/1"), item("a", "https://a.com/2")}, now)
                .message()
                .find("duplicate key"),
            std::string::npos);
  EXPECT_NE(check_board_items({item("a", "ftp://a.com/1")}, now).message().find("not http(s)"),
            std::string::npos);
  Item untitled = item("a", "https://a.com/1");
  untitled.title.clear();
  EXPECT_NE(check_board_items({untitled}, now).message().find("empty title"), std::string::npos);
  Item future = item("a", "https://a.com/1");
  future.published_at_ms = now + 2 * 86'400'000LL;
  EXPECT_NE(check_board_items({future}, now).message().find("implausible date"), std::string::npos);
  Item ancient = item("a", "https://a.com/1");
  ancient.published_at_ms = 0;
  EXPECT_FALSE(check_board_items({ancient}, now).ok());
}

// What `make demo` relies on: every built-in board collects sane items from its fixtures.
TEST(CheckBoards, EveryBuiltinBoardPassesOnItsFixtures) {
  const char* root = std::getenv("MU_SOURCE_DIR");
  ASSERT_NE(root, nullptr) << "ctest sets MU_SOURCE_DIR";
  auto replay = ReplayTransport::load({std::filesystem::path(root) / "src/sources"});
  ASSERT_TRUE(replay.ok()) << replay.status().to_string();
  Catalogue cat;
  ASSERT_TRUE(build_catalogue(Config{}, cat).ok());
  SystemClock clock;
  auto checks = check_boards(cat, **replay, clock, {}, {}, 4);
  ASSERT_EQ(checks.size(), cat.boards.size());
  for (const auto& c : checks) {
    EXPECT_TRUE(c.status.ok()) << c.board << ": " << c.status.to_string();
    EXPECT_GE(c.items, 5u) << c.board;
  }
  std::string table = format_checks(checks);
  EXPECT_NE(table.find(std::to_string(checks.size()) + " passed, 0 failed"), std::string::npos);
}

// A failed board is printed with its failure class (the classes of the health route) and a
// hint under it, so `mu check-sources --live` says what to do, not only what broke.
TEST(CheckBoards, FailuresArePrintedWithTheirClassAndAHint) {
  std::vector<BoardCheck> checks(3);
  checks[0].board = "weibo.hot-search";
  checks[0].items = 50;
  checks[1].board = "zhihu.hot";
  checks[1].needs_cookie = true;
  checks[1].status = error(ErrorCode::kBlocked,
                           "zhihu.hot: HTTP 401 (login required) from https://www.zhihu.com/");
  checks[2].board = "reddit.popular";
  checks[2].status = error(ErrorCode::kHttp, "HTTP 429 from https://www.reddit.com/r/popular.json");
  const std::string table = format_checks(checks);
  EXPECT_NE(table.find("weibo.hot-search               ok"), std::string::npos) << table;
  EXPECT_NE(table.find("zhihu.hot                      needs-cookie"), std::string::npos);
  EXPECT_NE(table.find("reddit.popular                 rate-limited"), std::string::npos);
  EXPECT_NE(table.find("hint: The site wants a signed-in cookie"), std::string::npos);
  EXPECT_NE(table.find("hint: The site limits how often"), std::string::npos);
  EXPECT_NE(table.find("1 passed, 2 failed"), std::string::npos);
}

}  // namespace
}  // namespace mu
