// SecretBox: seals the credentials the admin console keeps (cookies, proxy URLs) before
// they reach the store, and opens them for the fetches that use them: AES-256-GCM with a
// random 96-bit nonce per value and the credential's name as associated data (a sealed
// value copied onto another name does not open). The sealed form is text:
// "v1." + base64url(nonce | ciphertext | tag).
//
// The key is 32 bytes, given as 64 hex digits or 43 base64url characters
// (storage.secrets_key / MU_STORAGE_SECRETS_KEY, or a key file). Values never appear in
// messages. Immutable; safe for concurrent use.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace mu {

class SecretBox {
 public:
  // kConfig unless `key_text` is 32 bytes as 64 hex digits or 43 base64url characters
  // (surrounding white space ignored).
  static Result<SecretBox> from_text(std::string_view key_text);
  // A fresh random key in the base64url form.
  static std::string generate_key_text();

  std::string seal(std::string_view name, std::string_view plaintext) const;
  // kInvalid when `sealed` is malformed, was sealed with another key or for another name, or
  // was altered.
  Result<std::string> open(std::string_view name, std::string_view sealed) const;
  // A MAC of `data` under a key derived from this box's (HMAC-SHA256, base64url, 43
  // characters): signs links the server hands out (an alert's unsubscribe link) so that
  // they work without a session and cannot be forged for another rule.
  std::string mac(std::string_view data) const;

 private:
  explicit SecretBox(std::string key) : key_(std::move(key)) {}
  std::string key_;  // 32 raw bytes
};

}  // namespace mu
