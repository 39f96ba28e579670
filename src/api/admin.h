// AdminService: the admin console's HTTP routes. Every route needs a signed-in admin
// (AccountsService::require: 401 without a session, 403 for other users, 403 for a
// mutation without CSRF proof). Schedule changes and "run now" go through the scheduler's
// single entry point, SchedulerControl: in-process for `mu serve` (LocalSchedulerControl),
// the store + change queue through a scheduler instance for `mu api`. Every change is
// written to the audit log with the admin's login.
//
// Routes (answers carry Cache-Control: no-store):
//   GET  /api/v1/admin/overview                scheduler status + every board's schedule,
//                                              next run, freshness, last error, success rate
//   GET  /api/v1/admin/schedule/preview?board=&every=|cron=&tz=   the next five run times
//   PUT  /api/v1/admin/boards/{id}             {every|every_s|cron, tz, enabled, group}
//   POST /api/v1/admin/boards/{id}/run         202 {dispatch_id}
//   GET  /api/v1/admin/collectors
//   GET  /api/v1/admin/sources                 user specs, example, whether saving works
//   POST /api/v1/admin/sources/test            {text}: parsed items or errors per board
//   PUT  /api/v1/admin/sources/{name}          {text}: validated, saved (next start loads it)
//   GET  /api/v1/admin/audit?limit=&before=
// Thread-safety: handlers are safe to run concurrently once register_routes() returned;
// set_catalogue() may be called meanwhile.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "api/accounts.h"
#include "api/source_workbench.h"
#include "coord/cluster.h"
#include "core/clock.h"
#include "core/types.h"
#include "http/router.h"
#include "scheduler/control.h"
#include "store/store.h"

namespace mu {

struct AdminOptions {
  std::string mode = "embedded";  // "embedded" (mu serve) or "cluster" (mu api)
  int preview_count = 5;          // run times shown by the schedule preview
};

class AdminService {
 public:
  // Live collectors (the registry in a cluster; one "local" entry in mu serve).
  using CollectorLister = std::function<Result<std::vector<CollectorInfo>>()>;

  // `boards` with the config's settings; `disabled`: boards the config switches off.
  // `workbench` may be null (no source editor). References must outlive this object.
  AdminService(std::vector<BoardMeta> boards, std::set<std::string> disabled, Store& store,
               AccountsService& accounts, SchedulerControl& control, CollectorLister collectors,
               SourceWorkbench* workbench, const Clock& clock, AdminOptions options = {});

  void register_routes(Router& router);

  // The boards as the configuration now describes them (after a reload); stored overrides
  // still apply on top.
  void set_catalogue(std::vector<BoardMeta> boards, std::set<std::string> disabled);

 private:
  struct Catalogue {
    std::vector<BoardMeta> boards;
    std::set<std::string> disabled;
  };
  std::shared_ptr<const Catalogue> catalogue() const;
  std::optional<BoardMeta> find(const std::string& id) const;
  Response overview(const Request& req) const;
  Response preview(const Request& req) const;
  Response update_board(const Request& req) const;
  Response run_now(const Request& req) const;
  Response collectors(const Request& req) const;
  Response sources(const Request& req) const;
  Response test_source(const Request& req) const;
  Response save_source(const Request& req) const;
  Response audit(const Request& req) const;
  Status record(const std::string& actor, const std::string& action, const std::string& target,
                const std::string& detail_json) const;

  mutable std::mutex catalogue_mu_;
  std::shared_ptr<const Catalogue> catalogue_;  // by catalogue_mu_
  Store& store_;
  AccountsService& accounts_;
  SchedulerControl& control_;
  CollectorLister collectors_;
  SourceWorkbench* workbench_;
  const Clock& clock_;
  AdminOptions options_;
};

}  // namespace mu
