// Cryptographic helpers for accounts: random tokens from the operating system's CSPRNG
// (OpenSSL RAND_bytes), SHA-256, base64url and a constant-time comparison. Used for OAuth
// state, PKCE verifiers, session tokens and CSRF tokens.
// Thread-safety: every function is stateless and safe to call from any thread.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/encoding.h"  // base64_encode, hex_encode

namespace mu {

// `bytes` random bytes (1..1024, clamped) from the CSPRNG, encoded as base64url without
// padding (32 bytes -> 43 characters of [A-Za-z0-9_-]). There is no weaker fallback: if the
// CSPRNG fails the process aborts, because every caller would otherwise hand out guessable
// secrets.
std::string random_token(std::size_t bytes = 32);

// RFC 4648 section 5 base64url, without '=' padding.
std::string base64url_encode(std::string_view data);

// HMAC-SHA256 of `data` under `key`: the 32 raw bytes, and as 64 lower-case hex characters.
std::string hmac_sha256(std::string_view key, std::string_view data);
std::string hmac_sha256_hex(std::string_view key, std::string_view data);

// SHA-256 of `data`: the 32 raw bytes, and as 64 lower-case hex characters.
std::string sha256_bytes(std::string_view data);
std::string sha256_hex(std::string_view data);

// True when `a` and `b` are equal. The time taken depends only on the lengths, never on
// where the contents differ (a length mismatch returns false at once; the secrets compared
// here have public, fixed lengths).
bool constant_time_equals(std::string_view a, std::string_view b);

}  // namespace mu
