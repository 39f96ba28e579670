#include "store/store_codec.h"

#include <boost/json.hpp>

#include "store/alerts.h"

namespace mu {

Result<std::optional<std::string>> extra_to_json(
    const std::vector<std::pair<std::string, std::string>>& extra) {
  if (extra.empty()) {
    return std::optional<std::string>();
  }
  try {
    boost::json::array pairs;
    pairs.reserve(extra.size());
    for (const auto& [name, value] : extra) {
      pairs.emplace_back(
          boost::json::array{boost::json::string_view(name), boost::json::string_view(value)});
    }
    return std::optional<std::string>(boost::json::serialize(pairs));
  } catch (const std::exception& e) {
    return error(ErrorCode::kInternal, std::string("encoding item extra: ") + e.what());
  }
}

Result<std::vector<std::pair<std::string, std::string>>> extra_from_json(std::string_view text) {
  std::vector<std::pair<std::string, std::string>> out;
  if (text.empty()) {
    return out;
  }
  try {
    boost::json::parse_options options;
    options.allow_invalid_utf8 = true;  // bytes are stored as given
    boost::system::error_code ec;
    boost::json::value value = boost::json::parse(text, ec, {}, options);
    if (ec || !value.is_array()) {
      return error(ErrorCode::kInternal, "stored item extra is not a JSON array");
    }
    for (const boost::json::value& pair : value.get_array()) {
      const boost::json::array* fields = pair.if_array();
      if (fields == nullptr || fields->size() != 2 || !(*fields)[0].is_string() ||
          !(*fields)[1].is_string()) {
        return error(ErrorCode::kInternal, "stored item extra has an entry that is not a pair");
      }
      const boost::json::string& name = (*fields)[0].get_string();
      const boost::json::string& value_text = (*fields)[1].get_string();
      out.emplace_back(std::string(name.data(), name.size()),
                       std::string(value_text.data(), value_text.size()));
    }
  } catch (const std::exception& e) {
    return error(ErrorCode::kInternal, std::string("decoding item extra: ") + e.what());
  }
  return out;
}

std::string like_pattern(std::string_view text) {
  std::string pattern = "%";
  for (const char c : text) {
    if (c == '%' || c == '_' || c == '\\') {
      pattern += '\\';
    }
    pattern += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  pattern += '%';
  return pattern;
}

Status favorites_full(int64_t max_per_user) {
  return error(ErrorCode::kTooLarge, "favorites: at most " + std::to_string(max_per_user) +
                                         " per user; remove some first");
}

Status api_keys_full(int64_t max_per_user) {
  return error(ErrorCode::kTooLarge, "API keys: at most " + std::to_string(max_per_user) +
                                         " live keys per user; revoke one first");
}

}  // namespace mu

namespace mu {

std::string_view delivery_state_name(DeliveryState state) {
  switch (state) {
    case DeliveryState::kPending:
      return "pending";
    case DeliveryState::kSent:
      return "sent";
    case DeliveryState::kDead:
      return "dead";
  }
  return "pending";
}

std::optional<DeliveryState> parse_delivery_state(std::string_view name) {
  if (name == "pending") return DeliveryState::kPending;
  if (name == "sent") return DeliveryState::kSent;
  if (name == "dead") return DeliveryState::kDead;
  return std::nullopt;
}

}  // namespace mu
