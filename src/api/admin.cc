#include "api/admin.h"

#include <spdlog/spdlog.h>
#include <boost/json.hpp>

#include <cmath>
#include <map>
#include <utility>

#include "api/handler_util.h"
#include "core/config.h"
#include "scheduler/board_change_json.h"
#include "scheduler/board_override.h"
#include "scheduler/planner.h"

namespace mu {
namespace {
namespace json = boost::json;
using handler::err;
using handler::json_ok;
using handler::parse_object;
using handler::string_member;

Response internal(std::string_view what, const Status& s) {
  return handler::internal("admin", what, s);
}

// The answer for a Status from the scheduler or store (http_status_for decides); only
// server-side failures (5xx) are logged.
Response failed(std::string_view what, const Status& s) {
  if (http_status_for(s.code()) >= 500) return internal(what, s);
  return handler::no_store(error_response(s));
}

json::object schedule_json(const Schedule& s) {
  if (!s.cron.empty()) return json::object{{"cron", s.cron}, {"tz", s.tz}};
  return json::object{{"every_s", s.every.count()}};
}

json::value nullable_ms(int64_t ms) { return ms > 0 ? json::value(ms) : json::value(nullptr); }

json::object collector_json(const CollectorInfo& c) {
  json::array groups;
  for (const auto& g : c.groups) groups.push_back(json::value(g));
  return json::object{{"id", c.id},
                      {"address", c.address},
                      {"groups", std::move(groups)},
                      {"version", c.version},
                      {"in_flight", c.in_flight},
                      {"capacity", c.capacity},
                      {"started_ms", c.started_ms},
                      {"last_heartbeat_ms", c.heartbeat_ms}};
}

json::object item_json(const Item& item) {
  json::object o{{"key", item.key}, {"title", item.title}};
  // Only http(s) links leave the server; the console renders text, never HTML.
  o["url"] = handler::is_http_url(item.url) ? item.url : std::string();
  if (!item.hot_text.empty()) o["hot_text"] = item.hot_text;
  if (!item.summary.empty()) o["summary"] = item.summary;
  if (!item.author.empty()) o["author"] = item.author;
  if (item.published_at_ms) o["published_ms"] = *item.published_at_ms;
  return o;
}

// The body of PUT /api/v1/admin/boards/{id} as a BoardChange; kInvalid names the field.
// A change from the request body: the settings parser every front end shares
// (scheduler/board_change_json.h), then the rules no scheduler accepts a change without.
Result<BoardChange> parse_change(const std::string& board, const json::object& body) {
  if (body.empty()) return error(ErrorCode::kInvalid, "nothing to change");
  MU_ASSIGN_OR_RETURN(BoardChange c, board_change_from_json(board, 0, json::serialize(body)));
  MU_RETURN_IF_ERROR(validate_board_change(c));
  return c;
}

bool valid_spec_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char ch : name) {
    if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-')) return false;
  }
  return true;
}

}  // namespace

AdminService::AdminService(std::vector<BoardMeta> boards, std::set<std::string> disabled,
                           Store& store, AccountsService& accounts, SchedulerControl& control,
                           CollectorLister collectors, SourceWorkbench* workbench,
                           const Clock& clock, AdminOptions options)
    : catalogue_(
          std::make_shared<const Catalogue>(Catalogue{std::move(boards), std::move(disabled)})),
      store_(store),
      accounts_(accounts),
      control_(control),
      collectors_(std::move(collectors)),
      workbench_(workbench),
      clock_(clock),
      options_(std::move(options)) {}

void AdminService::register_routes(Router& router) {
  // Routes that reach other processes or the network (the schedulers over gRPC in the
  // cluster, a test fetch) run off the io threads: see Response::deferred.
  router.add(HttpMethod::kGet, "/api/v1/admin/overview", [this](const Request& r) {
    return defer_response([this, r] { return overview(r); });
  });
  router.add(HttpMethod::kGet, "/api/v1/admin/schedule/preview",
             [this](const Request& r) { return preview(r); });
  router.add(HttpMethod::kPut, "/api/v1/admin/boards/{id}", [this](const Request& r) {
    return defer_response([this, r] { return update_board(r); });
  });
  router.add(HttpMethod::kPost, "/api/v1/admin/boards/{id}/run",
             [this](const Request& r) { return defer_response([this, r] { return run_now(r); }); });
  router.add(HttpMethod::kGet, "/api/v1/admin/collectors",
             [this](const Request& r) { return collectors(r); });
  router.add(HttpMethod::kGet, "/api/v1/admin/sources",
             [this](const Request& r) { return sources(r); });
  router.add(HttpMethod::kPost, "/api/v1/admin/sources/test", [this](const Request& r) {
    return defer_response([this, r] { return test_source(r); });
  });
  router.add(HttpMethod::kPut, "/api/v1/admin/sources/{name}",
             [this](const Request& r) { return save_source(r); });
  router.add(HttpMethod::kGet, "/api/v1/admin/audit",
             [this](const Request& r) { return audit(r); });
}

