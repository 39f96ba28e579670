// How channels live in the store (document kind "channel", store/alerts.h): the name, kind
// and description in clear, the URL and secret sealed with the process's SecretBox under
// the name "channel:<id>" (a sealed value copied to another channel does not open). What
// the API writes and the delivery worker reads. StoreChannelDirectory is the worker's
// ChannelDirectory over the store. Pure helpers; the directory is safe for concurrent use.
#pragma once

#include <cstdint>
#include <string>

#include "auth/secret_box.h"
#include "core/status.h"
#include "notify/channel.h"
#include "notify/outbox.h"
#include "store/alerts.h"

namespace mu {

struct StoredChannel {
  std::string id;
  int64_t user_id = 0;
  std::string name;
  std::string kind;         // channel_kind_name
  std::string description;  // describe_channel
  std::string sealed;       // {"url","secret"} sealed
  int64_t created_ms = 0;
};

// The document of a new channel: `url` must be a channel URL (kInvalid otherwise).
Result<UserDocument> channel_document(const SecretBox& box, const std::string& id, int64_t user_id,
                                      const std::string& name, const std::string& url,
                                      const std::string& secret, int64_t now_ms,
                                      std::string_view telegram_api);
Result<StoredChannel> parse_channel_document(const UserDocument& doc);
// The channel's URL and secret, opened and parsed.
Result<ChannelSpec> open_channel(const SecretBox& box, const StoredChannel& channel,
                                 std::string_view telegram_api);

class StoreChannelDirectory final : public ChannelDirectory {
 public:
  // `box` may be null: every channel is then unavailable (kUnavailable, retried later).
  StoreChannelDirectory(AlertStore& store, const SecretBox* box, std::string telegram_api)
      : store_(store), box_(box), telegram_api_(std::move(telegram_api)) {}
  Result<ResolvedChannel> channel(const std::string& id) override;

 private:
  AlertStore& store_;
  const SecretBox* box_;
  const std::string telegram_api_;
};

}  // namespace mu
