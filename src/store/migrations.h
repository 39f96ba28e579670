// Schema migrations shared by every Store implementation. The numbered SQL files in
// src/store/migrations/ (NNNN_name.sql, portable SQL) are embedded into the binary at
// build time; CMake checks that the numbers start at 1 and have no gaps. A store applies
// the pending ones in order, one transaction each, and records them in the
// `schema_migrations` table (created with kSchemaMigrationsTableSql before the first one).
// Immutable data; safe for concurrent use.
#pragma once

#include <span>
#include <string_view>

namespace mu {

struct Migration {
  int version = 0;        // 1, 2, ... (the file's number)
  std::string_view name;  // the file name, e.g. "0001_init.sql"
  std::string_view sql;   // the file's text: one or more statements separated by ';'
};

// Every embedded migration, ordered by version (version == index + 1).
std::span<const Migration> embedded_migrations();

// The version of the newest embedded migration: the schema this binary expects.
int latest_schema_version();

// Creates the bookkeeping table. Portable SQL; safe to run on every start.
inline constexpr std::string_view kSchemaMigrationsTableSql =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version INTEGER PRIMARY KEY,"
    " name TEXT NOT NULL,"
    " applied_at_ms BIGINT NOT NULL)";

}  // namespace mu
