// The distributed roles of Mu, each one process: `mu collector` (fetches over gRPC for the
// schedulers), `mu scheduler` (several instances, one leader by Redis lease; the leader
// plans and dispatches, every instance takes control requests), `mu api` (stateless HTTP
// API over the store), and `mu ctl` (a command-line client of a scheduler). Wiring only:
// the implementations live in their modules. Each run_* blocks until SIGINT/SIGTERM and
// returns the exit code.
#pragma once

#include <string>
#include <vector>

#include "core/config.h"

namespace mu {

int run_collector(const Config& config, const std::string& id);
int run_scheduler(const Config& config, const std::string& id);
int run_api(const Config& config);

// `mu ctl --scheduler ADDR <command> [args]`: status | run BOARD | runs BOARD [N] |
// update BOARD key=value... (every=90s, cron="*/5 * * * *", tz=..., enabled=true|false,
// group=cn, retries=2, timeout=20s). Prints JSON; returns 0 on success.
int run_ctl(const std::string& scheduler, const std::vector<std::string>& args);

// "<hostname>-<pid>": the default instance id of a role.
std::string default_instance_id(const std::string& role);

}  // namespace mu
