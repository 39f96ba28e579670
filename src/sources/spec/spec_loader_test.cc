#include "sources/spec/spec_loader.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "sources/spec/builtin_specs.h"
#include "sources/spec/spec_source.h"
#include "sources/testing/source_testing.h"

namespace mu {
namespace {

using source_testing::CannedTransport;

// A complete, valid spec; tests break one thing at a time.
constexpr char kGood[] = R"(# A user spec.
[site]
id = "acme"
name_zh = "阿克米"
name_en = "Acme News"
home = "https://news.acme.example"
icon = "https://news.acme.example/favicon.ico"
color = "#12ab9f"
region = "global"

[[boards]]
id = "acme.top"
name_zh = "头条"
name_en = "Top"
kind = "rank"
every = "15m"
jitter = "45s"
timeout = "10s"
retries = 2
homepage = "https://news.acme.example/top"
notes = "JSON API"

[boards.request]
url = "https://api.acme.example/v1/top?limit=30"
method = "POST"
body = '{"limit":30}'
headers = { "Content-Type" = "application/json", Referer = "https://news.acme.example/" }
secret_headers = { Cookie = "acme.cookie" }

[boards.parse]
type = "json"
list = "data.items"
limit = 20

[boards.parse.fields]
key = "id"
title = "title"
url = "https://news.acme.example/a/{id}"

[[boards]]
id = "acme.feed"
name_zh = "快讯"
name_en = "Wire"
kind = "stream"
every = "5m"
homepage = "https://news.acme.example/wire"

[boards.request]
url = "https://news.acme.example/wire.xml"

[boards.parse]
type = "feed"
)";

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (std::size_t pos = s.find(from); pos != std::string::npos;
       pos = s.find(from, pos + to.size())) {
    s.replace(pos, from.size(), to);
  }
  return s;
}

std::string replace(std::string s, const std::string& from, const std::string& to) {
  const std::size_t pos = s.find(from);
  EXPECT_NE(pos, std::string::npos) << from;
  if (pos != std::string::npos) s.replace(pos, from.size(), to);
  return s;
}

// The first error of a spec text.
std::string first_error(const std::string& text) {
  ParsedSpec spec = parse_spec(text, "bad.toml");
  if (spec.ok()) return "(no error)";
  EXPECT_EQ(spec.errors.front().code(), ErrorCode::kConfig);
  return spec.errors.front().message();
}

TEST(SpecLoader, ParsesACompleteSpec) {
  ParsedSpec spec = parse_spec(kGood, "acme.toml");
  ASSERT_TRUE(spec.ok()) << spec.errors.front().to_string();
  ASSERT_TRUE(spec.site.has_value());
  EXPECT_EQ(spec.site->id, "acme");
  EXPECT_EQ(spec.site->name_zh, "阿克米");
  EXPECT_EQ(spec.site->color, "#12ab9f");
  ASSERT_EQ(spec.sources.size(), 2u);
  const BoardMeta& top = spec.sources[0]->meta();
  EXPECT_EQ(top.id, "acme.top");
  EXPECT_EQ(top.site, "acme");
  EXPECT_EQ(top.kind, BoardKind::kRank);
  EXPECT_EQ(top.schedule.every, std::chrono::minutes(15));
  EXPECT_EQ(top.schedule.jitter, std::chrono::seconds(45));
  EXPECT_EQ(top.schedule.timeout, std::chrono::seconds(10));
  EXPECT_EQ(top.schedule.retries, 2);
  EXPECT_EQ(top.group, "global");  // the site's region by default
  EXPECT_EQ(top.notes, "JSON API");
  const BoardMeta& wire = spec.sources[1]->meta();
  EXPECT_EQ(wire.kind, BoardKind::kStream);
  EXPECT_EQ(wire.schedule.jitter, std::chrono::seconds(30));  // defaults
  EXPECT_EQ(wire.schedule.timeout, std::chrono::seconds(20));
  EXPECT_EQ(wire.schedule.retries, 1);
}

