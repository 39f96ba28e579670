// mu: the single binary of Mu. Subcommands: serve, fetch, sources, check-sources, migrate,
// config check, cron next, admin grant|revoke|list; the distributed roles collector,
// scheduler, api; ctl.
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <cstdio>
#include <iostream>
#include <sstream>

#include "app/admin_cli.h"
#include "app/catalogue.h"
#include "app/check_sources.h"
#include "app/cluster.h"
#include "app/history_cli.h"
#include "app/notify_cli.h"
#include "app/time_text.h"
#include "app/wiring.h"
#include "collector/local/local_collector.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/version.h"
#include "scheduler/cron.h"

namespace mu {
namespace {

namespace json = boost::json;

struct CommonFlags {
  std::string config_path;
  std::string listen;
  std::string replay;
};

}  // namespace

Result<Config> load(const CommonFlags& flags) {
  MU_ASSIGN_OR_RETURN(Config cfg,
                      load_config(flags.config_path, mu_environment(), schedule_validator()));
  if (!flags.listen.empty()) {
    if (Status s = check_listen_address(flags.listen, ListenHost::kIpAddress); !s.ok()) {
      return s.with_context("--listen");
    }
    cfg.server.listen = flags.listen;
  }
  if (!flags.replay.empty()) cfg.fetch.replay_dir = flags.replay;
  return cfg;
}

namespace {

int fail(const Status& s) {
  std::fprintf(stderr, "mu: %s\n", s.to_string().c_str());
  return s.code() == ErrorCode::kConfig || s.code() == ErrorCode::kInvalid ? 2 : 1;
}

json::value item_json(int rank, const Item& it) {
  json::object o;
  o["rank"] = rank;
  o["key"] = it.key;
  o["title"] = it.title;
  o["url"] = it.url;
  if (!it.hot_text.empty()) o["hot_text"] = it.hot_text;
  if (it.hot) o["hot"] = *it.hot;
  if (!it.label.empty()) o["label"] = it.label;
  if (!it.summary.empty()) o["summary"] = it.summary;
  if (!it.author.empty()) o["author"] = it.author;
  return o;
}

int cmd_fetch(const CommonFlags& flags, const std::string& board, bool as_json) {
  auto cfg = load(flags);
  if (!cfg.ok()) return fail(cfg.status());
  Catalogue cat;
  if (Status s = build_catalogue(*cfg, cat); !s.ok()) return fail(s);
  if (cat.registry.find(board) == nullptr) {
    return fail(error(ErrorCode::kNotFound, "no board \"" + board + "\" (see `mu sources`)"));
  }
  auto transport = make_transport(*cfg);
  if (!transport.ok()) return fail(transport.status());
  SystemClock clock;
  LocalCollector::Options opts;
  opts.secrets = cfg->secrets;
  LocalCollector collector(cat.registry, **transport, clock, opts);
  auto out = collector.collect(Dispatch{board, clock.now_ms() / 1000, 0, 1});
  if (!out.ok()) return fail(out.status());
  if (as_json) {
    json::array arr;
    for (std::size_t i = 0; i < out->items.size(); ++i) {
      arr.push_back(item_json(static_cast<int>(i) + 1, out->items[i]));
    }
    std::cout << json::serialize(arr) << "\n";
    return 0;
  }
  for (std::size_t i = 0; i < out->items.size(); ++i) {
    const Item& it = out->items[i];
    std::cout << (i + 1) << ". " << it.title;
    if (!it.hot_text.empty()) std::cout << "  [" << it.hot_text << "]";
    std::cout << "\n    " << it.url << "\n";
  }
  std::cerr << out->items.size() << " items, " << out->bytes << " bytes, "
            << (out->finished_ms - out->started_ms) << " ms"
            << (out->dropped > 0 ? ", " + std::to_string(out->dropped) + " dropped" : "") << "\n";
  return 0;
}

int cmd_sources(const CommonFlags& flags, bool as_json, bool as_markdown) {
  auto cfg = load(flags);
  if (!cfg.ok()) return fail(cfg.status());
  Catalogue cat;
  if (Status s = build_catalogue(*cfg, cat); !s.ok()) return fail(s);
  if (as_markdown) {
    Catalogue builtin;  // docs/sources.md documents the built-in sources only
    if (Status s = build_builtin_catalogue(builtin); !s.ok()) return fail(s);
    std::cout << catalogue_markdown(builtin);
    return 0;
  }
  for (const auto& e : cat.spec_errors)
    std::fprintf(stderr, "mu: skipped: %s\n", e.to_string().c_str());
  if (as_json) {
    json::array arr;
    for (const auto& b : cat.boards) {
      json::object o;
      o["id"] = b.id;
      o["site"] = b.site;
      o["kind"] = std::string(board_kind_name(b.kind));
      o["name"] = b.name_zh;
      o["name_en"] = b.name_en;
      o["group"] = b.group;
      o["homepage"] = b.homepage;
      o["every_seconds"] = b.schedule.every.count();
      o["enabled"] = cat.disabled.count(b.id) == 0;
      arr.push_back(std::move(o));
    }
    std::cout << json::serialize(arr) << "\n";
    return 0;
  }
  for (const auto& b : cat.boards) {
    std::printf("%-28s %-6s %-7s %6llds  %s / %s\n", b.id.c_str(),
                std::string(board_kind_name(b.kind)).c_str(), b.group.c_str(),
                static_cast<long long>(b.schedule.every.count()), b.name_zh.c_str(),
                b.name_en.c_str());
  }
  std::printf("%zu boards on %zu sites\n", cat.boards.size(), cat.sites.size());
  return 0;
}

int cmd_check_sources(const CommonFlags& flags, bool live, const std::vector<std::string>& only,
                      int workers) {
  if (live == !flags.replay.empty()) {
    return fail(error(ErrorCode::kInvalid,
                      "check-sources needs exactly one of --live (fetch the real sites) or "
                      "--replay DIR (check the fixtures)"));
  }
  auto cfg = load(flags);
  if (!cfg.ok()) return fail(cfg.status());
  Catalogue cat;
  if (Status s = build_catalogue(*cfg, cat); !s.ok()) return fail(s);
  for (const auto& id : only) {
    if (cat.registry.find(id) == nullptr) {
      return fail(error(ErrorCode::kNotFound, "no board \"" + id + "\" (see `mu sources`)"));
    }
  }
  auto transport = make_transport(*cfg);
  if (!transport.ok()) return fail(transport.status());
  SystemClock clock;
  auto checks = check_boards(cat, **transport, clock, cfg->secrets, only, workers);
  std::cout << format_checks(checks);
  // A spec file of sources.d that did not load (does not validate, not a regular file, too
  // large, not UTF-8) is a failure too, unless only some boards were asked for.
  for (const auto& e : cat.spec_errors) {
    std::cout << "broken spec (not loaded): " << e.message() << "\n";
  }
  bool all_ok =
      std::all_of(checks.begin(), checks.end(), [](const BoardCheck& c) { return c.status.ok(); });
  return all_ok && (cat.spec_errors.empty() || !only.empty()) ? 0 : 1;
}

int cmd_cron_next(const std::string& expr, const std::string& tz, const std::string& from,
                  int count) {
  auto cron = CronExpr::parse(expr);
  if (!cron.ok()) return fail(cron.status());
  auto zone = find_time_zone(tz);
  if (!zone.ok()) return fail(zone.status());
  WallTime start = SystemClock().now();
  if (!from.empty()) {
    auto parsed = parse_cli_time(from, *zone);
    if (!parsed.ok()) return fail(parsed.status());
    start = *parsed;
  }
  WallTime t = start;
  for (int i = 0; i < count; ++i) {
    auto next = cron->next(t, *zone);
    if (!next) {
      std::printf("(no further fire time within 8 years)\n");
      break;
    }
    std::printf("%s  %s\n", format_utc(*next).c_str(), format_local(*next, *zone).c_str());
    t = *next;
  }
  return 0;
}

int cmd_migrate(const CommonFlags& flags) {
  auto cfg = load(flags);
  if (!cfg.ok()) return fail(cfg.status());
  auto store = open_store(*cfg);
  if (!store.ok()) return fail(store.status());
  if (Status s = (*store)->migrate(); !s.ok()) return fail(s);
  std::printf("migrated %s\n", cfg->storage.url.c_str());
  return 0;
}

enum class AdminAction { kGrant, kRevoke, kList, kLink };

// `mu admin grant USER | revoke USER | list` on the database of storage.url; USER is a
// reference resolve_user() understands (id:<n>, github:<id>, a login) or --id <n>.
int cmd_admin(const CommonFlags& flags, AdminAction action, const std::string& login,
              bool as_json) {
  auto cfg = load(flags);
  if (!cfg.ok()) return fail(cfg.status());
  auto store = open_store(*cfg);
  if (!store.ok()) return fail(store.status());
  if (Status s = (*store)->migrate(); !s.ok()) return fail(s);
  const int64_t now_ms = SystemClock().now_ms();
  Result<std::string> out =
      action == AdminAction::kGrant    ? admin_grant(**store, login, now_ms)
      : action == AdminAction::kRevoke ? admin_revoke(**store, login, cfg->auth.admins, now_ms)
      : action == AdminAction::kLink
          ? admin_link(**store, public_origin(*cfg), cfg->auth.local_admin_link_ttl, now_ms)
          : admin_list(**store, as_json);
  if (!out.ok()) return fail(out.status());
  std::cout << *out;
  return 0;
}

// The history service over the configured store, for `mu search` and `mu history`.
struct HistoryCli {
  std::unique_ptr<Store> store;
  std::unique_ptr<HistoryService> service;
};

Result<HistoryCli> open_history(const CommonFlags& flags) {
  MU_ASSIGN_OR_RETURN(Config cfg, load(flags));
  Catalogue cat;
  MU_RETURN_IF_ERROR(build_catalogue(cfg, cat));
  MU_ASSIGN_OR_RETURN(HistoryServiceOptions options, history_options(cfg));
  HistoryCli cli;
  MU_ASSIGN_OR_RETURN(cli.store, open_store(cfg));
  MU_RETURN_IF_ERROR(cli.store->migrate());
  cli.service = std::make_unique<HistoryService>(cat.sites, cat.boards, *cli.store, options);
  return cli;
}

int cmd_search(const CommonFlags& flags, const SearchCliArgs& args) {
  auto cli = open_history(flags);
  if (!cli.ok()) return fail(cli.status());
  auto out = history_cli_search(*cli->service, args);
  if (!out.ok()) return fail(out.status());
  std::cout << *out;
  return 0;
}

int cmd_history(const CommonFlags& flags, const HistoryCliArgs& args) {
  auto cli = open_history(flags);
  if (!cli.ok()) return fail(cli.status());
  auto out = history_cli_board(*cli->service, args);
  if (!out.ok()) return fail(out.status());
  std::cout << *out;
  return 0;
}

// Warnings of a loaded config, logged once the process starts a role.
void log_config_warnings(const Config& cfg) {
  for (const auto& w : cfg.warnings) spdlog::warn("config: {}", w);
}

int cmd_config_check(const CommonFlags& flags) {
  auto cfg = load(flags);
  if (!cfg.ok()) return fail(cfg.status());
  for (const auto& w : cfg->warnings) std::fprintf(stderr, "mu: warning: %s\n", w.c_str());
  Catalogue cat;
  if (Status s = build_catalogue(*cfg, cat); !s.ok()) return fail(s);
  std::printf("config ok (%s): listen %s, storage %s, coordination %s, %zu board overrides\n",
              cfg->source.c_str(), cfg->server.listen.c_str(), cfg->storage.url.c_str(),
              cfg->coordination.url.c_str(), cfg->boards.size());
  return 0;
}

}  // namespace
}  // namespace mu

