#include "http/static_files.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/compress.h"

namespace mu {
namespace {

namespace fs = std::filesystem;

void write_file(const fs::path& path, std::string_view content) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
}

class StaticFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::path(::testing::TempDir()) /
            ("mu_static_" +
             std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(root_);
    write_file(root_ / "index.html", "<!doctype html><title>mu</title>");
    write_file(root_ / "assets/index-4f3a2b1c.js", std::string(3000, 'a'));
    write_file(root_ / "assets/index-B_Xc9k-2.css", "body{}");
    write_file(root_ / "favicon.svg", "<svg/>");
    write_file(root_ / "docs/index.html", "docs");
    write_file(root_ / ".env", "SECRET=1");
    write_file(root_ / "logo.png", "\x89PNG");
    auto created = StaticFiles::create({root_.string()});
    ASSERT_TRUE(created.ok()) << created.status().to_string();
    files_ = std::move(created).value();
  }
  void TearDown() override { fs::remove_all(root_); }

  std::optional<Response> serve(std::string_view target, std::string_view accept = "",
                                HttpMethod method = HttpMethod::kGet) {
    Request r;
    r.method = method;
    EXPECT_TRUE(r.set_target(target).ok());
    if (!accept.empty()) r.headers.add("Accept", accept);
    return files_->serve(r);
  }

  fs::path root_;
  std::unique_ptr<StaticFiles> files_;
};

TEST_F(StaticFilesTest, ServesFilesWithContentType) {
  auto r = serve("/favicon.svg");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->header("Content-Type"), "image/svg+xml");
  EXPECT_EQ(r->body_view(), "<svg/>");
  EXPECT_EQ(r->header("Cache-Control"), "no-cache");
  EXPECT_EQ(r->etag.size(), 18u);  // quoted 64-bit hex hash

  r = serve("/logo.png");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->header("Content-Type"), "image/png");
  EXPECT_EQ(r->gzip_body, nullptr);
}

TEST_F(StaticFilesTest, IndexAtRootAndDirectories) {
  auto r = serve("/");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->header("Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(r->header("Cache-Control"), "no-cache");
  EXPECT_EQ(r->body_view(), "<!doctype html><title>mu</title>");
  r = serve("/docs/");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->body_view(), "docs");
  r = serve("/", "", HttpMethod::kHead);
  ASSERT_TRUE(r.has_value());
  EXPECT_FALSE(serve("/", "", HttpMethod::kPost).has_value());
}

TEST_F(StaticFilesTest, HashedAssetsAreImmutableAndGzipped) {
  auto r = serve("/assets/index-4f3a2b1c.js");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->header("Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(r->header("Cache-Control"), "public, max-age=31536000, immutable");
  ASSERT_NE(r->gzip_body, nullptr);
  auto inflated = gzip_decompress(*r->gzip_body);
  ASSERT_TRUE(inflated.ok());
  EXPECT_EQ(*inflated, std::string(3000, 'a'));
  r = serve("/assets/index-B_Xc9k-2.css");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->header("Cache-Control"), "public, max-age=31536000, immutable");
  EXPECT_EQ(r->gzip_body, nullptr);  // under 1 KB
}

TEST_F(StaticFilesTest, ImmutableNames) {
  EXPECT_TRUE(StaticFiles::is_immutable_asset("assets/index-4f3a2b1c.js"));
  EXPECT_TRUE(StaticFiles::is_immutable_asset("assets/vendor-DiwrgTda.js"));
  EXPECT_TRUE(StaticFiles::is_immutable_asset("assets/chunk.0123abcd.css"));
  EXPECT_FALSE(StaticFiles::is_immutable_asset("assets/logo.svg"));
  EXPECT_FALSE(StaticFiles::is_immutable_asset("index-4f3a2b1c.js"));  // not under assets/
  EXPECT_FALSE(StaticFiles::is_immutable_asset("assets/a-b.js"));
  EXPECT_FALSE(StaticFiles::is_immutable_asset("assets/x-4f3a2b1c!.js"));
}

