#include "fetch/replay_transport.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace mu {
namespace {

using ::testing::HasSubstr;

namespace fs = std::filesystem;

class ReplayTransportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           ("mu_replay_test_" + std::to_string(::getpid()) + "_" + info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  void write(const fs::path& rel, const std::string& content) {
    const fs::path p = dir_ / rel;
    fs::create_directories(p.parent_path());
    std::ofstream out(p, std::ios::binary);
    out << content;
  }

  static HttpRequest req(std::string url, std::string method = "GET") {
    HttpRequest r;
    r.url = std::move(url);
    r.method = std::move(method);
    return r;
  }

  std::unique_ptr<ReplayTransport> load() {
    auto t = ReplayTransport::load({dir_});
    if (!t.ok()) {
      ADD_FAILURE() << t.status().to_string();
      return nullptr;
    }
    return std::move(t).value();
  }

  fs::path dir_;
};

TEST_F(ReplayTransportTest, ExactBeatsPrefixAndLongestPrefixWins) {
  write("replay.tsv",
        "# METHOD\tURL\tFILE\n"
        "GET\thttps://example.com/api/*\tshort.json\n"
        "GET\thttps://example.com/api/list*\tlong.json\n"
        "GET\thttps://example.com/api/list\texact.json\n"
        "POST\thttps://example.com/api/list\tpost.json\n"
        "\n");
  write("short.json", "short");
  write("long.json", "long");
  write("exact.json", "exact");
  write("post.json", "post");
  auto t = load();
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->size(), 4u);

  auto exact = t->fetch(req("https://example.com/api/list"));
  ASSERT_TRUE(exact.ok()) << exact.status().to_string();
  EXPECT_EQ(exact->body, "exact");
  EXPECT_EQ(exact->status, 200);
  EXPECT_EQ(exact->effective_url, "https://example.com/api/list");

  auto longest = t->fetch(req("https://example.com/api/list?page=2"));
  ASSERT_TRUE(longest.ok()) << longest.status().to_string();
  EXPECT_EQ(longest->body, "long");

  auto shorter = t->fetch(req("https://example.com/api/other"));
  ASSERT_TRUE(shorter.ok()) << shorter.status().to_string();
  EXPECT_EQ(shorter->body, "short");

  auto post = t->fetch(req("https://example.com/api/list", "POST"));
  ASSERT_TRUE(post.ok()) << post.status().to_string();
  EXPECT_EQ(post->body, "post");
}

TEST_F(ReplayTransportTest, StatusAndContentTypeColumns) {
  write("replay.tsv",
        "GET\thttps://a.test/plain\tplain.txt\n"
        "GET\thttps://a.test/gone\tgone.html\t404\ttext/html; charset=utf-8\r\n"
        "GET\thttps://a.test/json\tdata.json\t200\tapplication/json\n");
  write("plain.txt", "plain");
  write("gone.html", "<h1>gone</h1>");
  write("data.json", "{}");
  auto t = load();
  ASSERT_NE(t, nullptr);

  auto plain = t->fetch(req("https://a.test/plain"));
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->status, 200);
  EXPECT_EQ(plain->header("Content-Type"), "");

  auto gone = t->fetch(req("https://a.test/gone"));
  ASSERT_TRUE(gone.ok());
  EXPECT_EQ(gone->status, 404);
  EXPECT_EQ(gone->header("content-type"), "text/html; charset=utf-8");
  EXPECT_EQ(check_http_status(*gone).code(), ErrorCode::kHttp);

  auto json = t->fetch(req("https://a.test/json"));
  ASSERT_TRUE(json.ok());
  EXPECT_EQ(json->header("Content-Type"), "application/json");
}

TEST_F(ReplayTransportTest, FindsNestedMapsWithFilesRelativeToTheirFolder) {
  write("weibo/fixtures/replay.tsv", "GET\thttps://weibo.test/hot\thot.json\n");
  write("weibo/fixtures/hot.json", "weibo");
  write("zhihu/replay.tsv", "GET\thttps://zhihu.test/hot\tdata/hot.json\n");
  write("zhihu/data/hot.json", "zhihu");
  auto t = load();
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->size(), 2u);
  EXPECT_EQ(t->fetch(req("https://weibo.test/hot"))->body, "weibo");
  EXPECT_EQ(t->fetch(req("https://zhihu.test/hot"))->body, "zhihu");
}

TEST_F(ReplayTransportTest, MalformedLineIsConfigErrorNamingFileAndLine) {
  write("replay.tsv",
        "# comment\n"
        "GET\thttps://a.test/ok\tok.txt\n"
        "GET\thttps://a.test/missing-file-column\n");
  auto t = ReplayTransport::load({dir_});
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.code(), ErrorCode::kConfig);
  EXPECT_THAT(t.error_message(), HasSubstr("replay.tsv:3"));
}

TEST_F(ReplayTransportTest, BadStatusIsConfigError) {
  for (const char* status : {"abc", "200x", "99", "1000"}) {
    SCOPED_TRACE(status);
    write("replay.tsv", std::string("GET\thttps://a.test/\tf.txt\t") + status + "\n");
    auto t = ReplayTransport::load({dir_});
    ASSERT_FALSE(t.ok());
    EXPECT_EQ(t.code(), ErrorCode::kConfig);
    EXPECT_THAT(t.error_message(), HasSubstr("replay.tsv:1"));
  }
}

TEST_F(ReplayTransportTest, MissingDirectoryIsNotFound) {
  auto t = ReplayTransport::load({dir_ / "no-such-dir"});
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.code(), ErrorCode::kNotFound);
  EXPECT_THAT(t.error_message(), HasSubstr("no-such-dir"));
}

TEST_F(ReplayTransportTest, UnmatchedUrlIsNotFound) {
  write("replay.tsv", "GET\thttps://a.test/known\tk.txt\n");
  write("k.txt", "k");
  auto t = load();
  ASSERT_NE(t, nullptr);
  auto miss = t->fetch(req("https://a.test/unknown"));
  ASSERT_FALSE(miss.ok());
  EXPECT_EQ(miss.code(), ErrorCode::kNotFound);
  EXPECT_THAT(miss.error_message(), HasSubstr("https://a.test/unknown"));
  // An exact entry does not match longer URLs, nor other methods.
  EXPECT_EQ(t->fetch(req("https://a.test/known/more")).code(), ErrorCode::kNotFound);
  EXPECT_EQ(t->fetch(req("https://a.test/known", "POST")).code(), ErrorCode::kNotFound);
}

TEST_F(ReplayTransportTest, MissingFixtureFileIsNotFound) {
  write("replay.tsv", "GET\thttps://a.test/x\tabsent.json\n");
  auto t = load();
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->fetch(req("https://a.test/x")).code(), ErrorCode::kNotFound);
}

TEST_F(ReplayTransportTest, BodyOverCapIsTooLarge) {
  write("replay.tsv", "GET\thttps://a.test/big\tbig.bin\n");
  write("big.bin", std::string(200000, 'z'));
  auto t = load();
  ASSERT_NE(t, nullptr);
  HttpRequest r = req("https://a.test/big");
  r.max_body_bytes = 1000;
  auto capped = t->fetch(r);
  ASSERT_FALSE(capped.ok());
  EXPECT_EQ(capped.code(), ErrorCode::kTooLarge);
  EXPECT_THAT(capped.error_message(), HasSubstr("1000"));
  r.max_body_bytes = 200000;
  auto fits = t->fetch(r);
  ASSERT_TRUE(fits.ok()) << fits.status().to_string();
  EXPECT_EQ(fits->body.size(), 200000u);
}

}  // namespace
}  // namespace mu
