#include "auth/secret_box.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <memory>

#include "auth/crypto.h"

namespace mu {
namespace {

constexpr std::size_t kKeyBytes = 32;
constexpr std::size_t kNonceBytes = 12;
constexpr std::size_t kTagBytes = 16;
constexpr std::string_view kVersion = "v1.";

struct CtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using Ctx = std::unique_ptr<EVP_CIPHER_CTX, CtxFree>;

int b64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

// base64url without padding; nullopt-like empty + false on bad input.
bool base64url_decode(std::string_view in, std::string& out) {
  out.clear();
  if (in.size() % 4 == 1) return false;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    const int v = b64_value(c);
    if (v < 0) return false;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return true;
}

bool hex_decode(std::string_view in, std::string& out) {
  out.clear();
  if (in.size() % 2 != 0) return false;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < in.size(); i += 2) {
    const int hi = nibble(in[i]), lo = nibble(in[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return true;
}

const unsigned char* bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

}  // namespace

Result<SecretBox> SecretBox::from_text(std::string_view text) {
  while (!text.empty() &&
         std::string_view(" \t\r\n").find(text.front()) != std::string_view::npos) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::string_view(" \t\r\n").find(text.back()) != std::string_view::npos) {
    text.remove_suffix(1);
  }
  std::string key;
  const bool parsed =
      text.size() == 2 * kKeyBytes ? hex_decode(text, key) : base64url_decode(text, key);
  if (!parsed || key.size() != kKeyBytes) {
    return error(ErrorCode::kConfig,
                 "storage.secrets_key: expected 32 bytes as 64 hex digits or 43 base64url "
                 "characters (e.g. `openssl rand -hex 32`)");
  }
  return SecretBox(std::move(key));
}

std::string SecretBox::generate_key_text() { return random_token(kKeyBytes); }

std::string SecretBox::seal(std::string_view name, std::string_view plaintext) const {
  std::string raw_nonce(kNonceBytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw_nonce.data()), kNonceBytes) != 1) {
    return std::string();
  }
  std::string out = raw_nonce;
  out.resize(kNonceBytes + plaintext.size() + kTagBytes);
  Ctx ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  bool ok =
      ctx != nullptr &&
      EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kNonceBytes, nullptr) == 1 &&
      EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, bytes(key_), bytes(raw_nonce)) == 1 &&
      EVP_EncryptUpdate(ctx.get(), nullptr, &len, bytes(name), static_cast<int>(name.size())) == 1;
  auto* cipher = reinterpret_cast<unsigned char*>(out.data() + kNonceBytes);
  ok = ok && EVP_EncryptUpdate(ctx.get(), cipher, &len, bytes(plaintext),
                               static_cast<int>(plaintext.size())) == 1;
  int tail = 0;
  ok = ok && EVP_EncryptFinal_ex(ctx.get(), cipher + len, &tail) == 1 &&
       EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes,
                           out.data() + kNonceBytes + plaintext.size()) == 1;
  if (!ok) return std::string();  // OpenSSL failed: nothing sealed (open() refuses "")
  return std::string(kVersion) + base64url_encode(out);
}

Result<std::string> SecretBox::open(std::string_view name, std::string_view sealed) const {
  const Status bad = error(ErrorCode::kInvalid,
                           "a stored credential could not be opened (another secrets key, or "
                           "the value was altered)");
  if (sealed.substr(0, kVersion.size()) != kVersion) return bad;
  std::string raw;
  if (!base64url_decode(sealed.substr(kVersion.size()), raw) ||
      raw.size() < kNonceBytes + kTagBytes) {
    return bad;
  }
  const std::size_t n = raw.size() - kNonceBytes - kTagBytes;
  std::string plain(n, '\0');
  std::string tag = raw.substr(kNonceBytes + n, kTagBytes);
  Ctx ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  bool ok =
      ctx != nullptr &&
      EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kNonceBytes, nullptr) == 1 &&
      EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, bytes(key_), bytes(raw)) == 1 &&
      EVP_DecryptUpdate(ctx.get(), nullptr, &len, bytes(name), static_cast<int>(name.size())) == 1;
  ok = ok && EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()), &len,
                               bytes(std::string_view(raw).substr(kNonceBytes, n)),
                               static_cast<int>(n)) == 1;
  ok = ok && EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes, tag.data()) == 1;
  int tail = 0;
  ok = ok && EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()) + len,
                                 &tail) == 1;
  if (!ok) return bad;
  return plain;
}

std::string SecretBox::mac(std::string_view data) const {
  // A key of its own, so a MAC never equals anything derived for sealing.
  const std::string key = hmac_sha256(key_, "mu-link-mac-v1");
  return base64url_encode(hmac_sha256(key, data));
}

}  // namespace mu
