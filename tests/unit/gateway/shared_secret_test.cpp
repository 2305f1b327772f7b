#include "gateway/shared_secret.hpp"

#include <gtest/gtest.h>

namespace pincer::gateway {
namespace {

using namespace std::chrono_literals;

// Equal secrets match; anything else, including an empty configured secret, does not.
TEST(SharedSecret, ComparesSecrets) {
  EXPECT_TRUE(secrets_equal("s3cret", "s3cret"));
  EXPECT_FALSE(secrets_equal("s3cre", "s3cret"));
  EXPECT_FALSE(secrets_equal("s3cret!", "s3cret"));
  EXPECT_FALSE(secrets_equal("", ""));
  EXPECT_FALSE(secrets_equal("anything", ""));
}

// After max_attempts failures inside the window an address is locked out for lockout_ms;
// other addresses and (by default) loopback are unaffected.
TEST(AuthRateLimiter, LocksOutAnAddressAfterRepeatedFailures) {
  core::GatewayAuthRateLimit limits;
  limits.max_attempts = 3;
  limits.window_ms = 60'000;
  limits.lockout_ms = 10'000;
  AuthRateLimiter limiter(limits);
  auto t0 = AuthRateLimiter::Clock::time_point{} + 1h;
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(limiter.retry_after_ms("10.0.0.5", false, t0), 0);
    limiter.record_failure("10.0.0.5", false, t0);
  }
  EXPECT_GT(limiter.retry_after_ms("10.0.0.5", false, t0), 9'000);
  EXPECT_EQ(limiter.retry_after_ms("10.0.0.6", false, t0), 0);
  EXPECT_EQ(limiter.retry_after_ms("10.0.0.5", false, t0 + 11s), 0);

  for (int i = 0; i < 5; ++i) {
    limiter.record_failure("127.0.0.1", true, t0);
  }
  EXPECT_EQ(limiter.retry_after_ms("127.0.0.1", true, t0), 0);
}

// Failures spread wider than the window never add up to a lockout.
TEST(AuthRateLimiter, ForgetsFailuresOutsideTheWindow) {
  core::GatewayAuthRateLimit limits;
  limits.max_attempts = 2;
  limits.window_ms = 1'000;
  AuthRateLimiter limiter(limits);
  auto t0 = AuthRateLimiter::Clock::time_point{} + 1h;
  limiter.record_failure("10.0.0.5", false, t0);
  limiter.record_failure("10.0.0.5", false, t0 + 2s);
  EXPECT_EQ(limiter.retry_after_ms("10.0.0.5", false, t0 + 2s), 0);
}

}  // namespace
}  // namespace pincer::gateway
