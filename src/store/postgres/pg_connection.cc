#include "store/postgres/pg_connection.h"

#include <libpq-fe.h>
#include <spdlog/spdlog.h>

#include <charconv>
#include <cmath>
#include <cstring>
#include <system_error>

namespace mu::pg {
namespace {

constexpr std::string_view kReplacementCharacter = "\xEF\xBF\xBD";  // U+FFFD

// Length of the valid UTF-8 sequence starting at text[i], or 0 when it is not one. NUL
// counts as invalid: PostgreSQL text cannot hold it.
size_t utf8_sequence_length(std::string_view text, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  if (lead < 0x80) {
    return lead == 0 ? 0 : 1;
  }
  size_t length = 0;
  unsigned char second_min = 0x80;
  unsigned char second_max = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) {
      second_min = 0xA0;  // no overlong forms
    }
    if (lead == 0xED) {
      second_max = 0x9F;  // no UTF-16 surrogates
    }
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) {
      second_min = 0x90;  // no overlong forms
    }
    if (lead == 0xF4) {
      second_max = 0x8F;  // nothing above U+10FFFF
    }
  } else {
    return 0;
  }
  if (i + length > text.size()) {
    return 0;
  }
  if (byte(i + 1) < second_min || byte(i + 1) > second_max) {
    return 0;
  }
  for (size_t k = 2; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) {
      return 0;
    }
  }
  return length;
}

// libpq messages end in a newline and may span lines: one line for ours.
std::string one_line(std::string_view message) {
  std::string out;
  out.reserve(message.size());
  bool space = false;
  for (const char c : message) {
    if (c == '\n' || c == '\r' || c == '\t') {
      space = !out.empty();
      continue;
    }
    if (space) {
      out += ' ';
      space = false;
    }
    out += c;
  }
  return out;
}

void replace_all(std::string& text, std::string_view from, std::string_view to) {
  if (from.empty()) {
    return;
  }
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
}

// The raw password of a URL ("postgresql://user:pw@host/db" -> "pw"), found without libpq
// so that it can be blanked out of libpq's messages about a URL it failed to parse.
std::string raw_password(std::string_view url) {
  const size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) {
    return {};
  }
  std::string_view rest = url.substr(scheme_end + 3);
  rest = rest.substr(0, rest.find_first_of("/?"));
  const size_t at = rest.rfind('@');
  if (at == std::string_view::npos) {
    return {};
  }
  const std::string_view userinfo = rest.substr(0, at);
  const size_t colon = userinfo.find(':');
  return colon == std::string_view::npos ? std::string() : std::string(userinfo.substr(colon + 1));
}

bool valid_port_list(std::string_view ports) {
  while (true) {
    const size_t comma = ports.find(',');
    const std::string_view port = ports.substr(0, comma);
    int value = 0;
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (port.empty() || ec != std::errc() || end != port.data() + port.size() || value < 1 ||
        value > 65535) {
      return false;
    }
    if (comma == std::string_view::npos) {
      return true;
    }
    ports.remove_prefix(comma + 1);
  }
}

void log_notice(void* /*arg*/, const char* message) {
  spdlog::debug("postgres: {}", one_line(message != nullptr ? message : ""));
}

bool connection_lost_state(std::string_view sqlstate) {
  return sqlstate.starts_with("08") || sqlstate == "57P01" || sqlstate == "57P02" ||
         sqlstate == "57P03";
}

}  // namespace

ErrorCode error_code_for_sqlstate(std::string_view sqlstate) {
  if (sqlstate == "23505") {
    return ErrorCode::kConflict;  // unique_violation
  }
  if (sqlstate.starts_with("08") ||  // connection exception
      sqlstate.starts_with("53") ||  // insufficient resources (too many connections, disk full)
      sqlstate.starts_with("57") ||  // operator intervention: shutdown, statement timeout
      sqlstate.starts_with("40") ||  // serialization failure, deadlock: try again
      sqlstate == "55P03" ||         // lock_not_available
      sqlstate == "25006") {         // read_only_sql_transaction (a standby)
    return ErrorCode::kUnavailable;
  }
  if (sqlstate == "42P01" ||  // undefined_table
      sqlstate == "42703" ||  // undefined_column
      sqlstate == "3F000") {  // invalid_schema_name
    return ErrorCode::kConfig;
  }
  if (sqlstate == "22021" ||  // character_not_in_repertoire (bad UTF-8, NUL)
      sqlstate == "22P05" ||  // untranslatable_character
      sqlstate == "22003" ||  // numeric_value_out_of_range
      sqlstate == "22001") {  // string_data_right_truncation
    return ErrorCode::kInvalid;
  }
  return ErrorCode::kInternal;
}

