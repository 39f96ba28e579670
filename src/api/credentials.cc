#include "api/credentials.h"

#include <spdlog/spdlog.h>

#include <boost/json.hpp>

#include "api/handler_util.h"
#include "api/source_health.h"
#include "core/utf8.h"

namespace mu {
namespace json = boost::json;
using handler::err;
using handler::json_ok;

namespace {

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() > suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool is_token_char(char c) {
  const auto u = static_cast<unsigned char>(c);
  return std::isalnum(u) != 0 ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// The cookie's pairs ("a=1; b=2"), or an error message.
std::string cookie_problem(std::string_view value, std::vector<std::string>* names) {
  if (value.empty()) return "the cookie is empty";
  if (value.size() > CredentialsService::kMaxCookieBytes) return "the cookie is over 8 KiB";
  if (find_invalid_utf8(value)) return "the cookie is not UTF-8 text";
  for (const unsigned char c : value) {
    if (c == '\r' || c == '\n') return "the cookie contains a line break";
    if (c < 0x20 && c != '\t') return "the cookie contains a control character";
    if (c == 0x7f) return "the cookie contains a control character";
  }
  std::string_view rest = value;
  int pairs = 0;
  while (!rest.empty()) {
    const auto semi = rest.find(';');
    const std::string_view part = trim(rest.substr(0, semi));
    rest = semi == std::string_view::npos ? std::string_view() : rest.substr(semi + 1);
    if (part.empty()) continue;
    const auto eq = part.find('=');
    const std::string_view name = trim(part.substr(0, eq));
    if (eq == std::string_view::npos || name.empty() ||
        !std::all_of(name.begin(), name.end(), is_token_char)) {
      return "each part of the cookie must be name=value (as copied from the browser's "
             "Cookie header)";
    }
    if (names != nullptr) names->emplace_back(name);
    ++pairs;
  }
  return pairs == 0 ? "the cookie has no name=value pair" : "";
}

std::string proxy_problem(std::string_view value, std::string* shown) {
  if (value.size() > CredentialsService::kMaxProxyBytes) return "the proxy URL is over 1 KiB";
  std::string_view scheme;
  for (std::string_view s : {"http://", "https://", "socks5://", "socks5h://"}) {
    if (value.substr(0, s.size()) == s) scheme = s;
  }
  if (scheme.empty()) return "the proxy must start with http://, https://, socks5:// or socks5h://";
  for (const unsigned char c : value) {
    if (c <= 0x20 || c == 0x7f) return "the proxy URL contains a space or control character";
  }
  std::string_view rest = value.substr(scheme.size());
  rest = rest.substr(0, rest.find_first_of("/?#"));
  if (const auto at = rest.rfind('@'); at != std::string_view::npos) rest = rest.substr(at + 1);
  if (rest.empty() || rest.front() == ':') return "the proxy URL has no host";
  if (shown != nullptr) *shown = std::string(scheme) + std::string(rest);
  return "";
}

}  // namespace

CredentialsService::CredentialsService(const std::vector<Site>& sites,
                                       const std::vector<BoardMeta>& boards, OverrideStore& store,
                                       AccountStore& audit, AccountsService& accounts,
                                       const SecretBox* box, std::string why_disabled,
                                       const Clock& clock, std::function<void()> changed,
                                       BoardTester tester)
    : store_(store),
      audit_(audit),
      accounts_(accounts),
      box_(box),
      why_disabled_(std::move(why_disabled)),
      clock_(clock),
      changed_(std::move(changed)),
      tester_(std::move(tester)) {
  for (const Site& s : sites) sites_.insert(s.id);
  std::set<std::string> wanting;
  for (const BoardMeta& b : boards) {
    boards_.insert(b.id);
    needs_cookie_[b.id] = b.needs_cookie;
    if (b.needs_cookie) wanting.insert(b.site);
  }
  cookie_sites_.assign(wanting.begin(), wanting.end());
}

std::string CredentialsService::check(const std::string& name, const std::string& value) const {
  if (ends_with(name, ".cookie")) {
    const std::string site = name.substr(0, name.size() - 7);
    if (!sites_.count(site)) return "no site '" + site + "' (a cookie is named <site>.cookie)";
    return cookie_problem(value, nullptr);
  }
  if (ends_with(name, ".proxy")) {
    const std::string target = name.substr(0, name.size() - 6);
    if (!sites_.count(target) && !boards_.count(target)) {
      return "no site or board '" + target + "' (a proxy is named <site>.proxy or <board>.proxy)";
    }
    return proxy_problem(value, nullptr);
  }
  return "a credential is named <site>.cookie, <site>.proxy or <board>.proxy";
}

std::string CredentialsService::summary(const std::string& name, const std::string& value) {
  if (ends_with(name, ".cookie")) {
    std::vector<std::string> names;
    cookie_problem(value, &names);
    std::string out;
    for (const std::string& n : names) {
      if (!out.empty()) out += ", ";
      out += n;
    }
    return out;
  }
  std::string shown;
  proxy_problem(value, &shown);
  return shown;
}

json::object CredentialsService::credential_json(const CredentialRecord& r) const {
  json::object o{{"name", r.name},
                 {"kind", ends_with(r.name, ".cookie") ? "cookie" : "proxy"},
                 {"target", r.name.substr(0, r.name.rfind('.'))},
                 {"updated_at", handler::time_or_null(r.updated_ms)},
                 {"updated_by", r.updated_by}};
  if (box_ != nullptr) {
    auto value = box_->open(r.name, r.sealed);
    o["readable"] = value.ok();
    o["summary"] = value.ok() ? summary(r.name, *value) : std::string();
  } else {
    o["readable"] = false;
    o["summary"] = "";
  }
  return o;
}

void CredentialsService::register_routes(Router& router) {
  router.add(HttpMethod::kGet, "/api/v1/admin/credentials",
             [this](const Request& r) { return list(r); });
  router.add(HttpMethod::kPut, "/api/v1/admin/credentials/{name}",
             [this](const Request& r) { return put(r); });
  router.add(HttpMethod::kDelete, "/api/v1/admin/credentials/{name}",
             [this](const Request& r) { return remove(r); });
  router.add(HttpMethod::kPost, "/api/v1/admin/boards/{id}/test",
             [this](const Request& r) { return defer_response([this, r] { return test(r); }); });
}

Response CredentialsService::list(const Request& req) const {
  AccountsService::Authed a;
  if (auto r = accounts_.require(req, false, true, a)) return std::move(*r);
  auto stored = store_.credentials();
  if (!stored.ok()) return handler::internal("credentials", "list", stored.status());
  json::array arr;
  for (const CredentialRecord& c : *stored) arr.push_back(credential_json(c));
  json::array sites;
  for (const std::string& s : cookie_sites_) sites.push_back(json::value(s));
  return json_ok(200, json::object{{"enabled", box_ != nullptr},
                                   {"reason", box_ != nullptr ? std::string() : why_disabled_},
                                   {"credentials", std::move(arr)},
                                   {"cookie_sites", std::move(sites)}});
}

Response CredentialsService::put(const Request& req) {
  AccountsService::Authed a;
  if (auto r = accounts_.require(req, true, true, a)) return std::move(*r);
  if (box_ == nullptr) return err(503, "unavailable", why_disabled_);
  const std::string name(req.param("name"));
  auto body = handler::parse_object(req.body);
  if (!body) return err(400, "invalid", "body must be a JSON object {\"value\": \"...\"}");
  auto value = handler::string_member(*body, "value");
  if (!value) return err(400, "invalid", "value must be a string");
  if (std::string problem = check(name, *value); !problem.empty()) {
    return err(400, "invalid", problem);
  }
  CredentialRecord record{name, box_->seal(name, *value), clock_.now_ms(), a.user.login};
  if (record.sealed.empty()) {
    return err(500, "internal", "the credential could not be sealed");
  }
  if (Status s = store_.put_credential(record); !s.ok()) {
    return handler::internal("credentials", "put", s);
  }
  handler::audit(audit_, record.updated_ms, a.user.login, "credential.set", name);  // not the value
  spdlog::info("credentials: {} set {}", a.user.login, name);
  if (changed_) changed_();
  return json_ok(200, credential_json(record));
}

Response CredentialsService::remove(const Request& req) {
  AccountsService::Authed a;
  if (auto r = accounts_.require(req, true, true, a)) return std::move(*r);
  const std::string name(req.param("name"));
  auto removed = store_.delete_credential(name);
  if (!removed.ok()) return handler::internal("credentials", "delete", removed.status());
  if (!*removed) return err(404, "not-found", "no credential named " + name);
  handler::audit(audit_, clock_.now_ms(), a.user.login, "credential.delete", name);
  spdlog::info("credentials: {} removed {}", a.user.login, name);
  if (changed_) changed_();
  return handler::empty(204);
}

Response CredentialsService::test(const Request& req) const {
  AccountsService::Authed a;
  if (auto r = accounts_.require(req, true, true, a)) return std::move(*r);
  const std::string board(req.param("id"));
  if (!boards_.count(board)) return err(404, "not-found", "no board " + board);
  if (!tester_) return err(503, "unavailable", "this instance cannot run test fetches");
  auto result = tester_(board);
  if (!result.ok()) return handler::internal("credentials", "test " + board, result.status());
  const BoardTest& t = *result;
  json::array items;
  for (std::size_t i = 0; i < t.items.size() && i < 10; ++i) {
    items.push_back(json::object{{"rank", static_cast<int64_t>(i + 1)},
                                 {"title", t.items[i].title},
                                 {"url", t.items[i].url}});
  }
  json::value failure = nullptr;
  if (!t.status.ok()) {
    const std::string code(error_code_name(t.status.code()));
    const auto it = needs_cookie_.find(board);
    const FailureClass c =
        classify_failure(code, t.status.message(), it != needs_cookie_.end() && it->second);
    failure = json::object{{"code", code},
                           {"message", t.status.message()},
                           {"class", std::string(c.id)},
                           {"hint", std::string(c.hint)}};
  }
  spdlog::info("credentials: {} test-fetched {}: {}", a.user.login, board,
               t.status.ok() ? std::to_string(t.items.size()) + " items" : t.status.to_string());
  return json_ok(200, json::object{{"board", board},
                                   {"ok", t.status.ok()},
                                   {"http_status", t.http_status},
                                   {"bytes", t.bytes},
                                   {"elapsed_ms", t.elapsed_ms},
                                   {"item_count", static_cast<int64_t>(t.items.size())},
                                   {"items", std::move(items)},
                                   {"error", std::move(failure)},
                                   {"with_cookie", t.with_cookie},
                                   {"with_proxy", t.with_proxy}});
}

}  // namespace mu
