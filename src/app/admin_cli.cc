#include "app/admin_cli.h"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <ctime>
#include <optional>

#include "auth/crypto.h"

namespace mu {
namespace {

namespace json = boost::json;

Status not_signed_in(const std::string& who) {
  return error(ErrorCode::kNotFound,
               who +
                   " has not signed in yet; they must sign in once (or list them in "
                   "auth.admins)");
}

Status set_role_audited(AccountStore& store, const User& user, std::string_view role,
                        int64_t now_ms) {
  MU_RETURN_IF_ERROR(store.set_role(user.id, std::string(role)));
  AuditRecord audit;
  audit.at_ms = now_ms;
  audit.actor = std::string(kCliActor);
  audit.action = "set_role";
  audit.target = describe_user(user);
  audit.detail = json::serialize(json::object{{"role", role}, {"was", user.role}});
  return store.append_audit(audit).status();
}

// "2026-01-01 08:00:00Z"; "-" for 0.
std::string utc_text(int64_t ms) {
  if (ms <= 0) return "-";
  const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  if (gmtime_r(&seconds, &tm) == nullptr) return "-";
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%SZ", &tm);
  return buf;
}

}  // namespace

Result<User> resolve_user(AccountStore& store, const std::string& who) {
  if (who.empty()) return error(ErrorCode::kInvalid, "name a user: id:<n>, github:<id> or a login");
  MU_ASSIGN_OR_RETURN(std::vector<User> users, store.list_users());
  const std::size_t colon = who.find(':');
  if (colon != std::string::npos) {
    const std::string kind = who.substr(0, colon);
    const std::string value = who.substr(colon + 1);
    if (kind.empty() || value.empty()) {
      return error(ErrorCode::kInvalid, "'" + who + "': expected id:<n> or <provider>:<id>");
    }
    for (const User& u : users) {
      if (kind == "id" ? std::to_string(u.id) == value
                       : u.provider == kind && u.provider_id == value) {
        return u;
      }
    }
    return not_signed_in(who);
  }
  // A bare login. The reserved one is the local admin's, whoever else took it.
  std::vector<const User*> matches;
  for (const User& u : users) {
    if (u.login != who) continue;
    if (who == kLocalAdminLogin && u.provider != kLocalProvider) continue;
    matches.push_back(&u);
  }
  if (matches.empty()) return not_signed_in(who);
  if (matches.size() > 1) {
    std::string names;
    for (const User* u : matches) {
      names += "\n  id:" + std::to_string(u->id) + "  " + describe_user(*u);
    }
    return error(ErrorCode::kConflict, std::to_string(matches.size()) + " users have the login " +
                                           who +
                                           "; name one by id (mu admin list shows them):" + names);
  }
  return *matches.front();
}

Result<std::string> admin_grant(AccountStore& store, const std::string& who, int64_t now_ms) {
  MU_ASSIGN_OR_RETURN(User user, resolve_user(store, who));
  if (user.role == kRoleAdmin) return user.login + " is already an admin\n";
  MU_RETURN_IF_ERROR(set_role_audited(store, user, kRoleAdmin, now_ms));
  return user.login + " is now an admin\n";
}

Result<std::string> admin_revoke(AccountStore& store, const std::string& who,
                                 const std::vector<std::string>& configured_admins,
                                 int64_t now_ms) {
  MU_ASSIGN_OR_RETURN(User user, resolve_user(store, who));
  const std::string& login = user.login;
  const bool configured = user.provider != kLocalProvider &&
                          std::find(configured_admins.begin(), configured_admins.end(), login) !=
                              configured_admins.end();
  const std::string note = configured ? "note: " + login +
                                            " is listed in auth.admins and becomes an admin "
                                            "again at the next sign-in; remove them there too\n"
                                      : "";
  if (user.role != kRoleAdmin) return login + " is not an admin\n" + note;
  MU_ASSIGN_OR_RETURN(int64_t admins, store.count_admins());
  if (admins <= 1) {
    return error(ErrorCode::kConflict, "refusing to revoke " + login +
                                           ": they are the last admin (grant another admin "
                                           "first)");
  }
  MU_RETURN_IF_ERROR(set_role_audited(store, user, kRoleUser, now_ms));
  return login + " is no longer an admin\n" + note;
}

Result<std::string> admin_link(AccountStore& store, const std::string& origin,
                               std::chrono::seconds ttl, int64_t now_ms) {
  if (ttl.count() <= 0) return error(ErrorCode::kInvalid, "--ttl: must be positive");
  const std::string token = random_token();
  const int64_t expires_ms =
      now_ms + std::chrono::duration_cast<std::chrono::milliseconds>(ttl).count();
  // At most a few links pending at once: an older one goes when a sixth is made.
  MU_RETURN_IF_ERROR(store.put_login_state(sha256_hex(token), std::string(kLocalAdminLinkVerifier),
                                           "/admin", expires_ms,
                                           LoginStateLimits{"mu-admin-link", 5, 0}));
  AuditRecord audit;
  audit.at_ms = now_ms;
  audit.actor = std::string(kCliActor);
  audit.action = "admin_link";
  audit.target = "local-admin";
  MU_RETURN_IF_ERROR(store.append_audit(audit).status());
  std::string out = origin + "/auth/local?token=" + token + "\n";
  out += "A one-time sign-in link for the local admin; it works once, until " +
         utc_text(expires_ms) + ".\n";
  return out;
}

Result<std::string> admin_list(AccountStore& store, bool as_json) {
  MU_ASSIGN_OR_RETURN(std::vector<User> users, store.list_users());
  if (as_json) {
    json::array out;
    for (const User& u : users) {
      out.push_back(json::object{{"id", u.id},
                                 {"login", u.login},
                                 {"name", u.name},
                                 {"role", u.role},
                                 {"provider", u.provider},
                                 {"provider_id", u.provider_id},
                                 {"created_ms", u.created_ms},
                                 {"last_login_ms", u.last_login_ms}});
    }
    return json::serialize(out) + "\n";
  }
  std::size_t width = 5;  // "LOGIN"
  for (const User& u : users) width = std::max(width, u.login.size());
  const auto row = [&](std::string id, std::string login, std::string role, std::string provider,
                       std::string last) {
    id.resize(std::max<std::size_t>(id.size(), 6), ' ');
    login.resize(width, ' ');
    role.resize(std::max<std::size_t>(role.size(), 6), ' ');
    provider.resize(std::max<std::size_t>(provider.size(), 9), ' ');
    return id + ' ' + login + ' ' + role + ' ' + provider + ' ' + last + '\n';
  };
  std::string out = row("ID", "LOGIN", "ROLE", "PROVIDER", "LAST SIGN-IN");
  int64_t admins = 0;
  for (const User& u : users) {
    if (u.role == kRoleAdmin) ++admins;
    out += row(std::to_string(u.id), u.login, u.role, u.provider, utc_text(u.last_login_ms));
  }
  out += std::to_string(users.size()) + (users.size() == 1 ? " user, " : " users, ") +
         std::to_string(admins) + (admins == 1 ? " admin\n" : " admins\n");
  return out;
}

}  // namespace mu
