#include "store/sql_statements.h"

namespace mu::sql {

std::string row_insert_sql(const RowInsert& insert, std::size_t rows, Dialect dialect) {
  const char marker = dialect == Dialect::kSqlite ? '?' : '$';
  std::string sql(insert.head);
  sql.reserve(insert.head.size() + insert.tail.size() +
              rows * (static_cast<std::size_t>(insert.width) * 6 + insert.row_suffix.size()));
  int next = 1;
  for (std::size_t row = 0; row < rows; ++row) {
    sql += row == 0 ? "(" : ", (";
    for (int column = 0; column < insert.width; ++column) {
      if (column > 0) {
        sql += ", ";
      }
      sql += marker;
      sql += std::to_string(next++);
    }
    sql += insert.row_suffix;
    sql += ')';
  }
  sql += insert.tail;
  return sql;
}

}  // namespace mu::sql
