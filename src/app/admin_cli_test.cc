#include "app/admin_cli.h"

#include "auth/crypto.h"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

#include <memory>
#include <string>

#include "store/sqlite/sqlite_store.h"

namespace mu {
namespace {

namespace json = boost::json;

class AdminCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = open_sqlite_store(":memory:");
    ASSERT_TRUE(store.ok()) << store.status().to_string();
    store_ = std::move(store).value();
    ASSERT_TRUE(store_->migrate().ok());
  }
  void sign_in(const std::string& login, const std::string& provider_id) {
    ASSERT_TRUE(store_->upsert_user("github", provider_id, login, login + " L.", "", 1000).ok());
  }
  std::string role_of(const std::string& login) {
    auto user = store_->user_by_login(login);
    EXPECT_TRUE(user.ok() && user->has_value()) << login;
    return user.ok() && user->has_value() ? (*user)->role : "";
  }
  std::vector<AuditRecord> audit() {
    auto log = store_->audit_log(100, 0);
    EXPECT_TRUE(log.ok());
    return log.ok() ? *log : std::vector<AuditRecord>{};
  }

  std::unique_ptr<Store> store_;
};

TEST_F(AdminCliTest, GrantNeedsAUserWhoSignedIn) {
  auto granted = admin_grant(*store_, "alice", 5000);
  ASSERT_FALSE(granted.ok());
  EXPECT_EQ(granted.status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(granted.status().message(),
            "alice has not signed in yet; they must sign in once (or list them in auth.admins)");
  EXPECT_EQ(admin_grant(*store_, "", 5000).status().code(), ErrorCode::kInvalid);
  EXPECT_EQ(admin_grant(*store_, "github:", 5000).status().code(), ErrorCode::kInvalid);
  EXPECT_EQ(admin_grant(*store_, "id:7", 5000).status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(admin_revoke(*store_, "alice", {}, 5000).status().code(), ErrorCode::kNotFound);
  EXPECT_TRUE(audit().empty());
}

TEST_F(AdminCliTest, GrantMakesAnAdminAndAuditsOnce) {
  sign_in("alice", "1");
  auto granted = admin_grant(*store_, "alice", 5000);
  ASSERT_TRUE(granted.ok()) << granted.status().to_string();
  EXPECT_EQ(*granted, "alice is now an admin\n");
  EXPECT_EQ(role_of("alice"), "admin");
  auto log = audit();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].actor, "cli");
  EXPECT_EQ(log[0].action, "set_role");
  EXPECT_EQ(log[0].target, "alice (github:1)");
  EXPECT_EQ(log[0].at_ms, 5000);
  EXPECT_EQ(json::parse(log[0].detail), json::parse(R"({"role":"admin","was":"user"})"));

  // Again: nothing changes, nothing is audited.
  auto again = admin_grant(*store_, "alice", 6000);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, "alice is already an admin\n");
  EXPECT_EQ(audit().size(), 1u);
}

TEST_F(AdminCliTest, RevokeRefusesTheLastAdmin) {
  sign_in("alice", "1");
  sign_in("bob", "2");
  ASSERT_TRUE(admin_grant(*store_, "alice", 5000).ok());
  auto refused = admin_revoke(*store_, "alice", {}, 6000);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), ErrorCode::kConflict);
  EXPECT_NE(refused.status().message().find("last admin"), std::string::npos);
  EXPECT_EQ(role_of("alice"), "admin");
  EXPECT_EQ(audit().size(), 1u);

  // A plain user: nothing to revoke.
  auto plain = admin_revoke(*store_, "bob", {}, 6000);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(*plain, "bob is not an admin\n");

  // With a second admin, the first can go.
  ASSERT_TRUE(admin_grant(*store_, "bob", 7000).ok());
  auto revoked = admin_revoke(*store_, "alice", {}, 8000);
  ASSERT_TRUE(revoked.ok()) << revoked.status().to_string();
  EXPECT_EQ(*revoked, "alice is no longer an admin\n");
  EXPECT_EQ(role_of("alice"), "user");
  auto log = audit();
  ASSERT_EQ(log.size(), 3u);
  EXPECT_EQ(log[0].actor, "cli");
  EXPECT_EQ(log[0].target, "alice (github:1)");
  EXPECT_EQ(json::parse(log[0].detail), json::parse(R"({"role":"user","was":"admin"})"));
}

TEST_F(AdminCliTest, RevokeWarnsAboutConfiguredAdmins) {
  sign_in("alice", "1");
  sign_in("bob", "2");
  ASSERT_TRUE(admin_grant(*store_, "alice", 5000).ok());
  ASSERT_TRUE(admin_grant(*store_, "bob", 5000).ok());
  auto revoked = admin_revoke(*store_, "bob", {"carol", "bob"}, 6000);
  ASSERT_TRUE(revoked.ok());
  EXPECT_NE(revoked->find("bob is no longer an admin\n"), std::string::npos);
  EXPECT_NE(revoked->find("listed in auth.admins"), std::string::npos);
  auto quiet = admin_revoke(*store_, "bob", {"carol"}, 6000);
  ASSERT_TRUE(quiet.ok());
  EXPECT_EQ(*quiet, "bob is not an admin\n");
}

