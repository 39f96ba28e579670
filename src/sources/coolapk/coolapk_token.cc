#include "sources/coolapk/coolapk_token.h"

#include <openssl/evp.h>

#include <cstdio>
#include <memory>
#include <vector>

namespace mu {
namespace {

struct MdCtxFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};

}  // namespace

std::string coolapk_md5_hex(std::string_view data) {
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_md5(), nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), data.data(), data.size()) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), out, &len) != 1) {
    return {};
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(std::size_t{len} * 2);
  for (unsigned int i = 0; i < len; ++i) {
    hex.push_back(kHex[out[i] >> 4]);
    hex.push_back(kHex[out[i] & 0xF]);
  }
  return hex;
}

std::string coolapk_base64(std::string_view data) {
  // EVP_EncodeBlock writes 4 bytes per started 3 input bytes plus a NUL.
  std::vector<unsigned char> out(4 * ((data.size() + 2) / 3) + 1);
  const int n = EVP_EncodeBlock(out.data(), reinterpret_cast<const unsigned char*>(data.data()),
                                static_cast<int>(data.size()));
  if (n < 0) return {};
  return std::string(reinterpret_cast<const char*>(out.data()), static_cast<std::size_t>(n));
}

std::string coolapk_app_token(int64_t unix_seconds, std::string_view device_id) {
  const std::string seconds = std::to_string(unix_seconds);
  std::string inner = "token://com.coolapk.market/c67ef5943784d09750dcfbb31020f0ab?";
  inner += coolapk_md5_hex(seconds);
  inner += '$';
  inner += device_id;
  inner += "&com.coolapk.market";
  char hex_time[32];
  std::snprintf(hex_time, sizeof hex_time, "0x%llx", static_cast<unsigned long long>(unix_seconds));
  return coolapk_md5_hex(coolapk_base64(inner)) + std::string(device_id) + hex_time;
}

std::string coolapk_default_device_id() {
  const std::string h = coolapk_md5_hex("mu hot-list aggregator / coolapk device");
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) +
         "-" + h.substr(20, 12);
}

}  // namespace mu
