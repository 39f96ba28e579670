#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "sources/source.h"
#include "sources/testing/source_testing.h"

namespace mu {
namespace {

using source_testing::collect_fixture;
using source_testing::expect_sane_items;
using source_testing::fixtures_dir;

class StubSource final : public Source {
 public:
  explicit StubSource(std::string id, std::string site) {
    meta_.id = std::move(id);
    meta_.site = std::move(site);
    meta_.group = "global";
  }
  const BoardMeta& meta() const override { return meta_; }
  Result<std::vector<Item>> collect(const SourceContext&) const override {
    return error(ErrorCode::kInternal, "stub");
  }
  BoardMeta meta_;
};

Site make_site(std::string id) {
  Site s;
  s.id = std::move(id);
  s.name_en = s.id;
  s.home = "https://" + s.id + ".example";
  s.region = "global";
  return s;
}

TEST(BoardId, Validation) {
  EXPECT_TRUE(is_valid_board_id("weibo.hot-search"));
  EXPECT_TRUE(is_valid_board_id("v2ex.node-programmer"));
  EXPECT_TRUE(is_valid_board_id("36kr.news"));
  EXPECT_FALSE(is_valid_board_id("weibo"));
  EXPECT_FALSE(is_valid_board_id(".hot"));
  EXPECT_FALSE(is_valid_board_id("weibo."));
  EXPECT_FALSE(is_valid_board_id("Weibo.hot"));
  EXPECT_FALSE(is_valid_board_id("weibo.hot_search"));
  EXPECT_FALSE(is_valid_board_id("weibo.hot.search"));
  EXPECT_FALSE(is_valid_board_id("weibo.hot search"));
  EXPECT_FALSE(is_valid_board_id(""));
}

TEST(SourceRegistry, AddsAndFindsSitesAndBoards) {
  SourceRegistry r;
  ASSERT_TRUE(r.add_site(make_site("alpha")).ok());
  ASSERT_TRUE(r.add_site(make_site("beta")).ok());
  ASSERT_TRUE(r.add(std::make_unique<StubSource>("beta.one", "beta")).ok());
  ASSERT_TRUE(r.add(std::make_unique<StubSource>("alpha.one", "alpha")).ok());
  ASSERT_TRUE(r.add(std::make_unique<StubSource>("beta.two", "beta")).ok());
  ASSERT_NE(r.find("alpha.one"), nullptr);
  EXPECT_EQ(r.find("alpha.one")->meta().id, "alpha.one");
  EXPECT_EQ(r.find("alpha.two"), nullptr);
  ASSERT_NE(r.find_site("beta"), nullptr);
  EXPECT_EQ(r.find_site("beta")->home, "https://beta.example");
  EXPECT_EQ(r.find_site("gamma"), nullptr);
  auto boards = r.boards();
  ASSERT_EQ(boards.size(), 3u);
  EXPECT_EQ(boards[0]->meta().id, "beta.one");  // registration order
  EXPECT_EQ(boards[2]->meta().id, "beta.two");
  ASSERT_EQ(r.sites().size(), 2u);
  EXPECT_EQ(r.sites()[0].id, "alpha");
}

TEST(SourceRegistry, RejectsDuplicatesAndBadInput) {
  SourceRegistry r;
  ASSERT_TRUE(r.add_site(make_site("alpha")).ok());
  EXPECT_EQ(r.add_site(make_site("alpha")).code(), ErrorCode::kConflict);
  EXPECT_EQ(r.add_site(make_site("Bad_Site")).code(), ErrorCode::kInvalid);
  Site no_region = make_site("nowhere");
  no_region.region = "";
  EXPECT_EQ(r.add_site(no_region).code(), ErrorCode::kInvalid);

  ASSERT_TRUE(r.add(std::make_unique<StubSource>("alpha.one", "alpha")).ok());
  Status dup = r.add(std::make_unique<StubSource>("alpha.one", "alpha"));
  EXPECT_EQ(dup.code(), ErrorCode::kConflict);
  EXPECT_NE(dup.message().find("alpha.one"), std::string::npos);

  Status unknown = r.add(std::make_unique<StubSource>("gamma.one", "gamma"));
  EXPECT_EQ(unknown.code(), ErrorCode::kInvalid);
  EXPECT_NE(unknown.message().find("unknown site \"gamma\""), std::string::npos);

  Status malformed = r.add(std::make_unique<StubSource>("alpha.One", "alpha"));
  EXPECT_EQ(malformed.code(), ErrorCode::kInvalid);
  EXPECT_NE(malformed.message().find("malformed"), std::string::npos);

  EXPECT_EQ(r.add(std::make_unique<StubSource>("alpha.x", "beta")).code(), ErrorCode::kInvalid);
  EXPECT_EQ(r.add(nullptr).code(), ErrorCode::kInvalid);

  auto bad_schedule = std::make_unique<StubSource>("alpha.zero", "alpha");
  bad_schedule->meta_.schedule.every = std::chrono::seconds(0);
  EXPECT_EQ(r.add(std::move(bad_schedule)).code(), ErrorCode::kInvalid);
  EXPECT_EQ(r.boards().size(), 1u);
}

TEST(SourceRegistry, CategoriesComeFromTheClosedList) {
  SourceRegistry r;
  Site odd = make_site("odd");
  odd.category = "sports";
  Status st = r.add_site(odd);
  EXPECT_EQ(st.code(), ErrorCode::kInvalid);
  EXPECT_NE(st.message().find("category must be one of general, tech"), std::string::npos)
      << st.message();
  EXPECT_NE(st.message().find("\"sports\""), std::string::npos);

  Site tech = make_site("techsite");
  tech.category = "tech";
  ASSERT_TRUE(r.add_site(tech).ok());
  auto own = std::make_unique<StubSource>("techsite.money", "techsite");
  own->meta_.category = "finance";  // a board may sit elsewhere than its site
  ASSERT_TRUE(r.add(std::move(own)).ok());
  auto bad = std::make_unique<StubSource>("techsite.bad", "techsite");
  bad->meta_.category = "Tech";
  EXPECT_EQ(r.add(std::move(bad)).code(), ErrorCode::kInvalid);
  EXPECT_EQ(r.boards().size(), 1u);

  ASSERT_NE(find_category("world"), nullptr);
  EXPECT_EQ(find_category("world")->name_zh, "国际");
  EXPECT_EQ(find_category("none"), nullptr);
  EXPECT_EQ(categories().front().id, "general");
}

TEST(BuiltinSources, RegisterCleanlyWithCompleteMetadata) {
  SourceRegistry r;
  Status st = register_builtin_sources(r);
  ASSERT_TRUE(st.ok()) << st.to_string();
  ASSERT_GE(r.boards().size(), 5u);
  for (const char* id :
       {"hackernews.front", "github.trending", "v2ex.hot", "weibo.hot-search", "zhihu.hot"}) {
    EXPECT_NE(r.find(id), nullptr) << id;
  }
  std::set<std::string> ids;
  for (const Source* s : r.boards()) {
    const BoardMeta& m = s->meta();
    SCOPED_TRACE(m.id);
    EXPECT_TRUE(is_valid_board_id(m.id));
    EXPECT_TRUE(ids.insert(m.id).second);
    const Site* site = r.find_site(m.site);
    ASSERT_NE(site, nullptr);
    EXPECT_EQ(m.id.substr(0, m.id.find('.')), site->id);
    EXPECT_FALSE(site->name_zh.empty());
    EXPECT_FALSE(site->name_en.empty());
    EXPECT_EQ(site->home.rfind("https://", 0), 0u);
    EXPECT_EQ(site->icon.rfind("https://", 0), 0u);
    EXPECT_EQ(site->color.size(), 7u);
    EXPECT_FALSE(m.name_zh.empty());
    EXPECT_FALSE(m.name_en.empty());
    EXPECT_TRUE(m.group == "cn" || m.group == "global") << m.group;
    EXPECT_EQ(m.group, site->region);
    EXPECT_EQ(m.homepage.rfind("https://", 0), 0u);
    EXPECT_FALSE(m.notes.empty());
    EXPECT_NE(find_category(site->category), nullptr) << site->category;
    EXPECT_TRUE(m.category.empty() || find_category(m.category) != nullptr) << m.category;
    EXPECT_GE(m.schedule.every, std::chrono::minutes(5));
    EXPECT_LE(m.schedule.every, std::chrono::hours(1));
    EXPECT_LT(m.schedule.jitter, m.schedule.every);
    EXPECT_LT(m.schedule.timeout, m.schedule.every);
  }
}

TEST(BuiltinSources, RegisteringTwiceIsAConflict) {
  SourceRegistry r;
  ASSERT_TRUE(register_builtin_sources(r).ok());
  Status again = register_builtin_sources(r);
  EXPECT_EQ(again.code(), ErrorCode::kConflict);
  EXPECT_NE(again.message().find("already registered"), std::string::npos) << again.message();
}

// Every board ships a replay fixture that its own collect() consumes.
TEST(BuiltinSources, EveryBoardCollectsItsReplayFixture) {
  SourceRegistry r;
  ASSERT_TRUE(register_builtin_sources(r).ok());
  for (const Source* s : r.boards()) {
    const BoardMeta& m = s->meta();
    SCOPED_TRACE(m.id);
    const auto dir = fixtures_dir(m.site);
    EXPECT_TRUE(std::filesystem::is_regular_file(dir / "replay.tsv")) << dir;
    auto items = collect_fixture(*s);
    ASSERT_TRUE(items.ok()) << items.status().to_string();
    expect_sane_items(*items, 5);
  }
}

}  // namespace
}  // namespace mu
