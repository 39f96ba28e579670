#include "fetch/transport.h"

#include <gtest/gtest.h>

namespace mu {
namespace {

HttpResponse response(int status, Headers headers = {}) {
  HttpResponse r;
  r.status = status;
  r.headers = std::move(headers);
  r.effective_url = "https://user:pw@api.example.com/list?token=secret#x";
  return r;
}

TEST(CheckHttpStatus, CarriesStatusAndRetryAfterForRetryPolicy) {
  EXPECT_TRUE(check_http_status(response(204)).ok());
  Status busy = check_http_status(response(429, {{"retry-after", " 120 "}}));
  EXPECT_EQ(busy.code(), ErrorCode::kHttp);
  EXPECT_EQ(busy.http_status(), 429);
  EXPECT_EQ(busy.retry_after(), std::chrono::seconds(120));
  EXPECT_TRUE(is_retryable(busy));
  Status gone = check_http_status(response(404));
  EXPECT_EQ(gone.http_status(), 404);
  EXPECT_FALSE(is_retryable(gone));
  Status wall = check_http_status(response(412));
  EXPECT_EQ(wall.code(), ErrorCode::kBlocked);
  EXPECT_FALSE(is_retryable(wall));
  // The message names the status and a redacted URL (no credentials, query or fragment).
  EXPECT_EQ(gone.message(), "HTTP 404 from https://api.example.com/list");
}

TEST(ParseRetryAfter, OnlyDelaySeconds) {
  EXPECT_EQ(parse_retry_after("30"), std::chrono::seconds(30));
  EXPECT_EQ(parse_retry_after(""), std::chrono::seconds(0));
  EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2026 07:28:00 GMT"), std::chrono::seconds(0));
  EXPECT_EQ(parse_retry_after("-5"), std::chrono::seconds(0));
  EXPECT_EQ(parse_retry_after("99999999999"), std::chrono::seconds(0));
}

}  // namespace
}  // namespace mu