TEST_F(StaticFilesTest, SpaFallback) {
  // Client-side routes that accept HTML get index.html.
  auto r = serve("/boards/weibo", "text/html,application/xhtml+xml,*/*;q=0.8");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->body_view(), "<!doctype html><title>mu</title>");
  EXPECT_EQ(r->header("Cache-Control"), "no-cache");
  // Not for API paths, file-like paths, or clients that do not want HTML.
  EXPECT_FALSE(serve("/api/v1/nope", "text/html").has_value());
  EXPECT_FALSE(serve("/api", "text/html").has_value());
  EXPECT_FALSE(serve("/missing.js", "text/html").has_value());
  EXPECT_FALSE(serve("/boards/weibo", "application/json").has_value());
  EXPECT_FALSE(serve("/boards/weibo").has_value());
}

TEST_F(StaticFilesTest, IndexPageHookBuildsTheAppsOwnPage) {
  std::vector<std::string> seen;
  StaticFilesOptions options{root_.string()};
  options.index_page =
      [&seen](const Request& r,
              const std::shared_ptr<const std::string>& file) -> std::optional<Response> {
    seen.push_back(std::string(r.path) + " " + *file);
    if (r.header("X-Plain") == "1") return std::nullopt;
    Response page;
    page.body = "built:" + *file;
    return page;
  };
  auto created = StaticFiles::create(options);
  ASSERT_TRUE(created.ok());
  files_ = std::move(created).value();
  const std::string file = "<!doctype html><title>mu</title>";
  EXPECT_EQ(serve("/")->body_view(), "built:" + file);
  EXPECT_EQ(serve("/index.html")->body_view(), "built:" + file);
  EXPECT_EQ(serve("/boards/weibo", "text/html")->body_view(), "built:" + file);  // SPA fallback
  // Other files, another folder's index.html: as they are, without asking the hook.
  EXPECT_EQ(serve("/docs/")->body_view(), "docs");
  EXPECT_EQ(serve("/favicon.svg")->body_view(), "<svg/>");
  EXPECT_EQ(seen.size(), 3u);
  // The hook declines: the file.
  Request plain;
  ASSERT_TRUE(plain.set_target("/").ok());
  plain.headers.add("X-Plain", "1");
  EXPECT_EQ(files_->serve(plain)->body_view(), file);
}

TEST_F(StaticFilesTest, RefusesTraversalAndHiddenFiles) {
  write_file(root_.parent_path() / "mu_static_secret.txt", "secret");
  EXPECT_FALSE(serve("/../mu_static_secret.txt").has_value());
  EXPECT_FALSE(serve("/%2e%2e/mu_static_secret.txt").has_value());
  EXPECT_FALSE(serve("/assets/..%2f..%2fmu_static_secret.txt").has_value());
  EXPECT_FALSE(serve("/.env").has_value());
  EXPECT_FALSE(serve("/.env", "text/html").has_value());  // no SPA fallback either: has '.'
  EXPECT_FALSE(serve("//etc/passwd").has_value());
  EXPECT_FALSE(serve("/assets").has_value());  // a directory without a trailing slash
  fs::remove(root_.parent_path() / "mu_static_secret.txt");
}

TEST_F(StaticFilesTest, PicksUpChangedFiles) {
  auto first = serve("/favicon.svg");
  ASSERT_TRUE(first.has_value());
  write_file(root_ / "favicon.svg", "<svg><g/></svg>");  // a different size
  auto second = serve("/favicon.svg");
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->body_view(), "<svg><g/></svg>");
  EXPECT_NE(first->etag, second->etag);
  // Unchanged files come from the cache: the same shared body.
  auto third = serve("/favicon.svg");
  EXPECT_EQ(third->body_view().data(), second->body_view().data());
}

TEST(StaticFilesCreateTest, MissingDirectoryIsConfigError) {
  auto created = StaticFiles::create({"/nonexistent/mu/dist"});
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.code(), ErrorCode::kConfig);
}

TEST(StaticFilesTypeTest, ContentTypes) {
  EXPECT_EQ(StaticFiles::content_type_for("CSS"), "text/css; charset=utf-8");
  EXPECT_EQ(StaticFiles::content_type_for("woff2"), "font/woff2");
  EXPECT_EQ(StaticFiles::content_type_for("webmanifest"), "application/manifest+json");
  EXPECT_EQ(StaticFiles::content_type_for("bin"), "application/octet-stream");
  EXPECT_EQ(StaticFiles::content_type_for(""), "application/octet-stream");
}

}  // namespace
}  // namespace mu
