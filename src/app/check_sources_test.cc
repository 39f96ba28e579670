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

}  // namespace
}  // namespace mu
