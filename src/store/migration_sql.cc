#include <string_view>

#include "store/migrations.h"

namespace mu {
namespace {

constexpr std::string_view kMarker = "-- mu:dialect ";

enum class Section { kAll, kSqlite, kPostgres, kUnknown };

Section section_of(std::string_view name) {
  while (!name.empty() && (name.back() == ' ' || name.back() == '\r' || name.back() == '\t')) {
    name.remove_suffix(1);
  }
  if (name == "all") return Section::kAll;
  if (name == "sqlite") return Section::kSqlite;
  if (name == "postgres") return Section::kPostgres;
  return Section::kUnknown;  // kept by neither dialect (migrations_test rejects it)
}

}  // namespace

std::string migration_sql(const Migration& migration, sql::Dialect dialect) {
  const Section mine = dialect == sql::Dialect::kSqlite ? Section::kSqlite : Section::kPostgres;
  std::string out;
  out.reserve(migration.sql.size());
  Section current = Section::kAll;
  std::string_view rest = migration.sql;
  while (!rest.empty()) {
    const size_t end = rest.find('\n');
    const std::string_view line = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
    if (line.starts_with(kMarker)) {
      current = section_of(line.substr(kMarker.size()));
    } else if (current == Section::kAll || current == mine) {
      out += line;
    }
    if (end != std::string_view::npos) {
      out += '\n';
    }
  }
  return out;
}

}  // namespace mu
