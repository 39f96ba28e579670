#include "sources/coolapk/coolapk_token.h"

#include <cstdio>

#include "sources/common/digest.h"

namespace mu {
std::string coolapk_app_token(int64_t unix_seconds, std::string_view device_id) {
  const std::string seconds = std::to_string(unix_seconds);
  std::string inner = "token://com.coolapk.market/c67ef5943784d09750dcfbb31020f0ab?";
  inner += md5_hex(seconds);
  inner += '$';
  inner += device_id;
  inner += "&com.coolapk.market";
  char hex_time[32];
  std::snprintf(hex_time, sizeof hex_time, "0x%llx", static_cast<unsigned long long>(unix_seconds));
  return md5_hex(base64_encode(inner)) + std::string(device_id) + hex_time;
}

std::string coolapk_default_device_id() {
  const std::string h = md5_hex("mu hot-list aggregator / coolapk device");
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) +
         "-" + h.substr(20, 12);
}

}  // namespace mu
