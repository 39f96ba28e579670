#include "api/store_login_states.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "auth/crypto.h"
#include "auth/pkce.h"

namespace mu {
namespace {

Status unknown_state() { return error(ErrorCode::kInvalid, std::string(kUnknownStateMessage)); }

}  // namespace

StoreLoginStates::StoreLoginStates(AccountStore& store, const Clock& clock)
    : StoreLoginStates(store, clock, Options{}) {}

StoreLoginStates::StoreLoginStates(AccountStore& store, const Clock& clock, Options options)
    : store_(store),
      clock_(clock),
      ttl_ms_(std::min<int64_t>(options.ttl.count(), kLoginStatePurgeHorizonMs)),
      max_per_client_(std::max<int64_t>(options.max_per_client, 1)),
      max_total_(std::max<int64_t>(options.max_total, 1)) {}

Result<std::string> StoreLoginStates::put(std::string code_verifier, std::string return_to,
                                          std::string_view client) {
  MU_RETURN_IF_ERROR(check_login_request(code_verifier, return_to));
  std::string state = random_token(32);
  const LoginStateLimits limits{std::string(client), max_per_client_, max_total_};
  MU_RETURN_IF_ERROR(store_.put_login_state(sha256_hex(state), code_verifier, return_to,
                                            clock_.now_ms() + ttl_ms_, limits));
  return state;
}

Result<PendingLogin> StoreLoginStates::take(std::string_view state) {
  if (state.empty() || state.size() > kMaxOAuthStateLength) return unknown_state();
  MU_ASSIGN_OR_RETURN(std::optional<LoginStateRecord> record,
                      store_.take_login_state(sha256_hex(state), clock_.now_ms()));
  // A row that does not validate was not written by put(): treat it as unknown.
  if (!record || !is_safe_return_to(record->return_to) ||
      !is_valid_pkce_verifier(record->code_verifier)) {
    return unknown_state();
  }
  return PendingLogin{std::move(record->code_verifier), std::move(record->return_to),
                      from_unix_ms(record->expires_ms - ttl_ms_)};
}

}  // namespace mu
