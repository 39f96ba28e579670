#include "rpc/convert.h"

#include <chrono>
#include <string>
#include <utility>

namespace mu {

namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

rpc::MisfirePolicy misfire_to_proto(MisfirePolicy p) {
  switch (p) {
    case MisfirePolicy::kFireOnce:
      return rpc::MISFIRE_FIRE_ONCE;
    case MisfirePolicy::kSkip:
      return rpc::MISFIRE_SKIP;
    case MisfirePolicy::kCatchUp:
      return rpc::MISFIRE_CATCH_UP;
  }
  return rpc::MISFIRE_UNSPECIFIED;
}

Result<MisfirePolicy> misfire_from_proto(rpc::MisfirePolicy p) {
  switch (p) {
    case rpc::MISFIRE_FIRE_ONCE:
      return MisfirePolicy::kFireOnce;
    case rpc::MISFIRE_SKIP:
      return MisfirePolicy::kSkip;
    case rpc::MISFIRE_CATCH_UP:
      return MisfirePolicy::kCatchUp;
    default:
      return error(ErrorCode::kInvalid, "unknown misfire policy " + std::to_string(p));
  }
}

rpc::OverlapPolicy overlap_to_proto(OverlapPolicy p) {
  switch (p) {
    case OverlapPolicy::kSkip:
      return rpc::OVERLAP_SKIP;
    case OverlapPolicy::kQueueOne:
      return rpc::OVERLAP_QUEUE_ONE;
  }
  return rpc::OVERLAP_UNSPECIFIED;
}

Result<OverlapPolicy> overlap_from_proto(rpc::OverlapPolicy p) {
  switch (p) {
    case rpc::OVERLAP_SKIP:
      return OverlapPolicy::kSkip;
    case rpc::OVERLAP_QUEUE_ONE:
      return OverlapPolicy::kQueueOne;
    default:
      return error(ErrorCode::kInvalid, "unknown overlap policy " + std::to_string(p));
  }
}

void schedule_to_proto(const Schedule& in, rpc::Schedule* out) {
  out->set_every_s(in.every.count());
  out->set_jitter_s(in.jitter.count());
  out->set_timeout_s(in.timeout.count());
  out->set_retries(in.retries);
  out->set_cron(in.cron);
  out->set_tz(in.tz);
  out->set_misfire(misfire_to_proto(in.misfire));
  out->set_catch_up_s(in.catch_up.count());
  out->set_overlap(overlap_to_proto(in.overlap));
}

Result<Schedule> schedule_from_proto(const rpc::Schedule& in) {
  Schedule s;
  s.every = seconds(in.every_s());
  s.jitter = seconds(in.jitter_s());
  s.timeout = seconds(in.timeout_s());
  s.retries = in.retries();
  s.cron = in.cron();
  s.tz = in.tz();
  // Unspecified policies (a sender that left them out) keep the defaults.
  if (in.misfire() != rpc::MISFIRE_UNSPECIFIED) {
    MU_ASSIGN_OR_RETURN(s.misfire, misfire_from_proto(in.misfire()));
  }
  s.catch_up = seconds(in.catch_up_s());
  if (in.overlap() != rpc::OVERLAP_UNSPECIFIED) {
    MU_ASSIGN_OR_RETURN(s.overlap, overlap_from_proto(in.overlap()));
  }
  return s;
}

}  // namespace

std::optional<ErrorCode> parse_error_code(std::string_view name) {
  for (int c = static_cast<int>(ErrorCode::kOk); c <= static_cast<int>(ErrorCode::kInternal); ++c) {
    const auto code = static_cast<ErrorCode>(c);
    if (error_code_name(code) == name) return code;
  }
  return std::nullopt;
}

void to_proto(const Item& in, rpc::Item* out) {
  out->set_key(in.key);
  out->set_title(in.title);
  out->set_url(in.url);
  out->set_mobile_url(in.mobile_url);
  out->set_summary(in.summary);
  out->set_image(in.image);
  if (in.hot) out->set_hot(*in.hot);
  out->set_hot_text(in.hot_text);
  out->set_label(in.label);
  out->set_author(in.author);
  if (in.published_at_ms) out->set_published_at_ms(*in.published_at_ms);
  for (const auto& [k, v] : in.extra) {
    rpc::ExtraPair* pair = out->add_extra();
    pair->set_key(k);
    pair->set_value(v);
  }
}

Item from_proto(const rpc::Item& in) {
  Item out;
  out.key = in.key();
  out.title = in.title();
  out.url = in.url();
  out.mobile_url = in.mobile_url();
  out.summary = in.summary();
  out.image = in.image();
  if (in.has_hot()) out.hot = in.hot();
  out.hot_text = in.hot_text();
  out.label = in.label();
  out.author = in.author();
  if (in.has_published_at_ms()) out.published_at_ms = in.published_at_ms();
  out.extra.reserve(in.extra_size());
  for (const rpc::ExtraPair& pair : in.extra()) out.extra.emplace_back(pair.key(), pair.value());
  return out;
}