TEST(SpecLoader, CategoriesOfTheSiteAndOfABoard) {
  ParsedSpec plain = parse_spec(kGood, "acme.toml");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain.site->category, "general");  // undeclared: the general tab
  EXPECT_EQ(plain.sources[0]->meta().category, "");

  std::string text =
      replace(kGood, "region = \"global\"", "region = \"global\"\ncategory = \"tech\"");
  text = replace(text, "notes = \"JSON API\"", "notes = \"JSON API\"\ncategory = \"finance\"");
  ParsedSpec spec = parse_spec(text, "acme.toml");
  ASSERT_TRUE(spec.ok()) << spec.errors.front().to_string();
  EXPECT_EQ(spec.site->category, "tech");
  EXPECT_EQ(spec.sources[0]->meta().category, "finance");
  EXPECT_EQ(spec.sources[1]->meta().category, "");  // the site's

  EXPECT_EQ(first_error(
                replace(kGood, "region = \"global\"", "region = \"global\"\ncategory = \"news\"")),
            "bad.toml: site.category: expected one of general, tech, finance, entertainment, "
            "world, community, life, got \"news\"");
  EXPECT_EQ(
      first_error(replace(kGood, "notes = \"JSON API\"", "notes = \"JSON API\"\ncategory = 3")),
      "bad.toml: boards[0].category: expected a string, got an integer");
}

TEST(SpecLoader, BuildsTheRequestWithDefaultsAndSecrets) {
  auto source = parse_spec_board(kGood, "acme.toml", "acme.top");
  ASSERT_TRUE(source.ok()) << source.status().to_string();
  CannedTransport transport(200, R"({"data":{"items":[{"id":1,"title":"One"}]}})",
                            "application/json");
  FakeClock clock;
  std::map<std::string, std::string> secrets{{"acme.cookie", "sid=s3cret"}};
  SourceContext ctx{transport, clock, &secrets};
  auto items = (*source)->collect(ctx);
  ASSERT_TRUE(items.ok()) << items.status().to_string();
  EXPECT_EQ(items->front().url, "https://news.acme.example/a/1");
  const std::vector<HttpRequest> requests = transport.requests();
  ASSERT_EQ(requests.size(), 1u);
  const HttpRequest& req = requests.front();
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.url, "https://api.acme.example/v1/top?limit=30");
  EXPECT_EQ(req.body, "{\"limit\":30}");
  EXPECT_EQ(find_header(req.headers, "Content-Type"), "application/json");
  EXPECT_EQ(find_header(req.headers, "referer"), "https://news.acme.example/");
  EXPECT_EQ(find_header(req.headers, "Cookie"), "sid=s3cret");
  EXPECT_EQ(find_header(req.headers, "User-Agent"), "Mu/0.1 (hot-list aggregator)");
  EXPECT_EQ(find_header(req.headers, "Accept").rfind("application/json", 0), 0u);
  EXPECT_EQ(req.timeout, std::chrono::seconds(10));

  // Without the secret the header is left out.
  CannedTransport plain(200, R"({"data":{"items":[{"id":1,"title":"One"}]}})");
  SourceContext no_secrets{plain, clock};
  ASSERT_TRUE((*source)->collect(no_secrets).ok());
  const std::vector<HttpRequest> plain_requests = plain.requests();
  ASSERT_EQ(plain_requests.size(), 1u);
  EXPECT_EQ(find_header(plain_requests.front().headers, "Cookie"), "");
}

TEST(SpecLoader, LimitCutsTheList) {
  auto source = parse_spec_board(kGood, "acme.toml", "acme.top");
  ASSERT_TRUE(source.ok());
  std::string body = R"({"data":{"items":[)";
  for (int i = 0; i < 50; ++i) {
    body += (i ? "," : "") + std::string(R"({"id":)") + std::to_string(i) + R"(,"title":"t"})";
  }
  body += "]}}";
  auto items = source_testing::collect_canned(**source, 200, body);
  ASSERT_TRUE(items.ok());
  EXPECT_EQ(items->size(), 20u);
}

