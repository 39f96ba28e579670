#include "store/migrations.h"

#include <gtest/gtest.h>

#include <cctype>
#include <cstdio>
#include <string>
#include <string_view>

namespace mu {
namespace {

TEST(MigrationsTest, NumberedFromOneWithoutGaps) {
  const auto migrations = embedded_migrations();
  ASSERT_FALSE(migrations.empty());
  for (size_t i = 0; i < migrations.size(); ++i) {
    EXPECT_EQ(migrations[i].version, static_cast<int>(i + 1)) << migrations[i].name;
    char prefix[8];
    std::snprintf(prefix, sizeof prefix, "%04d_", migrations[i].version);
    EXPECT_EQ(migrations[i].name.substr(0, 5), prefix);
    EXPECT_FALSE(migrations[i].sql.empty()) << migrations[i].name;
  }
  EXPECT_EQ(latest_schema_version(), migrations.back().version);
  EXPECT_EQ(migrations.front().name, "0001_init.sql");
}

// What PostgreSQL runs (the shared sections and its own) must avoid SQLite's syntax.
TEST(MigrationsTest, SharedSqlAvoidsSqliteOnlySyntax) {
  const char* const kSqliteOnly[] = {
      "AUTOINCREMENT", "WITHOUT ROWID", "PRAGMA",  "INSERT OR ",    "REPLACE INTO",      ") STRICT",
      " GLOB ",        "DATETIME(",     "IFNULL(", "JSON_EXTRACT(", "LAST_INSERT_ROWID("};
  for (const Migration& migration : embedded_migrations()) {
    const std::string sql = migration_sql(migration, sql::Dialect::kPostgres);
    // Upper-cased code without `--` comments (the comments may name what is avoided).
    std::string code;
    bool in_comment = false;
    for (size_t i = 0; i < sql.size(); ++i) {
      const char c = sql[i];
      if (!in_comment && c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
        in_comment = true;
      } else if (c == '\n') {
        in_comment = false;
      }
      if (!in_comment) {
        code += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      }
    }
    for (const char* word : kSqliteOnly) {
      EXPECT_EQ(code.find(word), std::string::npos) << migration.name << " uses " << word;
    }
  }
}

TEST(MigrationsTest, DialectSectionsGoToTheirDialectOnly) {
  const Migration migration{9, "0009_x.sql",
                            "CREATE TABLE a (x INTEGER);\n"
                            "-- mu:dialect sqlite\n"
                            "CREATE VIRTUAL TABLE f USING fts5(t);\n"
                            "-- mu:dialect postgres\n"
                            "ALTER TABLE a ADD COLUMN s tsvector;\n"
                            "-- mu:dialect all\n"
                            "CREATE INDEX a_x ON a (x);"};
  EXPECT_EQ(migration_sql(migration, sql::Dialect::kSqlite),
            "CREATE TABLE a (x INTEGER);\n\nCREATE VIRTUAL TABLE f USING fts5(t);\n\n\n\n"
            "CREATE INDEX a_x ON a (x);");
  EXPECT_EQ(migration_sql(migration, sql::Dialect::kPostgres),
            "CREATE TABLE a (x INTEGER);\n\n\n\nALTER TABLE a ADD COLUMN s tsvector;\n\n"
            "CREATE INDEX a_x ON a (x);");
  // Without markers a file is for both, unchanged.
  const Migration plain{1, "0001_x.sql", "CREATE TABLE b (y TEXT);\n"};
  EXPECT_EQ(migration_sql(plain, sql::Dialect::kSqlite), plain.sql);
  EXPECT_EQ(migration_sql(plain, sql::Dialect::kPostgres), plain.sql);
}

TEST(MigrationsTest, DialectMarkersNameAKnownDialect) {
  for (const Migration& migration : embedded_migrations()) {
    std::string_view rest = migration.sql;
    while (!rest.empty()) {
      const size_t end = rest.find('\n');
      const std::string_view line = rest.substr(0, end);
      rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
      if (line.starts_with("-- mu:dialect")) {
        EXPECT_TRUE(line == "-- mu:dialect sqlite" || line == "-- mu:dialect postgres" ||
                    line == "-- mu:dialect all")
            << migration.name << ": " << line;
      }
    }
  }
}

}  // namespace
}  // namespace mu
