// Digests and encodings that sites' request signing needs (Bilibili WBI, CLS sign, Coolapk
// token): lower-case hex MD5 / SHA-1 and standard padded Base64, on OpenSSL's EVP API.
// Pure functions; safe for concurrent use.
#pragma once

#include <string>
#include <string_view>

#include "core/encoding.h"  // base64_encode

namespace mu {

// Lower-case hex digests; "" only if OpenSSL cannot compute them (out of memory, or a
// FIPS-only configuration without MD5).
std::string md5_hex(std::string_view data);
std::string sha1_hex(std::string_view data);

}  // namespace mu
