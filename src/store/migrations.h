// Schema migrations shared by every Store implementation. The numbered SQL files in
// src/store/migrations/ (NNNN_name.sql, portable SQL) are embedded into the binary at
// build time; CMake checks that the numbers start at 1 and have no gaps. A store applies
// the pending ones in order, one transaction each, and records them in the
// `schema_migrations` table (created with kSchemaMigrationsTableSql before the first one).
//
// Where the engines need different SQL (SQLite's FTS5 table, PostgreSQL's tsvector column),
// a file is cut into sections by marker lines of their own:
//   -- mu:dialect sqlite      what follows is for SQLite only
//   -- mu:dialect postgres    ... for PostgreSQL only
//   -- mu:dialect all         ... for both again (the default at the top of a file)
// and a store runs migration_sql(migration, its dialect).
// Immutable data and pure functions; safe for concurrent use.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "store/sql_dialect.h"

namespace mu {

struct Migration {
  int version = 0;        // 1, 2, ... (the file's number)
  std::string_view name;  // the file name, e.g. "0001_init.sql"
  std::string_view sql;   // the file's text: one or more statements separated by ';'
};

// The statements of `migration` for `dialect`: the file without the sections of the other
// dialect (marker lines and dropped lines become empty lines, so line numbers hold).
std::string migration_sql(const Migration& migration, sql::Dialect dialect);

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
