#include "app/catalogue.h"

#include <gtest/gtest.h>

namespace mu {
namespace {

TEST(Catalogue, AppliesBoardOverridesFromConfig) {
  Config cfg;
  cfg.source = "mu.toml";
  BoardOverride o;
  o.every = std::chrono::seconds(120);
  o.enabled = false;
  o.group = "global";
  cfg.boards["weibo.hot-search"] = o;
  Catalogue cat;
  ASSERT_TRUE(build_catalogue(cfg, cat).ok());
  auto it = std::find_if(cat.boards.begin(), cat.boards.end(),
                         [](const BoardMeta& b) { return b.id == "weibo.hot-search"; });
  ASSERT_NE(it, cat.boards.end());
  EXPECT_EQ(it->schedule.every, std::chrono::seconds(120));
  EXPECT_EQ(it->group, "global");
  EXPECT_EQ(cat.disabled.count("weibo.hot-search"), 1u);
}

TEST(Catalogue, UnknownBoardInConfigNamesTheKey) {
  Config cfg;
  cfg.source = "mu.toml";
  cfg.boards["weibo.nope"] = BoardOverride{};
  Catalogue cat;
  Status s = build_catalogue(cfg, cat);
  EXPECT_EQ(s.code(), ErrorCode::kConfig);
  EXPECT_NE(s.message().find("mu.toml: boards.\"weibo.nope\": no such board"), std::string::npos)
      << s.message();
}

TEST(Catalogue, MarkdownListsEveryBoardDeterministically) {
  Catalogue a;
  Catalogue b;
  ASSERT_TRUE(build_catalogue(Config{}, a).ok());
  ASSERT_TRUE(build_catalogue(Config{}, b).ok());
  std::string md = catalogue_markdown(a);
  EXPECT_EQ(md, catalogue_markdown(b));
  for (const auto& board : a.boards) {
    EXPECT_NE(md.find("`" + board.id + "`"), std::string::npos) << board.id;
  }
  EXPECT_NE(md.find(std::to_string(a.boards.size()) + " boards"), std::string::npos);
}

}  // namespace
}  // namespace mu
