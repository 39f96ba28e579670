#include "app/source_workbench.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "sources/spec/spec_loader.h"

namespace mu {
namespace {

namespace fs = std::filesystem;

// Answers by URL: a canned response or an error; any other URL is a network error (nothing
// leaves the process). Remembers the requests. Safe for concurrent use.
class FakeTransport final : public Transport {
 public:
  void answer(const std::string& url, int status, std::string body, std::string content_type) {
    std::lock_guard lock(mu_);
    HttpResponse response;
    response.status = status;
    response.body = std::move(body);
    response.headers = {{"Content-Type", std::move(content_type)}};
    response.effective_url = url;
    answers_[url] = std::move(response);
  }
  void fail(const std::string& url, Status status) {
    std::lock_guard lock(mu_);
    failures_[url] = std::move(status);
  }
  Result<HttpResponse> fetch(const HttpRequest& request) override {
    std::lock_guard lock(mu_);
    requests_.push_back(request);
    if (auto it = failures_.find(request.url); it != failures_.end()) return it->second;
    if (auto it = answers_.find(request.url); it != answers_.end()) return it->second;
    return error(ErrorCode::kNetwork, "no route to " + request.url + " in this test");
  }
  std::vector<HttpRequest> requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, HttpResponse> answers_;
  std::map<std::string, Status> failures_;
  std::vector<HttpRequest> requests_;
};

constexpr char kRss[] = R"(<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Acme</title><link>https://news.acme.example/</link>
<item><title>第一条 First</title><link>https://news.acme.example/1</link>
<guid>https://news.acme.example/1</guid></item>
<item><title>Second story</title><link>https://news.acme.example/2</link>
<guid>https://news.acme.example/2</guid><description>Two &amp; more</description></item>
</channel></rss>)";

// Two feed boards of a new site "acme"; the wire board sends a secret cookie.
constexpr char kSpec[] = R"([site]
id = "acme"
name_zh = "阿克米"
name_en = "Acme News"
home = "https://news.acme.example"
region = "global"

[[boards]]
id = "acme.top"
name_zh = "头条"
name_en = "Top"
kind = "rank"
homepage = "https://news.acme.example/top"

[boards.request]
url = "https://news.acme.example/top.xml"

[boards.parse]
type = "feed"

[[boards]]
id = "acme.wire"
name_zh = "快讯"
name_en = "Wire"
kind = "stream"
homepage = "https://news.acme.example/wire"

[boards.request]
url = "https://news.acme.example/wire.xml"
secret_headers = { Cookie = "acme.cookie" }

[boards.parse]
type = "feed"
)";

// One board added to the built-in site "weibo" (no [site] table).
std::string extend_weibo(const std::string& board) {
  return R"([[boards]]
id = ")" +
         board + R"("
site = "weibo"
group = "cn"
name_zh = "测试"
name_en = "Test"
kind = "rank"
homepage = "https://weibo.test/"

[boards.request]
url = "https://weibo.test/feed.xml"

[boards.parse]
type = "feed"
)";
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (auto pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size())) {
    s.replace(pos, from.size(), to);
  }
  return s;
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::vector<std::string> names_in(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

class SourceWorkbenchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device random;
    root_ = fs::temp_directory_path() /
            ("mu_workbench_" + std::to_string(random()) + std::to_string(random()));
    fs::create_directories(root_);
    builtins_.sites = {"weibo"};
    builtins_.boards = {"weibo.hot-search"};
    secrets_ = {{"acme.cookie", "sid=42"}};
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  FileSourceWorkbench make(const fs::path& dir) {
    return FileSourceWorkbench(dir, transport_, clock_, &secrets_, builtins_);
  }

  fs::path root_;
  FakeTransport transport_;
  FakeClock clock_;
  std::map<std::string, std::string> secrets_;
  BuiltinIds builtins_;
};

