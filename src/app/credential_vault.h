// CredentialVault: the console's credentials (api/credentials.h) as the fetchers use them.
// Reads every stored credential, opens it with the SecretBox and keeps the clear values in
// memory (refresh(): on start, every 10 s, and after each console write in this process);
// attach() then gives a dispatch its site's cookie ("<site>.cookie" into Dispatch::secrets)
// and its proxy ("<board>.proxy", else "<site>.proxy") — the scheduler's
// Options::attach_credentials. A value that does not open (another key) is skipped and
// logged by name once per refresh; a store error keeps the last values.
//
// Thread-safety: safe for concurrent use.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "api/credentials.h"
#include "auth/secret_box.h"
#include "collector/collector.h"
#include "core/status.h"
#include "core/types.h"
#include "store/store.h"

namespace mu {

class CredentialVault {
 public:
  // `box` may be null: nothing is ever attached. References must outlive this object.
  CredentialVault(const std::vector<BoardMeta>& boards, OverrideStore& store, const SecretBox* box);

  Status refresh();
  void attach(Dispatch& dispatch) const;

 private:
  using Values = std::map<std::string, std::string>;
  std::map<std::string, std::string> site_of_;  // board -> site
  OverrideStore& store_;
  const SecretBox* box_;
  mutable std::mutex mu_;
  std::shared_ptr<const Values> values_ = std::make_shared<const Values>();  // by mu_
};

// The admin console's "test now" (api/credentials.h): a dispatch of `board` with its
// credentials from `vault` (refreshed first), run by `collector` (in-process for mu serve;
// through a collector of the board's group for mu api) at epoch `epoch()`, storing nothing.
BoardTester make_board_tester(Collector& collector, CredentialVault& vault,
                              const std::vector<BoardMeta>& boards, const Clock& clock,
                              std::function<int64_t()> epoch);

// The SecretBox of the config: storage.secrets_key when set; else, for SQLite storage, the
// key in the file "<database>.secrets-key" next to the database (created with a fresh key,
// mode 0600, when missing); else none, with the reason (the console says it). kConfig for a
// malformed key.
struct SecretsKey {
  std::unique_ptr<SecretBox> box;
  std::string why_missing;
};
Result<SecretsKey> load_secrets_key(const std::string& configured_key,
                                    const std::string& storage_url);

}  // namespace mu
