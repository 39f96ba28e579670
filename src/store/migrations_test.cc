#include "store/migrations.h"

#include <gtest/gtest.h>

#include <cctype>
#include <cstdio>
#include <string>

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

// The shared files must stay runnable on PostgreSQL too.
TEST(MigrationsTest, SharedSqlAvoidsSqliteOnlySyntax) {
  const char* const kSqliteOnly[] = {
      "AUTOINCREMENT", "WITHOUT ROWID", "PRAGMA",  "INSERT OR ",    "REPLACE INTO",      ") STRICT",
      " GLOB ",        "DATETIME(",     "IFNULL(", "JSON_EXTRACT(", "LAST_INSERT_ROWID("};
  for (const Migration& migration : embedded_migrations()) {
    // Upper-cased code without `--` comments (the comments may name what is avoided).
    std::string code;
    bool in_comment = false;
    for (size_t i = 0; i < migration.sql.size(); ++i) {
      const char c = migration.sql[i];
      if (!in_comment && c == '-' && i + 1 < migration.sql.size() && migration.sql[i + 1] == '-') {
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

}  // namespace
}  // namespace mu