TEST_F(SourceWorkbenchTest, TestPreviewsTheParsedItemsOfEveryBoard) {
  transport_.answer("https://news.acme.example/top.xml", 200, kRss, "application/rss+xml");
  transport_.answer("https://news.acme.example/wire.xml", 200, kRss, "application/rss+xml");
  auto workbench = make(root_ / "specs");
  auto previews = workbench.test(kSpec);
  ASSERT_TRUE(previews.ok()) << previews.status().to_string();
  ASSERT_EQ(previews->size(), 2u);
  EXPECT_EQ((*previews)[0].board, "acme.top");
  EXPECT_EQ((*previews)[0].name, "Top");
  EXPECT_EQ((*previews)[1].board, "acme.wire");
  for (const auto& preview : *previews) {
    EXPECT_FALSE(preview.error.has_value()) << preview.board << ": " << preview.error->to_string();
    ASSERT_EQ(preview.items.size(), 2u) << preview.board;
    EXPECT_EQ(preview.items[0].title, "第一条 First");
    EXPECT_EQ(preview.items[0].url, "https://news.acme.example/1");
    EXPECT_EQ(preview.items[1].summary, "Two & more");
  }
  // The secret reached the wire board's request (and only that one).
  const auto requests = transport_.requests();
  ASSERT_EQ(requests.size(), 2u);
  for (const auto& request : requests) {
    const bool wire = request.url == "https://news.acme.example/wire.xml";
    EXPECT_EQ(find_header(request.headers, "Cookie"), wire ? "sid=42" : "") << request.url;
  }
  // Nothing was written.
  EXPECT_FALSE(fs::exists(root_ / "specs"));
}

TEST_F(SourceWorkbenchTest, TestReportsAFetchErrorPerBoard) {
  transport_.answer("https://news.acme.example/top.xml", 200, kRss, "application/rss+xml");
  transport_.answer("https://news.acme.example/wire.xml", 503, "busy", "text/plain");
  auto workbench = make(root_);
  auto previews = workbench.test(kSpec);
  ASSERT_TRUE(previews.ok()) << previews.status().to_string();
  ASSERT_EQ(previews->size(), 2u);
  EXPECT_FALSE((*previews)[0].error.has_value());
  EXPECT_EQ((*previews)[0].items.size(), 2u);
  ASSERT_TRUE((*previews)[1].error.has_value());
  EXPECT_EQ((*previews)[1].error->code(), ErrorCode::kHttp);
  EXPECT_TRUE((*previews)[1].items.empty());

  // A network failure and a body that is no feed are reported the same way.
  transport_.fail("https://news.acme.example/top.xml", error(ErrorCode::kTimeout, "too slow"));
  transport_.answer("https://news.acme.example/wire.xml", 200, "<html><title>Login</title></html>",
                    "text/html");
  previews = workbench.test(kSpec);
  ASSERT_TRUE(previews.ok()) << previews.status().to_string();
  ASSERT_EQ(previews->size(), 2u);
  ASSERT_TRUE((*previews)[0].error.has_value());
  EXPECT_EQ((*previews)[0].error->code(), ErrorCode::kTimeout);
  ASSERT_TRUE((*previews)[1].error.has_value());
  EXPECT_EQ((*previews)[1].error->code(), ErrorCode::kParse);
}

TEST_F(SourceWorkbenchTest, InvalidSpecIsRejectedWithEveryProblemAndNothingIsFetched) {
  auto workbench = make(root_);
  std::string broken = replace_all(kSpec, "kind = \"rank\"", "kind = \"rank\"\nevry = \"5m\"");
  broken = replace_all(broken, "kind = \"stream\"", "kind = \"sometimes\"");
  auto previews = workbench.test(broken);
  ASSERT_FALSE(previews.ok());
  EXPECT_EQ(previews.status().code(), ErrorCode::kInvalid);
  const std::string message = previews.status().message();
  EXPECT_NE(message.find("evry"), std::string::npos) << message;
  EXPECT_NE(message.find("sometimes"), std::string::npos) << message;
  EXPECT_NE(message.find('\n'), std::string::npos) << "one problem per line: " << message;
  // A TOML syntax error too.
  auto syntax = workbench.test("[site\nid = 1");
  EXPECT_EQ(syntax.status().code(), ErrorCode::kInvalid);
  EXPECT_TRUE(transport_.requests().empty());
  // save() validates alike and writes nothing.
  auto saved = workbench.save("acme", broken);
  EXPECT_EQ(saved.status().code(), ErrorCode::kInvalid);
  EXPECT_NE(saved.status().message().find("evry"), std::string::npos);
  EXPECT_TRUE(names_in(root_).empty());
}