void to_proto(const Dispatch& in, rpc::Dispatch* out) {
  out->set_board(in.board);
  out->set_slot(in.slot);
  out->set_epoch(in.epoch);
  out->set_attempt(in.attempt);
  out->set_timeout_ms(in.timeout.count());
  out->set_group(in.group);
  for (const auto& [name, value] : in.secrets) (*out->mutable_secrets())[name] = value;
  out->set_proxy(in.proxy);
}

Dispatch from_proto(const rpc::Dispatch& in) {
  Dispatch out;
  out.board = in.board();
  out.slot = in.slot();
  out.epoch = in.epoch();
  out.attempt = in.attempt();
  out.timeout = milliseconds(in.timeout_ms());
  out.group = in.group();
  for (const auto& [name, value] : in.secrets()) out.secrets[name] = value;
  out.proxy = in.proxy();
  return out;
}

void to_proto(const Status& in, rpc::Error* out) {
  out->set_code(std::string(error_code_name(in.code())));
  out->set_message(in.message());
  out->set_http_status(in.http_status());
  out->set_retry_after_ms(in.retry_after().count());
}

Status from_proto(const rpc::Error& in) {
  const std::optional<ErrorCode> code = parse_error_code(in.code());
  Status s;
  if (!code || *code == ErrorCode::kOk) {
    s = Status(ErrorCode::kInternal, "unknown error code '" + in.code() + "': " + in.message());
  } else {
    s = Status(*code, in.message());
  }
  if (in.http_status() != 0 || in.retry_after_ms() != 0) {
    s = s.with_http(in.http_status(), milliseconds(in.retry_after_ms()));
  }
  return s;
}

void to_proto(const CollectOutcome& in, rpc::CollectOk* out) {
  out->mutable_items()->Reserve(static_cast<int>(in.items.size()));
  for (const Item& item : in.items) to_proto(item, out->add_items());
  out->set_http_status(in.http_status);
  out->set_bytes(in.bytes);
  out->set_started_ms(in.started_ms);
  out->set_finished_ms(in.finished_ms);
  out->set_dropped(in.dropped);
  out->set_collector(in.collector);
}

CollectOutcome from_proto(const rpc::CollectOk& in) {
  CollectOutcome out;
  out.items.reserve(in.items_size());
  for (const rpc::Item& item : in.items()) out.items.push_back(from_proto(item));
  out.http_status = in.http_status();
  out.bytes = in.bytes();
  out.started_ms = in.started_ms();
  out.finished_ms = in.finished_ms();
  out.dropped = in.dropped();
  out.collector = in.collector();
  return out;
}

void to_proto(const Result<CollectOutcome>& in, rpc::CollectResult* out) {
  if (in.ok()) {
    to_proto(in.value(), out->mutable_ok());
  } else {
    to_proto(in.status(), out->mutable_error());
  }
}

Result<CollectOutcome> from_proto(const rpc::CollectResult& in) {
  switch (in.result_case()) {
    case rpc::CollectResult::kOk:
      return from_proto(in.ok());
    case rpc::CollectResult::kError:
      return from_proto(in.error());
    default:
      return error(ErrorCode::kInternal, "collect result holds neither items nor an error");
  }
}

void to_proto(const BoardMeta& in, rpc::BoardMeta* out) {
  out->set_id(in.id);
  out->set_site(in.site);
  out->set_name_zh(in.name_zh);
  out->set_name_en(in.name_en);
  out->set_kind(in.kind == BoardKind::kStream ? rpc::BOARD_KIND_STREAM : rpc::BOARD_KIND_RANK);
  schedule_to_proto(in.schedule, out->mutable_schedule());
  out->set_group(in.group);
  out->set_homepage(in.homepage);
  out->set_notes(in.notes);
  out->set_needs_cookie(in.needs_cookie);
  out->set_needs_token(in.needs_token);
}

Result<BoardMeta> from_proto(const rpc::BoardMeta& in) {
  BoardMeta out;
  out.id = in.id();
  out.site = in.site();
  out.name_zh = in.name_zh();
  out.name_en = in.name_en();
  switch (in.kind()) {
    case rpc::BOARD_KIND_UNSPECIFIED:
    case rpc::BOARD_KIND_RANK:
      out.kind = BoardKind::kRank;
      break;
    case rpc::BOARD_KIND_STREAM:
      out.kind = BoardKind::kStream;
      break;
    default:
      return error(ErrorCode::kInvalid, "unknown board kind " + std::to_string(in.kind()));
  }
  if (in.has_schedule()) {
    MU_ASSIGN_OR_RETURN(out.schedule, schedule_from_proto(in.schedule()));
  }
  out.group = in.group();
  out.homepage = in.homepage();
  out.notes = in.notes();
  out.needs_cookie = in.needs_cookie();
  out.needs_token = in.needs_token();
  return out;
}

