// Status and Result<T>: how errors cross module boundaries in Mu (as values, never as
// exceptions). Every error carries a category that feeds logs, metrics and the API.
// Value types; safe to copy between threads.
#pragma once

#include <cassert>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace mu {

enum class ErrorCode {
  kOk = 0,
  kNetwork,      // connection refused, DNS, TLS, reset
  kHttp,         // the server answered with a non-success status
  kBlocked,      // anti-bot page, captcha, login wall, 403/412 challenge
  kParse,        // the body does not have the expected structure
  kTimeout,      // a deadline passed
  kTooLarge,     // a body or input over its size cap
  kConfig,       // bad configuration (file, environment, source spec)
  kInvalid,      // bad input from a caller (API parameter, CLI argument)
  kNotFound,     // no such board, site, file, row
  kConflict,     // already exists / already committed
  kFenced,       // a write from an older leader epoch
  kUnavailable,  // a dependency (database, Redis) is down; retry later
  kInternal,     // a bug or an unexpected library failure
};

// Stable lower-case name used in logs, JSON and metrics ("network", "not-found", ...).
std::string_view error_code_name(ErrorCode code);

// True for categories where trying again later may succeed (network, timeout, http,
// unavailable). See also is_retryable(const Status&), which also looks at the HTTP status.
bool is_retryable(ErrorCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status ok_status() { return Status(); }

  bool ok() const { return code_ == ErrorCode::kOk; }
  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // "parse: weibo.hot-search: missing data.realtime" style text for logs.
  std::string to_string() const;

  // Returns a copy with `context` prepended to the message ("context: message").
  Status with_context(std::string_view context) const;

  // HTTP facts of a failed fetch, kept so retry policy can tell a 503 from a 404 and honour
  // Retry-After: the response status (0: none) and the server's Retry-After (0: none).
  int http_status() const { return http_status_; }
  std::chrono::milliseconds retry_after() const { return retry_after_; }
  Status with_http(int http_status, std::chrono::milliseconds retry_after = {}) const {
    Status s = *this;
    s.http_status_ = http_status;
    s.retry_after_ = retry_after;
    return s;
  }

  // Which process or component the failure happened in, for records (the collector that
  // ran a failed dispatch: "c1", "local"); "" when unknown. Kept by with_context().
  const std::string& origin() const { return origin_; }
  Status with_origin(std::string origin) const {
    Status s = *this;
    s.origin_ = std::move(origin);
    return s;
  }

 private:
  ErrorCode code_ = ErrorCode::kOk;
  std::string message_;
  int http_status_ = 0;
  std::chrono::milliseconds retry_after_{0};
  std::string origin_;
};

// Whether a failed attempt is worth retrying: network, timeout and unavailable errors; HTTP
// errors only for 408, 429 and 5xx (a 404 or 410 will not get better); never parse, blocked,
// config, invalid, too-large, fenced, conflict.
bool is_retryable(const Status& status);

inline Status ok_status() { return Status(); }
inline Status error(ErrorCode code, std::string message) { return {code, std::move(message)}; }

// Result<T> holds either a value or a non-ok Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}        // NOLINT(google-explicit-constructor)
  Result(Status status) : v_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    assert(!std::get<Status>(v_).ok() && "Result needs a value or an error");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return ok(); }

  const T& value() const& { return std::get<T>(v_); }
  T& value() & { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  const T* operator->() const { return &std::get<T>(v_); }
  T* operator->() { return &std::get<T>(v_); }

  // The error; an ok Status when a value is held.
  Status status() const { return ok() ? Status() : std::get<Status>(v_); }
  const std::string& error_message() const { return std::get<Status>(v_).message(); }
  ErrorCode code() const { return ok() ? ErrorCode::kOk : std::get<Status>(v_).code(); }

  T value_or(T fallback) const& { return ok() ? value() : std::move(fallback); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace mu

// Propagate a non-ok Status / Result from the current function.
#define MU_RETURN_IF_ERROR(expr)             \
  do {                                       \
    ::mu::Status mu_status_ = (expr);        \
    if (!mu_status_.ok()) return mu_status_; \
  } while (0)

#define MU_CONCAT_INNER_(a, b) a##b
#define MU_CONCAT_(a, b) MU_CONCAT_INNER_(a, b)
#define MU_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                              \
  if (!tmp.ok()) return tmp.status();             \
  lhs = std::move(tmp).value()
// MU_ASSIGN_OR_RETURN(auto x, compute()); binds the value or returns the error.
#define MU_ASSIGN_OR_RETURN(lhs, expr) \
  MU_ASSIGN_OR_RETURN_IMPL_(MU_CONCAT_(mu_result_, __LINE__), lhs, expr)