TEST_F(SourceWorkbenchTest, SaveThenListRoundTrips) {
  const fs::path dir = root_ / "nested" / "sources.d";  // created by save()
  auto workbench = make(dir);
  EXPECT_EQ(workbench.dir(), dir.string());
  EXPECT_TRUE(workbench.writable());
  auto empty = workbench.list();
  ASSERT_TRUE(empty.ok()) << empty.status().to_string();
  EXPECT_TRUE(empty->empty());

  auto path = workbench.save("acme", kSpec);
  ASSERT_TRUE(path.ok()) << path.status().to_string();
  EXPECT_EQ(*path, (dir / "acme.toml").string());
  EXPECT_EQ(read_text(dir / "acme.toml"), kSpec);
  ASSERT_TRUE(workbench.save("weibo-extra", extend_weibo("weibo.extra")).ok());
  // A file that does not parse, written by hand, is listed with its error.
  std::ofstream(dir / "broken.toml") << "[site\n";
  std::ofstream(dir / "notes.txt") << "not a spec";

  auto specs = workbench.list();
  ASSERT_TRUE(specs.ok()) << specs.status().to_string();
  ASSERT_EQ(specs->size(), 3u);
  EXPECT_EQ((*specs)[0].name, "acme");
  EXPECT_EQ((*specs)[0].text, kSpec);
  EXPECT_EQ((*specs)[0].boards, (std::vector<std::string>{"acme.top", "acme.wire"}));
  EXPECT_EQ((*specs)[0].error, "");
  EXPECT_EQ((*specs)[1].name, "broken");
  EXPECT_TRUE((*specs)[1].boards.empty());
  EXPECT_NE((*specs)[1].error.find("broken.toml"), std::string::npos) << (*specs)[1].error;
  EXPECT_EQ((*specs)[2].name, "weibo-extra");
  EXPECT_EQ((*specs)[2].boards, (std::vector<std::string>{"weibo.extra"}));
  EXPECT_EQ((*specs)[2].error, "");

  // Overwriting a spec replaces it; no temp file is left behind.
  const std::string renamed = replace_all(kSpec, "Acme News", "Acme Daily");
  ASSERT_TRUE(workbench.save("acme", renamed).ok());
  EXPECT_EQ(read_text(dir / "acme.toml"), renamed);
  EXPECT_EQ(names_in(dir), (std::vector<std::string>{"acme.toml", "broken.toml", "notes.txt",
                                                     "weibo-extra.toml"}));

  // What list() reports as loading is what the real loader loads.
  SourceRegistry registry;
  ASSERT_TRUE(
      registry.add_site(Site{"weibo", "微博", "Weibo", "https://weibo.test", "", "", "cn"}).ok());
  std::vector<Status> errors;
  ASSERT_TRUE(load_spec_dir(dir, registry, errors).ok());
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].message().find("broken.toml"), std::string::npos);
  EXPECT_NE(registry.find("acme.wire"), nullptr);
  EXPECT_NE(registry.find("weibo.extra"), nullptr);
}

