// `mu admin grant|list|revoke` as a process: the real binary, its flags, exit codes and
// output, against a SQLite file named by a config file. The CLI cannot create users (only
// a sign-in does), so the test seeds them with Store::upsert_user, the same call the GitHub
// callback makes, on the migrated database; then it reads roles and the audit log back
// through the Store.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "store/sqlite/sqlite_store.h"

namespace mu {
namespace {

namespace fs = std::filesystem;

struct MuRun {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

// Runs `mu <args>` with an empty environment (no MU_* variable of the caller leaks in).
MuRun run_mu(const std::string& args) {
  const std::string command = std::string("env -i '") + MU_BINARY + "' " + args + " 2>&1";
  MuRun run;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return run;
  std::array<char, 4096> buf;
  for (std::size_t n; (n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0;) {
    run.output.append(buf.data(), n);
  }
  const int status = ::pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

class AdminCliProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device random;
    dir_ = fs::temp_directory_path() /
           ("mu_admin_cli_" + std::to_string(random()) + std::to_string(random()));
    fs::create_directories(dir_);
    db_ = dir_ / "mu.db";
    config_ = dir_ / "mu.toml";
    std::ofstream(config_) << "[storage]\nurl = \"sqlite://" << db_.string()
                           << "\"\n\n[auth]\nadmins = [\"carol\"]\n\n[log]\nlevel = \"warn\"\n";
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  std::unique_ptr<Store> open() {
    auto store = open_sqlite_store(db_.string());
    EXPECT_TRUE(store.ok()) << store.status().to_string();
    if (!store.ok()) return nullptr;
    EXPECT_TRUE((*store)->migrate().ok());
    return std::move(store).value();
  }
  std::string role_of(const std::string& login) {
    auto store = open();
    auto user = store->user_by_login(login);
    return user.ok() && user->has_value() ? (*user)->role : "?";
  }
  std::string cfg() const { return "-c '" + config_.string() + "'"; }

  fs::path dir_;
  fs::path db_;
  fs::path config_;
};

TEST_F(AdminCliProcessTest, HelpListsTheAdminCommands) {
  MuRun top = run_mu("--help");
  EXPECT_EQ(top.exit_code, 0) << top.output;
  EXPECT_NE(top.output.find("admin"), std::string::npos) << top.output;
  MuRun admin = run_mu("admin --help");
  EXPECT_EQ(admin.exit_code, 0) << admin.output;
  for (const char* word : {"grant", "revoke", "list"}) {
    EXPECT_NE(admin.output.find(word), std::string::npos) << word << " in\n" << admin.output;
  }
}

TEST_F(AdminCliProcessTest, GrantListRevokeAgainstASqliteFile) {
  // Nobody signed in yet: a clear error, exit 1, and the database is migrated anyway.
  MuRun unknown = run_mu("admin grant alice " + cfg());
  EXPECT_EQ(unknown.exit_code, 1) << unknown.output;
  EXPECT_NE(unknown.output.find("alice has not signed in yet; they must sign in once (or list "
                                "them in auth.admins)"),
            std::string::npos)
      << unknown.output;
  ASSERT_TRUE(fs::exists(db_));

  {
    auto store = open();
    ASSERT_TRUE(store->upsert_user("github", "101", "alice", "Alice", "", 1'767'225'600'000).ok());
    ASSERT_TRUE(store->upsert_user("github", "102", "bob", "Bob", "", 1'767'225'660'000).ok());
  }

  MuRun granted = run_mu("admin grant alice " + cfg());
  EXPECT_EQ(granted.exit_code, 0) << granted.output;
  EXPECT_EQ(granted.output, "alice is now an admin\n");
  EXPECT_EQ(role_of("alice"), "admin");

  MuRun listed = run_mu("admin list " + cfg());
  EXPECT_EQ(listed.exit_code, 0) << listed.output;
  EXPECT_NE(listed.output.find("1      alice admin  github    2026-01-01 00:00:00Z\n"),
            std::string::npos)
      << listed.output;
  EXPECT_NE(listed.output.find("2      bob   user   github    2026-01-01 00:01:00Z\n"),
            std::string::npos)
      << listed.output;
  EXPECT_NE(listed.output.find("2 users, 1 admin\n"), std::string::npos) << listed.output;
  MuRun as_json = run_mu("admin list --json " + cfg());
  EXPECT_EQ(as_json.exit_code, 0) << as_json.output;
  EXPECT_NE(as_json.output.find(R"("login":"bob")"), std::string::npos) << as_json.output;

  // The last admin stays.
  MuRun last = run_mu("admin revoke alice " + cfg());
  EXPECT_EQ(last.exit_code, 1) << last.output;
  EXPECT_NE(last.output.find("last admin"), std::string::npos) << last.output;
  EXPECT_EQ(role_of("alice"), "admin");

  ASSERT_EQ(run_mu("admin grant --id 2 " + cfg()).exit_code, 0);  // bob, by id
  MuRun revoked = run_mu("admin revoke github:101 " + cfg());     // alice, by GitHub id
  EXPECT_EQ(revoked.exit_code, 0) << revoked.output;
  EXPECT_EQ(revoked.output, "alice is no longer an admin\n");
  EXPECT_EQ(role_of("alice"), "user");
  EXPECT_EQ(role_of("bob"), "admin");

  // Every change is audited with actor "cli"; the refused revoke is not.
  auto store = open();
  auto log = store->audit_log(10, 0);
  ASSERT_TRUE(log.ok());
  ASSERT_EQ(log->size(), 3u);
  EXPECT_EQ((*log)[0].target.rfind("alice (github:", 0), 0u) << (*log)[0].target;
  EXPECT_EQ((*log)[1].target.rfind("bob (github:", 0), 0u) << (*log)[1].target;
  EXPECT_EQ((*log)[2].target.rfind("alice (github:", 0), 0u) << (*log)[2].target;
  for (const AuditRecord& record : *log) {
    EXPECT_EQ(record.actor, "cli");
    EXPECT_EQ(record.action, "set_role");
  }
}

TEST_F(AdminCliProcessTest, ConfigErrorsExitWithTwo) {
  std::ofstream(config_) << "[storage]\nurl = \"redis://nowhere\"\n";
  MuRun bad = run_mu("admin list " + cfg());
  EXPECT_EQ(bad.exit_code, 2) << bad.output;
  EXPECT_FALSE(fs::exists(db_));
}

}  // namespace
}  // namespace mu