TEST(SpecLoader, ValidationErrorsNameFileAndKey) {
  const std::string g = kGood;
  EXPECT_EQ(first_error(replace(g, "url = \"https://news.acme.example/wire.xml\"",
                                "uri = \"https://news.acme.example/wire.xml\"")),
            "bad.toml: boards[1].request.uri: unknown key (allowed: url, method, headers, body, "
            "charset, secret_headers)");
  EXPECT_EQ(first_error(replace(g, "url = \"https://news.acme.example/wire.xml\"", "")),
            "bad.toml: boards[1].request.url: required key is missing");
  EXPECT_EQ(first_error(replace(g, "kind = \"rank\"", "kind = \"hot\"")),
            "bad.toml: boards[0].kind: expected \"rank\" or \"stream\", got \"hot\"");
  EXPECT_EQ(first_error(replace(g, "id = \"acme.feed\"", "id = \"acme.top\"")),
            "bad.toml: boards[1].id: duplicate board id \"acme.top\" (also boards[0])");
  EXPECT_EQ(
      first_error(replace(g, "title = \"title\"", "title = { path = \"title\", re2 = '(abc' }")),
      "bad.toml: boards[0].parse.fields.title.re2: invalid RE2 pattern: missing ): (abc");
  EXPECT_EQ(first_error(replace(g, "title = \"title\"", "titel = \"title\"")),
            "bad.toml: boards[0].parse.fields.titel: unknown field (known: key, title, url, "
            "mobile_url, summary, image, hot, hot_text, label, author, published_at)");
  EXPECT_EQ(first_error(replace(g, "list = \"data.items\"", "list = \"data..items\"")),
            "bad.toml: boards[0].parse.list: path \"data..items\": empty step");
  EXPECT_EQ(first_error(replace(g, "url = \"https://news.acme.example/a/{id}\"",
                                "url = \"https://news.acme.example/a/{id\"")),
            "bad.toml: boards[0].parse.fields.url: template \"https://news.acme.example/a/{id\": "
            "unclosed '{'");
  EXPECT_EQ(
      first_error(replace(g, "key = \"id\"", "key = { path = \"id\", filter = \"seconds\" }")),
      "bad.toml: boards[0].parse.fields.key.filter: filter \"seconds\" does not apply to key");
  EXPECT_EQ(first_error(replace(g, "type = \"feed\"", "type = \"rss\"")),
            "bad.toml: boards[1].parse.type: expected \"feed\", \"json\" or \"html\", got \"rss\"");
  EXPECT_EQ(first_error(replace(g, "region = \"global\"", "region = \"mars\"")),
            "bad.toml: site.region: expected \"cn\" or \"global\", got \"mars\"");
  EXPECT_EQ(first_error(replace(g, "id = \"acme.feed\"", "id = \"other.feed\"")),
            "bad.toml: boards[1].id: \"other.feed\" does not start with the site id \"acme.\"");
  EXPECT_EQ(first_error(replace(g, "timeout = \"10s\"", "timeout = \"20m\"")),
            "bad.toml: boards[0].timeout: must be between 1s and 2m");
  EXPECT_EQ(first_error(replace(g, "every = \"5m\"", "every = \"5 minutes\"")),
            "bad.toml: boards[1].every: duration \"5 minutes\": expected a number with a unit ms, "
            "s, m, h or d");
  EXPECT_EQ(first_error(replace(g, "retries = 2", "retries = \"2\"")),
            "bad.toml: boards[0].retries: expected an integer, got a string");
  EXPECT_EQ(first_error(replace(g, "method = \"POST\"", "method = \"DELETE\"")),
            "bad.toml: boards[0].request.method: expected \"GET\" or \"POST\", got \"DELETE\"");
  EXPECT_EQ(first_error(replace(g, "url = \"https://api.acme.example/v1/top?limit=30\"",
                                "url = \"ftp://api.acme.example/top\"")),
            "bad.toml: boards[0].request.url: expected an absolute http(s) URL, got "
            "\"ftp://api.acme.example/top\"");
  EXPECT_EQ(first_error(replace(g, "[boards.parse]\ntype = \"feed\"",
                                "[boards.parse]\ntype = \"feed\"\ncharset = \"gbk\"")),
            "bad.toml: boards[1].parse.charset: unknown key (allowed: type, limit, timezone, "
            "blocked_if, content_images, key)");
  EXPECT_EQ(first_error(replace(g, "[site]", "[sites]")),
            "bad.toml: sites: unknown key (allowed: site, boards)");
  EXPECT_EQ(first_error("[site\nid = 1"),
            "bad.toml:1:6: Error while parsing table header: expected ']', saw '\\n'");
}

