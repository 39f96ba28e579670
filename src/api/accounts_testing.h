// A test fixture for services that sit behind AccountsService::require (quotas, credentials):
// a SQLite store in a temporary file, an AccountsService with no network, and sessions made
// straight in the store (sign_in) so a test can act as a user or an admin without the
// GitHub round trip (accounts_test.cc covers that).
#pragma once

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <memory>
#include <string>

#include "api/accounts.h"
#include "auth/crypto.h"
#include "auth/oauth_state.h"
#include "core/clock.h"
#include "store/sqlite/sqlite_store.h"

namespace mu::accounts_testing {

class NoNetworkTransport final : public Transport {
 public:
  Result<HttpResponse> fetch(const HttpRequest&) override {
    return error(ErrorCode::kNetwork, "no network in this test");
  }
};

inline boost::json::value body_json(const Response& r) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(r.body_view(), ec);
  EXPECT_FALSE(ec) << r.body_view();
  return v;
}

// A live session: the cookie's token and its CSRF token.
struct SignedIn {
  std::string token;
  std::string csrf;
};

class AccountsFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = std::filesystem::temp_directory_path() /
            ("mu_accounts_fixture_" + random_token(9) + ".sqlite");
    auto s = open_sqlite_store(path_.string());
    ASSERT_TRUE(s.ok()) << s.status().to_string();
    store_ = std::move(s).value();
    ASSERT_TRUE(store_->migrate().ok());
    AccountsOptions ao;
    ao.secure_cookies = false;
    ao.self_origin = "http://mu.test";
    accounts_ = std::make_unique<AccountsService>(*store_, states_, transport_, clock_, ao);
  }

  void TearDown() override {
    accounts_.reset();
    store_.reset();
    std::error_code ec;
    for (const char* suffix : {"", "-wal", "-shm"}) {
      std::filesystem::remove(path_.string() + suffix, ec);
    }
  }

  // A user (an admin when `admin`) with a session made in the store.
  SignedIn sign_in(const std::string& login, bool admin = false) {
    auto user = store_->upsert_user("github", "id-" + login, login, "", "", clock_.now_ms());
    EXPECT_TRUE(user.ok());
    if (user.ok() && admin) {
      EXPECT_TRUE(store_->set_role(user->id, std::string(kRoleAdmin)).ok());
    }
    SignedIn who{random_token(16), random_token(8)};
    if (user.ok()) {
      EXPECT_TRUE(store_
                      ->create_session(sha256_hex(who.token), user->id, who.csrf, clock_.now_ms(),
                                       clock_.now_ms() + 3'600'000, "")
                      .ok());
    }
    return who;
  }

  // A request from 203.0.113.1, with `who`'s session cookie and CSRF header when given.
  static Request request(HttpMethod method, const std::string& target,
                         const SignedIn* who = nullptr, std::string body = "") {
    Request r;
    r.method = method;
    r.method_token = std::string(http_method_name(method));
    EXPECT_TRUE(r.set_target(target).ok()) << target;
    r.remote_address = "203.0.113.1";
    if (who != nullptr) {
      r.headers.set("Cookie", "mu_session=" + who->token);
      r.headers.set("X-CSRF-Token", who->csrf);
    }
    r.body = std::move(body);
    return r;
  }

  FakeClock clock_;
  std::filesystem::path path_;
  std::unique_ptr<Store> store_;
  OAuthStateStore states_{clock_};
  NoNetworkTransport transport_;
  std::unique_ptr<AccountsService> accounts_;
};

}  // namespace mu::accounts_testing
