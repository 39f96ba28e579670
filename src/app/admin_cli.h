// `mu admin grant|revoke|list`: who may use the admin console, changed from the command
// line on the database the config names (the way to appoint the first admin without the
// one-time local link, or to recover when every admin is locked out). Each function works
// on the accounts of an open, migrated store and returns the text to print; main.cc maps errors to
// exit codes. Roles can only be given to users who signed in once (a user row exists). Every change
// appends a "set_role" audit record with actor "cli". Plain functions; as safe for concurrent use
// as the store (the last-admin check and the change are two calls, like the admin API's).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "store/store.h"

namespace mu {

// The audit actor of changes made with `mu admin`.
inline constexpr std::string_view kCliActor = "cli";

// How `mu admin grant|revoke` name a user (logins are not unique: the same login may
// exist on two providers, or twice after a rename). `who` is one of:
//   id:<n>                  Mu's user id (the ID column of `mu admin list`; also --id <n>)
//   <provider>:<provider id> e.g. github:583231 (the provider's stable id) or local:admin
//   <login>                 only when exactly one user has that login; several: kConflict
//                           naming each one's id:<n> form. The reserved login
//                           "local-admin" always means the local admin (local:admin), never
//                           a provider account that took the same name.
// kInvalid for an empty or malformed reference; kNotFound ("<who> has not signed in yet;
// ...") when no user matches.
Result<User> resolve_user(AccountStore& store, const std::string& who);

// Makes the user `who` names (see resolve_user) an admin. Already an admin: nothing changes
// (no audit). The audit target is describe_user() ("alice (github:1)").
Result<std::string> admin_grant(AccountStore& store, const std::string& who, int64_t now_ms);

// Makes the user `who` names a plain user again. Errors as admin_grant; kConflict when it
// is the last admin. Not an admin: nothing changes. When the user's login is listed in
// auth.admins (`configured_admins`) the text warns that the next sign-in makes it an admin
// again.
Result<std::string> admin_revoke(AccountStore& store, const std::string& who,
                                 const std::vector<std::string>& configured_admins, int64_t now_ms);

// `mu admin link`: a fresh one-time sign-in link for the local admin, the way back into the
// console for whoever runs the server (after the only admin signed out, or when no GitHub
// sign-in is set up). The token's SHA-256 is kept in the store as a sign-in in progress
// (code_verifier kLocalAdminLinkVerifier) that expires after `ttl`; GET /auth/local?token=
// on any mu serve / mu api of this database takes it once, whether admins exist or not.
// Returns the text to print: "<origin>/auth/local?token=..." and when it expires. Audited
// as "admin_link" by "cli".
Result<std::string> admin_link(AccountStore& store, const std::string& origin,
                               std::chrono::seconds ttl, int64_t now_ms);

// Every user: a table (id, login, role, provider, last sign-in in UTC) and a count line, or
// a JSON array of {id, login, name, role, provider, provider_id, created_ms, last_login_ms}.
Result<std::string> admin_list(AccountStore& store, bool as_json);

}  // namespace mu
