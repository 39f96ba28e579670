// The built-in spec boards (src/sources/<site>/<site>.toml): each one against its replay
// fixture (first item checked field by field), real captures where they exist, and the
// errors every site must turn into typed failures.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "sources/source.h"
#include "sources/spec/spec_source.h"
#include "sources/testing/source_testing.h"

namespace mu {
namespace {

using namespace source_testing;  // NOLINT(google-build-using-namespace)

const SourceRegistry& builtins() {
  static const SourceRegistry* registry = [] {
    static SourceRegistry r;
    Status st = register_builtin_sources(r);
    EXPECT_TRUE(st.ok()) << st.to_string();
    return &r;
  }();
  return *registry;
}

const SpecSource* spec_board(const std::string& id) {
  const Source* s = builtins().find(id);
  EXPECT_NE(s, nullptr) << id;
  const auto* spec = dynamic_cast<const SpecSource*>(s);
  EXPECT_NE(spec, nullptr) << id << " is not a spec board";
  return spec;
}

std::string extra(const Item& item, const std::string& key) {
  for (const auto& [k, v] : item.extra) {
    if (k == key) return v;
  }
  return {};
}

Result<std::vector<Item>> fixture_items(const std::string& id) {
  const SpecSource* s = spec_board(id);
  if (s == nullptr) return error(ErrorCode::kNotFound, id);
  return collect_fixture(*s);
}

// The fixture body and content type replay.tsv gives for the board's request URL.
std::pair<std::string, std::string> fixture_body(const SpecSource& s) {
  const auto dir = fixtures_dir(s.meta().site);
  std::ifstream map(dir / "replay.tsv");
  std::string line;
  while (std::getline(map, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> cols;
    std::stringstream ss(line);
    std::string col;
    while (std::getline(ss, col, '\t')) cols.push_back(col);
    if (cols.size() >= 3 && cols[1] == s.request_spec().url) {
      return {read_file(dir / cols[2]), cols.size() >= 5 ? cols[4] : ""};
    }
  }
  ADD_FAILURE() << "no replay entry for " << s.request_spec().url;
  return {};
}

TEST(SpecBoards, AtLeastFourteenBuiltinSpecBoards) {
  std::vector<std::string> ids;
  for (const Source* s : builtins().boards()) {
    if (dynamic_cast<const SpecSource*>(s) != nullptr) ids.push_back(s->meta().id);
  }
  EXPECT_GE(ids.size(), 14u);
  for (const char* id :
       {"solidot.news", "huxiu.news", "ithome.latest", "ithome.rank", "zaobao.realtime",
        "slashdot.news", "lobsters.hottest", "devto.top", "reddit.popular", "reddit.programming",
        "reddit.worldnews", "zhihu-daily.latest", "sspai.hot", "bbc.world", "nytimes.home",
        "theverge.news", "arstechnica.news", "ruanyifeng.weekly"}) {
    EXPECT_NE(std::find(ids.begin(), ids.end(), id), ids.end()) << id;
  }
}

// ---------------------------------------------------------------- one test per board

TEST(SpecBoards, SolidotNews) {
  auto items = fixture_items("solidot.news");
  ASSERT_TRUE(items.ok()) << items.status().to_string();
  ASSERT_EQ(items->size(), 8u);
  const Item& f = items->front();
  EXPECT_EQ(f.key, "https://www.solidot.org/story?sid=83215");
  EXPECT_EQ(f.title, "Linux 6.19 合并窗口关闭，新增对 RISC-V 矢量扩展的更多支持");
  EXPECT_EQ(f.url, "https://www.solidot.org/story?sid=83215");
  EXPECT_EQ(f.author, "WinterIsComing");
  EXPECT_EQ(f.published_at_ms, 1767223800000);
  EXPECT_EQ(f.summary.rfind("Linus Torvalds 在假期前释出了 Linux 6.19-rc3，", 0), 0u) << f.summary;
  EXPECT_EQ(extra(f, "category"), "Linux");
  EXPECT_FALSE(f.hot.has_value());
}

TEST(SpecBoards, HuxiuNews) {
  auto items = fixture_items("huxiu.news");
  ASSERT_TRUE(items.ok()) << items.status().to_string();
  ASSERT_EQ(items->size(), 6u);
  const Item& f = items->front();
  EXPECT_EQ(f.title, "2025 年新能源车价格战复盘：谁在赚钱，谁在失血");
  EXPECT_EQ(f.url, "https://www.huxiu.com/article/4298117.html");
  EXPECT_EQ(f.author, "白鲸研究所");
  EXPECT_EQ(f.published_at_ms, 1767225480000);  // "2026-01-01 07:58:00" Beijing time
  EXPECT_EQ(f.image,
            "https://img.huxiucdn.com/article/cover/202512/31/183012775214.jpg?imageView2/1/w/400/"
            "h/225");
  EXPECT_EQ(f.summary.rfind("全年降价车型超过 200 款", 0), 0u) << f.summary;
}

TEST(SpecBoards, IthomeLatest) {
  auto items = fixture_items("ithome.latest");
  ASSERT_TRUE(items.ok()) << items.status().to_string();
  ASSERT_EQ(items->size(), 6u);
  const Item& f = items->front();
  EXPECT_EQ(f.title, "小米 17 Ultra 官宣：徕卡 2 亿像素潜望长焦，1 月 8 日发布");
  EXPECT_EQ(f.url, "https://www.ithome.com/0/912/305.htm");
  EXPECT_EQ(f.key, "https://www.ithome.com/0/912/305.htm");
  EXPECT_EQ(f.published_at_ms, 1767226222000);
  EXPECT_EQ(f.image,
            "https://img.ithome.com/newsuploadfiles/2026/1/9c1f0a27-5d1e-4b49-a0b6-7f2b3f1c2d11.jpg"
            "?x-bce-process=image/format,f_auto");
  EXPECT_EQ((*items)[2].image, "");  // no picture in that description
}

TEST(SpecBoards, IthomeRank) {
  auto items = fixture_items("ithome.rank");
  ASSERT_TRUE(items.ok()) << items.status().to_string();
  ASSERT_EQ(items->size(), 8u);  // only the first rank-box (24 hours)
  const Item& f = items->front();
  EXPECT_EQ(f.key, "912305");
  EXPECT_EQ(f.title, "小米 17 Ultra 官宣：徕卡 2 亿像素潜望长焦，1 月 8 日发布");
  EXPECT_EQ(f.url, "https://m.ithome.com/html/912305.htm");
  EXPECT_EQ(f.mobile_url, "https://m.ithome.com/html/912305.htm");
  EXPECT_EQ(f.hot, 1086);
  EXPECT_EQ(f.hot_text, "1086评");
  EXPECT_EQ(f.image, "https://img.ithome.com/newsuploadfiles/thumbnail/2026/1/912305_240.jpg");
  EXPECT_EQ(items->back().key, "912041");
}

// The GBK/GB2312 acceptance: a page in GB2312 (declared only in a meta tag) parses to the
// exact Chinese text.
TEST(SpecBoards, ZaobaoRealtimeGb2312Page) {
  const SpecSource* s = spec_board("zaobao.realtime");
  ASSERT_NE(s, nullptr);
  const std::string body = fixture_body(*s).first;
  ASSERT_NE(body.find("\xD6\xD0\xB9\xFA"), std::string::npos);  // "中国" in GB2312 bytes
  auto items = fixture_items("zaobao.realtime");
  ASSERT_TRUE(items.ok()) << items.status().to_string();
  ASSERT_EQ(items->size(), 8u);  // the pager's a.item is outside div.list-block
  const Item& f = items->front();
  EXPECT_EQ(f.key, "20260101-1823560");
  EXPECT_EQ(f.title, "中国国家主席新年贺词：坚定不移推进高质量发展");
  EXPECT_EQ(f.url, "https://www.zaochenbao.com/realtime/china/story20260101-1823560.html");
  EXPECT_EQ(f.published_at_ms, 1767226320000);  // "2026-01-01 08:12" at UTC+8
  EXPECT_EQ(extra(f, "section"), "中国");
  const std::vector<std::string> titles = {
      "中国国家主席新年贺词：坚定不移推进高质量发展",
      "日本首相新年感言强调加强对华沟通",
      "印尼雅加达跨年夜降雨未减热情 数十万人涌上街头",
      "新加坡滨海湾跨年烟花吸引逾四十万人观赏",
      "中国去年全年粮食产量再创新高 达到七亿一千万吨",
      "美国联邦储备局会议纪要显示官员对降息步伐存在分歧",
      "春运预计发送旅客九十亿人次 铁路客流创历史新高",
      "欧盟对中国电动汽车关税谈判取得进展",
  };
  for (std::size_t i = 0; i < titles.size(); ++i) EXPECT_EQ((*items)[i].title, titles[i]) << i;
  EXPECT_EQ(extra((*items)[2], "section"), "东南亚");
}

TEST(SpecBoards, SlashdotNews) {
  auto items = fixture_items("slashdot.news");
  ASSERT_TRUE(items.ok()) << items.status().to_string();
  ASSERT_EQ(items->size(), 6u);
  const Item& f = items->front();
  EXPECT_EQ(f.title, "Timekeepers Revive the Leap Second Debate as UTC Drift Slows");
  EXPECT_EQ(f.url,
            "https://tech.slashdot.org/story/25/12/31/2148210/new-years-eve-leap-second-debate-"
            "returns?utm_source=rss1.0mainlinkanon&utm_medium=feed");
  EXPECT_EQ(f.key, f.url);  // rdf:about
  EXPECT_EQ(f.author, "BeauHD");
  EXPECT_EQ(f.published_at_ms, 1767218400000);
  EXPECT_EQ(extra(f, "comments"), "118");
  EXPECT_EQ(extra(f, "category"), "science");
  EXPECT_EQ(f.image, "");  // content_images = false: no share-button icons
  EXPECT_EQ(f.summary.rfind("An anonymous reader shares a report:", 0), 0u) << f.summary;
  EXPECT_EQ((*items)[1].title, "Zürich Lab Shows 64-Qubit Array Running at 4 Kelvin");  // Latin-1
}

TEST(SpecBoards, LobstersHottest) {
  auto items = fixture_items("lobsters.hottest");
  ASSERT_TRUE(items.ok()) << items.status().to_string();
  ASSERT_EQ(items->size(), 8u);
  const Item& f = items->front();
  EXPECT_EQ(f.key, "k3vx9a");
  EXPECT_EQ(f.title, "Writing a C compiler in 500 lines of Python, revisited");
  EXPECT_EQ(f.url, "https://notes.brainstorm.dev/posts/c-compiler-500-lines-revisited/");
  EXPECT_EQ(f.hot, 87);
  EXPECT_EQ(f.hot_text, "87 points");
  EXPECT_EQ(f.author, "ninefold");  // submitter_user as a plain name
  EXPECT_EQ(f.published_at_ms, 1767194092000);
  EXPECT_EQ(extra(f, "comments"), "23");
  EXPECT_EQ(extra(f, "tags"), "c, compilers, python");
  const Item& ask = (*items)[2];  // a text post: no url, links to the discussion
  EXPECT_EQ(ask.url, "https://lobste.rs/s/p8wz1d/ask_lobsters_what_are_you_reading");
  EXPECT_EQ(ask.summary.rfind("I finally have some time off.", 0), 0u);
}

TEST(SpecBoards, LobstersHottestRealCapture) {
  auto path = real_capture("lobsters/hottest.json");
  if (!path) GTEST_SKIP() << "real capture not present (../shared/fixtures/real)";
  const SpecSource* s = spec_board("lobsters.hottest");
  ASSERT_NE(s, nullptr);
  auto items = collect_canned(*s, 200, read_file(*path), "application/json; charset=utf-8");
  ASSERT_TRUE(items.ok()) << items.status().to_string();
  ASSERT_EQ(items->size(), 25u);
  const Item& f = items->front();
  EXPECT_EQ(f.key, "xacdsk");
  EXPECT_EQ(f.title, "Secret EU law threatens Internet security");
  EXPECT_EQ(f.url, "https://last-chance-for-eidas.org/");
  EXPECT_EQ(f.hot, 32);
  EXPECT_EQ(f.hot_text, "32 points");
  EXPECT_EQ(f.author, "galadran");  // submitter_user as an object
  EXPECT_EQ(f.published_at_ms, 1698914825000);
  EXPECT_EQ(extra(f, "comments"), "16");
  EXPECT_EQ(extra(f, "comments_url"),
            "https://lobste.rs/s/xacdsk/secret_eu_law_threatens_internet");
  EXPECT_EQ(extra(f, "tags"), "browsers, cryptography");
  expect_sane_items(*items, 25);
}

TEST(SpecBoards, DevtoTop) {
  auto items = fixture_items("devto.top");
  ASSERT_TRUE(items.ok()) << items.status().to_string();
  ASSERT_EQ(items->size(), 7u);
  const Item& f = items->front();
  EXPECT_EQ(f.key, "2184417");
  EXPECT_EQ(f.title, "I Rebuilt Our Monolith's Test Suite and Cut CI Time From 40 to 6 Minutes");
  EXPECT_EQ(f.url, "https://dev.to/priya_raman/i-rebuilt-our-monoliths-test-suite-and-cut-4e1");
  EXPECT_EQ(f.hot, 412);
  EXPECT_EQ(f.hot_text, "412 reactions");
  EXPECT_EQ(f.author, "Priya Raman");
  EXPECT_EQ(f.published_at_ms, 1767189922000);
  EXPECT_EQ(f.image.rfind("https://media2.dev.to/dynamic/image/width=1000,height=420,", 0), 0u)
      << f.image;
  EXPECT_EQ(extra(f, "tags"), "testing, ci, postgres, productivity");
  EXPECT_EQ(extra(f, "comments"), "58");
  // No cover image: the social preview instead.
  EXPECT_EQ(
      (*items)[2].image.rfind("https://media2.dev.to/dynamic/image/width=1000,height=500,", 0), 0u)
      << (*items)[2].image;
}

TEST(SpecBoards, RedditPopular) {
  auto items = fixture_items("reddit.popular");
  ASSERT_TRUE(items.ok()) << items.status().to_string();
  ASSERT_EQ(items->size(), 7u);
  const Item& f = items->front();
  EXPECT_EQ(f.key, "1q0k7zt");
  EXPECT_EQ(f.title, "My grandmother (94) finished her first marathon walk on New Year's Eve");
  EXPECT_EQ(f.url,
            "https://www.reddit.com/r/pics/comments/1q0k7zt/"
            "my_grandmother_94_finished_her_first_marathon/");
  EXPECT_EQ(f.hot, 48213);
  EXPECT_EQ(f.hot_text, "48213 points");
  EXPECT_EQ(f.author, "sunnydale_walks");
  EXPECT_EQ(f.published_at_ms, 1767220200000);
  EXPECT_EQ(f.image,
            "https://b.thumbs.redditmedia.com/Qx8b3LwK0yH2vR7mP4nT1sJ6cD9eF0gA5hZ2kU3iO4E.jpg");
  EXPECT_EQ(extra(f, "comments"), "1204");
  EXPECT_EQ(extra(f, "subreddit"), "r/pics");
  EXPECT_EQ(extra(f, "link"), "https://i.redd.it/4k2x9q1c7eaf1.jpeg");
  EXPECT_EQ((*items)[4].image, "");  // thumbnail "self" is not a URL
}

TEST(SpecBoards, RedditProgramming) {
  auto items = fixture_items("reddit.programming");
  ASSERT_TRUE(items.ok()) << items.status().to_string();
  ASSERT_EQ(items->size(), 6u);
  const Item& f = items->front();
  EXPECT_EQ(f.key, "1q0b7ws");
  EXPECT_EQ(f.title,
            "The 2025 State of Databases survey: Postgres keeps growing, SQLite goes server-side");
  EXPECT_EQ(f.url,
            "https://www.reddit.com/r/programming/comments/1q0b7ws/"
            "the_2025_state_of_databases_survey_postgres/");
  EXPECT_EQ(f.hot, 1843);
  EXPECT_EQ(f.published_at_ms, 1767200400000);
  EXPECT_EQ((*items)[2].title, "Linux 6.19-rc3 released: \"a calm holiday release\"");
  EXPECT_EQ((*items)[4].title, "Ten years of maintaining an open source parser: lessons & regrets");
}

TEST(SpecBoards, RedditWorldnewsSkipsTheStickiedThread) {
  auto items = fixture_items("reddit.worldnews");
  ASSERT_TRUE(items.ok()) << items.status().to_string();
  ASSERT_EQ(items->size(), 6u);
  const Item& f = items->front();
  EXPECT_EQ(f.key, "1q0hw3m");
  EXPECT_EQ(f.title, "Fireworks, rain and record crowds: how the world welcomed 2026");
  EXPECT_EQ(f.hot, 31877);
  EXPECT_EQ(f.published_at_ms, 1767216600000);
  EXPECT_EQ(extra((*items)[1], "flair"), "Europe");
  for (const Item& item : *items) EXPECT_NE(item.key, "1q01a9z");
}

TEST(SpecBoards, ZhihuDailyLatest) {
  auto items = fixture_items("zhihu-daily.latest");
  ASSERT_TRUE(items.ok()) << items.status().to_string();
  ASSERT_EQ(items->size(), 6u);  // stories only, not top_stories
  const Item& f = items->front();
  EXPECT_EQ(f.key, "9790412");
  EXPECT_EQ(f.title, "为什么跨年夜的烟花总是先看到光、后听到声音？");
  EXPECT_EQ(f.url, "https://daily.zhihu.com/story/9790412");
  EXPECT_EQ(f.author, "物理小陈");
  EXPECT_EQ(f.image,
            "https://pic1.zhimg.com/v2-3b9f1e0c7a5d2b8e4f6a1c3d5e7f9a0b.jpg?source=8673f162");
  EXPECT_EQ(extra(f, "hint"), "物理小陈 · 4 分钟阅读");
  EXPECT_EQ((*items)[4].author, "");  // hint "VOL.1268" names no author
}

TEST(SpecBoards, SspaiHot) {
  auto items = fixture_items("sspai.hot");
  ASSERT_TRUE(items.ok()) << items.status().to_string();
  ASSERT_EQ(items->size(), 6u);
  const Item& f = items->front();
  EXPECT_EQ(f.key, "98231");
  EXPECT_EQ(f.title, "我的 2025 年度数字工具清单：少即是多");
  EXPECT_EQ(f.url, "https://sspai.com/post/98231");
  EXPECT_EQ(f.image, "https://cdn.sspai.com/article/2025/12/30/7c1f3e5a9b2d4f6e8a0c.png");
  EXPECT_EQ(f.hot, 612);
  EXPECT_EQ(f.hot_text, "612 赞");
  EXPECT_EQ(f.author, "Vanilla");
  EXPECT_EQ(f.published_at_ms, 1767128400000);
  EXPECT_EQ(extra(f, "comments"), "88");
}

TEST(SpecBoards, BbcWorld) {
  auto items = fixture_items("bbc.world");
  ASSERT_TRUE(items.ok()) << items.status().to_string();
  ASSERT_EQ(items->size(), 7u);
  const Item& f = items->front();
  EXPECT_EQ(f.title, "Bulgaria adopts the euro as its currency");
  EXPECT_EQ(f.url, "https://www.bbc.com/news/articles/c4g8x2k1e7zo?at_medium=RSS&at_campaign=rss");
  EXPECT_EQ(f.key, f.url);  // key = "link": the guid's #N suffix changes
  EXPECT_EQ(f.published_at_ms, 1767225761000);
  EXPECT_EQ(f.image,
            "https://ichef.bbci.co.uk/ace/standard/240/cpsprodpb/8a1c/live/"
            "5d3e0f70-e6a1-11f0-b2c4-6d9a1e2f3b4c.jpg");
  EXPECT_EQ(f.summary,
            "The Balkan country becomes the 21st member of the eurozone, nearly two decades after "
            "joining the EU.");
}

TEST(SpecBoards, NytimesHome) {
  auto items = fixture_items("nytimes.home");
  ASSERT_TRUE(items.ok()) << items.status().to_string();
  ASSERT_EQ(items->size(), 6u);
  const Item& f = items->front();
  EXPECT_EQ(f.title, "Rain or Not, a Million People Pack Times Square to Greet 2026");
  EXPECT_EQ(f.url, "https://www.nytimes.com/2025/12/31/nyregion/times-square-ball-drop-2026.html");
  EXPECT_EQ(f.author, "Ana Ley and Nate Schweber");
  EXPECT_EQ(f.published_at_ms, 1767225520000);
  EXPECT_EQ(f.image,
            "https://static01.nyt.com/images/2025/12/31/multimedia/31nyc-nye-wzfp/"
            "31nyc-nye-wzfp-mediumSquareAt3X.jpg");
  EXPECT_EQ(extra(f, "category"), "New Year");
}

TEST(SpecBoards, ThevergeNews) {
  auto items = fixture_items("theverge.news");
  ASSERT_TRUE(items.ok()) << items.status().to_string();
  ASSERT_EQ(items->size(), 6u);
  const Item& f = items->front();
  EXPECT_EQ(f.key, "https://www.theverge.com/?p=812440");
  EXPECT_EQ(f.title, "The best gadgets we tested in 2025");
  EXPECT_EQ(f.url, "https://www.theverge.com/news/812440/best-gadgets-2025");
  EXPECT_EQ(f.author, "Sean Hollister");
  EXPECT_EQ(f.published_at_ms, 1767223812000);
  EXPECT_EQ(f.image,
            "https://platform.theverge.com/wp-content/uploads/sites/2/2025/12/"
            "verge-best-gadgets-2025.jpg?quality=90&strip=all&crop=0,0,100,100");
  EXPECT_EQ(extra(f, "category"), "Tech");
  EXPECT_EQ((*items)[3].title, "Apple’s next Vision headset is reportedly lighter & cheaper");
}

TEST(SpecBoards, ArstechnicaNews) {
  auto items = fixture_items("arstechnica.news");
  ASSERT_TRUE(items.ok()) << items.status().to_string();
  ASSERT_EQ(items->size(), 6u);
  const Item& f = items->front();
  EXPECT_EQ(f.key, "https://arstechnica.com/?p=2131877");
  EXPECT_EQ(f.title, "Webb spots a rogue planet forming its own moons");
  EXPECT_EQ(f.url, "https://arstechnica.com/science/2025/12/webb-rogue-planet-moons/");
  EXPECT_EQ(f.author, "Jennifer Ouellette");
  EXPECT_EQ(f.published_at_ms, 1767219340000);
  EXPECT_EQ(f.image,
            "https://cdn.arstechnica.net/wp-content/uploads/2025/12/"
            "webb-rogue-planet-moons-1152x648.jpg");
  EXPECT_EQ(f.summary,
            "A free-floating world about five times the mass of Jupiter is surrounded by a dusty "
            "disk.");
  EXPECT_EQ(extra(f, "comments"), "84");
  EXPECT_EQ(extra(f, "category"), "Science");
}

TEST(SpecBoards, RuanyifengWeekly) {
  auto items = fixture_items("ruanyifeng.weekly");
  ASSERT_TRUE(items.ok()) << items.status().to_string();
  ASSERT_EQ(items->size(), 6u);
  const Item& f = items->front();
  EXPECT_EQ(f.key, "tag:www.ruanyifeng.com,2025:/blog//1.20313");
  EXPECT_EQ(f.title, "科技爱好者周刊（第 377 期）：年终回顾：AI 编程的一年");
  EXPECT_EQ(f.url, "http://www.ruanyifeng.com/blog/2025/12/weekly-issue-377.html");
  EXPECT_EQ(f.author, "阮一峰");
  EXPECT_EQ(f.published_at_ms, 1766707542000);
  EXPECT_EQ(f.image, "https://cdn.beekka.com/blogimg/asset/202512/bg2025122601.webp");
  EXPECT_EQ(extra(f, "category"), "周刊");
  EXPECT_EQ(f.summary.rfind("这里记录每周值得分享的科技内容，周五发布。", 0), 0u);
}

// ---------------------------------------------------------------- errors, every site

// A response cut in half (connection dropped) is a parse error naming the board.
TEST(SpecBoards, TruncatedBodiesAreParseErrors) {
  for (const Source* s : builtins().boards()) {
    const auto* spec = dynamic_cast<const SpecSource*>(s);
    if (spec == nullptr || spec->parse_spec().type == SpecParseType::kHtml) continue;
    SCOPED_TRACE(s->meta().id);
    auto [body, content_type] = fixture_body(*spec);
    ASSERT_GT(body.size(), 200u);
    auto r = collect_canned(*spec, 200, body.substr(0, body.size() / 2), content_type);
    EXPECT_EQ(r.code(), ErrorCode::kParse);
    EXPECT_EQ(r.error_message().rfind(s->meta().id + ": ", 0), 0u) << r.error_message();
  }
}

// What CDNs and WAFs answer with status 200 instead of the data: a typed error that quotes
// the page title, never a crash or an empty board.
TEST(SpecBoards, ChallengePagesAreTypedErrors) {
  const std::string challenge =
      "<!DOCTYPE html><html><head><title>Access Denied</title></head><body><h1>Access Denied"
      "</h1><p>Please complete the captcha to continue.</p></body></html>";
  for (const Source* s : builtins().boards()) {
    const auto* spec = dynamic_cast<const SpecSource*>(s);
    if (spec == nullptr) continue;
    SCOPED_TRACE(s->meta().id);
    auto r = collect_canned(*spec, 200, challenge, "text/html; charset=utf-8");
    EXPECT_TRUE(r.code() == ErrorCode::kParse || r.code() == ErrorCode::kBlocked)
        << error_code_name(r.code());
    EXPECT_EQ(r.error_message().rfind(s->meta().id + ": ", 0), 0u) << r.error_message();
    EXPECT_NE(r.error_message().find("\"Access Denied\""), std::string::npos) << r.error_message();
    EXPECT_EQ(collect_canned(*spec, 403, challenge).code(), ErrorCode::kBlocked);
  }
}

TEST(SpecBoards, RedditBlockPageIsBlocked) {
  const SpecSource* s = spec_board("reddit.popular");
  ASSERT_NE(s, nullptr);
  auto r = collect_canned(*s, 200,
                          "<!doctype html><html><head><title>Too Many Requests</title></head><body>"
                          "<h1>whoa there, pardner!</h1><p>Your request has been blocked due to a "
                          "network policy.</p></body></html>",
                          "text/html");
  EXPECT_EQ(r.code(), ErrorCode::kBlocked);
  EXPECT_EQ(r.error_message().rfind("reddit.popular: the response matches blocked_if", 0), 0u)
      << r.error_message();
}

TEST(SpecBoards, SspaiApiErrorQuotesTheMessage) {
  const SpecSource* s = spec_board("sspai.hot");
  ASSERT_NE(s, nullptr);
  auto r = collect_canned(*s, 200, R"({"error":40003,"msg":"请求过于频繁，请稍后再试"})",
                          "application/json");
  EXPECT_EQ(r.code(), ErrorCode::kParse);
  EXPECT_EQ(r.error_message(),
            "sspai.hot: data: expected an array, got nothing (message: 请求过于频繁，请稍后再试)");
}

TEST(SpecBoards, IthomeRankWithoutTheRankBoxIsAParseError) {
  const SpecSource* s = spec_board("ithome.rank");
  ASSERT_NE(s, nullptr);
  auto r = collect_canned(*s, 200,
                          "<html><head><title>IT之家 - 手机版</title></head><body><div "
                          "class=\"news-list\"></div></body></html>",
                          "text/html; charset=utf-8");
  EXPECT_EQ(r.code(), ErrorCode::kParse);
  EXPECT_EQ(r.error_message().rfind("ithome.rank: nothing matches items \"xpath:", 0), 0u)
      << r.error_message();
  EXPECT_NE(r.error_message().find("in the page titled \"IT之家 - 手机版\""), std::string::npos);
}

}  // namespace
}  // namespace mu