void AdminService::set_catalogue(std::vector<BoardMeta> boards, std::set<std::string> disabled) {
  auto next = std::make_shared<const Catalogue>(Catalogue{std::move(boards), std::move(disabled)});
  std::lock_guard lock(catalogue_mu_);
  catalogue_ = std::move(next);
}

std::shared_ptr<const AdminService::Catalogue> AdminService::catalogue() const {
  std::lock_guard lock(catalogue_mu_);
  return catalogue_;
}

std::optional<BoardMeta> AdminService::find(const std::string& id) const {
  auto cat = catalogue();
  for (const auto& b : cat->boards) {
    if (b.id == id) return b;
  }
  return std::nullopt;
}

Status AdminService::record(const std::string& actor, const std::string& action,
                            const std::string& target, const std::string& detail_json) const {
  AuditRecord a;
  a.at_ms = clock_.now_ms();
  a.actor = actor;
  a.action = action;
  a.target = target;
  a.detail = detail_json;
  auto appended = store_.append_audit(a);
  if (!appended.ok()) return appended.status();
  spdlog::info("admin: {} {} {}", actor, action, target);
  return ok_status();
}

Response AdminService::overview(const Request& req) const {
  AccountsService::Authed who;
  if (auto r = accounts_.require(req, false, true, who)) return std::move(*r);
  const int64_t now = clock_.now_ms();

  json::object sched{{"mode", options_.mode}};
  std::map<std::string, SchedulerStatusInfo::Board> running;
  auto status = control_.status();
  if (status.ok()) {
    sched["reachable"] = true;
    sched["instance"] = status->instance;
    sched["leader"] = status->leader;
    sched["leader_instance"] = status->leader_instance;
    sched["epoch"] = status->epoch;
    sched["queue_depth"] = status->queue_depth;
    sched["last_reconcile_ms"] = status->last_reconcile_ms;
    for (auto& b : status->boards) running[b.board] = b;
  } else {
    sched["reachable"] = false;
    sched["error"] = status.error_message();
  }

  auto overrides = store_.board_overrides();
  if (!overrides.ok()) return internal("board overrides", overrides.status());
  std::map<std::string, BoardChange> stored;
  for (const auto& r : *overrides) {
    auto c = board_change_from_json(r.board, r.version, r.json);
    if (c.ok()) stored[r.board] = std::move(*c);
  }
  auto states = store_.board_states();
  if (!states.ok()) return internal("board states", states.status());
  std::map<std::string, BoardState> state_of;
  for (auto& s : *states) state_of[s.board] = std::move(s);

  json::array boards;
  const auto cat = catalogue();
  for (const BoardMeta& base : cat->boards) {
    auto st = stored.find(base.id);
    const BoardMeta meta = st == stored.end() ? base : with_change(base, st->second);
    bool enabled = cat->disabled.count(base.id) == 0;
    if (st != stored.end() && st->second.enabled) enabled = *st->second.enabled;
    json::object o{{"id", base.id},
                   {"site", base.site},
                   {"name", base.name_zh},
                   {"name_en", base.name_en},
                   {"group", meta.group},
                   {"schedule", schedule_json(meta.schedule)},
                   {"overridden", st != stored.end()},
                   {"override_version", st == stored.end() ? 0 : st->second.version}};
    auto run = running.find(base.id);
    if (run != running.end()) {
      enabled = run->second.enabled;
      o["version"] = run->second.version;
      o["next_due_ms"] =
          run->second.next_due_s ? json::value(*run->second.next_due_s * 1000) : nullptr;
      o["in_flight"] = run->second.in_flight;
    } else {
      o["version"] = nullptr;
      o["next_due_ms"] = nullptr;
      o["in_flight"] = "";
    }
    o["enabled"] = enabled;
    auto state = state_of.find(base.id);
    if (state != state_of.end()) {
      const BoardState& s = state->second;
      o["last_success_ms"] = nullable_ms(s.fetched_at_ms);
      o["last_run_ms"] = nullable_ms(s.last_run_at_ms);
      o["item_count"] = s.item_count;
      if (s.stale && !s.last_error_code.empty()) {
        o["last_error"] = json::object{
            {"code", s.last_error_code}, {"message", s.last_error}, {"at_ms", s.last_run_at_ms}};
      } else {
        o["last_error"] = nullptr;
      }
      // Rounded like the public catalogue's.
      o["success_rate"] =
          s.recent_runs > 0 ? json::value(std::round(1000.0 * s.recent_ok / s.recent_runs) / 1000.0)
                            : json::value(nullptr);
      o["runs_considered"] = s.recent_runs;
    } else {
      o["last_success_ms"] = nullptr;
      o["last_run_ms"] = nullptr;
      o["item_count"] = 0;
      o["last_error"] = nullptr;
      o["success_rate"] = nullptr;
      o["runs_considered"] = 0;
    }
    boards.push_back(std::move(o));
  }
  return json_ok(
      200, json::object{
               {"now_ms", now}, {"scheduler", std::move(sched)}, {"boards", std::move(boards)}});
}

