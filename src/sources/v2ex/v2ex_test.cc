#include <gtest/gtest.h>

#include "sources/source.h"
#include "sources/testing/source_testing.h"

namespace mu {

Status register_v2ex_sources(SourceRegistry& registry);

namespace {

using namespace source_testing;  // NOLINT(google-build-using-namespace)

class V2exHot : public ::testing::Test {
 protected:
  const Source& board() {
    const Source* s = registry_.find("v2ex.hot");
    EXPECT_NE(s, nullptr);
    return *s;
  }
  SourceRegistry registry_ = make_registry(register_v2ex_sources);
};

std::string extra(const Item& item, const std::string& key) {
  for (const auto& [k, v] : item.extra) {
    if (k == key) return v;
  }
  return {};
}

TEST_F(V2exHot, ParsesFixture) {
  auto items = collect_fixture(board());
  ASSERT_TRUE(items.ok()) << items.status().to_string();
  ASSERT_EQ(items->size(), 12u);
  const Item& first = items->front();
  EXPECT_EQ(first.key, "1183402");
  EXPECT_EQ(first.title, "2025 年终总结：裸辞半年后，我终于找到了想做的事");
  EXPECT_EQ(first.url, "https://www.v2ex.com/t/1183402");
  EXPECT_EQ(first.hot, 318);
  EXPECT_EQ(first.hot_text, "318 条回复");
  EXPECT_EQ(first.author, "drifter42");
  EXPECT_EQ(first.published_at_ms, 1767139260000);
  EXPECT_EQ(extra(first, "node"), "职场话题");
  EXPECT_EQ(extra(first, "node_name"), "career");
  EXPECT_EQ(first.summary.find('\n'), std::string::npos);  // whitespace collapsed
  EXPECT_EQ(first.summary.rfind("今天是 2025 年最后一天", 0), 0u);
  expect_sane_items(*items, 10);
}

TEST_F(V2exHot, ParsesRealCapture) {
  auto path = real_capture("v2ex/hot.json");
  if (!path) GTEST_SKIP() << "real capture not present (../shared/fixtures/real)";
  auto items = collect_canned(board(), 200, read_file(*path), "application/json");
  ASSERT_TRUE(items.ok()) << items.status().to_string();
  EXPECT_EQ(items->size(), 10u);
  const Item& first = items->front();
  EXPECT_EQ(first.key, "742058");
  EXPECT_EQ(first.title, "老哥们都是几点出门上班的？我目前 7 点 50");
  EXPECT_EQ(first.url, "https://www.v2ex.com/t/742058");
  EXPECT_EQ(first.hot, 257);
  EXPECT_EQ(first.author, "yiqunz");
  EXPECT_EQ(extra(first, "node"), "问与答");
  expect_sane_items(*items, 10);
}

TEST_F(V2exHot, TruncatedJsonIsParseError) {
  auto r = collect_canned(board(), 200, R"([{"id":1183402,"title":"2025 年终总)");
  EXPECT_EQ(r.code(), ErrorCode::kParse);
  EXPECT_EQ(r.error_message().rfind("v2ex.hot: invalid JSON at offset ", 0), 0u)
      << r.error_message();
}

TEST_F(V2exHot, ObjectInsteadOfArrayIsParseError) {
  auto r = collect_canned(board(), 200, R"({"status":"error","message":"Rate Limit Exceeded"})");
  EXPECT_EQ(r.code(), ErrorCode::kParse);
  EXPECT_EQ(r.error_message(),
            "v2ex.hot: expected a JSON array of topics, got object (message: Rate Limit Exceeded)");
  EXPECT_EQ(collect_canned(board(), 200, "[]").code(), ErrorCode::kParse);
}

TEST_F(V2exHot, Http500IsHttpError) {
  auto r = collect_canned(board(), 500, "<html>500</html>");
  EXPECT_EQ(r.code(), ErrorCode::kHttp);
  EXPECT_EQ(r.error_message(), "v2ex.hot: HTTP 500 from https://www.v2ex.com/api/topics/hot.json");
}

TEST_F(V2exHot, JavascriptUrlIsDropped) {
  auto r = collect_canned(board(), 200,
                          R"js([{"id":1,"title":"evil","url":"javascript:alert(1)","replies":3},)js"
                          R"({"id":2,"title":"no url","replies":"7"},)"
                          R"({"id":3,"title":"plain http","url":"http://www.v2ex.com/t/3"}])");
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].url, "https://www.v2ex.com/t/2");  // built from the id
  EXPECT_EQ((*r)[0].hot, 7);
  EXPECT_EQ((*r)[1].url, "https://www.v2ex.com/t/3");  // upgraded to https
}

TEST_F(V2exHot, RespectsTheApiRateLimit) {
  const BoardMeta& m = board().meta();
  // 120 requests per hour per IP for all of V2EX; a hot board must use a small share.
  EXPECT_LE(std::chrono::hours(1) / m.schedule.every * (1 + m.schedule.retries), 12);
}

// latest.json and the node boards: same parser, own URL and fixture each.
struct TopicListCase {
  const char* board;
  const char* url;
  const char* homepage;
  std::size_t count;
  const char* first_key;
  const char* first_title;
  double first_hot;
  int64_t first_created_s;
  const char* first_node_name;
};

class V2exTopicLists : public ::testing::TestWithParam<TopicListCase> {
 protected:
  const Source& board() {
    const Source* s = registry_.find(GetParam().board);
    EXPECT_NE(s, nullptr) << GetParam().board;
    return *s;
  }
  SourceRegistry registry_ = make_registry(register_v2ex_sources);
};

TEST_P(V2exTopicLists, ParsesFixture) {
  const TopicListCase& c = GetParam();
  auto items = collect_fixture(board());
  ASSERT_TRUE(items.ok()) << items.status().to_string();
  ASSERT_EQ(items->size(), c.count);
  const Item& first = items->front();
  EXPECT_EQ(first.key, c.first_key);
  EXPECT_EQ(first.title, c.first_title);
  EXPECT_EQ(first.url, std::string("https://www.v2ex.com/t/") + c.first_key);
  EXPECT_EQ(first.hot, c.first_hot);
  EXPECT_EQ(first.published_at_ms, c.first_created_s * 1000);
  EXPECT_EQ(extra(first, "node_name"), c.first_node_name);
  // Streams list the newest topic first.
  for (std::size_t i = 1; i < items->size(); ++i) {
    EXPECT_LT((*items)[i].published_at_ms.value_or(0), (*items)[i - 1].published_at_ms.value_or(0));
  }
  expect_sane_items(*items, 5);
}

TEST_P(V2exTopicLists, MetadataAndRequest) {
  const TopicListCase& c = GetParam();
  const BoardMeta& m = board().meta();
  EXPECT_EQ(m.kind, BoardKind::kStream);
  EXPECT_EQ(m.homepage, c.homepage);
  EXPECT_EQ(m.group, "cn");
  EXPECT_NE(m.notes.find("120 API requests per hour"), std::string::npos);
  CannedTransport transport(200, "[]");
  FakeClock clock;
  SourceContext ctx{transport, clock};
  EXPECT_EQ(board().collect(ctx).code(), ErrorCode::kParse);
  ASSERT_EQ(transport.requests().size(), 1u);
  EXPECT_EQ(transport.requests()[0].url, c.url);
}

// Fixture times are relative to 2026-01-01T12:00:00Z (1767268800).
INSTANTIATE_TEST_SUITE_P(
    Boards, V2exTopicLists,
    ::testing::Values(
        TopicListCase{"v2ex.latest", "https://www.v2ex.com/api/topics/latest.json",
                      "https://www.v2ex.com/recent", 10, "1183560",
                      "元旦假期大家都在干嘛？宅家还是出去玩", 2, 1767268800 - 3 * 60, "qna"},
        TopicListCase{"v2ex.node-programmer",
                      "https://www.v2ex.com/api/topics/show.json?node_name=programmer",
                      "https://www.v2ex.com/go/programmer", 6, "1183559",
                      "Go 1.26 的新 GC 在生产环境跑了两周，延迟降了不少", 5, 1767268800 - 7 * 60,
                      "programmer"},
        TopicListCase{"v2ex.node-create",
                      "https://www.v2ex.com/api/topics/show.json?node_name=create",
                      "https://www.v2ex.com/go/create", 6, "1183557",
                      "我做了一个把 RSS 转成每日邮件摘要的小工具，欢迎试用", 14,
                      1767268800 - 18 * 60, "create"},
        TopicListCase{"v2ex.node-share",
                      "https://www.v2ex.com/api/topics/show.json?node_name=share",
                      "https://www.v2ex.com/go/share", 6, "1183555",
                      "发现一个很好用的在线正则可视化网站", 11, 1767268800 - 31 * 60, "share"},
        TopicListCase{"v2ex.node-jobs", "https://www.v2ex.com/api/topics/show.json?node_name=jobs",
                      "https://www.v2ex.com/go/jobs", 6, "1183556",
                      "[上海/远程] 初创公司招全栈工程师，薪资 30-45k", 3, 1767268800 - 25 * 60,
                      "jobs"},
        TopicListCase{
            "v2ex.node-apple", "https://www.v2ex.com/api/topics/show.json?node_name=apple",
            "https://www.v2ex.com/go/apple", 6, "1183558",
            "macOS 26.2 升级后外接显示器偶尔黑屏，有人遇到吗", 8, 1767268800 - 12 * 60, "apple"},
        TopicListCase{"v2ex.node-qna", "https://www.v2ex.com/api/topics/show.json?node_name=qna",
                      "https://www.v2ex.com/go/qna", 6, "1183560",
                      "元旦假期大家都在干嘛？宅家还是出去玩", 2, 1767268800 - 3 * 60, "qna"}),
    [](const ::testing::TestParamInfo<TopicListCase>& info) {
      std::string name = std::string(info.param.board).substr(5);
      for (char& ch : name) {
        if (ch == '-') ch = '_';
      }
      return name;
    });

TEST(V2exBudget, AllBoardsTogetherStayWithinTheApiLimit) {
  SourceRegistry registry = make_registry(register_v2ex_sources);
  ASSERT_EQ(registry.boards().size(), 8u);
  // V2EX allows 120 requests per hour per IP. First attempts must leave headroom (<= 100);
  // even if every attempt failed and retried, the total must stay within 120.
  int64_t first_attempts = 0;
  int64_t with_retries = 0;
  for (const Source* s : registry.boards()) {
    const Schedule& sch = s->meta().schedule;
    const int64_t per_hour =
        std::chrono::seconds(std::chrono::hours(1)).count() / sch.every.count();
    first_attempts += per_hour;
    with_retries += per_hour * (1 + sch.retries);
  }
  EXPECT_LE(first_attempts, 100);
  EXPECT_LE(with_retries, 120);
  EXPECT_EQ(first_attempts, 46);  // the figure quoted in every board's notes
  for (const Source* s : registry.boards()) {
    EXPECT_NE(s->meta().notes.find("use 46 an hour"), std::string::npos) << s->meta().id;
  }
}

TEST(V2exNode, UnknownNodeErrorObjectIsParseError) {
  SourceRegistry registry = make_registry(register_v2ex_sources);
  auto r = collect_canned(*registry.find("v2ex.node-jobs"), 200,
                          R"({"status":"error","message":"Object Not Found"})");
  EXPECT_EQ(r.code(), ErrorCode::kParse);
  EXPECT_EQ(r.error_message(),
            "v2ex.node-jobs: expected a JSON array of topics, got object (message: Object Not "
            "Found)");
  auto truncated =
      collect_canned(*registry.find("v2ex.latest"), 200, R"([{"id":1183560,"title":"元旦)");
  EXPECT_EQ(truncated.code(), ErrorCode::kParse);
  EXPECT_EQ(truncated.error_message().rfind("v2ex.latest: invalid JSON at offset ", 0), 0u);
}

TEST(V2exNode, WrongTypesAndHugeNumbersDoNotCrash) {
  SourceRegistry registry = make_registry(register_v2ex_sources);
  auto r = collect_canned(*registry.find("v2ex.node-qna"), 200,
                          R"([{"id":{"x":1},"title":["a"]},)"
                          R"({"id":1e300,"title":"big id","replies":1e300,"created":-5},)"
                          R"({"id":7,"title":"ok","replies":"many","created":"soon","node":3}])");
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ(r->back().key, "7");
  EXPECT_FALSE(r->back().hot.has_value());
  EXPECT_FALSE(r->back().published_at_ms.has_value());
}

}  // namespace
}  // namespace mu
