#include "sources/bilibili/wbi.h"

#include <algorithm>
#include <array>
#include <cctype>

#include "sources/common/digest.h"
#include "sources/common/http_util.h"
#include "sources/common/json_util.h"
#include "sources/common/text.h"

namespace mu {
namespace {

// The published reordering table (MIXIN_KEY_ENC_TAB in the web client's JavaScript).
constexpr std::array<int, 64> kMixinTable = {
    46, 47, 18, 2,  53, 8,  23, 32, 15, 50, 10, 31, 58, 3,  45, 35, 27, 43, 5,  49, 33, 9,
    42, 19, 29, 28, 14, 39, 12, 38, 41, 13, 37, 48, 7,  16, 24, 55, 40, 61, 26, 17, 0,  1,
    60, 51, 30, 4,  22, 25, 54, 21, 56, 59, 6,  63, 57, 62, 11, 36, 20, 34, 44, 52,
};

constexpr std::size_t kMixinKeyLength = 32;

bool is_key_token(std::string_view key) {
  if (key.size() != 32) return false;
  return std::all_of(key.begin(), key.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; });
}

std::string strip_reserved(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '!' || c == '\'' || c == '(' || c == ')' || c == '*') continue;
    out.push_back(c);
  }
  return out;
}

}  // namespace

std::string wbi_mixin_key(std::string_view img_key, std::string_view sub_key) {
  const std::string raw = std::string(img_key) + std::string(sub_key);
  if (raw.size() < kMixinTable.size()) return {};
  std::string mixed;
  mixed.reserve(kMixinKeyLength);
  for (int index : kMixinTable) {
    mixed.push_back(raw[static_cast<std::size_t>(index)]);
    if (mixed.size() == kMixinKeyLength) break;
  }
  return mixed;
}

Result<std::string> wbi_signed_query(std::vector<std::pair<std::string, std::string>> params,
                                     std::string_view mixin_key, int64_t wts) {
  if (mixin_key.size() != kMixinKeyLength) {
    return error(ErrorCode::kInvalid,
                 "WBI mixin key must be 32 characters, got " + std::to_string(mixin_key.size()));
  }
  std::erase_if(params, [](const auto& kv) { return kv.first == "wts" || kv.first == "w_rid"; });
  params.emplace_back("wts", std::to_string(wts));
  std::stable_sort(params.begin(), params.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string query;
  for (const auto& [key, value] : params) {
    if (!query.empty()) query.push_back('&');
    query += percent_encode(key);
    query.push_back('=');
    query += percent_encode(strip_reserved(value));
  }
  std::string w_rid = md5_hex(query + std::string(mixin_key));
  if (w_rid.empty()) return error(ErrorCode::kInternal, "MD5 is not available in this OpenSSL");
  return query + "&w_rid=" + w_rid;
}

std::string wbi_key_from_url(std::string_view url) {
  std::string_view s = url;
  if (std::size_t cut = s.find_first_of("?#"); cut != std::string_view::npos) s = s.substr(0, cut);
  if (std::size_t slash = s.rfind('/'); slash != std::string_view::npos) s = s.substr(slash + 1);
  if (std::size_t dot = s.find('.'); dot != std::string_view::npos) s = s.substr(0, dot);
  return std::string(s);
}

Result<WbiKeys> parse_wbi_keys(std::string_view nav_body) {
  MU_ASSIGN_OR_RETURN(JsonDoc doc, JsonDoc::parse(nav_body, "WBI keys (nav)"));
  const JsonView root = doc.root();
  WbiKeys keys;
  keys.img_key = wbi_key_from_url(trim(root.string_or("data.wbi_img.img_url")));
  keys.sub_key = wbi_key_from_url(trim(root.string_or("data.wbi_img.sub_url")));
  if (!is_key_token(keys.img_key) || !is_key_token(keys.sub_key)) {
    std::string detail;
    if (auto code = root.integer("code")) detail = " (code " + std::to_string(*code) + ")";
    return error(ErrorCode::kParse,
                 "WBI keys (nav): data.wbi_img.img_url/sub_url missing or malformed" + detail);
  }
  return keys;
}

Result<WbiKeyCache::Lookup> WbiKeyCache::get(const SourceContext& ctx, std::string_view board_id,
                                             std::chrono::milliseconds timeout,
                                             const std::string* cookie) {
  const MonoTime now = ctx.clock.mono();
  {
    std::lock_guard lock(mu_);
    if (keys_ && now >= fetched_at_ && now - fetched_at_ < kTtl) return Lookup{*keys_, false};
  }
  HttpRequest request;
  request.url = kBilibiliNavUrl;
  request.timeout = timeout;
  request.headers = {
      {"User-Agent", std::string(kBrowserUserAgent)},
      {"Accept", "application/json, text/plain, */*"},
      {"Referer", "https://www.bilibili.com/"},
  };
  if (cookie != nullptr && !cookie->empty()) request.headers.emplace_back("Cookie", *cookie);
  MU_ASSIGN_OR_RETURN(HttpResponse response, fetch_ok(ctx, request, board_id));
  auto keys = parse_wbi_keys(response.body);
  if (!keys.ok()) return keys.status().with_context(board_id);
  std::lock_guard lock(mu_);
  keys_ = *keys;
  fetched_at_ = now;
  return Lookup{*keys, true};
}

void WbiKeyCache::invalidate() {
  std::lock_guard lock(mu_);
  keys_.reset();
}

}  // namespace mu
