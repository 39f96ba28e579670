#include "notify/channel_store.h"

#include <boost/json.hpp>

namespace mu {
namespace {

namespace json = boost::json;

std::string seal_name(const std::string& id) { return "channel:" + id; }

std::string member(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}

}  // namespace

Result<UserDocument> channel_document(const SecretBox& box, const std::string& id, int64_t user_id,
                                      const std::string& name, const std::string& url,
                                      const std::string& secret, int64_t now_ms,
                                      std::string_view telegram_api) {
  MU_ASSIGN_OR_RETURN(ChannelSpec spec, parse_channel_url(url, secret, telegram_api));
  const std::string sealed =
      box.seal(seal_name(id), json::serialize(json::object{{"url", url}, {"secret", secret}}));
  if (sealed.empty()) return error(ErrorCode::kInternal, "the channel could not be sealed");
  json::object body{{"name", name},
                    {"kind", channel_kind_name(spec.kind)},
                    {"description", describe_channel(spec)},
                    {"sealed", sealed},
                    {"created_ms", now_ms}};
  return UserDocument{std::string(kChannelDocument), id, user_id, json::serialize(body), now_ms};
}

Result<StoredChannel> parse_channel_document(const UserDocument& doc) {
  json::value v;
  try {
    v = json::parse(doc.body);
  } catch (const std::exception&) {
    return error(ErrorCode::kInternal, "channel " + doc.id + ": not JSON");
  }
  if (!v.is_object()) return error(ErrorCode::kInternal, "channel " + doc.id + ": not an object");
  const json::object& o = v.as_object();
  StoredChannel c;
  c.id = doc.id;
  c.user_id = doc.user_id;
  c.name = member(o, "name");
  c.kind = member(o, "kind");
  c.description = member(o, "description");
  c.sealed = member(o, "sealed");
  if (const json::value* t = o.if_contains("created_ms"); t != nullptr && t->is_int64()) {
    c.created_ms = t->as_int64();
  }
  return c;
}

Result<ChannelSpec> open_channel(const SecretBox& box, const StoredChannel& channel,
                                 std::string_view telegram_api) {
  MU_ASSIGN_OR_RETURN(std::string plain, box.open(seal_name(channel.id), channel.sealed));
  json::value v;
  try {
    v = json::parse(plain);
  } catch (const std::exception&) {
    return error(ErrorCode::kInternal, "channel " + channel.id + ": sealed value is not JSON");
  }
  if (!v.is_object()) return error(ErrorCode::kInternal, "channel " + channel.id + ": bad value");
  return parse_channel_url(member(v.as_object(), "url"), member(v.as_object(), "secret"),
                           telegram_api);
}

Result<ResolvedChannel> StoreChannelDirectory::channel(const std::string& id) {
  if (box_ == nullptr) {
    return error(ErrorCode::kUnavailable, "no secrets key: channels cannot be opened");
  }
  MU_ASSIGN_OR_RETURN(std::optional<UserDocument> doc, store_.document(kChannelDocument, id));
  if (!doc) return error(ErrorCode::kNotFound, "no channel " + id);
  MU_ASSIGN_OR_RETURN(StoredChannel stored, parse_channel_document(*doc));
  auto spec = open_channel(*box_, stored, telegram_api_);
  if (!spec.ok()) {
    // A value that no longer opens (the key changed) will not open later either.
    return error(ErrorCode::kInvalid, "channel " + id + " cannot be opened: " +
                                          std::string(error_code_name(spec.code())));
  }
  return ResolvedChannel{stored.user_id, stored.name, std::move(*spec)};
}

}  // namespace mu