bool is_storable_text(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    const size_t length = utf8_sequence_length(text, i);
    if (length == 0) {
      return false;
    }
    i += length;
  }
  return true;
}

std::string make_storable_text(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const size_t length = utf8_sequence_length(text, i);
    if (length > 0) {
      out.append(text.substr(i, length));
      i += length;
    } else {
      if (text[i] != '\0') {
        out.append(kReplacementCharacter);
      }
      ++i;
    }
  }
  return out;
}

// --- Params ------------------------------------------------------------------------------

Params& Params::add_text(std::string_view value) {
  values_.emplace_back(std::string(value));
  return *this;
}

Params& Params::add_int(int64_t value) {
  values_.emplace_back(std::to_string(value));
  return *this;
}

Params& Params::add_double(double value) {
  if (std::isnan(value)) {
    values_.emplace_back("NaN");
  } else if (std::isinf(value)) {
    values_.emplace_back(value > 0 ? "Infinity" : "-Infinity");
  } else {
    char buffer[64];
    // Shortest text that reads back as the same double (PostgreSQL parses it exactly).
    const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
    values_.emplace_back(std::string(buffer, ec == std::errc() ? end : buffer));
  }
  return *this;
}

Params& Params::add_null() {
  values_.emplace_back(std::nullopt);
  return *this;
}

Params& Params::add_optional_int(const std::optional<int64_t>& value) {
  return value ? add_int(*value) : add_null();
}

Params& Params::add_optional_double(const std::optional<double>& value) {
  return value ? add_double(*value) : add_null();
}

const char* const* Params::pointers() const {
  pointers_.clear();
  pointers_.reserve(values_.size());
  for (const std::optional<std::string>& value : values_) {
    pointers_.push_back(value ? value->c_str() : nullptr);
  }
  return pointers_.empty() ? nullptr : pointers_.data();
}

// --- PgResult ----------------------------------------------------------------------------

void PgResult::Clearer::operator()(pg_result* result) const { PQclear(result); }

int PgResult::rows() const { return result_ ? PQntuples(result_.get()) : 0; }

bool PgResult::is_null(int row, int column) const {
  return PQgetisnull(result_.get(), row, column) != 0;
}

std::string_view PgResult::text(int row, int column) const {
  return {PQgetvalue(result_.get(), row, column),
          static_cast<size_t>(PQgetlength(result_.get(), row, column))};
}

int64_t PgResult::int64(int row, int column) const {
  const std::string_view value = text(row, column);
  int64_t out = 0;
  std::from_chars(value.data(), value.data() + value.size(), out);
  return out;
}

std::optional<int64_t> PgResult::optional_int64(int row, int column) const {
  if (is_null(row, column)) {
    return std::nullopt;
  }
  return int64(row, column);
}

std::optional<double> PgResult::optional_double(int row, int column) const {
  if (is_null(row, column)) {
    return std::nullopt;
  }
  const std::string_view value = text(row, column);
  double out = 0;
  std::from_chars(value.data(), value.data() + value.size(), out);
  return out;
}

std::string_view PgResult::command_tag() const {
  const char* tag = result_ ? PQcmdStatus(result_.get()) : nullptr;
  return tag != nullptr ? std::string_view(tag) : std::string_view();
}

int64_t PgResult::affected_rows() const {
  const char* tuples = PQcmdTuples(result_.get());
  int64_t out = 0;
  if (tuples != nullptr) {
    std::from_chars(tuples, tuples + std::strlen(tuples), out);
  }
  return out;
}

// --- URL ---------------------------------------------------------------------------------

