#include "sources/cls/cls_sign.h"

#include <openssl/evp.h>

#include <algorithm>
#include <memory>

#include "sources/common/http_util.h"

namespace mu {
namespace {

struct MdCtxFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};

// Lower-case hex of the digest of `data` with `md`; "" if OpenSSL fails (it does not for
// these built-in digests short of running out of memory).
std::string digest_hex(const EVP_MD* md, std::string_view data) {
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!ctx || EVP_DigestInit_ex(ctx.get(), md, nullptr) != 1 ||
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

}  // namespace

std::string sha1_hex(std::string_view data) { return digest_hex(EVP_sha1(), data); }

std::string md5_hex(std::string_view data) { return digest_hex(EVP_md5(), data); }

std::string cls_sorted_query(QueryParams params) {
  std::stable_sort(params.begin(), params.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string query;
  for (const auto& [name, value] : params) {
    if (!query.empty()) query += '&';
    query += percent_encode(name);
    query += '=';
    query += percent_encode(value);
  }
  return query;
}

std::string cls_sign(std::string_view sorted_query) { return md5_hex(sha1_hex(sorted_query)); }

std::string cls_signed_query(QueryParams params) {
  std::string query = cls_sorted_query(std::move(params));
  const std::string sign = cls_sign(query);
  return query + "&sign=" + sign;
}

}  // namespace mu