// Issue 17.10: FIFOs, directories and dangling symlinks in sources.d were skipped without a
// word, and a 50 MB binary file was read whole and served raw. Each is now a broken spec,
// reported by list() and load_spec_dir alike, and nothing blocks on the FIFO.
TEST_F(SourceWorkbenchTest, NonRegularHugeAndBinaryEntriesAreBrokenSpecs) {
  const fs::path dir = root_ / "sources.d";
  fs::create_directories(dir / "dir.toml");
  std::ofstream(dir / "acme.toml") << kSpec;
  fs::create_symlink(dir / "acme.toml", dir / "alias.toml");  // a symlink to a file is fine
  fs::create_symlink(dir / "missing", dir / "gone.toml");
  ASSERT_EQ(::mkfifo((dir / "pipe.toml").c_str(), 0600), 0);
  std::ofstream(dir / "big.toml") << std::string(2u << 20, '#');
  std::ofstream(dir / "binary.toml") << "# \xFF\xFE\x00\x01 binary\n";
  std::ofstream(dir / "notes.txt") << "not a spec";

  auto workbench = make(dir);
  auto specs = workbench.list();
  ASSERT_TRUE(specs.ok()) << specs.status().to_string();
  std::map<std::string, std::string> errors;
  for (const auto& spec : *specs) errors[spec.name] = spec.error;
  ASSERT_EQ(errors.size(), 7u);
  // alias.toml defines the same site as acme.toml: a conflict, not a read error.
  EXPECT_EQ(errors["acme"], "");
  EXPECT_NE(errors["alias"].find("already"), std::string::npos) << errors["alias"];
  EXPECT_NE(errors["dir"].find("dir.toml: a directory"), std::string::npos) << errors["dir"];
  EXPECT_NE(errors["gone"].find("gone.toml: a symbolic link to a file that does not exist"),
            std::string::npos)
      << errors["gone"];
  EXPECT_NE(errors["pipe"].find("pipe.toml: a FIFO"), std::string::npos) << errors["pipe"];
  EXPECT_NE(errors["big"].find("big.toml: larger than the 1 MiB limit"), std::string::npos)
      << errors["big"];
  EXPECT_NE(errors["binary"].find("binary.toml: not valid UTF-8"), std::string::npos)
      << errors["binary"];
  for (const auto& spec : *specs) {
    if (spec.name == "big" || spec.name == "binary") {
      EXPECT_EQ(spec.text, "") << spec.name;
    }
  }

  SourceRegistry registry;
  std::vector<Status> load_errors;
  ASSERT_TRUE(load_spec_dir(dir, registry, load_errors).ok());
  EXPECT_EQ(load_errors.size(), 6u);
  EXPECT_NE(registry.find("acme.wire"), nullptr);

  // A spec the loader would refuse to read back is not saved.
  EXPECT_EQ(workbench.save("huge", std::string(kMaxSpecFileBytes + 1, '#')).code(),
            ErrorCode::kInvalid);
  EXPECT_EQ(workbench.save("bytes", "# \xFF\n").code(), ErrorCode::kInvalid);
}

TEST(ReadSpecFile, ExactlyTheLimitIsRead) {
  const fs::path path =
      fs::temp_directory_path() / ("mu_spec_limit_" + std::to_string(::getpid()) + ".toml");
  std::ofstream(path) << std::string(kMaxSpecFileBytes, '#');
  auto text = read_spec_file(path);
  fs::remove(path);
  ASSERT_TRUE(text.ok()) << text.status().to_string();
  EXPECT_EQ(text->size(), kMaxSpecFileBytes);
}

TEST_F(SourceWorkbenchTest, SaveRejectsBadNames) {
  auto workbench = make(root_);
  const std::vector<std::string> names = {"",          "Acme",  "acme.toml", "../acme",
                                          "acme feed", "ac_me", "名字",      std::string(65, 'a')};
  for (const std::string& name : names) {
    auto saved = workbench.save(name, kSpec);
    EXPECT_EQ(saved.status().code(), ErrorCode::kInvalid) << '"' << name << '"';
    EXPECT_FALSE(is_valid_spec_name(name)) << '"' << name << '"';
  }
  EXPECT_TRUE(names_in(root_).empty());
  EXPECT_TRUE(is_valid_spec_name(std::string(64, 'a')));
  EXPECT_TRUE(is_valid_spec_name("my-feed-2"));
}