Result<ConnectionConfig> parse_postgres_url(const std::string& url) {
  constexpr std::string_view kFormat = "postgresql://user[:password]@host:port/database";
  if (!url.starts_with("postgresql://") && !url.starts_with("postgres://")) {
    const size_t scheme_end = url.find("://");
    return error(ErrorCode::kConfig,
                 "postgres url must look like " + std::string(kFormat) +
                     (scheme_end == std::string::npos
                          ? std::string(" (it has no scheme)")
                          : " (its scheme is '" + url.substr(0, scheme_end) + "')"));
  }
  const std::string password = raw_password(url);
  char* parse_error = nullptr;
  PQconninfoOption* options = PQconninfoParse(url.c_str(), &parse_error);
  if (options == nullptr) {
    std::string reason = parse_error != nullptr ? one_line(parse_error) : "out of memory";
    PQfreemem(parse_error);
    replace_all(reason, password, "****");
    return error(ErrorCode::kConfig,
                 "invalid postgres url (" + std::string(kFormat) + "): " + reason);
  }
  std::string user;
  std::string host;
  std::string port;
  std::string dbname;
  std::string url_options;
  for (const PQconninfoOption* option = options; option->keyword != nullptr; ++option) {
    if (option->val == nullptr) {
      continue;
    }
    const std::string_view keyword = option->keyword;
    if (keyword == "user") {
      user = option->val;
    }
    if (keyword == "host") {
      host = option->val;
    }
    if (keyword == "port") {
      port = option->val;
    }
    if (keyword == "dbname") {
      dbname = option->val;
    }
    if (keyword == "options") {
      url_options = option->val;
    }
  }
  PQconninfoFree(options);
  if (!port.empty() && !valid_port_list(port)) {
    return error(ErrorCode::kConfig,
                 "invalid postgres url (" + std::string(kFormat) + "): bad port '" + port + "'");
  }
  ConnectionConfig config;
  config.params.emplace_back("dbname", url);
  config.url_options = std::move(url_options);
  config.description = "postgresql://" + (user.empty() ? std::string() : user + "@") +
                       (host.empty() ? std::string("localhost") : host) +
                       (port.empty() ? std::string() : ":" + port) + "/" + dbname;
  return config;
}

// --- PgConnection ------------------------------------------------------------------------

void PgConnection::Finisher::operator()(pg_conn* conn) const { PQfinish(conn); }

Result<std::unique_ptr<PgConnection>> PgConnection::connect(const ConnectionConfig& config) {
  std::vector<const char*> keywords;
  std::vector<const char*> values;
  keywords.reserve(config.params.size() + 1);
  values.reserve(config.params.size() + 1);
  for (const auto& [keyword, value] : config.params) {
    keywords.push_back(keyword.c_str());
    values.push_back(value.c_str());
  }
  keywords.push_back(nullptr);
  values.push_back(nullptr);
  PGconn* raw = PQconnectdbParams(keywords.data(), values.data(), /*expand_dbname=*/1);
  if (raw == nullptr) {
    return error(ErrorCode::kUnavailable, "postgres " + config.description + ": out of memory");
  }
  if (PQstatus(raw) != CONNECTION_OK) {
    std::string reason = one_line(PQerrorMessage(raw));
    PQfinish(raw);
    return error(ErrorCode::kUnavailable,
                 "postgres " + config.description + ": cannot connect: " + reason);
  }
  PQsetNoticeProcessor(raw, &log_notice, nullptr);
  return std::make_unique<PgConnection>(Key(), config, raw);
}

PgConnection::PgConnection(Key, const ConnectionConfig& config, pg_conn* conn)
    : description_(config.description), conn_(conn) {}

PgConnection::~PgConnection() = default;

bool PgConnection::broken() const { return lost_ || PQstatus(conn_.get()) != CONNECTION_OK; }

bool PgConnection::idle() const {
  return !broken() && PQtransactionStatus(conn_.get()) == PQTRANS_IDLE;
}

