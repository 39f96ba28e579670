// Thin RAII layer over libpq used by PostgresStore: an owned connection with a per-connection
// cache of prepared statements, text-format statement parameters, an owned result with typed
// column readers, and a transaction guard that rolls back unless committed. libpq failures
// become mu::Status here: connection-level failures (the socket broke, the server is down or
// shutting down, too many connections, a statement timeout) are kUnavailable; unique
// violations (SQLSTATE 23505) are kConflict; a missing table is kConfig ("not migrated");
// text the database cannot hold is kInvalid; anything else is kInternal with the SQLSTATE and
// the server's message. Messages never contain the password.
//
// Not thread-safe: a PgConnection and everything borrowed from it are used by one thread at
// a time (PostgresStore hands each connection to one caller at a time through its pool).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/status.h"

struct pg_conn;
struct pg_result;

namespace mu::pg {

// Error category of a SQLSTATE (five characters; empty when the server sent none).
ErrorCode error_code_for_sqlstate(std::string_view sqlstate);

// Whether `text` can be stored in a PostgreSQL text value of a UTF8 database: valid UTF-8
// (no overlong forms, no surrogates) without NUL bytes.
bool is_storable_text(std::string_view text);

// `text` made storable: NUL bytes dropped, every other byte that does not begin a valid
// UTF-8 sequence replaced by U+FFFD.
std::string make_storable_text(std::string_view text);

// Text-format parameters of one statement ($1, $2, ...). Values are copied.
class Params {
 public:
  Params& add_text(std::string_view value);
  Params& add_int(int64_t value);
  Params& add_double(double value);
  Params& add_null();
  Params& add_optional_int(const std::optional<int64_t>& value);
  Params& add_optional_double(const std::optional<double>& value);

  int size() const { return static_cast<int>(values_.size()); }
  // Pointers to the values (null for NULL), valid until the next add.
  const char* const* pointers() const;

 private:
  std::vector<std::optional<std::string>> values_;
  mutable std::vector<const char*> pointers_;
};

// An owned PGresult. Rows and columns are 0-based; NULL reads as 0 / "" / nullopt.
class PgResult {
 public:
  explicit PgResult(pg_result* result) : result_(result) {}

  int rows() const;
  bool is_null(int row, int column) const;
  std::string_view text(int row, int column) const;
  int64_t int64(int row, int column) const;
  std::optional<int64_t> optional_int64(int row, int column) const;
  std::optional<double> optional_double(int row, int column) const;
  // Rows touched by an INSERT / UPDATE / DELETE.
  int64_t affected_rows() const;
  // The command status tag: "COMMIT", "INSERT 0 1", ...
  std::string_view command_tag() const;

 private:
  struct Clearer {
    void operator()(pg_result* result) const;
  };
  std::unique_ptr<pg_result, Clearer> result_;
};

// How to reach the server: libpq keyword/value pairs (the URL first, as "dbname", expanded
// by libpq; later pairs override what the URL says) and a password-free description for
// messages and logs ("postgresql://user@host:port/db").
struct ConnectionConfig {
  std::vector<std::pair<std::string, std::string>> params;
  std::string description;
  // The URL's `options` parameter (server settings such as "-c search_path=x"), for a
  // caller that adds settings of its own to it.
  std::string url_options;
};

// Parses and checks a postgresql:// or postgres:// URL. kConfig, with libpq's reason, for
// anything else, for malformed URLs (unknown parameters, a non-numeric port) and for URLs
// without a host. The description leaves the password out.
Result<ConnectionConfig> parse_postgres_url(const std::string& url);

class PgConnection {
 public:
  // Connects (blocking, bounded by the config's connect_timeout). kUnavailable with libpq's
  // reason when the server cannot be reached or refuses the connection.
  static Result<std::unique_ptr<PgConnection>> connect(const ConnectionConfig& config);

  struct Key {  // only connect() can construct a connection
   private:
    friend class PgConnection;
    Key() = default;
  };
  PgConnection(Key, const ConnectionConfig& config, pg_conn* conn);
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // Runs one statement through the prepared-statement cache: prepared once per connection
  // (keyed by the text), then executed with `params`. For fixed statements.
  Result<PgResult> query(std::string_view sql, const Params& params = {});
  // Runs one statement without caching it (statements whose text varies, e.g. multi-row
  // inserts sized to the data).
  Result<PgResult> query_uncached(const std::string& sql, const Params& params);
  // Runs a script of one or more statements without parameters (migrations, BEGIN).
  Status exec(const std::string& sql, std::string_view what);

  // A Status for a failed result (or for the connection when `result` is null).
  Status error_status(const pg_result* result, std::string_view what) const;

  // The connection is unusable (the server went away or the socket broke).
  bool broken() const;
  // Connected and outside any transaction: fit to go back to a pool.
  bool idle() const;
  // Set when a COMMIT failed because the connection broke: the transaction may or may not
  // have been applied, so the caller must not blindly run it again. Cleared by
  // begin_attempt().
  bool outcome_unknown() const { return outcome_unknown_; }
  void begin_attempt() { outcome_unknown_ = false; }

  const std::string& description() const { return description_; }

 private:
  friend class Transaction;
  struct Finisher {
    void operator()(pg_conn* conn) const;
  };

  Result<PgResult> check(pg_result* raw, std::string_view what);

  std::string description_;
  std::unique_ptr<pg_conn, Finisher> conn_;
  struct TextHash {
    using is_transparent = void;
    size_t operator()(std::string_view text) const { return std::hash<std::string_view>()(text); }
  };
  // SQL text -> name of the prepared statement.
  std::unordered_map<std::string, std::string, TextHash, std::equal_to<>> prepared_;
  bool lost_ = false;  // a connection-level error was seen
  bool outcome_unknown_ = false;
};

// Rolls the transaction back on destruction unless commit() succeeded.
class Transaction {
 public:
  explicit Transaction(PgConnection& conn) : conn_(conn) {}
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  // `begin_sql`: "BEGIN" or, e.g., "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY".
  Status begin(const char* begin_sql = "BEGIN");
  // kUnavailable (and the connection's outcome_unknown() set) when the connection broke
  // while committing; kInternal when the server rolled back instead.
  Status commit();

 private:
  PgConnection& conn_;
  bool active_ = false;
};

}  // namespace mu::pg