TEST(SpecLoader, SelectorsAndPatternsAreCheckedAtLoadTime) {
  const std::string html = std::string(kGood).substr(0, std::string(kGood).find("[boards.parse]")) +
                           R"([boards.parse]
type = "html"
items = "css:div:hover"
[boards.parse.fields]
title = "css:a"
url = { select = "css:a", attr = "href" }
)";
  EXPECT_EQ(first_error(html),
            "bad.toml: boards[0].parse.items: CSS selector \"div:hover\": unsupported pseudo-class "
            "\":hover\" at offset 4");
  EXPECT_EQ(first_error(replace(html, "css:div:hover", "xpath://div[")),
            "bad.toml: boards[0].parse.items: malformed XPath: //div[");
  EXPECT_EQ(first_error(replace(html, "css:div:hover", "xpath:count(//div)")),
            "bad.toml: boards[0].parse.items: XPath does not select nodes: count(//div)");
  EXPECT_EQ(first_error(replace(html, "css:div:hover", "div.item")),
            "bad.toml: boards[0].parse.items: expected \"css:<selector>\" or "
            "\"xpath:<expression>\", got \"div.item\"");
  const std::string fixed = replace(html, "css:div:hover", "css:div.item");
  EXPECT_EQ(
      first_error(
          replace(fixed, "title = \"css:a\"", "title = { select = \"css:a\", attr = \"x y\" }")),
      "bad.toml: boards[0].parse.fields.title.attr: \"x y\" is not an attribute name or \"text\"");
  EXPECT_EQ(first_error(replace(fixed, "type = \"html\"", "type = \"html\"\nblocked_if = '[a-'")),
            "bad.toml: boards[0].parse.blocked_if: invalid RE2 pattern: missing ]: [a-");
  EXPECT_EQ(first_error(fixed), "(no error)");
}

TEST(SpecLoader, ReportsEveryProblemAndKeepsTheGoodBoards) {
  ParsedSpec spec = parse_spec(replace(kGood, "kind = \"stream\"", "kind = \"flash\""), "p.toml");
  EXPECT_EQ(spec.errors.size(), 1u);
  ASSERT_EQ(spec.sources.size(), 1u);  // the preview can still show acme.top
  EXPECT_EQ(spec.sources[0]->meta().id, "acme.top");
  ParsedSpec many = parse_spec(replace(replace(kGood, "kind = \"stream\"", "kind = \"flash\""),
                                       "color = \"#12ab9f\"", "color = \"teal\""),
                               "p.toml");
  EXPECT_EQ(many.errors.size(), 2u);
}

TEST(SpecLoader, ParseSpecBoardPicksABoard) {
  auto first = parse_spec_board(kGood, "acme.toml");
  ASSERT_TRUE(first.ok());
  EXPECT_EQ((*first)->meta().id, "acme.top");
  auto wire = parse_spec_board(kGood, "acme.toml", "acme.feed");
  ASSERT_TRUE(wire.ok());
  EXPECT_EQ((*wire)->meta().id, "acme.feed");
  EXPECT_EQ(parse_spec_board(kGood, "acme.toml", "acme.nope").code(), ErrorCode::kNotFound);
  EXPECT_EQ(parse_spec_board("nonsense = ", "x.toml").code(), ErrorCode::kConfig);
}

// A spec may add boards to a site registered elsewhere (a C++ site) with `site = "..."`.
TEST(SpecLoader, ExtendsASiteRegisteredInCpp) {
  const std::string extension = R"([[boards]]
id = "alpha.extra"
site = "alpha"
name_zh = "额外"
name_en = "Extra"
kind = "rank"
group = "cn"
homepage = "https://alpha.example/extra"
[boards.request]
url = "https://alpha.example/extra.json"
[boards.parse]
type = "json"
list = ""
[boards.parse.fields]
title = "t"
url = "u"
)";
  SourceRegistry registry;
  Status missing = register_spec(parse_spec(extension, "extra.toml"), registry);
  EXPECT_EQ(missing.code(), ErrorCode::kConfig);
  EXPECT_EQ(missing.message(),
            "extra.toml: board \"alpha.extra\": site \"alpha\" is not registered (add a [site] "
            "table)");
  ASSERT_TRUE(registry
                  .add_site(Site{.id = "alpha",
                                 .name_zh = "阿尔法",
                                 .name_en = "Alpha",
                                 .home = "https://alpha.example",
                                 .region = "cn"})
                  .ok());
  Status ok = register_spec(parse_spec(extension, "extra.toml"), registry);
  ASSERT_TRUE(ok.ok()) << ok.to_string();
  ASSERT_NE(registry.find("alpha.extra"), nullptr);
  EXPECT_EQ(registry.find("alpha.extra")->meta().group, "cn");
  // Without [site], group is required; a mismatching site key is an error.
  EXPECT_EQ(first_error(replace(extension, "group = \"cn\"\n", "")),
            "bad.toml: boards[0].group: required key is missing");
  EXPECT_EQ(first_error(replace(extension, "site = \"alpha\"", "site = \"beta\"")),
            "bad.toml: boards[0].site: \"beta\" does not match the board id \"alpha.extra\"");
}

class SpecLoaderDir : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("mu-spec-dir-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
            "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name, std::ios::binary) << text;
  }
  std::filesystem::path dir_;
};

