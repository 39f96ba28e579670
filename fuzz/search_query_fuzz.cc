// libFuzzer target: any ?q= either fails to parse with kInvalid or becomes engine queries
// that are well-formed — the FTS5 expression is accepted by a real FTS5 table (no syntax
// error, so user text never becomes FTS5 syntax), the tsquery literal has only quoted
// lexemes between its operators — and highlights of any text stay inside it, sorted and
// disjoint. Tokenizing and the story keys never crash on any bytes.
#include <sqlite3.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/search_text.h"

namespace {

sqlite3* fts_db() {
  static sqlite3* db = [] {
    sqlite3* d = nullptr;
    if (sqlite3_open(":memory:", &d) != SQLITE_OK ||
        sqlite3_exec(d,
                     "CREATE VIRTUAL TABLE f USING fts5(tokens, content='', "
                     "tokenize='unicode61 remove_diacritics 0');"
                     "INSERT INTO f(rowid, tokens) VALUES (1, '跨年 年晚 晚会 会 near or');",
                     nullptr, nullptr, nullptr) != SQLITE_OK) {
      __builtin_trap();
    }
    return d;
  }();
  return db;
}

// Outside quotes only spaces, '*' (after a closing quote) and the operators of a tsquery
// literal; inside quotes no unescaped quote.
bool well_formed(std::string_view expr, char quote, std::string_view allowed_outside) {
  bool inside = false;
  for (size_t i = 0; i < expr.size(); ++i) {
    const char c = expr[i];
    if (c == quote) {
      if (inside && i + 1 < expr.size() && expr[i + 1] == quote) {
        ++i;  // a doubled quote inside a string
        continue;
      }
      inside = !inside;
    } else if (!inside && allowed_outside.find(c) == std::string_view::npos) {
      return false;
    }
  }
  return !inside;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const size_t cut = in.find('\n');
  const std::string_view q = in.substr(0, cut);
  const std::string_view text = cut == std::string_view::npos ? in : in.substr(cut + 1);

  (void)mu::search::tokens(text);
  (void)mu::search::index_text(text, q);
  (void)mu::search::title_key(text);
  (void)mu::search::url_key(text);

  auto query = mu::search::parse_query(q);
  if (!query.ok()) {
    if (query.status().code() != mu::ErrorCode::kInvalid) __builtin_trap();
    return 0;
  }
  if (query->terms.empty() || query->terms.size() > mu::search::kMaxTerms) __builtin_trap();
  const std::string match = mu::search::fts5_match(*query);
  if (!well_formed(match, '"', " *")) __builtin_trap();
  if (!well_formed(mu::search::tsquery_literal(*query), '\'', " &()<->:*")) __builtin_trap();

  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(fts_db(), "SELECT rowid FROM f WHERE f MATCH ?1", -1, &stmt, nullptr) !=
      SQLITE_OK) {
    __builtin_trap();
  }
  sqlite3_bind_text(stmt, 1, match.data(), static_cast<int>(match.size()), SQLITE_TRANSIENT);
  int rc = SQLITE_ROW;
  while (rc == SQLITE_ROW) rc = sqlite3_step(stmt);
  sqlite3_finalize(stmt);
  if (rc != SQLITE_DONE) __builtin_trap();  // FTS5 refused the expression

  const size_t length = mu::search::decode_utf8(text).size();
  size_t last_end = 0;
  bool first = true;
  for (const auto& [begin, end] : mu::search::highlights(text, *query)) {
    if (begin >= end || end > length || (!first && begin <= last_end)) __builtin_trap();
    last_end = end;
    first = false;
  }
  return 0;
}
