#include "app/admin_cli.h"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <ctime>
#include <optional>

namespace mu {
namespace {

namespace json = boost::json;

Result<User> signed_in_user(Store& store, const std::string& login) {
  if (login.empty()) return error(ErrorCode::kInvalid, "a login is required");
  MU_ASSIGN_OR_RETURN(std::optional<User> user, store.user_by_login(login));
  if (!user) {
    return error(ErrorCode::kNotFound,
                 login +
                     " has not signed in yet; they must sign in once (or list them in "
                     "auth.admins)");
  }
  return *std::move(user);
}

Status set_role_audited(Store& store, const User& user, std::string_view role, int64_t now_ms) {
  MU_RETURN_IF_ERROR(store.set_role(user.login, std::string(role)));
  AuditRecord audit;
  audit.at_ms = now_ms;
  audit.actor = std::string(kCliActor);
  audit.action = "set_role";
  audit.target = user.login;
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

Result<std::string> admin_grant(Store& store, const std::string& login, int64_t now_ms) {
  MU_ASSIGN_OR_RETURN(User user, signed_in_user(store, login));
  if (user.role == kRoleAdmin) return login + " is already an admin\n";
  MU_RETURN_IF_ERROR(set_role_audited(store, user, kRoleAdmin, now_ms));
  return login + " is now an admin\n";
}

Result<std::string> admin_revoke(Store& store, const std::string& login,
                                 const std::vector<std::string>& configured_admins,
                                 int64_t now_ms) {
  MU_ASSIGN_OR_RETURN(User user, signed_in_user(store, login));
  const bool configured = std::find(configured_admins.begin(), configured_admins.end(), login) !=
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

Result<std::string> admin_list(Store& store, bool as_json) {
  MU_ASSIGN_OR_RETURN(std::vector<User> users, store.list_users());
  if (as_json) {
    json::array out;
    for (const User& u : users) {
      out.push_back(json::object{{"id", u.id},
                                 {"login", u.login},
                                 {"name", u.name},
                                 {"role", u.role},
                                 {"provider", u.provider},
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