// Issue 17 item 4: `mu admin grant local-admin` promoted whichever user with that login
// signed in last — a GitHub account could take the local admin's name.
TEST_F(AdminCliTest, AmbiguousLoginsAreRefusedAndIdsOrProviderIdsNameOneUser) {
  sign_in("sam", "1");
  ASSERT_TRUE(store_->upsert_user("gitlab", "9", "sam", "", "", 2000).ok());
  auto ambiguous = admin_grant(*store_, "sam", 5000);
  ASSERT_FALSE(ambiguous.ok());
  EXPECT_EQ(ambiguous.status().code(), ErrorCode::kConflict);
  EXPECT_NE(ambiguous.status().message().find("id:1  sam (github:1)"), std::string::npos)
      << ambiguous.status().message();
  EXPECT_NE(ambiguous.status().message().find("id:2  sam (gitlab:9)"), std::string::npos);
  EXPECT_TRUE(audit().empty());

  auto by_provider = admin_grant(*store_, "gitlab:9", 5000);
  ASSERT_TRUE(by_provider.ok()) << by_provider.status().to_string();
  EXPECT_EQ((*store_->user_by_id(2))->role, "admin");
  EXPECT_EQ((*store_->user_by_id(1))->role, "user");
  auto by_id = admin_grant(*store_, "id:1", 5000);
  ASSERT_TRUE(by_id.ok());
  EXPECT_EQ((*store_->user_by_id(1))->role, "admin");
  EXPECT_EQ(audit().front().target, "sam (github:1)");
}

TEST_F(AdminCliTest, TheReservedLoginIsTheLocalAdminOnly) {
  sign_in("local-admin", "666");  // a GitHub account that took the name
  auto impostor = admin_grant(*store_, "local-admin", 5000);
  EXPECT_EQ(impostor.status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(store_->count_admins().value(), 0);
  ASSERT_TRUE(store_->upsert_user("local", "admin", "local-admin", "Local admin", "", 900).ok());
  ASSERT_TRUE(admin_grant(*store_, "local-admin", 5000).ok());
  ASSERT_TRUE(admin_grant(*store_, "github:666", 5000).ok());
  // Revoking "local-admin" touches the local admin, not the GitHub account.
  auto revoked = admin_revoke(*store_, "local-admin", {"local-admin"}, 6000);
  ASSERT_TRUE(revoked.ok()) << revoked.status().to_string();
  EXPECT_EQ(*revoked, "local-admin is no longer an admin\n");
  EXPECT_EQ((*store_->user_by_id(2))->role, "user");
  EXPECT_EQ((*store_->user_by_id(1))->role, "admin");
}

TEST_F(AdminCliTest, ListShowsEveryUserWithTheirRole) {
  auto empty = admin_list(*store_, false);
  ASSERT_TRUE(empty.ok());
  EXPECT_NE(empty->find("0 users, 0 admins"), std::string::npos) << *empty;

  sign_in("alice", "1");
  sign_in("a-much-longer-login", "2");
  ASSERT_TRUE(admin_grant(*store_, "alice", 5000).ok());
  auto table = admin_list(*store_, false);
  ASSERT_TRUE(table.ok());
  EXPECT_EQ(*table,
            "ID     LOGIN               ROLE   PROVIDER  LAST SIGN-IN\n"
            "1      alice               admin  github    1970-01-01 00:00:01Z\n"
            "2      a-much-longer-login user   github    1970-01-01 00:00:01Z\n"
            "2 users, 1 admin\n");

  auto listed = admin_list(*store_, true);
  ASSERT_TRUE(listed.ok());
  const json::value users = json::parse(*listed);
  ASSERT_EQ(users.as_array().size(), 2u);
  EXPECT_EQ(users.at(0).at("login"), "alice");
  EXPECT_EQ(users.at(0).at("role"), "admin");
  EXPECT_EQ(users.at(0).at("name"), "alice L.");
  EXPECT_EQ(users.at(0).at("last_login_ms"), 1000);
  EXPECT_EQ(users.at(1).at("role"), "user");
}

TEST_F(AdminCliTest, LinkLeavesAOneUseRecordOfItsTokenInTheStore) {
  auto out = admin_link(*store_, "https://mu.example", std::chrono::hours(1), 5000);
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  const std::string prefix = "https://mu.example/auth/local?token=";
  ASSERT_EQ(out->rfind(prefix, 0), 0u) << *out;
  const std::string token = out->substr(prefix.size(), out->find('\n') - prefix.size());
  EXPECT_GE(token.size(), 40u);
  EXPECT_NE(out->find("1970-01-01 01:00:05Z"), std::string::npos) << *out;  // 5 s + 1 h
  auto record = store_->take_login_state(sha256_hex(token), 6000);
  ASSERT_TRUE(record.ok());
  ASSERT_TRUE(record->has_value());
  EXPECT_EQ((*record)->code_verifier, kLocalAdminLinkVerifier);
  EXPECT_EQ((*record)->expires_ms, 5000 + 3'600'000);
  auto log = store_->audit_log(10, 0);
  ASSERT_TRUE(log.ok() && !log->empty());
  EXPECT_EQ(log->front().action, "admin_link");
  EXPECT_EQ(log->front().actor, "cli");
  EXPECT_EQ(admin_link(*store_, "x", std::chrono::seconds(0), 1).status().code(),
            ErrorCode::kInvalid);
}

}  // namespace
}  // namespace mu
