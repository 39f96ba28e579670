// The X-App-Token header that Coolapk's (酷安) app API demands. The Android app computes it
// from the request time and a device id:
//   t     = Unix seconds
//   inner = "token://com.coolapk.market/c67ef5943784d09750dcfbb31020f0ab?" + md5hex(decimal t)
//           + "$" + device_id + "&com.coolapk.market"
//   token = md5hex(base64(inner)) + device_id + "0x" + hex(t)
// (md5hex: lower-case hex MD5; base64: standard alphabet with padding; hex(t): lower-case, no
// leading zeros). The constant path segment is the app's public package key as shipped in
// every copy of the app. Pure functions; safe for concurrent use.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace mu {

// The token for `unix_seconds` and `device_id` as above.
std::string coolapk_app_token(int64_t unix_seconds, std::string_view device_id);

// Mu's device id: a UUID-shaped id made from an MD5 of a fixed seed, the same in every run
// (the API wants a plausible device, not a unique one).
std::string coolapk_default_device_id();

}  // namespace mu
