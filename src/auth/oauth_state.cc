#include "auth/oauth_state.h"

#include "auth/crypto.h"
#include "auth/pkce.h"

namespace mu {

bool is_safe_return_to(std::string_view path) {
  if (path.empty() || path.size() > kMaxReturnToBytes) return false;
  if (path[0] != '/') return false;
  if (path.size() > 1 && (path[1] == '/' || path[1] == '\\')) return false;
  for (char ch : path) {
    const auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c == 0x7f || c == '\\') return false;
  }
  return true;
}

OAuthStateStore::OAuthStateStore(const Clock& clock) : OAuthStateStore(clock, Options{}) {}

Status check_login_request(std::string_view code_verifier, std::string_view return_to) {
  if (!is_safe_return_to(return_to)) {
    return error(ErrorCode::kInvalid, std::string(kUnsafeReturnToMessage));
  }
  if (!is_valid_pkce_verifier(code_verifier)) {
    return error(ErrorCode::kInvalid, std::string(kInvalidVerifierMessage));
  }
  return ok_status();
}

OAuthStateStore::OAuthStateStore(const Clock& clock, Options options)
    : clock_(clock), options_(options) {}

Result<std::string> OAuthStateStore::put(std::string code_verifier, std::string return_to,
                                         std::string_view /*client*/) {
  MU_RETURN_IF_ERROR(check_login_request(code_verifier, return_to));
  std::string state = random_token(32);
  std::string key = sha256_hex(state);
  const MonoTime now = clock_.mono();
  std::lock_guard lock(mu_);
  purge_expired_locked(now);
  const std::size_t cap = options_.max_entries == 0 ? 1 : options_.max_entries;
  while (entries_.size() >= cap && !order_.empty()) {
    auto oldest = order_.begin();
    entries_.erase(oldest->second);
    order_.erase(oldest);
  }
  const std::uint64_t seq = next_seq_++;
  order_.emplace(seq, key);
  entries_.emplace(std::move(key),
                   Entry{PendingLogin{std::move(code_verifier), std::move(return_to), clock_.now()},
                         now + options_.ttl, seq});
  return state;
}

Result<PendingLogin> OAuthStateStore::take(std::string_view state) {
  if (state.empty() || state.size() > kMaxOAuthStateLength) {
    return error(ErrorCode::kInvalid, std::string(kUnknownStateMessage));
  }
  const std::string key = sha256_hex(state);
  const MonoTime now = clock_.mono();
  std::lock_guard lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    return error(ErrorCode::kInvalid, std::string(kUnknownStateMessage));
  }
  Entry entry = std::move(it->second);
  order_.erase(entry.seq);
  entries_.erase(it);
  if (now >= entry.expires) {
    return error(ErrorCode::kInvalid, std::string(kUnknownStateMessage));
  }
  return std::move(entry.login);
}

std::size_t OAuthStateStore::size() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

void OAuthStateStore::purge_expired_locked(MonoTime now) {
  // The ttl is fixed and the monotonic clock never goes back, so entries expire in
  // insertion order: stop at the first live one.
  while (!order_.empty()) {
    auto oldest = order_.begin();
    auto e = entries_.find(oldest->second);
    if (e != entries_.end() && now < e->second.expires) break;
    if (e != entries_.end()) entries_.erase(e);
    order_.erase(oldest);
  }
}

}  // namespace mu
