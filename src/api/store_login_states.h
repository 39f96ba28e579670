// StoreLoginStates: the LoginStates (auth/oauth_state.h) of `mu serve` and `mu api`, kept in
// the shared Store (AccountStore::put_login_state / take_login_state) instead of one process's
// memory, so that with several API instances behind a load balancer (no sticky sessions)
// the GitHub callback may reach any instance, not only the one that started the sign-in.
//
// Only the SHA-256 hex of a state is stored. put() and take() validate and fail exactly as
// OAuthStateStore does (same codes and messages); store failures come back with their own
// codes (kUnavailable, ...). A record lives `ttl` measured on the Clock's wall time in unix
// milliseconds (every instance must agree on it, so not the monotonic clock); an expired one
// is deleted and reported as unknown. The store purges expired rows by itself and keeps at
// most `max_per_client` pending sign-ins per client IP and `max_total` in all, evicting the
// oldest (AccountStore::put_login_state), so an anonymous flood of sign-in starts takes bounded
// space: with return_to at most kMaxReturnToBytes, about 0.5 KiB a row, 5 MiB at the
// default total.
//
// Thread-safety: safe to call from any thread (no state of its own; the Store is safe for
// concurrent use). One use holds across processes: take_login_state is atomic in the store.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "auth/oauth_state.h"
#include "core/clock.h"
#include "core/status.h"
#include "store/store.h"

namespace mu {

class StoreLoginStates final : public LoginStates {
 public:
  struct Options {
    // How long a login may take; at most kLoginStatePurgeHorizonMs (one day; longer is cut
    // to that, so the store's purge never removes a live record).
    std::chrono::milliseconds ttl{std::chrono::minutes(10)};
    // Pending sign-ins kept per client (IP address) and in all; the oldest beyond go.
    int64_t max_per_client = 50;
    int64_t max_total = 10'000;
  };

  // `store` and `clock` must outlive this object.
  StoreLoginStates(AccountStore& store, const Clock& clock);
  StoreLoginStates(AccountStore& store, const Clock& clock, Options options);

  Result<std::string> put(std::string code_verifier, std::string return_to,
                          std::string_view client) override;
  Result<PendingLogin> take(std::string_view state) override;

 private:
  AccountStore& store_;
  const Clock& clock_;
  const int64_t ttl_ms_;
  const int64_t max_per_client_;
  const int64_t max_total_;
};

}  // namespace mu