void to_proto(const BoardChange& in, rpc::BoardChange* out) {
  out->set_board(in.board);
  out->set_version(in.version);
  if (in.meta) to_proto(*in.meta, out->mutable_meta());
  if (in.enabled) out->set_enabled(*in.enabled);
  if (in.every) out->set_every_s(in.every->count());
  if (in.cron) out->set_cron(*in.cron);
  if (in.tz) out->set_tz(*in.tz);
  if (in.misfire) out->set_misfire(misfire_to_proto(*in.misfire));
  if (in.catch_up) out->set_catch_up_s(in.catch_up->count());
  if (in.overlap) out->set_overlap(overlap_to_proto(*in.overlap));
  if (in.timeout) out->set_timeout_s(in.timeout->count());
  if (in.retries) out->set_retries(*in.retries);
  if (in.jitter) out->set_jitter_s(in.jitter->count());
}

Result<BoardChange> from_proto(const rpc::BoardChange& in) {
  BoardChange out;
  out.board = in.board();
  out.version = in.version();
  if (in.has_meta()) {
    MU_ASSIGN_OR_RETURN(out.meta, from_proto(in.meta()));
  }
  if (in.has_enabled()) out.enabled = in.enabled();
  if (in.has_every_s()) out.every = seconds(in.every_s());
  if (in.has_cron()) out.cron = in.cron();
  if (in.has_tz()) out.tz = in.tz();
  if (in.has_misfire()) {
    MU_ASSIGN_OR_RETURN(out.misfire, misfire_from_proto(in.misfire()));
  }
  if (in.has_catch_up_s()) out.catch_up = seconds(in.catch_up_s());
  if (in.has_overlap()) {
    MU_ASSIGN_OR_RETURN(out.overlap, overlap_from_proto(in.overlap()));
  }
  if (in.has_timeout_s()) out.timeout = seconds(in.timeout_s());
  if (in.has_retries()) out.retries = in.retries();
  if (in.has_jitter_s()) out.jitter = seconds(in.jitter_s());
  return out;
}

void to_proto(const RunRecord& in, rpc::RunRecord* out) {
  out->set_dispatch_id(in.dispatch_id);
  out->set_board(in.board);
  out->set_slot(in.slot);
  out->set_epoch(in.epoch);
  out->set_status(in.status);
  out->set_error_message(in.error_message);
  rpc::RunStats* stats = out->mutable_stats();
  stats->set_started_ms(in.stats.started_ms);
  stats->set_finished_ms(in.stats.finished_ms);
  stats->set_http_status(in.stats.http_status);
  stats->set_bytes(in.stats.bytes);
  stats->set_item_count(in.stats.item_count);
  stats->set_attempt(in.stats.attempt);
  stats->set_collector(in.stats.collector);
}

RunRecord from_proto(const rpc::RunRecord& in) {
  RunRecord out;
  out.dispatch_id = in.dispatch_id();
  out.board = in.board();
  out.slot = in.slot();
  out.epoch = in.epoch();
  out.status = in.status();
  out.error_message = in.error_message();
  const rpc::RunStats& stats = in.stats();
  out.stats.started_ms = stats.started_ms();
  out.stats.finished_ms = stats.finished_ms();
  out.stats.http_status = stats.http_status();
  out.stats.bytes = stats.bytes();
  out.stats.item_count = stats.item_count();
  out.stats.attempt = stats.attempt();
  out.stats.collector = stats.collector();
  return out;
}

void to_proto(const SchedulerStatusInfo& in, rpc::SchedulerStatus* out) {
  out->set_instance(in.instance);
  out->set_leader(in.leader);
  out->set_leader_instance(in.leader_instance);
  out->set_epoch(in.epoch);
  out->set_queue_depth(in.queue_depth);
  out->set_last_reconcile_ms(in.last_reconcile_ms);
  for (const SchedulerStatusInfo::Board& b : in.boards) {
    rpc::BoardStatus* p = out->add_boards();
    p->set_board(b.board);
    p->set_enabled(b.enabled);
    p->set_version(b.version);
    if (b.next_due_s) p->set_next_due_s(*b.next_due_s);
    p->set_in_flight(b.in_flight);
  }
}

SchedulerStatusInfo from_proto(const rpc::SchedulerStatus& in) {
  SchedulerStatusInfo out;
  out.instance = in.instance();
  out.leader = in.leader();
  out.leader_instance = in.leader_instance();
  out.epoch = in.epoch();
  out.queue_depth = in.queue_depth();
  out.last_reconcile_ms = in.last_reconcile_ms();
  out.boards.reserve(in.boards_size());
  for (const rpc::BoardStatus& p : in.boards()) {
    SchedulerStatusInfo::Board b;
    b.board = p.board();
    b.enabled = p.enabled();
    b.version = p.version();
    if (p.has_next_due_s()) b.next_due_s = p.next_due_s();
    b.in_flight = p.in_flight();
    out.boards.push_back(std::move(b));
  }
  return out;
}

}  // namespace mu
