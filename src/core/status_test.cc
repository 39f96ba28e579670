#include "core/status.h"

#include <gtest/gtest.h>

#include <set>

#include "core/clock.h"

namespace mu {
namespace {

Result<int> half(int x) {
  if (x % 2 != 0) return error(ErrorCode::kInvalid, "odd number " + std::to_string(x));
  return x / 2;
}

Result<int> quarter(int x) {
  MU_ASSIGN_OR_RETURN(int h, half(x));
  MU_ASSIGN_OR_RETURN(int q, half(h));
  return q;
}

TEST(Status, OkAndErrorText) {
  EXPECT_TRUE(ok_status().ok());
  Status s = error(ErrorCode::kNotFound, "no board x.y");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.to_string(), "not-found: no board x.y");
  EXPECT_EQ(s.with_context("api").message(), "api: no board x.y");
  EXPECT_EQ(s.with_context("api").code(), ErrorCode::kNotFound);
}

TEST(Result, PropagatesFirstError) {
  EXPECT_EQ(*quarter(8), 2);
  Result<int> r = quarter(6);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.code(), ErrorCode::kInvalid);
  EXPECT_EQ(r.error_message(), "odd number 3");
  EXPECT_EQ(r.value_or(-1), -1);
}

TEST(ErrorCode, EveryCodeHasADistinctName) {
  std::set<std::string_view> names;
  for (int c = 0; c <= static_cast<int>(ErrorCode::kInternal); ++c) {
    names.insert(error_code_name(static_cast<ErrorCode>(c)));
  }
  EXPECT_EQ(names.size(), static_cast<size_t>(ErrorCode::kInternal) + 1);
  EXPECT_TRUE(is_retryable(ErrorCode::kTimeout));
  EXPECT_FALSE(is_retryable(ErrorCode::kParse));
}

TEST(Status, RetryPolicyLooksAtTheHttpStatus) {
  Status http = error(ErrorCode::kHttp, "HTTP x");
  EXPECT_TRUE(is_retryable(http.with_http(503)));
  EXPECT_TRUE(is_retryable(http.with_http(429, std::chrono::seconds(30))));
  EXPECT_TRUE(is_retryable(http.with_http(408)));
  EXPECT_FALSE(is_retryable(http.with_http(404)));
  EXPECT_FALSE(is_retryable(http.with_http(410)));
  EXPECT_TRUE(is_retryable(error(ErrorCode::kNetwork, "reset")));
  EXPECT_FALSE(is_retryable(error(ErrorCode::kBlocked, "captcha").with_http(403)));
  Status ctx = http.with_http(429, std::chrono::seconds(30)).with_context("weibo.hot-search");
  EXPECT_EQ(ctx.http_status(), 429);
  EXPECT_EQ(ctx.retry_after(), std::chrono::seconds(30));
}

TEST(FakeClock, AdvancesWallAndMonotonicTogether) {
  FakeClock clock;
  auto w = clock.now();
  auto m = clock.mono();
  clock.advance(std::chrono::seconds(90));
  EXPECT_EQ(clock.now() - w, std::chrono::seconds(90));
  EXPECT_EQ(clock.mono() - m, std::chrono::seconds(90));
  clock.set_wall(w);
  EXPECT_EQ(clock.now(), w);
  EXPECT_EQ(clock.mono() - m, std::chrono::seconds(90));
}

}  // namespace
}  // namespace mu