int main(int argc, char** argv) {
  using namespace mu;
  CLI::App app{"Mu: hot lists from many sites, fresh, in one place"};
  app.set_version_flag("--version", std::string("mu ") + kVersion);
  app.require_subcommand(1);
  CommonFlags flags;
  auto add_config = [&](CLI::App* sub) {
    sub->add_option("-c,--config", flags.config_path, "TOML config file (default: none)");
  };

  auto* serve = app.add_subcommand("serve", "Run every role in this process (embedded mode)");
  add_config(serve);
  serve->add_option("--listen", flags.listen, "Address to listen on, e.g. 127.0.0.1:8080");
  serve->add_option("--replay", flags.replay, "Answer every fetch from fixtures under DIR");

  std::string board;
  bool as_json = false;
  auto* fetch = app.add_subcommand("fetch", "Fetch one board now and print its items");
  add_config(fetch);
  fetch->add_option("board", board, "Board id, e.g. weibo.hot-search")->required();
  fetch->add_option("--replay", flags.replay, "Answer requests from fixtures under DIR");
  fetch->add_flag("--json", as_json, "Print JSON");

  bool as_markdown = false;
  auto* sources = app.add_subcommand("sources", "List every site and board Mu knows");
  add_config(sources);
  sources->add_flag("--json", as_json, "Print JSON");
  sources->add_flag("--markdown", as_markdown, "Print the catalogue as Markdown (docs/sources.md)");

  bool live = false;
  std::vector<std::string> only;
  int workers = 8;
  auto* check_sources = app.add_subcommand(
      "check-sources", "Fetch every board and check its items (exit 1 on failures)");
  add_config(check_sources);
  check_sources->add_flag("--live", live, "Fetch the real sites (needs internet)");
  check_sources->add_option("--replay", flags.replay, "Check the fixtures under DIR instead");
  check_sources->add_option("--board", only, "Only these boards (repeatable)");
  check_sources->add_option("--workers", workers, "Boards fetched at once")
      ->check(CLI::Range(1, 64));

  auto* migrate = app.add_subcommand("migrate", "Apply database migrations");
  add_config(migrate);

  auto* config = app.add_subcommand("config", "Configuration tools");
  auto* check = config->add_subcommand("check", "Validate the configuration and exit");
  add_config(check);
  config->require_subcommand(1);

  std::string cron_expr;
  std::string cron_tz = "Asia/Shanghai";
  std::string cron_from;
  int cron_count = 5;
  auto* cron = app.add_subcommand("cron", "Cron tools");
  auto* cron_next = cron->add_subcommand("next", "Print the next fire times of a cron expression");
  cron_next->add_option("expr", cron_expr, "e.g. \"*/5 * * * *\" or @hourly")->required();
  cron_next->add_option("--tz", cron_tz, "IANA time zone (default Asia/Shanghai)");
  cron_next->add_option("--from", cron_from,
                        "Start time, ISO 8601 (2026-03-08T01:00:00Z, ...+08:00, or local "
                        "time in --tz); default now");
  cron_next->add_option("--count", cron_count, "How many (default 5)")->check(CLI::Range(1, 1000));
  cron->require_subcommand(1);

  // Admins (docs/operations.md, "Admins").
  std::string admin_login;
  int64_t admin_id = 0;
  const char* const kUserHelp =
      "The user: id:<n> (see `mu admin list`), <provider>:<id> such as github:583231, or a "
      "login when only one user has it (local-admin is always the local admin)";
  auto* admin =
      app.add_subcommand("admin", "Who may use the admin console: grant LOGIN, revoke LOGIN, list");
  auto* admin_grant_cmd =
      admin->add_subcommand("grant", "Make a user an admin (they must have signed in once)");
  add_config(admin_grant_cmd);
  auto* grant_user = admin_grant_cmd->add_option("user", admin_login, kUserHelp);
  auto* grant_id = admin_grant_cmd->add_option("--id", admin_id, "The user's id (as id:<n>)");
  grant_user->excludes(grant_id);
  auto* admin_revoke_cmd =
      admin->add_subcommand("revoke", "Make an admin a plain user again (never the last admin)");
  add_config(admin_revoke_cmd);
  auto* revoke_user = admin_revoke_cmd->add_option("user", admin_login, kUserHelp);
  auto* revoke_id = admin_revoke_cmd->add_option("--id", admin_id, "The user's id (as id:<n>)");
  revoke_user->excludes(revoke_id);
  auto* admin_list_cmd = admin->add_subcommand("list", "List every user with their role");
  add_config(admin_list_cmd);
  admin_list_cmd->add_flag("--json", as_json, "Print JSON");
  auto* admin_link_cmd = admin->add_subcommand(
      "link",
      "Print a fresh one-time sign-in link for the local admin (auth.local_admin_link_ttl)");
  add_config(admin_link_cmd);
  admin->require_subcommand(1);

  SearchCliArgs search_args;
  auto* search_cmd =
      app.add_subcommand("search", "Search every title Mu has kept (GET /api/v1/search)");
  add_config(search_cmd);
  search_cmd->add_option("query", search_args.query, "Words to find (Chinese, English, mixed)")
      ->required();
  search_cmd->add_option("--board", search_args.board, "Only this board");
  search_cmd->add_option("--site", search_args.site, "Only this site");
  search_cmd->add_option("--sort", search_args.sort, "newest (default) or rank");
  search_cmd->add_option("--limit", search_args.limit, "At most this many (1-100, default 20)");
  search_cmd->add_flag("--json", search_args.json, "Print the API's JSON");

  NotifyTestArgs notify_args;
  auto* notify_cmd = app.add_subcommand("notify", "Notification channels of alerts");
  auto* notify_test_cmd = notify_cmd->add_subcommand(
      "test", "Send a test message to a channel URL (docs/alerts.md lists the forms)");
  notify_test_cmd->add_option("channel-url", notify_args.url, "e.g. telegram://TOKEN/CHAT")
      ->required();
  notify_test_cmd->add_option("--secret", notify_args.secret,
                              "Webhook HMAC key or Feishu / DingTalk signing secret");
  notify_test_cmd->add_flag("--allow-private", notify_args.allow_private_networks,
                            "Allow loopback and private addresses (a LAN ntfy, a test server)");
  notify_test_cmd->add_option("--ca-file", notify_args.ca_file,
                              "Extra CA bundle for the SMTP server's certificate");
  notify_test_cmd->add_option("--telegram-api", notify_args.telegram_api,
                              "Bot API base for telegram:// URLs");
  notify_cmd->require_subcommand(1);

  HistoryCliArgs history_args;
  auto* history_cmd = app.add_subcommand(
      "history", "A board as it was at a time, or over a day (GET /api/v1/boards/{id}/history)");
  add_config(history_cmd);
  history_cmd->add_option("board", history_args.board, "Board id")->required();
  auto* history_at = history_cmd->add_option(
      "--at", history_args.at, "A time with a zone: 2026-12-06T08:00:00Z or ...+08:00");
  auto* history_date =
      history_cmd->add_option("--date", history_args.date, "A day: YYYY-MM-DD (with --tz)");
  history_cmd->add_option("--tz", history_args.tz, "Time zone of --date (history.time_zone)");
  history_at->excludes(history_date);
  history_cmd->add_flag("--json", history_args.json, "Print the API's JSON");

  // Distributed roles (docs/operations.md).
  std::string instance_id;
  std::string role_listen;
  std::string advertise;
  std::string groups;
  auto* collector = app.add_subcommand(
      "collector", "Fetch boards for the schedulers over gRPC (distributed mode)");
  add_config(collector);
  collector->add_option("--listen", role_listen, "gRPC address, e.g. 127.0.0.1:7500");
  collector->add_option("--advertise", advertise, "Address schedulers dial (default --listen)");
  collector->add_option("--groups", groups, "Collector groups, comma-separated (cn,global)");
  collector->add_option("--id", instance_id, "Instance id (default HOST-collector-PID)");
  collector->add_option("--replay", flags.replay, "Answer every fetch from fixtures under DIR");

  auto* scheduler = app.add_subcommand(
      "scheduler", "Plan and dispatch; one leader among instances (distributed mode)");
  add_config(scheduler);
  scheduler->add_option("--listen", role_listen, "gRPC control address, e.g. 127.0.0.1:7400");
  scheduler->add_option("--id", instance_id, "Instance id (default HOST-scheduler-PID)");

  auto* api_role =
      app.add_subcommand("api", "Serve the HTTP API from the store (distributed mode)");
  add_config(api_role);
  api_role->add_option("--listen", flags.listen, "HTTP address, e.g. 127.0.0.1:8080");

  std::string ctl_scheduler = "127.0.0.1:7400";
  std::vector<std::string> ctl_args;
  auto* ctl = app.add_subcommand("ctl", "Talk to a scheduler: status, run, runs, update");
  ctl->add_option("--scheduler", ctl_scheduler, "Scheduler control address (127.0.0.1:7400)");
  ctl->add_option("command", ctl_args, "status | run BOARD | runs BOARD [N] | update BOARD k=v...")
      ->required();

  CLI11_PARSE(app, argc, argv);

  std::string level = "info";
  if (auto cfg = load_config(flags.config_path, mu_environment(), schedule_validator()); cfg.ok()) {
    level = cfg->log.level;
  }
  setup_logging(level);

  if (*serve) {
    auto cfg = load(flags);
    if (!cfg.ok()) return fail(cfg.status());
    log_config_warnings(*cfg);
    return run_serve(*cfg, [&flags]() { return load(flags); });
  }
  if (*collector || *scheduler || *api_role) {
    auto cfg = load(flags);
    if (!cfg.ok()) return fail(cfg.status());
    log_config_warnings(*cfg);
    for (const auto& [flag, value] :
         {std::pair{"--listen", &role_listen}, {"--advertise", &advertise}}) {
      if (value->empty()) continue;
      if (Status s = check_listen_address(*value, ListenHost::kHostName); !s.ok()) {
        return fail(s.with_context(flag));
      }
    }
    if (*collector) {
      if (!role_listen.empty()) cfg->collector.listen = role_listen;
      if (!advertise.empty()) cfg->collector.advertise = advertise;
      if (!groups.empty()) {
        cfg->collector.groups.clear();
        std::stringstream in(groups);
        for (std::string g; std::getline(in, g, ',');) {
          if (!g.empty()) cfg->collector.groups.push_back(g);
        }
      }
      return run_collector(*cfg,
                           instance_id.empty() ? default_instance_id("collector") : instance_id);
    }
    if (*scheduler) {
      if (!role_listen.empty()) cfg->scheduler.listen = role_listen;
      return run_scheduler(*cfg,
                           instance_id.empty() ? default_instance_id("scheduler") : instance_id);
    }
    return run_api(*cfg);
  }
  if (*ctl) return run_ctl(ctl_scheduler, ctl_args);
  if (*fetch) return cmd_fetch(flags, board, as_json);
  if (*sources) return cmd_sources(flags, as_json, as_markdown);
  if (*check_sources) return cmd_check_sources(flags, live, only, workers);
  if (*migrate) return cmd_migrate(flags);
  if (*check) return cmd_config_check(flags);
  if (*cron_next) return cmd_cron_next(cron_expr, cron_tz, cron_from, cron_count);
  if (*search_cmd) return cmd_search(flags, search_args);
  if (*history_cmd) return cmd_history(flags, history_args);
  if (*notify_test_cmd) return run_notify_test(notify_args, std::cout, std::cerr);
  if (admin_id > 0) admin_login = "id:" + std::to_string(admin_id);
  if (*admin_grant_cmd) return cmd_admin(flags, AdminAction::kGrant, admin_login, false);
  if (*admin_revoke_cmd) return cmd_admin(flags, AdminAction::kRevoke, admin_login, false);
  if (*admin_list_cmd) return cmd_admin(flags, AdminAction::kList, "", as_json);
  if (*admin_link_cmd) return cmd_admin(flags, AdminAction::kLink, "", false);
  return 0;
}