Response AdminService::preview(const Request& req) const {
  AccountsService::Authed who;
  if (auto r = accounts_.require(req, false, true, who)) return std::move(*r);
  json::object body;
  if (auto v = req.query("every")) body["every"] = std::string(*v);
  if (auto v = req.query("cron")) body["cron"] = std::string(*v);
  if (auto v = req.query("tz")) body["tz"] = std::string(*v);
  if (body.empty()) return err(400, "invalid", "give every=… or cron=… (and tz=…)");
  const std::string board(req.query("board").value_or(""));
  BoardMeta meta;
  meta.id = board.empty() ? "preview.board" : board;
  if (!board.empty()) {
    auto known = find(board);
    if (!known) return err(404, "not-found", "no board \"" + board + "\"");
    meta = std::move(*known);
  }
  auto change = parse_change(meta.id, body);
  if (!change.ok()) return err(400, "invalid", change.error_message());
  meta = with_change(meta, *change);
  const int64_t now_s = clock_.now_ms() / 1000;
  auto slots = upcoming_slots(board_plan(meta, true), now_s, options_.preview_count);
  if (!slots.ok()) return err(400, "invalid", slots.error_message());
  json::array next;
  for (int64_t s : *slots) next.push_back(json::value(s * 1000));
  return json_ok(
      200, json::object{{"next_ms", std::move(next)}, {"schedule", schedule_json(meta.schedule)}});
}

Response AdminService::update_board(const Request& req) const {
  AccountsService::Authed who;
  if (auto r = accounts_.require(req, true, true, who)) return std::move(*r);
  const std::string id(req.param("id"));
  if (!find(id)) return err(404, "not-found", "no board \"" + id + "\"");
  auto body = parse_object(req.body);
  if (!body) return err(400, "invalid", "body must be a JSON object");
  auto change = parse_change(id, *body);
  if (!change.ok()) return err(400, "invalid", change.error_message());
  auto version = control_.update_schedule(*change);
  if (!version.ok()) return failed("update schedule", version.status());
  json::object detail = json::parse(board_change_to_json(*change)).as_object();
  detail["version"] = *version;
  if (Status s = record(who.user.login, "board.update", id, json::serialize(detail)); !s.ok()) {
    return internal("audit", s);
  }
  json::value next_due = nullptr;
  if (auto status = control_.status(); status.ok()) {
    for (const auto& b : status->boards) {
      if (b.board == id && b.version >= *version && b.next_due_s) next_due = *b.next_due_s * 1000;
    }
  }
  return json_ok(200,
                 json::object{{"board", id}, {"version", *version}, {"next_due_ms", next_due}});
}

Response AdminService::run_now(const Request& req) const {
  AccountsService::Authed who;
  if (auto r = accounts_.require(req, true, true, who)) return std::move(*r);
  const std::string id(req.param("id"));
  if (!find(id)) return err(404, "not-found", "no board \"" + id + "\"");
  auto dispatch = control_.trigger_now(id);
  if (!dispatch.ok()) return failed("run now", dispatch.status());
  const std::string detail = json::serialize(json::object{{"dispatch_id", *dispatch}});
  if (Status s = record(who.user.login, "board.run", id, detail); !s.ok()) {
    return internal("audit", s);
  }
  return json_ok(202, json::object{{"board", id}, {"dispatch_id", *dispatch}});
}

Response AdminService::collectors(const Request& req) const {
  AccountsService::Authed who;
  if (auto r = accounts_.require(req, false, true, who)) return std::move(*r);
  auto list = collectors_ ? collectors_()
                          : Result<std::vector<CollectorInfo>>(std::vector<CollectorInfo>{});
  if (!list.ok()) return failed("collectors", list.status());
  json::array out;
  for (const auto& c : *list) out.push_back(collector_json(c));
  return json_ok(200, json::object{{"collectors", std::move(out)}});
}

