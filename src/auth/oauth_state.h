// Login states: the short-lived server-side record of a login in progress. When a user
// starts "sign in with GitHub", Mu creates a random `state`, remembers the PKCE verifier and
// where to send the user afterwards, and puts only the state in the authorize URL. The
// callback hands the state back; take() returns the record exactly once (a replayed or
// expired state fails), which defeats login CSRF and code injection.
//
// LoginStates is the interface AccountsService uses. OAuthStateStore keeps the records in
// this process's memory (tests, and a single process); api/store_login_states.h keeps them
// in the shared Store, so that a callback reaching another API instance than the one that
// started the sign-in still finds its state.
//
// OAuthStateStore: entries live `ttl` (default 10 min, measured on the injected Clock's
// monotonic time); the store holds at most `max_entries` (expired entries are purged first,
// then the oldest one is evicted, so a flood of login starts cannot grow memory without
// bound). States are kept only as SHA-256 digests, so lookups do not compare secrets byte by
// byte.
//
// Thread-safety: implementations are safe to call from any thread; OAuthStateStore uses one
// mutex.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/clock.h"
#include "core/status.h"

namespace mu {

// Longest return_to a sign-in keeps (bytes). Every pending sign-in stores one, so the bound
// is part of what caps the storage an anonymous flood of sign-in starts can take (issue 17).
inline constexpr std::size_t kMaxReturnToBytes = 256;

// True for a same-site path to redirect to after login: starts with "/", not "//" or "/\"
// (protocol-relative URLs that browsers send to another host), no backslash, no control
// characters or spaces, at most kMaxReturnToBytes. "https://evil.com", "javascript:..." and
// "" are rejected.
bool is_safe_return_to(std::string_view path);

struct PendingLogin {
  std::string code_verifier;  // PKCE verifier to send with the token exchange
  std::string return_to;      // validated local path
  WallTime created;
};

// Where logins in progress are kept. Every implementation validates and fails alike:
// put() gives kInvalid "oauth state: return_to must be a local path" or "oauth state:
// invalid PKCE verifier"; take() gives kInvalid "oauth state: unknown or expired state" for
// a state that is unknown, was taken already or has expired. Other codes (kUnavailable, ...)
// mean the records could not be reached.
class LoginStates {
 public:
  virtual ~LoginStates() = default;

  // Records a login in progress started by `client` (the IP address it came from; "" when
  // unknown) and returns its new random state (43 characters). kInvalid when `return_to` is
  // not a safe local path or `code_verifier` is not a valid PKCE verifier. Implementations
  // cap how many logins they keep, evicting the oldest (see each one).
  virtual Result<std::string> put(std::string code_verifier, std::string return_to,
                                  std::string_view client) = 0;

  // Removes and returns the login recorded under `state`. kInvalid when the state is
  // unknown, was already taken, or has expired.
  virtual Result<PendingLogin> take(std::string_view state) = 0;
};

// The error messages every LoginStates gives (see above).
inline constexpr std::string_view kUnsafeReturnToMessage =
    "oauth state: return_to must be a local path";
inline constexpr std::string_view kInvalidVerifierMessage = "oauth state: invalid PKCE verifier";

// The checks every LoginStates::put() makes: kInvalid with kUnsafeReturnToMessage or
// kInvalidVerifierMessage.
Status check_login_request(std::string_view code_verifier, std::string_view return_to);
inline constexpr std::string_view kUnknownStateMessage = "oauth state: unknown or expired state";

// Longest state take() looks up; longer ones are unknown without a lookup.
inline constexpr std::size_t kMaxOAuthStateLength = 512;

class OAuthStateStore final : public LoginStates {
 public:
  struct Options {
    std::chrono::milliseconds ttl{std::chrono::minutes(10)};
    std::size_t max_entries = 10'000;
  };

  explicit OAuthStateStore(const Clock& clock);
  OAuthStateStore(const Clock& clock, Options options);

  // `client` is not used: the cap is max_entries in all.
  Result<std::string> put(std::string code_verifier, std::string return_to,
                          std::string_view client) override;
  Result<PendingLogin> take(std::string_view state) override;

  // Entries currently held (expired ones included until the next purge).
  std::size_t size() const;

 private:
  struct Entry {
    PendingLogin login;
    MonoTime expires;
    std::uint64_t seq;
  };
  void purge_expired_locked(MonoTime now);

  const Clock& clock_;
  const Options options_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;  // key: sha256_hex(state)
  std::map<std::uint64_t, std::string> order_;      // insertion sequence -> key
  std::uint64_t next_seq_ = 0;
};

}  // namespace mu
