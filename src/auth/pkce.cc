#include "auth/pkce.h"

#include "auth/crypto.h"

namespace mu {

PkcePair make_pkce() {
  PkcePair pair;
  pair.verifier = random_token(32);
  pair.challenge = pkce_challenge(pair.verifier);
  return pair;
}

std::string pkce_challenge(std::string_view verifier) {
  return base64url_encode(sha256_bytes(verifier));
}

bool is_valid_pkce_verifier(std::string_view verifier) {
  if (verifier.size() < 43 || verifier.size() > 128) return false;
  for (char c : verifier) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '.' || c == '_' || c == '~';
    if (!ok) return false;
  }
  return true;
}

}  // namespace mu