Response AdminService::sources(const Request& req) const {
  AccountsService::Authed who;
  if (auto r = accounts_.require(req, false, true, who)) return std::move(*r);
  if (workbench_ == nullptr) return err(404, "not-found", "the source editor is not available");
  auto specs = workbench_->list();
  if (!specs.ok()) return internal("list specs", specs.status());
  json::array list;
  for (const auto& s : *specs) {
    json::array boards;
    for (const auto& b : s.boards) boards.push_back(json::value(b));
    json::object o{{"name", s.name}, {"text", s.text}, {"boards", std::move(boards)}};
    o["error"] = s.error.empty() ? json::value(nullptr) : json::value(s.error);
    list.push_back(std::move(o));
  }
  return json_ok(200, json::object{{"dir", workbench_->dir()},
                                   {"writable", workbench_->writable()},
                                   {"example", workbench_->example()},
                                   {"specs", std::move(list)}});
}

Response AdminService::test_source(const Request& req) const {
  AccountsService::Authed who;
  // A test fetch makes outgoing requests: a mutation for CSRF purposes.
  if (auto r = accounts_.require(req, true, true, who)) return std::move(*r);
  if (workbench_ == nullptr) return err(404, "not-found", "the source editor is not available");
  auto body = parse_object(req.body);
  auto text = body ? string_member(*body, "text") : std::nullopt;
  if (!text) return err(400, "invalid", "expected {\"text\": \"<spec TOML>\"}");
  auto previews = workbench_->test(*text);
  if (!previews.ok()) return failed("test spec", previews.status());
  json::array boards;
  for (const auto& p : *previews) {
    json::array items;
    for (const auto& item : p.items) items.push_back(item_json(item));
    json::object o{{"board", p.board},
                   {"name", p.name},
                   {"items", std::move(items)},
                   {"elapsed_ms", p.elapsed_ms}};
    if (p.error) {
      o["error"] = json::object{{"code", std::string(error_code_name(p.error->code()))},
                                {"message", p.error->message()}};
    } else {
      o["error"] = nullptr;
    }
    boards.push_back(std::move(o));
  }
  return json_ok(200, json::object{{"boards", std::move(boards)}});
}

Response AdminService::save_source(const Request& req) const {
  AccountsService::Authed who;
  if (auto r = accounts_.require(req, true, true, who)) return std::move(*r);
  if (workbench_ == nullptr) return err(404, "not-found", "the source editor is not available");
  const std::string name(req.param("name"));
  if (!valid_spec_name(name)) return err(400, "invalid", "name: 1-64 of a-z, 0-9 and '-'");
  auto body = parse_object(req.body);
  auto text = body ? string_member(*body, "text") : std::nullopt;
  if (!text) return err(400, "invalid", "expected {\"text\": \"<spec TOML>\"}");
  auto path = workbench_->save(name, *text);
  if (!path.ok()) return failed("save spec", path.status());
  const std::string detail =
      json::serialize(json::object{{"path", *path}, {"bytes", text->size()}});
  if (Status s = record(who.user.login, "source.save", name, detail); !s.ok()) {
    return internal("audit", s);
  }
  return json_ok(200, json::object{{"saved", true}, {"path", *path}, {"restart_required", true}});
}

Response AdminService::audit(const Request& req) const {
  AccountsService::Authed who;
  if (auto r = accounts_.require(req, false, true, who)) return std::move(*r);
  int64_t limit = 50;
  int64_t before = 0;
  if (auto v = req.query("limit")) {
    auto n = handler::parse_int(*v, 1, 500);
    if (!n) return err(400, "invalid", "limit must be 1..500");
    limit = *n;
  }
  if (auto v = req.query("before")) {
    auto n = handler::parse_int(*v, 0, INT64_MAX / 10);
    if (!n) return err(400, "invalid", "before must be an entry id");
    before = *n;
  }
  auto entries = store_.audit_log(static_cast<int>(limit), before);
  if (!entries.ok()) return internal("audit log", entries.status());
  json::array out;
  for (const auto& a : *entries) {
    boost::system::error_code ec;
    json::value detail = json::parse(a.detail, ec);
    if (ec) detail = json::object{};
    out.push_back(json::object{{"id", a.id},
                               {"at_ms", a.at_ms},
                               {"actor", a.actor},
                               {"action", a.action},
                               {"target", a.target},
                               {"detail", std::move(detail)}});
  }
  return json_ok(200, json::object{{"entries", std::move(out)}});
}

}  // namespace mu
