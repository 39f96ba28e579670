// Conversions between Mu's value types and the generated protobuf messages of
// collector.proto and scheduler.proto. Internal to src/rpc (it includes generated headers);
// nothing outside src/rpc/*.cc includes it. Pure functions; safe for concurrent use.
#pragma once

#include <optional>
#include <string_view>

#include "collector/collector.h"
#include "core/status.h"
#include "core/types.h"
#include "rpc/collector.pb.h"
#include "rpc/scheduler.pb.h"
#include "scheduler/control.h"
#include "scheduler/scheduler.h"
#include "store/store.h"

namespace mu {

// The ErrorCode whose error_code_name() is `name`; nullopt for an unknown name.
std::optional<ErrorCode> parse_error_code(std::string_view name);

void to_proto(const Item& in, rpc::Item* out);
Item from_proto(const rpc::Item& in);

void to_proto(const Dispatch& in, rpc::Dispatch* out);
Dispatch from_proto(const rpc::Dispatch& in);

// A non-ok Status as an Error message (code name, message, HTTP status, Retry-After).
void to_proto(const Status& in, rpc::Error* out);
// The Status an Error message stands for. An unknown or "ok" code name becomes kInternal
// (the message says which name arrived).
Status from_proto(const rpc::Error& in);

void to_proto(const CollectOutcome& in, rpc::CollectOk* out);
CollectOutcome from_proto(const rpc::CollectOk& in);
// A collect result (value or typed error) as a CollectResult; and back.
void to_proto(const Result<CollectOutcome>& in, rpc::CollectResult* out);
Result<CollectOutcome> from_proto(const rpc::CollectResult& in);

void to_proto(const BoardMeta& in, rpc::BoardMeta* out);
Result<BoardMeta> from_proto(const rpc::BoardMeta& in);

void to_proto(const BoardChange& in, rpc::BoardChange* out);
// kInvalid for an enum value this build does not know.
Result<BoardChange> from_proto(const rpc::BoardChange& in);

void to_proto(const RunRecord& in, rpc::RunRecord* out);
RunRecord from_proto(const rpc::RunRecord& in);

void to_proto(const SchedulerStatusInfo& in, rpc::SchedulerStatus* out);
SchedulerStatusInfo from_proto(const rpc::SchedulerStatus& in);

}  // namespace mu
