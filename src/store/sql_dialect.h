// The SQL dialects the stores speak: SQLite (embedded) and PostgreSQL (shared). Shared
// statements (store/sql_statements.h) and migrations (store/migrations.h) are written once
// and spelled per dialect where the engines differ.
// A plain enum; safe from any thread.
#pragma once

namespace mu::sql {

enum class Dialect { kSqlite, kPostgres };

}  // namespace mu::sql