Status PgConnection::error_status(const pg_result* result, std::string_view what) const {
  const std::string context = what.empty() ? std::string() : std::string(what) + ": ";
  const char* state = result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  const std::string_view sqlstate = state != nullptr ? state : "";
  if (PQstatus(conn_.get()) != CONNECTION_OK || connection_lost_state(sqlstate)) {
    const char* message =
        result != nullptr ? PQresultErrorMessage(result) : PQerrorMessage(conn_.get());
    std::string reason = one_line(message != nullptr ? message : "");
    if (reason.empty()) {
      reason = one_line(PQerrorMessage(conn_.get()));
    }
    return error(ErrorCode::kUnavailable,
                 "postgres " + description_ + ": " + context + "connection lost: " + reason);
  }
  const char* primary =
      result != nullptr ? PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
  std::string message = one_line(primary != nullptr ? primary : PQerrorMessage(conn_.get()));
  const ErrorCode code = error_code_for_sqlstate(sqlstate);
  std::string text = "postgres: " + context + message;
  if (!sqlstate.empty()) {
    text += " (SQLSTATE " + std::string(sqlstate) + ")";
  }
  if (sqlstate == "42P01") {
    text += "; the schema is not migrated (run migrate)";
  }
  if (sqlstate == "57014") {
    text += "; statement timeout";
  }
  return error(code, std::move(text));
}

Result<PgResult> PgConnection::check(pg_result* raw, std::string_view what) {
  PgResult result(raw);
  const ExecStatusType status = raw != nullptr ? PQresultStatus(raw) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
    return result;
  }
  if (status == PGRES_EMPTY_QUERY) {
    return error(ErrorCode::kInternal, "postgres: " + std::string(what) + ": empty query");
  }
  Status failure = error_status(raw, what);
  const char* state = raw != nullptr ? PQresultErrorField(raw, PG_DIAG_SQLSTATE) : nullptr;
  if (PQstatus(conn_.get()) != CONNECTION_OK ||
      (state != nullptr && connection_lost_state(state))) {
    lost_ = true;
  }
  return failure;
}

Result<PgResult> PgConnection::query(std::string_view sql, const Params& params) {
  auto it = prepared_.find(sql);
  if (it == prepared_.end()) {
    std::string name = "mu_" + std::to_string(prepared_.size() + 1);
    std::string text(sql);
    MU_RETURN_IF_ERROR(
        check(PQprepare(conn_.get(), name.c_str(), text.c_str(), params.size(), nullptr), "prepare")
            .status());
    it = prepared_.emplace(std::move(text), std::move(name)).first;
  }
  return check(PQexecPrepared(conn_.get(), it->second.c_str(), params.size(), params.pointers(),
                              nullptr, nullptr, /*resultFormat=*/0),
               "");
}

Result<PgResult> PgConnection::query_uncached(const std::string& sql, const Params& params) {
  return check(PQexecParams(conn_.get(), sql.c_str(), params.size(), nullptr, params.pointers(),
                            nullptr, nullptr, /*resultFormat=*/0),
               "");
}

Status PgConnection::exec(const std::string& sql, std::string_view what) {
  return check(PQexec(conn_.get(), sql.c_str()), what).status();
}

// --- Transaction -------------------------------------------------------------------------

Status Transaction::begin(const char* begin_sql) {
  MU_RETURN_IF_ERROR(conn_.exec(begin_sql, "begin"));
  active_ = true;
  return ok_status();
}

Status Transaction::commit() {
  active_ = false;
  auto result = conn_.check(PQexec(conn_.conn_.get(), "COMMIT"), "commit");
  if (!result.ok()) {
    if (conn_.broken()) {
      conn_.outcome_unknown_ = true;
      return error(ErrorCode::kUnavailable,
                   result.error_message() + " (the transaction may or may not have been applied)");
    }
    return result.status();
  }
  if (result->command_tag() != "COMMIT") {  // "ROLLBACK": the transaction had failed
    return error(ErrorCode::kInternal, "postgres: the server rolled the transaction back");
  }
  return ok_status();
}

Transaction::~Transaction() {
  if (active_ && !conn_.broken()) {
    PgResult result(PQexec(conn_.conn_.get(), "ROLLBACK"));
  }
}

}  // namespace mu::pg
