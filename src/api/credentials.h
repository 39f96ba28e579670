// CredentialsService: the admin console's cookies and proxies for fetching (issue 16).
// A site whose pages need a signed-in cookie (Zhihu, Weibo, Xueqiu, …) gets one here, and a
// board or a site can be sent through a proxy, without editing the config or restarting.
//
// Names: "<site>.cookie" (the secret the site's sources read, as [secrets] in the config;
// the console's value wins), "<site>.proxy" and "<board>.proxy" (the board's wins over its
// site's; both over fetch.proxy). Values are checked (a cookie: name=value pairs joined by
// "; ", printable, no line breaks, at most 8 KiB; a proxy: an http://, https://, socks5:// or
// socks5h:// URL with a host), sealed with the SecretBox (auth/secret_box.h) and stored;
// they are never answered, logged or audited — the console shows the cookie names and the
// proxy's scheme, host and port.
//
// Routes (admin only; Cache-Control: no-store):
//   GET    /api/v1/admin/credentials          {"enabled","reason","credentials":[...],
//                                              "cookie_sites":[site ids that want one]}
//   PUT    /api/v1/admin/credentials/{name}   {"value"} -> 200 the credential (audited)
//   DELETE /api/v1/admin/credentials/{name}   204 (audited); 404 when none
//   POST   /api/v1/admin/boards/{id}/test      fetches the board once now with its current
//                                              credentials, storing nothing: the raw HTTP
//                                              status, bytes, time, the first items, or the
//                                              error with its class and hint (source health)
// Without a SecretBox (no storage.secrets_key) the list says why and writes answer 503.
//
// Thread-safety: handlers are safe to run concurrently.
#pragma once

#include <boost/json/object.hpp>

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "api/accounts.h"
#include "auth/secret_box.h"
#include "core/clock.h"
#include "core/types.h"
#include "http/router.h"
#include "store/store.h"

namespace mu {

// One test fetch of a board (what the tester passed to CredentialsService returns).
struct BoardTest {
  Status status;  // ok, or the fetch/parse error
  int http_status = 0;
  int64_t bytes = 0;
  int64_t elapsed_ms = 0;
  std::vector<Item> items;
  bool with_cookie = false;  // the fetch carried a cookie of the console
  bool with_proxy = false;   // and went through a proxy of the console
};
// Runs a board once (blocking; called on the server's blocking pool). kNotFound for an
// unknown board.
using BoardTester = std::function<Result<BoardTest>(const std::string& board)>;

class CredentialsService {
 public:
  static constexpr std::size_t kMaxCookieBytes = 8 * 1024;
  static constexpr std::size_t kMaxProxyBytes = 1024;

  // `box` may be null (credentials off; `why_disabled` says why). `changed` (may be empty)
  // runs after every successful write, so the process's fetchers see it at once.
  CredentialsService(const std::vector<Site>& sites, const std::vector<BoardMeta>& boards,
                     OverrideStore& store, AccountStore& audit, AccountsService& accounts,
                     const SecretBox* box, std::string why_disabled, const Clock& clock,
                     std::function<void()> changed = {}, BoardTester tester = {});

  void register_routes(Router& router);

  // The problem with `value` for credential `name`, or "" when it may be stored; also
  // names an unknown site or board.
  std::string check(const std::string& name, const std::string& value) const;
  // What the console shows instead of the value: cookie names, the proxy's scheme://host:port.
  static std::string summary(const std::string& name, const std::string& value);

 private:
  Response list(const Request& req) const;
  Response put(const Request& req);
  Response remove(const Request& req);
  Response test(const Request& req) const;
  boost::json::object credential_json(const CredentialRecord& record) const;

  std::set<std::string> sites_;
  std::set<std::string> boards_;
  std::vector<std::string> cookie_sites_;
  OverrideStore& store_;
  AccountStore& audit_;
  AccountsService& accounts_;
  const SecretBox* box_;
  const std::string why_disabled_;
  const Clock& clock_;
  std::function<void()> changed_;
  BoardTester tester_;
  std::map<std::string, bool> needs_cookie_;  // board -> its source wants a cookie
};

}  // namespace mu
