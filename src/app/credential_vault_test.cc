#include "app/credential_vault.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "auth/crypto.h"
#include "store/sqlite/sqlite_store.h"

namespace mu {
namespace {

class CredentialVaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("mu_vault_test_" + random_token(9));
    std::filesystem::create_directories(dir_);
    auto s = open_sqlite_store((dir_ / "mu.db").string());
    ASSERT_TRUE(s.ok());
    store_ = std::move(s).value();
    ASSERT_TRUE(store_->migrate().ok());
  }
  void TearDown() override {
    store_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  void put(const SecretBox& box, const std::string& name, const std::string& value) {
    ASSERT_TRUE(
        store_->put_credential(CredentialRecord{name, box.seal(name, value), 1, "boss"}).ok());
  }

  std::filesystem::path dir_;
  std::unique_ptr<Store> store_;
  std::vector<BoardMeta> boards_ = [] {
    BoardMeta a, b;
    a.id = "zhihu.hot";
    a.site = "zhihu";
    b.id = "zhihu.billboard";
    b.site = "zhihu";
    return std::vector<BoardMeta>{a, b};
  }();
};

TEST_F(CredentialVaultTest, DispatchesGetTheirSitesCookieAndTheMostSpecificProxy) {
  auto box = SecretBox::from_text(SecretBox::generate_key_text());
  ASSERT_TRUE(box.ok());
  put(*box, "zhihu.cookie", "z_c0=abc");
  put(*box, "zhihu.proxy", "http://site-proxy:3128");
  put(*box, "zhihu.hot.proxy", "socks5h://board-proxy:1080");
  CredentialVault vault(boards_, *store_, &*box);
  Dispatch before{"zhihu.hot"};
  vault.attach(before);
  EXPECT_TRUE(before.secrets.empty());  // nothing until the first refresh
  ASSERT_TRUE(vault.refresh().ok());
  Dispatch hot{"zhihu.hot"};
  vault.attach(hot);
  EXPECT_EQ(hot.secrets, (std::map<std::string, std::string>{{"zhihu.cookie", "z_c0=abc"}}));
  EXPECT_EQ(hot.proxy, "socks5h://board-proxy:1080");
  Dispatch billboard{"zhihu.billboard"};
  vault.attach(billboard);
  EXPECT_EQ(billboard.proxy, "http://site-proxy:3128");
  Dispatch unknown{"other.board"};
  vault.attach(unknown);
  EXPECT_TRUE(unknown.secrets.empty());
  EXPECT_TRUE(unknown.proxy.empty());

  // Removed in the console: gone after the next refresh.
  ASSERT_TRUE(store_->delete_credential("zhihu.cookie").ok());
  ASSERT_TRUE(vault.refresh().ok());
  Dispatch again{"zhihu.hot"};
  vault.attach(again);
  EXPECT_TRUE(again.secrets.empty());
}

TEST_F(CredentialVaultTest, ValuesSealedWithAnotherKeyAreSkipped) {
  auto mine = SecretBox::from_text(SecretBox::generate_key_text());
  auto other = SecretBox::from_text(SecretBox::generate_key_text());
  ASSERT_TRUE(mine.ok() && other.ok());
  put(*other, "zhihu.cookie", "z_c0=theirs");
  put(*mine, "zhihu.proxy", "http://mine:3128");
  CredentialVault vault(boards_, *store_, &*mine);
  ASSERT_TRUE(vault.refresh().ok());
  Dispatch d{"zhihu.hot"};
  vault.attach(d);
  EXPECT_TRUE(d.secrets.empty());
  EXPECT_EQ(d.proxy, "http://mine:3128");
}

TEST_F(CredentialVaultTest, TheKeyComesFromTheConfigOrAFileNextToTheSqliteDatabase) {
  const std::string url = "sqlite://" + (dir_ / "mu.db").string();
  auto first = load_secrets_key("", url);
  ASSERT_TRUE(first.ok()) << first.status().to_string();
  ASSERT_NE(first->box, nullptr);
  const auto file = dir_ / "mu.db.secrets-key";
  ASSERT_TRUE(std::filesystem::exists(file));
  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  // The same key next time: what one run sealed, the next opens.
  auto second = load_secrets_key("", url);
  ASSERT_TRUE(second.ok() && second->box);
  auto opened = second->box->open("n", first->box->seal("n", "v"));
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(*opened, "v");

  auto pg = load_secrets_key("", "postgresql://mu@db/mu");
  ASSERT_TRUE(pg.ok());
  EXPECT_EQ(pg->box, nullptr);
  EXPECT_NE(pg->why_missing.find("storage.secrets_key"), std::string::npos);
  EXPECT_TRUE(load_secrets_key(std::string(64, 'b'), "postgresql://mu@db/mu")->box != nullptr);
  EXPECT_EQ(load_secrets_key("not a key", url).status().code(), ErrorCode::kConfig);
}

class RecordingCollector final : public Collector {
 public:
  Result<CollectOutcome> collect(const Dispatch& d) override {
    seen.push_back(d);
    if (fail) return error(ErrorCode::kBlocked, d.board + ": HTTP 403").with_http(403);
    CollectOutcome out;
    out.http_status = 200;
    out.bytes = 42;
    Item item;
    item.key = "k";
    item.title = "t";
    out.items = {item};
    return out;
  }
  std::vector<Dispatch> seen;
  bool fail = false;
};

TEST_F(CredentialVaultTest, TheBoardTesterSendsTheCurrentCredentialsAndReportsTheOutcome) {
  auto box = SecretBox::from_text(SecretBox::generate_key_text());
  ASSERT_TRUE(box.ok());
  CredentialVault vault(boards_, *store_, &*box);
  RecordingCollector collector;
  FakeClock clock;
  const BoardTester tester =
      make_board_tester(collector, vault, boards_, clock, [] { return int64_t{7}; });
  // Set after the vault was made: the tester refreshes first.
  put(*box, "zhihu.cookie", "z_c0=fresh");
  auto ok = tester("zhihu.hot");
  ASSERT_TRUE(ok.ok());
  EXPECT_TRUE(ok->status.ok());
  EXPECT_EQ(ok->http_status, 200);
  EXPECT_EQ(ok->items.size(), 1u);
  EXPECT_TRUE(ok->with_cookie);
  EXPECT_FALSE(ok->with_proxy);
  ASSERT_EQ(collector.seen.size(), 1u);
  EXPECT_EQ(collector.seen[0].epoch, 7);
  EXPECT_EQ(collector.seen[0].secrets.at("zhihu.cookie"), "z_c0=fresh");
  collector.fail = true;
  auto failed = tester("zhihu.billboard");
  ASSERT_TRUE(failed.ok());
  EXPECT_EQ(failed->status.code(), ErrorCode::kBlocked);
  EXPECT_EQ(failed->http_status, 403);
  EXPECT_EQ(tester("nope.board").status().code(), ErrorCode::kNotFound);
}

}  // namespace
}  // namespace mu
