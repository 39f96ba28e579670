#include "core/status.h"

namespace mu {

std::string_view error_code_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk:
      return "ok";
    case ErrorCode::kNetwork:
      return "network";
    case ErrorCode::kHttp:
      return "http";
    case ErrorCode::kBlocked:
      return "blocked";
    case ErrorCode::kParse:
      return "parse";
    case ErrorCode::kTimeout:
      return "timeout";
    case ErrorCode::kTooLarge:
      return "too-large";
    case ErrorCode::kConfig:
      return "config";
    case ErrorCode::kInvalid:
      return "invalid";
    case ErrorCode::kNotFound:
      return "not-found";
    case ErrorCode::kConflict:
      return "conflict";
    case ErrorCode::kFenced:
      return "fenced";
    case ErrorCode::kUnavailable:
      return "unavailable";
    case ErrorCode::kInternal:
      return "internal";
  }
  return "internal";
}

bool is_retryable(ErrorCode code) {
  return code == ErrorCode::kNetwork || code == ErrorCode::kTimeout ||
         code == ErrorCode::kUnavailable || code == ErrorCode::kHttp;
}

bool is_retryable(const Status& status) {
  if (!is_retryable(status.code())) return false;
  if (status.code() != ErrorCode::kHttp) return true;
  const int http = status.http_status();
  return http == 0 || http == 408 || http == 429 || http >= 500;
}

std::string Status::to_string() const {
  if (ok()) return "ok";
  std::string out(error_code_name(code_));
  out += ": ";
  out += message_;
  return out;
}

Status Status::with_context(std::string_view context) const {
  if (ok()) return *this;
  std::string msg(context);
  msg += ": ";
  msg += message_;
  Status s(code_, std::move(msg));
  s.http_status_ = http_status_;
  s.retry_after_ = retry_after_;
  s.origin_ = origin_;
  return s;
}

}  // namespace mu
