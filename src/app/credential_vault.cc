#include "app/credential_vault.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

namespace mu {

CredentialVault::CredentialVault(const std::vector<BoardMeta>& boards, OverrideStore& store,
                                 const SecretBox* box)
    : store_(store), box_(box) {
  for (const BoardMeta& b : boards) site_of_[b.id] = b.site;
}

Status CredentialVault::refresh() {
  if (box_ == nullptr) return ok_status();
  auto stored = store_.credentials();
  if (!stored.ok()) return stored.status();
  auto values = std::make_shared<Values>();
  for (const CredentialRecord& c : *stored) {
    auto opened = box_->open(c.name, c.sealed);
    if (!opened.ok()) {
      spdlog::warn("credentials: {} does not open with this process's secrets key; not used",
                   c.name);
      continue;
    }
    (*values)[c.name] = std::move(opened).value();
  }
  std::lock_guard lock(mu_);
  values_ = std::move(values);
  return ok_status();
}

void CredentialVault::attach(Dispatch& d) const {
  std::shared_ptr<const Values> values;
  {
    std::lock_guard lock(mu_);
    values = values_;
  }
  if (values->empty()) return;
  const auto site = site_of_.find(d.board);
  if (site == site_of_.end()) return;
  if (auto c = values->find(site->second + ".cookie"); c != values->end()) {
    d.secrets[c->first] = c->second;
  }
  if (auto p = values->find(d.board + ".proxy"); p != values->end()) {
    d.proxy = p->second;
  } else if (auto sp = values->find(site->second + ".proxy"); sp != values->end()) {
    d.proxy = sp->second;
  }
}

BoardTester make_board_tester(Collector& collector, CredentialVault& vault,
                              const std::vector<BoardMeta>& boards, const Clock& clock,
                              std::function<int64_t()> epoch) {
  std::map<std::string, BoardMeta> by_id;
  for (const BoardMeta& b : boards) by_id[b.id] = b;
  return [&collector, &vault, &clock, by_id = std::move(by_id),
          epoch = std::move(epoch)](const std::string& board) -> Result<BoardTest> {
    const auto it = by_id.find(board);
    if (it == by_id.end()) return error(ErrorCode::kNotFound, "no board " + board);
    if (Status s = vault.refresh(); !s.ok()) {
      spdlog::warn("credentials: {} (testing with the last known ones)", s.to_string());
    }
    Dispatch d{board,
               clock.now_ms() / 1000,
               epoch ? epoch() : 0,
               1,
               std::chrono::milliseconds(it->second.schedule.timeout),
               it->second.group};
    vault.attach(d);
    BoardTest t;
    t.with_cookie = !d.secrets.empty();
    t.with_proxy = !d.proxy.empty();
    const MonoTime start = clock.mono();
    auto out = collector.collect(d);
    t.elapsed_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(clock.mono() - start).count();
    if (out.ok()) {
      t.http_status = out->http_status;
      t.bytes = out->bytes;
      t.items = std::move(out->items);
    } else {
      t.status = out.status();
      t.http_status = out.status().http_status();
    }
    return t;
  };
}

Result<SecretsKey> load_secrets_key(const std::string& configured_key,
                                    const std::string& storage_url) {
  SecretsKey out;
  if (!configured_key.empty()) {
    MU_ASSIGN_OR_RETURN(SecretBox box, SecretBox::from_text(configured_key));
    out.box = std::make_unique<SecretBox>(std::move(box));
    return out;
  }
  static constexpr std::string_view kSqlite = "sqlite://";
  if (storage_url.rfind(kSqlite, 0) != 0) {
    out.why_missing =
        "set storage.secrets_key (MU_STORAGE_SECRETS_KEY; the same 32-byte key on every API and "
        "scheduler instance, e.g. `openssl rand -hex 32`) to keep cookies and proxies in the store";
    return out;
  }
  const std::string path = storage_url.substr(kSqlite.size()) + ".secrets-key";
  std::string text;
  {
    std::ifstream in(path);
    if (in) {
      std::stringstream ss;
      ss << in.rdbuf();
      text = ss.str();
    }
  }
  if (text.empty()) {
    text = SecretBox::generate_key_text();
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 || ::write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
      if (fd >= 0) ::close(fd);
      out.why_missing =
          "could not create the secrets key file " + path + "; set storage.secrets_key instead";
      return out;
    }
    ::fsync(fd);
    ::close(fd);
    spdlog::info("credentials: created the secrets key {} (back it up with the database)", path);
  }
  auto box = SecretBox::from_text(text);
  if (!box.ok()) return box.status().with_context(path);
  out.box = std::make_unique<SecretBox>(std::move(box).value());
  return out;
}

}  // namespace mu
