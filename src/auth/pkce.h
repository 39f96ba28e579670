// PKCE (RFC 7636) for the OAuth authorization-code flow: a fresh random code verifier per
// login and its S256 code challenge, BASE64URL(SHA256(ASCII(verifier))).
// Thread-safety: stateless functions, safe from any thread.
#pragma once

#include <string>
#include <string_view>

namespace mu {

struct PkcePair {
  std::string verifier;   // 43 characters of [A-Za-z0-9_-] (32 random bytes, base64url)
  std::string challenge;  // BASE64URL(SHA256(verifier)), 43 characters
  std::string method = "S256";
};

// A new verifier from the CSPRNG and its challenge.
PkcePair make_pkce();

// The S256 challenge of `verifier`.
std::string pkce_challenge(std::string_view verifier);

// RFC 7636 section 4.1: 43 to 128 characters of [A-Z a-z 0-9 - . _ ~].
bool is_valid_pkce_verifier(std::string_view verifier);

}  // namespace mu