TEST_F(SpecLoaderDir, GoodFileLoadsBrokenFileIsReportedAndSkipped) {
  write("a-good.toml", kGood);
  write("b-broken.toml", replace(kGood, "kind = \"rank\"", "kind = \"hot\""));
  write("README.md", "not a spec");
  SourceRegistry registry;
  std::vector<Status> errors;
  Status st = load_spec_dir(dir_, registry, errors);
  ASSERT_TRUE(st.ok()) << st.to_string();
  EXPECT_NE(registry.find("acme.top"), nullptr);
  EXPECT_NE(registry.find("acme.feed"), nullptr);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].code(), ErrorCode::kConfig);
  EXPECT_EQ(errors[0].message(),
            "b-broken.toml: boards[0].kind: expected \"rank\" or \"stream\", got \"hot\"");
}

TEST_F(SpecLoaderDir, ConflictsAreErrorsOfTheLaterFile) {
  write("one.toml", kGood);
  write("two.toml", kGood);  // the same site again
  write("three.toml", replace(replace(kGood, "id = \"acme\"", "id = \"acme2\""), "acme.top",
                              "acme2.top"));  // acme2.feed still says acme: invalid
  SourceRegistry registry;
  std::vector<Status> errors;
  ASSERT_TRUE(load_spec_dir(dir_, registry, errors).ok());
  EXPECT_EQ(registry.boards().size(), 2u);
  ASSERT_EQ(errors.size(), 2u);
  // Sorted by file name: one, three, two.
  EXPECT_EQ(errors[0].message(),
            "three.toml: boards[1].id: \"acme.feed\" does not start with the site id \"acme2.\"");
  EXPECT_EQ(errors[1].message(), "two.toml: site: \"acme\" is already registered");
  EXPECT_EQ(errors[1].code(), ErrorCode::kConfig);
}

TEST_F(SpecLoaderDir, SeveralProblemsInOneFileGiveOneError) {
  write("x.toml", replace(replace(kGood, "kind = \"rank\"", "kind = \"hot\""),
                          "region = \"global\"", "region = \"moon\""));
  SourceRegistry registry;
  std::vector<Status> errors;
  ASSERT_TRUE(load_spec_dir(dir_, registry, errors).ok());
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(
      errors[0].message(),
      "x.toml: site.region: expected \"cn\" or \"global\", got \"moon\" (and 1 more problems)");
  EXPECT_TRUE(registry.boards().empty());
}

TEST_F(SpecLoaderDir, MissingDirIsFineAFileIsNot) {
  SourceRegistry registry;
  std::vector<Status> errors;
  EXPECT_TRUE(load_spec_dir(dir_ / "absent", registry, errors).ok());
  EXPECT_TRUE(errors.empty());
  write("plain", "x");
  Status st = load_spec_dir(dir_ / "plain", registry, errors);
  EXPECT_EQ(st.code(), ErrorCode::kConfig);
  EXPECT_NE(st.message().find("not a directory"), std::string::npos);
}

TEST_F(SpecLoaderDir, UserSpecsLoadNextToTheBuiltins) {
  SourceRegistry registry;
  ASSERT_TRUE(register_builtin_sources(registry).ok());
  const std::size_t builtin = registry.boards().size();
  write("acme.toml", kGood);
  write("clash.toml",
        replace_all(replace(kGood, "[site]\nid = \"acme\"", "[site]\nid = \"solidot\""), "\"acme.",
                    "\"solidot."));
  std::vector<Status> errors;
  ASSERT_TRUE(load_spec_dir(dir_, registry, errors).ok());
  EXPECT_EQ(registry.boards().size(), builtin + 2);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].message(), "clash.toml: site: \"solidot\" is already registered");
}

TEST(SpecLoader, BuiltinSpecFilesAreEmbeddedAndValid) {
  const auto files = builtin_spec_files();
  ASSERT_GE(files.size(), 14u);
  for (std::size_t i = 0; i < files.size(); ++i) {
    SCOPED_TRACE(std::string(files[i].name));
    if (i > 0) {
      EXPECT_LT(files[i - 1].name, files[i].name);
    }
    ParsedSpec spec = parse_spec(files[i].text, files[i].name);
    EXPECT_TRUE(spec.ok()) << (spec.ok() ? "" : spec.errors.front().message());
    EXPECT_FALSE(spec.sources.empty());
    // The embedded bytes are the file's bytes.
    const auto path = source_testing::source_dir() / "src" / "sources" / std::string(files[i].name);
    EXPECT_EQ(source_testing::read_file(path), files[i].text);
  }
}

}  // namespace
}  // namespace mu
