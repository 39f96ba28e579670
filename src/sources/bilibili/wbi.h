// WBI signing for Bilibili's web API. Since 2023 many x/web-interface endpoints (the video
// ranking among them) want two extra query parameters: `wts` (Unix seconds) and `w_rid`, the
// MD5 of the sorted, encoded query followed by a "mixin key". The mixin key is a fixed
// permutation of img_key + sub_key, two 32-character tokens published (disguised as image
// file names) in data.wbi_img of https://api.bilibili.com/x/web-interface/nav; they rotate
// about once a day. Unsigned or badly signed requests get code -352/-403 or a data.v_voucher.
//
// The free functions are pure and safe for concurrent use. WbiKeyCache is safe for
// concurrent use (a mutex guards the cached keys; the nav request runs outside the lock).
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "core/status.h"
#include "sources/source.h"

namespace mu {

inline constexpr char kBilibiliNavUrl[] = "https://api.bilibili.com/x/web-interface/nav";

struct WbiKeys {
  std::string img_key;
  std::string sub_key;
};

// img_key + sub_key reordered by the published 64-entry table, first 32 characters. "" when
// the two keys together are shorter than 64 characters (the table indexes up to 63).
std::string wbi_mixin_key(std::string_view img_key, std::string_view sub_key);

// The signed query string: `params` plus wts=<wts>, sorted by key, each value stripped of the
// characters !'()* and percent-encoded per RFC 3986 (upper-case hex, space as %20), joined
// with '&', then "&w_rid=" + md5(query + mixin_key). An existing wts or w_rid in `params`
// is replaced. kInvalid for a mixin key that is not 32 characters.
Result<std::string> wbi_signed_query(std::vector<std::pair<std::string, std::string>> params,
                                     std::string_view mixin_key, int64_t wts);

// The file-name stem of a key URL: ".../bfs/wbi/7cd0...077c.png" -> "7cd0...077c".
std::string wbi_key_from_url(std::string_view url);

// Reads data.wbi_img.img_url / sub_url from a nav response body. The nav endpoint answers
// code -101 (not logged in) to anonymous clients and still carries the keys, so the code is
// not checked; kParse when the keys are missing or not 32 alphanumeric characters.
Result<WbiKeys> parse_wbi_keys(std::string_view nav_body);

// Keys fetched from the nav endpoint and kept for kTtl, measured on ctx.clock's monotonic
// time (a wall-clock step does not expire or extend them).
class WbiKeyCache {
 public:
  static constexpr std::chrono::hours kTtl{24};

  struct Lookup {
    WbiKeys keys;
    bool fresh = false;  // fetched by this call (not served from the cache)
  };

  // Cached keys when younger than kTtl, else a nav request (browser User-Agent, bilibili
  // Referer, `cookie` when not empty) with `timeout`. Errors name `board_id`.
  Result<Lookup> get(const SourceContext& ctx, std::string_view board_id,
                     std::chrono::milliseconds timeout, const std::string* cookie);
  // Forgets the keys (after the API rejected a signature made with them).
  void invalidate();

 private:
  std::mutex mu_;
  std::optional<WbiKeys> keys_;
  MonoTime fetched_at_{};
};

}  // namespace mu