TEST_F(SourceWorkbenchTest, SaveRefusesIdsTakenByBuiltinsOrOtherFiles) {
  auto workbench = make(root_);
  // A built-in board id.
  auto board = workbench.save("mine", extend_weibo("weibo.hot-search"));
  EXPECT_EQ(board.status().code(), ErrorCode::kConflict);
  EXPECT_NE(board.status().message().find("weibo.hot-search"), std::string::npos);
  EXPECT_NE(board.status().message().find("built-in"), std::string::npos);
  // A built-in site id in [site].
  auto site = workbench.save("mine", replace_all(kSpec, "acme", "weibo"));
  EXPECT_EQ(site.status().code(), ErrorCode::kConflict);
  EXPECT_NE(site.status().message().find("site \"weibo\""), std::string::npos);
  // A board of a site nobody defines.
  auto orphan =
      workbench.save("mine", replace_all(extend_weibo("nowhere.top"), "\"weibo\"", "\"nowhere\""));
  EXPECT_EQ(orphan.status().code(), ErrorCode::kInvalid);
  EXPECT_NE(orphan.status().message().find("not registered"), std::string::npos);
  EXPECT_TRUE(names_in(root_).empty());

  // Another file's ids: the second file defining acme is refused, whichever sorts first.
  ASSERT_TRUE(workbench.save("acme", kSpec).ok());
  auto later = workbench.save("zzz", kSpec);
  EXPECT_EQ(later.status().code(), ErrorCode::kConflict);
  EXPECT_NE(later.status().message().find("acme.toml"), std::string::npos);
  auto earlier = workbench.save("aaa", kSpec);
  EXPECT_EQ(earlier.status().code(), ErrorCode::kConflict);
  EXPECT_NE(earlier.status().message().find("would stop acme.toml from loading"), std::string::npos)
      << earlier.status().message();
  EXPECT_EQ(names_in(root_), (std::vector<std::string>{"acme.toml"}));
  // Re-saving the same file is not a collision with itself.
  EXPECT_TRUE(workbench.save("acme", kSpec).ok());

  // A clashing file put there by hand is listed with the reason it will not load.
  std::ofstream(root_ / "zzz.toml") << kSpec;
  auto specs = workbench.list();
  ASSERT_TRUE(specs.ok()) << specs.status().to_string();
  ASSERT_EQ(specs->size(), 2u);
  EXPECT_EQ((*specs)[0].error, "");
  EXPECT_EQ((*specs)[1].name, "zzz");
  EXPECT_EQ((*specs)[1].error, "zzz.toml: site \"acme\" is already registered by acme.toml");
}

TEST_F(SourceWorkbenchTest, UnwritableDirIsReportedAndSaveFails) {
  // A directory below a regular file can never be created, whoever runs the test.
  std::ofstream(root_ / "file") << "x";
  auto workbench = make(root_ / "file" / "sources.d");
  EXPECT_FALSE(workbench.writable());
  auto saved = workbench.save("acme", kSpec);
  ASSERT_FALSE(saved.ok());
  EXPECT_EQ(saved.status().code(), ErrorCode::kUnavailable);
  EXPECT_NE(saved.status().message().find("sources.d"), std::string::npos);
  // list() of a path that is no directory is an error; of a missing one, empty.
  EXPECT_FALSE(make(root_ / "file").list().ok());
  auto missing = make(root_ / "missing").list();
  ASSERT_TRUE(missing.ok());
  EXPECT_TRUE(missing->empty());
}

TEST_F(SourceWorkbenchTest, ExampleIsAValidBilingualSpec) {
  auto workbench = make(root_);
  const std::string example = workbench.example();
  ParsedSpec spec = parse_spec(example, "example.toml");
  ASSERT_TRUE(spec.ok()) << (spec.errors.empty() ? "" : spec.errors.front().to_string());
  ASSERT_EQ(spec.sources.size(), 1u);
  EXPECT_NE(example.find("示例"), std::string::npos);
  EXPECT_NE(example.find("Example"), std::string::npos);
  EXPECT_NE(example.find("# "), std::string::npos);
  // It saves as is (no clash with the built-ins) and previews against an RSS answer.
  transport_.answer("https://blog.example.com/feed.xml", 200, kRss, "application/rss+xml");
  auto previews = workbench.test(example);
  ASSERT_TRUE(previews.ok()) << previews.status().to_string();
  ASSERT_EQ(previews->size(), 1u);
  EXPECT_FALSE((*previews)[0].error.has_value());
  EXPECT_EQ((*previews)[0].items.size(), 2u);
  EXPECT_TRUE(workbench.save("example", example).ok());
}

}  // namespace
}  // namespace mu
